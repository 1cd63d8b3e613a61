#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole test suite:
#   1. the normal build (engine, CLI, GUI) with every CTest label: unit, e2e, fuzz
#      (the fuzzers run for a bounded time; see tests/fuzz/README.md);
#   2. the engine, CLI and their tests again under AddressSanitizer and
#      UndefinedBehaviorSanitizer (preset dev-asan; the GUI is left out there,
#      the fuzz label, which has its own sanitizers, and the slurm label: the
#      real-cluster test checks integration, and its CLI paths run under the
#      sanitizers in test_sweep_cli).
# Extra arguments go to both ctest runs (e.g. -L unit, -R tokenizer).
# KVR_SKIP_SANITIZERS=1 skips step 2 for a quick local run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup.sh"
"$root/packaging/build.sh"
cd "$root"
ctest --preset dev --parallel 2 "$@"
if [ -z "${KVR_SKIP_SANITIZERS:-}" ]; then
  echo "== the same suites under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
  cmake --preset dev-asan -DKVR_BUILD_GUI=OFF -DKVR_BUILD_TESTS=ON >/dev/null
  cmake --build --preset dev-asan
  ctest --preset dev-asan --parallel 2 --label-exclude "fuzz|slurm" "$@"
fi
