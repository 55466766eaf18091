//! Accounts of a record batch, or of a Parquet, CSV or Arrow file, as the row
//! API's input: for what explains single accounts or summarises a
//! portfolio with the row API (`healthscore portfolio`, `explain` and
//! `report` on a warehouse export), by the same column conventions as
//! [`score_batch`](crate::score_batch).

use crate::files::{open, Opened};
use crate::input::Options;
use crate::layout::{Convention, Layout};
use crate::Error;
use crate::Format;
use arrow_array::RecordBatch;
use healthscore::batch::Scorer;
use healthscore::{AccountData, Model, Value};
use std::path::Path;
use std::sync::PoisonError;

/// Each row of `input` as the row API's input, read by the conventions of
/// [`score_batch`](crate::score_batch): `Ok` with the row's id, MRR,
/// employees, as-of date, stage, previous band and score, named dates and
/// one observation per metric value (dated its `<metric>__observed_on`,
/// else the as-of date), or `Err` with why its columns cannot be read, as
/// `score_batch`'s `error` column says it (`account 7: mrr: missing`).
///
/// Bound with [`Model::bind`] and scored, an `Ok` row scores as the batch
/// path scores it; a value the row API refuses (a ratio of 1.7, a date
/// after the as-of date) is refused by `bind`, with the row API's message.
/// A flag metric's 0 or 1 is the flag (`sso_enabled no`); a money metric
/// from a text or `Decimal128` column is the decimal its cell wrote
/// (`1200.50`), from a float column the float's shortest decimal
/// (`1200.5`): an explanation shows what the export holds.
///
/// # Errors
///
/// As [`score_batch`](crate::score_batch): columns that do not fit the
/// model (a metric without a column, a float MRR), named.
///
/// # Examples
///
/// ```
/// use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array};
/// use healthscore::Model;
/// use healthscore_arrow::{account_data, Options};
/// use std::sync::Arc;
///
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let mut columns: Vec<(&str, ArrayRef)> = vec![
///     ("id", Arc::new(StringArray::from(vec!["acme", "globex"]))),
///     ("mrr", Arc::new(StringArray::from(vec![Some("1200.50"), None]))),
///     ("employees", Arc::new(UInt32Array::from(vec![80, 12]))),
/// ];
/// let ids: Vec<String> = model.metric_ids().map(str::to_string).collect();
/// for id in &ids {
///     columns.push((id, Arc::new(Float64Array::from(vec![Some(1.0), None]))));
/// }
/// let batch = RecordBatch::try_from_iter(columns)?;
/// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30);
/// let rows = account_data(&model, &batch, &Options { as_of: day, ..Options::default() })?;
/// let acme = rows[0].as_ref().map_err(|e| e.clone())?;
/// assert_eq!((acme.id.as_str(), acme.observations.len()), ("acme", ids.len()));
/// assert_eq!(rows[1], Err("account globex: mrr: missing".to_string()));
/// let account = model.bind(acme.clone())?;
/// assert!(account.score().overall().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn account_data(
    model: &Model,
    input: &RecordBatch,
    options: &Options,
) -> Result<Vec<Result<AccountData, String>>, Error> {
    let layout = Layout::find(model, input.schema_ref());
    crate::input::near_misses(&layout, model, input, options)?;
    let scorer = Scorer::new(model);
    // Money as its cells wrote it (`1200.50`), where they are text or
    // decimals: as the same account's JSON shows it.
    let written = crate::money::Written::find(model, &layout, input);
    crate::blocks::with_batch(model, &layout, input, options, |batch, mut problems| {
        problems.sort_by_key(|(row, _)| *row);
        let id = layout.get(input, Convention::Id);
        let mut problems = problems.iter().peekable();
        let mut rows = Vec::with_capacity(batch.len());
        // The columns bound to the model once, not once a row.
        for (row, mut data) in scorer.accounts(batch)?.enumerate() {
            let mut why = Vec::new();
            while let Some((_, problem)) = problems.next_if(|(r, _)| *r == row) {
                why.push(problem.as_str());
            }
            rows.push(if why.is_empty() {
                flags_as_flags(model, &mut data);
                written.restore(row, &mut data);
                Ok(data)
            } else {
                Err(crate::output::rejection(id, options, row, &why.join("; ")))
            });
        }
        Ok(rows)
    })
}

/// A flag metric's 0 or 1 (as a column holds it) as the flag it stands
/// for: scored the same, and an explanation says `sso_enabled no`, as for
/// the same account given in JSON, not `sso_enabled 0`. Any other value
/// stays the number it is (a flag of 0.5 is refused as such by `bind`).
fn flags_as_flags(model: &Model, data: &mut AccountData) {
    for obs in &mut data.observations {
        let flag = model
            .metric(&obs.metric)
            .is_some_and(|(_, kind)| matches!(kind, healthscore::model::MetricKind::Flag));
        if let (true, Value::Number(x)) = (flag, &obs.value) {
            if *x == 0.0 || *x == 1.0 {
                obs.value = Value::Flag(*x == 1.0);
            }
        }
    }
}

/// Rows handed to `read_accounts`'s visit at a time.
const ROWS_PER_VISIT: usize = 8_192;

/// The accounts of a Parquet, CSV or Arrow IPC file as the row API's input, up to
/// 8,192 rows at a time (a piece of a record batch, so that what is in
/// hand stays some 16 MB): `visit` gets the place of the piece's first
/// row in the file (from 0) and its rows as [`account_data`] reads them,
/// with messages naming rows by their place in the whole file. Only
/// the columns the model reads are decoded; a CSV line of another field
/// count, not UTF-8 or repeating the header is its row's `Err`, as
/// [`score_file`](crate::score_file) rejects it. Ids are not checked for
/// repeats (`score_file` rejects a repeated one; here the caller decides).
///
/// # Errors
///
/// The file cannot be read (its error, naming it), its columns do not fit
/// the model, or `visit`'s own error, which ends the reading.
pub fn read_accounts<E: From<Error>>(
    model: &Model,
    input: &Path,
    options: &Options,
    mut visit: impl FnMut(u64, Vec<Result<AccountData, String>>) -> Result<(), E>,
) -> Result<(), E> {
    let format = Format::of_accounts(input)?;
    if !format.is_columnar() {
        return Err(Error::Format(format!(
            "{} (JSON lines are read by `healthscore` itself)",
            input.display()
        ))
        .into());
    }
    let Opened { reader, ragged, .. } = open(model, input, format)?;
    let mut options = options.clone();
    options.first_row = 0;
    for batch in reader {
        let batch = batch.map_err(|e| Error::from(e).in_file(input))?;
        // The lines `Ragged` noted in this batch: their rows' problem,
        // before any their columns gave.
        let end = options.first_row + batch.num_rows() as u64;
        let mut found = ragged.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut here, later): (Vec<_>, Vec<_>) = found.drain(..).partition(|(row, _)| *row < end);
        *found = later;
        drop(found);
        here.sort_by_key(|(row, _)| *row);
        let mut here = here.into_iter().peekable();
        // A piece of the batch at a time: a row as the row API's input
        // holds a string per observation, some 2 kB a row where a column
        // holds 8 bytes, so the rows in hand are kept to a piece's.
        for start in (0..batch.num_rows()).step_by(ROWS_PER_VISIT) {
            let piece = batch.slice(start, ROWS_PER_VISIT.min(batch.num_rows() - start));
            let first = options.first_row;
            let mut rows = account_data(model, &piece, &options).map_err(|e| e.in_file(input))?;
            let after = first + piece.num_rows() as u64;
            while let Some((row, why)) = here.next_if(|(row, _)| *row < after) {
                let at = row.checked_sub(first).and_then(|r| usize::try_from(r).ok());
                if let Some(slot) = at.and_then(|r| rows.get_mut(r)) {
                    *slot = Err(match slot {
                        Ok(data) => format!("account {}: {why}", data.id),
                        // A repeat of the header line: its note alone.
                        Err(e) if crate::ragged::stands_alone(&why) => {
                            let label = e.split_once(": ").map_or(e.as_str(), |(l, _)| l);
                            format!("{label}: {why}")
                        }
                        Err(e) => match e.split_once(": ") {
                            Some((label, rest)) => format!("{label}: {why}; {rest}"),
                            None => format!("{e}; {why}"),
                        },
                    });
                }
            }
            visit(first, rows)?;
            options.first_row = after;
        }
        options.first_row = end;
    }
    Ok(())
}
