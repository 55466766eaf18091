//! A batch: borrowed columns describing many accounts.

use super::columns::{Dates, Ids, MetricColumn, Mrr};
use crate::band::Band;
use chrono::NaiveDate;

/// Accounts as columns, borrowed from the caller: ids, MRR, employees,
/// as-of date(s), optionally lifecycle stage and previous band, and one
/// [`MetricColumn`] per metric, named by metric id.
///
/// Nothing is copied: a batch is a set of slices. A
/// [`Scorer`](super::Scorer) checks that the columns fit its model when it
/// scores the batch ([`BatchError`]).
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr};
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let ids = ["acme", "globex"];
/// let cents = [120_000_i64, 4_500_00];
/// let employees = [80_u32, 12];
/// let weekly_active = [0.5, 0.8];
/// let batch = Batch::new(Ids::Str(&ids), Mrr::Scaled64 { values: &cents, scale: 2 }, &employees, Dates::One(day))
///     .metric("weekly_active", MetricColumn::new(&weekly_active));
/// assert_eq!(batch.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    pub(crate) ids: Ids<'a>,
    pub(crate) mrr: Mrr<'a>,
    pub(crate) employees: &'a [u32],
    pub(crate) as_of: Dates<'a>,
    pub(crate) stages: Option<&'a [Option<&'a str>]>,
    pub(crate) previous: Option<&'a [Option<Band>]>,
    pub(crate) previous_scores: Option<&'a [Option<crate::Points>]>,
    pub(crate) dates: Vec<(&'a str, Dates<'a>, super::columns::Validity<'a>)>,
    pub(crate) events: Vec<(&'a str, Dates<'a>, super::columns::Validity<'a>)>,
    pub(crate) metrics: Vec<(&'a str, MetricColumn<'a>)>,
}

impl<'a> Batch<'a> {
    /// A batch of `ids.len()` accounts with no metric columns yet.
    pub fn new(ids: Ids<'a>, mrr: Mrr<'a>, employees: &'a [u32], as_of: Dates<'a>) -> Self {
        Batch {
            ids,
            mrr,
            employees,
            as_of,
            stages: None,
            previous: None,
            previous_scores: None,
            dates: Vec::new(),
            events: Vec::new(),
            metrics: Vec::new(),
        }
    }

    /// Adds a metric's column.
    pub fn metric(mut self, id: &'a str, column: MetricColumn<'a>) -> Self {
        self.metrics.push((id, column));
        self
    }

    /// Adds a metric's column in place.
    pub fn push_metric(&mut self, id: &'a str, column: MetricColumn<'a>) {
        self.metrics.push((id, column));
    }

    /// Makes room for `additional` more metric columns at once, so that a
    /// caller building a batch per call (a service, a reader's slices)
    /// does not grow the list a column at a time: one allocation, not
    /// one per doubling.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer};
    /// use healthscore::Model;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let mrr = Mrr::Scaled64 { values: &[120_000], scale: 2 };
    /// let mut batch = Batch::new(Ids::Int(&[1]), mrr, &[80], Dates::One(day));
    /// batch.reserve_metrics(model.metric_ids().count());
    /// let values = [0.5];
    /// for id in model.metric_ids() {
    ///     batch.push_metric(id, MetricColumn::new(&values));
    /// }
    /// let scores = Scorer::new(&model).score(&batch)?;
    /// assert_eq!(scores.coverage_micros(), [1_000_000]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_metrics(&mut self, additional: usize) {
        self.metrics.reserve(additional);
    }

    /// Lifecycle stages, one per row (`None`: no stage).
    pub fn stages(mut self, stages: &'a [Option<&'a str>]) -> Self {
        self.stages = Some(stages);
        self
    }

    /// Each account's band at its previous scoring, for the scorecards'
    /// hysteresis.
    pub fn previous_bands(mut self, bands: &'a [Option<Band>]) -> Self {
        self.previous = Some(bands);
        self
    }

    /// Each account's overall score at its previous scoring, for CTA rules
    /// on score changes.
    pub fn previous_scores(mut self, scores: &'a [Option<crate::Points>]) -> Self {
        self.previous_scores = Some(scores);
        self
    }

    /// A named date column (e.g. `renewal`) for CTA rules; rows where
    /// `validity` says so have none.
    pub fn date(
        mut self,
        name: &'a str,
        dates: Dates<'a>,
        validity: super::columns::Validity<'a>,
    ) -> Self {
        self.dates.push((name, dates, validity));
        self
    }

    /// A named event's column (e.g. `champion_lost`) for CTA rules on
    /// events: each row's date of it (its latest, where it happened more
    /// than once: what `event_within` reads); rows where `validity` says
    /// so have none.
    pub fn event(
        mut self,
        name: &'a str,
        dates: Dates<'a>,
        validity: super::columns::Validity<'a>,
    ) -> Self {
        self.events.push((name, dates, validity));
        self
    }

    /// Number of rows (the length of the id column).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id column.
    pub fn ids(&self) -> Ids<'a> {
        self.ids
    }

    /// The MRR column.
    pub fn mrr(&self) -> Mrr<'a> {
        self.mrr
    }

    /// The as-of date of a row.
    pub fn as_of(&self, row: usize) -> Option<NaiveDate> {
        self.as_of.get(row)
    }
}

/// A batch whose columns do not fit the model: every problem found, each
/// naming its column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", join(.problems))]
pub struct BatchError {
    /// What was wrong, column by column.
    pub problems: Vec<ColumnProblem>,
}

/// The problems, `; `-separated; two or more missing metric columns said
/// once, where the first of them was (`columns nps, roi: missing (…)`),
/// not the same advice once a column.
fn join(problems: &[ColumnProblem]) -> String {
    let missing: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            ColumnProblem::Missing(column) => Some(column.as_str()),
            _ => None,
        })
        .collect();
    let mut parts: Vec<String> = Vec::with_capacity(problems.len());
    let mut said = false;
    for p in problems {
        match p {
            ColumnProblem::Missing(_) if missing.len() > 1 => {
                if !std::mem::replace(&mut said, true) {
                    parts.push(format!(
                        "columns {}: missing (the model scores these metrics; give all-missing columns if there is no data)",
                        missing.join(", ")
                    ));
                }
            }
            other => parts.push(other.to_string()),
        }
    }
    parts.join("; ")
}

/// One column that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnProblem {
    /// A column's length differs from the id column's.
    #[error("column {column}: {len} rows, expected {expected}")]
    Length {
        /// The column.
        column: String,
        /// Its rows.
        len: usize,
        /// The id column's rows.
        expected: usize,
    },
    /// The model has a metric the batch has no column for.
    #[error("column {0}: missing (the model scores this metric; give an all-missing column if there is no data)")]
    Missing(String),
    /// A column named after no metric of the model.
    #[error("column {0}: not a metric of the model")]
    Unknown(String),
    /// Two columns for one metric.
    #[error("column {0}: given twice")]
    Duplicate(String),
    /// A scaled MRR column with more than 28 decimal places.
    #[error("column mrr: scale {0} is beyond 28 decimal places")]
    Scale(u32),
    /// A row asked for ([`Scorer::account_data`](super::Scorer::account_data))
    /// that the batch does not have.
    #[error("row {row}: the batch has {rows} rows")]
    Row {
        /// The row asked for.
        row: usize,
        /// The batch's rows.
        rows: usize,
    },
}

/// A row that could not be scored, and why: the same
/// [`AccountError`](crate::AccountError) the row API gives for that account.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("row {row}: {error}")]
pub struct RowError {
    /// The row's index in the batch.
    pub row: usize,
    /// The account and its problems.
    pub error: crate::AccountError,
}
