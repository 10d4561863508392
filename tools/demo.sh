#!/usr/bin/env bash
# The twopc demo: builds the programs, starts a cluster on 127.0.0.1 (one
# txcoord, three txpart agents, each beside its own SQLite bank database),
# runs a few hundred transfers between random participants, some of which
# must abort on the CHECK (balance >= 0) constraint, prints what happened and
# checks that the total balance did not change. Stops everything it started.
#
# Knobs (environment): TRANSFERS (300), PARALLEL (4), ACCOUNTS (100),
# BUILD_DIR (build under the repository root).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-$root/build}"
transfers="${TRANSFERS:-300}"
parallel="${PARALLEL:-4}"
accounts="${ACCOUNTS:-100}"
participants=3
initial_balance=1000
overdraft=5000 # more than any account can hold here: must abort

say() { printf '\n== %s\n' "$*"; }

say "Installing what is missing and building txcoord, txpart, txctl"
bash tools/install_deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j2 --target txcoord txpart txctl
bin="$build_dir/bin"

work="$(mktemp -d "${TMPDIR:-/tmp}/twopc-demo.XXXXXX")"
pids=()
names=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${#pids[@]}" -gt 0 ]; then
    say "Stopping ${#pids[@]} processes"
    local pid i
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in "${!pids[@]}"; do
      pid="${pids[$i]}"
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "${names[$i]} (pid $pid) ignored SIGTERM: killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      wait "$pid" 2>/dev/null || true
    done
  fi
  if [ "$rc" -ne 0 ]; then
    local log
    for log in "$work"/*.log; do
      [ -f "$log" ] || continue
      echo "--- last lines of $(basename "$log"):"
      tail -n 20 "$log"
    done
    echo "demo FAILED (exit $rc)"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ports: random ones in 20000-29999 that no socket on this machine uses.
used_ports() {
  local file
  for file in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$file" ] || continue
    tail -n +2 "$file" | while read -r _ local_address _; do
      echo $((16#${local_address##*:}))
    done
  done
}
taken=" $(used_ports | tr '\n' ' ') "
pick_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 10000))
    case "$taken" in *" $port "*) continue ;; esac
    taken="$taken$port "
    echo "$port"
    return
  done
}

coordinator_port="$(pick_port)"
coordinator="127.0.0.1:$coordinator_port"
participant_addresses=()
for ((i = 0; i < participants; i++)); do
  participant_addresses+=("127.0.0.1:$(pick_port)")
done

say "Creating $participants bank databases ($accounts accounts of $initial_balance each) in $work"
for ((i = 0; i < participants; i++)); do
  sqlite3 "$work/p$i.db" "
    CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
    WITH RECURSIVE ids(id) AS (SELECT 0 UNION ALL SELECT id + 1 FROM ids WHERE id + 1 < $accounts)
    INSERT INTO accounts SELECT id, $initial_balance FROM ids;"
done

start() { # NAME PROGRAM ARGS...: runs it in the background, output in $work/NAME.log
  local name="$1"
  shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
  echo "started $name (pid $!): $*"
}

say "Starting the cluster"
coordinator_args=(--listen "$coordinator" --wal-dir "$work/coordinator-wal")
for ((i = 0; i < participants; i++)); do
  mkdir -p "$work/p$i-wal"
  start "p$i" "$bin/txpart" --name "p$i" --listen "${participant_addresses[$i]}" \
    --db "$work/p$i.db" --wal-dir "$work/p$i-wal" --coordinator "$coordinator"
  coordinator_args+=(--participant "p$i=${participant_addresses[$i]}")
done
mkdir -p "$work/coordinator-wal"
start coordinator "$bin/txcoord" "${coordinator_args[@]}"

txctl() { "$bin/txctl" "$@"; }

# Waits (at most 30 s) until every process answers health.
serving() {
  txctl --coordinator "$coordinator" health >/dev/null 2>&1 || return 1
  local address
  for address in "${participant_addresses[@]}"; do
    txctl --participant "$address" health >/dev/null 2>&1 || return 1
  done
}
for attempt in $(seq 300); do
  serving && break
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} exited during start-up" >&2
      exit 1
    fi
  done
  if [ "$attempt" -eq 300 ]; then
    echo "the cluster did not answer health within 30 s" >&2
    exit 1
  fi
  sleep 0.1
done
txctl --coordinator "$coordinator" health
for address in "${participant_addresses[@]}"; do txctl --participant "$address" health; done

sums() { # one line: the SUM(balance) of each participant, space-separated
  local address line=""
  for address in "${participant_addresses[@]}"; do
    line="$line $(txctl --participant "$address" query 'SELECT SUM(balance) FROM accounts')"
  done
  echo "$line"
}
read -r -a before <<<"$(sums)"

# The plan: one line per transfer, "N FROM TO ACCOUNT_A ACCOUNT_B AMOUNT".
# Every 10th transfer moves more than any account holds.
mkdir -p "$work/results"
for ((n = 1; n <= transfers; n++)); do
  from=$((RANDOM % participants))
  to=$(((from + 1 + RANDOM % (participants - 1)) % participants))
  amount=$((1 + RANDOM % 10))
  if ((n % 10 == 0)); then amount=$overdraft; fi
  echo "$n $from $to $((RANDOM % accounts)) $((RANDOM % accounts)) $amount"
done >"$work/plan"

# One transfer: writes "EXIT_CODE AMOUNT OUTPUT" to results/N.
transfer() {
  local n="$1" from="$2" to="$3" a="$4" b="$5" amount="$6" output rc=0
  output="$("$TWOPC_BIN/txctl" --coordinator "$TWOPC_COORDINATOR" exec \
    --branch "p$from:UPDATE accounts SET balance = balance - $amount WHERE id = $a" \
    --branch "p$to:UPDATE accounts SET balance = balance + $amount WHERE id = $b" 2>&1)" || rc=$?
  echo "$rc $amount ${output//$'\n'/ | }" >"$TWOPC_RESULTS/$n"
}
export -f transfer
export TWOPC_BIN="$bin" TWOPC_COORDINATOR="$coordinator" TWOPC_RESULTS="$work/results"

say "Running $transfers transfers, $parallel at a time (every 10th moves $overdraft: must abort)"
started_at=$(date +%s.%N)
xargs -P "$parallel" -L 1 bash -c 'transfer "$@"' _ <"$work/plan"
finished_at=$(date +%s.%N)
cat "$work"/results/* >"$work/results.txt"
read -r -a after <<<"$(sums)"

committed=$(awk '$1 == 0' "$work/results.txt" | wc -l)
aborted=$(awk '$1 == 1' "$work/results.txt" | wc -l)
failed=$(awk '$1 != 0 && $1 != 1' "$work/results.txt" | wc -l)
overdrafts=$(awk -v o="$overdraft" '$2 == o' "$work/results.txt" | wc -l)
overdrafts_aborted=$(awk -v o="$overdraft" '$2 == o && $1 == 1' "$work/results.txt" | wc -l)
other_aborts=$(awk -v o="$overdraft" '$2 != o && $1 == 1' "$work/results.txt" | wc -l)

say "What happened"
echo "transfers:  $transfers in $(awk -v s="$started_at" -v e="$finished_at" 'BEGIN { printf "%.1f", e - s }') s"
echo "committed:  $committed"
echo "aborted:    $aborted ($overdrafts_aborted of $overdrafts overdrafts, $other_aborts others)"
echo "errors:     $failed"
echo "a commit:   $(awk '$1 == 0 { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$work/results.txt")"
echo "an abort:   $(awk -v o="$overdraft" '$1 == 1 && $2 == o { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$work/results.txt")"
if [ "$other_aborts" -gt 0 ]; then
  echo "other abort: $(awk -v o="$overdraft" '$1 == 1 && $2 != o { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$work/results.txt")"
fi

say "Balances (sum per participant)"
printf '%-12s %12s %12s\n' participant before after
total_before=0
total_after=0
for ((i = 0; i < participants; i++)); do
  printf '%-12s %12s %12s\n' "p$i" "${before[$i]}" "${after[$i]}"
  total_before=$((total_before + before[i]))
  total_after=$((total_after + after[i]))
done
printf '%-12s %12s %12s\n' total "$total_before" "$total_after"

ok=1
if [ "$total_before" -ne "$total_after" ]; then
  echo "FAIL: the total balance changed by $((total_after - total_before))"
  ok=0
fi
if [ "$total_before" -ne $((participants * accounts * initial_balance)) ]; then
  echo "FAIL: the databases did not start with $((participants * accounts * initial_balance))"
  ok=0
fi
if [ "$overdrafts_aborted" -ne "$overdrafts" ]; then
  echo "FAIL: $((overdrafts - overdrafts_aborted)) overdrafts did not abort"
  ok=0
fi
if [ "$committed" -eq 0 ]; then
  echo "FAIL: no transfer committed"
  ok=0
fi
if [ "$failed" -gt 0 ]; then
  echo "FAIL: $failed transfers ended in an error, e.g.:"
  awk '$1 != 0 && $1 != 1' "$work/results.txt" | head -n 3
  ok=0
fi
if [ "$ok" -ne 1 ]; then exit 1; fi
echo
echo "OK: every transfer committed on both sides or on neither; total balance unchanged ($total_after)"
