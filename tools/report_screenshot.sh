#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of the HTML report: the report of
# fixtures/news in headless Chromium, filtered to one cluster with a side-by-side view open.
# Usage: tools/report_screenshot.sh [DEDUP]   (default build/dev/bin/dedup)
set -euo pipefail
cd "$(dirname "$0")/.."
dedup=${1:-build/dev/bin/dedup}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$dedup" cluster fixtures/news --format html -o "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
  --virtual-time-budget=5000 --window-size=1000,1480 --screenshot="$PWD/docs/report.png" \
  "file://$work/report.html#filter=short_02&cluster=7&member=1" 2>/dev/null
ls -l docs/report.png
