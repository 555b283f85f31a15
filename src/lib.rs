//! lore: an organization's catalog as YAML in git, validated, resolved into a typed
//! graph, and brought to incident responders.
//!
//! The library never prints: commands write to the `Write` they are handed.
//!
//! Modules, from the bottom layer up (a module uses only modules of lower layers; the
//! test `tests::layers` keeps it so):
//!
//! - `fsutil`, `span`, `term`: atomic writes; files, spans, line:col; terminal text.
//! - `yaml`: YAML to JSON values, with spans on demand.
//! - `diag`: problem codes and the problems themselves.
//! - `expr`, `schema`: CEL expressions and templates; JSON Schema.
//! - `source`, `workspace`: where files come from; finding the root.
//! - `model`, `config`: type definitions; lore.yaml.
//! - `check`, `cache`: checking one entry file; per-file results across runs.
//! - `graph`: the resolved catalog, edges both ways.
//! - `load`: the pipeline that makes a graph from a folder or a git tree.
//! - `history`: git.
//! - `query`, `alert`: owners, impact, browsing, diff, stale; alert payloads and routing.
//! - `render`: one renderer per format.
//! - `cli`, `error`: the command line; every way a command stops, with its exit code.
//! - `commands`: one glue file per verb.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod alert;
pub mod cache;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod date;
pub mod diag;
pub mod error;
pub mod expr;
pub mod fsutil;
pub mod graph;
pub mod history;
mod import;
mod layers;
pub mod load;
pub mod model;
pub mod query;
pub mod render;
pub mod schema;
pub mod source;
pub mod span;
pub mod term;
pub mod workspace;
pub mod yaml;
