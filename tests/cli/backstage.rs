//! Migrating from Backstage: `lore init --from-backstage` on a subset of Backstage's own
//! example catalog (`tests/fixtures/backstage/`, copied from the Backstage repository),
//! `lore import --from` bringing the entities in, and `lore owners` answering what
//! Backstage's processor would; `lore export --format backstage` and back.

use std::path::{Path, PathBuf};

use super::{lore, repo, stderr, stdout};

fn examples() -> PathBuf {
    repo().join("tests/fixtures/backstage/examples")
}

/// A new catalog made by `lore init --from-backstage FROM`, with FROM imported into it.
fn migrated(from: &Path) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let init = lore(dir.path())
        .args(["init", "--from-backstage"])
        .arg(from)
        .arg("repo")
        .output()
        .unwrap();
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let import = lore(&dir.path().join("repo"))
        .args(["import", "--from"])
        .arg(from)
        .output()
        .unwrap();
    (dir, import)
}

/// `of → [owner, …]` as `lore owners --format json` answers.
fn owners(dir: &Path, refs: &[&str]) -> Vec<(String, Vec<String>)> {
    let out = lore(dir)
        .args(["owners", "--format", "json"])
        .args(refs)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    refs.iter()
        .map(|r| {
            let of: Vec<String> = doc["owners"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["of"] == *r)
                .map(|o| o["owner"].as_str().unwrap().to_owned())
                .collect();
            ((*r).to_owned(), of)
        })
        .collect()
}

/// A field of the entry `Type:id`, as `lore export --format json` gives it.
fn field(dir: &Path, reference: &str, name: &str) -> serde_json::Value {
    let out = lore(dir)
        .args(["export", "--format", "json"])
        .output()
        .unwrap();
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    let (t, id) = reference.split_once(':').unwrap();
    let entry = all
        .iter()
        .find(|e| e["type"] == t && e["id"] == id)
        .unwrap_or_else(|| panic!("no {reference}"));
    entry[name].clone()
}

#[test]
fn init_declares_backstages_kinds_and_the_pipelines_that_import_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path())
        .args(["init", "--from-backstage"])
        .arg(examples())
        .arg("repo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let repo = dir.path().join("repo");
    // The seven built-in kinds, and Location, which the examples hold.
    for kind in [
        "api",
        "component",
        "resource",
        "system",
        "domain",
        "group",
        "user",
        "location",
    ] {
        assert!(
            repo.join(format!("schemas/{kind}.yaml")).is_file(),
            "{kind}"
        );
    }
    let component = std::fs::read_to_string(repo.join("schemas/component.yaml")).unwrap();
    assert!(component.contains("type: Component\n"), "{component}");
    assert!(component.contains("  owner: {to: ["), "{component}");
    assert!(
        component.contains("owner: true, inverse: ownerOf}"),
        "{component}"
    );
    assert!(
        component.contains("  system: {") && component.contains("parent: true, inverse: hasPart}")
    );
    assert!(component.contains("many: true, impact: source, inverse: dependents}"));
    assert!(component.contains("many: true, impact: target, inverse: dependencies}"));
    let group = std::fs::read_to_string(repo.join("schemas/group.yaml")).unwrap();
    assert!(
        group.contains("  parent: {") && group.contains("  children: {"),
        "{group}"
    );
    assert!(!group.contains("  owner: {"), "{group}");
    let config = std::fs::read_to_string(repo.join("lore.yaml")).unwrap();
    assert!(config.contains("  backstage-location:\n"), "{config}");
    // The new repository validates before anything is imported.
    let v = lore(&repo).args(["validate", "--strict"]).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}{}", stdout(&v), stderr(&v));
    // It never goes into a folder that holds a catalog.
    let again = lore(dir.path())
        .args(["init", "--from-backstage"])
        .arg(examples())
        .arg("repo")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("`lore.yaml` is already in repo"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn imported_examples_answer_owners_as_backstage_would() {
    let (dir, import) = migrated(&examples());
    assert_eq!(
        import.status.code(),
        Some(0),
        "{}{}",
        stdout(&import),
        stderr(&import)
    );
    let repo = dir.path().join("repo");
    assert!(stdout(&import).contains("32 added"), "{}", stdout(&import));
    // Worked by hand from the YAML files, with Backstage's rules: `spec.owner` defaults
    // to kind Group and to the entity's namespace; `default/team-a` names the default
    // namespace from another one.
    assert_eq!(
        owners(
            &repo,
            &[
                "Component:artist-lookup",
                "Component:www-artist",
                "Component:alternative.different-namespace",
                "Resource:artists-db",
                "System:artist-engagement-portal",
                "Domain:artists",
            ]
        ),
        [
            ("Component:artist-lookup", vec!["Group:team-a"]),
            ("Component:www-artist", vec!["Group:team-a"]),
            (
                "Component:alternative.different-namespace",
                vec!["Group:team-a"]
            ),
            ("Resource:artists-db", vec!["Group:team-a"]),
            ("System:artist-engagement-portal", vec!["Group:team-a"]),
            ("Domain:artists", vec!["Group:team-a"]),
        ]
        .map(|(of, o)| (of.to_owned(), o.into_iter().map(str::to_owned).collect()))
    );
    // Default-namespace names are ids; the User in namespace `development` is
    // `development.guest`, a member of `group:default/team-a`.
    assert_eq!(
        field(&repo, "User:development.guest", "memberOf"),
        serde_json::json!(["Group:team-a"])
    );
    assert_eq!(
        field(&repo, "User:development.guest", "namespace"),
        "development"
    );
    assert_eq!(field(&repo, "Group:team-b", "parent"), "Group:backstage");
    // An explicit kind wins over the field's default (`component:` in consumesApis).
    assert_eq!(
        field(&repo, "Component:www-artist", "consumesApis"),
        serde_json::json!(["Component:artist-lookup"])
    );
    assert_eq!(
        field(&repo, "Component:artist-lookup", "dependsOn"),
        serde_json::json!(["Resource:artists-db"])
    );
    // dependsOn is an impact edge: the database breaking reaches the component.
    let impact = lore(&repo)
        .args(["impact", "Resource:artists-db", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        stdout(&impact).contains("\"Component:artist-lookup\""),
        "{}",
        stdout(&impact)
    );
    // A second import writes nothing.
    let again = lore(&repo)
        .args(["import", "--check", "--from"])
        .arg(examples())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

#[test]
fn a_reference_backstage_leaves_dangling_is_a_dangling_ref_at_its_line() {
    let from = tempfile::tempdir().unwrap();
    for sub in ["examples/acme", "dangling"] {
        let src = repo().join("tests/fixtures/backstage").join(sub);
        for f in std::fs::read_dir(&src).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, from.path().join(f.file_name().unwrap())).unwrap();
        }
    }
    let (dir, import) = migrated(from.path());
    assert_eq!(import.status.code(), Some(1), "{}", stdout(&import));
    let err = stderr(&import);
    // petstore's `owner: sre` names no Group, and its APIs are not in the subset.
    assert!(err.contains("lore::dangling-ref"), "{err}");
    assert!(
        err.contains("`owner` refers to `sre`, but no Group has that id"),
        "{err}"
    );
    assert!(err.contains("[catalog/backstage/component.yaml:"), "{err}");
    assert_eq!(err.matches("lore::dangling-ref").count(), 5, "{err}");
    assert!(err.contains("nothing written"), "{err}");
    assert!(!dir
        .path()
        .join("repo/catalog/backstage/group.yaml")
        .exists());
}

#[test]
fn export_as_backstage_and_back_keeps_every_entry_and_owner() {
    let (dir, import) = migrated(&examples());
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    let repo = dir.path().join("repo");
    let out = lore(&repo)
        .args(["export", "--format", "backstage", "--output"])
        .arg(dir.path().join("exported/catalog-info.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("exported/catalog-info.yaml")).unwrap();
    assert!(
        text.contains("kind: \"Component\"\nmetadata:\n  description: \"Example of a Component in a different namespace\"\n  name: \"different-namespace\"\n  namespace: \"alternative\"\nspec:\n  lifecycle: \"experimental\"\n  owner: \"Group:default/team-a\"\n"),
        "{text}"
    );
    assert!(
        text.contains("  dependsOn: [\"Resource:default/artists-db\"]\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("apiVersion: backstage.io/v1alpha1\n").count(),
        32
    );
    // Back in: a new catalog from the exported file holds the same entries, fields,
    // references and owners.
    let (back, import) = migrated(&dir.path().join("exported"));
    assert_eq!(
        import.status.code(),
        Some(0),
        "{}{}",
        stdout(&import),
        stderr(&import)
    );
    let again = back.path().join("repo");
    let json = |d: &Path| {
        let o = lore(d)
            .args(["export", "--format", "json"])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(json(&repo), json(&again));
    let refs = [
        "Component:artist-lookup",
        "Component:alternative.different-namespace",
        "System:artist-engagement-portal",
        "User:development.guest",
    ];
    assert_eq!(owners(&repo, &refs), owners(&again, &refs));
}

#[test]
fn any_catalog_exports_its_owners_parents_and_dependencies_for_backstage() {
    let dir = super::catalog(&[
        ("schemas/team.yaml", "type: Team\n"),
        ("schemas/system.yaml", "type: System\nrelations:\n  owned_by: {to: Team, owner: true}\n"),
        ("schemas/service.yaml", "type: Service\nschema:\n  properties:\n    tier: {type: integer}\nrelations:\n  team: {to: Team, owner: true}\n  part_of: {to: System, parent: true}\n  depends_on: {to: Service, many: true, impact: source}\n"),
        ("catalog/all.yaml", "type: Team\nid: payments\nname: Payments\n---\ntype: System\nid: checkout\nowned_by: payments\n---\ntype: Service\nid: ledger\nteam: payments\n---\ntype: Service\nid: pay-api\nname: Payments API\ntier: 1\nteam: payments\npart_of: checkout\ndepends_on: [ledger]\n"),
    ]);
    let out = lore(dir.path())
        .args(["export", "--format", "backstage", "--type", "Service"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "apiVersion: backstage.io/v1alpha1\nkind: \"Service\"\nmetadata:\n  name: \"ledger\"\nspec:\n  owner: \"Team:default/payments\"\n---\napiVersion: backstage.io/v1alpha1\nkind: \"Service\"\nmetadata:\n  name: \"pay-api\"\n  title: \"Payments API\"\nspec:\n  dependsOn: [\"Service:default/ledger\"]\n  owner: \"Team:default/payments\"\n  system: \"System:default/checkout\"\n"
    );
}

#[test]
fn an_entity_of_a_kind_no_pipeline_makes_is_named_not_dropped_silently() {
    let from = tempfile::tempdir().unwrap();
    let group = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n";
    std::fs::write(from.path().join("org.yaml"), group).unwrap();
    let (dir, import) = migrated(from.path());
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    assert!(!stderr(&import).contains("warning"), "{}", stderr(&import));
    // A Template appears after the catalog was made: the import says what it leaves out.
    let template = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: new-service}\nspec: {owner: team-a}\n";
    std::fs::write(from.path().join("template.yaml"), template).unwrap();
    let again = lore(&dir.path().join("repo"))
        .args(["import", "--from"])
        .arg(from.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(
            "warning: 1 entity of kind Template left out: no import pipeline makes type Template"
        ),
        "{}",
        stderr(&again)
    );
}

#[test]
fn init_from_a_folder_that_is_not_there_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = lore(dir.path())
        .args(["init", "--from-backstage", "nowhere", "repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `"), "{}", stderr(&out));
    assert!(!dir.path().join("repo").exists());
}

#[test]
fn in_a_backstage_repository_init_and_import_need_no_folder() {
    let dir = super::catalog(&[(
        "services/artist/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: artist-web}\nspec: {type: website, lifecycle: production, owner: team-a}\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n",
    )]);
    let init = lore(dir.path())
        .args(["init", "--from-backstage"])
        .output()
        .unwrap();
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    assert!(
        stdout(&init).contains("  lore import   (every **/catalog-info.yaml here"),
        "{}",
        stdout(&init)
    );
    // The pipelines' glob finds the entities; lore's own YAML files are not entities.
    let import = lore(dir.path()).arg("import").output().unwrap();
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    assert_eq!(
        owners(dir.path(), &["Component:artist-web"]),
        [(
            "Component:artist-web".to_owned(),
            vec!["Group:team-a".to_owned()]
        )]
    );
    let again = lore(dir.path())
        .args(["import", "--check", "--from", "."])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}
