//! The reproducers of issue #8 that crashed a process: unchecked date
//! arithmetic on extreme dates and day counts, dates accepted beyond what
//! is documented, and duplicate map keys silently changing a model.

mod common;
use chrono::{Duration, NaiveDate};
use common::*;
use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Outcome};
use healthscore::cta::{CtaKind, CtaRecord, CtaStatus, RuleSet, RuleSetConfig};
use healthscore::history::{History, HistoryError, ScorePoint};
use healthscore::model::ModelConfig;
use healthscore::score::AccountProblem;
use healthscore::{AccountData, Band, Model, Points};
use rust_decimal_macros::dec;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn rule_json(extra: &str) -> String {
    format!(
        r#"{{"rules": [{{"id": "r", "title": "t", "kind": "risk", "touch": "tech-touch",
            "owner": "csm", "when": {{"all": []}} {extra}}}]}}"#
    )
}

#[test]
fn huge_day_counts_are_refused_at_load_with_their_path() {
    let model = golden();
    for (extra, path) in [
        (r#", "due_in_days": 100000000"#, "rules[0].due_in_days"),
        (r#", "cooldown_days": 4294967295"#, "rules[0].cooldown_days"),
        (
            r#", "cap": {"times": 1, "per_days": 100000000}"#,
            "rules[0].cap.per_days",
        ),
    ] {
        let err = RuleSet::from_json_str(&rule_json(extra), &model).unwrap_err();
        assert!(
            err.to_string().contains(&format!("{path}: "))
                && err
                    .to_string()
                    .contains("days is more than the 36500 allowed"),
            "{err}"
        );
    }
}

#[test]
fn the_largest_day_counts_at_the_calendars_ends_do_not_panic() {
    let model = golden();
    let rules = RuleSet::from_json_str(
        &rule_json(r#", "due_in_days": 36500, "cooldown_days": 36500, "cap": {"times": 1, "per_days": 36500}"#),
        &model,
    )
    .unwrap();
    for as_of in [date(9999, 12, 31), date(1, 1, 2)] {
        let account = model
            .bind(AccountData::new("x", dec!(10), 1, as_of))
            .unwrap();
        let score = account.score();
        // No records: opens, due at the last documented date at the latest.
        let eval = rules.evaluate(&score, &[], &[]).unwrap();
        let cta = eval.opened().next().expect("all([]) holds");
        assert!(cta.due >= as_of && cta.due <= date(9999, 12, 31));
        // A closed record (cooldown reaching past 9999) and an opened one (cap
        // period reaching before year 1): quiet, no panic.
        let closed = CtaRecord {
            rule: "r".into(),
            kind: CtaKind::Risk,
            opened_on: as_of,
            status: CtaStatus::Closed { on: as_of },
        };
        let eval = rules.evaluate(&score, &[closed], &[]).unwrap();
        assert_eq!(eval.opened().count(), 0);
    }
}

/// An as-of date out of range is one problem, not one more for each
/// observation dated on it (as a columnar row's observations are when the
/// file has no observation dates); an observation dated out of range on
/// its own is named.
#[test]
fn an_as_of_date_out_of_range_is_reported_once() {
    let model = golden();
    let year0 = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    let mut data = account(dec!(100), &[("seats", 0.5), ("weekly_active", 0.4)]);
    data.as_of = year0;
    for o in &mut data.observations {
        o.observed_on = year0;
    }
    let err = model.bind(data).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(
        err.to_string()
            .contains("as_of 0000-01-01 is outside the years 1 to 9999"),
        "{err}"
    );
    let mut data = account(dec!(100), &[("seats", 0.5), ("weekly_active", 0.4)]);
    if let Some(o) = data.observations.first_mut() {
        o.observed_on = year0;
    }
    let err = model.bind(data).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(
        err.to_string()
            .contains("observation of seats 0000-01-01 is outside"),
        "{err}"
    );
}

#[test]
fn dates_beyond_the_documented_years_are_refused() {
    let model = golden();
    // Through the Rust API: a typed error naming the date, never a panic later.
    let far = AccountData::new("far", dec!(10), 1, NaiveDate::MAX).date("renewal", NaiveDate::MIN);
    let err = model.bind(far).unwrap_err();
    assert!(
        matches!(err.problems[0], AccountProblem::DateOutOfRange { .. }),
        "{err}"
    );
    assert_eq!(err.problems.len(), 2, "{err}");
    // Through input: only YYYY-MM-DD with years 0001 to 9999.
    for bad in [
        "+262142-12-31",
        "+10000-01-01",
        " 2026-11-20",
        "2026-11-20 ",
        "0000-12-31",
        "2026-11-20T00:00:00",
    ] {
        let text = format!(r#"{{"id": "a", "mrr": "1", "employees": 1, "as_of": "{bad}"}}"#);
        let err = serde_json::from_str::<AccountData>(&text).unwrap_err();
        assert!(
            err.to_string()
                .contains("is not a date (YYYY-MM-DD, years 0001 to 9999)"),
            "{bad}: {err}"
        );
    }
    let text = r#"{"rule": "r", "kind": "risk", "opened_on": "2026-11-01", "status": {"state": "snoozed", "until": "+99999-01-01"}}"#;
    assert!(serde_json::from_str::<CtaRecord>(text).is_err());
    let text = r#"{"id": "a", "mrr": "1", "employees": 1, "as_of": "2026-11-20", "dates": {"renewal": "20270101"}}"#;
    assert!(serde_json::from_str::<AccountData>(text).is_err());
}

#[test]
fn a_huge_history_window_is_the_documented_error() {
    let point = |d| ScorePoint {
        date: d,
        overall: Points::from_micros(50_000_000),
        dimensions: [None; 4],
        band: Some(Band::Yellow),
        model_version: "1".into(),
    };
    let h = History::new([point(date(2026, 1, 1)), point(date(2026, 2, 1))]).unwrap();
    for window in [Duration::days(1_000_000_000), Duration::MAX] {
        assert!(matches!(
            h.delta(window),
            Err(HistoryError::WindowBeforeHistory { .. })
        ));
        assert!(h.trend(window, Points::ZERO).is_err());
    }
}

#[test]
fn a_huge_backtest_horizon_counts_every_later_outcome() {
    let scores = [DatedScore {
        account: "a".into(),
        date: date(9999, 1, 1),
        score: Points::ZERO,
        band: Band::Red,
        mrr: dec!(5),
    }];
    let outcomes = [DatedOutcome {
        account: "a".into(),
        date: date(9999, 12, 31),
        outcome: Outcome::Churned,
    }];
    for horizon in [100_000_000, u32::MAX] {
        let bt = Backtest::run(&scores, &outcomes, horizon);
        assert_eq!(bt.bands[Band::Red.index()].churned, 1);
    }
}

#[test]
fn a_key_given_twice_in_a_map_is_an_error_naming_it() {
    // Last-wins changed 883 of 2,000 scores: now an error.
    let text = std::fs::read_to_string("examples/data/model.json").unwrap();
    let doubled = text.replacen(
        r#""dimension_weights": {"#,
        r#""dimension_weights": {"roi": 0.2, "roi": 0, "#,
        1,
    );
    assert_ne!(doubled, text, "the fixture has dimension weights");
    let err = serde_json::from_str::<ModelConfig>(&doubled).unwrap_err();
    assert!(err.to_string().contains("duplicate key Roi"), "{err}");
    let err = Model::from_json_str(&doubled).unwrap_err();
    assert!(err.to_string().contains("duplicate key"), "{err}");
    let account = r#"{"id": "a", "mrr": "1", "employees": 1, "as_of": "2026-11-20",
        "dates": {"renewal": "2027-01-01", "renewal": "2026-12-01"}}"#;
    let err = serde_json::from_str::<AccountData>(account).unwrap_err();
    assert!(
        err.to_string().contains(r#"duplicate key "renewal""#),
        "{err}"
    );
    let rules = r#"{"rules": [], "rules": []}"#;
    assert!(
        serde_json::from_str::<RuleSetConfig>(rules).is_err(),
        "struct fields were already strict"
    );
}
