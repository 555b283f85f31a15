//! `lore init` and `lore schema`: a new repository validates, nothing is overwritten, the
//! editor schemas are deterministic, in sync with the checked-in copies, and accept
//! exactly what `lore validate` accepts for the example catalog.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use super::{lore, repo, stderr, stdout, validate_json};
use lore::render::editor::{self, SchemaFile};

fn load(root: &Path) -> lore::graph::Catalog {
    lore::load::load(root).unwrap_or_else(|f| panic!("{f}"))
}

fn generated(root: &Path) -> Vec<SchemaFile> {
    let (files, skipped) = editor::generate(&load(root)).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    files
}

fn validator(schema: &Value) -> jsonschema::Validator {
    // No retriever: the generated files must be self-contained.
    lore::schema::build(schema, Default::default()).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let parsed = lore::yaml::parse(&text, Default::default(), false);
    assert!(
        parsed.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        parsed.errors
    );
    parsed.documents.into_iter().map(|d| d.value).collect()
}

/// Copy the example catalog (lore.yaml, schemas/, catalog/) into a temp folder.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("lore.yaml"), dir.path().join("lore.yaml")).unwrap();
    for sub in ["schemas", "catalog"] {
        for e in walkdir::WalkDir::new(repo().join(sub)) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(repo()).unwrap();
            let to = dir.path().join(rel);
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
    }
    dir
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect()
}

#[test]
fn init_creates_a_catalog_that_validates_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path())
        .args(["init", "acme-catalog"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("cd acme-catalog && lore validate"), "{text}");
    let root = dir.path().join("acme-catalog");

    let (code, report) = validate_json(&root, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["problems"], json!([]), "no errors and no warnings");
    assert!(report["entries"].as_u64().unwrap() >= 8, "{report}");

    // The workflow runs `lore test`: the starter's routing tests pass out of the box.
    let test = lore(&root).arg("test").output().unwrap();
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}{}",
        stdout(&test),
        stderr(&test)
    );
    assert!(
        stdout(&test).contains("2 cases: 2 passed, 0 failed"),
        "{}",
        stdout(&test)
    );

    let files = files_under(&root);
    for f in [
        "lore.yaml",
        "schemas/team.yaml",
        "schemas/service.yaml",
        "schemas/feature.yaml",
        "schemas/customer.yaml",
        ".github/workflows/lore.yml",
        ".vscode/settings.json",
        ".lore/schemas/catalog.schema.json",
        ".lore/schemas/Customer.schema.json",
    ] {
        assert!(files.contains(f), "{f} missing from {files:?}");
        assert!(text.contains(f), "{f} not announced");
    }
    assert!(!files.iter().any(|f| f.contains(".lore-tmp-")), "{files:?}");

    // The schemas it wrote are the ones `lore schema` would write.
    let check = lore(&root).args(["schema", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    // Every relation of the starter model is used by some example entry.
    let c = load(&root);
    assert_eq!(c.types().len(), 5);
    for (t, def) in c.types() {
        for rel in &def.relations {
            assert!(
                c.entries()
                    .filter(|(_, e)| e.type_id == t)
                    .any(|(e, _)| c.out(e).any(|edge| c.relation(edge).name == rel.name)),
                "{}.{} has no example",
                def.name,
                rel.name
            );
        }
    }
}

#[test]
fn init_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Created a lore catalog in .:"));
    assert!(stdout(&out).contains("\n  lore validate\n"));
    let (code, _) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0);
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let dir = super::catalog(&[
        ("lore.yaml", "# mine\ncatalog: [stuff]\n"),
        ("catalog/teams.yaml", "not: yours\n"),
        ("notes.txt", "unrelated\n"),
    ]);
    let before = files_under(dir.path());
    let out = lore(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("nothing written"), "{err}");
    assert!(err.contains("  catalog/teams.yaml\n"), "{err}");
    assert!(err.contains("  lore.yaml\n"), "{err}");
    assert!(
        !err.contains("schemas/team.yaml"),
        "only conflicts are listed: {err}"
    );
    assert_eq!(files_under(dir.path()), before, "no file was added");
    assert_eq!(
        std::fs::read(dir.path().join("lore.yaml")).unwrap(),
        b"# mine\ncatalog: [stuff]\n"
    );
    assert_eq!(
        std::fs::read(dir.path().join("catalog/teams.yaml")).unwrap(),
        b"not: yours\n"
    );

    // A second init over a first one conflicts on every file.
    let fresh = tempfile::tempdir().unwrap();
    assert!(lore(fresh.path())
        .arg("init")
        .output()
        .unwrap()
        .status
        .success());
    let again = lore(fresh.path()).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains(".github/workflows/lore.yml"));
}

#[test]
fn workflow_template_parses_and_uses_the_ci_commands() {
    let path = repo().join("templates/init/.github/workflows/lore.yml");
    let docs = yaml_docs(&path);
    assert_eq!(docs.len(), 1);
    let wf = &docs[0];
    assert!(wf["on"]["pull_request"].is_null() && wf["on"].get("pull_request").is_some());
    assert!(wf["on"]["schedule"][0]["cron"].is_string());
    let text = std::fs::read_to_string(&path).unwrap();
    for needle in [
        "fetch-depth: 0",
        "lore validate --changed-since \"origin/${{ github.base_ref }}\" --format github",
        "lore test",
        "lore diff \"origin/${{ github.base_ref }}\" --format markdown > diff.md",
        "marocchino/sticky-pull-request-comment@v2",
        "lore stale --format markdown",
        "$GITHUB_STEP_SUMMARY",
        "gh issue create",
    ] {
        assert!(text.contains(needle), "workflow lacks `{needle}`");
    }
    let steps = |job: &str| wf["jobs"][job]["steps"].as_array().unwrap().len();
    assert!(steps("check") >= 5 && steps("stale") >= 4);
    // The editor settings are JSON and point at the files `lore schema` writes.
    for p in [
        repo().join("templates/init/.vscode/settings.json"),
        repo().join(".vscode/settings.json"),
    ] {
        let settings = read_json(&p);
        let map = settings["yaml.schemas"].as_object().unwrap();
        for name in [
            "lore.schema.json",
            "type.schema.json",
            "catalog.schema.json",
        ] {
            assert!(
                map.contains_key(&format!(".lore/schemas/{name}")),
                "{}",
                p.display()
            );
        }
    }
}

#[test]
fn checked_in_schemas_are_in_sync_and_output_is_deterministic() {
    let files = generated(&repo());
    assert_eq!(files, generated(&repo()), "two runs, same result");
    let dir = repo().join(".lore/schemas");
    let on_disk: BTreeSet<String> = files_under(&dir);
    let expected: BTreeSet<String> = files.iter().map(|f| f.name.clone()).collect();
    assert_eq!(
        on_disk, expected,
        "run `cargo run -- schema` and commit .lore/schemas"
    );
    for f in &files {
        let disk = std::fs::read_to_string(dir.join(&f.name)).unwrap();
        assert!(
            disk == f.text(),
            "{} is out of date: run `cargo run -- schema` and commit .lore/schemas",
            f.name
        );
        assert!(
            !disk.contains("lore:///"),
            "{} leaks the internal base URI",
            f.name
        );
        assert!(disk.contains(editor::MARKER));
    }
    let out = lore(&repo()).args(["schema", "--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "All 15 schemas in .lore/schemas are up to date.\n"
    );

    // Through the binary into another folder: the same bytes, twice.
    let out_dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = lore(&repo())
            .args(["schema", "--out"])
            .arg(out_dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    for f in &files {
        assert_eq!(
            std::fs::read_to_string(out_dir.path().join(&f.name)).unwrap(),
            f.text()
        );
    }
}

#[test]
fn relation_fields_list_the_ids_that_exist() {
    let c = load(&repo());
    let team = c.type_id("Team").unwrap();
    let mut teams: Vec<String> = Vec::new();
    for (_, e) in c.entries().filter(|(_, e)| e.type_id == team) {
        teams.push(e.id.clone());
        teams.extend(e.aliases().map(str::to_owned));
    }
    teams.sort();
    let service = read_json(&repo().join(".lore/schemas/Service.schema.json"));
    let owner = &service["properties"]["owner"];
    let listed: Vec<String> = serde_json::from_value(owner["enum"].clone()).unwrap();
    assert_eq!(listed, teams);
    assert!(owner["description"].as_str().unwrap().contains("Team"));
    assert_eq!(service["properties"]["type"]["const"], "Service");

    // `to: [Service, Database]`: `Type:id` forms, and bare ids only where unambiguous
    // (`inventory` is both a Service and a Database).
    let deps: Vec<String> =
        serde_json::from_value(service["properties"]["depends_on"]["items"]["enum"].clone())
            .unwrap();
    assert!(deps.contains(&"ledger".to_owned()));
    assert!(deps.contains(&"Database:ledger-db".to_owned()));
    assert!(deps.contains(&"Service:inventory".to_owned()));
    assert!(deps.contains(&"Database:inventory".to_owned()));
    assert!(!deps.contains(&"inventory".to_owned()));
}

#[test]
fn generated_schemas_accept_the_examples_and_reject_mistakes() {
    let root = repo();
    let c = load(&root);
    assert_eq!(c.errors(), 0);
    let dir = root.join(".lore/schemas");
    let combined = validator(&read_json(&dir.join("catalog.schema.json")));
    let per_type: Vec<jsonschema::Validator> = c
        .types()
        .map(|(_, t)| validator(&read_json(&dir.join(editor::type_file(&t.name)))))
        .collect();
    for (_, e) in c.entries() {
        let errors: Vec<String> = per_type[e.type_id.index()]
            .iter_errors(&e.value)
            .map(|x| x.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", e.id);
        assert!(combined.is_valid(&e.value), "{} (catalog schema)", e.id);
    }

    let config = validator(&read_json(&dir.join("lore.schema.json")));
    assert!(config.is_valid(&yaml_docs(&root.join("lore.yaml"))[0]));
    assert!(!config.is_valid(&json!({"catalgo": ["x"]})));
    let typedef = validator(&read_json(&dir.join("type.schema.json")));
    for t in std::fs::read_dir(root.join("schemas")).unwrap() {
        let t = t.unwrap().path();
        assert!(typedef.is_valid(&yaml_docs(&t)[0]), "{}", t.display());
    }

    let service = c.type_id("Service").unwrap();
    let base = c
        .entries()
        .map(|(_, e)| e)
        .find(|e| e.type_id == service && e.id == "payments-api")
        .unwrap()
        .value
        .clone();
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        v
    };
    let bad = [
        mutate(&|v| v["runbok"] = "https://x.example".into()),
        mutate(&|v| v["owner"] = "no-such-team".into()),
        mutate(&|v| v["depends_on"] = json!(["inventory"])),
        mutate(&|v| v["slack_channel"] = "payments".into()),
        mutate(&|v| v["type"] = "Team".into()),
    ];
    for (i, v) in bad.iter().enumerate() {
        assert!(
            !per_type[service.index()].is_valid(v),
            "case {i} accepted: {v}"
        );
    }
    for (i, v) in bad[..4].iter().enumerate() {
        assert!(
            !combined.is_valid(v),
            "case {i} accepted by the catalog schema"
        );
    }
    assert!(per_type[service.index()].is_valid(&mutate(&|v| v["owner"] = "team-pay".into())));
}

#[test]
fn check_reports_drift_and_schema_never_touches_foreign_files() {
    let dir = example_copy();
    let root = dir.path();
    let out = lore(root).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Wrote 15 of 15 schemas to .lore/schemas (0 unchanged):\n"));

    // A new team changes the Team ids every relation to Team lists.
    let teams = root.join("catalog/teams.yaml");
    let mut text = std::fs::read_to_string(&teams).unwrap();
    text.push_str("---\ntype: Team\nid: newcomers\nparent: engineering\nslack_channel: \"#new\"\nemail: new@northwind.example\noncall: PNEW123\n");
    std::fs::write(&teams, text).unwrap();
    let schemas = root.join(".lore/schemas");
    std::fs::write(
        schemas.join("Gone.schema.json"),
        format!("{{\"$comment\": \"{}\"}}", editor::MARKER),
    )
    .unwrap();
    std::fs::write(schemas.join("notes.json"), "mine").unwrap();

    let check = lore(root).args(["schema", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    let report = stdout(&check);
    assert!(
        report.contains("  differs  Service.schema.json\n"),
        "{report}"
    );
    assert!(
        report.contains("  differs  catalog.schema.json\n"),
        "{report}"
    );
    assert!(report.contains("  stale    Gone.schema.json"), "{report}");
    assert!(
        !report.contains("lore.schema.json"),
        "unchanged files are not listed: {report}"
    );
    assert!(!report.contains("notes.json"), "{report}");
    std::fs::remove_file(schemas.join("Team.schema.json")).unwrap();
    let check = lore(root).args(["schema", "--check"]).output().unwrap();
    assert!(stdout(&check).contains("  missing  Team.schema.json\n"));

    let out = lore(root).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("  created  Team.schema.json\n"), "{text}");
    assert!(text.contains("  updated  Service.schema.json\n"), "{text}");
    assert!(text.contains("  stale    Gone.schema.json"), "{text}");
    assert!(
        schemas.join("Gone.schema.json").exists(),
        "lore deletes nothing"
    );
    assert_eq!(std::fs::read(schemas.join("notes.json")).unwrap(), b"mine");
    let service = read_json(&schemas.join("Service.schema.json"));
    assert!(service["properties"]["owner"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("newcomers")));

    // A file of a generated name that lore did not write is never replaced.
    std::fs::write(schemas.join("Team.schema.json"), "{\"hand\": \"made\"}").unwrap();
    let out = lore(root).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`Team.schema.json`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(schemas.join("Team.schema.json")).unwrap(),
        b"{\"hand\": \"made\"}"
    );
}

#[test]
fn relation_enums_are_left_out_for_very_large_catalogs() {
    let mut teams = String::new();
    for i in 0..=editor::ENUM_LIMIT {
        teams.push_str(&format!("---\ntype: Team\nid: t{i}\n"));
    }
    let dir = super::catalog(&[
        ("schemas/team.yaml", "type: Team\n"),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  owner: {to: Team}\n",
        ),
        ("catalog/teams.yaml", &teams),
        ("catalog/s.yaml", "type: Service\nid: s\nowner: t7\n"),
    ]);
    let files = generated(dir.path());
    let service = &files
        .iter()
        .find(|f| f.name == "Service.schema.json")
        .unwrap()
        .value;
    let owner = &service["properties"]["owner"];
    assert!(owner.get("enum").is_none());
    assert!(owner["description"]
        .as_str()
        .unwrap()
        .contains("too many to list"));
    assert!(validator(service).is_valid(&json!({"type": "Service", "id": "s", "owner": "t7"})));
}
