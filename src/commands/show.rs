//! `lore show REF`: one entry in full.

use super::{refs, Io, Outcome, Stop};
use crate::browse;
use crate::cli::{CatalogArgs, ShowArgs};
use crate::render::browse as draw;
use crate::render::query::Style;
use crate::render::Paths;

pub fn run(args: &ShowArgs, catalog: &CatalogArgs, io: &mut Io<'_>) -> Result<Outcome, Stop> {
    let c = refs::load(catalog, io)?;
    let e = refs::resolve(&c, &args.reference)?;
    let shown = browse::show(&c, e);
    let style = Style { width: io.width };
    draw::show(io.out, &c, &shown, &Paths::new(&c.root), args.format, style)?;
    Ok(Outcome::Ok)
}
