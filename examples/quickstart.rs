//! Build a small model in code, score one account, print the explanation.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use chrono::NaiveDate;
use healthscore::{model::*, score::*, *};
use rust_decimal_macros::dec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = ModelConfig::new("quickstart", "1")
        .metric(
            MetricConfig::new(
                "seats",
                Dimension::Deployment,
                MetricKind::Ratio,
                CurveConfig::linear([(dec!(0.2), dec!(0)), (dec!(0.9), dec!(100))]),
            )
            .label("seats provisioned"),
        )
        .metric(
            MetricConfig::new(
                "csm_sentiment",
                Dimension::Engagement,
                MetricKind::Judgement {
                    min: dec!(1),
                    max: dec!(5),
                },
                CurveConfig::linear([(1, 0), (5, 100)]),
            )
            .label("CSM sentiment"),
        )
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
            "feature_breadth",
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
        .scorecard(
            ScorecardConfig::new("default", BandsConfig::new(80, 60, 40))
                .dimension_weight(Dimension::Deployment, dec!(0.3))
                .dimension_weight(Dimension::Engagement, dec!(0.3))
                .dimension_weight(Dimension::Adoption, dec!(0.4))
                .min_coverage(dec!(0.5)),
        )
        .build()?;

    let today = NaiveDate::from_ymd_opt(2026, 11, 23).ok_or("bad date")?;
    let acme = AccountData::new("acme", dec!(1850.00), 120, today)
        .observe(Observation::new("seats", 0.85, today))
        .observe(
            Observation::new("csm_sentiment", 4.0, today).by("dana", "sponsor renewed interest"),
        )
        .observe(Observation::new("weekly_active", 0.22, today));
    let account = model.bind(acme)?;
    let score = account.score();

    println!(
        "{} [{} / {}]",
        account.id(),
        score.segment(),
        score.scorecard()
    );
    println!("{score}\n");
    let why = score.explain();
    for d in &why.dimensions {
        let s = d.score.map_or("-".to_string(), |s| format!("{s:.1}"));
        println!(
            "{:<11} {s:>6}  contributes {:>5.2} points",
            d.dimension, d.contribution
        );
    }
    for m in &why.metrics {
        let value = m
            .observation
            .map_or("missing".to_string(), |o| o.value.to_string());
        println!(
            "  {:<18} {value:>8}  contributes {:>5.2}, costs {:>5.2} points",
            m.label, m.contribution, m.shortfall
        );
    }
    Ok(())
}
