#!/usr/bin/env bash
# Interleaved rounds: fresh process to exit (MiniLM 1x16) for ONNX Runtime Java and two model jars (e.g. before/after a change);
# then first call and steady state (median of calls 50-99) in a fresh JVM each. Usage: edge-cold-start.sh ROUNDS JAR_A JAR_B  (docs/EDGE.md §2)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"; W="$(mktemp -d)"
source "$ROOT/tests/scripts/edge/minilm-1x16-setup.sh"
JARS=("$2" "$3")
calls() { python3 -c 'import re,sys,statistics as s; v=[float(m.group(1)) for m in re.finditer(r"call \d+: ([0-9.]+) ms", sys.stdin.read())]; print("%.1f %.2f" % (v[0], s.median(v[50:])) if v else "nan nan")'; }
echo "# load: $(uptime | sed 's/.*load average: //')"
for r in $(seq ${1:-3}); do
  t=$(date +%s%N); $JAVA -cp "$ORT_JAR:$W" OrtFirstResult $MODEL 16 1 >/dev/null 2>&1; echo "ort start $(ms $t)"
  for j in "${JARS[@]}"; do t=$(date +%s%N); $JAVA "${OPTS[@]}" -jar "$j" "${IN[@]}" >/dev/null 2>&1; echo "$j start $(ms $t)"; done
  echo "ort calls $($JAVA -cp "$ORT_JAR:$W" OrtFirstResult $MODEL 16 100 2>/dev/null | calls)"
  for j in "${JARS[@]}"; do echo "$j calls $($JAVA "${OPTS[@]}" -cp "$j" fsc.runtime.AotTraining 100 batch=1,batch_1=16 2>/dev/null | calls)"; done
done
echo "# load after: $(uptime | sed 's/.*load average: //')"
