#!/usr/bin/env bash
# The end-to-end benchmark in one command:
#   bash bench/run_e2e.sh [DOCS]        (default 100000)
# Builds the release preset, generates a labelled corpus of DOCS documents (cached in
# $DEDUP_BENCH_DIR, default /tmp/dedup-bench), runs the datasketch reference on its
# first REF_DOCS (default 10000) documents when datasketch is available
# (DATASKETCH_DIR, default /work/ext/datasketch; see bench/reference/README.md), and
# prints dedup's phase table for the same subset (with the reference ratio) and for the
# whole corpus. JSON results go to $DEDUP_BENCH_DIR/e2e-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
ref_docs=${REF_DOCS:-10000}
dir=${DEDUP_BENCH_DIR:-/tmp/dedup-bench}
ds=${DATASKETCH_DIR:-/work/ext/datasketch}
mkdir -p "$dir"
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target dedup-gen-corpus dedup-e2e-bench >/dev/null
bin=build/release/bench

corpus=$dir/corpus-$docs.jsonl truth=$dir/truth-$docs.tsv
if [ ! -s "$corpus" ]; then
  "$bin/dedup-gen-corpus" --docs "$docs" --seed 7 --out "$corpus" --truth "$truth" --quiet
fi
sub=$dir/corpus-$docs-first$ref_docs.jsonl subtruth=$dir/truth-$docs-first$ref_docs.tsv
head -n "$ref_docs" "$corpus" > "$sub"
head -n "$((ref_docs + 1))" "$truth" > "$subtruth"

ref_args=()
if [ -d "$ds/datasketch" ] && /usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null; then
  echo "== datasketch reference on the first $ref_docs documents (K=128, threshold 0.7, one core)"
  PYTHONPATH=$ds /usr/bin/python3 bench/reference/datasketch_cluster.py "$sub" -t 0.7 -o "$dir/datasketch.tsv" \
    --timing "$dir/datasketch.json" || true
  [ -s "$dir/datasketch.json" ] && ref_args=(--reference-json "$dir/datasketch.json")
else
  echo "== datasketch not found at $ds: no reference ratio (see bench/reference/README.md)"
fi
echo
echo "== dedup on the same $ref_docs documents"
"$bin/dedup-e2e-bench" --corpus "$sub" --truth "$subtruth" "${ref_args[@]}" --json "$dir/e2e-$ref_docs.json"
echo
echo "== dedup on all $docs documents"
"$bin/dedup-e2e-bench" --corpus "$corpus" --truth "$truth" --json "$dir/e2e-$docs.json"
