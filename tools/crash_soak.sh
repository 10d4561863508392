#!/usr/bin/env bash
# The randomized crash test, run long: concurrent bank transfers through a real
# cluster (txcoord + three txpart) while processes are SIGKILLed and restarted
# at random, then every transfer checked against the databases.
#
#   tools/crash_soak.sh [--seconds N] [--seed N] [--rounds N] [--clients N]
#                       [--build-dir DIR] [--no-build]
#
# Each round is a fresh cluster run for N seconds with seed S, S+1, ... and
# prints one line: seed, crashes, transactions (committed / aborted / unknown /
# not sent) and violations. Exits non-zero if any round found a violation or
# failed. Rerun one round with the seed it printed. --no-build runs the
# programs already built in DIR (default build) without rebuilding them.
set -euo pipefail

seconds=300
seed=""
rounds=1
clients=4
build_dir=build
build=1

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:?}"; shift 2 ;;
    --seed) seed="${2:?}"; shift 2 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --clients) clients="${2:?}"; shift 2 ;;
    --build-dir) build_dir="${2:?}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    *) echo "crash_soak: unknown argument '$1'" >&2; usage ;;
  esac
done
for number in "$seconds" "$rounds" "$clients" ${seed:+"$seed"}; do
  [[ "$number" =~ ^[0-9]+$ ]] || { echo "crash_soak: '$number' is not a number" >&2; exit 2; }
done
[[ -n "$seed" ]] || seed=$(( $(date +%s) % 1000000 ))

cd "$(dirname "$0")/.."
if [[ $build -eq 1 ]]; then
  cmake --build "$build_dir" -j2 --target crash_random_test txpart txcoord txctl >/dev/null
fi
# Run private copies, so that a rebuild in the shared build directory during a
# long run cannot pull the programs from under it.
bin_dir=$(mktemp -d "${TMPDIR:-/tmp}/crash_soak_bin.XXXXXX")
trap 'rm -rf "$bin_dir"' EXIT
cp "$build_dir/bin/txpart" "$build_dir/bin/txcoord" "$build_dir/bin/txctl" \
  "$build_dir/tests/crash_random_test" "$bin_dir/"

failed=0
total_crashes=0
total_transactions=0
total_violations=0
for (( round = 0; round < rounds; round++ )); do
  round_seed=$(( seed + round ))
  log=$(mktemp "${TMPDIR:-/tmp}/crash_soak.XXXXXX")
  status=0
  TWOPC_BIN_DIR="$bin_dir" TWOPC_CRASH_SEED="$round_seed" \
    TWOPC_CRASH_SECONDS="$seconds" TWOPC_CRASH_CLIENTS="$clients" \
    "$bin_dir/crash_random_test" --gtest_filter='CrashRandomTest.*' >"$log" 2>&1 ||
    status=$?
  summary=$(grep -E '^crash_random: .*violations=' "$log" | tail -1 || true)
  if [[ -z "$summary" ]]; then
    echo "round $round seed=$round_seed: no result (exit $status); log kept at $log"
    failed=1
    continue
  fi
  echo "round $round ${summary#crash_random: }"
  crashes=$(sed -E 's/.* crashes=([0-9]+).*/\1/' <<<"$summary")
  transactions=$(sed -E 's/.* transactions=([0-9]+).*/\1/' <<<"$summary")
  violations=$(sed -E 's/.* violations=([0-9]+).*/\1/' <<<"$summary")
  total_crashes=$(( total_crashes + crashes ))
  total_transactions=$(( total_transactions + transactions ))
  total_violations=$(( total_violations + violations ))
  if [[ $status -ne 0 ]]; then
    grep -E 'VIOLATION|Failure|chaos:' "$log" | head -40 || true
    echo "round $round failed (exit $status); log kept at $log"
    failed=1
  else
    rm -f "$log"
  fi
done

echo "crash_soak: rounds=$rounds seconds_per_round=$seconds first_seed=$seed" \
  "crashes=$total_crashes transactions=$total_transactions violations=$total_violations"
[[ $failed -eq 0 && $total_violations -eq 0 ]]
