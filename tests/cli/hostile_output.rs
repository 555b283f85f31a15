//! Hostile text and hostile shapes in, safe and bounded output out: control and bidi
//! characters from entries, payloads, git and file names never reach the terminal raw
//! (every human and markdown renderer, and stderr), and long dependency or parent
//! chains cost time and output linear in the entries they reach.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::hermetic_git::git;
use crate::{catalog, lore, stderr, stdout};

/// A team and a service whose ids, names and fields carry ESC, BEL, CSI (C1) and a
/// right-to-left override; the service type allows any id.
fn hostile_catalog() -> tempfile::TempDir {
    catalog(&[
        (
            "schemas/team.yaml",
            "type: Team\nid_pattern: \"^.+$\"\nschema:\n  properties:\n    slack_channel: {type: string}\nsummary: [slack_channel]\n",
        ),
        (
            "schemas/service.yaml",
            "type: Service\nid_pattern: \"^.+$\"\nschema:\n  properties:\n    note: {type: string}\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\nsummary: [note]\nnotes:\n  - say: \"{{ self.name }} needs care\"\n",
        ),
        (
            "catalog/all.yaml",
            concat!(
                "type: Team\nid: \"t\\e]0;pwned\\a\"\nname: \"Team \\e[31mred\"\nslack_channel: \"#a\\u202Eb\"\n",
                "---\ntype: Service\nid: base\nowner: \"t\\e]0;pwned\\a\"\n",
                "---\ntype: Service\nid: \"svc\\e[2J\"\nname: \"Svc \\x9b2J \\u202Etxt.exe\"\nnote: \"line\\rover\"\n",
                "owner: \"t\\e]0;pwned\\a\"\ndepends_on: [base]\n",
            ),
        ),
        (
            "routing/cases.yaml",
            "cases:\n  - name: \"case \\e[31mred\"\n    payload: {labels: {service: base}}\n    expect: {matches: [\"Service:svc\\e[2J\"]}\n",
        ),
    ])
}

/// No terminal control or bidi character other than a newline.
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{text}");
}

fn run_clean(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = lore(dir);
    cmd.args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().unwrap();
    let what = args.join(" ");
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{what}: {:?}",
        out.status
    );
    assert_clean(&what, &stdout(&out));
    assert_clean(&format!("{what} (stderr)"), &stderr(&out));
    stdout(&out)
}

#[test]
fn every_human_and_markdown_renderer_escapes_catalog_text() {
    let dir = hostile_catalog();
    let d = dir.path();
    let svc = "Service:svc\u{1b}[2J";
    let team = "Team:t\u{1b}]0;pwned\u{7}";
    let payload = "{\"labels\":{\"service\":\"base\",\"alertname\":\"x\\u001b[2J\"}}";
    for args in [
        &["show", svc][..],
        &["owners", svc, team],
        &["owners", svc, "--format", "markdown"],
        &["impact", "base"],
        &["impact", "base", "--format", "markdown"],
        &["list", "Service"],
        &["list", "Service", "--format", "markdown"],
        &["list", "Team"],
        &["search", "svc"],
        &["graph", "--format", "dot"],
        &["graph", "--format", "mermaid"],
        &["test"],
    ] {
        run_clean(d, args, None);
    }
    for format in ["human", "markdown"] {
        let text = run_clean(d, &["route", "--format", format], Some(payload));
        assert!(text.contains("\\u{1b}"), "{text}");
    }
    // The escapes are visible, not dropped.
    let shown = run_clean(d, &["show", svc], None);
    assert!(shown.contains("svc\\u{1b}[2J"), "{shown}");
    assert!(shown.contains("\\u{202e}txt.exe"), "{shown}");
    assert!(shown.contains("line\\rover"), "{shown}");
}

#[test]
fn graph_labels_cannot_end_a_dot_or_mermaid_statement() {
    let dir = catalog(&[
        (
            "schemas/service.yaml",
            "type: Service\nid_pattern: \"^.+$\"\nrelations:\n  depends_on: {to: Service, many: true}\n",
        ),
        (
            "catalog/all.yaml",
            "type: Service\nid: \"a\\\"];\\nevil [label=x\"\n---\ntype: Service\nid: b\ndepends_on: [\"a\\\"];\\nevil [label=x\"]\n",
        ),
    ]);
    let dot = run_clean(dir.path(), &["graph", "--format", "dot"], None);
    // Two nodes and one edge, each on its own line: the id stayed inside its quotes.
    let statements = dot.lines().filter(|l| l.ends_with("];")).count();
    assert_eq!(statements, 4, "{dot}");
    assert!(!dot.lines().any(|l| l.starts_with("evil")), "{dot}");
    let mermaid = run_clean(dir.path(), &["graph", "--format", "mermaid"], None);
    assert!(!mermaid.lines().any(|l| l.starts_with("evil")), "{mermaid}");
    assert!(!mermaid.contains("\"]\""), "{mermaid}");
}

#[test]
fn error_messages_on_stderr_are_escaped_once_in_main() {
    let dir = hostile_catalog();
    let out = lore(dir.path())
        .args(["show", "nope\u{1b}]0;title\u{7}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_clean("stderr", &err);
    assert!(err.contains("nope\\u{1b}]0;title\\u{7}"), "{err}");
    // A list warning quotes an entry id.
    let out = lore(dir.path())
        .args(["list", "Service", "--where", "self.note.size() > 0"])
        .output()
        .unwrap();
    assert_clean("list warning", &stderr(&out));
}

#[test]
fn diff_and_stale_escape_values_authors_paths_and_summaries() {
    let dir = hostile_catalog();
    let d = dir.path();
    git(d, &["init", "-q"], 0);
    git(d, &["add", "."], 0);
    git(
        d,
        &[
            "commit",
            "-q",
            "--author",
            "Eve \u{1b}[31mEvil <eve@example.com>",
            "-m",
            "init \u{1b}]0;x\u{7} | \u{202e}",
        ],
        0,
    );
    let text = std::fs::read_to_string(d.join("catalog/all.yaml")).unwrap();
    std::fs::write(
        d.join("catalog/all.yaml"),
        text.replace("line\\rover", "new\\e[5mvalue"),
    )
    .unwrap();
    std::fs::write(
        d.join("catalog/ne\u{1b}[7mw.yaml"),
        "type: Service\nid: \"added\\e[1m\"\n",
    )
    .unwrap();
    for format in ["human", "markdown"] {
        let shown = run_clean(d, &["diff", "HEAD", "--format", format], None);
        assert!(shown.contains("\\u{1b}[5mvalue"), "{shown}");
    }
    for format in ["human", "markdown"] {
        let out = lore(d)
            .env("LORE_NOW", "2030-01-01")
            .args(["stale", "--format", format])
            .output()
            .unwrap();
        assert_clean("stale", &stdout(&out));
        assert_clean("stale (stderr)", &stderr(&out));
        assert!(stdout(&out).contains("Evil") || format == "markdown");
    }
}

/// `lore ARGS` in `dir`: its output, after checking it finished within `limit`.
fn timed(dir: &Path, args: &[&str], stdin: Option<&str>, limit: Duration) -> Vec<u8> {
    let mut cmd = lore(dir);
    cmd.args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    assert!(took < limit, "{args:?} took {took:?}");
    out.stdout
}

/// `n` services, each depending on the one before: s1 on s0, …
fn dependency_chain(n: usize) -> tempfile::TempDir {
    let mut text = String::from("type: Team\nid: t\n");
    for i in 0..n {
        let _ = writeln!(text, "---\ntype: Service\nid: s{i}\nowner: t");
        if i > 0 {
            let _ = writeln!(text, "depends_on: [s{}]", i - 1);
        }
    }
    catalog(&[
        ("schemas/team.yaml", "type: Team\n"),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\n",
        ),
        ("catalog/all.yaml", &text),
    ])
}

#[test]
fn an_8000_long_dependency_chain_is_answered_in_linear_time_and_output() {
    let n = 8000;
    let dir = dependency_chain(n);
    let d = dir.path();
    let limit = Duration::from_secs(10);
    // Each chain repeated in full was 32 million ids (800 MB); now a row is bounded.
    let human = timed(d, &["impact", "s0"], None, limit);
    assert!(human.len() < 200 * n, "{} bytes", human.len());
    let text = String::from_utf8_lossy(&human);
    assert!(
        text.contains("Service:s0 → Service:s1 → … (7,996 more) → Service:s7998 → Service:s7999"),
        "{}",
        &text[text.len().saturating_sub(400)..]
    );
    let json = timed(d, &["impact", "s0", "--format", "json"], None, limit);
    assert!(json.len() < 1_500 * n, "{} bytes", json.len());
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let rows = doc["impacted"].as_array().unwrap();
    assert_eq!(rows.len(), n - 1);
    let last = &rows[n - 2];
    assert_eq!(last["via"], "Service:s7998");
    assert_eq!(last["chain"].as_array().unwrap().len(), 32);
    assert_eq!(last["chain"][31], "Service:s7999");
    assert_eq!(last["chain_truncated"], true);
    let short = &rows[30];
    assert_eq!(short["chain"].as_array().unwrap().len(), 32);
    assert!(short.get("chain_truncated").is_none(), "{short}");
    assert_eq!(rows[0]["via"], "Service:s0");

    let payload = "{\"labels\":{\"service\":\"s0\"}}";
    let screen = timed(d, &["route"], Some(payload), limit);
    assert!(screen.len() < 2_000, "{} bytes", screen.len());
    let routed = timed(d, &["route", "--format", "json"], Some(payload), limit);
    assert!(routed.len() < 1_500 * n, "{} bytes", routed.len());
    let doc: serde_json::Value = serde_json::from_slice(&routed).unwrap();
    assert_eq!(doc["impacted"][n - 2]["chain_truncated"], true);
}

#[test]
fn a_2000_long_parent_chain_is_owned_and_listed_in_linear_time() {
    let n = 2000;
    let mut text = String::from("type: Team\nid: t\n");
    for i in 0..n {
        let _ = writeln!(text, "---\ntype: Group\nid: g{i:04}");
        if i == 0 {
            text.push_str("owner: t\n");
        } else {
            let _ = writeln!(text, "parent: g{:04}", i - 1);
        }
    }
    let dir = catalog(&[
        ("schemas/team.yaml", "type: Team\n"),
        (
            "schemas/group.yaml",
            "type: Group\nrelations:\n  owner: {to: Team, owner: true}\n  parent: {to: Group, parent: true}\n",
        ),
        ("catalog/all.yaml", &text),
    ]);
    let d = dir.path();
    let limit = Duration::from_secs(10);
    let owners = timed(d, &["owners", "g1999"], None, limit);
    let text = String::from_utf8_lossy(&owners);
    assert!(owners.len() < 500, "{text}");
    assert!(
        text.contains("… (1,997 more) Group g0000 → owner Team t"),
        "{text}"
    );
    let json = timed(d, &["owners", "g1999", "--format", "json"], None, limit);
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(doc["owners"][0]["path"].as_array().unwrap().len(), n + 1);
    let list = timed(d, &["list", "Group"], None, limit);
    assert!(list.len() < 100 * n, "{} bytes", list.len());
    assert_eq!(String::from_utf8_lossy(&list).matches("  t").count(), n);
    let list = timed(d, &["list", "Group", "--format", "json"], None, limit);
    let doc: serde_json::Value = serde_json::from_slice(&list).unwrap();
    assert!(doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["owners"] == serde_json::json!(["Team:t"])));
}
