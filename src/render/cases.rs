//! `lore test`'s results for scripts (JSON) and for CI test tabs (JUnit XML); the human
//! form stays in the command, which prints as it runs.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use crate::alert::cases::CaseResult;

/// One test file's results, in file order.
pub(crate) struct FileResults {
    /// The file as shown to the user (relative to where lore runs).
    pub(crate) file: String,
    pub(crate) results: Vec<CaseResult>,
}

/// `lore test --format json`: `{"version":1, "ok", "passed", "failed", "cases":[…]}`.
#[derive(Debug, Serialize)]
pub(crate) struct TestDoc<'a> {
    pub(crate) version: u32,
    /// Every case passed.
    pub(crate) ok: bool,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) cases: Vec<CaseJson<'a>>,
}

/// One case: where it is, whether it passed, and why not.
#[derive(Debug, Serialize)]
pub(crate) struct CaseJson<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: usize,
    pub(crate) name: &'a str,
    pub(crate) passed: bool,
    /// Why the case could not run (unreadable payload, unknown source), else null.
    pub(crate) error: Option<&'a str>,
    /// What differs, per field (`source`, `matches`, `owners`).
    pub(crate) diffs: Vec<DiffJson<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DiffJson<'a> {
    pub(crate) field: &'a str,
    /// Expected, not produced.
    pub(crate) missing: &'a [String],
    /// Produced, not expected.
    pub(crate) unexpected: &'a [String],
}

fn counts(files: &[FileResults]) -> (usize, usize) {
    let all = files.iter().map(|f| f.results.len()).sum::<usize>();
    let passed = files
        .iter()
        .flat_map(|f| &f.results)
        .filter(|r| r.passed())
        .count();
    (passed, all - passed)
}

pub(crate) fn json(out: &mut dyn Write, files: &[FileResults]) -> io::Result<()> {
    let (passed, failed) = counts(files);
    let cases = files
        .iter()
        .flat_map(|f| {
            f.results.iter().map(move |r| CaseJson {
                file: &f.file,
                line: r.line,
                name: &r.name,
                passed: r.passed(),
                error: r.error.as_deref(),
                diffs: r
                    .diffs
                    .iter()
                    .map(|d| DiffJson {
                        field: d.field,
                        missing: &d.missing,
                        unexpected: &d.unexpected,
                    })
                    .collect(),
            })
        })
        .collect();
    let doc = TestDoc {
        version: 1,
        ok: failed == 0,
        passed,
        failed,
        cases,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Text for XML 1.0 character data or a quoted attribute: markup characters escaped,
/// and characters XML cannot carry at all (C0 controls but tab and newline, U+FFFE,
/// U+FFFF) shown as `\u{…}` so catalog or payload text cannot break the report.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The failure text of a case: its error, or one `- missing` / `+ unexpected` line each.
fn failure_text(r: &CaseResult) -> String {
    let mut lines = Vec::new();
    if let Some(e) = &r.error {
        lines.push(e.clone());
    }
    for d in &r.diffs {
        lines.push(format!("{}:", d.field));
        lines.extend(
            d.missing
                .iter()
                .map(|m| format!("- {m}  (expected, not produced)")),
        );
        lines.extend(
            d.unexpected
                .iter()
                .map(|u| format!("+ {u}  (produced, not expected)")),
        );
    }
    lines.join("\n")
}

/// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case, a failing case
/// with a `<failure>` that holds its diff.
pub(crate) fn junit(out: &mut dyn Write, files: &[FileResults]) -> io::Result<()> {
    let (passed, failed) = counts(files);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="lore test" tests="{}" failures="{failed}" errors="0">"#,
        passed + failed
    )?;
    for f in files {
        let fails = f.results.iter().filter(|r| !r.passed()).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{fails}" errors="0">"#,
            xml(&f.file),
            f.results.len()
        )?;
        for r in &f.results {
            let open = format!(
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                xml(&r.name),
                xml(&f.file),
                xml(&f.file),
                r.line
            );
            if r.passed() {
                writeln!(out, "{open}/>")?;
            } else {
                let message = match &r.error {
                    Some(_) => "the case could not run",
                    None => "the alert does not route as expected",
                };
                writeln!(out, "{open}>")?;
                writeln!(
                    out,
                    r#"      <failure message="{message}">{}</failure>"#,
                    xml(&failure_text(r))
                )?;
                writeln!(out, "    </testcase>")?;
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::cases::Diff;

    fn results() -> Vec<FileResults> {
        vec![FileResults {
            file: "routing/a&b.yaml".into(),
            results: vec![
                CaseResult {
                    name: "ok <one>".into(),
                    line: 2,
                    diffs: vec![],
                    error: None,
                },
                CaseResult {
                    name: "moved\u{1b}[31m".into(),
                    line: 9,
                    diffs: vec![Diff {
                        field: "owners",
                        missing: vec!["Team:a".into()],
                        unexpected: vec!["Team:b".into()],
                    }],
                    error: None,
                },
            ],
        }]
    }

    #[test]
    fn junit_counts_cases_and_escapes_what_xml_cannot_carry() {
        let mut out = Vec::new();
        junit(&mut out, &results()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#"<testsuites name="lore test" tests="2" failures="1""#),
            "{text}"
        );
        assert!(text.contains(r#"<testsuite name="routing/a&amp;b.yaml" tests="2" failures="1""#));
        assert!(text.contains(r#"<testcase name="ok &lt;one&gt;" classname="routing/a&amp;b.yaml" file="routing/a&amp;b.yaml" line="2"/>"#));
        assert!(text.contains(r#"name="moved\u{1b}[31m""#), "{text}");
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("owners:\n- Team:a  (expected, not produced)\n+ Team:b  (produced, not expected)</failure>"));
    }

    #[test]
    fn json_lists_every_case_with_its_diff() {
        let mut out = Vec::new();
        json(&mut out, &results()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["ok"], false);
        assert_eq!(
            (v["passed"].as_u64(), v["failed"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(v["cases"][1]["diffs"][0]["missing"][0], "Team:a");
        assert_eq!(v["cases"][0]["file"], "routing/a&b.yaml");
        assert_eq!(v["cases"][0]["error"], serde_json::Value::Null);
    }
}
