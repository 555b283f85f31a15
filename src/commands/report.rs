//! `lore report TYPE [--by DIM] [--sum EXPR] …`: facts counted or summed under the
//! entries they name, per period.

use super::{refs, Error, Io, Outcome};
use crate::cli::{CatalogArgs, ReportArgs};
use crate::date::parse_date;
use crate::diag::closest;
use crate::expr::Expr;
use crate::graph::{Catalog, EntryId};
use crate::model::TypeId;
use crate::query::report::{self, Spec};
use crate::render::report::{self as draw, Asked};
use crate::term::escape;

pub(crate) fn run(
    args: &ReportArgs,
    catalog: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = refs::load(catalog, io)?;
    let facts = type_named(&c, &args.type_name, "TYPE")?;
    let by = args
        .by
        .as_deref()
        .map(|b| type_named(&c, b, "--by"))
        .transpose()?;
    let fact_type = c.type_def(facts);
    for v in &args.via {
        if fact_type.relation(v).is_none() {
            let names: Vec<&str> = fact_type
                .relations
                .iter()
                .map(|r| r.name.as_str())
                .collect();
            return Err(Error::usage(format!(
                "{} has no relation `{}`; --via takes one of: {}",
                fact_type.name,
                escape(v),
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    if let Some(dim) = by {
        if let Some(reached) = report::unreachable(&c, facts, dim, &args.via, args.impact) {
            return Err(Error::usage(format!(
                "no relation path leads from {} to {}{}; --by takes one of: {}{}",
                fact_type.name,
                c.type_def(dim).name,
                if args.via.is_empty() {
                    ""
                } else {
                    " through --via"
                },
                if reached.is_empty() {
                    "(none)".to_owned()
                } else {
                    reached.join(", ")
                },
                if args.impact {
                    ""
                } else {
                    " (or add --impact)"
                }
            )));
        }
    }
    let sum = args
        .sum
        .as_deref()
        .map(|s| compile(s, "--sum"))
        .transpose()?;
    let filter = args
        .filter
        .as_deref()
        .map(|s| compile(s, "--where"))
        .transpose()?;
    let mut touches: Vec<(String, EntryId)> = Vec::new();
    if let Some(f) = &filter {
        let refs = f.literal_args("touches").map_err(|e| Error::Filter {
            expression: f.source().to_owned(),
            message: e.message,
        })?;
        for r in refs {
            let e = refs::resolve(&c, &r)?;
            touches.push((r, e));
        }
    }
    let time = time_field(&c, facts, args.time.as_deref());
    let needs_time = args.per.is_some() || args.since.is_some() || args.until.is_some();
    if needs_time && time.is_none() {
        return Err(Error::usage(format!(
            "--per, --since and --until need the time field of {0}: write --time FIELD (a date attribute of {0}), or `incidents: {{type: {0}, time: FIELD}}` in lore.yaml",
            fact_type.name
        )));
    }
    if let Some(t) = &time {
        if needs_time && !fact_type.attributes().contains(&t.as_str()) {
            return Err(Error::usage(format!(
                "{} declares no attribute `{}`; --time takes a date attribute, one of: {}",
                fact_type.name,
                escape(t),
                fact_type.attributes().join(", ")
            )));
        }
    }
    let since = args
        .since
        .as_deref()
        .map(|s| date(s, "--since"))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| date(s, "--until"))
        .transpose()?;
    let spec = Spec {
        facts,
        by,
        sum: sum.as_ref(),
        impact: args.impact,
        via: &args.via,
        filter: filter.as_ref(),
        touches: &touches,
        per: args.per,
        time: time.as_deref(),
        since,
        until,
        top: args.top,
    };
    let answer = report::report(&c, &spec).map_err(|e| Error::usage(e.to_string()))?;
    if let Some((e, err)) = answer.failures.first() {
        writeln!(
            io.err,
            "warning: --where could not be evaluated on {} (left out), e.g. {}: {}",
            crate::term::count(answer.failures.len(), "fact", "facts"),
            escape(&c.key(*e)),
            escape(&err.message)
        )?;
    }
    if let Some(e) = answer.undated.first() {
        writeln!(
            io.err,
            "warning: {} no date in `{}` (left out), e.g. {}",
            crate::term::count(answer.undated.len(), "fact has", "facts have"),
            escape(time.as_deref().unwrap_or("")),
            escape(&c.key(*e))
        )?;
    }
    let asked = Asked {
        facts: &fact_type.name,
        by: by.map(|t| c.type_def(t).name.as_str()),
        sum: args.sum.as_deref(),
        impact: args.impact,
        per: args.per.map(super::super::date::Per::as_str),
    };
    let style = io.style();
    draw::render(io.out, &c, &answer, &asked, args.format, style)?;
    if answer.all.count == 0 {
        writeln!(
            io.err,
            "no {} fact is counted: loosen --where, --since or --until, or check that {} entries exist",
            fact_type.name, fact_type.name
        )?;
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Ok)
}

/// The type `name` names, or a usage error with the closest names.
pub(crate) fn type_named(c: &Catalog, name: &str, what: &str) -> Result<TypeId, Error> {
    c.type_id(name).ok_or_else(|| {
        let names: Vec<&str> = c.types().map(|(_, t)| t.name.as_str()).collect();
        let hint = match closest(name, names.iter().copied()).first() {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("the types are {}", names.join(", ")),
        };
        Error::usage(format!(
            "{what}: there is no type `{}`; {hint}",
            escape(name)
        ))
    })
}

fn compile(src: &str, flag: &str) -> Result<Expr, Error> {
    Expr::compile(src).map_err(|e| {
        Error::usage(format!(
            "invalid {flag} expression `{}`: {}",
            escape(src),
            e.message
        ))
    })
}

fn date(text: &str, flag: &str) -> Result<jiff::civil::Date, Error> {
    parse_date(text).ok_or_else(|| {
        Error::usage(format!(
            "{flag} `{}` is not a date; write YYYY-MM-DD",
            escape(text)
        ))
    })
}

/// `--time`, else lore.yaml's `incidents.time` when `facts` is its incident type.
pub(crate) fn time_field(c: &Catalog, facts: TypeId, flag: Option<&str>) -> Option<String> {
    if let Some(t) = flag {
        return Some(t.to_owned());
    }
    c.config
        .incidents
        .as_ref()
        .filter(|i| i.type_name == c.type_def(facts).name)
        .and_then(|i| i.time.clone())
}
