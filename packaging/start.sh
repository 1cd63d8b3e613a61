#!/usr/bin/env bash
# One command: install what is missing, build, and start kvrecycle on its
# default, a synthetic DialoGPT-small-shaped model. Until the workbench GUI
# lands this is a command-line demo: generation with timings, then the engine
# benchmark.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup.sh"
"$root/packaging/build.sh" >/dev/null
cli="$root/build/dev/app/kvrecycle-cli"
data_dir="${KVRECYCLE_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/kvrecycle}"
model="$data_dir/models/synthetic-dialogpt-small"
if [ ! -f "$model/config.json" ]; then
  echo "start: making the synthetic dialogpt-small model in $model" >&2
  "$cli" make-model --preset dialogpt-small --seed 0 --out "$model" >/dev/null
fi
echo "== kvrecycle-cli generate (synthetic model: meaningless text, faithful timings)"
"$cli" generate --model "$model" --prompt "Does money buy happiness?<|endoftext|>" \
  --max-new-tokens 16 --ignore-eos 2>/dev/null
echo "== kvrecycle-cli bench-engine"
"$cli" bench-engine --model "$model" --prompt-tokens 128 --new-tokens 16 --repeats 3
