#!/usr/bin/env bash
# One GPU session, nothing built here: correctness first, then timings of several variants.
# Steps 2-3 need `fsc bench` to drive the CUDA path, which is not wired yet (see docs/CUDA.md).
# Needs: .jre (jlink image, see ../shared/GPU.md), fsc.jar, models/all-minilm-l6-v2.onnx, nvcc.
set -euo pipefail
JAVA="${JAVA:-.jre/bin/java} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
FSC="$JAVA -jar ${FSC_JAR:-fsc.jar}"
OUT="${OUT:-gpu-out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"

# 1. Kernels: PTX and SASS for sm_90 with the register/spill report.
$FSC compile models/all-minilm-l6-v2.onnx --target cuda,java --dump-cuda "$OUT/cuda" -o "$OUT/minilm-cuda.jar"
nvcc -cubin -arch=sm_90 -Xptxas -v -o "$OUT/model.cubin" "$OUT/cuda/model.cu" 2> "$OUT/ptxas.txt"
grep -E "spill|registers" "$OUT/ptxas.txt" | sort | uniq -c | sort -rn | head -20

# 2. Correctness: fp32 against ONNX Runtime (1e-3), under compute-sanitizer once.
for shape in 1x128 32x128; do
  $FSC bench "$OUT/minilm-cuda.jar" --shape "$shape" --check 1e-3 | tee "$OUT/check-$shape.txt"
done
compute-sanitizer --tool memcheck $FSC bench "$OUT/minilm-cuda.jar" --shape 1x16 --iterations 1 \
  > "$OUT/sanitizer.txt" 2>&1 || { echo "compute-sanitizer found errors: $OUT/sanitizer.txt"; exit 1; }

# 3. Timings (CUDA events, median after warm-up) for the variants; copy bandwidth for the roofline.
for shape in 1x128 32x128; do
  $FSC bench "$OUT/minilm-cuda.jar" --shape "$shape" --iterations 200 | tee "$OUT/time-$shape.txt"
done
echo "results in $OUT; record them in BENCHMARKS.md with the GPU, the date and this command"
