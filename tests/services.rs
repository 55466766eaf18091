//! Used as a service uses it: results that outlive the bound account,
//! serialise and read back; models and rules loaded from text and files;
//! account payloads as services and warehouses send them; binding by
//! metric handle; summaries merged from parallel parts.

mod common;
use common::*;
use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Distribution, Outcome};
use healthscore::cta::{CtaSummary, RuleSet};
use healthscore::history::{History, ScorePoint};
use healthscore::model::LoadError;
use healthscore::score::AccountProblem;
use healthscore::{
    AccountData, AccountError, Band, Model, Observation, PortfolioSummary, ScoreRecord, Value,
};
use proptest::prelude::*;
use rust_decimal_macros::dec;

/// What a request handler does: parse, bind, score, return an owned record.
fn handle(model: &Model, body: &str) -> Result<ScoreRecord, Box<dyn std::error::Error>> {
    let data: AccountData = serde_json::from_str(body)?;
    Ok(model.bind(data)?.score().record())
}

/// The value of the `seats` observation of a payload whose value is
/// written `value`.
fn seats_payload(value: &str) -> String {
    format!(
        r#"{{"id": 1, "mrr": "2500.00", "employees": 80, "as_of": "2026-11-23",
        "observations": [{{"metric": "seats", "value": {value}, "observed_on": "2026-11-20"}}]}}"#
    )
}

/// JSON numbers read as the nearest double, as Rust's own parser reads
/// them, whatever their digits, and records with them read back exactly.
/// serde_json's default parser was a unit in the last place off for some
/// 16- and 17-digit numbers, which is how records write doubles: a fuzzed
/// account's `0.9944444444444445` read back as `0.9944444444444444`.
#[test]
fn json_numbers_read_as_the_nearest_double() {
    let model = golden();
    for text in [
        "0.9944444444444445",
        "0.99444444444444444444444444444444444444444444444444444447",
        "0.30000000000000004",
        "0.1",
        "0.7",
        "1e-7",
        "2.2250738585072014e-308",
        "4.9e-324",
        "0.8999999999999999",
        "9007199254740993e-16",
    ] {
        let data: AccountData = serde_json::from_str(&seats_payload(text)).unwrap();
        let read = match data.observations.first().map(|o| &o.value) {
            Some(Value::Number(x)) => *x,
            other => panic!("{text}: {other:?}"),
        };
        let nearest: f64 = text.parse().unwrap();
        assert_eq!(read.to_bits(), nearest.to_bits(), "{text}");
        let record = model.bind(data).unwrap().score().record();
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            serde_json::from_str::<ScoreRecord>(&json).unwrap(),
            record,
            "{text}"
        );
    }
}

#[test]
fn a_handler_returns_an_owned_record_that_reads_back_exactly() {
    let model = golden();
    let body = r#"{"id": 4711, "mrr": "2500.00", "employees": 80, "as_of": "2026-11-23",
        "observations": [{"metric": "seats", "value": 0.9, "observed_on": "2026-11-20"},
                         {"metric": "weekly_active", "value": 0.35, "observed_on": "2026-11-20"}],
        "crm_owner": "dana"}"#;
    let record = handle(&model, body).unwrap();
    assert_eq!(
        record.id, "4711",
        "integer ids are read as their decimal text"
    );
    assert_eq!(
        record.model_fingerprint,
        format!("{:016x}", model.fingerprint().hash)
    );
    let json = serde_json::to_string(&record).unwrap();
    assert_eq!(serde_json::from_str::<ScoreRecord>(&json).unwrap(), record);
    // seats 100, adoption (3·50)/3 = 50 (breadth excluded): 0.3·100 + 0.4·50 over 0.7
    // = 71.428571; coverage 0.3 + 0.4·3/4 = 0.6 → banded, mid lime.
    assert_eq!(
        record.score.map(|p| p.to_string()).as_deref(),
        Some("71.428571")
    );
    assert_eq!(record.band, Some(Band::Lime));
    assert_eq!(
        record.summary,
        model
            .bind(serde_json::from_str(body).unwrap())
            .unwrap()
            .score()
            .to_string()
    );
}

#[test]
fn payloads_as_services_send_them() {
    let model = Model::new(bundled_config()).unwrap();
    let body = r#"{"id": 7, "mrr": 1200, "employees": 40, "as_of": "2026-11-23", "source": "warehouse",
        "observations": [
          {"metric": "sso_enabled", "value": 1, "observed_on": "2026-11-20"},
          {"metric": "seats_provisioned", "value": 1, "observed_on": "2026-11-20", "unit": "ratio"},
          {"metric": "integrations", "value": 3, "observed_on": "2026-11-20"},
          {"metric": "nps", "value": -20, "observed_on": "2026-11-20"}]}"#;
    let data: AccountData = serde_json::from_str(body).unwrap();
    let account = model.bind(data).unwrap();
    assert_eq!(account.id(), "7");
    assert_eq!(
        account.observation("sso_enabled").map(|o| o.value),
        Some(Value::from(1))
    );
    // Anything else stays a typed error naming account and metric.
    let flag_text = body.replace(
        r#""value": 1, "observed_on": "2026-11-20"}"#,
        r#""value": "yes", "observed_on": "2026-11-20"}"#,
    );
    assert!(
        serde_json::from_str::<AccountData>(&flag_text).is_err(),
        "\"yes\" is no flag"
    );
    let two = body.replacen(r#""value": 1,"#, r#""value": 2,"#, 1);
    let err = model.bind(serde_json::from_str(&two).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "account 7: sso_enabled: expected a flag value, got decimal 2"
    );
    assert!(
        serde_json::from_str::<AccountData>(&body.replace(r#""id": 7"#, r#""id": {"n": 7}"#))
            .is_err()
    );
    assert_eq!(Value::from(3u8), Value::from(3i64));
    assert_eq!(Value::from(0.1f32), Value::Number(0.1));
    assert_eq!(Value::from(-4i32), Value::Exact(dec!(-4)));
}

#[test]
fn errors_serialise_as_structured_objects() {
    let model = golden();
    let bad = AccountData::new("acme", dec!(-5), 10, day(23))
        .observe(Observation::new("weekly_active", 1.7, day(20)))
        .observe(Observation::new("colour", 1.0, day(20)));
    let err: AccountError = model.bind(bad).unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["account"], "acme");
    assert_eq!(
        json["problems"][0],
        serde_json::json!({"kind": "negative-mrr", "message": "mrr -5 is negative"})
    );
    assert_eq!(json["problems"][1]["kind"], "value");
    assert_eq!(json["problems"][1]["metric"], "weekly_active");
    assert_eq!(json["problems"][2]["kind"], "unknown-metric");
    assert!(matches!(err.problems[2], AccountProblem::UnknownMetric(_)));
    let load = Model::from_json_str("{").unwrap_err();
    assert_eq!(serde_json::to_value(&load).unwrap()["kind"], "parse");
}

#[test]
fn results_serialise_and_read_back() {
    let model = golden();
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.5), ("weekly_active", 0.3), ("breadth", 0.2)],
        ))
        .unwrap();
    let score = a.score();
    assert_eq!(
        serde_json::to_value(&score).unwrap(),
        serde_json::to_value(score.record()).unwrap()
    );
    let why = serde_json::to_value(score.explain()).unwrap();
    assert_eq!(why["metrics"][0]["id"], "seats");
    assert_eq!(why["metrics"][1]["status"]["kind"], "missing");

    let mut summary = PortfolioSummary::new(&model);
    summary.add(&score).unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["model"]["version"], "1.0");
    assert_eq!(json["segments"][0]["segment"], "mid/all");
    // seats 42.857143, adoption (3·40 + 40)/4 = 40: (0.3·42.857143 + 0.4·40)/0.7
    // = 41.22449, yellow (mid: 40); coverage 0.7 ≥ 0.6.
    assert_eq!(score.band(), Some(Band::Yellow));
    assert_eq!(json["totals"]["bands"][Band::Yellow.index()]["count"], 1);
    assert_eq!(json["totals"]["insufficient"]["count"], 0);

    let point = score.point();
    let history = History::new([point.clone()]).unwrap();
    let text = serde_json::to_string(&history).unwrap();
    assert_eq!(serde_json::from_str::<History>(&text).unwrap(), history);
    let twice = serde_json::to_string(&[point.clone(), point]).unwrap();
    assert!(
        serde_json::from_str::<History>(&twice).is_err(),
        "a duplicate date stays an error"
    );
    let _: Vec<ScorePoint> = serde_json::from_str(&twice).unwrap();

    let scores = [DatedScore {
        account: "a".into(),
        date: day(1),
        score: healthscore::Points::ZERO,
        band: Band::Red,
        mrr: dec!(10),
    }];
    let outcomes = [DatedOutcome {
        account: "a".into(),
        date: day(5),
        outcome: Outcome::Churned,
    }];
    let bt = Backtest::run(&scores, &outcomes, 30);
    assert_eq!(
        serde_json::from_value::<Backtest>(serde_json::to_value(&bt).unwrap()).unwrap(),
        bt
    );
    let dist = Distribution::of([Band::Red, Band::Lime]);
    assert_eq!(
        serde_json::from_str::<Distribution>(&serde_json::to_string(&dist).unwrap()).unwrap(),
        dist
    );
}

#[test]
fn ctas_and_summaries_read_back() {
    let model = Model::from_path("examples/data/model.json").unwrap();
    let rules = RuleSet::from_path("examples/data/playbook.toml", &model).unwrap();
    let accounts = generated(&model, 300, 11);
    let mut summary = CtaSummary::default();
    for a in &accounts {
        let eval = rules.evaluate(&a.score(), &[], &[]).unwrap();
        let text = serde_json::to_string(&eval).unwrap();
        assert_eq!(
            serde_json::from_str::<healthscore::cta::Evaluation>(&text).unwrap(),
            eval
        );
        for cta in eval.opened() {
            let record = cta.record(day(23));
            let text = serde_json::to_string(&(cta, &record)).unwrap();
            assert_eq!(
                serde_json::from_str::<(healthscore::cta::Cta, healthscore::cta::CtaRecord)>(&text)
                    .unwrap(),
                (cta.clone(), record)
            );
        }
        summary.add(&eval);
    }
    assert!(summary.opened() > 0);
    let text = serde_json::to_string(&summary).unwrap();
    assert_eq!(serde_json::from_str::<CtaSummary>(&text).unwrap(), summary);
}

#[test]
fn loaders_name_the_file_and_the_format() {
    let model = Model::from_path("examples/data/model.toml").unwrap();
    assert_eq!(
        &model,
        &Model::from_path("examples/data/model.json").unwrap()
    );
    assert!(RuleSet::from_path("examples/data/playbook.json", &model).is_ok());
    // Cargo's directory for integration tests' files, inside the target
    // directory: the same two files are rewritten on every run, not left in
    // the system's temporary directory one set a run.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("loaders");
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"name\": \"x\",\n  \"version\": }").unwrap();
    let err = Model::from_path(&broken).unwrap_err();
    assert!(matches!(err, LoadError::Parse { .. }));
    assert!(
        err.to_string().starts_with(&format!(
            "{}: JSON: version: expected value at line 2",
            broken.display()
        )),
        "{err}"
    );
    // A value of the wrong type deep in the document: where, as a path,
    // before the parser's line and column; the same for a rule set.
    let text = std::fs::read_to_string("examples/data/model.json").unwrap();
    let negative = text.replacen("\"max_age_days\": 35", "\"max_age_days\": -35", 1);
    assert_ne!(negative, text);
    let err = Model::from_json_str(&negative).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "JSON: metrics[0].max_age_days: invalid value: integer `-35`, expected u32 at line 6"
        ),
        "{err}"
    );
    let rules = std::fs::read_to_string("examples/data/playbook.json").unwrap();
    let err = RuleSet::from_json_str(
        &rules.replacen("\"priority\": \"critical\"", "\"priority\": 7", 1),
        &model,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("JSON: rules[0].priority: "),
        "{err}"
    );
    // Text after the document is still refused.
    let err = Model::from_json_str(&format!("{text} junk")).unwrap_err();
    assert!(err.to_string().contains("trailing characters"), "{err}");
    let invalid = dir.join("invalid.toml");
    let text = std::fs::read_to_string("examples/data/model.toml")
        .unwrap()
        .replacen("green = 80", "green = 800", 1);
    std::fs::write(&invalid, text).unwrap();
    let err = Model::from_path(&invalid).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}: 1 problem in the configuration\n  scorecards[",
            invalid.display()
        )),
        "{err}"
    );
    let err = Model::from_path(dir.join("model.yaml")).unwrap_err();
    assert!(matches!(err, LoadError::UnknownFormat { .. }), "{err}");
    let err = Model::from_path(dir.join("absent.json")).unwrap_err();
    assert!(
        matches!(err, LoadError::Io { .. }) && err.to_string().contains("absent.json"),
        "{err}"
    );
    let err = RuleSet::from_json_str(r#"{"rules": []}"#, &model).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the configuration\n  rules: must not be empty"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_crate_re_exports_its_date_and_decimal_crates() {
    let d: healthscore::chrono::NaiveDate = day(23);
    let mrr: healthscore::rust_decimal::Decimal = dec!(10);
    assert!(golden().bind(AccountData::new("x", mrr, 1, d)).is_ok());
}

#[test]
fn a_handle_of_another_model_is_refused() {
    let model = golden();
    let mut other = golden_config();
    other.version = "2".into();
    let other = Model::new(other).unwrap();
    let foreign = other.metric_handle("seats").unwrap();
    let data = AccountData::new("x", dec!(10), 1, day(23)).observe_handle(foreign, 0.5, day(20));
    let err = model.bind(data).unwrap_err();
    assert_eq!(err.problems, [AccountProblem::ForeignHandle(0)]);
    let own = model.metric_handle("seats").unwrap();
    let data = AccountData::new("x", dec!(10), 1, day(23)).observe_handle(own, 1.7, day(20));
    assert_eq!(
        model.bind(data).unwrap_err().to_string(),
        "account x: seats: ratio number 1.7 is outside 0..=1"
    );
}

/// `n` generated accounts of a model, bound.
fn generated(model: &Model, n: usize, seed: u8) -> Vec<healthscore::Account<'_>> {
    use proptest::strategy::ValueTree;
    let strategy = healthscore::strategy::account(model, day(23));
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        Default::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed; 32],
        ),
    );
    (0..n)
        .map(|_| {
            model
                .bind(strategy.new_tree(&mut runner).unwrap().current())
                .unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn binding_by_handle_equals_binding_by_name(seed in any::<u8>()) {
        let model = Model::new(bundled_config()).unwrap();
        for a in generated(&model, 20, seed) {
            let named = a.data().clone();
            let mut by_handle = named.clone();
            for o in &mut by_handle.observations {
                let h = model.metric_handle(&o.metric).unwrap();
                *o = Observation { metric: String::new(), handle: Some(h), ..o.clone() };
            }
            let b = model.bind(by_handle).unwrap();
            prop_assert_eq!(a.score().record(), b.score().record());
        }
    }

    #[test]
    fn portfolio_summaries_merge_exactly_in_any_order(seed in any::<u8>(), cut in 0usize..=60) {
        let model = Model::new(bundled_config()).unwrap();
        let accounts = generated(&model, 60, seed);
        let summarise = |part: &[healthscore::Account<'_>]| {
            let mut s = PortfolioSummary::new(&model);
            part.iter().for_each(|a| s.add(&a.score()).unwrap());
            s
        };
        let (left, right) = accounts.split_at(cut);
        let mut lr = summarise(left);
        lr.merge(&summarise(right)).unwrap();
        let mut rl = summarise(right);
        rl.merge(&summarise(left)).unwrap();
        let whole = summarise(&accounts);
        prop_assert_eq!(&lr, &whole);
        prop_assert_eq!(&rl, &whole);
        prop_assert_eq!(serde_json::to_value(&lr).unwrap(), serde_json::to_value(&whole).unwrap());
    }

    #[test]
    fn cta_summaries_merge_exactly_in_any_order(seed in any::<u8>(), cut in 0usize..=60) {
        let model = Model::new(bundled_config()).unwrap();
        let rules = RuleSet::from_path("examples/data/playbook.json", &model).unwrap();
        let accounts = generated(&model, 60, seed);
        let scores: Vec<_> = accounts.iter().map(|a| a.score()).collect();
        let (left, right) = scores.split_at(cut);
        let mut lr = rules.evaluate_portfolio(left).unwrap();
        lr.merge(&rules.evaluate_portfolio(right).unwrap());
        let mut rl = rules.evaluate_portfolio(right).unwrap();
        rl.merge(&rules.evaluate_portfolio(left).unwrap());
        let whole = rules.evaluate_portfolio(&scores).unwrap();
        prop_assert_eq!(&lr, &whole);
        prop_assert_eq!(&rl, &whole);
    }

    /// Any ratio, written as records write it (the shortest digits that
    /// read back as the same double), reads back as that double.
    #[test]
    fn any_ratio_reads_back_exactly(x in 0.0f64..=1.0) {
        let model = golden();
        let data: AccountData = serde_json::from_str(&seats_payload(&x.to_string())).unwrap();
        let record = model.bind(data).unwrap().score().record();
        let json = serde_json::to_string(&record).unwrap();
        prop_assert_eq!(serde_json::from_str::<ScoreRecord>(&json).unwrap(), record);
        let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        prop_assert_eq!(back.to_bits(), x.to_bits());
    }

    #[test]
    fn records_read_back_exactly(seed in any::<u8>()) {
        let model = Model::new(bundled_config()).unwrap();
        for a in generated(&model, 20, seed) {
            let record = a.score().record();
            let text = serde_json::to_string(&record).unwrap();
            prop_assert_eq!(serde_json::from_str::<ScoreRecord>(&text).unwrap(), record);
        }
    }
}
