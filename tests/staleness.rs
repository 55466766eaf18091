//! Stale data: a value older than its metric's maximum age is scored as
//! missing and shown with its age, never silently kept.

mod common;
use common::*;
use healthscore::{model::*, portfolio::*, score::*, *};
use proptest::prelude::*;
use rust_decimal_macros::dec;

/// The golden model with weekly_active fresh for 30 days.
fn model() -> Model {
    let mut c = golden_config();
    c.metrics[2].max_age_days = Some(30);
    Model::new(c).unwrap()
}

/// All golden metrics at 60 on the 23rd, weekly_active observed `ago` days earlier.
fn account_with_weekly_age(ago: i64) -> AccountData {
    let mut a = account(
        dec!(2500),
        &[("seats", 0.62), ("sentiment", 3.4), ("breadth", 0.8)],
    );
    a.observations.push(Observation::new(
        "weekly_active",
        0.4,
        day(23) - chrono::Duration::days(ago),
    ));
    a
}

#[test]
fn exactly_at_the_maximum_age_is_fresh() {
    // adoption = (3·60 + 1·100)/4 = 70; overall = 18 + 18 + 0.4·70 = 64.
    let model = model();
    let a = model.bind(account_with_weekly_age(30)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.overall()), Some(64_000_000));
    assert_eq!(s.explain().stale().count(), 0);
    assert_eq!(a.stale_metrics().count(), 0);
}

#[test]
fn one_day_over_is_stale_and_its_weight_is_redistributed() {
    // adoption = breadth alone = 100; overall = 18 + 18 + 40 = 76;
    // coverage = 0.3 + 0.3 + 0.4·1/4 = 0.7.
    let model = model();
    let a = model.bind(account_with_weekly_age(31)).unwrap();
    let s = a.score();
    assert_eq!(micros(s.dimension(Dimension::Adoption)), Some(100_000_000));
    assert_eq!(micros(s.overall()), Some(76_000_000));
    assert_eq!(s.coverage().micros(), 700_000);
    let why = s.explain();
    let weekly = why
        .metrics
        .iter()
        .find(|m| m.id == "weekly_active")
        .unwrap();
    assert_eq!(weekly.status, MetricStatus::Stale { age_days: 31 });
    assert!(
        weekly.observation.is_some(),
        "the stale value is still shown"
    );
    assert_eq!(why.stale().collect::<Vec<_>>(), [("weekly_active", 31)]);
    assert_eq!(why.missing().count(), 0);
    assert_eq!(
        a.stale_metrics().collect::<Vec<_>>(),
        [("weekly_active", 31)]
    );
    assert!(
        s.to_string()
            .ends_with("; stale weekly active (31 days old); coverage 70%"),
        "{s}"
    );
    let json = serde_json::to_value(s.record()).unwrap();
    let weekly = &json["metrics"][2];
    assert_eq!(weekly["id"], "weekly_active");
    assert_eq!(
        weekly["status"],
        serde_json::json!({"kind": "stale", "age_days": 31})
    );
    assert_eq!(s.record().stale().collect::<Vec<_>>(), ["weekly_active"]);
}

#[test]
fn stale_values_follow_the_missing_policy() {
    let mut c = golden_config();
    c.metrics[2].max_age_days = Some(30);
    c.metrics[2].missing = MissingPolicy::Worst;
    let model = Model::new(c).unwrap();
    let a = model.bind(account_with_weekly_age(90)).unwrap();
    let s = a.score();
    // adoption = (3·0 + 100)/4 = 25 → overall 18 + 18 + 10 = 46: a stale value never keeps an account green.
    assert_eq!(micros(s.overall()), Some(46_000_000));
    assert!(
        s.to_string()
            .contains("adoption 25 (weekly active stale) pulls down"),
        "{s}"
    );
}

#[test]
fn portfolio_counts_stale_accounts_and_values() {
    let model = model();
    let accounts: Vec<_> = [0, 31, 45]
        .iter()
        .map(|ago| model.bind(account_with_weekly_age(*ago)).unwrap())
        .collect();
    let mut summary = PortfolioSummary::new(&model);
    for a in &accounts {
        summary.add(&a.score()).expect("same model");
    }
    assert_eq!(summary.stale(), (2, 2));
}

#[test]
fn max_age_round_trips_through_config() {
    let mut c = golden_config();
    c.metrics[2].max_age_days = Some(30);
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains(r#""max_age_days":30"#));
    assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), c);
    let built = MetricConfig::new(
        "m",
        Dimension::Roi,
        MetricKind::Ratio,
        CurveConfig::linear([(0, 0), (1, 100)]),
    )
    .max_age_days(7);
    assert_eq!(built.max_age_days, Some(7));
}

proptest! {
    #[test]
    fn a_stale_value_scores_exactly_like_no_value(
        ago in 0i64..120,
        weekly in 0u32..=1_000_000,
        seats in proptest::option::of(0u32..=1_000_000),
    ) {
        let model = model();
        let mut with = account(dec!(2500), &[("sentiment", 3.0), ("breadth", 0.2)]);
        if let Some(v) = seats {
            with.observations.push(Observation::new("seats", f64::from(v) / 1e6, day(20)));
        }
        let without = with.clone();
        with.observations.push(Observation::new("weekly_active", f64::from(weekly) / 1e6, day(23) - chrono::Duration::days(ago)));
        let (a, b) = (model.bind(with).unwrap(), model.bind(without).unwrap());
        let (sa, sb) = (a.score(), b.score());
        if ago > 30 {
            prop_assert_eq!(sa.overall(), sb.overall());
            prop_assert_eq!(sa.band(), sb.band());
            prop_assert_eq!(sa.coverage(), sb.coverage());
        } else {
            prop_assert!(sa.coverage() > sb.coverage());
        }
    }
}
