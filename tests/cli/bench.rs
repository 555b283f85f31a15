//! The benchmark generator (`bench/gen_catalog.py`) and scripts: what they generate is a
//! catalog lore accepts, holding what the options say, and the planted errors are exactly
//! what lore reports. Needs python3 (and GNU time for the script); without them these
//! tests say so on stderr and pass, since they test the benchmarks, not lore.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::{lore, repo, stderr, stdout};

fn have(program: &str, arg: &str) -> bool {
    let found = Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: `{program} {arg}` does not run here");
    }
    found
}

/// Run the generator; returns its exit code and stderr.
fn generate(out: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new("python3")
        .arg(repo().join("bench/gen_catalog.py"))
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), stderr(&o))
}

fn validate(dir: &Path) -> (i32, serde_json::Value) {
    let o = lore(dir)
        .env("LORE_NO_CACHE", "1")
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap_or(-1), report)
}

/// Every file under `dir`, relative path to bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn documents(dir: &Path, type_folder: &str) -> Vec<String> {
    tree(&dir.join("catalog").join(type_folder))
        .into_values()
        .flat_map(|bytes| {
            String::from_utf8(bytes)
                .unwrap()
                .split("---\n")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn field<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    doc.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
}

#[test]
fn generated_catalogs_are_valid_and_hold_what_the_options_say() {
    if !have("python3", "--version") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (layout, files) in [
        // 400 entries: 2 teams, 2 products, 2 features, 2 integrations, 20 services, 20
        // packages, 4 devices one file each; 32 incidents and 316 customers, one file each.
        ("multidoc", 54),
        ("files", 400),
    ] {
        let out = tmp.path().join(layout);
        let (code, err) = generate(&out, &["--entries", "400", "--layout", layout]);
        assert_eq!(code, 0, "{err}");
        let (code, report) = validate(&out);
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["entries"], 400, "{layout}");
        assert_eq!(report["files"], files, "{layout}");
        assert_eq!(documents(&out, "customer").len(), 316, "{layout}");
    }
    // The same arguments give the same bytes.
    let again = tmp.path().join("again");
    assert_eq!(generate(&again, &["--entries", "400"]).0, 0);
    let (a, b) = (tree(&again), tree(&tmp.path().join("multidoc")));
    assert_eq!(a.len(), b.len());
    for (path, bytes) in &a {
        if path != ".lore-bench-catalog" {
            assert!(b[path] == *bytes, "{path} differs between two runs");
        }
    }
}

#[test]
fn lore_reports_exactly_the_planted_errors_and_nothing_else_changes() {
    if !have("python3", "--version") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (clean, broken) = (tmp.path().join("clean"), tmp.path().join("broken"));
    assert_eq!(generate(&clean, &["--entries", "500"]).0, 0);
    assert_eq!(
        generate(&broken, &["--entries", "500", "--broken", "7"]).0,
        0
    );

    let listed = std::fs::read_to_string(broken.join("expected-errors.txt")).unwrap();
    let expected: BTreeSet<&str> = listed
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(expected.len(), 7, "{listed}");
    let (code, report) = validate(&broken);
    assert_eq!(code, 1);
    let problems = report["problems"].as_array().unwrap();
    let found: BTreeSet<&str> = problems
        .iter()
        .map(|p| p["entry"].as_str().unwrap())
        .collect();
    assert_eq!(found, expected);
    assert_eq!(problems.len(), 7);
    for p in problems {
        let code = if p["entry"].as_str().unwrap().starts_with("Service:") {
            "lore::dangling-ref"
        } else {
            "lore::schema"
        };
        assert_eq!(p["code"], code, "{p}");
    }
    // The broken catalog is the clean one with only the planted entries edited: each
    // changed file holds one of them (customers share files, so at most 7 changed).
    let (a, b) = (tree(&clean), tree(&broken));
    let changed: Vec<&String> = a
        .keys()
        .filter(|k| k.starts_with("catalog/") && a[*k] != b[*k])
        .collect();
    assert!(!changed.is_empty() && changed.len() <= 7, "{changed:?}");
    assert_eq!(a.len(), b.len());
}

#[test]
fn incidents_for_report_span_26_weeks_and_name_what_they_affect() {
    if !have("python3", "--version") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("incidents");
    let (code, err) = generate(&out, &["--entries", "800", "--incidents", "120"]);
    assert_eq!(code, 0, "{err}");
    let (code, report) = validate(&out);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["entries"], 800, "customers make up the difference");

    let incidents = documents(&out, "incident");
    assert_eq!(incidents.len(), 120);
    let mut weeks = BTreeSet::new();
    for doc in &incidents {
        let opened = field(doc, "opened").unwrap();
        assert!(("2026-01-05".."2026-07-06").contains(&opened), "{opened}");
        weeks.insert(opened.to_owned());
        assert!(["open", "mitigated", "resolved"].contains(&field(doc, "status").unwrap()));
        assert!(["sev1", "sev2", "sev3"].contains(&field(doc, "severity").unwrap()));
        assert!(field(doc, "hours").unwrap().parse::<f64>().unwrap() >= 0.0);
        let affected = field(doc, "affected").unwrap();
        assert!(
            affected.starts_with("[service-"),
            "every incident names a service: {affected}"
        );
    }
    assert!(
        weeks.len() > 26,
        "opened dates spread over the 26 weeks: {weeks:?}"
    );
}

#[test]
fn the_generator_never_replaces_a_folder_it_did_not_write() {
    if !have("python3", "--version") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    for args in [&["--entries", "100"][..], &["--entries", "100", "--force"]] {
        let (code, err) = generate(&mine, args);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("mine"), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // Bad sizes are usage errors that say what to give instead.
    let (code, err) = generate(&tmp.path().join("tiny"), &["--entries", "10"]);
    assert_eq!(code, 2);
    assert!(err.contains("give at least"), "{err}");
    assert!(!tmp.path().join("tiny").exists());
}

#[test]
fn the_validate_script_measures_and_checks_the_planted_errors() {
    if !have("python3", "--version")
        || !have("/usr/bin/time", "--version")
        || !have("bash", "--version")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new("bash")
        .arg(repo().join("bench/validate.sh"))
        .args(["--entries", "300", "--only", "multidoc,broken"])
        .env("LORE", env!("CARGO_BIN_EXE_lore"))
        .env("BENCH_DIR", tmp.path())
        .env("RUNS", "2")
        .output()
        .unwrap();
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("validate, multidoc, no cache: median "),
        "{out}"
    );
    assert!(out.contains("2 runs), user "), "{out}");
    assert!(out.contains("peak RSS "), "{out}");
    assert!(out.contains("expected 10, reported 10\n"), "{out}");
    assert!(out.contains("exactly the planted errors"), "{out}");
}
