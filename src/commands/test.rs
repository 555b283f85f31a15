//! `lore test`: run routing regression tests, show each failure as a diff.

use super::{load_catalog, start_dir, Io, Outcome, Stop};
use crate::alert::cases::{self, CaseResult};
use crate::cli::{CatalogArgs, TestArgs};
use crate::render::route::escape_terminal;

pub fn run(args: &TestArgs, catalog_args: &CatalogArgs, io: &mut Io<'_>) -> Result<Outcome, Stop> {
    let c = load_catalog(catalog_args)?;
    let cwd = start_dir(catalog_args)?;
    let files = if args.files.is_empty() {
        let found = cases::default_files(&c);
        if found.is_empty() {
            return Err(Stop::usage(format!(
                "no routing tests: lore test reads {}/*.yaml under the catalog root ({}); write one (see lore test --help) or pass FILEs",
                cases::DEFAULT_DIR,
                c.root.display()
            )));
        }
        found
    } else {
        args.files.iter().map(|f| cwd.join(f)).collect()
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let results = cases::run_file(&c, file).map_err(Stop::usage)?;
        let shown = file
            .strip_prefix(&cwd)
            .unwrap_or(file)
            .display()
            .to_string();
        writeln!(io.out, "{shown}")?;
        for r in &results {
            if r.passed() {
                passed += 1;
                writeln!(io.out, "  ok    {}", escape_terminal(&r.name))?;
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

fn failure(io: &mut Io<'_>, file: &str, r: &CaseResult) -> std::io::Result<()> {
    let (red, green, off) = if io.color {
        ("\x1b[31m", "\x1b[32m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    writeln!(
        io.out,
        "  {red}FAIL{off}  {}  ({file}:{})",
        escape_terminal(&r.name),
        r.line
    )?;
    if let Some(e) = &r.error {
        writeln!(io.out, "        {}", escape_terminal(e))?;
    }
    for d in &r.diffs {
        writeln!(io.out, "        {}:", d.field)?;
        for m in &d.missing {
            writeln!(io.out, "        {red}- {m}{off}  (expected, not produced)")?;
        }
        for u in &d.unexpected {
            writeln!(
                io.out,
                "        {green}+ {u}{off}  (produced, not expected)"
            )?;
        }
    }
    Ok(())
}
