//! A parsed file with spans, and the checks every configuration file shares: lore's own
//! schema for it (unknown keys labelled where they are written), CEL expressions and
//! templates compiled with their errors placed inside the string.

use serde_json::Value;

use crate::diag::{Code, Diag, Loc};
use crate::expr::{excerpt, Expr, Template};
use crate::schema;
use crate::span::FileId;
use crate::yaml::{Document, SpanIndex};

/// A parsed file with spans: enough to point at any node.
pub(crate) struct SpannedDoc<'a> {
    pub(crate) file: FileId,
    pub(crate) doc: &'a Document,
    pub(crate) text: &'a str,
}

impl SpannedDoc<'_> {
    fn spans(&self) -> Option<&SpanIndex> {
        self.doc.spans.as_ref()
    }

    /// The place of the node at `pointer` (its key when `key` and it has one).
    pub(crate) fn loc(&self, pointer: &str, key: bool) -> Loc {
        let span = self.spans().and_then(|s| {
            if key {
                s.key(pointer).or_else(|| s.nearest(pointer))
            } else {
                s.nearest(pointer)
            }
        });
        match span {
            Some(span) => Loc::Span(self.file, span),
            None => Loc::File(self.file),
        }
    }

    /// The place of a byte offset inside the string value at `pointer` (for expression errors).
    pub(crate) fn loc_in_string(&self, pointer: &str, offset: Option<usize>) -> Loc {
        let Some(span) = self.spans().and_then(|s| s.value(pointer)) else {
            return self.loc(pointer, false);
        };
        let Some(offset) = offset else {
            return Loc::Span(self.file, span);
        };
        let quoted = matches!(self.text.as_bytes().get(span.start), Some(b'"' | b'\''));
        let start = (span.start + offset + usize::from(quoted)).min(span.end);
        let end = next_char(self.text, start).min(span.end.max(start));
        Loc::Span(self.file, start..end)
    }
}

fn next_char(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

/// Check `doc` against one of lore's own schemas: None when it conforms, else the
/// pointers of the nodes that do not (an unknown key, or the value of the wrong type),
/// each with whether it is an unknown key.
pub(crate) fn check_structure(
    d: &SpannedDoc<'_>,
    meta: &Value,
    code: Code,
    out: &mut Vec<Diag>,
) -> Option<Vec<(String, bool)>> {
    let validator = match schema::build(meta, schema::TypeFileRetriever::default()) {
        Ok(v) => v,
        Err(e) => {
            out.push(Diag::error(
                code,
                format!("internal: lore's own schema does not build: {e}"),
                Loc::File(d.file),
            ));
            return Some(vec![(String::new(), false)]);
        }
    };
    let declared = schema::property_names(meta);
    let found = schema::violations(&validator, &d.doc.value, &declared, true);
    for v in &found {
        let message = if v.unknown_field {
            format!("{} in {}", v.message, what_file(code))
        } else {
            v.message.clone()
        };
        let mut diag = Diag::error(code, message, d.loc(&v.pointer, v.key));
        if let Some(help) = &v.help {
            diag = diag.with_help(help.clone());
        }
        out.push(diag);
    }
    if found.is_empty() {
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|v| (v.pointer, v.unknown_field))
            .collect(),
    )
}

/// Remove the node at `pointer` (RFC 6901) from `value`, if it is a mapping member.
pub(crate) fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    let target = if parent.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(parent)
    };
    if let Some(Value::Object(m)) = target {
        m.remove(&last);
    }
}

fn what_file(code: Code) -> &'static str {
    if code == Code::Config {
        "lore.yaml"
    } else {
        "a type definition"
    }
}

fn unknown_variables(found: Vec<String>, allowed: &[&str]) -> Option<String> {
    let unknown: Vec<String> = found
        .into_iter()
        .filter(|v| !allowed.contains(&v.as_str()))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
    Some(format!(
        "unknown variable `{}`; expressions here can use {}",
        unknown[0],
        list.join(", ")
    ))
}

pub(crate) fn compile_expr(
    d: &SpannedDoc<'_>,
    pointer: &str,
    src: &str,
    allowed: &[&str],
    out: &mut Vec<Diag>,
) -> Option<Expr> {
    let compiled = Expr::compile(src).map_err(|e| {
        let message = format!("invalid CEL expression `{}`: {}", excerpt(src), e.message);
        (message, e.offset)
    });
    let help = "fix the expression; the entry is `self`, and `has(self.field)` tests a field";
    checked(d, pointer, compiled, Expr::variables, allowed, help, out)
}

pub(crate) fn compile_template(
    d: &SpannedDoc<'_>,
    pointer: &str,
    src: &str,
    allowed: &[&str],
    out: &mut Vec<Diag>,
) -> Option<Template> {
    let compiled =
        Template::compile(src).map_err(|e| (format!("invalid template: {}", e.message), e.offset));
    let help = "placeholders are `{{ CEL }}`, e.g. `{{ self.name }}`";
    checked(
        d,
        pointer,
        compiled,
        Template::variables,
        allowed,
        help,
        out,
    )
}

/// A compiled expression or template whose variables are all `allowed`, or a problem at
/// the string at `pointer` (at the failing byte when the compiler says where).
pub(crate) fn checked<T>(
    d: &SpannedDoc<'_>,
    pointer: &str,
    compiled: Result<T, (String, Option<usize>)>,
    variables: impl Fn(&T) -> Vec<String>,
    allowed: &[&str],
    help: &str,
    out: &mut Vec<Diag>,
) -> Option<T> {
    let (message, offset, help) = match compiled {
        Ok(t) => match unknown_variables(variables(&t), allowed) {
            None => return Some(t),
            Some(message) => (message, None, None),
        },
        Err((message, offset)) => (message, offset, Some(help)),
    };
    let mut diag = Diag::error(Code::InvalidExpr, message, d.loc_in_string(pointer, offset));
    if let Some(help) = help {
        diag = diag.with_help(help);
    }
    out.push(diag);
    None
}
