#!/usr/bin/env bash
# Side-by-side proving times on one circom circuit, interleaved in one run:
# snarkjs (pinned, node), stateproof's zkey prover (`groth16 prove`, each
# backend given), and ark-groth16 on the same .r1cs (`groth16 ark-prove`).
# Usage: scripts/circom/bench.sh STATEPROOF_BIN DIR [REPS] [BACKENDS]
#   DIR holds preimage.zkey, preimage.wtns, preimage.r1cs (generate.sh makes
#   them, e.g. `generate.sh 120 17 DIR` for about 62,000 constraints).
#   BACKENDS: comma-separated stateproof backends, default "cpu".
set -euo pipefail
bin=$(realpath "$1")
dir=$(realpath "$2")
reps=${3:-3}
backends=${4:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/node_modules/.bin/circom2" ] || (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
snarkjs="$here/node_modules/snarkjs/build/cli.cjs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
results="$work/results.tsv"
for rep in $(seq "$reps"); do
  t0=$(now)
  node "$snarkjs" groth16 prove "$dir/preimage.zkey" "$dir/preimage.wtns" "$work/s_proof.json" "$work/s_public.json"
  t1=$(now)
  echo -e "snarkjs\twall\t$(python3 -c "print($t1 - $t0)")" >> "$results"
  for b in ${backends//,/ }; do
    t0=$(now)
    "$bin" --json groth16 prove "$dir/preimage.zkey" "$dir/preimage.wtns" "$work/p.json" "$work/q.json" \
      --backend "$b" > "$work/sp.json"
    t1=$(now)
    echo -e "stateproof-$b\twall\t$(python3 -c "print($t1 - $t0)")" >> "$results"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"stateproof-$b\tload\t{d['load_seconds']}\nstateproof-$b\tprove\t{d['prove_seconds']}\")" "$work/sp.json" >> "$results"
    node "$snarkjs" groth16 verify "$dir/verification_key.json" "$work/q.json" "$work/p.json" >/dev/null
  done
  "$bin" --json groth16 ark-prove "$dir/preimage.r1cs" "$dir/preimage.wtns" > "$work/ark.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"ark-groth16\tprove\t{d['prove_seconds']}\")" "$work/ark.json" >> "$results"
done
python3 - "$results" "$dir/r1cs_info.txt" <<'PY'
import statistics, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, what, t = line.split("\t")
    rows[(who, what)].append(float(t))
info = open(sys.argv[2]).read().strip().replace("\n", "; ")
print(f"circuit: {info}")
print("| prover | measure | median (s) | runs (s) |")
print("|---|---|---|---|")
for (who, what), ts in rows.items():
    print(f"| {who} | {what} | {statistics.median(ts):.3f} | {', '.join(f'{t:.3f}' for t in ts)} |")
PY
