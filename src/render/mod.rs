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

pub(crate) mod browse;
pub(crate) mod cases;
pub(crate) mod changes;
pub(crate) mod diagnostics;
pub(crate) mod editor;
pub(crate) mod export;
pub(crate) mod query;
pub(crate) mod report;
pub(crate) mod route;
pub(crate) mod sarif;
pub(crate) mod stale;
pub(crate) mod text;

use std::path::{Path, PathBuf};

use crate::diag::Loc;
use crate::span::SourceMap;

/// How paths are shown: relative to the working directory when the catalog is below it.
#[derive(Clone, Debug)]
pub(crate) struct Paths {
    prefix: PathBuf,
}

impl Paths {
    pub(crate) fn new(root: &Path) -> Paths {
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

    /// Paths from a folder `prefix` above the catalog root, e.g. the git repository's
    /// root when the catalog is in a subfolder (SARIF's URIs are relative to it).
    pub(crate) fn under(prefix: PathBuf) -> Paths {
        Paths { prefix }
    }

    /// Paths exactly as stored (relative to the catalog root).
    #[cfg(test)]
    pub(crate) fn relative() -> Paths {
        Paths {
            prefix: PathBuf::new(),
        }
    }

    pub(crate) fn show(&self, sources: &SourceMap, file: crate::span::FileId) -> String {
        crate::fsutil::slashed(&self.prefix.join(sources.path(file)))
    }
}

/// What `--format json` writes on stdout when a command stops with an error (exit 1 or
/// 2): `{"version":1,"error":{"code":"usage","message":"…"}}`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ErrorDoc<'a> {
    pub(crate) version: u32,
    pub(crate) error: ErrorJson<'a>,
}

/// The error itself: a stable `code` (`usage`, `load`, `no-catalog`, `unknown-ref`, …)
/// and the message a person would read.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ErrorJson<'a> {
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
}

/// A located position: file, start line:col, end line:col (1-based).
pub(crate) struct Position {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) end_line: usize,
    pub(crate) end_column: usize,
}

pub(crate) fn position(sources: &SourceMap, paths: &Paths, loc: &Loc) -> Option<Position> {
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
