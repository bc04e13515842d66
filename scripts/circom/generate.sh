#!/usr/bin/env bash
# Makes the circom test data that stateproof's interop tests read, with the
# pinned circom2 (circom 2 compiled to WebAssembly) and snarkjs:
#   preimage.circom  ->  .r1cs and witness generator (circom2)
#   input.json       ->  .wtns                        (snarkjs wtns calculate)
#   a small Powers of Tau (2^POWER, two contributions, fixed entropy) and a
#   Groth16 phase 2 with one contribution -> .zkey, verification_key.json
#   snarkjs's own proof of the same witness -> snarkjs_public.json
# Usage: scripts/circom/generate.sh [ROUNDS POWER OUTDIR]
#   defaults: 2 rounds, 2^12, prover/testdata/circom (the committed set);
#   the second committed set (the circom service tests use two zkeys) is
#   `generate.sh 1 10 prover/testdata/circom/one-round`
# The committed set is tiny (under 1,000 constraints). For the side-by-side
# benchmark, e.g. 260 rounds and 2^16 give about 62,000 constraints.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-2}
power=${2:-12}
out=$(realpath -m "${3:-$here/../../prover/testdata/circom}")
cd "$here"
[ -x node_modules/.bin/circom2 ] || npm ci --no-audit --no-fund >/dev/null
snarkjs="node $here/node_modules/snarkjs/build/cli.cjs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s/ROUNDS/$rounds/" preimage.circom > "$work/preimage.circom"
# circom2 runs under WASI and reads only below its working directory.
mkdir "$work/circomlib" && cp node_modules/circomlib/circuits/*.circom "$work/circomlib/"
(cd "$work" && node "$here/node_modules/.bin/circom2" preimage.circom --r1cs --wasm -o . >/dev/null)
echo '{"a": "12345678901234567", "b": "987654321987654321987654321"}' > "$work/input.json"
$snarkjs wtns calculate "$work/preimage_js/preimage.wasm" "$work/input.json" "$work/preimage.wtns"
$snarkjs powersoftau new bn128 "$power" "$work/pot_0.ptau" >/dev/null
$snarkjs powersoftau contribute "$work/pot_0.ptau" "$work/pot_1.ptau" --name=one -e="stateproof test tau 1" >/dev/null
$snarkjs powersoftau contribute "$work/pot_1.ptau" "$work/pot_2.ptau" --name=two -e="stateproof test tau 2" >/dev/null
$snarkjs powersoftau prepare phase2 "$work/pot_2.ptau" "$work/pot_final.ptau" >/dev/null
$snarkjs groth16 setup "$work/preimage.r1cs" "$work/pot_final.ptau" "$work/preimage_0.zkey" >/dev/null
$snarkjs zkey contribute "$work/preimage_0.zkey" "$work/preimage.zkey" --name=phase2 -e="stateproof test phase 2" > "$work/contribute.log" || { cat "$work/contribute.log"; exit 1; }
$snarkjs zkey export verificationkey "$work/preimage.zkey" "$work/verification_key.json" >/dev/null
$snarkjs groth16 prove "$work/preimage.zkey" "$work/preimage.wtns" "$work/snarkjs_proof.json" "$work/snarkjs_public.json"
$snarkjs groth16 verify "$work/verification_key.json" "$work/snarkjs_public.json" "$work/snarkjs_proof.json" >/dev/null
mkdir -p "$out"
cp "$work/preimage.r1cs" "$work/preimage.wtns" "$work/preimage.zkey" "$work/verification_key.json" \
   "$work/snarkjs_public.json" "$work/input.json" "$out/"
$snarkjs r1cs info "$out/preimage.r1cs" | sed 's/\x1b\[[0-9;]*m//g; s/^\[INFO\] *snarkJS: //' > "$out/r1cs_info.txt"
echo "wrote $out (rounds $rounds, 2^$power Powers of Tau); $(grep -i 'constraints' "$out/r1cs_info.txt")"
