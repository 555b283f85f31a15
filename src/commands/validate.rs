//! `lore validate`: load everything, report every problem.

use std::path::{Path, PathBuf};

use super::{Io, Outcome, Stop};
use crate::cli::{CatalogArgs, ValidateArgs};
use crate::diag::{Code, Diag, Loc, Severity};
use crate::render::diagnostics::{render, Report, Style};
use crate::render::Paths;
use crate::workspace;

pub fn run(
    args: &ValidateArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Stop> {
    let cwd = super::start_dir(catalog_args)?;
    let start = args.paths.first().map_or(cwd.clone(), |p| {
        let p = cwd.join(p);
        if p.is_file() {
            p.parent().map(Path::to_path_buf).unwrap_or(p)
        } else {
            p
        }
    });
    for p in &args.paths {
        if !cwd.join(p).exists() {
            return Err(Stop::usage(format!("`{}` does not exist", p.display())));
        }
    }
    let root = workspace::find_root(&start).map_err(Stop::usage)?;
    let filters = filters(&root, &cwd, &args.paths)?;
    let catalog = super::load_at(&root, catalog_args.rev.as_deref())?;

    let shown: Vec<&Diag> = catalog
        .problems
        .iter()
        .filter(|d| in_scope(&catalog.sources, d, &filters))
        .collect();
    let errors = shown
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = shown.len() - errors;
    let config_broken = shown.iter().any(|d| d.code == Code::Config);
    let ok = errors == 0 && !(args.strict && warnings > 0);
    let report = Report {
        sources: &catalog.sources,
        problems: &shown,
        entries: catalog.entries.len(),
        files: catalog.files,
        ok,
    };
    let style = Style {
        color: io.color,
        width: io.width,
    };
    render(io.out, &report, &Paths::new(&root), args.format, style)?;
    Ok(if config_broken {
        Outcome::Usage
    } else if ok {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// Root-relative prefixes to report on; empty means everything.
fn filters(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<PathBuf>, Stop> {
    let mut out = Vec::new();
    for p in paths {
        let abs = cwd
            .join(p)
            .canonicalize()
            .map_err(|e| Stop::usage(format!("cannot read `{}`: {e}", p.display())))?;
        match abs.strip_prefix(root) {
            Ok(rel) if rel.as_os_str().is_empty() => return Ok(Vec::new()),
            Ok(rel) => out.push(rel.to_path_buf()),
            Err(_) => {
                return Err(Stop::usage(format!(
                    "`{}` is outside the catalog at `{}`; validate one catalog at a time",
                    p.display(),
                    root.display()
                )))
            }
        }
    }
    Ok(out)
}

fn in_scope(sources: &crate::source::SourceMap, d: &Diag, filters: &[PathBuf]) -> bool {
    if filters.is_empty() {
        return true;
    }
    let file = match &d.loc {
        Loc::Span(f, _) | Loc::File(f) | Loc::Pointer { file: f, .. } => *f,
        Loc::None => return true,
    };
    let path = sources.path(file);
    filters.iter().any(|f| path.starts_with(f))
}
