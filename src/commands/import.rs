//! `lore import [NAME…]`: run the pipelines, check the catalog they make, show the
//! changes as `lore diff` does, and write the owned files (atomically, all or nothing).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Error, Io, Outcome};
use crate::cli::Format;
use crate::cli::{CatalogArgs, ImportArgs};
use crate::diag::Severity;
use crate::import::{self, Input, Plan, Problem};
use crate::query::diff;
use crate::render::changes::{render, Sides};
use crate::render::diagnostics::{self, Report};
use crate::render::Paths;
use crate::source::{FileSource, Walked, WorkTree};
use crate::term::{count, escape};
use crate::{config, fsutil, workspace};

pub(crate) fn run(
    args: &ImportArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    if catalog_args.rev.is_some() {
        return Err(Error::usage("`import` writes the working tree; drop --rev"));
    }
    let root = workspace::find_root(&super::start_dir(catalog_args)?)?;
    let base = super::Loaded::new(super::load_at(&root, None)?);
    if base
        .problems
        .iter()
        .any(|d| d.severity == Severity::Error && config::is_in_config(&base.sources, d))
    {
        return Err(Error::usage(
            "lore.yaml has problems, so its import pipelines may not be what it says; run `lore validate` and fix them first",
        ));
    }
    let pipelines = &base.config.imports;
    if pipelines.is_empty() {
        return Err(Error::usage(
            "lore.yaml has no `imports:`; declare a pipeline (see `lore import --help` and the README)",
        ));
    }
    let mut chosen = Vec::new();
    for name in &args.names {
        if let Some(p) = pipelines.iter().find(|p| &p.name == name) {
            chosen.push(p);
        } else {
            let names: Vec<&str> = pipelines.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::usage(format!(
                "lore.yaml has no import `{}`; it has {}",
                escape(name),
                names.join(", ")
            )));
        }
    }
    if chosen.is_empty() {
        chosen = pipelines.iter().collect();
    }
    let cwd = super::start_dir(&CatalogArgs::default())?;
    let from: Option<PathBuf> = args.from.as_ref().map(|f| cwd.join(f));
    // Backstage pipelines (one per kind) read the same entities: --from may feed them all.
    let all_backstage = chosen
        .iter()
        .all(|p| matches!(p.from, config::FromRaw::Backstage(_)));
    if from.is_some() && chosen.len() != 1 && !all_backstage {
        return Err(Error::usage(
            "--from gives the source of one pipeline (or of Backstage pipelines only); name it: `lore import NAME --from PATH`",
        ));
    }
    let input = Input {
        root: &root,
        from: from.as_deref(),
        allow_exec: args.allow_exec,
    };

    let mut problems: Vec<Problem> = Vec::new();
    let mut plans: Vec<(Plan, String)> = Vec::new();
    let mut owners: HashMap<&str, &str> = HashMap::new();
    let mut read_once: HashMap<String, (String, Vec<import::Row>)> = HashMap::new();
    for &p in &chosen {
        if let Some(other) = owners.insert(&p.into, &p.name) {
            problems.push(
                Problem::general(format!(
                    "imports `{other}` and `{}` both write `{}`",
                    p.name, p.into
                ))
                .help("give each import its own `into:` file"),
            );
            continue;
        }
        let mut notice = |cmd: &str| {
            let _ = writeln!(io.err, "{}: running `{}`", escape(&p.name), escape(cmd));
        };
        let mut out = Vec::new();
        // Pipelines with one source read it once, so its problems are reported once.
        let key = format!("{:?}", p.from);
        let read = match read_once.get(&key) {
            Some(r) => Ok(r.clone()),
            None => import::read_rows(p, &input, &mut notice, &mut out),
        };
        let (file, mut rows) = match read {
            Ok(r) => r,
            Err(mut e) => {
                problems.append(&mut e);
                continue;
            }
        };
        if matches!(p.from, config::FromRaw::Backstage(_)) && !read_once.contains_key(&key) {
            read_once.insert(key, (file.clone(), rows.clone()));
        }
        import::add_codeowners(p, &root, &file, &mut rows, &mut out);
        let mut entries = import::make_entries(p, &file, &rows, &mut out);
        drop(rows);
        import::extend(p, &root, &mut entries, &mut out);
        if out.is_empty() {
            if let Some(plan) =
                import::plan(p, &root, &base, entries, args.allow_mass_delete, &mut out)
            {
                plans.push((plan, file));
            }
        }
        problems.append(&mut out);
    }
    if args.names.is_empty() {
        unread_kinds(&chosen, &read_once, io.err)?;
    }
    if !problems.is_empty() {
        for p in &problems {
            write_problem(io.err, p)?;
        }
        writeln!(
            io.err,
            "{}; nothing written",
            count(problems.len(), "problem", "problems")
        )?;
        return Ok(Outcome::Failed);
    }

    let overlay = Overlay {
        inner: WorkTree::new(&root),
        files: plans
            .iter()
            .filter(|(p, _)| p.changes())
            .map(|(p, _)| (PathBuf::from(&p.into), p.new.clone().into_bytes()))
            .collect(),
    };
    let writes = !(args.dry_run || args.check);
    // Nothing would change: the catalog is the one already loaded. When the files will
    // be written, their results go to the cache, so the next command (a second import,
    // a validate) reads them from it instead of checking 100,000 entries again.
    let head = if overlay.files.is_empty() {
        None
    } else {
        let cache = if writes {
            crate::cache::user_cache(&root)
        } else {
            None
        };
        Some(super::Loaded::new(crate::load::load_with(
            &root, &overlay, cache,
        )?))
    };
    let after: &crate::graph::Catalog = head.as_deref().unwrap_or(&base);
    // An owned file outside `catalog:` (or excluded) would be written but never read.
    for (plan, _) in &plans {
        let read = (0..after.sources.len())
            .any(|i| after.sources.path(crate::span::FileId(i as u32)) == Path::new(&plan.into));
        if plan.entries > 0 && !read {
            writeln!(
                io.err,
                "error: import `{}` writes `{}`, which the catalog does not read (not under `catalog:`, or excluded); nothing written",
                escape(&plan.pipeline),
                escape(&plan.into)
            )?;
            writeln!(
                io.err,
                "  help: set `into:` to a file under a `catalog:` folder"
            )?;
            return Ok(Outcome::Failed);
        }
    }
    let errors: Vec<_> = after
        .problems
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let report = Report {
            sources: &after.sources,
            problems: &errors,
            entries: after.len(),
            files: after.files,
            ok: false,
        };
        let style = io.style();
        diagnostics::render(io.err, &report, &Paths::new(&root), Format::Human, style)?;
        writeln!(io.err, "the imported catalog is invalid; nothing written")?;
        return Ok(Outcome::Failed);
    }
    let changes = match &head {
        Some(head) => diff::diff(&base, head),
        None => diff::Changes::default(),
    };
    let sides = Sides {
        base: "catalog",
        head: "import",
    };
    let style = io.style();
    render(io.out, &changes, &sides, args.format, style)?;
    // The changes come before the per-file summary on stderr, also on a terminal or a
    // merged pipe (stdout is buffered until the end otherwise).
    io.out.flush()?;

    let mut changed = false;
    for (plan, file) in &plans {
        let verb = match (plan.changes(), writes) {
            (false, _) => "unchanged",
            (true, true) => "written",
            (true, false) => "would change",
        };
        changed |= plan.changes();
        if plan.changes() && writes {
            fsutil::write_atomic(&root.join(&plan.into), plan.new.as_bytes())
                .map_err(Error::io(format!("write {}", plan.into)))?;
        }
        let pruned = if plan.pruned > 0 {
            format!(", {} of {} pruned", plan.pruned, plan.before)
        } else {
            String::new()
        };
        writeln!(
            io.err,
            "{}: {} from {} → {} ({verb}{pruned})",
            escape(&plan.pipeline),
            count(plan.entries, "entry", "entries"),
            escape(file),
            escape(&plan.into),
        )?;
    }
    Ok(if args.check && changed {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// Warn about Backstage entities of a kind that no pipeline imports (a kind added after
/// `lore init --from-backstage`): they would be left out without a word.
fn unread_kinds(
    chosen: &[&config::Pipeline],
    read: &HashMap<String, (String, Vec<import::Row>)>,
    err: &mut dyn Write,
) -> io::Result<()> {
    let kinds: std::collections::BTreeSet<&str> = chosen
        .iter()
        .filter(|p| matches!(p.from, config::FromRaw::Backstage(_)))
        .map(|p| p.type_name.as_str())
        .collect();
    let mut left: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, rows) in read.values() {
        for row in rows {
            if let Some(k) = row.value["lore"]["kind"].as_str() {
                if !kinds.contains(k) {
                    *left.entry(k).or_default() += 1;
                }
            }
        }
    }
    for (kind, n) in left {
        writeln!(
            err,
            "warning: {} of kind {} left out: no import pipeline makes type {}",
            count(n, "entity", "entities"),
            escape(kind),
            escape(kind)
        )?;
        writeln!(
            err,
            "  help: run `lore init --from-backstage` into an empty folder and copy its schemas/ file and pipeline for this kind"
        )?;
    }
    Ok(())
}

fn write_problem(out: &mut dyn Write, p: &Problem) -> io::Result<()> {
    writeln!(out, "error: {}", escape(&p.to_string()))?;
    if let Some(help) = &p.help {
        writeln!(out, "  help: {}", escape(help))?;
    }
    Ok(())
}

/// The working tree with the files an import would write in their place.
struct Overlay {
    inner: WorkTree,
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Overlay {
    fn get(&self, rel: &Path) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| p == rel)
            .map(|(_, b)| b.as_slice())
    }
}

impl FileSource for Overlay {
    fn is_file(&self, rel: &Path) -> bool {
        self.get(rel).is_some() || self.inner.is_file(rel)
    }

    fn is_dir(&self, rel: &Path) -> bool {
        self.inner.is_dir(rel)
            || self
                .files
                .iter()
                .any(|(p, _)| p.starts_with(rel) && p != rel)
    }

    fn walk(&self, dir: &Path) -> Vec<Walked> {
        let mut found = if self.inner.is_dir(dir) {
            self.inner.walk(dir)
        } else {
            Vec::new()
        };
        for (p, _) in &self.files {
            if p.starts_with(dir) && !found.iter().any(|w| matches!(w, Walked::File(f) if f == p)) {
                found.push(Walked::File(p.clone()));
            }
        }
        found
    }

    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        match self.get(rel) {
            Some(b) => Ok(b.to_vec()),
            None => self.inner.read(rel),
        }
    }
}
