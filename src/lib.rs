//! lore: an organization's catalog as YAML in git, validated, resolved into a typed
//! graph, and brought to incident responders.
//!
//! The library never prints: commands write to the `Write` they are handed.
//!
//! Modules, from the bottom layer up (a module uses only modules of lower layers; the
//! test `tests::layers` keeps it so):
//!
//! - `fsutil`, `span`, `sqlite`, `term`: atomic writes; files, spans, line:col; writing
//!   SQLite databases; terminal text.
//! - `yaml`: YAML to JSON values, with spans on demand.
//! - `diag`: problem codes and the problems themselves.
//! - `expr`, `schema`: CEL expressions and templates; JSON Schema.
//! - `source`, `workspace`: where files come from; finding the root.
//! - `model`, `config`: type definitions; lore.yaml.
//! - `check`, `cache`: checking one entry file; per-file results across runs.
//! - `graph`: the resolved catalog, edges both ways.
//! - `load`, `index`: the pipeline that makes a graph from a folder or a git tree; the
//!   graph on disk, for queries that read a few entries of it.
//! - `history`: git.
//! - `query`, `alert`: owners, impact, browsing, diff, stale; alert payloads and routing.
//! - `cli`: the command line's arguments and its one family of output formats.
//! - `render`: one renderer per format.
//! - `error`: every way a command stops, with its exit code.
//! - `commands`: one glue file per verb.
//! - `app`: the process: arguments, standard streams, exit status.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod alert;
mod app;
mod cache;
mod check;
mod cli;
mod commands;
mod config;
mod date;
mod diag;
mod error;
mod expr;
mod fsutil;
mod graph;
mod history;
mod import;
mod index;
mod layers;
mod load;
mod model;
mod query;
mod render;
mod repo_files;
mod schema;
mod source;
mod span;
mod sqlite;
mod term;
mod workspace;
mod yaml;

/// Run `lore` with the process's arguments, standard streams and environment, and
/// return the exit status: 0 ok, 1 an invalid catalog or an empty answer, 2 a usage,
/// configuration or internal error.
#[must_use]
pub fn main() -> std::process::ExitCode {
    app::main()
}
