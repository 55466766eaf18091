//! Hostile input: arbitrary configurations and accounts never panic; each
//! either compiles/binds or returns an error, and whatever scores is bounded.

mod common;
use common::*;
use healthscore::{model::*, score::*, *};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Any decimal, from tiny and very precise to enormous, either sign.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(m, scale)| Decimal::new(m, scale))
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(-0.0),
        any::<f64>(),
        -200.0f64..200.0,
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Flag),
        any_f64().prop_map(Value::Number),
        any_decimal().prop_map(Value::Exact),
    ]
}

fn any_curve() -> impl Strategy<Value = CurveConfig> {
    let pts = || proptest::collection::vec((any_decimal(), any_decimal()), 0..5);
    prop_oneof![
        pts().prop_map(|points| CurveConfig::Linear { points }),
        pts().prop_map(|points| CurveConfig::Bounded { points }),
        (any_decimal(), pts()).prop_map(|(below, steps)| CurveConfig::Steps { below, steps }),
        pts().prop_map(|points| CurveConfig::Range { points }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiling_any_mutation_of_a_valid_model_never_panics(
        which in 0usize..4,
        curve in any_curve(),
        weight in any_decimal(),
        bands in (any_decimal(), any_decimal(), any_decimal()),
        coverage in any_decimal(),
        tier in (any_decimal(), proptest::option::of(any_decimal())),
        hysteresis in any_decimal(),
    ) {
        let mut c = golden_config();
        c.metrics[which].curve = curve;
        c.metrics[which].weight = weight;
        c.scorecards[which % 2].bands = BandsConfig::new(bands.0, bands.1, bands.2);
        c.scorecards[which % 2].min_coverage = coverage;
        c.scorecards[which % 2].hysteresis = hysteresis;
        c.segments.mrr_tiers[which % 2] = Tier::new("t", tier.0, tier.1);
        match Model::new(c) {
            Ok(model) => {
                // Whatever compiled scores within bounds.
                let a = model.bind(account(Decimal::from(500), &[("seats", 0.5), ("sentiment", 3.0), ("weekly_active", 0.3)]));
                if let Ok(a) = a {
                    let s = a.score();
                    prop_assert!(s.overall().is_none_or(|p| p <= Points::MAX));
                    let _ = s.to_string();
                }
            }
            Err(e) => prop_assert!(!e.problems().is_empty()),
        }
    }

    #[test]
    fn binding_any_account_never_panics(
        mrr in any_decimal(),
        employees in any::<u32>(),
        stage in proptest::option::of("[a-z]{0,8}"),
        observations in proptest::collection::vec(
            (prop::sample::select(vec!["seats", "sentiment", "weekly_active", "breadth", "nope", ""]),
             any_value(),
             -400i64..400,
             proptest::option::of("[a-z]{0,4}")),
            0..12),
    ) {
        let model = golden();
        let mut data = AccountData::new("x", mrr, employees, day(23));
        data.stage = stage;
        for (metric, value, offset, author) in observations {
            let mut o = Observation::new(metric, value, day(23) + chrono::Duration::days(offset));
            o.author = author;
            data.observations.push(o);
        }
        match model.bind(data) {
            Ok(a) => {
                let s = a.score();
                prop_assert!(s.coverage() <= Share::ONE);
                let why = s.explain();
                let sum: u32 = why.metrics.iter().map(|m| m.contribution.micros()).sum();
                prop_assert_eq!(sum, s.overall().map_or(0, Points::micros));
                let _ = serde_json::to_string(&s.record()).unwrap();
            }
            Err(e) => {
                prop_assert!(!e.problems.is_empty());
                prop_assert!(e.to_string().starts_with("account x: "));
            }
        }
    }
}

proptest! {
    #[test]
    fn generated_accounts_always_bind(
        golden_data in healthscore::strategy::account(&golden(), day(23)),
        bundled_data in healthscore::strategy::account(&Model::new(bundled_config()).unwrap(), day(23)),
    ) {
        prop_assert!(golden().bind(golden_data).is_ok());
        let bundled = Model::new(bundled_config()).unwrap();
        let result = bundled.bind(bundled_data);
        prop_assert!(result.is_ok(), "{:?}", result.err());
    }
}
