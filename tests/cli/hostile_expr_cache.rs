//! Hostile expressions (stack-deep, slow, bad patterns) and a hostile cache (edited,
//! a FIFO, huge): each is a diagnostic or a miss, never a crash, a hang or a lie.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{catalog, lore, stderr, stdout, validate_json};

/// A type `T` with `rules` (YAML list items), and `n` entries in `n` files, so rayon
/// checks them on its worker threads.
fn with_rules(rules: &str, n: usize) -> tempfile::TempDir {
    let schema = format!("type: T\nadditional_fields: true\nrules:\n{rules}");
    let entries: Vec<(String, String)> = (0..n)
        .map(|i| {
            let items: Vec<String> = (0..20).map(|k| k.to_string()).collect();
            (
                format!("catalog/e{i}.yaml"),
                format!(
                    "type: T\nid: e{i}\nok: true\nitems: [{}]\n",
                    items.join(", ")
                ),
            )
        })
        .collect();
    let mut files: Vec<(&str, &str)> = vec![("schemas/t.yaml", schema.as_str())];
    files.extend(entries.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    catalog(&files)
}

fn rule(name: &str, check: &str) -> String {
    format!(
        "  - name: {name}\n    check: '{}'\n",
        check.replace('\'', "''")
    )
}

fn problems(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_owned(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn stack_deep_expressions_are_invalid_expr_not_a_crash() {
    let cases = [
        format!("{} > 0", vec!["1"; 1500].join("+")),
        format!("{}1{} > 0", "(".repeat(300), ")".repeat(300)),
        format!("size({}1{}) > 0", "[".repeat(300), "]".repeat(300)),
        format!("{}self.ok", "!".repeat(10_000)),
        format!("{}1 < 0", "-".repeat(10_000)),
        format!("has(self{})", ".a".repeat(500)),
        vec!["self.ok"; 2000].join(" || "),
    ];
    let rules: String = cases
        .iter()
        .enumerate()
        .map(|(i, c)| rule(&format!("r{i}"), c))
        .collect();
    let repo = with_rules(&rules, 40);
    let (code, report) = validate_json(repo.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let found = problems(&report);
    assert_eq!(found.len(), cases.len(), "{found:?}");
    for (code, message) in &found {
        assert_eq!(code, "lore::invalid-expr", "{message}");
        assert!(
            message.contains("too deeply nested") || message.contains("too long"),
            "{message}"
        );
        assert!(message.contains("split it"), "{message}");
        assert!(
            message.len() < 400,
            "the expression is quoted short: {message}"
        );
    }
}

#[test]
fn expressions_just_under_the_limits_are_checked_on_every_entry() {
    let clauses: Vec<String> = (0..300).map(|i| format!("self.id != 'x{i}'")).collect();
    let rules = [
        rule("sum", &format!("{} > 0", vec!["1"; 31].join("+"))),
        rule(
            "loops",
            "self.items.all(a, self.items.exists(b, self.items.exists(c, a + b + c >= 0)))",
        ),
        rule("clauses", &clauses.join(" && ")),
        rule(
            "pattern",
            "self.id.matches('^e[0-9]+$') && !matches(self.id, '^x')",
        ),
        rule("fails", "self.items.all(a, a < 19)"),
    ]
    .concat();
    let repo = with_rules(&rules, 60);
    let (code, report) = validate_json(repo.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let found = problems(&report);
    // Every entry was checked, and only the rule that does not hold fails.
    assert_eq!(found.len(), 60, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(c, m)| c == "lore::rule" && m.contains("`fails`")),
        "{found:?}"
    );
}

#[test]
fn nested_comprehensions_are_refused_or_stopped_by_the_budget() {
    let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    let mut eight = "true".to_owned();
    for v in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        eight = format!("{ten}.all({v}, {eight})");
    }
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let hundred = format!("[{}]", hundred.join(", "));
    let rules = [
        rule("eight", &eight),
        rule(
            "million",
            &format!("{hundred}.all(a, {hundred}.all(b, {hundred}.all(c, a + b + c >= 0)))"),
        ),
    ]
    .concat();
    let repo = with_rules(&rules, 8);
    let started = Instant::now();
    let (code, report) = validate_json(repo.path(), &[]);
    // The bug ran for minutes; the budget stops each evaluation at 100,000 elements.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{report}");
    let found = problems(&report);
    let refused: Vec<_> = found
        .iter()
        .filter(|(c, _)| c == "lore::invalid-expr")
        .collect();
    assert_eq!(refused.len(), 1, "{found:?}");
    assert!(
        refused[0].1.contains("nested more than 3 deep"),
        "{found:?}"
    );
    let stopped: Vec<_> = found
        .iter()
        .filter(|(c, _)| c == "lore::rule-error")
        .collect();
    assert_eq!(stopped.len(), 8, "one per entry: {found:?}");
    assert!(
        stopped
            .iter()
            .all(|(_, m)| m.contains("more than 100000 elements")),
        "{found:?}"
    );
    let helps: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "lore::rule-error")
        .map(|p| p["help"].as_str().unwrap())
        .collect();
    assert!(
        helps.iter().all(|h| h.contains("simplify the rule")),
        "{helps:?}"
    );
}

#[test]
fn an_invalid_constant_pattern_is_an_invalid_expr_at_the_pattern() {
    let repo = with_rules(&rule("p", "self.id.matches('([a-z]+')"), 2);
    let (code, report) = validate_json(repo.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "lore::invalid-expr");
    assert!(
        found[0].1.contains("not a valid regular expression"),
        "{found:?}"
    );
    let p = &report["problems"][0];
    assert_eq!(
        (p["file"].as_str(), p["line"].as_u64()),
        (Some("schemas/t.yaml"), Some(5))
    );
}

/// `lore validate --format json` with its cache in `cache`.
fn validate_cached(repo: &Path, cache: &Path) -> (i32, Value) {
    let out = lore(repo)
        .env("LORE_CACHE_DIR", cache)
        .args(["validate", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap_or(-1), report)
}

/// An invalid catalog, its cache folder, and the cache file after a first run.
fn cached_invalid_catalog() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    let repo = catalog(&[
        (
            "schemas/team.yaml",
            "type: Team\nschema:\n  properties:\n    size: {type: integer}\n",
        ),
        ("catalog/a.yaml", "type: Team\nid: a\nsize: big\n"),
        ("catalog/b.yaml", "type: Team\nid: b\nsize: 3\n"),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = validate_cached(repo.path(), cache.path());
    assert_eq!(code, 1, "{report}");
    let files: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = files[0].clone();
    (repo, cache, file)
}

fn assert_still_invalid(repo: &Path, cache: &Path) {
    // The bugs hung (a FIFO) or read gigabytes (a sparse file); a miss takes a moment.
    let started = Instant::now();
    let (code, report) = validate_cached(repo, cache);
    assert_eq!(
        code, 1,
        "an edited cache must not make the catalog valid: {report}"
    );
    assert_eq!(report["problems"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["problems"][0]["code"], "lore::schema", "{report}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn an_edited_cache_record_is_a_miss() {
    let (repo, cache, file) = cached_invalid_catalog();
    let good = std::fs::read_to_string(&file).unwrap();
    let bad_line = good
        .lines()
        .find(|l| l.contains("\"p\":[{"))
        .expect("the record of the invalid file")
        .to_owned();

    // A well-formed record whose content says the file has no problems.
    let at = bad_line.find("\"p\":[").unwrap();
    let forged = format!("{}\"p\":[]}}", &bad_line[..at]);
    std::fs::write(&file, good.replace(&bad_line, &forged)).unwrap();
    assert_still_invalid(repo.path(), cache.path());

    // The same, with the checksum broken as well.
    let sum = &bad_line[33..65];
    let zeros = "0".repeat(32);
    let broken = forged.replacen(sum, &zeros, 1);
    std::fs::write(&file, good.replace(&bad_line, &broken)).unwrap();
    assert_still_invalid(repo.path(), cache.path());

    // The miss rewrote the cache, which now serves both files again.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
}

#[cfg(unix)]
#[test]
fn a_fifo_at_the_cache_path_does_not_hang() {
    let (repo, cache, file) = cached_invalid_catalog();
    std::fs::remove_file(&file).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    assert_still_invalid(repo.path(), cache.path());
    assert!(
        std::fs::symlink_metadata(&file).unwrap().is_file(),
        "the FIFO was replaced"
    );

    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    assert_still_invalid(repo.path(), cache.path());
}

#[test]
fn a_huge_sparse_cache_is_a_miss() {
    let (repo, cache, file) = cached_invalid_catalog();
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(8 << 30).unwrap(); // 8 GiB of holes
    drop(f);
    assert_still_invalid(repo.path(), cache.path());
    assert!(
        std::fs::metadata(&file).unwrap().len() < 1 << 20,
        "rewritten"
    );
}
