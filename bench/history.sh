#!/usr/bin/env bash
# Benchmark the git commands (`stale`, `diff`, `validate --changed-since`) on a generated
# 100k-entry catalog committed over 1,000 commits, valid at every commit: the first adds
# the model and the entries others refer to, each later one adds ~6 files, and every
# commit edits 3 earlier files (a comment inserted inside one entry); commits are dated
# 0.73 days apart from 2023-01-01.
#
#   bench/history.sh [--entries N] [--commits N]
#
# Needs python3 and git. The repository goes to $BENCH_DIR/history-N-COMMITS and is
# reused between runs. Prints the median of RUNS runs (default 5) and the median peak
# RSS; see bench/lib.sh for RUNS, BENCH_DIR, GEN and LORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
entries=100000 commits=1000
usage() { echo "usage: $0 [--entries N] [--commits N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --entries) [ $# -ge 2 ] || usage; entries=$2; shift ;;
    --commits) [ $# -ge 2 ] || usage; commits=$2; shift ;;
    *) usage ;;
  esac
  shift
done
case $commits in '' | *[!0-9]* | 0 | 1) echo "--commits: give 2 or more" >&2; exit 2 ;; esac
lore=$(lore_binary)
src=$(gen "multidoc-$entries" --entries "$entries" --layout multidoc)
repo=$BENCH_DIR/history-$entries-$commits

if [ ! -d "$repo/.git" ]; then
  rm -rf "$repo" && mkdir -p "$repo"
  git -C "$repo" -c init.defaultBranch=main init -q
  python3 - "$src" "$commits" <<'PY' | git -C "$repo" fast-import --quiet
import os, random, sys
src, commits = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
files = sorted(
    os.path.relpath(os.path.join(d, f), src)
    for d, _, fs in os.walk(src) for f in fs
    if f.endswith(".yaml") and not os.path.relpath(d, src).startswith("jsonschema"))
# Every commit holds a valid catalog: the first adds the config, the schemas and the
# kinds others refer to (teams, products, features, integrations, services); packages,
# devices and customers follow in random order; incidents, which name all of those, last.
base_kinds = ("team", "product", "feature", "integration", "service")
kind = lambda f: f.split("/")[1] if f.startswith("catalog/") else ""
first = [f for f in files if not f.startswith("catalog/") or kind(f) in base_kinds]
rest = [f for f in files if kind(f) in ("package", "device", "customer")]
rng.shuffle(rest)
rest += [f for f in files if kind(f) == "incident"]
text = {f: open(os.path.join(src, f), "rb").read() for f in files}
out = sys.stdout.buffer
def blob(data):
    out.write(b"data %d\n" % len(data)); out.write(data); out.write(b"\n")
added = []
start = 1672531200  # 2023-01-01
for i in range(commits):
    batch = first if i == 0 else rest[(i - 1) * len(rest) // (commits - 1):i * len(rest) // (commits - 1)]
    edits = rng.sample(added, min(3, len(added)))
    when = start + int(i * 0.73 * 86400)
    msg = b"Commit %d: add %d files, edit %d" % (i, len(batch), len(edits))
    out.write(b"commit refs/heads/main\n")
    out.write(b"author Bench <bench@example.com> %d +0000\n" % when)
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % when)
    blob(msg)
    for f in edits:
        lines = text[f].split(b"\n")
        ids = [n for n, l in enumerate(lines) if l.startswith(b"id: ")]
        n = rng.choice(ids)
        lines.insert(n + 1, b"# reviewed in commit %d" % i)
        text[f] = b"\n".join(lines)
    for f in batch + edits:
        out.write(b"M 100644 inline %s\n" % f.encode())
        blob(text[f])
    added += [f for f in batch if f.startswith("catalog/")]
PY
  git -C "$repo" checkout -q -f main
  git -C "$repo" gc -q
fi
echo "repository: $repo ($(git -C "$repo" rev-list --count HEAD) commits, $(git -C "$repo" ls-files | wc -l) files)"
# A working-tree edit, so changed-since and diff see staged/unstaged changes too.
git -C "$repo" checkout -q -- .
f=$(git -C "$repo" ls-files catalog/team | head -1)
sed -i '0,/^slack_channel:/s//slack_channel: "#bench-edit"\n# edited/' "$repo/$f" 2>/dev/null || true

export LORE_NOW=2025-01-01
echo "# lore history commands, $entries entries over $commits commits; $RUNS runs each; $(nproc) cores; $("$lore" --version)"
cd "$repo"
measure "validate (working tree, for reference)" "$lore" validate --format json
measure "stale (max age 180d, now $LORE_NOW)" "$lore" stale --format json
measure "diff HEAD~100 HEAD (two revisions)" "$lore" diff HEAD~100 HEAD --format json
measure "diff HEAD~100 (working tree)" "$lore" diff HEAD~100 --format json
measure "validate --changed-since HEAD~10" "$lore" validate --changed-since HEAD~10 --format json
"$lore" stale | head -1 || true
"$lore" diff HEAD~100 HEAD | head -1 || true
git checkout -q -- .
