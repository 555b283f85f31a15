#!/usr/bin/env bash
# Time `lore validate` on generated catalogs (as CI runs it: no cache), check that it
# reports exactly the planted errors, and optionally time the peer validators on the
# same files.
#
#   bench/validate.sh [--entries N] [--only multidoc,files,warm,broken] [--peers]
#
#   multidoc  customers and incidents 1,000 to a file (12k files at 100k entries)
#   files     one file per entry
#   warm      multidoc with the per-file cache warm (what queries see)
#   broken    multidoc with 10 planted errors: lore must report exactly those
#   --peers   ajv-cli and check-jsonschema on the `files` catalog (schema only), PEER_RUNS
#             runs each (default 1: check-jsonschema takes minutes at 100k)
#
# Default: --entries 100000, all four. Prints the median of RUNS runs (default 5) and
# the median peak RSS; see bench/lib.sh for RUNS, BENCH_DIR, GEN and LORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
peers=0 entries=100000 only=multidoc,files,warm,broken
usage() { echo "usage: $0 [--entries N] [--only multidoc,files,warm,broken] [--peers]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --peers) peers=1 ;;
    --entries) [ $# -ge 2 ] || usage; entries=$2; shift ;;
    --only) [ $# -ge 2 ] || usage; only=$2; shift ;;
    *) usage ;;
  esac
  shift
done
for w in ${only//,/ }; do
  case $w in multidoc | files | warm | broken) ;; *) echo "--only: unknown workload '$w'" >&2; usage ;; esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }
lore=$(lore_binary)
echo "# lore validate, $entries entries; $RUNS runs each; $(nproc) cores; $("$lore" --version)"

validate_in() { # label dir env...
  local label=$1 d=$2
  shift 2
  (cd "$d" && { [ $# -eq 0 ] || export "$@"; } && measure "$label" "$lore" validate --format json)
}

if wants multidoc || wants warm; then
  multidoc=$(gen "multidoc-$entries" --entries "$entries" --layout multidoc)
  echo "catalog: $multidoc ($(du -sh --apparent-size "$multidoc/catalog" | cut -f1) of YAML, $(find "$multidoc/catalog" -type f | wc -l) files)"
fi
if wants multidoc; then
  validate_in "validate, multidoc, no cache" "$multidoc" LORE_NO_CACHE=1
fi
if wants files || [ $peers = 1 ]; then
  files=$(gen "files-$entries" --entries "$entries" --layout files)
fi
if wants files; then
  validate_in "validate, one file each, no cache" "$files" LORE_NO_CACHE=1
fi
if wants warm; then
  cache=$(mktemp -d)
  (cd "$multidoc" && LORE_CACHE_DIR=$cache "$lore" validate >/dev/null) || true # fills the cache
  validate_in "validate, multidoc, warm per-file cache" "$multidoc" LORE_CACHE_DIR="$cache"
  rm -rf "$cache"
fi

if wants broken; then
  broken=$(gen "broken-$entries" --entries "$entries" --layout multidoc --broken 10)
  echo "== planted errors ($broken)"
  (cd "$broken" && LORE_NO_CACHE=1 "$lore" validate --format json >"$BENCH_DIR/broken.json") || true
  python3 - "$broken/expected-errors.txt" "$BENCH_DIR/broken.json" <<'PY'
import json, sys
expected = sorted(l.split("\t")[0] for l in open(sys.argv[1]) if l.strip())
try:
    report = json.load(open(sys.argv[2]))
except ValueError as e:
    sys.exit(f"MISMATCH: lore validate --format json printed no JSON report ({e})")
found = sorted(p["entry"] or "?" for p in report["problems"])
print(f"expected {len(expected)}, reported {len(found)}")
for p in report["problems"]:
    print(f"  {p['file']}:{p['line']}:{p['column']} {p['code']} {p['entry']}")
if found != expected:
    sys.exit("MISMATCH: reported problems differ from the planted ones")
print("exactly the planted errors")
PY
fi

if [ $peers = 1 ]; then
  bash bench/peers.sh install
  for tool in ajv check-jsonschema; do
    RUNS=${PEER_RUNS:-1} WARMUP=0 measure "peer $tool, one file each (schema only, no references)" bash bench/peers.sh "$tool" "$files"
  done
fi
