#!/usr/bin/env bash
# The LSH band-table matrix of BENCHMARKS.md: compact layout (dedup::LshIndex) vs the
# previous chained layout (bench/lsh_reference_index.h), and the batch Clusterer's band
# join, one process per configuration
# (peak RSS is per process). Usage, from the repository root after a release build:
#   bash bench/run_lsh_scale.sh [OUT]        # OUT: result lines (default lsh_scale.txt)
# BIG=1 also runs the compact layout and the join at 10M documents (~4.5 and ~7 GB RSS,
# a few minutes each).
set -euo pipefail
bin=${BIN:-build/release/bench/lsh_scale_bench}
out=${1:-lsh_scale.txt}
: > "$out"
run() { echo "+ $bin $*" >&2; "$bin" "$@" | tee -a "$out"; }
for docs in 1000000 3000000; do
  for banding in "42 3" "14 9"; do
    set -- $banding
    for layout in compact chained; do run --layout $layout --docs $docs --bands $1 --rows $2; done
  done
done
# Worst cases for linear probing, 42 x 3 at 1M: random documents only, 50-copy clusters,
# and 5% of documents sharing one chrome key in a third of the bands.
for extra in "--dup-rate 0" "--cluster 50" "--chrome 0.05"; do
  for layout in compact chained; do run --layout $layout --docs 1000000 $extra; done
done
# The batch Clusterer's band join (no index kept): 32- and 8-bit signatures, 42 x 3.
for docs in 1000000 3000000; do
  for bits in 32 8; do run --layout join --docs $docs --bits $bits; done
done
if [[ "${BIG:-0}" == 1 ]]; then
  run --layout compact --docs 10000000 --queries 50000
  for bits in 32 8; do run --layout join --docs 10000000 --bits $bits; done
fi
