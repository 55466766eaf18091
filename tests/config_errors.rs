//! Every bad configuration gets a specific error with its path, and all
//! problems are reported at once.

mod common;
use common::*;
use healthscore::{model::*, *};
use rust_decimal_macros::dec;

fn problems(config: ModelConfig) -> Vec<String> {
    Model::new(config)
        .unwrap_err()
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn unsorted_breakpoints_name_metric_and_index() {
    let mut c = bundled_config();
    c.metrics[4].curve = CurveConfig::linear([(2, 0), (4, 50), (3, 100)]);
    assert_eq!(
        problems(c),
        ["metrics[4].curve: breakpoints not sorted at index 2"]
    );
}

#[test]
fn non_monotonic_curve() {
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::linear([
        (dec!(0.1), dec!(0)),
        (dec!(0.5), dec!(80)),
        (dec!(0.9), dec!(60)),
    ]);
    assert_eq!(
        problems(c),
        ["metrics[0].curve: scores not monotonic at index 2 (a curve must only rise or only fall)"]
    );
}

#[test]
fn band_thresholds_out_of_order() {
    let mut c = bundled_config();
    c.scorecards[2].bands = BandsConfig::new(65, 70, 40);
    assert_eq!(
        problems(c),
        ["scorecards[2].bands: lime threshold 70 is not below green threshold 65"]
    );
    let mut c = golden_config();
    c.scorecards[0].bands = BandsConfig::new(80, 60, 0);
    assert_eq!(
        problems(c),
        ["scorecards[0].bands: yellow threshold must be above 0, or no score could be red"]
    );
    let mut c = golden_config();
    c.scorecards[1].bands = BandsConfig::new(101, 60, 40);
    assert_eq!(
        problems(c),
        ["scorecards[1].bands.green: 101 is outside the range 0..=100"]
    );
}

#[test]
fn weights_all_zero_or_negative() {
    let mut c = golden_config();
    for d in [
        Dimension::Deployment,
        Dimension::Engagement,
        Dimension::Adoption,
    ] {
        c.scorecards[1].dimension_weights.insert(d, dec!(0));
    }
    assert_eq!(
        problems(c),
        ["scorecards[1].dimension_weights: weights sum to 0: at least one must be positive"]
    );
    let mut c = golden_config();
    c.metrics[2].weight = dec!(-1);
    assert_eq!(problems(c), ["metrics[2].weight: weight -1 is negative"]);
}

#[test]
fn dimension_weights_must_match_metrics() {
    let mut c = golden_config();
    c.scorecards[0]
        .dimension_weights
        .remove(&Dimension::Engagement);
    c.scorecards[0]
        .dimension_weights
        .insert(Dimension::Roi, dec!(0.2));
    assert_eq!(
        problems(c),
        [
            "scorecards[0].dimension_weights.engagement: no weight for engagement, which has metrics (give 0 to leave it out)",
            "scorecards[0].dimension_weights.roi: roi has weight but no metric of roi has weight in this scorecard",
        ]
    );
}

#[test]
fn unknown_references() {
    let mut c = golden_config();
    c.scorecards[0]
        .metric_weights
        .insert("weekly_activ".into(), dec!(2));
    c.scorecards[0].when = Some(Criteria::default().mrr(["smbb"]).stage(["renewal"]));
    assert_eq!(
        problems(c),
        [
            "scorecards[0].metric_weights.weekly_activ: unknown metric \"weekly_activ\"",
            "scorecards[0].when.mrr[0]: unknown tier \"smbb\"",
            "scorecards[0].when.stage[0]: unknown stage \"renewal\" (declare it in segments.stages)",
        ]
    );
}

#[test]
fn tiers_must_cover_zero_to_infinity() {
    let mut c = golden_config();
    c.segments.mrr_tiers = vec![
        Tier::new("smb", dec!(0), Some(dec!(1000))),
        Tier::new("mid", dec!(1200), None),
    ];
    c.segments.size_tiers = vec![Tier::new("all", 0, Some(500))];
    let p = problems(c);
    assert!(
        p.contains(
            &"segments.mrr_tiers[1]: gap between 1000 (end of the previous tier) and 1200"
                .to_string()
        ),
        "{p:?}"
    );
    assert!(p.contains(&"segments.size_tiers[0]: last tier ends at 500: tiers must cover 0..infinity (leave out `to`)".to_string()), "{p:?}");
}

#[test]
fn every_segment_needs_a_scorecard() {
    let mut c = golden_config();
    c.scorecards.pop(); // the default
    assert_eq!(
        problems(c),
        ["scorecards: segment mid/all matches no scorecard and there is no default scorecard"]
    );
}

#[test]
fn default_must_be_last_and_cards_reachable() {
    let mut c = golden_config();
    c.scorecards.reverse();
    let p = problems(c);
    assert_eq!(
        p,
        [
            "scorecards[0].when: a default scorecard (no `when`) must be the last one",
            "scorecards[1]: unreachable: every segment it matches is taken by an earlier scorecard",
        ]
    );
}

/// An id with a control character (an escape sequence that clears the
/// screen) or an invisible bidirectional override (which shows
/// `acct-\u{202e}1000` as `acct-0001`) is refused wherever ids are named:
/// they are printed in tables, explanations and reports.
#[test]
fn ids_that_would_not_print_as_written_are_refused() {
    let mut c = bundled_config();
    c.metrics[0].id = "seats\u{1b}[2J".into();
    c.scorecards[0].id = "mid\u{202e}market".into();
    c.segments.stages[0] = "onboard\ning".into();
    c.segments.mrr_tiers[0].id = "smb\t".into();
    c.metrics[1].label = Some("SSO \u{202e}delbane".into());
    let p = problems(c);
    for want in [
        r#"metrics[0].id: id "seats\u{1b}[2J" holds a control or bidirectional formatting character (ids are printed in tables and reports)"#,
        r#"scorecards[0].id: id "mid\u{202e}market" holds a control"#,
        r#"segments.stages[0]: id "onboard\ning" holds a control"#,
        r#"segments.mrr_tiers[0]: id "smb\t" holds a control"#,
        r#"metrics[1].label: label "SSO \u{202e}delbane" holds a control or bidirectional formatting character (labels are printed in explanations)"#,
    ] {
        assert!(p.iter().any(|x| x.starts_with(want)), "{want}\n{p:#?}");
    }
    // A CTA rule's id too.
    let model = Model::new(bundled_config()).unwrap();
    let rules = std::fs::read_to_string("examples/data/playbook.json")
        .unwrap()
        .replacen(
            r#""id": "champion-lost""#,
            r#""id": "champion\u0007lost""#,
            1,
        );
    let config: healthscore::cta::RuleSetConfig = serde_json::from_str(&rules).unwrap();
    let err = healthscore::cta::RuleSet::new(config, &model).unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"rules[0].id: id "champion\u{7}lost" holds a control"#),
        "{err}"
    );
    // Right-to-left text itself is an id like any other.
    let mut c = golden_config();
    c.metrics[0].label = Some("مقاعد".into());
    c.scorecards[0].id = "בטא".into();
    if let Err(e) = Model::new(c) {
        panic!("{e}");
    }
}

#[test]
fn duplicates_and_empties() {
    let mut c = golden_config();
    c.metrics[1].id = "seats".into();
    c.scorecards[1].id = "smb".into();
    let p = problems(c);
    assert!(
        p.contains(&"metrics[1].id: duplicate id \"seats\"".to_string()),
        "{p:?}"
    );
    assert!(
        p.contains(&"scorecards[1].id: duplicate id \"smb\"".to_string()),
        "{p:?}"
    );
    let empty = ModelConfig::new("x", "1");
    assert_eq!(
        problems(empty),
        [
            "metrics: must not be empty",
            "segments.mrr_tiers: must not be empty",
            "segments.size_tiers: must not be empty",
            "scorecards: must not be empty"
        ]
    );
}

#[test]
fn numbers_beyond_six_decimals_or_range() {
    let mut c = golden_config();
    c.scorecards[1].min_coverage = dec!(0.1234567);
    c.scorecards[0].min_coverage = dec!(1.5);
    c.metrics[0].curve = CurveConfig::linear([(dec!(0), dec!(0)), (dec!(2), dec!(100))]);
    c.metrics[1].kind = MetricKind::Judgement {
        min: dec!(5),
        max: dec!(1),
    };
    c.metrics[2].missing = MissingPolicy::Neutral(dec!(150));
    c.metrics[3].weight = dec!(2000000);
    assert_eq!(
        problems(c),
        [
            "metrics[0].curve: breakpoint 2 at index 1 is outside the ratio range 0..=1",
            "metrics[1].kind: scale minimum 5 is not below maximum 1",
            "metrics[2].missing.neutral: 150 is outside the range 0..=100",
            "metrics[3].weight: 2000000 is outside the range 0..=1000000",
            "scorecards[0].min_coverage: 1.5 is outside the range 0..=1",
            "scorecards[1].min_coverage: 0.1234567 has more than 6 decimal places",
        ]
    );
}

#[test]
fn collects_all_problems_with_a_readable_summary() {
    let mut c = bundled_config();
    c.metrics[4].curve = CurveConfig::linear([(2, 0), (4, 50), (3, 100)]);
    c.scorecards[2].bands = BandsConfig::new(65, 70, 40);
    let e = Model::new(c).unwrap_err();
    assert_eq!(
        e.to_string(),
        "2 problems in the configuration\n  metrics[4].curve: breakpoints not sorted at index 2\n  scorecards[2].bands: lime threshold 70 is not below green threshold 65"
    );
    assert!(matches!(
        e.problems()[0].kind,
        ProblemKind::BreakpointsNotSorted(2)
    ));
}

#[test]
fn unknown_fields_are_rejected_when_parsing() {
    let text = include_str!("../examples/data/model.json")
        .replace("\"min_coverage\": 0.4", "\"min_covrage\": 0.4");
    let err = serde_json::from_str::<ModelConfig>(&text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `min_covrage`"), "{err}");
}

#[test]
fn bundled_toml_and_json_compile_to_the_same_model() {
    let json = Model::new(bundled_config()).unwrap();
    let toml_config: ModelConfig =
        toml::from_str(include_str!("../examples/data/model.toml")).unwrap();
    assert_eq!(Model::new(toml_config).unwrap(), json);
}
