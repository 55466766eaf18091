//! CTA rules: every predicate at its edges, the lifecycle of CTAs, and bad
//! rule sets.

mod common;
use chrono::{Duration, NaiveDate};
use common::*;
use healthscore::cta::*;
use healthscore::*;
use rust_decimal_macros::dec;

const ALL_AT_60: [(&str, f64); 4] = [
    ("seats", 0.62),
    ("sentiment", 3.4),
    ("weekly_active", 0.4),
    ("breadth", 0.3),
];

fn rule(id: &str, when: Condition) -> RuleConfig {
    RuleConfig {
        id: id.into(),
        title: format!("{id} title"),
        kind: CtaKind::Risk,
        priority: Priority::Medium,
        touch: TouchLevel::LowTouch,
        owner: "csm".into(),
        due_in_days: 14,
        playbook: None,
        when,
        trigger: Trigger::Level,
        cooldown_days: 0,
        cap: None,
        close_when_clear: true,
    }
}

fn rules(rs: Vec<RuleConfig>) -> RuleSet {
    let config = RuleSetConfig {
        dates: vec!["renewal".into()],
        events: vec!["champion_lost".into()],
        rules: rs,
    };
    RuleSet::new(config, &golden()).unwrap()
}

/// Does `when` hold for this account (all metrics at 60 unless changed)?
fn holds(when: Condition, data: AccountData) -> bool {
    let model = golden();
    let account = model.bind(data).unwrap();
    let set = rules(vec![rule("r", when)]);
    !set.evaluate(&account.score(), &[], &[]).held.is_empty()
}

fn at_60() -> AccountData {
    account(dec!(1000), &ALL_AT_60)
}

fn cmp(left: Operand, op: Op, right: rust_decimal::Decimal) -> Condition {
    Condition::compare(left, op, right)
}

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
    let eval = rules(vec![rule("adoption-renewal", when)]).evaluate(&account.score(), &[], &[]);
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

fn record(rule: &str, opened: NaiveDate, status: CtaStatus) -> CtaRecord {
    CtaRecord {
        rule: rule.into(),
        kind: CtaKind::Risk,
        opened_on: opened,
        status,
    }
}

#[test]
fn lifecycle_dedup_snooze_cooldown_cap_edge_close() {
    let model = golden();
    let account = model.bind(at_60()).unwrap();
    let score = account.score();
    let lime = || Condition::Band(vec![Band::Lime]);
    let set = |r: RuleConfig| rules(vec![r]);
    let first = |e: Evaluation| e.actions.into_iter().next();
    // Open → a second evaluation updates instead of duplicating.
    let s = set(rule("x", lime()));
    assert!(matches!(
        first(s.evaluate(&score, &[], &[])),
        Some(Action::Open(_))
    ));
    let open = [record("x", day(1), CtaStatus::Open)];
    assert!(matches!(
        first(s.evaluate(&score, &open, &[])),
        Some(Action::Update { .. })
    ));
    // A record of another kind is another CTA.
    let other = [CtaRecord {
        kind: CtaKind::Expansion,
        ..open[0].clone()
    }];
    assert!(matches!(
        first(s.evaluate(&score, &other, &[])),
        Some(Action::Open(_))
    ));
    // Snoozed through its date, inclusive.
    let snoozed = |until| [record("x", day(1), CtaStatus::Snoozed { until })];
    assert_eq!(
        first(s.evaluate(&score, &snoozed(day(23)), &[])),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Snoozed(day(23))
        })
    );
    assert!(matches!(
        first(s.evaluate(&score, &snoozed(day(22)), &[])),
        Some(Action::Open(_))
    ));
    // Cooldown of 10 days after a close, inclusive.
    let s = set(RuleConfig {
        cooldown_days: 10,
        ..rule("x", lime())
    });
    let closed = |on| [record("x", day(1), CtaStatus::Closed { on })];
    assert_eq!(
        first(s.evaluate(&score, &closed(day(13)), &[])),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Cooldown(day(13))
        })
    );
    assert!(matches!(
        first(s.evaluate(&score, &closed(day(12)), &[])),
        Some(Action::Open(_))
    ));
    // Cap: 2 per 30 days.
    let s = set(RuleConfig {
        cap: Some(Cap {
            times: 2,
            per_days: 30,
        }),
        ..rule("x", lime())
    });
    let two = [
        record("x", day(1), CtaStatus::Closed { on: day(2) }),
        record("x", day(10), CtaStatus::Closed { on: day(11) }),
    ];
    assert_eq!(
        first(s.evaluate(&score, &two, &[])),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Capped
        })
    );
    assert!(matches!(
        first(s.evaluate(&score, &two[1..], &[])),
        Some(Action::Open(_))
    ));
    // Edge trigger: quiet while the condition keeps holding.
    let s = set(RuleConfig {
        trigger: Trigger::Edge,
        ..rule("x", lime())
    });
    assert_eq!(
        first(s.evaluate(&score, &[], &["x".into()])),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::AlreadyHeld
        })
    );
    assert!(matches!(
        first(s.evaluate(&score, &[], &[])),
        Some(Action::Open(_))
    ));
    // Close when clear, with the reason; or not, when switched off.
    let red = || Condition::Band(vec![Band::Red]);
    let s = set(rule("x", red()));
    assert_eq!(
        first(s.evaluate(&score, &open, &[])),
        Some(Action::Close {
            rule: "x".into(),
            reason: "no longer holds: band lime".into()
        })
    );
    let s = set(RuleConfig {
        close_when_clear: false,
        ..rule("x", red())
    });
    assert_eq!(s.evaluate(&score, &open, &[]), Evaluation::default());
}

#[test]
fn actions_are_ordered_by_priority_then_rule_order() {
    let model = golden();
    let account = model.bind(at_60()).unwrap();
    let lime = || Condition::Band(vec![Band::Lime]);
    let set = rules(vec![
        RuleConfig {
            priority: Priority::Low,
            ..rule("a", lime())
        },
        RuleConfig {
            priority: Priority::Critical,
            ..rule("b", lime())
        },
        RuleConfig {
            priority: Priority::Low,
            ..rule("c", lime())
        },
        RuleConfig {
            priority: Priority::High,
            ..rule("d", Condition::Band(vec![Band::Red]))
        },
        RuleConfig {
            priority: Priority::High,
            ..rule("e", lime())
        },
    ]);
    let eval = set.evaluate(&account.score(), &[], &[]);
    let ids: Vec<&str> = eval.opened().map(|c| c.rule.as_str()).collect();
    assert_eq!(ids, ["b", "e", "a", "c"]);
    assert_eq!(eval.held, ["a", "b", "c", "e"]);
    let mut summary = CtaSummary::default();
    summary.add(&eval);
    assert_eq!(
        (
            summary.opened(),
            summary.by_priority[&Priority::Low],
            summary.by_owner["csm"]
        ),
        (4, 2, 4)
    );
    let trace = set.trace(&account.score());
    assert_eq!(trace[3].1[0].text, "band lime");
    assert!(!trace[3].1[0].holds);
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
    let (eval, trace) = set.evaluate_traced(&account.score(), &[], &[]);
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
