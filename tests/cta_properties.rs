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

/// Bundled-model accounts with renewal dates, events and a previous score.
fn accounts() -> impl Strategy<Value = AccountData> {
    let (model, _, _) = bundled();
    (
        healthscore::strategy::account(model, day(23)),
        proptest::option::of(-30i64..400),
        prop::collection::vec(-20i64..90, 0..3),
        proptest::option::of((0u32..=100, prop::sample::select(Band::ALL.to_vec()))),
    )
        .prop_map(|(mut data, renewal, lost, previous)| {
            if let Some(days) = renewal {
                data.dates
                    .insert("renewal".into(), day(23) + Duration::days(days));
            }
            for ago in lost {
                data.events.push(Event {
                    name: "champion_lost".into(),
                    date: day(23) - Duration::days(ago),
                });
            }
            if let Some((score, band)) = previous {
                data.previous_score = Points::from_micros(score * 1_000_000);
                data.previous_band = Some(band);
            }
            data
        })
}

proptest! {
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
