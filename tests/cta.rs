//! CTA rules: every predicate at its edges, reasons, bad rule sets, and the
//! same playbook written in JSON, TOML and Rust.

mod common;
use chrono::Duration;
use common::cta::*;
use common::*;
use healthscore::cta::*;
use healthscore::{model::*, *};
use rust_decimal_macros::dec;

#[test]
fn comparisons_are_exact_at_their_thresholds() {
    assert!(!holds(cmp(Operand::Overall, Op::Lt, dec!(60)), at_60()));
    assert!(holds(cmp(Operand::Overall, Op::Le, dec!(60)), at_60()));
    assert!(holds(
        cmp(Operand::Overall, Op::Eq, dec!(60.000000)),
        at_60()
    ));
    assert!(holds(
        cmp(Operand::Dimension(Dimension::Adoption), Op::Ge, dec!(60)),
        at_60()
    ));
    assert!(holds(cmp(Operand::Coverage, Op::Eq, dec!(1)), at_60()));
    assert!(holds(
        cmp(
            Operand::MetricValue("weekly_active".into()),
            Op::Eq,
            dec!(0.4)
        ),
        at_60()
    ));
    assert!(holds(
        cmp(
            Operand::MetricScore("weekly_active".into()),
            Op::Eq,
            dec!(60)
        ),
        at_60()
    ));
    assert!(holds(cmp(Operand::Mrr, Op::Ge, dec!(1000.00)), at_60()));
    assert!(!holds(cmp(Operand::Mrr, Op::Gt, dec!(1000)), at_60()));
    assert!(holds(cmp(Operand::Employees, Op::Eq, dec!(80)), at_60()));
    assert!(holds(
        cmp(Operand::Overall, Op::Ne, dec!(59.999999)),
        at_60()
    ));
}

#[test]
fn absent_operands_never_hold() {
    let mut data = at_60();
    data.observations.retain(|o| o.metric != "weekly_active");
    let value = || Operand::MetricValue("weekly_active".into());
    assert!(!holds(cmp(value(), Op::Ge, dec!(0)), data.clone()));
    assert!(!holds(
        Condition::not(cmp(value(), Op::Ge, dec!(0))),
        at_60()
    ));
    assert!(holds(
        Condition::Missing("weekly_active".into()),
        data.clone()
    ));
    assert!(!holds(Condition::Missing("weekly_active".into()), at_60()));
    // No previous score: score change and falls are unknown.
    assert!(!holds(cmp(Operand::ScoreChange, Op::Le, dec!(0)), at_60()));
    assert!(!holds(Condition::ScoreFell(dec!(0)), at_60()));
    assert!(!holds(
        cmp(Operand::DaysUntil("renewal".into()), Op::Le, dec!(1000)),
        at_60()
    ));
}

#[test]
fn previous_score_and_band() {
    let mut data = at_60();
    data.previous_score = Some(Points::from_micros(70_000_000).unwrap());
    data.previous_band = Some(Band::Green);
    assert!(holds(Condition::ScoreFell(dec!(10)), data.clone()));
    assert!(!holds(Condition::ScoreFell(dec!(10.000001)), data.clone()));
    assert!(holds(
        cmp(Operand::ScoreChange, Op::Eq, dec!(-10)),
        data.clone()
    ));
    assert!(holds(
        cmp(Operand::PreviousOverall, Op::Eq, dec!(70)),
        data.clone()
    ));
    // Green → lime: a drop of one band.
    assert!(holds(Condition::DroppedBands(1), data.clone()));
    assert!(!holds(Condition::DroppedBands(2), data.clone()));
    assert!(holds(
        Condition::BandChanged {
            from: vec![Band::Green],
            to: vec![Band::Lime]
        },
        data.clone()
    ));
    assert!(holds(
        Condition::BandChanged {
            from: vec![],
            to: vec![]
        },
        data.clone()
    ));
    assert!(!holds(
        Condition::BandChanged {
            from: vec![Band::Lime],
            to: vec![]
        },
        data.clone()
    ));
    data.previous_band = Some(Band::Lime);
    assert!(
        !holds(
            Condition::BandChanged {
                from: vec![],
                to: vec![]
            },
            data.clone()
        ),
        "same band is no change"
    );
    assert!(!holds(Condition::DroppedBands(1), data));
}

#[test]
fn days_and_events_at_their_boundaries() {
    let renewal_in = |days: i64| at_60().date("renewal", day(23) + Duration::days(days));
    let within_90 = || cmp(Operand::DaysUntil("renewal".into()), Op::Le, dec!(90));
    assert!(holds(within_90(), renewal_in(90)));
    assert!(!holds(within_90(), renewal_in(91)));
    assert!(
        holds(
            cmp(Operand::DaysUntil("renewal".into()), Op::Lt, dec!(0)),
            renewal_in(-1)
        ),
        "a passed date is negative"
    );
    let lost = |ago: i64| at_60().event("champion_lost", day(23) - Duration::days(ago));
    let within_30 = || Condition::EventWithin {
        event: "champion_lost".into(),
        days: 30,
    };
    assert!(holds(within_30(), lost(0)));
    assert!(holds(within_30(), lost(30)));
    assert!(!holds(within_30(), lost(31)));
    assert!(
        !holds(within_30(), lost(-1)),
        "a future event does not count"
    );
    assert!(
        holds(
            within_30(),
            lost(-1).event("champion_lost", day(23) - Duration::days(12))
        ),
        "nor does it hide a past one"
    );
    assert!(!holds(
        within_30(),
        at_60().event("exec_sponsor_changed", day(20))
    ));
}

#[test]
fn bands_stages_and_composition() {
    assert!(holds(Condition::Band(vec![Band::Lime]), at_60()));
    assert!(!holds(
        Condition::Band(vec![Band::Red, Band::Yellow]),
        at_60()
    ));
    let sparse = account(dec!(1000), &[("breadth", 0.3)]);
    assert!(holds(Condition::InsufficientData, sparse.clone()));
    assert!(!holds(
        Condition::Band(vec![Band::Red, Band::Yellow, Band::Lime, Band::Green]),
        sparse
    ));
    assert!(holds(Condition::all([]), at_60()), "all([]) holds");
    assert!(!holds(Condition::any([]), at_60()), "any([]) does not");
    assert!(holds(Condition::not(Condition::any([])), at_60()));
    let lime = || Condition::Band(vec![Band::Lime]);
    assert!(holds(
        Condition::any([Condition::Band(vec![Band::Red]), lime()]),
        at_60()
    ));
    assert!(!holds(
        Condition::all([Condition::Band(vec![Band::Red]), lime()]),
        at_60()
    ));
}

#[test]
fn reasons_name_the_values_that_fired() {
    let model = golden();
    let data = account(
        dec!(1000),
        &[
            ("seats", 0.62),
            ("sentiment", 3.4),
            ("weekly_active", 0.22),
            ("breadth", 0.3),
        ],
    )
    .date("renewal", day(23) + Duration::days(64));
    let account = model.bind(data).unwrap();
    let when = Condition::all([
        cmp(
            Operand::MetricValue("weekly_active".into()),
            Op::Lt,
            dec!(0.3),
        ),
        cmp(Operand::DaysUntil("renewal".into()), Op::Le, dec!(90)),
        Condition::not(Condition::Band(vec![Band::Green])),
    ]);
    let eval = rules(vec![rule("adoption-renewal", when)])
        .evaluate(&account.score(), &[], &[])
        .expect("rules of this model");
    let cta = eval.opened().next().unwrap();
    assert_eq!(
        cta.reason,
        "weekly active 0.22 < 0.3 and days until renewal 64 <= 90 and not (band yellow)"
    );
    assert_eq!(
        (cta.account.as_str(), cta.rule.as_str(), cta.due),
        ("acme", "adoption-renewal", day(23) + Duration::days(14))
    );
}

#[test]
fn bad_rule_sets_are_refused_with_paths() {
    let model = golden();
    let bad = RuleSetConfig {
        dates: vec!["renewal".into()],
        events: vec![],
        rules: vec![
            rule(
                "a",
                Condition::all([cmp(
                    Operand::MetricValue("weekly_activ".into()),
                    Op::Lt,
                    dec!(0.3),
                )]),
            ),
            rule(
                "a",
                Condition::EventWithin {
                    event: "champion_lost".into(),
                    days: 30,
                },
            ),
            rule(
                "c",
                cmp(Operand::DaysUntil("renwal".into()), Op::Le, dec!(90)),
            ),
            rule("d", cmp(Operand::Coverage, Op::Gt, dec!(1.5))),
            rule(
                "e",
                cmp(
                    Operand::MetricValue("weekly_active".into()),
                    Op::Gt,
                    dec!(1.7),
                ),
            ),
            rule("f", Condition::Band(vec![])),
            rule(
                "g",
                cmp(Operand::DaysUntil("renewal".into()), Op::Le, dec!(1.5)),
            ),
            RuleConfig {
                cap: Some(Cap {
                    times: 0,
                    per_days: 30,
                }),
                ..rule("h", Condition::InsufficientData)
            },
            rule("i", Condition::Stage(vec!["onboarding".into()])),
            rule("j", Condition::DroppedBands(4)),
        ],
    };
    let err = RuleSet::new(bad, &model).unwrap_err();
    let lines: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "rules[0].when[0]: unknown metric \"weekly_activ\"",
            "rules[1].id: duplicate id \"a\"",
            "rules[1].when: unknown event \"champion_lost\" (declare it in the rule set's events)",
            "rules[2].when: unknown date \"renwal\" (declare it in the rule set's dates)",
            "rules[3].when: impossible condition: coverage > 1.5 can never be decided by a value in its range",
            "rules[4].when: impossible condition: weekly active > 1.7 can never be decided by a value in its range",
            "rules[5].when: impossible condition: an empty band list never matches",
            "rules[6].when: impossible condition: days until renewal is a whole number of days, not 1.5",
            "rules[7].cap: impossible condition: a cap of 0 per 30 days never lets the rule fire",
            "rules[8].when: unknown stage \"onboarding\" (declare it in segments.stages)",
            "rules[9].when: impossible condition: a drop of 4 bands (1 to 3 are possible)",
        ]
    );
    let empty = RuleSetConfig {
        dates: vec![],
        events: vec![],
        rules: vec![],
    };
    assert_eq!(
        RuleSet::new(empty, &model).unwrap_err().to_string(),
        "1 problem in the configuration\n  rules: must not be empty"
    );
}

#[test]
fn segment_conditions_and_traced_evaluation() {
    // MRR 1000 is the mid tier of the golden model; 999.99 is smb.
    let mid = || Condition::Segment {
        mrr: vec!["mid".into()],
        size: vec![],
    };
    assert!(holds(mid(), at_60()));
    assert!(!holds(mid(), account(dec!(999.99), &ALL_AT_60)));
    assert!(holds(
        Condition::Segment {
            mrr: vec![],
            size: vec!["all".into()]
        },
        at_60()
    ));
    let bad = RuleSetConfig {
        dates: vec![],
        events: vec![],
        rules: vec![rule(
            "s",
            Condition::Segment {
                mrr: vec!["midd".into()],
                size: vec![],
            },
        )],
    };
    assert_eq!(
        RuleSet::new(bad, &golden()).unwrap_err().problems()[0].to_string(),
        "rules[0].when: unknown tier \"midd\""
    );
    let model = golden();
    let account = model.bind(at_60()).unwrap();
    let set = rules(vec![rule(
        "s",
        Condition::all([mid(), Condition::Band(vec![Band::Red])]),
    )]);
    let (eval, trace) = set
        .evaluate_traced(&account.score(), &[], &[])
        .expect("rules of this model");
    assert!(eval.actions.is_empty());
    let lines: Vec<(usize, bool, &str)> = trace[0]
        .1
        .iter()
        .map(|l| (l.depth, l.holds, l.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (0, false, "all of 2 conditions"),
            (1, true, "segment mid/all"),
            (1, false, "band lime")
        ]
    );
}

#[test]
fn the_playbook_reads_the_same_from_json_and_toml() {
    let json: RuleSetConfig =
        serde_json::from_str(include_str!("../examples/data/playbook.json")).unwrap();
    let toml: RuleSetConfig =
        toml::from_str(include_str!("../examples/data/playbook.toml")).unwrap();
    assert_eq!(json, toml);
    let model = Model::new(bundled_config()).unwrap();
    assert_eq!(
        RuleSet::new(json, &model).unwrap(),
        RuleSet::new(toml, &model).unwrap()
    );
}

#[test]
fn decimal_constants_are_exact_in_every_format() {
    // TOML and JSON numbers are read from their text, not through a binary
    // float: 0.8 is exactly 0.8 whether written 0.8 or "0.8".
    let built = cmp(
        Operand::MetricValue("weekly_active".into()),
        Op::Ge,
        dec!(0.8),
    );
    #[derive(serde::Deserialize)]
    struct Doc {
        when: Condition,
    }
    for text in [
        r#"when = { compare = { left = { metric_value = "weekly_active" }, op = ">=", right = 0.8 } }"#,
        r#"when = { compare = { left = { metric_value = "weekly_active" }, op = ">=", right = "0.8" } }"#,
    ] {
        assert_eq!(toml::from_str::<Doc>(text).unwrap().when, built, "{text}");
    }
    for text in [
        r#"{"when": {"compare": {"left": {"metric_value": "weekly_active"}, "op": ">=", "right": 0.8}}}"#,
        r#"{"when": {"compare": {"left": {"metric_value": "weekly_active"}, "op": ">=", "right": "0.8"}}}"#,
    ] {
        assert_eq!(
            serde_json::from_str::<Doc>(text).unwrap().when,
            built,
            "{text}"
        );
    }
}

/// A rule set's content hash is fixed for fixed rules (pinned: a release
/// that changes it says so), equal for the same rules read from JSON or
/// TOML, and changed by anything that changes what the rules do or say:
/// a rule edited, reordered or removed, a date added, another model, a
/// lifecycle read.
#[test]
fn the_content_hash_is_stable_and_follows_every_part_of_the_rules() {
    let model = Model::new(bundled_config()).unwrap();
    let json: RuleSetConfig =
        serde_json::from_str(include_str!("../examples/data/playbook.json")).unwrap();
    let toml: RuleSetConfig =
        toml::from_str(include_str!("../examples/data/playbook.toml")).unwrap();
    let hash = |config: &RuleSetConfig, model: &Model| {
        RuleSet::new(config.clone(), model).unwrap().content_hash()
    };
    let playbook = hash(&json, &model);
    assert_eq!(playbook, hash(&toml, &model));
    assert_eq!(format!("{playbook:016x}"), PLAYBOOK_HASH);

    let mut edited = json.clone();
    edited.rules[0].title.push('!');
    let mut reordered = json.clone();
    reordered.rules.swap(0, 1);
    let mut removed = json.clone();
    removed.rules.pop();
    let mut dated = json.clone();
    dated.dates.push("kickoff".into());
    let mut later = json.clone();
    later.rules[0].due_in_days += 1;
    for (what, config) in [
        ("a title", edited),
        ("the order", reordered),
        ("a rule removed", removed),
        ("a date added", dated),
        ("a due date", later),
    ] {
        assert_ne!(hash(&config, &model), playbook, "{what}");
    }
    let mut other = bundled_config();
    other.version.push_str("-next");
    assert_ne!(hash(&json, &Model::new(other).unwrap()), playbook);

    // The same rules with the lifecycle they may read, or without.
    let model: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model.json")).unwrap();
    let model = Model::new(model).unwrap();
    let lifecycle: healthscore::lifecycle::LifecycleConfig =
        serde_json::from_str(include_str!("../examples/data/lifecycle.json")).unwrap();
    let lifecycle = healthscore::lifecycle::Lifecycle::new(lifecycle, &model).unwrap();
    let plain = RuleSet::new(json.clone(), &model).unwrap();
    let read = RuleSet::with_lifecycle(json, &model, &lifecycle).unwrap();
    assert_ne!(plain.content_hash(), read.content_hash());
}

/// The bundled playbook's hash against the bundled model.
const PLAYBOOK_HASH: &str = "d2a8b4449d0ac539";
