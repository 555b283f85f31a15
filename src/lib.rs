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
//! - `cli`: the command line's arguments and its one family of output formats.
//! - `render`: one renderer per format.
//! - `error`: every way a command stops, with its exit code.
//! - `commands`: one glue file per verb.
#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands::Io;
use crate::term::escape;

mod alert;
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
mod layers;
mod load;
mod model;
mod query;
mod render;
mod repo_files;
mod schema;
mod source;
mod span;
mod term;
mod workspace;
mod yaml;

/// Run `lore` with the process's arguments, standard streams and environment, and
/// return the exit status: 0 ok, 1 an invalid catalog or an empty answer, 2 a usage,
/// configuration or internal error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = width(std::env::var("COLUMNS").ok().as_deref());
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        color,
        width,
    };
    let result = commands::run(cli, &mut io);
    let flushed = out.flush();
    let code = match result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            if !e.is_broken_pipe() {
                // Messages quote catalog and payload text: escaped here, once, for every
                // command. Lines stay lines (some messages list files, one a line).
                let message = e.to_string();
                let lines: Vec<_> = message.split('\n').map(escape).collect();
                let _ = writeln!(err, "error: {}", lines.join("\n"));
            }
            e.exit_code()
        }
    };
    if let Err(e) = flushed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(err, "error: cannot write output: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::from(code)
}

/// The width to wrap at, from `COLUMNS`: 100 when it is unset, not a number, or too
/// narrow to wrap words in (below 20); at most 1000.
fn width(columns: Option<&str>) -> usize {
    match columns.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(n) if n >= 20 => n.min(1000),
        _ => 100,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn width_is_clamped_to_something_text_can_wrap_in() {
        use super::width;
        assert_eq!(width(None), 100);
        assert_eq!(width(Some("0")), 100);
        assert_eq!(width(Some("19")), 100);
        assert_eq!(width(Some("-5")), 100);
        assert_eq!(width(Some("wide")), 100);
        assert_eq!(width(Some("99999999999999999999999")), 100);
        assert_eq!(width(Some("20")), 20);
        assert_eq!(width(Some("132")), 132);
        assert_eq!(width(Some("100000")), 1000);
    }
}
