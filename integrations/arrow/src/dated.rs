//! A table of dated scores read back for a back-test: the results tables
//! [`score_file`](crate::score_file) writes with [`Options::history`](crate::Options::history),
//! night after night, or a warehouse's own table of scores.

use crate::dated_table::Table;
use crate::files::open_file;
use crate::Error;
use crate::Format;
use arrow_schema::Schema;
use healthscore::backtest::{DatedOutcome, DatedScore, Outcome};
use std::path::Path;
use std::sync::PoisonError;

/// One row of a table of dated scores, as a back-test takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatedRow {
    /// A score with its band.
    Score(DatedScore),
    /// A row without a band: an account short of data. A back-test
    /// cannot place it in a band.
    Unbanded,
    /// A row rejected when it was scored: its `error`.
    Rejected(String),
    /// A row whose cells cannot be read, and why (`as_of: "2026-13-01"
    /// is not a date`).
    Unreadable(String),
}

/// A file of dated scores as read: which it was, what wrote it, and how
/// many rows it held.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatedFile {
    /// The file (a part, for a directory of parts).
    pub path: std::path::PathBuf,
    /// The model that wrote it, from its metadata (see
    /// [`results_metadata`](crate::results_metadata)): `name version
    /// (fingerprint)`; `None` for a file that does not say (CSV, or a
    /// table written by something else).
    pub model: Option<String>,
    /// Its rows.
    pub rows: u64,
}

/// A column read, under either name (a results table's, or as the JSON
/// lines of dated scores and outcomes name it).
pub(crate) struct Wanted {
    pub(crate) names: [&'static str; 2],
    /// Read as dates (`Date32`, `Date64`, timestamps or text).
    pub(crate) date: bool,
    /// A table without it is refused.
    pub(crate) required: bool,
}

const fn wanted(names: [&'static str; 2], date: bool, required: bool) -> Wanted {
    Wanted {
        names,
        date,
        required,
    }
}

/// A dated score's columns: `id`, `as_of`, `score`, `band`, `mrr`, and
/// a results table's `error`.
const SCORE_COLUMNS: [Wanted; 6] = [
    wanted(["id", "account"], false, true),
    wanted(["as_of", "date"], true, true),
    wanted(["score", "score"], false, true),
    wanted(["band", "band"], false, true),
    wanted(["mrr", "mrr"], false, true),
    wanted(["error", "error"], false, false),
];

/// What a table of dated rows holds: its columns, and what a row is
/// (`score`, as a message names it).
struct Kind {
    columns: &'static [Wanted],
    row: &'static str,
}

const SCORES: Kind = Kind {
    columns: &SCORE_COLUMNS,
    row: "score",
};

const OUTCOMES: Kind = Kind {
    columns: &OUTCOME_COLUMNS,
    row: "outcome",
};

/// An outcome's columns: `account`, `date`, `outcome`, and `mrr` (an
/// expansion's).
const OUTCOME_COLUMNS: [Wanted; 4] = [
    wanted(["account", "id"], false, true),
    wanted(["date", "as_of"], true, true),
    wanted(["outcome", "outcome"], false, true),
    wanted(["mrr", "mrr"], false, false),
];

/// Reads the dated scores at `path`: a Parquet, CSV or Arrow file
/// ([`Format`], by extension), or a directory of parts
/// ([`parts`](crate::parts), or CSV files: each file is read on its
/// own, so that a directory may hold a file a night), calling `each`
/// with every row's file, its number in that file (from 1) and what it
/// holds. Returns each file read ([`DatedFile`]: the model that wrote
/// it, and its rows).
///
/// The columns: `id` (or `account`: text or integers), `as_of` (or
/// `date`: `Date32`, `Date64`, a timestamp or text), `score` (a decimal,
/// an `f64`, or text; exact to six places, 0 to 100), `band` (a
/// dictionary or text: `green`, `lime`, `yellow`, `red`; null for an
/// account short of data) and `mrr` (a decimal, an integer or decimal
/// text, not negative). The results [`score_file`](crate::score_file)
/// writes with [`Options::history`](crate::Options::history) have them
/// all; other columns are not read. A row with an `error` is
/// [`DatedRow::Rejected`].
///
/// # Errors
///
/// [`Error::File`] naming the file and the column when a column is not
/// there or of a type these are not read from; as
/// [`score_file`](crate::score_file) for a file that cannot be read.
///
/// # Examples
///
/// ```
/// use healthscore_arrow::{read_dated_scores, DatedRow};
/// let path = std::env::temp_dir().join(format!("dated-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, "id,as_of,mrr,score,band,error\n\
///     a1,2026-11-01,1200.50,71.25,lime,\n\
///     a2,2026-11-01,99,,,\n\
///     a3,2026-13-01,10,50,yellow,\n")?;
/// let mut rows = Vec::new();
/// read_dated_scores(&path, |_file, n, row| rows.push((n, row)))?;
/// let DatedRow::Score(first) = &rows[0].1 else { panic!() };
/// assert_eq!((first.account.as_str(), first.band.to_string(), first.mrr.to_string()),
///            ("a1", "lime".to_string(), "1200.50".to_string()));
/// assert_eq!(rows[1], (2, DatedRow::Unbanded));
/// assert_eq!(rows[2], (3, DatedRow::Unreadable("as_of: \"2026-13-01\" is not a date".into())));
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dated_scores(
    path: &Path,
    mut each: impl FnMut(&Path, u64, DatedRow),
) -> Result<Vec<DatedFile>, Error> {
    read_tables(path, &SCORES, |file, table, i, n| {
        each(file, n, score_row(table, i))
    })
}

/// Reads the outcomes at `path` (a Parquet, CSV or Arrow file, or a
/// directory) as [`read_dated_scores`] reads dated scores, calling
/// `each` with every row's file, its number there (from 1) and its
/// outcome, or why it cannot be read.
///
/// The columns: `account` (or `id`), `date` (or `as_of`), `outcome`
/// (`churned`, `renewed` or `expanded`, in any case) and, for an
/// expansion, `mrr`: the MRR it added (a decimal, an integer or decimal
/// text, not negative; not read for the others, where a table may keep
/// the MRR lost or renewed).
///
/// # Errors
///
/// As [`read_dated_scores`].
///
/// # Examples
///
/// ```
/// use healthscore::backtest::Outcome;
/// use healthscore_arrow::read_dated_outcomes;
/// let path = std::env::temp_dir().join(format!("outcomes-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, "account,date,outcome,mrr\n\
///     a1,2026-12-01,Churned,1200.50\n\
///     a2,2026-12-02,expanded,300\n\
///     a3,2026-12-03,expanded,\n")?;
/// let mut rows = Vec::new();
/// read_dated_outcomes(&path, |_file, n, row| rows.push((n, row)))?;
/// assert_eq!(rows[0].1.as_ref().map(|o| &o.outcome), Ok(&Outcome::Churned));
/// assert_eq!(rows[1].1.as_ref().map(|o| o.outcome.clone()),
///            Ok(Outcome::Expanded { mrr: 300.into() }));
/// assert_eq!(rows[2], (3, Err("mrr: missing (an expansion's added MRR)".to_string())));
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dated_outcomes(
    path: &Path,
    mut each: impl FnMut(&Path, u64, Result<DatedOutcome, String>),
) -> Result<Vec<DatedFile>, Error> {
    read_tables(path, &OUTCOMES, |file, table, i, n| {
        each(file, n, outcome_row(table, i))
    })
}

/// Calls `each` with every row's file, the columns of its record batch,
/// its place in the batch and its number in the file (from 1), for the
/// file at `path` or each file of the directory.
fn read_tables(
    path: &Path,
    kind: &Kind,
    mut each: impl FnMut(&Path, &Table, usize, u64),
) -> Result<Vec<DatedFile>, Error> {
    let (files, format) = if path.is_dir() {
        crate::parts(path)?
    } else {
        (vec![path.to_path_buf()], Format::of(path)?)
    };
    let mut read = Vec::new();
    for file in files {
        // A table partitioned by `as_of=…/`: its parts' dates are in
        // their directories' names.
        let partitions = crate::partitions::values(path, &file);
        let (model, rows) = read_file(&file, format, kind, &partitions, &mut each)?;
        read.push(DatedFile {
            path: file,
            model,
            rows,
        });
    }
    Ok(read)
}

/// One file's rows; returns its model and its rows.
fn read_file(
    file: &Path,
    format: Format,
    kind: &Kind,
    partitions: &[(String, Option<String>)],
    each: &mut impl FnMut(&Path, &Table, usize, u64),
) -> Result<(Option<String>, u64), Error> {
    if !format.is_columnar() {
        return Err(Error::Format(file.display().to_string()));
    }
    let in_file = |e: Error| e.in_file(file);
    let wanted = kind.columns;
    let project = |schema: &Schema| {
        let at = wanted
            .iter()
            .filter_map(|w| w.names.iter().find_map(|n| schema.index_of(n).ok()))
            .collect();
        Some(at)
    };
    let opened = open_file(file, format, project).map_err(|e| match e {
        // Not an accounts file: say which columns a night's file holds.
        Error::EmptyCsv(path) => Error::EmptyTable {
            path,
            expected: wanted
                .iter()
                .filter(|w| w.required)
                .map(|w| w.names[0])
                .collect::<Vec<_>>()
                .join(", "),
            row: kind.row,
        },
        other => other,
    })?;
    // (A Parquet reader's columns do not keep the file's metadata.)
    let meta = match format {
        Format::Parquet => crate::parts::parquet_footer(file)?
            .schema()
            .metadata()
            .clone(),
        _ => opened.reader.schema().metadata().clone(),
    };
    let model = meta.get("healthscore.model").map(|name| {
        let get = |k: &str| meta.get(k).map_or("?", String::as_str);
        format!(
            "{name} {} ({})",
            get("healthscore.model_version"),
            get("healthscore.model_fingerprint")
        )
    });
    // Rows of this file read so far.
    let mut done = 0u64;
    for batch in opened.reader {
        let batch = batch.map_err(|e| in_file(e.into()))?;
        let batch =
            crate::partitions::with_columns(batch, partitions).map_err(|e| in_file(e.into()))?;
        let mut table = Table::of(&batch, wanted).map_err(in_file)?;
        // Ragged CSV lines (noted as they were read, by their row in the
        // file, in row order) reject their rows.
        let end = done + batch.num_rows() as u64;
        let mut found = opened.ragged.lock().unwrap_or_else(PoisonError::into_inner);
        let (here, later): (Vec<_>, Vec<_>) = found.drain(..).partition(|(r, _)| *r < end);
        *found = later;
        drop(found);
        let mut here = here.into_iter().peekable();
        for i in 0..batch.num_rows() {
            let n = done + i as u64;
            while here.next_if(|(r, _)| *r < n).is_some() {}
            table.ragged = here.next_if(|(r, _)| *r == n).map(|(_, why)| why);
            each(file, &table, i, n.saturating_add(1));
        }
        done = end;
    }
    Ok((model, done))
}

/// A dated score's row ([`SCORE_COLUMNS`]).
fn score_row(table: &Table, i: usize) -> DatedRow {
    if let Some(why) = &table.ragged {
        return DatedRow::Unreadable(why.clone());
    }
    // Rejected when it was scored.
    if let Some(error) = table.text(5, i) {
        return DatedRow::Rejected(error.to_string());
    }
    let Some(band) = table.band(3, i) else {
        return DatedRow::Unbanded;
    };
    let read = || -> Result<DatedScore, String> {
        let band = band?;
        let account = table.account(0, i).ok_or("id: missing")?;
        let date = table.date(1, i, "as_of")?;
        let score = table.score(2, i)?;
        let mrr = table.money(4, i, "")?;
        Ok(DatedScore {
            account,
            date,
            score,
            band,
            mrr,
        })
    };
    read().map_or_else(DatedRow::Unreadable, DatedRow::Score)
}

/// An outcome's row ([`OUTCOME_COLUMNS`]).
fn outcome_row(table: &Table, i: usize) -> Result<DatedOutcome, String> {
    if let Some(why) = &table.ragged {
        return Err(why.clone());
    }
    let account = table.account(0, i).ok_or("account: missing")?;
    let date = table.date(1, i, "date")?;
    let what = table.text(2, i).ok_or("outcome: missing")?;
    let outcome = match what.to_ascii_lowercase().as_str() {
        "churned" => Outcome::Churned,
        "renewed" => Outcome::Renewed,
        "expanded" => Outcome::Expanded {
            mrr: table.money(3, i, " (an expansion's added MRR)")?,
        },
        _ => {
            return Err(format!(
                "outcome: {} is not an outcome (churned, renewed or expanded)",
                healthscore::Quoted(what)
            ))
        }
    };
    Ok(DatedOutcome {
        account,
        date,
        outcome,
    })
}
