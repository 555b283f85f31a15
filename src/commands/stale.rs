//! `lore stale`: load the working tree, blame every entry, render what is too old.

use super::{Error, Io, Outcome};
use crate::cli::{CatalogArgs, StaleArgs};
use crate::query::stale;
use crate::render::stale::render;
use crate::{history, workspace};

use crate::date::NOW_VAR;

pub(crate) fn run(
    args: &StaleArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    if catalog_args.rev.is_some() {
        return Err(Error::usage(
            "`stale` measures the working tree against its history; drop --rev",
        ));
    }
    let root = workspace::find_root(&super::start_dir(catalog_args)?)?;
    let repo = history::open(&root)?;
    let catalog = crate::load::load(&root)?;
    let max_age = args
        .max_age
        .as_deref()
        .unwrap_or(&catalog.config.freshness.max_age);
    let max_age = stale::parse_age(max_age)?;
    let now = match std::env::var(NOW_VAR) {
        Ok(v) => crate::date::parse_day_or_seconds(&v).ok_or_else(|| {
            Error::usage(format!(
                "{NOW_VAR}=`{v}` is not a date; write YYYY-MM-DD or Unix seconds"
            ))
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let report = stale::stale(&catalog, &repo, max_age, now)?;
    render(io.out, &catalog, &report, args.format)?;
    Ok(if args.fail_if_stale && report.stale > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
