#!/usr/bin/env bash
# Builds the contracts the EVM test (tests/evm.rs) deploys, for the circom
# test key (prover/testdata/circom): stateproof's verifier
# (`stateproof export solidity`) and snarkjs's (`snarkjs zkey export
# solidityverifier`), both compiled by the pinned solc-js with the optimiser
# (200 runs). Commits nothing by itself: it writes tests/evm/.
# Usage: scripts/evm/build.sh PATH/TO/stateproof
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root="$here/../.."
out="$root/tests/evm"
[ -x "$here/node_modules/.bin/solcjs" ] || (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
[ -f "$root/scripts/circom/node_modules/snarkjs/build/cli.cjs" ] ||
  (cd "$root/scripts/circom" && npm ci --no-audit --no-fund >/dev/null)
snarkjs="$root/scripts/circom/node_modules/snarkjs/build/cli.cjs"
circom="$root/prover/testdata/circom"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
"$bin" export solidity --vk "$circom/verification_key.json" --name StateproofVerifier \
  --out "$out/StateproofVerifier.sol" >/dev/null
node "$snarkjs" zkey export solidityverifier "$circom/preimage.zkey" "$out/SnarkjsVerifier.sol" >/dev/null
cd "$out"
for c in StateproofVerifier SnarkjsVerifier; do
  node "$here/node_modules/.bin/solcjs" --bin --optimize --optimize-runs 200 -o "$work" "$c.sol" >/dev/null
done
cp "$work/StateproofVerifier_sol_StateproofVerifier.bin" StateproofVerifier.bin
cp "$work/SnarkjsVerifier_sol_Groth16Verifier.bin" SnarkjsVerifier.bin
node "$here/node_modules/.bin/solcjs" --version > SOLC_VERSION
echo "wrote $out: $(ls | tr '\n' ' ')"
