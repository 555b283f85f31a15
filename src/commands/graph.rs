//! `lore graph [REF] [--depth N]`: the relation graph, or the neighbourhood of one entry,
//! as Graphviz dot, Mermaid or JSON.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, GraphArgs};
use crate::query::browse;
use crate::render::browse as draw;

pub(crate) fn run(
    args: &GraphArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load(catalog, io)?;
    let root = match &args.reference {
        Some(r) => Some(refs::resolve(&c, r)?),
        None => None,
    };
    let g = browse::graph(&c, root, args.depth);
    draw::graph(io.out, &c, &g, root, Some(args.depth), args.format)?;
    Ok(Outcome::Ok)
}
