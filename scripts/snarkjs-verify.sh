#!/usr/bin/env bash
# Proves a small transfer batch with stateproof, exports it in snarkjs's
# formats, and has snarkjs (an external verifier, pinned) check it: the
# proof must verify, and must fail once a public input is changed.
# Usage: scripts/snarkjs-verify.sh PATH/TO/stateproof
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
snarkjs="$here/vectors/node_modules/snarkjs/build/cli.cjs"
if [ ! -f "$snarkjs" ]; then
  (cd "$here/vectors" && npm install --no-save --no-audit --no-fund snarkjs@0.7.6 >/dev/null)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
