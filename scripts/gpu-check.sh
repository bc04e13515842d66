#!/usr/bin/env bash
# The GPU measurement, prepared here and run in one call on a GPU host that
# has no Rust toolchain and no network.
#
#   scripts/gpu-check.sh prepare [--debug]
#       Here: builds the stateproof binary and the GPU test binaries of
#       stateproof-kernels and stateproof-prover (release, those two crates'
#       library tests alone; --debug takes the test profile that
#       `cargo test --workspace` already built, as CI does), downloads the
#       Vulkan loader packages a bare host lacks, and packs everything into
#       target/gpu-check/ (ignored by git, well under the 64 MiB a device
#       call carries).
#   scripts/gpu-check.sh run [--quick] OUTDIR
#       There (carry target/gpu-check): unpacks the loaders when the host
#       has no libvulkan, records the host and its adapters, runs
#       `stateproof bench` with the GPU, the CPU backend and arkworks
#       interleaved (its report rewritten after every repetition, so a cut
#       run leaves its figures), then the GPU tests with
#       STATEPROOF_REQUIRE_GPU=1 (a missing adapter fails them). Each phase
#       runs under a time limit, so one that hangs cannot take the others'
#       time. Everything lands in OUTDIR as at most 7 flat files.
#       --quick: small sizes and a test subset, for the software driver
#       here and for CI, so the script cannot rot.
#
# Sizes of the full run (override through the environment):
#   GPU_CHECK_SIZES  MSM/NTT log2 sizes   (default 16,18,20,22)
#   GPU_CHECK_SLOTS  proof slots, depth 16 (default 11,45: about 2^18 and
#                    2^20 constraints)
#   GPU_CHECK_REPS   repetitions           (default 3)
# and the phases' limits in seconds: GPU_CHECK_BENCH_S (default 330),
# GPU_CHECK_TESTS_S (default 90, for each of the two test binaries).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pack="$root/target/gpu-check"

die() {
  echo "gpu-check: $*" >&2
  exit 1
}

# The executables of the library tests of stateproof-kernels and
# stateproof-prover, built as `cargo test --workspace` builds them (the same
# features, so CI's build is reused), one per line in that order.
test_binaries() {
  local select=(--workspace)
  [ "${1:-}" = "--release" ] && select=(-p stateproof-kernels -p stateproof-prover --lib)
  (cd "$root" && cargo test "$@" "${select[@]}" --no-run --message-format=json 2>/dev/null) |
    python3 -c '
import json, sys
found = {}
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["profile"]["test"] and m["target"]["kind"] == ["lib"]:
        found[m["target"]["name"]] = m["executable"]
for name in ("stateproof_kernels", "stateproof_prover"):
    print(found.get(name, ""))
'
}

prepare() {
  local profile=(--release) bin_dir=release
  if [ "${1:-}" = "--debug" ]; then
    profile=()
    bin_dir=debug
  fi
  command -v python3 >/dev/null || die "python3 is needed to read cargo's output"
  (cd "$root" && cargo build "${profile[@]}" -p stateproof)
  local kernels prover
  { read -r kernels; read -r prover; } < <(test_binaries "${profile[@]}")
  [ -x "$kernels" ] || die "no test binary found for stateproof-kernels"
  [ -x "$prover" ] || die "no test binary found for stateproof-prover"
  rm -rf "$pack"
  mkdir -p "$pack/stage" "$pack/gl"
  cp "$root/target/$bin_dir/stateproof" "$pack/stage/stateproof"
  cp "$kernels" "$pack/stage/kernels-tests"
  cp "$prover" "$pack/stage/prover-tests"
  git -C "$root" describe --always --dirty >"$pack/stage/commit" 2>/dev/null || echo unknown >"$pack/stage/commit"
  tar -czf "$pack/bin.tar.gz" -C "$pack/stage" stateproof kernels-tests prover-tests commit
  rm -rf "$pack/stage"
  # The loaders a bare GPU host lacks: Debian's packages, unpacked there.
  command -v apt-get >/dev/null || die "apt-get is needed to download the Vulkan loader packages"
  local lists
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  apt-get "${o[@]}" update -qq >/dev/null 2>&1 || die "apt-get update failed (no network?)"
  (cd "$pack/gl" && apt-get "${o[@]}" download -qq \
    libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null) ||
    die "downloading the loader packages failed"
  rm -rf "$lists"
  echo "gpu-check: packed $(du -sh "$pack" | cut -f1) into $pack" \
    "(carry target/gpu-check; run scripts/gpu-check.sh run OUTDIR there)"
}

run() {
  local quick=0
  if [ "${1:-}" = "--quick" ]; then
    quick=1
    shift
  fi
  local out=${1:-}
  [ -n "$out" ] || die "usage: scripts/gpu-check.sh run [--quick] OUTDIR"
  [ -f "$pack/bin.tar.gz" ] || die "$pack/bin.tar.gz is missing: run scripts/gpu-check.sh prepare first"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local bin
  bin=$(mktemp -d)
  tar -xzf "$pack/bin.tar.gz" -C "$bin"
  # The commit the binaries were built from (the host has no repository).
  STATEPROOF_COMMIT=$(cat "$bin/commit")
  export STATEPROOF_COMMIT
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    [ "$(id -u)" = 0 ] || die "no Vulkan loader here and not root to unpack one"
    for f in "$pack"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local nvidia=/usr/local/nvidia/share
  if [ -f "$nvidia/vulkan/icd.d/nvidia_icd.json" ]; then
    export VK_DRIVER_FILES="$nvidia/vulkan/icd.d/nvidia_icd.json"
    export __EGL_VENDOR_LIBRARY_FILENAMES="$nvidia/glvnd/egl_vendor.d/10_nvidia.json"
  fi
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "built from: $STATEPROOF_COMMIT"
    echo "cpu cores: $(nproc)"
    grep -m1 'model name' /proc/cpuinfo || true
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    echo
    "$bin/stateproof" devices
  } >"$out/host.txt" 2>&1 || die "no adapter listed (see $out/host.txt)"

  export STATEPROOF_REQUIRE_GPU=1
  # The bench's log says, with timestamps, which step and case it is in.
  export STATEPROOF_PROGRESS=lines
  local kernel_filter=(gpu::) prover_filter=(gpu)
  local sizes=${GPU_CHECK_SIZES:-16,18,20,22} slots=${GPU_CHECK_SLOTS:-11,45} reps=${GPU_CHECK_REPS:-3}
  if [ "$quick" = 1 ]; then
    kernel_filter=(field_ops_match_arkworks ntt_matches_ark_poly_from_2_to_2_16 gpu_decomposition_equals_the_cpu_twin)
    prover_filter=(gpu_proofs_with_precomputed_bases_equal_cpu_proofs)
    sizes=10,12 slots=1 reps=1
  fi
  local bench_s=${GPU_CHECK_BENCH_S:-330} tests_s=${GPU_CHECK_TESTS_S:-90}
  local status=0
  # The figures first: the bench checks every GPU result against arkworks
  # before timing it, and writes its report into OUTDIR as it goes.
  (cd "$bin" && timeout -k 5 "$bench_s" ./stateproof bench --sizes "$sizes" --proof-slots "$slots" \
    --reps "$reps" --out "$out") >"$out/bench.log" 2>&1 || {
    echo "gpu-check: the bench failed or ran past ${bench_s} s (bench.log)" >&2
    status=1
  }
  (cd "$bin" && timeout -k 5 "$tests_s" ./kernels-tests "${kernel_filter[@]}") \
    >"$out/kernel-tests.log" 2>&1 || status=1
  (cd "$bin" && timeout -k 5 "$tests_s" ./prover-tests "${prover_filter[@]}") \
    >"$out/prover-tests.log" 2>&1 || status=1
  [ "$status" = 0 ] || echo "gpu-check: something failed or ran past its limit (see the logs)" >&2
  rm -rf "$bin"
  tail -n 3 "$out/kernel-tests.log" "$out/prover-tests.log" "$out/bench.log"
  [ -f "$out/report.md" ] && cat "$out/report.md"
  [ "$status" = 0 ] || die "something failed: see the logs in $out"
  echo "gpu-check: done; host.txt, the test logs and report.md/json/plot.svg are in $out"
}

case "${1:-}" in
  prepare) shift && prepare "$@" ;;
  run) shift && run "$@" ;;
  *) die "usage: scripts/gpu-check.sh prepare [--debug] | run [--quick] OUTDIR" ;;
esac
