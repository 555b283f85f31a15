//! Problems found in a catalog, as plain data.
//!
//! Every check produces [`Diag`]s; renderers (human, json, github, sarif) draw them. A
//! [`Code`] is the stable, documented name of a kind of problem: scripts and CI filter on
//! it, so names never change once released.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::span::FileId;

macro_rules! codes {
    ($($variant:ident => $name:literal, $what:literal;)*) => {
        /// The kind of a problem, rendered as `lore::<name>`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Code { $($variant),* }

        impl Code {
            /// Every code, in declaration order.
            pub(crate) const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable name, e.g. `lore::dangling-ref`.
            pub(crate) fn name(self) -> &'static str {
                match self { $(Code::$variant => concat!("lore::", $name)),* }
            }

            /// One line saying what the code means.
            pub(crate) fn description(self) -> &'static str {
                match self { $(Code::$variant => $what),* }
            }
        }
    };
}

codes! {
    Io => "io", "a file or folder could not be read";
    Symlink => "symlink", "a symbolic link points outside the repository, to nothing, or into a loop, and is skipped";
    Encoding => "encoding", "a file is not valid UTF-8";
    Yaml => "yaml", "a YAML syntax error";
    DuplicateKey => "duplicate-key", "a key appears twice in one YAML mapping";
    YamlLimit => "yaml-limit", "a YAML file exceeds the alias budget or a document the nesting limit";
    EmptyDocument => "empty-document", "a YAML document or file holds nothing";
    NotAMapping => "not-a-mapping", "a document is not a YAML mapping";
    Config => "config", "lore.yaml is invalid";
    Typedef => "typedef", "a type definition file is invalid";
    InvalidSchema => "invalid-schema", "a type's JSON Schema is invalid";
    InvalidRegex => "invalid-regex", "a regular expression does not compile";
    InvalidExpr => "invalid-expr", "a CEL expression or template does not compile";
    MissingType => "missing-type", "an entry has no `type`";
    UnknownType => "unknown-type", "an entry's `type` is not defined in schemas/";
    MissingId => "missing-id", "an entry has no `id`";
    IdPattern => "id-pattern", "an id does not match its type's `id_pattern`";
    Schema => "schema", "an entry violates its type's JSON Schema";
    UnknownField => "unknown-field", "an entry has a field its type does not declare";
    DuplicateId => "duplicate-id", "two entries of one type share an id or alias";
    DanglingRef => "dangling-ref", "a reference names no entry";
    WrongTypeRef => "wrong-type-ref", "a reference names an entry of a type the relation does not allow";
    AmbiguousRef => "ambiguous-ref", "a reference matches entries of several types";
    Cycle => "cycle", "`parent` or `owner` links form a cycle";
    Rule => "rule", "an entry breaks one of its type's rules";
    RuleError => "rule-error", "a rule or note could not be evaluated";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// How bad a problem is: errors fail `validate`; warnings fail it only with `--strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// Where a problem is. Checks that run before spans are known name a JSON pointer into a
/// document; [`crate::graph`] turns those into byte spans before anything is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// No place in a file (e.g. a missing folder).
    None,
    /// A whole file, with no particular place in it.
    File(FileId),
    /// A byte range in a file.
    Span(FileId, Range<usize>),
    /// A node of a document, by JSON pointer; `key` asks for the mapping key rather than the value.
    Pointer {
        file: FileId,
        doc: usize,
        pointer: String,
        key: bool,
    },
}

impl Loc {
    /// The file it is in; None for [`Loc::None`].
    pub(crate) fn file(&self) -> Option<FileId> {
        match self {
            Loc::Span(f, _) | Loc::File(f) | Loc::Pointer { file: f, .. } => Some(*f),
            Loc::None => None,
        }
    }
}

/// A secondary place that explains a problem (the first of two duplicates, say).
#[derive(Clone, Debug)]
pub(crate) struct Related {
    pub(crate) loc: Loc,
    pub(crate) label: String,
}

/// One problem.
#[derive(Clone, Debug)]
pub(crate) struct Diag {
    pub(crate) code: Code,
    pub(crate) severity: Severity,
    /// What is wrong, in one sentence.
    pub(crate) message: String,
    pub(crate) loc: Loc,
    /// A short label drawn under the offending source.
    pub(crate) label: Option<String>,
    /// What to do about it.
    pub(crate) help: Option<String>,
    /// The entry the problem belongs to, as `Type:id`.
    pub(crate) entry: Option<String>,
    pub(crate) related: Vec<Related>,
}

impl Diag {
    pub(crate) fn error(code: Code, message: impl Into<String>, loc: Loc) -> Diag {
        Diag {
            code,
            severity: Severity::Error,
            message: message.into(),
            loc,
            label: None,
            help: None,
            entry: None,
            related: Vec::new(),
        }
    }

    pub(crate) fn warning(code: Code, message: impl Into<String>, loc: Loc) -> Diag {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(code, message, loc)
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Diag {
        self.label = Some(label.into());
        self
    }

    pub(crate) fn with_entry(mut self, entry: impl Into<String>) -> Diag {
        self.entry = Some(entry.into());
        self
    }

    pub(crate) fn with_related(mut self, loc: Loc, label: impl Into<String>) -> Diag {
        self.related.push(Related {
            loc,
            label: label.into(),
        });
        self
    }
}

/// Up to three closest candidates to `wanted`, best first, for "did you mean" help.
pub(crate) fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .filter_map(|c| {
            let score = strsim::jaro_winkler(wanted, c);
            (score >= 0.8).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "did you mean `a`, `b`?" or None.
pub(crate) fn did_you_mean(suggestions: &[&str]) -> Option<String> {
    if suggestions.is_empty() {
        return None;
    }
    let list: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    Some(format!("did you mean {}?", list.join(" or ")))
}

/// The place of the node at `pointer` in document `doc` of `file`, resolved to a span
/// later ([`crate::load`]); `key`: the key of that node rather than its value.
pub(crate) fn at(file: FileId, doc: usize, pointer: &str, key: bool) -> Loc {
    Loc::Pointer {
        file,
        doc,
        pointer: pointer.to_owned(),
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_prefixed() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(code.name().starts_with("lore::"), "{code}");
            assert!(seen.insert(code.name()), "duplicate code {code}");
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn closest_prefers_near_misses() {
        let ids = ["payments-api", "payments-db", "checkout-web", "search"];
        assert_eq!(
            closest("payments-apii", ids.iter().copied()),
            vec!["payments-api", "payments-db"]
        );
        assert!(closest("zzz", ids.iter().copied()).is_empty());
    }
}
