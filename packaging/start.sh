#!/usr/bin/env bash
# One command: install what is missing, build, and start the kvrecycle
# workbench on its default: a synthetic DialoGPT-small-shaped model (made on
# first start, with progress) and the study-style sample prompt sets, ready to
# press Run. Extra arguments go to kvrecycle.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup.sh"
"$root/packaging/build.sh" >/dev/null
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "start: no display found (DISPLAY/WAYLAND_DISPLAY unset); run it in a desktop session," >&2
  echo "start: or headless: QT_QPA_PLATFORM=offscreen $0, or use build/dev/app/kvrecycle-cli" >&2
  exit 1
fi
exec "$root/build/dev/app/kvrecycle" "$@"
