//! Query commands (show, owners, impact, list, search, graph) on the frozen fixture
//! catalog `tests/fixtures/shop`: JSON shapes against DESIGN.md §10, checked
//! structurally. Their human and markdown output, and their errors, are the
//! `tests/cmd/query-*` cases.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::{lore, repo, stderr, stdout};

fn fixture() -> PathBuf {
    repo().join("tests/fixtures/shop")
}

/// Run lore in the fixture catalog; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = lore(&fixture()).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

/// Run with `--format json`, expecting exit 0 and one JSON document.
fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(&[args, &["--format", "json"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    assert_eq!(doc["version"], 1);
    doc
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn the_fixture_is_a_valid_catalog() {
    let (code, report) = crate::validate_json(&fixture(), &["--strict"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn owners_of_a_feature_are_inherited_from_its_product_with_the_path() {
    let doc = json(&["owners", "cart"]);
    assert_eq!(keys(&doc), BTreeSet::from(["version", "owners"]));
    let owners = doc["owners"].as_array().unwrap();
    assert_eq!(owners.len(), 1);
    let o = &owners[0];
    for k in ["of", "owner", "name", "summary", "path"] {
        assert!(o.get(k).is_some(), "§10 field `{k}` missing: {o}");
    }
    assert_eq!(o["of"], "Feature:cart");
    assert_eq!(o["owner"], "Team:commerce");
    assert_eq!(o["name"], "Commerce group");
    assert_eq!(
        strings(&o["path"]),
        ["Feature:cart", "Product:store", "Team:commerce"]
    );
    // The owner type's (Team) summary fields.
    assert_eq!(o["summary"]["slack_channel"], "#commerce");
    assert_eq!(o["summary"]["oncall"], "PC0MM01");
    assert_eq!(
        o["explain"],
        "Feature cart → product Product store → owner Team commerce"
    );
}

#[test]
fn owners_of_several_refs_each_with_their_answer() {
    let doc = json(&["owners", "checkout", "pay-api", "Database:inventory"]);
    let got: Vec<(&str, &str)> = doc["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["of"].as_str().unwrap(), o["owner"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("Feature:checkout", "Team:web"),
            ("Service:payments-api", "Team:payments"),
            ("Database:inventory", "Team:web"),
        ]
    );
}

#[test]
fn a_team_owns_itself() {
    let doc = json(&["owners", "Team:engineering"]);
    assert_eq!(doc["owners"][0]["of"], "Team:engineering");
    assert_eq!(doc["owners"][0]["owner"], "Team:engineering");
}

#[test]
fn impact_of_a_database_reaches_customers_with_arr_totals() {
    let doc = json(&["impact", "Database:inventory"]);
    assert_eq!(
        keys(&doc),
        BTreeSet::from(["version", "roots", "impacted", "totals"])
    );
    assert_eq!(strings(&doc["roots"]), ["Database:inventory"]);
    let impacted = doc["impacted"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    let mut last_distance = 0;
    for i in impacted {
        for k in ["entry", "name", "distance", "chain"] {
            assert!(i.get(k).is_some(), "§10 field `{k}` missing: {i}");
        }
        let entry = i["entry"].as_str().unwrap();
        assert!(seen.insert(entry), "{entry} listed twice");
        let chain = strings(&i["chain"]);
        let distance = i["distance"].as_u64().unwrap() as usize;
        assert_eq!(chain.len(), distance + 1, "{i}");
        assert_eq!(chain[0], "Database:inventory");
        assert_eq!(chain[distance], entry);
        assert!(distance >= last_distance, "sorted by distance");
        last_distance = distance;
    }
    let customers: Vec<&str> = seen
        .iter()
        .copied()
        .filter(|e| e.starts_with("Customer:"))
        .collect();
    assert_eq!(
        customers,
        ["Customer:acme", "Customer:globex", "Customer:umbrella"],
        "every customer of the store, and only those"
    );
    let acme = impacted
        .iter()
        .find(|i| i["entry"] == "Customer:acme")
        .unwrap();
    assert_eq!(
        strings(&acme["chain"]),
        [
            "Database:inventory",
            "Service:inventory",
            "Feature:cart",
            "Product:store",
            "Customer:acme"
        ]
    );

    // The total is the sum of the impacted customers' arr, taken from `list`.
    let list = json(&["list", "Customer"]);
    let expected: i64 = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| seen.contains(e["entry"].as_str().unwrap()))
        .map(|e| e["summary"]["arr"].as_i64().unwrap())
        .sum();
    assert_eq!(expected, 2_400_000);
    assert_eq!(doc["totals"]["Customer"]["arr"], expected);
}

#[test]
fn impact_depth_stops_early_and_totals_stay_declared() {
    let doc = json(&["impact", "Database:inventory", "--depth", "2"]);
    let entries: Vec<&str> = doc["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["entry"].as_str().unwrap())
        .collect();
    assert_eq!(entries, ["Service:inventory", "Feature:cart"]);
    assert_eq!(doc["totals"]["Customer"]["arr"], 0);
}

#[test]
fn an_ambiguous_ref_exits_2_listing_the_candidates() {
    for cmd in ["show", "owners", "impact", "graph"] {
        let (code, out, err) = run(&[cmd, "inventory"]);
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(out.is_empty(), "{cmd}: {out}");
        assert!(
            err.contains("`Database:inventory`, `Service:inventory`"),
            "{cmd}: {err}"
        );
        assert!(err.contains("Type:id"), "says what to do: {err}");
    }
    // `payments` is Team payments' id and an alias of Service payments-api: the id wins.
    let doc = json(&["show", "payments"]);
    assert_eq!(doc["entry"], "Team:payments");
    let doc = json(&["show", "Service:payments"]);
    assert_eq!(doc["entry"], "Service:payments-api");
}

#[test]
fn show_has_fields_relations_both_ways_owners_and_place() {
    let doc = json(&["show", "Team:payments"]);
    assert_eq!(doc["type"], "Team");
    assert_eq!(doc["file"], "catalog/teams.yaml");
    assert_eq!(doc["line"], 13);
    assert!(
        doc.get("last_change").is_some(),
        "the field is always there (null outside git)"
    );
    assert_eq!(doc["fields"]["oncall"], "PPAY7QZ");
    assert!(
        doc["fields"].get("parent").is_none(),
        "relations are not fields"
    );
    let inverse: Vec<(&str, &str)> = doc["inverse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["relation"].as_str().unwrap(),
                l["entry"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(inverse.contains(&("owns", "Service:ledger")), "{inverse:?}");
    assert!(
        inverse.contains(&("led_incidents", "Incident:INC-0001")),
        "{inverse:?}"
    );
    assert_eq!(doc["relations"][0]["relation"], "parent");
    assert_eq!(doc["relations"][0]["entry"], "Team:commerce");
    assert_eq!(
        doc["owners"][0]["owner"], "Team:payments",
        "a team owns itself"
    );
}

#[test]
fn list_filters_with_where() {
    let doc = json(&["list", "Customer", "--where", "self.arr >= 800000"]);
    assert_eq!(doc["type"], "Customer");
    assert_eq!(doc["where"], "self.arr >= 800000");
    let ids: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme", "globex"]);
}

#[test]
fn search_ranks_exact_prefix_substring_fuzzy() {
    let doc = json(&["search", "pay"]);
    let results = doc["results"].as_array().unwrap();
    let ranks: Vec<&str> = results
        .iter()
        .map(|r| r["rank"].as_str().unwrap())
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort_by_key(|r| {
        ["exact", "prefix", "substring", "fuzzy"]
            .iter()
            .position(|x| x == r)
    });
    assert_eq!(ranks, sorted, "best first");
    let entries: Vec<&str> = results
        .iter()
        .map(|r| r["entry"].as_str().unwrap())
        .collect();
    assert!(entries.contains(&"Service:payments-api"), "{entries:?}");
    assert!(
        entries.contains(&"Feature:merchant-payments"),
        "substring: {entries:?}"
    );

    // An alias, exactly; and a typo.
    let doc = json(&["search", "STOCK"]);
    assert_eq!(doc["results"][0]["entry"], "Service:inventory");
    assert_eq!(doc["results"][0]["field"], "alias");
    assert_eq!(doc["results"][0]["rank"], "exact");
    let doc = json(&["search", "ledgr"]);
    assert_eq!(doc["results"][0]["entry"], "Service:ledger");
    assert_eq!(doc["results"][0]["rank"], "fuzzy");
}

#[test]
fn graph_of_a_neighbourhood_as_json() {
    let doc = json(&["graph", "ledger", "--depth", "2"]);
    assert_eq!(doc["root"], "Service:ledger");
    assert_eq!(doc["depth"], 2);
    let nodes: BTreeSet<&str> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["entry"].as_str().unwrap())
        .collect();
    // Two steps: ledger → Team payments → Team commerce (parent).
    assert!(nodes.contains("Team:commerce"), "{nodes:?}");
    for e in doc["edges"].as_array().unwrap() {
        assert!(nodes.contains(e["from"].as_str().unwrap()));
        assert!(nodes.contains(e["to"].as_str().unwrap()));
    }
    let whole = json(&["graph"]);
    assert_eq!(whole["root"], Value::Null);
    assert!(whole["nodes"].as_array().unwrap().len() > nodes.len());
}

/// `owners`, `show`, `impact` and `route` answer from the on-disk index once a query has
/// written it; every answer is the one a full load gives (`LORE_NO_CACHE=1`), on the
/// repository's own example catalog.
#[test]
fn answers_from_the_index_are_the_answers_of_a_full_load() {
    let cache = tempfile::tempdir().unwrap();
    let root = repo();
    let indexed = |args: &[&str]| {
        let out = lore(&root)
            .env("LORE_CACHE_DIR", cache.path())
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), stdout(&out), stderr(&out))
    };
    let full = |args: &[&str]| {
        let out = lore(&root)
            .env("LORE_NO_CACHE", "1")
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), stdout(&out), stderr(&out))
    };
    let (_, all, _) = full(&["export", "--format", "json"]);
    let all: Value = serde_json::from_str(&all).unwrap();
    let keys: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["type"].as_str().unwrap(),
                e["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(keys.len() > 50);
    // The first query writes the index; the ones after read it.
    assert_eq!(indexed(&["owners", &keys[0]]), full(&["owners", &keys[0]]));
    let index = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|i| i.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".index.sqlite"));
    assert!(index.is_some(), "an index was written");
    // Written after the answer, on another thread, and finished before the process
    // exits: no temporary file is left.
    let left: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|i| i.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let mut owners = vec!["owners"];
    owners.extend(keys.iter().map(String::as_str));
    assert_eq!(indexed(&owners), full(&owners));
    for key in keys.iter().step_by(5) {
        for args in [vec!["show", key, "--format", "json"], vec!["impact", key]] {
            assert_eq!(indexed(&args), full(&args), "lore {}", args.join(" "));
        }
    }
    for args in [
        vec!["owners", "no-such-entry"],
        vec!["show", "checkout"],
        vec!["impact", "tvgw"],
    ] {
        assert_eq!(indexed(&args), full(&args), "lore {}", args.join(" "));
    }
    for item in std::fs::read_dir(root.join("examples/alerts")).unwrap() {
        let path = item.unwrap().path();
        let path = path.to_str().unwrap();
        let args = ["route", path];
        assert_eq!(indexed(&args), full(&args), "lore {}", args.join(" "));
    }
}
