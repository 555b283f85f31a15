//! `lore completions SHELL` and `lore man`: generated, complete, and loadable.

use crate::{lore, repo, stdout};

const SUBCOMMANDS: &[&str] = &[
    "validate",
    "schema",
    "init",
    "route",
    "test",
    "show",
    "owners",
    "impact",
    "list",
    "search",
    "graph",
    "diff",
    "stale",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = lore(&repo()).args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion lacks `{sub}`");
        }
        assert!(script.contains("fail-if-stale"), "{shell}");
        if shell == "bash" && std::path::Path::new("/bin/bash").exists() {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("lore.bash");
            std::fs::write(&file, &script).unwrap();
            let check = std::process::Command::new("/bin/bash")
                .arg("-n")
                .arg(&file)
                .status()
                .unwrap();
            assert!(check.success(), "bash cannot parse the completion script");
        }
    }
    let out = lore(&repo())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let out = lore(&repo()).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(page.contains(".TH lore 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")));
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("lore\\-{sub}")) || page.contains(sub),
            "man lacks `{sub}`"
        );
    }
}
