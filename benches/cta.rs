//! CTA rule evaluation: the bundled 10-rule playbook over one scored account
//! on which nothing fires, and over 100,000 synthetic accounts.
//!
//! ```text
//! cargo bench --bench cta
//! ```
//!
//! A counting allocator checks that evaluating an account on which nothing
//! fires allocates nothing. `hand_written_nothing_fires` is the peer: the
//! playbook's ten conditions written as plain Rust over the public API (the
//! code a team would write instead of rules), for a ratio measured in the
//! same run on this noisy machine.

#[path = "../examples/support/generate.rs"]
#[allow(dead_code)]
mod generate;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::{
    Account, AccountData, Band, Dimension, Model, ModelConfig, Observation, Score, Value,
};
use rust_decimal::Decimal;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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

const N: u64 = 100_000;

/// How many of the playbook's ten conditions hold, written by hand.
fn hand_written(s: &Score<'_>) -> usize {
    let account = s.account();
    let d = account.data();
    let days_until = |name: &str| d.dates.get(name).map(|date| (*date - d.as_of).num_days());
    let value = |id: &str| match account.observation(id).map(|o| &o.value) {
        Some(Value::Number(x)) => Some(*x),
        _ => None,
    };
    let band = s.band().map(Band::index);
    let before = d.previous_band.map(Band::index);
    let renewal = days_until("renewal");
    let conditions = [
        d.events.iter().any(|e| {
            let ago = (d.as_of - e.date).num_days();
            e.name == "champion_lost" && (0..=30).contains(&ago)
        }),
        matches!((band, before), (Some(b), Some(a)) if b >= a + 2),
        s.band() == Some(Band::Red),
        s.dimension(Dimension::Adoption)
            .is_some_and(|p| p.micros() < 40_000_000)
            && renewal.is_some_and(|r| (0..=90).contains(&r)),
        matches!((d.previous_score, s.overall()), (Some(a), Some(b)) if a.micros() >= b.micros() + 15_000_000),
        value("quota_utilisation").is_some_and(|q| q >= 0.8)
            && matches!(s.band(), Some(Band::Green | Band::Lime)),
        value("shared_logins").is_some_and(|q| q >= 0.4),
        renewal.is_some_and(|r| (0..=90).contains(&r)),
        d.stage.as_deref() == Some("onboarding")
            && days_until("onboarding_target").is_some_and(|r| r < 0)
            && matches!(s.band(), Some(Band::Yellow | Band::Red)),
        s.is_insufficient(),
    ];
    conditions.iter().filter(|c| **c).count()
}

fn bench(c: &mut Criterion) {
    let config: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model.json")).expect("model");
    let model = Model::new(config.clone()).expect("valid model");
    let rules: RuleSetConfig =
        serde_json::from_str(include_str!("../examples/data/playbook.json")).expect("rules");
    let rules = RuleSet::new(rules, &model).expect("valid rules");

    // A healthy account with a renewal 200 days out, a previous score and
    // band like today's, and no events: nothing fires.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let mut quiet = AccountData::new("quiet", Decimal::from(2500), 300, day)
        .date("renewal", day + chrono::Duration::days(200))
        .stage("adoption");
    quiet.previous_score = healthscore::Points::from_micros(80_000_000);
    quiet.previous_band = Some(Band::Green);
    for (metric, value) in [
        ("seats_provisioned", 0.9),
        ("weekly_active", 0.6),
        ("feature_breadth", 0.5),
        ("nps", 40.0),
        ("quota_utilisation", 0.5),
        ("shared_logins", 0.1),
    ] {
        quiet
            .observations
            .push(Observation::new(metric, value, day));
    }
    let quiet = model.bind(quiet).expect("valid");
    let quiet_score = quiet.score();
    assert!(matches!(quiet_score.band(), Some(Band::Green | Band::Lime)));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let eval = rules
        .evaluate(&quiet_score, &[], &[])
        .expect("rules of this model");
    assert!(
        eval.actions.is_empty() && eval.held.is_empty(),
        "nothing fires on the quiet account"
    );
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        before,
        "no allocation when nothing fires"
    );

    assert_eq!(
        hand_written(&quiet_score),
        0,
        "nothing fires by hand either"
    );

    let mut g = c.benchmark_group("cta");
    g.throughput(Throughput::Elements(1));
    g.bench_function("playbook_10_rules_nothing_fires", |b| {
        b.iter(|| {
            let e = rules
                .evaluate(black_box(&quiet_score), &[], &[])
                .expect("rules of this model");
            assert!(e.actions.is_empty());
            e
        })
    });
    g.bench_function("hand_written_nothing_fires", |b| {
        b.iter(|| {
            let fired = hand_written(black_box(&quiet_score));
            assert_eq!(fired, 0);
            fired
        })
    });

    let mut rng = generate::Rng::new(5);
    let accounts: Vec<Account<'_>> = (0..N)
        .map(|i| {
            model
                .bind(generate::account(&config, i, &mut rng))
                .expect("valid")
        })
        .collect();
    let scores: Vec<_> = accounts.iter().map(Account::score).collect();
    let expected: usize = scores
        .iter()
        .map(|s| {
            rules
                .evaluate(s, &[], &[])
                .expect("rules of this model")
                .opened()
                .count()
        })
        .sum();
    eprintln!(
        "the playbook opens {expected} CTAs over {N} accounts ({:.2} per account)",
        expected as f64 / N as f64
    );
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.bench_function("playbook_10_rules_100k_accounts", |b| {
        b.iter(|| {
            let opened: usize = scores
                .iter()
                .map(|s| {
                    rules
                        .evaluate(black_box(s), &[], &[])
                        .expect("rules of this model")
                        .opened()
                        .count()
                })
                .sum();
            assert_eq!(opened, expected);
        })
    });
    g.finish();
}

/// Edge-triggered rules that all held before and all hold now: every rule
/// looks itself up among the rules held. Time per rule stays flat from
/// 1,000 to 10,000 rules (the lookups are constant time).
fn edge_rules_held(c: &mut Criterion) {
    let config: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model.json")).expect("model");
    let model = Model::new(config).expect("valid model");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let account = model
        .bind(AccountData::new("a", Decimal::from(2500), 300, day))
        .expect("valid");
    let score = account.score();
    let mut g = c.benchmark_group("edge_rules_held");
    g.sample_size(10);
    for n in [1_000usize, 10_000] {
        let rules: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({"id": format!("r{i}"), "title": "t", "kind": "risk",
                    "touch": "tech-touch", "owner": "csm", "trigger": "edge", "when": {"all": []}})
            })
            .collect();
        let set: RuleSetConfig =
            serde_json::from_value(serde_json::json!({ "rules": rules })).expect("rules");
        let set = RuleSet::new(set, &model).expect("valid");
        let held: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{n}_rules"), |b| {
            b.iter(|| {
                let eval = set
                    .evaluate(black_box(&score), &[], &held)
                    .expect("same model");
                assert_eq!((eval.held.len(), eval.opened().count()), (n, 0));
                eval
            })
        });
    }
    g.finish();
}

criterion_group!(cta, bench, edge_rules_held);
criterion_main!(cta);
