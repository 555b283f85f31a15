//! The one `git` every test runs: a fixed author and committer, dates counted in days
//! from a fixed epoch, and nothing from the caller's environment or configuration (no
//! user or system config, HOME inside the test's own folder), so a commit made here has
//! the same author, date and message on every machine.
//!
//! Shared by the whole-binary tests (`tests/cli`) and the unit tests of `src/history.rs`,
//! which include this file with `#[path]`; it uses nothing but std.

use std::path::Path;
use std::process::Command;

/// 2024-01-01T00:00:00Z; test commits are dated in days after it.
pub(super) const EPOCH: i64 = 1_704_067_200;
pub(super) const DAY: i64 = 86_400;
pub(super) const AUTHOR: &str = "Ada Author";
pub(super) const EMAIL: &str = "ada@example.com";

/// Run `git args` in `dir` (inside the test's temporary folder), dated `day` days after
/// 2024-01-01; panics with git's stderr when it fails, returns its trimmed stdout.
pub(super) fn git(dir: &Path, args: &[&str], day: i64) -> String {
    let date = format!("@{} +0000", EPOCH + day * DAY);
    let out = Command::new("git")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env("GIT_AUTHOR_NAME", AUTHOR)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", AUTHOR)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "commit.gpgSign=false",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `git init` in `dir`, then stage and commit everything in it on `day`; returns the
/// commit id.
pub(super) fn init_and_commit(dir: &Path, message: &str, day: i64) -> String {
    git(dir, &["init", "-q"], day);
    commit_all(dir, message, day)
}

/// Stage everything in `dir` and commit it on `day`; returns the commit id.
pub(super) fn commit_all(dir: &Path, message: &str, day: i64) -> String {
    git(dir, &["add", "-A"], day);
    git(dir, &["commit", "-q", "-m", message], day);
    git(dir, &["rev-parse", "HEAD"], day)
}
