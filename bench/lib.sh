# Shared by the bench/*.sh scripts (sourced, not run). Needs bash, python3 and GNU time
# (/usr/bin/time, Debian package `time`); uses hyperfine when installed.
#
#   RUNS=N       timed runs per measurement (default 5), after WARMUP=1 warm-up run
#   BENCH_DIR    where generated catalogs go (default /tmp/lore-bench); reused between runs
#   GEN=path     another catalog generator with the same options (default bench/gen_catalog.py)
#   LORE=path    time another build (e.g. the previous release) instead of this checkout's

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
GEN=${GEN:-$bench_root/bench/gen_catalog.py}
BENCH_DIR=${BENCH_DIR:-/tmp/lore-bench}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

case $RUNS in
  '' | *[!0-9]* | 0) echo "RUNS=$RUNS: give a whole number of runs, 1 or more" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time (GNU time) is missing; install it (apt-get install time)" >&2
  exit 2
fi

# The lore binary to time: LORE, or this checkout's release build (built here once).
lore_binary() {
  if [ -n "${LORE:-}" ]; then
    # Absolute, since the scripts run it from inside the generated catalogs.
    if [ ! -x "$LORE" ]; then
      echo "bench: LORE=$LORE is not an executable file" >&2
      exit 2
    fi
    (cd "$(dirname "$LORE")" && echo "$(pwd)/$(basename "$LORE")")
  else
    (cd "$bench_root" && cargo build --release --locked --quiet) >&2 || exit 2
    echo "$bench_root/target/release/lore"
  fi
}

# gen NAME ARGS...: the catalog $BENCH_DIR/NAME, generated with ARGS unless it exists.
# The generator writes lore.yaml last and renames a finished folder into place, so a
# folder with lore.yaml in it is complete.
gen() {
  local out=$BENCH_DIR/$1
  shift
  if [ ! -f "$out/lore.yaml" ]; then
    echo "generating $out ($*)" >&2
    python3 "$GEN" "$out" --force "$@" >&2 || exit 2
  fi
  echo "$out"
}

# measure LABEL CMD ARGS...: run CMD once to warm up (none with WARMUP=0), then RUNS
# times, in the current directory and environment; print the median wall time and the
# median peak RSS (from /usr/bin/time -v). A non-zero exit (validate finding planted
# errors) is fine. PREPARE='shell command', when set, runs before every run, untimed
# (to reset what the command changes).
measure() {
  local label=$1
  shift
  local log json
  log=$(mktemp) json=$(mktemp)
  if command -v hyperfine >/dev/null; then
    local cmd
    cmd=$(printf '%q ' /usr/bin/time -v -a -o "$log" "$@")
    hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" \
      --prepare "$(printf '%q ' bash -c "${PREPARE:-true}")" \
      --export-json "$json" "$cmd" >/dev/null 2>&1 || true
  else
    if [ "$WARMUP" != 0 ]; then
      bash -c "${PREPARE:-true}"
      "$@" >/dev/null 2>&1 || true
    fi
    for _ in $(seq "$RUNS"); do
      bash -c "${PREPARE:-true}"
      /usr/bin/time -v -a -o "$log" "$@" >/dev/null 2>&1 || true
    done
  fi
  python3 - "$label" "$RUNS" "$log" "$json" <<'PY'
import json, statistics, sys
label, runs, log, js = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def clock(s):  # h:mm:ss or m:ss.ss
    t = 0.0
    for part in s.split(":"):
        t = t * 60 + float(part)
    return t
rec, recs = {}, []
for line in open(log):
    key, _, value = line.strip().rpartition(": ")
    if key.startswith("Command being timed"):
        rec = {}
        recs.append(rec)
    elif key.startswith("Elapsed (wall clock)"):
        rec["wall"] = clock(value)
    elif key == "User time (seconds)":
        rec["user"] = float(value)
    elif key == "System time (seconds)":
        rec["sys"] = float(value)
    elif key == "Maximum resident set size (kbytes)":
        rec["rss"] = int(value)
    elif key == "Exit status":
        rec["exit"] = int(value)
recs = [r for r in recs if "rss" in r][-runs:]  # the timed runs, not the warm-up
if not recs:
    print(f"{label}: no run finished (is the command right?)")
    sys.exit(0)
walls = [r["wall"] for r in recs]
try:
    walls = json.load(open(js))["results"][0]["times"]  # hyperfine's, finer than time -v's
except (OSError, ValueError, KeyError, IndexError):
    pass
med = statistics.median
exits = sorted({r.get("exit", 0) for r in recs})
print(f"{label}: median {med(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}; "
      f"{len(walls)} runs), user {med(r['user'] for r in recs):.2f} s, sys {med(r['sys'] for r in recs):.2f} s, "
      f"peak RSS {med(r['rss'] for r in recs) / 1024:.0f} MB (median; max {max(r['rss'] for r in recs) / 1024:.0f} MB)"
      + (f", exit {'/'.join(map(str, exits))}" if exits != [0] else ""))
PY
  rm -f "$log" "$json"
}
