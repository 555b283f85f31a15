//! Query commands on the example catalog: show, owners, impact, list, search, graph.
//! JSON shapes against DESIGN.md §10; human output as snapshots.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{catalog, lore, repo, stderr, stdout};

/// Run lore in the example catalog; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = lore(&repo()).args(args).output().unwrap();
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
            ("Feature:checkout", "Team:checkout-web"),
            ("Service:payments-api", "Team:payments"),
            ("Database:inventory", "Team:merchant-tools"),
        ]
    );
    let (code, out, _) = run(&["owners", "checkout", "cart", "stock"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn owners_of_an_entry_without_one_exit_1_and_say_which() {
    let (code, out, err) = run(&["owners", "cart", "Customer:fabrikam-retail"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("Team:commerce"),
        "the other answers still show: {out}"
    );
    assert!(
        err.contains("Customer:fabrikam-retail has no owner"),
        "{err}"
    );
    assert!(err.contains("parent"), "says what to set: {err}");
}

#[test]
fn a_team_owns_itself() {
    let (code, out, err) = run(&["owners", "Team:engineering", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["owners"][0]["of"], "Team:engineering");
    assert_eq!(v["owners"][0]["owner"], "Team:engineering");
}

#[test]
fn owners_markdown_is_a_list_per_ref() {
    let (code, out, _) = run(&["owners", "cart", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("### Owners of `Feature:cart` (Shopping cart)\n"),
        "{out}"
    );
    assert!(
        out.contains("- **`Team:commerce` (Commerce group)**: slack\\_channel `#commerce`"),
        "{out}"
    );
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
        customers.len(),
        8,
        "every Commerce Cloud customer: {customers:?}"
    );
    let wide = impacted
        .iter()
        .find(|i| i["entry"] == "Customer:wide-world-importers")
        .unwrap();
    assert_eq!(
        strings(&wide["chain"]),
        [
            "Database:inventory",
            "Service:inventory",
            "Feature:storefront-builder",
            "Product:commerce-cloud",
            "Customer:wide-world-importers"
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
    assert_eq!(expected, 2_272_400);
    assert_eq!(doc["totals"]["Customer"]["arr"], expected);

    let (code, out, _) = run(&["impact", "Database:inventory"]);
    assert_eq!(code, 0);
    assert!(out.contains("Customer  arr  2,272,400"), "{out}");
    insta::assert_snapshot!(out);
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
    assert_eq!(
        entries,
        [
            "Service:inventory",
            "Feature:checkout",
            "Feature:storefront-builder",
            "Service:checkout-api"
        ]
    );
    assert_eq!(doc["totals"]["Customer"]["arr"], 0);
}

#[test]
fn impact_of_an_entry_nothing_depends_on_is_an_answer() {
    let (code, out, _) = run(&["impact", "Customer:lamna-healthcare"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(
            "Nothing else is impacted by Customer:lamna-healthcare (Lamna Healthcare)."
        ),
        "{out}"
    );
    assert!(
        out.contains("Customer  arr  180,000"),
        "roots count in totals: {out}"
    );
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
fn an_unknown_ref_exits_1_suggesting_the_closest() {
    let (code, _, err) = run(&["owners", "ledgr"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `Service:ledger`"), "{err}");
    let (code, _, err) = run(&["show", "Servce:ledger"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `Service`"), "{err}");
}

#[test]
fn show_has_fields_relations_both_ways_owners_and_place() {
    let (code, out, err) = run(&["show", "ledger"]);
    assert_eq!(code, 0, "{err}");
    // The last change comes from this repository's own history, which every commit
    // moves; tests/cli/git.rs checks it in a repository with fixed dates.
    let out: String = out
        .lines()
        .filter(|l| !l.starts_with("last change "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(out);

    let doc = json(&["show", "Team:payments"]);
    assert_eq!(doc["type"], "Team");
    assert_eq!(doc["file"], "catalog/teams.yaml");
    assert_eq!(doc["line"], 20);
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
        inverse.contains(&("led_incidents", "Incident:INC-1042")),
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
fn list_filters_with_where_and_reports_bad_input() {
    let doc = json(&["list", "Customer", "--where", "self.arr >= 800000"]);
    assert_eq!(doc["type"], "Customer");
    assert_eq!(doc["where"], "self.arr >= 800000");
    let ids: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["contoso-telecom", "fabrikam-retail", "woodgrove-bank"]
    );

    let (code, out, _) = run(&["list", "Device", "--where", "!self.in_sla"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);

    let (code, _, err) = run(&["list", "Customer", "--where", "self.arr >="]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid --where expression"), "{err}");
    let (code, _, err) = run(&["list", "Custmer"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `Customer`"), "{err}");
    let (code, out, err) = run(&["list", "Customer", "--where", "self.arr > 100000000"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("no Customer entry matches"), "{err}");
}

#[test]
fn list_leaves_out_entries_the_filter_cannot_evaluate_with_a_warning() {
    let (code, out, err) = run(&["list", "Team", "--where", "self.oncall.startsWith('PP')"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("payments"), "{out}");
    assert!(!out.contains("engineering"), "{out}");
    assert!(
        err.starts_with("warning: --where could not be evaluated on 1 entry"),
        "{err}"
    );
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

    let (code, _, err) = run(&["search", "qqqqqq"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("nothing has an id, alias or name like `qqqqqq`"),
        "{err}"
    );
}

#[test]
fn graph_of_a_neighbourhood_as_dot_and_mermaid() {
    let (code, dot, _) = run(&["graph", "ledger"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_dot", dot);
    let (code, mermaid, _) = run(&["graph", "ledger", "--format", "mermaid"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_mermaid", mermaid);

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

#[test]
fn queries_answer_on_a_broken_catalog_with_one_warning_and_escape_names() {
    let dir = catalog(&[
        ("schemas/team.yaml", "type: Team\nschema:\n  properties:\n    slack: {type: string}\nsummary: [slack]\n"),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\n",
        ),
        (
            "catalog/all.yaml",
            "type: Team\nid: web\nname: \"Web\\e[31m team\"\nslack: \"#web\\nnext\"\n---\ntype: Service\nid: api\nowner: web\ndepends_on: [nowhere]\n",
        ),
    ]);
    let out = lore(dir.path()).args(["owners", "api"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "warning: the catalog has 1 problem; run lore validate\n"
    );
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}'),
        "control characters escaped: {text:?}"
    );
    assert!(text.contains("Web\\u{1b}[31m team"), "{text}");
    assert!(text.contains("#web\\nnext"), "{text}");
}
