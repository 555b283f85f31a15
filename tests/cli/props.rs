//! Property tests: hostile catalogs, CEL rules and alert payloads, generated, run through
//! the whole binary. Whatever the input, lore ends with 0, 1 or 2 (never a panic or a
//! signal), within a time bound, prints valid JSON for `--format json`, and never puts a
//! raw control character on the terminal.
//!
//! The number of cases is bounded (`PROPTEST_CASES` overrides it) so CI stays quick.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// A small model: a Team, and a Service with an owner, dependencies and a rule the
/// property fills in.
fn model(rule: &str) -> Vec<(&'static str, String)> {
    let rule = rule.replace('\\', "\\\\").replace('"', "\\\"");
    vec![
        (
            "schemas/team.yaml",
            "type: Team\nschema:\n  properties:\n    slack: {type: string}\nalert_keys: [team]\nsummary: [slack]\n"
                .to_owned(),
        ),
        (
            "schemas/service.yaml",
            format!(
                "type: Service\nadditional_fields: true\nrelations:\n  owner: {{to: Team, owner: true}}\n  depends_on: {{to: Service, many: true, impact: source}}\nalert_keys: [service, app]\nrules:\n  - name: prop\n    check: \"{rule}\"\n    severity: warning\n"
            ),
        ),
        (
            "catalog/base.yaml",
            "type: Team\nid: web\nslack: \"#web\"\n---\ntype: Service\nid: api\nowner: web\naliases: [api-prod]\n"
                .to_owned(),
        ),
    ]
}

/// How a run ended, and its output.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Run lore in `dir` with `args`, feeding `stdin`; a run over the bound is killed.
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("lore");
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("LORE_NO_CACHE", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lore starts");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin");
        let _ = input.write_all(stdin);
    }
    let limit = Duration::from_secs(30);
    loop {
        if child.try_wait().expect("wait").is_some() || started.elapsed() > limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if started.elapsed() > limit {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// The invariants every run keeps.
fn check(r: &Run, what: &str, json: bool) -> Result<(), TestCaseError> {
    prop_assert!(
        r.took < Duration::from_secs(30),
        "{what}: took {:?} (killed)",
        r.took
    );
    prop_assert!(
        matches!(r.code, Some(0..=2)),
        "{what}: exit {:?}\nstderr: {}",
        r.code,
        r.stderr.chars().take(2000).collect::<String>()
    );
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        let raw = text
            .chars()
            .find(|&c| c.is_control() && c != '\n' && !(json && c == '\t'));
        prop_assert!(
            raw.is_none(),
            "{what}: raw control character {raw:?} on {name}"
        );
    }
    if json && r.code != Some(2) {
        let doc: Result<serde_json::Value, _> = serde_json::from_str(&r.stdout);
        prop_assert!(doc.is_ok(), "{what}: stdout is not JSON: {:?}", doc.err());
        let version = doc.unwrap()["version"].clone();
        prop_assert!(
            version == serde_json::json!(1) || version == serde_json::json!("2.1.0"),
            "{what}: version {version}"
        );
    }
    Ok(())
}

fn write_all(dir: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

/// Pieces of hostile YAML: anchors and aliases, deep flow nesting, control characters,
/// long lines, empty documents, references that resolve and ones that do not.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---\n".to_owned()),
        Just("type: Service\nid: s1\nowner: web\n".to_owned()),
        Just("type: Service\nid: s2\nowner: nobody\ndepends_on: [api, s1, missing]\n".to_owned()),
        Just("a: &x [1, 2, 3]\nb: [*x, *x, *x, *x]\n".to_owned()),
        Just(
            "x: &a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
                .to_owned()
        ),
        Just("y: [*a, *a, *a, *a, *a, *a, *a, *a]\n".to_owned()),
        (1usize..200).prop_map(|n| format!("deep: {}{}\n", "[".repeat(n), "]".repeat(n))),
        (1usize..200).prop_map(|n| format!("deep: {}1{}\n", "{a: ".repeat(n), "}".repeat(n))),
        (1usize..5000).prop_map(|n| format!("long: {}\n", "z".repeat(n))),
        "[a-z\u{1b}\u{7}\u{202e}\r\t ]{0,12}"
            .prop_map(|k| format!("\"{}\": 1\n", k.replace('"', ""))),
        "\\PC{0,20}".prop_map(|s| format!("text: {s}\n")),
        Just("k: v\nk: w\n".to_owned()),
        Just("<<: {merged: 1}\n".to_owned()),
        Just("? [complex, key]\n: value\n".to_owned()),
        Just("tab:\t\"x\"\n".to_owned()),
        Just("!!binary aGVsbG8=\n".to_owned()),
        Just("- list\n- at\n- top\n".to_owned()),
        Just("'unterminated\n".to_owned()),
    ]
}

/// Pieces of hostile CEL.
fn cel_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("self.id == 'api'".to_owned()),
        Just("has(self.owner)".to_owned()),
        (1usize..400).prop_map(|n| format!("{}true{}", "(".repeat(n), ")".repeat(n))),
        (1usize..400).prop_map(|n| format!("{}1 > 0", "1 + ".repeat(n))),
        (1usize..200).prop_map(|n| format!("{}true", "!".repeat(n))),
        (1usize..200).prop_map(|n| format!("{}[]).size() >= 0", "size([".repeat(n))),
        (1usize..6).prop_map(|n| {
            let mut e = "true".to_owned();
            for i in 0..n {
                e = format!("[1,2,3,4,5,6,7,8,9,10].all(v{i}, {e})");
            }
            e
        }),
        "[a-z(\\[.*+?|]{0,12}".prop_map(|p| format!("self.id.matches('{}')", p.replace('\'', ""))),
        Just("self.missing.field > 1".to_owned()),
        Just("1 / 0 == 1".to_owned()),
        Just("'\u{1b}[2J' == self.id".to_owned()),
        "\\PC{0,16}",
    ]
}

/// A hostile alert payload: nesting, control characters, big strings, keys that name
/// types, tags.
fn payload() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::json!("api")),
        Just(serde_json::json!("web")),
        Just(serde_json::json!("api-prod:9100")),
        Just(serde_json::json!("service:api")),
        Just(serde_json::json!("\u{1b}]0;pwned\u{7}\u{1b}[2J")),
        "\\PC{0,30}".prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ];
    let value = leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("service".to_owned()),
                    Just("team".to_owned()),
                    Just("labels".to_owned()),
                    Just("tags".to_owned()),
                    Just("alerts".to_owned()),
                    Just("event".to_owned()),
                    Just("routing_key".to_owned()),
                    "[a-z\u{1b}]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        value.prop_map(|v| v.to_string()),
        (1usize..3000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n))),
        Just(String::new()),
        Just("{\"alerts\": [".to_owned()),
        "\\PC{0,40}",
    ]
}

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn hostile_entry_files_end_cleanly(pieces in prop::collection::vec(yaml_piece(), 1..12)) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut files = model("true");
        files.push(("catalog/hostile.yaml", pieces.concat()));
        write_all(dir.path(), &files);
        let json = run(dir.path(), &["validate", "--format", "json"], b"");
        check(&json, "validate --format json", true)?;
        prop_assert!(json.code != Some(2), "an entry file is never a usage error: {}", json.stderr);
        for format in ["human", "github", "sarif"] {
            let r = run(dir.path(), &["validate", "--format", format], b"");
            check(&r, format, format == "sarif")?;
        }
    }

    #[test]
    fn hostile_rules_end_cleanly(expr in cel_piece()) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        write_all(dir.path(), &model(&expr));
        let r = run(dir.path(), &["validate", "--format", "json"], b"");
        check(&r, &format!("validate with rule {expr:?}"), true)?;
        let h = run(dir.path(), &["validate"], b"");
        check(&h, &format!("validate (human) with rule {expr:?}"), false)?;
    }

    #[test]
    fn hostile_payloads_end_cleanly(body in payload()) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        write_all(dir.path(), &model("true"));
        let r = run(dir.path(), &["route", "-", "--format", "json"], body.as_bytes());
        check(&r, "route --format json", true)?;
        let h = run(dir.path(), &["route", "-"], body.as_bytes());
        check(&h, "route (human)", false)?;
        prop_assert!(!h.stdout.contains('\u{1b}'), "raw escape in route output");
    }
}
