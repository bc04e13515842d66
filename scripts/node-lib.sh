# Sourced by the scripts that run a throwaway node (api-fuzz.sh,
# node-bench.sh, snarkjs-verify.sh): a scratch directory `$work` removed on exit, and
# `start_node BIN DATA [node run options...]`, which starts the node on a
# free port, waits until it answers and sets `$url` and `$node_pid` (the
# node is stopped on exit; its log is `$work/node.log`).
work=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_node() {
  local bin=$1 data=$2 port
  shift 2
  # Port 0 is not offered by `node run`: pick a free one.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  url="http://127.0.0.1:$port"
  "$bin" node run --data "$data" --listen "127.0.0.1:$port" "$@" >"$work/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 600); do
    curl -fs "$url/v1/status" >/dev/null 2>&1 && return 0
    kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log" >&2; return 1; }
    sleep 0.1
  done
  echo "the node did not answer on $url within 60 s (log: $work/node.log)" >&2
  return 1
}
