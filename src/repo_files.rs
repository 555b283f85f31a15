//! Tests of the repository's own files against the code that reads them: README lists
//! every problem code, the workflows and the `lore init` template parse and run the
//! catalog loop, action.yml is a composite action that checks its download and takes
//! what the template passes it, every pin of a lore release is Cargo.toml's version and
//! CHANGELOG.md's newest, and the checked-in editor schemas are what `lore schema`
//! generates and accept exactly what `lore validate` accepts. They live in the crate
//! (not in `tests/`) because they call internals the binary does not expose.

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use serde_json::{json, Value};

    use crate::graph::Catalog;
    use crate::render::editor::{self, SchemaFile};

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn load(root: &Path) -> Catalog {
        crate::load::load(root).unwrap_or_else(|f| panic!("{f}"))
    }

    fn generated(root: &Path) -> Vec<SchemaFile> {
        let (files, skipped) = editor::generate(&load(root)).unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
        files
    }

    fn validator(schema: &Value) -> jsonschema::Validator {
        // No retriever: the generated files must be self-contained.
        crate::schema::build(schema, crate::schema::TypeFileRetriever::default()).unwrap()
    }

    fn read_json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn yaml_docs(path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = crate::yaml::parse(&text, crate::yaml::Limits::default(), false);
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            parsed.errors
        );
        parsed.documents.into_iter().map(|d| d.value).collect()
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
    fn readme_lists_every_problem_code() {
        let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
        for code in crate::diag::Code::ALL {
            // The anchor is where SARIF's helpUri for the code points.
            let anchor = code.name().replace("::", "-");
            let row = format!(
                "| <a id=\"{anchor}\"></a>`{}` | {} |",
                code.name(),
                code.description()
            );
            assert!(readme.contains(&row), "README.md lacks the row {row}");
        }
    }

    /// The repository's own workflows are valid YAML and run the catalog loop.
    #[test]
    fn the_repository_workflows_parse_and_run_the_loop() {
        for (file, needs) in [
            (
                ".github/workflows/ci.yml",
                &["bash .ci/run", "validate --format github"][..],
            ),
            (
                ".github/workflows/catalog.yml",
                &[
                    "validate --changed-since",
                    "lore test",
                    "lore diff",
                    "stale --format markdown",
                ][..],
            ),
            (
                ".github/workflows/release.yml",
                &[
                    "tags: [\"v*\"]",
                    "x86_64-unknown-linux-musl",
                    "aarch64-unknown-linux-musl",
                    "apple-darwin",
                    "windows",
                    "sha256sum",
                    "gh release create",
                ][..],
            ),
            ("action.yml", &["using: composite"][..]),
            (".pre-commit-hooks.yaml", &["id: lore-validate"][..]),
        ] {
            let path = repo().join(file);
            assert_eq!(yaml_docs(&path).len(), 1, "{file}");
            let text = std::fs::read_to_string(&path).unwrap();
            for n in needs {
                assert!(text.contains(n), "{file} lacks `{n}`");
            }
        }
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
        // lore comes from this repository's Action, at a release tag.
        let slug = slug();
        let uses = format!("uses: {slug}@v");
        assert_eq!(text.matches(&uses).count(), 2, "both jobs use {uses}…");
        for needle in [
            "fetch-depth: 0",
            "diff-comment: true",
            "lore stale --fail-if-stale --format markdown",
            "$GITHUB_STEP_SUMMARY",
            "gh issue create",
            "steps.stale.outputs.found == 'true'",
        ] {
            assert!(text.contains(needle), "workflow lacks `{needle}`");
        }
        // The Action runs the pull-request checks.
        let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
        for needle in [
            "lore validate \"${since[@]}\" $ARGS",
            "--changed-since \"origin/$BASE\"",
            "default: \"--format github\"",
            "run: lore test",
            "run: lore schema --check",
            "lore diff \"origin/$BASE\" --format markdown",
            "marocchino/sticky-pull-request-comment@v2",
            "sha256sum -c",
            "actions/cache@v4",
            &format!("REPO: {slug}"),
        ] {
            assert!(action.contains(needle), "action.yml lacks `{needle}`");
        }
        // This repository's settings leave out what its lore.yaml excludes (`!` globs).
        let settings = read_json(&repo().join(".vscode/settings.json"));
        let catalog_globs = settings["yaml.schemas"][".lore/schemas/catalog.schema.json"].clone();
        let config = &yaml_docs(&repo().join("lore.yaml"))[0];
        for glob in config["exclude"].as_array().unwrap() {
            let negated = format!("!{}", glob.as_str().unwrap());
            assert!(
                catalog_globs
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|g| g == &negated),
                ".vscode/settings.json lacks {negated}"
            );
        }
        let steps = |job: &str| wf["jobs"][job]["steps"].as_array().unwrap().len();
        assert!(steps("check") >= 2 && steps("stale") >= 4);
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
                "routing.schema.json",
            ] {
                assert!(
                    map.contains_key(&format!(".lore/schemas/{name}")),
                    "{}",
                    p.display()
                );
            }
        }
    }

    fn read(file: &str) -> String {
        std::fs::read_to_string(repo().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    /// `owner/name` of this repository on GitHub, from Cargo.toml's `repository`.
    fn slug() -> &'static str {
        env!("CARGO_PKG_REPOSITORY")
            .strip_prefix("https://github.com/")
            .unwrap()
    }

    /// The files that pin a lore release for users to copy.
    const PINNED: [&str; 4] = [
        "action.yml",
        "templates/init/.github/workflows/lore.yml",
        "README.md",
        ".pre-commit-hooks.yaml",
    ];

    /// `version` in Cargo.toml's `[package]` table.
    fn cargo_version(toml: &str) -> Option<&str> {
        let mut package = false;
        for line in toml.lines().map(str::trim) {
            if line.starts_with('[') {
                package = line == "[package]";
            } else if let Some(value) = line
                .strip_prefix("version")
                .and_then(|rest| rest.trim_start().strip_prefix('='))
                .filter(|_| package)
            {
                return Some(value.trim().trim_matches('"'));
            }
        }
        None
    }

    /// Where Cargo.toml's version, CHANGELOG.md's newest release and the lore pins in
    /// `files` (name, text) disagree, one line each naming the file.
    fn version_problems(cargo: &str, changelog: &str, files: &[(&str, &str)]) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(version) = cargo_version(cargo) else {
            return vec!["Cargo.toml: no `version` in [package]".to_owned()];
        };
        // The newest release: the first `## [X.Y.Z] - DATE` below `## [Unreleased]`.
        let releases: Vec<&str> = changelog
            .lines()
            .filter_map(|l| l.strip_prefix("## ["))
            .filter(|l| !l.starts_with("Unreleased]"))
            .collect();
        match releases.first().and_then(|l| l.split_once("] - ")) {
            Some((newest, _)) if newest == version => {}
            Some((newest, _)) => problems.push(format!(
                "CHANGELOG.md: the newest release is {newest}, Cargo.toml's version is {version}"
            )),
            None => problems.push(format!(
                "CHANGELOG.md: no `## [{version}] - YYYY-MM-DD` heading for Cargo.toml's version"
            )),
        }
        let repository = env!("CARGO_PKG_REPOSITORY");
        for link in [
            format!("[Unreleased]: {repository}/compare/v{version}...HEAD"),
            format!("[{version}]: {repository}/"),
        ] {
            if !changelog.lines().any(|l| l.starts_with(&link)) {
                problems.push(format!("CHANGELOG.md: no link definition `{link}…`"));
            }
        }
        // Each way a file pins a release; `(X)` is the version it pins.
        let x = r"(\d+\.\d+\.\d+)";
        let forms: Vec<(&str, regex::Regex)> = [
            ("uses:", format!(r"{}@v{x}", regex::escape(slug()))),
            ("cargo install --tag", format!(r"--tag v{x}")),
            ("the download's v=", format!(r"\bv=v{x}")),
            ("pre-commit rev:", format!(r"\brev: v{x}")),
            ("the Action's version:", format!(r"\bversion: v{x}")),
            ("the version input's example", format!(r"e\.g\. v{x}")),
            ("the container image tag", format!(r"\blore:{x}")),
        ]
        .into_iter()
        .map(|(name, re)| (name, regex::Regex::new(&re).unwrap()))
        .collect();
        // Anything else that looks like a release is a pin in a form not listed above.
        let any_release = regex::Regex::new(r"\bv\d+\.\d+\.\d+\b").unwrap();
        let line_of = |text: &str, at: usize| text[..at].matches('\n').count() + 1;
        for (file, text) in files {
            let mut pins = Vec::new();
            let mut wrong = Vec::new();
            for (form, re) in &forms {
                for c in re.captures_iter(text) {
                    let whole = c.get(0).unwrap();
                    pins.push(whole.range());
                    let pinned = &c[1];
                    if pinned != version {
                        let line = line_of(text, whole.start());
                        wrong.push((line, format!(
                            "{file}:{line}: {form} pins lore {pinned}, Cargo.toml's version is {version}"
                        )));
                    }
                }
            }
            if pins.is_empty() {
                wrong.push((0, format!("{file}: no lore version pin found")));
            }
            for m in any_release.find_iter(text) {
                if !pins
                    .iter()
                    .any(|p| p.start <= m.start() && m.end() <= p.end)
                {
                    let line = line_of(text, m.start());
                    wrong.push((
                        line,
                        format!(
                            "{file}:{line}: `{}` is a pin in a form this test does not know",
                            m.as_str()
                        ),
                    ));
                }
            }
            wrong.sort();
            problems.extend(wrong.into_iter().map(|(_, p)| p));
        }
        problems
    }

    /// A release cannot go out with a stale pin: Cargo.toml's version, CHANGELOG.md's
    /// newest release and every pin of lore in the files users copy agree.
    #[test]
    fn the_version_pins_agree_with_cargo_toml_and_the_changelog() {
        let cargo = read("Cargo.toml");
        let changelog = read("CHANGELOG.md");
        let texts: Vec<(&str, String)> = PINNED.iter().map(|f| (*f, read(f))).collect();
        let files: Vec<(&str, &str)> = texts.iter().map(|(f, t)| (*f, t.as_str())).collect();
        let problems = version_problems(&cargo, &changelog, &files);
        assert!(problems.is_empty(), "{}", problems.join("\n"));

        // Each file's pins are checked: one changed pin is reported in its file.
        let version = cargo_version(&cargo).unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        let next = format!("{version}9");
        let bumped = cargo.replacen(
            &format!("version = \"{version}\""),
            &format!("version = \"{next}\""),
            1,
        );
        let problems = version_problems(&bumped, &changelog, &files);
        assert!(problems
            .iter()
            .any(|p| p.starts_with("CHANGELOG.md: the newest")));
        for (file, _) in &files {
            assert!(problems.iter().any(|p| p.starts_with(&format!("{file}:"))));
        }
        let newer =
            changelog.replacen(&format!("## [{version}] - "), &format!("## [{next}] - "), 1);
        assert!(version_problems(&cargo, &newer, &files)[0].starts_with("CHANGELOG.md:"));
        for (i, (file, text)) in files.iter().enumerate() {
            let mut changed = files.clone();
            let stale = text.replacen(&format!("v{version}"), "v0.0.1", 1);
            changed[i].1 = &stale;
            let problems = version_problems(&cargo, &changelog, &changed);
            assert!(
                problems.len() == 1 && problems[0].starts_with(&format!("{file}:")),
                "{file}: {problems:?}"
            );
            let unknown = format!("{text}\nlore-v{version}.tar.gz is v{version}\n");
            changed[i].1 = &unknown;
            let problems = version_problems(&cargo, &changelog, &changed);
            assert!(
                problems[0].contains("a form this test does not know"),
                "{problems:?}"
            );
        }
    }

    fn strings_in<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|v| strings_in(v, out)),
            Value::Object(o) => o.values().for_each(|v| strings_in(v, out)),
            _ => {}
        }
    }

    /// The commands that check the downloaded archive against its `.sha256` file (GNU
    /// coreutils on Linux and Windows, Perl's shasum on macOS).
    const CHECKSUM: [&str; 2] = [
        "sha256sum -c \"$ARCHIVE.sha256\"",
        "shasum -a 256 -c \"$ARCHIVE.sha256\"",
    ];

    /// What is wrong with `action` (action.yml) as a composite action, and with how the
    /// `lore init` workflow (`template`) calls it; one line each.
    fn action_problems(action: &Value, template: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        if action["runs"]["using"] != "composite" {
            problems.push(format!(
                "action.yml: runs.using is {}, not composite",
                action["runs"]["using"]
            ));
        }
        let declared: BTreeSet<&str> = action["inputs"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let steps = action["runs"]["steps"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if steps.is_empty() {
            problems.push("action.yml: runs.steps is empty".to_owned());
        }
        let reference = regex::Regex::new(r"\binputs\.([A-Za-z_][A-Za-z0-9_-]*)").unwrap();
        let mut used = BTreeSet::new();
        for (i, step) in steps.iter().enumerate() {
            let name = step["name"].as_str().unwrap_or("?");
            let mut texts = Vec::new();
            strings_in(step, &mut texts);
            for c in texts.iter().flat_map(|t| reference.captures_iter(t)) {
                let input = c.get(1).unwrap().as_str();
                if !declared.contains(input) {
                    problems.push(format!(
                        "action.yml: step {i} ({name}) uses inputs.{input}, which inputs does not declare"
                    ));
                }
                used.insert(input);
            }
            if step.get("run").is_some() && !step["shell"].is_string() {
                problems.push(format!(
                    "action.yml: step {i} ({name}) has a run but no shell (composite steps need one)"
                ));
            }
        }
        for input in declared.difference(&used) {
            problems.push(format!(
                "action.yml: input {input} is declared but no step uses it"
            ));
        }
        // The archive is checked before it is unpacked, and a failed check stops the step.
        let download: Vec<&str> = steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .filter(|run| run.contains("gh release download"))
            .collect();
        match download[..] {
            [run] => {
                let unpack = ["tar -x", "unzip"]
                    .iter()
                    .filter_map(|u| run.find(u))
                    .min()
                    .unwrap_or(run.len());
                for check in CHECKSUM {
                    if run.find(check).is_none_or(|at| at >= unpack) {
                        problems.push(format!(
                            "action.yml: the download step does not run `{check}` before unpacking"
                        ));
                    }
                }
                for needle in ["set -euo pipefail", "--pattern \"$ARCHIVE.sha256\""] {
                    if !run.contains(needle) {
                        problems.push(format!("action.yml: the download step lacks `{needle}`"));
                    }
                }
            }
            _ => problems.push(format!(
                "action.yml: {} steps run `gh release download`, not one",
                download.len()
            )),
        }
        // The inputs the lore init workflow gives the Action exist.
        let action_ref = format!("{}@", slug());
        let mut calls = 0;
        for (job, def) in template["jobs"].as_object().into_iter().flatten() {
            let steps = def["steps"].as_array().into_iter().flatten();
            for step in steps.filter(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&action_ref))
            }) {
                calls += 1;
                for key in step["with"].as_object().into_iter().flat_map(|w| w.keys()) {
                    if !declared.contains(key.as_str()) {
                        problems.push(format!(
                            "templates/init/.github/workflows/lore.yml: job {job} passes `{key}`, which action.yml does not declare"
                        ));
                    }
                }
            }
        }
        if calls == 0 {
            problems.push(format!(
                "templates/init/.github/workflows/lore.yml: no step uses {action_ref}…"
            ));
        }
        problems
    }

    /// action.yml is a composite action whose steps use exactly the inputs it declares,
    /// each with a shell, that verifies the archive's SHA-256 before unpacking it, and
    /// that accepts what the `lore init` workflow passes it.
    #[test]
    fn the_action_is_a_composite_that_checks_its_download() {
        let action = yaml_docs(&repo().join("action.yml")).remove(0);
        let template =
            yaml_docs(&repo().join("templates/init/.github/workflows/lore.yml")).remove(0);
        let problems = action_problems(&action, &template);
        assert!(problems.is_empty(), "{}", problems.join("\n"));

        // Each check can fail: every mistake below is reported, and only it.
        let download = action["runs"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("gh release download"))
            })
            .unwrap();
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut a = action.clone();
            f(&mut a);
            action_problems(&a, &template)
        };
        let cases: Vec<(Vec<String>, &str)> = vec![
            (
                edit(&|a| a["runs"]["using"] = "node20".into()),
                "not composite",
            ),
            (
                edit(&|a| a["runs"]["steps"][0]["env"]["X"] = "${{ inputs.nope }}".into()),
                "uses inputs.nope, which inputs does not declare",
            ),
            (
                edit(&|a| a["inputs"]["unused"] = json!({"default": ""})),
                "input unused is declared but no step uses it",
            ),
            (
                edit(&|a| {
                    a["runs"]["steps"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("shell");
                }),
                "has a run but no shell",
            ),
            (
                edit(&|a| {
                    let run = a["runs"]["steps"][download]["run"].as_str().unwrap();
                    a["runs"]["steps"][download]["run"] = run.replace(CHECKSUM[0], "true").into();
                }),
                "does not run `sha256sum -c",
            ),
            (
                edit(&|a| {
                    let run = a["runs"]["steps"][download]["run"].as_str().unwrap();
                    let unpack_first = format!("tar -xzf \"$ARCHIVE\" -C \"$DIR\"\n{run}");
                    a["runs"]["steps"][download]["run"] = unpack_first.into();
                }),
                "before unpacking",
            ),
            (
                edit(&|a| {
                    a["runs"]["steps"].as_array_mut().unwrap().remove(download);
                }),
                "0 steps run `gh release download`",
            ),
        ];
        for (problems, expected) in &cases {
            assert!(
                !problems.is_empty() && problems.iter().all(|p| p.contains(expected)),
                "expected `{expected}`: {problems:?}"
            );
        }
        // An input the Action does not declare, passed by the template.
        let mut typo = template.clone();
        typo["jobs"]["check"]["steps"][1]["with"]["diff-coment"] = true.into();
        let problems = action_problems(&action, &typo);
        assert!(
            problems.len() == 1 && problems[0].contains("job check passes `diff-coment`"),
            "{problems:?}"
        );
        // An input the template passes stops being declared: both sides say so.
        let mut a = action.clone();
        a["inputs"].as_object_mut().unwrap().remove("diff-comment");
        let problems = action_problems(&a, &template);
        assert!(problems
            .iter()
            .any(|p| p.contains("uses inputs.diff-comment")));
        assert!(problems.iter().any(|p| p.contains("passes `diff-comment`")));
    }

    /// Every relation of `lore init`'s starter model is used by some example entry.
    #[test]
    fn the_starter_model_uses_every_relation_it_declares() {
        let c = load(&repo().join("templates/init"));
        assert_eq!(c.errors(), 0);
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
    fn checked_in_schemas_are_in_sync_and_generation_is_deterministic() {
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
        let routing = validator(&read_json(&dir.join("routing.schema.json")));
        for t in [
            root.join("routing/examples.yaml"),
            repo().join("templates/init/routing/alerts.yaml"),
        ] {
            assert!(routing.is_valid(&yaml_docs(&t)[0]), "{}", t.display());
        }
        assert!(!routing.is_valid(&json!({"cases": [{"name": "x", "expct": {}}]})));

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
    fn relation_enums_are_left_out_for_very_large_catalogs() {
        use std::fmt::Write as _;
        let mut teams = String::new();
        for i in 0..=editor::ENUM_LIMIT {
            let _ = writeln!(teams, "---\ntype: Team\nid: t{i}");
        }
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in [
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team}\n",
            ),
            ("catalog/teams.yaml", &teams),
            ("catalog/s.yaml", "type: Service\nid: s\nowner: t7\n"),
        ] {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
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
}
