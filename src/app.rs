//! The process: parse the command line, run, map the outcome to an exit status.
//!
//! A reader that goes away (`lore validate | head -1`) never changes the exit status:
//! stdout swallows a broken pipe, the command runs to its end, and a failing run still
//! exits 1.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::{Cli, ErrorFormat};
use crate::commands::{self, Io};
use crate::render::diagnostics::github_error;
use crate::render::{ErrorDoc, ErrorJson};
use crate::term::escape;
use clap::Parser;

pub(crate) fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let format = ErrorFormat::from_args(&args);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(Pipe::new(stdout.lock()));
    // Not locked for the whole run: a message another thread writes (`eprintln!` on a
    // worker) would wait for the lock forever while the command waits for that thread.
    let mut err = io::stderr();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            let message = e.render().to_string();
            let first = message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad usage")
                .trim_start_matches("error: ");
            report(&mut out, format, "usage", first);
            let _ = out.flush();
            return ExitCode::from(2);
        }
    };
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = width(std::env::var("COLUMNS").ok().as_deref());
    let result = {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
            color,
            width,
        };
        commands::run(cli, &mut io)
    };
    let code = match result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            let message = e.to_string();
            if !e.is_broken_pipe() {
                // Messages quote catalog and payload text: escaped here, once, for every
                // command. Lines stay lines (some messages list files, one a line).
                let lines: Vec<_> = message.split('\n').map(escape).collect();
                let _ = writeln!(err, "error: {}", lines.join("\n"));
                report(&mut out, format, e.code(), &message);
            }
            e.exit_code()
        }
    };
    let flushed = out.flush();
    // The answer is out: now wait for the index a query writes after a change.
    crate::index::wait_for_writes();
    if let Err(e) = flushed {
        let _ = writeln!(err, "error: cannot write output: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(code)
}

/// The error once more on stdout, where `--format json|github` readers look for it.
fn report(out: &mut dyn Write, format: ErrorFormat, code: &str, message: &str) {
    let _ = match format {
        ErrorFormat::Human => Ok(()),
        ErrorFormat::Json => {
            let doc = ErrorDoc {
                version: 1,
                error: ErrorJson { code, message },
            };
            serde_json::to_writer(&mut *out, &doc)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
        ErrorFormat::Github => writeln!(out, "{}", github_error(&format!("lore: {code}"), message)),
    };
}

/// Standard output that a closed pipe cannot fail: once the reader is gone, writes are
/// dropped and reported as done, so the command finishes and its exit status stays
/// what the run found (Rust ignores SIGPIPE, so a closed pipe is an `EPIPE` error here).
struct Pipe<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Pipe<W> {
    fn new(inner: W) -> Pipe<W> {
        Pipe {
            inner,
            closed: false,
        }
    }
}

impl<W: Write> Write for Pipe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
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
    use std::io::{self, Write};

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

    struct Closed(usize);
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_pipe_swallows_writes_after_the_first_and_other_errors_pass() {
        let mut pipe = super::Pipe::new(Closed(0));
        assert_eq!(pipe.write(b"abc").unwrap(), 3);
        assert_eq!(pipe.write(b"de").unwrap(), 2);
        pipe.flush().unwrap();
        assert_eq!(pipe.inner.0, 1, "tried once, then never again");
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(super::Pipe::new(Full).write(b"x").is_err());
    }
}
