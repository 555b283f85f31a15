//! `exec` sources: a command (no shell) run in the repository root, whose standard
//! output is JSON, NDJSON or CSV (by its first character: `[` or `{` is JSON). Output
//! and error output are each read up to a cap, so a runaway command cannot exhaust
//! memory; a command that fails is reported with the end of its error output.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Problem;

/// Most bytes read from a command's output.
pub(crate) const MAX_OUTPUT: u64 = 1 << 30;
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
    let mut stdout = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|s| s.take(MAX_OUTPUT + 1).read_to_end(&mut stdout));
    if stdout.len() as u64 > MAX_OUTPUT {
        let _ = child.kill();
    }
    let status = child.wait();
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
