//! lore.yaml as hostile input: every mistake is a diagnostic at its place in lore.yaml,
//! all of them in one run, and an invalid lore.yaml exits 2 (README: "2 usage error or
//! invalid `lore.yaml`"), whatever is wrong with it. `route` uses the sources compiled
//! when the catalog loaded.

use std::time::{Duration, Instant};

use super::{catalog, lore, places, stderr, stdout, validate_json};

const TEAM: &str = "type: Team\n";
const SERVICE: &str =
    "type: Service\nrelations:\n  owner: {to: Team, owner: true}\nalert_keys: [service]\n";

/// A valid catalog with this lore.yaml.
fn with_config(config: &str) -> tempfile::TempDir {
    catalog(&[
        ("lore.yaml", config),
        ("schemas/team.yaml", TEAM),
        ("schemas/service.yaml", SERVICE),
        (
            "catalog/all.yaml",
            "type: Team\nid: payments\n---\ntype: Service\nid: checkout\nowner: payments\n",
        ),
    ])
}

#[test]
fn a_yaml_syntax_error_in_lore_yaml_exits_2() {
    let dir = with_config("catalog: [catalog\n");
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(places(&report), ["lore.yaml:2:1 lore::yaml"]);
}

#[test]
fn a_duplicate_key_a_second_document_or_bad_encoding_in_lore_yaml_exits_2() {
    let dir = with_config("catalog: [catalog]\ncatalog: [other]\n");
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(places(&report), ["lore.yaml:2:1 lore::duplicate-key"]);

    std::fs::write(
        dir.path().join("lore.yaml"),
        "catalog: [catalog]\n---\nschemas: x\n",
    )
    .unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(places(&report), ["lore.yaml:3:1 lore::config"]);

    std::fs::write(dir.path().join("lore.yaml"), b"catalog: [\xff]\n").unwrap();
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(report["problems"][0]["code"], "lore::encoding");
}

#[test]
fn every_bad_jsonpath_is_reported_at_its_place() {
    let dir = with_config(concat!(
        "alerts:\n",
        "  sources:\n",
        "    hooks:\n",
        "      detect: \"$.[check\"\n",
        "      each: \"$.alerts[*\"\n",
        "      title: labels.name\n",
        "      severity: \"$.sev[?]\"\n",
        "      status: \"$..\"\n",
        "      match:\n",
        "        Service: [\"$.ok\", \"$.svc[\"]\n",
    ));
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        places(&report),
        [
            // Each inside its string, where the path goes wrong.
            "lore.yaml:4:18 lore::config",
            "lore.yaml:5:24 lore::config",
            "lore.yaml:6:14 lore::config",
            "lore.yaml:7:25 lore::config",
            "lore.yaml:8:19 lore::config",
            "lore.yaml:10:33 lore::config",
        ]
    );
    for p in report["problems"].as_array().unwrap() {
        let message = p["message"].as_str().unwrap();
        assert!(message.contains("JSONPath"), "{message}");
        assert!(p["help"].as_str().unwrap().contains("$.labels.service"));
    }
}

#[test]
fn an_unknown_type_in_match_suggests_the_closest_at_its_key() {
    let dir = with_config(
        "alerts:\n  sources:\n    hooks:\n      detect: $.check\n      match:\n        Servce: [$.svc]\n        Nope: [$.x]\n",
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        places(&report),
        ["lore.yaml:6:9 lore::config", "lore.yaml:7:9 lore::config"]
    );
    assert_eq!(report["problems"][0]["help"], "did you mean `Service`?");
    let help = report["problems"][1]["help"].as_str().unwrap();
    assert!(help.contains("Service, Team"), "{help}");
}

#[test]
fn a_note_that_does_not_compile_is_reported_and_exits_2() {
    let dir = with_config(
        "alerts:\n  notes:\n    - when: \"totals.Customer.arr >\"\n      say: ok\n    - say: \"{{ self.name }}\"\n",
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    let found = places(&report);
    assert_eq!(found.len(), 2, "{report}");
    assert!(found[0].starts_with("lore.yaml:3:"), "{found:?}");
    assert!(found[1].starts_with("lore.yaml:5:"), "{found:?}");
    assert!(found.iter().all(|f| f.ends_with("lore::invalid-expr")));
    let unknown = report["problems"][1]["message"].as_str().unwrap();
    assert!(
        unknown.contains("`self`") && unknown.contains("`totals`"),
        "{unknown}"
    );
}

#[test]
fn an_unknown_key_is_labelled_and_the_rest_still_applies() {
    let dir = catalog(&[
        ("lore.yaml", "catalog: [entries]\nschema: schemas\n"),
        ("schemas/team.yaml", TEAM),
        ("entries/t.yaml", "type: Team\nid: payments\n"),
    ]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    // Not "the catalog folder `catalog` does not exist": `catalog:` still counts.
    assert_eq!(places(&report), ["lore.yaml:2:1 lore::config"]);
    assert_eq!(report["entries"], 1);
    assert_eq!(report["problems"][0]["help"], "did you mean `schemas`?");
}

#[test]
fn a_wrong_type_in_lore_yaml_points_at_the_value() {
    let dir = with_config(
        "freshness: {max_age: 6 months}\nalerts:\n  sources:\n    hooks: {detect: 5}\n",
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        places(&report),
        ["lore.yaml:1:22 lore::config", "lore.yaml:4:21 lore::config"]
    );
}

#[test]
fn type_file_structure_errors_still_point_where_they_are_written() {
    let dir = catalog(&[
        ("schemas/team.yaml", TEAM),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  owner: {to: Team, many: yes, impact: upstream, ownr: true}\n",
        ),
        ("catalog/t.yaml", "type: Team\nid: payments\n"),
    ]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        places(&report),
        [
            "schemas/service.yaml:3:27 lore::typedef",
            "schemas/service.yaml:3:40 lore::typedef",
            "schemas/service.yaml:3:50 lore::typedef",
        ]
    );
    let problems = report["problems"].as_array().unwrap();
    assert!(problems[1]["message"]
        .as_str()
        .unwrap()
        .contains("not one of the allowed values"));
    assert_eq!(problems[2]["help"], "did you mean `owner`?");
}

#[test]
fn a_deeply_nested_jsonpath_is_refused_quickly() {
    let path = format!("$[?{}@.a{}]", "@[?".repeat(40), "]".repeat(40));
    let dir = with_config(&format!(
        "alerts:\n  sources:\n    hooks:\n      detect: \"{path}\"\n"
    ));
    let started = Instant::now();
    let (code, report) = validate_json(dir.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code, 2, "{report}");
    let message = report["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("nests brackets"), "{message}");
}

#[test]
fn route_uses_the_compiled_sources_and_names_a_broken_one() {
    let dir = with_config(
        "alerts:\n  sources:\n    hooks:\n      detect: $.check\n      title: $.name\n      match:\n        Service: [$.target]\n    broken:\n      detect: \"$.[\"\n",
    );
    let payload = dir.path().join("alert.json");
    std::fs::write(
        &payload,
        r#"{"check": 1, "name": "checkout down", "target": "checkout"}"#,
    )
    .unwrap();
    let out = lore(dir.path())
        .args(["route", "alert.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["source"], "hooks");
    assert_eq!(r["matches"][0]["entry"], "Service:checkout");
    assert_eq!(r["alerts"][0]["title"], "checkout down");
    assert!(
        stderr(&out).contains("lore.yaml has 1 error"),
        "{}",
        stderr(&out)
    );

    let out = lore(dir.path())
        .args(["route", "alert.json", "--source", "broken"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the alert source `broken` in lore.yaml has problems"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_lore_yaml_is_the_defaults_even_under_strict() {
    for config in ["", "\n", "# only a comment\n", "---\n"] {
        let dir = with_config(config);
        let (code, report) = validate_json(dir.path(), &["--strict"]);
        assert_eq!(code, 0, "{config:?}: {report}");
        assert_eq!(report["problems"], serde_json::json!([]), "{config:?}");
    }
    // An empty entry file is still worth a warning.
    let dir = with_config("");
    std::fs::write(dir.path().join("catalog/empty.yaml"), "").unwrap();
    let (code, report) = validate_json(dir.path(), &["--strict"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        places(&report),
        ["catalog/empty.yaml:1:1 lore::empty-document"]
    );
}
