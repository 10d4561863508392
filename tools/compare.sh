#!/usr/bin/env bash
# twopc against the PostgreSQL two-phase-commit reference, on the standard
# workload (../shared/bench/WORKLOAD.md), in one invocation on one machine:
# N rounds, each `build/bin/txbench --local` then `../shared/peers/pg2pc/run`
# with the same P K C T. Prints every JSON line as it comes, then the medians
# of tps and p99_us per system and the ratios twopc / postgres.
#
#   tools/compare.sh [--rounds N] [--participants P] [--accounts K] [--clients C] [--seconds T]
#
# Exit status: 0 if every run succeeded with invariant_ok, 1 otherwise, 2 on bad usage.
# PG2PC_RUN overrides the path of the reference's `run` script.
set -euo pipefail

ROUNDS=3 P=3 K=1000 C=16 T=10
usage() {
  echo "usage: $0 [--rounds N] [--participants P] [--accounts K] [--clients C] [--seconds T]" >&2
  exit 2
}
posint() { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "$1 needs a positive integer" >&2; usage; }; }
while (($#)); do
  case $1 in
    --rounds)       posint "$1" "${2:-}"; ROUNDS=$2; shift 2 ;;
    --participants) posint "$1" "${2:-}"; P=$2; shift 2 ;;
    --accounts)     posint "$1" "${2:-}"; K=$2; shift 2 ;;
    --clients)      posint "$1" "${2:-}"; C=$2; shift 2 ;;
    --seconds)      posint "$1" "${2:-}"; T=$2; shift 2 ;;
    -h | --help)    usage ;;
    *) echo "unknown argument '$1'" >&2; usage ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
TXBENCH=$BUILD/bin/txbench
PEER=${PG2PC_RUN:-$ROOT/../shared/peers/pg2pc/run}
[[ -x $PEER ]] || { echo "compare.sh: the reference is not at $PEER" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed" >&2; exit 1; }

# Bring the programs up to date (a stale build would measure old code).
echo "compare.sh: building txbench txpart txcoord" >&2
[[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build "$BUILD" -j2 --target txbench txpart txcoord >&2

LINES=$(mktemp /tmp/compare.XXXXXX)
trap 'rm -f "$LINES"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ARGS=(--participants "$P" --accounts "$K" --clients "$C" --seconds "$T")
failed=0
# run NAME COMMAND...: runs one benchmark, prints and keeps its JSON line.
run() {
  local name=$1 out rc=0
  shift
  out=$("$@" --json-only "${ARGS[@]}") || rc=$?
  local line
  line=$(printf '%s\n' "$out" | grep '^{' | tail -n 1 || true)
  if [[ -z $line ]]; then
    echo "compare.sh: $name printed no JSON line (exit $rc)" >&2
    failed=1
    return
  fi
  echo "$line"
  echo "$line" >>"$LINES"
  if ((rc != 0)); then
    echo "compare.sh: $name exited $rc" >&2
    failed=1
  fi
}

echo "compare.sh: $ROUNDS rounds, P=$P K=$K C=$C T=$T" >&2
for ((round = 1; round <= ROUNDS; round++)); do
  echo "compare.sh: round $round/$ROUNDS: twopc" >&2
  run twopc "$TXBENCH" --local
  echo "compare.sh: round $round/$ROUNDS: postgres" >&2
  run postgres "$PEER"
done

python3 - "$LINES" <<'EOF' || failed=1
import json, statistics, sys

runs = {"twopc": [], "postgres-2pc": []}
for line in open(sys.argv[1]):
    report = json.loads(line)
    runs.setdefault(report["system"], []).append(report)

def median(system, field):
    values = [r[field] for r in runs[system] if field in r]
    return statistics.median(values) if values else None

ok = True
print()
print(f"{'system':<14}{'runs':>5}{'tps':>10}{'p50_us':>10}{'p99_us':>10}{'max_us':>10}"
      f"{'fdatasync_us':>14}  invariant")
for system in ("twopc", "postgres-2pc"):
    reports = runs[system]
    if not reports:
        print(f"{system:<14}{0:>5}  (no successful run)")
        ok = False
        continue
    invariant = all(r.get("invariant_ok") for r in reports)
    ok = ok and invariant
    print(f"{system:<14}{len(reports):>5}{median(system, 'tps'):>10.1f}"
          f"{median(system, 'p50_us'):>10.0f}{median(system, 'p99_us'):>10.0f}"
          f"{median(system, 'max_us'):>10.0f}{median(system, 'fdatasync_us'):>14.0f}"
          f"  {'ok' if invariant else 'BROKEN'}")
print("(medians over the rounds)")
if runs["twopc"] and runs["postgres-2pc"]:
    tps = median("twopc", "tps") / median("postgres-2pc", "tps")
    p99 = median("twopc", "p99_us") / median("postgres-2pc", "p99_us")
    print(f"twopc/postgres: tps x{tps:.2f}, p99 x{p99:.2f}")
if runs["twopc"] and all(r.get("clients") == 1 for r in runs["twopc"]):
    # The 1-client yardstick: p50 against the sync floors and the commit floor
    # (see the README).
    p50 = median("twopc", "p50_us")
    floors = [(field, median("twopc", field))
              for field in ("fdatasync_us", "wal_fdatasync_us", "commit_floor_us")]
    print("twopc p50 / " + ", / ".join(f"{field} ({value:.0f}): x{p50 / value:.2f}"
                                       for field, value in floors if value and value > 0))
    # The same per round (p50 and the probes of one run), and their medians.
    per_round = {field: [r["p50_us"] / r[field] for r in runs["twopc"] if r.get(field, -1) > 0]
                 for field, _ in floors}
    print("per round: " + "; ".join(
        f"/ {field} " + " ".join(f"x{ratio:.2f}" for ratio in ratios) +
        f" (median x{statistics.median(ratios):.2f})"
        for field, ratios in per_round.items() if ratios))
sys.exit(0 if ok else 1)
EOF
exit "$failed"
