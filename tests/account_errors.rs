//! Every bad account value gets a specific error naming the account and metric.

mod common;
use common::*;
use healthscore::{model::*, score::*};
use rust_decimal_macros::dec;

fn bind_err(data: AccountData) -> AccountError {
    golden().bind(data).unwrap_err()
}

fn one(metric: &str, value: Value) -> AccountData {
    account(dec!(100), &[]).observe(Observation {
        value,
        ..Observation::new(metric, 0.0, day(20))
    })
}

#[test]
fn out_of_range_values_are_errors_not_clamped() {
    let cases = [
        (
            one("weekly_active", Value::Number(1.7)),
            "account acme: weekly_active: ratio number 1.7 is outside 0..=1",
        ),
        (
            one("weekly_active", Value::Number(-0.1)),
            "account acme: weekly_active: ratio number -0.1 is outside 0..=1",
        ),
        (
            one("weekly_active", Value::Number(f64::NAN)),
            "account acme: weekly_active: NaN is not a finite number",
        ),
        (
            one("weekly_active", Value::Number(f64::INFINITY)),
            "account acme: weekly_active: inf is not a finite number",
        ),
        (
            one("weekly_active", Value::Number(1e13)),
            "account acme: weekly_active: 10000000000000 is outside the range ±10^12",
        ),
        (
            one("weekly_active", Value::Flag(true)),
            "account acme: weekly_active: expected a ratio value, got flag true",
        ),
    ];
    for (data, expected) in cases {
        assert_eq!(bind_err(data).to_string(), expected);
    }
}

#[test]
fn kind_ranges_of_the_bundled_model() {
    let model = Model::new(bundled_config()).unwrap();
    let base = || AccountData::new("big-co", dec!(20000), 5000, day(23));
    let check = |metric: &str, value: Value, expected: &str| {
        let data = base().observe(Observation {
            value,
            ..Observation::new(metric, 0.0, day(20))
        });
        assert_eq!(model.bind(data).unwrap_err().to_string(), expected);
    };
    check(
        "nps",
        Value::Number(140.0),
        "account big-co: nps: nps number 140 is outside -100..=100",
    );
    check(
        "integrations",
        Value::Number(-2.0),
        "account big-co: integrations: count number -2 is outside 0..=1000000000000",
    );
    check(
        "support_csat",
        Value::Number(6.0),
        "account big-co: support_csat: csat number 6 is outside 1..=5",
    );
    // Flags arrive as true/false or 0/1; anything else is refused.
    check(
        "sso_enabled",
        Value::Number(2.0),
        "account big-co: sso_enabled: expected a flag value, got number 2",
    );
    check(
        "sso_enabled",
        Value::Number(0.5),
        "account big-co: sso_enabled: expected a flag value, got number 0.5",
    );
    // A number too small or too large to write out in full is shown as
    // `1e-300`, not as a line of 300 digits.
    check(
        "sso_enabled",
        Value::Number(-1e-300),
        "account big-co: sso_enabled: expected a flag value, got number -1e-300",
    );
    check(
        "sso_enabled",
        Value::Number(1e200),
        "account big-co: sso_enabled: expected a flag value, got number 1e200",
    );
    check(
        "sso_enabled",
        Value::Number(0.000001),
        "account big-co: sso_enabled: expected a flag value, got number 0.000001",
    );
    assert_eq!(Value::Number(2.5e-7).to_string(), "2.5e-7");
    assert_eq!(Value::Number(0.25).to_string(), "0.25");
    assert_eq!(format!("{:.2}", Value::Number(0.25)), "0.25");
    assert_eq!(format!("{:>6}", Value::Number(1.5)), "   1.5");
    for ok in [
        Value::Number(1.0),
        Value::Number(0.0),
        Value::from(1),
        Value::from(0u8),
    ] {
        let data = base().observe(Observation::new("sso_enabled", ok, day(20)));
        assert!(model.bind(data).is_ok(), "{ok:?} is a flag");
    }
    check(
        "value_realised",
        Value::Exact(dec!(10000000000000)),
        "account big-co: value_realised: 10000000000000 is outside the range ±10^12",
    );
    // A judgement needs its author.
    let data = base().observe(Observation::new("csm_sentiment", 3.0, day(20)));
    assert_eq!(
        model.bind(data).unwrap_err().to_string(),
        "account big-co: csm_sentiment: a CSM judgement needs an author"
    );
    // Money is exact; extra decimals round half-even to millionths.
    let data = base().observe(Observation::new(
        "value_realised",
        dec!(1200.0000005),
        day(20),
    ));
    assert!(model.bind(data).is_ok());
}

#[test]
fn account_level_problems_are_all_reported() {
    let mut data = account(dec!(-5), &[("weekly_active", 0.5), ("nope", 1.0)]);
    data.id = String::new();
    data.stage = Some("onboarding".into()); // the golden model declares no stages: ignored
    data.observations
        .push(Observation::new("breadth", 0.2, day(24)));
    data.observations
        .push(Observation::new("weekly_active", 0.4, day(20)));
    let e = bind_err(data);
    assert_eq!(
        e.problems,
        [
            AccountProblem::EmptyId,
            AccountProblem::NegativeMrr(dec!(-5)),
            AccountProblem::UnknownMetric("nope".into()),
            AccountProblem::ObservedAfterAsOf {
                metric: "breadth".into(),
                observed: day(24),
                as_of: day(23)
            },
            AccountProblem::DuplicateObservation {
                metric: "weekly_active".into(),
                date: day(20)
            },
        ]
    );
    assert_eq!(
        e.to_string(),
        "id is missing (empty or only spaces); mrr -5 is negative; nope: unknown metric; breadth: observed on 2026-11-24, after the as-of date 2026-11-23; weekly_active: two observations on 2026-11-20"
    );
}

#[test]
fn a_blank_id_is_a_missing_one() {
    // Only white space is no id either: a table's blank cell, or an id
    // column padded where it had nothing.
    for id in ["", " ", "\t \u{3000}"] {
        let mut data = account(dec!(5), &[]);
        data.id = id.into();
        let e = bind_err(data);
        assert_eq!(e.problems, [AccountProblem::EmptyId], "{id:?}");
        assert_eq!(e.to_string(), "id is missing (empty or only spaces)");
    }
    // An id with something else in it is kept as it is, spaces included.
    let mut data = account(dec!(5), &[]);
    data.id = " a ".into();
    assert_eq!(
        golden()
            .bind(data)
            .map(|a| a.id().to_string())
            .ok()
            .as_deref(),
        Some(" a ")
    );
}

#[test]
fn absurd_mrr_is_refused() {
    let e = bind_err(account(dec!(1000000000000001), &[]));
    assert_eq!(
        e.to_string(),
        "account acme: mrr 1000000000000001 is above 10^15"
    );
    assert!(golden().bind(account(dec!(1000000000000000), &[])).is_ok());
}

#[test]
fn unknown_stage_when_the_model_declares_stages() {
    let model = Model::new(bundled_config()).unwrap();
    let data = AccountData::new("x", dec!(10), 3, day(23)).stage("churned");
    assert_eq!(
        model.bind(data).unwrap_err().problems,
        [AccountProblem::UnknownStage("churned".into())]
    );
    let data = AccountData::new("x", dec!(10), 3, day(23)).stage("onboarding");
    let a = model.bind(data).unwrap();
    assert_eq!(a.scorecard(), "onboarding");
    assert_eq!(a.segment().to_string(), "smb/small/onboarding");
}

#[test]
fn account_json_ignores_unknown_fields_and_rejects_bad_types() {
    // Services send their own fields alongside: ignored, as documented.
    let extra = r#"{"id": "a", "mrr": "10", "employees": 3, "as_of": "2026-11-23", "colour": "red",
        "observations": [{"metric": "weekly_active", "value": 0.5, "observed_on": "2026-11-20", "source": "crm"}]}"#;
    let data = serde_json::from_str::<AccountData>(extra).unwrap();
    assert_eq!((data.id.as_str(), data.observations.len()), ("a", 1));
    let negative = r#"{"id": "a", "mrr": "10", "employees": -3, "as_of": "2026-11-23"}"#;
    assert!(serde_json::from_str::<AccountData>(negative).is_err());
    let ok = r#"{"id": "a", "mrr": 10.5, "employees": 3, "as_of": "2026-11-23",
                 "observations": [{"metric": "weekly_active", "value": 0.5, "observed_on": "2026-11-20"}]}"#;
    let data: AccountData = serde_json::from_str(ok).unwrap();
    assert_eq!(data.mrr, dec!(10.5));
    assert!(golden().bind(data).is_ok());
}

#[test]
fn employees_in_json_are_whole_numbers_however_written() {
    // A data frame with a missing value writes its integers as 80.0.
    let with = |employees: &str| {
        let text = format!(
            r#"{{"id": "a", "mrr": "10", "employees": {employees}, "as_of": "2026-11-23"}}"#
        );
        serde_json::from_str::<AccountData>(&text).map(|d| d.employees)
    };
    assert_eq!(with("80").unwrap(), 80);
    assert_eq!(with("80.0").unwrap(), 80);
    assert_eq!(with("1e3").unwrap(), 1_000);
    assert_eq!(with("4294967295").unwrap(), u32::MAX);
    for bad in [
        "80.5",
        "-1",
        "-1.0",
        "4294967296",
        "4294967296.0",
        "\"80\"",
        "null",
        "true",
    ] {
        let e = with(bad).unwrap_err().to_string();
        assert!(
            e.contains("expected a whole number from 0 to 4294967295"),
            "{bad}: {e}"
        );
    }
}

/// Two values of a metric on one date are an error when that date is the
/// metric's latest (which value to score cannot be told), in whatever
/// order the observations come; a repeated earlier date is not read (the
/// latest wins) and binds, also in any order. Each tie is named once.
#[test]
fn a_tie_on_the_latest_date_is_an_error_in_any_order() {
    let tie = |order: &[(f64, u32)]| {
        let mut data = account(dec!(10), &[]);
        for (v, d) in order {
            data.observations
                .push(Observation::new("weekly_active", *v, day(*d)));
        }
        Model::new(golden_config())
            .unwrap()
            .bind(data)
            .map(|a| a.score().overall())
            .map_err(|e| e.to_string())
    };
    let latest_tie = "account acme: weekly_active: two observations on 2026-11-20";
    for order in [
        [(0.2, 1), (0.4, 20), (0.6, 20)],
        [(0.4, 20), (0.2, 1), (0.6, 20)],
        [(0.4, 20), (0.6, 20), (0.2, 1)],
    ] {
        assert_eq!(tie(&order).unwrap_err(), latest_tie, "{order:?}");
    }
    // Three on the latest date: named once.
    assert_eq!(
        tie(&[(0.4, 20), (0.6, 20), (0.8, 20)]).unwrap_err(),
        latest_tie
    );
    // A tie on an earlier date: the latest value is scored, in any order.
    let scored = tie(&[(0.5, 20)]).unwrap();
    for order in [
        [(0.2, 1), (0.3, 1), (0.5, 20)],
        [(0.2, 1), (0.5, 20), (0.3, 1)],
        [(0.5, 20), (0.2, 1), (0.3, 1)],
    ] {
        assert_eq!(tie(&order), Ok(scored), "{order:?}");
    }
}
