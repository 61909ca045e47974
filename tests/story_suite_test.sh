#!/usr/bin/env bash
# The labelled story suite (fixtures/stories/, README there) with default options:
#   - pairwise F1 >= 0.90 and B-cubed F1 >= 0.93 over the whole suite (the issue's targets);
#   - no predicted story holds two labelled events of one kind;
#   - the five seed articles stay five duplicate clusters and form one story;
#   - --stories only appends a column: the TSV without it is the TSV with it minus its
#     last column, and the output is byte-identical across runs.
# Usage: story_suite_test.sh DEDUP_BINARY REPO_ROOT
set -uo pipefail
DEDUP=$1
ROOT=$2
SUITE=$ROOT/fixtures/stories/suite.jsonl
TRUTH=$ROOT/fixtures/stories/suite_truth.tsv
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dedup_story_suite.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$DEDUP" eval --stories --oracle off --format json "$SUITE" --truth "$TRUTH" -o "$TMP/eval.json" || fail "dedup eval --stories exited $?"
/usr/bin/python3 - "$TMP/eval.json" <<'PY' || fail "suite targets"
import json, sys
s = json.load(open(sys.argv[1]))["stories"]
print("story suite: pairwise P %.4f R %.4f F1 %.4f; B-cubed P %.4f R %.4f F1 %.4f; %d same-kind merges"
      % (s["pairwise"]["precision"], s["pairwise"]["recall"], s["pairwise"]["f1"],
         s["bcubed"]["precision"], s["bcubed"]["recall"], s["bcubed"]["f1"], len(s["same_kind_merges"])))
ok = True
if s["pairwise"]["f1"] < 0.90: print("pairwise F1 below 0.90"); ok = False
if s["bcubed"]["f1"] < 0.93: print("B-cubed F1 below 0.93"); ok = False
if s["same_kind_merges"]: print("same-kind merges:", s["same_kind_merges"]); ok = False
sys.exit(0 if ok else 1)
PY

"$DEDUP" cluster --stories --format tsv "$SUITE" -o "$TMP/a.tsv" || fail "cluster --stories exited $?"
"$DEDUP" cluster --stories --format tsv "$SUITE" -o "$TMP/b.tsv" || fail "cluster --stories (again) exited $?"
cmp -s "$TMP/a.tsv" "$TMP/b.tsv" || fail "two runs differ"
"$DEDUP" cluster --format tsv "$SUITE" -o "$TMP/plain.tsv" || fail "cluster exited $?"
cut -f1-6 "$TMP/a.tsv" | cmp -s - "$TMP/plain.tsv" || fail "--stories changed more than the last column"
[ "$(head -1 "$TMP/a.tsv" | awk -F'\t' '{print $NF}')" = "story" ] || fail "last TSV column is not story"
seeds=$(awk -F'\t' '$1 ~ /^seed-00[0-4]_[0-9a-f]*\.txt$/ {c[$2] = 1; s[$7] = 1} END {print length(c) " " length(s)}' "$TMP/a.tsv")
[ "$seeds" = "5 1" ] || fail "the five seeds: expected 5 clusters and 1 story, got (clusters stories) $seeds"

"$DEDUP" cluster --stories --format csv "$SUITE" -o "$TMP/a.csv" || fail "cluster --stories csv"
[ "$(head -1 "$TMP/a.csv")" = "id,cluster,representative,similarity,relation,containment,story" ] || fail "csv header"
"$DEDUP" cluster --stories --format json "$SUITE" -o "$TMP/a.json" || fail "cluster --stories json"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(len(s["members"]) == 5 for s in d["stories"])' "$TMP/a.json" \
  || fail "json: no story of five clusters (the seeds)"

: > "$TMP/empty.jsonl"
[ "$("$DEDUP" cluster --stories --format tsv "$TMP/empty.jsonl" | head -1 | awk -F'\t' '{print $NF}')" = "story" ] \
  || fail "an empty input with --stories: no story column"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "story suite: all checks passed"
