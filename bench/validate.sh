#!/usr/bin/env bash
# Benchmark `lore validate` on generated 100k-entry catalogs, and check that it reports
# exactly the planted errors. Optionally time the peer validators on the same files.
#
#   bench/validate.sh [--peers] [--entries N]
#
# Needs python3; uses hyperfine when installed (else /usr/bin/time), and
# ../shared/bench/gen_catalog.py (override with GEN=path). Catalogs go to $BENCH_DIR
# (default /tmp/lore-bench) and are reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=0 entries=100000
while [ $# -gt 0 ]; do
  case $1 in
    --peers) peers=1 ;;
    --entries) entries=$2; shift ;;
    *) echo "usage: $0 [--peers] [--entries N]" >&2; exit 2 ;;
  esac
  shift
done
GEN=${GEN:-../shared/bench/gen_catalog.py}
PEERS=${PEERS:-$(dirname "$GEN")/peers.sh}
dir=${BENCH_DIR:-/tmp/lore-bench}
mkdir -p "$dir"

# LORE=path times another build (e.g. the previous release) instead of this checkout's.
if [ -z "${LORE:-}" ]; then cargo build --release --locked --quiet; fi
lore=${LORE:-$PWD/target/release/lore}

gen() { # name args...
  local out=$dir/$1; shift
  [ -f "$out/lore.yaml" ] || python3 "$GEN" "$out" --entries "$entries" "$@" >/dev/null
  echo "$out"
}
multidoc=$(gen multidoc-$entries --layout multidoc)
files=$(gen files-$entries --layout files)
broken=$(gen broken-$entries --layout multidoc --broken 10)

# `lore validate` as CI runs it: no cache (LORE_NO_CACHE=1).
timeit() { # label dir [env...]
  local label=$1 d=$2; shift 2
  echo "== $label ($d) $*"
  if command -v hyperfine >/dev/null; then
    (cd "$d" && env "$@" hyperfine --warmup 1 --runs 5 -N -i "$lore validate --format json" 2>/dev/null | grep -E 'Time|Range')
  fi
  (cd "$d" && env "$@" /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" "$lore" validate --format json >/dev/null) 2>&1 | tail -1
}

timeit "multidoc, $entries entries" "$multidoc" LORE_NO_CACHE=1
timeit "files, $entries entries, one file each" "$files" LORE_NO_CACHE=1
cache=$(mktemp -d)
timeit "multidoc, $entries entries, warm per-file cache (what queries see)" "$multidoc" LORE_CACHE_DIR=$cache
rm -rf "$cache"

echo "== planted errors ($broken)"
(cd "$broken" && LORE_NO_CACHE=1 "$lore" validate --format json > "$dir/broken.json") || true
python3 - "$broken/expected-errors.txt" "$dir/broken.json" <<'PY'
import json, sys
expected = sorted(l.split("\t")[0] for l in open(sys.argv[1]) if l.strip())
report = json.load(open(sys.argv[2]))
found = sorted(p["entry"] or "?" for p in report["problems"])
print(f"expected {len(expected)}, reported {len(found)}")
for p in report["problems"]:
    print(f"  {p['file']}:{p['line']}:{p['column']} {p['code']} {p['entry']}")
if found != expected:
    print("MISMATCH: reported problems differ from the planted ones", file=sys.stderr)
    sys.exit(1)
print("exactly the planted errors")
PY

if [ $peers = 1 ]; then
  for tool in ajv check-jsonschema; do
    echo "== peer: $tool on $files (schema only, no references)"
    /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" bash "$PEERS" "$tool" "$files" 2>&1 | tail -1 || true
  done
fi
