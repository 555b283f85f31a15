//! Whole-binary tests: small catalog repositories in, exit status and output checked.
//! One integration-test binary.
//!
//! Cases whose essence is "this catalog in, this output and status out" are data, in
//! `tests/cmd/` (see `cmd.rs`); the modules here keep what needs logic: JSON checked
//! structurally, git histories, files written, timing.

mod backstage;
mod bench;
mod ci_output;
mod cmd;
mod completions;
mod expressions;
mod git;
mod hermetic_git;
mod hostile_config;
mod hostile_expr_cache;
mod hostile_output;
mod hostile_paths;
mod hostile_yaml;
mod import;
mod init;
mod props;
mod queries;
mod readme;
mod route;
mod sources;
mod validate;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root (where Cargo.toml is).
#[must_use]
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `lore` with a clean, deterministic environment, run in `dir`.
#[must_use]
pub fn lore(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lore").expect("the lore binary is built");
    cmd.current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// A throwaway catalog repository made of `(path, content)` pairs.
#[must_use]
pub fn catalog(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// Copy a folder tree (files and folders only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
}

#[must_use]
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[must_use]
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `lore validate --format json` and return (exit code, parsed report).
#[must_use]
pub fn validate_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = lore(dir)
        .arg("validate")
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (code, report)
}

/// `file:line:col code` of every problem, in report order.
#[must_use]
pub fn places(report: &serde_json::Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{} {}",
                p["file"].as_str().unwrap_or("-"),
                p["line"],
                p["column"],
                p["code"].as_str().unwrap()
            )
        })
        .collect()
}
