//! Every way a command can stop, as one type that knows its exit code (as just's
//! `Error::code()` does): 1 when a question has no answer, 0 when the reader of the
//! output went away, 2 for everything else (bad usage, unreadable config or files,
//! git, internal errors).
//!
//! Each lower module has its own error enum with the message that says what to do;
//! this one gathers them with `#[from]`, so commands use `?` directly. `main` prints
//! `error: {self}` and exits with [`Error::exit_code`].

use std::io;

use crate::query::RefError;
use crate::{alert, history, load, query, render, workspace};

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Workspace(#[from] workspace::Error),
    #[error(transparent)]
    Load(#[from] load::Error),
    /// Loading the catalog as it was at a git revision.
    #[error("at `{rev}`: {source}")]
    LoadAt { rev: String, source: load::Error },
    /// `validate --changed-since REV`: the catalog could not be read at the merge base.
    #[error("at the merge base with `{rev}`: {source}")]
    AtMergeBase { rev: String, source: load::Error },
    #[error(transparent)]
    Git(#[from] history::Error),
    #[error(transparent)]
    Payload(#[from] alert::ReadError),
    #[error(transparent)]
    Source(#[from] alert::SourceError),
    #[error(transparent)]
    RoutingTests(#[from] alert::cases::Error),
    #[error(transparent)]
    EditorSchemas(#[from] render::editor::Error),
    #[error(transparent)]
    Age(#[from] query::stale::BadAge),
    /// A REF that names no entry (exit 1), or several, or a type that does not exist.
    #[error("{}", .error.message(.reference))]
    Ref { reference: String, error: RefError },
    #[error("invalid --where expression `{expression}`: {message}")]
    Filter { expression: String, message: String },
    /// The query found nothing (exit 1); the message says what was asked.
    #[error("{0}")]
    NotFound(String),
    /// Arguments that do not go together, or name nothing usable.
    #[error("{0}")]
    Usage(String),
    /// A file or folder lore needed could not be read or written: "cannot {action}: …".
    #[error("cannot {action}: {source}")]
    Io { action: String, source: io::Error },
    /// A bug in lore, not in the input.
    #[error("internal: {0}; please report this")]
    Internal(String),
    /// Writing the answer failed; a broken pipe (`lore … | head`) exits 0 quietly.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

impl Error {
    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::NotFound(_)
            | Error::Ref {
                error: RefError::Unknown { .. },
                ..
            } => 1,
            _ if self.is_broken_pipe() => 0,
            _ => 2,
        }
    }

    /// A stable name for the kind of error, for `{"error": {"code": …}}` in JSON output.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::Workspace(_) => "no-catalog",
            Error::Load(_) | Error::LoadAt { .. } | Error::AtMergeBase { .. } => "load",
            Error::Git(_) => "git",
            Error::Payload(_) => "payload",
            Error::Source(_) => "source",
            Error::RoutingTests(_) => "routing-tests",
            Error::EditorSchemas(_) => "editor-schemas",
            Error::Age(_) | Error::Usage(_) => "usage",
            Error::Ref { error, .. } => match error {
                RefError::Unknown { .. } => "unknown-ref",
                RefError::Ambiguous { .. } => "ambiguous-ref",
                RefError::UnknownType { .. } => "unknown-type",
            },
            Error::Filter { .. } => "invalid-where",
            Error::NotFound(_) => "not-found",
            Error::Io { .. } => "io",
            Error::Internal(_) => "internal",
            Error::Output(_) => "output",
        }
    }

    /// The reader went away: nothing to say, nothing went wrong.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Arguments that do not go together.
    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// A failed read or write of the file or folder `action` names ("read `x`").
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let action = action.into();
        move |source| Error::Io { action, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        let unknown = Error::Ref {
            reference: "x".into(),
            error: RefError::Unknown {
                suggestions: vec![],
            },
        };
        assert_eq!(unknown.exit_code(), 1);
        let ambiguous = Error::Ref {
            reference: "x".into(),
            error: RefError::Ambiguous {
                candidates: vec!["A:x".into(), "B:x".into()],
            },
        };
        assert_eq!(ambiguous.exit_code(), 2);
        assert_eq!(Error::NotFound("nothing".into()).exit_code(), 1);
        assert_eq!(Error::Usage("no".into()).exit_code(), 2);
        let pipe = Error::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
        assert_eq!(pipe.exit_code(), 0);
        let full = Error::from(io::Error::other("disk full"));
        assert_eq!(full.exit_code(), 2);
        assert_eq!(full.to_string(), "cannot write output: disk full");
        let git = Error::from(history::Error::Bare);
        assert_eq!(git.exit_code(), 2);
        assert_eq!(
            git.to_string(),
            "the git repository is bare; run lore in a clone with a working tree"
        );
    }

    #[test]
    fn a_revision_names_where_loading_failed() {
        let e = Error::LoadAt {
            rev: "v1".into(),
            source: load::Error::NoCatalogFolder {
                folder: "catalog".into(),
            },
        };
        assert_eq!(
            e.to_string(),
            "at `v1`: the catalog folder `catalog` does not exist; create it or fix `catalog:` in lore.yaml"
        );
    }
}
