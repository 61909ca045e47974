#!/usr/bin/env bash
# End-to-end tests of `dedup index` on the shipped fixtures.
#
# Usage: tests/index_cli_test.sh DEDUP_BINARY REPO_ROOT
#
# Expected values come from the fixtures' ground truth (fixtures/news_truth.tsv), from
# `dedup cluster` over the same documents (the index must agree with it), or from the
# index's own earlier answers (stable ids, replays). When run as root where mounting
# works, a small tmpfs checks a full disk and a read-only file system for real;
# otherwise those checks are skipped (tests/ingest_index_test.cc covers the file size
# limit and read-only opening). Prints "N passed, M failed"; exits 1 on any failure.
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: $0 DEDUP_BINARY REPO_ROOT" >&2
  exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEDUP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$2
cd "$ROOT" || exit 2
[[ -x "$DEDUP" ]] || { echo "not executable: $DEDUP" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dedup_index_cli_test.XXXXXX") || exit 2
MNT=""
cleanup() {
  if [[ -n $MNT ]]; then umount "$MNT" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

source "$HERE/cli_lib.sh"

NEWS=fixtures/news.jsonl
TRUTH=fixtures/news_truth.tsv
HEADER=$'id\tdecision\tcluster\tcanonical\tsimilarity\tcontainment'
IDX=$TMP/news.dedup

# Without chrome removal on both sides, the index agrees byte for byte with `dedup cluster`
# for the same sketch and match options (with it, the index learns its chrome model one
# document at a time, and agrees with a batch run signed with that model: ingest_index_test).
BATCH_FLAGS=(--boilerplate off)
run cluster --help
check "cluster --help lists --boilerplate" grep -q -- '--boilerplate ' "$OUT"

# ---------------------------------------------------------------------------
# --help everywhere; usage errors exit 2.
for sub in create add query remove expire stats export events verify; do
  run index "$sub" --help
  expect_rc "index $sub --help" 0
done
run index
expect_rc "index without a subcommand" 2
run index add
expect_rc "add without PATH" 2
run index create "$TMP/u.dedup" --threshold 1.5
expect_rc "create --threshold 1.5" 2
run index create "$TMP/u.dedup" --bands 50 --rows 3
expect_rc "create: bands x rows > K" 2
err_has "create: bands x rows > K" "exceeds num_perm 128"
check "no file after a usage error" test ! -e "$TMP/u.dedup"
run index add "$TMP/u.dedup" "$NEWS" --batch-size 0
expect_rc "add --batch-size 0" 2

# ---------------------------------------------------------------------------
# create, add: one decision per document, after each committed batch.
run index create "$IDX"
expect_rc "create" 0
check "create prints the parameters" grep -q "threshold 0.5" "$OUT"
run index create "$IDX"
expect_rc "create over an existing index" 1
err_has "create over an existing index" "$IDX" "already exists"
err_one_line "create over an existing index"

run index add "$IDX" "$NEWS" --batch-size 5
expect_rc "add news.jsonl" 0
cp "$OUT" "$TMP/add.tsv"
check "add: header" test "$(head -n 1 "$TMP/add.tsv")" = "$HEADER"
check "add: one line per document, in input order" same_file \
  <(tail -n +2 "$TMP/add.tsv" | cut -f1) <(tail -n +2 "$TRUTH" | cut -f1)
check "add: 6 fields per line" awk -F'\t' 'NF != 6 { bad = 1 } END { exit bad }' "$TMP/add.tsv"
check "add: decisions are new or duplicate" \
  awk -F'\t' 'NR > 1 && $2 != "new" && $2 != "duplicate" { bad = 1 } END { exit bad }' "$TMP/add.tsv"
# A "new" document starts its cluster and is its canonical member, with similarity 1.
check "add: new documents are their own canonical member" \
  awk -F'\t' 'NR > 1 && $2 == "new" && ($1 != $4 || $5 != 1 || $6 != 1) { bad = 1 } END { exit bad }' "$TMP/add.tsv"
# Ground truth: every seed copy (chrome/dropped/typos/quotes/combo) is a duplicate in its
# original's cluster (fixtures/README.md).
report=$(awk -F'\t' '
  NR == FNR { if (FNR > 1) { cl[$1] = $3; dec[$1] = $2 } next }
  FNR == 1 { next }
  $3 ~ /^(chrome|dropped|typos|quotes|combo)$/ && $2 ~ /^00[0-4]_/ {
    n++
    if (dec[$1] != "duplicate" || cl[$1] != cl[$2]) printf "%s: %s in cluster %s, original in %s\n", $1, dec[$1], cl[$1], cl[$2]
  }
  END { if (n != 25) printf "checked %d copies, expected 25\n", n }' "$TMP/add.tsv" "$TRUTH")
if [[ -z $report ]]; then pass; else fail "add: grouping against the truth: $report"; fi
# Earliest published wins: 002's chrome copy was published before its original.
check "add: earliest published is canonical" \
  grep -q $'^002_61bfeb7b1bdb5127__typos.txt\tduplicate\t[0-9]*\t002_61bfeb7b1bdb5127__chrome.txt\t' "$TMP/add.tsv"

# An index without chrome removal agrees with `dedup cluster --boilerplate off` over the
# same documents, byte for byte, given the index's containment rules (no opening excerpts,
# containment from the Jaccard estimate: ingest_index.h); the other defaults are the same.
INDEX_RULES=(--opening-threshold 0 --containment-estimate jaccard)
run index create "$TMP/off.dedup" "${BATCH_FLAGS[@]}"
expect_rc "create ${BATCH_FLAGS[*]}" 0
run index add "$TMP/off.dedup" "$NEWS"
expect_rc "add to the index without chrome removal" 0
for format in tsv csv jsonl json; do
  run index export "$TMP/off.dedup" --format "$format" --dense-ids
  expect_rc "export $format" 0
  cp "$OUT" "$TMP/export.$format"
  run cluster "$NEWS" --format "$format" "${BATCH_FLAGS[@]}" "${INDEX_RULES[@]}"
  expect_rc "cluster --format $format ${BATCH_FLAGS[*]}" 0
  cp "$OUT" "$TMP/batch.$format"
  check "export --dense-ids --format $format equals dedup cluster" same_file "$TMP/export.$format" "$TMP/batch.$format"
done
# The HTML report from the index: the clusters, without texts (the index stores none).
run index export "$TMP/off.dedup" --format html --dense-ids -o "$TMP/export.html"
expect_rc "export --format html" 0
check "export --format html: a page" grep -q '^<!DOCTYPE html>' "$TMP/export.html"
check "export --format html: says it has no texts" grep -q 'the index does not store texts' "$TMP/export.html"
check "export --format html: the clusters of the json export" python3 -c '
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
data = json.loads(re.search(r"<script type=\"application/json\" id=\"data\">(.*?)</script>", page, re.S).group(1))
want = [[c["cluster"], len(c["members"])] for c in json.load(open(sys.argv[2]))["clusters"]]
assert [[c["c"], len(c["m"])] for c in data["clusters"]] == want, (data["clusters"], want)
assert data["pairs"] == {} and data["texts"] == {}' "$TMP/export.html" "$TMP/export.json"
# Stable ids: the export's cluster column is the id `add` printed for each document.
run index export "$IDX" --format tsv
check "export: stable ids are the ids add printed" same_file \
  <(tail -n +2 "$OUT" | cut -f1,2) <(tail -n +2 "$TMP/add.tsv" | cut -f1,3)
run index export "$IDX" --format json -o "$TMP/sub/none.json"
expect_rc "export into a missing folder" 1
run index export "$IDX" --format text -o "$TMP/report.txt"
expect_rc "export -o" 0
check "export -o writes the file" grep -q "documents" "$TMP/report.txt"
# -o onto the index itself, a link to it, or its SQLite files: a usage error before the
# index is opened, the index intact (before, a TSV replaced the index).
cp "$IDX" "$TMP/before_o.dedup"
ln -s "$(basename "$IDX")" "$TMP/link.dedup"
listing() { find "$TMP" -maxdepth 1 ! -name out ! -name err -printf '%f %s %T@\n' | sort; }
before_o=$(listing)
for target in "$IDX" "$TMP/link.dedup" "$IDX-wal" "$IDX-shm" "$IDX-journal"; do
  run index export "$IDX" --format tsv -o "$target"
  expect_rc "export -o $target" 2
  err_has "export -o $target" "$target"
  check "export -o $target: nothing written" \
    test "$(listing)" = "$before_o"
done
check "export -o the index: the index intact" same_file "$IDX" "$TMP/before_o.dedup"
run index verify "$IDX"
expect_rc "export -o the index: verify" 0

# JSONL decisions carry the same fields; a stored document's decision describes its
# cluster as it is now (the export), not as it was when it arrived.
run index export "$IDX" --format tsv
cp "$OUT" "$TMP/stable.tsv"
run index query "$IDX" "$NEWS" --format jsonl
expect_rc "query --format jsonl" 0
check "query jsonl parses; every stored document is existing" python3 - "$OUT" "$TMP/stable.tsv" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
tsv = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")][1:]
assert len(rows) == len(tsv) == 48, (len(rows), len(tsv))
for r, t in zip(rows, tsv):
    assert set(r) >= {"id", "decision", "cluster", "canonical", "similarity", "containment"}, r
    assert r["decision"] == "existing", r
    assert [r["id"], str(r["cluster"]), r["canonical"]] == t[:3], (r, t)
    assert abs(r["similarity"] - float(t[3])) < 1e-9, (r, t)
EOF

# Replays: adding the same documents again changes nothing.
run index add "$IDX" "$NEWS"
expect_rc "add the same documents again" 0
check "replays are all existing" awk -F'\t' 'NR > 1 && $2 != "existing" { bad = 1 } END { exit bad }' "$OUT"
run index stats "$IDX" --format json
check "stats after replays: still 48 documents" python3 -c '
import json, sys; s = json.load(open(sys.argv[1])); assert s["documents"] == 48, s' "$OUT"
check "stats: chrome learned from the 48 documents" python3 -c '
import json, sys; s = json.load(open(sys.argv[1]))
assert s["chrome_lines"] > 0 and s["chrome_history"] == 48 and s["chrome"].startswith("dedup-chrome/"), s' "$OUT"

# query inserts nothing; a folder of the same texts (no publication times) is "existing".
run index query "$IDX" fixtures/news
expect_rc "query a folder" 0
check "query: folder documents are existing" \
  awk -F'\t' 'NR > 1 && $2 != "existing" { bad = 1 } END { exit bad && NR == 49 }' "$OUT"
run index query "$IDX" fixtures/tiny
expect_rc "query new documents" 0
check "query: new documents are new" awk -F'\t' 'NR > 1 && $2 != "new" { bad = 1 } END { exit bad }' "$OUT"
run index stats "$IDX" --format json
check "query inserted nothing" python3 -c '
import json, sys; s = json.load(open(sys.argv[1])); assert s["documents"] == 48, s' "$OUT"

# -o: the decisions to a file (what stdout would show), never onto an input or the index.
run index query "$IDX" "$NEWS"
cp "$OUT" "$TMP/query.stdout"
run index query "$IDX" "$NEWS" -o "$TMP/query.tsv"
expect_rc "query -o" 0
check "query -o writes what stdout shows" same_file "$TMP/query.tsv" "$TMP/query.stdout"
check "query -o prints nothing" test ! -s "$OUT"
cp "$IDX" "$TMP/before.dedup"
cp "$NEWS" "$TMP/in.jsonl"
for target in "$IDX" "$IDX-wal" "$TMP/in.jsonl"; do
  run index add "$IDX" "$TMP/in.jsonl" -o "$target"
  expect_rc "add -o $target (an input or the index)" 2
  err_one_line "add -o $target"
done
check "add -o onto the index: the index is untouched" cmp -s "$IDX" "$TMP/before.dedup"
check "add -o onto an input: the input is untouched" cmp -s "$TMP/in.jsonl" "$NEWS"

# ---------------------------------------------------------------------------
# Parameters are fixed: flags given to add/query must match.
run index add "$IDX" "$NEWS" --threshold 0.8
expect_rc "add with another threshold" 1
err_has "add with another threshold" "$IDX" "threshold: index has 0.5, requested 0.8"
err_one_line "add with another threshold"
run index query "$IDX" "$NEWS" --seed 7 --shingle char:5
expect_rc "query with another seed and shingle" 1
err_has "query with another seed and shingle" "seed: index has 1, requested 7" "shingle: index has word:3, requested char:5"
run index query "$IDX" "$NEWS" --minhash classic
expect_rc "query with another MinHash engine" 1
err_has "query with another MinHash engine" "minhash: index has fss, requested classic"
run index query "$IDX" "$NEWS" --threshold 0.5 --num-perm 128 --minhash fss
expect_rc "query with the index's own parameters" 0

# Not an index, no index, bad input.
run index add README.md "$NEWS"
expect_rc "add to a text file" 1
err_has "add to a text file" "README.md" "not a dedup index"
err_one_line "add to a text file"
run index stats "$TMP/missing.dedup"
expect_rc "stats of a missing index" 1
err_has "stats of a missing index" "missing.dedup" "no such index"
# An index of format 1 (before chrome was learned) is refused, untouched, saying what to do.
cp fixtures/index/v1.dedup "$TMP/v1.dedup"
run index stats "$TMP/v1.dedup"
expect_rc "stats of a format 1 index" 1
err_has "stats of a format 1 index" "v1.dedup" "format version 1" "dedup index create"
err_one_line "stats of a format 1 index"
check "a format 1 index is left as it was" cmp -s fixtures/index/v1.dedup "$TMP/v1.dedup"
printf 'SQLite format 3\0' >"$TMP/short.dedup"
run index verify "$TMP/short.dedup"
expect_rc "verify a truncated file" 1
err_has "verify a truncated file" "short.dedup" "truncated"

run index create "$TMP/bad.dedup"
run index add "$TMP/bad.dedup" fixtures/bad/malformed.jsonl --batch-size 1
expect_rc "add malformed JSONL" 1
err_has "add malformed JSONL" "fixtures/bad/malformed.jsonl:3" "invalid JSON" "2 documents before"
err_one_line "add malformed JSONL"
check "add malformed JSONL: lines before it were acknowledged" test "$(tail -n +2 "$OUT" | wc -l)" -eq 2
# The same id with another text: refused, naming the file, line and id.
printf '{"id": "c1", "text": "first text of document c1, long enough"}\n{"id": "c1", "text": "another text"}\n' \
  >"$TMP/conflict.jsonl"
run index add "$TMP/bad.dedup" "$TMP/conflict.jsonl"
expect_rc "add a conflicting id" 1
err_has "add a conflicting id" "conflict.jsonl:2" '"c1"' "different text"
run index verify "$TMP/bad.dedup"
expect_rc "verify after failed adds" 0
check "verify: nothing of the failed batch" grep -q "ok: .*: 2 documents" "$OUT"

# ---------------------------------------------------------------------------
# Readers work on an index in a folder they cannot write (no -shm can be created; the
# index is opened immutable). Permissions do not bind root: run as nobody when root.
RO="$TMP/ro folder?#%"
mkdir -p "$RO"
cp "$IDX" "$RO/i.dedup"
cp "$NEWS" "$TMP/ro_news.jsonl"
chmod 0644 "$RO/i.dedup" "$TMP/ro_news.jsonl"
chmod 0555 "$RO"
chmod o+x "$TMP"
"$DEDUP" index export "$IDX" --format tsv >"$TMP/ro_expected.tsv" 2>/dev/null
run_unprivileged index stats "$RO/i.dedup"
if [[ $RC -eq 125 ]]; then
  echo "SKIP: read-only folder (root without setpriv)"
else
  expect_rc "read-only folder: stats" 0
  check "read-only folder: stats counts" grep -q "^documents   48 " "$OUT"
  run_unprivileged index query "$RO/i.dedup" "$TMP/ro_news.jsonl"
  expect_rc "read-only folder: query" 0
  check "read-only folder: query answers existing" test "$(tail -n +2 "$OUT" | cut -f2 | sort -u)" = existing
  run_unprivileged index export "$RO/i.dedup" --format tsv
  expect_rc "read-only folder: export" 0
  check "read-only folder: export equals the writable one" same_file "$OUT" "$TMP/ro_expected.tsv"
  run_unprivileged index verify "$RO/i.dedup"
  expect_rc "read-only folder: verify" 0
  run_unprivileged index events "$RO/i.dedup"
  expect_rc "read-only folder: events" 0
  run_unprivileged index add "$RO/i.dedup" "$TMP/ro_news.jsonl"
  expect_rc "read-only folder: add refused" 1
  err_has "read-only folder: add refused" "read-only"
  check "read-only folder: nothing created in it" test "$(ls -A "$RO")" = i.dedup
fi
chmod 0755 "$RO"
chmod go-x "$TMP"

# ---------------------------------------------------------------------------
# Merges, splits, remove, expire, events.
python3 - "$TMP/merge.jsonl" <<'EOF'
import json, random, sys
rng = random.Random(7)
vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
a = [rng.choice(vocab) for _ in range(300)]
b = list(a); b[100:200] = [rng.choice(vocab) for _ in range(100)]
c = list(a); c[100:150] = b[100:150]
with open(sys.argv[1], "w") as f:
    for i, w in (("A", a), ("B", b), ("C", c)):
        f.write(json.dumps({"id": i, "text": " ".join(w), "published": "2023-03-0%dT00:00:00Z" % (ord(i) - 64)}) + "\n")
EOF
M=$TMP/merge.dedup
run index create "$M" --threshold 0.6 --containment 0 --num-perm 256
head -n 2 "$TMP/merge.jsonl" >"$TMP/ab.jsonl"
tail -n 1 "$TMP/merge.jsonl" >"$TMP/c.jsonl"
run index add "$M" "$TMP/ab.jsonl" --now 2023-03-05
check "A and B start clusters 1 and 2" same_file <(tail -n +2 "$OUT" | cut -f1-3) <(printf 'A\tnew\t1\nB\tnew\t2\n')
run index add "$M" "$TMP/c.jsonl" --format jsonl --now 2023-03-06
check "C merges cluster 2 into 1" grep -qF '{"id":"C","decision":"duplicate","cluster":1,"canonical":"A"' "$OUT"
check "C reports the merge" grep -qF '"merged":[2]' "$OUT"
run index events "$M"
check "events: the merge" same_file "$OUT" <(printf 'time\tevent\told_cluster\tnew_cluster\tdocument\n2023-03-06T00:00:00Z\tmerge\t2\t1\tC\n')
run index remove "$M" C nothere --now 2023-03-07
expect_rc "remove" 0
check "remove: per id" same_file "$OUT" <(printf 'id\tresult\nC\tremoved\nnothere\tabsent\n')
run index export "$M" --format tsv
check "remove C: B splits off with a new id" same_file <(tail -n +2 "$OUT" | cut -f1-3) <(printf 'A\t1\tA\nB\t3\tB\n')
run index events "$M" --cluster 3
check "events: the split" grep -qP '^2023-03-07T00:00:00Z\tsplit\t1\t3\tC$' "$OUT"
run index verify "$M"
expect_rc "verify after merge and split" 0

run index expire "$M" --before 2023-03-02 --by published
expect_rc "expire --before" 0
check "expire: A (published 03-01) went" grep -q "^expired 1 documents" "$OUT"
run index expire "$M" --older-than 1x
expect_rc "expire: bad duration" 2
run index expire "$M" --before yesterday
expect_rc "expire: bad time" 2
run index expire "$M"
expect_rc "expire without a cutoff" 2
# Times, durations and cutoffs out of range (years 0001..9999) are usage errors that
# delete nothing; before they were computed with int64 wrap-around: every document went.
for args in "--now 1900-01-01 --older-than 106751991167300d" "--now @-9223372036854775808 --older-than 5d" \
  "--now 0001-01-02 --older-than 2d" "--older-than 99999999999999999999d" "--before @-9223372036854775808" \
  "--before @253402300800" "--now @99999999999999999999 --older-than 1s"; do
  # shellcheck disable=SC2086
  run index expire "$M" $args
  expect_rc "expire $args" 2
  err_has "expire $args" "out of range" "0001-01-01"
  err_one_line "expire $args"
done
run index expire "$M" --now 1900-01-01 --older-than 106751991167300d --by inserted
err_has "expire: the range error names the flag" "--older-than"
run index expire "$M" --before @-9223372036854775808
err_has "expire: the range error names the flag" "--before"
run index stats "$M"
check "expire out of range: nothing deleted" grep -q "^documents   1 (0 empty)" "$OUT"
run index add "$M" "$TMP/c.jsonl" --now @-99999999999999
expect_rc "add --now out of range" 2
err_has "add --now out of range" "--now" "out of range"
run index expire "$M" --older-than 1d --by inserted --now 2023-03-06T12:00:00Z
check "expire --older-than: B (inserted 03-05) went" grep -q "^expired 1 documents.*; 0 documents in 0 clusters remain" "$OUT"
run index stats "$M"
expect_rc "stats" 0
check "stats: empty index" grep -q "^documents   0 (0 empty)" "$OUT"

# ---------------------------------------------------------------------------
# verify finds damage; the error is one line.
cp "$IDX" "$TMP/damaged.dedup"
python3 - "$TMP/damaged.dedup" <<'EOF'
import sqlite3, sys
# Change a stored signature behind the index's back: its row checksum no longer matches.
db = sqlite3.connect(sys.argv[1])
sig = bytearray(db.execute("SELECT signature FROM documents WHERE seq = 3").fetchone()[0])
sig[0] ^= 1
db.execute("UPDATE documents SET signature = ? WHERE seq = 3", (bytes(sig),))
db.commit()
db.close()
EOF
run index verify "$TMP/damaged.dedup"
expect_rc "verify a damaged index" 1
err_has "verify a damaged index" "damaged.dedup" "checksum"
err_one_line "verify a damaged index"
run index verify "$IDX" --quick
expect_rc "verify --quick" 0

# ---------------------------------------------------------------------------
# A full disk and a read-only file system, for real (root with mount only).
if [[ $(id -u) -eq 0 ]] && mkdir -p "$TMP/mnt" && mount -t tmpfs -o size=400k tmpfs "$TMP/mnt" 2>/dev/null; then
  MNT=$TMP/mnt
  F=$MNT/full.dedup
  run index create "$F"
  expect_rc "tmpfs: create" 0
  # Enough documents to fill 400 KiB: the news corpus under fresh ids, 20 times.
  for i in $(seq 1 20); do sed "s/{\"id\": \"/{\"id\": \"r$i-/" "$NEWS"; done >"$TMP/many.jsonl"
  run index add "$F" "$TMP/many.jsonl" --batch-size 20
  expect_rc "tmpfs: add until the disk is full" 1
  err_has "tmpfs: disk full" "$F" "full"
  err_one_line "tmpfs: disk full"
  acked=$(tail -n +2 "$OUT" | wc -l)
  check "tmpfs: some batches were acknowledged" test "$acked" -gt 0
  run index verify "$F"
  expect_rc "tmpfs: verify after the disk filled" 0
  check "tmpfs: exactly the acknowledged documents" grep -q "ok: .*: $acked documents" "$OUT"
  # Read-only: writes refused with a clear message; reading works.
  if mount -o remount,ro "$MNT" 2>/dev/null; then
    run index add "$F" "$NEWS"
    expect_rc "read-only fs: add" 1
    err_has "read-only fs: add" "$F" "read-only"
    err_one_line "read-only fs: add"
    run index query "$F" "$NEWS"
    expect_rc "read-only fs: query" 0
    run index verify "$F"
    expect_rc "read-only fs: verify" 0
  else
    echo "SKIP: remount read-only failed"
  fi
else
  echo "SKIP: full-disk and read-only file system checks (need root and tmpfs)"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
