//! The `lore` binary: parse the command line, run, map the outcome to an exit status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use lore::cli::Cli;
use lore::commands::{self, Io};
use lore::term::escape;

fn main() -> ExitCode {
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

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
