//! What CI reads: SARIF that code scanning accepts, JSON errors, exit statuses that a
//! closed pipe cannot turn green, annotations for usage errors.

use std::path::Path;

use crate::{lore, repo, stderr};

/// examples/broken in the subfolder `my catalog/` of a git work tree (a monorepo).
fn broken_in_a_monorepo() -> tempfile::TempDir {
    let top = tempfile::tempdir().unwrap();
    std::fs::create_dir(top.path().join(".git")).unwrap();
    crate::copy_dir(
        &repo().join("examples/broken"),
        &top.path().join("my catalog"),
    );
    top
}

fn sarif(dir: &Path) -> serde_json::Value {
    let out = lore(dir)
        .args(["validate", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sarif_passes_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let top = broken_in_a_monorepo();
    let doc = sarif(&top.path().join("my catalog"));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_rules_carry_what_code_scanning_shows() {
    let top = broken_in_a_monorepo();
    let doc = sarif(&top.path().join("my catalog"));
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.len() > 10, "{rules:?}");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in ["shortDescription", "fullDescription"] {
            assert!(
                !rule[field]["text"].as_str().unwrap().is_empty(),
                "{id} {field}"
            );
        }
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty(), "{id}");
        assert!(
            rule["help"]["markdown"].as_str().unwrap().contains(id),
            "{id}"
        );
        let anchor = id.replace("::", "-");
        assert_eq!(
            rule["helpUri"],
            format!("{}#{anchor}", env!("CARGO_PKG_REPOSITORY")),
            "{id}"
        );
        // README documents every code under that anchor.
        let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
        assert!(
            readme.contains(&format!("id=\"{anchor}\"")),
            "README has no anchor {anchor}"
        );
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning"].contains(&level), "{id}");
    }
}

#[test]
fn sarif_uris_are_relative_to_the_git_root_and_percent_encoded() {
    let top = broken_in_a_monorepo();
    let doc = sarif(&top.path().join("my catalog"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    for r in results {
        for loc in r["locations"].as_array().into_iter().flatten() {
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(uri.starts_with("my%20catalog/"), "{uri}");
            assert!(!uri.contains(' ') && !uri.starts_with('/'), "{uri}");
        }
    }
    // The same from the git root: the paths do not depend on where lore runs.
    let from_top = lore(top.path())
        .args(["-C", "my catalog", "validate", "--format", "sarif"])
        .output()
        .unwrap();
    let from_top: serde_json::Value = serde_json::from_slice(&from_top.stdout).unwrap();
    assert_eq!(from_top["runs"][0]["results"], doc["runs"][0]["results"]);
}

#[test]
fn sarif_fingerprints_are_unique_and_survive_lines_moving() {
    let top = broken_in_a_monorepo();
    let dir = top.path().join("my catalog");
    let fingerprints = |doc: &serde_json::Value| -> Vec<(String, String)> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["message"]["text"].as_str().unwrap().to_owned(),
                    r["partialFingerprints"]["lore/v1"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect()
    };
    let before = fingerprints(&sarif(&dir));
    let mut unique: Vec<&String> = before.iter().map(|(_, f)| f).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "{before:#?}");
    // Two comment lines above a problem move it down, not away.
    let file = dir.join("catalog/dangling-ref.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# moved\n# down\n{text}")).unwrap();
    let after = fingerprints(&sarif(&dir));
    let mut before = before;
    let mut after = after;
    before.sort();
    after.sort();
    assert_eq!(before, after);
}

/// Run lore with stdout a pipe whose reading end is already closed: every write fails
/// with EPIPE, as `lore validate | head -1` does once head has its line.
#[cfg(unix)]
fn status_into_a_closed_pipe(dir: &Path, args: &[&str]) -> Option<i32> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe() fills two new descriptors, each owned exactly once below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lore"))
        .current_dir(dir)
        .env("LORE_NO_CACHE", "1")
        .args(args)
        .stdout(std::process::Stdio::from(write))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    status.code()
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_never_turns_a_failing_run_green() {
    let broken = repo().join("examples/broken");
    for format in ["human", "json", "github", "sarif"] {
        assert_eq!(
            status_into_a_closed_pipe(&broken, &["validate", "--format", format]),
            Some(1),
            "validate --format {format}"
        );
    }
    assert_eq!(
        status_into_a_closed_pipe(&repo(), &["validate"]),
        Some(0),
        "a valid catalog stays green"
    );
    assert_eq!(
        status_into_a_closed_pipe(&repo(), &["owners", "no-such-entry"]),
        Some(1)
    );
}

#[test]
fn json_errors_are_json_on_stdout_with_the_usual_status() {
    let empty = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["validate", "--format", "json"], 2, "no-catalog"),
        (&["validate", "--format=json", "--no-such-flag"], 2, "usage"),
        (
            &["owners", "nobody", "--format", "json", "-C", "REPO"],
            1,
            "unknown-ref",
        ),
        (
            &["owners", "inventory", "--format", "json", "-C", "REPO"],
            2,
            "ambiguous-ref",
        ),
    ];
    for (args, status, code) in cases {
        let root = repo().display().to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "REPO" { root.as_str() } else { a })
            .collect();
        let out = lore(empty.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(*status), "{args:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", crate::stdout(&out)));
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["error"]["code"], *code, "{args:?}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.starts_with("error:"),
            "{message}"
        );
        assert!(
            stderr(&out).contains(message.lines().next().unwrap()),
            "{args:?}"
        );
    }
}

#[test]
fn github_usage_errors_are_one_annotation() {
    let empty = tempfile::tempdir().unwrap();
    for args in [
        &["validate", "--format", "github"][..],
        &["validate", "--format", "github", "--no-such-flag"][..],
    ] {
        let out = lore(empty.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let text = crate::stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert!(lines[0].starts_with("::error title=lore%3A "), "{text}");
    }
    let out = lore(&repo())
        .args(["validate", "--format", "github"])
        .output()
        .unwrap();
    // The summary line, in the words of `validate`'s own summary.
    let last = crate::stdout(&out).lines().last().unwrap_or("").to_owned();
    let words: Vec<&str> = last.split(' ').collect();
    assert_eq!(words.len(), 10, "{last}");
    assert_eq!(words[0], "lore:");
    assert!(words[1].parse::<usize>().is_ok_and(|n| n > 0), "{last}");
    assert_eq!(words[2..4], ["entries", "in"], "{last}");
    assert!(words[4].parse::<usize>().is_ok_and(|n| n > 0), "{last}");
    assert_eq!(
        words[5..],
        ["files,", "0", "errors,", "0", "warnings"],
        "{last}"
    );
}

/// A fresh `lore init` catalog.
fn starter() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    dir
}

#[test]
fn test_results_as_json_and_junit_with_the_usual_status() {
    let dir = starter();
    let run = |format: &str| {
        let out = lore(dir.path())
            .args(["test", "--format", format])
            .output()
            .unwrap();
        (out.status.code(), crate::stdout(&out))
    };
    let (code, text) = run("json");
    assert_eq!(code, Some(0), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (doc["ok"].as_bool(), doc["failed"].as_u64()),
        (Some(true), Some(0))
    );
    // Expect the first case's alert at another team: it fails, in both formats.
    let file = dir.path().join("routing/alerts.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let moved = text.replacen(
        "matches: [Service:checkout-api]",
        "matches: [Service:nope]",
        1,
    );
    assert_ne!(moved, text);
    std::fs::write(&file, moved).unwrap();
    let (code, text) = run("json");
    assert_eq!(code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["failed"], 1);
    let failing = &doc["cases"][0];
    assert_eq!(failing["passed"], false);
    assert_eq!(failing["file"], "routing/alerts.yaml");
    assert_eq!(failing["diffs"][0]["field"], "matches");
    assert_eq!(failing["diffs"][0]["missing"][0], "Service:nope");
    let (code, xml) = run("junit");
    assert_eq!(code, Some(1));
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(r#"failures="1""#), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(
        xml.contains("- Service:nope  (expected, not produced)"),
        "{xml}"
    );
}

#[test]
fn schema_check_as_json_names_each_file_and_fails_on_drift() {
    let dir = starter();
    let check = || {
        let out = lore(dir.path())
            .args(["schema", "--check", "--format", "json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), doc)
    };
    let (code, doc) = check();
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["dir"], ".lore/schemas");
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["state"] == "same"));
    // A new team is a new id the Team relation fields must offer.
    std::fs::write(
        dir.path().join("catalog/new-team.yaml"),
        "type: Team\nid: newcomers\nname: Newcomers\nslack_channel: \"#newcomers\"\n",
    )
    .unwrap();
    let (code, doc) = check();
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["ok"], false);
    let differs: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["state"] == "differs")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(differs.contains(&"catalog.schema.json"), "{doc}");
    let out = lore(dir.path())
        .args(["schema", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["state"] == "updated"),
        "{doc}"
    );
    assert_eq!(check().0, Some(0));
}
