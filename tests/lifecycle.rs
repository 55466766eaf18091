//! Lifecycle stages with exit criteria: hand-checked journeys at every
//! edge (day of the maximum, per-size targets, regressions), config errors
//! with paths, lifecycle CTAs, the bundled lifecycle, and a property tying
//! the CTA fast path to the journey.

use chrono::{Duration, NaiveDate};
use healthscore::cta::{Action, RuleSet, RuleSetConfig};
use healthscore::lifecycle::{
    JourneySummary, Lifecycle, LifecycleConfig, OnboardingVerdict, Verdict,
};
use healthscore::model::{ProblemKind, EXAMPLE_JSON};
use healthscore::{AccountData, Band, Model, ModelConfig, Observation};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

/// The documentation model (score 125 × weekly active when only that is
/// observed; bands 80/60/40) with three stages and size tiers small
/// (< 50 employees) and large.
fn model() -> Model {
    let mut c: ModelConfig = serde_json::from_str(EXAMPLE_JSON).unwrap();
    c.segments.stages = vec!["onboarding".into(), "adoption".into(), "renewal".into()];
    c.segments.size_tiers = serde_json::from_str(
        r#"[{"id": "small", "from": 0, "to": 50}, {"id": "large", "from": 50}]"#,
    )
    .unwrap();
    Model::new(c).unwrap()
}

const LIFECYCLE: &str = r#"{
  "events": ["kickoff", "escalation"],
  "stages": [
    {"id": "onboarding", "goal": "first value", "max_days": {"small": 30, "large": 90},
     "exit": [
       {"id": "active", "label": "40% active weekly",
        "when": {"compare": {"left": {"metric_value": "weekly_active"}, "op": ">=", "right": 0.4}}},
       {"id": "kickoff", "label": "kickoff held", "when": {"event_within": {"event": "kickoff", "days": 365}}},
       {"id": "calm", "label": "no escalation this month",
        "when": {"not": {"event_within": {"event": "escalation", "days": 30}}}}
     ]},
    {"id": "adoption", "goal": "habit", "max_days": 365,
     "exit": [
       {"id": "active", "label": "60% active weekly",
        "when": {"compare": {"left": {"metric_value": "weekly_active"}, "op": ">=", "right": 0.6}}},
       {"id": "promoters", "label": "NPS 20 or more",
        "when": {"compare": {"left": {"metric_value": "nps"}, "op": ">=", "right": 20}}}
     ]},
    {"id": "renewal", "goal": "renew"}
  ],
  "onboarding": {"stage": "onboarding", "target_band": {"small": "lime", "large": "green"}},
  "pyramid": [
    {"level": "LOYAL", "stages": ["adoption", "renewal"], "bands": ["green"]},
    {"level": "ACTIVE", "stages": ["adoption", "renewal"], "bands": ["green", "lime"]},
    {"level": "ONBOARD", "stages": ["onboarding"]},
    {"level": "ENTRY"}
  ]
}"#;

fn lifecycle(model: &Model) -> Lifecycle {
    Lifecycle::new(serde_json::from_str(LIFECYCLE).unwrap(), model).unwrap()
}

/// An account in `stage` for `days`, with `employees`, weekly active `wau`
/// and a kickoff 10 days ago.
fn acct(stage: &str, days: i64, employees: u32, wau: f64) -> AccountData {
    AccountData::new("acme", dec!(500), employees, as_of())
        .stage(stage)
        .date("stage_entered", as_of() - Duration::days(days))
        .event("kickoff", as_of() - Duration::days(10))
        .observe(Observation::new("weekly_active", wau, as_of()))
}

#[test]
fn the_day_of_the_maximum_is_not_overdue_the_day_after_is() {
    let (m, l) = (model(), lifecycle(&model()));
    for (days, overdue) in [(30, false), (31, true)] {
        let a = m.bind(acct("onboarding", days, 10, 0.2)).unwrap();
        let j = l.evaluate(&a.score()).unwrap();
        assert_eq!(
            (j.days_in_stage, j.max_days, j.overdue),
            (Some(days), Some(30), overdue)
        );
    }
    // Large accounts have 90 days.
    let a = m.bind(acct("onboarding", 31, 100, 0.2)).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    assert_eq!((j.max_days, j.overdue), (Some(90), false));
}

#[test]
fn onboarding_success_depends_on_the_size_tier() {
    let (m, l) = (model(), lifecycle(&model()));
    // 0.5 → 62.5, lime: the small target (lime) is reached, the large one
    // (green) is not.
    let cases = [
        (10, 5, OnboardingVerdict::Succeeded),
        (10, 40, OnboardingVerdict::Succeeded), // overdue, but reached lime
        (100, 90, OnboardingVerdict::InProgress),
        (100, 91, OnboardingVerdict::Failed),
    ];
    for (employees, days, verdict) in cases {
        let a = m.bind(acct("onboarding", days, employees, 0.5)).unwrap();
        let s = a.score();
        assert_eq!(s.band(), Some(Band::Lime));
        let j = l.evaluate(&s).unwrap();
        let o = j.onboarding.unwrap();
        assert_eq!(
            (o.verdict, o.band),
            (verdict, Some(Band::Lime)),
            "{employees} {days}"
        );
        assert_eq!(
            o.target,
            if employees < 50 {
                Band::Lime
            } else {
                Band::Green
            }
        );
    }
    // Not in onboarding: no onboarding verdict.
    let a = m.bind(acct("adoption", 5, 10, 0.5)).unwrap();
    assert_eq!(l.evaluate(&a.score()).unwrap().onboarding, None);
}

#[test]
fn the_checklist_shows_the_values_that_decided_each_criterion() {
    let (m, l) = (model(), lifecycle(&model()));
    let data = acct("onboarding", 12, 10, 0.5).event("escalation", as_of() - Duration::days(5));
    let a = m.bind(data).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    let lines: Vec<(bool, &str)> = j
        .checklist
        .iter()
        .map(|c| (c.met, c.because.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (true, "weekly active 0.5 >= 0.4"),
            (true, "kickoff 10 days ago (within 365)"),
            (false, "escalation 5 days ago (within 30) (must not hold)"),
        ]
    );
    assert!(!j.ready);
    assert_eq!(
        j.to_string(),
        "acme: onboarding, day 12 of 30; goal: first value\n  \
         [x] 40% active weekly: weekly active 0.5 >= 0.4\n  \
         [x] kickoff held: kickoff 10 days ago (within 365)\n  \
         [ ] no escalation this month: escalation 5 days ago (within 30) (must not hold)\n  \
         not ready for adoption; onboarding succeeded (band lime, target lime)\n  \
         pyramid: ONBOARD"
    );
    // Without the escalation every criterion holds: ready to advance.
    let a = m.bind(acct("onboarding", 12, 10, 0.5)).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    assert!(j.ready && j.has(Verdict::ReadyToAdvance));
    assert_eq!(j.checklist[2].because, "not (no escalation)");
}

#[test]
fn an_account_that_lost_what_an_earlier_stage_required_has_regressed() {
    let (m, l) = (model(), lifecycle(&model()));
    // In adoption with 0.3 weekly active: onboarding's 0.4 no longer holds.
    let a = m.bind(acct("adoption", 100, 10, 0.3)).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    assert_eq!(j.regressed.len(), 1);
    let r = &j.regressed[0];
    assert_eq!(
        (r.stage.as_str(), r.criterion.as_str()),
        ("onboarding", "active")
    );
    assert_eq!(r.because, "weekly active 0.3 >= 0.4 does not hold");
    assert!(j.has(Verdict::Regressed));
    assert!(j.to_string().contains(
        "\n  regressed: 40% active weekly (onboarding): weekly active 0.3 >= 0.4 does not hold"
    ));
    // 0.3 → 37.5, red: the pyramid's catch-all.
    assert_eq!(j.pyramid.as_deref(), Some("ENTRY"));
}

#[test]
fn missing_data_is_undecided_never_a_regression() {
    let (m, l) = (model(), lifecycle(&model()));
    // In adoption with no weekly active value and no kickoff event: the
    // weekly-active criterion of onboarding cannot be decided, the kickoff
    // one is decided (no kickoff within a year) and has regressed.
    let data = AccountData::new("acme", dec!(500), 10, as_of())
        .stage("adoption")
        .date("stage_entered", as_of() - Duration::days(20))
        .observe(Observation::new("nps", 40.0, as_of()));
    let a = m.bind(data).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    let lost: Vec<&str> = j.regressed.iter().map(|r| r.criterion.as_str()).collect();
    assert_eq!(lost, ["kickoff"]);
    // Its own checklist marks the undecided criterion with [?].
    let active = &j.checklist[0];
    assert_eq!((active.met, active.decided), (false, false));
    assert!(
        j.to_string().contains(
            "\n  [?] 60% active weekly: weekly active unknown (needed >= 0.6) does not hold"
        ),
        "{j}"
    );
    let promoters = &j.checklist[1];
    assert_eq!((promoters.met, promoters.decided), (true, true));
}

#[test]
fn ready_to_advance_and_the_pyramid() {
    let (m, l) = (model(), lifecycle(&model()));
    let data = acct("adoption", 100, 10, 0.64).observe(Observation::new("nps", 20.0, as_of()));
    let a = m.bind(data).unwrap();
    let s = a.score();
    // (80 + 60) / 2 = 70, lime.
    assert_eq!(s.overall().map(|p| p.to_string()).as_deref(), Some("70"));
    let j = l.evaluate(&s).unwrap();
    assert!(j.ready && !j.overdue && j.regressed.is_empty());
    assert_eq!(j.next_stage.as_deref(), Some("renewal"));
    assert_eq!(j.pyramid.as_deref(), Some("ACTIVE"));
    assert_eq!(j.verdicts().collect::<Vec<_>>(), [Verdict::ReadyToAdvance]);
    // The last stage has no exit criteria: never ready, and says so.
    let a = m.bind(acct("renewal", 10, 10, 0.8)).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    assert!(!j.ready);
    assert_eq!(j.pyramid.as_deref(), Some("LOYAL"));
    assert!(j.to_string().contains("\n  no exit criteria"), "{j}");
}

#[test]
fn unknown_time_in_stage_is_never_overdue_and_says_so() {
    let (m, l) = (model(), lifecycle(&model()));
    let mut no_date = acct("onboarding", 0, 10, 0.2);
    no_date.dates.clear();
    let future = acct("onboarding", -3, 10, 0.2);
    for data in [no_date, future] {
        let a = m.bind(data).unwrap();
        let j = l.evaluate(&a.score()).unwrap();
        assert_eq!((j.days_in_stage, j.overdue), (None, false));
        assert!(
            j.to_string()
                .starts_with("acme: onboarding, time in stage unknown"),
            "{j}"
        );
    }
    // No stage at all: nothing is judged, and only catch-all levels match.
    let mut data = acct("onboarding", 0, 10, 0.2);
    data.stage = None;
    let a = m.bind(data).unwrap();
    let j = l.evaluate(&a.score()).unwrap();
    assert_eq!(j.stage, None);
    assert_eq!(j.verdicts().count(), 0);
    assert_eq!(j.pyramid.as_deref(), Some("ENTRY"));
    assert_eq!(j.to_string(), "acme: no lifecycle stage");
}

#[test]
fn the_summary_counts_stage_by_verdict_and_merges_exactly() {
    let (m, l) = (model(), lifecycle(&model()));
    let accounts = [
        acct("onboarding", 40, 10, 0.2), // overdue, failed, red
        acct("onboarding", 5, 10, 0.5),  // ready, succeeded
        acct("adoption", 10, 10, 0.3),   // regressed
        acct("renewal", 10, 10, 0.8),
    ];
    let journeys: Vec<_> = accounts
        .into_iter()
        .map(|d| l.evaluate(&m.bind(d).unwrap().score()).unwrap())
        .collect();
    let mut whole = JourneySummary::new(&l);
    journeys.iter().for_each(|j| whole.add(j));
    let onboarding = &whole.stages[0];
    assert_eq!(onboarding.accounts.count, 2);
    assert_eq!(onboarding.accounts.mrr, dec!(1000));
    assert_eq!(onboarding.verdict(Verdict::Overdue).count, 1);
    assert_eq!(onboarding.verdict(Verdict::OnboardingFailed).count, 1);
    assert_eq!(onboarding.verdict(Verdict::OnboardingSucceeded).count, 1);
    assert_eq!(onboarding.verdict(Verdict::ReadyToAdvance).count, 1);
    assert_eq!(whole.stages[1].verdict(Verdict::Regressed).count, 1);
    let levels: Vec<(&str, u64)> = whole
        .pyramid
        .iter()
        .map(|(n, t)| (n.as_str(), t.count))
        .collect();
    assert_eq!(
        levels,
        [("LOYAL", 1), ("ACTIVE", 0), ("ONBOARD", 2), ("ENTRY", 1)]
    );
    let (a, b) = journeys.split_at(1);
    let (mut left, mut right) = (JourneySummary::new(&l), JourneySummary::new(&l));
    a.iter().for_each(|j| left.add(j));
    b.iter().for_each(|j| right.add(j));
    right.merge(&left);
    assert_eq!(right, whole);
    let table = whole.to_string();
    assert!(
        table.starts_with("stage      accounts            MRR     ready   overdue regressed"),
        "{table}"
    );
    assert!(table.contains("\nonboarding        2          1,000         1         1         0         1         1"), "{table}");
    assert!(
        table.ends_with("pyramid: LOYAL 1 (500) ACTIVE 0 (0) ONBOARD 2 (1,000) ENTRY 1 (500)"),
        "{table}"
    );
}

#[test]
fn lifecycle_ctas_fire_on_verdicts_and_say_why() {
    let (m, l) = (model(), lifecycle(&model()));
    let rules: RuleSetConfig = serde_json::from_str(
        r#"{"rules": [
          {"id": "exit-review", "title": "Onboarding exit review", "kind": "lifecycle",
           "touch": "low-touch", "owner": "csm",
           "when": {"all": [{"stage": ["onboarding"]}, {"lifecycle": "ready_to_advance"}]}},
          {"id": "stuck", "title": "Stuck in stage", "kind": "risk", "priority": "high",
           "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "overdue"}},
          {"id": "slipping", "title": "Slipping back", "kind": "risk",
           "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "regressed"}}
        ]}"#,
    )
    .unwrap();
    let e = RuleSet::new(rules.clone(), &m).unwrap_err();
    assert_eq!(e.problems()[0].path, "rules[0].when[1]");
    assert_eq!(e.problems()[0].kind, ProblemKind::NoLifecycle);
    let set = RuleSet::with_lifecycle(rules, &m, &l).unwrap();
    let fired = |data: AccountData| -> Vec<(String, String)> {
        let a = m.bind(data).unwrap();
        set.evaluate(&a.score(), &[], &[])
            .unwrap()
            .actions
            .into_iter()
            .filter_map(|x| match x {
                Action::Open(c) => Some((c.rule, c.reason)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        fired(acct("onboarding", 31, 10, 0.2)),
        [(
            "stuck".into(),
            "overdue: 31 days in onboarding (max 30)".into()
        )]
    );
    assert_eq!(fired(acct("onboarding", 30, 10, 0.2)), []); // the day of the maximum
    assert_eq!(
        fired(acct("onboarding", 3, 10, 0.5)),
        [(
            "exit-review".into(),
            "stage onboarding and ready to advance from onboarding: 3 of 3 exit criteria met"
                .into()
        )]
    );
    assert_eq!(
        fired(acct("adoption", 3, 10, 0.3)),
        [(
            "slipping".into(),
            "regressed: no longer 40% active weekly (onboarding)".into()
        )]
    );
    // A lifecycle of another model is refused.
    let mut other: ModelConfig = m.config().clone();
    other.version = "2".into();
    let other = Model::new(other).unwrap();
    let foreign = lifecycle(&other);
    let e = RuleSet::with_lifecycle(serde_json::from_str(r#"{"rules": [{"id": "x", "title": "x",
        "kind": "risk", "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "overdue"}}]}"#)
        .unwrap(), &m, &foreign)
    .unwrap_err();
    assert_eq!(e.problems()[0].path, "lifecycle");
    assert!(l
        .evaluate(&other.bind(acct("renewal", 1, 1, 0.5)).unwrap().score())
        .is_err());
}

#[test]
fn every_config_problem_is_reported_with_its_path() {
    let m = model();
    let bad: LifecycleConfig = serde_json::from_str(
        r#"{
      "stages": [
        {"id": "onboarding", "max_days": {"small": 30, "huge": 9},
         "exit": [{"id": "a", "when": {"compare": {"left": {"metric_value": "weekly_activ"}, "op": ">", "right": 0}}},
                  {"id": "a", "when": {"lifecycle": "overdue"}}]},
        {"id": "adoption"},
        {"id": "adoption", "exit": [{"id": "x", "when": {"event_within": {"event": "kickoff", "days": 3}}}]},
        {"id": "trial"}
      ],
      "onboarding": {"stage": "onboard", "target_band": "lime"},
      "pyramid": [{"level": "ALL"}, {"level": "LOYAL", "stages": ["renewl"]}]
    }"#,
    )
    .unwrap();
    let e = Lifecycle::new(bad, &m).unwrap_err();
    let got: Vec<String> = e
        .problems()
        .iter()
        .map(|p| format!("{}: {}", p.path, p.kind))
        .collect();
    let expected = [
        "stages[0].exit[0].when: unknown metric \"weekly_activ\"",
        "stages[0].exit[1].id: duplicate id \"a\"",
        "stages[0].exit[1].when: lifecycle verdicts need a lifecycle: compile the rules with RuleSet::with_lifecycle (exit criteria cannot use them)",
        "stages[0].max_days: unknown tier \"huge\"",
        "stages[0].max_days: impossible condition: no value for size tier large (give every size tier, or one number for all)",
        "stages[1].exit: impossible condition: only the last stage may have no exit criteria (nothing could say an account is ready to move on)",
        "stages[2].id: duplicate id \"adoption\"",
        "stages[2].exit[0].when: unknown event \"kickoff\" (declare it in the rule set's events)",
        "stages[3].id: unknown stage \"trial\" (declare it in segments.stages)",
        "stages: impossible condition: stage \"renewal\" is declared by the model but not in the lifecycle",
        "onboarding.stage: unknown stage \"onboard\" (declare it in segments.stages)",
        "pyramid[1].stages: unknown stage \"renewl\" (declare it in segments.stages)",
        "pyramid[1]: impossible condition: an earlier level takes every account",
    ];
    assert_eq!(got, expected);
    // A model without stages cannot have a lifecycle.
    let plain = Model::new(serde_json::from_str(EXAMPLE_JSON).unwrap()).unwrap();
    let e = Lifecycle::new(serde_json::from_str(LIFECYCLE).unwrap(), &plain).unwrap_err();
    assert_eq!(e.problems()[0].path, "stages");
}

#[test]
fn the_bundled_lifecycle_compiles_against_the_bundled_model() {
    let model: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model.json")).unwrap();
    let model = Model::new(model).unwrap();
    let config: LifecycleConfig =
        serde_json::from_str(include_str!("../examples/data/lifecycle.json")).unwrap();
    let l = Lifecycle::new(config, &model).unwrap();
    assert_eq!(
        l.stage_ids().collect::<Vec<_>>(),
        ["onboarding", "adoption", "renewal"]
    );
}

proptest! {
    /// The CTA path (no journey built) agrees with the journey on every
    /// verdict, for accounts anywhere in the lifecycle.
    #[test]
    fn cta_verdicts_agree_with_the_journey(
        stage in prop::sample::select(vec!["onboarding", "adoption", "renewal"]),
        days in -5i64..500, employees in 0u32..200, wau in 0u32..=1000,
        nps in prop::option::of(-100i32..=100), kickoff in prop::option::of(0i64..400),
        escalation in prop::option::of(0i64..60), dated in any::<bool>(),
    ) {
        let (m, l) = (model(), lifecycle(&model()));
        let mut data = AccountData::new("x", dec!(10), employees, as_of())
            .stage(stage)
            .observe(Observation::new("weekly_active", f64::from(wau) / 1000.0, as_of()));
        if dated {
            data = data.date("stage_entered", as_of() - Duration::days(days));
        }
        if let Some(n) = nps {
            data = data.observe(Observation::new("nps", f64::from(n), as_of()));
        }
        if let Some(k) = kickoff {
            data = data.event("kickoff", as_of() - Duration::days(k));
        }
        if let Some(e) = escalation {
            data = data.event("escalation", as_of() - Duration::days(e));
        }
        let a = m.bind(data).unwrap();
        let s = a.score();
        let j = l.evaluate(&s).unwrap();
        prop_assert_eq!(j.ready, !j.checklist.is_empty() && j.checklist.iter().all(|c| c.met));
        for v in Verdict::ALL {
            let rules: RuleSetConfig = serde_json::from_value(serde_json::json!({"rules": [{
                "id": "v", "title": "v", "kind": "lifecycle", "touch": "tech-touch",
                "owner": "csm", "when": {"lifecycle": v}}]})).unwrap();
            let set = RuleSet::with_lifecycle(rules, &m, &l).unwrap();
            let fired = set.evaluate(&s, &[], &[]).unwrap().opened().count() == 1;
            prop_assert_eq!(fired, j.has(v), "{:?}\n{}", v, j);
        }
    }
}

#[test]
fn compiled_lifecycles_and_journeys_cross_threads_and_serialise() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Lifecycle>();
    shared::<RuleSet>();
    shared::<healthscore::lifecycle::Journey>();
    let (m, l) = (model(), lifecycle(&model()));
    // A service handler: evaluate on another thread, return an owned journey.
    let journey = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let a = m.bind(acct("onboarding", 31, 10, 0.2)).unwrap();
                l.evaluate(&a.score()).unwrap()
            })
            .join()
            .unwrap()
    });
    let json = serde_json::to_string(&journey).unwrap();
    assert!(json.contains(r#""overdue":true"#), "{json}");
    let back: healthscore::lifecycle::Journey = serde_json::from_str(&json).unwrap();
    assert_eq!(back, journey);
    // The configuration round-trips through JSON and TOML to an equal lifecycle.
    let text = toml::to_string(l.config()).unwrap();
    let again = Lifecycle::new(toml::from_str(&text).unwrap(), &m).unwrap();
    assert_eq!(again, l);
}

#[test]
fn a_bad_per_size_value_gets_its_own_types_message() {
    let parse = |json: &str| {
        serde_json::from_str::<LifecycleConfig>(json)
            .unwrap_err()
            .to_string()
    };
    assert!(parse(r#"{"stages": [{"id": "a", "max_days": "30"}]}"#)
        .starts_with("invalid type: string \"30\", expected u32"));
    assert!(
        parse(r#"{"stages": [{"id": "a", "max_days": {"small": -3}}]}"#)
            .starts_with("invalid value: integer `-3`, expected u32")
    );
    assert!(parse(
        r#"{"stages": [{"id": "a"}], "onboarding": {"stage": "a", "target_band": "teal"}}"#
    )
    .starts_with("unknown variant `teal`"));
    // Both forms read from TOML too.
    let toml_config: LifecycleConfig = toml::from_str(
        "[[stages]]\nid = \"a\"\nmax_days = 30\n[[stages]]\nid = \"b\"\nmax_days = { small = 1, large = 2 }\n",
    )
    .unwrap();
    assert_eq!(
        toml_config.stages[1].max_days,
        Some(healthscore::lifecycle::PerSize::BySize(
            [("large".to_string(), 2), ("small".to_string(), 1)].into()
        ))
    );
}

#[test]
fn onboarding_outcome_after_the_account_left_uses_the_band_at_the_end() {
    use healthscore::history::{History, ScorePoint};
    let (m, l) = (model(), lifecycle(&model()));
    let d = |month, day| NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    let point = |date, band: Option<Band>| ScorePoint {
        date,
        overall: None,
        dimensions: [None; 4],
        band,
        model_version: "1".into(),
    };
    let history = History::new([
        point(d(2, 1), Some(Band::Yellow)),
        point(d(3, 1), Some(Band::Lime)),
        point(d(4, 1), None),
    ])
    .unwrap();
    let outcome = |employees: u32, left_on| {
        let a = m.bind(acct("adoption", 100, employees, 0.5)).unwrap();
        l.onboarding_outcome(&a.score(), &history, left_on).unwrap()
    };
    let verdict =
        |o: Option<healthscore::lifecycle::OnboardingStatus>| o.map(|o| (o.verdict, o.band));
    // Small accounts need lime: yellow at the end of February fails, lime
    // from 1 March (the day itself counts) succeeds.
    assert_eq!(
        verdict(outcome(10, d(2, 28))),
        Some((OnboardingVerdict::Failed, Some(Band::Yellow)))
    );
    assert_eq!(
        verdict(outcome(10, d(3, 1))),
        Some((OnboardingVerdict::Succeeded, Some(Band::Lime)))
    );
    // Large accounts need green: lime is not enough.
    assert_eq!(
        verdict(outcome(100, d(3, 15))),
        Some((OnboardingVerdict::Failed, Some(Band::Lime)))
    );
    // No band at the end (no data) is not a success; no point before, no verdict.
    assert_eq!(
        verdict(outcome(10, d(4, 2))),
        Some((OnboardingVerdict::Failed, None))
    );
    assert_eq!(outcome(10, d(1, 31)), None);
    // Another model's score is refused.
    let mut other: ModelConfig = m.config().clone();
    other.version = "2".into();
    let other = Model::new(other).unwrap();
    let a = other.bind(acct("adoption", 1, 1, 0.5)).unwrap();
    assert!(l.onboarding_outcome(&a.score(), &history, d(3, 1)).is_err());
}

#[test]
fn criteria_are_decided_in_three_valued_logic() {
    let m = model();
    // Weekly active is observed (0.5); NPS is missing (unknown).
    let wau = |op: &str, v: f64| serde_json::json!({"compare": {"left": {"metric_value": "weekly_active"}, "op": op, "right": v}});
    let nps =
        serde_json::json!({"compare": {"left": {"metric_value": "nps"}, "op": ">=", "right": 0}});
    let cases = [
        // (condition, met, decided)
        (
            serde_json::json!({"any": [wau(">=", 0.4), nps.clone()]}),
            true,
            true,
        ), // a true part settles `any`
        (
            serde_json::json!({"any": [wau("<", 0.4), nps.clone()]}),
            false,
            false,
        ),
        (
            serde_json::json!({"all": [wau("<", 0.4), nps.clone()]}),
            false,
            true,
        ), // a false part settles `all`
        (
            serde_json::json!({"all": [wau(">=", 0.4), nps.clone()]}),
            false,
            false,
        ),
        (serde_json::json!({"not": nps.clone()}), true, false), // holds as CTA logic has it, undecided
        (serde_json::json!({"all": []}), true, true),
        (serde_json::json!({"any": []}), false, true),
    ];
    for (when, met, decided) in cases {
        let config: LifecycleConfig = serde_json::from_value(serde_json::json!({"stages": [
            {"id": "onboarding", "exit": [{"id": "c", "when": when}]},
            {"id": "adoption", "exit": [{"id": "x", "when": {"all": []}}]},
            {"id": "renewal"}
        ]}))
        .unwrap();
        let l = Lifecycle::new(config, &m).unwrap();
        let a = m.bind(acct("onboarding", 1, 10, 0.5)).unwrap();
        let j = l.evaluate(&a.score()).unwrap();
        assert_eq!(
            (j.checklist[0].met, j.checklist[0].decided),
            (met, decided),
            "{when}"
        );
        // From a later stage: a regression exactly when decided and not met.
        let a = m.bind(acct("adoption", 1, 10, 0.5)).unwrap();
        let j = l.evaluate(&a.score()).unwrap();
        assert_eq!(j.regressed.len(), usize::from(decided && !met), "{when}");
    }
}

/// A rule set reads the dates and events it declares, and with a
/// lifecycle the lifecycle's entry date; an account's others are listed
/// as unread (a misspelt name among them), each once, in name order.
#[test]
fn dates_and_events_no_rule_reads_are_listed() {
    use healthscore::cta::Unread;
    let (m, l) = (model(), lifecycle(&model()));
    let rules: RuleSetConfig = serde_json::from_str(
        r#"{"dates": ["renewal"], "events": ["kickoff"], "rules": [
          {"id": "stuck", "title": "Stuck in stage", "kind": "risk",
           "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "overdue"}}
        ]}"#,
    )
    .unwrap();
    let data = acct("onboarding", 31, 10, 0.2)
        .date("renewal", as_of())
        .date("renewwal", as_of())
        .event("champion_lostt", as_of())
        .event("kickoff", as_of())
        .event("champion_lostt", as_of() - Duration::days(1))
        .event("a_first", as_of());
    let with = RuleSet::with_lifecycle(rules.clone(), &m, &l).unwrap();
    assert!(with.reads_date("stage_entered") && with.reads_date("renewal"));
    assert!(!with.reads_date("renewwal") && with.reads_event("kickoff"));
    assert_eq!(
        with.unread(&data).collect::<Vec<_>>(),
        [
            Unread::Date("renewwal"),
            Unread::Event("a_first"),
            Unread::Event("champion_lostt"),
        ]
    );
    // Without the lifecycle (its verdict rule left out), stage_entered is
    // read by no rule.
    let mut plain = rules;
    plain.rules[0].when = serde_json::from_str(r#"{"band": ["red"]}"#).unwrap();
    let without = RuleSet::new(plain, &m).unwrap();
    assert_eq!(
        without
            .unread(&data)
            .map(|u| u.to_string())
            .collect::<Vec<_>>(),
        [
            "date renewwal",
            "date stage_entered",
            "event a_first",
            "event champion_lostt"
        ]
    );
}
