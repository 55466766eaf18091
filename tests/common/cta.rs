//! CTA fixtures: rules over the golden model, all of whose metrics score 60
//! unless a test changes them.

use super::{account, golden};
use healthscore::cta::*;
use healthscore::{score::*, *};
use rust_decimal_macros::dec;

pub const ALL_AT_60: [(&str, f64); 4] = [
    ("seats", 0.62),
    ("sentiment", 3.4),
    ("weekly_active", 0.4),
    ("breadth", 0.3),
];

pub fn rule(id: &str, when: Condition) -> RuleConfig {
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

pub fn rules(rs: Vec<RuleConfig>) -> RuleSet {
    let config = RuleSetConfig {
        dates: vec!["renewal".into()],
        events: vec!["champion_lost".into()],
        rules: rs,
    };
    RuleSet::new(config, &golden()).unwrap()
}

/// Does `when` hold for this account (all metrics at 60 unless changed)?
pub fn holds(when: Condition, data: AccountData) -> bool {
    let model = golden();
    let account = model.bind(data).unwrap();
    let set = rules(vec![rule("r", when)]);
    !set.evaluate(&account.score(), &[], &[])
        .expect("rules of this model")
        .held
        .is_empty()
}

pub fn at_60() -> AccountData {
    account(dec!(1000), &ALL_AT_60)
}

pub fn cmp(left: Operand, op: Op, right: rust_decimal::Decimal) -> Condition {
    Condition::compare(left, op, right)
}
