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

/// examples/broken holds one file per kind of problem; each is reported with its code at
/// the exact line:col of the offending token, and nothing else is.
#[test]
fn broken_examples_report_each_problem_at_its_place() {
    let (code, report) = validate_json(&repo().join("examples/broken"), &[]);
    assert_eq!(code, 1);
    let expected = [
        "catalog/ambiguous-ref.yaml:7:14 lore::ambiguous-ref",
        "catalog/billion-laughs.yaml:7:8 lore::yaml-limit",
        "catalog/dangling-ref.yaml:6:14 lore::dangling-ref",
        "catalog/deep-nesting.yaml:2:65 lore::yaml-limit",
        "catalog/duplicate-alias.yaml:4:11 lore::duplicate-id",
        "catalog/duplicate-id.yaml:3:5 lore::duplicate-id",
        "catalog/duplicate-key.yaml:6:1 lore::duplicate-key",
        "catalog/empty-document.yaml:6:1 lore::empty-document",
        "catalog/format-uri.yaml:5:10 lore::schema",
        "catalog/id-pattern.yaml:3:5 lore::id-pattern",
        "catalog/invalid-utf8.yaml:4:10 lore::encoding",
        "catalog/many-not-list.yaml:5:8 lore::schema",
        "catalog/missing-id.yaml:2:1 lore::missing-id",
        "catalog/missing-required-relation.yaml:2:1 lore::schema",
        "catalog/missing-type.yaml:2:1 lore::missing-type",
        "catalog/not-a-mapping.yaml:2:1 lore::not-a-mapping",
        "catalog/parent-cycle.yaml:5:9 lore::cycle",
        "catalog/rule-error.yaml:3:5 lore::rule",
        "catalog/rule-warning.yaml:3:5 lore::rule",
        "catalog/schema-enum.yaml:4:7 lore::schema",
        "catalog/schema-type.yaml:5:12 lore::schema",
        "catalog/unknown-field.yaml:6:1 lore::unknown-field",
        "catalog/unknown-type.yaml:2:7 lore::unknown-type",
        "catalog/wrong-type-ref.yaml:6:14 lore::wrong-type-ref",
        "catalog/yaml-syntax.yaml:4:15 lore::yaml",
        "schemas/bad-relation.yaml:5:17 lore::typedef",
        "schemas/bad-relation.yaml:6:34 lore::typedef",
        "schemas/bad-schema.yaml:6:19 lore::invalid-schema",
        "schemas/bad-schema.yaml:7:35 lore::invalid-regex",
        "schemas/bad-schema.yaml:11:25 lore::invalid-expr",
    ];
    assert_eq!(places(&report), expected);
    let warnings: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "warning")
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        ["catalog/empty-document.yaml", "catalog/rule-warning.yaml"]
    );
}

#[test]
fn human_output_of_the_broken_examples() {
    let out = lore(&repo().join("examples/broken"))
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out));
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
fn duplicate_ids_name_both_places_across_files() {
    let dir = base(&[("catalog/more-teams.yaml", "type: Team\nid: web\n")]);
    let out = lore(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("catalog/teams.yaml:6:5"), "{text}");
    assert!(text.contains("catalog/more-teams.yaml:2:5"), "{text}");
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
fn github_format_annotates_files() {
    let dir = base(&[(
        "catalog/svc.yaml",
        "type: Service\nid: checkout\nowner: paymnets\n",
    )]);
    let out = lore(dir.path())
        .args(["validate", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let first = stdout(&out).lines().next().unwrap().to_owned();
    assert_eq!(
        first,
        "::error file=catalog/svc.yaml,line=3,col=8,endLine=3,endColumn=16,title=lore%3A%3Adangling-ref::`owner` refers to `paymnets`, but no Team has that id or alias%0Ahelp: did you mean `payments`?"
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
fn no_catalog_here_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no catalog repository here"),
        "{}",
        stderr(&out)
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
fn a_missing_path_is_a_usage_error() {
    let dir = base(&[]);
    let out = lore(dir.path())
        .args(["validate", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`nope` does not exist"));
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

#[test]
fn readme_lists_every_problem_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for code in lore::diag::Code::ALL {
        let row = format!("| `{}` | {} |", code.name(), code.description());
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

/// The repository's own workflows are valid YAML and run the catalog loop.
#[test]
fn the_repository_workflows_parse_and_run_the_loop() {
    for (file, needs) in [
        (
            ".github/workflows/ci.yml",
            &["bash .ci/run", "validate --format github"][..],
        ),
        (
            ".github/workflows/catalog.yml",
            &[
                "validate --changed-since",
                "lore test",
                "lore diff",
                "stale --format markdown",
            ][..],
        ),
    ] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        let parsed = lore::yaml::parse(&text, lore::yaml::Limits::default(), false);
        assert!(parsed.errors.is_empty(), "{file}: {:?}", parsed.errors);
        for n in needs {
            assert!(text.contains(n), "{file} lacks `{n}`");
        }
    }
}
