//! One glue file per verb: load, query, render.

pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod export;
pub(crate) mod graph;
pub(crate) mod impact;
pub(crate) mod import;
pub(crate) mod incidents;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod owners;
mod refs;
pub(crate) mod report;
pub(crate) mod route;
pub(crate) mod schema;
pub(crate) mod search;
pub(crate) mod show;
pub(crate) mod sources;
pub(crate) mod stale;
pub(crate) mod test;
pub(crate) mod validate;

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{CatalogArgs, Cli, ColorChoice, Command};
pub(crate) use crate::error::Error;
use crate::graph::Catalog;
use crate::{history, workspace};

/// How a command that ran to its end went, mapped to the exit status by `main` (a
/// command that stops early returns an [`Error`] instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the catalog is invalid, or the answer is empty (each reported).
    Failed,
    /// Exit 2: `validate` reported every problem, and lore.yaml is among the invalid.
    ConfigInvalid,
}

impl Outcome {
    /// The process exit status.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Failed => 1,
            Outcome::ConfigInvalid => 2,
        }
    }
}

/// Where commands write, and how.
pub(crate) struct Io<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) err: &'a mut dyn Write,
    pub(crate) color: bool,
    pub(crate) width: usize,
}

impl Io<'_> {
    /// Colour and width for human output.
    pub(crate) fn style(&self) -> crate::term::Style {
        crate::term::Style {
            color: self.color,
            width: self.width,
        }
    }
}

/// Run a parsed command line.
pub(crate) fn run(cli: Cli, io: &mut Io<'_>) -> Result<Outcome, Error> {
    match cli.color {
        ColorChoice::Always => io.color = true,
        ColorChoice::Never => io.color = false,
        ColorChoice::Auto => {}
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args, &cli.catalog, io),
        Command::Schema(args) => schema::run(&args, &cli.catalog, io),
        Command::Init(args) => init::run(&args, &cli.catalog, io),
        Command::Route(args) => route::run(&args, &cli.catalog, io),
        Command::Test(args) => test::run(&args, &cli.catalog, io),
        Command::Sources(args) => sources::run(&args, &cli.catalog, io),
        Command::Show(args) => show::run(&args, &cli.catalog, io),
        Command::Owners(args) => owners::run(&args, &cli.catalog, io),
        Command::Impact(args) => impact::run(&args, &cli.catalog, io),
        Command::List(args) => list::run(&args, &cli.catalog, io),
        Command::Search(args) => search::run(&args, &cli.catalog, io),
        Command::Graph(args) => graph::run(&args, &cli.catalog, io),
        Command::Diff(args) => diff::run(&args, &cli.catalog, io),
        Command::Stale(args) => stale::run(&args, &cli.catalog, io),
        Command::Import(args) => import::run(&args, &cli.catalog, io),
        Command::Export(args) => export::run(&args, &cli.catalog, io),
        Command::Completions(args) => completions::completions(&args, io),
        Command::Man => completions::man(io),
        Command::Report(args) => report::run(&args, &cli.catalog, io),
        Command::Incidents(args) => incidents::run(&args, &cli.catalog, io),
    }
}

/// The folder lore acts in: `--root DIR`, else the current folder.
pub(crate) fn start_dir(args: &CatalogArgs) -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(Error::io("read the current folder"))?;
    Ok(match &args.root {
        Some(dir) => cwd.join(dir),
        None => cwd,
    })
}

/// Find the root and load the catalog, for query commands: from the working tree, or
/// from git at `--rev REV`.
pub(crate) fn load_catalog(args: &CatalogArgs) -> Result<Loaded, Error> {
    let root = workspace::find_root(&start_dir(args)?)?;
    load_at(&root, args.rev.as_deref()).map(Loaded::new)
}

/// As [`load_catalog`], from the on-disk index when it holds the working tree as it is
/// (see [`crate::index`]): for the commands that read a few entries of the catalog.
pub(crate) fn load_indexed(args: &CatalogArgs) -> Result<Loaded, Error> {
    let root = workspace::find_root(&start_dir(args)?)?;
    match args.rev.as_deref() {
        None => {
            let (c, pending) = crate::index::load(&root)?;
            let Some(pending) = pending else {
                return Ok(Loaded::new(c));
            };
            let loaded = Loaded::new(c);
            crate::index::write_later(loaded.0, pending);
            Ok(loaded)
        }
        Some(rev) => load_at(&root, Some(rev)).map(Loaded::new),
    }
}

/// Load the catalog at `root` from the working tree (with the user's cache), or from git
/// at `rev` (without: a revision's results would evict the working tree's).
pub(crate) fn load_at(root: &std::path::Path, rev: Option<&str>) -> Result<Catalog, Error> {
    load_at_with(root, rev, crate::load::load_with)
}

/// As [`load_at`], loading with `load` (a [`crate::load::load_with`] or
/// [`crate::load::load_graph_only`]).
pub(crate) fn load_at_with(
    root: &std::path::Path,
    rev: Option<&str>,
    load: fn(
        &std::path::Path,
        &dyn crate::source::FileSource,
        Option<crate::cache::Cache>,
    ) -> Result<Catalog, crate::load::Error>,
) -> Result<Catalog, Error> {
    match rev {
        None => Ok(load(
            root,
            &crate::source::WorkTree::new(root),
            crate::cache::user_cache(root),
        )?),
        Some(rev) => {
            let repo = history::open(root)?;
            let tree = repo.tree(repo.resolve(rev)?)?;
            load(root, &tree, None).map_err(|source| Error::LoadAt {
                rev: rev.to_owned(),
                source,
            })
        }
    }
}

/// A catalog that is never dropped: the process ends right after the command, and
/// freeing 100,000 entries one by one would only delay the answer (as rustc does).
/// Kept for the rest of the process, it can be shared with the thread that writes its
/// new index.
pub(crate) struct Loaded(&'static Catalog);

impl Loaded {
    pub(crate) fn new(catalog: Catalog) -> Loaded {
        Loaded(Box::leak(Box::new(catalog)))
    }
}

impl std::ops::Deref for Loaded {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        self.0
    }
}
