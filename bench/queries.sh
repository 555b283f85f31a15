#!/usr/bin/env bash
# Time the incident queries end to end (process start to answer) on a generated
# 100k-entry catalog, with the per-file cache warm as it is on a responder's machine
# after one run, and cold (LORE_NO_CACHE=1).
#
#   bench/queries.sh [--entries N]
#
# Uses hyperfine when installed; catalogs go to $BENCH_DIR (default /tmp/lore-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
entries=100000
[ "${1:-}" = --entries ] && entries=$2
GEN=${GEN:-../shared/bench/gen_catalog.py}
dir=${BENCH_DIR:-/tmp/lore-bench}
mkdir -p "$dir"
# LORE=path times another build (e.g. the previous release) instead of this checkout's.
if [ -z "${LORE:-}" ]; then cargo build --release --locked --quiet; fi
lore=${LORE:-$PWD/target/release/lore}
cat=$dir/multidoc-$entries
[ -f "$cat/lore.yaml" ] || python3 "$GEN" "$cat" --entries "$entries" --layout multidoc >/dev/null

alert=$dir/alert.json
cat > "$alert" <<'JSON'
{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","status":"firing","receiver":"pager",
 "groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","severity":"critical"},
 "commonAnnotations":{},"externalURL":"http://alertmanager:9093","truncatedAlerts":0,
 "alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","service":"service-000123","severity":"critical"},
   "annotations":{"summary":"5xx over 5%"},"startsAt":"2026-11-25T03:00:00Z","endsAt":"0001-01-01T00:00:00Z",
   "generatorURL":"http://prometheus:9090/graph","fingerprint":"a1"}]}
JSON

cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export LORE_CACHE_DIR=$cache
"$lore" -C "$cat" validate >/dev/null # fills the cache

run() { # label args...
  local label=$1; shift
  echo "== $label: lore $*"
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs 10 -N -i "$lore -C $cat $*" 2>/dev/null | grep -E 'Time|Range'
  fi
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" "$lore" -C "$cat" "$@" >/dev/null 2>"$dir/err" || true
  tail -1 "$dir/err"
}

run "owners (warm cache)" owners service-000123
run "impact of a widely used product (warm cache)" impact product-000001
run "route an Alertmanager payload (warm cache)" route "$alert"
echo "answer: $("$lore" -C "$cat" route "$alert" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["matches"]), "match,", len(d["impacted"]), "impacted")')"
export LORE_NO_CACHE=1
run "route, cold (no cache)" route "$alert"
