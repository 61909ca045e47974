#!/usr/bin/env bash
# The README's second command: install what is missing, build everything (tests and
# benchmarks), run the whole test suite, then run it again under AddressSanitizer +
# UndefinedBehaviorSanitizer, the concurrent ingestion tests under ThreadSanitizer, and every
# fuzz target briefly. Tests labelled "slow" run in their own step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
bash tools/install-deps.sh

echo "== build (dev: RelWithDebInfo, tests and benchmarks)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$jobs"
echo "== tests"
ctest --preset dev -LE slow -j"$jobs"

echo "== slow tests"
ctest --preset dev -L slow -j"$jobs" --no-tests=ignore

echo "== build (asan-ubsan)"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j"$jobs"
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan-ubsan -LE slow -j"$jobs"

echo "== build (tsan: the concurrent ingestion tests)"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs"
echo "== concurrent tests under ThreadSanitizer"
# Readers (3 threads) with a writer, on one sketch thread: every hand-off is a std::thread or a mutex,
# which TSan sees (Debian's libtbb is not instrumented, so runs with oneTBB workers would
# report its internal hand-offs as races; see CMakePresets.json).
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --preset tsan -j"$jobs"

# Last: every libFuzzer target (tests/fuzz) for a while -- 20 s each by default and in
# CI (CI=true); DEDUP_FUZZ_SECONDS sets another time, 0 skips the step.
fuzz_seconds=${DEDUP_FUZZ_SECONDS:-20}
if [ "${CI:-}" = "true" ]; then fuzz_seconds=20; fi
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz (${fuzz_seconds} s per target)"
  bash tools/fuzz.sh "$fuzz_seconds"
fi
