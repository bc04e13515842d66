#!/usr/bin/env bash
# Fuzzes a running node's HTTP API against its own OpenAPI description with
# schemathesis: no 5xx, every response in the status codes and shapes the
# description declares, schema-valid requests accepted and invalid ones
# refused. The node is given a proven update first, and two validators
# that make it final, so the update, account, header and finality routes
# answer with data, not only 404s.
# Usage: scripts/api-fuzz.sh PATH/TO/stateproof [MAX_EXAMPLES]
set -euo pipefail
bin=$(realpath "$1")
examples=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
command -v schemathesis >/dev/null || {
  echo "api-fuzz: schemathesis is not installed (pip install schemathesis)" >&2
  exit 1
}
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"

"$bin" node init --data "$work/node" --depth 8 --slots 2 --fund-sample 4 --validators 2 >/dev/null 2>&1
start_node "$bin" "$work/node" --batch-age 200ms
validators=()
for i in 0 1; do
  "$bin" validator run --node "$url" --key "$work/node/validator-keys/validator-$i.key" \
    --state "$work/validator-$i.json" --genesis "$work/node/genesis.json" >"$work/validator-$i.log" 2>&1 &
  validators+=($!)
done
trap 'kill "${validators[@]}" 2>/dev/null; cleanup' EXIT
# A proven transfer: its id is handed to schemathesis (scripts/schemathesis.toml
# reads STATEPROOF_FUZZ_TX) so GET /v1/transactions/{id} is tried on a real one.
STATEPROOF_FUZZ_TX=$("$bin" send --json --node "$url" --key "$work/node/sample-keys/account-0.key" \
  --from 0 --to 1 --amount 5 --wait 120s | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
export STATEPROOF_FUZZ_TX
for _ in $(seq 600); do
  curl -fs "$url/v1/finality/1" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$url/v1/finality/1" >/dev/null || { echo "api-fuzz: update 1 did not become final" >&2; exit 1; }
# A zkey and a proof request of the circom service, likewise.
circom="$here/../prover/testdata/circom"
"$bin" groth16 prove "$circom/preimage.zkey" "$circom/preimage.wtns" "$work/proof.json" "$work/public.json" \
  --node "$url" --json > "$work/circom.json"
STATEPROOF_FUZZ_ZKEY=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["key"])' "$work/circom.json")
STATEPROOF_FUZZ_PROOF=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["request"])' "$work/circom.json")
export STATEPROOF_FUZZ_ZKEY STATEPROOF_FUZZ_PROOF

# Run from the scratch directory: schemathesis keeps a cache in its
# working directory.
cd "$work"
schemathesis --config-file "$here/schemathesis.toml" run "$url/openapi.json" \
  --max-examples "$examples" --seed 1 --no-color
kill -0 "$node_pid" || { echo "api-fuzz: the node died under fuzzing" >&2; cat "$work/node.log" >&2; exit 1; }
echo "api-fuzz: the node answered every request as its description says"
