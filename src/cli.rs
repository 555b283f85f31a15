//! The command line: every verb, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::render::browse::GraphFormat;
use crate::render::query::{ReportFormat, ViewFormat};
use crate::render::route::RouteFormat;
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

    /// Write JSON Schemas for editors: lore.yaml, type files, and each type's entries.
    ///
    /// yaml-language-server (VS Code's YAML extension, Neovim, Helix, …) then completes and
    /// checks fields while you type; relation fields list the ids that exist. Writes
    /// lore.schema.json, type.schema.json, catalog.schema.json and <Type>.schema.json into
    /// .lore/schemas/ in the catalog root (or --out DIR), replacing only files lore
    /// generated. Run it again after adding entries or changing types.
    /// Exit status: 0 written (or up to date with --check), 1 out of date with --check,
    /// 2 usage or config error.
    Schema(SchemaArgs),

    /// Create a new catalog repository in DIR (default: the current folder).
    ///
    /// Writes lore.yaml, a starter model (teams, services, features, customers,
    /// incidents) in schemas/, example entries in catalog/, a GitHub Actions workflow,
    /// VS Code settings and the editor schemas. Never overwrites a file: if any already exists, nothing is
    /// written and the command exits 2 listing them.
    Init(InitArgs),
    /// Route an alert: what it names, who owns it, what else breaks, what to say.
    ///
    /// Reads one JSON alert payload (a webhook body) from FILE, or from standard input
    /// when FILE is `-` or left out. The source is detected: Alertmanager, Grafana,
    /// PagerDuty Events v2 and Webhooks v3, Datadog, Sentry, CloudWatch via SNS, Opsgenie,
    /// and the sources in lore.yaml `alerts.sources`. With none recognized, every string
    /// value is scanned for ids and aliases, and the answer says so. Payloads over 1 MiB
    /// or nested over 64 levels are refused.
    /// Exit status: 0 something matched, 1 nothing matched (the values tried are listed),
    /// 2 bad payload, usage or config error.
    Route(RouteArgs),

    /// Run routing regression tests: each case's payload must produce its matches and owners.
    ///
    /// A test file is YAML: `cases:`, each with `name`, `payload` (inline) or
    /// `payload_file` (relative to the test file), optional `source`, and
    /// `expect: {matches: [Type:id, …], owners: [Type:id, …]}` (compared as sets; either
    /// may be left out). With no FILE, runs every *.yaml under `routing/` in the catalog
    /// root. Exit status: 0 all passed, 1 a case failed (each shown as a diff; a case whose
    /// payload cannot be read fails too), 2 a test file is unreadable or malformed.
    Test(TestArgs),
    /// One entry in full: fields, relations both ways, owners, where it is defined.
    ///
    /// A REF is an id, `Type:id` or an alias. Exit status: 0 shown, 1 no entry answers
    /// to REF (the closest are suggested), 2 REF names several entries (they are listed).
    Show(ShowArgs),

    /// Who owns each entry, how to reach them, and why.
    ///
    /// An entry with no owner relation inherits the owners of its parents, transitively;
    /// each answer shows the path that explains it. Exit status: 0 every REF has an
    /// owner, 1 one has none (or is unknown), 2 an ambiguous REF.
    Owners(OwnersArgs),

    /// What else breaks when these entries break, by type, with totals.
    ///
    /// Follows impact edges (`impact: source|target` in the type files) breadth-first:
    /// each entry once, at its shortest distance, with the chain that reached it. Totals
    /// are summed per type over the roots and everything impacted. Exit status: 0 answered
    /// (also when nothing else breaks), 1 unknown REF, 2 ambiguous REF.
    Impact(ImpactArgs),

    /// The entries of a type as a table: id, name, the type's summary fields, owner.
    ///
    /// Exit status: 0 listed, 1 no entry matches, 2 unknown type or invalid expression.
    List(ListArgs),

    /// Find entries by id, alias or name across every type, forgiving typos.
    ///
    /// Exact matches first, then prefixes, substrings, and close spellings. Exit status:
    /// 0 found, 1 nothing found.
    Search(SearchArgs),

    /// The relation graph, or the neighbourhood of one entry, for Graphviz or Mermaid.
    ///
    /// Nodes are labelled Type:id, edges with the relation name. Render with
    /// `lore graph REF | dot -Tsvg > graph.svg`, or paste the mermaid into markdown.
    Graph(GraphArgs),
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

    /// Facts (incidents, usually) counted or summed under the entries they name: where
    /// response hours go, by feature, integration, team, week by week.
    ///
    /// A fact names the targets of its relations (all, or --via's), and with --impact
    /// what they impact. Its values for --by DIM are the DIM entries among them and their
    /// `parent` ancestors, and, when DIM owns things, their owners; a fact counts once
    /// under each value, under `(none)` without one, and once in `all`. --sum takes CEL
    /// over `self` and `impact.totals.<Type>.<attr>`; --where also knows `touches(REF)`.
    /// Exit status: 0 answered, 1 no fact counted, 2 bad arguments.
    Report(ReportArgs),

    /// The incidents that touch an entry, newest first, with their summary fields.
    ///
    /// An incident touches REF when REF is one of its values by `lore report`'s rules:
    /// named by it, a parent of what it names, or (a team) an owner of what it names.
    /// The incident type is lore.yaml `incidents.type` (default: Incident). Exit status:
    /// 0 listed, 1 none (or unknown REF), 2 ambiguous REF or no incident type.
    Incidents(IncidentsArgs),
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

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Folder to write the schemas to (default: .lore/schemas in the catalog root).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Write nothing; exit 1 if the files on disk differ from what would be written.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to create the catalog in (created if missing; default: the current folder).
    pub dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// The alert payload (JSON); `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Read the payload as this source instead of detecting it (a built-in source, e.g.
    /// alertmanager, or one of lore.yaml's alerts.sources).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RouteFormat::Human)]
    pub format: RouteFormat,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Test files (default: routing/**/*.yaml under the catalog root).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The entry: id, Type:id or alias.
    #[arg(value_name = "REF")]
    pub reference: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormat::Human)]
    pub format: ViewFormat,
}

#[derive(Debug, clap::Args)]
pub struct OwnersArgs {
    /// The entries: ids, Type:ids or aliases.
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The entries that break: ids, Type:ids or aliases.
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,

    /// Follow at most N impact steps (default: all).
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The type to list, e.g. Service.
    #[arg(value_name = "TYPE")]
    pub type_name: String,

    /// Keep the entries for which this CEL expression is true; the entry is `self`,
    /// e.g. `self.tier == 1` or `has(self.oncall)`.
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Part of an id, alias or name; case does not matter.
    pub text: String,

    /// Show at most N results.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormat::Human)]
    pub format: ViewFormat,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Draw only this entry's neighbourhood (default: the whole catalog).
    #[arg(value_name = "REF")]
    pub reference: Option<String>,

    /// Relation steps from REF, following relations both ways (ignored without REF).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub depth: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Debug, clap::Args)]
pub struct IncidentsArgs {
    /// The entry: id, Type:id or alias (a Team: incidents touching anything it owns).
    #[arg(value_name = "REF")]
    pub reference: String,

    /// Only incidents on or after this date (YYYY-MM-DD), by lore.yaml `incidents.time`.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The type that holds the facts, e.g. Incident.
    #[arg(value_name = "TYPE")]
    pub type_name: String,

    /// The dimension type: one row per entry of it, e.g. Feature, Team, Package.
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,

    /// Count facts (the default).
    #[arg(long, conflicts_with = "sum")]
    pub count: bool,

    /// Sum this CEL expression over the facts, e.g. `self.hours` or
    /// `impact.totals.Customer.arr` (revenue at risk per fact).
    #[arg(long, value_name = "EXPR")]
    pub sum: Option<String>,

    /// A fact also names everything impacted by the entries it names.
    #[arg(long)]
    pub impact: bool,

    /// Follow only these relations of the facts (repeat, or separate with commas).
    #[arg(long, value_name = "RELATION", value_delimiter = ',')]
    pub via: Vec<String>,

    /// Keep the facts for which this CEL expression is true, e.g.
    /// `self.severity == 'sev1'` or `touches('Feature:alerts')`.
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,

    /// Bucket the facts by period of --time: ISO weeks (2025-W10), months, quarters.
    #[arg(long, value_enum)]
    pub per: Option<crate::date::Per>,

    /// The date or date-time attribute of the facts (default: lore.yaml `incidents.time`).
    #[arg(long, value_name = "FIELD")]
    pub time: Option<String>,

    /// Only facts on or after this date (YYYY-MM-DD); periods start there.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Only facts on or before this date (YYYY-MM-DD); periods end there.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Show the N rows with the largest totals (and `(none)`).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::render::report::TableFormat::Human)]
    pub format: crate::render::report::TableFormat,
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
