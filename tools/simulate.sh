#!/usr/bin/env bash
# Runs the deterministic simulation (tests/sim) over many seeds: a whole
# cluster (coordinator core, agents, SQLite, WALs over a fault-injecting Env)
# on simulated time and network, with crashes, partitions, loss and
# duplication, checked for atomicity and durability after each schedule.
#
#   tools/simulate.sh [--seeds N] [--first S] [--bug none|sync_lies|abort_live_inquiry]
#                     [--build-dir DIR]
#
# Prints each failing seed with the command that replays it (with its trace)
# and a summary line: schedules, transactions, transactions per CPU second,
# schedules per minute. Exit status 0 when every schedule passed, 1 otherwise,
# 2 on bad usage.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds=1000
first=1
bug=none
build_dir="$root/build"
usage() {
  echo "usage: tools/simulate.sh [--seeds N] [--first S] [--bug NAME] [--build-dir DIR]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; seeds=$2; shift 2 ;;
    --first) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; first=$2; shift 2 ;;
    --bug) [ -n "${2:-}" ] || usage; bug=$2; shift 2 ;;
    --build-dir) [ -n "${2:-}" ] || usage; build_dir=$2; shift 2 ;;
    *) usage ;;
  esac
done

[ -f "$build_dir/CMakeCache.txt" ] ||
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build "$build_dir" -j2 --target twopc_sim_main >&2
exec "$build_dir/tests/twopc_sim" --seed "$first" --seeds "$seeds" --bug "$bug"
