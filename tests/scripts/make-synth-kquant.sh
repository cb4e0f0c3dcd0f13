#!/usr/bin/env bash
# Writes the 1.1B synthetic LLaMA of the decoder benchmarks (dim 2048, 22 layers, 32/4 heads, ffn 5632,
# vocab 32000, random weights; tests/.../WriteSyntheticLlama) as F16 and quantizes it with llama.cpp's
# llama-quantize into K-quant files, so fsc and llama-bench can be compared on Q4_K_M (Q4_K + Q6_K
# tensors, as llama.cpp mixes them) and friends. fsc's own quantizer has no K-quant mixtures.
#   tests/scripts/make-synth-kquant.sh OUT_DIR [TYPE...]     (TYPE defaults to Q4_K_M; e.g. Q5_K_M Q6_K)
# Writes OUT_DIR/synth-1b-F16.gguf (2.2 GB; deleted unless KEEP_F16=1) and OUT_DIR/synth-1b-TYPE.gguf.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUT_DIR [TYPE...]" >&2
  exit 2
fi
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
shift
TYPES=("${@:-Q4_K_M}")
F16="$OUT/synth-1b-F16.gguf"
if [[ ! -f $F16 ]]; then
  (cd "$ROOT" && ./mvnw -B -q -Pbench -pl tests -am test -Dtest=WriteSyntheticLlama -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dfsc.synth.out="$F16" -Dfsc.synth.type=F16 -Dfsc.synth.dim=2048 -Dfsc.synth.layers=22 \
    -Dfsc.synth.heads=32 -Dfsc.synth.kvHeads=4 -Dfsc.synth.ffn=5632 -Dfsc.synth.vocab=32000)
fi
BIN=$("$ROOT/../shared/tools/llama-bench.sh")
for t in "${TYPES[@]}"; do
  "$BIN/llama-quantize" "$F16" "$OUT/synth-1b-$t.gguf" "$t" >"$OUT/quantize-$t.log" 2>&1 \
    || { tail -20 "$OUT/quantize-$t.log" >&2; exit 1; }
  echo "wrote $OUT/synth-1b-$t.gguf ($(du -h "$OUT/synth-1b-$t.gguf" | cut -f1))"
done
[[ ${KEEP_F16:-0} == 1 ]] || rm -f "$F16"
