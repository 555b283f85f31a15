//! `lore owners REF…`: who owns each entry, how to reach them, and why.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, OwnersArgs};
use crate::graph::{Catalog, EntryId};
use crate::query;
use crate::render::query as draw;
use crate::term::escape;

pub(crate) fn run(
    args: &OwnersArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load_indexed(catalog, io)?;
    let entries = refs::resolve_all(&c, &args.refs)?;
    let answers: Vec<_> = entries.iter().map(|&e| (e, query::owners(&c, e))).collect();
    let style = io.style();
    draw::owners(io.out, &c, &answers, args.format, style)?;
    let mut outcome = Outcome::Ok;
    for (e, found) in &answers {
        if found.is_empty() {
            outcome = Outcome::Failed;
            writeln!(io.err, "error: {}", escape(&no_owner(&c, *e)))?;
        }
    }
    Ok(outcome)
}

/// Why an entry has no owner, and what to set.
fn no_owner(c: &Catalog, e: EntryId) -> String {
    let t = c.type_of(e);
    let has_parent = c.out(e).any(|edge| c.relation(edge).parent);
    let owner_rel = t.relations.iter().find(|r| r.owner);
    let parent_rel = t.relations.iter().find(|r| r.parent);
    let key = c.key(e);
    match (has_parent, owner_rel, parent_rel) {
        (true, Some(o), _) => format!(
            "{key} has no owner: it sets no `{}`, and none of its parents has an owner",
            o.name
        ),
        (true, None, _) => format!(
            "{key} has no owner: type {} has no owner relation, and none of its parents has an owner",
            t.name
        ),
        (false, Some(o), Some(p)) => format!(
            "{key} has no owner: set its `{}`, or a `{}` that has one",
            o.name, p.name
        ),
        (false, Some(o), None) => format!("{key} has no owner: set its `{}`", o.name),
        (false, None, Some(p)) => format!(
            "{key} has no owner: set its `{}` to an entry that has one",
            p.name
        ),
        (false, None, None) => format!(
            "{key} has no owner: type {} declares no owner or parent relation",
            t.name
        ),
    }
}
