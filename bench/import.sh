#!/usr/bin/env bash
# `lore import` of a generated 100,000-row Salesforce Data Loader CSV into a copy of the
# example catalog, then the second run (which writes nothing), then `export --format
# sqlite`. Usage: bench/import.sh [ROWS] (default 100000); LORE=path picks the binary
# (default target/release/lore).
set -euo pipefail
rows=${1:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
lore=${LORE:-$here/target/release/lore}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp -r "$here/lore.yaml" "$here/schemas" "$here/catalog" "$here/imports" "$dir/"
python3 - "$rows" "$dir/imports/salesforce-accounts.csv" <<'PY'
import csv, sys
rows, path = int(sys.argv[1]), sys.argv[2]
with open(path, newline="") as f:
    head = list(csv.reader(f))
with open(path, "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerows(head)
    for i in range(rows - (len(head) - 1)):
        w.writerow([f"0015e{i:013d}", f"Generated {i}", f"gen-{i:06d}", f"tenant-9{i:06d}",
                    "team", str(1000 + i % 5000), "", "", "green", "", "eu", "", "commerce-cloud"])
PY
export LORE_NO_CACHE=1
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*"; exit 1; }; echo "$(echo "$(date +%s.%N) - $s" | bc) s  ${*:2}"; }
t "$lore" -C "$dir" import
t "$lore" -C "$dir" import
t "$lore" -C "$dir" export --format sqlite -o "$dir/out.db"
