#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-14 with ASan+UBSan) and runs
# each for SECONDS (default 60) from its seed corpus, failing on any crash,
# leak, timeout or broken invariant. Works from any directory.
#   tools/fuzz.sh [SECONDS] [TARGET...]      e.g. tools/fuzz.sh 600 wal_reader_fuzzer
# FUZZ_BUILD_DIR (default build-fuzz) picks the build tree. New inputs go to a
# temporary directory, never into tests/fuzz/corpus; a failing input is kept in
# $FUZZ_BUILD_DIR/fuzz-artifacts/ (add it to the corpus as regression-NAME
# once fixed). tools/fuzz.sh --make-corpus regenerates the seed corpus.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
all_targets=(wal_reader_fuzzer participant_records_fuzzer coordinator_records_fuzzer
             changeset_fuzzer participant_rpc_fuzzer coordinator_rpc_fuzzer)

make_corpus=0
if [ "${1:-}" = "--make-corpus" ]; then
  make_corpus=1
  shift
fi
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: tools/fuzz.sh [--make-corpus] [SECONDS] [TARGET...]" >&2
  exit 2
fi
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")

bash tools/install_deps.sh
# A tree already configured for fuzzing keeps its options (CI builds the test
# suite in the same tree: FUZZ=ON tools/test.sh).
if ! grep -qs '^TWOPC_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DTWOPC_FUZZ=ON -DTWOPC_BUILD_TESTS=OFF >/dev/null
fi
if [ "$make_corpus" -eq 1 ]; then
  cmake --build "$build_dir" -j2 --target fuzz_make_corpus
  "$build_dir/fuzz/fuzz_make_corpus" tests/fuzz/corpus
  echo "fuzz.sh: seed corpus written to tests/fuzz/corpus"
  exit 0
fi
cmake --build "$build_dir" -j2 --target "${targets[@]}"

artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d /tmp/twopc-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  log="$artifacts/$target.log"  # kept: the final lines give executions and coverage
  # -timeout: one input running 10 s is a hang; leaks are detected by default.
  if "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
      "$work/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "$target: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | tr -s ' \t' ' ')"
  else
    echo "$target: FAILED; the end of its log:" >&2
    tail -n 60 "$log" >&2
    failed+=("$target")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]} (inputs in $artifacts)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s), ${seconds} s each: no crash, leak or timeout"
