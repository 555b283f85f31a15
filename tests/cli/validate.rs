//! `lore validate`: the example catalogs, every kind of problem, every format.

use crate::{catalog, lore, places, repo, stderr, stdout, validate_json};

#[test]
fn the_example_catalog_is_valid() {
    let out = lore(&repo())
        .args(["validate", "--strict"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).starts_with("ok: "), "{}", stdout(&out));
}

/// `file:line:col code` and the severity of every problem in an expected human report
/// (a trycmd snapshot): each diagnostic opens with its code, then `×` (error) or `⚠`
/// (warning) and the message, then its primary place; related places come later.
fn places_in_human_report(text: &str) -> Vec<(String, &'static str)> {
    let mut found = Vec::new();
    let mut open: Option<(&str, &'static str)> = None;
    for line in text.lines() {
        if line.starts_with("lore::") {
            open = Some((line.trim(), "?"));
        } else if let Some((code, severity)) = open.as_mut() {
            if *severity == "?" {
                *severity = match line.trim_start().chars().next() {
                    Some('×') => "error",
                    Some('⚠') => "warning",
                    _ => "?",
                };
            } else if let Some(at) = line.find("╭─[") {
                let place = line[at + "╭─[".len()..].trim_end_matches(']');
                found.push((format!("{place} {code}"), *severity));
                open = None;
            }
        }
    }
    found
}

/// examples/broken holds one file per kind of problem. Its expected human report
/// (`tests/cmd/validate-broken-examples.stdout`, checked by the `cmd` test) is the one
/// list of what must be reported where; the JSON report must agree with it, problem
/// for problem, place for place, severity for severity.
#[test]
fn broken_examples_report_in_json_what_the_expected_report_shows() {
    let expected =
        std::fs::read_to_string(repo().join("tests/cmd/validate-broken-examples.stdout")).unwrap();
    let expected = places_in_human_report(&expected);
    assert_eq!(expected.len(), 30, "{expected:?}");
    let (code, report) = validate_json(&repo().join("examples/broken"), &[]);
    assert_eq!(code, 1);
    let severities = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["severity"].as_str().unwrap());
    let got: Vec<(String, &str)> = places(&report).into_iter().zip(severities).collect();
    let expected: Vec<(String, &str)> = expected.iter().map(|(p, s)| (p.clone(), *s)).collect();
    assert_eq!(got, expected);
    // Every problem file in catalog/ has its one problem; the valid file has none.
    let mut files: Vec<String> = std::fs::read_dir(repo().join("examples/broken/catalog"))
        .unwrap()
        .map(|e| format!("catalog/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| !f.ends_with("00-valid.yaml"))
        .collect();
    files.sort();
    let reported: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .filter(|f| f.starts_with("catalog/"))
        .collect();
    assert_eq!(reported, files);
}

const TEAM: &str = "type: Team\nschema:\n  properties:\n    slack_channel: {type: string}\nrelations:\n  parent: {to: Team, parent: true, inverse: children}\nsummary: [slack_channel]\n";
const SERVICE: &str = "type: Service\nschema:\n  properties:\n    tier: {enum: [1, 2, 3]}\n    country: {type: string}\nrelations:\n  owner: {to: Team, owner: true, required: true, inverse: owns}\n  depends_on: {to: [Service, Database], many: true, impact: source, inverse: dependents}\n";
const DATABASE: &str =
    "type: Database\nrelations:\n  owner: {to: Team, owner: true, inverse: owns}\n";

fn base(extra: &[(&'static str, &'static str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("lore.yaml", "catalog: [catalog]\n"),
        ("schemas/team.yaml", TEAM),
        ("schemas/service.yaml", SERVICE),
        ("schemas/database.yaml", DATABASE),
        (
            "catalog/teams.yaml",
            "type: Team\nid: payments\nslack_channel: \"#payments\"\n---\ntype: Team\nid: web\n",
        ),
    ];
    files.extend_from_slice(extra);
    catalog(&files)
}

#[test]
fn json_report_follows_the_contract() {
    let dir = base(&[(
        "catalog/svc.yaml",
        "type: Service\nid: checkout\nowner: paymnets\n",
    )]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    assert_eq!(report["ok"], false);
    assert_eq!(report["entries"], 3);
    assert_eq!(report["files"], 2);
    let p = &report["problems"][0];
    assert_eq!(p["code"], "lore::dangling-ref");
    assert_eq!(p["severity"], "error");
    assert_eq!(p["file"], "catalog/svc.yaml");
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(3), Some(8))
    );
    assert_eq!(
        (p["end_line"].as_u64(), p["end_column"].as_u64()),
        (Some(3), Some(16))
    );
    assert_eq!(p["entry"], "Service:checkout");
    assert_eq!(p["help"], "did you mean `payments`?");
    assert!(p["message"].as_str().unwrap().contains("paymnets"));
}

#[test]
fn yaml_1_2_keeps_no_and_on_as_strings() {
    let dir = base(&[(
        "catalog/svc.yaml",
        "type: Service\nid: checkout\nowner: web\ncountry: no\n---\ntype: Service\nid: search\nowner: web\ncountry: on\n",
    )]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn references_resolve_by_alias_and_by_type_prefix() {
    let dir = base(&[
        ("catalog/db.yaml", "type: Database\nid: ledger\naliases: [ledger-db]\n"),
        (
            "catalog/svc.yaml",
            "type: Service\nid: checkout\nowner: web\ndepends_on: [ledger-db, Database:ledger, Service:search]\n---\ntype: Service\nid: search\nowner: web\n",
        ),
    ]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn ownership_cycles_are_errors_but_dependency_cycles_are_not() {
    let dir = base(&[
        ("catalog/loop.yaml", "type: Team\nid: a\nparent: b\n---\ntype: Team\nid: b\nparent: a\n"),
        (
            "catalog/svc.yaml",
            "type: Service\nid: x\nowner: web\ndepends_on: [y]\n---\ntype: Service\nid: y\nowner: web\ndepends_on: [x]\n",
        ),
    ]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(places(&report), ["catalog/loop.yaml:3:9 lore::cycle"]);
    let message = report["problems"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Team:a → parent Team:b → parent Team:a"),
        "{message}"
    );
}

#[test]
fn a_self_parent_is_a_cycle() {
    let dir = base(&[("catalog/self.yaml", "type: Team\nid: a\nparent: a\n")]);
    let (_, report) = validate_json(dir.path(), &[]);
    assert_eq!(places(&report), ["catalog/self.yaml:3:9 lore::cycle"]);
}

#[test]
fn strict_makes_warnings_fail() {
    let dir = base(&[("catalog/empty.yaml", "type: Team\nid: sre\n---\n")]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!((code, report["ok"].as_bool()), (0, Some(true)), "{report}");
    assert_eq!(
        places(&report),
        ["catalog/empty.yaml:3:1 lore::empty-document"]
    );
    let (code, report) = validate_json(dir.path(), &["--strict"]);
    assert_eq!((code, report["ok"].as_bool()), (1, Some(false)));
}

#[test]
fn paths_restrict_the_report_not_the_load() {
    let dir = base(&[
        (
            "catalog/a/svc.yaml",
            "type: Service\nid: a\nowner: nobody\n",
        ),
        (
            "catalog/b/svc.yaml",
            "type: Service\nid: b\nowner: web\ndepends_on: [a]\n",
        ),
    ]);
    let (code, report) = validate_json(dir.path(), &["catalog/b"]);
    assert_eq!(
        code, 0,
        "b is valid, and its reference to a resolves: {report}"
    );
    let (code, report) = validate_json(dir.path(), &["catalog/a"]);
    assert_eq!(code, 1);
    assert_eq!(
        places(&report),
        ["catalog/a/svc.yaml:3:8 lore::dangling-ref"]
    );
}

#[test]
fn runs_from_a_subfolder_and_shows_paths_from_there() {
    let dir = base(&[(
        "catalog/a/svc.yaml",
        "type: Service\nid: a\nowner: nobody\n",
    )]);
    let (code, report) = validate_json(&dir.path().join("catalog/a"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        places(&report),
        ["catalog/a/svc.yaml:3:8 lore::dangling-ref"]
    );
}

#[test]
fn sarif_format_carries_rules_and_regions() {
    let dir = base(&[(
        "catalog/svc.yaml",
        "type: Service\nid: checkout\nowner: web\ntier: 9\n",
    )]);
    let out = lore(dir.path())
        .args(["validate", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "lore::schema");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "lore::schema");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(4), Some(7))
    );
}

#[test]
fn an_invalid_config_is_exit_2_at_its_key() {
    let dir = base(&[]);
    std::fs::write(
        dir.path().join("lore.yaml"),
        "catalog: [catalog]\nschema: schemas\n",
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(places(&report), ["lore.yaml:2:1 lore::config"]);
    assert_eq!(report["problems"][0]["help"], "did you mean `schemas`?");
}

#[test]
fn excluded_files_are_not_read() {
    let dir = base(&[("catalog/archive/old.yaml", "type: Nope\n")]);
    std::fs::write(
        dir.path().join("lore.yaml"),
        "catalog: [catalog]\nexclude: [\"catalog/archive/**\"]\n",
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn additional_fields_relaxes_unknown_fields() {
    let dir = base(&[(
        "catalog/db.yaml",
        "type: Database\nid: ledger\nengine: postgres\n",
    )]);
    let (_, report) = validate_json(dir.path(), &[]);
    assert_eq!(places(&report), ["catalog/db.yaml:3:1 lore::unknown-field"]);
    std::fs::write(
        dir.path().join("schemas/database.yaml"),
        format!("{DATABASE}additional_fields: true\n"),
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn schema_refs_cannot_reach_the_network() {
    let dir = base(&[]);
    std::fs::write(
        dir.path().join("schemas/database.yaml"),
        "type: Database\nschema:\n  properties:\n    engine: {$ref: \"https://example.com/engine.json\"}\n",
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        places(&report)[0],
        "schemas/database.yaml:4:20 lore::invalid-schema"
    );
}

#[test]
fn rules_that_cannot_be_evaluated_say_how_to_guard_them() {
    let dir = base(&[(
        "catalog/svc.yaml",
        "type: Service\nid: checkout\nowner: web\n",
    )]);
    std::fs::write(
        dir.path().join("schemas/service.yaml"),
        format!("{SERVICE}rules:\n  - name: tier-known\n    check: \"self.tier > 0\"\n"),
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(places(&report), ["catalog/svc.yaml:2:5 lore::rule-error"]);
    assert!(report["problems"][0]["help"]
        .as_str()
        .unwrap()
        .contains("has(self.field)"));
}

#[test]
fn a_relation_to_an_unknown_type_is_reported_in_the_type_file() {
    let dir = base(&[]);
    std::fs::write(
        dir.path().join("schemas/database.yaml"),
        "type: Database\nrelations:\n  owner: {to: Teem, owner: true}\n",
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        places(&report),
        ["schemas/database.yaml:3:15 lore::typedef"]
    );
    assert_eq!(report["problems"][0]["help"], "did you mean `Team`?");
}

#[test]
fn output_is_deterministic() {
    let dir = repo().join("examples/broken");
    let first = lore(&dir)
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    for _ in 0..3 {
        let again = lore(&dir)
            .args(["validate", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(first.stdout, again.stdout);
    }
}

/// No file of the repository names a placeholder where the repository belongs: one
/// place (Cargo.toml `repository`) names it, and everything else uses that.
#[test]
fn no_placeholder_names_the_repository() {
    let placeholders = ["REPLACE-ME", "OWNER/lore", "LORE_GIT"];
    let mut stack = vec![repo()];
    while let Some(dir) = stack.pop() {
        for item in std::fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["target", ".git", "bench"].contains(&name.as_str()) {
                    stack.push(path);
                }
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if path.ends_with("tests/cli/validate.rs") {
                continue; // this test names them
            }
            for p in placeholders {
                assert!(!text.contains(p), "{} names `{p}`", path.display());
            }
        }
    }
}
