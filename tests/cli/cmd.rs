//! The whole-binary cases that are data: `tests/cmd/<case>.toml` gives the arguments and
//! the exit status, `<case>.stdout` / `<case>.stderr` the expected output (`...` and
//! `[..]` elide), `<case>.in/` the catalog folder, copied to a sandbox before the run.
//!
//! Every case runs `lore` with an empty environment (`[env] inherit = false`, which a
//! test below enforces) plus what this harness adds: no colour, 100 columns, no cache.
//! `TRYCMD=overwrite cargo test --test cli cmd` rewrites the snapshots; review the diff.

use std::path::PathBuf;

use crate::repo;

#[test]
fn cmd() {
    trycmd::TestCases::new()
        .register_bin("lore", PathBuf::from(env!("CARGO_BIN_EXE_lore")))
        .default_bin_name("lore")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("LORE_NO_CACHE", "1")
        .case("tests/cmd/*.toml");
}

/// trycmd cannot clear the environment for all cases at once, so each case says so.
#[test]
fn every_case_runs_in_an_empty_environment() {
    let mut cases = 0;
    for item in std::fs::read_dir(repo().join("tests/cmd")).unwrap() {
        let path = item.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            cases += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains("[env]\ninherit = false\n"),
                "{} lacks `[env]\\ninherit = false`",
                path.display()
            );
        }
    }
    assert!(cases > 0);
}
