#!/usr/bin/env bash
# Scale-out benchmark: a fresh node (depth DEPTH, SLOTS slots) on the
# PostgreSQL database DB_URL (an empty database it may use: it is dropped
# and made again) with no worker of its own, WORKERS `worker run`
# processes of THREADS rayon threads each, and `stateproof load` offering
# RATE transfers/s for DURATION and following them into proven updates.
# Prints the load report and which worker proved how many batches;
# BENCHMARKS.md records runs of it.
# Usage: scripts/scale-bench.sh BIN DB_URL WORKERS THREADS RATE DURATION [DEPTH] [SLOTS]
set -euo pipefail
bin=$(realpath "$1")
db=$2 workers=$3 threads=$4 rate=$5 duration=$6 depth=${7:-16} slots=${8:-2}
# shellcheck source=node-lib.sh
. "$(dirname "$0")/node-lib.sh"
worker_pids=()
stop_workers() {
  for p in "${worker_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  cleanup
}
trap stop_workers EXIT
admin=${db%/*}/postgres
name=${db##*/}
psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
"$bin" node init --data "$work/node" --database "$db" --depth "$depth" --slots "$slots" --fund-sample 64 >/dev/null 2>&1
start_node "$bin" "$work/node" --database "$db" --local-workers 0 --in-flight $((workers + 1)) --backend cpu
for i in $(seq "$workers"); do
  RAYON_NUM_THREADS=$threads "$bin" worker run --database "$db" --name "w$i" --backend cpu >"$work/w$i.log" 2>&1 &
  worker_pids+=($!)
done
# Each worker loads the key once before its first job; wait for that.
for i in $(seq "$workers"); do
  for _ in $(seq 600); do grep -q "waiting for jobs" "$work/w$i.log" && break; sleep 0.1; done
done
echo "depth $depth, $slots slots, $workers workers of $threads threads, CPU"
"$bin" load --node "$url" --rate "$rate" --duration "$duration" --wait-proven 600s
for i in $(seq "$workers"); do
  echo "w$i: $(grep -c 'proved batch' "$work/w$i.log") batches"
done
# The node's serial part per update: checking the proof and committing it.
grep -o 'checked and committed in [0-9.]* ms' "$work/node.log" | awk '{print $5}' | sort -n |
  awk '{v[NR] = $1} END {if (NR) printf "node: checked and committed each update in %.1f ms (median of %d), %.1f ms (max)\n", v[int((NR + 1) / 2)], NR, v[NR]}'
