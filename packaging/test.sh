#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole test suite.
# Extra arguments go to ctest (e.g. -L unit, -R tokenizer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup.sh"
"$root/packaging/build.sh"
cd "$root"
ctest --preset dev --parallel 2 "$@"
