//! Metric definitions: what is measured, on which scale, and how a missing
//! value is treated.

use crate::curve::{Curve, CurveConfig};
use crate::dimension::Dimension;
use crate::error::{ProblemKind, Problems};
use crate::points::{decimal_to_micros, f64_to_micros, Points, MAX_MAGNITUDE, MICRO};
use crate::value::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The kind of value a metric takes, which fixes its valid range.
///
/// In configuration: `{"type": "ratio"}`, `{"type": "csat", "min": 1, "max": 5}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum MetricKind {
    /// A share, 0 to 1 (weekly active ratio, seats provisioned / licensed).
    Ratio,
    /// A non-negative number of things (meetings, logins per user); may be
    /// fractional, as averages are.
    Count,
    /// An amount of money, exact decimal (value realised, spend).
    Money,
    /// Net Promoter Score, −100 to 100.
    Nps,
    /// Customer satisfaction on a declared scale, e.g. 1 to 5.
    Csat {
        /// Lowest possible rating.
        min: Decimal,
        /// Highest possible rating.
        max: Decimal,
    },
    /// Yes or no (SSO enabled, integration connected): scored as 0 or 1.
    Flag,
    /// A CSM's own judgement on a declared scale; each value carries its
    /// author and an optional note.
    Judgement {
        /// Lowest possible rating.
        min: Decimal,
        /// Highest possible rating.
        max: Decimal,
    },
}

impl MetricKind {
    /// The lowercase name used in configuration.
    pub fn name(&self) -> &'static str {
        match self {
            MetricKind::Ratio => "ratio",
            MetricKind::Count => "count",
            MetricKind::Money => "money",
            MetricKind::Nps => "nps",
            MetricKind::Csat { .. } => "csat",
            MetricKind::Flag => "flag",
            MetricKind::Judgement { .. } => "judgement",
        }
    }
}

/// What to do when an account has no (usable) value for a metric.
///
/// In configuration: `"exclude"`, `"worst"` or `{"neutral": 50}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Leave the metric out and share its weight among the metrics that have
    /// data, first within its dimension, then across dimensions. The default.
    #[default]
    Exclude,
    /// Score it 0: no data is treated as bad news.
    Worst,
    /// Score it as this many points (0 to 100).
    Neutral(Decimal),
}

/// A metric's definition in a model configuration.
///
/// # Examples
///
/// ```
/// use healthscore::Dimension;
/// use healthscore::model::{CurveConfig, MetricConfig, MetricKind, MissingPolicy};
/// use rust_decimal_macros::dec;
///
/// let m = MetricConfig::new(
///     "weekly_active",
///     Dimension::Adoption,
///     MetricKind::Ratio,
///     CurveConfig::linear([(dec!(0.1), dec!(0)), (dec!(0.6), dec!(100))]),
/// )
/// .label("weekly active")
/// .weight(dec!(3))
/// .missing(MissingPolicy::Worst);
/// assert_eq!(m.weight, dec!(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// Unique id, used by accounts and scorecards.
    pub id: String,
    /// Human name for explanations; the id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The DEAR dimension it belongs to.
    pub dimension: Dimension,
    /// Its kind of value.
    pub kind: MetricKind,
    /// How a value maps to 0..=100 points.
    pub curve: CurveConfig,
    /// Relative weight within its dimension (default 1); scorecards may
    /// override it.
    #[serde(default = "one")]
    pub weight: Decimal,
    /// Treatment of a missing value (default: exclude and redistribute).
    #[serde(default)]
    pub missing: MissingPolicy,
    /// Days a value stays fresh. A value observed more than this many days
    /// before the account's as-of date is *stale*: scored as missing (the
    /// missing policy applies) and reported with its age. A value exactly
    /// this old is still fresh. Absent: values never go stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// This metric's own colour thresholds (`{"green": 90, "lime": 70,
    /// "yellow": 50}`), for the colour of its score in explanations and
    /// records; absent, the scorecard's bands colour it. They colour the
    /// metric only, never the account's band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands: Option<crate::scorecard::BandsConfig>,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl MetricConfig {
    /// A metric with weight 1 and the default missing-data policy.
    pub fn new(
        id: impl Into<String>,
        dimension: Dimension,
        kind: MetricKind,
        curve: CurveConfig,
    ) -> Self {
        MetricConfig {
            id: id.into(),
            label: None,
            dimension,
            kind,
            curve,
            weight: Decimal::ONE,
            missing: MissingPolicy::Exclude,
            max_age_days: None,
            bands: None,
        }
    }

    /// Sets how many days a value stays fresh.
    pub fn max_age_days(mut self, days: u32) -> Self {
        self.max_age_days = Some(days);
        self
    }

    /// Sets the human label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the relative weight within the dimension.
    pub fn weight(mut self, weight: impl Into<Decimal>) -> Self {
        self.weight = weight.into();
        self
    }

    /// Sets this metric's own colour thresholds.
    pub fn bands(mut self, bands: crate::scorecard::BandsConfig) -> Self {
        self.bands = Some(bands);
        self
    }

    /// Sets the missing-data policy.
    pub fn missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }
}

/// The valid values of a kind, in millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Domain {
    pub(crate) min: i64,
    pub(crate) max: i64,
}

impl Domain {
    pub(crate) fn contains(&self, v: i64) -> bool {
        (self.min..=self.max).contains(&v)
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: i64| Decimal::new(v, 6).normalize().to_string();
        write!(f, "{}..={}", show(self.min), show(self.max))
    }
}

/// Why an observed value does not fit its metric.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// The value's type does not match the metric kind.
    #[error("expected a {expected} value, got {got}")]
    WrongType {
        /// The metric kind.
        expected: &'static str,
        /// What was given.
        got: String,
    },
    /// NaN, infinity, or beyond ±10¹².
    #[error("{0}")]
    Number(#[from] crate::points::NumberError),
    /// Outside the kind's range.
    #[error("{kind} {value} is outside {range}")]
    OutOfRange {
        /// The metric kind.
        kind: &'static str,
        /// The value as given.
        value: String,
        /// The valid range.
        range: String,
    },
    /// A judgement without an author.
    #[error("a CSM judgement needs an author")]
    MissingAuthor,
}

/// A compiled metric: checked, with its curve ready to evaluate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Metric {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) dimension: Dimension,
    pub(crate) kind: MetricKind,
    pub(crate) domain: Domain,
    pub(crate) curve: Curve,
    pub(crate) weight: u64,
    /// Score used when the value is missing; `None` excludes the metric.
    pub(crate) missing: Option<Points>,
    pub(crate) max_age_days: Option<u32>,
    /// Its own colour thresholds, when it has them.
    pub(crate) bands: Option<crate::band::BandThresholds>,
}

impl Metric {
    pub(crate) fn compile(
        cfg: &MetricConfig,
        path: &str,
        problems: &mut Problems,
    ) -> Option<Metric> {
        let before = problems.len();
        if let Some(problem) = super::error::id_problem(&cfg.id) {
            problems.push(format!("{path}.id"), problem);
        }
        if let Some(label) = cfg.label.as_ref().filter(|l| !super::error::printable(l)) {
            problems.push(
                format!("{path}.label"),
                ProblemKind::UnprintableLabel(label.clone()),
            );
        }
        let domain = compile_domain(&cfg.kind, &format!("{path}.kind"), problems);
        let weight = compile_weight(cfg.weight, &format!("{path}.weight"), problems);
        let missing = match &cfg.missing {
            MissingPolicy::Exclude => None,
            MissingPolicy::Worst => Some(Points::ZERO),
            MissingPolicy::Neutral(v) => match Points::from_decimal(*v) {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(format!("{path}.missing.neutral"), e);
                    None
                }
            },
        };
        let curve = domain.and_then(|d| {
            Curve::compile(
                &cfg.curve,
                d,
                cfg.kind.name(),
                &format!("{path}.curve"),
                problems,
            )
        });
        let bands = cfg
            .bands
            .as_ref()
            .map(|b| crate::scorecard::compile_bands(b, &format!("{path}.bands"), problems));
        if problems.len() != before {
            return None;
        }
        Some(Metric {
            id: cfg.id.clone(),
            label: cfg.label.clone().unwrap_or_else(|| cfg.id.clone()),
            dimension: cfg.dimension,
            kind: cfg.kind.clone(),
            domain: domain?,
            curve: curve?,
            weight: weight?,
            missing,
            max_age_days: cfg.max_age_days,
            bands: bands.flatten(),
        })
    }

    /// The value in millionths, checked against the kind.
    #[inline]
    pub(crate) fn check(&self, value: &Value) -> Result<i64, ValueProblem> {
        let micros = match (&self.kind, value) {
            (MetricKind::Flag, Value::Flag(b)) => return Ok(if *b { MICRO } else { 0 }),
            // Warehouses and services often send flags as 0 / 1.
            (MetricKind::Flag, Value::Number(x)) if *x == 0.0 || *x == 1.0 => {
                return Ok(if *x == 1.0 { MICRO } else { 0 })
            }
            (MetricKind::Flag, Value::Exact(d)) if d.is_zero() || *d == Decimal::ONE => {
                return Ok(if d.is_zero() { 0 } else { MICRO })
            }
            (MetricKind::Flag, other) | (_, other @ Value::Flag(_)) => {
                return Err(ValueProblem::WrongType {
                    expected: self.kind.name(),
                    got: other.describe(),
                })
            }
            (_, Value::Exact(d)) => exact_value(*d)?,
            (_, Value::Number(x)) => f64_to_micros(*x)?,
        };
        if self.domain.contains(micros) {
            Ok(micros)
        } else {
            Err(ValueProblem::OutOfRange {
                kind: self.kind.name(),
                value: value.describe(),
                range: self.domain.to_string(),
            })
        }
    }
}

/// A decimal value, rounded half-even to millionths beyond six places.
#[inline]
fn exact_value(d: Decimal) -> Result<i64, ValueProblem> {
    // Fast path: at most six places (integers, cents), in range.
    if d.scale() <= 6 {
        let scaled = 10i128
            .checked_pow(6 - d.scale())
            .and_then(|f| d.mantissa().checked_mul(f));
        let in_range = scaled.filter(|v| v.abs() <= i128::from(MAX_MAGNITUDE * MICRO));
        if let Some(v) = in_range.and_then(|v| i64::try_from(v).ok()) {
            return Ok(v);
        }
    }
    let rounded = d.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointNearestEven);
    Ok(decimal_to_micros(rounded)?)
}

fn compile_domain(kind: &MetricKind, path: &str, problems: &mut Problems) -> Option<Domain> {
    let full = MAX_MAGNITUDE * MICRO;
    let hundred = 100 * MICRO;
    let scale = |min: &Decimal, max: &Decimal, problems: &mut Problems| {
        let lo = decimal_to_micros(*min).map_err(|e| problems.push(format!("{path}.min"), e));
        let hi = decimal_to_micros(*max).map_err(|e| problems.push(format!("{path}.max"), e));
        match (lo, hi) {
            (Ok(lo), Ok(hi)) if lo < hi => Some(Domain { min: lo, max: hi }),
            (Ok(_), Ok(_)) => {
                problems.push(
                    path,
                    ProblemKind::BadScale(min.to_string(), max.to_string()),
                );
                None
            }
            _ => None,
        }
    };
    match kind {
        MetricKind::Ratio | MetricKind::Flag => Some(Domain { min: 0, max: MICRO }),
        MetricKind::Count => Some(Domain { min: 0, max: full }),
        MetricKind::Money => Some(Domain {
            min: -full,
            max: full,
        }),
        MetricKind::Nps => Some(Domain {
            min: -hundred,
            max: hundred,
        }),
        MetricKind::Csat { min, max } | MetricKind::Judgement { min, max } => {
            scale(min, max, problems)
        }
    }
}

/// The largest relative weight, 10⁶, in millionths.
const MAX_WEIGHT: i64 = 1_000_000 * MICRO;

/// A relative weight in millionths: non-negative, at most 10⁶.
pub(crate) fn compile_weight(w: Decimal, path: &str, problems: &mut Problems) -> Option<u64> {
    if w.is_sign_negative() && !w.is_zero() {
        problems.push(path, ProblemKind::NegativeWeight(w.to_string()));
        return None;
    }
    match decimal_to_micros(w) {
        Ok(m) if m <= MAX_WEIGHT => u64::try_from(m).ok(),
        Ok(_) => {
            let e = crate::points::NumberError::OutOfRange(w.to_string(), "0..=1000000");
            problems.push(path, e);
            None
        }
        Err(e) => {
            problems.push(path, e);
            None
        }
    }
}
