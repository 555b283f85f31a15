//! Drawing problems for people (miette), scripts (JSON), GitHub annotations and SARIF.
//!
//! Every renderer reads the same [`Diag`]s and the same source map, and computes line
//! and column through [`crate::span`], so all formats agree on every position.
//!
//! Every `--format json` document is one serde type whose rustdoc is its contract
//! (the stable JSON contract README documents), with `version` first:
//!
//! | command | document |
//! |---|---|
//! | `validate` | [`diagnostics::ValidateDoc`] |
//! | `owners`, `impact` | [`query::OwnersDoc`], [`query::ImpactDoc`] |
//! | `route` | [`route::RouteDoc`] (its rows: [`query::OwnerJson`], [`query::ImpactedJson`]) |
//! | `show`, `list`, `search`, `graph` | [`browse::ShowDoc`], [`browse::ListDoc`], [`browse::SearchDoc`], [`browse::GraphDoc`] |
//! | `diff`, `stale` | [`changes::DiffDoc`], [`stale::StaleDoc`] |
//! | `report` | [`report::ReportDoc`] |

pub mod browse;
pub mod changes;
pub mod diagnostics;
pub mod editor;
pub mod query;
pub mod report;
pub mod route;
pub mod sarif;
pub mod stale;
pub mod text;

use std::path::{Path, PathBuf};

use crate::diag::{Diag, Loc};
use crate::span::SourceMap;

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labels, for people.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// GitHub Actions workflow commands, which annotate the pull request.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// How paths are shown: relative to the working directory when the catalog is below it.
#[derive(Clone, Debug)]
pub struct Paths {
    prefix: PathBuf,
}

impl Paths {
    pub fn new(root: &Path) -> Paths {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok());
        let prefix = match cwd {
            // Below the working folder: paths from there, as a shell would take them.
            // Inside the catalog: paths from its root, as git shows them.
            Some(cwd) => match root.strip_prefix(&cwd) {
                Ok(rel) => rel.to_path_buf(),
                Err(_) if cwd.starts_with(root) => PathBuf::new(),
                Err(_) => root.to_path_buf(),
            },
            None => root.to_path_buf(),
        };
        Paths { prefix }
    }

    /// Paths exactly as stored (relative to the catalog root).
    pub fn relative() -> Paths {
        Paths {
            prefix: PathBuf::new(),
        }
    }

    pub fn show(&self, sources: &SourceMap, file: crate::span::FileId) -> String {
        crate::fsutil::slashed(&self.prefix.join(sources.path(file)))
    }
}

/// A located position: file, start line:col, end line:col (1-based).
pub struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn position(sources: &SourceMap, paths: &Paths, loc: &Loc) -> Option<Position> {
    match loc {
        Loc::Span(f, span) => {
            let (line, column) = sources.line_col(*f, span.start);
            let (end_line, end_column) = sources.line_col(*f, span.end.max(span.start));
            Some(Position {
                file: paths.show(sources, *f),
                line,
                column,
                end_line,
                end_column,
            })
        }
        Loc::File(f) | Loc::Pointer { file: f, .. } => Some(Position {
            file: paths.show(sources, *f),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        }),
        Loc::None => None,
    }
}

/// `file:line:col` or the empty string.
pub fn where_(sources: &SourceMap, paths: &Paths, d: &Diag) -> String {
    position(sources, paths, &d.loc)
        .map(|p| format!("{}:{}:{}", p.file, p.line, p.column))
        .unwrap_or_default()
}

/// The top-level keys of a document as serialized, in order: what a script sees.
#[cfg(test)]
pub(crate) fn json_keys(doc: &impl serde::Serialize) -> Vec<String> {
    json_text_keys(&serde_json::to_string(doc).expect("serializable"))
}

/// The top-level keys of the JSON object `text`, in order.
#[cfg(test)]
pub(crate) fn json_text_keys(text: &str) -> Vec<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some((k, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                keys.push(k);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(text)
        .deserialize_map(Keys)
        .expect("a JSON object")
}
