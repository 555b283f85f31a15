//! `validate`'s report in each format.

use std::fmt;
use std::io::{self, Write};
use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use super::{position, sarif, Paths};
use crate::cli::Format;
use crate::diag::{Code, Diag, Loc, Severity};
use crate::span::{ceil_char_boundary, floor_char_boundary, FileId, SourceFile, SourceMap};
use crate::term::{clip, count, escape, Style};

/// What `validate` found.
pub(crate) struct Report<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) problems: &'a [&'a Diag],
    pub(crate) entries: usize,
    pub(crate) files: usize,
    pub(crate) ok: bool,
}

pub(crate) fn render(
    out: &mut dyn Write,
    report: &Report<'_>,
    paths: &Paths,
    format: Format,
    style: Style,
) -> io::Result<()> {
    match format {
        Format::Human => human(out, report, paths, style),
        Format::Json => json(out, report, paths),
        Format::Github => github(out, report, paths),
        Format::Sarif => sarif(out, report, paths),
    }
}

/// A `Diag` with what miette needs to draw it.
struct Drawn<'a> {
    diag: &'a Diag,
    source: Option<Excerpt<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Drawn<'a>>,
    header: String,
    /// A secondary place: drawn without code, help or severity of its own.
    secondary: bool,
}

impl fmt::Debug for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl std::error::Error for Drawn<'_> {}

impl miette::Diagnostic for Drawn<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.secondary {
            return None;
        }
        Some(Box::new(self.diag.code.name()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        if self.secondary {
            return Some(miette::Severity::Advice);
        }
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.secondary {
            return None;
        }
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(shown(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Most characters of a message, label or help drawn for people: a message that quotes a
/// megabyte value must not print it (`--format json` keeps the whole message).
const MAX_TEXT_CHARS: usize = 1_000;

/// Text of a problem as drawn: bounded, with control characters escaped.
fn shown(text: &str) -> String {
    escape(&clip(text, MAX_TEXT_CHARS)).into_owned()
}

/// Bytes of source shown before the first and after the last label of a snippet.
const CONTEXT_BYTES: usize = 200;
/// Most bytes of a label on one line, and of a label over several lines.
const MAX_LABEL_BYTES: usize = 200;
const MAX_SPAN_BYTES: usize = 2_000;
/// Labels in one file further apart than this are drawn as separate snippets.
const MAX_GROUP_BYTES: usize = 4_000;

/// The part of a file miette is shown for one snippet: the lines around its labels, cut to
/// a bounded number of bytes (`…` marks a cut), with every control character escaped
/// (`\u{1b}`), so that what reaches the terminal is bounded and inert however long or
/// hostile the line. Line numbers and the `file:line:col` header still come from the
/// whole file, through the source map.
struct Excerpt<'a> {
    name: String,
    file: &'a SourceFile,
    text: String,
    /// For each byte of `text` (and one past its end), the offset in the file it shows.
    origin: Vec<usize>,
}

impl Excerpt<'_> {
    /// The excerpt's range for a range of the file (which must lie inside the excerpt).
    fn range(&self, span: &Range<usize>) -> Range<usize> {
        let at = |o: usize| self.origin.partition_point(|&x| x < o);
        let start = at(span.start);
        start..at(span.end).max(start)
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let at = self.origin[inner.span().offset().min(self.text.len())];
        let (line, column) = self.file.line_col(at);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line - 1,
            column - 1,
            inner.line_count(),
        )))
    }
}

/// `span` inside `text`, on character boundaries, at most [`MAX_LABEL_BYTES`] wide on one
/// line and [`MAX_SPAN_BYTES`] over several.
fn clip_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start);
    let mut end = span
        .end
        .clamp(start, text.len())
        .min(start + MAX_SPAN_BYTES);
    if !text.as_bytes()[start..end].contains(&b'\n') {
        end = end.min(start + MAX_LABEL_BYTES);
    }
    start..ceil_char_boundary(text, end)
}

/// The excerpt of `file` that shows `spans` (clipped already) with a line of context on
/// each side, at most [`CONTEXT_BYTES`] beyond them.
fn excerpt<'a>(
    sources: &'a SourceMap,
    paths: &Paths,
    file: FileId,
    spans: &[Range<usize>],
) -> Excerpt<'a> {
    let source = sources.get(file);
    let text = &**source.text();
    let lines = source.lines();
    let first = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.end).max().unwrap_or(0);
    let context_start = lines
        .line_range(text, lines.line(first).saturating_sub(1).max(1))
        .start;
    let last_line = lines.line(last.saturating_sub(1).max(first));
    let after = lines.line_range(text, last_line + 1);
    // Through the line break that ends the context line, as miette reads it.
    let context_end = ceil_char_boundary(text, after.end + 1).max(last);
    let lo =
        ceil_char_boundary(text, context_start.max(first.saturating_sub(CONTEXT_BYTES))).min(first);
    let hi = floor_char_boundary(text, context_end.min(last + CONTEXT_BYTES)).max(last);
    let mut out = Excerpt {
        name: escape(&paths.show(sources, file)).into_owned(),
        file: source,
        text: String::with_capacity(hi - lo + 8),
        origin: Vec::with_capacity(hi - lo + 8),
    };
    fn push(out: &mut Excerpt<'_>, s: &str, origin: usize) {
        out.text.push_str(s);
        out.origin.extend(std::iter::repeat_n(origin, s.len()));
    }
    if lo > lines.line_range(text, lines.line(lo)).start {
        push(&mut out, "…", lo - 1);
    }
    let mut chars = text[lo..hi].char_indices().peekable();
    let mut buf = [0; 4];
    while let Some((i, ch)) = chars.next() {
        let at = lo + i;
        let keep = match ch {
            '\n' | '\t' => true,
            '\r' => chars.peek().is_some_and(|&(_, next)| next == '\n'),
            _ => false,
        };
        let shown = ch.encode_utf8(&mut buf);
        if keep {
            push(&mut out, shown, at);
        } else {
            let escaped = escape(shown);
            out.text.push_str(&escaped);
            if escaped.len() == shown.len() {
                out.origin.extend(at..at + shown.len());
            } else {
                out.origin.extend(std::iter::repeat_n(at, escaped.len()));
            }
        }
    }
    if !text[..hi].ends_with('\n') && hi < lines.line_range(text, lines.line(hi)).end {
        push(&mut out, "…", hi);
    }
    out.origin.push(hi);
    out
}

/// Where a problem or a related place is drawn: its file and clipped span.
fn located(sources: &SourceMap, loc: &Loc) -> Option<(FileId, Range<usize>)> {
    match loc {
        Loc::Span(f, s) => Some((*f, clip_span(sources.get(*f).text(), s.clone()))),
        Loc::File(f) | Loc::Pointer { file: f, .. } => Some((*f, 0..0)),
        Loc::None => None,
    }
}

fn drawn<'a>(sources: &'a SourceMap, paths: &Paths, diag: &'a Diag) -> Drawn<'a> {
    let mut d = Drawn {
        diag,
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
        header: shown(&diag.message),
        secondary: false,
    };
    let label = |text: &str| Some(shown(text));
    let mut apart = Vec::new();
    if let Some((file, span)) = located(sources, &diag.loc) {
        // Related places in the same file and near enough share the snippet.
        let mut spans = vec![span];
        let mut near = Vec::new();
        for r in &diag.related {
            match located(sources, &r.loc) {
                Some((rf, rs)) if rf == file && matches!(r.loc, Loc::Span(..)) => {
                    let lo = spans
                        .iter()
                        .map(|s| s.start)
                        .min()
                        .unwrap_or(0)
                        .min(rs.start);
                    let hi = spans.iter().map(|s| s.end).max().unwrap_or(0).max(rs.end);
                    if hi - lo <= MAX_GROUP_BYTES {
                        spans.push(rs);
                        near.push(r);
                    } else {
                        apart.push(r);
                    }
                }
                Some(_) if matches!(r.loc, Loc::Span(..)) => apart.push(r),
                _ => {}
            }
        }
        let source = excerpt(sources, paths, file, &spans);
        d.labels.push(LabeledSpan::new_primary_with_span(
            diag.label.as_deref().and_then(label),
            SourceSpan::from(source.range(&spans[0])),
        ));
        for (r, rs) in near.iter().zip(&spans[1..]) {
            d.labels.push(LabeledSpan::new_with_span(
                label(&r.label),
                SourceSpan::from(source.range(rs)),
            ));
        }
        d.source = Some(source);
    } else {
        apart.extend(
            diag.related
                .iter()
                .filter(|r| matches!(r.loc, Loc::Span(..))),
        );
    }
    for r in apart {
        let Some((rf, rs)) = located(sources, &r.loc) else {
            continue;
        };
        let source = excerpt(sources, paths, rf, std::slice::from_ref(&rs));
        let at = position(sources, paths, &r.loc)
            .map(|p| format!("{}:{}:{}", p.file, p.line, p.column))
            .unwrap_or_default();
        d.related.push(Drawn {
            diag,
            labels: vec![LabeledSpan::new_primary_with_span(
                label(&r.label),
                SourceSpan::from(source.range(&rs)),
            )],
            source: Some(source),
            related: Vec::new(),
            secondary: true,
            header: format!("{} (see {})", shown(&r.label), escape(&at)),
        });
    }
    d
}

fn human(out: &mut dyn Write, report: &Report<'_>, paths: &Paths, style: Style) -> io::Result<()> {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_show_related_as_nested(true);
    for diag in report.problems {
        let d = drawn(report.sources, paths, diag);
        let mut s = String::new();
        if handler.render_report(&mut s, &d).is_err() {
            s = format!("{}: {}\n", diag.code, shown(&diag.message));
        }
        out.write_all(s.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let errors = report
        .problems
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = report.problems.len() - errors;
    let counts = format!(
        "{} in {}: {}, {}",
        count(report.entries, "entry", "entries"),
        count(report.files, "file", "files"),
        count(errors, "error", "errors"),
        count(warnings, "warning", "warnings")
    );
    if report.ok {
        writeln!(out, "ok: {counts}")
    } else {
        writeln!(out, "invalid: {counts}")
    }
}

/// One problem in `validate --format json`.
#[derive(Serialize)]
pub(crate) struct ProblemJson<'a> {
    /// The stable code, such as `lore::dangling-ref` (README's table lists them all).
    pub(crate) code: Code,
    /// `error` or `warning`.
    pub(crate) severity: Severity,
    /// What is wrong, in full (human output shortens it).
    pub(crate) message: &'a str,
    /// The file, as the other formats show it; `null` for a problem of no file.
    pub(crate) file: Option<String>,
    /// 1-based line of the start; `null` with no file.
    pub(crate) line: Option<usize>,
    /// 1-based column (in characters) of the start; `null` with no file.
    pub(crate) column: Option<usize>,
    /// 1-based line of the end; `null` with no file.
    pub(crate) end_line: Option<usize>,
    /// 1-based column of the end; `null` with no file.
    pub(crate) end_column: Option<usize>,
    /// The entry the problem is in, `Type:id`; `null` when it is in none.
    pub(crate) entry: Option<&'a str>,
    /// What to do about it; `null` when there is nothing to add.
    pub(crate) help: Option<&'a str>,
}

/// `validate --format json`.
#[derive(Serialize)]
pub(crate) struct ValidateDoc<'a> {
    /// Always 1.
    pub(crate) version: u32,
    /// `true` when the problems reported hold no error (and no warning with `--strict`).
    pub(crate) ok: bool,
    /// Entries loaded.
    pub(crate) entries: usize,
    /// Files read.
    pub(crate) files: usize,
    /// The problems reported (those in the PATHs given, or of the change with
    /// `--changed-since`), by file and position; problems of no file first.
    pub(crate) problems: Vec<ProblemJson<'a>>,
}

fn json(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    let problems: Vec<ProblemJson<'_>> = report
        .problems
        .iter()
        .map(|d| {
            let p = position(report.sources, paths, &d.loc);
            ProblemJson {
                code: d.code,
                severity: d.severity,
                message: &d.message,
                file: p.as_ref().map(|p| p.file.clone()),
                line: p.as_ref().map(|p| p.line),
                column: p.as_ref().map(|p| p.column),
                end_line: p.as_ref().map(|p| p.end_line),
                end_column: p.as_ref().map(|p| p.end_column),
                entry: d.entry.as_deref(),
                help: d.help.as_deref(),
            }
        })
        .collect();
    let doc = ValidateDoc {
        version: 1,
        ok: report.ok,
        entries: report.entries,
        files: report.files,
        problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` workflow command for an error that stopped lore (bad usage, an
/// unreadable lore.yaml…), so a failing step says why on the run's summary page too.
pub(crate) fn github_error(title: &str, message: &str) -> String {
    format!(
        "::error title={}::{}",
        escape_property(title),
        escape_data(&escape(message))
    )
}

fn github(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    for d in report.problems {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Escaped for the terminal first (a raw ESC would reach the log viewer and any
        // terminal it is printed on), then for the workflow command.
        let mut message = escape(&d.message).into_owned();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&escape(help));
        }
        match position(report.sources, paths, &d.loc) {
            Some(p) => writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&escape(&p.file)),
                p.line,
                p.column,
                p.end_line,
                p.end_column,
                escape_property(d.code.name()),
                escape_data(&message)
            )?,
            None => writeln!(
                out,
                "::{level} title={}::{}",
                escape_property(d.code.name()),
                escape_data(&message)
            )?,
        }
    }
    let errors = report
        .problems
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    writeln!(
        out,
        "lore: {} in {}, {}, {}",
        count(report.entries, "entry", "entries"),
        count(report.files, "file", "files"),
        count(errors, "error", "errors"),
        count(report.problems.len() - errors, "warning", "warnings")
    )
}

/// What to do about a problem of each code: the rule's help in SARIF.
fn advice(code: Code) -> &'static str {
    match code {
        Code::Io => "Check that the file exists and is readable by the user running lore.",
        Code::Symlink => "Point the link at a file inside the repository, or remove it.",
        Code::Encoding => "Save the file as UTF-8.",
        Code::Yaml => "Fix the YAML syntax at the place shown; the message says what the parser expected.",
        Code::DuplicateKey => "Keep one of the two keys: YAML mappings hold each key once.",
        Code::YamlLimit => "Use fewer aliases or less nesting; split the document if it is that large.",
        Code::EmptyDocument => "Remove the empty document (a stray `---`) or the empty file.",
        Code::NotAMapping => "Write the entry as a mapping of fields (`type:`, `id:`, ...).",
        Code::Config => "Fix lore.yaml at the place shown; `lore schema` gives editors its schema.",
        Code::Typedef => "Fix the type definition at the place shown.",
        Code::InvalidSchema => "Fix the type's `schema:`; it must be valid JSON Schema 2020-12.",
        Code::InvalidRegex => "Fix the regular expression; lore's patterns run in linear time, without look-around or back-references.",
        Code::InvalidExpr => "Fix the CEL expression or `{{ }}` template at the place shown.",
        Code::MissingType => "Add `type:` with one of the types defined in schemas/.",
        Code::UnknownType => "Use a type defined in schemas/, or add a type definition for it.",
        Code::MissingId => "Add an `id:` to the entry.",
        Code::IdPattern => "Rename the id to match the type's `id_pattern`.",
        Code::Schema => "Change the value so that it satisfies the type's schema.",
        Code::UnknownField => "Remove the field, fix its spelling, or declare it in the type's schema.",
        Code::DuplicateId => "Rename one of the entries, or merge them: ids and aliases are unique within a type.",
        Code::DanglingRef => "Fix the reference, or add the entry it names.",
        Code::WrongTypeRef => "Name an entry of a type the relation's `to` allows, or write `Type:id`.",
        Code::AmbiguousRef => "Write the reference as `Type:id`.",
        Code::Cycle => "Break the cycle: an entry cannot own or contain itself through other entries.",
        Code::Rule => "Change the entry so that the type's rule holds; the message says what it asks.",
        Code::RuleError => "Fix the rule so that it can be evaluated for this entry (for example, test a field with `has()` first).",
    }
}

/// The level a code is reported at when nothing else decides.
fn default_level(code: Code) -> &'static str {
    match code {
        Code::Symlink | Code::EmptyDocument => "warning",
        _ => "error",
    }
}

/// Where README documents each code: `{repository}#lore-<code>`.
pub(crate) fn help_uri(code: Code) -> String {
    let name = code.name().trim_start_matches("lore::");
    format!("{}#lore-{name}", env!("CARGO_PKG_REPOSITORY"))
}

fn sarif(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    let mut used: Vec<Code> = report.problems.iter().map(|d| d.code).collect();
    used.sort();
    used.dedup();
    let rules = used
        .iter()
        .map(|&c| sarif::Rule {
            id: c.name(),
            short_description: sarif::Message {
                text: c.description().to_owned(),
            },
            full_description: sarif::Message {
                text: format!("{}. {}", c.description(), advice(c)),
            },
            help: sarif::Help {
                text: format!("{}: {}. {}", c.name(), c.description(), advice(c)),
                markdown: format!(
                    "**`{}`**: {}.\n\n{}\n\n[All problem codes]({})",
                    c.name(),
                    c.description(),
                    advice(c),
                    help_uri(c)
                ),
            },
            help_uri: help_uri(c),
            default_configuration: sarif::Configuration {
                level: default_level(c),
            },
        })
        .collect();
    // The same problem twice in one file (same code, entry and message) gets a count, so
    // each fingerprint names one result.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let results = report
        .problems
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let position = position(report.sources, paths, &d.loc);
            let file = position.as_ref().map_or("", |p| p.file.as_str());
            let entry = d.entry.as_deref().unwrap_or("");
            let base = sarif::fingerprint(&[d.code.name(), file, entry, &d.message]);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let fingerprint = format!("{base}:{n}");
            let locations = position
                .map(|p| sarif::Location {
                    physical_location: sarif::PhysicalLocation {
                        artifact_location: sarif::ArtifactLocation {
                            uri: sarif::uri(&p.file),
                        },
                        region: sarif::Region {
                            start_line: p.line,
                            start_column: p.column,
                            end_line: p.end_line,
                            end_column: p.end_column,
                        },
                    },
                })
                .into_iter()
                .collect();
            sarif::ResultItem {
                rule_id: d.code.name(),
                rule_index: used.iter().position(|c| *c == d.code).unwrap_or(0),
                level: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: sarif::Message { text },
                locations,
                partial_fingerprints: [("lore/v1", fingerprint)].into_iter().collect(),
            }
        })
        .collect();
    let doc = sarif::Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![sarif::Run {
            tool: sarif::Tool {
                driver: sarif::Driver {
                    name: "lore",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    fn render_one(text: &str, diags: &[Diag], format: Format) -> String {
        let mut sources = SourceMap::default();
        sources.add(PathBuf::from("catalog/x.yaml"), Arc::from(text));
        let problems: Vec<&Diag> = diags.iter().collect();
        let report = Report {
            sources: &sources,
            problems: &problems,
            entries: 1,
            files: 1,
            ok: false,
        };
        let style = Style {
            color: false,
            width: 100,
        };
        let mut out = Vec::new();
        render(&mut out, &report, &Paths::relative(), format, style).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn at(span: Range<usize>) -> Loc {
        Loc::Span(FileId(0), span)
    }

    #[test]
    fn json_is_one_validate_document_with_located_problems() {
        let d = Diag::error(Code::DanglingRef, "no entry has the id `x`", at(13..14));
        let text = render_one("id: a\nowner: x\n", &[d], Format::Json);
        assert_eq!(
            crate::render::json_text_keys(&text),
            ["version", "ok", "entries", "files", "problems"]
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = v["problems"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = [
            "code",
            "severity",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "entry",
            "help",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(v["problems"][0]["code"], "lore::dangling-ref");
    }
    #[test]
    fn short_lines_render_as_miette_draws_the_whole_file() {
        // ASCII: miette counts the header's column in bytes, lore (and JSON) in characters.
        let text = "type: Service\nid: a\nowner: [x, u, y]\ntier: 3\n";
        let y = text.find("y]").unwrap();
        let d = Diag::error(Code::DanglingRef, "no `y`", at(y..y + 1))
            .with_label("not found")
            .with_related(at(6..13), "the type");
        let ours = render_one(text, std::slice::from_ref(&d), Format::Human);

        // The same problem drawn from the whole file, as miette does by itself.
        let whole = miette::MietteDiagnostic::new("no `y`")
            .with_code("lore::dangling-ref")
            .with_labels([
                LabeledSpan::new_primary_with_span(Some("not found".into()), y..y + 1),
                LabeledSpan::new_with_span(Some("the type".into()), 6..13),
            ]);
        let whole = miette::Report::new(whole)
            .with_source_code(miette::NamedSource::new("catalog/x.yaml", text.to_owned()));
        let mut expected = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false)
            .render_report(&mut expected, whole.as_ref())
            .unwrap();
        assert!(ours.starts_with(&expected), "{ours}\n---\n{expected}");
    }

    #[test]
    fn a_long_line_is_cut_around_each_label() {
        // A 1 MB line with a problem at its end, and a key wider than miette can draw.
        let mut text = String::from("type: Team\nid: t\n");
        let line = text.len();
        text.push_str(&"ü".repeat(500_000));
        text.push_str(": 1\nnext: 2\n");
        let end = text.find(": 1").unwrap();
        let diags = [
            Diag::error(Code::UnknownField, "unknown field", at(line..end)),
            Diag::error(Code::Schema, "bad value", at(end + 2..end + 3)).with_label("here"),
        ];
        let out = render_one(&text, &diags, Format::Human);
        assert!(out.len() < 6_000, "{} bytes", out.len());
        assert!(out.contains("[catalog/x.yaml:3:1]"), "{out}");
        assert!(out.contains("[catalog/x.yaml:3:500003]"), "{out}");
        assert!(out.contains(" 3 │ …üü"), "{out}");
        assert!(out.contains("üü…\n"), "{out}");
        assert!(out.contains(" 4 │ next: 2"), "{out}");
        // Positions in the machine formats stay exact.
        let json = render_one(&text, &diags, Format::Json);
        assert!(json.contains("\"column\": 500003"), "{json}");
        assert!(json.contains("\"end_column\": 500001"), "{json}");
    }

    #[test]
    fn far_apart_labels_in_one_file_are_separate_snippets() {
        let mut text = String::from("a: 1\n");
        text.push_str(&"x: 0\n".repeat(5_000));
        text.push_str("a: 2\n");
        let second = text.rfind("a: 2").unwrap();
        let d = Diag::error(
            Code::DuplicateKey,
            "duplicate key `a`",
            at(second..second + 1),
        )
        .with_label("second occurrence")
        .with_related(at(0..1), "first occurrence");
        let out = render_one(&text, &[d], Format::Human);
        assert!(out.len() < 3_000, "{out}");
        assert!(out.contains("5002 │ a: 2"), "{out}");
        assert!(
            out.contains("first occurrence (see catalog/x.yaml:1:1)"),
            "{out}"
        );
        assert!(out.contains(" 1 │ a: 1"), "{out}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let key = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
        let text = format!("id: t\n{key}: 1\r\nlone\rcr: 2\n");
        let start = text.find(key).unwrap();
        let d = Diag::error(
            Code::UnknownField,
            format!("unknown field `{key}`"),
            at(start..start + key.len()),
        )
        .with_label(key)
        .with_help(format!("remove `{key}`"));
        let human = render_one(&text, std::slice::from_ref(&d), Format::Human);
        let github = render_one(&text, std::slice::from_ref(&d), Format::Github);
        for out in [&human, &github] {
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        }
        let escaped = r"\u{1b}]0;pwned\u{7}\u{1b}[2J";
        assert!(human.contains(&format!(" 2 │ {escaped}: 1\n")), "{human}");
        assert!(human.contains(r"lone\rcr: 2"), "{human}");
        // The label underlines the escaped key, all of it.
        let under = format!("   · {}", "─".repeat(escaped.chars().count() / 2));
        assert!(human.contains(&under), "{human}");
        assert!(human.contains("[catalog/x.yaml:2:1]"), "{human}");
        assert!(
            github.contains(&format!("unknown field `{escaped}`")),
            "{github}"
        );
    }
}
