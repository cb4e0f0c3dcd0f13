#!/usr/bin/env bash
# A decoder's first token from a fresh process: fork to exit of the model jar generating one token
# (java -jar, as a user runs it; the jar's own TTFT line too) against llama.cpp's llama-cli on the same
# GGUF file, interleaved rounds (docs/EDGE.md §2). Usage: edge-decoder-first-token.sh ROUNDS JAR GGUF [THREADS]
# The jar is compiled beforehand: fsc compile GGUF -o JAR (add --numerics llama-cpp to match llama.cpp's).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
source <(sed -n "/^java_major()/,/^}/p" "$ROOT/fsc"); JDK="$(find_jdk)" || exit 2; JAVA="$JDK/bin/java"
ROUNDS=$1; JAR=$2; GGUF=$3; T=${4:-1}
BIN=$("$ROOT/../shared/tools/llama-bench.sh") || exit 2
"$ROOT/tests/scripts/llama-bench-noamx.sh" --help >/dev/null 2>&1 # builds the AMX shim once
SHIM=${FSC_PEERS:-$HOME/.cache/fsc-peers}/noamx.so
PROMPT="Once upon a time"
OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
echo "# load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$ROUNDS"); do
  t=$(date +%s%N)
  out=$("$JAVA" "${OPTS[@]}" -jar "$JAR" generate --prompt "$PROMPT" --max-tokens 1 --threads "$T" 2>&1)
  echo "fsc start $(ms $t) ms; $(grep -o -i 'ttft[^,;]*' <<<"$out" | head -1)"
  t=$(date +%s%N)
  LD_PRELOAD=$SHIM "$BIN/llama-cli" -m "$GGUF" -p "$PROMPT" -n 1 -st -t "$T" --no-warmup --temp 0 --simple-io </dev/null >/dev/null 2>&1
  echo "llama-cli start $(ms $t) ms"
done
echo "# load after: $(uptime | sed 's/.*load average: //')"
