//! `lore incidents REF [--since DATE]`: the incidents that touch an entry (for a team,
//! anything it owns), newest first.

use super::report::{time_field, type_named};
use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, IncidentsArgs};
use crate::query::report;
use crate::render::report as draw;
use crate::term::escape;

pub(crate) fn run(
    args: &IncidentsArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load(catalog, io)?;
    let configured = c.config.incidents.as_ref().map(|i| i.type_name.as_str());
    let facts = match configured {
        Some(name) => type_named(&c, name, "lore.yaml incidents.type")?,
        None => c.type_id("Incident").ok_or_else(|| {
            Error::usage(
                "no type holds incidents: add `incidents: {type: YourType, time: opened}` to lore.yaml, or define a type named Incident",
            )
        })?,
    };
    let target = refs::resolve(&c, &args.reference)?;
    let time = time_field(&c, facts, None);
    let since = match &args.since {
        Some(text) => {
            if time.is_none() {
                return Err(Error::usage(format!(
                    "--since needs the incidents' time field: add `incidents: {{type: {}, time: FIELD}}` to lore.yaml",
                    c.type_def(facts).name
                )));
            }
            Some(crate::date::parse_date(text).ok_or_else(|| {
                Error::usage(format!(
                    "--since `{}` is not a date; write YYYY-MM-DD",
                    escape(text)
                ))
            })?)
        }
        None => None,
    };
    let found = report::incidents(&c, facts, target, time.as_deref(), since);
    if found.is_empty() {
        return Err(Error::NotFound(format!(
            "no {} touches {}{}",
            c.type_def(facts).name,
            escape(&c.key(target)),
            if since.is_some() { " since then" } else { "" }
        )));
    }
    draw::incidents(io.out, &c, target, &found, args.format)?;
    Ok(Outcome::Ok)
}
