#!/usr/bin/env bash
# Time the incident queries end to end (process start to answer) on a generated catalog,
# warm (the per-file cache and the on-disk index written by the warm-up run, as on a
# responder's machine after one query), after a change to one file (the index written
# again; timed to its exit and to its answer), and cold (LORE_NO_CACHE=1: no cache, no
# index): owners, show, impact, route,
# and `lore report` over a catalog with one incident per ten entries when this build
# has the report command.
#
#   bench/queries.sh [--entries N] [--no-report]    default 100000 entries
#
# Prints the median of RUNS runs (default 5) and the median peak RSS; see bench/lib.sh
# for RUNS, BENCH_DIR, GEN and LORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
entries=100000
report=yes
usage() { echo "usage: $0 [--entries N] [--no-report]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --entries) [ $# -ge 2 ] || usage; entries=$2; shift ;;
    --no-report) report= ;;
    *) usage ;;
  esac
  shift
done
lore=$(lore_binary)
cat=$(gen "multidoc-$entries" --entries "$entries" --layout multidoc)
echo "# lore queries, $entries entries ($cat); $RUNS runs each; $(nproc) cores; $("$lore" --version)"

alert=$BENCH_DIR/alert.json
cat >"$alert" <<'JSON'
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

# query LABEL ARGS...: `lore -C CATALOG ARGS`, once to show that it answers, then timed.
query() {
  local label=$1
  shift
  local rc=0
  "$lore" -C "$cat" "$@" >/dev/null 2>"$BENCH_DIR/err" || rc=$?
  if [ $rc -ge 2 ]; then
    echo "$label: lore $* failed (exit $rc): $(head -3 "$BENCH_DIR/err")"
    return
  fi
  measure "$label: lore $*" "$lore" -C "$cat" "$@"
}

"$lore" -C "$cat" validate >/dev/null || true # fills the cache
if [ -z "$(find "$cache" -type f -print -quit)" ]; then
  echo "note: lore wrote no cache for this catalog (too large for it?), so the warm runs below are cold"
fi
query "owners, warm" owners service-000123
query "show, warm" show service-000123
query "impact of a widely used product, warm" impact product-000001
query "route an Alertmanager payload, warm" route "$alert"
# A change to one file: its entries are checked again, every other file's come from the
# cache, and the index is written again (the first query after any change).
touched=$(find "$cat/catalog" -name '*.yaml' -print -quit)
PREPARE="touch '$touched'" query "owners, first query after a change to one file (index rewritten)" owners service-000123
echo "  the same, to the answer (the index is written after it): $(python3 bench/answer_time.py "$RUNS" "$touched" -- "$lore" -C "$cat" owners service-000123)"
echo "  (impact: $("$lore" -C "$cat" impact product-000001 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["impacted"]))') impacted;" \
  "route: $("$lore" -C "$cat" route "$alert" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["matches"]), "match,", len(d["impacted"]), "impacted)")')"
(
  export LORE_NO_CACHE=1
  query "owners, cold (no cache)" owners service-000123
  query "route, cold (no cache)" route "$alert"
)

if [ -z "$report" ]; then
  echo "# lore report: skipped (--no-report)"
elif "$lore" report --help >/dev/null 2>&1; then
  cat=$(gen "incidents-$entries" --entries "$entries" --layout multidoc --incidents $((entries / 10)))
  echo "# lore report, $((entries / 10)) incidents over 26 weeks in $entries entries ($cat)"
  "$lore" -C "$cat" validate >/dev/null || true # fills the cache
  query "report by team, warm" report Incident --by Team --sum self.hours
  query "report by feature with impact, weekly, warm" report Incident --by Feature --sum self.hours --impact --per week --time opened
  query "report by integration, drill-down, warm" report Incident --by Integration --sum self.hours --impact --where "touches('Feature:feature-000001')"
  query "revenue at risk by team, warm" report Incident --by Team --sum impact.totals.Customer.arr
else
  echo "# lore report: not in this build ($("$lore" --version)); skipped"
fi
