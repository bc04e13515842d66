#!/usr/bin/env bash
# End-to-end node benchmark: a fresh node (depth 32) with SLOTS transfer
# slots per batch on BACKEND, `stateproof load` offering RATE transfers/s
# for DURATION and following them into proven updates, then where the
# prover's time went (the node's /metrics). Prints the load report and the
# phase totals; BENCHMARKS.md records runs of it.
# Usage: scripts/node-bench.sh PATH/TO/stateproof SLOTS RATE DURATION [BACKEND] [BATCH_AGE]
set -euo pipefail
bin=$(realpath "$1")
slots=$2 rate=$3 duration=$4 backend=${5:-cpu} age=${6:-2s}
work=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
setup_start=$(date +%s.%N)
"$bin" node init --data "$work/node" --slots "$slots" --fund-sample 64 >/dev/null 2>&1
echo "node init (depth 32, $slots slots): $(python3 -c "import time; print(f'{time.time() - $setup_start:.1f}')") s"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$bin" node run --data "$work/node" --listen "127.0.0.1:$port" --backend "$backend" \
  --batch-age "$age" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 600); do
  curl -fs "$url/v1/status" >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
  sleep 0.1
done
"$bin" load --node "$url" --rate "$rate" --duration "$duration" --wait-proven 600s
echo "prover time by phase (seconds, all batches; MSM B (G2) overlaps the G1 MSMs):"
curl -fs "$url/metrics" | grep -E '^stateproof_(proof_phase_seconds_total|batches_proven_total|batches_cpu_retries_total)'
grep -c "proved batch" "$work/node.log" | sed 's/^/batches proven (node log): /'
