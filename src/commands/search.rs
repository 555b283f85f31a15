//! `lore search TEXT`: fuzzy find by id, alias or name across every type.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, SearchArgs};
use crate::query::browse;
use crate::render::browse as draw;

pub(crate) fn run(
    args: &SearchArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load(catalog, io)?;
    let hits = browse::search(&c, &args.text, args.limit);
    if hits.is_empty() {
        return Err(Error::NotFound(format!(
            "nothing has an id, alias or name like `{}`; try a shorter part of it, or `lore list TYPE`",
            args.text
        )));
    }
    let style = io.style();
    draw::search(io.out, &c, &args.text, &hits, args.format, style)?;
    Ok(Outcome::Ok)
}
