//! Paths that try to leave the repository, symbolic links, damaged git objects, odd file
//! names, leftovers of killed runs and hostile terminal widths.

use std::path::Path;
use std::time::Duration;

use crate::git::{Repo, SHOP};
use crate::hermetic_git::git;
use crate::{catalog, lore, places, stderr, stdout, validate_json};

const TEAM: &str = "type: Team\n";
const WEB: &str = "type: Team\nid: web\n";

/// A valid catalog with one extra file, in a folder of its own inside a temp folder (so
/// tests can put things beside the repository).
fn repo_in(outer: &Path, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let root = outer.join("repo");
    for (path, text) in [("schemas/team.yaml", TEAM), ("catalog/web.yaml", WEB)]
        .iter()
        .chain(extra)
    {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    root
}

#[test]
fn lore_yaml_paths_that_leave_the_repository_are_config_errors_at_their_place() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outer.path().join("elsewhere")).unwrap();
    std::fs::write(
        outer.path().join("elsewhere/x.yaml"),
        "type: Team\nid: outsider\n",
    )
    .unwrap();
    let root = repo_in(
        outer.path(),
        &[(
            "lore.yaml",
            "catalog:\n  - catalog\n  - /etc/passwd\n  - /proc/self/environ\n  - ../elsewhere\n  - catalog/../../elsewhere\n  - \"../**\"\nexclude: [\"../**/x.yaml\"]\n",
        )],
    );
    let out = lore(&root)
        .env("LORE_TEST_SECRET", "hunter2")
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("root:") && !text.contains("hunter2") && !text.contains("outsider"));
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        places(&report),
        [
            "lore.yaml:3:5 lore::config",
            "lore.yaml:4:5 lore::config",
            "lore.yaml:5:5 lore::config",
            "lore.yaml:6:5 lore::config",
            "lore.yaml:7:5 lore::config",
            "lore.yaml:8:11 lore::config",
        ]
    );
    assert_eq!(report["entries"], 1, "only catalog/ was read");
    let message = report["problems"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`/etc/passwd`") && message.contains("absolute"),
        "{message}"
    );
    let message = report["problems"][2]["message"].as_str().unwrap();
    assert!(message.contains("`..`"), "{message}");

    // The schemas folder too; a query still answers from inside the repository.
    std::fs::write(root.join("lore.yaml"), "schemas: /etc\n").unwrap();
    let (code, report) = validate_json(&root, &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(places(&report), ["lore.yaml:1:10 lore::config"]);
    let out = lore(&root).args(["owners", "web"]).output().unwrap();
    assert!(
        stderr(&out).contains("warning: the catalog has 1 problem"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_schemas_folder_is_named_when_the_default_is_missing_too() {
    let dir = catalog(&[
        ("types/team.yaml", TEAM),
        ("catalog/web.yaml", WEB),
        ("lore.yaml", "schemas: ../types\n"),
    ]);
    let out = lore(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("lore.yaml:1:10") && err.contains("`../types`"),
        "{err}"
    );
}

#[test]
fn routing_payload_files_stay_inside_the_repository_and_never_block() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("outside.json"), r#"{"service": "web"}"#).unwrap();
    let cases = "cases:
  - name: stdin
    payload_file: /dev/stdin
    expect: {matches: [web]}
  - name: outside
    payload_file: ../../outside.json
    expect: {matches: [web]}
  - name: inside
    payload_file: ../alerts/web.json
    expect: {matches: [Team:web]}
";
    let root = repo_in(
        outer.path(),
        &[
            ("routing/cases.yaml", cases),
            ("alerts/web.json", r#"{"team": "web"}"#),
        ],
    );
    let out = lore(&root)
        .arg("test")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("FAIL  stdin  (routing/cases.yaml:2)"),
        "{text}"
    );
    assert!(
        text.contains(
            "payload_file `/dev/stdin` is an absolute path outside the catalog repository"
        ),
        "{text}"
    );
    assert!(
        text.contains("FAIL  outside  (routing/cases.yaml:5)"),
        "{text}"
    );
    assert!(text.contains("outside the catalog repository"), "{text}");
    assert!(text.contains("ok    inside"), "{text}");
    assert!(text.contains("3 cases: 1 passed, 2 failed"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_never_opened_as_a_payload_or_catalog_file() {
    let outer = tempfile::tempdir().unwrap();
    let cases =
        "cases:\n  - name: fifo\n    payload_file: pipe.json\n    expect: {matches: [web]}\n";
    let root = repo_in(
        outer.path(),
        &[
            ("routing/cases.yaml", cases),
            ("lore.yaml", "catalog: [catalog, pipe.yaml]\n"),
        ],
    );
    for fifo in ["routing/pipe.json", "pipe.yaml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(root.join(fifo))
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
    }
    let out = lore(&root)
        .arg("test")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is not a regular file"),
        "{}",
        stdout(&out)
    );
    let out = lore(&root)
        .args(["validate", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("`pipe.yaml` in `catalog:` is neither a folder nor a regular file"),
        "{problems}"
    );
    assert_eq!(report["entries"], 1);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_only_inside_the_repository_and_loops_end() {
    use std::os::unix::fs::symlink;
    let outer = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outer.path().join("outside")).unwrap();
    std::fs::write(
        outer.path().join("outside/o.yaml"),
        "type: Team\nid: outsider\n",
    )
    .unwrap();
    let root = repo_in(
        outer.path(),
        &[("shared/ops.yaml", "type: Team\nid: ops\n")],
    );
    symlink(outer.path().join("outside"), root.join("catalog/out")).unwrap();
    symlink(
        outer.path().join("outside/o.yaml"),
        root.join("catalog/o.yaml"),
    )
    .unwrap();
    symlink("../shared", root.join("catalog/shared")).unwrap();
    symlink("..", root.join("catalog/loop")).unwrap();
    symlink(outer.path().join("outside"), root.join("schemas/more")).unwrap();
    let out = lore(&root)
        .args(["validate", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["entries"], 2,
        "web, and ops through the link inside: {report}"
    );
    let messages: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|p| {
            assert_eq!(p["code"], "lore::symlink");
            assert_eq!(p["severity"], "warning");
        })
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    let one = |link: &str, what: &str| {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("`{link}`")) && m.contains(what)),
            "{link}: {messages:?}"
        );
    };
    one("catalog/out", "outside the repository");
    one("catalog/o.yaml", "outside the repository");
    one("catalog/loop", "a loop");
    one("schemas/more", "outside the repository");
    assert!(!stdout(&out).contains("outsider"));
}

#[test]
fn a_damaged_git_object_is_an_error_naming_it_not_an_empty_answer() {
    let repo = Repo::new("");
    repo.write("catalog/shop.yaml", &SHOP.replace("tier: 1", "tier: 2"));
    repo.commit("Lower the tier", 1);
    let blob = git(repo.path(), &["rev-parse", "HEAD~1:catalog/shop.yaml"], 1);
    let object = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perms = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&object, perms).unwrap();
    std::fs::write(&object, b"this is not a zlib stream").unwrap();

    let runs: [&[&str]; 4] = [
        &["diff", "HEAD~1"],
        &["validate", "--rev", "HEAD~1"],
        &["owners", "shop", "--rev", "HEAD~1"],
        &["validate", "--changed-since", "HEAD~1"],
    ];
    for args in runs {
        let out = lore(repo.path()).args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}{err}",
            stdout(&out)
        );
        assert!(
            err.contains(&blob) && err.contains("catalog/shop.yaml") && err.contains("git fsck"),
            "{args:?}: {err}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_backslash_is_part_of_a_file_name_on_unix() {
    let dir = catalog(&[
        ("schemas/team.yaml", TEAM),
        ("catalog/a\\b.yaml", "type: Team\nid: web\nextra: 1\n"),
    ]);
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        places(&report),
        ["catalog/a\\b.yaml:3:1 lore::unknown-field"]
    );
}

#[test]
fn lore_schema_clears_the_temporary_files_a_killed_run_left() {
    let dir = catalog(&[("schemas/team.yaml", TEAM), ("catalog/web.yaml", WEB)]);
    let out = lore(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let left = dir.path().join(".lore/schemas/.lore-tmp-4294967295-AbC123");
    std::fs::write(&left, "{\"half\": ").unwrap();
    let out = lore(dir.path())
        .args(["schema", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "not drift: {}", stdout(&out));
    assert!(
        stderr(&out).contains("`.lore-tmp-4294967295-AbC123` in `.lore/schemas` is a temporary file left by an interrupted `lore schema`"),
        "{}",
        stderr(&out)
    );
    let out = lore(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed  .lore-tmp-4294967295-AbC123"),
        "{}",
        stdout(&out)
    );
    assert!(!left.exists());
}

#[test]
fn hostile_terminal_widths_fall_back_to_a_sane_one() {
    let dir = catalog(&[
        ("schemas/team.yaml", TEAM),
        (
            "catalog/web.yaml",
            "type: Team\nid: web\nsome_field_nobody_declared: 1\n",
        ),
    ]);
    let run = |columns: &str| {
        let out = lore(dir.path())
            .env("COLUMNS", columns)
            .arg("validate")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        stdout(&out)
    };
    let normal = run("100");
    assert!(normal.contains("some_field_nobody_declared"), "{normal}");
    for columns in ["0", "3", "-1", "wide", "99999999999999999999999999"] {
        assert_eq!(run(columns), normal, "COLUMNS={columns}");
    }
    let huge = run("100000");
    assert!(huge.lines().count() <= normal.lines().count(), "{huge}");
}

#[cfg(unix)]
#[test]
fn init_never_writes_through_a_symbolic_link() {
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("victim");
    let dir = outer.path().join("new");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("catalog")).unwrap();
    let out = lore(outer.path()).args(["init", "new"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("`new/catalog` is a symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing written"
    );
}
