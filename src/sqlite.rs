//! Writing a new SQLite database fast: rows are made on one thread and inserted on
//! another, many rows per INSERT statement, in one transaction, with the journal off.
//! `lore export --format sqlite` and the on-disk index both write this way.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};

use rusqlite::types::Value;

/// Rows per INSERT statement: SQLite's cost is largely per statement step, and an
/// export of 100,000 entries has a million rows.
pub(crate) const BATCH: usize = 64;

/// A table rows go to: its name and how many columns a row has.
pub(crate) type Table = (&'static str, usize);

/// Create the database at `path` (which must not exist) with `schema`, fill `tables`
/// with the rows `make` pushes (each table's rows in push order), then run `finish`
/// (indexes are cheaper to build once than to keep).
pub(crate) fn write(
    path: &Path,
    schema: &str,
    tables: &[Table],
    finish: &str,
    make: impl FnOnce(&mut Rows),
) -> rusqlite::Result<()> {
    let (to_writer, batches) = std::sync::mpsc::sync_channel(256);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || insert(path, schema, tables, finish, &batches));
        let mut rows = Rows {
            tables,
            pending: tables.iter().map(|_| Vec::new()).collect(),
            to_writer,
        };
        make(&mut rows);
        rows.flush();
        drop(rows);
        writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Rows on their way to the writer, a batch per table at a time.
pub(crate) struct Rows<'t> {
    tables: &'t [Table],
    pending: Vec<Vec<Value>>,
    to_writer: SyncSender<(usize, Vec<Value>)>,
}

impl Rows<'_> {
    /// Queue one row of `table` (an index into the tables given to [`write`]); false
    /// when the writer has stopped (its error is what [`write`] returns).
    pub(crate) fn push<const N: usize>(&mut self, table: usize, row: [Value; N]) -> bool {
        debug_assert_eq!(N, self.tables[table].1);
        let pending = &mut self.pending[table];
        pending.extend(row);
        if pending.len() == N * BATCH {
            let full = std::mem::replace(pending, Vec::with_capacity(N * BATCH));
            return self.to_writer.send((table, full)).is_ok();
        }
        true
    }

    fn flush(&mut self) {
        for (table, rest) in self.pending.iter_mut().enumerate() {
            if !rest.is_empty() && self.to_writer.send((table, std::mem::take(rest))).is_err() {
                return;
            }
        }
    }
}

fn insert(
    path: &Path,
    schema: &str,
    tables: &[Table],
    finish: &str,
    batches: &Receiver<(usize, Vec<Value>)>,
) -> rusqlite::Result<()> {
    let mut db = rusqlite::Connection::open(path)?;
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    db.execute_batch(schema)?;
    let tx = db.transaction()?;
    {
        let mut statements = Vec::new();
        for (table, columns) in tables {
            let row = format!("({})", vec!["?"; *columns].join(", "));
            let one = tx.prepare(&format!("INSERT INTO {table} VALUES {row}"))?;
            let many = tx.prepare(&format!(
                "INSERT INTO {table} VALUES {}",
                vec![row.as_str(); BATCH].join(", ")
            ))?;
            statements.push((one, many));
        }
        for (table, values) in batches {
            let columns = tables[table].1;
            let (one, many) = &mut statements[table];
            if values.len() == columns * BATCH {
                many.execute(rusqlite::params_from_iter(values))?;
            } else {
                for row in values.chunks(columns) {
                    one.execute(rusqlite::params_from_iter(row))?;
                }
            }
        }
    }
    tx.commit()?;
    db.execute_batch(finish)?;
    db.close().map_err(|(_, e)| e)
}
