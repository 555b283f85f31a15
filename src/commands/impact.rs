//! `lore impact REF… [--depth N]`: what else breaks, by type, with totals.
//!
//! Exit 0 whenever the REFs resolve, even when nothing else is impacted: "nothing else
//! breaks" is an answer, not a failed lookup.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, ImpactArgs};
use crate::query;
use crate::render::query as draw;

pub(crate) fn run(
    args: &ImpactArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load_indexed(catalog, io)?;
    let roots = refs::resolve_all(&c, &args.refs)?;
    let set = query::impact(&c, &roots, args.depth);
    let style = io.style();
    draw::impact(io.out, &c, &set, args.depth, args.format, style)?;
    Ok(Outcome::Ok)
}
