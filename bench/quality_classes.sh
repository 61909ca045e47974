#!/usr/bin/env bash
# Recall per class on the hard corpus (bench/corpus_generator.h, `--profile hard`): the classes
# a held-out news corpus showed the defaults to miss (aggregator footers next to syndicated
# text, short items under one long footer, deep truncation, promo edits, heavily edited
# Chinese copies, a story syndicated 200 times without chrome), next to the default kinds.
#
#   bash bench/quality_classes.sh [DEDUP_BINARY] [GEN_BINARY]
#
# Two experiments, each a mean over SEEDS seeds (default 8):
#   1. corpus seeds 1..SEEDS: one DOCS-document hard corpus per seed (default 20000), dedup --seed 1;
#   2. the corpus of seed 1, dedup --seed 1..SEEDS.
# Engines: `dedup eval` (the batch pipeline, with boilerplate removal) and, unless INDEX=0, the
# ingestion index (`dedup index create` + `add` + `export --dense-ids --format tsv`, scored by
# `dedup eval --clusters`). Each prints two Markdown tables:
#   - pairwise precision / recall / F1, merged originals (pairs of distinct originals in one
#     cluster: total over the seeds, worst seed), and per class the pair recall: the share of
#     true pairs involving a document of the class that were found (eval's
#     pair_recall_by_kind; the hot story alone has 20,100 of a 20k corpus's ~30,000 true pairs,
#     so the overall recall mostly measures it);
#   - per class the copy recall: the share of the class's copies found in their original's
#     cluster (eval's recall_by_kind), and the copies per corpus.
# Then the time per run (wall clock, mean). EXTRA adds options to every `dedup eval` run,
# INDEX_EXTRA to every `dedup index create`. Corpora are kept in DEDUP_BENCH_DIR
# (default /tmp/dedup-bench) as hard20k-s<seed>.jsonl/.tsv and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
dedup=$(realpath "${1:-build/release/bin/dedup}")
gen=$(realpath "${2:-build/release/bench/dedup-gen-corpus}")
dir=${DEDUP_BENCH_DIR:-/tmp/dedup-bench}
seeds=${SEEDS:-8}
docs=${DOCS:-20000}
index=${INDEX:-1}
mkdir -p "$dir"
runs="$dir/quality_classes.runs.jsonl"
: >"$runs"

now() { date +%s%N; }  # nanoseconds
since() { echo $(($(now) - $1)); }

# corpus seed -> path stem, generated once
corpus() {
  local stem="$dir/hard$((docs / 1000))k-s$1"
  if [ ! -s "$stem.tsv" ]; then
    local t0; t0=$(now)
    "$gen" --profile hard --docs "$docs" --seed "$1" --out "$stem.jsonl" --truth "$stem.tsv" --quiet
    printf '{"what": "generate", "ns": %s}\n' "$(since "$t0")" >>"$runs"
  fi
  echo "$stem"
}

# experiment corpus_seed dedup_seed
run_one() {
  local experiment=$1 cseed=$2 dseed=$3 stem t0 out
  stem=$(corpus "$cseed")
  t0=$(now)
  # shellcheck disable=SC2086
  out=$("$dedup" eval "$stem.jsonl" --truth "$stem.tsv" --oracle off --format json --seed "$dseed" ${EXTRA:-})
  printf '{"what": "eval", "experiment": "%s", "engine": "dedup eval", "ns": %s, "eval": %s}\n' \
    "$experiment" "$(since "$t0")" "$out" >>"$runs"
  if [ "$index" = 1 ]; then
    local db="$dir/quality_classes.index.db"
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
    t0=$(now)
    # shellcheck disable=SC2086
    "$dedup" index create "$db" --seed "$dseed" ${INDEX_EXTRA:-} >/dev/null
    "$dedup" index add "$db" "$stem.jsonl" --sync normal >/dev/null
    "$dedup" index export "$db" --dense-ids --format tsv --output "$dir/quality_classes.index.tsv"
    local seconds; seconds=$(since "$t0")
    out=$("$dedup" eval --truth "$stem.tsv" --clusters "$dir/quality_classes.index.tsv" --format json)
    printf '{"what": "index", "experiment": "%s", "engine": "dedup index", "ns": %s, "eval": %s}\n' \
      "$experiment" "$seconds" "$out" >>"$runs"
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
  fi
}

for s in $(seq 1 "$seeds"); do run_one "corpus seeds 1..$seeds (dedup --seed 1)" "$s" 1; done
for s in $(seq 1 "$seeds"); do run_one "corpus seed 1, dedup --seed 1..$seeds" 1 "$s"; done

/usr/bin/python3 - "$runs" "$docs" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
docs = int(sys.argv[2])
classes = ["chrome", "edit", "drop", "add", "trunc", "combo",
           "aggfooter", "shortfooter", "deeptrunc", "promo", "zhedit", "hot"]
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
experiments = []
for r in runs:
    if "experiment" in r and r["experiment"] not in experiments:
        experiments.append(r["experiment"])
for ex in experiments:
    rows = [r for r in runs if r.get("experiment") == ex]
    engines = []
    for r in rows:
        if r["engine"] not in engines:
            engines.append(r["engine"])
    n = len([r for r in rows if r["engine"] == engines[0]])
    print(f"### Hard corpus, {docs} documents: {ex}, mean of {n}\n")
    print("| engine | P | R | F1 | merged originals (total, worst) | "
          + " | ".join(classes) + " |")
    print("| --- " * (5 + len(classes)) + "|")
    for engine in engines:
        ev = [r["eval"] for r in rows if r["engine"] == engine]
        merged = [e["merged_original_pairs"] for e in ev]
        cells = ["%.3f" % mean([e["pair_recall_by_kind"].get(c, {}).get("recall", float("nan"))
                                for e in ev if c in e["pair_recall_by_kind"]]) for c in classes]
        print(f"| {engine} | %.3f | %.3f | %.3f | %d, %d | " % (
            mean([e["precision"] for e in ev]), mean([e["recall"] for e in ev]),
            mean([e["f1"] for e in ev]), sum(merged), max(merged)) + " | ".join(cells) + " |")
    ev = [r["eval"] for r in rows if r["engine"] == engines[0]]
    print("| true pairs per corpus | | %.0f | | | " % mean([e["true_pairs"] for e in ev])
          + " | ".join("%.0f" % mean([e["pair_recall_by_kind"].get(c, {}).get("total", 0) for e in ev])
                       for c in classes) + " |")
    print()
    print("| engine: copies found with their original | " + " | ".join(classes) + " |")
    print("| --- " * (1 + len(classes)) + "|")
    for engine in engines:
        ev = [r["eval"] for r in rows if r["engine"] == engine]
        print(f"| {engine} | " + " | ".join(
            "%.3f" % mean([e["recall_by_kind"][c]["recall"] for e in ev if c in e["recall_by_kind"]])
            for c in classes) + " |")
    print("| copies per corpus | " + " | ".join(
        "%.0f" % mean([e["recall_by_kind"].get(c, {}).get("total", 0) for e in ev]) for c in classes) + " |")
    print()
timing = {}
for r in runs:
    timing.setdefault(r["what"], []).append(r["ns"] / 1e9)
names = {"generate": "generate a corpus (dedup-gen-corpus)", "eval": "dedup eval (--oracle off)",
         "index": "dedup index create + add (--sync normal) + export"}
print("Time per run, wall clock: " + "; ".join(
    "%s %.2f s (mean of %d)" % (names[k], mean(v), len(v)) for k, v in timing.items()) + ".")
PY
