//! The command line: every verb, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// lore: your organization's catalog as YAML in git, checked in CI and brought to the
/// people who respond to incidents.
#[derive(Debug, Parser)]
#[command(
    name = "lore",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("CARGO_PKG_REPOSITORY"), ")"),
    about,
    long_about = None,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    #[command(flatten)]
    pub(crate) catalog: CatalogArgs,

    /// When to use colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// How an error that stops a command is written, from the `--format` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    /// `error: …` on stderr.
    Human,
    /// Also `{"version":1,"error":{"code","message"}}` on stdout.
    Json,
    /// Also one `::error` workflow command on stdout.
    Github,
}

impl ErrorFormat {
    /// The format asked for on a command line (`--format X` or `--format=X` before any
    /// `--`), read from the raw arguments so that errors clap itself reports, before a
    /// [`Cli`] exists, are written as the caller expects too.
    pub(crate) fn from_args<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> ErrorFormat {
        let mut value = None;
        let mut args = args.iter().map(|a| a.as_ref().to_string_lossy());
        while let Some(arg) = args.next() {
            if arg == "--" {
                break;
            } else if arg == "--format" {
                value = args.next().map(std::borrow::Cow::into_owned);
            } else if let Some(v) = arg.strip_prefix("--format=") {
                value = Some(v.to_owned());
            }
        }
        match value.as_deref() {
            Some("json") => ErrorFormat::Json,
            Some("github") => ErrorFormat::Github,
            _ => ErrorFormat::Human,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    /// incidents) in
    /// schemas/, example entries in catalog/, a GitHub Actions workflow, VS Code settings
    /// and the editor schemas. Never overwrites a file: in an existing repository it adds
    /// the workflow and the editor settings where missing, the starter catalog only where
    /// there is no catalog yet, and lists what it left alone.
    Init(InitArgs),
    /// Route an alert: what it names, who owns it, what else breaks, what to say.
    ///
    /// Reads one JSON alert payload (a webhook body) from FILE, or from standard input
    /// when FILE is `-` or left out. The source is detected among the built-in ones
    /// (`lore sources` lists them: Alertmanager, Grafana, PagerDuty, Sentry, CloudWatch,
    /// Google Cloud, Azure, New Relic, Splunk, Datadog, …) and the sources in lore.yaml
    /// `alerts.sources`. With none recognized, every string
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

    /// The alert sources `route` knows, in the order it tries them, or one as YAML.
    ///
    /// Built-in sources are written in the language of lore.yaml's `alerts.sources`;
    /// `lore sources NAME` prints one to copy into lore.yaml, where a source replaces the
    /// built-in of the same name. Exit status: 0 listed, 2 unknown source.
    Sources(SourcesArgs),
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
    /// (YYYY-MM-DD) fixes "now" for reproducible reports. Exit status: 0 (also when
    /// entries are stale, unless --fail-if-stale), 1 with --fail-if-stale when any entry is
    /// stale, 2 outside a git repository.
    Stale(StaleArgs),

    /// Runs the import pipelines of lore.yaml (`imports:`): reads each source (CSV,
    /// JSON or NDJSON, a command's output, CODEOWNERS), makes its rows into entries,
    /// writes the files lore owns, validates the whole catalog and prints what changed
    /// in the words of `lore diff`.
    ///
    /// A run with a bad row, a file lore did not generate in the way, or an invalid
    /// catalog writes nothing. Exit status: 0, 1 when a row or the catalog is invalid (or
    /// with --check, when a file would change), 2 on a usage or config error.
    Import(ImportArgs),

    /// Writes the catalog in a format other tools read: JSON, NDJSON, CSV, a CODEOWNERS
    /// file, or an SQLite database (tables entries, fields, relations, owners, impact).
    ///
    /// Sorted by type, then id. Exit status: 0, 1 when no entry is selected, 2 on a usage
    /// error or when the output file exists.
    Export(ExportArgs),

    /// Shell completions for lore: `lore completions bash > /etc/bash_completion.d/lore`.
    ///
    /// zsh: write `_lore` into a folder on `$fpath`; fish: `~/.config/fish/completions/lore.fish`;
    /// PowerShell: add `lore completions powershell | Out-String | Invoke-Expression` to
    /// your profile.
    Completions(CompletionsArgs),

    /// The manual page of lore, in roff: `lore man > ~/.local/share/man/man1/lore.1`.
    Man,

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

#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub(crate) format: ExportFormat,

    /// Only entries of these types (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) types: Vec<String>,

    /// Write to this file instead of standard output (required for sqlite); it must not
    /// exist.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// CODEOWNERS: the entries' field holding a path or pattern.
    #[arg(long, value_name = "FIELD", default_value = "path")]
    pub(crate) path_field: String,

    /// CODEOWNERS: the owners' field holding their handle (`@org/team`, an email).
    #[arg(long, value_name = "FIELD", default_value = "handle")]
    pub(crate) handle_field: String,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// The pipelines to run (default: all of them).
    pub(crate) names: Vec<String>,

    /// Read the source from this file or folder instead of lore.yaml's (one pipeline).
    #[arg(long, value_name = "PATH")]
    pub(crate) from: Option<PathBuf>,

    /// Show what would change; write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Write nothing, and exit 1 when an import would change a file (a CI drift gate).
    #[arg(long)]
    pub(crate) check: bool,

    /// Run `exec:` sources (each command is shown before it runs).
    #[arg(long)]
    pub(crate) allow_exec: bool,

    /// Allow a pipeline to remove more than half of the entries its file holds.
    #[arg(long)]
    pub(crate) allow_mass_delete: bool,

    /// Output format of the changes.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Where the catalog is; shared by every command that reads one.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct CatalogArgs {
    /// Run as if lore was started in DIR (the catalog root is found from there).
    #[arg(short = 'C', long = "root", value_name = "DIR", global = true)]
    pub(crate) root: Option<PathBuf>,

    /// Read the catalog as it was at a git revision (a branch, tag or commit), without a
    /// checkout: "who owned this when the incident started?"
    #[arg(long, value_name = "REV", global = true)]
    pub(crate) rev: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// Files or folders whose problems to report (default: all).
    pub(crate) paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,

    /// Fail on warnings too.
    #[arg(long)]
    pub(crate) strict: bool,

    /// Report only problems in files changed since the merge base of REV and HEAD
    /// (committed, staged, unstaged or untracked), plus problems elsewhere that the change
    /// caused (an entry removed that others still name). The whole catalog still loads.
    #[arg(long, value_name = "REV")]
    pub(crate) changed_since: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The revision to compare from (a branch, tag or commit), e.g. `main`.
    pub(crate) base: String,

    /// The revision to compare to (default: the working tree).
    pub(crate) head: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct StaleArgs {
    /// Maximum age: a number and d, w, m (30 days) or y (default: `freshness.max_age` in
    /// lore.yaml, else 180d).
    #[arg(long, value_name = "AGE")]
    pub(crate) max_age: Option<String>,

    /// Exit 1 when any entry is stale (for CI: report, or open an issue, only then).
    #[arg(long)]
    pub(crate) fail_if_stale: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Folder to write the schemas to (default: .lore/schemas in the catalog root).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Write nothing; exit 1 if the files on disk differ from what would be written.
    #[arg(long)]
    pub(crate) check: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormat::Human)]
    pub(crate) format: ViewFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Folder to create the catalog in (created if missing; default: the current folder).
    pub(crate) dir: Option<PathBuf>,

    /// Instead of the starter catalog, write types for Backstage's kinds (and every other
    /// kind among the entities under DIR, default `.`) and the import pipelines that
    /// bring them in; then run `lore import --from DIR`.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    pub(crate) from_backstage: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RouteArgs {
    /// The alert payload (JSON); `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,

    /// Read the payload as this source instead of detecting it (a built-in source, e.g.
    /// alertmanager, or one of lore.yaml's alerts.sources).
    #[arg(long, value_name = "NAME")]
    pub(crate) source: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RouteFormat::Human)]
    pub(crate) format: RouteFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SourcesArgs {
    /// A source to print as YAML (default: list them all).
    #[arg(value_name = "NAME")]
    pub(crate) name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// Test files (default: routing/**/*.yaml under the catalog root).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,

    /// Output format: `junit` is JUnit XML for CI test reports.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub(crate) format: TestFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    /// The entry: id, Type:id or alias.
    #[arg(value_name = "REF")]
    pub(crate) reference: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormat::Human)]
    pub(crate) format: ViewFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct OwnersArgs {
    /// The entries: ids, Type:ids or aliases.
    #[arg(value_name = "REF", required = true)]
    pub(crate) refs: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ImpactArgs {
    /// The entries that break: ids, Type:ids or aliases.
    #[arg(value_name = "REF", required = true)]
    pub(crate) refs: Vec<String>,

    /// Follow at most N impact steps (default: all).
    #[arg(long, value_name = "N")]
    pub(crate) depth: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The type to list, e.g. Service.
    #[arg(value_name = "TYPE")]
    pub(crate) type_name: String,

    /// Keep the entries for which this CEL expression is true; the entry is `self`,
    /// e.g. `self.tier == 1` or `has(self.oncall)`.
    #[arg(long = "where", value_name = "EXPR")]
    pub(crate) filter: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SearchArgs {
    /// Part of an id, alias or name; case does not matter.
    pub(crate) text: String,

    /// Show at most N results.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) limit: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormat::Human)]
    pub(crate) format: ViewFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// Draw only this entry's neighbourhood (default: the whole catalog).
    #[arg(value_name = "REF")]
    pub(crate) reference: Option<String>,

    /// Relation steps from REF, following relations both ways (ignored without REF).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) depth: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub(crate) format: GraphFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct IncidentsArgs {
    /// The entry: id, Type:id or alias (a Team: incidents touching anything it owns).
    #[arg(value_name = "REF")]
    pub(crate) reference: String,

    /// Only incidents on or after this date (YYYY-MM-DD), by lore.yaml `incidents.time`.
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// The type that holds the facts, e.g. Incident.
    #[arg(value_name = "TYPE")]
    pub(crate) type_name: String,

    /// The dimension type: one row per entry of it, e.g. Feature, Team, Package.
    #[arg(long, value_name = "DIM")]
    pub(crate) by: Option<String>,

    /// Count facts (the default).
    #[arg(long, conflicts_with = "sum")]
    pub(crate) count: bool,

    /// Sum this CEL expression over the facts, e.g. `self.hours` or
    /// `impact.totals.Customer.arr` (revenue at risk per fact).
    #[arg(long, value_name = "EXPR")]
    pub(crate) sum: Option<String>,

    /// A fact also names everything impacted by the entries it names.
    #[arg(long)]
    pub(crate) impact: bool,

    /// Follow only these relations of the facts (repeat, or separate with commas).
    #[arg(long, value_name = "RELATION", value_delimiter = ',')]
    pub(crate) via: Vec<String>,

    /// Keep the facts for which this CEL expression is true, e.g.
    /// `self.severity == 'sev1'` or `touches('Feature:alerts')`.
    #[arg(long = "where", value_name = "EXPR")]
    pub(crate) filter: Option<String>,

    /// Bucket the facts by period of --time: ISO weeks (2025-W10), months, quarters.
    #[arg(long, value_enum)]
    pub(crate) per: Option<crate::date::Per>,

    /// The date or date-time attribute of the facts (default: lore.yaml `incidents.time`).
    #[arg(long, value_name = "FIELD")]
    pub(crate) time: Option<String>,

    /// Only facts on or after this date (YYYY-MM-DD); periods start there.
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,

    /// Only facts on or before this date (YYYY-MM-DD); periods end there.
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,

    /// Show the N rows with the largest totals (and `(none)`).
    #[arg(long, value_name = "N")]
    pub(crate) top: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Human)]
    pub(crate) format: TableFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_error_format_is_read_from_the_raw_arguments() {
        let f = |args: &[&str]| ErrorFormat::from_args(args);
        assert_eq!(
            f(&["lore", "validate", "--format", "json"]),
            ErrorFormat::Json
        );
        assert_eq!(
            f(&["lore", "validate", "--format=github"]),
            ErrorFormat::Github
        );
        assert_eq!(
            f(&["lore", "--format", "json", "--format", "human"]),
            ErrorFormat::Human
        );
        assert_eq!(
            f(&["lore", "route", "--", "--format", "json"]),
            ErrorFormat::Human
        );
        assert_eq!(f(&["lore", "validate", "--format"]), ErrorFormat::Human);
        assert_eq!(f(&["lore", "validate"]), ErrorFormat::Human);
    }
}

// Output formats: one enum per set of formats a command offers, all here, so a
// format is named once and every renderer matches on the same type.

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Source snippets with labels, for people.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// GitHub Actions workflow commands, which annotate the pull request.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// Output formats of `owners`, `impact`, `list`, `diff` and `stale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Aligned text, for people.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// GitHub-flavoured markdown, for a chat message or a pull-request comment.
    Markdown,
}

/// Output formats of `show` and `search`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ViewFormat {
    /// Aligned text, for people.
    Human,
    /// One JSON document with `"version": 1`.
    Json,
}

/// Output formats of `route`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RouteFormat {
    /// One screen for a responder.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// Markdown to paste into a chat channel or an incident ticket.
    Markdown,
}

/// Output formats of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz: `lore graph | dot -Tsvg > graph.svg`.
    Dot,
    /// A Mermaid flowchart, for markdown that renders it (GitHub, GitLab, Notion).
    Mermaid,
    /// `{"version":1, "root", "depth", "nodes":[…], "edges":[…]}`.
    Json,
}

/// Output formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Json,
    Ndjson,
    Csv,
    Sqlite,
    Codeowners,
    /// Backstage `catalog-info.yaml` entities, one YAML document per entry.
    Backstage,
}

/// Output formats of `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TestFormat {
    /// One line a case, failures as diffs.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// JUnit XML, for CI test reports (GitLab, Jenkins, GitHub test-report actions).
    Junit,
}

/// Output formats of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TableFormat {
    /// A table with a bar per row (with --per, periods × the top values), for people.
    Human,
    /// One JSON document, stable for scripts.
    Json,
    /// One row per entry, one column per period, for a spreadsheet.
    Csv,
    /// A GitHub-flavoured markdown table.
    Markdown,
    /// A stacked bar chart with a legend (periods × the top values).
    Svg,
}
