//! lore: an organization's catalog as YAML in git, validated, resolved into a typed
//! graph, and brought to incident responders.
//!
//! The library never prints: commands write to the `Write` they are handed.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod alert;
pub mod browse;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod diff;
pub mod expr;
pub mod files;
pub mod fsutil;
pub mod history;
pub mod model;
pub mod query;
pub mod render;
pub mod schema;
pub mod source;
pub mod stale;
pub mod workspace;
pub mod yaml;
