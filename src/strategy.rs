//! Proptest strategies for property-testing score rules (feature `proptest`).
//!
//! They generate inputs that are valid for a given model, so properties can
//! be about the rules rather than about input errors:
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
                // Near the calendar's start, observations fall on its first day.
                let back = |from: NaiveDate, days: i64| {
                    from.checked_sub_days(chrono::Days::new(days.unsigned_abs()))
                        .unwrap_or(NaiveDate::MIN)
                };
                let on = back(as_of, ago);
                let mut obs = Observation::new(id, value, on);
                if judged {
                    obs = obs.by("csm", "generated");
                }
                if superseded {
                    let mut old = obs.clone();
                    old.observed_on = back(on, gap);
                    data.observations.push(old);
                }
                data.observations.push(obs);
            }
            data
        })
        .boxed()
}
