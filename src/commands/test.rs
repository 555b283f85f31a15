//! `lore test`: run routing regression tests, show each failure as a diff.

use super::{load_catalog, start_dir, Error, Io, Outcome};
use crate::alert::cases::{self, CaseResult};
use crate::cli::TestFormat;
use crate::cli::{CatalogArgs, TestArgs};
use crate::render::{self, cases::FileResults};
use crate::term::escape;

pub(crate) fn run(
    args: &TestArgs,
    catalog_args: &CatalogArgs,
    io: &mut Io<'_>,
) -> Result<Outcome, Error> {
    let c = load_catalog(catalog_args)?;
    let cwd = start_dir(catalog_args)?;
    let files = if args.files.is_empty() {
        let found = cases::default_files(&c);
        if found.is_empty() {
            return Err(Error::usage(format!(
                "no routing tests: lore test reads {}/*.yaml under the catalog root ({}); write one (see lore test --help) or pass FILEs",
                cases::DEFAULT_DIR,
                c.root.display()
            )));
        }
        found
    } else {
        args.files.iter().map(|f| cwd.join(f)).collect()
    };
    if args.format != TestFormat::Human {
        let mut all = Vec::new();
        for file in &files {
            all.push(FileResults {
                file: shown(file, &cwd),
                results: cases::run_file(&c, file)?,
            });
        }
        match args.format {
            TestFormat::Json => render::cases::json(io.out, &all)?,
            _ => render::cases::junit(io.out, &all)?,
        }
        let failed = all.iter().flat_map(|f| &f.results).any(|r| !r.passed());
        return Ok(if failed { Outcome::Failed } else { Outcome::Ok });
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let results = cases::run_file(&c, file)?;
        let shown = shown(file, &cwd);
        writeln!(io.out, "{}", escape(&shown))?;
        for r in &results {
            if r.passed() {
                passed += 1;
                writeln!(io.out, "  ok    {}", escape(&r.name))?;
            } else {
                failed += 1;
                failure(io, &shown, r)?;
            }
        }
    }
    writeln!(
        io.out,
        "\n{} cases: {passed} passed, {failed} failed",
        passed + failed
    )?;
    Ok(if failed > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// A test file as the user would name it from where lore runs.
fn shown(file: &std::path::Path, cwd: &std::path::Path) -> String {
    crate::fsutil::slashed(file.strip_prefix(cwd).unwrap_or(file))
}

fn failure(io: &mut Io<'_>, file: &str, r: &CaseResult) -> std::io::Result<()> {
    let st = io.style();
    writeln!(
        io.out,
        "  {}  {}  ({}:{})",
        st.red("FAIL"),
        escape(&r.name),
        escape(file),
        r.line
    )?;
    if let Some(e) = &r.error {
        writeln!(io.out, "        {}", escape(e))?;
    }
    for d in &r.diffs {
        writeln!(io.out, "        {}:", d.field)?;
        for m in &d.missing {
            let line = st.red(&format!("- {}", escape(m)));
            writeln!(io.out, "        {line}  (expected, not produced)")?;
        }
        for u in &d.unexpected {
            let line = st.green(&format!("+ {}", escape(u)));
            writeln!(io.out, "        {line}  (produced, not expected)")?;
        }
    }
    Ok(())
}
