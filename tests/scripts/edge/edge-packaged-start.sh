#!/usr/bin/env bash
# Fork to exit of the PACKAGED folder (fsc package: jlinked runtime + AOT cache, bin/NAME) against ONNX Runtime Java,
# MiniLM 1x16, in interleaved rounds; prints every run and the medians. Optional FOLDER_B (e.g. before/after a
# runtime change, each packaged by its own checkout's fsc) and JAR (the plain jar on the full JDK, `java -jar`).
# Usage: edge-packaged-start.sh ROUNDS FOLDER_A [FOLDER_B] [JAR]      (docs/EDGE.md §2)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"; W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
source "$ROOT/tests/scripts/edge/minilm-1x16-setup.sh"
ROUNDS=${1:-5}; shift
RUNS=(); for f in "$@"; do if [ -d "$f" ]; then RUNS+=("$(ls "$f"/bin/* | head -1)"); else RUNS+=("jar:$f"); fi; done
echo "# load: $(uptime | sed 's/.*load average: //')"
{
  for r in $(seq $ROUNDS); do
    t=$(date +%s%N); $JAVA -cp "$ORT_JAR:$W" OrtFirstResult $MODEL 16 1 >/dev/null 2>&1; echo "ort $(ms $t)"
    for x in "${RUNS[@]}"; do
      t=$(date +%s%N)
      case $x in jar:*) $JAVA "${OPTS[@]}" -jar "${x#jar:}" "${IN[@]}" >/dev/null 2>&1 ;; *) "$x" "${IN[@]}" >/dev/null 2>&1 ;; esac \
        || echo "# $x failed" >&2
      echo "$x $(ms $t)"
    done
  done
} | tee $W/times
echo "# load after: $(uptime | sed 's/.*load average: //')"
python3 - $W/times <<'P'
import sys, statistics as s, collections
v = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, t = line.rsplit(' ', 1); v[k].append(int(t))
ort = s.median(v['ort'])
for k, t in v.items():
    print("median %-40s %5.0f ms  (%d-%d, %d runs)  %.2fx ORT" % (k, s.median(t), min(t), max(t), len(t), s.median(t) / ort))
P
