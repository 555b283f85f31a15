#!/usr/bin/env python3
"""Compare the shape of two generated catalogs, folder by folder.

    bench/compare_catalogs.py A B

For each catalog/<type>/ folder: files, entries (documents), bytes of YAML, references
(items of every relation field, counted from the type definitions in schemas/), and
aliases. Exit 1 when files, entries or the type definitions differ, or when bytes or
references differ by more than 1%: such catalogs do not give comparable benchmark figures.
"""
import os
import re
import sys

REL = re.compile(r"^relations:\n((?:  .*\n)*)", re.M)


def relation_names(root):
    names = {}
    for f in sorted(os.listdir(os.path.join(root, "schemas"))):
        text = open(os.path.join(root, "schemas", f), encoding="utf-8").read()
        m = REL.search(text)
        rels = re.findall(r"^  ([A-Za-z_]+):", m.group(1), re.M) if m else []
        names[f[:-5]] = set(rels)
    return names


def shape(root):
    rels = relation_names(root)
    out = {}
    for t in sorted(os.listdir(os.path.join(root, "catalog"))):
        s = dict(files=0, entries=0, bytes=0, refs=0, aliases=0)
        for dirpath, _, files in os.walk(os.path.join(root, "catalog", t)):
            for f in files:
                data = open(os.path.join(dirpath, f), encoding="utf-8").read()
                s["files"] += 1
                s["bytes"] += len(data.encode())
                for line in data.split("\n"):
                    key, _, value = line.partition(": ")
                    if key == "type":
                        s["entries"] += 1
                    elif key == "aliases":
                        s["aliases"] += value.count(",") + 1
                    elif key in rels.get(t, ()):
                        v = value.strip()
                        s["refs"] += 0 if v == "[]" else (v.count(",") + 1)
        out[t] = s
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_catalogs.py A B (two folders made by gen_catalog.py)")
    a, b = sys.argv[1:]
    bad = []
    for f in sorted(set(os.listdir(os.path.join(a, "schemas"))) | set(os.listdir(os.path.join(b, "schemas")))):
        pa, pb = os.path.join(a, "schemas", f), os.path.join(b, "schemas", f)
        if not (os.path.exists(pa) and os.path.exists(pb)) or open(pa).read() != open(pb).read():
            bad.append(f"schemas/{f} differs")
    sa, sb = shape(a), shape(b)
    cols = ["files", "entries", "bytes", "refs", "aliases"]
    print(f"{'type':<12}" + "".join(f"{c:>24}" for c in cols))
    total = {c: [0, 0] for c in cols}
    for t in sorted(set(sa) | set(sb)):
        x, y = sa.get(t, dict.fromkeys(cols, 0)), sb.get(t, dict.fromkeys(cols, 0))
        row = ""
        for c in cols:
            total[c][0] += x[c]
            total[c][1] += y[c]
            row += f"{x[c]:>11} / {y[c]:<10}"
            exact = c in ("files", "entries", "aliases")
            off = abs(x[c] - y[c]) / max(1, y[c])
            if (exact and x[c] != y[c]) or off > 0.01:
                bad.append(f"{t}: {c} {x[c]} vs {y[c]}")
        print(f"{t:<12}{row}")
    print(f"{'all':<12}" + "".join(f"{total[c][0]:>11} / {total[c][1]:<10}" for c in cols))
    for line in bad:
        print("DIFFERENT:", line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
