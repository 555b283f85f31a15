//! README's console blocks run, so they cannot drift from what lore does.
//!
//! A block is checked when the line right above its opening fence is a marker:
//!
//! - `<!-- readme-test: northwind -->`: in a fresh copy of this repository's example
//!   catalog (`lore.yaml`, `schemas/`, `catalog/`, `routing/`, `examples/`, `.lore/`,
//!   `imports/`);
//! - `<!-- readme-test: scratch -->`: in a fresh empty folder;
//! - `<!-- readme-test: backstage -->`: in a fresh folder holding `backstage-examples/`,
//!   the subset of Backstage's example catalog in `tests/fixtures/backstage/examples`;
//! - `<!-- readme-test: northwind-git -->`: as `northwind`, in a fresh git repository
//!   where the copy is one commit on `main` (2024-01-01, Ada Author, "Northwind example
//!   catalog"), so `lore show` has a last change to name (its hash, which changes with
//!   every edit of the example catalog, is not compared);
//! - `<!-- readme-test: diff-demo -->`: in a fresh git repository where
//!   `tests/fixtures/readme-diff/main` is committed on `main` (the same fixed date and
//!   author) and the working tree is then `tests/fixtures/readme-diff/work`: the change
//!   README's `lore diff` transcript describes;
//! - `<!-- readme-test: continue -->`: where the previous checked block left off (its
//!   folder and its `cd`).
//!
//! git runs without the caller's configuration (`crate::hermetic_git`), in the setup
//! and in the blocks alike.
//!
//! Each `$ command` line (a trailing `\` continues it) runs in one bash per block with
//! `lore` on PATH, stderr merged into stdout; the lines up to the next `$` are its
//! expected output. A last line `[exit N]` expects that exit status. Every console
//! block needs a marker: put one above a new block and run `cargo test --test cli readme`.
//!
//! Besides lore, blocks run `git`, `perl` and `sqlite3`; a block naming one that is not
//! on PATH fails, naming it (`.ci/run` installs sqlite3), rather than being skipped.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{copy_dir, hermetic_git, repo};

const SEP: &str = "@@lore-readme@@";

struct Step {
    command: String,
    expected: Vec<String>,
    /// 0-based README line where the expected output starts (right after the command).
    output_at: usize,
}

struct Block {
    line: usize,
    mode: String,
    steps: Vec<Step>,
}

fn blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(mode) = lines[i]
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            i += 1;
            continue;
        };
        assert_eq!(
            lines.get(i + 1).copied(),
            Some("```console"),
            "README.md:{}: a marker must sit right above a console block",
            i + 1
        );
        let mut steps: Vec<Step> = Vec::new();
        let mut j = i + 2;
        while lines[j] != "```" {
            if let Some(cmd) = lines[j].strip_prefix("$ ") {
                let mut command = cmd.to_owned();
                while command.ends_with('\\') {
                    j += 1;
                    command.push('\n');
                    command.push_str(lines[j]);
                }
                steps.push(Step {
                    command,
                    expected: Vec::new(),
                    output_at: j + 1,
                });
            } else {
                steps
                    .last_mut()
                    .unwrap_or_else(|| panic!("README.md:{}: output before any `$` command", j + 1))
                    .expected
                    .push(lines[j].to_owned());
            }
            j += 1;
        }
        out.push(Block {
            line: i + 1,
            mode: mode.trim().to_owned(),
            steps,
        });
        i = j + 1;
    }
    out
}

/// `tests/fixtures/readme-diff/main` committed on `main`, then `work` as the working tree.
fn diff_demo(dir: &Path) {
    let fixture = repo().join("tests/fixtures/readme-diff");
    copy_dir(&fixture.join("main"), dir);
    hermetic_git::init_and_commit(dir, "Start the catalog", 0);
    for item in std::fs::read_dir(dir).unwrap() {
        let item = item.unwrap();
        if item.file_name() == ".git" {
            continue;
        }
        if item.file_type().unwrap().is_dir() {
            std::fs::remove_dir_all(item.path()).unwrap();
        } else {
            std::fs::remove_file(item.path()).unwrap();
        }
    }
    copy_dir(&fixture.join("work"), dir);
}

fn northwind(dir: &Path) {
    for d in [
        "schemas", "catalog", "routing", "examples", ".lore", "imports",
    ] {
        crate::copy_dir(&repo().join(d), &dir.join(d));
    }
    std::fs::copy(repo().join("lore.yaml"), dir.join("lore.yaml")).unwrap();
}

/// Run one block in `cwd`; returns each step's (output, status) and the folder it ended in.
fn run(block: &Block, cwd: &Path, home: &Path) -> (Vec<(Vec<String>, i32)>, PathBuf) {
    // `$?` is carried over the markers, so `$ echo $?` shows the previous command's.
    let mut script = String::from("set +e\nlast=0\n");
    for (n, s) in block.steps.iter().enumerate() {
        let _ = write!(
            script,
            "printf '{SEP}step {n}\\n'\n(exit $last)\n{{ {}\n}} 2>&1\nlast=$?\nprintf '{SEP}status %s\\n' \"$last\"\n",
            s.command
        );
    }
    let _ = writeln!(script, "printf '{SEP}cwd %s\\n' \"$PWD\"");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lore"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("LANG", "C.UTF-8")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T12:00:00Z")
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut results: Vec<(Vec<String>, i32)> = Vec::new();
    let mut end = cwd.to_path_buf();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(SEP) {
            if rest.starts_with("step ") {
                results.push((Vec::new(), -1));
            } else if let Some(code) = rest.strip_prefix("status ") {
                results.last_mut().unwrap().1 = code.parse().unwrap();
            } else if let Some(dir) = rest.strip_prefix("cwd ") {
                end = PathBuf::from(dir);
            }
        } else if let Some(last) = results.last_mut() {
            last.0.push(line.to_owned());
        }
    }
    (results, end)
}

/// The programs other than lore that README's blocks run.
const TOOLS: [&str; 3] = ["git", "perl", "sqlite3"];

/// Whether `tool` is a file in one of PATH's folders.
fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|d| d.join(tool).is_file())
}

/// The tools of [`TOOLS`] that `block` runs but PATH does not have.
fn missing_tools(block: &Block) -> Vec<&'static str> {
    TOOLS
        .into_iter()
        .filter(|tool| {
            block.steps.iter().any(|s| {
                s.command
                    .split(|c: char| c.is_whitespace() || "|&;()".contains(c))
                    .any(|w| w == *tool)
            })
        })
        .filter(|tool| !on_path(tool))
        .collect()
}

#[test]
fn readme_console_blocks_show_what_lore_prints() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(
        blocks.len() >= 5,
        "README.md has {} checked blocks",
        blocks.len()
    );
    // Every transcript is checked: a console block without a marker is a mistake.
    let lines: Vec<&str> = readme.lines().collect();
    let unmarked: Vec<String> = (0..lines.len())
        .filter(|&i| lines[i] == "```console")
        .filter(|&i| i == 0 || !lines[i - 1].trim().starts_with("<!-- readme-test:"))
        .map(|i| format!("README.md:{}", i + 1))
        .collect();
    assert!(
        unmarked.is_empty(),
        "console blocks without a `<!-- readme-test: MODE -->` marker: {}",
        unmarked.join(", ")
    );
    let home = tempfile::tempdir().unwrap();
    let mut keep: Vec<tempfile::TempDir> = Vec::new();
    let mut here: Option<PathBuf> = None;
    let mut failures = Vec::new();
    // `README_OVERWRITE=1` writes what lore printed into README.md (review the diff).
    let overwrite = std::env::var_os("README_OVERWRITE").is_some();
    let mut rewrites: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for block in &blocks {
        let cwd = match block.mode.as_str() {
            "continue" => here.clone().expect("`continue` follows a checked block"),
            "scratch" | "northwind" | "northwind-git" | "backstage" | "diff-demo" => {
                let dir = tempfile::tempdir().unwrap();
                if block.mode.starts_with("northwind") {
                    northwind(dir.path());
                }
                if block.mode == "northwind-git" {
                    hermetic_git::init_and_commit(dir.path(), "Northwind example catalog", 0);
                }
                if block.mode == "diff-demo" {
                    diff_demo(dir.path());
                }
                if block.mode == "backstage" {
                    copy_dir(
                        &repo().join("tests/fixtures/backstage/examples"),
                        &dir.path().join("backstage-examples"),
                    );
                }
                let p = dir.path().to_path_buf();
                keep.push(dir);
                p
            }
            other => panic!(
                "README.md:{}: unknown readme-test mode `{other}`",
                block.line
            ),
        };
        let missing = missing_tools(block);
        assert!(
            missing.is_empty(),
            "README.md:{}: this block runs {}, which is not on PATH: install it \
             (.ci/run installs sqlite3 with apt-get when it is missing)",
            block.line,
            missing.join(" and ")
        );
        let (results, end) = run(block, &cwd, home.path());
        here = Some(end);
        for (step, (got, status)) in block.steps.iter().zip(&results) {
            let mut expected = step.expected.clone();
            let want_status = match expected.last().and_then(|l| l.strip_prefix("[exit ")) {
                Some(n) => {
                    let n = n.trim_end_matches(']').parse::<i32>().unwrap();
                    expected.pop();
                    Some(n)
                }
                None => None,
            };
            let trim = |v: &[String]| -> Vec<String> {
                let mut v: Vec<String> = v.iter().map(|l| l.trim_end().to_owned()).collect();
                while v.last().is_some_and(std::string::String::is_empty) {
                    v.pop();
                }
                v
            };
            let (want, got_lines) = (trim(&expected), trim(got));
            let masked =
                |v: &[String]| -> Vec<String> { v.iter().map(|l| mask_commit(l)).collect() };
            if masked(&want) != masked(&got_lines) || want_status.is_some_and(|s| s != *status) {
                let mut new = got_lines.clone();
                if want_status.is_some() {
                    new.push(format!("[exit {status}]"));
                }
                rewrites.push((step.output_at, step.output_at + step.expected.len(), new));
                failures.push(format!(
                    "README.md:{} `$ {}` (exit {status}):\n--- README\n{}\n--- lore\n{}",
                    block.line,
                    step.command,
                    want.join("\n"),
                    got_lines.join("\n")
                ));
            }
        }
    }
    if overwrite && !rewrites.is_empty() {
        let mut lines: Vec<String> = readme.lines().map(str::to_owned).collect();
        for (from, to, new) in rewrites.into_iter().rev() {
            lines.splice(from..to, new);
        }
        std::fs::write(repo().join("README.md"), lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `last change DATE by NAME (HASH): SUBJECT` with the hash left out of the comparison:
/// the example catalog's commit changes with every edit of it, the rest of the line is
/// what README shows.
fn mask_commit(line: &str) -> String {
    if let Some(rest) = line.trim_start().strip_prefix("last change ") {
        let close = rest.find("): ");
        if let Some((open, close)) = close.and_then(|c| Some((rest[..c].rfind(" (")?, c))) {
            let hash = &rest[open + 2..close];
            if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return line.replacen(hash, "<commit>", 1);
            }
        }
    }
    line.to_owned()
}
