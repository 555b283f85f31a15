//! What every query command does before it asks its question: load the catalog (warning
//! once when it has errors), and turn each REF into an entry or an error with the right
//! exit status (1 for an unknown REF, 2 for an ambiguous one).

use super::{Error, Io};
use crate::cli::CatalogArgs;
use crate::graph::{Catalog, EntryId};
use crate::query;

/// Load the catalog for a query. A catalog with error-level problems still answers; one
/// warning line on stderr says so.
pub(crate) fn load(args: &CatalogArgs, io: &mut Io<'_>) -> Result<super::Loaded, Error> {
    warn(super::load_catalog(args)?, io)
}

/// As [`load`], through the on-disk index (see [`super::load_indexed`]).
pub(crate) fn load_indexed(args: &CatalogArgs, io: &mut Io<'_>) -> Result<super::Loaded, Error> {
    warn(super::load_indexed(args)?, io)
}

fn warn(c: super::Loaded, io: &mut Io<'_>) -> Result<super::Loaded, Error> {
    let errors = c.errors();
    if errors > 0 {
        writeln!(
            io.err,
            "warning: the catalog has {errors} {}; run lore validate",
            if errors == 1 { "problem" } else { "problems" }
        )?;
    }
    Ok(c)
}

/// The entry a REF names, or an error: exit 1 when nothing answers to it (with the
/// closest suggestions), 2 when several do (with the candidates) or the type is unknown.
pub(crate) fn resolve(c: &Catalog, reference: &str) -> Result<EntryId, Error> {
    query::find(c, reference).map_err(|error| Error::Ref {
        reference: reference.to_owned(),
        error,
    })
}

/// Every REF, in order, each once.
pub(crate) fn resolve_all(c: &Catalog, refs: &[String]) -> Result<Vec<EntryId>, Error> {
    let mut out: Vec<EntryId> = Vec::new();
    for r in refs {
        let e = resolve(c, r)?;
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}
