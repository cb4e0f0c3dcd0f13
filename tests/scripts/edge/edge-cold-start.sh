#!/usr/bin/env bash
# Interleaved rounds: fresh process to exit (MiniLM 1x16) for ONNX Runtime Java and two model jars (e.g. before/after a change);
# then first call and steady state (median of calls 50-99) in a fresh JVM each. Usage: edge-cold-start.sh ROUNDS JAR_A JAR_B  (docs/EDGE.md §2)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"; W="$(mktemp -d)"
source <(sed -n "/^java_major()/,/^}/p" "$ROOT/fsc"); JDK="$(find_jdk)" || exit 2; JAVA="$JDK/bin/java"
JARS=("$2" "$3")
ORT_JAR="$(ls ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/*/onnxruntime-*.jar | grep -v sources | sort -V | tail -1)"
MODEL=$ROOT/models/all-minilm-l6-v2.onnx
"$JDK/bin/javac" -d $W -cp "$ORT_JAR" $ROOT/tests/scripts/edge/OrtFirstResult.java
python3 -c "
import numpy as np; s=16; w='$W'
np.save(f'{w}/ids.npy', (1000+np.arange(s,dtype=np.int64)).reshape(1,s)); np.save(f'{w}/mask.npy', np.ones((1,s),np.int64)); np.save(f'{w}/tt.npy', np.zeros((1,s),np.int64))"
OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
IN="--input input_ids=$W/ids.npy --input attention_mask=$W/mask.npy --input token_type_ids=$W/tt.npy"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
calls() { python3 -c 'import re,sys,statistics as s; v=[float(m.group(1)) for m in re.finditer(r"call \d+: ([0-9.]+) ms", sys.stdin.read())]; print("%.1f %.2f" % (v[0], s.median(v[50:])) if v else "nan nan")'; }
echo "# load: $(uptime | sed 's/.*load average: //')"
for r in $(seq ${1:-3}); do
  t=$(date +%s%N); $JAVA -cp "$ORT_JAR:$W" OrtFirstResult $MODEL 16 1 >/dev/null 2>&1; echo "ort start $(ms $t)"
  for j in "${JARS[@]}"; do t=$(date +%s%N); $JAVA "${OPTS[@]}" -jar "$j" $IN >/dev/null 2>&1; echo "$j start $(ms $t)"; done
  echo "ort calls $($JAVA -cp "$ORT_JAR:$W" OrtFirstResult $MODEL 16 100 2>/dev/null | calls)"
  for j in "${JARS[@]}"; do echo "$j calls $($JAVA "${OPTS[@]}" -cp "$j" fsc.runtime.AotTraining 100 batch=1,batch_1=16 2>/dev/null | calls)"; done
done
echo "# load after: $(uptime | sed 's/.*load average: //')"
