//! A record batch read as a [`healthscore::batch::Batch`], in place where
//! the types allow.

use crate::convert::{previous_scores, text_days, text_u32, to_f64, to_u32};
use crate::layout::{column_at, Convention, Layout};
use crate::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use chrono::NaiveDate;
use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Validity};
use healthscore::cta::RuleSet;
use healthscore::model::MetricKind;
use healthscore::{Band, Model, Points};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

/// How to read a record batch.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The as-of date of every row, when the batch has no `as_of` column.
    pub as_of: Option<NaiveDate>,
    /// Also give each banded row the metric that pulls its score down most
    /// (a second, row-at-a-time pass).
    pub drivers: bool,
    /// How many rows of the same stream came before this batch (0 by
    /// default). Messages name a row without an id by its place in the
    /// whole stream, counted from 1: with `first_row` 65,536, the batch's
    /// first row is `row 65537` (in a CSV file with a header, line
    /// 65,538). [`score_file`](crate::score_file) sets it batch by batch.
    pub first_row: u64,
    /// Name a row without an id by its problem alone (`id: missing`), not
    /// by a place it does not have (`row 4101: id: missing`): for batches
    /// whose rows have no order of their own, as a SQL engine hands a
    /// partition's rows to a function (`healthscore-datafusion` sets it).
    /// `false` by default: such a row is numbered from `first_row`.
    pub unnumbered: bool,
    /// CTA rules (compiled for the scorer's model) to evaluate on every
    /// scored row: adds the `ctas` and `cta_kinds` columns. The rules read
    /// named dates from `<name>__date` columns and score changes from
    /// `previous_score` (see the [crate documentation](crate)).
    pub rules: Option<Arc<RuleSet>>,
    /// Also give each row the `as_of` date and the `mrr` it was scored
    /// with, right after `id`: what a back-test reads from a results
    /// table kept night after night ([`read_dated_scores`](crate::read_dated_scores)),
    /// as it reads a `ScoreRecord`'s. `as_of` is a `Date32`; `mrr` the
    /// input's decimal type where its MRR was a decimal (`Decimal128(p,
    /// s)`, or a narrower one widened; its values copied, unchanged),
    /// `Decimal128(19, 0)` for an integer (`UInt64`: 20), and exact decimal
    /// text where it was text or `Decimal256` (`1200.50`, as a
    /// `ScoreRecord` writes it). Both null in a rejected row.
    pub history: bool,
}

/// What a record batch's columns are read into, when they cannot be
/// borrowed as they are (other number types, MRR as text).
#[derive(Default)]
pub(crate) struct Owned {
    employees: Vec<u32>,
    mrr: Vec<Decimal>,
    metrics: Vec<(String, Vec<f64>)>,
    /// Date columns read from text (`as_of`, `<metric>__observed_on`,
    /// `<name>__date`), as days since 1970-01-01, by column name.
    dates: Vec<(String, Vec<i32>)>,
    previous_scores: Option<Vec<Option<Points>>>,
    /// Rows whose values cannot be read (a negative employee count, MRR
    /// text that is not a number…), with the column and problem: each such
    /// row is rejected, not the batch.
    pub(crate) problems: Vec<(usize, String)>,
}

/// The validity of an array as a batch validity (in place).
fn validity(array: &dyn Array) -> Validity<'_> {
    match array.nulls() {
        None => Validity::All,
        Some(nulls) => Validity::Bits {
            bits: nulls.inner().values(),
            offset: nulls.offset(),
        },
    }
}

/// Rows where a column every account needs (`id`, `mrr`, `employees`,
/// `as_of`) is null, with the column, in row order: each such row is
/// rejected (its `error` says which columns), not the batch.
pub(crate) fn null_rows(layout: &Layout, input: &RecordBatch) -> Vec<(usize, &'static str)> {
    let mut rows: Vec<(usize, &'static str)> = Vec::new();
    for c in [
        Convention::Id,
        Convention::Mrr,
        Convention::Employees,
        Convention::AsOf,
    ] {
        let name = c.name();
        let Some(nulls) = layout.get(input, c).and_then(|a| a.nulls()) else {
            continue;
        };
        rows.extend(
            nulls
                .iter()
                .enumerate()
                .filter_map(|(r, ok)| (!ok).then_some((r, name))),
        );
    }
    // Stable: a row's columns stay in the order above.
    rows.sort_by_key(|(row, _)| *row);
    rows
}

/// The convention column `c`, which the scorer needs.
fn column<'a>(
    layout: &Layout,
    batch: &'a RecordBatch,
    c: Convention,
) -> Result<&'a dyn Array, Error> {
    layout
        .get(batch, c)
        .map(|a| a.as_ref())
        .ok_or_else(|| missing(batch.schema_ref(), c.name()))
}

/// A column the scorer needs is not in `batch`: named, and with the
/// column the batch has that differs from it only in case, spaces or
/// separators (` MRR`, `Weekly Active Ratio`), which is not read.
fn missing(schema: &SchemaRef, name: &str) -> Error {
    match near_miss(schema, name) {
        Some(found) => Error::column(
            name,
            format!("missing (the input has {found:?}; column names must match exactly)"),
        ),
        None => Error::column(name, "missing"),
    }
}

/// The column of `schema` whose name is `name` but for case, spaces
/// around it and separators (` `, `-`, `.` for `_`).
pub(crate) fn near_miss<'a>(schema: &'a SchemaRef, name: &str) -> Option<&'a str> {
    let loose = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' | '.' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    let want = loose(name);
    schema
        .fields()
        .iter()
        .find(|f| loose(f.name()) == want)
        .map(|f| f.name().as_str())
}

/// What is wrong with the columns as named, before any is read: the
/// columns every account needs that the input does not have (all of them
/// in one message: a table of something else lacks several), a column
/// the scorer reads that the input has twice (a join that kept both
/// sides' `nps`), or the first metric of the model without a column but
/// with a column named like it ([`missing`]); a metric with no column
/// like it is left to the batch path's check, which names every one.
pub(crate) fn near_misses(
    layout: &Layout,
    model: &Model,
    batch: &RecordBatch,
    options: &Options,
) -> Result<(), Error> {
    let schema = batch.schema_ref();
    needed(layout, batch, options)?;
    if let Some(field) = layout.repeated.and_then(|at| schema.fields().get(at)) {
        let name = field.name();
        let times = schema.fields().iter().filter(|f| f.name() == name).count();
        return Err(Error::column(
            name,
            format!(
                "the input has {times} columns of this name: keep one (which of them to score cannot be told)"
            ),
        ));
    }
    match layout.near_miss.and_then(|m| model.metric_ids().nth(m)) {
        Some(id) => Err(missing(batch.schema_ref(), id)),
        None => Ok(()),
    }
}

/// The columns every account needs (`id`, `mrr`, `employees`, and
/// `as_of` where `options` gives no date) that `batch` does not have: one
/// is [`missing`]; several are named together, with the columns named
/// like them.
fn needed(layout: &Layout, batch: &RecordBatch, options: &Options) -> Result<(), Error> {
    let schema = batch.schema_ref();
    let mut absent: Vec<&str> = [Convention::Id, Convention::Mrr, Convention::Employees]
        .into_iter()
        .filter(|c| layout.get(batch, *c).is_none())
        .map(Convention::name)
        .collect();
    if options.as_of.is_none() && layout.get(batch, Convention::AsOf).is_none() {
        absent.push(Convention::AsOf.name());
    }
    match absent.as_slice() {
        [] => Ok(()),
        ["as_of"] => Err(Error::column("as_of", NO_AS_OF)),
        [one] => Err(missing(schema, one)),
        many => {
            let like: Vec<String> = many
                .iter()
                .filter_map(|name| near_miss(schema, name))
                .map(|found| format!("{found:?}"))
                .collect();
            let hint = match like.as_slice() {
                [] => String::new(),
                _ => format!(
                    " (the input has {}; column names must match exactly)",
                    like.join(", ")
                ),
            };
            Err(Error::Columns {
                columns: many.iter().map(ToString::to_string).collect(),
                problem: format!("missing{hint}"),
            })
        }
    }
}

/// Why the `as_of` column is needed where it is missing.
pub(crate) const NO_AS_OF: &str = "missing, and no as-of date was given";

pub(crate) fn wrong(name: &str, got: &DataType, expected: &str) -> Error {
    Error::column(name, format!("is {got}, expected {expected}"))
}

/// True for a column the scorer reads: a convention column, a metric,
/// a metric's `__observed_on` or `__author`, or a named `__date` or
/// `__event`.
pub(crate) fn reads(model: &Model, name: &str) -> bool {
    // (A scan of the ids: for a dozen short names, faster than hashing
    // each name for the model's map. It runs per column of each new
    // schema (`Layout::find`), and per call only where a column is cast.)
    let metric = |m: &str| model.metric_ids().any(|id| id == m);
    crate::CONVENTION_COLUMNS.contains(&name)
        || metric(name)
        || name.ends_with("__date")
        || name.ends_with("__event")
        || ["__observed_on", "__author"]
            .iter()
            .any(|end| name.strip_suffix(end).is_some_and(metric))
}

/// Converts what cannot be borrowed; [`batch`] then borrows the rest.
pub(crate) fn own(model: &Model, layout: &Layout, input: &RecordBatch) -> Result<Owned, Error> {
    let mut owned = Owned::default();
    let employees = column(layout, input, Convention::Employees)?;
    match employees.data_type() {
        DataType::UInt32 => {}
        DataType::Utf8 => owned.employees = text_u32("employees", employees, &mut owned.problems),
        _ => owned.employees = to_u32("employees", employees, &mut owned.problems)?,
    }
    let mrr = column(layout, input, Convention::Mrr)?;
    match mrr.data_type() {
        DataType::Utf8 => {
            let problems = &mut owned.problems;
            owned.mrr = mrr
                .as_string::<i32>()
                .iter()
                .enumerate()
                .map(
                    |(row, s)| match s.map(|s| (s, Decimal::from_str(s.trim()))) {
                        None => Decimal::ZERO, // a null: `null_rows` reports it
                        Some((_, Ok(d))) => d,
                        Some((s, Err(e))) => {
                            problems.push((
                                row,
                                format!(
                                    "mrr: {} is not a decimal number ({e})",
                                    healthscore::Quoted(s)
                                ),
                            ));
                            Decimal::ZERO
                        }
                    },
                )
                .collect();
        }
        DataType::Decimal128(_, s) if *s < 0 => {
            return Err(Error::column("mrr", format!("negative scale {s}")));
        }
        DataType::Decimal128(..) | DataType::Int64 => {}
        other => {
            return Err(wrong(
                "mrr",
                other,
                "Decimal128, Int64 or a decimal string (money is never a float)",
            ))
        }
    }
    if let Some(previous) = layout.get(input, Convention::PreviousScore) {
        owned.previous_scores = Some(previous_scores(previous.as_ref(), &mut owned.problems)?);
    }
    for (id, columns) in model.metric_ids().zip(&layout.metrics) {
        if let Some((_, array)) = columns.value.and_then(|at| column_at(input, at)) {
            if !matches!(array.data_type(), DataType::Float64) {
                let flag = matches!(model.metric(id), Some((_, MetricKind::Flag)));
                let values = to_f64(id, array.as_ref(), flag, &mut owned.problems)?;
                owned.metrics.push((id.to_string(), values));
            }
        }
    }
    for (field, array) in layout
        .read_dates
        .iter()
        .filter_map(|at| column_at(input, *at))
    {
        if matches!(array.data_type(), DataType::Utf8) {
            let name = field.name();
            let days = text_days(name, array.as_ref(), &mut owned.problems);
            owned.dates.push((name.clone(), days));
        }
    }
    Ok(owned)
}

impl Owned {
    /// A date column read from text, by name.
    fn days(&self, name: &str) -> Option<&[i32]> {
        self.dates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
    }
}

/// Borrowed views of the stage and previous-band columns.
pub(crate) struct Text<'a> {
    stages: Option<Vec<Option<&'a str>>>,
    previous: Option<Vec<Option<Band>>>,
    /// Per `<metric>__author` column: the metric and each row's author.
    authors: Vec<(&'a str, Vec<Option<&'a str>>)>,
    /// Rows whose cells could not be read (a previous band that is not
    /// one), and why.
    pub(crate) problems: Vec<(usize, String)>,
}

/// The text columns of a block.
pub(crate) fn text<'a>(layout: &Layout, input: &'a RecordBatch) -> Result<Text<'a>, Error> {
    let strings = |name: &str,
                   column: Option<&'a arrow_array::ArrayRef>|
     -> Result<Option<Vec<Option<&'a str>>>, Error> {
        match column {
            None => Ok(None),
            Some(a) if matches!(a.data_type(), DataType::Utf8) => {
                Ok(Some(a.as_string::<i32>().iter().collect()))
            }
            Some(a) => Err(wrong(name, a.data_type(), "Utf8")),
        }
    };
    let convention = |c: Convention| strings(c.name(), layout.get(input, c));
    let stages = convention(Convention::Stage)?;
    // A cell that is not a band rejects its row, as any other unreadable
    // cell does, not the batch. Case and surrounding spaces do not count
    // (`"Green "` from a spreadsheet is green).
    let mut problems = Vec::new();
    let previous = convention(Convention::PreviousBand)?.map(|v| {
        v.iter()
            .enumerate()
            .map(|(row, b)| {
                let s = (*b)?;
                s.parse::<Band>()
                    .map_err(|e| problems.push((row, format!("previous_band: {e}"))))
                    .ok()
            })
            .collect()
    });
    let mut authors = Vec::new();
    for (field, array) in layout.authors.iter().filter_map(|at| column_at(input, *at)) {
        if let Some(metric) = field.name().strip_suffix("__author") {
            if let Some(names) = strings(field.name(), Some(array))? {
                authors.push((metric, names));
            }
        }
    }
    Ok(Text {
        stages,
        previous,
        authors,
        problems,
    })
}

/// The record batch as a batch of the model, borrowing every column it can.
pub(crate) fn batch<'a>(
    model: &'a Model,
    layout: &Layout,
    input: &'a RecordBatch,
    owned: &'a Owned,
    text: &'a Text<'a>,
    options: &Options,
) -> Result<(Batch<'a>, Vec<(usize, String)>), Error> {
    let mut problems = Vec::new();
    let id = column(layout, input, Convention::Id)?;
    let ids = match id.data_type() {
        DataType::Utf8 => {
            let s = id.as_string::<i32>();
            Ids::Utf8 {
                offsets: s.value_offsets(),
                data: s.value_data(),
            }
        }
        DataType::Int64 => Ids::Int(id.as_primitive::<Int64Type>().values()),
        DataType::UInt64 => Ids::UInt(id.as_primitive::<UInt64Type>().values()),
        other => return Err(wrong("id", other, "Utf8, Int64 or UInt64")),
    };
    let mrr_array = column(layout, input, Convention::Mrr)?;
    let mrr = match mrr_array.data_type() {
        DataType::Decimal128(_, s) => Mrr::Scaled128 {
            values: mrr_array
                .as_primitive::<arrow_array::types::Decimal128Type>()
                .values(),
            scale: u32::try_from(*s).unwrap_or(0),
        },
        DataType::Int64 => Mrr::Scaled64 {
            values: mrr_array.as_primitive::<Int64Type>().values(),
            scale: 0,
        },
        _ => Mrr::Decimal(&owned.mrr),
    };
    let employees = match column(layout, input, Convention::Employees)? {
        a if matches!(a.data_type(), DataType::UInt32) => {
            a.as_primitive::<UInt32Type>().values().as_ref()
        }
        _ => owned.employees.as_slice(),
    };
    let as_of = match layout.get(input, Convention::AsOf) {
        Some(a) => match a.data_type() {
            DataType::Date32 => Dates::Days(a.as_primitive::<Date32Type>().values()),
            DataType::Utf8 => Dates::Days(owned.days("as_of").unwrap_or_default()),
            other => return Err(wrong("as_of", other, "Date32 or dates as text")),
        },
        None => Dates::One(
            options
                .as_of
                .ok_or_else(|| Error::column("as_of", NO_AS_OF))?,
        ),
    };
    let mut batch = Batch::new(ids, mrr, employees, as_of);
    if let Some(stages) = &text.stages {
        batch = batch.stages(stages);
    }
    if let Some(previous) = &text.previous {
        batch = batch.previous_bands(previous);
    }
    if let Some(scores) = &owned.previous_scores {
        batch = batch.previous_scores(scores);
    }
    // Named dates and events for CTA rules: `renewal__date` is the date
    // `renewal`, `champion_lost__event` the day of the event
    // `champion_lost`.
    for (field, array) in layout.dates.iter().filter_map(|at| column_at(input, *at)) {
        let column = field.name();
        let (name, event) = match column.strip_suffix("__date") {
            Some(name) => (name, false),
            None => match column.strip_suffix("__event") {
                Some(name) => (name, true),
                None => continue,
            },
        };
        let days = match array.data_type() {
            DataType::Date32 => array.as_primitive::<Date32Type>().values(),
            DataType::Utf8 => owned.days(column).unwrap_or_default(),
            other => return Err(wrong(column, other, "Date32 or dates as text")),
        };
        let (days, valid) = (Dates::Days(days), validity(array.as_ref()));
        batch = if event {
            batch.event(name, days, valid)
        } else {
            batch.date(name, days, valid)
        };
    }
    batch.reserve_metrics(layout.metrics.len());
    for (id, columns) in model.metric_ids().zip(&layout.metrics) {
        let Some((_, array)) = columns.value.and_then(|at| column_at(input, at)) else {
            continue; // the scorer names every missing metric
        };
        let values: &[f64] = match owned.metrics.iter().find(|(m, _)| m == id) {
            Some((_, v)) => v,
            None => array.as_primitive::<Float64Type>().values(),
        };
        let mut column = MetricColumn::new(values).validity(validity(array.as_ref()));
        if let Some((_, names)) = text.authors.iter().find(|(m, _)| m == &id) {
            column = column.authors(names);
        }
        if let Some((field, dates)) = columns.observed_on.and_then(|at| column_at(input, at)) {
            let observed = field.name();
            let days = match dates.data_type() {
                DataType::Date32 => dates.as_primitive::<Date32Type>().values(),
                DataType::Utf8 => owned.days(observed).unwrap_or_default(),
                other => return Err(wrong(observed, other, "Date32 or dates as text")),
            };
            // A value needs its date (a null's slot holds an arbitrary
            // day); a missing value needs none.
            for row in (0..dates.len()).filter(|r| dates.is_null(*r) && array.is_valid(*r)) {
                problems.push((row, format!("{observed}: missing where {id} has a value")));
            }
            column = column.observed(Dates::Days(days));
        }
        batch.push_metric(id, column);
    }
    Ok((batch, problems))
}
