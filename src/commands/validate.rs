//! `lore validate`: load everything, report every problem.

use std::path::{Path, PathBuf};

use super::{Error, Io, Outcome};
use crate::cli::{CatalogArgs, ValidateArgs};
use crate::diag::{Code, Diag, Severity};
use crate::render::diagnostics::{render, Report};
use crate::render::Paths;
use crate::term::Style;
use crate::{config, workspace};

pub(crate) fn run(
    args: &ValidateArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
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
            return Err(Error::usage(format!("`{}` does not exist", p.display())));
        }
    }
    let root = workspace::find_root(&start)?;
    let filters = filters(&root, &cwd, &args.paths)?;
    let (catalog, since) = match &args.changed_since {
        None => (
            super::load_at_with(
                &root,
                catalog_args.rev.as_deref(),
                crate::load::load_graph_only,
            )?,
            None,
        ),
        Some(rev) => {
            if catalog_args.rev.is_some() {
                return Err(Error::usage(
                    "--changed-since compares the working tree with a revision; drop --rev",
                ));
            }
            let (catalog, base) =
                rayon::join(|| super::load_at(&root, None), || changed::base(&root, rev));
            let catalog = catalog?;
            let base = base?;
            let since = changed::Since::new(&base, &catalog);
            (catalog, Some(since))
        }
    };
    let catalog = super::Loaded::new(catalog);

    let shown: Vec<&Diag> = catalog
        .problems
        .iter()
        .filter(|d| in_scope(&catalog.sources, d, &filters))
        .filter(|d| {
            since
                .as_ref()
                .is_none_or(|s| s.reports(&catalog.sources, d))
        })
        .collect();
    let errors = shown
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = shown.len() - errors;
    // An invalid lore.yaml is a configuration error (exit 2), whatever its problem:
    // YAML syntax, an unknown key, a JSONPath or a note that does not compile.
    let config_broken = shown.iter().any(|d| {
        d.severity == Severity::Error
            && (d.code == Code::Config || config::is_in_config(&catalog.sources, d))
    });
    let ok = errors == 0 && !(args.strict && warnings > 0);
    let report = Report {
        sources: &catalog.sources,
        problems: &shown,
        entries: catalog.len(),
        files: catalog.files,
        ok,
    };
    let style = Style {
        color: io.color,
        width: io.width,
    };
    let paths = match args.format {
        // Code scanning resolves URIs against the repository's root, so a catalog in a
        // subfolder of a monorepo maps to its files there.
        crate::cli::Format::Sarif => Paths::under(git_prefix(&root)),
        _ => Paths::new(&root),
    };
    render(io.out, &report, &paths, args.format, style)?;
    Ok(if config_broken {
        Outcome::ConfigInvalid
    } else if ok {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// `--changed-since`: which problems a change is responsible for.
mod changed {
    use std::collections::HashSet;
    use std::path::Path;

    use rayon::prelude::*;

    use super::Error;
    use crate::diag::{Code, Diag, Loc};
    use crate::graph::Catalog;
    use crate::history::{self, GitTree};
    use crate::span::{FileId, SourceMap};

    /// The catalog at the merge base of REV and HEAD.
    pub(crate) struct Base {
        tree: GitTree,
        /// `None` when the catalog could not be loaded there at all.
        catalog: Option<Catalog>,
    }

    pub(crate) fn base(root: &Path, rev: &str) -> Result<Base, Error> {
        let repo = history::open(root)?;
        let since = repo.resolve(rev)?;
        let head = repo.head()?.ok_or_else(|| {
            Error::usage(
                "the repository has no commit yet; commit the catalog, or drop --changed-since",
            )
        })?;
        let base = repo.merge_base(since, head)?;
        let tree = repo.tree(base)?;
        let catalog = crate::load::load_from(root, &tree).ok();
        if let Some(broken) = crate::source::FileSource::broken(&tree) {
            return Err(Error::AtMergeBase {
                rev: rev.to_owned(),
                source: crate::load::Error::Git(broken),
            });
        }
        Ok(Base { tree, catalog })
    }

    /// Where problems count.
    pub(crate) struct Since {
        changed: HashSet<FileId>,
        /// Problems that were already there at the base: (file, code, span).
        old: Option<HashSet<Key>>,
    }

    type Key = (String, Code, usize, usize);

    fn key(sources: &SourceMap, d: &Diag) -> Option<Key> {
        match &d.loc {
            Loc::Span(f, s) => Some((sources.display_path(*f), d.code, s.start, s.end)),
            Loc::File(f) | Loc::Pointer { file: f, .. } => {
                Some((sources.display_path(*f), d.code, 0, 0))
            }
            Loc::None => None,
        }
    }

    impl Since {
        pub(crate) fn new(base: &Base, now: &Catalog) -> Since {
            let changed = (0..now.sources.len())
                .into_par_iter()
                .map(|i| FileId(i as u32))
                .filter(|&f| {
                    let file = now.sources.get(f);
                    !base.tree.holds(&file.path, file.text().as_bytes())
                })
                .collect();
            let old = base.catalog.as_ref().map(|c| {
                c.problems
                    .iter()
                    .filter_map(|d| key(&c.sources, d))
                    .collect()
            });
            Since { changed, old }
        }

        /// A problem in a changed file, or one that was not there before the change.
        pub(crate) fn reports(&self, sources: &SourceMap, d: &Diag) -> bool {
            let Some(file) = d.loc.file() else {
                return true;
            };
            if self.changed.contains(&file) {
                return true;
            }
            match (&self.old, key(sources, d)) {
                (Some(old), Some(k)) => !old.contains(&k),
                _ => true,
            }
        }
    }
}

/// The catalog root relative to the git work tree that holds it (empty when it is the
/// work tree's root, or in no git repository).
fn git_prefix(root: &Path) -> PathBuf {
    root.ancestors()
        .find(|dir| dir.join(".git").exists())
        .and_then(|top| root.strip_prefix(top).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Root-relative prefixes to report on; empty means everything.
fn filters(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        let abs = cwd
            .join(p)
            .canonicalize()
            .map_err(Error::io(format!("read `{}`", p.display())))?;
        match abs.strip_prefix(root) {
            Ok(rel) if rel.as_os_str().is_empty() => return Ok(Vec::new()),
            Ok(rel) => out.push(rel.to_path_buf()),
            Err(_) => {
                return Err(Error::usage(format!(
                    "`{}` is outside the catalog at `{}`; validate one catalog at a time",
                    p.display(),
                    root.display()
                )))
            }
        }
    }
    Ok(out)
}

fn in_scope(sources: &crate::span::SourceMap, d: &Diag, filters: &[PathBuf]) -> bool {
    if filters.is_empty() {
        return true;
    }
    let Some(file) = d.loc.file() else {
        return true;
    };
    let path = sources.path(file);
    filters.iter().any(|f| path.starts_with(f))
}
