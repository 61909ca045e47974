#!/usr/bin/env bash
# Quality of dedup's matching features, on the fixture suite and a generated corpus:
#   bash bench/quality_table.sh [DEDUP_BINARY] [GEN_BINARY]
# Prints a Markdown table of pairwise precision / recall / F1 for raw Jaccard, each
# feature alone, and the defaults, plus a threshold x containment sweep (SWEEP=1).
# Each cell is the mean over SEEDS seeds (default 8, seeds 1..SEEDS): without boilerplate
# removal a single false edge between two clusters of one site's pages can merge dozens
# of originals, so one seed's figure is mostly luck; merged originals are given as the
# total over the seeds and the worst seed. EXTRA adds options to every run (e.g.
# EXTRA="--minhash classic").
set -euo pipefail
cd "$(dirname "$0")/.."
dedup=${1:-build/release/bin/dedup}
gen=${2:-build/release/bench/dedup-gen-corpus}
dir=${DEDUP_BENCH_DIR:-/tmp/dedup-bench}
mkdir -p "$dir"
[ -s "$dir/q20k.jsonl" ] || "$gen" --docs 20000 --seed 7 --out "$dir/q20k.jsonl" --truth "$dir/q20k.tsv" --quiet

seeds=${SEEDS:-8}
score() {  # corpus truth args... -> "P / R / F1 (merged originals: total, worst seed)", means over the seeds
  local c=$1 t=$2; shift 2
  for seed in $(seq 1 "$seeds"); do
    # shellcheck disable=SC2086
    "$dedup" eval "$c" --truth "$t" --oracle off --format json --seed "$seed" ${EXTRA:-} "$@"
    echo
  done | python3 -c '
import json, sys
runs = [json.loads(line) for line in sys.stdin if line.strip()]
mean = lambda k: sum(r[k] for r in runs) / len(runs)
merged = [r["merged_original_pairs"] for r in runs]
print("%.3f / %.3f / %.3f (merged originals: %d, worst seed %d)" % (mean("precision"), mean("recall"), mean("f1"), sum(merged), max(merged)))'
}
F="fixtures/news.jsonl fixtures/news_truth.tsv"
G="$dir/q20k.jsonl $dir/q20k.tsv"
echo "| configuration | fixtures P / R / F1 | generated 20k P / R / F1 |"
echo "| --- | --- | --- |"
while IFS='|' read -r name args; do
  # shellcheck disable=SC2086
  echo "| $name | $(score $F $args) | $(score $G $args) |"
done <<'ROWS'
raw Jaccard only|--boilerplate off --containment 0
boilerplate removal only|--containment 0
containment only|--boilerplate off
containment only, at 0.7|--boilerplate off --containment 0.7
defaults, with containment 0.7|--containment 0.7
defaults|
ROWS
if [ "${SWEEP:-0}" = 1 ]; then
  echo
  echo "| threshold | containment | fixtures P / R / F1 | generated 20k P / R / F1 |"
  echo "| --- | --- | --- | --- |"
  for th in 0.5 0.6 0.7 0.8 0.9; do for ct in 0 0.6 0.7 0.8 0.9; do
    echo "| $th | $ct | $(score $F --threshold $th --containment $ct) | $(score $G --threshold $th --containment $ct) |"
  done; done
  for extra in "--shingle word:3" "--shingle word:4" "--shingle word:7" "--shingle char:7" "--num-perm 64" "--num-perm 256"; do
    echo "| defaults $extra | | $(score $F $extra) | $(score $G $extra) |"
  done
fi
