//! CEL expressions and `{{ CEL }}` templates for rules, notes and messages.
//!
//! Input: expression source from type files and `lore.yaml` (`when`, `check`,
//! `say`, `message`), and at evaluation time named JSON values (`self`,
//! `totals`, `alert`, ...). Output: JSON values, bools and rendered strings.
//!
//! Expressions are compiled once and evaluated many times, from rayon threads:
//! [`Expr`] and [`Template`] are `Send + Sync`. The parsed AST is plain
//! data, `Send + Sync` itself; the `Context` it runs against borrows the
//! variables, so one is built per evaluation over a shared standard `Env`,
//! or once per entry in a [`Scope`] reused by all of its type's rules and notes.
//!
//! Variables are converted straight from `serde_json::Value` to cel's values,
//! borrowing strings and map keys from the JSON instead of copying them or
//! going through serde.
//!
//! Hostile expressions are normal input: [`guard`] bounds what compiling and
//! evaluating may cost (length, nesting, comprehension depth, an evaluation
//! budget, cached `matches` patterns) and says why it refused.

mod guard;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use cel::objects::{Key, OptionalValue};
use cel::{Context, Env, ExecutionError, ParseErrors, Value};
use serde_json::Value as Json;

/// The standard CEL environment (functions, macros) and the functions [`guard`]
/// rewrites calls to, built once and shared.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // cel-go's string extension: `lowerAscii`, `replace`, `split`, `trim`, `join`, …
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension registers once");
    guard::register(&mut env);
    Arc::new(env)
});

/// `now` in expressions: when this run started, or the moment `LORE_NOW` names (a
/// `YYYY-MM-DD` date, Unix seconds, or an RFC 3339 date-time), for tests and
/// reproducible reports. A bad `LORE_NOW` is an error wherever `now` is used.
pub(crate) static NOW: LazyLock<Result<chrono::DateTime<chrono::FixedOffset>, String>> =
    LazyLock::new(|| now_from(std::env::var(crate::date::NOW_VAR).ok().as_deref()));

fn now_from(var: Option<&str>) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    let Some(text) = var else {
        return Ok(chrono::Utc::now().fixed_offset());
    };
    let seconds = text.parse::<i64>().ok();
    seconds
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0).map(|t| t.fixed_offset()))
        .or_else(|| parse_moment(text))
        .ok_or_else(|| {
            format!(
                "{}=`{}` is not a moment; write YYYY-MM-DD, Unix seconds or an RFC 3339 date-time",
                crate::date::NOW_VAR,
                excerpt(text)
            )
        })
}

/// A `YYYY-MM-DD` date (its midnight UTC) or an RFC 3339 date-time.
fn parse_moment(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t);
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    // `%Y` takes any number of digits; a date is written with four.
    (text.len() == 10).then(|| {
        day.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .fixed_offset()
    })
}

/// What results that depend on `now` are cached under: its UTC day, so a rule such as
/// `timestamp(self.support_ends) < now` is checked again each day.
pub(crate) fn now_day() -> String {
    match &*NOW {
        Ok(t) => t.with_timezone(&chrono::Utc).date_naive().to_string(),
        Err(e) => e.clone(),
    }
}

/// A problem compiling or evaluating an expression or a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExprError {
    /// What went wrong, in words a user can act on.
    pub(crate) message: String,
    /// Byte offset of the problem inside the expression (or template) source,
    /// when known.
    pub(crate) offset: Option<usize>,
    over_budget: bool,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>, offset: Option<usize>) -> Self {
        ExprError {
            message: message.into(),
            offset,
            over_budget: false,
        }
    }

    /// Whether evaluation stopped because it ran out of its budget (the
    /// expression, not the entry, needs changing).
    pub(crate) fn over_budget(&self) -> bool {
        self.over_budget
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// A compiled CEL expression (`when`, `check`), compiled once, evaluated many
/// times, from several threads.
#[derive(Clone)]
pub(crate) struct Expr {
    source: String,
    /// The parsed AST as [`guard`] rewrote it.
    ast: Arc<IdedExpr>,
    variables: Vec<String>,
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expr").field(&self.source).finish()
    }
}

// Evaluation runs on rayon threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Expr>();
    send_sync::<Template>();
    send_sync::<ExprError>();
};

impl Expr {
    /// Parses `src`, expanding the standard macros (`has`, `all`, `exists`,
    /// `exists_one`, `map`, `filter`), within the limits of [`guard`].
    pub(crate) fn compile(src: &str) -> Result<Expr, ExprError> {
        if src.trim().is_empty() {
            return Err(ExprError::new("empty expression", Some(0)));
        }
        guard::scan(src)?;
        let ast = guard::on_big_stack(|| {
            let (mut ast, info) = ENV
                .parser()
                .parse_with_source_info(src)
                .map_err(|e| parse_error(src, &e))?;
            guard::check_and_rewrite(&mut ast, &info, src)?;
            Ok(ast)
        })?;
        let variables = free_variables(&ast);
        Ok(Expr {
            source: src.to_owned(),
            ast: Arc::new(ast),
            variables,
        })
    }

    /// The source text the expression was compiled from.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates with the given variables (each a JSON value, e.g.
    /// `("self", &entry_json)`) and converts the result to JSON.
    #[cfg(test)]
    pub(crate) fn eval(&self, vars: &[(&str, &Json)]) -> Result<Json, ExprError> {
        self.eval_in(&Scope::new(vars))
    }

    /// Evaluates and requires a bool; a non-bool result is an error saying
    /// which type it produced.
    #[cfg(test)]
    pub(crate) fn eval_bool(&self, vars: &[(&str, &Json)]) -> Result<bool, ExprError> {
        self.eval_bool_in(&Scope::new(vars))
    }

    /// [`Expr::eval`] against variables converted once in a [`Scope`].
    pub(crate) fn eval_in(&self, scope: &Scope<'_>) -> Result<Json, ExprError> {
        Ok(to_json(&self.eval_value(scope)?))
    }

    /// [`Expr::eval_bool`] against variables converted once in a [`Scope`].
    pub(crate) fn eval_bool_in(&self, scope: &Scope<'_>) -> Result<bool, ExprError> {
        match self.eval_value(scope)? {
            Value::Bool(b) => Ok(b),
            other => Err(ExprError::new(
                format!(
                    "expected a bool, but the expression produced {} {}",
                    type_name(&other),
                    short_json(&to_json(&other)),
                ),
                None,
            )),
        }
    }

    /// Top-level variable names the expression refers to, sorted, without the
    /// variables that macros such as `all(a, ...)` bind.
    pub(crate) fn variables(&self) -> Vec<String> {
        self.variables.clone()
    }

    /// Whether the expression refers to the top-level variable `name`.
    pub(crate) fn uses(&self, name: &str) -> bool {
        self.variables.iter().any(|v| v == name)
    }

    /// The string literals passed to calls of `function` (e.g. the REFs of
    /// `touches('Feature:alerts')`), in source order, each once; an error when a call's
    /// argument is not a string literal.
    pub(crate) fn literal_args(&self, function: &str) -> Result<Vec<String>, ExprError> {
        let mut found = Vec::new();
        literal_args(&self.ast, function, &mut found)?;
        Ok(found)
    }

    /// [`Expr::eval_in`] with the answers `touches(REF)` gives, by REF as written.
    pub(crate) fn eval_touching(
        &self,
        scope: &Scope<'_>,
        touched: HashMap<String, bool>,
    ) -> Result<Json, ExprError> {
        guard::TOUCHED.with(|t| *t.borrow_mut() = Some(touched));
        let out = self.eval_in(scope);
        guard::TOUCHED.with(|t| *t.borrow_mut() = None);
        out
    }

    fn eval_value(&self, scope: &Scope<'_>) -> Result<Value, ExprError> {
        guard::start_budget();
        let value = Value::resolve(&self.ast, &scope.ctx);
        if guard::over_budget() {
            return Err(ExprError {
                over_budget: true,
                ..ExprError::new(guard::budget_message(), None)
            });
        }
        value.map_err(|e| runtime_error(&e))
    }
}

/// Variables converted to CEL once, for evaluating several expressions over
/// the same entry (every rule and note of its type). Borrows the JSON.
pub(crate) struct Scope<'v> {
    ctx: Context<'v, 'v>,
}

impl<'v> Scope<'v> {
    /// Converts each `(name, value)` pair; strings are borrowed, not copied.
    pub(crate) fn new(vars: &[(&str, &'v Json)]) -> Scope<'v> {
        let mut ctx = Context::with_env(Arc::clone(&ENV));
        for (name, value) in vars {
            ctx.add_variable_as_val(*name, json_to_val(value));
        }
        Scope { ctx }
    }
}

/// Text with `{{ CEL }}` placeholders, e.g. `"{{ self.name }} is tier 1"`.
///
/// `{{` or `}}` inside the CEL of a placeholder is not supported: the first
/// `}}` closes it. A `}}` outside a placeholder is literal text.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    /// A placeholder; `offset` is where its CEL starts in the template.
    Expr {
        expr: Expr,
        offset: usize,
    },
}

impl Template {
    /// Splits `src` into text and placeholders and compiles each placeholder.
    /// Error offsets are relative to `src`.
    pub(crate) fn compile(src: &str) -> Result<Template, ExprError> {
        let mut parts = Vec::new();
        let mut rest = 0;
        while let Some(found) = src[rest..].find("{{") {
            let open = rest + found;
            if open > rest {
                parts.push(Part::Text(src[rest..open].to_owned()));
            }
            let start = open + 2;
            let Some(len) = src[start..].find("}}") else {
                return Err(ExprError::new("`{{` has no closing `}}`", Some(open)));
            };
            let inner = &src[start..start + len];
            if inner.trim().is_empty() {
                return Err(ExprError::new(
                    "empty placeholder: put a CEL expression between `{{` and `}}`",
                    Some(open),
                ));
            }
            let expr = Expr::compile(inner).map_err(|e| ExprError {
                offset: Some(start + e.offset.unwrap_or(0)),
                ..e
            })?;
            parts.push(Part::Expr {
                expr,
                offset: start,
            });
            rest = start + len + 2;
        }
        if rest < src.len() {
            parts.push(Part::Text(src[rest..].to_owned()));
        }
        Ok(Template { parts })
    }

    /// Evaluates each placeholder and joins the parts: strings as they are,
    /// numbers as written (no `.0`, no exponent), `null` as nothing, lists
    /// and maps as compact JSON. An error's offset is where the failing
    /// placeholder's CEL starts in the template.
    #[cfg(test)]
    pub(crate) fn render(&self, vars: &[(&str, &Json)]) -> Result<String, ExprError> {
        self.render_in(&Scope::new(vars))
    }

    /// [`Template::render`] against variables converted once in a [`Scope`].
    pub(crate) fn render_in(&self, scope: &Scope<'_>) -> Result<String, ExprError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Expr { expr, offset } => {
                    let value = expr.eval_value(scope).map_err(|e| ExprError {
                        message: format!("in `{{{{{}}}}}`: {}", expr.source(), e.message),
                        offset: Some(*offset),
                        ..e
                    })?;
                    write_text(&mut out, &value);
                }
            }
        }
        Ok(out)
    }

    /// Whether a placeholder refers to the top-level variable `name`.
    pub(crate) fn uses(&self, name: &str) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, Part::Expr { expr, .. } if expr.uses(name)))
    }

    /// Top-level variable names the placeholders refer to, sorted.
    pub(crate) fn variables(&self) -> Vec<String> {
        let names: BTreeSet<&String> = self
            .parts
            .iter()
            .filter_map(|part| match part {
                Part::Expr { expr, .. } => Some(expr.variables.iter()),
                Part::Text(_) => None,
            })
            .flatten()
            .collect();
        names.into_iter().cloned().collect()
    }
}

/// A CEL value of the JSON value, borrowing its strings.
fn json_to_val(value: &Json) -> Box<dyn Val + '_> {
    match value {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(CelUInt::from(u))
            } else {
                Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        Json::String(s) => Box::new(CelString::from(s.as_str())),
        Json::Array(items) => Box::new(CelList::from(
            items.iter().map(json_to_val).collect::<Vec<_>>(),
        )),
        Json::Object(map) => {
            let mut entries = HashMap::with_capacity(map.len());
            for (k, v) in map {
                entries.insert(CelMapKey::from(k.as_str()), json_to_val(v));
            }
            Box::new(CelMap::from(entries))
        }
    }
}

/// The JSON of a CEL result. Map keys are sorted so output is deterministic
/// whatever `serde_json`'s map type.
fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Json::String(f.to_string()), Json::Number),
        Value::String(s) => Json::String(s.as_str().to_owned()),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => {
            let mut entries: Vec<(String, Json)> = map
                .map
                .iter()
                .map(|(k, v)| (key_text(k), to_json(v)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().collect())
        }
        Value::Timestamp(t) => {
            // As CEL's `string(timestamp)`: UTC, with `Z`.
            Json::String(
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )
        }
        Value::Duration(d) => Json::String(duration_text(d)),
        Value::Opaque(o) => match o.downcast_ref::<OptionalValue>() {
            Some(opt) => opt.value().map_or(Json::Null, to_json),
            None => Json::String(format!("<{}>", o.runtime_type_name())),
        },
        other => Json::String(format!("{other:?}")),
    }
}

/// A duration as CEL writes one: seconds with up to nine decimals, `5400s`, `0.5s`.
fn duration_text(d: &chrono::Duration) -> String {
    let (secs, nanos) = (d.num_seconds(), d.subsec_nanos());
    if nanos == 0 {
        return format!("{secs}s");
    }
    let sign = if secs < 0 || nanos < 0 { "-" } else { "" };
    let frac = format!("{:09}", nanos.unsigned_abs());
    format!(
        "{sign}{}.{}s",
        secs.unsigned_abs(),
        frac.trim_end_matches('0')
    )
}

fn key_text(key: &Key) -> String {
    key.to_string()
}

/// Appends a value as template text.
fn write_text(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        // `Display` for f64 writes 1500000 for 1500000.0 and never an exponent.
        Value::Float(f) => {
            let _ = write!(out, "{f}");
        }
        other => match to_json(other) {
            Json::String(s) => out.push_str(&s),
            Json::Null => {}
            json => out.push_str(&json.to_string()),
        },
    }
}

/// CEL's name for the type of a value.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Function(_, _) => "a function",
        Value::Int(_) => "an int",
        Value::UInt(_) => "a uint",
        Value::Float(_) => "a double",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "a bool",
        Value::Null => "null",
        Value::Timestamp(_) => "a timestamp",
        Value::Duration(_) => "a duration",
        _ => "a value",
    }
}

/// Compact JSON, cut to a readable length for messages.
fn short_json(json: &Json) -> String {
    excerpt(&json.to_string()).into_owned()
}

/// `text` cut to a readable length for messages (an expression quoted in its
/// own error, a value), with `…` where it was cut.
pub(crate) fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

fn runtime_error(error: &ExecutionError) -> ExprError {
    let message = match error {
        ExecutionError::NoSuchKey(key) => {
            format!("no such key: {key} (test for it first with `has(...)`)")
        }
        ExecutionError::UndeclaredReference(name) => {
            format!("undeclared reference to '{name}'")
        }
        // `matches` runs as guard's function: name it as the user wrote it.
        other => other.to_string().replace(guard::MATCHES, "matches"),
    };
    ExprError::new(message, None)
}

fn parse_error(src: &str, errors: &ParseErrors) -> ExprError {
    let message = errors
        .errors
        .iter()
        .map(|e| readable(&e.msg))
        .collect::<Vec<_>>()
        .join("; ");
    let offset = errors
        .errors
        .first()
        .and_then(|e| byte_offset(src, e.pos.0, e.pos.1));
    ExprError::new(message, offset)
}

/// cel's parser lists every token it expected; people need the first half.
fn readable(message: &str) -> String {
    let short = message.split(" expecting {").next().unwrap_or(message);
    short.replace("mismatched input '<EOF>'", "the expression ends too early")
}

/// The byte offset of a 1-based line and 1-based column (counted in
/// characters, as the ANTLR lexer does) in `src`; (0, 0) means unknown.
fn byte_offset(src: &str, line: isize, column: isize) -> Option<usize> {
    let line = usize::try_from(line).ok().filter(|&l| l > 0)?;
    let column = usize::try_from(column).ok().filter(|&c| c > 0)?;
    let mut start = 0;
    for (n, text) in src.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            let within = text
                .char_indices()
                .nth(column - 1)
                .map_or(text.len(), |(i, _)| i);
            return Some(start + within);
        }
        start += text.len();
    }
    Some(src.len())
}

/// The identifiers an expression reads from its environment, leaving out
/// those bound by comprehensions (the `a` of `list.all(a, ...)`) and cel's
/// internal `@` accumulators.
fn literal_args(expr: &IdedExpr, function: &str, found: &mut Vec<String>) -> Result<(), ExprError> {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.expr {
            Ast::Unspecified | Ast::Literal(_) | Ast::Ident(_) => {}
            Ast::Select(select) => stack.push(&select.operand),
            Ast::Call(call) => {
                if call.func_name == function && call.target.is_none() {
                    match call.args.as_slice() {
                        [IdedExpr {
                            expr: Ast::Literal(cel::common::ast::LiteralValue::String(s)),
                            ..
                        }] => {
                            let s = s.inner().to_owned();
                            if !found.contains(&s) {
                                found.push(s);
                            }
                        }
                        _ => {
                            return Err(ExprError::new(
                                format!("{function}() takes one REF written as a string literal, e.g. {function}('Feature:alerts')"),
                                None,
                            ))
                        }
                    }
                }
                stack.extend(call.target.as_deref());
                stack.extend(call.args.iter().rev());
            }
            Ast::List(list) => stack.extend(list.elements.iter().rev()),
            Ast::Map(map) => {
                for entry in map.entries.iter().rev() {
                    entry_children(entry, &mut stack);
                }
            }
            Ast::Struct(st) => {
                for entry in st.entries.iter().rev() {
                    entry_children(entry, &mut stack);
                }
            }
            Ast::Comprehension(c) => {
                stack.extend([
                    &c.result,
                    &c.loop_step,
                    &c.loop_cond,
                    &c.accu_init,
                    &c.iter_range,
                ]);
            }
        }
    }
    Ok(())
}

fn entry_children<'e>(entry: &'e cel::common::ast::IdedEntryExpr, stack: &mut Vec<&'e IdedExpr>) {
    match &entry.expr {
        EntryExpr::StructField(f) => stack.push(&f.value),
        EntryExpr::MapEntry(m) => {
            stack.push(&m.value);
            stack.push(&m.key);
        }
    }
}

fn free_variables(expr: &IdedExpr) -> Vec<String> {
    let mut found = BTreeSet::new();
    collect_free(expr, &mut Vec::new(), &mut found);
    found.into_iter().collect()
}

fn collect_free<'e>(expr: &'e IdedExpr, bound: &mut Vec<&'e str>, found: &mut BTreeSet<String>) {
    match &expr.expr {
        Ast::Unspecified | Ast::Literal(_) => {}
        Ast::Ident(name) => {
            if !name.starts_with('@') && !bound.contains(&name.as_str()) {
                found.insert(name.clone());
            }
        }
        Ast::Select(select) => collect_free(&select.operand, bound, found),
        Ast::Call(call) => {
            if let Some(target) = &call.target {
                collect_free(target, bound, found);
            }
            for arg in &call.args {
                collect_free(arg, bound, found);
            }
        }
        Ast::List(list) => {
            for element in &list.elements {
                collect_free(element, bound, found);
            }
        }
        Ast::Map(map) => collect_entries(&map.entries, bound, found),
        Ast::Struct(st) => collect_entries(&st.entries, bound, found),
        Ast::Comprehension(c) => {
            collect_free(&c.iter_range, bound, found);
            collect_free(&c.accu_init, bound, found);
            let depth = bound.len();
            bound.push(&c.iter_var);
            if let Some(var) = &c.iter_var2 {
                bound.push(var);
            }
            bound.push(&c.accu_var);
            collect_free(&c.loop_cond, bound, found);
            collect_free(&c.loop_step, bound, found);
            collect_free(&c.result, bound, found);
            bound.truncate(depth);
        }
    }
}

fn collect_entries<'e>(
    entries: &'e [cel::common::ast::IdedEntryExpr],
    bound: &mut Vec<&'e str>,
    found: &mut BTreeSet<String>,
) {
    for entry in entries {
        match &entry.expr {
            EntryExpr::StructField(field) => collect_free(&field.value, bound, found),
            EntryExpr::MapEntry(e) => {
                collect_free(&e.key, bound, found);
                collect_free(&e.value, bound, found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(src: &str, self_: &Json) -> Result<Json, ExprError> {
        Expr::compile(src).unwrap().eval(&[("self", self_)])
    }

    #[test]
    fn timestamps_and_durations_compare_add_and_print() {
        let e = json!({"support_ends": "2025-03-01", "opened": "2025-03-01T10:30:00+02:00"});
        assert!(check(
            "timestamp(self.support_ends) < timestamp(self.opened)",
            &e
        ));
        assert!(check(
            "timestamp(self.support_ends) + duration('24h') == timestamp('2025-03-02')",
            &e
        ));
        assert!(check("timestamp(self.support_ends) < now", &e));
        assert!(check(
            "timestamp(timestamp(self.support_ends)) == timestamp(1740787200)",
            &e
        ));
        assert_eq!(
            eval("timestamp(self.opened)", &e),
            Ok(json!("2025-03-01T08:30:00Z"))
        );
        assert_eq!(
            eval("timestamp(self.opened) - timestamp(self.support_ends)", &e),
            Ok(json!("30600s"))
        );
        assert_eq!(eval("duration('1.5s')", &e), Ok(json!("1.5s")));
        assert_eq!(
            eval("timestamp(self.support_ends).getDayOfWeek()", &e),
            Ok(json!(6))
        );
        let t = Template::compile("ends {{ timestamp(self.support_ends) }}").unwrap();
        assert_eq!(
            t.render(&[("self", &e)]).unwrap(),
            "ends 2025-03-01T00:00:00Z"
        );
    }

    #[test]
    fn a_bad_date_names_what_to_write_and_a_macro_may_bind_now() {
        let e = json!({"d": "2025-3-1"});
        let err = eval("timestamp(self.d) < now", &e).unwrap_err();
        assert!(
            err.message.contains("`2025-3-1` is neither a date"),
            "{err:?}"
        );
        let err = eval("timestamp(1.5)", &e).unwrap_err();
        assert!(err.message.contains("takes a date"), "{err:?}");
        // `now` bound by a macro is the macro's, not the clock.
        assert!(check("[1, 2].exists(now, now == 2)", &e));
        assert_eq!(
            Expr::compile("now").unwrap().variables(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn lore_now_takes_a_date_seconds_or_a_date_time() {
        let day = |t: chrono::DateTime<chrono::FixedOffset>| t.to_rfc3339();
        assert_eq!(
            now_from(Some("2026-01-05")).map(day),
            Ok("2026-01-05T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            now_from(Some("1767571200")).map(day),
            Ok("2026-01-05T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            now_from(Some("2026-01-05T06:00:00-05:00")).map(day),
            Ok("2026-01-05T06:00:00-05:00".to_owned())
        );
        let err = now_from(Some("next tuesday")).unwrap_err();
        assert!(
            err.starts_with("LORE_NOW=`next tuesday` is not a moment"),
            "{err}"
        );
        assert!(now_from(None).is_ok());
    }

    fn check(src: &str, self_: &Json) -> bool {
        Expr::compile(src)
            .unwrap()
            .eval_bool(&[("self", self_)])
            .unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn json_values_become_cel_values() {
        let v = json!({
            "n": null, "b": true, "i": -3, "u": u64::MAX, "f": 1.5,
            "s": "x", "l": [1, "a"], "m": {"k": 2}
        });
        assert!(check("self.n == null", &v));
        assert!(check("self.b == true", &v));
        assert!(check("type(self.i) == int && self.i == -3", &v));
        assert!(check(
            "type(self.u) == uint && self.u == 18446744073709551615u",
            &v
        ));
        assert!(check("type(self.f) == double && self.f == 1.5", &v));
        assert!(check("self.s == 'x'", &v));
        assert!(check("self.l == [1, 'a'] && size(self.l) == 2", &v));
        assert!(check("self.m.k == 2 && self.m['k'] == 2", &v));
    }

    #[test]
    fn results_become_json() {
        let v = json!({});
        assert_eq!(eval("1 + 2", &v).unwrap(), json!(3));
        assert_eq!(eval("18446744073709551615u", &v).unwrap(), json!(u64::MAX));
        assert_eq!(eval("0.5 * 3.0", &v).unwrap(), json!(1.5));
        assert_eq!(eval("'a' + 'b'", &v).unwrap(), json!("ab"));
        assert_eq!(eval("null", &v).unwrap(), Json::Null);
        assert_eq!(eval("[1, true, 'x']", &v).unwrap(), json!([1, true, "x"]));
        assert_eq!(
            eval("{'b': [1], 'a': {'c': null}}", &v).unwrap(),
            json!({"a": {"c": null}, "b": [1]})
        );
        let entry = json!({"tags": {"env": "prod"}});
        assert_eq!(eval("self.tags", &entry).unwrap(), json!({"env": "prod"}));
    }

    #[test]
    fn has_tests_presence_on_maps() {
        let with = json!({"tier": 1, "runbook": "https://r.example.com"});
        let without = json!({"tier": 1});
        assert!(check("has(self.runbook)", &with));
        assert!(!check("has(self.runbook)", &without));
    }

    #[test]
    fn a_missing_field_is_an_error_naming_it() {
        let err = eval("self.runbook == ''", &json!({"tier": 1})).unwrap_err();
        assert!(err.message.contains("no such key: runbook"), "{err:?}");
        assert_eq!(err.offset, None);
    }

    #[test]
    fn an_unbound_variable_is_an_error_naming_it() {
        let err = eval("slef.tier == 1", &json!({"tier": 1})).unwrap_err();
        assert!(err.message.contains("slef"), "{err:?}");
    }

    #[test]
    fn numbers_compare_across_int_and_double() {
        let v = json!({"arr": 1500000});
        assert!(check("self.arr >= 1000000.0", &v));
        assert!(check("self.arr >= 1000000", &v));
        assert!(!check("self.arr < 1000000.0", &v));
        assert!(check("self.arr == 1500000.0", &v));
        let totals = json!({"Customer": {"arr": 1500000}});
        let e = Expr::compile("totals.Customer.arr >= 1000000").unwrap();
        assert!(e.eval_bool(&[("totals", &totals)]).unwrap());
        let low = json!({"Customer": {"arr": 999999}});
        assert!(!e.eval_bool(&[("totals", &low)]).unwrap());
        let double = json!({"Customer": {"arr": 1500000.5}});
        assert!(e.eval_bool(&[("totals", &double)]).unwrap());
    }

    #[test]
    fn catalog_rules() {
        let svc = json!({"type": "Service", "id": "pay", "tier": 1, "runbook": "https://x"});
        let bare = json!({"type": "Service", "id": "pay", "tier": 2});
        assert!(check("self.tier == 1", &svc));
        assert!(!check("self.tier == 1", &bare));
        assert!(check("self.tier == 1 && has(self.runbook)", &svc));
        assert!(!check("self.tier == 1 && has(self.runbook)", &bare));

        let big = json!({"plan": "enterprise", "arr": 250000});
        let small = json!({"plan": "enterprise", "arr": 90000});
        let rule = "self.plan == 'enterprise' && self.arr > 100000";
        assert!(check(rule, &big));
        assert!(!check(rule, &small));

        let rule = "self.aliases.all(a, a.matches('^[a-z0-9-]+$'))";
        assert!(check(rule, &json!({"aliases": ["pay-api", "payments"]})));
        assert!(!check(rule, &json!({"aliases": ["pay-api", "Pay API"]})));
        assert!(check(rule, &json!({"aliases": []})));

        assert!(check("!self.in_sla", &json!({"in_sla": false})));
        assert!(!check("!self.in_sla", &json!({"in_sla": true})));
    }

    #[test]
    fn standard_functions_and_macros() {
        let v = json!({"name": "Payments API", "tags": ["pci", "eu"], "deps": [1, 2, 3]});
        assert!(check("size(self.name) == 12 && size(self.tags) == 2", &v));
        assert!(check("self.name.contains('ment')", &v));
        assert!(check(
            "self.name.startsWith('Pay') && self.name.endsWith('API')",
            &v
        ));
        assert!(check("'pci' in self.tags && !('us' in self.tags)", &v));
        assert!(check("'name' in self", &v));
        assert!(check("self.tags.exists(t, t == 'eu')", &v));
        assert!(check("self.deps.filter(d, d > 1) == [2, 3]", &v));
        assert!(check("self.deps.map(d, d * 2) == [2, 4, 6]", &v));
        assert!(check("self.deps.exists_one(d, d == 2)", &v));
    }

    #[test]
    fn eval_bool_names_the_type_it_got() {
        let e = Expr::compile("self.tier").unwrap();
        let err = e.eval_bool(&[("self", &json!({"tier": 1}))]).unwrap_err();
        assert!(err.message.contains("expected a bool"), "{err:?}");
        assert!(err.message.contains("an int 1"), "{err:?}");
        let e = Expr::compile("self.name").unwrap();
        let err = e.eval_bool(&[("self", &json!({"name": "x"}))]).unwrap_err();
        assert!(err.message.contains("a string \"x\""), "{err:?}");
    }

    #[test]
    fn syntax_errors_carry_message_and_offset() {
        let err = Expr::compile("self.tier == ").unwrap_err();
        assert!(err.message.contains("Syntax error"), "{err:?}");
        assert_eq!(err.offset, Some(13));

        let err = Expr::compile("self.tier === 1").unwrap_err();
        assert!(!err.message.is_empty());
        assert_eq!(err.offset, Some(12), "{err:?}");

        // columns count characters: the offset lands after multi-byte ones
        let src = "'éé' ==== 1";
        let err = Expr::compile(src).unwrap_err();
        assert_eq!(err.offset, Some(9), "{err:?}");

        // on a later line
        let src = "self.name == 'é' &&\n  self.tier ==== 1";
        let err = Expr::compile(src).unwrap_err();
        let at = err.offset.expect("offset");
        assert_eq!(&src[at..=at], "=", "{err:?}");
        assert_eq!(at, src.find("===").unwrap() + 2, "{err:?}");

        let err = Expr::compile("  ").unwrap_err();
        assert_eq!(err.message, "empty expression");
    }

    #[test]
    fn byte_offsets_count_characters_in_columns() {
        let src = "ab\néé x";
        assert_eq!(byte_offset(src, 1, 1), Some(0));
        assert_eq!(byte_offset(src, 2, 1), Some(3));
        assert_eq!(byte_offset(src, 2, 4), Some(8));
        assert_eq!(byte_offset(src, 2, 9), Some(src.len()));
        assert_eq!(byte_offset(src, 0, 0), None);
    }

    #[test]
    fn variables_are_the_free_identifiers() {
        let e = Expr::compile("self.aliases.all(a, a.matches('^x$')) && totals.x > 0").unwrap();
        assert_eq!(e.variables(), ["self", "totals"]);
        let e = Expr::compile("slef.tier == 1 || has(self.runbook)").unwrap();
        assert_eq!(e.variables(), ["self", "slef"]);
        let e = Expr::compile("[1].map(x, x + y).exists(z, z == x)").unwrap();
        assert_eq!(e.variables(), ["x", "y"]);
        let e = Expr::compile("{'k': v}.k == [w][0]").unwrap();
        assert_eq!(e.variables(), ["v", "w"]);
        assert_eq!(
            Expr::compile("1 + 1").unwrap().variables(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn source_is_kept() {
        assert_eq!(
            Expr::compile("self.tier == 1").unwrap().source(),
            "self.tier == 1"
        );
    }

    #[test]
    fn templates_render_values_naturally() {
        let entry = json!({
            "name": "Payments API", "tier": 1, "arr": 1500000.0, "big": 12345678901234567u64,
            "ratio": 0.25, "ok": true, "none": null, "tags": ["a", "b"], "m": {"b": 1, "a": "x"}
        });
        let t = Template::compile("{{ self.name }} is tier {{self.tier}}").unwrap();
        assert_eq!(
            t.render(&[("self", &entry)]).unwrap(),
            "Payments API is tier 1"
        );
        let t = Template::compile(
            "{{self.arr}}|{{self.big}}|{{self.ratio}}|{{self.ok}}|{{self.none}}|{{self.tags}}|{{self.m}}",
        )
        .unwrap();
        assert_eq!(
            t.render(&[("self", &entry)]).unwrap(),
            r#"1500000|12345678901234567|0.25|true||["a","b"]|{"a":"x","b":1}"#
        );
        let t = Template::compile("{{ 1e21 }} {{ 2.0 * 3.0 }}").unwrap();
        assert_eq!(t.render(&[]).unwrap(), "1000000000000000000000 6");
    }

    #[test]
    fn template_global_note() {
        let totals = json!({"Customer": {"arr": 1500000}});
        let t = Template::compile(
            "ARR at risk {{ totals.Customer.arr }} is over the reporting threshold",
        )
        .unwrap();
        assert_eq!(t.variables(), ["totals"]);
        assert_eq!(
            t.render(&[("totals", &totals)]).unwrap(),
            "ARR at risk 1500000 is over the reporting threshold"
        );
    }

    #[test]
    fn templates_without_placeholders_and_stray_braces() {
        let t = Template::compile("plain } text }}").unwrap();
        assert_eq!(t.render(&[]).unwrap(), "plain } text }}");
        assert_eq!(Template::compile("").unwrap().render(&[]).unwrap(), "");
        let t = Template::compile("{{'a'}}{{'b'}}").unwrap();
        assert_eq!(t.render(&[]).unwrap(), "ab");
    }

    #[test]
    fn template_errors_have_offsets_in_the_template() {
        let err = Template::compile("ok {{ self.name }} then {{ self.x").unwrap_err();
        assert_eq!(err.offset, Some(24), "{err:?}");
        assert!(err.message.contains("no closing"), "{err:?}");

        let err = Template::compile("ab {{ }} c").unwrap_err();
        assert_eq!(err.offset, Some(3), "{err:?}");

        let src = "x {{ self.tier === 1 }}";
        let err = Template::compile(src).unwrap_err();
        assert_eq!(err.offset, Some(src.find("===").unwrap() + 2), "{err:?}");

        let t = Template::compile("a {{ self.name }} b {{ self.runbook }}").unwrap();
        let err = t.render(&[("self", &json!({"name": "n"}))]).unwrap_err();
        assert_eq!(err.offset, Some(22), "{err:?}");
        assert!(err.message.contains("no such key: runbook"), "{err:?}");
    }

    #[test]
    fn template_variables_union() {
        let t = Template::compile("{{ self.a }} {{ alert.title }} {{ self.b }}").unwrap();
        assert_eq!(t.variables(), ["alert", "self"]);
    }

    #[test]
    fn a_scope_serves_several_expressions() {
        let entry = json!({"tier": 1, "name": "Pay"});
        let totals = json!({"Customer": {"arr": 5}});
        let scope = Scope::new(&[("self", &entry), ("totals", &totals)]);
        let when = Expr::compile("self.tier == 1").unwrap();
        let check = Expr::compile("has(self.runbook)").unwrap();
        assert!(when.eval_bool_in(&scope).unwrap());
        assert!(!check.eval_bool_in(&scope).unwrap());
        let sum = Expr::compile("totals.Customer.arr + self.tier").unwrap();
        assert_eq!(sum.eval_in(&scope).unwrap(), json!(6));
        let say = Template::compile("{{ self.name }}: {{ totals.Customer.arr }}").unwrap();
        assert_eq!(say.render_in(&scope).unwrap(), "Pay: 5");
    }

    #[test]
    fn shared_across_threads() {
        let e = Arc::new(Expr::compile("self.tier == 1").unwrap());
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let e = Arc::clone(&e);
                std::thread::spawn(move || e.eval_bool(&[("self", &json!({"tier": i % 2}))]))
            })
            .collect();
        let results: Vec<bool> = handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        assert_eq!(results, [false, true, false, true]);
    }
}
