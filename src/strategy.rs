//! Proptest strategies for property-testing score rules (feature `proptest`).
//!
//! They generate inputs that are valid for a given model, so properties can
//! be about the rules rather than about input errors ([`account`]; with a
//! CTA rule set's dates, events and previous values,
//! [`account_for_rules`]):
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::strategy;
//! use proptest::prelude::*;
//!
//! let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! proptest!(|(data in strategy::account(&model, as_of))| {
//!     let account = model.bind(data).expect("generated accounts are valid");
//!     let score = account.score();
//!     prop_assert!(score.overall().map_or(true, |p| p.to_f64() <= 100.0));
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::account::AccountData;
use crate::metric::MetricKind;
use crate::model::Model;
use crate::value::date::{FIRST, LAST};
use crate::value::{Observation, Value};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Valid values of a metric kind: ratios in 0..=1, NPS in −100..=100,
/// counts and money up to 10⁶, ratings within their scale, flags.
pub fn value(kind: &MetricKind) -> BoxedStrategy<Value> {
    let scale = |min: Decimal, max: Decimal| {
        let (lo, hi) = (min.round_dp(6), max.round_dp(6));
        let span = (hi - lo) * Decimal::from(1_000_000);
        let steps = span.trunc().mantissa().clamp(0, i128::from(i64::MAX)) as i64;
        (0..=steps)
            .prop_map(move |k| Value::Exact(lo + Decimal::new(k, 6)))
            .boxed()
    };
    match kind {
        MetricKind::Ratio => (0u32..=1_000_000)
            .prop_map(|m| Value::Exact(Decimal::new(m.into(), 6)))
            .boxed(),
        MetricKind::Flag => any::<bool>().prop_map(Value::Flag).boxed(),
        MetricKind::Nps => (-100i64..=100)
            .prop_map(|v| Value::Exact(Decimal::from(v)))
            .boxed(),
        MetricKind::Count => (0i64..=1_000_000_000)
            .prop_map(|m| Value::Exact(Decimal::new(m, 3)))
            .boxed(),
        MetricKind::Money => (0i64..=100_000_000)
            .prop_map(|c| Value::Exact(Decimal::new(c, 2)))
            .boxed(),
        MetricKind::Csat { min, max } | MetricKind::Judgement { min, max } => scale(*min, *max),
    }
}

/// Accounts of a model as of a date, always valid for it: MRR spanning the
/// model's MRR tiers, employee counts spanning its size tiers, a declared
/// stage or none, and each metric observed with probability 0.85, mostly
/// within the last 30 days and one time in five up to 400 days back (so
/// values with a maximum age are sometimes stale), sometimes with an older,
/// superseded observation too. Scores therefore spread over every band and
/// insufficient data.
pub fn account(model: &Model, as_of: NaiveDate) -> BoxedStrategy<AccountData> {
    let config = model.config();
    let top_mrr = config
        .segments
        .mrr_tiers
        .last()
        .map_or(Decimal::ZERO, |t| t.from);
    let max_mrr_cents = ((top_mrr * Decimal::from(200)).trunc().mantissa() + 100_000)
        .clamp(1, 10_i128.pow(17)) as i64;
    let top_size = config.segments.size_tiers.last().map_or(0, |t| t.from);
    let max_employees = top_size.saturating_mul(2).max(100);
    let mut stages: Vec<Option<String>> = vec![None];
    stages.extend(config.segments.stages.iter().cloned().map(Some));
    let metrics: Vec<_> = config
        .metrics
        .iter()
        .map(|m| {
            let judged = matches!(m.kind, MetricKind::Judgement { .. });
            let id = m.id.clone();
            let ago = prop_oneof![4 => 0i64..30, 1 => 0i64..400];
            let one = (value(&m.kind), ago, any::<bool>(), 1i64..30);
            proptest::option::weighted(0.85, one).prop_map(move |o| {
                o.map(|(v, ago, superseded, gap)| (id.clone(), judged, v, ago, superseded, gap))
            })
        })
        .collect();
    (
        0..=max_mrr_cents,
        0..=max_employees,
        prop::sample::select(stages),
        metrics,
    )
        .prop_map(move |(cents, employees, stage, observed)| {
            let mut data = AccountData::new("generated", Decimal::new(cents, 2), employees, as_of);
            data.stage = stage;
            for (id, judged, value, ago, superseded, gap) in observed.into_iter().flatten() {
                // Near the calendar's start (year 1), observations fall on
                // its first day.
                let back = |from: NaiveDate, days: i64| {
                    from.checked_sub_days(chrono::Days::new(days.unsigned_abs()))
                        .map_or(FIRST, |d| d.max(FIRST))
                };
                let on = back(as_of, ago);
                let mut obs = Observation::new(id, value, on);
                if judged {
                    obs = obs.by("csm", "generated");
                }
                // An older value, where the calendar has a day before it (on
                // the same day it would be a tie, which binding refuses).
                let before = back(on, gap);
                if superseded && before < on {
                    let mut old = obs.clone();
                    old.observed_on = before;
                    data.observations.push(old);
                }
                data.observations.push(obs);
            }
            data
        })
        .boxed()
}

/// Accounts as a rule set sees them: [`account`]'s, plus what rules read
/// beyond the score. Each has a previous band and a previous score one
/// time in two (independently, so that a band drop, a score fall and
/// hysteresis all occur), each date the rule set reads (its declared
/// dates, and a lifecycle's entry date when it was compiled with one) four
/// times in five, and each event it reads zero to two times. Dates fall
/// within 400 days either side of `as_of`, half of them within 120 (where
/// "renewal in 90 days" decides); events happen on `as_of` or up to 400
/// days before it, half of them within 60.
///
/// So a property can be about any rule of the set, without the test
/// knowing the names its rules use. Evaluate the accounts with the model
/// the rule set was compiled for: another model's scores are refused
/// ([`ModelMismatch`](crate::model::ModelMismatch)).
///
/// # Examples
///
/// A team's own property: an account whose band dropped two or more
/// bands opens the playbook's `dropped` CTA on its first evaluation.
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::cta::{Action, RuleSet, RuleSetConfig};
/// use healthscore::{strategy, Model};
/// use proptest::prelude::*;
///
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let rules: RuleSetConfig = serde_json::from_str(r#"{
///   "rules": [{"id": "dropped", "title": "Dropped two bands", "kind": "risk",
///              "touch": "high-touch", "owner": "csm", "when": {"dropped_bands": 2}}]
/// }"#)?;
/// let rules = RuleSet::new(rules, &model)?;
/// let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
/// proptest!(|(data in strategy::account_for_rules(&model, &rules, as_of))| {
///     let account = model.bind(data).expect("generated accounts are valid");
///     let score = account.score();
///     let dropped = match (account.data().previous_band, score.band()) {
///         (Some(before), Some(now)) => now.index() >= before.index() + 2,
///         _ => false,
///     };
///     let eval = rules.evaluate(&score, &[], &[]).expect("rules of this model");
///     let opened = eval.actions.iter().any(|a| matches!(a, Action::Open(c) if c.rule == "dropped"));
///     prop_assert_eq!(opened, dropped);
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn account_for_rules(
    model: &Model,
    rules: &crate::cta::RuleSet,
    as_of: NaiveDate,
) -> BoxedStrategy<AccountData> {
    let shifted = move |days: i64| {
        let moved = if days >= 0 {
            as_of.checked_add_days(chrono::Days::new(days.unsigned_abs()))
        } else {
            as_of.checked_sub_days(chrono::Days::new(days.unsigned_abs()))
        };
        // Near the ends of the years accounts may use (1 to 9999), on
        // their first or last day.
        moved.map_or(if days >= 0 { LAST } else { FIRST }, |d| {
            d.clamp(FIRST, LAST)
        })
    };
    let dates: Vec<_> = rules
        .reads
        .dates
        .iter()
        .map(|name| {
            let name = name.clone();
            let days = prop_oneof![-120i64..=120, -400i64..=400];
            proptest::option::weighted(0.8, days).prop_map(move |d| (name.clone(), d))
        })
        .collect();
    let events: Vec<_> = rules
        .reads
        .events
        .iter()
        .map(|name| {
            let name = name.clone();
            let ago = prop_oneof![0i64..=60, 0i64..=400];
            prop::collection::vec(ago, 0..=2).prop_map(move |d| (name.clone(), d))
        })
        .collect();
    let previous = (
        proptest::option::of(prop::sample::select(crate::Band::ALL.to_vec())),
        proptest::option::of(0u32..=100_000_000),
    );
    (account(model, as_of), previous, dates, events)
        .prop_map(move |(mut data, (band, score), dates, events)| {
            data.previous_band = band;
            data.previous_score = score.and_then(crate::Points::from_micros);
            for (name, days) in dates {
                if let Some(days) = days {
                    data.dates.insert(name, shifted(days));
                }
            }
            for (name, ago) in events {
                for days in ago {
                    data.events.push(crate::account::Event {
                        name: name.clone(),
                        date: shifted(-days),
                    });
                }
            }
            data
        })
        .boxed()
}
