#!/usr/bin/env bash
# Builds twopc and runs the whole CTest suite. Works from any directory.
# BUILD_DIR (default: build under the repository root) picks the build tree;
# SANITIZE (e.g. address,undefined) builds and tests with those sanitizers;
# CXX_COMPILER (e.g. clang++-14) picks the compiler of a new build tree;
# FUZZ=ON also builds the libFuzzer targets, everything instrumented for them
# and for ASan+UBSan (needs clang; tools/fuzz.sh then runs them).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-$root/build}"

bash tools/install_deps.sh
start=$(date +%s)
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTWOPC_SANITIZE="${SANITIZE:-}" -DTWOPC_FUZZ="${FUZZ:-OFF}")
[ -z "${CXX_COMPILER:-}" ] || cmake_args+=(-DCMAKE_CXX_COMPILER="$CXX_COMPILER")
cmake -S . -B "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j2
built=$(date +%s)
ctest --test-dir "$build_dir" --output-on-failure -j2
done_at=$(date +%s)
label="${SANITIZE:-}"
[ "${FUZZ:-OFF}" != ON ] || label="fuzz: address,undefined"
echo "test.sh${label:+ ($label)}: build $((built - start)) s, tests $((done_at - built)) s"
