#!/usr/bin/env bash
# Validate a catalog made by bench/gen_catalog.py --layout files with a peer JSON Schema
# validator, type by type, against the plain schemas in DIR/jsonschema/. Peers check each
# file against its type's schema only: no references between entries, no ids, no rules.
#
#   bench/peers.sh install                  install both peers under $BENCH_DIR/peers
#   bench/peers.sh ajv|check-jsonschema DIR exit 1 when any file is invalid
#
# The peers (pinned: ajv-cli 5 with ajv-formats 3, check-jsonschema 0.39.0) go to a
# folder of their own ($BENCH_DIR/peers, default /tmp/lore-bench/peers) with npm and a
# Python venv, never into the system or this repository.
#
# ajv-cli reads YAML with js-yaml, which takes an unquoted date (`opened: 2026-03-13`) for
# a timestamp (YAML 1.1), so it reports the incidents and devices as invalid (exit 1)
# although every file is read and checked: the time is still the time of the full job.
set -euo pipefail
peers=${BENCH_DIR:-/tmp/lore-bench}/peers
ajv=$peers/ajv/node_modules/.bin/ajv
cjs=$peers/venv/bin/check-jsonschema
usage() { echo "usage: $0 install | $0 ajv|check-jsonschema DIR" >&2; exit 2; }

install() {
  mkdir -p "$peers"
  if [ ! -x "$ajv" ]; then
    command -v npm >/dev/null || { echo "peers: npm is missing; install Node.js to time ajv-cli" >&2; exit 2; }
    npm install --silent --no-audit --no-fund --prefix "$peers/ajv" ajv-cli@5 ajv-formats@3 >&2
  fi
  if [ ! -x "$cjs" ]; then
    python3 -m venv "$peers/venv"
    "$peers/venv/bin/pip" install --quiet check-jsonschema==0.39.0 >&2
  fi
}

[ $# -ge 1 ] || usage
case $1 in
  install) install; exit 0 ;;
  ajv | check-jsonschema) [ $# -eq 2 ] || usage ;;
  *) usage ;;
esac
tool=$1 dir=$2
[ -d "$dir/jsonschema" ] || { echo "peers: $dir/jsonschema is missing; give a folder made by bench/gen_catalog.py" >&2; exit 2; }
install
rc=0
for schema in "$dir"/jsonschema/*.json; do
  t=$(basename "$schema" .json)
  [ -d "$dir/catalog/$t" ] || continue
  case $tool in
    check-jsonschema)
      find "$dir/catalog/$t" -name '*.yaml' -print0 |
        xargs -0 -n 20000 "$cjs" --schemafile "$schema" >/dev/null 2>&1 || rc=1 ;;
    ajv)
      "$ajv" validate --spec=draft2020 -c ajv-formats --all-errors -s "$schema" \
        -d "$dir/catalog/$t/*.yaml" >/dev/null 2>&1 || rc=1 ;;
  esac
done
exit $rc
