#!/usr/bin/env bash
# bench/serve_load.sh [--index COPY] DEDUP CORPUS.jsonl DOCS [SECONDS]: load test of `dedup serve` with wrk.
#
# Builds an index of the first DOCS documents of CORPUS (`dedup index add`, batches of
# 1,000, --sync full), or with --index serves COPY, an existing index of them (the inserts
# change it: give a copy), serves it on loopback (--sync full), and runs wrk with
# bench/serve_load.lua for SECONDS (default 20) per row: queries, single-document inserts
# (group commit) and batches of 100, at 1, 16 and 64 connections. Prints one table row per
# run: requests/s, documents/s, p50 and p99 latency. The texts sent are 2,000 documents of
# CORPUS after the first DOCS (or its first ones when it has no more; TEXTS=N for another
# number); inserts use new ids. The server runs with its default --workers (WORKERS=N for another).
# Reports to stderr the time to /readyz, the server's RSS and the load average before and
# after each row.
#
# Needs wrk (Debian: apt-get install wrk; not part of tools/install-deps.sh: only this
# benchmark uses it) and curl. Example, as in BENCHMARKS.md:
#   build/release/bench/dedup-gen-corpus --docs 102000 --seed 7 --out /tmp/c.jsonl --truth /tmp/t.tsv
#   bench/serve_load.sh build/release/bin/dedup /tmp/c.jsonl 100000
set -euo pipefail
EXISTING=""
if [[ ${1:-} == --index ]]; then
  EXISTING=$(realpath "$2")
  shift 2
fi
if [[ $# -lt 3 ]]; then
  sed -n '2,18p' "$0" >&2
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

elapsed() { /usr/bin/python3 -c "print(round($(date +%s.%N) - $1, 1))"; }
if [[ -n $EXISTING ]]; then
  IDX=$EXISTING
  echo "== index: $IDX (given: the first $DOCS documents of $CORPUS)" >&2
else
  IDX=$TMP/load.dedup
  echo "== index: the first $DOCS documents of $CORPUS" >&2
  start=$(date +%s.%N)
  "$DEDUP" index create "$IDX" >/dev/null
  head -n "$DOCS" "$CORPUS" | "$DEDUP" index add "$IDX" - --batch-size 1000 --sync full --format jsonl >/dev/null
  echo "   built in $(elapsed "$start") s" >&2
fi

/usr/bin/python3 - "$CORPUS" "$DOCS" "$TMP/texts" "${TEXTS:-2000}" <<'PY'
import itertools, json, sys
corpus, docs, out, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with open(corpus) as f:
    rest = [json.loads(l)["text"] for l in itertools.islice(f, docs, docs + n)]
if not rest:
    with open(corpus) as f:
        rest = [json.loads(l)["text"] for l in itertools.islice(f, 0, n)]
with open(out, "w") as f:
    for t in rest:
        f.write(json.dumps(t) + "\n")
PY

rss() { awk '/^VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
start=$(date +%s.%N)
"$DEDUP" serve "$IDX" --listen 127.0.0.1:0 --port-file "$TMP/port" --sync full ${WORKERS:+--workers "$WORKERS"} 2>"$TMP/server.log" &
SERVER=$!
for _ in $(seq 6000); do
  [[ -s $TMP/port ]] && curl -sf "http://127.0.0.1:$(cat "$TMP/port")/readyz" >/dev/null && break
  sleep 0.1
done
URL=http://127.0.0.1:$(cat "$TMP/port")
echo "== $URL: ready in $(elapsed "$start") s, RSS $(rss); $(curl -s "$URL/metrics" | grep -E '^dedup_index_(documents|load_seconds) ' | tr '\n' ' ')" >&2

printf '| workload | connections | requests/s | documents/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- | --- |\n'
run=0
for mode in query insert batch; do
  for c in 1 16 64; do
    run=$((run + 1))
    t=$((c < 2 ? 1 : 2))
    echo "   $mode $c: load average before $(loadavg)" >&2
    line=$(wrk -t "$t" -c "$c" -d "${SECONDS_PER_RUN}s" --timeout 10s --latency -s "$HERE/serve_load.lua" "$URL" \
      -- "$mode" "$TMP/texts" "r$run-$$" | grep '^{"requests"')
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
per = 100 if sys.argv[2] == "batch" else 1
print("| %s | %s | %s | %s | %.1f | %.1f | %d |" % (sys.argv[2], sys.argv[3], format(round(r["rps"]), ","),
      format(round(r["rps"] * per), ","), r["p50_ms"], r["p99_ms"], r["errors"]))
' "$line" "$mode" "$c"
    echo "   $mode $c: load average after $(loadavg), RSS $(rss)" >&2
  done
done
curl -s "$URL/metrics" | grep -E '^dedup_commit_(batch_documents|seconds)_(sum|count) ' >&2
