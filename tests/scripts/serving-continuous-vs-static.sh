#!/usr/bin/env bash
# docs/SERVING.md, "Static vs continuous batching": the same closed-loop load (8 clients, very
# different output lengths) against a server with continuous batching and the two static baselines,
# on a synthetic LLaMA whose weights (55 MB Q4_0) do not fit in cache, so a step costs about the same
# whatever its batch and continuous batching can pay off. Writes JSON summaries and SVG plots under
# OUT (default target/serving-exp). Output lengths are log-uniform over 8..512 and generated to the
# end (--ignore-eos): many short answers and a few long ones, as real traffic has.
# Usage: [TYPE=Q4_0|Q8_0|F16|F32] tests/scripts/serving-continuous-vs-static.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}
TYPE=${TYPE:-Q4_0}
OUT=${OUT:-target/serving-exp}
mkdir -p "$OUT"
GGUF="$(cd "$OUT" && pwd)/synth-llama-1024x8-$TYPE.gguf"
if [[ ! -f "$GGUF" ]]; then
  ./mvnw -B -q -Pbench -pl tests -am test -Dtest=WriteSyntheticLlama -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfsc.synth.out="$GGUF" -Dfsc.synth.dim=1024 -Dfsc.synth.layers=8 -Dfsc.synth.type=$TYPE
fi
./fsc compile "$GGUF" -o "$OUT/synth-$TYPE.jar" --max-context 1024
# static drops finished rows from its steps; static-padded keeps computing them, as fixed-shape
# engines do (docs/SERVING.md says which baseline is which).
for mode in ${MODES:-continuous static static-padded}; do
  ./fsc serve "$OUT/synth-$TYPE.jar" --port 8097 --max-running 8 --batching "$mode" --quiet &
  pid=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:8097/health >/dev/null && break; sleep 0.2; done
  ./fsc loadtest http://127.0.0.1:8097 --concurrency 8 --duration "${SECS}s" --mix batch=1 \
    --prompt-len 4..12 --output-len 8..512 --length-dist log-uniform --ignore-eos \
    --report "$OUT/$TYPE-$mode" | tee "$OUT/$TYPE-$mode.txt"
  kill -TERM "$pid"; wait "$pid" || true # a background job ignores SIGINT; TERM runs the drain hook too
done
