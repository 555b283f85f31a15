//! `lore list TYPE [--where EXPR]`: the entries of a type as a table.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, ListArgs};
use crate::diag::closest;
use crate::expr::Expr;
use crate::query::browse;
use crate::render::browse as draw;
use crate::term::escape;

pub(crate) fn run(
    args: &ListArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load(catalog, io)?;
    let Some(t) = c.type_id(&args.type_name) else {
        let names: Vec<&str> = c.types().map(|(_, t)| t.name.as_str()).collect();
        let near = closest(&args.type_name, names.iter().copied());
        let hint = match near.first() {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("the types are {}", names.join(", ")),
        };
        return Err(Error::usage(format!(
            "there is no type `{}`; {hint}",
            args.type_name
        )));
    };
    let filter = match &args.filter {
        Some(src) => Some(Expr::compile(src).map_err(|e| Error::Filter {
            expression: src.clone(),
            message: e.message,
        })?),
        None => None,
    };
    let listed = browse::list(&c, t, filter.as_ref());
    if let Some((e, err)) = listed.failures.first() {
        writeln!(
            io.err,
            "warning: --where could not be evaluated on {} {} (left out), e.g. {}: {}",
            listed.failures.len(),
            if listed.failures.len() == 1 {
                "entry"
            } else {
                "entries"
            },
            escape(&c.key(*e)),
            escape(&err.message)
        )?;
    }
    let type_name = &c.type_def(t).name;
    if listed.entries.is_empty() {
        let why = match &args.filter {
            Some(f) => format!("no {type_name} entry matches `{f}`"),
            None => format!("the catalog has no {type_name} entries"),
        };
        return Err(Error::NotFound(why));
    }
    let style = io.style();
    draw::list(
        io.out,
        &c,
        t,
        args.filter.as_deref(),
        &listed.entries,
        args.format,
        style,
    )?;
    Ok(Outcome::Ok)
}
