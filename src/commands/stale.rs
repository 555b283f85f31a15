//! `lore stale`: load the working tree, blame every entry, render what is too old.

use super::{Io, Outcome, Stop};
use crate::cli::{CatalogArgs, StaleArgs};
use crate::query::stale;
use crate::render::stale::render;
use crate::{history, workspace};

/// Environment variable that fixes "now" (`YYYY-MM-DD` or Unix seconds), for tests and
/// reproducible reports.
pub const NOW_VAR: &str = "LORE_NOW";

pub fn run(args: &StaleArgs, catalog_args: &CatalogArgs, io: &mut Io<'_>) -> Result<Outcome, Stop> {
    if catalog_args.rev.is_some() {
        return Err(Stop::usage(
            "`stale` measures the working tree against its history; drop --rev",
        ));
    }
    let root = workspace::find_root(&super::start_dir(catalog_args)?).map_err(Stop::usage)?;
    let repo = history::open(&root).map_err(|e| Stop::usage(e.0))?;
    let catalog = crate::load::load(&root).map_err(|f| Stop::usage(f.0))?;
    let max_age = args
        .max_age
        .as_deref()
        .unwrap_or(&catalog.config.freshness.max_age);
    let max_age = stale::parse_age(max_age).map_err(Stop::usage)?;
    let now = match std::env::var(NOW_VAR) {
        Ok(v) => crate::date::parse_day_or_seconds(&v).ok_or_else(|| {
            Stop::usage(format!(
                "{NOW_VAR}=`{v}` is not a date; write YYYY-MM-DD or Unix seconds"
            ))
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let report = stale::stale(&catalog, &repo, max_age, now).map_err(Stop::usage)?;
    render(io.out, &catalog, &report, args.format)?;
    Ok(Outcome::Ok)
}
