#!/usr/bin/env bash
# Time from a proven update to its finality proof, by validator count: a
# devnet (`stateproof devnet`) per count, COUNT transfers sent one after
# another (each waited for), and for each update the node's own
# timestamps: when the update was published (batches.proven_at) and when
# its header's finality proof was stored (finality.proven_at). That span
# holds the validators' poll (250 ms) and their check of the update, the
# node's wait for the quorum (polled every 200 ms) and the finality proof.
# Usage: scripts/finality-bench.sh PATH/TO/stateproof [VALIDATORS...] (default 4 16 64)
# Env: COUNT (transfers per run, default 5), BACKEND (default cpu).
set -euo pipefail
bin=$(realpath "$1")
shift
counts=("$@")
[ $# -eq 0 ] && counts=(4 16 64)
count=${COUNT:-5}
backend=${BACKEND:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=node-lib.sh
. "$here/node-lib.sh" # $work, and $node_pid (here the devnet) stopped on exit

echo "| validators (signer slots) | set depth | updates | proven → final, median (s) | min (s) | max (s) | finality proof alone, median (s) |"
echo "|---|---|---|---|---|---|---|"
for n in "${counts[@]}"; do
  data="$work/devnet-$n"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  url="http://127.0.0.1:$port"
  "$bin" devnet --data "$data" --validators "$n" --listen "127.0.0.1:$port" --depth 16 --slots 1 \
    --batch-age 100ms --backend "$backend" >"$work/devnet-$n.out" 2>"$work/devnet-$n.log" &
  node_pid=$!
  for _ in $(seq 3000); do
    grep -q "devnet: node listening" "$work/devnet-$n.out" 2>/dev/null && break
    kill -0 "$node_pid" 2>/dev/null || { cat "$work/devnet-$n.log" >&2; exit 1; }
    sleep 0.1
  done
  for i in $(seq 0 $((count - 1))); do
    "$bin" send --node "$url" --key "$data/sample-keys/account-0.key" --from 0 --to 1 --amount 1 \
      --wait 300s >/dev/null
  done
  for _ in $(seq 3000); do
    curl -fs "$url/v1/finality/$count" >/dev/null 2>&1 && break
    sleep 0.1
  done
  kill "$node_pid"; wait "$node_pid" 2>/dev/null || true
  node_pid=
  depth=$("$bin" --json inspect "$data/keys/finality.pk" |
    python3 -c 'import json,sys; print(dict(json.load(sys.stdin)["params"])["set_depth"])')
  python3 - "$data/node.db" "$n" "$count" "$depth" "$work/devnet-$n.log" <<'PY'
import re, sqlite3, statistics, sys
db, n, count, depth, log = sys.argv[1:]
rows = sqlite3.connect(db).execute(
    "SELECT b.n, f.proven_at - b.proven_at FROM batches b JOIN finality f ON f.height = b.n ORDER BY b.n").fetchall()
spans = [ms / 1000 for _, ms in rows]
proofs = [float(x) for x in re.findall(r"final: \d+ validators attested; proven in ([0-9.]+) s", open(log).read())]
if len(spans) < int(count):
    sys.exit(f"only {len(spans)} of {count} updates became final")
print(f"| {n} | {depth} | {len(spans)} | {statistics.median(spans):.2f} | {min(spans):.2f} | {max(spans):.2f} | {statistics.median(proofs):.2f} |")
PY
done
