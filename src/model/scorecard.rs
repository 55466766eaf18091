//! Scorecards: the weights, aggregation and band thresholds of a segment.

use crate::band::BandThresholds;
use crate::dimension::Dimension;
use crate::error::{ProblemKind, Problems};
use crate::metric::compile_weight;
use crate::points::{gcd, Divisor, Points, Share, MICRO};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scorecard as written in configuration.
///
/// Scorecards are tried in order; the first whose `when` matches an
/// account's segment scores it. A scorecard without `when` is the default
/// and must come last. Weights are relative: any non-negative numbers,
/// normalised over what is present.
///
/// # Examples
///
/// ```
/// use healthscore::Dimension;
/// use healthscore::model::{BandsConfig, Criteria, ScorecardConfig};
/// use rust_decimal_macros::dec;
///
/// let card = ScorecardConfig::new("enterprise", BandsConfig::new(80, 60, 40))
///     .when(Criteria::default().mrr(["ent"]))
///     .dimension_weight(Dimension::Adoption, dec!(0.4))
///     .worst_wins(Dimension::Engagement)
///     .min_coverage(dec!(0.5));
/// assert_eq!(card.dimension_weights[&Dimension::Adoption], dec!(0.4));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardConfig {
    /// Unique id, recorded on every score it produces.
    pub id: String,
    /// Which segments it applies to; absent for the default scorecard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Criteria>,
    /// Relative weight of each dimension. Every dimension that has metrics
    /// needs an entry (0 leaves it out).
    #[serde(deserialize_with = "crate::strict::map")]
    pub dimension_weights: BTreeMap<Dimension, Decimal>,
    /// Per-metric weight overrides (0 leaves a metric out of this card).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "crate::strict::map"
    )]
    pub metric_weights: BTreeMap<String, Decimal>,
    /// Dimensions scored as their worst metric instead of the weighted mean.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worst_wins: Vec<Dimension>,
    /// Band thresholds.
    pub bands: BandsConfig,
    /// Share of configured weight that must have data (0 to 1) for the
    /// score to get a band; below it the account has insufficient data.
    /// Coverage equal to the minimum is enough.
    #[serde(default)]
    pub min_coverage: Decimal,
    /// Hysteresis margin in points (default 0, off): given the account's
    /// previous band, it changes band only when its score passes a threshold
    /// by at least this much, so a score wobbling around a threshold does
    /// not flap between colours.
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub hysteresis: Decimal,
}

/// Band thresholds as written in configuration (points, at most 6 decimals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandsConfig {
    /// Lowest green score.
    pub green: Decimal,
    /// Lowest lime score.
    pub lime: Decimal,
    /// Lowest yellow score; below it is red.
    pub yellow: Decimal,
}

impl BandsConfig {
    /// Thresholds for green, lime and yellow.
    pub fn new(
        green: impl Into<Decimal>,
        lime: impl Into<Decimal>,
        yellow: impl Into<Decimal>,
    ) -> Self {
        BandsConfig {
            green: green.into(),
            lime: lime.into(),
            yellow: yellow.into(),
        }
    }
}

/// Which segments a scorecard applies to. An empty list matches anything;
/// a non-empty `stage` list never matches an account without a stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// MRR tier ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mrr: Vec<String>,
    /// Size tier ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub size: Vec<String>,
    /// Lifecycle stages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage: Vec<String>,
}

impl Criteria {
    /// Restricts to these MRR tiers.
    pub fn mrr<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.mrr = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Restricts to these size tiers.
    pub fn size<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.size = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Restricts to these lifecycle stages.
    pub fn stage<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.stage = ids.into_iter().map(Into::into).collect();
        self
    }
}

impl ScorecardConfig {
    /// A default scorecard (matches every segment) with no weights yet.
    pub fn new(id: impl Into<String>, bands: BandsConfig) -> Self {
        ScorecardConfig {
            id: id.into(),
            when: None,
            dimension_weights: BTreeMap::new(),
            metric_weights: BTreeMap::new(),
            worst_wins: Vec::new(),
            bands,
            min_coverage: Decimal::ZERO,
            hysteresis: Decimal::ZERO,
        }
    }

    /// Sets the hysteresis margin in points.
    pub fn hysteresis(mut self, margin: impl Into<Decimal>) -> Self {
        self.hysteresis = margin.into();
        self
    }

    /// Restricts the scorecard to matching segments.
    pub fn when(mut self, criteria: Criteria) -> Self {
        self.when = Some(criteria);
        self
    }

    /// Sets a dimension's relative weight.
    pub fn dimension_weight(mut self, d: Dimension, w: impl Into<Decimal>) -> Self {
        self.dimension_weights.insert(d, w.into());
        self
    }

    /// Overrides a metric's weight in this scorecard.
    pub fn metric_weight(mut self, id: impl Into<String>, w: impl Into<Decimal>) -> Self {
        self.metric_weights.insert(id.into(), w.into());
        self
    }

    /// Scores a dimension as its worst metric.
    pub fn worst_wins(mut self, d: Dimension) -> Self {
        if !self.worst_wins.contains(&d) {
            self.worst_wins.push(d);
        }
        self
    }

    /// Sets the minimum coverage for a band.
    pub fn min_coverage(mut self, share: impl Into<Decimal>) -> Self {
        self.min_coverage = share.into();
        self
    }
}

/// What a scorecard needs to know of a metric.
pub(crate) struct MetricHead<'a> {
    pub(crate) id: &'a str,
    pub(crate) dimension: Dimension,
    pub(crate) weight: u64,
}

/// One weighted metric of a compiled scorecard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CardMetric {
    /// Position in the model's metric list (and in an account's slots).
    pub(crate) metric: usize,
    /// Its dimension's index (0..4).
    pub(crate) dim: usize,
    pub(crate) weight: u64,
}

/// Reciprocals of a scorecard's fixed divisors, for the common case where
/// every metric has a score (`None` where the operands could be too large
/// for [`Divisor`]; the plain division is used then).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Divisors {
    /// Σ metric weights of each dimension, for dimension coverage.
    pub(crate) coverage: [Option<Divisor>; 4],
    /// The same, for a dimension score when all its metrics are scored.
    pub(crate) score: [Option<Divisor>; 4],
    /// Σ dimension weights, for overall coverage.
    pub(crate) overall_coverage: Option<Divisor>,
    /// The same, for the overall score when every dimension is scored.
    pub(crate) overall: Option<Divisor>,
}

impl Divisors {
    fn new(dim_total: [u64; 4], total_weight: u64) -> Self {
        // Exact while divisor × (largest quotient + 1) stays below the limit.
        let fit = |d: u64, max_quotient: u64| {
            Divisor::new(d).filter(|_| {
                d.checked_mul(max_quotient + 1)
                    .is_some_and(|v| v < Divisor::LIMIT / 2)
            })
        };
        let (share, points) = (MICRO as u64, u64::from(Points::MAX.micros()));
        Divisors {
            coverage: dim_total.map(|t| fit(t, share)),
            score: dim_total.map(|t| fit(t, points)),
            overall_coverage: fit(total_weight, share),
            overall: fit(total_weight, points),
        }
    }
}

/// A compiled scorecard.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Scorecard {
    pub(crate) id: String,
    /// Dimension weights in millionths (0: left out).
    pub(crate) dim_weight: [u64; 4],
    /// Weighted metrics, by dimension then model order: one flat loop.
    pub(crate) ops: Box<[CardMetric]>,
    /// Sum of metric weights per dimension.
    pub(crate) dim_total: [u64; 4],
    pub(crate) worst_wins: [bool; 4],
    pub(crate) bands: BandThresholds,
    pub(crate) min_coverage: Share,
    pub(crate) hysteresis: Points,
    /// Σ dimension weights: the denominator of overall coverage.
    pub(crate) total_weight: u64,
    pub(crate) divisors: Divisors,
}

impl Scorecard {
    pub(crate) fn compile(
        cfg: &ScorecardConfig,
        metrics: &[MetricHead<'_>],
        path: &str,
        problems: &mut Problems,
    ) -> Option<Scorecard> {
        let before = problems.len();
        if let Some(problem) = super::error::id_problem(&cfg.id) {
            problems.push(format!("{path}.id"), problem);
        }
        let mut dim_weight = [0u64; 4];
        for (d, w) in &cfg.dimension_weights {
            let at = format!("{path}.dimension_weights.{d}");
            dim_weight[d.index()] = compile_weight(*w, &at, problems).unwrap_or(0);
        }
        for (id, w) in &cfg.metric_weights {
            let at = format!("{path}.metric_weights.{id}");
            if !metrics.iter().any(|m| m.id == id) {
                problems.push(&at, ProblemKind::UnknownMetric(id.clone()));
            }
            compile_weight(*w, &at, problems);
        }
        let mut per_dim: [Vec<CardMetric>; 4] = Default::default();
        for (i, m) in metrics.iter().enumerate() {
            let weight = match cfg.metric_weights.get(m.id) {
                Some(w) => compile_weight(*w, "", &mut Problems::default()).unwrap_or(0),
                None => m.weight,
            };
            if weight > 0 {
                let dim = m.dimension.index();
                per_dim[dim].push(CardMetric {
                    metric: i,
                    dim,
                    weight,
                });
            }
        }
        for d in Dimension::ALL {
            let has_metrics = metrics.iter().any(|m| m.dimension == d);
            let at = format!("{path}.dimension_weights.{d}");
            if has_metrics && !cfg.dimension_weights.contains_key(&d) {
                problems.push(&at, ProblemKind::MissingDimensionWeight(d));
            } else if dim_weight[d.index()] > 0 && per_dim[d.index()].is_empty() {
                problems.push(&at, ProblemKind::DimensionWithoutMetrics(d));
            }
        }
        if problems.len() == before && dim_weight.iter().all(|w| *w == 0) {
            problems.push(
                format!("{path}.dimension_weights"),
                ProblemKind::WeightsAllZero,
            );
        }
        let bands = compile_bands(&cfg.bands, &format!("{path}.bands"), problems);
        let hysteresis = Points::from_decimal(cfg.hysteresis)
            .map_err(|e| problems.push(format!("{path}.hysteresis"), e))
            .ok();
        let min_coverage = Share::from_decimal(cfg.min_coverage)
            .map_err(|e| problems.push(format!("{path}.min_coverage"), e))
            .ok();
        if problems.len() != before {
            return None;
        }
        let mut worst_wins = [false; 4];
        for d in &cfg.worst_wins {
            worst_wins[d.index()] = true;
        }
        // Relative weights: dividing a group by its common factor changes no
        // result and keeps products small (the fast path of `div_round`).
        let g = dim_weight.iter().fold(0, |g, w| gcd(g, *w));
        dim_weight = dim_weight.map(|w| w / g.max(1));
        for ms in &mut per_dim {
            let g = ms.iter().fold(0, |g, m| gcd(g, m.weight));
            ms.iter_mut().for_each(|m| m.weight /= g.max(1));
        }
        let dim_total = per_dim
            .each_ref()
            .map(|ms| ms.iter().map(|m| m.weight).sum());
        let total_weight = dim_weight.iter().sum();
        let divisors = Divisors::new(dim_total, total_weight);
        Some(Scorecard {
            id: cfg.id.clone(),
            dim_weight,
            ops: per_dim.into_iter().flatten().collect(),
            dim_total,
            divisors,
            worst_wins,
            bands: bands?,
            min_coverage: min_coverage?,
            hysteresis: hysteresis?,
            total_weight,
        })
    }
}

pub(crate) fn compile_bands(
    cfg: &BandsConfig,
    path: &str,
    problems: &mut Problems,
) -> Option<BandThresholds> {
    let mut point = |v: Decimal, name: &str| {
        Points::from_decimal(v)
            .map_err(|e| problems.push(format!("{path}.{name}"), e))
            .ok()
    };
    let (g, l, y) = (
        point(cfg.green, "green"),
        point(cfg.lime, "lime"),
        point(cfg.yellow, "yellow"),
    );
    BandThresholds::new(g?, l?, y?)
        .map_err(|e| problems.push(path, e))
        .ok()
}
