//! The command line: every verb, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::render::changes::ReportFormat;
use crate::render::Format;

/// lore: your organization's catalog as YAML in git, checked in CI and brought to the
/// people who respond to incidents.
#[derive(Debug, Parser)]
#[command(name = "lore", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// When to use colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the whole catalog: YAML, type definitions, schemas, references, rules.
    ///
    /// Finds the catalog root by walking up from the first PATH (or the current folder) to
    /// the first folder with lore.yaml, else the first with schemas/ and catalog/. The
    /// whole catalog is always loaded; PATHs restrict which files' problems are reported.
    /// Exit status: 0 valid, 1 invalid (or warnings with --strict), 2 usage or config error.
    Validate(ValidateArgs),

    /// What a change does to the catalog: entries added, removed and renamed, fields
    /// changed, owners moved (also through inheritance), references that now dangle.
    ///
    /// Compares the catalog at BASE with the one at HEAD (default: the working tree, with
    /// uncommitted edits). `--format markdown` is a pull-request comment. Exit status: 0,
    /// or 2 when a revision or the catalog cannot be read.
    Diff(DiffArgs),

    /// Entries whose lines no commit has touched for longer than a maximum age, grouped
    /// by owner with how to reach them.
    ///
    /// Each entry is aged by the newest commit among its own lines (git blame along first
    /// parents), also inside multi-document files; uncommitted edits count as fresh. On a
    /// shallow clone, ages beyond the history are reported as unknown. `LORE_NOW`
    /// (YYYY-MM-DD) fixes "now" for reproducible reports. Exit status: 0, or 2 outside a
    /// git repository.
    Stale(StaleArgs),
}

/// Where the catalog is; shared by every command that reads one.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CatalogArgs {
    /// Run as if lore was started in DIR (the catalog root is found from there).
    #[arg(short = 'C', long = "root", value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,

    /// Read the catalog as it was at a git revision (a branch, tag or commit), without a
    /// checkout: "who owned this when the incident started?"
    #[arg(long, value_name = "REV", global = true)]
    pub rev: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Files or folders whose problems to report (default: all).
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,

    /// Report only problems in files changed since the merge base of REV and HEAD
    /// (committed, staged, unstaged or untracked), plus problems elsewhere that the change
    /// caused (an entry removed that others still name). The whole catalog still loads.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The revision to compare from (a branch, tag or commit), e.g. `main`.
    pub base: String,

    /// The revision to compare to (default: the working tree).
    pub head: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct StaleArgs {
    /// Maximum age: a number and d, w, m (30 days) or y (default: `freshness.max_age` in
    /// lore.yaml, else 180d).
    #[arg(long, value_name = "AGE")]
    pub max_age: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
