#!/bin/bash
# A/B of `dedup cluster` between two binaries in one session: runs alternate (A, B, A, B,
# ...) so that both see the same load; prints each run and the medians and ranges of
# user CPU, wall time and peak RSS. Extra arguments go to both binaries.
#   bench/ab_cluster.sh OLD_DEDUP NEW_DEDUP CORPUS.jsonl RUNS THREADS [cluster flags...]
# e.g. bench/ab_cluster.sh /tmp/ab/dedup-base build/release/bin/dedup /tmp/ab/d100k.jsonl 3 1
set -euo pipefail
old=$1 new=$2 corpus=$3 runs=$4 threads=$5
shift 5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$runs"); do
  for v in old new; do
    bin=$old
    [ "$v" = new ] && bin=$new
    /usr/bin/time -o "$out/time" -f "$v %e %U %S %M" "$bin" cluster "$corpus" --format tsv -o "$out/$v.tsv" \
      --threads "$threads" "$@" >/dev/null
    cat "$out/time" | tee -a "$out/runs"
  done
done
cmp -s "$out/old.tsv" "$out/new.tsv" && echo "last outputs: byte-identical" || echo "last outputs: different (expected when the defaults differ)"
python3 - "$out/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    v, wall, user, sys_, rss = line.split()
    runs.setdefault(v, []).append((float(wall), float(user), int(rss)))
for v in ("old", "new"):
    r = runs[v]
    col = lambda i: [x[i] for x in r]
    print(f"{v}: user {statistics.median(col(1)):.2f} s ({min(col(1)):.2f}-{max(col(1)):.2f}), "
          f"wall {statistics.median(col(0)):.2f} s ({min(col(0)):.2f}-{max(col(0)):.2f}), "
          f"peak RSS {min(col(2)):,}-{max(col(2)):,} KB, {len(r)} runs")
PY
