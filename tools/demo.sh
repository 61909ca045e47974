#!/usr/bin/env bash
# The README's first command: install what is missing, build dedup (release), and
# cluster the shipped news fixtures, printing the cluster report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake --preset release -DDEDUP_BUILD_TESTS=OFF -DDEDUP_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build --preset release -j"$(nproc)" --target dedup_cli >/dev/null
echo "+ build/release/bin/dedup cluster fixtures/news"
build/release/bin/dedup cluster fixtures/news
