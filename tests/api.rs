//! The public accessors and builders not covered by the worked examples.

mod common;
use common::*;
use healthscore::{model::*, portfolio::*, score::*, *};
use rust_decimal_macros::dec;

#[test]
fn model_accessors() {
    let model = golden();
    assert_eq!((model.name(), model.version()), ("golden", "1.0"));
    assert_eq!(model.metric_count(), 4);
    assert_eq!(
        model.metric_ids().collect::<Vec<_>>(),
        ["seats", "sentiment", "weekly_active", "breadth"]
    );
    assert_eq!(
        model.metric("seats"),
        Some((Dimension::Deployment, &MetricKind::Ratio))
    );
    assert_eq!(model.metric("nope"), None);
    assert_eq!(model.is_increasing("breadth"), Some(true));
    assert_eq!(model.is_increasing("nope"), None);
    let segs: Vec<(String, &str)> = model.segments().map(|(s, c)| (s.to_string(), c)).collect();
    assert_eq!(
        segs,
        [
            ("smb/all".to_string(), "smb"),
            ("mid/all".to_string(), "mid")
        ]
    );
    assert_eq!(model.config(), &golden_config());
    assert_eq!(golden_config().build().unwrap(), model);
}

/// `{:?}` of a model, and of a scorer holding it and its kernel tables,
/// says which model it is in a line (a log line, an error quoting it), not
/// its compiled form: about 44 KB and 121 KB for v0m before.
#[test]
fn models_and_scorers_print_which_model_they_are() {
    let v0m: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model-v0m.json")).unwrap();
    let model = Model::new(v0m).unwrap();
    let printed = format!("{model:?}");
    let hash = format!("hash: {:016x}", model.fingerprint().hash);
    for part in [
        "Model { name: \"reference model v0m\", version: \"v0m\"",
        &hash,
        "\"seats_provisioned_ratio\", \"sso_enabled\"",
        "segments: ",
    ] {
        assert!(printed.contains(part), "{part} in {printed}");
    }
    assert!(
        printed.len() < 1_000,
        "{} bytes: {printed:.2000}",
        printed.len()
    );
    let scorer = healthscore::batch::Scorer::new(&model).threads(2);
    let printed = format!("{scorer:?}");
    assert!(printed.contains("version: \"v0m\""), "{printed}");
    assert!(printed.contains("threads: 2"), "{printed}");
    assert!(
        printed.len() < 1_500,
        "{} bytes: {printed:.2000}",
        printed.len()
    );
}

#[test]
fn decreasing_curves_are_reported() {
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::linear([(dec!(0), dec!(100)), (dec!(1), dec!(0))]);
    assert_eq!(Model::new(c).unwrap().is_increasing("seats"), Some(false));
}

#[test]
fn segments_with_stages() {
    let model = Model::new(bundled_config()).unwrap();
    // 3 MRR tiers × 3 size tiers × (no stage + 3 stages)
    assert_eq!(model.segments().count(), 36);
    let (seg, card) = model
        .segments()
        .find(|(s, _)| s.stage == Some("onboarding"))
        .unwrap();
    assert_eq!(
        (seg.to_string().as_str(), card),
        ("smb/small/onboarding", "onboarding")
    );
    let (_, card) = model
        .segments()
        .find(|(s, _)| s.to_string() == "enterprise/small")
        .unwrap();
    assert_eq!(card, "enterprise");
}

#[test]
fn account_and_score_accessors() {
    let model = golden();
    let data = account(dec!(1500), &[("seats", 0.85), ("breadth", 0.4)]);
    let account = model.bind(data.clone()).unwrap();
    assert_eq!(account.data(), &data);
    assert_eq!(account.id(), "acme");
    assert!(std::ptr::eq(account.model(), &model));
    assert_eq!(
        account.observation("breadth").map(|o| o.value),
        Some(Value::Number(0.4))
    );
    assert_eq!(account.observation("weekly_active"), None);
    assert_eq!(account.observation("nope"), None);
    let score = account.score();
    assert!(std::ptr::eq(score.account(), &account));
    assert!(std::ptr::eq(score.model(), &model));
    assert_eq!(score.min_coverage().micros(), 600_000);
    assert!(score.is_insufficient());
    assert_eq!(
        score.dimension_coverage(Dimension::Adoption).micros(),
        250_000
    );
    assert_eq!(score.dimension_coverage(Dimension::Engagement), Share::ZERO);
}

#[test]
fn explanation_statuses_and_judgement_provenance() {
    let model = golden();
    let account = model
        .bind(account(
            dec!(1500),
            &[("sentiment", 2.0), ("weekly_active", 0.6)],
        ))
        .unwrap();
    let score = account.score();
    let why = score.explain();
    let sentiment = why.metrics.iter().find(|m| m.id == "sentiment").unwrap();
    assert_eq!(sentiment.status, MetricStatus::Observed);
    assert_eq!(
        sentiment.observation.and_then(|o| o.author.as_deref()),
        Some("dana")
    );
    assert_eq!(sentiment.label, "sentiment");
    let seats = why.metrics.iter().find(|m| m.id == "seats").unwrap();
    assert_eq!((seats.status, seats.score), (MetricStatus::Missing, None));
    assert_eq!(why.dimensions.len(), 3);
    assert_eq!(why.dimensions[1].dimension, Dimension::Engagement);
    assert_eq!(
        why.dimensions[1].score.map(Points::micros),
        Some(25_000_000)
    );
}

#[test]
fn builders_fill_the_config() {
    let c = Criteria::default().mrr(["a"]).size(["b"]).stage(["c"]);
    assert_eq!(
        (c.mrr, c.size, c.stage),
        (
            vec!["a".to_string()],
            vec!["b".to_string()],
            vec!["c".to_string()]
        )
    );
    let card = ScorecardConfig::new("x", BandsConfig::new(80, 60, 40))
        .metric_weight("seats", 2)
        .worst_wins(Dimension::Roi)
        .worst_wins(Dimension::Roi);
    assert_eq!(card.metric_weights["seats"], dec!(2));
    assert_eq!(
        card.worst_wins,
        [Dimension::Roi],
        "worst_wins is not duplicated"
    );
    let m = MetricConfig::new(
        "m",
        Dimension::Roi,
        MetricKind::Money,
        CurveConfig::steps(0, [(1, 100)]),
    );
    assert_eq!(
        (m.weight, m.missing.clone(), m.label.clone()),
        (dec!(1), MissingPolicy::Exclude, None)
    );
    let t = Tier::new("t", 5u32, Some(9));
    assert_eq!((t.from, t.to), (5, Some(9)));
    let o = Observation::new("m", 1_i64, day(1));
    assert_eq!(o.value, Value::Exact(dec!(1)));
    assert_eq!(Value::from(dec!(2.5)).to_string(), "2.5");
    assert_eq!(Value::Flag(false).to_string(), "no");
}

#[test]
fn band_names_and_tallies() {
    assert_eq!(
        Band::ALL.map(|b| b.name()),
        ["green", "lime", "yellow", "red"]
    );
    assert_eq!(Band::Yellow.to_string(), "yellow");
    assert_eq!(Dimension::Roi.name(), "roi");
    let tallies = BandTallies::default();
    assert_eq!(tallies.total(), Tally::default());
    assert_eq!(DEFAULT_CONCENTRATION_LIMIT.micros(), 600_000);
    let model = golden();
    let mut summary = PortfolioSummary::new(&model);
    let err = model.bind(account(dec!(-1), &[])).unwrap_err();
    summary.add_error(&err);
    assert_eq!(summary.skipped(), 1);
    assert_eq!(
        summary.concentration(),
        None,
        "no banded account, no warning"
    );
    assert_eq!(summary.segments().count(), 0);
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Model>();
    check::<Account<'_>>();
    check::<Score<'_>>();
    check::<PortfolioSummary<'_>>();
    check::<ConfigError>();
    check::<AccountError>();
}

/// `Account::score` prefetches the memory after the account (where the
/// next accounts of a slice would be): a hint, which must change nothing
/// wherever the account sits, including at the end of a vector, alone in
/// a box or on the stack, or scored in reverse order.
#[test]
fn an_account_scores_the_same_wherever_it_sits() {
    let model = golden();
    let values: Vec<[(&str, f64); 2]> = (0..9)
        .map(|i| {
            [
                ("seats", 0.3 + 0.07 * f64::from(i)),
                ("weekly_active", 0.2 + 0.06 * f64::from(i)),
            ]
        })
        .collect();
    let expected: Vec<Option<u32>> = values
        .iter()
        .map(|v| {
            let alone = model.bind(account(dec!(500), v)).unwrap();
            micros(alone.score().overall())
        })
        .collect();
    assert_eq!(expected.len(), 9);
    assert!(expected.windows(2).all(|w| w[0] < w[1]), "{expected:?}");
    let accounts: Vec<Account<'_>> = values
        .iter()
        .map(|v| model.bind(account(dec!(500), v)).unwrap())
        .collect();
    let forward: Vec<_> = accounts
        .iter()
        .map(|a| micros(a.score().overall()))
        .collect();
    let mut backward: Vec<_> = accounts
        .iter()
        .rev()
        .map(|a| micros(a.score().overall()))
        .collect();
    backward.reverse();
    assert_eq!((&forward, &backward), (&expected, &expected));
    let last = Box::new(model.bind(account(dec!(500), &values[8])).unwrap());
    assert_eq!(micros(last.score().overall()), expected[8]);
}
