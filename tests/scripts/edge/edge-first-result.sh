#!/usr/bin/env bash
# Fresh process -> first MiniLM result, and first-call vs steady-state latency, for the plain model
# jar, the packaged folder (fsc package: jlinked runtime + AOT cache) and ONNX Runtime Java, in the
# same run, ROUNDS times each, interleaved; prints medians and ratios. One thread everywhere.
# Usage: tests/scripts/edge/edge-first-result.sh [ROUNDS] [WORKDIR]   (docs/EDGE.md)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
ROUNDS="${1:-3}"
W="${2:-/tmp/fsc-edge-bench}"
STEADY=100
mkdir -p "$W"
source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' "$ROOT/fsc")
JDK="$(find_jdk)"
JAVA="$JDK/bin/java"
MODEL="$ROOT/models/all-minilm-l6-v2.onnx"
ORT_JAR="$(ls ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/*/onnxruntime-*.jar | grep -v sources | sort -V | tail -1)"

if [[ ! -f "$W/m.jar" ]]; then
  "$ROOT/fsc" compile "$MODEL" --bound batch=1 --bound batch_1=128 -o "$W/m.jar" --quiet
fi
if [[ ! -d "$W/pkg" ]]; then
  "$ROOT/fsc" package "$W/m.jar" -o "$W/pkg" --quiet
fi
mkdir -p "$W/ort"
"$JDK/bin/javac" -d "$W/ort" -cp "$ORT_JAR" "$ROOT/tests/scripts/edge/OrtFirstResult.java"
python3 - "$W" <<'PY'
import numpy as np, sys
w = sys.argv[1]
for s in (16, 128):
    np.save(f"{w}/ids{s}.npy", (1000 + np.arange(s, dtype=np.int64)).reshape(1, s))
    np.save(f"{w}/mask{s}.npy", np.ones((1, s), np.int64))
    np.save(f"{w}/tt{s}.npy", np.zeros((1, s), np.int64))
PY
OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
inputs() { echo "--input input_ids=$W/ids$1.npy --input attention_mask=$W/mask$1.npy --input token_type_ids=$W/tt$1.npy"; }
# first-call and steady-state (median of the last half) from "call i: X ms" lines
calls() { awk -v n="$STEADY" '/call [0-9]+:/ {v[$3+0]=$4} END {printf "%.1f ", v[0]; m=0; for (i=int(n/2); i<n; i++) a[m++]=v[i]; asort(a); printf "%.2f\n", a[int(m/2)+1]}'; }

echo "# load: $(uptime | sed 's/.*load average: //')  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
: > "$W/results.txt"
for r in $(seq "$ROUNDS"); do
  for s in 16 128; do
    t=$(date +%s%N); "$JAVA" -cp "$ORT_JAR:$W/ort" OrtFirstResult "$MODEL" "$s" 1 >/dev/null; echo "ort $s start $(ms $t)" >> "$W/results.txt"
    t=$(date +%s%N); "$JAVA" "${OPTS[@]}" -jar "$W/m.jar" $(inputs $s) >/dev/null 2>&1; echo "jar $s start $(ms $t)" >> "$W/results.txt"
    t=$(date +%s%N); "$W/pkg/bin/m" $(inputs $s) >/dev/null; echo "pkg $s start $(ms $t)" >> "$W/results.txt"
  done
  for s in 16 128; do
    echo "ort $s calls $("$JAVA" -cp "$ORT_JAR:$W/ort" OrtFirstResult "$MODEL" "$s" $STEADY | calls)" >> "$W/results.txt"
    echo "jar $s calls $("$JAVA" "${OPTS[@]}" -cp "$W/m.jar" fsc.runtime.AotTraining $STEADY batch=1,batch_1=$s 2>/dev/null | calls)" >> "$W/results.txt"
    echo "pkg $s calls $("$W/pkg/runtime/bin/java" "${OPTS[@]}" -XX:AOTCache="$W/pkg/lib/m.aot" -cp "$W/pkg/lib/m.jar" fsc.runtime.AotTraining $STEADY batch=1,batch_1=$s 2>/dev/null | calls)" >> "$W/results.txt"
  done
done
echo "# load after: $(uptime | sed 's/.*load average: //')"
python3 - "$W/results.txt" <<'PY'
import statistics as st, sys, collections
start = collections.defaultdict(list); first = collections.defaultdict(list); steady = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if f[2] == "start": start[(f[0], f[1])].append(float(f[3]))
    else: first[(f[0], f[1])].append(float(f[3])); steady[(f[0], f[1])].append(float(f[4]))
def med(v): return st.median(v)
for s in ("16", "128"):
    o = med(start[("ort", s)])
    print(f"[1,{s}] fresh process -> first result, median ms (min-max):")
    for k in ("ort", "jar", "pkg"):
        v = start[(k, s)]
        print(f"  {k}: {med(v):8.0f} ({min(v):.0f}-{max(v):.0f})  ratio to ORT {med(v)/o:5.2f}")
    print(f"[1,{s}] first call / steady state (median of calls {len(steady[('ort', s)]) and ''}50-99), ms:")
    for k in ("ort", "jar", "pkg"):
        print(f"  {k}: first {med(first[(k, s)]):8.1f}  steady {med(steady[(k, s)]):7.2f}  first/steady {med(first[(k, s)])/med(steady[(k, s)]):6.1f}")
PY
