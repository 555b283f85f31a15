//! Hostile YAML and what `validate` does with it: aliases that copy gigabytes, lines
//! wider than miette can draw, tens of thousands of empty documents, control characters.
//! Each ends with a clear problem, exit 1, and output bounded per problem.

use std::time::{Duration, Instant};

use crate::{catalog, lore, places, stdout, validate_json};

const TEAM_TYPE: &str = "type: Team\nschema:\n  properties:\n    x: {}\n";
const SERVICE_TYPE: &str = "type: Service\nrelations:\n  owner: {to: Team, many: true}\n";

/// A catalog with the types Team and Service, a team `web`, and `files`.
fn with_types(files: &[(&str, &str)]) -> tempfile::TempDir {
    let mut all = vec![
        ("lore.yaml", "catalog: [catalog]\n"),
        ("schemas/team.yaml", TEAM_TYPE),
        ("schemas/service.yaml", SERVICE_TYPE),
        ("catalog/teams.yaml", "type: Team\nid: web\n"),
    ];
    all.extend_from_slice(files);
    catalog(&all)
}

fn problems(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["problems"].as_array().unwrap()
}

#[test]
fn an_alias_is_charged_the_bytes_it_copies() {
    // 400 KB: one 100 KB string, aliased 60,000 times (6 GB once expanded).
    let mut text = format!("type: Team\nid: big\nx: &s {}\ny: [", "s".repeat(100_000));
    text.push_str(&vec!["*s"; 60_000].join(", "));
    text.push_str("]\n");
    let dir = with_types(&[("catalog/big.yaml", &text)]);
    let started = Instant::now();
    let (code, report) = validate_json(dir.path(), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    // The 42nd alias is the first past the 4 MiB budget.
    assert_eq!(places(&report), ["catalog/big.yaml:4:169 lore::yaml-limit"]);
    let message = problems(&report)[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`*s`") && message.contains("bytes"),
        "{message}"
    );
    assert!(message.contains("write the values out"), "{message}");
}

#[test]
fn the_alias_budget_is_shared_by_the_documents_of_a_file() {
    // 200 documents, each copying 95,000 nodes: under a per-document budget, 19 million
    // nodes in all. Only the first fits the file's budget of 100,000.
    let mut doc = String::from("type: Team\nid: t\nx:\n  a: &a [");
    doc.push_str(&vec!["1"; 949].join(", "));
    doc.push_str("]\n  b: [");
    doc.push_str(&vec!["*a"; 100].join(", "));
    doc.push_str("]\n");
    let docs: Vec<String> = (0..200)
        .map(|i| doc.replace("id: t", &format!("id: t{i}")))
        .collect();
    let dir = with_types(&[("catalog/many.yaml", &docs.join("---\n"))]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let found = places(&report);
    assert_eq!(found.len(), 199, "{found:?}");
    assert!(
        found.iter().all(|p| p.ends_with("lore::yaml-limit")),
        "{found:?}"
    );
    assert_eq!(report["entries"], 2, "web and the first document");
}

#[test]
fn spans_wider_than_miette_can_draw_are_clipped() {
    // A 100,000-character key, and 255 levels of flow nesting on one long line.
    let key = format!("type: Team\nid: wide\n? {}\n: 1\n", "k".repeat(100_000));
    let flow = format!("a: {}\n", "[".repeat(100_000));
    let dir = with_types(&[("catalog/key.yaml", &key), ("catalog/flow.yaml", &flow)]);
    let out = lore(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.len() < 20_000, "{} bytes", text.len());
    assert!(text.contains("[catalog/key.yaml:3:3]"), "{text}");
    assert!(text.contains("lore::yaml-limit"), "{text}");
}

#[test]
fn a_long_line_of_bad_references_is_not_printed_once_per_problem() {
    // 47 KB on one line, 4,000 references that resolve to nothing.
    let refs: Vec<String> = (0..4_000).map(|i| format!("nope-{i:05}")).collect();
    let text = format!("type: Service\nid: s\nowner: [{}]\n", refs.join(", "));
    let dir = with_types(&[("catalog/s.yaml", &text)]);
    let out = lore(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).matches("lore::dangling-ref").count(), 4_000);
    assert!(out.stdout.len() < 10_000_000, "{} bytes", out.stdout.len());
    // The machine formats keep the exact column of each one.
    let (_, report) = validate_json(dir.path(), &[]);
    let last = problems(&report).last().unwrap();
    let column = text.find("nope-03999").unwrap() - text.find("owner").unwrap() + 1;
    assert_eq!(
        (last["line"].as_u64(), last["column"].as_u64()),
        (Some(3), Some(column as u64))
    );
}

#[test]
fn fifty_thousand_empty_documents_are_placed_in_linear_time() {
    let dir = with_types(&[("catalog/empty.yaml", &"---\n".repeat(50_000))]);
    let started = Instant::now();
    let (code, report) = validate_json(dir.path(), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 0, "warnings only");
    let found = problems(&report);
    assert_eq!(found.len(), 50_000);
    assert_eq!(found[49_999]["line"], 50_000);
    assert_eq!(found[49_999]["code"], "lore::empty-document");
}

#[test]
fn control_characters_in_keys_and_source_are_escaped() {
    let text = "type: Team\nid: t\n\"\\e]0;pwned\\a\\e[2J\": 1\n\u{1b}[31mz: 2\n";
    let dir = with_types(&[("catalog/c.yaml", text)]);
    for format in ["human", "github"] {
        let out = lore(dir.path())
            .args(["validate", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let shown = stdout(&out);
        assert!(!shown.contains(['\u{1b}', '\u{7}']), "{format}: {shown:?}");
        assert!(
            shown.contains(r"\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "{format}: {shown}"
        );
    }
}
