//! An owned, serialisable record of a score: what a service returns and a
//! batch job stores.

use crate::band::Band;
use crate::dimension::Dimension;
use crate::points::{Points, Share};
use crate::score::{MetricStatus, Score, Value};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything about one score as owned data, independent of the account and
/// model that produced it: return it from the function that bound the
/// account, store it, send it, read it back ([`Deserialize`]).
///
/// It names the model by name, version and fingerprint (hex), the segment
/// and scorecard; gives the account's MRR, the score, band (or insufficient data), coverage
/// and the one-line summary a person reads; and lists every dimension and
/// metric of the scorecard with its status, value, score, contribution and
/// shortfall, in the documented orders (dimensions in DEAR order, metrics in
/// model order). Numbers are JSON numbers whose shortest form is the exact
/// decimal (scores have at most nine significant digits) and read back
/// exactly.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::{AccountData, Model, Observation, ScoreRecord};
/// use rust_decimal_macros::dec;
///
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let account = model.bind(
///     AccountData::new("acme", dec!(1200), 80, day)
///         .observe(Observation::new("weekly_active", 0.5, day))
///         .observe(Observation::new("nps", 20.0, day)),
/// )?;
/// let record: ScoreRecord = account.score().record();
/// let json = serde_json::to_string(&record)?;
/// assert!(json.starts_with(r#"{"id":"acme","as_of":"2026-11-20","model":"example","model_version":"1""#));
/// assert!(json.contains(r#""mrr":"1200","score":61.25,"band":"lime""#));
/// assert_eq!(serde_json::from_str::<ScoreRecord>(&json)?, record); // reads back exactly
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    /// The account's id.
    pub id: String,
    /// The date the score is as of.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub as_of: NaiveDate,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub model_version: String,
    /// The model's content hash ([`Fingerprint::hash`](crate::model::Fingerprint::hash)),
    /// as 16 hex digits.
    pub model_fingerprint: String,
    /// The segment, e.g. `mid/large` or `mid/large/onboarding`.
    pub segment: String,
    /// The scorecard that produced the score.
    pub scorecard: String,
    /// The account's MRR, as given (exact; a JSON string such as
    /// `"4200.00"`): what a churn would lose, and what a back-test of
    /// stored records counts ([`DatedScore::from_record`](crate::backtest::DatedScore::from_record)).
    pub mrr: rust_decimal::Decimal,
    /// The overall score; `null` when no metric of the scorecard has data.
    pub score: Option<Points>,
    /// The band; `null` when data is insufficient.
    pub band: Option<Band>,
    /// The band from the score alone, ignoring hysteresis.
    pub plain_band: Option<Band>,
    /// Whether the account has insufficient data for a band.
    pub insufficient_data: bool,
    /// Share of the scorecard's weight that had measured data.
    pub coverage: Share,
    /// The scorecard's minimum coverage for a band.
    pub min_coverage: Share,
    /// The one-line summary a person reads (the score's `Display`).
    pub summary: String,
    /// Each dimension weighted in the scorecard, in DEAR order.
    pub dimensions: Vec<DimensionRecord>,
    /// Each metric weighted in the scorecard, in model order.
    pub metrics: Vec<MetricRecord>,
    /// The metric that costs the most points, and how many; `null` when
    /// data is insufficient (imputed values are not blamed).
    pub pulls_down_most: Option<Shortfall>,
}

/// A dimension's part of a [`ScoreRecord`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionRecord {
    /// The dimension.
    pub dimension: Dimension,
    /// Its score; `null` when none of its metrics could be scored.
    pub score: Option<Points>,
    /// Share of its metric weight that had measured data.
    pub coverage: Share,
    /// Points it contributes to the overall score.
    pub contribution: Points,
}

/// A metric's part of a [`ScoreRecord`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    /// The metric's id.
    pub id: String,
    /// Its human label (the id when the model gives none).
    pub label: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// How its value was used: observed, missing, out of range or stale.
    pub status: MetricStatus,
    /// The value observed, when there is one (also when stale or out of range).
    pub value: Option<Value>,
    /// When that value was observed.
    #[serde(default, deserialize_with = "crate::value::date::option")]
    pub observed_on: Option<NaiveDate>,
    /// Its score: observed, or imputed by the missing policy; `null` when
    /// excluded (its weight went to the others).
    pub score: Option<Points>,
    /// Whether `score` was imputed by the missing policy rather than measured.
    pub imputed: bool,
    /// Points it contributes to the overall score.
    pub contribution: Points,
    /// Points of the overall score it costs (how much higher the score would
    /// be were this metric at 100).
    pub shortfall: Points,
    /// For a target-range curve, on which side of the target the value lies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<crate::model::TargetSide>,
    /// The colour of its measured score (the metric's own thresholds, or the
    /// scorecard's); `null` without a measured value.
    pub band: Option<Band>,
}

/// Which metric costs the most points, and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    /// The metric's id.
    pub metric: String,
    /// The points it costs.
    pub points: Points,
}

impl ScoreRecord {
    /// Ids of the metrics with no value.
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.with_status(|s| matches!(s, MetricStatus::Missing))
    }

    /// Ids of the metrics whose value lies outside a bounded curve.
    pub fn out_of_range(&self) -> impl Iterator<Item = &str> {
        self.with_status(|s| matches!(s, MetricStatus::OutOfRange))
    }

    /// Ids of the metrics whose value is too old to use.
    pub fn stale(&self) -> impl Iterator<Item = &str> {
        self.with_status(|s| matches!(s, MetricStatus::Stale { .. }))
    }

    fn with_status(&self, keep: impl Fn(&MetricStatus) -> bool) -> impl Iterator<Item = &str> {
        self.metrics
            .iter()
            .filter(move |m| keep(&m.status))
            .map(|m| m.id.as_str())
    }
}

impl Serialize for Score<'_> {
    /// As its [`ScoreRecord`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(s)
    }
}

impl Score<'_> {
    /// The score as an owned record, ready to return, store or serialise.
    pub fn record(&self) -> ScoreRecord {
        let why = self.explain();
        let model = self.model();
        let data = self.account().data();
        ScoreRecord {
            id: data.id.clone(),
            as_of: data.as_of,
            model: model.name().to_string(),
            model_version: model.version().to_string(),
            model_fingerprint: format!("{:016x}", model.fingerprint().hash),
            segment: self.segment().to_string(),
            scorecard: self.scorecard().to_string(),
            mrr: data.mrr,
            score: self.overall(),
            band: self.band,
            plain_band: self.plain_band(),
            insufficient_data: self.is_insufficient(),
            coverage: self.coverage(),
            min_coverage: self.min_coverage(),
            summary: self.to_string(),
            dimensions: why
                .dimensions
                .iter()
                .map(|d| DimensionRecord {
                    dimension: d.dimension,
                    score: d.score,
                    coverage: d.coverage,
                    contribution: d.contribution,
                })
                .collect(),
            metrics: why
                .metrics
                .iter()
                .map(|m| MetricRecord {
                    id: m.id.to_string(),
                    label: m.label.to_string(),
                    dimension: m.dimension,
                    status: m.status,
                    value: m.observation.map(|o| o.value),
                    observed_on: m.observation.map(|o| o.observed_on),
                    score: m.score,
                    imputed: m.is_imputed(),
                    contribution: m.contribution,
                    shortfall: m.shortfall,
                    side: m.side,
                    band: m.band,
                })
                .collect(),
            pulls_down_most: why
                .pulls_down_most()
                .filter(|_| self.band.is_some())
                .map(|m| Shortfall {
                    metric: m.id.to_string(),
                    points: m.shortfall,
                }),
        }
    }
}
