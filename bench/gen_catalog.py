#!/usr/bin/env python3
"""Write a synthetic catalog for lore's benchmarks.

    bench/gen_catalog.py OUT [--entries N] [--layout multidoc|files] [--seed S]
                             [--broken K] [--incidents N] [--force]

The organization it models: teams in a tree, products owned by teams, features of
products, integrations behind features, services (owned, depending on each other,
serving features), code packages, devices, incidents and customers (80% of all
entries, as a CRM sync produces). OUT receives

    lore.yaml            catalog: [catalog], schemas: schemas
    schemas/*.yaml       one lore type definition per type (schema + relations)
    catalog/<type>/      the entries; with --layout multidoc, customers and incidents
                         go 1,000 to a file (the rest one file each); --layout files
                         writes every entry to its own file
    jsonschema/*.json    each type as plain JSON Schema (no relations), for the
                         schema-only peer validators in bench/peers.sh
    expected-errors.txt  `Type:id<TAB>why` for each error planted with --broken K
                         (half dangling owners on services, half bad customer plans)

--incidents N replaces the default incidents (8% of entries, three `affected` each) by
N incidents shaped for `lore report`: opened on a date over 26 weeks from 2026-01-05,
hours, severity and status, `affected` naming 1-2 services, 0-2 features, sometimes an
integration and 0-3 customers; customers make up the difference, so there are still
--entries entries in all.

The same arguments always give the same bytes. Entries are written as they are made, so
memory does not grow with --entries. OUT must not exist (--force replaces a catalog this
script wrote before); it is written under a temporary name and renamed when complete.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import sys

MARKER = ".lore-bench-catalog"
REF_PATTERN = "^([A-Za-z]+:)?[A-Za-z0-9][A-Za-z0-9._-]*$"

# Type name, share of --entries, and its lore definition. Order matters: it is the
# order entries are made in (and so the order the random stream is used in).
MODEL = [
    ("Team", 0.002, {
        "schema": {"required": ["slack_channel"], "properties": {
            "slack_channel": {"type": "string", "pattern": "^#[a-z0-9-]+$"},
            "oncall": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "members": {"type": "array", "items": {"type": "string"}}}},
        "relations": {"parent": {"to": "Team", "parent": True, "inverse": "children"}},
        "summary": ["slack_channel", "oncall"]}),
    ("Product", 0.0005, {
        "schema": {"properties": {"tier": {"enum": [1, 2, 3]}}},
        "relations": {"owner": {"to": "Team", "required": True, "owner": True, "inverse": "owns"}}}),
    ("Feature", 0.005, {
        "schema": {"properties": {"tier": {"enum": [1, 2, 3]}}},
        "relations": {"product": {"to": "Product", "required": True, "parent": True,
                                  "inverse": "features", "impact": "target"}}}),
    ("Integration", 0.001, {
        "schema": {"properties": {"vendor": {"type": "string"}}},
        "relations": {"feature": {"to": "Feature", "parent": True, "inverse": "integrations",
                                  "impact": "target"}}}),
    ("Service", 0.05, {
        "schema": {"required": ["tier"], "properties": {
            "tier": {"enum": [1, 2, 3]},
            "language": {"enum": ["rust", "go", "python", "ruby", "java", "typescript"]},
            "runbook": {"type": "string", "format": "uri"},
            "slo": {"type": "object", "properties": {
                "availability": {"type": "number", "minimum": 0, "maximum": 100},
                "latency_ms": {"type": "integer", "minimum": 1}}}}},
        "relations": {
            "owner": {"to": "Team", "required": True, "owner": True, "inverse": "owns"},
            "depends_on": {"to": "Service", "many": True, "inverse": "dependents", "impact": "source"},
            "features": {"to": "Feature", "many": True, "inverse": "services", "impact": "target"}},
        "summary": ["tier"]}),
    ("Package", 0.05, {
        "schema": {"properties": {"path": {"type": "string"},
                                  "criticality": {"enum": ["high", "medium", "low"]}}},
        "relations": {"owner": {"to": "Team", "required": True, "owner": True, "inverse": "owns"},
                      "service": {"to": "Service", "parent": True, "inverse": "packages",
                                  "impact": "target"}}}),
    ("Device", 0.01, {
        "schema": {"required": ["in_sla"], "properties": {
            "in_sla": {"type": "boolean"}, "platform": {"type": "string"},
            "support_ends": {"type": "string", "format": "date"}}},
        "relations": {"owner": {"to": "Team", "owner": True, "inverse": "owns"},
                      "product": {"to": "Product", "many": True, "inverse": "devices",
                                  "impact": "source"}}}),
    ("Incident", 0.08, {
        "schema": {"required": ["severity", "hours"], "properties": {
            "severity": {"enum": ["sev1", "sev2", "sev3"]},
            "hours": {"type": "number", "minimum": 0},
            "opened": {"type": "string", "format": "date"}}},
        "relations": {"affected": {"to": ["Service", "Feature", "Integration", "Customer", "Device"],
                                   "many": True, "inverse": "incidents"}}}),
    ("Customer", None, {  # whatever the other types leave
        "schema": {"required": ["plan"], "properties": {
            "plan": {"enum": ["free", "team", "business", "enterprise"]},
            "arr": {"type": "integer", "minimum": 0},
            "csm": {"type": "string"}, "account_exec": {"type": "string"},
            "sentiment": {"enum": ["green", "amber", "red"]}, "trial": {"type": "boolean"},
            "regulated": {"type": "boolean"}}},
        "relations": {"products": {"to": "Product", "many": True, "inverse": "customers",
                                   "impact": "source"}},
        "summary": ["plan", "arr", "csm"],
        "totals": ["arr"]}),
]
MULTIDOC_TYPES = ("Customer", "Incident")  # the types --layout multidoc batches
PER_FILE = 1000

# Fields every entry may carry, for the plain JSON Schemas.
COMMON = {
    "type": {"type": "string"},
    "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
    "name": {"type": "string"},
    "description": {"type": "string"},
    "aliases": {"type": "array", "items": {"type": "string"}},
    "links": {"type": "array", "items": {"type": "object", "required": ["url"], "properties": {
        "title": {"type": "string"}, "url": {"type": "string", "format": "uri"}}}},
}

INCIDENT_WEEKS = 26
INCIDENT_START = datetime.date(2026, 1, 5)  # a Monday, ISO week 2026-W02
STATUS = {"enum": ["open", "mitigated", "resolved"]}


# ---- YAML out -------------------------------------------------------------------------
# A small emitter for the values the generator makes: block mappings, flow lists of
# scalars, block lists of mappings. Plain scalars unless YAML would read them otherwise.

NEEDS_QUOTES_FIRST = set("#&*!|>'\"%@`{[-?:, ")
RESERVED = {"true", "false", "null", "~"}


def scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if not s or s[0] in NEEDS_QUOTES_FIRST or ": " in s or " #" in s or s in RESERVED:
        return json.dumps(s)
    return s


def emit(out, key, v, depth):
    """Append `key: v` at `depth` (two spaces each) to the list of strings `out`."""
    pad = "  " * depth
    if isinstance(v, dict):
        out.append(f"{pad}{key}:\n")
        for k, x in v.items():
            emit(out, k, x, depth + 1)
    elif isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v):
        out.append(f"{pad}{key}:\n")
        for x in v:
            if isinstance(x, dict):
                lines = []
                for k, y in x.items():
                    emit(lines, k, y, depth + 2)
                first = lines[0][len(pad) + 4:]
                out.append(f"{pad}  - {first}")
                out.extend(lines[1:])
            else:
                out.append(f"{pad}  - {scalar(x)}\n")
    elif isinstance(v, list):
        out.append(f"{pad}{key}: [{', '.join(scalar(x) for x in v)}]\n")
    else:
        out.append(f"{pad}{key}: {scalar(v)}\n")


def document(fields):
    out = []
    for k, v in fields.items():
        emit(out, k, v, 0)
    return "".join(out)


# ---- the organization -----------------------------------------------------------------

def type_counts(entries, incidents):
    counts = {}
    for name, share, _ in MODEL:
        if share is not None:
            counts[name] = max(2, int(entries * share))
    if incidents is not None:
        counts["Incident"] = incidents
    counts["Customer"] = max(2, entries - sum(counts.values()))
    return counts


def ident(tname, i):
    return f"{tname.lower()}-{i:06d}"


class Org:
    """Makes the entries of each type in turn, naming others by uniform random picks."""

    def __init__(self, counts, rng, rich_incidents):
        self.n = counts
        self.rng = rng
        self.rich = rich_incidents

    def any(self, tname):
        return ident(tname, self.rng.randrange(self.n[tname]))

    def some(self, tname, k):
        """k picks, duplicates dropped, sorted."""
        return sorted({self.any(tname) for _ in range(k)})

    def entry(self, tname, i):
        eid = ident(tname, i)
        e = {"type": tname, "id": eid, "name": f"{tname} {i}"}
        if i % 3 == 0:
            e["aliases"] = [f"{eid}-alias", f"{tname.lower()}{i}"]
        getattr(self, tname.lower())(e, i)
        return e

    def team(self, e, i):
        e["slack_channel"] = f"#team-{i}"
        e["oncall"] = f"PD{i:05d}"
        e["email"] = f"team{i}@example.com"
        e["members"] = [f"user{i}-{j}" for j in range(4)]
        if i:
            e["parent"] = ident("Team", (i - 1) // 5)  # five children per team

    def product(self, e, i):
        e["tier"] = 1 + i % 3
        e["owner"] = self.any("Team")

    def feature(self, e, i):
        e["tier"] = 1 + i % 3
        e["product"] = self.any("Product")

    def integration(self, e, i):
        e["vendor"] = self.rng.choice(["sentry", "datadog", "github", "slack", "jira"])
        e["feature"] = self.any("Feature")

    def service(self, e, i):
        r = self.rng
        e["tier"] = 1 + i % 3
        e["language"] = r.choice(["rust", "go", "python", "ruby", "java"])
        e["runbook"] = f"https://runbooks.example.com/{e['id']}"
        e["slo"] = {"availability": 99.9, "latency_ms": 200 + i % 300}
        e["owner"] = self.any("Team")
        e["depends_on"] = [s for s in self.some("Service", r.randint(0, 4)) if s != e["id"]]
        e["features"] = self.some("Feature", r.randint(1, 3))
        e["links"] = [{"title": "Dashboard", "url": f"https://grafana.example.com/d/{e['id']}"}]

    def package(self, e, i):
        e["path"] = "pkg/" + e["id"].replace("-", "/")
        e["criticality"] = self.rng.choice(["high", "medium", "low"])
        e["owner"] = self.any("Team")
        e["service"] = self.any("Service")

    def device(self, e, i):
        r = self.rng
        e["in_sla"] = r.random() > 0.3
        e["platform"] = r.choice(["tizen", "webos", "roku", "android-tv"])
        e["support_ends"] = f"20{r.randint(20, 32)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}"
        e["owner"] = self.any("Team")
        e["product"] = self.some("Product", 2)

    def incident(self, e, i):
        r = self.rng
        if not self.rich:
            e["severity"] = r.choice(["sev1", "sev2", "sev3"])
            e["hours"] = round(r.uniform(0.5, 40), 1)
            e["opened"] = f"2026-0{r.randint(1, 9)}-1{r.randint(0, 9)}"
            e["affected"] = [self.any("Service"), "Feature:" + self.any("Feature"),
                             "Customer:" + self.any("Customer")]
            return
        severity = r.choices(["sev1", "sev2", "sev3"], weights=[1, 3, 6])[0]
        day = INCIDENT_START + datetime.timedelta(days=r.randrange(INCIDENT_WEEKS * 7))
        scale = {"sev1": 3.0, "sev2": 1.5, "sev3": 1.0}[severity]
        e["severity"] = severity
        e["status"] = r.choices(["resolved", "mitigated", "open"], weights=[85, 10, 5])[0]
        e["opened"] = day.isoformat()
        e["hours"] = round(min(400.0, scale * r.lognormvariate(1.0, 1.0)), 1)
        # A few services have most of the incidents, as in life: a third of the picks
        # land in the first 2% of services.
        hot = max(1, self.n["Service"] // 50)
        services = set()
        for _ in range(r.randint(1, 2)):
            k = r.randrange(hot) if r.random() < 1 / 3 else r.randrange(self.n["Service"])
            services.add(ident("Service", k))
        affected = sorted(services)
        affected += ["Feature:" + f for f in self.some("Feature", r.randint(0, 2))]
        if r.random() < 0.2:
            affected.append("Integration:" + self.any("Integration"))
        affected += ["Customer:" + c for c in self.some("Customer", r.randint(0, 3))]
        e["affected"] = affected

    def customer(self, e, i):
        r = self.rng
        e["plan"] = r.choice(["free", "team", "business", "enterprise"])
        e["arr"] = r.randint(0, 2_000_000)
        e["csm"] = f"csm{i % 97}"
        e["account_exec"] = f"ae{i % 53}"
        e["sentiment"] = r.choice(["green", "amber", "red"])
        e["trial"] = r.random() < 0.1
        e["regulated"] = r.random() < 0.05
        e["products"] = self.some("Product", 2)


def definition(tname, rich_incidents):
    d = json.loads(json.dumps(next(x for t, _, x in MODEL if t == tname)))  # a deep copy
    if tname == "Incident" and rich_incidents:
        d["schema"]["properties"]["status"] = STATUS
    return d


def plain_schema(tname, d):
    props = dict(COMMON)
    props.update(d["schema"].get("properties", {}))
    required = ["type", "id"] + d["schema"].get("required", [])
    for rname, rel in d["relations"].items():
        ref = {"type": "string", "pattern": REF_PATTERN}
        props[rname] = {"type": "array", "items": ref} if rel.get("many") else ref
        if rel.get("required"):
            required.append(rname)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": required, "properties": props, "additionalProperties": False}


# ---- writing --------------------------------------------------------------------------

def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def generate(out, a):
    rng = random.Random(a.seed)
    counts = type_counts(a.entries, a.incidents)
    org = Org(counts, rng, a.incidents is not None)
    # Which entries get a planted error: drawn from a stream of their own, so a catalog
    # with --broken K is the one without it but for the K planted errors.
    plant = random.Random(f"broken-{a.seed}")
    bad_services = set(plant.sample(range(counts["Service"]), (a.broken + 1) // 2))
    bad_customers = set(plant.sample(range(counts["Customer"]), a.broken // 2))

    os.makedirs(os.path.join(out, "schemas"))
    os.makedirs(os.path.join(out, "jsonschema"))
    for tname, _, _ in MODEL:
        d = definition(tname, a.incidents is not None)
        write(os.path.join(out, "schemas", f"{tname.lower()}.yaml"),
              document({"type": tname, "description": f"Synthetic {tname}", **d}))
        write(os.path.join(out, "jsonschema", f"{tname.lower()}.json"),
              json.dumps(plain_schema(tname, d), indent=1))

    planted, files = [], 0
    for tname, _, _ in MODEL:
        folder = os.path.join(out, "catalog", tname.lower())
        os.makedirs(folder)
        batch = a.layout == "multidoc" and tname in MULTIDOC_TYPES
        docs = []
        for i in range(counts[tname]):
            e = org.entry(tname, i)
            if tname == "Service" and i in bad_services:
                e["owner"] = "team-that-does-not-exist"
                planted.append(f"Service:{e['id']}\tdangling reference in owner")
            elif tname == "Customer" and i in bad_customers:
                e["plan"] = "platinum"
                planted.append(f"Customer:{e['id']}\tplan not in enum")
            if not batch:
                write(os.path.join(folder, f"{e['id']}.yaml"), document(e))
                files += 1
                continue
            docs.append(document(e))
            if len(docs) == PER_FILE or i == counts[tname] - 1:
                write(os.path.join(folder, f"{tname.lower()}-{i // PER_FILE:04d}.yaml"), "---\n".join(docs))
                files += 1
                docs = []
    write(os.path.join(out, "expected-errors.txt"), "".join(p + "\n" for p in sorted(planted)))
    write(os.path.join(out, MARKER), " ".join(sys.argv[1:]) + "\n")
    write(os.path.join(out, "lore.yaml"), "catalog: [catalog]\nschemas: schemas\n")
    return sum(counts.values()), files, len(planted)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder to create")
    ap.add_argument("--entries", type=int, default=100_000, help="entries in all (default 100000)")
    ap.add_argument("--layout", choices=["multidoc", "files"], default="multidoc")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--broken", type=int, default=0, metavar="K", help="plant K known errors")
    ap.add_argument("--incidents", type=int, default=None, metavar="N",
                    help="N incidents over 26 weeks, shaped for `lore report`")
    ap.add_argument("--force", action="store_true", help="replace OUT if this script wrote it")
    a = ap.parse_args()

    counts = type_counts(a.entries, a.incidents)
    fixed = sum(c for t, c in counts.items() if t != "Customer")
    if a.entries < 1 or fixed + 2 > a.entries:
        ap.error(f"--entries {a.entries} leaves no room for customers: the other types need "
                 f"{fixed}; give at least {fixed + 2}")
    if a.incidents is not None and a.incidents < 0:
        ap.error("--incidents must be 0 or more")
    if a.broken < 0 or (a.broken + 1) // 2 > counts["Service"] or a.broken // 2 > counts["Customer"]:
        ap.error(f"--broken {a.broken}: give 0 to {2 * min(counts['Service'], counts['Customer']) - 1} "
                 f"for --entries {a.entries}")

    out = os.path.abspath(a.out)
    if os.path.lexists(out):
        if not a.force:
            sys.exit(f"gen_catalog.py: {a.out} exists; remove it or pass --force "
                     "(which only replaces a folder this script wrote)")
        if not os.path.isfile(os.path.join(out, MARKER)):
            sys.exit(f"gen_catalog.py: {a.out} was not written by this script "
                     f"(no {MARKER} in it); not replacing it")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(out)}.tmp-{os.getpid()}")
    try:
        n, files, planted = generate(tmp, a)
        if os.path.lexists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    finally:
        if os.path.lexists(tmp):
            shutil.rmtree(tmp)
    print(f"{n} entries, {files} files in {a.out} ({a.layout}), {planted} planted errors")


if __name__ == "__main__":
    main()
