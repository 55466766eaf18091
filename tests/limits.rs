//! Costs bounded by the size of the input, and caps with documented limits
//! (issue #8): nesting depth, rules, reason length, problems listed.

mod common;
use common::cta::{at_60, rule};
use common::*;
use healthscore::cta::{
    Condition, Op, Operand, RuleConfig, RuleSet, RuleSetConfig, MAX_DEPTH, MAX_REASON_LEN,
    MAX_RULES,
};
use healthscore::model::{MetricConfig, ModelConfig, MAX_PROBLEMS};
use healthscore::Model;
use rust_decimal_macros::dec;

fn set(rules: Vec<RuleConfig>) -> RuleSetConfig {
    RuleSetConfig {
        dates: vec![],
        events: vec![],
        rules,
    }
}

#[test]
fn a_condition_nested_past_the_limit_is_an_error_not_a_stack_overflow() {
    // Built through the Rust API (JSON parsers stop at 128 levels already).
    let mut deep = Condition::compare(Operand::Overall, Op::Ge, dec!(0));
    for _ in 0..100_000 {
        deep = Condition::not(deep);
    }
    let err = RuleSet::new(set(vec![rule("deep", deep)]), &golden()).unwrap_err();
    assert_eq!(err.problems().len(), 1);
    assert!(
        err.to_string()
            .contains(&format!("conditions nest deeper than {MAX_DEPTH} levels")),
        "{err}"
    );
    // At the limit it compiles.
    let mut at_limit = Condition::compare(Operand::Overall, Op::Ge, dec!(0));
    for _ in 0..MAX_DEPTH {
        at_limit = Condition::not(at_limit);
    }
    assert!(RuleSet::new(set(vec![rule("ok", at_limit)]), &golden()).is_ok());
}

#[test]
fn a_rule_of_many_leaves_has_a_bounded_reason() {
    let leaves = (0..10_000).map(|_| Condition::compare(Operand::Overall, Op::Ge, dec!(0)));
    let rules = RuleSet::new(set(vec![rule("wide", Condition::all(leaves))]), &golden()).unwrap();
    let model = golden();
    let account = model.bind(at_60()).unwrap();
    let eval = rules.evaluate(&account.score(), &[], &[]).unwrap();
    let cta = eval.opened().next().expect("all leaves hold");
    assert!(
        cta.reason.len() <= MAX_REASON_LEN + 40,
        "{} bytes",
        cta.reason.len()
    );
    assert!(
        cta.reason.ends_with(" more"),
        "{}",
        &cta.reason[cta.reason.len() - 60..]
    );
    assert!(
        cta.reason
            .starts_with("overall 60 >= 0 and overall 60 >= 0"),
        "{}",
        &cta.reason[..60]
    );
}

#[test]
fn too_many_rules_is_one_clear_error() {
    let rules: Vec<RuleConfig> = (0..=MAX_RULES)
        .map(|i| rule(&format!("r{i}"), Condition::all([])))
        .collect();
    let err = RuleSet::new(set(rules), &golden()).unwrap_err();
    assert_eq!(err.to_string(), format!("1 problem in the configuration\n  rules: {} entries, at most {MAX_RULES} are supported", MAX_RULES + 1));
}

#[test]
fn ten_thousand_problems_list_the_first_hundred_and_count_the_rest() {
    let mut config: ModelConfig = golden_config();
    let template: MetricConfig = config.metrics[0].clone();
    for i in 0..10_000 {
        let mut m = template.clone();
        m.id = format!("m{i}");
        m.weight = dec!(-1); // one problem each
        config.metrics.push(m);
    }
    let err = Model::new(config).unwrap_err();
    assert_eq!(err.problems().len(), MAX_PROBLEMS);
    assert_eq!(err.omitted(), 10_000 + 1 - MAX_PROBLEMS); // and "metrics: too many"
    let text = err.to_string();
    assert!(
        text.starts_with("10001 problems in the configuration\n"),
        "{}",
        &text[..80]
    );
    assert!(
        text.ends_with(&format!("… and {} more", 10_001 - MAX_PROBLEMS)),
        "{}",
        &text[text.len() - 80..]
    );
    assert!(text.len() < 10_000, "{} bytes", text.len());
}
