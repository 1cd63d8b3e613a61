#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each one for a
# bounded time: first its regression inputs (tests/fuzz/regressions/<harness>/,
# inputs of fixed crashes: they must pass), then N seconds of fuzzing on a
# temporary copy of its seed corpus (tests/fuzz/corpus/<harness>/ is never
# written), with tests/fuzz/dict/<harness>.dict as its dictionary. A crash
# input is copied into tests/fuzz/regressions/<harness>/ to be committed with
# the fix.
#
#   tests/fuzz/run_fuzzers.sh [--seconds N] [--build-dir DIR] [HARNESS...]
#
# Defaults: 20 seconds per harness, build dir build/fuzz under the repository
# root, every harness. Prints one line per harness and "N passed, N failed";
# exits non-zero when any harness failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fuzz_dir="$root/tests/fuzz"
all_harnesses=(fuzz_csv fuzz_safetensors fuzz_config fuzz_tokenizer fuzz_kv_entry fuzz_torch_save fuzz_store_files)

usage() {
  echo "usage: $0 [--seconds N] [--build-dir DIR] [HARNESS...]" >&2
  echo "harnesses: ${all_harnesses[*]}" >&2
  exit 2
}

seconds=20
build_dir="$root/build/fuzz"
harnesses=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || usage
      seconds="$2"
      shift 2
      ;;
    --build-dir)
      [[ $# -ge 2 && -n "$2" ]] || usage
      build_dir="$2"
      shift 2
      ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      found=0
      for h in "${all_harnesses[@]}"; do [[ "$1" == "$h" ]] && found=1; done
      [[ $found -eq 1 ]] || { echo "unknown harness: $1" >&2; usage; }
      harnesses+=("$1")
      shift
      ;;
  esac
done
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=("${all_harnesses[@]}")
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac

cxx="${KVR_FUZZ_CXX:-}"
if [[ -z "$cxx" ]]; then
  if command -v clang++-14 >/dev/null; then cxx=clang++-14; else cxx=clang++; fi
fi
cc="${cxx/clang++/clang}"
command -v "$cxx" >/dev/null || { echo "error: $cxx not found (apt install clang libclang-rt-14-dev)" >&2; exit 1; }

echo "building the fuzzers in $build_dir ($cxx)"
CC="$cc" CXX="$cxx" cmake -S "$fuzz_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --parallel 2 --target "${harnesses[@]}"

work="$(mktemp -d "${TMPDIR:-/tmp}/kvr-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1"

passed=0
failed=0
summaries=()
for h in "${harnesses[@]}"; do
  exe="$build_dir/$h"
  regressions="$fuzz_dir/regressions/$h"
  log="$work/$h.log"

  # 1. Regression inputs: each must run cleanly.
  inputs=()
  if [[ -d "$regressions" ]]; then
    while IFS= read -r -d '' f; do inputs+=("$f"); done \
      < <(find "$regressions" -maxdepth 1 -type f ! -name '.*' ! -name '*.md' -print0 | sort -z)
  fi
  if [[ ${#inputs[@]} -gt 0 ]]; then
    if ! "$exe" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
      echo "---- $h: a regression input fails ----" >&2
      tail -n 40 "$log" >&2
      summaries+=("$h: FAILED on a regression input in tests/fuzz/regressions/$h (see above)")
      failed=$((failed + 1))
      continue
    fi
  fi

  # 2. Bounded fuzzing on a throwaway copy of the seed corpus.
  corpus="$work/corpus-$h"
  artifacts="$work/artifacts-$h"
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$fuzz_dir/corpus/$h" ]]; then cp -R "$fuzz_dir/corpus/$h/." "$corpus/"; fi
  dict=()
  if [[ -f "$fuzz_dir/dict/$h.dict" ]]; then dict=(-dict="$fuzz_dir/dict/$h.dict"); fi
  status=0
  started=$SECONDS
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
    "${dict[@]}" -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || status=$?
  done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)"
  runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' <<<"$done_line")"
  secs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' <<<"$done_line")"
  if [[ -z "$runs" ]]; then
    # No "Done" line (the run stopped at a failure): use the last status line.
    runs="$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)"
    secs=$((SECONDS - started))
  fi
  runs="${runs:-0}"
  secs="${secs:-$seconds}"

  crashes=()
  while IFS= read -r -d '' f; do crashes+=("$f"); done \
    < <(find "$artifacts" -maxdepth 1 -type f \
      \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -print0 | sort -z)
  if [[ $status -eq 0 && ${#crashes[@]} -eq 0 ]]; then
    summaries+=("$h: $runs runs in $secs s, 0 crashes")
    passed=$((passed + 1))
    continue
  fi
  echo "---- $h: failed (exit status $status) ----" >&2
  tail -n 60 "$log" >&2
  saved=()
  if [[ ${#crashes[@]} -gt 0 ]]; then
    mkdir -p "$regressions"
    for f in "${crashes[@]}"; do
      cp "$f" "$regressions/"
      saved+=("tests/fuzz/regressions/$h/$(basename "$f")")
    done
  fi
  n=${#crashes[@]}
  if [[ $n -gt 0 ]]; then
    summaries+=("$h: $runs runs in $secs s, $n crash$([[ $n -eq 1 ]] || echo es) (saved ${saved[*]})")
  else
    summaries+=("$h: $runs runs in $secs s, FAILED with exit status $status (see above)")
  fi
  failed=$((failed + 1))
done

printf '%s\n' "${summaries[@]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
