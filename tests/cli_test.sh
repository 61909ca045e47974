#!/usr/bin/env bash
# End-to-end tests of the dedup command line on the shipped fixtures.
#
# Usage: tests/cli_test.sh DEDUP_BINARY REPO_ROOT
#
# Expected values come from the fixtures' own ground truth (fixtures/news_truth.tsv,
# the similarity table in fixtures/README.md, computed by tools/make_fixtures.py),
# from the file system (folder order), or from another dedup run that must agree
# (file vs folder vs stdin, threads, formats). Prints "N passed, M failed"; exits 1
# on any failure.
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dedup_cli_test.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

source "$HERE/cli_lib.sh"

NEWS=fixtures/news
TRUTH=fixtures/news_truth.tsv
# The documented leading columns; report.h lets columns grow at the end only.
HEADER=$'id\tcluster\trepresentative\tsimilarity'

# ---------------------------------------------------------------------------
# cluster on the news folder: grouping against the ground truth.

run cluster "$NEWS" --format tsv
expect_rc "cluster folder" 0
cp "$OUT" "$TMP/folder.tsv"
check "tsv header starts with the documented columns" test "$(head -n 1 "$TMP/folder.tsv" | cut -f1-4)" = "$HEADER"
# One line per document, in input order = the folder's files sorted by byte order.
(cd "$NEWS" && LC_ALL=C ls -1) >"$TMP/files"
tail -n +2 "$TMP/folder.tsv" | cut -f1 >"$TMP/ids"
check "one tsv line per document, in folder order" same_file "$TMP/files" "$TMP/ids"
check "truth lists the folder's files" same_file "$TMP/files" <(tail -n +2 "$TRUTH" | cut -f1)
check "every line has as many fields as the header" \
  awk -F'\t' 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad || n < 4 }' "$TMP/folder.tsv"

# cluster_of TSV: "id<TAB>cluster" lines.
# Copies of the five seeds (kinds original/chrome/dropped/typos/quotes/combo) must be
# in their original's cluster. trunc60 (containment) and the short/zh/ru copies, whose
# Jaccard with their original is low (0.36-0.76, fixtures/README.md), are a later feature.
check_grouping() {
  local tsv=$1 label=$2
  local report
  report=$(awk -F'\t' '
    NR == FNR { if (FNR > 1) cl[$1] = $2; next }
    FNR == 1 { next }
    {
      id = $1; src = $2; kind = $3
      if (!(id in cl)) { printf "missing %s\n", id; next }
      if (kind ~ /^(original|chrome|dropped|typos|quotes|combo)$/ && src ~ /^00[0-4]_/) {
        checked++
        if (cl[id] != cl[src]) printf "%s (cluster %s) not with %s (cluster %s)\n", id, cl[id], src, cl[src]
      }
    }
    END { if (checked != 30) printf "checked %d seed documents, expected 30\n", checked }
  ' "$tsv" "$TRUTH")
  if [[ -z $report ]]; then pass; else fail "$label: grouping: $report"; fi

  # Precision: documents derived from different originals never share a cluster.
  report=$(awk -F'\t' '
    NR == FNR { if (FNR > 1) src[$1] = $2; next }
    FNR == 1 { next }
    {
      if ($2 in first) { if (src[$1] != src[first[$2]]) printf "%s grouped with %s\n", $1, first[$2] }
      else first[$2] = $1
    }
  ' "$TRUTH" "$tsv")
  if [[ -z $report ]]; then pass; else fail "$label: false merges: $report"; fi

  # Hard negatives: the 5 seed originals, the 6 short_NN items, zh_01/zh_02.
  local n
  n=$(awk -F'\t' '$1 ~ /^00[0-4]_[0-9a-f]+\.txt$/ { print $2 }' "$tsv" | sort -u | wc -l)
  check "$label: 5 seed originals in 5 clusters" test "$n" -eq 5
  n=$(awk -F'\t' '$1 ~ /^short_0[1-6]\.txt$/ { print $2 }' "$tsv" | sort -u | wc -l)
  check "$label: 6 short items in 6 clusters" test "$n" -eq 6
  n=$(awk -F'\t' '$1 == "zh_01.txt" || $1 == "zh_02.txt" { print $2 }' "$tsv" | sort -u | wc -l)
  check "$label: zh_01 and zh_02 apart" test "$n" -eq 2
  # Every representative is listed as its own representative, with similarity 1.
  report=$(awk -F'\t' 'NR > 1 { rep[$1] = $3; sim[$1] = $4; ids[NR] = $1 }
    END { for (i in ids) { r = rep[ids[i]]; if (rep[r] != r || sim[r] != 1) print ids[i] } }' "$tsv")
  if [[ -z $report ]]; then pass; else fail "$label: representatives: $report"; fi
}
check_grouping "$TMP/folder.tsv" "folder"

# The same documents from news.jsonl, stdin and with --exact.
run cluster fixtures/news.jsonl --format tsv
expect_rc "cluster jsonl" 0
cp "$OUT" "$TMP/jsonl.tsv"
# Same ids, same clusters (the representative may differ: news.jsonl has publication
# times, the folder does not).
check "jsonl run: same ids and clusters as the folder run" \
  same_file <(cut -f1,2 "$TMP/folder.tsv") <(cut -f1,2 "$TMP/jsonl.tsv")
check_grouping "$TMP/jsonl.tsv" "jsonl"

"$DEDUP" cluster - --format tsv <fixtures/news.jsonl >"$TMP/stdin.tsv" 2>"$ERR"
RC=$?
expect_rc "cluster stdin" 0
check "stdin run equals file run" same_file "$TMP/jsonl.tsv" "$TMP/stdin.tsv"
cat fixtures/news.jsonl | "$DEDUP" cluster - --format tsv >"$TMP/pipe.tsv" 2>"$ERR"
check "piped stdin run equals file run" same_file "$TMP/jsonl.tsv" "$TMP/pipe.tsv"

run cluster "$NEWS" --format tsv --exact
expect_rc "cluster --exact" 0
cp "$OUT" "$TMP/exact.tsv"
check "--exact: same grouping" same_file <(cut -f1,2 "$TMP/folder.tsv") <(cut -f1,2 "$TMP/exact.tsv")
check_grouping "$TMP/exact.tsv" "exact"

# Several inputs: read in order, as one corpus.
run cluster fixtures/tiny "$NEWS" --format tsv
expect_rc "two folders" 0
check "two folders: ids in input order" same_file \
  <( (cd fixtures/tiny && LC_ALL=C ls -1); cat "$TMP/files") <(tail -n +2 "$OUT" | cut -f1)
# Same ids twice is an error naming both files.
run cluster "$NEWS" "$NEWS" --format tsv
expect_rc "same folder twice" 1
err_has "same folder twice" "duplicate id" "$NEWS/000_f108cfa45c64e33e.txt" "first seen at $NEWS/000_f108cfa45c64e33e.txt"

# ---------------------------------------------------------------------------
# Determinism: formats, repeated runs, thread counts.

for format in text json jsonl tsv csv; do
  "$DEDUP" cluster "$NEWS" --format "$format" >"$TMP/a.$format" 2>"$ERR"
  RC=$?
  expect_rc "format $format" 0
  "$DEDUP" cluster "$NEWS" --format "$format" >"$TMP/b.$format" 2>/dev/null
  check "format $format: two runs identical" same_file "$TMP/a.$format" "$TMP/b.$format"
  "$DEDUP" cluster "$NEWS" --format "$format" --threads 1 >"$TMP/t1.$format" 2>/dev/null
  "$DEDUP" cluster "$NEWS" --format "$format" --threads 2 >"$TMP/t2.$format" 2>/dev/null
  check "format $format: --threads 1 = --threads 2" same_file "$TMP/t1.$format" "$TMP/t2.$format"
  check "format $format: --threads 1 = default" same_file "$TMP/t1.$format" "$TMP/a.$format"
  check "format $format: not empty" test -s "$TMP/a.$format"
done
check "tsv format equals the tsv run above" same_file "$TMP/a.tsv" "$TMP/folder.tsv"
# The machine formats agree with the TSV.
check "jsonl parses and agrees with tsv" python3 - "$TMP/a.jsonl" "$TMP/a.tsv" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
tsv = [line.rstrip("\n").split("\t") for line in open(sys.argv[2], encoding="utf-8")]
header, tsv = tsv[0], tsv[1:]
assert len(rows) == len(tsv), (len(rows), len(tsv))
for r, t in zip(rows, tsv):
    assert list(r)[:4] == ["id", "cluster", "representative", "similarity"], r
    assert set(r) == set(header), (r, header)  # The same columns as the TSV.
    for name, field in zip(header, t):
        v = r[name]
        if isinstance(v, str):
            assert v == field, (name, r, t)
        else:
            assert abs(v - float(field)) < 1e-9, (name, r, t)
EOF
check "text: the starred member of each cluster is the tsv representative" python3 - "$TMP/a.text" "$TMP/a.tsv" <<'EOF'
import re, sys
rep = {}
for line in list(open(sys.argv[2], encoding="utf-8"))[1:]:
    f = line.rstrip("\n").split("\t")
    rep[f[0]] = f[2]
starred = members = 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"  ([* ]) [0-9.]+ (.*)", line)
    if not m:
        continue
    ids = [w for w in m.group(2).split() if w in rep]
    assert ids, line
    is_rep = rep[ids[0]] == ids[0]
    assert (m.group(1) == "*") == is_rep, line
    starred += is_rep
    members += 1
assert starred > 0 and members > starred, (starred, members)
EOF
check "csv parses and agrees with tsv" python3 - "$TMP/a.csv" "$TMP/a.tsv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
tsv = [line.rstrip("\n").split("\t") for line in open(sys.argv[2], encoding="utf-8")]
assert rows == tsv, (rows[:3], tsv[:3])
EOF
check "json parses; its clusters are the tsv's clusters of size >= 2, largest first" \
  python3 - "$TMP/a.json" "$TMP/a.tsv" <<'EOF'
import collections, json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
tsv = [line.rstrip("\n").split("\t") for line in open(sys.argv[2], encoding="utf-8")][1:]
members = collections.defaultdict(list)
reps = collections.defaultdict(set)
for id_, cluster, rep, sim in (row[:4] for row in tsv):
    members[int(cluster)].append(id_)
    reps[int(cluster)].add(rep)
expected = {c: m for c, m in members.items() if len(m) >= 2}
got = {c["cluster"]: [m["id"] for m in c["members"]] for c in report["clusters"]}
assert got == expected, (got, expected)
for c in report["clusters"]:
    assert reps[c["cluster"]] == {c["representative"]}, (c, reps[c["cluster"]])
sizes = [c["size"] for c in report["clusters"]]
assert sizes == sorted(sizes, reverse=True), sizes
s = report["summary"]
assert s["documents"] == len(tsv) and s["clusters"] == len(members), s
assert s["duplicate_clusters"] == len(expected), s
assert s["duplicates"] == sum(len(m) - 1 for m in expected.values()), s
EOF

# ---------------------------------------------------------------------------
# --output: atomic file.

mkdir -p "$TMP/o"
run cluster "$NEWS" --format tsv --output "$TMP/o/report.tsv"
expect_rc "--output" 0
check "--output: nothing on stdout" test ! -s "$OUT"
check "--output: file equals stdout output" same_file "$TMP/o/report.tsv" "$TMP/folder.tsv"
check "--output: no temporary left" test -z "$(find "$TMP/o" -name '.*.tmp.*')"
run cluster "$NEWS" --format json -o "$TMP/o/report.tsv"
check "-o replaces an existing file" same_file "$TMP/o/report.tsv" "$TMP/a.json"
# On error the output file is not created, and an existing one is left untouched.
run cluster "$TMP/no_such_input" --format tsv --output "$TMP/o/new.tsv"
expect_rc "--output with missing input" 1
check "--output with missing input: no file" test ! -e "$TMP/o/new.tsv"
echo "sentinel" >"$TMP/o/keep.tsv"
run cluster fixtures/bad/malformed.jsonl --format tsv --output "$TMP/o/keep.tsv"
expect_rc "--output with bad input" 1
check "--output with bad input: existing file untouched" test "$(cat "$TMP/o/keep.tsv")" = "sentinel"
check "--output after errors: no temporary left" test -z "$(find "$TMP/o" -name '.*.tmp.*')"
check "--output: only the expected files" test "$(cd "$TMP/o" && ls -A | tr '\n' ' ')" = "keep.tsv report.tsv "
run cluster "$NEWS" --format tsv --output "$TMP/no_such_folder/out.tsv"
expect_rc "--output into a missing folder" 1
err_has "--output into a missing folder" "$TMP/no_such_folder/out.tsv"
err_one_line "--output into a missing folder"

# -o onto what is not a plain new or regular file. Devices and FIFOs are written in
# place (a device node made here, never the real /dev/null); symbolic links are written
# through; folders, block devices, sockets, dangling links are refused; and an output
# that is an input (same file, hard or symbolic link, stdin, inside an input folder, the
# truth file) is a usage error before anything is read. Before, -o replaced whatever
# node was at the path: the corpus, the device, the link.
mkdir -p "$TMP/w"
if mknod "$TMP/w/null" c 1 3 2>/dev/null; then
  run cluster "$NEWS" --format tsv -o "$TMP/w/null"
  expect_rc "-o a character device" 0
  check "-o a character device: still a device" test -c "$TMP/w/null"
  check "-o a character device: no temporary beside it" test -z "$(find "$TMP/w" -name '.*.tmp.*')"
  rm -f "$TMP/w/null"
else
  echo "SKIP: mknod (not root): -o onto a character device"
fi
if mknod "$TMP/w/block" b 7 250 2>/dev/null; then
  run cluster "$NEWS" -o "$TMP/w/block"
  expect_rc "-o a block device" 2
  err_has "-o a block device" "$TMP/w/block" "block device"
  check "-o a block device: still one" test -b "$TMP/w/block"
  rm -f "$TMP/w/block"
fi
mkfifo "$TMP/w/fifo"
timeout 30 cat "$TMP/w/fifo" >"$TMP/w/fifo.out" &
reader=$!
timeout 20 "$DEDUP" cluster "$NEWS" --format tsv -o "$TMP/w/fifo" >"$OUT" 2>"$ERR"
RC=$?
wait "$reader"
expect_rc "-o a FIFO" 0
check "-o a FIFO: still a FIFO" test -p "$TMP/w/fifo"
check "-o a FIFO: the reader got the report" same_file "$TMP/w/fifo.out" "$TMP/folder.tsv"
echo old >"$TMP/w/target.tsv"
chmod 640 "$TMP/w/target.tsv"
ln -s target.tsv "$TMP/w/link.tsv"
run cluster "$NEWS" --format tsv -o "$TMP/w/link.tsv"
expect_rc "-o a symbolic link" 0
check "-o a symbolic link: the link stays a link" test -L "$TMP/w/link.tsv"
check "-o a symbolic link: its target is written" same_file "$TMP/w/target.tsv" "$TMP/folder.tsv"
check "-o keeps the replaced file's permission bits" test "$(stat -c %a "$TMP/w/target.tsv")" = 640
check "-o a symbolic link: no temporary left" test -z "$(find "$TMP/w" -name '.*.tmp.*')"
ln -s nowhere.tsv "$TMP/w/dangling.tsv"
run cluster "$NEWS" -o "$TMP/w/dangling.tsv"
expect_rc "-o a dangling symbolic link" 2
err_has "-o a dangling symbolic link" "$TMP/w/dangling.tsv" "does not exist"
check "-o a dangling symbolic link: left as it was" test -L "$TMP/w/dangling.tsv" -a ! -e "$TMP/w/nowhere.tsv"
run cluster "$NEWS" -o "$TMP/w"
expect_rc "-o a folder" 2
err_has "-o a folder" "folder"
if python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TMP/w/sock" 2>/dev/null; then
  run cluster "$NEWS" -o "$TMP/w/sock"
  expect_rc "-o a socket" 2
  err_has "-o a socket" "socket"
fi
# The output is an input: refused with exit 2, nothing read, nothing touched.
cp fixtures/news.jsonl "$TMP/w/a.jsonl"
ln "$TMP/w/a.jsonl" "$TMP/w/hard.jsonl"
ln -s a.jsonl "$TMP/w/sym.jsonl"
for target in a.jsonl hard.jsonl sym.jsonl; do
  run cluster "$TMP/w/a.jsonl" -o "$TMP/w/$target"
  expect_rc "-o the input ($target)" 2
  err_has "-o the input ($target)" "$TMP/w/$target" "input"
done
"$DEDUP" cluster - -o "$TMP/w/a.jsonl" <"$TMP/w/a.jsonl" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "-o the file stdin reads" 2
err_has "-o the file stdin reads" "standard input"
run cluster fixtures/tiny "$TMP/w/sym.jsonl" -o "fixtures/tiny/$(LC_ALL=C ls fixtures/tiny | head -n 1)"
expect_rc "-o a file inside an input folder" 2
err_has "-o a file inside an input folder" "inside the input fixtures/tiny"
check "-o the input: the corpus is intact" same_file "$TMP/w/a.jsonl" fixtures/news.jsonl
check "-o the input: the links are intact" test -L "$TMP/w/sym.jsonl" -a "$(stat -c %h "$TMP/w/a.jsonl")" = 2
cp "$TRUTH" "$TMP/w/truth.tsv"
run eval "$TMP/w/a.jsonl" --truth "$TMP/w/truth.tsv" -o "$TMP/w/truth.tsv"
expect_rc "eval -o the truth file" 2
err_has "eval -o the truth file" "$TMP/w/truth.tsv" "input"
check "eval -o the truth file: intact" same_file "$TMP/w/truth.tsv" "$TRUTH"
run eval "$TMP/w/a.jsonl" --truth "$TRUTH" -o "$TMP/w/hard.jsonl"
expect_rc "eval -o an input" 2
check "eval -o an input: intact" same_file "$TMP/w/a.jsonl" fixtures/news.jsonl
# Before any input is read: a FIFO input with no writer would block if it were opened.
mkfifo "$TMP/w/never.jsonl"
timeout 20 "$DEDUP" cluster "$TMP/w/never.jsonl" "$TMP/w/a.jsonl" -o "$TMP/w/a.jsonl" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "-o an input: refused before reading (a FIFO input is not opened)" 2

# A .jsonl file cut by `split` (parts named xaa, xab, ...) is read as JSONL, not as one
# document per part: the same report as the whole file.
mkdir -p "$TMP/parts" && split -l 10 fixtures/news.jsonl "$TMP/parts/x"
run cluster fixtures/news.jsonl --format tsv
cp "$OUT" "$TMP/whole.tsv"
run cluster "$TMP"/parts/x* --format tsv
expect_rc "cluster the parts of a split .jsonl" 0
check "the parts of a split .jsonl give the whole file's report" same_file "$OUT" "$TMP/whole.tsv"
check "a note says a part is read as JSONL" grep -qF "parts/xaa: read as JSONL: its first line is a JSON object with \"text\"" "$ERR"
check "one note per part" test "$(grep -c 'read as JSONL' "$ERR")" = "$(ls "$TMP"/parts | wc -l)"
run cluster "$TMP"/parts/x* --format tsv --input-format jsonl
check "--input-format jsonl: the same report, no note" bash -c 'cmp -s "$1" "$2" && test ! -s "$3"' _ "$OUT" "$TMP/whole.tsv" "$ERR"
run cluster "$TMP/parts/xaa" "$TMP/parts/xab" --format tsv --input-format text
expect_rc "--input-format text" 0
check "--input-format text: one document per file" test "$(tail -n +2 "$OUT" | cut -f1 | tr '\n' ' ')" = "$TMP/parts/xaa $TMP/parts/xab "
cp fixtures/news.jsonl "$TMP/news_as.txt"
run cluster "$TMP/news_as.txt" --format tsv --input-format jsonl
check "--input-format jsonl reads a .txt file as JSONL" same_file "$OUT" "$TMP/whole.tsv"
printf '<html><body><p>alpha beta gamma delta</p></body></html>' >"$TMP/page.dat"
cp "$TMP/page.dat" "$TMP/page2.dat"
run cluster "$TMP/page.dat" "$TMP/page2.dat" --format text --input-format html
check "--input-format html: HTML documents, their text extracted" \
  bash -c 'grep -q "page2.dat  alpha beta gamma delta$" "$1" && ! grep -q "<p>" "$1"' _ "$OUT"
run cluster "$TMP/page.dat" --input-format xml
expect_rc "--input-format xml: a usage error" 2

# ---------------------------------------------------------------------------
# Inputs that can be read only once (pipes, FIFOs, process substitution, stdin) are
# spooled once for the two passes (boilerplate search, eval's oracle, explain --corpus).
# Each run has a timeout: before, a drained FIFO was opened again and blocked forever.

SENTENCE='the quick brown fox jumps over the lazy dog by the river'
timeout 20 "$DEDUP" cluster --format jsonl <(echo "$SENTENCE") <(echo "$SENTENCE") >"$OUT" 2>"$ERR"
RC=$?
expect_rc "process substitution" 0
check "process substitution: two equal documents are grouped" \
  test "$(grep -c '"cluster":0,' "$OUT") $(grep -c '"relation":"similar"' "$OUT")" = "2 1"
timeout 20 "$DEDUP" cluster --format jsonl --boilerplate off <(echo "$SENTENCE") <(echo "$SENTENCE") >"$TMP/psub_off" 2>"$ERR"
check "process substitution: the same grouping without boilerplate removal" same_file "$OUT" "$TMP/psub_off"
mkfifo "$TMP/fifo.jsonl"
fifo_run() {  # ARGS...: dedup with fixtures/news.jsonl written into the FIFO.
  cat fixtures/news.jsonl >"$TMP/fifo.jsonl" &
  local writer=$!
  timeout 20 "$DEDUP" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  # A writer that found no reader (the command failed first) must not linger.
  kill "$writer" 2>/dev/null
  wait "$writer" 2>/dev/null
}
fifo_run cluster "$TMP/fifo.jsonl" --format tsv
expect_rc "cluster FIFO" 0
check "cluster FIFO equals the file run" same_file "$OUT" "$TMP/jsonl.tsv"
fifo_run explain 000_f108cfa45c64e33e.txt 000_f108cfa45c64e33e__chrome.txt --corpus "$TMP/fifo.jsonl" --format json
expect_rc "explain --corpus FIFO" 0
"$DEDUP" explain 000_f108cfa45c64e33e.txt 000_f108cfa45c64e33e__chrome.txt --corpus fixtures/news.jsonl --format json \
  >"$TMP/explain_file.json" 2>/dev/null
check "explain --corpus FIFO equals the file run" same_file "$OUT" "$TMP/explain_file.json"
timeout 20 "$DEDUP" explain 000_f108cfa45c64e33e.txt 000_f108cfa45c64e33e__chrome.txt --corpus - --format json \
  <fixtures/news.jsonl >"$OUT" 2>"$ERR"
RC=$?
expect_rc "explain --corpus -" 0
check "explain --corpus - equals the file run" same_file "$OUT" "$TMP/explain_file.json"
"$DEDUP" eval fixtures/news.jsonl --truth "$TRUTH" --format json >"$TMP/eval_file.json" 2>/dev/null
fifo_run eval "$TMP/fifo.jsonl" --truth "$TRUTH" --format json
expect_rc "eval FIFO" 0
check "eval FIFO (oracle included) equals the file run" same_file "$OUT" "$TMP/eval_file.json"
cat fixtures/news.jsonl | timeout 20 "$DEDUP" eval - --truth "$TRUTH" --format json >"$OUT" 2>"$ERR"
RC=$?
expect_rc "eval piped stdin" 0
check "eval piped stdin (oracle included) equals the file run" same_file "$OUT" "$TMP/eval_file.json"
fifo_run cluster "$TMP/fifo.jsonl" fixtures/bad/malformed.jsonl --format tsv
expect_rc "FIFO then a bad file" 1
err_has "FIFO then a bad file: the bad file is named" "fixtures/bad/malformed.jsonl:3:"
printf '{"id": "a", "text": "x"}\n{"id": "b"}\n' >"$TMP/fifo_bad.jsonl"
cat "$TMP/fifo_bad.jsonl" >"$TMP/fifo.jsonl" &
timeout 20 "$DEDUP" cluster "$TMP/fifo.jsonl" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "bad line in a FIFO" 1
err_has "bad line in a FIFO: named as given" "$TMP/fifo.jsonl:2:" 'missing field "text"'
check "spooled copies are removed" test -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'dedup-spool.*' -newer "$TMP/fifo_bad.jsonl" 2>/dev/null)"

# ---------------------------------------------------------------------------
# Bad input: exit 1, one line naming file, line and problem.

# file|strings the message must contain (beyond the file name)
BAD_CASES=(
  "malformed.jsonl|malformed.jsonl:3:|invalid JSON"
  "missing_text.jsonl|missing_text.jsonl:2:|missing field \"text\""
  "nonstring_id.jsonl|nonstring_id.jsonl:1:|field \"id\" is a number"
  "duplicate_ids.jsonl|duplicate_ids.jsonl:4:|duplicate id \"b\"|duplicate_ids.jsonl:2"
  "bad_utf8.txt|bad_utf8.txt:2:|invalid UTF-8"
  "bad_utf8.jsonl|bad_utf8.jsonl:2:|invalid UTF-8"
)
covered=" "
for spec in "${BAD_CASES[@]}"; do
  IFS='|' read -r -a parts <<<"$spec"
  file=fixtures/bad/${parts[0]}
  covered+="${parts[0]} "
  run cluster "$file" --format tsv
  expect_rc "bad input ${parts[0]}" 1
  err_one_line "bad input ${parts[0]}"
  err_has "bad input ${parts[0]}" "dedup: error: $file" "${parts[@]:1}"
  check "bad input ${parts[0]}: nothing on stdout" test ! -s "$OUT"
done
# Every file in fixtures/bad/ is covered above, and fails.
for file in fixtures/bad/*; do
  name=$(basename "$file")
  check "fixtures/bad/$name has a case above" test "${covered#* $name }" != "$covered"
  run cluster "$file"
  expect_rc "bad input $name (text format)" 1
done

# An unreadable subfolder is named itself, not as its top folder (permissions do not
# bind root: run as nobody when root).
mkdir -p "$TMP/perm/top/ok" "$TMP/perm/top/locked"
echo "a document" >"$TMP/perm/top/ok/a.txt"
echo "another one" >"$TMP/perm/top/locked/b.txt"
chmod 0000 "$TMP/perm/top/locked"
chmod 0755 "$TMP/perm" "$TMP/perm/top" && chmod o+x "$TMP"
run_unprivileged cluster "$TMP/perm/top" --format tsv
if [[ $RC -eq 125 ]]; then
  echo "SKIP: unreadable subfolder (root without setpriv)"
else
  expect_rc "unreadable subfolder" 1
  err_has "unreadable subfolder: names it" "$TMP/perm/top/locked: cannot list"
  err_one_line "unreadable subfolder"
fi
chmod 0755 "$TMP/perm/top/locked"
chmod go-x "$TMP"

# Standard input: errors name <stdin> and the line; empty input is no documents.
printf '{"id": "a", "text": "x"}\n{"id": "b"}\n' | "$DEDUP" cluster - >"$OUT" 2>"$ERR"
RC=$?
expect_rc "stdin with a bad line" 1
err_has "stdin with a bad line" "<stdin>:2:" 'missing field "text"'
"$DEDUP" cluster - --format tsv </dev/null >"$OUT" 2>"$ERR"
RC=$?
expect_rc "empty stdin" 0
check "empty stdin: header only" test "$(wc -l <"$OUT") $(cut -f1-4 "$OUT")" = "1 $HEADER"

run cluster "$TMP/missing.jsonl"
expect_rc "missing file" 1
err_one_line "missing file"
err_has "missing file" "$TMP/missing.jsonl"

# --skip-bad-lines: a warning, and the good lines are clustered.
run cluster fixtures/bad/malformed.jsonl --skip-bad-lines --format tsv
expect_rc "--skip-bad-lines" 0
err_has "--skip-bad-lines warning" "warning" "malformed.jsonl:3:"
check "--skip-bad-lines: good lines clustered" test "$(tail -n +2 "$OUT" | cut -f1 | tr '\n' ' ')" = "a b d "
run cluster fixtures/bad/malformed.jsonl --skip-bad-lines
expect_rc "--skip-bad-lines (text)" 0
check "--skip-bad-lines: text summary counts the skipped line" grep -q "1 bad lines skipped" "$OUT"
run cluster fixtures/bad/duplicate_ids.jsonl --skip-bad-lines
expect_rc "--skip-bad-lines does not skip duplicate ids" 1

# ---------------------------------------------------------------------------
# Usage errors: exit 2 with a message.

usage_case() {  # NAME EXPECTED_SUBSTRING ARGS...
  local name=$1 want=$2
  shift 2
  run "$@"
  expect_rc "usage: $name" 2
  err_has "usage: $name" "$want"
  check "usage: $name: nothing on stdout" test ! -s "$OUT"
}
usage_case "unknown option" "--bogus" cluster "$NEWS" --bogus
usage_case "--threshold 1.5" "1.5" cluster "$NEWS" --threshold 1.5
usage_case "--threshold -0.1" "threshold" cluster "$NEWS" --threshold -0.1
usage_case "--threshold abc" "abc" cluster "$NEWS" --threshold abc
usage_case "--num-perm 0" "num-perm" cluster "$NEWS" --num-perm 0
usage_case "--minhash fast" "fast" cluster "$NEWS" --minhash fast
usage_case "--signature-bits 12" "signature-bits" cluster "$NEWS" --signature-bits 12
usage_case "--bands 50 --rows 50" "exceeds" cluster "$NEWS" --bands 50 --rows 50
usage_case "--signature-bits 8 --rows 2" "at least 3 rows" cluster "$NEWS" --signature-bits 8 --bands 40 --rows 2
usage_case "--bands without --rows" "--rows" cluster "$NEWS" --bands 5
usage_case "--rows without --bands" "--bands" cluster "$NEWS" --rows 5
usage_case "--format xml" "xml" cluster "$NEWS" --format xml
usage_case "--shingle foo:3" "foo:3" cluster "$NEWS" --shingle foo:3
usage_case "--threads -1" "threads" cluster "$NEWS" --threads -1
# Thread counts oneTBB cannot take (it aborted or crashed) are usage errors naming the
# range, in every command that has --threads (one definition: dedup/threads.h).
for threads in 65537 100000000 1025; do
  usage_case "cluster --threads $threads" "0..1024" cluster "$NEWS" --threads "$threads"
  usage_case "eval --threads $threads" "0..1024" eval "$NEWS" --truth "$TRUTH" --threads "$threads"
  usage_case "explain --threads $threads" "0..1024" explain a b --corpus fixtures/news.jsonl --threads "$threads"
  usage_case "index add --threads $threads" "0..1024" index add "$TMP/t.dedup" "$NEWS" --threads "$threads"
  usage_case "index query --threads $threads" "0..1024" index query "$TMP/t.dedup" "$NEWS" --threads "$threads"
done
run cluster "$NEWS" --threads 1024 --format tsv
expect_rc "--threads 1024 (the maximum)" 0
# Seeds outside 0..2^64-1 are refused, not clamped to 2^64-1.
usage_case "--seed -1" "0..18446744073709551615" cluster "$NEWS" --seed -1
usage_case "--seed 2^64" "0..18446744073709551615" cluster "$NEWS" --seed 18446744073709551616
usage_case "index create --seed -1" "0..18446744073709551615" index create "$TMP/s.dedup" --seed -1
run cluster "$NEWS" --seed 18446744073709551615 --format tsv
expect_rc "--seed 2^64-1" 0
# --bands / --rows 0: a range that makes sense (was "0.000000 to 1797693...").
usage_case "--bands 0" "1..4096" cluster "$NEWS" --bands 0 --rows 4
usage_case "--rows 0" "1..4096" cluster "$NEWS" --bands 4 --rows 0
usage_case "index create --bands 0" "1..4096" index create "$TMP/s.dedup" --bands 0 --rows 4
check "--bands 0: a short message" test "$(wc -c <"$ERR")" -lt 200
# Empty field names are usage errors (exit 2), as other bad option values.
usage_case "--id-field ''" "--id-field" cluster "$NEWS" --id-field ''
usage_case "--text-field ''" "--text-field" cluster "$NEWS" --text-field ''
usage_case "compare --id-field ''" "--id-field" compare a b --corpus fixtures/news.jsonl --id-field ''
usage_case "no input" "INPUT" cluster
usage_case "no subcommand" "subcommand" 
usage_case "unknown subcommand" "frobnicate" frobnicate
usage_case "unknown option before the subcommand" "--bogus" --bogus
usage_case "compare --format xml" "xml" compare "$NEWS/short_01.txt" "$NEWS/short_02.txt" --format xml
usage_case "compare missing B" "B" compare "$NEWS/short_01.txt"

# ---------------------------------------------------------------------------
# Help and version.

for sub in "" cluster compare version; do
  # shellcheck disable=SC2086
  run $sub --help
  expect_rc "--help ${sub:-dedup}" 0
  check "--help ${sub:-dedup} prints usage" grep -q "Usage: dedup" "$OUT"
  if [[ -z $sub ]]; then
    for name in cluster compare version; do
      check "dedup --help lists $name" grep -qE "^ +$name( |$)" "$OUT"
    done
  fi
done
VERSION=$(sed -n 's/^project(dedup VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
run --version
expect_rc "--version" 0
check "--version prints the project version" test "$(cat "$OUT")" = "dedup $VERSION"
run version
expect_rc "version" 0
check "version: first line" test "$(head -n 1 "$OUT")" = "dedup $VERSION"

# ---------------------------------------------------------------------------
# Tiny documents.

run cluster fixtures/tiny --format tsv
expect_rc "tiny" 0
check "tiny: every file listed" same_file <(cd fixtures/tiny && LC_ALL=C ls -1) <(tail -n +2 "$OUT" | cut -f1)
for doc in empty.txt whitespace_only.txt; do
  n=$(awk -F'\t' -v d="$doc" 'NR > 1 { n[$2]++; if ($1 == d) c = $2 } END { print (c == "" ? -1 : n[c]) }' "$OUT")
  check "tiny: $doc is a singleton" test "$n" -eq 1
done
for format in text json jsonl csv; do
  run cluster fixtures/tiny --format "$format"
  expect_rc "tiny --format $format" 0
done
run cluster fixtures/tiny --format tsv --exact
expect_rc "tiny --exact" 0
check "tiny --exact: empty.txt is a singleton" test \
  "$(awk -F'\t' 'NR > 1 { n[$2]++; if ($1 == "empty.txt") c = $2 } END { print n[c] }' "$OUT")" -eq 1
run cluster fixtures/tiny/empty.txt --format tsv
expect_rc "a single empty file" 0
check "a single empty file: one line" test "$(tail -n +2 "$OUT" | cut -f1-2)" = $'fixtures/tiny/empty.txt\t0'

# ---------------------------------------------------------------------------
# compare.

# text_value LABEL: the number after LABEL at the start of a line of the text report.
text_value() { awk -v k="$1" 'index($0, k) == 1 { n = split(k, words, " "); print $(n + 1); exit }' "$OUT"; }
SEED=$NEWS/000_f108cfa45c64e33e.txt
TYPOS=$NEWS/000_f108cfa45c64e33e__typos.txt
run compare "$SEED" "$TYPOS"
expect_rc "compare files" 0
cp "$OUT" "$TMP/compare.txt"
J=$(text_value "exact Jaccard")
E=$(text_value "estimated Jaccard")
check "compare prints exact Jaccard" test -n "$J"
check "compare prints estimated Jaccard" test -n "$E"
check "compare: estimate within 4 standard errors (+0.01) of the exact value" \
  awk -v j="$J" -v e="$E" 'BEGIN { d = e - j; if (d < 0) d = -d; exit !(j > 0 && d <= 4 * sqrt(j * (1 - j) / 128) + 0.01) }'
check "compare: A and B named" grep -qF "A: $SEED" "$OUT"

# The exact Jaccard and containment of every copy in fixtures/README.md's table
# (computed by tools/make_fixtures.py, "unicode" columns) match dedup compare.
# Columns: | id | kind | tokens | J ascii | C ascii | J unicode | C unicode | what |
awk -F'|' '$2 ~ /^ [^ ]+\.txt $/ && $3 ~ /^ [a-z0-9]+ $/ && $7 ~ /[0-9]/ {
  gsub(/ /, "", $2); gsub(/ /, "", $7); gsub(/ /, "", $8); print $2, $7, $8 }' fixtures/README.md >"$TMP/table"
check "README table lists every copy in the truth file" same_file <(cut -d' ' -f1 "$TMP/table" | LC_ALL=C sort) \
  <(awk -F'\t' 'NR > 1 && $3 != "original" { print $1 }' "$TRUTH" | LC_ALL=C sort)
while read -r id jt ct; do
  src=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$TRUTH")
  run compare "$NEWS/$src" "$NEWS/$id"
  if [[ $RC -ne 0 ]]; then
    fail "compare $id: exit $RC"
    continue
  fi
  j=$(text_value "exact Jaccard")
  c=$(text_value "B contained in A")
  e=$(text_value "estimated Jaccard")
  check "compare $id: exact J $j vs README $jt" awk -v a="$j" -v b="$jt" 'BEGIN { d = a - b; exit !(d < 0.0006 && d > -0.0006) }'
  check "compare $id: containment $c vs README $ct" awk -v a="$c" -v b="$ct" 'BEGIN { d = a - b; exit !(d < 0.0006 && d > -0.0006) }'
  check "compare $id: estimate $e within bound of $j" \
    awk -v j="$j" -v e="$e" 'BEGIN { d = e - j; if (d < 0) d = -d; exit !(d <= 4 * sqrt(j * (1 - j) / 128) + 0.01) }'
done <"$TMP/table"

# By id in a corpus: the same numbers; also with an option after the ids.
SEED_ID=$(basename "$SEED")
TYPOS_ID=$(basename "$TYPOS")
run compare --corpus fixtures/news.jsonl "$SEED_ID" "$TYPOS_ID"
expect_rc "compare --corpus" 0
check "compare --corpus: same numbers as the files" same_file <(tail -n +3 "$OUT") <(tail -n +3 "$TMP/compare.txt")
check "compare --corpus: ids named" grep -qF "A: $SEED_ID" "$OUT"
run compare --corpus fixtures/news.jsonl "$SEED_ID" "$TYPOS_ID" --format json
expect_rc "compare --corpus ... --format json (option after the ids)" 0
check "compare --format json parses" python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT"
check "compare --format json: values agree with text" python3 - "$OUT" "$J" "$E" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert abs(r["exact_jaccard"] - float(sys.argv[2])) < 6e-5, r
assert abs(r["estimated_jaccard"] - float(sys.argv[3])) < 6e-5, r
assert r["a"] == "000_f108cfa45c64e33e.txt" and r["b"] == "000_f108cfa45c64e33e__typos.txt", r
EOF
run compare --corpus "$NEWS" --format json "$SEED_ID" "$TYPOS_ID"
expect_rc "compare --corpus folder" 0
check "compare --corpus folder: same as jsonl" python3 - "$OUT" "$J" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert abs(r["exact_jaccard"] - float(sys.argv[2])) < 6e-5, r
EOF
run compare --corpus fixtures/news.jsonl "$SEED_ID" no_such_id.txt
expect_rc "compare: missing id" 1
err_one_line "compare: missing id"
err_has "compare: missing id" "no_such_id.txt"
run compare "$SEED" "$TMP/missing.txt"
expect_rc "compare: missing file" 1
err_has "compare: missing file" "$TMP/missing.txt"
run compare fixtures/news.jsonl "$SEED"
expect_rc "compare: a file holding several documents" 1
err_has "compare: a file holding several documents" "fixtures/news.jsonl"
run compare fixtures/tiny/empty.txt fixtures/tiny/empty.txt
expect_rc "compare: empty documents" 0
# A JSONL file whose first document is fine but whose next line is bad is an error.
head -n 3 fixtures/bad/malformed.jsonl | tail -n 2 >"$TMP/one_then_bad.jsonl"
run compare "$TMP/one_then_bad.jsonl" "$SEED"
expect_rc "compare: bad line after the document" 1
err_has "compare: bad line after the document" "one_then_bad.jsonl:2:"

# ---------------------------------------------------------------------------
# The MinHash engine: classic by default, fss and oph on request; both find the fixtures'
# clusters, and the engine is part of the reported sketch description.
for engine in classic oph fss; do
  run cluster "$NEWS" --minhash "$engine" --format json
  expect_rc "--minhash $engine" 0
  check "--minhash $engine: named in the sketch" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["parameters"]
assert ("minhash=" + sys.argv[2]) in p["sketch"], p' "$OUT" "$(case $engine in classic) echo mas32 ;; *) echo "${engine}32" ;; esac)"
done
run cluster "$NEWS" --format json
check "default engine is fss" grep -qF 'minhash=fss32' "$OUT"
# b-bit signatures: the fixtures' clusters do not change.
run cluster "$NEWS" --format tsv
cut -f1,2 "$OUT" >"$TMP/bits32"
for bits in 16 8; do
  run cluster "$NEWS" --format tsv --signature-bits "$bits"
  expect_rc "--signature-bits $bits" 0
  check "--signature-bits $bits: same clusters" same_file "$TMP/bits32" <(cut -f1,2 "$OUT")
done

# ---------------------------------------------------------------------------
# --format html (report_html.h; tests/report_browser_test.py renders it).

run cluster "$NEWS" --format html
expect_rc "cluster --format html" 0
cp "$OUT" "$TMP/report.html"
check "html: a page" grep -q '^<!DOCTYPE html>' "$TMP/report.html"
check "html: a Content-Security-Policy that allows no network" grep -q "content=\"default-src 'none'; script-src 'sha256-" "$TMP/report.html"
check "html: nothing from the network" bash -c "! grep -qE '(src|href)=\"(https?:)?//' \"\$1\"" _ "$TMP/report.html"
run cluster "$NEWS" --format html -o "$TMP/report_o.html" --threads 1
expect_rc "cluster --format html -o" 0
check "html: -o and one thread give stdout's bytes" same_file "$TMP/report.html" "$TMP/report_o.html"
"$DEDUP" cluster fixtures/news.jsonl --format html >"$TMP/report_jsonl.html" 2>/dev/null
"$DEDUP" cluster - --format html <fixtures/news.jsonl >"$OUT" 2>"$ERR"
RC=$?
expect_rc "cluster - --format html (stdin read twice)" 0
check "html: stdin gives the file's bytes" same_file "$TMP/report_jsonl.html" "$OUT"
# Every side-by-side view says what `dedup explain MEMBER CANONICAL --corpus` says.
check "html: every side-by-side view agrees with dedup explain" python3 -c '
import json, re, subprocess, sys
dedup, news, path = sys.argv[1:4]
page = open(path, encoding="utf-8").read()
data = json.loads(re.search(r"<script type=\"application/json\" id=\"data\">(.*?)</script>", page, re.S).group(1))
pairs = 0
for c in data["clusters"]:
    canonical = data["docs"][str(c["m"][0][0])][0]
    for m in c["m"][1:]:
        p = data["pairs"][str(m[0])]
        member = data["docs"][str(m[0])][0]
        x = json.loads(subprocess.run([dedup, "explain", member, canonical, "--corpus", news, "--format", "json"],
                                      check=True, capture_output=True).stdout)
        got = (p["np"], p["d"], p["ej"], p["eab"], p["eba"], p["xj"], p["xab"], p["xba"])
        want = (x["shared_passages"], x["decision"], x["estimated"]["jaccard"], x["estimated"]["a_in_b"],
                x["estimated"]["b_in_a"], x["exact"]["jaccard"], x["exact"]["a_in_b"], x["exact"]["b_in_a"])
        assert got == want, (member, canonical, got, want)
        pairs += 1
assert pairs == 34, pairs' "$DEDUP" "$NEWS" "$TMP/report.html"
run cluster "$NEWS" --format htm
expect_rc "unknown format" 2
err_has "unknown format names html" "text, json, jsonl, tsv, csv or html"

# ---------------------------------------------------------------------------
# Progress (progress.h): on stderr only; never changes stdout or the report's bytes.

for format in tsv html; do
  run cluster "$NEWS" --format "$format"
  cp "$OUT" "$TMP/quiet.$format"
  run cluster "$NEWS" --format "$format" --progress
  expect_rc "--progress --format $format" 0
  check "--progress: stdout unchanged ($format)" same_file "$TMP/quiet.$format" "$OUT"
  check "--progress without a terminal: phase lines" grep -qx 'dedup: signing' "$ERR"
  check "--progress: the reading pass's totals" grep -qE '^dedup: signing done: 48 documents, [0-9.]+ MB, [0-9.]+ MB/s$' "$ERR"
  run cluster "$NEWS" --format "$format" --progress -o "$TMP/progress.$format"
  check "--progress: -o file unchanged ($format)" same_file "$TMP/quiet.$format" "$TMP/progress.$format"
done
check "--progress: the html phase" grep -qx "dedup: reading the report's texts" "$ERR"
run cluster "$NEWS" --progress --quiet
check "--quiet wins over --progress" test ! -s "$ERR"
run cluster "$NEWS"
check "no progress when stderr is not a terminal" test ! -s "$ERR"
run cluster "$NEWS" -v -q
expect_rc "-v" 0
check "-v: a one-line summary" grep -qxE 'dedup: 48 documents, 14 clusters, [0-9.]+ s, [0-9.]+ MB/s of text, peak memory [0-9]+ MB' "$ERR"
err_one_line "-v -q: only the summary"

# ---------------------------------------------------------------------------
# --help-all and shell completion: generated from the option definitions.

run --help-all
expect_rc "--help-all" 0
for word in cluster explain "index" add export serve completion --progress --input-format --format --dense-ids; do
  check "--help-all mentions $word" grep -qF -- "$word" "$OUT"
done
run completion bash
expect_rc "completion bash" 0
cp "$OUT" "$TMP/dedup.bash"
check "completion bash: valid bash" bash -n "$TMP/dedup.bash"
# complete_words WORDS...: what the script offers for the last word (the one being typed).
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dedup; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$TMP/dedup.bash" "$@"
}
export -f complete_words
export TMP
check "completion: subcommands" bash -c 'complete_words dedup clu | grep -qx cluster'
check "completion: a subcommand's options" bash -c 'complete_words dedup cluster x --prog | grep -qx -- --progress'
check "completion: nested subcommands" bash -c 'complete_words dedup index ex | grep -qx export'
check "completion: a nested subcommand's options" bash -c 'complete_words dedup index export f --dense | grep -qx -- --dense-ids'
check "completion: options belong to their subcommand" bash -c '! complete_words dedup explain --prog | grep -q -- --progress'
run completion zsh
expect_rc "completion zsh" 0
check "completion zsh: bash function through bashcompinit" grep -q 'bashcompinit' "$OUT"
run completion fish
expect_rc "completion fish" 2

# ---------------------------------------------------------------------------

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
