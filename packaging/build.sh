#!/usr/bin/env bash
# Configures and builds kvrecycle (engine, CLI, GUI when present, tests) in build/dev.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake --preset dev -DKVR_BUILD_GUI=ON -DKVR_BUILD_TESTS=ON >/dev/null
cmake --build --preset dev
