//! The customer journey: lifecycle verdicts and parent/child roll-ups over
//! 100,000 synthetic accounts of the bundled model (every account has a
//! stage and a stage entry date; one in fifty is a parent of three).
//!
//! ```text
//! cargo bench --bench journey
//! ```
//!
//! * `lifecycle/evaluate`: a full journey per account (checklist with
//!   traces, verdicts, pyramid level): the report path, it allocates.
//! * `lifecycle/verdict_rules`: five CTA rules, one per verdict, through
//!   the compiled program: the nightly path.
//! * `rollup/100k`: checking the hierarchy and rolling up every account.
//!
//! Each iteration checks its result against the first run's.

#[path = "../examples/support/generate.rs"]
#[allow(dead_code)]
mod generate;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::hierarchy::RollUps;
use healthscore::lifecycle::{JourneySummary, Lifecycle};
use healthscore::{Account, Model, ModelConfig, Score};
use std::hint::black_box;

const N: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let config: ModelConfig =
        serde_json::from_str(include_str!("../examples/data/model.json")).expect("bundled model");
    let model = Model::new(config.clone()).expect("valid model");
    let lifecycle = Lifecycle::new(
        serde_json::from_str(include_str!("../examples/data/lifecycle.json")).expect("parses"),
        &model,
    )
    .expect("valid lifecycle");
    let rules: Vec<serde_json::Value> = healthscore::lifecycle::Verdict::ALL
        .iter()
        .map(|v| {
            serde_json::json!({"id": v.name(), "title": v.name(), "kind": "lifecycle",
                "touch": "tech-touch", "owner": "csm", "when": {"lifecycle": v}})
        })
        .collect();
    let rules: RuleSetConfig =
        serde_json::from_value(serde_json::json!({ "rules": rules })).expect("rules parse");
    let rules = RuleSet::with_lifecycle(rules, &model, &lifecycle).expect("valid rules");
    let mut rng = generate::Rng::new(11);
    let accounts: Vec<Account<'_>> = (0..N)
        .map(|i| {
            model
                .bind(generate::account(&config, i, &mut rng))
                .expect("valid")
        })
        .collect();
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();

    let summarise = || {
        let mut s = JourneySummary::new(&lifecycle);
        for score in &scores {
            s.add(&lifecycle.evaluate(score).expect("same model"));
        }
        s
    };
    let expected = summarise();
    let fired = || -> usize {
        scores
            .iter()
            .map(|s| {
                rules
                    .evaluate(s, &[], &[])
                    .expect("same model")
                    .actions
                    .len()
            })
            .sum()
    };
    let expected_fired = fired();
    let expected_roll = RollUps::new(&scores).expect("valid hierarchy");
    let expected_parents = expected_roll
        .iter()
        .filter(|r| !r.children.is_empty())
        .count();
    println!(
        "{N} accounts: {} lifecycle CTAs, {expected_parents} parents",
        expected_fired
    );

    let mut g = c.benchmark_group("lifecycle");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("evaluate", |b| {
        b.iter(|| assert_eq!(black_box(summarise()), expected))
    });
    g.bench_function("verdict_rules", |b| {
        b.iter(|| assert_eq!(black_box(fired()), expected_fired))
    });
    g.finish();

    let mut g = c.benchmark_group("rollup");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("100k", |b| {
        b.iter(|| {
            let r = RollUps::new(black_box(&scores)).expect("valid hierarchy");
            assert_eq!(
                r.iter().filter(|r| !r.children.is_empty()).count(),
                expected_parents
            );
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
