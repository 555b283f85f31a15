//! `lore route`: read an alert payload, route it, draw the answer.

use std::io::IsTerminal;

use super::{load_indexed, start_dir, Error, Io, Outcome};
use crate::alert::{self, route::route};
use crate::cli::RouteFormat;
use crate::cli::{CatalogArgs, RouteArgs};
use crate::config;
use crate::diag::Severity;
use crate::render::route::{self as draw};
use crate::term::escape;

pub(crate) fn run(
    args: &RouteArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    // The payload first: a bad one is refused before the catalog is loaded.
    let payload = match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            alert::load_payload_file(&start_dir(catalog_args)?.join(p))?
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(Error::usage(
                    "pass the alert payload as FILE, or pipe it in: `lore route alert.json` or `… | lore route`",
                ));
            }
            alert::load_payload_input(stdin.lock())?
        }
    };
    let c = load_indexed(catalog_args)?;
    let config_errors = c
        .problems
        .iter()
        .filter(|d| d.severity == Severity::Error && config::is_in_config(&c.sources, d))
        .count();
    if config_errors > 0 {
        writeln!(
            io.err,
            "warning: lore.yaml has {config_errors} {}; alert sources or notes with problems are left out (run `lore validate`)",
            if config_errors == 1 { "error" } else { "errors" }
        )?;
    }
    if c.errors() > config_errors {
        writeln!(
            io.err,
            "warning: the catalog has {} errors; answers may be incomplete (run `lore validate`)",
            c.errors() - config_errors
        )?;
    }
    let r = route(&c, &payload, args.source.as_deref())?;
    for w in &r.warnings {
        writeln!(io.err, "warning: {}", escape(w))?;
    }
    match args.format {
        RouteFormat::Human => {
            let style = io.style();
            draw::human(&c, &r, io.out, style)?;
        }
        RouteFormat::Json => {
            serde_json::to_writer_pretty(&mut *io.out, &draw::json(&c, &r))
                .map_err(std::io::Error::from)?;
            writeln!(io.out)?;
        }
        RouteFormat::Markdown => draw::markdown(&c, &r, io.out)?,
    }
    Ok(if r.found.matches.is_empty() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
