//! Portfolio summaries and CTA rules over a scored batch.

use super::input::{Batch, BatchError};
use super::output::{BatchScores, NONE};
use super::rows::Bound;
use super::Scorer;
use crate::account::{Account, AccountData};
use crate::cta::{CtaSummary, Evaluation, RuleSet};
use crate::model::{MetricHandle, Model, ModelMismatch};
use crate::portfolio::{PortfolioSummary, Tally};
use crate::value::{Observation, Value};
use rust_decimal::Decimal;
use std::fmt::Write;

/// Why a batch's scores cannot be summarised or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchUseError {
    /// The scores (or the rules) are of another model.
    #[error(transparent)]
    Model(#[from] ModelMismatch),
    /// The batch's columns do not fit the model.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The scores are of a batch with another number of rows.
    #[error("the scores have {scores} rows, the batch {batch}")]
    Rows {
        /// Rows scored.
        scores: usize,
        /// Rows in the batch.
        batch: usize,
    },
}

impl BatchScores {
    /// Adds this batch's accounts to a portfolio summary: counts and exact
    /// MRR per band and segment, stale values; rejected rows are counted
    /// as skipped. The same summary as adding each row's score with
    /// [`PortfolioSummary::add`] (and each rejected row with
    /// [`add_error`](PortfolioSummary::add_error)).
    ///
    /// MRR is summed per segment and band as scaled integers (for scaled
    /// columns) and turned into `Decimal` once per group.
    ///
    /// # Errors
    ///
    /// [`BatchUseError`] when the summary is of another model than the
    /// scores, or the batch is not the one scored.
    pub fn summarise(
        &self,
        batch: &Batch<'_>,
        summary: &mut PortfolioSummary<'_>,
    ) -> Result<(), BatchUseError> {
        if let Some(f) = &self.model {
            ModelMismatch::check(summary.model(), f)?;
        }
        if batch.len() != self.len() {
            return Err(BatchUseError::Rows {
                scores: self.len(),
                batch: batch.len(),
            });
        }
        // (segment, band 0..=4) → (count, unscaled MRR sum or Decimal sum,
        // stale accounts, stale values).
        let segments = self
            .segments()
            .iter()
            .filter(|s| **s != NONE)
            .max()
            .map_or(0, |m| *m as usize + 1);
        let mut groups = vec![(0u64, 0i128, Decimal::ZERO, 0u64, 0u64); segments * 5];
        let scale = batch.mrr.scale();
        let mut skipped = 0u64;
        for row in 0..self.len() {
            let (Some(&seg), Some(&band), Some(&stale)) = (
                self.segments().get(row),
                self.bands().get(row),
                self.stale().get(row),
            ) else {
                continue;
            };
            if seg == NONE {
                skipped += 1;
                continue;
            }
            let at = seg as usize * 5 + band.map_or(4, |b| b.index());
            let Some(g) = groups.get_mut(at) else {
                continue;
            };
            g.0 += 1;
            match batch.mrr.unscaled(row) {
                // Bound rows' MRR is at most 10¹⁵·10^scale: an i128 sum of
                // 2⁶⁴ of them cannot overflow for scale ≤ 18; beyond, it
                // saturates into the Decimal sum.
                Some(v) => match g.1.checked_add(v) {
                    Some(sum) => g.1 = sum,
                    None => {
                        g.2 =
                            g.2.saturating_add(batch.mrr.get(row).unwrap_or(Decimal::MAX))
                    }
                },
                None => g.2 = g.2.saturating_add(batch.mrr.get(row).unwrap_or_default()),
            }
            g.3 += u64::from(stale > 0);
            g.4 += u64::from(stale);
        }
        for (at, (count, unscaled, exact, stale_accounts, stale_values)) in
            groups.into_iter().enumerate()
        {
            if count == 0 {
                continue;
            }
            let scaled = scale.map_or(Decimal::ZERO, |s| {
                super::columns::truncated(unscaled, s).unwrap_or(Decimal::MAX)
            });
            let group = Tally {
                count,
                mrr: scaled.saturating_add(exact),
            };
            let band = crate::Band::ALL.get(at % 5).copied();
            summary.add_group(at / 5, band, group, stale_accounts, stale_values);
        }
        summary.add_skipped(skipped);
        Ok(())
    }
}

/// Calls to action for the rows of a batch: each row that had something
/// to act on, with its evaluation, and the portfolio's CTA counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchCtas {
    /// `(row, evaluation)` for every row whose rules held, in row order.
    pub rows: Vec<(usize, Evaluation)>,
    /// Counts over the batch (rejected rows are not evaluated).
    pub summary: CtaSummary,
}

/// One reusable account per thread, refilled from the columns row after
/// row: after the first rows, evaluating a quiet row allocates nothing.
struct Refill {
    handles: Vec<MetricHandle>,
    data: Option<Box<AccountData>>,
}

impl Refill {
    fn new(model: &Model) -> Refill {
        Refill {
            handles: model
                .metrics
                .iter()
                .filter_map(|m| model.metric_handle(&m.id))
                .collect(),
            data: None,
        }
    }

    fn fill(
        &mut self,
        model: &Model,
        batch: &Batch<'_>,
        bound: &Bound<'_>,
        row: usize,
    ) -> Box<AccountData> {
        let mut data = self.data.take().unwrap_or_else(|| {
            Box::new(AccountData::new(
                String::new(),
                Decimal::ZERO,
                0,
                crate::value::date::FIRST,
            ))
        });
        data.id.clear();
        if let Some(id) = batch.ids.get(row) {
            let _ = write!(data.id, "{id}");
        }
        data.mrr = batch.mrr.get(row).unwrap_or(Decimal::MAX);
        data.employees = batch.employees.get(row).copied().unwrap_or(0);
        data.as_of = batch.as_of.get(row).unwrap_or(crate::value::date::FIRST);
        data.stage = batch
            .stages
            .and_then(|s| s.get(row).copied().flatten())
            .map(str::to_string);
        data.previous_band = batch.previous.and_then(|p| p.get(row).copied().flatten());
        data.previous_score = batch
            .previous_scores
            .and_then(|p| p.get(row).copied().flatten());
        data.dates.clear();
        for (name, dates, validity) in &batch.dates {
            if validity.is_valid(row) {
                if let Some(d) = dates.get(row) {
                    data.dates.insert((*name).to_string(), d);
                }
            }
        }
        data.events.clear();
        for (name, dates, validity) in &batch.events {
            if validity.is_valid(row) {
                if let Some(date) = dates.get(row) {
                    data.events.push(crate::account::Event {
                        name: (*name).to_string(),
                        date,
                    });
                }
            }
        }
        data.observations.clear();
        for ((handle, column), metric) in self
            .handles
            .iter()
            .zip(&bound.metrics)
            .zip(model.metrics.iter())
        {
            if !column.validity.is_valid(row) {
                continue;
            }
            let Some(&x) = column.values.get(row) else {
                continue;
            };
            let on = column
                .observed
                .and_then(|d| d.get(row))
                .unwrap_or(data.as_of);
            let mut obs = Observation::by_handle(*handle, Value::Number(x), on);
            if matches!(metric.kind, crate::MetricKind::Judgement { .. }) {
                obs.author = column
                    .authors
                    .and_then(|a| a.get(row).copied().flatten())
                    .map(str::to_string);
            }
            data.observations.push(obs);
        }
        data
    }

    fn give_back(&mut self, account: Account<'_>) {
        self.data = Some(account.data);
    }
}

impl Scorer<'_> {
    /// Evaluates CTA rules on every scorable row of a batch: the row API's
    /// [`RuleSet::evaluate`] (no records, no rules held before) on each
    /// row, refilling one reusable account from the columns, so that rules
    /// see exactly what they would see for the same account scored alone
    /// (named dates, events and previous scores from the batch's
    /// columns).
    ///
    /// # Errors
    ///
    /// [`BatchUseError`] when the rules are compiled for another model, or
    /// the columns do not fit.
    pub fn evaluate(&self, rules: &RuleSet, batch: &Batch<'_>) -> Result<BatchCtas, BatchUseError> {
        let model = self.model();
        ModelMismatch::check(rules.model(), model.fingerprint())?;
        let bound = Bound::new(model, batch)?;
        let mut refill = Refill::new(model);
        let mut out = BatchCtas::default();
        for row in 0..batch.len() {
            let data = refill.fill(model, batch, &bound, row);
            let Ok(account) = model.bind_boxed(data) else {
                continue;
            };
            let eval = rules.evaluate(&account.score(), &[], &[])?;
            out.summary.add(&eval);
            if !eval.actions.is_empty() || !eval.held.is_empty() {
                out.rows.push((row, eval));
            }
            refill.give_back(account);
        }
        Ok(out)
    }
}
