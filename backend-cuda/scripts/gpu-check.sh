#!/usr/bin/env bash
# One GPU session, nothing built here: correctness first (CUDA jar vs the same model's Java jar),
# then timings. Every flag used below exists in this build (fsc compile/run/generate/bench).
# Needs: .jre (jlink image, see ../shared/GPU.md), fsc.jar, models/all-minilm-l6-v2.onnx,
# ../shared/data/gguf/stories260K.gguf, nvcc and python3 with numpy.
set -euo pipefail
JAVA="${JAVA:-.jre/bin/java} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
FSC="$JAVA -jar ${FSC_JAR:-fsc.jar}"
OUT="${OUT:-gpu-out}"
GGUF="${GGUF:-../shared/data/gguf/stories260K.gguf}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"

# 1. Kernels: PTX and SASS for sm_90 with the register/spill report.
$FSC compile models/all-minilm-l6-v2.onnx --target cuda --dump-cuda "$OUT/cuda" -o "$OUT/minilm-cuda.jar"
$FSC compile models/all-minilm-l6-v2.onnx --target java -o "$OUT/minilm-java.jar"
nvcc -cubin -arch=sm_90 -Xptxas -v -o "$OUT/model.cubin" "$OUT/cuda/model.cu" 2> "$OUT/ptxas.txt"
grep -E "spill|registers" "$OUT/ptxas.txt" | sort | uniq -c | sort -rn | head -20

# 2. Correctness: the CUDA jar against the Java jar on the same inputs (fp32: 1e-3), under
#    compute-sanitizer once.
python3 - "$OUT" <<'PY'
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
for b, s in [(1, 128), (32, 128)]:
    np.save(f"{out}/ids-{b}x{s}.npy", rng.integers(1000, 20000, size=(b, s), dtype=np.int64))
    np.save(f"{out}/mask-{b}x{s}.npy", np.ones((b, s), dtype=np.int64))
    np.save(f"{out}/types-{b}x{s}.npy", np.zeros((b, s), dtype=np.int64))
PY
for shape in 1x128 32x128; do
  for t in cuda java; do
    $FSC run "$OUT/minilm-$t.jar" --input input_ids="$OUT/ids-$shape.npy" \
      --input attention_mask="$OUT/mask-$shape.npy" --input token_type_ids="$OUT/types-$shape.npy" \
      --output-dir "$OUT/out-$t-$shape" > "$OUT/run-$t-$shape.txt"
  done
  python3 - "$OUT/out-cuda-$shape" "$OUT/out-java-$shape" <<'PY'
import sys, glob, os, numpy as np
for f in sorted(glob.glob(sys.argv[1] + "/*.npy")):
    a, b = np.load(f), np.load(os.path.join(sys.argv[2], os.path.basename(f)))
    d = float(np.max(np.abs(a - b)))
    print(os.path.basename(f), "max |cuda - java| =", d, "OK" if d <= 1e-3 else "MISMATCH")
PY
done
compute-sanitizer --tool memcheck $FSC run "$OUT/minilm-cuda.jar" --input input_ids="$OUT/ids-1x128.npy" \
  --input attention_mask="$OUT/mask-1x128.npy" --input token_type_ids="$OUT/types-1x128.npy" \
  > "$OUT/sanitizer.txt" 2>&1 || { echo "compute-sanitizer found errors: $OUT/sanitizer.txt"; exit 1; }

# 3. LLaMA path: greedy tokens of the CUDA jar against the Java jar. The KV cache is its own device
#    buffer sized by --kv-memory (uploaded once, resident across steps); decode steps replay captured
#    CUDA graphs, so the same run without graphs (-Dfsc.cuda.graphs=false) must give the same text.
$FSC compile "$GGUF" --target cuda -o "$OUT/llm-cuda.jar"
$FSC compile "$GGUF" --target java -o "$OUT/llm-java.jar"
GEN=(--prompt "Once upon a time" --max-tokens 32 --temperature 0 --kv-memory 64m)
for t in cuda java; do
  $FSC generate "$OUT/llm-$t.jar" "${GEN[@]}" 2>/dev/null | grep -v '^prompt ' > "$OUT/gen-$t.txt"
done
$JAVA -Dfsc.cuda.graphs=false -jar "${FSC_JAR:-fsc.jar}" generate "$OUT/llm-cuda.jar" "${GEN[@]}" 2>/dev/null \
  | grep -v '^prompt ' > "$OUT/gen-cuda-nographs.txt"
diff "$OUT/gen-cuda.txt" "$OUT/gen-java.txt" && echo "greedy text matches" || echo "greedy text DIFFERS: $OUT/gen-*.txt"
diff "$OUT/gen-cuda.txt" "$OUT/gen-cuda-nographs.txt" && echo "graphs on/off match" || echo "graphs on/off DIFFER"
compute-sanitizer --tool memcheck $FSC generate "$OUT/llm-cuda.jar" "${GEN[@]}" --max-tokens 4 \
  > "$OUT/sanitizer-llm.txt" 2>&1 || { echo "compute-sanitizer found errors: $OUT/sanitizer-llm.txt"; exit 1; }

# 4. Timings (host wall time per call, after warm-up) at 1x128 and 32x128.
for b in 1 32; do
  $FSC bench "$OUT/minilm-cuda.jar" --batch "$b" --seq 128 --warmup 30 --runs 200 | tee "$OUT/time-${b}x128.txt"
done
echo "results in $OUT; record them in BENCHMARKS.md with the GPU, the date and this command"
