#!/usr/bin/env bash
# Run every benchmark: validate at 100k entries (multidoc, one file each, warm cache,
# planted errors) with the peer validators on the same files, the queries at 100k,
# validate and the queries at 1M entries (220 MB of YAML), the git history commands, and
# import and export of 100,000 CSV rows.
# Everything printed also goes to $BENCH_DIR/results-<UTC time>.txt.
#
#   bench/run.sh [--skip peers,1m,history,import]
#
# Generating the 1M catalog takes a few minutes the first time (later runs reuse it);
# check-jsonschema takes about two minutes on 100k files. See bench/lib.sh for RUNS,
# BENCH_DIR, GEN and LORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
skip=
usage() { echo "usage: $0 [--skip peers,1m,history,import]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --skip) [ $# -ge 2 ] || usage; skip=$2; shift ;;
    *) usage ;;
  esac
  shift
done
for s in ${skip//,/ }; do
  case $s in peers | 1m | history | import) ;; *) echo "--skip: unknown part '$s'" >&2; usage ;; esac
done
skips() { [[ ",$skip," == *",$1,"* ]]; }
LORE=$(lore_binary) # build once, for every script
export LORE RUNS WARMUP GEN BENCH_DIR
log=$BENCH_DIR/results-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "# $(date -u '+%F %T UTC'), $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $("$LORE" --version), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  peers=--peers
  skips peers && peers=
  bash bench/validate.sh --entries 100000 $peers
  bash bench/queries.sh --entries 100000
  if ! skips 1m; then
    bash bench/validate.sh --entries 1000000 --only multidoc
    bash bench/queries.sh --entries 1000000 --no-report
  fi
  skips history || bash bench/history.sh
  skips import || bash bench/import.sh
} 2>&1 | tee "$log"
echo "results: $log"
