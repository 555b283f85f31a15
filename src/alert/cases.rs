//! Routing regression tests (`lore test`): YAML files of cases, each an alert payload
//! and the matches and owners it must produce. When someone moves a service to another
//! team, or renames an alias an alert uses, a case fails with a diff.
//!
//! Input: test files. Output: one [`CaseResult`] per case, with what was missing and
//! what was unexpected, compared as sets of `Type:id`.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::route::route;
use super::{load_payload_file, ReadError, SourceError};
use crate::graph::Catalog;
use crate::query;
use crate::query::diff::RoutingChange;
use crate::span::Lines;
use crate::yaml::{self, Limits};

/// Why a routing test file cannot be run (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("cannot read the routing test file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: the file is empty; write `cases:` with a list of cases", path.display())]
    Empty { path: PathBuf },
    #[error("{}: {cause}; a routing test file is `cases:`, each with name, payload or payload_file, and expect: {{matches, owners}} (see lore test --help)", path.display())]
    Shape {
        path: PathBuf,
        cause: serde_json::Error,
    },
}

/// Why one case could not route its payload (the case fails with this message).
#[derive(Debug, thiserror::Error)]
enum CaseError {
    #[error("give the case either `payload` or `payload_file`")]
    PayloadOrFile,
    #[error("payload_file `{}` is an absolute path outside the catalog repository `{}`; write it relative to the test file, inside the repository", file.display(), root.display())]
    Absolute { file: PathBuf, root: PathBuf },
    #[error("payload_file `{}` resolves to `{}`, outside the catalog repository `{}`; keep payloads inside it", file.display(), real.display(), root.display())]
    Outside {
        file: PathBuf,
        real: PathBuf,
        root: PathBuf,
    },
    #[error("payload_file `{}` is not a regular file (a FIFO, a device or a folder); point it at a JSON file", file.display())]
    NotAFile { file: PathBuf },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Where `lore test` looks when given no file, under the catalog root.
pub(crate) const DEFAULT_DIR: &str = "routing";

/// A routing test file (`routing/*.yaml`): alert payloads and what each must reach.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lore routing tests")]
struct TestFile {
    /// The cases, each run by `lore test`.
    cases: Vec<CaseRaw>,
}

/// One alert and what it must produce.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CaseRaw {
    /// What the case checks, shown in `lore test`'s report.
    name: String,
    /// The alert payload inline, as the monitoring tool sends it.
    payload: Option<Value>,
    /// A JSON payload file, relative to this test file, inside the catalog repository.
    payload_file: Option<PathBuf>,
    /// Read the payload as this source instead of detecting it (e.g. `alertmanager`).
    source: Option<String>,
    /// What routing the payload must produce.
    expect: Expect,
}

/// What a case must produce; a field left out is not checked.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The source detected (or given).
    source: Option<String>,
    /// The entries the alert names, as `Type:id`, compared as a set.
    matches: Option<Vec<String>>,
    /// Their owners, as `Type:id`, compared as a set.
    owners: Option<Vec<String>>,
}

/// The JSON Schema of a routing test file, for editors.
pub(crate) fn schema() -> Value {
    crate::schema::derived::<TestFile>()
}

/// One compared field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diff {
    /// `matches`, `owners` or `source`.
    pub(crate) field: &'static str,
    /// Expected, not produced.
    pub(crate) missing: Vec<String>,
    /// Produced, not expected.
    pub(crate) unexpected: Vec<String>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaseResult {
    pub(crate) name: String,
    /// 1-based line of the case in its file.
    pub(crate) line: usize,
    pub(crate) diffs: Vec<Diff>,
    /// The case could not run (unreadable payload, unknown source).
    pub(crate) error: Option<String>,
}

impl CaseResult {
    pub(crate) fn passed(&self) -> bool {
        self.diffs.is_empty() && self.error.is_none()
    }
}

/// Every `*.yaml`/`*.yml` under `routing/` of the catalog root, sorted.
pub(crate) fn default_files(c: &Catalog) -> Vec<PathBuf> {
    let dir = c.root.join(DEFAULT_DIR);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

/// Run the cases of one file. An unreadable or malformed file is an error (exit 2).
pub(crate) fn run_file(c: &Catalog, path: &Path) -> Result<Vec<CaseResult>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let parsed = yaml::parse(&text, Limits::default(), true);
    let lines = Lines::new(&text);
    if let Some(e) = parsed.errors.first() {
        let (line, column) = lines.line_col(&text, e.span.start);
        return Err(Error::Yaml {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message.clone(),
        });
    }
    let Some(doc) = parsed.documents.first() else {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    };
    let file: TestFile =
        serde_json::from_value(doc.value.clone()).map_err(|cause| Error::Shape {
            path: path.to_path_buf(),
            cause,
        })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, case) in file.cases.iter().enumerate() {
        let line = doc
            .spans
            .as_ref()
            .and_then(|s| s.value(&format!("/cases/{i}")))
            .map_or(1, |r| lines.line(r.start));
        out.push(run_case(c, base, case, line));
    }
    Ok(out)
}

fn run_case(c: &Catalog, base: &Path, case: &CaseRaw, line: usize) -> CaseResult {
    let mut result = CaseResult {
        name: case.name.clone(),
        line,
        diffs: Vec::new(),
        error: None,
    };
    let routed = payload(c, base, case).and_then(|p| Ok(route(c, &p, case.source.as_deref())?));
    let r = match routed {
        Ok(r) => r,
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    let expect = &case.expect;
    if let Some(want) = &expect.source {
        let got = r.found.source.clone().unwrap_or_else(|| "(scan)".into());
        if &got != want {
            result.diffs.push(Diff {
                field: "source",
                missing: vec![want.clone()],
                unexpected: vec![got],
            });
        }
    }
    if let Some(want) = &expect.matches {
        let got: Vec<String> = r.found.matches.iter().map(|m| c.key(m.entry)).collect();
        push_diff(c, &mut result, "matches", want, got);
    }
    if let Some(want) = &expect.owners {
        let got: Vec<String> = r.owners.iter().map(|o| c.key(o.owner)).collect();
        push_diff(c, &mut result, "owners", want, got);
    }
    result
}

/// The payload a case gives, inline or in a file.
fn payload(c: &Catalog, base: &Path, case: &CaseRaw) -> Result<Value, CaseError> {
    match (&case.payload, &case.payload_file) {
        (Some(p), None) => Ok(p.clone()),
        (None, Some(f)) => Ok(load_payload_file(&payload_path(&c.root, base, f)?)?),
        _ => Err(CaseError::PayloadOrFile),
    }
}

/// The file a case's `payload_file` names (relative to its test file), when it is a
/// regular file inside the catalog repository: a case never reads `/etc/passwd`, the
/// environment in `/proc`, or waits on `/dev/stdin` or a FIFO.
fn payload_path(root: &Path, base: &Path, file: &Path) -> Result<PathBuf, CaseError> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if file.has_root() && !file.starts_with(&root) {
        return Err(CaseError::Absolute {
            file: file.to_path_buf(),
            root,
        });
    }
    let full = base.join(file);
    let real = full
        .canonicalize()
        .map_err(|source| ReadError::Unreadable {
            from: full.display().to_string(),
            source,
        })?;
    if !real.starts_with(&root) {
        return Err(CaseError::Outside {
            file: file.to_path_buf(),
            real,
            root,
        });
    }
    if !real.is_file() {
        return Err(CaseError::NotAFile {
            file: file.to_path_buf(),
        });
    }
    Ok(real)
}

/// Compare as sets; an expected REF that resolves (id, alias) is compared as `Type:id`.
fn push_diff(
    c: &Catalog,
    result: &mut CaseResult,
    field: &'static str,
    want: &[String],
    got: Vec<String>,
) {
    let mut want: Vec<String> = want
        .iter()
        .map(|w| query::find(c, w).map_or_else(|_| w.clone(), |e| c.key(e)))
        .collect();
    want.sort();
    want.dedup();
    let mut got = got;
    got.sort();
    got.dedup();
    let missing: Vec<String> = want.iter().filter(|w| !got.contains(w)).cloned().collect();
    let unexpected: Vec<String> = got.iter().filter(|g| !want.contains(g)).cloned().collect();
    if !missing.is_empty() || !unexpected.is_empty() {
        result.diffs.push(Diff {
            field,
            missing,
            unexpected,
        });
    }
}

/// Run the routing tests under `routing/` (as they are in the working tree) against
/// both catalogs, and keep the cases whose outcome differs: a change that moves a
/// service to another team shows which alerts now page someone else.
pub(crate) fn routing(base: &Catalog, head: &Catalog) -> Vec<RoutingChange> {
    let mut out = Vec::new();
    for path in default_files(head) {
        let (Ok(before), Ok(after)) = (run_file(base, &path), run_file(head, &path)) else {
            continue; // a malformed test file is `lore test`'s to report
        };
        let file = crate::fsutil::slashed(path.strip_prefix(&head.root).unwrap_or(&path));
        for (b, h) in before.iter().zip(&after) {
            let (was, now) = (outcome(b), outcome(h));
            if was != now {
                out.push(RoutingChange {
                    file: file.clone(),
                    line: h.line,
                    case: h.name.clone(),
                    base: was,
                    head: now,
                });
            }
        }
    }
    out
}

fn outcome(r: &CaseResult) -> String {
    if let Some(e) = &r.error {
        return format!("error: {e}");
    }
    if r.passed() {
        return "passed".into();
    }
    let parts: Vec<String> = r
        .diffs
        .iter()
        .map(|d| {
            let mut items: Vec<String> = d.missing.iter().map(|m| format!("-{m}")).collect();
            items.extend(d.unexpected.iter().map(|u| format!("+{u}")));
            format!("{}: {}", d.field, items.join(" "))
        })
        .collect();
    format!("failed ({})", parts.join("; "))
}
