//! Checking one entry file: decode, parse, and check each entry against its type
//! (envelope, id pattern, JSON Schema, rules).
//!
//! Input: a file's bytes and the compiled types. Output: its entries and problems. Files
//! are independent, so [`crate::load`] runs this in parallel.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::diag::{at, closest, did_you_mean, Code, Diag, Loc, Severity};
use crate::expr::Scope;
use crate::model::entry::{self_value, Entry};
use crate::model::{RuleSeverity, TypeDef, TypeId};
use crate::schema;
use crate::span::FileId;
use crate::yaml::{self, Limits, YamlErrorKind};

pub(crate) struct CheckContext<'a> {
    pub(crate) types: &'a [TypeDef],
    pub(crate) validators: &'a [Option<jsonschema::Validator>],
    pub(crate) type_by_name: &'a HashMap<String, TypeId>,
}

pub(crate) struct FileResult {
    pub(crate) file: FileId,
    pub(crate) text: Arc<str>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) problems: Vec<Diag>,
}

pub(crate) fn decode(bytes: Vec<u8>) -> (Arc<str>, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(s) => (Arc::from(s), None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (
                Arc::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                Some(at),
            )
        }
    }
}

pub(crate) fn encoding_diag(file: FileId, at: usize) -> Diag {
    Diag::error(
        Code::Encoding,
        "this file is not valid UTF-8",
        Loc::Span(file, at..at + 1),
    )
    .with_label("invalid byte")
    .with_help("save the file as UTF-8")
}

/// Parse and turn YAML errors into problems.
pub(crate) fn parse_reporting(
    file: FileId,
    text: &str,
    limits: Limits,
    with_spans: bool,
    out: &mut Vec<Diag>,
) -> Vec<yaml::Document> {
    let parsed = yaml::parse(text, limits, with_spans);
    for e in parsed.errors {
        out.push(yaml_diag(file, e));
    }
    parsed.documents
}

fn yaml_diag(file: FileId, e: yaml::YamlError) -> Diag {
    let loc = Loc::Span(file, e.span);
    match e.kind {
        YamlErrorKind::Syntax => {
            Diag::error(Code::Yaml, e.message, loc).with_help("fix the YAML syntax at this place")
        }
        YamlErrorKind::DuplicateKey => {
            let d = Diag::error(Code::DuplicateKey, e.message, loc).with_label("second occurrence");
            match e.related {
                Some(first) => d.with_related(Loc::Span(file, first), "first occurrence"),
                None => d,
            }
        }
        YamlErrorKind::AliasLimit | YamlErrorKind::DepthLimit => {
            Diag::error(Code::YamlLimit, e.message, loc)
        }
        YamlErrorKind::UnsupportedKey => {
            Diag::error(Code::Yaml, e.message, loc).with_help("keys must be plain strings")
        }
        YamlErrorKind::EmptyDocument => Diag::warning(Code::EmptyDocument, e.message, loc)
            .with_help("remove the empty document (often a stray `---`)"),
    }
}

/// Documents in one file above which [`check_text`] checks them in parallel.
const PARALLEL_DOCS: usize = 2048;

/// Parse and check the entries of one file's text (`bad`: where it stops being UTF-8).
pub(crate) fn check_text(
    file: FileId,
    text: Arc<str>,
    bad: Option<usize>,
    limits: Limits,
    ctx: &CheckContext<'_>,
) -> FileResult {
    let mut problems = Vec::new();
    if let Some(at) = bad {
        problems.push(encoding_diag(file, at));
        return FileResult {
            file,
            text,
            entries: Vec::new(),
            problems,
        };
    }
    let docs = parse_reporting(file, &text, limits, false, &mut problems);
    let one = |(doc_index, doc): (usize, yaml::Document)| {
        let mut found = Vec::new();
        // A null document is reported as an empty document.
        let entry = (!doc.value.is_null())
            .then(|| check_entry(file, doc_index, doc, ctx, &mut found))
            .flatten();
        (entry, found)
    };
    // One file of many entries (an import's output) is checked on every core; the
    // results keep document order either way.
    let checked: Vec<(Option<Entry>, Vec<Diag>)> = if docs.len() >= PARALLEL_DOCS {
        use rayon::prelude::*;
        docs.into_par_iter().enumerate().map(one).collect()
    } else {
        docs.into_iter().enumerate().map(one).collect()
    };
    let mut entries = Vec::with_capacity(checked.len());
    for (entry, mut found) in checked {
        entries.extend(entry);
        problems.append(&mut found);
    }
    FileResult {
        file,
        text,
        entries,
        problems,
    }
}

fn check_entry(
    file: FileId,
    doc: usize,
    d: yaml::Document,
    ctx: &CheckContext<'_>,
    out: &mut Vec<Diag>,
) -> Option<Entry> {
    let value = d.value;
    let Some(map) = value.as_object() else {
        out.push(
            Diag::error(
                Code::NotAMapping,
                format!(
                    "an entry must be a mapping, but this document is {}",
                    kind_of(&value)
                ),
                Loc::Span(file, d.span.clone()),
            )
            .with_help("write the entry as `type: ...`, `id: ...` and its fields"),
        );
        return None;
    };
    let type_name = match map.get("type") {
        Some(Value::String(t)) => t,
        Some(_) => {
            out.push(Diag::error(
                Code::MissingType,
                "`type` must be the name of a type, as a string",
                at(file, doc, "/type", false),
            ));
            return None;
        }
        None => {
            let names: Vec<&str> = ctx.types.iter().map(|t| t.name.as_str()).collect();
            out.push(
                Diag::error(
                    Code::MissingType,
                    "this entry has no `type`",
                    Loc::Span(file, d.span.start..d.span.start),
                )
                .with_help(format!("add `type:` with one of: {}", names.join(", "))),
            );
            return None;
        }
    };
    let Some(&type_id) = ctx.type_by_name.get(type_name) else {
        let names: Vec<&str> = ctx.types.iter().map(|t| t.name.as_str()).collect();
        out.push(
            Diag::error(
                Code::UnknownType,
                format!("unknown type `{type_name}`"),
                at(file, doc, "/type", false),
            )
            .with_help(
                did_you_mean(&closest(type_name, names.iter().copied())).unwrap_or_else(|| {
                    format!(
                        "define it in a file under schemas/, or use one of: {}",
                        names.join(", ")
                    )
                }),
            ),
        );
        return None;
    };
    let t = &ctx.types[type_id.index()];
    let id = match map.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => {
            out.push(
                Diag::error(
                    Code::MissingId,
                    "`id` must be a non-empty string",
                    at(file, doc, "/id", false),
                )
                .with_help("quote the id if it looks like a number: `id: \"123\"`"),
            );
            return None;
        }
        None => {
            out.push(
                Diag::error(
                    Code::MissingId,
                    format!("this {type_name} has no `id`"),
                    at(file, doc, "/type", true),
                )
                .with_help("add `id:` with a name unique among the entries of this type"),
            );
            return None;
        }
    };
    let key = format!("{type_name}:{id}");
    let pattern_ok = match &t.id_pattern {
        Some(re) => re.is_match(&id),
        None => default_id_pattern(&id),
    };
    if !pattern_ok {
        let pattern = t
            .id_pattern
            .as_ref()
            .map_or("^[A-Za-z0-9][A-Za-z0-9._-]*$", |r| r.as_str());
        out.push(
            Diag::error(
                Code::IdPattern,
                format!("id `{id}` does not match the pattern `{pattern}` of {type_name}"),
                at(file, doc, "/id", false),
            )
            .with_entry(key.clone())
            .with_help("rename the entry; keep the old name in `aliases` so alerts still find it"),
        );
    }
    if let Some(Some(validator)) = ctx.validators.get(type_id.index()) {
        if !validator.is_valid(&value) {
            let fields = t.fields();
            for v in schema::violations(validator, &value, &fields, false) {
                let code = if v.unknown_field {
                    Code::UnknownField
                } else {
                    Code::Schema
                };
                let message = if v.unknown_field {
                    format!("{} for {type_name}", v.message)
                } else {
                    v.message
                };
                let mut diag = Diag::error(code, message, at(file, doc, &v.pointer, v.key))
                    .with_entry(key.clone());
                if let Some(help) = v.help {
                    diag = diag.with_help(help);
                }
                out.push(diag);
            }
        }
    }
    if !t.rules.is_empty() || !t.notes.is_empty() {
        check_rules(t, &id, &value, at(file, doc, "/id", false), &key, out);
    }
    Some(Entry {
        type_id,
        id,
        value,
        file,
        doc,
        span: d.span,
    })
}

fn default_id_pattern(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn check_rules(t: &TypeDef, id: &str, value: &Value, loc: Loc, key: &str, out: &mut Vec<Diag>) {
    let this = self_value(id, value);
    let scope = Scope::new(&[("self", &*this)]);
    for rule in &t.rules {
        let severity = match rule.severity {
            RuleSeverity::Error => Severity::Error,
            RuleSeverity::Warning => Severity::Warning,
        };
        let applies = match &rule.when {
            None => Ok(true),
            Some(when) => when.eval_bool_in(&scope),
        };
        let outcome = applies.and_then(|yes| {
            if yes {
                rule.check.eval_bool_in(&scope)
            } else {
                Ok(true)
            }
        });
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                let text = match &rule.message {
                    Some(m) => m
                        .render_in(&scope)
                        .unwrap_or_else(|e| format!("(message failed: {})", e.message)),
                    None => format!("`{}` does not hold", rule.check.source()),
                };
                let mut d = Diag::error(
                    Code::Rule,
                    format!("rule `{}`: {text}", rule.name),
                    loc.clone(),
                )
                .with_entry(key);
                d.severity = severity;
                d.help = Some(format!(
                    "the type {} requires `{}`",
                    t.name,
                    rule.check.source()
                ));
                out.push(d);
            }
            Err(e) => {
                let help = if e.over_budget() {
                    "simplify the rule in the type file: fewer nested `all`/`exists`/`map`/`filter`"
                } else {
                    "guard optional fields with `has(self.field)` in the rule's `when` or `check`"
                };
                let mut d = Diag::error(
                    Code::RuleError,
                    format!("rule `{}` could not be evaluated: {}", rule.name, e.message),
                    loc.clone(),
                )
                .with_entry(key)
                .with_help(help);
                d.severity = severity;
                out.push(d);
            }
        }
    }
    // A note that fails for this entry would be lost in `lore route` at 3 a.m. (a
    // warning on stderr): say so now. Notes that read `alert` depend on the payload, so
    // only `lore route` can evaluate them.
    for (k, note) in t.notes.iter().enumerate() {
        if note.reads("alert") {
            continue;
        }
        if let Err(e) = note.text_in(&scope) {
            out.push(
                Diag::warning(
                    Code::RuleError,
                    format!(
                        "note {} of type {} could not be evaluated: {}",
                        k + 1,
                        t.name,
                        e.message
                    ),
                    loc.clone(),
                )
                .with_entry(key)
                .with_help("guard optional fields with `has(self.field)` in the note's `when`"),
            );
        }
    }
}
