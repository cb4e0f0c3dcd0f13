#!/usr/bin/env bash
# Fresh process -> first MiniLM result, and first-call vs steady-state latency, for the plain model
# jar, the packaged folder (fsc package: jlinked runtime + AOT cache) and ONNX Runtime Java, in the
# same run, ROUNDS times each, interleaved; prints medians and ratios. One thread everywhere.
# Usage: tests/scripts/edge/edge-first-result.sh [ROUNDS] [WORKDIR]   (docs/EDGE.md)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
ROUNDS="${1:-3}"
W="${2:-/tmp/fsc-edge-bench}"
STEADY=100
mkdir -p "$W"
source <(sed -n '/^java_major()/,/^}/p' "$ROOT/fsc")  # java_major and find_jdk
JDK="$(find_jdk)" || exit 2
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
# run LABEL CMD...: times CMD from fork to exit; a failed run is reported and left out of the medians.
run() { local label="$1" t rc; shift; t=$(date +%s%N); "$@" >/dev/null 2>"$W/last.err"; rc=$?
  if [[ $rc == 0 ]]; then echo "$label $(ms "$t")" >> "$W/results.txt"; else echo "$label failed (exit $rc): $(tail -2 "$W/last.err")" >&2; fi; }
inputs() { echo "--input input_ids=$W/ids$1.npy --input attention_mask=$W/mask$1.npy --input token_type_ids=$W/tt$1.npy"; }
# first-call and steady-state (median of the last half) from "call i: X ms" lines
calls() { python3 -c 'import re,sys,statistics as s; v=[float(m.group(1)) for m in re.finditer(r"call \d+: ([0-9.]+) ms", sys.stdin.read())]; print("%.1f %.2f" % (v[0], s.median(v[len(v)//2:])) if v else "nan nan")'; }

echo "# load: $(uptime | sed 's/.*load average: //')  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
: > "$W/results.txt"
for r in $(seq "$ROUNDS"); do
  for s in 16 128; do
    run "ort $s start" "$JAVA" -cp "$ORT_JAR:$W/ort" OrtFirstResult "$MODEL" "$s" 1
    run "jar $s start" "$JAVA" "${OPTS[@]}" -jar "$W/m.jar" $(inputs $s)
    run "pkg $s start" "$W/pkg/bin/m" $(inputs $s)
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
