#!/usr/bin/env bash
# Proves a small transfer batch with stateproof, exports it in snarkjs's
# formats, and has snarkjs (an external verifier, pinned) check it: the
# proof must verify, and must fail once a public input is changed. Then
# proves the committed circom test set (a snarkjs .zkey and a circom .wtns)
# with `stateproof groth16 prove` and has snarkjs verify that proof with the
# zkey's verification_key.json, and compares the public signals with the
# ones snarkjs computed. Last, a node's circom proving service proves 20
# requests over two zkeys from concurrent clients, and snarkjs verifies
# every proof it returned.
# Usage: scripts/snarkjs-verify.sh PATH/TO/stateproof
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
snarkjs="$here/vectors/node_modules/snarkjs/build/cli.cjs"
if [ ! -f "$snarkjs" ]; then
  (cd "$here/vectors" && npm install --no-save --no-audit --no-fund snarkjs@0.7.6 >/dev/null)
fi
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"
cd "$work"
"$bin" sample --depth 4 --accounts 3 --transfers 2 --out . >/dev/null
"$bin" setup --depth 4 --slots 2 --out . >/dev/null
"$bin" prove --pk transfer.pk --state state.json --batch batch.json --out update.bin >/dev/null
"$bin" export snarkjs --vk transfer.vk --update update.bin --out js >/dev/null
node "$snarkjs" groth16 verify js/verification_key.json js/public.json js/proof.json
python3 - js/public.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p[2] = str(int(p[2]) + 1)
json.dump(p, open(sys.argv[1], "w"))
PY
if node "$snarkjs" groth16 verify js/verification_key.json js/public.json js/proof.json; then
  echo "snarkjs accepted a changed public input" >&2
  exit 1
fi
echo "snarkjs: stateproof proof verified; tampered input rejected"

circom="$here/../prover/testdata/circom"
"$bin" groth16 prove "$circom/preimage.zkey" "$circom/preimage.wtns" circom_proof.json circom_public.json \
  --r1cs "$circom/preimage.r1cs" >/dev/null
node "$snarkjs" groth16 verify "$circom/verification_key.json" circom_public.json circom_proof.json
python3 - circom_public.json "$circom/snarkjs_public.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
assert ours == theirs, f"public signals differ: {ours} vs {theirs}"
PY
echo "snarkjs: stateproof's proof from a snarkjs zkey and a circom witness verified; public signals equal snarkjs's"

# The node's circom proving service: 20 proof requests over two zkeys from
# concurrent clients (`groth16 prove --node`), each proof verified by
# snarkjs with its zkey's verification_key.json.
start_node "$bin" "$work/node" --backend cpu --depth 4 --slots 2
sets=("$circom" "$circom/one-round")
pids=()
for i in $(seq 0 19); do
  set_dir=${sets[$((i % 2))]}
  "$bin" groth16 prove "$set_dir/preimage.zkey" "$set_dir/preimage.wtns" "svc_proof_$i.json" "svc_public_$i.json" \
    --node "$url" > "svc_$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "request $i failed:" >&2; cat "svc_$i.log" >&2; exit 1; }
done
for i in $(seq 0 19); do
  set_dir=${sets[$((i % 2))]}
  node "$snarkjs" groth16 verify "$set_dir/verification_key.json" "svc_public_$i.json" "svc_proof_$i.json" >/dev/null
done
echo "snarkjs: 20 proofs from the node's circom service over 2 zkeys verified"
