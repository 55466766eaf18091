//! How loading a model grows with its size: 16, 256 and 4,096 scorecards
//! over 64 MRR tiers × 64 size tiers × 64 stages (266,240 segments), each
//! card but the last taking one (MRR, size) cell, the last the default.
//!
//! ```text
//! cargo bench --bench load
//! ```
//!
//! The bench prints the time per scorecard; near-linear loading keeps it
//! roughly flat from 256 to 4,096 cards (once the fixed cost of the
//! 266,240 segments is shared out).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use healthscore::model::{
    BandsConfig, Criteria, CurveConfig, MetricConfig, MetricKind, ScorecardConfig, SegmentsConfig,
    Tier,
};
use healthscore::{Dimension, Model, ModelConfig};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::Instant;

/// A model with `cards` scorecards over 64 × 64 tiers and 64 stages.
fn config(cards: usize) -> ModelConfig {
    let mut c = ModelConfig::new("scale", "1");
    for (i, d) in Dimension::ALL.into_iter().enumerate() {
        c = c.metric(MetricConfig::new(
            format!("m{i}"),
            d,
            MetricKind::Ratio,
            CurveConfig::linear([(0, 0), (1, 100)]),
        ));
    }
    let tiers = |step: i64| -> Vec<Tier<Decimal>> {
        (0..64)
            .map(|i| {
                Tier::new(
                    format!("t{i}"),
                    Decimal::from(i * step),
                    (i < 63).then(|| Decimal::from((i + 1) * step)),
                )
            })
            .collect()
    };
    let sizes = (0..64u32)
        .map(|i| Tier::new(format!("s{i}"), i * 10, (i < 63).then_some((i + 1) * 10)))
        .collect();
    c = c.segments(SegmentsConfig {
        mrr_tiers: tiers(100),
        size_tiers: sizes,
        stages: (0..64).map(|i| format!("stage{i}")).collect(),
    });
    let card = |id: String| {
        let mut card = ScorecardConfig::new(id, BandsConfig::new(80, 60, 40));
        for d in Dimension::ALL {
            card = card.dimension_weight(d, 1);
        }
        card
    };
    for k in 0..cards - 1 {
        let when = Criteria::default()
            .mrr([format!("t{}", k / 64)])
            .size([format!("s{}", k % 64)]);
        c = c.scorecard(card(format!("c{k}")).when(when));
    }
    c.scorecard(card("default".into()))
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    for cards in [16, 256, 4096] {
        let cfg = config(cards);
        let start = Instant::now();
        let model = Model::new(cfg.clone()).expect("valid");
        assert_eq!(model.segments().count(), 64 * 64 * 65);
        println!(
            "load/{cards}_scorecards: one load {:.1} ms, {:.1} µs per scorecard",
            start.elapsed().as_secs_f64() * 1e3,
            start.elapsed().as_secs_f64() * 1e6 / cards as f64
        );
        g.bench_function(format!("{cards}_scorecards"), |b| {
            b.iter_batched(
                || cfg.clone(),
                |cfg| black_box(Model::new(cfg).expect("valid")),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(load, benches);
criterion_main!(load);
