//! `lore init [DIR]`: a new catalog repository with a starter model (teams, services,
//! features, customers, incidents), example entries that validate, the GitHub Actions workflow,
//! VS Code settings and the editor schemas.
//!
//! The files are real ones under `templates/init/` in lore's repository, embedded at
//! build time. Everything is computed before anything is written (the editor schemas
//! come from loading the templates in a scratch folder), then each file is created
//! atomically and never over an existing one. In an existing repository it adds what is
//! missing and says what it left alone (see `run`).

use std::path::Path;

use super::{Error, Io, Outcome};
use crate::cli::{CatalogArgs, InitArgs};
use crate::fsutil;
use crate::render::editor;

macro_rules! template {
    ($path:literal) => {
        ($path, include_str!(concat!("../../templates/init/", $path)))
    };
}

/// The starter repository: (path, content).
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    template!(".github/workflows/lore.yml"),
    template!(".vscode/settings.json"),
    template!("catalog/customers.yaml"),
    template!("catalog/features.yaml"),
    template!("catalog/incidents.yaml"),
    template!("catalog/services.yaml"),
    template!("catalog/teams.yaml"),
    template!("lore.yaml"),
    template!("routing/alerts.yaml"),
    template!("schemas/customer.yaml"),
    template!("schemas/feature.yaml"),
    template!("schemas/incident.yaml"),
    template!("schemas/service.yaml"),
    template!("schemas/team.yaml"),
];

/// Every file `lore init` writes: the templates and the editor schemas generated from
/// them, sorted by path.
pub(crate) fn files() -> Result<Vec<(String, String)>, Error> {
    let scratch = tempfile::tempdir().map_err(Error::io(
        "create a scratch folder to check the starter catalog",
    ))?;
    for (path, text) in TEMPLATES {
        fsutil::write_atomic(&scratch.path().join(path), text.as_bytes())
            .map_err(Error::io("write the starter catalog to a scratch folder"))?;
    }
    let loaded = crate::load::load(scratch.path())?;
    if let Some(p) = loaded.problems.first() {
        return Err(Error::Internal(format!(
            "the starter catalog does not validate ({} problems, the first: {})",
            loaded.problems.len(),
            p.message
        )));
    }
    for file in crate::alert::cases::default_files(&loaded) {
        let results = crate::alert::cases::run_file(&loaded, &file)?;
        if let Some(failed) = results.iter().find(|r| !r.passed()) {
            return Err(Error::Internal(format!(
                "the starter routing test `{}` fails",
                failed.name
            )));
        }
    }
    let (schemas, _) = editor::generate(&loaded)?;
    let mut out: Vec<(String, String)> = TEMPLATES
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    out.extend(schemas.iter().map(|f| {
        (
            format!("{}/{}", super::schema::DEFAULT_DIR, f.name),
            f.text(),
        )
    }));
    out.sort();
    Ok(out)
}

pub(crate) fn run(
    args: &InitArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let cwd = super::start_dir(catalog_args)?;
    if let Some(from) = &args.from_backstage {
        return from_backstage(args, &cwd, from, io);
    }
    let dir = match &args.dir {
        Some(d) => cwd.join(d),
        None => cwd.clone(),
    };
    let shown = match &args.dir {
        Some(d) => crate::fsutil::slashed(d),
        None => ".".to_owned(),
    };
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "`{shown}` is a file; give `lore init` a folder (it is created if missing)"
        )));
    }
    let files = files()?;
    if let Some(link) = files
        .iter()
        .find_map(|(p, _)| symlink_below(&dir, Path::new(p)))
    {
        let target = std::fs::read_link(dir.join(&link)).unwrap_or_default();
        return Err(Error::usage(format!(
            "nothing written: `{}` is a symbolic link (to `{}`), and lore init writes only into real folders below `{shown}`, never through a link; remove the link, or run lore init in another folder",
            Path::new(&shown).join(&link).display(),
            target.display()
        )));
    }
    // The starter catalog is one unit: added whole to a repository that has none, left
    // out whole where one (or part of one) is already there, so lore init never mixes
    // example entries into a real catalog. The workflow and the editor settings are
    // added each where missing; an existing one is left alone, with what to add by hand.
    let exists = |p: &str| dir.join(p).symlink_metadata().is_ok();
    let catalog_there = ["lore.yaml", "schemas", "catalog"]
        .into_iter()
        .find(|p| exists(p))
        .map(str::to_owned)
        .or_else(|| {
            files
                .iter()
                .find(|(p, _)| !is_integration(p) && exists(p))
                .map(|(p, _)| p.clone())
        });
    let mut left_alone: Vec<String> = Vec::new();
    let to_write: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| {
            if is_integration(p) {
                if exists(p) {
                    left_alone.push(format!("{p}: already there; {}", hint(p)));
                    return false;
                }
                true
            } else {
                catalog_there.is_none()
            }
        })
        .collect();
    if let Some(there) = &catalog_there {
        left_alone.insert(
            0,
            format!("the starter catalog (lore.yaml, schemas/, catalog/, routing/, .lore/schemas/): `{there}` is already there, so none of it was added"),
        );
    }
    let mut written = Vec::new();
    for (path, text) in to_write {
        if let Err(e) = fsutil::create_atomic(&dir.join(path), text.as_bytes()) {
            let done = if written.is_empty() {
                String::new()
            } else {
                format!(" (already created: {})", written.join(", "))
            };
            return Err(Error::usage(format!(
                "cannot create `{}`: {e}{done}",
                Path::new(&shown).join(path).to_string_lossy()
            )));
        }
        written.push(path.as_str());
    }
    if written.is_empty() {
        writeln!(
            io.out,
            "Nothing to add in {shown}: lore init never overwrites a file, and left alone:"
        )?;
    } else {
        writeln!(
            io.out,
            "Created {} in {shown}:",
            if catalog_there.is_none() {
                "a lore catalog"
            } else {
                "lore's CI and editor files"
            }
        )?;
        for path in &written {
            writeln!(io.out, "  {path}")?;
        }
        if !left_alone.is_empty() {
            writeln!(io.out, "Left alone (lore init never overwrites a file):")?;
        }
    }
    for l in &left_alone {
        writeln!(io.out, "  {l}")?;
    }
    if catalog_there.is_some() {
        return Ok(Outcome::Ok);
    }
    let cd = if args.dir.is_some() {
        format!("cd {shown} && ")
    } else {
        String::new()
    };
    writeln!(io.out)?;
    writeln!(io.out, "Next steps:")?;
    writeln!(io.out, "  {cd}lore validate")?;
    writeln!(
        io.out,
        "  git init && git add -A && git commit -m 'Start the catalog'   (stale and diff read history)"
    )?;
    writeln!(
        io.out,
        "  replace the example teams, services, features and customers in catalog/ with yours"
    )?;
    writeln!(
        io.out,
        "  run `lore schema` after changing types or entries, so editors complete the new ids"
    )?;
    Ok(Outcome::Ok)
}

/// `lore init --from-backstage FROM [DIR]`: types for Backstage's kinds and the pipelines
/// that import them, checked in a scratch folder, then created in DIR, which must hold no
/// catalog yet.
fn from_backstage(
    args: &InitArgs,
    cwd: &Path,
    from: &Path,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let dir = args
        .dir
        .as_ref()
        .map_or_else(|| cwd.to_path_buf(), |d| cwd.join(d));
    let shown = args
        .dir
        .as_ref()
        .map_or_else(|| ".".to_owned(), |d| fsutil::slashed(d));
    let from_shown = fsutil::slashed(from);
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "`{shown}` is a file; give `lore init` a folder (it is created if missing)"
        )));
    }
    if let Some(there) = ["lore.yaml", "schemas", "catalog"]
        .into_iter()
        .find(|p| dir.join(p).symlink_metadata().is_ok())
    {
        return Err(Error::usage(format!(
            "nothing written: `{there}` is already in {shown}; --from-backstage makes a new catalog repository, so give it an empty folder: `lore init --from-backstage {from_shown} NEW-FOLDER`"
        )));
    }
    let mut problems = Vec::new();
    let entities =
        crate::import::backstage_rows(&cwd.join(from), cwd, &mut problems).map_err(|p| {
            Error::usage(format!(
                "{}; give --from-backstage the folder (or file) of your catalog-info.yaml entities",
                crate::term::escape(&p.to_string())
            ))
        })?;
    let mut files = crate::import::backstage::starter(&entities, &mut problems);
    if !problems.is_empty() {
        for p in &problems {
            writeln!(io.err, "error: {}", crate::term::escape(&p.to_string()))?;
            if let Some(help) = &p.help {
                writeln!(io.err, "  help: {}", crate::term::escape(help))?;
            }
        }
        writeln!(
            io.err,
            "{} in the entities under {}; nothing written (lore import would refuse them too)",
            crate::term::count(problems.len(), "problem", "problems"),
            crate::term::escape(&from_shown)
        )?;
        return Ok(Outcome::Failed);
    }
    let scratch = tempfile::tempdir().map_err(Error::io(
        "create a scratch folder to check the generated catalog",
    ))?;
    for (path, text) in &files {
        fsutil::write_atomic(&scratch.path().join(path), text.as_bytes())
            .map_err(Error::io("write the generated catalog to a scratch folder"))?;
    }
    std::fs::create_dir_all(scratch.path().join("catalog"))
        .map_err(Error::io("create catalog/ in a scratch folder"))?;
    let loaded = crate::load::load(scratch.path())?;
    if let Some(p) = loaded.problems.first() {
        return Err(Error::Internal(format!(
            "the catalog generated for these Backstage kinds does not validate ({} problems, the first: {})",
            loaded.problems.len(),
            p.message
        )));
    }
    let (schemas, _) = editor::generate(&loaded)?;
    files.extend(schemas.iter().map(|f| {
        (
            format!("{}/{}", super::schema::DEFAULT_DIR, f.name),
            f.text(),
        )
    }));
    files.sort();
    let kinds = files
        .iter()
        .filter(|(p, _)| p.starts_with("schemas/"))
        .count();
    let mut written: Vec<&str> = Vec::new();
    for (path, text) in &files {
        if let Err(e) = fsutil::create_atomic(&dir.join(path), text.as_bytes()) {
            return Err(Error::usage(format!(
                "cannot create `{}`: {e} (already created: {})",
                Path::new(&shown).join(path).to_string_lossy(),
                if written.is_empty() {
                    "nothing".to_owned()
                } else {
                    written.join(", ")
                }
            )));
        }
        written.push(path);
    }
    std::fs::create_dir_all(dir.join("catalog"))
        .map_err(Error::io(format!("create {shown}/catalog")))?;
    writeln!(
        io.out,
        "Created a lore catalog for Backstage entities in {shown} ({} types, {} entities seen under {}):",
        kinds,
        entities.iter().map(|(_, r)| r.len()).sum::<usize>(),
        crate::term::escape(&from_shown)
    )?;
    for path in &written {
        writeln!(io.out, "  {path}")?;
    }
    let cd = if args.dir.is_some() {
        format!("cd {shown} && ")
    } else {
        String::new()
    };
    // FROM as seen from DIR: climb out of a plain relative DIR, else the absolute path.
    let back = match &args.dir {
        _ if from.is_absolute() => from_shown.clone(),
        None => from_shown.clone(),
        Some(d)
            if d.components()
                .all(|c| matches!(c, std::path::Component::Normal(_))) =>
        {
            let mut up = "../".repeat(d.components().count());
            up.push_str(&from_shown);
            up
        }
        Some(_) => fsutil::slashed(&cwd.join(from)),
    };
    writeln!(io.out)?;
    writeln!(io.out, "Next steps:")?;
    // In place, the pipelines' own glob finds the repository's catalog-info.yaml files.
    let import = if back == "." {
        format!(
            "lore import   (every {} here, into catalog/backstage/)",
            crate::import::backstage::DEFAULT_GLOB
        )
    } else {
        format!(
            "lore import --from {}   (the entities, into catalog/backstage/)",
            crate::term::escape(&back)
        )
    };
    writeln!(io.out, "  {cd}{import}")?;
    writeln!(
        io.out,
        "  git init && git add -A && git commit -m 'Catalog from Backstage'"
    )?;
    Ok(Outcome::Ok)
}

/// Files that connect a repository to lore (CI, the editor), as opposed to the catalog.
fn is_integration(path: &str) -> bool {
    path.starts_with(".github/") || path.starts_with(".vscode/")
}

/// What to do by hand about an integration file lore init left alone.
fn hint(path: &str) -> &'static str {
    if path.ends_with("settings.json") {
        "add to its \"yaml.schemas\": \".lore/schemas/catalog.schema.json\": [\"catalog/**/*.yaml\"], \".lore/schemas/lore.schema.json\": \"lore.yaml\", \".lore/schemas/routing.schema.json\": [\"routing/**/*.yaml\"], \".lore/schemas/type.schema.json\": \"schemas/**/*.yaml\""
    } else {
        "compare it with the one `lore init` writes in an empty folder"
    }
}

/// The first folder on the way from `dir` to `dir/rel` (`dir` itself excluded) that is a
/// symbolic link, relative to `dir`.
fn symlink_below(dir: &Path, rel: &Path) -> Option<std::path::PathBuf> {
    rel.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|a| {
            dir.join(a)
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
        })
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_files_include_every_template_and_schema() {
        let files = files().unwrap();
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for (p, _) in TEMPLATES {
            assert!(paths.contains(p), "{p}");
        }
        for t in [
            "Customer", "Feature", "Service", "Team", "catalog", "lore", "type",
        ] {
            let p = format!(".lore/schemas/{t}.schema.json");
            assert!(paths.contains(&p.as_str()), "{p} in {paths:?}");
        }
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted);
    }
}
