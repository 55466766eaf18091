//! CTA lifecycle: de-duplication, snooze, cooldown, cap, edge triggers,
//! proposed closes, and the order of actions.

mod common;
use chrono::NaiveDate;
use common::cta::*;
use common::*;
use healthscore::cta::*;
use healthscore::*;

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
        first(s.evaluate(&score, &[], &[]).expect("rules of this model")),
        Some(Action::Open(_))
    ));
    let open = [record("x", day(1), CtaStatus::Open)];
    assert!(matches!(
        first(s.evaluate(&score, &open, &[]).expect("rules of this model")),
        Some(Action::Update { .. })
    ));
    // A record of another kind is another CTA.
    let other = [CtaRecord {
        kind: CtaKind::Expansion,
        ..open[0].clone()
    }];
    assert!(matches!(
        first(
            s.evaluate(&score, &other, &[])
                .expect("rules of this model")
        ),
        Some(Action::Open(_))
    ));
    // Snoozed through its date, inclusive.
    let snoozed = |until| [record("x", day(1), CtaStatus::Snoozed { until })];
    assert_eq!(
        first(
            s.evaluate(&score, &snoozed(day(23)), &[])
                .expect("rules of this model")
        ),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Snoozed(day(23))
        })
    );
    assert!(matches!(
        first(
            s.evaluate(&score, &snoozed(day(22)), &[])
                .expect("rules of this model")
        ),
        Some(Action::Open(_))
    ));
    // Cooldown of 10 days after a close, inclusive.
    let s = set(RuleConfig {
        cooldown_days: 10,
        ..rule("x", lime())
    });
    let closed = |on| [record("x", day(1), CtaStatus::Closed { on })];
    assert_eq!(
        first(
            s.evaluate(&score, &closed(day(13)), &[])
                .expect("rules of this model")
        ),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Cooldown(day(13))
        })
    );
    assert!(matches!(
        first(
            s.evaluate(&score, &closed(day(12)), &[])
                .expect("rules of this model")
        ),
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
        first(s.evaluate(&score, &two, &[]).expect("rules of this model")),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::Capped
        })
    );
    assert!(matches!(
        first(
            s.evaluate(&score, &two[1..], &[])
                .expect("rules of this model")
        ),
        Some(Action::Open(_))
    ));
    // Edge trigger: quiet while the condition keeps holding.
    let s = set(RuleConfig {
        trigger: Trigger::Edge,
        ..rule("x", lime())
    });
    assert_eq!(
        first(
            s.evaluate(&score, &[], &["x".into()])
                .expect("rules of this model")
        ),
        Some(Action::Quiet {
            rule: "x".into(),
            because: Suppressed::AlreadyHeld
        })
    );
    assert!(matches!(
        first(s.evaluate(&score, &[], &[]).expect("rules of this model")),
        Some(Action::Open(_))
    ));
    // Close when clear, with the reason; or not, when switched off.
    let red = || Condition::Band(vec![Band::Red]);
    let s = set(rule("x", red()));
    assert_eq!(
        first(s.evaluate(&score, &open, &[]).expect("rules of this model")),
        Some(Action::Close {
            rule: "x".into(),
            reason: "no longer holds: band lime".into()
        })
    );
    let s = set(RuleConfig {
        close_when_clear: false,
        ..rule("x", red())
    });
    assert_eq!(
        s.evaluate(&score, &open, &[]).expect("rules of this model"),
        Evaluation::default()
    );
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
    let eval = set
        .evaluate(&account.score(), &[], &[])
        .expect("rules of this model");
    let ids: Vec<&str> = eval.opened().map(|c| c.rule.as_str()).collect();
    assert_eq!(ids, ["b", "e", "a", "c"]);
    assert_eq!(eval.held, ["a", "b", "c", "e"]);
    let mut summary = CtaSummary::default();
    summary.add(&eval);
    assert_eq!(
        (
            summary.opened(),
            summary.by_priority[&Priority::Low],
            summary.by_owner["csm"],
            summary.accounts,
            summary.accounts_with_new_ctas,
        ),
        (4, 2, 4, 1, 1)
    );
    let score = account.score();
    assert_eq!(
        set.evaluate_portfolio([&score, &score])
            .expect("rules of this model"),
        {
            summary.add(&eval);
            summary
        }
    );
    let trace = set.trace(&account.score()).expect("rules of this model");
    assert_eq!(trace[3].1[0].text, "band lime");
    assert!(!trace[3].1[0].holds);
}
