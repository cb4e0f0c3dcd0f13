#!/usr/bin/env bash
# MiniLM steady-state latency (one thread) at vector widths 512, 256 and 128 bits (-XX:MaxVectorSize
# 64/32/16: what AVX-512, AVX2 and NEON-class CPUs give the Vector API), against ONNX Runtime Java in
# the same run, ROUNDS rounds; prints medians. Usage: edge-widths.sh JAR [ROUNDS] [SEQ]  (docs/EDGE.md)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
JAR="$1"; ROUNDS="${2:-3}"; SEQ="${3:-128}"; CALLS=150
source <(sed -n '/^java_major()/,/^}/p' "$ROOT/fsc")  # java_major and find_jdk
JDK="$(find_jdk)" || exit 2
ORT_JAR="$(ls ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/*/onnxruntime-*.jar | sort -V | tail -1)"
W="$(mktemp -d)"
"$JDK/bin/javac" -d "$W" -cp "$ORT_JAR" "$ROOT/tests/scripts/edge/OrtFirstResult.java"
steady() { python3 -c 'import re,sys,statistics as s; v=[float(m.group(1)) for m in re.finditer(r"call \d+: ([0-9.]+) ms", sys.stdin.read())]; print("%.2f" % s.median(v[len(v)//2:]) if v else "nan")'; }
echo "# load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$ROUNDS"); do
  echo "ort $("$JDK/bin/java" -cp "$ORT_JAR:$W" OrtFirstResult "$ROOT/models/all-minilm-l6-v2.onnx" "$SEQ" $CALLS | steady)"
  # fsc64: this CPU as it is (AVX-512 machine-code tiles included); the narrower widths also turn the
  # machine-code kernels off, since an AVX2- or NEON-class CPU would not load them (vector64: the
  # Vector API alone at 512 bits, for comparison).
  for v in 64 vector64 32 16; do
    native=false; [ "$v" = 64 ] && native=true
    echo "fsc$v $("$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxVectorSize=${v#vector} \
      -Dfsc.kernels.native=$native -cp "$JAR" fsc.runtime.AotTraining $CALLS batch=1,batch_1=$SEQ 2>/dev/null | steady)"
  done
done | tee "$W/r.txt"
echo "# load after: $(uptime | sed 's/.*load average: //')"
python3 - "$W/r.txt" <<'PY'
import statistics as st, sys, collections
d = collections.defaultdict(list)
for l in open(sys.argv[1]):
    k, v = l.split(); d[k].append(float(v))
o = st.median(d["ort"])
for k in ("ort", "fsc64", "fscvector64", "fsc32", "fsc16"):
    print(f"{k:11s} median {st.median(d[k]):7.2f} ms (min {min(d[k]):.2f}, max {max(d[k]):.2f})  / ORT {st.median(d[k])/o:5.2f}")
PY
