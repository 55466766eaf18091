//! A batch's rows as the row API's input: to bind, score and explain a
//! row with the row API itself (an explanation per account, a summary
//! with the lowest accounts explained).

use super::input::{Batch, BatchError, ColumnProblem};
use super::rows::{self, Bound};
use super::Scorer;
use crate::{AccountData, AccountError, ScoreRecord};

impl<'m> Scorer<'m> {
    /// Row `row` of a batch as the row API's input (for binding, scoring
    /// and explaining it with the row API).
    ///
    /// # Errors
    ///
    /// [`BatchError`] when the columns do not fit the model, or when the
    /// batch has no row `row` ([`ColumnProblem::Row`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer};
    /// use healthscore::Model;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("a date")?;
    /// let ids = ["acme", "globex"];
    /// let (mrr, employees) = ([120_000_i64, 4_500], [80_u32, 12]);
    /// let values = [0.5, 0.9];
    /// let mut batch = Batch::new(Ids::Str(&ids), Mrr::Scaled64 { values: &mrr, scale: 2 }, &employees, Dates::One(day));
    /// let metrics: Vec<&str> = model.metric_ids().collect();
    /// for id in &metrics {
    ///     batch.push_metric(id, MetricColumn::new(&values));
    /// }
    /// let scorer = Scorer::new(&model);
    /// let globex = scorer.account_data(&batch, 1)?;
    /// assert_eq!((globex.id.as_str(), globex.observations.len()), ("globex", metrics.len()));
    /// assert!(scorer.account_data(&batch, 2).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn account_data(&self, batch: &Batch<'_>, row: usize) -> Result<AccountData, BatchError> {
        if row >= batch.len() {
            return Err(BatchError {
                problems: vec![ColumnProblem::Row {
                    row,
                    rows: batch.len(),
                }],
            });
        }
        let bound = Bound::new(self.model, batch)?;
        Ok(rows::account_data(self.model, batch, &bound, row))
    }

    /// Every row of a batch as the row API's input, in row order: what
    /// [`account_data`](Self::account_data) gives for each, with the
    /// columns bound to the model once rather than once a row. The rows
    /// borrow the model and the batch, not the scorer.
    ///
    /// # Errors
    ///
    /// [`BatchError`] when the columns do not fit the model.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer};
    /// use healthscore::Model;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("a date")?;
    /// let ids = [1_i64, 2];
    /// let (mrr, employees) = ([120_000_i64, 4_500], [80_u32, 12]);
    /// let values = [0.5, 0.9];
    /// let mut batch = Batch::new(Ids::Int(&ids), Mrr::Scaled64 { values: &mrr, scale: 2 }, &employees, Dates::One(day));
    /// for id in model.metric_ids() {
    ///     batch.push_metric(id, MetricColumn::new(&values));
    /// }
    /// // The rows borrow the model and the batch, not the scorer: a
    /// // function may build its scorer and return the rows.
    /// fn row_ids(model: &Model, batch: &Batch<'_>) -> Result<Vec<String>, healthscore::batch::BatchError> {
    ///     let rows = Scorer::new(model).accounts(batch)?;
    ///     Ok(rows.map(|a| a.id).collect())
    /// }
    /// assert_eq!(row_ids(&model, &batch)?, ["1", "2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accounts<'b>(
        &self,
        batch: &'b Batch<'b>,
    ) -> Result<impl ExactSizeIterator<Item = AccountData> + use<'b, 'm>, BatchError> {
        let bound = Bound::new(self.model, batch)?;
        let model = self.model;
        Ok((0..batch.len()).map(move |row| rows::account_data(model, batch, &bound, row)))
    }

    /// Explains one row: the row API's [`ScoreRecord`] for it, with every
    /// dimension's and metric's contribution, what is missing or stale,
    /// and what pulls the score down most.
    ///
    /// # Errors
    ///
    /// [`RecordError`]: the columns do not fit (or there is no row `row`),
    /// or the row has bad data.
    pub fn record(&self, batch: &Batch<'_>, row: usize) -> Result<ScoreRecord, RecordError> {
        let data = self.account_data(batch, row)?;
        Ok(self.model.bind(data)?.score().record())
    }
}

/// Why a row could not be explained.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The batch's columns do not fit the model.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The row's data is bad.
    #[error(transparent)]
    Row(#[from] AccountError),
}
