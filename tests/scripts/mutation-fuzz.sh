#!/usr/bin/env bash
# Seeded mutation run over fsc's parsers (docs/RELIABILITY.md): thousands of mutated ONNX, GGUF,
# .fsir, weights.fsw, .npy and .pb files and hostile external-data folders, each through
# `fsc inspect/compile/run` with a 1 GB heap and a time limit; every outcome must be exit 0, or exit
# 2 with one printable 'fsc: error:' line. Exits 1 when any outcome was bad; bad mutants are kept
# under OUT/bad/<n>/ with command.txt to reproduce them.
#
#   tests/scripts/mutation-fuzz.sh [--seed N] [--mutants N] [--timeout-s S] [--out DIR]
#                                  [--formats onnx,onnx-proto,gguf,gguf-meta,fsir,fsw,npy,pb,ext]
#                                  [--launcher]   # each mutant through ./fsc (a JVM each; slower)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
args=()
launcher=0
out="$ROOT/tests/target/mutation-run"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --launcher) launcher=1; shift ;;
    --out) out="$2"; shift 2 ;;
    *) args+=("$1" "$2"); shift 2 ;;
  esac
done
echo "building fsc and the test classes..." >&2
MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" ./mvnw -B -q -Dspotless.check.skip=true -DskipTests -pl tests -am package \
  dependency:build-classpath -Dmdep.outputFile=target/fuzz-cp.txt >"$ROOT/tests/target/mutation-build.log" 2>&1 \
  || { tail -30 "$ROOT/tests/target/mutation-build.log" >&2; exit 2; }
CP="$ROOT/tests/target/test-classes:$ROOT/tests/target/classes:$(cat "$ROOT/tests/target/fuzz-cp.txt")"
[[ $launcher == 1 ]] && args+=(--launcher "$ROOT/fsc")
JAVA="${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1)}/bin/java"
exec "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Xmx1g -cp "$CP" fsc.tests.fuzz.MutationRun --out "$out" "${args[@]}"
