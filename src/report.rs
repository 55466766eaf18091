//! A flat, serializable record of a score, for JSON lines and other outputs.

use crate::points::{Points, Share};
use crate::score::Score;
use crate::segment::Segment;
use crate::Dimension;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Everything about one score as plain data: what [`Score::record`] returns
/// and what the `score` example writes as one JSON object per account.
///
/// Numbers are written as JSON numbers whose shortest form is the exact
/// decimal (scores have at most nine significant digits).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreRecord<'a> {
    /// The account's id.
    pub id: &'a str,
    /// The model's name.
    pub model: &'a str,
    /// The model's version.
    pub model_version: &'a str,
    /// The segment, written as e.g. `mid/large`.
    pub segment: Segment<'a>,
    /// The scorecard that produced the score.
    pub scorecard: &'a str,
    /// The overall score (`null` when nothing could be scored).
    pub score: Option<Points>,
    /// The band (`null` when data is insufficient).
    pub band: Option<crate::Band>,
    /// The band from the score alone, ignoring hysteresis.
    pub plain_band: Option<crate::Band>,
    /// Whether the account has insufficient data for a band.
    pub insufficient_data: bool,
    /// Share of configured weight that had data.
    pub coverage: Share,
    /// Dimension scores in DEAR order (`null` when none of its metrics could
    /// be scored), written as a JSON object.
    #[serde(serialize_with = "as_map")]
    pub dimensions: Vec<(Dimension, Option<Points>)>,
    /// Points each scored metric contributes to the overall score, in model
    /// order, written as a JSON object.
    #[serde(serialize_with = "as_map")]
    pub contributions: Vec<(&'a str, Points)>,
    /// Metrics with no value, or one outside a bounded curve.
    pub missing: Vec<&'a str>,
    /// Metrics whose value is too old to use, with its age in days,
    /// written as a JSON object.
    #[serde(serialize_with = "as_map")]
    pub stale: Vec<(&'a str, i64)>,
    /// The metric that costs the most points, and how many.
    pub pulls_down_most: Option<(&'a str, Points)>,
}

impl<'a> Score<'a> {
    /// The score as a flat record, ready to serialize.
    ///
    /// # Examples
    ///
    /// ```
    /// # let model = healthscore::doc_model();
    /// use chrono::NaiveDate;
    /// use healthscore::{AccountData, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let account = model.bind(
    ///     AccountData::new("acme", dec!(1200), 80, day)
    ///         .observe(Observation::new("weekly_active", 0.5, day)),
    /// )?;
    /// let json = serde_json::to_string(&account.score().record())?;
    /// assert!(json.starts_with(r#"{"id":"acme","model":"doc","model_version":"1","segment":"mid/all""#));
    /// assert!(json.contains(r#""score":62.5,"band":"lime""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&self) -> ScoreRecord<'a> {
        let why = self.explain();
        let model = self.model();
        ScoreRecord {
            id: self.account.id(),
            model: model.name(),
            model_version: model.version(),
            segment: self.segment(),
            scorecard: self.scorecard(),
            score: self.overall,
            band: self.band,
            plain_band: self.plain_band(),
            insufficient_data: self.is_insufficient(),
            coverage: self.coverage,
            dimensions: why
                .dimensions
                .iter()
                .map(|d| (d.dimension, d.score))
                .collect(),
            contributions: why
                .metrics
                .iter()
                .filter(|m| m.score.is_some())
                .map(|m| (m.id, m.contribution))
                .collect(),
            missing: why.missing().collect(),
            stale: why.stale().collect(),
            pulls_down_most: why.pulls_down_most().map(|m| (m.id, m.shortfall)),
        }
    }
}

fn as_map<K: Serialize, V: Serialize, S: Serializer>(
    pairs: &[(K, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

impl Serialize for Segment<'_> {
    /// As its display form, e.g. `"mid/large"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
