#!/usr/bin/env bash
# bench/serve_load.sh DEDUP CORPUS.jsonl DOCS [SECONDS]: load test of `dedup serve` with wrk.
#
# Builds an index of the first DOCS documents of CORPUS (`dedup index add`, batches of
# 1,000, --sync full), serves it on loopback (--sync full), and runs wrk with
# bench/serve_load.lua for SECONDS (default 20) per row: queries, single-document inserts
# (group commit) and batches of 100, at 1, 16 and 64 connections. Prints one table row per
# run: requests/s, documents/s, p50 and p99 latency. The texts sent are 2,000 documents of
# CORPUS after the first DOCS (or its first ones when it has no more); inserts use new ids.
#
# Needs wrk (Debian: apt-get install wrk; not part of tools/install-deps.sh: only this
# benchmark uses it) and curl. Example, as in BENCHMARKS.md:
#   build/release/bench/dedup-gen-corpus --docs 102000 --seed 7 --out /tmp/c.jsonl --truth /tmp/t.tsv
#   bench/serve_load.sh build/release/bin/dedup /tmp/c.jsonl 100000
set -euo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
DEDUP=$(realpath "$1")
CORPUS=$(realpath "$2")
DOCS=$3
SECONDS_PER_RUN=${4:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dedup_serve_load.XXXXXX")
SERVER=""
cleanup() {
  if [[ -n $SERVER ]] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

IDX=$TMP/load.dedup
echo "== index: the first $DOCS documents of $CORPUS" >&2
start=$(date +%s.%N)
"$DEDUP" index create "$IDX" >/dev/null
head -n "$DOCS" "$CORPUS" | "$DEDUP" index add "$IDX" - --batch-size 1000 --sync full --format jsonl >/dev/null
echo "   built in $(/usr/bin/python3 -c "import sys; print(round($(date +%s.%N) - $start, 1))") s" >&2

/usr/bin/python3 - "$CORPUS" "$DOCS" "$TMP/texts" <<'PY'
import itertools, json, sys
corpus, docs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(corpus) as f:
    rest = [json.loads(l)["text"] for l in itertools.islice(f, docs, docs + 2000)]
if not rest:
    with open(corpus) as f:
        rest = [json.loads(l)["text"] for l in itertools.islice(f, 0, 2000)]
with open(out, "w") as f:
    for t in rest:
        f.write(json.dumps(t) + "\n")
PY

"$DEDUP" serve "$IDX" --listen 127.0.0.1:0 --port-file "$TMP/port" --sync full --workers 128 2>"$TMP/server.log" &
SERVER=$!
for _ in $(seq 600); do
  [[ -s $TMP/port ]] && curl -sf "http://127.0.0.1:$(cat "$TMP/port")/readyz" >/dev/null && break
  sleep 0.1
done
URL=http://127.0.0.1:$(cat "$TMP/port")
echo "== $URL: $(curl -s "$URL/metrics" | grep -E '^dedup_index_(documents|load_seconds) ' | tr '\n' ' ')" >&2

printf '| workload | connections | requests/s | documents/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- | --- |\n'
run=0
for mode in query insert batch; do
  for c in 1 16 64; do
    run=$((run + 1))
    t=$((c < 2 ? 1 : 2))
    line=$(wrk -t "$t" -c "$c" -d "${SECONDS_PER_RUN}s" --timeout 10s --latency -s "$HERE/serve_load.lua" "$URL" \
      -- "$mode" "$TMP/texts" "r$run-$$" | grep '^{"requests"')
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
per = 100 if sys.argv[2] == "batch" else 1
print("| %s | %s | %s | %s | %.1f | %.1f | %d |" % (sys.argv[2], sys.argv[3], format(round(r["rps"]), ","),
      format(round(r["rps"] * per), ","), r["p50_ms"], r["p99_ms"], r["errors"]))
' "$line" "$mode" "$c"
  done
done
curl -s "$URL/metrics" | grep -E '^dedup_commit_(batch_documents|seconds)_(sum|count) ' >&2
