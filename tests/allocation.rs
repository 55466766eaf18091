//! The hot paths allocate nothing: scoring a bound account, and evaluating
//! a rule set on an account where nothing fires (with no CTA records), on
//! many generated accounts. A counting allocator (this test binary's own)
//! counts allocations made by this thread.

mod common;
use chrono::Duration;
use common::*;
use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::{model::*, *};
use proptest::strategy::{Strategy, ValueTree};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

#[test]
fn scoring_and_quiet_cta_evaluation_allocate_nothing() {
    let model = Model::new(bundled_config()).unwrap();
    let config: RuleSetConfig =
        serde_json::from_str(include_str!("../examples/data/playbook.json")).unwrap();
    let rules = RuleSet::new(config, &model).unwrap();
    let strategy = healthscore::strategy::account(&model, day(23));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut scored, mut quiet) = (0, 0);
    for i in 0..2_000 {
        let mut data = strategy.new_tree(&mut runner).unwrap().current();
        if i % 2 == 0 {
            data.dates
                .insert("renewal".into(), day(23) + Duration::days(120));
            data.previous_score = Points::from_micros(70_000_000);
            data.previous_band = Some(Band::Lime);
        }
        let account = model.bind(data).unwrap();
        let (score, n) = allocations(|| account.score());
        assert_eq!(n, 0, "scoring allocated");
        scored += 1;
        let (eval, n) = allocations(|| {
            rules
                .evaluate(&score, &[], &[])
                .expect("rules of this model")
        });
        if eval.actions.is_empty() {
            assert_eq!(n, 0, "a quiet evaluation allocated");
            quiet += 1;
        } else {
            assert!(n > 0, "the counter counts: CTAs own their strings");
        }
    }
    assert_eq!(scored, 2_000);
    assert!(
        quiet > 200,
        "only {quiet} quiet accounts: the test would prove little"
    );
}

#[test]
fn binding_prepared_data_allocates_nothing() {
    // Binding takes the account's data by value and moves it into one box
    // (so that a `Vec<Account>` holds only what scoring reads); with
    // observations set by handle and a model of at most 16 metrics that
    // box is all it allocates (no name lookups, no per-call buffers). By
    // name it hashes but allocates nothing more.
    let model = Model::new(bundled_config()).unwrap();
    let strategy = healthscore::strategy::account(&model, day(23));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..500 {
        let named = strategy.new_tree(&mut runner).unwrap().current();
        let mut by_handle = named.clone();
        for o in &mut by_handle.observations {
            let h = model.metric_handle(&o.metric).unwrap();
            *o = Observation {
                metric: String::new(),
                handle: Some(h),
                ..o.clone()
            };
        }
        for data in [named, by_handle] {
            let (account, n) = allocations(|| model.bind(data));
            assert_eq!(n, 1, "binding allocated more than the data's box");
            let account = account.unwrap();
            let (record, n) = allocations(|| account.score().record());
            assert!(n > 0, "the counter counts: records own their strings");
            drop(record);
        }
    }
}

#[test]
fn quiet_evaluation_of_lifecycle_rules_allocates_nothing() {
    use healthscore::lifecycle::Lifecycle;
    let model = Model::new(bundled_config()).unwrap();
    let lifecycle = Lifecycle::new(
        serde_json::from_str(include_str!("../examples/data/lifecycle.json")).unwrap(),
        &model,
    )
    .unwrap();
    let mut rules = vec![];
    for verdict in [
        "ready_to_advance",
        "overdue",
        "regressed",
        "onboarding_succeeded",
        "onboarding_failed",
    ] {
        rules.push(
            serde_json::json!({"id": verdict, "title": verdict, "kind": "lifecycle",
            "touch": "tech-touch", "owner": "csm", "when": {"lifecycle": verdict}}),
        );
    }
    let config: RuleSetConfig =
        serde_json::from_value(serde_json::json!({ "rules": rules })).unwrap();
    let rules = RuleSet::with_lifecycle(config, &model, &lifecycle).unwrap();
    let strategy = healthscore::strategy::account(&model, day(23));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut quiet = 0;
    for i in 0..2_000 {
        let mut data = strategy.new_tree(&mut runner).unwrap().current();
        data.dates
            .insert("stage_entered".into(), day(23) - Duration::days(i % 400));
        let account = model.bind(data).unwrap();
        let score = account.score();
        let (eval, n) = allocations(|| rules.evaluate(&score, &[], &[]).unwrap());
        if eval.actions.is_empty() {
            assert_eq!(n, 0, "a quiet evaluation allocated");
            quiet += 1;
        }
    }
    assert!(
        quiet > 200,
        "only {quiet} quiet accounts: the test would prove little"
    );
}
