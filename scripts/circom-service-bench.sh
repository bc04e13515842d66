#!/usr/bin/env bash
# Measures the node's circom proving service against one-shot proving:
# N proofs of one zkey and witness as `groth16 prove` processes, one after
# another (each reads and validates the zkey, then proves), then the same N
# through a node (`groth16 prove --node`, CLIENTS at a time), whose
# in-process workers keep the zkey prepared. Prints proofs per second and
# the median request time for each.
# Usage: scripts/circom-service-bench.sh PATH/TO/stateproof [N CLIENTS WORKERS ZKEY WTNS]
#   defaults: 20 proofs, 4 clients, 1 worker, the committed test circuit
set -euo pipefail
bin=$(realpath "$1")
n=${2:-20}
clients=${3:-4}
workers=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)
zkey=$(realpath "${5:-$here/../prover/testdata/circom/preimage.zkey}")
wtns=$(realpath "${6:-$here/../prover/testdata/circom/preimage.wtns}")
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"
cd "$work"
now() { python3 -c 'import time; print(time.time())'; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Validated once here, so that every one-shot run below loads it as a
# repeated user's would (the marker skips only the G2 subgroup checks).
"$bin" groth16 prove "$zkey" "$wtns" p.json q.json --backend cpu >/dev/null
start=$(now)
for i in $(seq "$n"); do
  s=$(now)
  "$bin" groth16 prove "$zkey" "$wtns" p.json q.json --backend cpu >/dev/null
  python3 -c "print($(now) - $s)" >> oneshot.times
done
oneshot=$(python3 -c "print($(now) - $start)")

start_node "$bin" "$work/node" --backend cpu --depth 4 --slots 2 --local-workers "$workers"
# (its log, with each proof's time: $work/node.log)
# The zkey uploaded (and prepared by the worker) before the clock starts.
"$bin" groth16 prove "$zkey" "$wtns" p.json q.json --node "$url" >/dev/null
start=$(now)
client() {
  for i in $(seq "$1" "$clients" "$n"); do
    s=$(now)
    "$bin" groth16 prove "$zkey" "$wtns" "p$i.json" "q$i.json" --node "$url" >/dev/null
    python3 -c "print($(now) - $s)" >> "service.$1.times"
  done
}
for c in $(seq "$clients"); do client "$c" & done
wait $(jobs -p | grep -v "^$node_pid$")
service=$(python3 -c "print($(now) - $start)")
cat service.*.times > service.times

python3 - "$n" "$oneshot" "$service" "$(median < oneshot.times)" "$(median < service.times)" "$clients" "$workers" "$work/node.log" <<'PY'
import re, sys
n, oneshot, service, m1, m2 = int(sys.argv[1]), *map(float, sys.argv[2:6])
clients, workers, log = sys.argv[6:9]
proofs = sorted(float(t) for t in re.findall(r"proved circom job \d+ in ([0-9.]+) s", open(log).read()))
print(f"one-shot `groth16 prove`: {n} proofs in {oneshot:.2f} s, {n / oneshot:.2f} proofs/s, median {m1:.3f} s each")
print(f"service ({clients} clients, {workers} worker(s)): {n} proofs in {service:.2f} s, {n / service:.2f} proofs/s, median request {m2:.3f} s")
print(f"  the worker's proof (prepared zkey): median {proofs[len(proofs) // 2]:.3f} s of {len(proofs)}")
PY
