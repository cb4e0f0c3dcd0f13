#!/usr/bin/env bash
# llama.cpp's llama-bench (built by ../shared/tools/llama-bench.sh) with ggml's AMX backend kept off.
# The build VMs advertise AMX (amx_tile, amx_int8) but fault on tile instructions, so llama-bench dies
# with SIGILL in ggml_backend_amx_mul_mat; noamx.c refuses the kernel's AMX permission request and
# ggml falls back to its AVX-512/VNNI kernels, which is the peer fsc is measured against.
#   tests/scripts/llama-bench-noamx.sh -m model.gguf -p 128 -n 64 -t 1,2 -r 3
# Also usable as fsc bench's peer: --peer llama-bench=tests/scripts/llama-bench-noamx.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN=$("$HERE/../../../shared/tools/llama-bench.sh")
SHIM=${FSC_PEERS:-$HOME/.cache/fsc-peers}/noamx.so
if [[ ! -f $SHIM || $HERE/noamx.c -nt $SHIM ]]; then
  mkdir -p "$(dirname "$SHIM")"
  cc -O2 -shared -fPIC -o "$SHIM" "$HERE/noamx.c" -ldl
fi
LD_PRELOAD=$SHIM exec "$BIN/llama-bench" "$@"
