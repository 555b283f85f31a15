//! `exec` sources: a command (no shell) run in the repository root, whose standard
//! output is JSON, NDJSON or CSV (by its first character: `[` or `{` is JSON). Output
//! and error output are each read up to a cap, so a runaway command cannot exhaust
//! memory, and one that runs longer than ten minutes is stopped; a command that fails
//! is reported with the end of its error output.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Problem;

/// Most bytes read from a command's output.
pub(crate) const MAX_OUTPUT: u64 = 1 << 30;
/// How long a command may run.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
/// Most bytes of its error output kept for the message.
const MAX_STDERR: u64 = 64 << 10;

/// The command's standard output, or a problem saying why there is none.
pub(crate) fn run(root: &Path, argv: &[String], shown: &str) -> Result<Vec<u8>, Problem> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Problem::general("`exec` names no command"))?;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Problem::general(format!("cannot run `{shown}`: {e}"))
                .help("install the program, or fix `exec:` in lore.yaml")
        })?;
    let stderr = child.stderr.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.take(MAX_STDERR).read_to_end(&mut buf);
            buf
        })
    });
    let reader = child.stdout.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = s.take(MAX_OUTPUT + 1).read_to_end(&mut buf);
            (buf, read)
        })
    });
    // Wait with a deadline: a command that never ends must not hang the import.
    let deadline = std::time::Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Ok(s),
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Problem::general(format!(
                    "`{shown}` did not finish within {} s; lore stopped it",
                    TIMEOUT.as_secs()
                ))
                .help("make the query faster, or run it yourself and import its output with --from FILE"));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => break Err(e),
        }
    };
    let (stdout, read) = match reader.and_then(|h| h.join().ok()) {
        Some((buf, read)) => (buf, Some(read)),
        None => (Vec::new(), None),
    };
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let tail = String::from_utf8_lossy(&stderr);
    let tail = tail.trim();
    if stdout.len() as u64 > MAX_OUTPUT {
        return Err(Problem::general(format!(
            "`{shown}` printed more than {MAX_OUTPUT} bytes; lore reads up to that"
        ))
        .help("select fewer rows or columns"));
    }
    if let Some(Err(e)) = read {
        return Err(Problem::general(format!(
            "cannot read the output of `{shown}`: {e}"
        )));
    }
    match status {
        Ok(s) if s.success() => Ok(stdout),
        Ok(s) => Err(Problem::general(format!(
            "`{shown}` failed ({s}){}",
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            }
        ))
        .help("run the command yourself to see what it needs")),
        Err(e) => Err(Problem::general(format!("`{shown}` did not finish: {e}"))),
    }
}
