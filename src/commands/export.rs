//! `lore export --format F`: load, select, write (a file atomically, never over one that
//! exists).

use super::{Error, Io, Outcome};
use crate::cli::ExportFormat;
use crate::cli::{CatalogArgs, ExportArgs};
use crate::render::export;
use crate::term::escape;

pub(crate) fn run(
    args: &ExportArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let catalog = super::refs::load(catalog_args, io)?;
    let mut types = Vec::new();
    for name in &args.types {
        if let Some(t) = catalog.type_id(name) {
            types.push(t);
        } else {
            let mut names: Vec<&str> = catalog.types().map(|(_, t)| t.name.as_str()).collect();
            names.sort_unstable();
            return Err(Error::usage(format!(
                "there is no type `{}`; the catalog has {}",
                escape(name),
                names.join(", ")
            )));
        }
    }
    let ids = export::selected(&catalog, &types);
    let output = args
        .output
        .as_ref()
        .map(|o| super::start_dir(&CatalogArgs::default()).map(|cwd| cwd.join(o)))
        .transpose()?;
    if let Some(path) = &output {
        if path.symlink_metadata().is_ok() {
            return Err(Error::usage(format!(
                "`{}` exists; lore does not overwrite it: remove it or choose another --output",
                escape(&path.display().to_string())
            )));
        }
    }
    if args.format == ExportFormat::Sqlite {
        let Some(path) = &output else {
            return Err(Error::usage(
                "--format sqlite writes a database file: give it with --output FILE",
            ));
        };
        // Built beside the target, then renamed into place: never half a database.
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(crate::fsutil::TEMP_PREFIX)
            .tempfile_in(dir)
            .map_err(Error::io(format!("create a file in {}", dir.display())))?;
        export::sqlite(tmp.path(), &catalog, &ids).map_err(|e| {
            Error::io(format!("write the database {}", path.display()))(std::io::Error::other(e))
        })?;
        tmp.persist_noclobber(path)
            .map_err(|e| Error::io(format!("write {}", path.display()))(e.error))?;
        // Named as the user wrote it: a relative --output stays relative.
        let named = args.output.as_deref().unwrap_or(path);
        writeln!(
            io.err,
            "wrote {} entries to {}",
            ids.len(),
            escape(&named.display().to_string())
        )?;
        return Ok(if ids.is_empty() {
            Outcome::Failed
        } else {
            Outcome::Ok
        });
    }
    let mut buf: Vec<u8> = Vec::new();
    match args.format {
        ExportFormat::Json => export::json(&mut buf, &catalog, &ids)?,
        ExportFormat::Ndjson => export::ndjson(&mut buf, &catalog, &ids)?,
        ExportFormat::Csv => export::csv(&mut buf, &catalog, &ids)?,
        ExportFormat::Codeowners => export::codeowners(
            &mut buf,
            &catalog,
            &ids,
            &args.path_field,
            &args.handle_field,
        )?,
        ExportFormat::Backstage => export::backstage(&mut buf, &catalog, &ids)?,
        ExportFormat::Sqlite => unreachable!("handled above"),
    }
    match &output {
        Some(path) => crate::fsutil::create_atomic(path, &buf)
            .map_err(Error::io(format!("write {}", path.display())))?,
        None => io.out.write_all(&buf)?,
    }
    Ok(if ids.is_empty() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
