//! `lore sources`: every alert source in detection order, or one as YAML to copy into
//! lore.yaml.

use super::{load_catalog, Error, Io, Outcome};
use crate::alert::sources::{self, Source};
use crate::cli::{CatalogArgs, SourcesArgs};
use crate::graph::Catalog;
use crate::term::escape;
use crate::workspace::CONFIG_FILE;

pub(crate) fn run(
    args: &SourcesArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = load_catalog(catalog_args)?;
    let all = sources::all(&c);
    let Some(name) = &args.name else {
        return list(&all, io);
    };
    let Some(s) = all.iter().find(|s| &s.name == name) else {
        if c.config.alerts.broken.iter().any(|b| b == name) {
            return Err(Error::usage(format!(
                "the alert source `{}` in lore.yaml has problems and was left out; run `lore validate` to see them",
                escape(name)
            )));
        }
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        let guess = crate::diag::closest(name, names.iter().copied())
            .first()
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return Err(Error::usage(format!(
            "there is no alert source `{}`; {guess}`lore sources` lists them all",
            escape(name)
        )));
    };
    let text = if s.builtin {
        sources::builtin_text(&s.name).map(str::to_owned)
    } else {
        configured_text(&c, &s.name)
    };
    let Some(text) = text else {
        return Err(Error::usage(format!(
            "cannot find the text of the alert source `{}`",
            escape(name)
        )));
    };
    let out = &mut io.out;
    if s.builtin {
        writeln!(
            out,
            "# The built-in source `{}`. To change it, copy this into lore.yaml: a source there\n# replaces the built-in of the same name. Check it with `lore validate` and `lore test`.",
            s.name
        )?;
    } else {
        writeln!(out, "# `{}` as lore.yaml configures it.", escape(&s.name))?;
    }
    writeln!(out, "alerts:\n  sources:\n    {}:", escape(&s.name))?;
    for line in text.lines() {
        if line.trim().is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "      {}", escape(line))?;
        }
    }
    Ok(Outcome::Ok)
}

fn list(all: &[Source], io: &mut Io<'_>) -> Result<Outcome, Error> {
    let w = all
        .iter()
        .map(|s| escape(&s.name).chars().count())
        .max()
        .unwrap_or(0);
    writeln!(
        io.out,
        "Alert sources, in the order `lore route` tries them (lore.yaml's first):"
    )?;
    for s in all {
        let origin = if s.builtin { "built-in " } else { "lore.yaml" };
        writeln!(
            io.out,
            "  {:w$}  {origin}  {}",
            escape(&s.name),
            escape(s.description.as_deref().unwrap_or("")),
        )?;
        if let Some(d) = &s.docs {
            writeln!(io.out, "  {:w$}             {}", "", escape(d))?;
        }
    }
    writeln!(
        io.out,
        "\n`lore sources NAME` prints one as YAML to copy into lore.yaml; a payload no source\nrecognizes is scanned for ids and aliases."
    )?;
    Ok(Outcome::Ok)
}

/// The lines of lore.yaml that define source `name`.
fn configured_text(c: &Catalog, name: &str) -> Option<String> {
    let file = (0..c.sources.len())
        .map(|i| crate::span::FileId(i as u32))
        .find(|&f| c.sources.path(f) == std::path::Path::new(CONFIG_FILE))?;
    let text = &c.sources.get(file).text();
    let parsed = crate::yaml::parse(text, crate::yaml::Limits::default(), true);
    let doc = parsed.documents.first()?;
    let pointer = format!("/alerts/sources/{}", crate::schema::escape(name));
    let span = doc.spans.as_ref()?.value(&pointer)?;
    // Whole lines, dedented to the source's own indentation.
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let body = &text[start..span.end];
    let indent = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    Some(
        body.lines()
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
