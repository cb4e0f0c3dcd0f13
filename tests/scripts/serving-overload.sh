#!/usr/bin/env bash
# docs/SERVING.md, "Admission control vs accept-all at overload" and "Soak". First measures capacity
# (completed requests/s of a closed loop with twice as many clients as sequence slots), then:
#   overload: open-loop Poisson arrivals at FACTOR x capacity (default 2) against the default server
#             and one with --no-admission-control; compare TTFT tails and goodput.
#   soak:     REQUESTS (default 2000) arrivals at FACTOR x capacity (default 1.5) with 20% of clients
#             hanging up mid-stream; then checks that no KV block is held and /health answers.
# MODEL (a GGUF, default stories260K), PROMPTS and OUTPUTS set the workload; JSON and SVG go to OUT.
# Usage: tests/scripts/serving-overload.sh overload|soak [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:?overload or soak}
SECS=${2:-60}
OUT=${OUT:-target/serving-exp}
PORT=${PORT:-8095}
MODEL=${MODEL:-../shared/data/gguf/stories260K.gguf}
PROMPTS=${PROMPTS:-8..48}
OUTPUTS=${OUTPUTS:-16..128}
MIX=${MIX:-interactive=0.3,batch=0.7}
RUNNING=${RUNNING:-8}
NAME=$(basename "$MODEL" .gguf)
URL="http://127.0.0.1:$PORT"
mkdir -p "$OUT"
./fsc compile "$MODEL" -o "$OUT/$NAME.jar" --max-context 1024 --quiet

pid=
serve() { ./fsc serve "$OUT/$NAME.jar" --port "$PORT" --max-running "$RUNNING" --quiet "$@" & pid=$!
  for _ in $(seq 1 150); do curl -sf "$URL/health" >/dev/null && return; sleep 0.2; done; echo "server did not start" >&2; exit 1; }
stop() { kill -TERM "$pid"; wait "$pid" || true; }
trap '[[ -n "$pid" ]] && kill -TERM $pid 2>/dev/null || true' EXIT
load() { ./fsc loadtest "$URL" --mix "$MIX" --prompt-len "$PROMPTS" --output-len "$OUTPUTS" --ignore-eos "$@"; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1; }

serve
echo "== capacity (closed loop, $((2 * RUNNING)) clients, 30 s)"
load --concurrency $((2 * RUNNING)) --duration 30s --report "$OUT/$NAME-capacity"
CAP=$(field "$OUT/$NAME-capacity/summary.json" completed_per_s)
stop
echo "capacity: $CAP requests/s"

if [[ $WHAT == overload ]]; then
  RATE=$(awk -v c="$CAP" -v f="${FACTOR:-2}" 'BEGIN { printf "%.2f", c * f }')
  for mode in admission accept-all; do
    # Accept-all: no TTFT prediction and a queue without a practical bound.
    flag=""; [[ $mode == accept-all ]] && flag="--no-admission-control --max-queue 1000000"
    serve $flag
    echo "== $mode at $RATE requests/s for ${SECS}s"
    load --rate "$RATE" --duration "${SECS}s" --report "$OUT/$NAME-overload-$mode"
    stop
  done
else
  RATE=$(awk -v c="$CAP" -v f="${FACTOR:-1.5}" 'BEGIN { printf "%.2f", c * f }')
  N=${REQUESTS:-2000}
  serve
  echo "== soak: $N requests at $RATE requests/s, 20% disconnects"
  load --rate "$RATE" --max-requests "$N" --duration 3600s --disconnect 0.2 --report "$OUT/$NAME-soak"
  sleep 1
  used=$(curl -sf "$URL/metrics" | sed -n 's/^fsc_kv_blocks_used \([0-9.]*\)$/\1/p')
  health=$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")
  echo "after the soak: fsc_kv_blocks_used=$used, /health=$health"
  stop
  [[ "$used" == 0 || "$used" == 0.0 ]] && [[ "$health" == 200 ]]
fi
