//! Trustworthy at the boundary: no colour without data, explanations that
//! say plainly what is missing, metrics in model order, back-test money
//! counted per account, rounded threshold proposals, and things compiled
//! against one model refusing another model's scores.

mod common;
use chrono::NaiveDate;
use common::*;
use healthscore::backtest::{
    propose_thresholds, Backtest, DatedOutcome, DatedScore, Outcome, ProposalError,
};
use healthscore::cta::RuleSet;
use healthscore::model::{CurveConfig, MissingPolicy, ModelMismatch};
use healthscore::score::MetricStatus;
use healthscore::{Band, Model, Points, PortfolioSummary, Share};
use rust_decimal_macros::dec;

/// The golden model with every metric imputed by `policy` when missing and
/// no minimum coverage: the setting in which "no data" used to turn green.
fn imputing(policy: MissingPolicy) -> Model {
    let mut c = golden_config();
    for m in &mut c.metrics {
        m.missing = policy.clone();
    }
    for card in &mut c.scorecards {
        card.min_coverage = dec!(0);
    }
    Model::new(c).unwrap()
}

#[test]
fn no_measured_data_gets_no_colour_whatever_the_imputation() {
    for policy in [MissingPolicy::Neutral(dec!(90)), MissingPolicy::Worst] {
        let model = imputing(policy.clone());
        let a = model.bind(account(dec!(2500), &[])).unwrap();
        let s = a.score();
        assert_eq!(
            s.band(),
            None,
            "{policy:?}: imputed values alone are no measurement"
        );
        assert_eq!(s.overall(), None, "{policy:?}");
        assert!(s.is_insufficient());
        assert_eq!(
            s.to_string(),
            "insufficient data: no metric of scorecard mid has a measured value; \
             missing seats, sentiment, weekly active, breadth"
        );
        let r = s.record();
        assert!(r.insufficient_data && r.band.is_none() && r.pulls_down_most.is_none());
        assert!(r.dimensions.iter().all(|d| d.score.is_none()));
    }
}

#[test]
fn stale_data_alone_gets_no_colour_either() {
    let mut c = golden_config();
    for m in &mut c.metrics {
        m.missing = MissingPolicy::Neutral(dec!(90));
        m.max_age_days = Some(30);
    }
    c.scorecards
        .iter_mut()
        .for_each(|card| card.min_coverage = dec!(0));
    let model = Model::new(c).unwrap();
    let mut data = account(dec!(2500), &[]);
    data.observations.push(healthscore::Observation::new(
        "seats",
        0.9,
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    ));
    let account_s = model.bind(data).unwrap();
    let s = account_s.score();
    assert_eq!(s.band(), None);
    assert!(s.to_string().contains("; stale seats (83 days old)"), "{s}");
}

#[test]
fn imputed_values_still_shape_a_score_that_has_data() {
    // seats 0.9 → 100 measured; the rest neutral 90:
    // 0.3·100 + 0.3·90 + 0.4·90 = 30 + 27 + 36 = 93 → green (mid: 80).
    let model = imputing(MissingPolicy::Neutral(dec!(90)));
    let account_s = model.bind(account(dec!(2500), &[("seats", 0.9)])).unwrap();
    let s = account_s.score();
    assert_eq!(micros(s.overall()), Some(93_000_000));
    assert_eq!(s.band(), Some(Band::Green));
    assert_eq!(s.coverage().micros(), 300_000);
    let why = s.explain();
    assert!(why
        .metrics
        .iter()
        .filter(|m| m.id != "seats")
        .all(|m| m.is_imputed()));
}

#[test]
fn out_of_range_is_shown_with_its_value_not_as_missing() {
    let mut c = golden_config();
    c.metrics[3].curve = CurveConfig::bounded([(dec!(0), dec!(0)), (dec!(0.5), dec!(100))]);
    let model = Model::new(c).unwrap();
    let all = [
        ("seats", 0.9),
        ("sentiment", 5.0),
        ("weekly_active", 0.6),
        ("breadth", 0.7),
    ];
    let account_s = model.bind(account(dec!(2500), &all)).unwrap();
    let s = account_s.score();
    // breadth is excluded: adoption = weekly active alone = 100, overall 100;
    // coverage 0.3 + 0.3 + 0.4·3/4 = 0.9.
    assert_eq!(
        s.to_string(),
        "100.0 green; out of range breadth 0.7; coverage 90%"
    );
    let why = s.explain();
    assert_eq!(why.missing().count(), 0);
    assert_eq!(
        why.out_of_range().map(|m| m.id).collect::<Vec<_>>(),
        ["breadth"]
    );
    let r = s.record();
    assert_eq!(r.out_of_range().collect::<Vec<_>>(), ["breadth"]);
    let breadth = r.metrics.iter().find(|m| m.id == "breadth").unwrap();
    assert_eq!(breadth.status, MetricStatus::OutOfRange);
    assert_eq!(breadth.value, Some(healthscore::Value::Number(0.7)));
}

#[test]
fn explanations_and_records_list_metrics_in_model_order() {
    // breadth (adoption) first, then deployment, engagement, adoption again:
    // scorecards group by dimension internally; explanations must not.
    let mut c = golden_config();
    let breadth = c.metrics.remove(3);
    c.metrics.insert(0, breadth);
    let model = Model::new(c).unwrap();
    let all = [
        ("seats", 0.5),
        ("sentiment", 3.0),
        ("weekly_active", 0.3),
        ("breadth", 0.1),
    ];
    let account_s = model.bind(account(dec!(2500), &all)).unwrap();
    let s = account_s.score();
    let order = ["breadth", "seats", "sentiment", "weekly_active"];
    assert_eq!(
        s.explain().metrics.iter().map(|m| m.id).collect::<Vec<_>>(),
        order
    );
    let r = s.record();
    assert_eq!(
        r.metrics.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        order
    );
    assert_eq!(model.metric_ids().collect::<Vec<_>>(), order);
}

#[test]
fn backtest_counts_churned_mrr_once_per_account() {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let s = |id: &str, date, band, mrr| DatedScore {
        account: id.into(),
        date,
        score: Points::from_micros(match band {
            Band::Red => 20_000_000,
            Band::Yellow => 50_000_000,
            _ => 90_000_000,
        })
        .unwrap(),
        band,
        mrr,
    };
    let scores = [
        // a: red three months running at rising MRR, then churns.
        s("a", d(1, 1), Band::Red, dec!(100)),
        s("a", d(2, 1), Band::Red, dec!(110)),
        s("a", d(3, 1), Band::Red, dec!(120)),
        // b: yellow, then red, then churns.
        s("b", d(1, 1), Band::Yellow, dec!(50)),
        s("b", d(2, 1), Band::Red, dec!(60)),
        // c: green twice, then expands once.
        s("c", d(1, 1), Band::Green, dec!(500)),
        s("c", d(2, 1), Band::Green, dec!(500)),
    ];
    let o = |id: &str, date, outcome| DatedOutcome {
        account: id.into(),
        date,
        outcome,
    };
    let outcomes = [
        o("a", d(3, 15), Outcome::Churned),
        o("b", d(3, 1), Outcome::Churned),
        o("c", d(2, 15), Outcome::Expanded { mrr: dec!(30) }),
    ];
    let bt = Backtest::run(&scores, &outcomes, 90);
    let red = bt.bands[Band::Red.index()];
    assert_eq!((red.scores, red.churned), (4, 4), "rates stay per score");
    // a once at its latest red MRR (120), b once (60): not 100+110+120+60.
    assert_eq!((red.churned_accounts, red.churned_mrr), (2, dec!(180)));
    let yellow = bt.bands[Band::Yellow.index()];
    assert_eq!((yellow.churned_accounts, yellow.churned_mrr), (1, dec!(50)));
    // Over all bands each churned account counts once: a 120 + b 60.
    assert_eq!((bt.churned_accounts, bt.churned_mrr), (2, dec!(180)));
    // One expansion of 30, followed two green scores: counted once.
    assert_eq!(bt.bands[Band::Green.index()].expansion_mrr, dec!(30));
    assert_eq!(bt.expansion_mrr, dec!(30));
}

#[test]
fn rounded_proposals_refuse_a_step_that_merges_thresholds() {
    let scores: Vec<Points> = (0..100)
        .map(|i| Points::from_micros(i * 1_000_000).unwrap())
        .collect();
    let s = |x| Share::from_micros(x).unwrap();
    let p = propose_thresholds(&scores, [s(100_000), s(300_000), s(400_000), s(200_000)]).unwrap();
    let step = |x| Points::from_micros(x).unwrap();
    // 10 / 40 / 80 to steps of 50: 0 / 50 / 100, and a yellow threshold of 0.
    assert_eq!(
        p.rounded(step(50_000_000), &scores),
        Err(ProposalError::StepTooCoarse(step(50_000_000)))
    );
    assert_eq!(
        p.rounded(Points::ZERO, &scores),
        Err(ProposalError::ZeroStep)
    );
    let fives = p.rounded(step(5_000_000), &scores).unwrap();
    assert_eq!(fives.bands, p.bands, "already on steps of 5");
    assert_eq!(fives.achieved, p.achieved);
}

const RED_RULE: &str = r#"{"rules": [{"id": "red", "title": "Call", "kind": "risk",
    "touch": "high-touch", "owner": "csm", "when": {"compare": {"left": {"metric_value": "seats"}, "op": "<", "right": 0.5}}}]}"#;

#[test]
fn rules_refuse_scores_of_another_model() {
    let v1 = golden();
    let rules = RuleSet::from_json_str(RED_RULE, &v1).unwrap();
    let data = || account(dec!(2500), &[("seats", 0.3), ("weekly_active", 0.3)]);

    // The same configuration compiled again is the same model.
    let again = golden();
    let eval = rules
        .evaluate(&again.bind(data()).unwrap().score(), &[], &[])
        .unwrap();
    assert_eq!(eval.opened().count(), 1);

    // Another version, and the same version with metrics reordered.
    let mut v3 = golden_config();
    v3.version = "3".into();
    let mut reordered = golden_config();
    reordered.metrics.swap(0, 2);
    for other in [Model::new(v3).unwrap(), Model::new(reordered).unwrap()] {
        let account_score = other.bind(data()).unwrap();
        let score = account_score.score();
        let err: ModelMismatch = rules.evaluate(&score, &[], &[]).unwrap_err();
        assert_eq!(&err.expected, v1.fingerprint());
        assert_eq!(&err.found, other.fingerprint());
        assert!(
            err.to_string()
                .starts_with("compiled for model golden 1.0 ("),
            "{err}"
        );
        assert!(rules.trace(&score).is_err());
        assert!(rules.evaluate_portfolio([&score]).is_err());
    }
}

#[test]
fn fingerprints_are_stable_and_content_sensitive() {
    let a = golden();
    assert_eq!(a.fingerprint(), golden().fingerprint());
    assert_eq!(a.fingerprint(), a.clone().fingerprint());
    // Stable across runs and machines: a fixed value for a fixed model. A
    // change to the compiled form changes it, and this test says so.
    assert_eq!(format!("{:016x}", a.fingerprint().hash), GOLDEN_HASH);
    let mut moved = golden_config();
    moved.scorecards[0].bands.green = dec!(91);
    assert_ne!(
        Model::new(moved).unwrap().fingerprint().hash,
        a.fingerprint().hash
    );
}

/// The golden model's fingerprint hash (FNV-1a of its compiled content).
const GOLDEN_HASH: &str = "6b636bfe5e5a426a";

#[test]
fn a_portfolio_summary_counts_scores_of_an_equal_model() {
    let model = golden();
    let copy = model.clone();
    let mut summary = PortfolioSummary::new(&model);
    let a = copy
        .bind(account(
            dec!(2500),
            &[("seats", 0.9), ("weekly_active", 0.6)],
        ))
        .unwrap();
    summary.add(&a.score()).unwrap();
    assert_eq!((summary.totals().total().count, summary.skipped()), (1, 0));

    let mut v2 = golden_config();
    v2.version = "2".into();
    let v2 = Model::new(v2).unwrap();
    let b = v2.bind(account(dec!(2500), &[("seats", 0.9)])).unwrap();
    assert!(summary.add(&b.score()).is_err());
    assert_eq!((summary.totals().total().count, summary.skipped()), (1, 1));
    let other = PortfolioSummary::new(&v2);
    assert!(summary.merge(&other).is_err());
}
