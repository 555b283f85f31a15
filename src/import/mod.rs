//! Import pipelines (`imports:` in lore.yaml): rows from a source (CSV, JSON or NDJSON,
//! a command's output, CODEOWNERS), each made into an entry by the pipeline's CEL
//! expressions over `row`, merged with a hand-written `extend:` file, and written as
//! one YAML file that lore owns.
//!
//! Input: a compiled [`Pipeline`] and the source's bytes. Output: a [`Plan`], the owned
//! file's old and new text, or every [`Problem`] found (a run with problems writes
//! nothing). The text is deterministic: entries sorted by id, keys in a fixed order,
//! one field a line, every string quoted, so a second run with the same rows writes
//! nothing and a changed row changes only its own lines.
//!
//! Ownership: a file lore generated starts with a header naming its pipeline; lore
//! never writes over a file without that header. Pruning more than half of the entries
//! a file held needs `allow_mass_delete`.

pub(crate) mod backstage;
pub(crate) mod codeowners;
pub(crate) mod csv;
pub(crate) mod exec;
pub(crate) mod json;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::config::{FromRaw, Pipeline};
use crate::diag::Severity;
use crate::expr::{Expr, Scope};
use crate::fsutil::slashed;
use crate::graph::Catalog;
use crate::span::FileId;
use crate::yaml::{self, Limits};

/// Most bytes read from one source file.
const MAX_SOURCE: u64 = 1 << 30;
/// Most problems reported for one pipeline (the rest are counted).
const MAX_PROBLEMS: usize = 50;

/// One record of a source.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// 1-based among the data rows.
    pub(crate) number: usize,
    /// 1-based line where it starts in its file (0: not known).
    pub(crate) line: usize,
    /// The row as `row` sees it: an object.
    pub(crate) value: Value,
}

/// Something wrong with a source, a row or an owned file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where: a file of the repository or of `--from`.
    pub(crate) file: Option<String>,
    /// 1-based line in `file` (0: the whole file).
    pub(crate) line: usize,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

impl Problem {
    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: Some(file.to_owned()),
            line,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn general(message: impl Into<String>) -> Problem {
        Problem {
            file: None,
            line: 0,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), 0) => write!(f, "{file}: ")?,
            (Some(file), line) => write!(f, "{file}:{line}: ")?,
            (None, _) => {}
        }
        f.write_str(&self.message)
    }
}

/// Where a pipeline's rows come from this run.
pub(crate) struct Input<'a> {
    pub(crate) root: &'a Path,
    /// `--from`: a file or folder given on the command line, instead of lore.yaml's.
    pub(crate) from: Option<&'a Path>,
    pub(crate) allow_exec: bool,
}

/// Something the caller shows before it happens (a command about to run).
pub(crate) type Notice<'a> = &'a mut dyn FnMut(&str);

/// The rows of a pipeline's source that read, and the name of the file they came from;
/// a bad row is reported into `out` and the others are still read.
pub(crate) fn read_rows(
    p: &Pipeline,
    input: &Input<'_>,
    notice: Notice<'_>,
    out: &mut Vec<Problem>,
) -> Result<(String, Vec<Row>), Vec<Problem>> {
    let (shown, rows) = match (&p.from, input.from) {
        (FromRaw::Exec(argv), None) => {
            let shown = argv.join(" ");
            if !input.allow_exec {
                return Err(vec![Problem::general(format!(
                    "import `{}` runs `{shown}`; lore runs commands only when asked",
                    p.name
                ))
                .help("run `lore import --allow-exec` to run it, or `--from FILE` to read its saved output")]);
            }
            notice(&shown);
            let bytes = exec::run(input.root, argv, &shown).map_err(|e| vec![e])?;
            let rows = by_content(&shown, &bytes, out);
            (shown, rows)
        }
        (from, over) => {
            let (default, ext): (Option<&String>, &[&str]) = match from {
                FromRaw::Csv(f) => (Some(f), &["csv"]),
                FromRaw::Json(f) => (Some(f), &["json", "ndjson", "jsonl"]),
                FromRaw::Codeowners(f) => (Some(f), &[]),
                FromRaw::Backstage(_) => (None, &["yaml", "yml"]),
                FromRaw::Exec(_) => (None, &["json", "ndjson", "jsonl", "csv"]),
            };
            let path = match (over, default) {
                (Some(o), _) => o.to_path_buf(),
                (None, Some(d)) => input.root.join(d),
                (None, None) => input.root.to_path_buf(),
            };
            let files = match (from, over) {
                (FromRaw::Backstage(glob), None) => matching(input.root, glob),
                _ => files_of(&path, ext),
            }
            .map_err(|e| vec![e])?;
            let mut rows = Vec::new();
            for file in &files {
                let shown = shown_path(input.root, file);
                let bytes = read_capped(file).map_err(|e| {
                    vec![Problem::at(&shown, 0, format!("cannot read it: {e}"))
                        .help("check the path in lore.yaml or given with --from")]
                })?;
                let mut more = match from {
                    FromRaw::Csv(_) => csv::rows(&shown, &bytes, out),
                    FromRaw::Json(_) => json::rows(&shown, &bytes, out),
                    FromRaw::Codeowners(_) => codeowners::rows(&shown, &bytes, out),
                    FromRaw::Backstage(_) => backstage::rows(&shown, &bytes, out),
                    FromRaw::Exec(_) => by_content(&shown, &bytes, out),
                };
                rows.append(&mut more);
            }
            let shown = match files.as_slice() {
                [one] => shown_path(input.root, one),
                _ => shown_path(input.root, &path),
            };
            (shown, rows)
        }
    };
    Ok((shown, rows))
}

/// The entities of Backstage YAML files, by file: `path` itself, or every `*.yaml`/`*.yml`
/// under it; each file is named relative to `shown_from`.
pub(crate) fn backstage_rows(
    path: &Path,
    shown_from: &Path,
    out: &mut Vec<Problem>,
) -> Result<Vec<(String, Vec<Row>)>, Problem> {
    let mut rows = Vec::new();
    for file in files_of(path, &["yaml", "yml"])? {
        let shown = shown_path(shown_from, &file);
        let bytes = read_capped(&file).map_err(|e| {
            Problem::at(&shown, 0, format!("cannot read it: {e}"))
                .help("check the folder given with --from-backstage")
        })?;
        let more = backstage::rows(&shown, &bytes, out);
        rows.push((shown, more));
    }
    Ok(rows)
}

/// JSON when the text starts with `[` or `{`, else CSV.
fn by_content(shown: &str, bytes: &[u8], out: &mut Vec<Problem>) -> Vec<Row> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[' | b'{') => json::rows(shown, text, out),
        _ => csv::rows(shown, text, out),
    }
}

/// The files under `root` that `glob` matches, sorted; the walk starts at the glob's
/// literal folder, and skips folders whose names start with a dot.
fn matching(root: &Path, glob: &str) -> Result<Vec<PathBuf>, Problem> {
    let matcher = globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map_err(|e| Problem::general(format!("`{glob}` is not a glob: {}", e.kind())))?
        .compile_matcher();
    let literal: PathBuf = Path::new(glob)
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let start = root.join(&literal);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&start)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.strip_prefix(root).is_ok_and(|rel| matcher.is_match(rel)))
        .collect();
    files.sort();
    Ok(files)
}

/// The file itself, or a folder's files with one of the extensions, sorted.
fn files_of(path: &Path, ext: &[&str]) -> Result<Vec<PathBuf>, Problem> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Problem::general(format!("cannot read `{}`: {e}", slashed(path)))
            .help("check the path in lore.yaml or given with --from")
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SOURCE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SOURCE {
        return Err(std::io::Error::other(format!(
            "it is larger than {MAX_SOURCE} bytes, the most lore reads"
        )));
    }
    Ok(bytes)
}

/// A path relative to the root when inside it, else as given.
fn shown_path(root: &Path, path: &Path) -> String {
    slashed(path.strip_prefix(root).unwrap_or(path))
}

/// `codeowners:`: give each row `row.codeowners`, the owners of the last rule of the
/// pipeline's CODEOWNERS file matching the row's path (`[]` when none does). A row whose
/// path expression fails, or gives no text, is reported.
pub(crate) fn add_codeowners(
    p: &Pipeline,
    root: &Path,
    file: &str,
    rows: &mut [Row],
    out: &mut Vec<Problem>,
) {
    let Some((rel, path)) = &p.codeowners else {
        return;
    };
    let text = match read_capped(&root.join(rel)).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => {
            out.push(Problem::at(rel, 0, "it is not UTF-8").help("save it as UTF-8"));
            return;
        }
        Err(e) => {
            out.push(
                Problem::at(rel, 0, format!("cannot read it: {e}")).help(format!(
                    "fix `imports.{}.codeowners.file` in lore.yaml",
                    p.name
                )),
            );
            return;
        }
    };
    let rules = codeowners::rules(rel, &text, out);
    let mut failed = 0;
    for row in rows {
        let evaluated = path.eval_in(&Scope::new(&[("row", &row.value)]));
        let owners = match evaluated {
            // A package's path names a folder: rules for the folder match it.
            Ok(Value::String(s)) if !s.trim().trim_matches('/').is_empty() => {
                codeowners::owners_of(&rules, &format!("{}/", s.trim().trim_end_matches('/')))
                    .unwrap_or_default()
                    .iter()
                    .map(|o| Value::String(o.clone()))
                    .collect()
            }
            other => {
                failed += 1;
                if failed <= MAX_PROBLEMS {
                    let why = match other {
                        Ok(v) => format!(
                            "gave {}, not a path",
                            serde_json::to_string(&v).unwrap_or_default()
                        ),
                        Err(e) => format!("failed: {}", e.message),
                    };
                    out.push(
                        Problem::at(
                            file,
                            row.line,
                            format!(
                                "row {}: `codeowners.path` (`{}`) {why}",
                                row.number,
                                crate::expr::excerpt(path.source())
                            ),
                        )
                        .help(format!(
                            "fix the row, or `imports.{}.codeowners.path` in lore.yaml",
                            p.name
                        )),
                    );
                }
                // The row goes on with no owners, so only this problem is reported for it.
                Vec::new()
            }
        };
        if let Value::Object(map) = &mut row.value {
            map.insert("codeowners".into(), Value::Array(owners));
        }
    }
    if failed > MAX_PROBLEMS {
        out.push(Problem::at(
            file,
            0,
            format!("{} more rows failed", failed - MAX_PROBLEMS),
        ));
    }
}

/// An entry made from a row: its fields in output order, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Made {
    pub(crate) line: usize,
    pub(crate) number: usize,
    pub(crate) fields: Map<String, Value>,
}

/// Each row made into an entry, by id; every row that fails is reported.
pub(crate) fn make_entries(
    p: &Pipeline,
    file: &str,
    rows: &[Row],
    out: &mut Vec<Problem>,
) -> BTreeMap<String, Made> {
    let made: Vec<Result<Option<(String, Made)>, Problem>> =
        rows.par_iter().map(|r| make_one(p, file, r)).collect();
    let mut entries: BTreeMap<String, Made> = BTreeMap::new();
    let mut failed = 0;
    for m in made {
        match m {
            Ok(None) => {}
            Ok(Some((id, m))) => {
                if let Some(first) = entries.get(&id) {
                    out.push(
                        Problem::at(
                            file,
                            m.line,
                            format!(
                                "row {} makes `{}:{id}`, as row {} (line {}) does",
                                m.number, p.type_name, first.number, first.line
                            ),
                        )
                        .help("ids must be unique: fix the rows, or make `id:` tell them apart"),
                    );
                } else {
                    entries.insert(id, m);
                }
            }
            Err(e) => {
                failed += 1;
                if failed <= MAX_PROBLEMS {
                    out.push(e);
                }
            }
        }
    }
    if failed > MAX_PROBLEMS {
        out.push(Problem::at(
            file,
            0,
            format!("{} more rows failed", failed - MAX_PROBLEMS),
        ));
    }
    entries
}

fn make_one(p: &Pipeline, file: &str, row: &Row) -> Result<Option<(String, Made)>, Problem> {
    let scope = Scope::new(&[("row", &row.value)]);
    let fail = |field: &str, expr: &Expr, message: String| {
        Problem::at(
            file,
            row.line,
            format!(
                "row {}: `{field}` (`{}`) {message}",
                row.number,
                crate::expr::excerpt(expr.source())
            ),
        )
        .help(format!(
            "fix the row, or the expression for `{field}` under `imports.{}` in lore.yaml",
            p.name
        ))
    };
    let eval = |field: &str, expr: &Expr| {
        if let Some(text) = row_text(expr, &row.value) {
            return Ok(Value::String(text.to_owned()));
        }
        expr.eval_in(&scope)
            .map_err(|e| fail(field, expr, format!("failed: {}", e.message)))
    };
    if let Some(w) = &p.filter {
        let keep = w
            .eval_bool_in(&scope)
            .map_err(|e| fail("where", w, format!("failed: {}", e.message)))?;
        if !keep {
            return Ok(None);
        }
    }
    let id = match eval("id", &p.id)? {
        Value::String(s) if !s.trim().is_empty() => s,
        Value::Number(n) => n.to_string(),
        other => {
            return Err(fail(
                "id",
                &p.id,
                format!(
                    "gave {}; every row needs an id",
                    crate::query::diff::compact(Some(&other))
                ),
            ))
        }
    };
    let mut fields = Map::new();
    fields.insert("type".into(), Value::String(p.type_name.clone()));
    fields.insert("id".into(), Value::String(id.clone()));
    for (key, expr) in [("name", &p.name_expr), ("description", &p.description)] {
        if let Some(expr) = expr {
            match eval(key, expr)? {
                v if is_empty(&v) => {}
                Value::String(s) => {
                    fields.insert(key.into(), Value::String(s));
                }
                other => {
                    return Err(fail(
                        key,
                        expr,
                        format!(
                            "gave {}, not text",
                            crate::query::diff::compact(Some(&other))
                        ),
                    ))
                }
            }
        }
    }
    let mut aliases = Vec::new();
    for (i, expr) in p.aliases.iter().enumerate() {
        let field = format!("aliases[{i}]");
        let items = match eval(&field, expr)? {
            Value::Array(items) => items,
            one => vec![one],
        };
        for item in items {
            match item {
                v if is_empty(&v) => {}
                Value::String(s) => aliases.push(Value::String(s)),
                Value::Number(n) => aliases.push(Value::String(n.to_string())),
                other => {
                    return Err(fail(
                        &field,
                        expr,
                        format!(
                            "gave {}, not text",
                            crate::query::diff::compact(Some(&other))
                        ),
                    ))
                }
            }
        }
    }
    if !aliases.is_empty() {
        fields.insert("aliases".into(), Value::Array(aliases));
    }
    for (key, expr) in &p.fields {
        let v = eval(key, expr)?;
        if !is_empty(&v) {
            fields.insert(key.clone(), v);
        }
    }
    Ok(Some((
        id,
        Made {
            line: row.line,
            number: row.number,
            fields,
        },
    )))
}

/// The text `row.COLUMN` gives when `expr` is just that and the row has the column as
/// text, which is most of a CSV pipeline's fields: CEL gives the same string, but builds
/// and walks an evaluation for it, once per field of each of 100,000 rows. Anything else is
/// for CEL (which also reports a missing column).
fn row_text<'r>(expr: &Expr, row: &'r Value) -> Option<&'r str> {
    let column = expr.source().trim().strip_prefix("row.")?;
    let mut chars = column.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return None;
    }
    row.get(column)?.as_str()
}

/// A value that leaves its field out: null, empty text, an empty list.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Merge the hand-written `extend:` file into the entries: each of its documents names an
/// imported `id` and adds fields the pipeline does not set. A field both set, or an id the
/// import does not make, is a problem naming both places.
pub(crate) fn extend(
    p: &Pipeline,
    root: &Path,
    entries: &mut BTreeMap<String, Made>,
    out: &mut Vec<Problem>,
) {
    let Some(rel) = &p.extend else { return };
    let path = root.join(rel);
    let text = match read_capped(&path).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => {
            out.push(Problem::at(rel, 0, "it is not UTF-8").help("save it as UTF-8"));
            return;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            out.push(Problem::at(rel, 0, format!("cannot read it: {e}")));
            return;
        }
    };
    let parsed = yaml::parse(&text, Limits::default(), true);
    let lines = crate::span::Lines::new(&text);
    for e in &parsed.errors {
        out.push(Problem::at(
            rel,
            lines.line(e.span.start),
            e.message.clone(),
        ));
    }
    if !parsed.errors.is_empty() {
        return;
    }
    for doc in &parsed.documents {
        let at = |pointer: &str| {
            doc.spans
                .as_ref()
                .and_then(|s| s.nearest(pointer))
                .map_or(lines.line(doc.span.start), |s| lines.line(s.start))
        };
        let Value::Object(map) = &doc.value else {
            if !doc.value.is_null() {
                out.push(
                    Problem::at(rel, at(""), "this document is not a mapping")
                        .help("write `id:` and the fields to add, one document per entry"),
                );
            }
            continue;
        };
        let Some(id) = map.get("id").and_then(Value::as_str) else {
            out.push(
                Problem::at(rel, at(""), "this document has no `id`")
                    .help("name the imported entry it adds fields to with `id:`"),
            );
            continue;
        };
        if let Some(t) = map.get("type").and_then(Value::as_str) {
            if t != p.type_name {
                out.push(Problem::at(
                    rel,
                    at("/type"),
                    format!(
                        "`type: {t}` here, but import `{}` makes {}",
                        p.name, p.type_name
                    ),
                ));
                continue;
            }
        }
        let Some(made) = entries.get_mut(id) else {
            out.push(
                Problem::at(
                    rel,
                    at("/id"),
                    format!(
                        "adds fields to `{}:{id}`, which import `{}` does not make",
                        p.type_name, p.name
                    ),
                )
                .help("remove this document (the entry left the source), or fix its id"),
            );
            continue;
        };
        for (key, value) in map {
            if key == "id" || key == "type" {
                continue;
            }
            if made.fields.contains_key(key) {
                out.push(
                    Problem::at(
                        rel,
                        at(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
                        format!(
                            "sets `{key}` of `{}:{id}`, which import `{}` also sets (from row {}, line {})",
                            p.type_name, p.name, made.number, made.line
                        ),
                    )
                    .help(format!("keep one: remove it here, or from `imports.{}` in lore.yaml", p.name)),
                );
                continue;
            }
            made.fields.insert(key.clone(), value.clone());
        }
    }
}

/// The header of a file that import `name` generated.
pub(crate) fn header(name: &str) -> String {
    format!("# Generated by `lore import {name}`. Do not edit: lore rewrites this file on every import.\n")
}

const HEADER_START: &str = "# Generated by `lore import ";

/// The text of the owned file: the header, then one YAML document per entry, sorted by id.
pub(crate) fn render(p: &Pipeline, entries: &[&Map<String, Value>]) -> String {
    let mut out = header(&p.name);
    if let Some(e) = &p.extend {
        let _ = writeln!(out, "# Add fields to these entries in {e} (`extend:`).");
    }
    // Each document on its own (in parallel: 100,000 of them), then joined in order.
    let docs: Vec<String> = entries.par_iter().map(|fields| document(fields)).collect();
    out.reserve(docs.iter().map(|d| d.len() + 4).sum());
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(doc);
    }
    out
}

/// One entry's lines: the envelope first, in its order, then the other fields by name.
fn document(fields: &Map<String, Value>) -> String {
    let mut out = String::new();
    let envelope = crate::schema::ENVELOPE
        .iter()
        .filter_map(|k| fields.get_key_value(*k));
    let rest = fields
        .iter()
        .filter(|(k, _)| !crate::schema::ENVELOPE.contains(&k.as_str()));
    for (key, value) in envelope.chain(rest) {
        write_key(&mut out, key);
        out.push_str(": ");
        out.push_str(&serde_json::to_string(value).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// A key bare when it is plainly a name, else quoted (JSON strings are YAML strings).
pub(crate) fn write_key(out: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        out.push_str(key);
    } else {
        out.push_str(&serde_json::to_string(key).unwrap_or_default());
    }
}

/// What one pipeline would write.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) pipeline: String,
    /// The owned file, relative to the root.
    pub(crate) into: String,
    /// Its text now (None: it does not exist yet).
    pub(crate) old: Option<String>,
    pub(crate) new: String,
    /// Entries written, and how many the file held before.
    pub(crate) entries: usize,
    pub(crate) before: usize,
    /// Entries removed because their rows left the source.
    pub(crate) pruned: usize,
}

impl Plan {
    /// Whether the file would change; a pipeline with no entries creates no file.
    pub(crate) fn changes(&self) -> bool {
        match &self.old {
            None => self.entries > 0,
            Some(old) => *old != self.new,
        }
    }
}

/// The entries of the owned file `into` by id, as the catalog already loaded them: no
/// second parse of a file that may hold 100,000 entries. None when the loaded text is not
/// `text` or the file has errors (a document that failed to load is not an entry, so only
/// a parse of the text sees it).
fn loaded_entries<'c>(
    loaded: &'c Catalog,
    into: &str,
    text: &str,
) -> Option<BTreeMap<String, Cow<'c, Map<String, Value>>>> {
    let sources = &loaded.sources;
    let file = (0..sources.len())
        .map(|i| FileId(i as u32))
        .find(|&f| sources.path(f) == Path::new(into))?;
    if **sources.get(file).text() != *text {
        return None;
    }
    let broken = loaded
        .problems
        .iter()
        .any(|d| d.severity == Severity::Error && d.loc.file() == Some(file));
    if broken {
        return None;
    }
    let mut found = BTreeMap::new();
    for (_, e) in loaded.entries() {
        if e.file == file {
            found.insert(e.id.clone(), Cow::Borrowed(e.value.as_object()?));
        }
    }
    Some(found)
}

/// The plan for one pipeline: its entries against the owned file as it is now.
pub(crate) fn plan(
    p: &Pipeline,
    root: &Path,
    loaded: &Catalog,
    mut entries: BTreeMap<String, Made>,
    allow_mass_delete: bool,
    out: &mut Vec<Problem>,
) -> Option<Plan> {
    let path = root.join(&p.into);
    let old = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            out.push(Problem::at(&p.into, 0, format!("cannot read it: {e}")));
            return None;
        }
        Ok(m) if !m.is_file() => {
            out.push(
                Problem::at(
                    &p.into,
                    0,
                    "it is not a regular file; lore writes only files it generated",
                )
                .help("move it away, or set another `into:` for the import"),
            );
            return None;
        }
        Ok(_) => {
            if let Ok(Ok(t)) = read_capped(&path).map(String::from_utf8) {
                Some(t)
            } else {
                out.push(
                    Problem::at(
                        &p.into,
                        0,
                        "it exists and is not a file lore generated (not UTF-8 text)",
                    )
                    .help("move it away, or set another `into:` for the import"),
                );
                return None;
            }
        }
    };
    let mut before = BTreeMap::new();
    if let Some(text) = &old {
        if !text.starts_with(&header(&p.name)) {
            let whose = if text.starts_with(HEADER_START) {
                "was generated by another import".to_owned()
            } else {
                "was not generated by lore (it has no `# Generated by` header)".to_owned()
            };
            out.push(
                Problem::at(
                    &p.into,
                    1,
                    format!(
                        "import `{}` writes this file, but it {whose}; lore never overwrites it",
                        p.name
                    ),
                )
                .help("move the file away, or set another `into:` for the import"),
            );
            return None;
        }
        before = match loaded_entries(loaded, &p.into, text) {
            Some(found) => found,
            None => yaml::parse(text, Limits::default(), false)
                .documents
                .into_iter()
                .filter_map(|doc| match doc.value {
                    Value::Object(map) => {
                        let id = map.get("id").and_then(Value::as_str)?.to_owned();
                        Some((id, Cow::Owned(map)))
                    }
                    _ => None,
                })
                .collect(),
        };
    }
    let gone: Vec<&String> = before
        .keys()
        .filter(|id| !entries.contains_key(*id))
        .collect();
    let mut pruned = 0;
    if p.prune {
        pruned = gone.len();
        if pruned * 2 > before.len() && !allow_mass_delete {
            out.push(
                Problem::at(
                    &p.into,
                    0,
                    format!(
                        "import `{}` would remove {pruned} of the {} entries this file holds, more than half",
                        p.name,
                        before.len()
                    ),
                )
                .help("check the source (an empty or truncated export?); if the removal is meant, run again with --allow-mass-delete"),
            );
            return None;
        }
    } else {
        for id in gone {
            entries.insert(
                id.clone(),
                Made {
                    line: 0,
                    number: 0,
                    fields: before[id].clone().into_owned(),
                },
            );
        }
    }
    let fields: Vec<&Map<String, Value>> = entries.values().map(|m| &m.fields).collect();
    let new = render(p, &fields);
    Some(Plan {
        pipeline: p.name.clone(),
        into: p.into.clone(),
        old,
        new,
        entries: entries.len(),
        before: before.len(),
        pruned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipeline that only names itself and its type, for rendering.
    fn pipeline() -> Pipeline {
        Pipeline {
            name: "crm".into(),
            from: FromRaw::Csv("a.csv".into()),
            type_name: "Customer".into(),
            into: "catalog/crm.yaml".into(),
            filter: None,
            id: Expr::compile("row.id").unwrap(),
            name_expr: None,
            description: None,
            aliases: Vec::new(),
            fields: Vec::new(),
            prune: true,
            extend: None,
            codeowners: None,
        }
    }

    #[test]
    fn rendered_values_read_back_as_the_same_values() {
        let awkward = serde_json::json!({
            "type": "Customer",
            "id": "no",
            "name": "Quote \" backslash \\ tab \t newline \n bell \u{7} ünïcode \u{2028} 🙂",
            "key with: colon": "on",
            "#hash": "- dash",
            "n": 1e300,
            "m": -0.5,
            "list": ["yes", null, true, {"a": "b"}],
        });
        let Value::Object(map) = awkward.clone() else {
            unreachable!()
        };
        let text = render(&pipeline(), &[&map]);
        assert!(text.starts_with(&header("crm")));
        let parsed = yaml::parse(&text, Limits::default(), false);
        assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
        assert_eq!(parsed.documents[0].value, awkward, "{text}");
        // The envelope leads, in its order.
        let keys: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(&keys[..3], ["type", "id", "name"]);
        assert!(!text.contains('\u{7}'), "control characters are escaped");
    }

    #[test]
    fn a_plain_column_is_read_without_cel_and_the_rest_is_left_to_it() {
        let row = serde_json::json!({"NAME": "Acme", "N": 5, "A_B": ""});
        let text = |src: &str| row_text(&Expr::compile(src).unwrap(), &row);
        assert_eq!(text("row.NAME"), Some("Acme"));
        assert_eq!(text(" row.A_B "), Some(""));
        // Not text, not there, or not just a column: CEL decides (and reports).
        assert_eq!(text("row.N"), None);
        assert_eq!(text("row.MISSING"), None);
        assert_eq!(text("row.NAME.size()"), None);
        assert_eq!(text("row.NAME + 'x'"), None);
        assert_eq!(text("other.NAME"), None);
        assert_eq!(text("row['NAME']"), None);
    }

    proptest::proptest! {
        /// Where the shortcut answers, it answers what CEL does.
        #[test]
        fn the_shortcut_gives_what_cel_gives(
            column in "[A-Za-z_][A-Za-z0-9_]{0,8}",
            value in "\\PC{0,12}",
        ) {
            let row = serde_json::json!({ column.clone(): value });
            let Ok(expr) = Expr::compile(&format!("row.{column}")) else {
                return Ok(()); // a CEL keyword (`row.in`): not an expression at all
            };
            let cel = expr.eval(&[("row", &row)]).unwrap();
            let fast = row_text(&expr, &row).map(|s| Value::String(s.to_owned()));
            proptest::prop_assert_eq!(fast, Some(cel));
        }
    }
}
