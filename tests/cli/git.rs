//! lore and git: `--rev`, `validate --changed-since`, `diff`, `stale`, in temporary
//! repositories with fixed authors and dates and a cleared environment.

use std::path::Path;

use crate::hermetic_git::{self, git};
use crate::{lore, stderr, stdout, validate_json};

/// A temporary git repository holding a small catalog.
pub(crate) struct Repo {
    pub dir: tempfile::TempDir,
}

const TEAM: &str = "type: Team
schema:
  required: [slack_channel]
  properties:
    slack_channel: {type: string}
summary: [slack_channel]
";
const PRODUCT: &str = "type: Product
schema:
  properties:
    tier: {enum: [1, 2, 3]}
relations:
  owner: {to: Team, required: true, owner: true, inverse: owns}
";
const FEATURE: &str = "type: Feature
schema:
  properties:
    tier: {enum: [1, 2, 3]}
relations:
  product: {to: Product, required: true, parent: true, inverse: features}
";

pub(crate) const TEAMS: &str = "type: Team
id: web
slack_channel: \"#web\"
---
type: Team
id: payments
slack_channel: \"#payments\"
";
pub(crate) const SHOP: &str = "type: Product
id: shop
owner: web
tier: 1
";
pub(crate) const CHECKOUT: &str = "type: Feature
id: checkout
product: shop
tier: 1
";

impl Repo {
    /// A repository whose catalog lives in `sub` (empty for the top), committed on day 0.
    pub(crate) fn new(sub: &str) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("a temporary folder"),
        };
        let p = |f: &str| {
            if sub.is_empty() {
                f.to_owned()
            } else {
                format!("{sub}/{f}")
            }
        };
        repo.write(&p("lore.yaml"), "freshness: {max_age: 30d}\n");
        repo.write(&p("schemas/team.yaml"), TEAM);
        repo.write(&p("schemas/product.yaml"), PRODUCT);
        repo.write(&p("schemas/feature.yaml"), FEATURE);
        repo.write(&p("catalog/teams.yaml"), TEAMS);
        repo.write(&p("catalog/shop.yaml"), SHOP);
        repo.write(&p("catalog/checkout.yaml"), CHECKOUT);
        hermetic_git::init_and_commit(repo.path(), "Start the catalog", 0);
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    /// Commit everything, dated `day` days after 2024-01-01; returns the commit id.
    pub(crate) fn commit(&self, message: &str, day: i64) -> String {
        hermetic_git::commit_all(self.path(), message, day)
    }
}

#[test]
fn rev_reads_the_catalog_as_it_was() {
    let repo = Repo::new("");
    repo.write(
        "catalog/shop.yaml",
        &SHOP.replace("owner: web", "owner: nobody"),
    );
    repo.commit("Break the owner", 3);
    // The working tree and HEAD are broken; the first commit was fine.
    let (code, report) = validate_json(repo.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let (code, report) = validate_json(repo.path(), &["--rev", "HEAD~1"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["entries"], 4);
    // Uncommitted edits do not leak into a revision.
    repo.write("catalog/extra.yaml", "type: Team\nid: x\n");
    let (_, report) = validate_json(repo.path(), &["--rev", "HEAD~1"]);
    assert_eq!(report["entries"], 4);
}

#[test]
fn rev_reads_a_catalog_in_a_subfolder() {
    let repo = Repo::new("org/catalog-repo");
    let dir = repo.path().join("org/catalog-repo");
    repo.remove("org/catalog-repo/catalog/checkout.yaml");
    let (_, now) = validate_json(&dir, &[]);
    assert_eq!(now["entries"], 3);
    let (code, then) = validate_json(&dir, &["--rev", "HEAD"]);
    assert_eq!(code, 0, "{then}");
    assert_eq!(then["entries"], 4);
    assert_eq!(then["files"], 3);
}

#[test]
fn rev_that_names_nothing_is_a_usage_error() {
    let repo = Repo::new("");
    let out = lore(repo.path())
        .args(["validate", "--rev", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`no-such-branch` names no commit"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn rev_outside_a_repository_says_so() {
    let dir = crate::catalog(&[("schemas/team.yaml", TEAM), ("catalog/teams.yaml", TEAMS)]);
    let out = lore(dir.path())
        .args(["validate", "--rev", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not inside a git repository"),
        "{}",
        stderr(&out)
    );
}

/// A change that touches everything `diff` reports: an added entry, a removed team that
/// another file still names, a renamed feature, changed fields, and a product that moves
/// to another team (taking its feature along, through inheritance).
fn changed_repo() -> Repo {
    let repo = Repo::new("");
    repo.write(
        "catalog/legacy.yaml",
        "type: Team\nid: legacy\nslack_channel: \"#legacy\"\n",
    );
    repo.write(
        "catalog/old.yaml",
        "type: Product\nid: old\nowner: legacy\n",
    );
    repo.commit("Add the legacy team", 1);
    repo.git_branch("base");
    repo.remove("catalog/legacy.yaml");
    repo.write(
        "catalog/shop.yaml",
        "type: Product\nid: shop\nowner: payments\ntier: 2\n",
    );
    repo.write(
        "catalog/checkout.yaml",
        "type: Feature\nid: pay\naliases: [checkout]\nproduct: shop\ntier: 1\n",
    );
    repo.write(
        "catalog/search.yaml",
        "type: Feature\nid: search\nproduct: shop\n",
    );
    repo
}

impl Repo {
    pub(crate) fn git_branch(&self, name: &str) {
        git(self.path(), &["branch", name], 0);
    }
}

#[test]
fn diff_reports_every_kind_of_change_as_json() {
    let repo = changed_repo();
    let out = lore(repo.path())
        .args(["diff", "base", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["head"], "working tree");
    let keys = |field: &str, key: &str| -> Vec<String> {
        doc[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[key].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(keys("added", "entry"), ["Feature:search"]);
    assert_eq!(keys("removed", "entry"), ["Team:legacy"]);
    assert_eq!(doc["renamed"][0]["from"], "Feature:checkout");
    assert_eq!(doc["renamed"][0]["to"], "Feature:pay");
    // Fields: the product's owner and tier, the renamed feature's new alias.
    let fields: Vec<String> = doc["changed"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let entry = c["entry"].as_str().unwrap().to_owned();
            c["fields"].as_array().unwrap().iter().map(move |f| {
                format!(
                    "{entry} {} {} -> {}",
                    f["field"].as_str().unwrap(),
                    f["old"],
                    f["new"]
                )
            })
        })
        .collect();
    assert_eq!(
        fields,
        [
            "Feature:pay aliases null -> [\"checkout\"]",
            "Product:shop owner \"web\" -> \"payments\"",
            "Product:shop tier 1 -> 2",
        ]
    );
    // Ownership: the product itself, its feature through it, and the orphaned product.
    let moves: Vec<String> = doc["ownership"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} {} -> {} via {}",
                m["entry"], m["old"], m["new"], m["via"]
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "\"Feature:pay\" [\"Team:web\"] -> [\"Team:payments\"] via \"Product:shop\"",
            "\"Product:old\" [\"Team:legacy\"] -> [] via null",
            "\"Product:shop\" [\"Team:web\"] -> [\"Team:payments\"] via null",
        ]
    );
    assert_eq!(doc["dangling"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["dangling"][0]["file"], "catalog/old.yaml");
    assert_eq!(doc["dangling"][0]["line"], 3);
}

#[test]
fn diff_markdown_is_a_pull_request_comment() {
    let repo = changed_repo();
    repo.commit("Reorganise the shop", 2);
    let out = lore(repo.path())
        .args(["diff", "base", "HEAD", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn diff_in_human_form_and_with_nothing_changed() {
    let repo = changed_repo();
    let out = lore(repo.path()).args(["diff", "base"]).output().unwrap();
    insta::assert_snapshot!(stdout(&out));
    let out = lore(repo.path())
        .args(["diff", "base", "base"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "base → base: no changes to the catalog\n");
}

#[test]
fn changed_since_reports_changed_files_and_what_they_broke_elsewhere() {
    let repo = Repo::new("");
    // A problem that was there before the branch: not this change's business.
    repo.write(
        "catalog/bad-old.yaml",
        "type: Product\nid: bad\nowner: ghost\n",
    );
    repo.commit("An old mistake", 1);
    git(repo.path(), &["checkout", "-q", "-b", "feature"], 1);
    // Committed on the branch: a team removed that shop.yaml (unchanged) still names.
    repo.write(
        "catalog/teams.yaml",
        "type: Team\nid: payments\nslack_channel: \"#payments\"\n",
    );
    repo.commit("Drop the web team", 2);
    // Meanwhile main touches the old mistake: the merge base keeps it out of the report.
    git(repo.path(), &["checkout", "-q", "main"], 3);
    repo.write(
        "catalog/bad-old.yaml",
        "type: Product\nid: bad\nowner: ghost\ntier: 2\n",
    );
    repo.commit("Touch the old mistake", 3);
    git(repo.path(), &["checkout", "-q", "feature"], 3);
    // Staged, unstaged and untracked problems.
    repo.write(
        "catalog/staged.yaml",
        "type: Product\nid: staged\nowner: payments\ntier: 9\n",
    );
    git(repo.path(), &["add", "catalog/staged.yaml"], 4);
    repo.write(
        "catalog/checkout.yaml",
        &CHECKOUT.replace("tier: 1", "tier: 7"),
    );
    repo.write(
        "catalog/new.yaml",
        "type: Feature\nid: new\nproduct: nope\n",
    );

    let (code, all) = validate_json(repo.path(), &[]);
    assert_eq!(code, 1);
    assert!(crate::places(&all)
        .iter()
        .any(|p| p.starts_with("catalog/bad-old.yaml")));

    let (code, report) = validate_json(repo.path(), &["--changed-since", "main"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        crate::places(&report),
        [
            "catalog/checkout.yaml:4:7 lore::schema",
            "catalog/new.yaml:3:10 lore::dangling-ref",
            "catalog/shop.yaml:3:8 lore::dangling-ref",
            "catalog/staged.yaml:4:7 lore::schema",
        ]
    );
    // The whole catalog still loaded.
    assert_eq!(report["entries"], all["entries"]);

    // Nothing changed since HEAD but the working tree edits.
    let (_, report) = validate_json(repo.path(), &["--changed-since", "HEAD"]);
    let places = crate::places(&report);
    assert!(
        !places.iter().any(|p| p.contains("shop.yaml")),
        "{places:?}"
    );
    assert!(places.iter().any(|p| p.contains("new.yaml")), "{places:?}");
}

#[test]
fn changed_since_with_nothing_changed_is_ok() {
    let repo = Repo::new("");
    repo.write(
        "catalog/bad-old.yaml",
        "type: Product\nid: bad\nowner: ghost\n",
    );
    repo.commit("An old mistake", 1);
    let (code, report) = validate_json(repo.path(), &["--changed-since", "HEAD"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);
}

/// `lore stale` with "now" fixed.
fn stale(dir: &Path, now: &str, extra: &[&str]) -> std::process::Output {
    lore(dir)
        .env("LORE_NOW", now)
        .arg("stale")
        .args(extra)
        .output()
        .unwrap()
}

fn stale_json(dir: &Path, now: &str, extra: &[&str]) -> serde_json::Value {
    let out = stale(dir, now, &[&["--format", "json"], extra].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `entry age` of every stale entry, owner by owner.
fn ages(doc: &serde_json::Value) -> Vec<String> {
    doc["owners"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| {
            let owner = g["owner"].as_str().unwrap_or("-").to_owned();
            g["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |e| format!("{owner} {} {}", e["entry"].as_str().unwrap(), e["age_days"]))
        })
        .collect()
}

/// Teams on day 0; the payments team edited on day 50 (inside the multi-document file);
/// the shop on day 80.
fn aged_repo() -> Repo {
    let repo = Repo::new("");
    repo.write("catalog/teams.yaml", &TEAMS.replace("#payments", "#pay"));
    repo.commit("Rename the payments channel", 50);
    repo.write("catalog/shop.yaml", &SHOP.replace("tier: 1", "tier: 2"));
    repo.commit("Shop is tier 2", 80);
    repo
}

#[test]
fn stale_ages_each_entry_by_its_own_lines() {
    let repo = aged_repo();
    // Day 100, max age 30d (lore.yaml): the web team (day 0), checkout (day 0) and
    // payments (day 50, in the same file as web) are stale; the shop (day 80) is not.
    // A team owns itself: its own stale entry is grouped under it.
    let doc = stale_json(repo.path(), "2024-04-10", &[]);
    assert_eq!(doc["max_age_days"], 30);
    assert_eq!(doc["now"], "2024-04-10");
    assert_eq!(
        ages(&doc),
        [
            "Team:payments Team:payments 50",
            "Team:web Feature:checkout 100",
            "Team:web Team:web 100",
        ]
    );
    let g = &doc["owners"][1];
    assert_eq!(g["summary"]["slack_channel"], "#web");
    let e = &g["entries"][0]["last_change"];
    assert_eq!(e["author"], hermetic_git::AUTHOR);
    assert_eq!(e["date"], "2024-01-01");
    assert_eq!(e["summary"], "Start the catalog");
    // --max-age wins over lore.yaml.
    let doc = stale_json(repo.path(), "2024-04-10", &["--max-age", "60d"]);
    assert_eq!(
        ages(&doc),
        ["Team:web Feature:checkout 100", "Team:web Team:web 100"]
    );
}

#[test]
fn stale_counts_uncommitted_edits_as_fresh() {
    let repo = aged_repo();
    repo.write(
        "catalog/teams.yaml",
        &TEAMS
            .replace("#payments", "#pay")
            .replace("#web", "#web-team"),
    );
    repo.write(
        "catalog/new.yaml",
        "type: Team\nid: new\nslack_channel: \"#new\"\n",
    );
    let doc = stale_json(repo.path(), "2024-04-10", &[]);
    assert_eq!(
        ages(&doc),
        [
            "Team:payments Team:payments 50",
            "Team:web Feature:checkout 100"
        ]
    );
}

#[test]
fn stale_in_markdown_and_human_form() {
    let repo = aged_repo();
    let out = stale(repo.path(), "2024-04-10", &["--format", "markdown"]);
    insta::assert_snapshot!("stale_markdown", stdout(&out));
    let out = stale(repo.path(), "2024-04-10", &[]);
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "3 of 4 entries untouched for more than 30 days (as of 2024-04-10), 2 owners\n"
        ),
        "{text}"
    );
    assert!(text.contains("\nTeam:web (slack_channel: #web)\n  Feature:checkout  100 days  catalog/checkout.yaml:1  2024-01-01 Ada Author "), "{text}");
}

#[test]
fn stale_on_a_shallow_clone_reports_unknown_ages() {
    let repo = aged_repo();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"], 0);
    let dir = clone.path().join("c");
    let doc = stale_json(&dir, "2024-04-10", &[]);
    assert_eq!(doc["truncated"], true);
    // The last two commits are here: the shop's change (day 80) is known, and fresh; the
    // payments edit of day 50 is the clone's boundary, so it and everything older are
    // unknown rather than dated to the boundary.
    assert_eq!(ages(&doc), Vec::<String>::new());
    assert_eq!(
        doc["unknown"],
        serde_json::json!(["Feature:checkout", "Team:payments", "Team:web"])
    );
    let depth1 = tempfile::tempdir().unwrap();
    git(
        depth1.path(),
        &["clone", "-q", "--depth", "1", &url, "c"],
        0,
    );
    let doc = stale_json(&depth1.path().join("c"), "2024-04-10", &[]);
    assert_eq!(doc["unknown"].as_array().unwrap().len(), 4);
    let out = stale(&dir, "2024-04-10", &[]);
    assert!(
        stdout(&out).contains("history is truncated (shallow clone)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn stale_outside_a_repository_is_a_clear_error() {
    let dir = crate::catalog(&[("schemas/team.yaml", TEAM), ("catalog/teams.yaml", TEAMS)]);
    let out = stale(dir.path(), "2024-04-10", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not inside a git repository"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn stale_rejects_a_bad_age() {
    let repo = Repo::new("");
    let out = stale(repo.path(), "2024-04-10", &["--max-age", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`180d`"), "{}", stderr(&out));
}

#[test]
fn show_names_the_last_change_of_the_entry_itself() {
    let repo = aged_repo();
    let show = |r: &str| -> serde_json::Value {
        let out = lore(repo.path())
            .args(["show", r, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Two entries of one file: each has its own last change.
    let payments = show("Team:payments");
    assert_eq!(
        payments["last_change"]["summary"],
        "Rename the payments channel"
    );
    assert_eq!(payments["last_change"]["author"], hermetic_git::AUTHOR);
    assert_eq!(payments["last_change"]["date"], "2024-02-20");
    let web = show("Team:web");
    assert_eq!(web["last_change"]["summary"], "Start the catalog");
    // An uncommitted edit has no last change yet.
    repo.write("catalog/teams.yaml", &TEAMS.replace("#web", "#web-team"));
    assert_eq!(show("Team:web")["last_change"], serde_json::Value::Null);
}

#[test]
fn diff_shows_routing_tests_that_change_result() {
    let repo = Repo::new("");
    repo.write(
        "routing/cases.yaml",
        r#"cases:
  - name: shop is down
    payload:
      version: "4"
      status: firing
      alerts:
        - status: firing
          labels: {alertname: ShopDown, product: shop}
    expect:
      matches: [Product:shop]
      owners: [Team:web]
"#,
    );
    repo.commit("Route shop alerts", 1);
    let test = lore(repo.path()).arg("test").output().unwrap();
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}{}",
        stdout(&test),
        stderr(&test)
    );
    repo.write(
        "catalog/shop.yaml",
        &SHOP.replace("owner: web", "owner: payments"),
    );
    let out = lore(repo.path())
        .args(["diff", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["routing"], 1);
    let r = &doc["routing"][0];
    assert_eq!(r["case"], "shop is down");
    assert_eq!(r["file"], "routing/cases.yaml");
    assert_eq!(r["line"], 2);
    assert_eq!(r["base"], "passed");
    assert_eq!(r["head"], "failed (owners: -Team:web +Team:payments)");
    let md = lore(repo.path())
        .args(["diff", "HEAD", "--format", "markdown"])
        .output()
        .unwrap();
    let text = stdout(&md);
    assert!(text.contains("1 routing test changes result"), "{text}");
    assert!(
        text.contains("| shop is down | `routing/cases.yaml:2` | passed | failed (owners: -Team:web +Team:payments) |"),
        "{text}"
    );
}

#[test]
fn stale_fails_only_when_asked_and_something_is_stale() {
    let repo = aged_repo();
    let code = |extra: &[&str]| stale(repo.path(), "2024-04-10", extra).status.code();
    assert_eq!(
        code(&[]),
        Some(0),
        "stale entries are a report, not a failure"
    );
    assert_eq!(code(&["--fail-if-stale"]), Some(1));
    assert_eq!(code(&["--fail-if-stale", "--format", "markdown"]), Some(1));
    assert_eq!(
        code(&["--fail-if-stale", "--max-age", "1y"]),
        Some(0),
        "nothing is a year old"
    );
}
