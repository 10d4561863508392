#!/usr/bin/env bash
# Builds twopc and runs the whole CTest suite. Works from any directory.
# BUILD_DIR (default: build under the repository root) picks the build tree;
# SANITIZE (e.g. address,undefined) builds and tests with those sanitizers.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-$root/build}"

bash tools/install_deps.sh
start=$(date +%s)
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTWOPC_SANITIZE="${SANITIZE:-}"
cmake --build "$build_dir" -j2
built=$(date +%s)
ctest --test-dir "$build_dir" --output-on-failure -j2
done_at=$(date +%s)
echo "test.sh${SANITIZE:+ ($SANITIZE)}: build $((built - start)) s, tests $((done_at - built)) s"
