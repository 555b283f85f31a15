//! `lore init [DIR]`: a new catalog repository with a starter model (teams, services,
//! features, customers, incidents), example entries that validate, the GitHub Actions workflow,
//! VS Code settings and the editor schemas.
//!
//! The files are real ones under `templates/init/` in lore's repository, embedded at
//! build time. Everything is computed before anything is written (the editor schemas
//! come from loading the templates in a scratch folder), then each file is created
//! atomically and never over an existing one: if any target exists, nothing is written.

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
pub const TEMPLATES: &[(&str, &str)] = &[
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
pub fn files() -> Result<Vec<(String, String)>, Error> {
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

pub fn run(args: &InitArgs, catalog_args: &CatalogArgs, io: &mut Io<'_>) -> Result<Outcome, Error> {
    let cwd = super::start_dir(catalog_args)?;
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
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| dir.join(p).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        let list: Vec<String> = existing.iter().map(|p| format!("  {p}")).collect();
        return Err(Error::usage(format!(
            "nothing written: {} of the files `lore init` creates already {} in `{shown}`:\n{}\nlore init never overwrites a file; move {} away, or run it in an empty folder",
            existing.len(),
            if existing.len() == 1 { "exists" } else { "exist" },
            list.join("\n"),
            if existing.len() == 1 { "it" } else { "them" },
        )));
    }
    let mut written = Vec::new();
    for (path, text) in &files {
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
    writeln!(io.out, "Created a lore catalog in {shown}:")?;
    for path in &written {
        writeln!(io.out, "  {path}")?;
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
        "  edit .github/workflows/lore.yml: set LORE_GIT to where lore's source lives"
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
        sorted.sort();
        assert_eq!(paths, sorted);
    }
}
