//! Limits that keep a hostile expression from crashing or hanging lore.
//!
//! Input: expression source, and the AST cel parses it into. Output: the AST rewritten
//! to run under a budget, or an [`ExprError`] saying which limit the expression breaks.
//!
//! cel parses and evaluates by recursion, with frames of tens of kilobytes in a debug
//! build, and rules run on rayon threads whose stacks are 2 MiB: a 3 KB `1+1+…+1` or
//! a dozen nested brackets used to overflow the stack. So compiling is guarded in
//! three steps:
//!
//! 1. a scan of the source, before anything recursive runs: at most [`MAX_LEN`] bytes
//!    and [`MAX_BRACKETS`] nested brackets;
//! 2. the parse itself runs on a thread of its own with a [`COMPILE_STACK`] stack, so
//!    whatever the scan lets through parses without overflowing;
//! 3. the parsed AST is at most [`MAX_DEPTH`] nodes deep (evaluation recurses once per
//!    level; `&&` and `||` chains are balanced by the parser and cost only their
//!    logarithm), and nests comprehensions (`all`, `exists`, `exists_one`, `map`,
//!    `filter`) at most [`MAX_LOOPS`] deep, since each level multiplies the work.
//!    A rejected AST is also dropped on the big stack.
//!
//! Evaluation then has a budget: every comprehension charges the size of the list or
//! map it iterates (plus one) to a per-evaluation, per-thread counter of
//! [`BUDGET`] elements, and an evaluation that runs out fails with an error that says
//! so, whatever the expression would have answered.
//!
//! `matches` is rewritten to a function that keeps compiled patterns in a small
//! per-thread cache instead of compiling the pattern for every entry; a constant
//! pattern is compiled once at compile time too, so an invalid one is a compile error.
//! Patterns use the `regex` crate, which matches in linear time.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use cel::common::ast::{CallExpr, EntryExpr, Expr as Ast, IdedExpr, LiteralValue, SourceInfo};
use cel::common::types::{CelBool, CelString, CelTimestamp, DYN_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{Env, ExecutionError};

use super::ExprError;

/// Longest expression source, in bytes.
pub(crate) const MAX_LEN: usize = 8192;
/// Deepest nesting of `(`, `[` and `{` in the source.
pub(crate) const MAX_BRACKETS: usize = 32;
/// Deepest AST: about 38 KiB of stack a level in a debug build, so 32 levels fit a
/// 2 MiB rayon thread with room to spare.
pub(crate) const MAX_DEPTH: usize = 32;
/// Deepest nesting of comprehensions, each of which loops inside its parent's loop.
pub(crate) const MAX_LOOPS: usize = 3;
/// Elements one evaluation may iterate over, all comprehensions together.
pub(crate) const BUDGET: i64 = 100_000;
/// Stack of the thread that parses: a left-deep chain of [`MAX_LEN`] / 2 operators
/// parses in half of it in a debug build.
pub(crate) const COMPILE_STACK: usize = 64 << 20;

/// The function comprehension ranges are wrapped in, to charge the budget.
const CHARGE: &str = "@lore_charge";
/// The function `matches` calls are rewritten to.
pub(crate) const MATCHES: &str = "@lore_matches";
/// Compiled patterns one thread keeps; the cache is emptied when it is full.
const CACHED_PATTERNS: usize = 64;
/// Largest compiled pattern, in bytes (the `regex` crate's own default is 10 MiB).
const PATTERN_SIZE: usize = 1 << 20;

/// The function `lore report --where` asks which entries a fact touches with.
pub(crate) const TOUCHES: &str = "touches";
/// What `now` is rewritten to: the time of this run, or `LORE_NOW`'s.
const NOW: &str = "@lore_now";
/// What `timestamp(x)` is rewritten to: CEL's, which also takes a `YYYY-MM-DD` date.
const TIMESTAMP: &str = "@lore_timestamp";

thread_local! {
    /// `touches(REF)` answers of the fact being evaluated, by REF as written; `None`
    /// outside `lore report` and `lore incidents`.
    pub(crate) static TOUCHED: RefCell<Option<HashMap<String, bool>>> = const { RefCell::new(None) };
    static LEFT: Cell<i64> = const { Cell::new(BUDGET) };
    static PATTERNS: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
}

/// Adds the functions the rewritten AST calls.
pub(crate) fn register(env: &mut Env) {
    env.add_overload(CHARGE, "lore_charge", vec![DYN_TYPE], charge)
        .expect("a unique overload");
    env.add_overload(
        MATCHES,
        "lore_matches",
        vec![STRING_TYPE, STRING_TYPE],
        matches,
    )
    .expect("a unique overload");
    env.add_overload(TOUCHES, "lore_touches", vec![STRING_TYPE], touches)
        .expect("a unique overload");
    env.add_overload(NOW, "lore_now", vec![], now)
        .expect("a unique overload");
    env.add_overload(TIMESTAMP, "lore_timestamp", vec![DYN_TYPE], timestamp)
        .expect("a unique overload");
}

/// Step 1: length and bracket nesting, skipping string literals.
pub(crate) fn scan(src: &str) -> Result<(), ExprError> {
    if src.len() > MAX_LEN {
        return Err(ExprError::new(
            format!(
                "the expression is too long ({} bytes, at most {MAX_LEN}): split it into several rules",
                src.len()
            ),
            None,
        ));
    }
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Err(ExprError::new(
                        format!(
                            "the expression is too deeply nested (more than {MAX_BRACKETS} brackets): split it into several rules"
                        ),
                        Some(i),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            quote @ (b'\'' | b'"') => {
                let raw = i > 0 && matches!(bytes[i - 1], b'r' | b'R');
                i = string_end(bytes, i, quote, raw);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the string literal opening at `start` (or the end of the text).
fn string_end(bytes: &[u8], start: usize, quote: u8, raw: bool) -> usize {
    let triple = bytes.get(start..start + 3) == Some(&[quote; 3]);
    let (mut i, close) = if triple {
        (start + 3, 3)
    } else {
        (start + 1, 1)
    };
    while i < bytes.len() {
        if bytes[i] == b'\\' && !raw {
            i += 2;
        } else if bytes[i..].starts_with(&[quote; 3][..close]) {
            return i + close;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Runs `f` on a thread with a [`COMPILE_STACK`] stack.
pub(crate) fn on_big_stack<T: Send>(
    f: impl FnOnce() -> Result<T, ExprError> + Send,
) -> Result<T, ExprError> {
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name("lore-cel".into())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(s, f)
            .map_err(|e| {
                ExprError::new(
                    format!("cannot start a thread to compile the expression: {e}"),
                    None,
                )
            })?;
        thread.join().unwrap_or_else(|_| {
            Err(ExprError::new(
                "the CEL compiler failed on this expression: simplify it",
                None,
            ))
        })
    })
}

/// Step 3: checks the limits of a parsed AST, checks and rewrites `matches` calls, and
/// wraps comprehension ranges to charge the budget. Runs on the big stack.
pub(crate) fn check_and_rewrite(
    ast: &mut IdedExpr,
    info: &SourceInfo,
    src: &str,
) -> Result<(), ExprError> {
    rewrite(ast, info, src)?;
    let at = |id: u64| {
        info.offset_for(id)
            .map(|(start, _)| char_offset(src, start as usize))
    };
    if let Some(id) = too_deep(ast, 1) {
        return Err(ExprError::new(
            format!(
                "the expression is too deeply nested (more than {MAX_DEPTH} levels of operators, \
                 fields and calls; `&&` and `||` chains are fine): split it into several rules"
            ),
            at(id),
        ));
    }
    if let Some(id) = too_many_loops(ast, 0) {
        return Err(ExprError::new(
            format!(
                "comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) are nested more than \
                 {MAX_LOOPS} deep, and each level multiplies the work: split the rule or flatten the lists"
            ),
            at(id),
        ));
    }
    Ok(())
}

/// The byte offset of the `n`th character, as cel's source offsets count characters.
fn char_offset(src: &str, n: usize) -> usize {
    src.char_indices().nth(n).map_or(src.len(), |(i, _)| i)
}

/// The id of the first node deeper than [`MAX_DEPTH`].
fn too_deep(e: &IdedExpr, depth: usize) -> Option<u64> {
    if depth > MAX_DEPTH {
        return Some(e.id);
    }
    children(e).into_iter().find_map(|c| too_deep(c, depth + 1))
}

/// The id of the first comprehension nested more than [`MAX_LOOPS`] deep.
fn too_many_loops(e: &IdedExpr, loops: usize) -> Option<u64> {
    if let Ast::Comprehension(c) = &e.expr {
        if loops + 1 > MAX_LOOPS {
            return Some(e.id);
        }
        // The range, the initial value and the result run once; the rest once per element.
        [&c.iter_range, &c.accu_init, &c.result]
            .into_iter()
            .find_map(|x| too_many_loops(x, loops))
            .or_else(|| {
                [&c.loop_cond, &c.loop_step]
                    .into_iter()
                    .find_map(|x| too_many_loops(x, loops + 1))
            })
    } else {
        children(e)
            .into_iter()
            .find_map(|c| too_many_loops(c, loops))
    }
}

fn children(e: &IdedExpr) -> Vec<&IdedExpr> {
    match &e.expr {
        Ast::Unspecified | Ast::Literal(_) | Ast::Ident(_) => Vec::new(),
        Ast::Select(s) => vec![&s.operand],
        Ast::Call(call) => call.target.iter().map(|t| &**t).chain(&call.args).collect(),
        Ast::List(list) => list.elements.iter().collect(),
        Ast::Map(map) => entries(&map.entries),
        Ast::Struct(st) => entries(&st.entries),
        Ast::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
    }
}

fn entries(entries: &[cel::common::ast::IdedEntryExpr]) -> Vec<&IdedExpr> {
    let mut out = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        match &entry.expr {
            EntryExpr::StructField(field) => out.push(&field.value),
            EntryExpr::MapEntry(e) => {
                out.push(&e.key);
                out.push(&e.value);
            }
        }
    }
    out
}

fn rewrite(e: &mut IdedExpr, info: &SourceInfo, src: &str) -> Result<(), ExprError> {
    rewrite_in(e, info, src, &mut Vec::new())
}

/// [`rewrite`], with the names that enclosing macros bind (`exists(now, …)` binds a
/// `now` of its own).
fn rewrite_in(
    e: &mut IdedExpr,
    info: &SourceInfo,
    src: &str,
    bound: &mut Vec<String>,
) -> Result<(), ExprError> {
    match &mut e.expr {
        Ast::Unspecified | Ast::Literal(_) => {}
        Ast::Ident(name) => {
            if name == "now" && !bound.iter().any(|b| b == "now") {
                e.expr = Ast::Call(CallExpr {
                    func_name: NOW.to_owned(),
                    target: None,
                    args: Vec::new(),
                });
            }
        }
        Ast::Select(s) => rewrite_in(&mut s.operand, info, src, bound)?,
        Ast::Call(call) => {
            if let Some(target) = &mut call.target {
                rewrite_in(target, info, src, bound)?;
            }
            for arg in &mut call.args {
                rewrite_in(arg, info, src, bound)?;
            }
            if call.func_name == "timestamp" && call.target.is_none() && call.args.len() == 1 {
                TIMESTAMP.clone_into(&mut call.func_name);
            }
            if call.func_name == "matches" {
                let args = match (call.target.take(), call.args.len()) {
                    (Some(target), 1) => Some(vec![*target, call.args.remove(0)]),
                    (None, 2) => Some(std::mem::take(&mut call.args)),
                    (target, _) => {
                        call.target = target;
                        None
                    }
                };
                if let Some(args) = args {
                    if let Ast::Literal(LiteralValue::String(pattern)) = &args[1].expr {
                        compile_pattern(pattern.inner()).map_err(|message| {
                            let at = info
                                .offset_for(args[1].id)
                                .map(|(start, _)| char_offset(src, start as usize));
                            ExprError::new(message, at)
                        })?;
                    }
                    *call = CallExpr {
                        func_name: MATCHES.to_owned(),
                        target: None,
                        args,
                    };
                }
            }
        }
        Ast::List(list) => {
            for element in &mut list.elements {
                rewrite_in(element, info, src, bound)?;
            }
        }
        Ast::Map(map) => rewrite_entries(&mut map.entries, info, src, bound)?,
        Ast::Struct(st) => rewrite_entries(&mut st.entries, info, src, bound)?,
        Ast::Comprehension(c) => {
            rewrite_in(&mut c.iter_range, info, src, bound)?;
            rewrite_in(&mut c.accu_init, info, src, bound)?;
            let outer = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            for part in [&mut c.loop_cond, &mut c.loop_step, &mut c.result] {
                rewrite_in(part, info, src, bound)?;
            }
            bound.truncate(outer);
            let range = std::mem::take(&mut c.iter_range);
            c.iter_range = IdedExpr {
                id: range.id,
                expr: Ast::Call(CallExpr {
                    func_name: CHARGE.to_owned(),
                    target: None,
                    args: vec![range],
                }),
            };
        }
    }
    Ok(())
}

fn rewrite_entries(
    entries: &mut [cel::common::ast::IdedEntryExpr],
    info: &SourceInfo,
    src: &str,
    bound: &mut Vec<String>,
) -> Result<(), ExprError> {
    for entry in entries {
        match &mut entry.expr {
            EntryExpr::StructField(field) => rewrite_in(&mut field.value, info, src, bound)?,
            EntryExpr::MapEntry(e) => {
                rewrite_in(&mut e.key, info, src, bound)?;
                rewrite_in(&mut e.value, info, src, bound)?;
            }
        }
    }
    Ok(())
}

fn compile_pattern(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid regular expression for `matches`: {e}"))
}

/// Resets this thread's budget before an evaluation.
pub(crate) fn start_budget() {
    LEFT.with(|left| left.set(BUDGET));
}

/// Whether the last evaluation on this thread ran out of budget.
pub(crate) fn over_budget() -> bool {
    LEFT.with(|left| left.get() < 0)
}

/// The message of an evaluation that ran out of budget.
pub(crate) fn budget_message() -> String {
    format!(
        "the expression iterates over more than {BUDGET} elements in all (nested `all`, `exists`, \
         `map` or `filter` over long lists): make the rule simpler or the lists shorter"
    )
}

/// `@lore_charge(range)`: the range, once its size is charged to the budget.
fn charge<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let range = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    let size = range.as_sizer().map_or(0, |s| *s.size().inner()).max(0);
    let left = LEFT.with(|left| {
        let now = left.get().saturating_sub(size.saturating_add(1));
        left.set(now);
        now
    });
    if left < 0 {
        return Err(ExecutionError::function_error("budget", budget_message()));
    }
    Ok(range)
}

/// `touches(REF)`: this thread's answer for the fact being evaluated.
fn touches<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let reference = args
        .first()
        .and_then(|a| a.downcast_ref::<CelString>())
        .map(cel::common::types::CelString::inner)
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    TOUCHED.with(|touched| match touched.borrow().as_ref() {
        None => Err(ExecutionError::function_error(
            TOUCHES,
            "touches() is only known to `lore report --where` and `lore incidents`",
        )),
        Some(map) => match map.get(reference) {
            Some(&yes) => Ok(CowVal::owned(CelBool::from(yes))),
            None => Err(ExecutionError::function_error(
                TOUCHES,
                "touches() takes a REF written as a string literal, e.g. touches('Feature:alerts')",
            )),
        },
    })
}

/// `now`: the moment this run started, or the one `LORE_NOW` names.
fn now<'b, 'v>(_args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    match &*super::NOW {
        Ok(t) => Ok(CowVal::owned(CelTimestamp::from(*t))),
        Err(message) => Err(ExecutionError::function_error("now", message)),
    }
}

/// `timestamp(x)`: CEL's (an RFC 3339 date-time, a timestamp, Unix seconds), and a
/// `YYYY-MM-DD` date as its midnight UTC, since that is how catalogs write dates.
fn timestamp<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let arg = args
        .first()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    if let Some(t) = arg.downcast_ref::<CelTimestamp>() {
        return Ok(CowVal::owned(CelTimestamp::from(*t.inner())));
    }
    if let Some(i) = arg.downcast_ref::<cel::common::types::CelInt>() {
        let t = chrono::DateTime::from_timestamp(*i.inner(), 0)
            .ok_or_else(|| ExecutionError::function_error("timestamp", "timestamp out of range"))?;
        return Ok(CowVal::owned(CelTimestamp::from(t.fixed_offset())));
    }
    let Some(text) = arg.downcast_ref::<CelString>() else {
        return Err(ExecutionError::function_error(
            "timestamp",
            "timestamp() takes a date (`2025-03-01`), an RFC 3339 date-time (`2025-03-01T12:00:00Z`) or Unix seconds",
        ));
    };
    super::parse_moment(text.inner())
        .map(|t| CowVal::owned(CelTimestamp::from(t)))
        .ok_or_else(|| {
            ExecutionError::function_error(
                "timestamp",
                format!(
                    "`{}` is neither a date (`2025-03-01`) nor an RFC 3339 date-time (`2025-03-01T12:00:00Z`)",
                    super::excerpt(text.inner())
                ),
            )
        })
}

/// `@lore_matches(text, pattern)`: `text.matches(pattern)` with the compiled pattern
/// from this thread's cache.
fn matches<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let text = |i: usize| {
        args.get(i)
            .and_then(|a| a.downcast_ref::<CelString>())
            .map(cel::common::types::CelString::inner)
            .ok_or_else(ExecutionError::missing_argument_or_target)
    };
    let (text, pattern) = (text(0)?, text(1)?);
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let found = if let Some(re) = cache.get(pattern) {
            re.is_match(text)
        } else {
            let re = compile_pattern(pattern)
                .map_err(|e| ExecutionError::function_error("matches", e))?;
            if cache.len() >= CACHED_PATTERNS {
                cache.clear();
            }
            let found = re.is_match(text);
            cache.insert(pattern.to_owned(), re);
            found
        };
        Ok(CowVal::owned(CelBool::from(found)))
    })
}

/// How many patterns this thread has compiled and kept.
#[cfg(test)]
pub(crate) fn cached_patterns() -> usize {
    PATTERNS.with(|cache| cache.borrow().len())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Expr, ExprError, Template};
    use super::*;

    /// Runs `f` on a rayon worker thread with rayon's default stack, as `lore validate`
    /// checks entries.
    fn on_rayon<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread pool")
            .install(f)
    }

    /// The smallest `n` for which `make(n)` does not compile, searched up to `limit`,
    /// with its error; `make(n - 1)` compiles.
    fn first_refused(make: &dyn Fn(usize) -> String, limit: usize) -> (usize, ExprError) {
        let refused = |n: usize| Expr::compile(&make(n)).err();
        let mut hi = 1;
        while refused(hi).is_none() {
            hi *= 2;
            assert!(hi <= limit, "`{}…` is never refused", &make(1));
        }
        let mut lo = hi / 2; // compiles (or 0)
        while hi - lo > 1 {
            let mid = usize::midpoint(lo, hi);
            if refused(mid).is_some() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (hi, refused(hi).expect("refused"))
    }

    #[test]
    fn every_kind_of_nesting_is_refused_before_it_can_overflow_a_rayon_stack() {
        let entry = json!({"a": {"a": {"a": 1}}, "ok": true});
        type Form = Box<dyn Fn(usize) -> String + Sync>;
        let forms: Vec<(&str, Form)> = vec![
            (
                "+ chain",
                Box::new(|n| format!("{} > 0", vec!["1"; n].join("+"))),
            ),
            (
                "* chain",
                Box::new(|n| format!("{} > 0", vec!["2"; n].join(" * "))),
            ),
            (
                "parentheses",
                Box::new(|n| format!("{}1{} > 0", "(".repeat(n), ")".repeat(n))),
            ),
            (
                "lists",
                Box::new(|n| format!("size({}1{}) > 0", "[".repeat(n), "]".repeat(n))),
            ),
            (
                "maps",
                Box::new(|n| format!("size({}1{}) > 0", "{1: ".repeat(n), "}".repeat(n))),
            ),
            (
                "calls",
                Box::new(|n| format!("{}1{} > 0", "int(".repeat(n), ")".repeat(n))),
            ),
            ("!", Box::new(|n| format!("{}self.ok", "!".repeat(n)))),
            ("-", Box::new(|n| format!("{}1 < 2", "-".repeat(n)))),
            (
                "fields",
                Box::new(|n| format!("has(self{})", ".a".repeat(n))),
            ),
            (
                "indexes",
                Box::new(|n| format!("self{} == 1", "['a']".repeat(n))),
            ),
            ("&&", Box::new(|n| vec!["self.ok"; n].join(" && "))),
            ("||", Box::new(|n| vec!["!self.ok"; n].join(" || "))),
            (
                "ternaries",
                Box::new(|n| format!("{}false", "self.ok ? true : ".repeat(n))),
            ),
            (
                "loops",
                Box::new(|n| format!("{}true{}", "[1].all(x, ".repeat(n), ")".repeat(n))),
            ),
        ];
        on_rayon(|| {
            for (name, make) in &forms {
                let (n, err) = first_refused(make.as_ref(), 1 << 14);
                assert!(
                    err.message.contains("too deeply nested")
                        || err.message.contains("too long")
                        || err.message.contains("nested more than"),
                    "{name} at {n}: {err:?}"
                );
                assert!(err.message.contains("split"), "{name}: {err:?}");
                // Just under the limit compiles, and evaluates on this rayon thread.
                let just_under = Expr::compile(&make(n - 1)).unwrap();
                let _ = just_under.eval(&[("self", &entry)]);
            }
        });
    }

    #[test]
    fn balanced_chains_are_not_nesting() {
        // `&&` and `||` are balanced trees: hundreds of clauses are fine.
        let clauses: Vec<String> = (0..300).map(|i| format!("self.x != {i}")).collect();
        let e = Expr::compile(&clauses.join(" && ")).unwrap();
        assert!(on_rayon(|| e.eval_bool(&[("self", &json!({"x": -1}))])).unwrap());
    }

    #[test]
    fn length_and_brackets_are_checked_on_the_source() {
        let long = format!("'{}' == ''", "x".repeat(MAX_LEN));
        let err = Expr::compile(&long).unwrap_err();
        assert!(err.message.contains("too long"), "{err:?}");
        assert_eq!(err.offset, None);

        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        let err = scan(&deep).unwrap_err();
        assert_eq!(err.offset, Some(MAX_BRACKETS), "{err:?}");
        // Brackets inside strings are text.
        let quoted = format!(
            "'{}' != \"{}\" && r'\\' != '{}'",
            "(".repeat(100),
            "[".repeat(100),
            "{".repeat(100)
        );
        assert!(scan(&quoted).is_ok());
        assert!(scan(&format!("'''{}''' == ''", "('".repeat(100))).is_ok());
    }

    #[test]
    fn comprehensions_nest_three_deep_at_most() {
        let list = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
        let nested = |n: usize| {
            let vars = ["a", "b", "c", "d", "e", "f", "g", "h"];
            let mut src = "true".to_owned();
            for v in vars[..n].iter().rev() {
                src = format!("{list}.all({v}, {src})");
            }
            src
        };
        let three = Expr::compile(&nested(3)).unwrap();
        assert!(three.eval_bool(&[]).unwrap());
        for n in [4, 8] {
            let err = Expr::compile(&nested(n)).unwrap_err();
            assert!(err.message.contains("nested more than 3 deep"), "{err:?}");
        }
        // A loop over a loop's result is sequential, not nested.
        let chained = Expr::compile(&format!(
            "{list}.map(a, a * 2).filter(b, b > 4).map(c, c + 1).exists(d, d == 7)"
        ))
        .unwrap();
        assert!(chained.eval_bool(&[]).unwrap());
        // The offset is the comprehension that goes too deep.
        let err =
            Expr::compile("[1].all(a, [1].all(b, [1].all(c, [1].exists(d, true))))").unwrap_err();
        let at = err.offset.expect("an offset");
        assert!((33..44).contains(&at), "{err:?}");
    }

    #[test]
    fn an_evaluation_that_iterates_too_much_runs_out_of_budget() {
        let list: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let list = format!("[{}]", list.join(", "));
        // 100 × 100 × 100 = a million steps: over budget, whatever the answer would be.
        for src in [
            format!("{list}.all(a, {list}.all(b, {list}.all(c, a + b + c >= 0)))"),
            format!("{list}.exists(a, {list}.exists(b, {list}.exists(c, a + b + c < 0)))"),
            format!("size({list}.map(a, {list}.map(b, {list}.filter(c, c > a)))) > 0"),
        ] {
            let e = Expr::compile(&src).unwrap();
            let err = on_rayon(|| e.eval_bool(&[])).unwrap_err();
            assert!(err.over_budget(), "{err:?}");
            assert!(err.message.contains("more than 100000 elements"), "{err:?}");
        }
        // Lists from the entry are charged the same way.
        let items: Vec<i64> = (0..1000).collect();
        let entry = json!({"items": items});
        let e = Expr::compile("self.items.all(a, self.items.all(b, a + b >= 0))").unwrap();
        assert!(e.eval_bool(&[("self", &entry)]).unwrap_err().over_budget());
        // Each evaluation starts with the whole budget.
        let e = Expr::compile(&format!("{list}.all(a, {list}.all(b, a + b >= 0))")).unwrap();
        for _ in 0..20 {
            assert!(e.eval_bool(&[]).unwrap());
        }
        // A template placeholder too.
        let t = Template::compile(&format!(
            "{{{{ {list}.map(a, {list}.map(b, {list}.map(c, c))) }}}}"
        ))
        .unwrap();
        assert!(t.render(&[]).unwrap_err().over_budget());
    }

    #[test]
    fn matches_compiles_its_pattern_once_per_thread() {
        let e = Expr::compile("self.names.all(n, n.matches('^[a-z]+$')) && matches(self.id, '^x')")
            .unwrap();
        on_rayon(|| {
            for i in 0..100 {
                let entry = json!({"id": format!("x{i}"), "names": ["a", "bc"]});
                assert!(e.eval_bool(&[("self", &entry)]).unwrap());
            }
            assert_eq!(cached_patterns(), 2);
            let entry = json!({"id": "y", "names": ["a", "B"]});
            assert!(!e.eval_bool(&[("self", &entry)]).unwrap());
        });
    }

    #[test]
    fn a_bad_constant_pattern_is_a_compile_error_and_a_bad_dynamic_one_a_runtime_error() {
        let err = Expr::compile("self.id.matches('(unclosed')").unwrap_err();
        assert!(
            err.message.contains("not a valid regular expression"),
            "{err:?}"
        );
        assert_eq!(err.offset, Some(16), "{err:?}");
        let err = Expr::compile("matches(self.id, 'a{99999}{99999}')").unwrap_err();
        assert!(
            err.message.contains("not a valid regular expression"),
            "{err:?}"
        );

        let e = Expr::compile("self.id.matches(self.pattern)").unwrap();
        let err = e
            .eval_bool(&[("self", &json!({"id": "a", "pattern": "("}))])
            .unwrap_err();
        assert!(err.message.contains("matches"), "{err:?}");
        assert!(!err.message.contains(MATCHES), "{err:?}");
        assert!(e
            .eval_bool(&[("self", &json!({"id": "a", "pattern": "^a$"}))])
            .unwrap());
        // A wrong type names `matches` as the user wrote it.
        let e = Expr::compile("self.id.matches('a')").unwrap();
        let err = e.eval_bool(&[("self", &json!({"id": 1}))]).unwrap_err();
        assert!(!err.message.contains(MATCHES), "{err:?}");
    }

    #[test]
    fn the_pattern_cache_is_bounded() {
        let e = Expr::compile("self.id.matches(self.pattern)").unwrap();
        on_rayon(|| {
            for i in 0..(CACHED_PATTERNS * 3) {
                let entry = json!({"id": "a", "pattern": format!("^a|{i}$")});
                assert!(e.eval_bool(&[("self", &entry)]).unwrap());
                assert!(cached_patterns() <= CACHED_PATTERNS);
            }
        });
    }
}
