//! CTA rules, property tests: determinism, negation, de-duplication, and
//! the compiled jump program agreeing with the condition tree.

mod common;
use chrono::Duration;
use common::*;
use healthscore::cta::*;
use healthscore::{model::*, score::*, *};
use proptest::prelude::*;

fn bundled() -> &'static (Model, RuleSet, RuleSetConfig) {
    static SET: std::sync::OnceLock<(Model, RuleSet, RuleSetConfig)> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let model = Model::new(bundled_config()).unwrap();
        let config: RuleSetConfig =
            serde_json::from_str(include_str!("../examples/data/playbook.json")).unwrap();
        let set = RuleSet::new(config.clone(), &model).unwrap();
        (model, set, config)
    })
}

/// Bundled-model accounts with the playbook's dates and events and a
/// previous band and score (`strategy::account_for_rules`).
fn accounts() -> impl Strategy<Value = AccountData> {
    let (model, set, _) = bundled();
    healthscore::strategy::account_for_rules(model, set, day(23))
}

/// What the strategy is for: every rule of the bundled playbook, each
/// date and event it reads and each kind of previous value occur among a
/// few hundred generated accounts, so properties over them reach every
/// rule (a strategy without dates never reaches "renewal in 90 days").
#[test]
fn generated_accounts_reach_every_rule_of_the_playbook() {
    use proptest::strategy::ValueTree;
    let (model, set, config) = bundled();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = accounts();
    let (mut fired, mut dates, mut events) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    let (mut previous_band, mut previous_score) = (0, 0);
    for _ in 0..600 {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        dates.extend(data.dates.keys().cloned());
        events.extend(data.events.iter().map(|e| e.name.clone()));
        previous_band += usize::from(data.previous_band.is_some());
        previous_score += usize::from(data.previous_score.is_some());
        let account = model.bind(data).unwrap();
        let eval = set.evaluate(&account.score(), &[], &[]).unwrap();
        fired.extend(eval.held);
    }
    let all: std::collections::BTreeSet<String> =
        config.rules.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        fired,
        all,
        "rules never reached: {:?}",
        all.difference(&fired)
    );
    let sorted = |names: &[String]| {
        names
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(dates, sorted(&config.dates));
    assert_eq!(events, sorted(&config.events));
    assert!((200..400).contains(&previous_band), "{previous_band}");
    assert!((200..400).contains(&previous_score), "{previous_score}");
}

/// As-of dates at the ends of the years accounts may use (1 to 9999).
fn calendar_ends() -> impl Strategy<Value = chrono::NaiveDate> {
    let first = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
    let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    prop_oneof![
        (0i64..30).prop_map(move |d| first + Duration::days(d)),
        (0i64..30).prop_map(move |d| last - Duration::days(d)),
    ]
}

proptest! {
    /// Generated accounts stay valid where their dates would fall past the
    /// calendar the library accepts: they are clamped to its ends.
    #[test]
    fn generated_accounts_bind_at_the_calendar_s_ends(
        data in calendar_ends().prop_flat_map(|as_of| {
            healthscore::strategy::account_for_rules(&bundled().0, &bundled().1, as_of)
        })
    ) {
        let (model, set, _) = bundled();
        let account = model.bind(data).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(set.evaluate(&account.score(), &[], &[]).is_ok());
    }

    #[test]
    fn evaluation_is_deterministic(data in accounts()) {
        let (model, set, _) = bundled();
        let account = model.bind(data).unwrap();
        let score = account.score();
        prop_assert_eq!(set.evaluate(&score, &[], &[]).expect("rules of this model"), set.evaluate(&score, &[], &[]).expect("rules of this model"));
    }

    #[test]
    fn not_inverts_every_rule(data in accounts()) {
        let (model, set, config) = bundled();
        let account = model.bind(data).unwrap();
        let score = account.score();
        let held = set.evaluate(&score, &[], &[]).expect("rules of this model").held;
        let negated = RuleSetConfig {
            rules: config.rules.iter().map(|r| RuleConfig { when: Condition::not(r.when.clone()), ..r.clone() }).collect(),
            ..config.clone()
        };
        let negated_held = RuleSet::new(negated, model).unwrap().evaluate(&score, &[], &[]).expect("rules of this model").held;
        for r in &config.rules {
            prop_assert_ne!(held.contains(&r.id), negated_held.contains(&r.id), "rule {}", r.id);
        }
    }

    #[test]
    fn a_second_evaluation_with_the_first_ctas_open_opens_nothing(data in accounts()) {
        let (model, set, _) = bundled();
        let account = model.bind(data).unwrap();
        let score = account.score();
        let first = set.evaluate(&score, &[], &[]).expect("rules of this model");
        let open: Vec<CtaRecord> = first.opened().map(|c| c.record(day(23))).collect();
        let second = set.evaluate(&score, &open, &first.held).expect("rules of this model");
        prop_assert_eq!(second.opened().count(), 0);
        // Every CTA opened the first time is updated, not duplicated (de-duplication is idempotent).
        let updated = second.actions.iter().filter(|a| matches!(a, Action::Update { .. })).count();
        prop_assert_eq!(updated, open.len());
        let third = set.evaluate(&score, &open, &second.held).expect("rules of this model");
        prop_assert_eq!(third, second);
    }
}

/// Operands with constants inside their ranges (so every rule compiles),
/// on a grid coarse enough that equalities happen.
fn comparison() -> impl Strategy<Value = Condition> {
    let ops = prop::sample::select(vec![Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::Eq, Op::Ne]);
    let points = (0i64..=20).prop_map(|p| rust_decimal::Decimal::from(p * 5));
    let share = (0i64..=10).prop_map(|t| rust_decimal::Decimal::new(t, 1));
    let ratio = prop::sample::select(vec![
        "seats_provisioned",
        "weekly_active",
        "quota_utilisation",
    ]);
    let metric = prop::sample::select(vec!["nps", "weekly_active", "support_csat", "integrations"]);
    let dims = prop::sample::select(Dimension::ALL.to_vec());
    prop_oneof![
        (ops.clone(), points.clone()).prop_map(|(op, r)| Condition::compare(
            Operand::Overall,
            op,
            r
        )),
        (dims, ops.clone(), points.clone()).prop_map(|(d, op, r)| Condition::compare(
            Operand::Dimension(d),
            op,
            r
        )),
        (ops.clone(), share.clone()).prop_map(|(op, r)| Condition::compare(
            Operand::Coverage,
            op,
            r
        )),
        (ratio, ops.clone(), share).prop_map(|(m, op, r)| Condition::compare(
            Operand::MetricValue(m.into()),
            op,
            r
        )),
        (metric, ops.clone(), points.clone()).prop_map(|(m, op, r)| Condition::compare(
            Operand::MetricScore(m.into()),
            op,
            r
        )),
        (ops.clone(), points.clone()).prop_map(|(op, r)| Condition::compare(
            Operand::PreviousOverall,
            op,
            r
        )),
        (ops.clone(), -20i64..=20).prop_map(|(op, r)| Condition::compare(
            Operand::ScoreChange,
            op,
            r * 5
        )),
        (ops.clone(), -40i64..=400).prop_map(|(op, r)| Condition::compare(
            Operand::DaysUntil("renewal".into()),
            op,
            r
        )),
        (ops.clone(), 0i64..=30).prop_map(|(op, r)| Condition::compare(Operand::Mrr, op, r * 1000)),
        (ops, 0i64..=40).prop_map(|(op, r)| Condition::compare(Operand::Employees, op, r * 50)),
    ]
}

fn bands() -> impl Strategy<Value = Vec<Band>> {
    prop::sample::subsequence(Band::ALL.to_vec(), 0..=4)
}

fn leaf() -> impl Strategy<Value = Condition> {
    let tiers = |ids: &[&str]| {
        prop::sample::subsequence(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 0..=2)
    };
    prop_oneof![
        4 => comparison(),
        1 => bands().prop_filter("a band list is not empty", |b| !b.is_empty()).prop_map(Condition::Band),
        1 => Just(Condition::InsufficientData),
        1 => (bands(), bands()).prop_map(|(from, to)| Condition::BandChanged { from, to }),
        1 => (1u8..=3).prop_map(Condition::DroppedBands),
        1 => (0i64..=30).prop_map(|p| Condition::ScoreFell(p.into())),
        1 => prop::sample::select(vec!["nps", "weekly_active", "value_realised"])
            .prop_map(|m| Condition::Missing(m.into())),
        1 => prop::sample::subsequence(vec!["onboarding", "adoption", "renewal"], 1..=2)
            .prop_map(|s| Condition::Stage(s.into_iter().map(String::from).collect())),
        1 => (tiers(&["smb", "mid", "enterprise"]), tiers(&["small", "medium", "large"]))
            .prop_map(|(mrr, size)| Condition::Segment { mrr, size }),
        1 => (0u32..=60).prop_map(|days| Condition::EventWithin { event: "champion_lost".into(), days }),
    ]
}

/// Condition trees up to four levels deep, with empty `all`/`any` too.
fn condition() -> impl Strategy<Value = Condition> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Condition::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Condition::Any),
            inner.prop_map(Condition::not),
        ]
    })
}

fn rule_set(conditions: Vec<Condition>) -> RuleSet {
    let (model, _, playbook) = bundled();
    let rules = conditions
        .into_iter()
        .enumerate()
        .map(|(i, when)| RuleConfig {
            id: format!("r{i}"),
            when,
            trigger: Trigger::Level,
            cap: None,
            cooldown_days: 0,
            ..playbook.rules[0].clone()
        })
        .collect();
    let config = RuleSetConfig {
        rules,
        ..playbook.clone()
    };
    RuleSet::new(config, model).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The jump program that evaluation runs decides every rule exactly as
    /// the condition tree does (the tree is what traces and reasons show),
    /// both in one pass over the whole program (no CTA records) and rule by
    /// rule (with records).
    #[test]
    fn the_compiled_program_agrees_with_the_condition_tree(
        conditions in prop::collection::vec(condition(), 1..6),
        data in accounts(),
    ) {
        let set = rule_set(conditions);
        let (model, _, _) = bundled();
        let account = model.bind(data).unwrap();
        let score = account.score();
        let tree: Vec<String> = set
            .trace(&score).expect("rules of this model")
            .into_iter()
            .filter(|(_, lines)| lines[0].holds)
            .map(|(id, _)| id)
            .collect();
        prop_assert_eq!(&set.evaluate(&score, &[], &[]).expect("rules of this model").held, &tree);
        let unrelated = CtaRecord {
            rule: "not-a-rule".into(),
            kind: CtaKind::Risk,
            opened_on: day(1),
            status: CtaStatus::Open,
        };
        prop_assert_eq!(&set.evaluate(&score, &[unrelated], &[]).expect("rules of this model").held, &tree);
    }
}
