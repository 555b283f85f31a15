//! `lore show REF`: one entry in full.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, ShowArgs};
use crate::query::browse;
use crate::render::browse as draw;
use crate::render::Paths;

pub(crate) fn run(
    args: &ShowArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load_indexed(catalog, io)?;
    let e = refs::resolve(&c, &args.reference)?;
    let mut shown = browse::show(&c, e);
    // The working tree's last change; with --rev the text is the revision's, and a
    // catalog outside git simply has no history to show.
    if catalog.rev.is_none() {
        shown.last_change = last_change(&c, e);
    }
    let style = io.style();
    draw::show(io.out, &c, &shown, &Paths::new(&c.root), args.format, style)?;
    Ok(Outcome::Ok)
}

/// The last commit that touched the entry's lines, if the catalog is in git.
fn last_change(c: &crate::graph::Catalog, e: crate::graph::EntryId) -> Option<browse::LastChange> {
    let entry = c.entry(e);
    let file = c.sources.get(entry.file);
    let first = c.sources.line_col(entry.file, entry.span.start).0 - 1;
    let last = c
        .sources
        .line_col(entry.file, entry.span.end.saturating_sub(1))
        .0;
    let repo = crate::history::open(&c.root).ok()?;
    let change = repo
        .last_change(
            &file.path,
            file.text().as_bytes(),
            first..last.max(first + 1),
        )
        .ok()??;
    Some(browse::LastChange {
        date: change.date(),
        commit: change.commit,
        author: change.author,
        summary: change.summary,
    })
}
