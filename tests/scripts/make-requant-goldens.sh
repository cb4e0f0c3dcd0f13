#!/usr/bin/env bash
# Records the goldens of GgufRequantizeTest (tests/src/test/resources/fsc/tests/llm/requant/): what
# llama.cpp's llama-quantize writes for stories260K (F32, ../shared/data/gguf) and for the synthetic
# dim-256 LLaMA the test writes itself (SyntheticLlama 256/2 layers/4:2 heads/ffn 512/vocab 512/seed 1,
# F32), as one SHA-256 per tensor, and llama.cpp's greedy token ids on those files (tests/scripts/
# llama-greedy.c against libllama, one thread, AMX off). CI has no llama.cpp: the test compares against
# these files. Needs ../shared/tools/llama-bench.sh's build, python3 (llama.cpp's gguf-py) and cc.
#   tests/scripts/make-requant-goldens.sh [WORK_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mkdir -p "${1:-/tmp/fsc-requant-goldens}" && cd "${1:-/tmp/fsc-requant-goldens}" && pwd)"
OUT="$ROOT/tests/src/test/resources/fsc/tests/llm/requant"
BIN=$("$ROOT/../shared/tools/llama-bench.sh")
SRC="$(cd "$BIN/../.." && pwd)"
SHIM=${FSC_PEERS:-$HOME/.cache/fsc-peers}/noamx.so
[[ -f $SHIM ]] || cc -O2 -shared -fPIC -o "$SHIM" "$HERE/noamx.c" -ldl
cc -O1 -o "$WORK/llama-greedy" "$HERE/llama-greedy.c" -I"$SRC/include" -I"$SRC/ggml/include" -L"$BIN" -lllama -lggml -lggml-base
(cd "$ROOT" && ./mvnw -B -q -Pbench -pl tests -am test -Dtest=WriteSyntheticLlama -Dsurefire.failIfNoSpecifiedTests=false \
  -Dspotless.check.skip=true -Dfsc.synth.out="$WORK/synth256-F32.gguf" -Dfsc.synth.type=F32 -Dfsc.synth.dim=256 \
  -Dfsc.synth.layers=2 -Dfsc.synth.heads=4 -Dfsc.synth.kvHeads=2 -Dfsc.synth.ffn=512 -Dfsc.synth.vocab=512)
cp "$ROOT/../shared/data/gguf/stories260K.gguf" "$WORK/stories260K-F32.gguf"
mkdir -p "$OUT"
: > "$OUT/greedy.jsonl"
export LD_LIBRARY_PATH=$BIN
for model in stories260K synth256; do
  for t in Q8_0 Q4_0 Q4_K; do
    [[ $model == stories260K && $t == Q4_K ]] && continue   # llama.cpp falls back to Q5_0 there, which fsc refuses
    f="$WORK/$model-$t.gguf"
    "$BIN/llama-quantize" "$WORK/$model-F32.gguf" "$f" "$t" >"$WORK/quantize-$model-$t.log" 2>&1
    python3 "$HERE/gguf-tensor-sha256.py" "$f" >"$OUT/$model-$t.sha256"
    for p in "Once upon a time" "Lily wanted to"; do
      n=48; [[ $model == synth256 ]] && n=16
      printf '{"model": "%s", "type": "%s", ' "$model" "$t" >>"$OUT/greedy.jsonl"
      LD_PRELOAD=$SHIM "$WORK/llama-greedy" "$f" "$p" $n 2>/dev/null | sed 's/^{//' >>"$OUT/greedy.jsonl"
    done
  done
done
echo "wrote $OUT"
