//! What making a batch `Scorer` costs: the first for a model builds the
//! kernel's tables (about 90 KB), every later one (a service making one
//! per request, SQL one per record batch) shares them.
//!
//! ```text
//! cargo bench --bench scorer
//! ```

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use healthscore::batch::Scorer;
use healthscore::model::ModelConfig;
use healthscore::Model;
use std::hint::black_box;

fn config() -> ModelConfig {
    serde_json::from_str(include_str!("../examples/data/model-v0m.json")).expect("v0m parses")
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("v0m_scorer_new");
    // A model just compiled: the first scorer builds the tables.
    group.bench_function("first_for_a_model", |bench| {
        bench.iter_batched(
            || Model::new(config()).expect("v0m is valid"),
            |model| {
                let scorer = Scorer::new(black_box(&model));
                assert!(scorer.is_columnar());
                drop(scorer);
                model // dropped outside the timing
            },
            BatchSize::SmallInput,
        )
    });
    // The same model again: the tables are shared.
    let model = Model::new(config()).expect("v0m is valid");
    drop(Scorer::new(&model));
    group.bench_function("later", |bench| {
        bench.iter(|| {
            let scorer = Scorer::new(black_box(&model));
            assert!(scorer.is_columnar());
        })
    });
    group.finish();
}

criterion_group!(scorer_benches, benches);
criterion_main!(scorer_benches);
