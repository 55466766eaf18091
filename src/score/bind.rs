//! Binding: validating an account's data against a model, once, so that
//! scoring is infallible and allocation-free.

use super::account::{is_blank_id, Account, AccountData, AccountError, AccountProblem, MAX_MRR};
use crate::metric::ValueProblem;
use crate::model::Model;
use crate::slots::{Slot, Slots, MAX_OBSERVATIONS};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

impl Model {
    /// Validates an account's data against this model.
    ///
    /// The data moves into a box the account keeps (its one allocation,
    /// with observations set by [handle](crate::AccountData::observe_handle)):
    /// scoring reads only the account's slots, and a `Vec<Account>` then
    /// holds just those and a pointer per account.
    ///
    /// When a metric is observed several times the latest observation is
    /// used, whatever the order given. Nothing is dropped silently: an
    /// unknown metric, a value out of its kind's range (NaN, ±inf, a ratio of
    /// 1.7, an NPS of 140, a negative count), a value dated after `as_of`,
    /// two values of one metric on its latest date (which one to score
    /// cannot be told), or a negative MRR is an error. Two values on an
    /// earlier date are not read, as every value but the latest is not.
    ///
    /// # Errors
    ///
    /// An [`AccountError`] naming the account and listing every problem.
    ///
    /// # Examples
    ///
    /// ```
    /// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// use chrono::{Datelike, NaiveDate};
    /// use healthscore::{AccountData, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let bad = AccountData::new("acme", dec!(-5), 10, day)
    ///     .observe(Observation::new("weekly_active", 1.7, day));
    /// let err = model.bind(bad).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "account acme: mrr -5 is negative; weekly_active: ratio number 1.7 is outside 0..=1"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind(&self, data: AccountData) -> Result<Account<'_>, AccountError> {
        self.bind_boxed(Box::new(data))
    }

    /// [`bind`](Self::bind) of data already boxed: a caller that binds
    /// account after account reuses one box (the batch path's CTA
    /// evaluation), so that binding allocates nothing.
    pub(crate) fn bind_boxed(&self, data: Box<AccountData>) -> Result<Account<'_>, AccountError> {
        let mut problems = Vec::new();
        if is_blank_id(&data.id) {
            problems.push(AccountProblem::EmptyId);
        }
        if data.mrr.is_sign_negative() && !data.mrr.is_zero() {
            problems.push(AccountProblem::NegativeMrr(data.mrr));
        } else if data.mrr.mantissa() > i128::from(MAX_MRR) && data.mrr > Decimal::from(MAX_MRR) {
            // (|mrr| ≤ its mantissa: most MRRs skip the decimal comparison.)
            problems.push(AccountProblem::HugeMrr(data.mrr));
        }
        check_dates(&data, &mut problems);
        let seg = &self.segmentation;
        let stage_slot = match (&data.stage, seg.stages.is_empty()) {
            (Some(s), false) => match seg.stages.iter().position(|x| x == s) {
                Some(i) => i + 1,
                None => {
                    problems.push(AccountProblem::UnknownStage(s.clone()));
                    0
                }
            },
            _ => 0,
        };
        if data.observations.len() > MAX_OBSERVATIONS {
            problems.push(AccountProblem::TooManyObservations(data.observations.len()));
            return Err(AccountError {
                account: data.id,
                problems,
            });
        }
        let mut slots = Slots::new(self.metrics.len());
        // Ages in days as differences of day numbers (cheaper than chrono's
        // date subtraction, which binding would pay per observation).
        let as_of_days = i64::from(data.as_of.num_days_from_ce());
        let slot_of = slots.as_mut_slice();
        // (metric, date) of each value dated as the one its metric held
        // then: an error if that date is still the metric's latest at the
        // end (which value to score cannot be told), whatever the order.
        // Empty, without an allocation, for an account without ties.
        let mut ties: Vec<(usize, NaiveDate)> = Vec::new();
        for (n, obs) in data.observations.iter().enumerate() {
            let index = match obs.handle {
                Some(h) if h.model == self.fingerprint.hash => Some(h.index()),
                Some(_) => {
                    problems.push(AccountProblem::ForeignHandle(n));
                    continue;
                }
                None => self.by_id.get(obs.metric.as_str()).copied(),
            };
            let Some(i) = index else {
                problems.push(AccountProblem::UnknownMetric(obs.metric.clone()));
                continue;
            };
            let (Some(metric), Some(slot)) = (self.metrics.get(i), slot_of.get_mut(i)) else {
                continue;
            };
            let name = || metric.id.clone();
            if obs.observed_on < crate::value::date::FIRST {
                // On an as-of date out of range (the date a columnar row's
                // observations default to), it is that one problem, which
                // `check_dates` reports: not one more per metric.
                if obs.observed_on != data.as_of {
                    problems.push(AccountProblem::DateOutOfRange {
                        what: format!("observation of {}", metric.id),
                        date: obs.observed_on,
                    });
                }
                continue;
            }
            if obs.observed_on > data.as_of {
                problems.push(AccountProblem::ObservedAfterAsOf {
                    metric: name(),
                    observed: obs.observed_on,
                    as_of: data.as_of,
                });
                continue;
            }
            let value = match metric.check(&obs.value) {
                Ok(v) => v,
                Err(problem) => {
                    problems.push(AccountProblem::Value {
                        metric: name(),
                        problem,
                    });
                    continue;
                }
            };
            if matches!(metric.kind, crate::MetricKind::Judgement { .. }) && obs.author.is_none() {
                let problem = ValueProblem::MissingAuthor;
                problems.push(AccountProblem::Value {
                    metric: name(),
                    problem,
                });
                continue;
            }
            // The date of the observation this slot holds so far, if any.
            let held = slot
                .observation()
                .and_then(|i| data.observations.get(i))
                .map(|o| o.observed_on);
            match held {
                Some(d) if d == obs.observed_on => ties.push((i, d)),
                Some(d) if d > obs.observed_on => {}
                _ => {
                    let stale = metric.max_age_days.is_some_and(|max| {
                        let age = as_of_days - i64::from(obs.observed_on.num_days_from_ce());
                        age > i64::from(max)
                    });
                    *slot = Slot::new(value, n, stale);
                }
            }
        }
        // Each tie still on its metric's latest date, once, in model order.
        ties.sort_unstable();
        ties.dedup();
        for (i, date) in ties {
            let latest = slot_of
                .get(i)
                .and_then(|slot| slot.observation())
                .and_then(|k| data.observations.get(k))
                .map(|o| o.observed_on);
            if let (Some(metric), true) = (self.metrics.get(i), latest == Some(date)) {
                problems.push(AccountProblem::DuplicateObservation {
                    metric: metric.id.clone(),
                    date,
                });
            }
        }
        if !problems.is_empty() {
            return Err(AccountError {
                account: data.id,
                problems,
            });
        }
        let (m, s) = seg.locate(data.mrr, data.employees);
        let segment = seg.index(m, s, stage_slot);
        let card = self.card_of_segment.get(segment).map_or(0, |c| *c as usize);
        Ok(Account {
            model: self,
            card,
            segment,
            previous: data.previous_band,
            slots,
            data,
        })
    }
}

/// The as-of, named and event dates of an account within the documented
/// years (input parsing guarantees it; the Rust API does not). Observation
/// dates are checked in `bind`'s own loop. No allocation unless a date is
/// out of range.
fn check_dates(data: &AccountData, problems: &mut Vec<AccountProblem>) {
    use crate::value::date::in_range;
    let mut out = |what: String, date: NaiveDate| {
        problems.push(AccountProblem::DateOutOfRange { what, date });
    };
    if !in_range(data.as_of) {
        out("as_of".into(), data.as_of);
    }
    for (name, d) in data.dates.iter().filter(|(_, d)| !in_range(**d)) {
        out(format!("date {name}"), *d);
    }
    for e in data.events.iter().filter(|e| !in_range(e.date)) {
        out(format!("event {}", e.name), e.date);
    }
}
