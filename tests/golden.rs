//! Worked examples with hand-computed expected values, including every
//! boundary: a score on a band threshold, MRR on a tier bound, a dimension
//! with no data, no data at all, coverage exactly at the minimum.

mod common;
use common::*;

/// Every metric of the golden model at exactly 60 points.
const ALL_AT_60: [(&str, f64); 4] = [
    ("seats", 0.62),
    ("sentiment", 3.4),
    ("weekly_active", 0.4),
    ("breadth", 0.3),
];
/// seats 92.857143, sentiment 75, weekly 50, breadth 80.
const MIXED: [(&str, f64); 4] = [
    ("seats", 0.85),
    ("sentiment", 4.0),
    ("weekly_active", 0.35),
    ("breadth", 0.4),
];
use healthscore::{model::*, portfolio::*, score::*, *};
use rust_decimal_macros::dec;

#[test]
fn weights_03_03_04_all_at_60_is_exactly_60_and_lime() {
    // seats 0.62 → (0.42/0.7)·100 = 60; sentiment 3.4 → 2.4/4·100 = 60;
    // weekly 0.4 → 60; breadth 0.3 → 60. 0.3·60 + 0.3·60 + 0.4·60 = 60.
    let model = golden();
    let a = model.bind(account(dec!(1000), &ALL_AT_60)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.overall()), Some(60_000_000));
    assert_eq!(
        s.band(),
        Some(Band::Lime),
        "a score equal to the lime threshold is lime"
    );
    let why = s.explain();
    let dims: Vec<u32> = why
        .dimensions
        .iter()
        .map(|d| d.contribution.micros())
        .collect();
    assert_eq!(dims, [18_000_000, 18_000_000, 24_000_000]);
    let metrics: Vec<u32> = why
        .metrics
        .iter()
        .map(|m| m.contribution.micros())
        .collect();
    assert_eq!(metrics, [18_000_000, 18_000_000, 18_000_000, 6_000_000]);
}

#[test]
fn mixed_values_hand_computed() {
    // seats 0.85 → 0.65/0.7·100 = 92.857142857… → 92.857143
    // sentiment 4 → 75; weekly 0.35 → 50; breadth 0.4 → 80
    // adoption = (3·50 + 1·80)/4 = 57.5
    // overall = 0.3·92.857143 + 0.3·75 + 0.4·57.5 = 73.3571429 → 73.357143
    let model = golden();
    let a = model.bind(account(dec!(2500), &MIXED)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Deployment)), Some(92_857_143));
    assert_eq!(micros(s.dimension(Dimension::Engagement)), Some(75_000_000));
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(57_500_000));
    assert_eq!(s.dimension(Dimension::Roi), None);
    assert_eq!(micros(s.overall()), Some(73_357_143));
    assert_eq!(s.band(), Some(Band::Lime));
    assert_eq!(s.coverage(), Share::ONE);
    assert_eq!(s.scorecard(), "mid");
    assert_eq!(s.segment().to_string(), "mid/all");

    // Shortfalls: weekly 0.4·3/4·(100−50) = 15; sentiment 0.3·25 = 7.5;
    // seats 0.3·7.142857 = 2.1428571 → 2.142857; breadth 0.4·1/4·20 = 2.
    let why = s.explain();
    let short: Vec<u32> = why.metrics.iter().map(|m| m.shortfall.micros()).collect();
    assert_eq!(short, [2_142_857, 7_500_000, 15_000_000, 2_000_000]);
    assert_eq!(why.pulls_down_most().map(|m| m.id), Some("weekly_active"));
    let total: u32 = why.metrics.iter().map(|m| m.contribution.micros()).sum();
    assert_eq!(total, 73_357_143);
    assert_eq!(
        s.to_string(),
        "73.3 lime: adoption 58 (weekly active 0.35) pulls down 15.0 points; coverage 100%"
    );
}

#[test]
fn missing_metric_weight_is_redistributed_within_its_dimension() {
    // breadth missing: adoption = weekly alone = 50.
    // overall = 0.3·92.857143 + 0.3·75 + 0.4·50 = 70.3571429 → 70.357143
    // coverage = 0.3 + 0.3 + 0.4·3/4 = 0.9
    let model = golden();
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.85), ("sentiment", 4.0), ("weekly_active", 0.35)],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(50_000_000));
    assert_eq!(micros(s.overall()), Some(70_357_143));
    assert_eq!(s.coverage().micros(), 900_000);
    assert_eq!(s.dimension_coverage(Dimension::Adoption).micros(), 750_000);
    assert_eq!(s.explain().missing().collect::<Vec<_>>(), ["breadth"]);
}

#[test]
fn dimension_with_no_data_is_redistributed_across_dimensions() {
    // engagement missing: overall = (0.3·92.857143 + 0.4·57.5) / 0.7
    //   = 50.8571429 / 0.7 = 72.65306129 → 72.653061; coverage 0.7.
    let model = golden();
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.85), ("weekly_active", 0.35), ("breadth", 0.4)],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(s.dimension(Dimension::Engagement), None);
    assert_eq!(micros(s.overall()), Some(72_653_061));
    assert_eq!(s.coverage().micros(), 700_000);
    assert_eq!(s.band(), Some(Band::Lime));
}

#[test]
fn everything_missing_has_no_score_and_no_band() {
    let model = golden();
    let a = model.bind(account(dec!(2500), &[])).unwrap();
    let s = a.score();
    assert_eq!(s.overall(), None);
    assert_eq!(s.band(), None);
    assert!(s.is_insufficient());
    assert_eq!(s.coverage(), Share::ZERO);
    assert_eq!(
        s.to_string(),
        "insufficient data: no metric of scorecard mid has a measured value; missing seats, sentiment, weekly active, breadth"
    );
}

#[test]
fn coverage_exactly_at_the_minimum_is_enough() {
    // seats + weekly only: coverage = 0.3 + 0.4·3/4 = 0.6 = minimum → banded.
    // overall = (0.3·92.857143 + 0.4·50)/0.7 = 47.8571429/0.7 = 68.367347
    let model = golden();
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.85), ("weekly_active", 0.35)],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(s.coverage().micros(), 600_000);
    assert_eq!(micros(s.overall()), Some(68_367_347));
    assert_eq!(s.band(), Some(Band::Lime));

    // seats + breadth: coverage = 0.3 + 0.4·1/4 = 0.4 < 0.6 → insufficient,
    // even though the partial score (92.857143·0.3 + 80·0.4)/0.7 = 85.510204 is "green".
    let a = model
        .bind(account(dec!(2500), &[("seats", 0.85), ("breadth", 0.4)]))
        .unwrap();
    let s = a.score();
    assert_eq!(s.coverage().micros(), 400_000);
    assert_eq!(micros(s.overall()), Some(85_510_204));
    assert_eq!(s.band(), None);
    // Said plainly: how little data, what is missing; no partial score and
    // nothing "pulls down" an account that has no band.
    assert_eq!(
        s.to_string(),
        "insufficient data: 2 of 4 metrics measured (coverage 40%, needs 60%); missing sentiment, weekly active"
    );
}

#[test]
fn mrr_on_a_tier_bound_falls_in_the_upper_tier() {
    // Same data, all at 60: smb thresholds 90/70/50 make it yellow, mid 80/60/40 lime.
    let values = ALL_AT_60;
    let model = golden();
    let below = model.bind(account(dec!(999.99), &values)).unwrap();
    let at = model.bind(account(dec!(1000.00), &values)).unwrap();
    assert_eq!(below.scorecard(), "smb");
    assert_eq!(below.score().band(), Some(Band::Yellow));
    assert_eq!(at.scorecard(), "mid");
    assert_eq!(at.score().band(), Some(Band::Lime));
    let zero = model.bind(account(dec!(0), &values)).unwrap();
    assert_eq!(zero.segment().mrr_tier, "smb");
}

#[test]
fn one_micro_point_below_a_threshold_is_the_lower_band() {
    // weekly 0.3999999 is not representable (values are millionths): use a
    // curve value that lands 1e-6 below 60 instead: weekly 0.399999 →
    // (0.299999/0.5)·100 = 59.9998 → adoption (3·59.9998 + 60)/4 = 59.99985,
    // overall = 18 + 18 + 0.4·59.99985 = 59.99994 → yellow.
    let model = golden();
    let a = model
        .bind(account(
            dec!(1000),
            &[
                ("seats", 0.62),
                ("sentiment", 3.4),
                ("weekly_active", 0.399999),
                ("breadth", 0.3),
            ],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(59_999_850));
    assert_eq!(micros(s.overall()), Some(59_999_940));
    assert_eq!(s.band(), Some(Band::Yellow));
    assert!(s.to_string().starts_with("59.9 yellow"));
}

#[test]
fn worst_wins_scores_a_dimension_by_its_lowest_metric() {
    let mut config = golden_config();
    for card in &mut config.scorecards {
        card.worst_wins.push(Dimension::Adoption);
    }
    let model = Model::new(config).unwrap();
    let a = model.bind(account(dec!(2500), &MIXED)).unwrap();
    let s = a.score();
    // adoption = min(50, 80) = 50 → overall 27.8571429 + 22.5 + 20 = 70.357143
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(50_000_000));
    assert_eq!(micros(s.overall()), Some(70_357_143));
    let why = s.explain();
    let breadth = why.metrics.iter().find(|m| m.id == "breadth").unwrap();
    assert_eq!(
        breadth.contribution,
        Points::ZERO,
        "only the worst metric carries a worst-wins dimension"
    );
}

#[test]
fn missing_policies_worst_and_neutral() {
    let mut config = golden_config();
    config.metrics[3].missing = MissingPolicy::Worst; // breadth
    config.metrics[1].missing = MissingPolicy::Neutral(dec!(50)); // sentiment
    let model = Model::new(config).unwrap();
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.85), ("weekly_active", 0.35)],
        ))
        .unwrap();
    let s = a.score();
    // adoption = (3·50 + 1·0)/4 = 37.5; engagement imputed 50.
    // overall = 27.8571429 + 15 + 15 = 57.8571429 → 57.857143
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(37_500_000));
    assert_eq!(micros(s.dimension(Dimension::Engagement)), Some(50_000_000));
    assert_eq!(micros(s.overall()), Some(57_857_143));
    // Imputed values are not data: coverage = 0.3 + 0 + 0.4·3/4 = 0.6.
    assert_eq!(s.coverage().micros(), 600_000);
    assert_eq!(
        s.explain().missing().collect::<Vec<_>>(),
        ["sentiment", "breadth"]
    );
}

#[test]
fn bounded_curve_outside_its_range_counts_as_missing() {
    let mut config = golden_config();
    config.metrics[3].curve = CurveConfig::bounded([(dec!(0.05), dec!(0)), (dec!(0.5), dec!(100))]);
    let model = Model::new(config).unwrap();
    let a = model
        .bind(account(
            dec!(2500),
            &[
                ("seats", 0.85),
                ("sentiment", 4.0),
                ("weekly_active", 0.35),
                ("breadth", 0.6),
            ],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(50_000_000));
    let why = s.explain();
    let breadth = why.metrics.iter().find(|m| m.id == "breadth").unwrap();
    assert_eq!(breadth.status, MetricStatus::OutOfRange);
    assert!(breadth.observation.is_some());
}

#[test]
fn latest_observation_wins_in_any_order() {
    let model = golden();
    let old = Observation::new("weekly_active", 0.1, day(10));
    let new = Observation::new("weekly_active", 0.6, day(20));
    for obs in [
        vec![old.clone(), new.clone()],
        vec![new.clone(), old.clone()],
    ] {
        let mut data = account(dec!(2500), &[]);
        data.observations = obs;
        let a = model.bind(data).unwrap();
        assert_eq!(
            micros(a.score().dimension(Dimension::Adoption)),
            Some(100_000_000)
        );
        assert_eq!(
            a.observation("weekly_active").map(|o| o.observed_on),
            Some(day(20))
        );
    }
}

#[test]
fn score_records_model_segment_and_scorecard() {
    let model = golden();
    let a = model
        .bind(account(dec!(10), &[("weekly_active", 0.35)]))
        .unwrap();
    let r = a.score().record();
    assert_eq!(
        (
            r.model.as_str(),
            r.model_version.as_str(),
            r.scorecard.as_str()
        ),
        ("golden", "1.0", "smb")
    );
    assert_eq!(r.segment.to_string(), "smb/all");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["coverage"], serde_json::json!(0.3));
    assert_eq!(json["band"], serde_json::Value::Null);
    assert_eq!(json["insufficient_data"], serde_json::json!(true));
}

#[test]
fn portfolio_tallies_count_and_mrr_per_band_and_segment() {
    let model = golden();
    let rows = [
        (dec!(500.10), 0.6), // weekly only: coverage 0.3 → insufficient
        (dec!(2000.25), 0.6),
        (dec!(3000), 0.6),
    ];
    let accounts = rows.iter().enumerate().map(|(i, (mrr, w))| {
        let mut a = account(
            *mrr,
            &[
                ("seats", 0.9),
                ("sentiment", 5.0),
                ("weekly_active", *w),
                ("breadth", 0.5),
            ],
        );
        a.id = format!("a{i}");
        if i == 0 {
            a.observations.retain(|o| o.metric == "weekly_active");
        }
        a
    });
    let mut bad = account(dec!(-1), &[]);
    bad.id = "broken".into();
    let (summary, errors) = model.score_portfolio(accounts.chain([bad]));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].account, "broken");
    let t = summary.totals();
    assert_eq!(t.band(Band::Green).count, 2);
    assert_eq!(t.band(Band::Green).mrr, dec!(5000.25));
    assert_eq!(t.insufficient.count, 1);
    assert_eq!(t.insufficient.mrr, dec!(500.10));
    assert_eq!(t.total().mrr, dec!(5500.35));
    assert_eq!(summary.skipped(), 1);
    let segs: Vec<(String, u64)> = summary
        .segments()
        .map(|(s, t)| (s.to_string(), t.total().count))
        .collect();
    assert_eq!(
        segs,
        [("smb/all".to_string(), 1), ("mid/all".to_string(), 2)]
    );
    // 2 of 2 banded accounts are green: above the 60% limit.
    let c = summary.concentration().unwrap();
    assert_eq!((c.band, c.share), (Band::Green, Share::ONE));
    let relaxed = PortfolioSummary::new(&model).with_concentration_limit(Share::ONE);
    assert_eq!(relaxed.concentration(), None);
}

#[test]
fn concentration_limit_is_strict() {
    // Exactly 60% in one band is not above the 60% limit.
    let model = golden();
    let mut summary = PortfolioSummary::new(&model);
    let accounts: Vec<_> = [0.6, 0.6, 0.6, 0.1, 0.1]
        .iter()
        .map(|w| {
            model
                .bind(account(
                    dec!(2000),
                    &[
                        ("seats", 0.9),
                        ("sentiment", 5.0),
                        ("weekly_active", *w),
                        ("breadth", 0.5),
                    ],
                ))
                .unwrap()
        })
        .collect();
    for a in &accounts {
        summary.add(&a.score()).expect("same model");
    }
    assert_eq!(summary.totals().band(Band::Green).count, 3);
    assert_eq!(summary.concentration(), None);
    let mut other = golden_config();
    other.version = "2".into();
    let other = Model::new(other).unwrap();
    let foreign = other.bind(account(dec!(2000), &[("seats", 0.9)])).unwrap();
    let refused = summary.add(&foreign.score()).unwrap_err();
    assert_eq!(refused.found.version, "2");
    assert_eq!(
        summary.skipped(),
        1,
        "a score from another model is not mixed in"
    );
}

/// The golden model with adoption's two metric weights replaced: the
/// largest weight a metric may have against the smallest.
fn extreme_weights(weekly: rust_decimal::Decimal, breadth: rust_decimal::Decimal) -> Model {
    let mut cfg = golden_config();
    for m in &mut cfg.metrics {
        match m.id.as_str() {
            "weekly_active" => m.weight = weekly,
            "breadth" => m.weight = breadth,
            _ => {}
        }
    }
    Model::new(cfg).expect("weights within 0..=1000000 are valid")
}

#[test]
fn extreme_weights_are_summed_without_overflow() {
    // Adoption's Σ weight·score is 10¹²·50·10⁶ + 80·10⁶ ≈ 5·10¹⁹ millionths,
    // past 2⁶⁴: summed in 128 bits. adoption = 50 + 30/(10¹² + 1) → 50;
    // overall = 0.3·92.857143 + 0.3·75 + 0.4·50 = 70.3571429 → 70.357143.
    let model = extreme_weights(dec!(1000000), dec!(0.000001));
    let a = model.bind(account(dec!(2500), &MIXED)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(50_000_000));
    assert_eq!(micros(s.overall()), Some(70_357_143));
    assert_eq!(s.coverage().micros(), 1_000_000);
    // The other way round: adoption = 80 − 30/(10¹² + 1) → 80;
    // overall = 27.8571429 + 22.5 + 32 = 82.3571429 → 82.357143.
    let model = extreme_weights(dec!(0.000001), dec!(1000000));
    let a = model.bind(account(dec!(2500), &MIXED)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(80_000_000));
    assert_eq!(micros(s.overall()), Some(82_357_143));
}
