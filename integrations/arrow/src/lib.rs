//! Score Arrow record batches, Parquet, CSV and Arrow IPC files with
//! [`healthscore::batch`]: where a portfolio already lives as columns.
//!
//! # Schema conventions
//!
//! | column | Arrow types | meaning |
//! |---|---|---|
//! | `id` | `Utf8`, `Int64`, `UInt64`; also any narrower integer type (read as `Int64`) and `Decimal128` (a warehouse's `NUMBER(38, 0)` key, read as its text) | account id |
//! | `mrr` | `Decimal128(p, s)`, `Int64` or a narrower integer type (whole units), `Utf8` (a decimal string) | monthly recurring revenue, exact; a float is refused |
//! | `employees` | `UInt32`, or any integer type in `0..=u32::MAX`, whole `Float64` / `Float32` (`80.0`, as a data frame with a missing value writes integers), whole `Decimal128` (`80`, `80.00`), or `Utf8` (a count as text) | company size |
//! | `as_of` | `Date32`, `Utf8` (`YYYY-MM-DD`, or a timestamp as text, `2026-11-30 13:45:00`: its date as written), `Date64` or `Timestamp` (its day; with a time zone, its day there) (optional) | the date scores are as of; else [`Options::as_of`] |
//! | `stage` | `Utf8` (optional) | lifecycle stage |
//! | `previous_band` | `Utf8` (optional) | band at the previous scoring, for hysteresis: `green`, `lime`, `yellow` or `red`, in any case, spaces around ignored; null = none |
//! | `previous_score` | `Decimal128(p, s)`, `Float64`, `Utf8` (a decimal string) (optional) | overall score at the previous scoring, for CTA rules on score changes; null = none |
//! | *metric id* | `Float64` (zero-copy), any integer, `Float32`, `Decimal128` (read as the `f64` nearest its exact value, as the same number written in JSON reads), `Boolean`, `Utf8` (a number, or `true` / `false`) | one column per metric of the model; null = missing |
//! | *metric id*`__observed_on` | `Date32`, `Utf8` (`YYYY-MM-DD`, or a timestamp as text, `2026-11-30 13:45:00`: its date as written), `Date64` or `Timestamp` (its day; with a time zone, its day there) (optional) | when that metric's values were observed (default: the as-of date) |
//! | *metric id*`__author` | `Utf8` | who made a judgement (a judgement metric's value without one is refused, as in the row API) |
//! | *name*`__date` | `Date32`, `Utf8` (`YYYY-MM-DD`, or a timestamp as text, `2026-11-30 13:45:00`: its date as written), `Date64` or `Timestamp` (its day; with a time zone, its day there) (optional) | the account date *name* (e.g. `renewal__date`) for CTA rules; null = none |
//! | *name*`__event` | as `__date` (optional) | the day the event *name* last happened (e.g. `champion_lost__event`), for CTA rules on events (`event_within`); null = none |
//!
//! Warehouses export numbers as decimals (Snowflake's `NUMBER`, even for
//! keys and counts; BigQuery's `NUMERIC`), which Parquet and Arrow carry
//! as `Decimal128`: ids, employee counts and metrics are read from them
//! as above, so an unload scores without a cast.
//!
//! A blank text cell (`""`, or only white space: how pandas and pyarrow
//! write a missing string to Parquet) is read as a null, as a CSV file's
//! empty field is.
//!
//! Wherever `Utf8` is read, `Utf8View` (how DataFusion reads Parquet
//! strings) and `LargeUtf8` are read too. Wherever `Decimal128` is read,
//! so are `Decimal32` and `Decimal64` (widened: no value changes) and
//! `Decimal256` (read as its text: a value past the 28 digits a decimal
//! here holds rejects its row, not the batch); wherever `Float64` is,
//! `Float16` (but MRR is never a float). A CSV file's columns are all
//! read as text (see [`score_file`]), so that one cell that is not a
//! number or a date rejects its row, not the file.
//!
//! Other columns are ignored (a warehouse export carries its own, and may
//! repeat a name). A metric of the model without a column, a convention
//! column of the wrong type, or a column the scorer reads that the input
//! has twice (which of the two to score cannot be told) is an [`Error`]
//! naming the column. A row whose values
//! cannot be read is rejected as a row, not the batch: a null `id`, `mrr`,
//! `employees` or `as_of`, a negative employee count, MRR text that is not
//! a number, a text cell that is not a number, count or date (`nps: "n/a"
//! is not a number`), a `previous_score` that is not a score, a `previous_band`
//! that is not a band, a missing observation
//! date where the metric has a value (its `error` names the columns:
//! `account 7: mrr: missing; employees: missing`; a row without an id is
//! named by its place in the stream, counted from 1: `row 4101: id:
//! missing`, see [`Options::first_row`], or by its problem alone where the
//! rows have no order: [`Options::unnumbered`]). `Float64` metric
//! columns, `Decimal128` MRR, integer ids, `Date32` dates and every
//! validity bitmap are read in place, without copying.
//!
//! [`score_batch`] scores each row on its own and does not compare ids:
//! a record batch with an account twice gives two results.
//! [`score_file`] rejects a repeated id across the whole file, as the
//! command-line tool's JSON path does.
//!
//! Files, by extension ([`Format`]): Parquet (`.parquet`), CSV with a
//! header line (`.csv`, its columns read as text; gzip or zstd
//! compressed, `.csv.gz` or `.csv.zst`, as warehouses unload it, read as
//! it decompresses, told by its first bytes), Arrow's IPC file
//! format (`.arrow`, `.feather`, `.ipc`: Feather version 2, as pyarrow's
//! `write_feather`, polars' `write_ipc` and DataFusion's `COPY … STORED AS
//! ARROW` write it; uncompressed, LZ4 or ZSTD) and stream format
//! (`.arrows`) in; the same and JSON lines (`.jsonl`) out, CSV and JSON
//! lines compressed as they are written where the name says so
//! (`scores.csv.gz`, `scores.jsonl.zst`). An Arrow
//! file's record batches are scored in slices of [`FILE_BATCH_ROWS`] rows as written,
//! without conversion; a batch is read whole (the format stores it as one
//! message), so a file written as one batch of millions of rows takes
//! that batch's memory. A damaged IPC file is an error naming it, never a
//! panic: its framing is checked before Arrow's reader trusts its lengths,
//! and a panic of the reader is caught (reading one installs, once, a
//! panic hook that keeps such a caught panic's message off standard error
//! and passes every other panic on to the hook before it).
//!
//! Results ([`score_batch`]) are a record batch: `id` (the input's array),
//! `score`, `coverage` and the four dimension scores as `Decimal128(9, 6)`
//! (exact millionths), `band`, `segment`, `scorecard` and optionally
//! `pulls_down_most` as dictionary-encoded strings (`Dictionary(UInt32,
//! Utf8)`: no string per row), and `error` (the row API's message for a
//! rejected row, whose other results are null).
//!
//! With [`Options::history`], each row's `as_of` (`Date32`) and `mrr`
//! right after `id`: the date and amount it was scored with, MRR of the
//! input's decimal type where it was a decimal (an integer's as
//! `Decimal128(19, 0)`), exact decimal text where it was text; null in a
//! rejected row. A results table kept night after night is then the
//! history a back-test reads: [`read_dated_scores`] reads it (and
//! [`read_dated_outcomes`] a table of outcomes) into the core's
//! [`DatedScore`](healthscore::backtest::DatedScore)s.
//!
//! With [`Options::rules`], each scored row's calls to action too: `ctas`,
//! the ids of the rules that open a CTA, most urgent first, separated by
//! `"; "` (`"red-band; score-fell"`), and `cta_kinds`, their kinds once
//! each in that order (`"risk; expansion"`); both null when nothing opens.
//! Text rather than lists, so that CSV output carries them too. Each row
//! is evaluated as the row API's [`RuleSet::evaluate`](healthscore::cta::RuleSet::evaluate)
//! evaluates the same account alone, with no CTAs open before (CTA state
//! between runs belongs to a service, which can read each row with
//! [`read_accounts`], as the command-line tool's `score --state` does).
//!
//! For the row API (an explanation per account, a portfolio summary
//! with the lowest accounts explained), [`account_data`] reads each row of
//! a record batch as an [`AccountData`](healthscore::AccountData), and
//! [`read_accounts`] each row of a Parquet, CSV or Arrow file, by the same
//! conventions: bound and scored, a row scores as the batch path scores
//! it, and a row that cannot be read gives the same message.
//!
//! The other way round, accounts scored with the row API (JSON accounts,
//! a service's requests) go into the same results table:
//! [`ResultRow::scored`] makes an account's row from its
//! [`ScoreRecord`](healthscore::ScoreRecord), [`ResultTable`] turns rows
//! into record batches of the results' schema, and [`ResultsFile`]
//! writes them as Parquet, CSV, JSON lines or Arrow IPC in full or not at all, as
//! [`score_file`] writes its own (the command-line tool's `score --out`
//! on JSON accounts; a test checks the file equals the one the same
//! accounts as columns give, byte for byte).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
//! use healthscore::{batch::Scorer, Model};
//! use healthscore_arrow::{score_batch, Options};
//!
//! let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! let mut columns: Vec<(&str, ArrayRef)> = vec![
//!     ("id", Arc::new(Int64Array::from(vec![1, 2]))),
//!     ("mrr", Arc::new(Decimal128Array::from(vec![120_000, 4_500]).with_precision_and_scale(12, 2)?)),
//!     ("employees", Arc::new(UInt32Array::from(vec![80, 12]))),
//!     ("weekly_active", Arc::new(Float64Array::from(vec![Some(0.5), Some(1.7)]))),
//!     ("nps", Arc::new(Float64Array::from(vec![Some(20.0), None]))),
//! ];
//! let others: Vec<String> = model.metric_ids().filter(|m| !["weekly_active", "nps"].contains(m)).map(String::from).collect();
//! for id in &others {
//!     columns.push((id, Arc::new(Float64Array::from(vec![None, None]))));
//! }
//! let input = RecordBatch::try_from_iter(columns)?;
//! let options = Options { as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20), ..Options::default() };
//! let out = score_batch(&Scorer::new(&model), &input, &options)?;
//! // Band, segment and scorecard are dictionary-encoded strings.
//! use arrow_array::{cast::AsArray, ArrayAccessor};
//! let band = out.column_by_name("band").unwrap().as_dictionary::<arrow_array::types::UInt32Type>();
//! let names = band.downcast_dict::<arrow_array::StringArray>().unwrap();
//! assert_eq!(names.value(0), "lime");
//! let error = out.column_by_name("error").unwrap();
//! let error = error.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
//! assert_eq!(error.value(1), "account 2: weekly_active: ratio number 1.7 is outside 0..=1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
// `unsafe` in two places: a dictionary array whose keys were range-checked
// in one vectorised pass (`buffers::ScoreBuffers::dictionary`), and the
// AVX-512 and AVX2 stores of the Decimal128 result columns (`widen`).
#![deny(unsafe_code)]

mod accounts;
mod blank;
mod blocks;
mod buffers;
mod cast;
mod column_names;
mod compressed;
mod convert;
mod csv_schema;
mod dated;
mod dated_cells;
mod dated_files;
mod dated_json;
mod dated_table;
mod decimal;
mod destination;
mod files;
mod filling;
mod format;
mod history;
mod ids;
mod input;
mod ipc_check;
mod ipc_file;
mod keys;
mod layout;
mod money;
mod output;
mod parquet_file;
mod partitions;
mod parts;
mod pipeline;
mod projection;
mod quiet_panics;
mod ragged;
mod records;
mod results_file;
#[cfg(test)]
mod rng;
mod widen;

pub use accounts::{account_data, read_accounts};
pub use buffers::ScoreBuffers;
pub use column_names::column_names;
pub use compressed::decompressed;
pub use dated::{read_dated_outcomes, read_dated_scores, DatedFile, DatedRow};
pub use dated_files::dated_files;
pub use dated_json::dated_row_of_json;
pub use destination::{temporary_path, Destination};
pub use files::{score_file, score_file_with_progress, FileStats, FILE_BATCH_ROWS};
pub use format::Format;
pub use input::Options;
pub use output::{result_fields, results_metadata, score_batch, score_batch_into};
pub use parts::parts;
pub use records::{ResultRow, ResultTable};
pub use results_file::ResultsFile;

/// The convention columns read by name (see the [crate documentation](crate)),
/// besides each metric's own (`<metric>`, `<metric>__observed_on`,
/// `<metric>__author`), named dates (`<name>__date`) and events
/// (`<name>__event`).
///
/// # Examples
///
/// ```
/// assert!(healthscore_arrow::CONVENTION_COLUMNS.contains(&"employees"));
/// ```
pub const CONVENTION_COLUMNS: [&str; 7] = [
    "id",
    "mrr",
    "employees",
    "as_of",
    "stage",
    "previous_band",
    "previous_score",
];

/// Why a record batch or file could not be scored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A column is missing or of a type the conventions do not allow.
    #[error("column {column}: {problem}")]
    Column {
        /// The column's name.
        column: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Several columns every account needs are missing (`id`, `mrr`,
    /// `employees`, `as_of` where no as-of date is given): named together,
    /// not one per attempt.
    #[error("columns {}: {problem}", columns.join(", "))]
    Columns {
        /// The columns' names.
        columns: Vec<String>,
        /// What is wrong with them.
        problem: String,
    },
    /// The columns do not fit the model (a metric without a column…).
    #[error(transparent)]
    Batch(#[from] healthscore::batch::BatchError),
    /// The CTA rules cannot be evaluated on these scores (compiled for
    /// another model).
    #[error(transparent)]
    Rules(#[from] healthscore::batch::BatchUseError),
    /// Arrow could not read or build an array.
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet file could not be read or written.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Reading or scoring the accounts file failed: the file, and what
    /// went wrong (a corrupt Parquet footer, a CSV line with the wrong
    /// number of fields, a column that breaks the conventions).
    #[error("{path}: {source}")]
    File {
        /// The accounts file.
        path: String,
        /// What went wrong.
        source: Box<Error>,
    },
    /// The results could not be written (a full disk, a directory that
    /// does not exist): the file as the caller named it (not the temporary
    /// file written first), and the error. Any earlier file of that name is
    /// left as it was.
    #[error("{path}: {source}")]
    Output {
        /// The results file.
        path: String,
        /// The error writing it (an I/O, Parquet or Arrow error).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A directory of parts that cannot be read as one table: what is
    /// wrong with it (no part, a file that is not one, parts of two
    /// formats, a subdirectory that is not a partition). See [`parts`].
    #[error("{path}: {why}")]
    Parts {
        /// The directory.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A file name whose extension is not one of [`Format`]'s.
    #[error("{0}: expected a .parquet, .csv, .arrow (.feather), .arrows or .jsonl file (CSV and JSON lines also gzip or zstd compressed: .csv.gz, .jsonl.zst)")]
    Format(String),
    /// A CSV file whose header line is separated by another character
    /// (`;` as spreadsheets in some locales write, or a tab), not commas.
    #[error("{path}: the header line is separated by {separator:?}, not commas: export the file comma-separated (decimals with a point)")]
    NotCommaSeparated {
        /// The file.
        path: String,
        /// The separator its header line uses.
        separator: char,
    },
    /// A CSV file in UTF-16 (what spreadsheets save as "Unicode text"):
    /// its byte order mark says so. CSV files are read as UTF-8.
    #[error("{path}: the file is UTF-16 ({order}), not UTF-8: save it as CSV UTF-8")]
    NotUtf8 {
        /// The file.
        path: String,
        /// `little-endian` or `big-endian`, as its byte order mark says.
        order: &'static str,
    },
    /// A CSV file whose header line is not UTF-8 (a spreadsheet's local
    /// code page, `région` in Latin-1): its columns cannot be named. A
    /// data line that is not UTF-8 only rejects its row.
    #[error("{path}: the header line is not UTF-8 text (byte {byte:#04X} at byte {at} of the line): save the file as CSV UTF-8")]
    HeaderNotUtf8 {
        /// The file.
        path: String,
        /// The first byte that is not UTF-8.
        byte: u8,
        /// Where it is in the header line, counted from 1.
        at: usize,
    },
    /// A CSV file without even a header line (0 bytes, or blank lines
    /// only): an export that wrote nothing, not a file of missing columns.
    #[error("{0}: the file is empty, without a header line: expected a header of column names (id, mrr, employees, one per metric) and a line per account")]
    EmptyCsv(String),
    /// A CSV file of dated scores or outcomes
    /// ([`read_dated_scores`], [`read_dated_outcomes`]) without even a
    /// header line: a night's export that wrote nothing.
    #[error("{path}: the file is empty, without a header line: expected a header of column names ({expected}) and a line per {row}")]
    EmptyTable {
        /// The file.
        path: String,
        /// The columns expected (`id, as_of, score, band, mrr`).
        expected: String,
        /// What a line holds (`score`, `outcome`).
        row: &'static str,
    },
    /// The output file named is the input file: writing the results would
    /// replace the accounts.
    #[error("{0}: the output would replace the accounts it is read from")]
    SameFile(String),
    /// A `.parquet` file that is not a whole Parquet file: cut short (it
    /// does not end as one does: a copy or a writer stopped midway), or
    /// not Parquet at all (it does not start as one does), with what the
    /// Parquet reader said.
    #[error("{path}: {what} ({source})")]
    NotParquet {
        /// The file.
        path: String,
        /// What the file is, as its first and last bytes say.
        what: &'static str,
        /// What the Parquet reader said.
        source: parquet::errors::ParquetError,
    },
    /// A file named as an Arrow IPC file or stream that is not one
    /// (`accounts.arrow: a Parquet file, named as an Arrow one: name it
    /// .parquet`), or not a whole one (`not a whole Arrow IPC file: it
    /// does not end as one does (cut short while copied or written?)`), or
    /// whose framing is damaged (a length past the end of the file, a
    /// compressed buffer said to expand to more than 2 GiB), found before
    /// Arrow's reader, which would trust such a length, reads it.
    #[error("{path}: {what}")]
    NotArrow {
        /// The file.
        path: String,
        /// What the file is, or what is wrong with it.
        what: &'static str,
    },
}

impl Error {
    /// This error reading the accounts file `path`, naming the file
    /// unless it does already.
    pub(crate) fn in_file(self, path: &std::path::Path) -> Error {
        match self {
            Error::Io { .. }
            | Error::File { .. }
            | Error::Output { .. }
            | Error::Format(_)
            | Error::Parts { .. }
            | Error::NotCommaSeparated { .. }
            | Error::NotUtf8 { .. }
            | Error::HeaderNotUtf8 { .. }
            | Error::NotParquet { .. }
            | Error::NotArrow { .. }
            | Error::EmptyCsv(_)
            | Error::EmptyTable { .. }
            | Error::SameFile(_) => self,
            // A part of a directory's error, already named by its part.
            Error::Arrow(arrow_schema::ArrowError::ExternalError(e)) if e.is::<Error>() => {
                match e.downcast::<Error>() {
                    Ok(named) => *named,
                    Err(e) => Error::Arrow(arrow_schema::ArrowError::ExternalError(e)),
                }
            }
            // The I/O error itself where the reader wrapped one (a
            // directory reads as `Is a directory`, not `External: …`).
            Error::Arrow(arrow_schema::ArrowError::IoError(_, source)) => Error::Io {
                path: path.display().to_string(),
                source,
            },
            Error::Parquet(parquet::errors::ParquetError::External(e))
                if e.is::<std::io::Error>() =>
            {
                match e.downcast::<std::io::Error>() {
                    Ok(source) => Error::Io {
                        path: path.display().to_string(),
                        source: *source,
                    },
                    Err(e) => Error::File {
                        path: path.display().to_string(),
                        source: Box::new(Error::Parquet(parquet::errors::ParquetError::External(
                            e,
                        ))),
                    },
                }
            }
            other => Error::File {
                path: path.display().to_string(),
                source: Box::new(other),
            },
        }
    }

    /// This error writing the results file `path`.
    pub(crate) fn writing(self, path: &std::path::Path) -> Error {
        let source: Box<dyn std::error::Error + Send + Sync> = match self {
            Error::Output { .. } => return self,
            // The I/O error itself where the writer wrapped one (a full
            // disk reads as that, not as `External: …` or `Io error: …`).
            Error::Io { source, .. }
            | Error::Arrow(arrow_schema::ArrowError::IoError(_, source)) => Box::new(source),
            Error::Parquet(parquet::errors::ParquetError::External(e)) => e,
            Error::Parquet(e) => Box::new(e),
            Error::Arrow(e) => Box::new(e),
            other => Box::new(other),
        };
        Error::Output {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn column(column: &str, problem: impl Into<String>) -> Error {
        Error::Column {
            column: column.to_string(),
            problem: problem.into(),
        }
    }
}
