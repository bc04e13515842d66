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
# shellcheck source=node-lib.sh
. "$(dirname "$0")/node-lib.sh"
setup_start=$(date +%s.%N)
"$bin" node init --data "$work/node" --slots "$slots" --fund-sample 64 >/dev/null 2>&1
echo "node init (depth 32, $slots slots): $(python3 -c "import time; print(f'{time.time() - $setup_start:.1f}')") s"
start_node "$bin" "$work/node" --backend "$backend" --batch-age "$age"
"$bin" load --node "$url" --rate "$rate" --duration "$duration" --wait-proven 600s
echo "prover time by phase (seconds, all batches; MSM B (G2) overlaps the G1 MSMs):"
curl -fs "$url/metrics" | grep -E '^stateproof_(proof_phase_seconds_total|batches_proven_total|batches_cpu_retries_total)'
grep -c "proved batch" "$work/node.log" | sed 's/^/batches proven (node log): /'
