//! Shared fixtures: a small hand-checkable model and the bundled one.
#![allow(dead_code)]

pub mod cta;

use chrono::NaiveDate;
use healthscore::{model::*, score::*, *};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("valid test date")
}

/// Four metrics, weights 0.3 / 0.3 / 0.4, tiers smb [0, 1000) and mid
/// [1000, ∞), bands 80/60/40 (mid) and 90/70/50 (smb), min coverage 0.6.
///
/// * seats (deployment, ratio): 0.2 → 0, 0.9 → 100
/// * sentiment (engagement, judgement 1..5): 1 → 0, 5 → 100
/// * weekly_active (adoption, ratio, weight 3): 0.1 → 0, 0.6 → 100
/// * breadth (adoption, ratio, weight 1): 0 → 0, 0.5 → 100
pub fn golden_config() -> ModelConfig {
    let card = |id: &str, bands: BandsConfig| {
        ScorecardConfig::new(id, bands)
            .dimension_weight(Dimension::Deployment, dec!(0.3))
            .dimension_weight(Dimension::Engagement, dec!(0.3))
            .dimension_weight(Dimension::Adoption, dec!(0.4))
            .min_coverage(dec!(0.6))
    };
    ModelConfig::new("golden", "1.0")
        .metric(MetricConfig::new(
            "seats",
            Dimension::Deployment,
            MetricKind::Ratio,
            CurveConfig::linear([(dec!(0.2), dec!(0)), (dec!(0.9), dec!(100))]),
        ))
        .metric(MetricConfig::new(
            "sentiment",
            Dimension::Engagement,
            MetricKind::Judgement {
                min: dec!(1),
                max: dec!(5),
            },
            CurveConfig::linear([(1, 0), (5, 100)]),
        ))
        .metric(
            MetricConfig::new(
                "weekly_active",
                Dimension::Adoption,
                MetricKind::Ratio,
                CurveConfig::linear([(dec!(0.1), dec!(0)), (dec!(0.6), dec!(100))]),
            )
            .label("weekly active")
            .weight(3),
        )
        .metric(MetricConfig::new(
            "breadth",
            Dimension::Adoption,
            MetricKind::Ratio,
            CurveConfig::linear([(dec!(0), dec!(0)), (dec!(0.5), dec!(100))]),
        ))
        .segments(SegmentsConfig {
            mrr_tiers: vec![
                Tier::new("smb", dec!(0), Some(dec!(1000))),
                Tier::new("mid", dec!(1000), None),
            ],
            size_tiers: vec![Tier::new("all", 0, None)],
            stages: vec![],
        })
        .scorecard(card("smb", BandsConfig::new(90, 70, 50)).when(Criteria::default().mrr(["smb"])))
        .scorecard(card("mid", BandsConfig::new(80, 60, 40)))
}

pub fn golden() -> Model {
    Model::new(golden_config()).expect("golden model is valid")
}

pub fn bundled_config() -> ModelConfig {
    let text = include_str!("../../examples/data/model.json");
    serde_json::from_str(text).expect("bundled model parses")
}

/// An account of the golden model with the given observations (all dated
/// the 20th; judgements by "dana").
pub fn account(mrr: Decimal, values: &[(&str, f64)]) -> AccountData {
    let mut a = AccountData::new("acme", mrr, 80, day(23));
    for (metric, v) in values {
        let mut o = Observation::new(*metric, *v, day(20));
        if *metric == "sentiment" {
            o = o.by("dana", "checked in");
        }
        a = a.observe(o);
    }
    a
}

pub fn micros(p: Option<Points>) -> Option<u32> {
    p.map(Points::micros)
}

/// Every way to score a batch: the fastest kernel, AVX2, the baseline,
/// row at a time, and two threads.
pub fn every_scorer(model: &Model) -> [healthscore::batch::Scorer<'_>; 5] {
    use healthscore::batch::Scorer;
    [
        Scorer::new(model),
        Scorer::new(model).avx2_isa(),
        Scorer::new(model).baseline_isa(),
        Scorer::new(model).row_at_a_time(),
        Scorer::new(model).threads(2),
    ]
}
