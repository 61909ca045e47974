#!/usr/bin/env bash
# tools/fuzz.sh SECONDS [TARGET...]: builds the fuzz preset (clang-14, libFuzzer, ASan +
# UBSan) and runs every fuzz target of tests/fuzz (or the ones named) for SECONDS each,
# one after another, with its seed corpus and dictionary. Fails if any target finds a
# crash, a sanitizer report, a broken invariant, a leak, a timeout (> 10 s for one
# input) or an out-of-memory (> 2048 MB); the input is then in
# build/fuzz/artifacts/<target>/, and `build/fuzz/fuzz/<target>_fuzzer FILE` replays it.
# New inputs the fuzzer finds go to build/fuzz/corpus/<target>/ (kept between runs;
# copy the interesting ones to tests/fuzz/corpus/<target>/ to keep them for good).
# Installs clang-14 and libclang-rt-14-dev when missing (tools/install-deps.sh --fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(record_parser normalize html published_time index serve_request)
fi
bash tools/install-deps.sh --fuzz

echo "== build (fuzz: clang-14, libFuzzer, ASan + UBSan)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)" --target fuzzers

failed=()
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz/${t}_fuzzer
  work=build/fuzz/corpus/$t
  artifacts=build/fuzz/artifacts/$t
  log=build/fuzz/logs/$t.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  echo "== fuzz $t (${seconds} s)"
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -dict="tests/fuzz/$t.dict" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  if [ $rc -ne 0 ] || grep -qE '^==[0-9]+==ERROR|^SUMMARY: |invariant failed' "$log"; then
    echo "FAILED: $t (exit $rc); log $log; inputs in $artifacts/:" >&2
    ls "$artifacts" >&2 || true
    grep -E 'ERROR|SUMMARY|invariant failed|Test unit written' "$log" | head -20 >&2 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), ${seconds} s each: no findings"
