//! JSON accounts into a results table (`score --out FILE`): the rows the
//! pipeline makes, written a record batch at a time to a file written in
//! full or not at all.

use super::pipeline::OutputFailed;
use healthscore_arrow::{ResultRow, ResultTable, ResultsFile};
use std::io::Write;

/// Where scored accounts go.
pub enum Sink<'a> {
    /// JSON lines: each account's record (and CTA actions), named for
    /// errors.
    Json(&'a mut dyn Write, &'a str),
    /// A results file (`--out`): a row per account read, rejected ones
    /// with their `error`, in input order.
    Table(&'a mut Table),
}

/// A results table being written, a record batch at a time.
pub struct Table {
    pub rows: ResultTable,
    pub file: ResultsFile,
}

/// Rows a record batch of results holds (as `score_file` writes them):
/// 16,384. At 65,536, 200,000 JSON accounts into Parquet took 99–100 MB
/// at most, now 62–64 MB in the same time (three interleaved runs, the
/// Zen 4 VM, 2026-12-04).
const TABLE_ROWS: usize = healthscore_arrow::FILE_BATCH_ROWS;

impl Table {
    /// Adds a row, writing a record batch when one is full.
    pub fn push(&mut self, row: ResultRow) -> Result<(), OutputFailed> {
        self.rows.push(row);
        if self.rows.len() >= TABLE_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the rows pushed so far.
    pub fn flush(&mut self) -> Result<(), OutputFailed> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let failed = |e: healthscore_arrow::Error| OutputFailed(e.to_string());
        let batch = self.rows.take_batch().map_err(failed)?;
        self.file.write(&batch).map_err(failed)
    }

    /// Writes the rest and renames the file into place.
    pub fn finish(mut self) -> Result<(), OutputFailed> {
        self.flush()?;
        self.file.finish().map_err(|e| OutputFailed(e.to_string()))
    }
}

/// The results file for JSON accounts read from `accounts` (`-` for
/// standard input): its columns as the columnar path's (`id` as text),
/// written to a temporary file beside `file` until the run ends.
pub fn create(
    file: &str,
    accounts: &str,
    model: &healthscore::Model,
    drivers: bool,
    rules: Option<std::sync::Arc<healthscore::cta::RuleSet>>,
) -> Result<Table, healthscore_arrow::Error> {
    // Never renamed over the accounts being read.
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(accounts), std::fs::canonicalize(file)) {
        if a == b {
            return Err(healthscore_arrow::Error::SameFile(file.to_string()));
        }
    }
    let options = healthscore_arrow::Options {
        drivers,
        rules,
        history: true,
        ..Default::default()
    };
    let rows = healthscore_arrow::ResultTable::new(model, &options);
    crate::atomic::remove_leftovers(file.as_ref());
    let file = healthscore_arrow::ResultsFile::create(file.as_ref(), rows.schema().clone())?;
    Ok(Table { rows, file })
}
