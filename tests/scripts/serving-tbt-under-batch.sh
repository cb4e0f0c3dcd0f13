#!/usr/bin/env bash
# docs/SERVING.md, "Interactive TBT with and without batch load": three closed-loop runs against the
# same server (stories260K, the default 50 ms TBT budget): interactive only, batch only (saturating
# the engine), and both classes at once. Prints the summaries; JSON and SVG land under OUT
# (default target/serving-exp). MODEL picks another GGUF (e.g. a synthetic one from
# WriteSyntheticLlama, whose steps are slow enough for the frame budget to bind); PROMPTS and
# OUTPUTS set the length ranges. Usage: [MODEL=x.gguf] tests/scripts/serving-tbt-under-batch.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-40}
OUT=${OUT:-target/serving-exp}
PORT=${PORT:-8096}
mkdir -p "$OUT"
MODEL=${MODEL:-../shared/data/gguf/stories260K.gguf}
PROMPTS=${PROMPTS:-16..120}
OUTPUTS=${OUTPUTS:-64..128}
NAME=$(basename "$MODEL" .gguf)
./fsc compile "$MODEL" -o "$OUT/$NAME.jar" --max-context 1024 --quiet
./fsc serve "$OUT/$NAME.jar" --port "$PORT" --quiet &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
run() { # name, then loadtest options
  local name=$1; shift
  echo "== $name"
  ./fsc loadtest "http://127.0.0.1:$PORT" --duration "${SECS}s" --ignore-eos --report "$OUT/tbt-$NAME-$name" \
    --prompt-len "$PROMPTS" --output-len "$OUTPUTS" "$@"
}
run interactive-only --concurrency 4 --mix interactive=1
run batch-only --concurrency 8 --mix batch=1
run both --concurrency 12 --mix interactive=0.34,batch=0.66
