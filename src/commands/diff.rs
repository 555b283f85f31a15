//! `lore diff BASE [HEAD]`: load the catalog at both sides, compare, render.

use super::{load_at, Error, Io, Outcome};
use crate::cli::{CatalogArgs, DiffArgs};
use crate::query::diff;
use crate::render::changes::{render, Sides};
use crate::workspace;

pub(crate) fn run(
    args: &DiffArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    if catalog_args.rev.is_some() {
        return Err(Error::usage(
            "`diff` takes its revisions as arguments: `lore diff BASE [HEAD]`, not `--rev`",
        ));
    }
    let root = workspace::find_root(&super::start_dir(catalog_args)?)?;
    let (base, head) = rayon::join(
        || load_at(&root, Some(&args.base)),
        || load_at(&root, args.head.as_deref()),
    );
    let (base, head) = (base?, head?);
    let mut changes = diff::diff(&base, &head);
    changes.routing = crate::alert::cases::routing(&base, &head);
    let sides = Sides {
        base: &args.base,
        head: args.head.as_deref().unwrap_or("working tree"),
    };
    let style = io.style();
    render(io.out, &changes, &sides, args.format, style)?;
    Ok(Outcome::Ok)
}
