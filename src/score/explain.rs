//! Explanations: what each dimension and metric contributed to a score, and
//! what pulled it down, in points that add up exactly.

use crate::dimension::Dimension;
use crate::points::{div_round, Points, Share};
use crate::score::compute::metric_outcome;
use crate::score::Score;
use crate::value::Observation;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a score is what it is.
///
/// Dimensions come in DEAR order, metrics in the order of the model's
/// configuration (only those weighted in the scorecard).
///
/// Contributions are points of the overall score: the dimension
/// contributions sum exactly to the overall score, and the metric
/// contributions of a dimension sum exactly to its contribution. Rounding
/// remainders are shared by the largest-remainder method (ties to the
/// earlier dimension or metric), so nothing is lost or invented.
///
/// # Examples
///
/// ```
/// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// use chrono::NaiveDate;
/// use healthscore::{AccountData, Observation, Points};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let account = model.bind(
///     AccountData::new("acme", dec!(1200), 80, day)
///         .observe(Observation::new("weekly_active", 0.22, day)),
/// )?;
/// let score = account.score();
/// let why = score.explain();
/// let total: u32 = why.metrics.iter().map(|m| m.contribution.micros()).sum();
/// assert_eq!(Some(total), score.overall().map(Points::micros));
/// assert_eq!(why.missing().collect::<Vec<_>>(), ["nps"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation<'a> {
    /// One entry per dimension weighted in the scorecard, in DEAR order.
    pub dimensions: Vec<DimensionPart>,
    /// One entry per metric weighted in the scorecard, in model order.
    pub metrics: Vec<MetricPart<'a>>,
}

/// A dimension's part in a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionPart {
    /// The dimension.
    pub dimension: Dimension,
    /// Its score, `None` when none of its metrics could be scored.
    pub score: Option<Points>,
    /// Share of its metric weight that had data.
    pub coverage: Share,
    /// Points it contributes to the overall score.
    pub contribution: Points,
}

/// How a metric's value was used.
///
/// Serialised as `{"kind": "observed"}`, `{"kind": "stale", "age_days": 40}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MetricStatus {
    /// An observed value was scored.
    Observed,
    /// No value: excluded, or imputed by the missing policy.
    Missing,
    /// A value outside a bounded curve's range: treated as missing.
    OutOfRange,
    /// A value older than the metric's maximum age: treated as missing.
    Stale {
        /// Days between the observation and the account's as-of date.
        age_days: i64,
    },
}

/// For people: `observed`, `missing`, `out of range`, `stale, 40 days`
/// (the `Debug` form, `Stale { age_days: 40 }`, is for programmers; the
/// serialised form is above).
///
/// # Examples
///
/// ```
/// use healthscore::score::MetricStatus;
/// assert_eq!(MetricStatus::Stale { age_days: 1 }.to_string(), "stale, 1 day");
/// assert_eq!(MetricStatus::Stale { age_days: 178 }.to_string(), "stale, 178 days");
/// assert_eq!(MetricStatus::OutOfRange.to_string(), "out of range");
/// ```
impl fmt::Display for MetricStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricStatus::Observed => f.write_str("observed"),
            MetricStatus::Missing => f.write_str("missing"),
            MetricStatus::OutOfRange => f.write_str("out of range"),
            MetricStatus::Stale { age_days: 1 } => f.write_str("stale, 1 day"),
            MetricStatus::Stale { age_days } => write!(f, "stale, {age_days} days"),
        }
    }
}

/// A metric's part in a score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricPart<'a> {
    /// The metric's id.
    pub id: &'a str,
    /// Its human label.
    pub label: &'a str,
    /// Its dimension.
    pub dimension: Dimension,
    /// How its value was used.
    pub status: MetricStatus,
    /// The observation used (also present when out of range).
    pub observation: Option<&'a Observation>,
    /// Its score: observed, or imputed by the missing policy; `None` when
    /// excluded (its weight went to the others).
    pub score: Option<Points>,
    /// Points it contributes to the overall score.
    pub contribution: Points,
    /// Points of the overall score it costs: how much higher the overall
    /// would be were this metric at 100 (0 when excluded).
    pub shortfall: Points,
    /// For a target-range curve, on which side of the target its observed
    /// value lies; `None` for other curves or without a value.
    pub side: Option<crate::model::TargetSide>,
    /// The colour of its measured score, by the metric's own thresholds or
    /// else the scorecard's; `None` without a measured value (an imputed
    /// score gets no colour).
    pub band: Option<crate::Band>,
}

impl MetricPart<'_> {
    /// Whether its score was imputed by the missing policy (`worst` or
    /// `neutral`) rather than measured.
    pub fn is_imputed(&self) -> bool {
        self.status != MetricStatus::Observed && self.score.is_some()
    }

    /// Whether a fresh, in-range value was scored.
    pub fn is_measured(&self) -> bool {
        self.status == MetricStatus::Observed
    }
}

impl<'a> Explanation<'a> {
    /// The scored metric that costs the most points (the first on a tie).
    pub fn pulls_down_most(&self) -> Option<&MetricPart<'a>> {
        self.metrics
            .iter()
            .filter(|m| m.score.is_some() && m.shortfall > Points::ZERO)
            .fold(None, |best: Option<&MetricPart<'a>>, m| match best {
                Some(b) if b.shortfall >= m.shortfall => Some(b),
                _ => Some(m),
            })
    }

    /// Ids of metrics with no value.
    pub fn missing(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.metrics
            .iter()
            .filter(|m| m.status == MetricStatus::Missing)
            .map(|m| m.id)
    }

    /// Metrics whose value lies outside their bounded curve (scored as
    /// missing), with the observation.
    pub fn out_of_range(&self) -> impl Iterator<Item = &MetricPart<'a>> + '_ {
        self.metrics
            .iter()
            .filter(|m| m.status == MetricStatus::OutOfRange)
    }

    /// Ids and ages (days) of metrics whose value is too old to use.
    pub fn stale(&self) -> impl Iterator<Item = (&'a str, i64)> + '_ {
        self.metrics.iter().filter_map(|m| match m.status {
            MetricStatus::Stale { age_days } => Some((m.id, age_days)),
            _ => None,
        })
    }
}

impl<'a> Score<'a> {
    /// Explains the score: contributions per dimension and metric, what is
    /// missing, and what pulls it down.
    pub fn explain(&self) -> Explanation<'a> {
        let model = self.model();
        let account = self.account;
        let Some(card) = self.card() else {
            return Explanation {
                dimensions: Vec::new(),
                metrics: Vec::new(),
            };
        };
        let overall = u128::from(self.overall.map_or(0, Points::micros));
        // Dimensions with a score share the overall score in proportion to
        // weight × score; their weights are the denominator of overall.
        let mut dim_contrib = [(0u128, 0u128); 4];
        let mut total_w = 0u128;
        for d in Dimension::ALL {
            let i = d.index();
            if let Some(s) = self.dims[i].score {
                total_w += u128::from(card.dim_weight[i]);
                dim_contrib[i].0 = u128::from(card.dim_weight[i]) * u128::from(s.micros());
            }
        }
        apportion(overall, &mut dim_contrib);
        let mut dimensions = Vec::with_capacity(4);
        let mut metrics = Vec::with_capacity(model.metrics.len());
        // Each entry's position in the model, to put them in model order.
        let mut order: Vec<usize> = Vec::with_capacity(model.metrics.len());
        // (index in `metrics`, weight, score) of the scored metrics of one
        // dimension, and their apportioned contributions.
        let mut scored: Vec<(usize, u128, u128)> = Vec::new();
        let mut shares: Vec<(u128, u128)> = Vec::new();
        for d in Dimension::ALL {
            let i = d.index();
            if card.dim_weight[i] == 0 {
                continue;
            }
            dimensions.push(DimensionPart {
                dimension: d,
                score: self.dims[i].score,
                coverage: self.dims[i].coverage,
                contribution: points(dim_contrib[i].0),
            });
            let wd = u128::from(card.dim_weight[i]);
            scored.clear();
            for cm in card.ops.iter().filter(|op| op.dim == i) {
                let (Some(metric), Some(slot)) =
                    (model.metrics.get(cm.metric), account.slots.get(cm.metric))
                else {
                    continue;
                };
                let outcome = metric_outcome(metric, *slot);
                let observation = account.observation_at(cm.metric);
                let status = match (outcome.has_data, slot.is_stale(), observation) {
                    (true, _, _) => MetricStatus::Observed,
                    (false, true, Some(o)) => MetricStatus::Stale {
                        age_days: account.age_of(o),
                    },
                    (false, _, _) if slot.is_observed() => MetricStatus::OutOfRange,
                    _ => MetricStatus::Missing,
                };
                if let Some(s) = outcome.score {
                    scored.push((metrics.len(), u128::from(cm.weight), u128::from(s)));
                }
                order.push(cm.metric);
                metrics.push(MetricPart {
                    id: &metric.id,
                    label: &metric.label,
                    dimension: d,
                    status,
                    observation,
                    score: outcome.score.and_then(Points::from_micros),
                    contribution: Points::ZERO,
                    shortfall: Points::ZERO,
                    side: if status == MetricStatus::Observed {
                        metric.curve.side(slot.value)
                    } else {
                        None
                    },
                    band: outcome
                        .score
                        .filter(|_| status == MetricStatus::Observed)
                        .and_then(Points::from_micros)
                        .map(|p| metric.bands.as_ref().unwrap_or(&card.bands).band(p)),
                });
            }
            let Some(dim_score) = self.dims[i].score else {
                continue;
            };
            let wsum: u128 = scored.iter().map(|x| x.1).sum();
            let c_d = dim_contrib[i].0;
            if card.worst_wins[i] {
                // The first metric at the minimum carries the whole dimension.
                let worst = scored.iter().min_by_key(|x| x.2).map(|x| x.0);
                if let Some(m) = worst.and_then(|j| metrics.get_mut(j)) {
                    m.contribution = points(c_d);
                    let lost = u128::from(Points::MAX.micros() - dim_score.micros());
                    m.shortfall = points(div_round(wd * lost, total_w.max(1)));
                }
                continue;
            }
            shares.clear();
            shares.extend(scored.iter().map(|x| (x.1 * x.2, 0)));
            apportion(c_d, &mut shares);
            for ((j, w, s), (c, _)) in scored.iter().zip(&shares) {
                if let Some(m) = metrics.get_mut(*j) {
                    m.contribution = points(*c);
                    let lost = u128::from(Points::MAX.micros()) - s;
                    m.shortfall = points(div_round(wd * w * lost, (total_w * wsum).max(1)));
                }
            }
        }
        // Scorecards group metrics by dimension for scoring; explanations
        // list them in model order, as documented.
        let mut keyed: Vec<(usize, MetricPart<'a>)> = order.into_iter().zip(metrics).collect();
        keyed.sort_by_key(|(i, _)| *i);
        Explanation {
            dimensions,
            metrics: keyed.into_iter().map(|(_, m)| m).collect(),
        }
    }
}

/// A score to one decimal, rounded down, so that a score shown at a band
/// threshold (59.97 shown as 59.9, not 60.0) is never in a lower band.
fn tenths_down(p: Points) -> String {
    p.tenths_down()
}

fn points(micros: u128) -> Points {
    u32::try_from(micros)
        .ok()
        .and_then(Points::from_micros)
        .unwrap_or(Points::MAX)
}

/// Splits `total` in proportion to the parts given in `shares[i].0`
/// (exact values `total·pᵢ/Σp`, which sum to `total`), leaving each share in
/// `.0`: each is floored, then the remaining units go one each to the largest
/// remainders, earliest first on ties. No allocation.
fn apportion(total: u128, shares: &mut [(u128, u128)]) {
    let sum: u128 = shares.iter().map(|s| s.0).sum();
    if sum == 0 {
        shares.iter_mut().for_each(|s| *s = (0, 0));
        return;
    }
    for s in shares.iter_mut() {
        *s = (total * s.0 / sum, total * s.0 % sum);
    }
    let given: u128 = shares.iter().map(|s| s.0).sum();
    for _ in 0..total.saturating_sub(given) {
        let best =
            shares
                .iter_mut()
                .filter(|s| s.1 > 0)
                .reduce(|best, s| if s.1 > best.1 { s } else { best });
        match best {
            Some(s) => *s = (s.0 + 1, 0),
            None => break,
        }
    }
}

impl fmt::Display for Score<'_> {
    /// A short human explanation, one name per metric (its label). The
    /// headline score is rounded *down* to one decimal so it never appears
    /// to reach a threshold it missed, e.g.
    /// `62.5 lime: adoption 31 (weekly active 0.22) pulls down 9.4 points; missing NPS; coverage 92%`.
    ///
    /// Without a band it says so and why, and blames nothing:
    /// `insufficient data: 1 of 4 metrics measured (coverage 25%, needs 50%); missing NPS, …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = self.explain();
        match (self.overall, self.band) {
            (Some(o), Some(b)) => {
                write!(f, "{} {b}", tenths_down(o))?;
                if let Some(plain) = self.plain_band().filter(|p| *p != b) {
                    write!(f, " (held by hysteresis; {plain} without)")?;
                }
                if let Some(m) = why.pulls_down_most() {
                    let dim = self.dimension(m.dimension).unwrap_or(Points::ZERO);
                    write!(f, ": {} {dim:.0} ({}", m.dimension, m.label)?;
                    match (m.status, m.observation) {
                        (MetricStatus::Observed, Some(o)) => match m.side {
                            Some(side) => write!(f, " {}, {side}", o.value)?,
                            None => write!(f, " {}", o.value)?,
                        },
                        (MetricStatus::Stale { .. }, _) => f.write_str(" stale")?,
                        (MetricStatus::OutOfRange, _) => f.write_str(" out of range")?,
                        _ => f.write_str(" missing")?,
                    }
                    write!(f, ") pulls down {:.1} points", m.shortfall)?;
                }
            }
            _ => {
                let measured = why.metrics.iter().filter(|m| m.is_measured()).count();
                if measured == 0 {
                    write!(
                        f,
                        "insufficient data: no metric of scorecard {} has a measured value",
                        self.scorecard()
                    )?;
                } else {
                    write!(
                        f,
                        "insufficient data: {measured} of {} metrics measured (coverage {}%, needs {}%)",
                        why.metrics.len(),
                        self.coverage.percent().round_dp(1),
                        self.min_coverage().percent().round_dp(1),
                    )?;
                }
            }
        }
        let mut list = |head: &str, items: &mut dyn Iterator<Item = String>| {
            for (i, item) in items.enumerate() {
                f.write_str(if i == 0 { head } else { ", " })?;
                f.write_str(&item)?;
            }
            Ok::<(), fmt::Error>(())
        };
        let with_status =
            |keep: fn(&MetricStatus) -> bool| why.metrics.iter().filter(move |m| keep(&m.status));
        list(
            "; missing ",
            &mut with_status(|s| *s == MetricStatus::Missing).map(|m| m.label.to_string()),
        )?;
        list(
            "; out of range ",
            &mut with_status(|s| *s == MetricStatus::OutOfRange).map(|m| match m.observation {
                Some(o) => format!("{} {}", m.label, o.value),
                None => m.label.to_string(),
            }),
        )?;
        list(
            "; stale ",
            &mut why.metrics.iter().filter_map(|m| match m.status {
                MetricStatus::Stale { age_days } => {
                    Some(format!("{} ({age_days} days old)", m.label))
                }
                _ => None,
            }),
        )?;
        if self.band.is_some() {
            write!(f, "; coverage {}%", self.coverage.percent().round_dp(1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::apportion;

    #[test]
    fn apportion_sums_exactly() {
        let run = |total: u128, parts: &[u128]| {
            let mut s: Vec<(u128, u128)> = parts.iter().map(|p| (*p, 0)).collect();
            apportion(total, &mut s);
            s.into_iter().map(|x| x.0).collect::<Vec<_>>()
        };
        assert_eq!(run(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(run(0, &[0, 0]), [0, 0]);
        assert_eq!(run(7, &[2, 5]), [2, 5]);
        assert_eq!(run(100, &[1, 2]), [33, 67]);
        assert_eq!(run(5, &[0, 3, 0, 3]), [0, 3, 0, 2]);
    }
}
