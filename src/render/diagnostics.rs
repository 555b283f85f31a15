//! `validate`'s report in each format.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use super::{position, sarif, Format, Paths};
use crate::diag::{Code, Diag, Loc, Severity};
use crate::span::SourceMap;

/// What `validate` found.
pub struct Report<'a> {
    pub sources: &'a SourceMap,
    pub problems: &'a [&'a Diag],
    pub entries: usize,
    pub files: usize,
    pub ok: bool,
}

/// Styling of human output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

pub fn render(
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
    source: Option<NamedSource<Arc<str>>>,
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
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
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

fn drawn<'a>(sources: &SourceMap, paths: &Paths, diag: &'a Diag) -> Drawn<'a> {
    let mut d = Drawn {
        diag,
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
        header: diag.message.clone(),
        secondary: false,
    };
    let mut same_file_related = Vec::new();
    let located = match &diag.loc {
        Loc::Span(f, s) => Some((*f, s.clone())),
        Loc::File(f) | Loc::Pointer { file: f, .. } => Some((*f, 0..0)),
        Loc::None => None,
    };
    if let Some((file, span)) = located {
        let text = sources.get(file).text.clone();
        let span = clamp(&text, span);
        d.source = Some(NamedSource::new(paths.show(sources, file), text.clone()));
        d.labels.push(LabeledSpan::new_primary_with_span(
            diag.label.clone(),
            SourceSpan::from(span),
        ));
        for r in &diag.related {
            if let Loc::Span(rf, rs) = &r.loc {
                if *rf == file {
                    same_file_related.push(LabeledSpan::new_with_span(
                        Some(r.label.clone()),
                        SourceSpan::from(clamp(&text, rs.clone())),
                    ));
                    continue;
                }
            }
        }
    }
    d.labels.extend(same_file_related);
    for r in &diag.related {
        let other_file = match (&r.loc, &diag.loc) {
            (Loc::Span(rf, _), Loc::Span(df, _)) => rf != df,
            (Loc::Span(_, _), _) => true,
            _ => false,
        };
        if let (true, Loc::Span(rf, rs)) = (other_file, &r.loc) {
            let text = sources.get(*rf).text.clone();
            d.related.push(Drawn {
                diag,
                source: Some(NamedSource::new(paths.show(sources, *rf), text.clone())),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(r.label.clone()),
                    SourceSpan::from(clamp(&text, rs.clone())),
                )],
                related: Vec::new(),
                secondary: true,
                header: format!(
                    "{} (see {})",
                    r.label,
                    super::position(sources, paths, &r.loc)
                        .map(|p| format!("{}:{}:{}", p.file, p.line, p.column))
                        .unwrap_or_default()
                ),
            });
        }
    }
    d
}

fn clamp(text: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len());
    start..end
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
            s = format!("{}: {}\n", diag.code, diag.message);
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
        "{} entries in {} files: {} error{}, {} warning{}",
        report.entries,
        report.files,
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" }
    );
    if report.ok {
        writeln!(out, "ok: {counts}")
    } else {
        writeln!(out, "invalid: {counts}")
    }
}

/// One problem in `validate --format json` (DESIGN.md §10).
#[derive(Serialize)]
struct JsonProblem<'a> {
    code: Code,
    severity: Severity,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    entry: Option<&'a str>,
    help: Option<&'a str>,
}

/// `validate --format json` (DESIGN.md §10).
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    ok: bool,
    entries: usize,
    files: usize,
    problems: Vec<JsonProblem<'a>>,
}

fn json(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    let problems: Vec<JsonProblem<'_>> = report
        .problems
        .iter()
        .map(|d| {
            let p = position(report.sources, paths, &d.loc);
            JsonProblem {
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
    let doc = JsonReport {
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

fn github(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    for d in report.problems {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        match position(report.sources, paths, &d.loc) {
            Some(p) => writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&p.file),
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
        "lore: {} entries in {} files, {} errors, {} warnings",
        report.entries,
        report.files,
        errors,
        report.problems.len() - errors
    )
}

fn sarif(out: &mut dyn Write, report: &Report<'_>, paths: &Paths) -> io::Result<()> {
    let mut used: Vec<Code> = report.problems.iter().map(|d| d.code).collect();
    used.sort();
    used.dedup();
    let rules = used
        .iter()
        .map(|c| sarif::Rule {
            id: c.name(),
            short_description: sarif::Message {
                text: c.description().to_owned(),
            },
        })
        .collect();
    let results = report
        .problems
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let locations = position(report.sources, paths, &d.loc)
                .map(|p| sarif::Location {
                    physical_location: sarif::PhysicalLocation {
                        artifact_location: sarif::ArtifactLocation { uri: p.file },
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
                    information_uri: "https://github.com/lore-catalog/lore",
                    rules,
                },
            },
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
