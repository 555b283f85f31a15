#!/usr/bin/env bash
# `lore import` of a generated Salesforce Data Loader CSV (100,000 accounts by default)
# through the example catalog's `crm` pipeline: the first import (which writes the
# owned file), the second (which writes nothing), each with the per-file cache as users
# run it (a fresh cache for the first) and with LORE_NO_CACHE=1; then
# `export --format sqlite` of that catalog and of the generated 100k-entry catalog.
#
#   bench/import.sh [--rows N]      default 100000
#
# Prints the median of RUNS runs (default 5) and the median peak RSS; see bench/lib.sh
# for RUNS, BENCH_DIR, GEN and LORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rows=100000
usage() { echo "usage: $0 [--rows N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --rows) [ $# -ge 2 ] || usage; rows=$2; shift ;;
    *) usage ;;
  esac
  shift
done
case $rows in '' | *[!0-9]*) usage ;; esac
lore=$(lore_binary)
here=$(pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
base=$dir/base work=$dir/work cache=$dir/cache
mkdir "$base"
cp -r "$here/lore.yaml" "$here/schemas" "$here/catalog" "$here/imports" "$base/"
python3 - "$rows" "$base/imports/salesforce-accounts.csv" <<'PY'
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
catalog=$(gen "multidoc-100000" --entries 100000 --layout multidoc)
echo "# lore import, $rows CSV rows into the example catalog; $RUNS runs each; $(nproc) cores; $("$lore" --version)"
export LORE_CACHE_DIR=$cache
fresh="rm -rf '$work' '$cache' && cp -r '$base' '$work'"
PREPARE=$fresh measure "first import (fresh cache)" "$lore" -C "$work" import
measure "second import, writes nothing (warm cache)" "$lore" -C "$work" import
PREPARE="rm -f '$dir/out.db'" measure "export --format sqlite, import's catalog (warm cache)" "$lore" -C "$work" export --format sqlite -o "$dir/out.db"
PREPARE="rm -f '$dir/gen.db'" measure "export --format sqlite, generated 100k catalog (warm cache)" "$lore" -C "$catalog" export --format sqlite -o "$dir/gen.db"
export LORE_NO_CACHE=1
PREPARE=$fresh measure "first import (LORE_NO_CACHE=1)" "$lore" -C "$work" import
measure "second import, writes nothing (LORE_NO_CACHE=1)" "$lore" -C "$work" import
PREPARE="rm -f '$dir/gen.db'" measure "export --format sqlite, generated 100k catalog (LORE_NO_CACHE=1)" "$lore" -C "$catalog" export --format sqlite -o "$dir/gen.db"
# The second import must really write nothing.
sums() { (cd "$work" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(sums)
"$lore" -C "$work" import >/dev/null 2>&1
[ "$before" = "$(sums)" ] || { echo "bench: the second import changed files in $work" >&2; exit 1; }
