//! A `BatchScores` reused across batches of different sizes, as a
//! service or a stream of record batches reuses it: a 1,000,000-row batch
//! (reference model v0m, one thread) right after a 1,024-row one, against
//! right after another 1,000,000-row one. Only the large batch is timed;
//! the two should cost the same (the columns keep the large batch's rows
//! instead of refilling them).
//!
//! ```text
//! cargo bench --bench reuse
//! ```

#[path = "../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::batch::{BatchScores, Scorer};
use std::time::{Duration, Instant};

fn benches(c: &mut Criterion) {
    let n = 1_000_000;
    let model = v0m::model();
    let columns = v0m::generate(n, 20_240_601);
    let large = columns.batch(v0m::day());
    let small = columns.batch_rows(v0m::day(), 0..1_024);
    let scorer = Scorer::new(&model).threads(1);
    let mut out = BatchScores::new();
    scorer.score_into(&large, &mut out).expect("fits");
    let red = out
        .bands()
        .iter()
        .filter(|b| b.is_some_and(|b| b.index() == 3))
        .count();

    let mut group = c.benchmark_group("v0m_reused_scores");
    group.throughput(Throughput::Elements(n as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (name, before) in [("1m_after_1m", &large), ("1m_after_1024", &small)] {
        group.bench_function(name, |bench| {
            bench.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    scorer.score_into(before, &mut out).expect("fits");
                    let t = Instant::now();
                    scorer.score_into(&large, &mut out).expect("fits");
                    spent += t.elapsed();
                    assert_eq!(out.len(), n);
                    let again = out
                        .bands()
                        .iter()
                        .filter(|b| b.is_some_and(|b| b.index() == 3));
                    assert_eq!(again.count(), red);
                }
                spent
            })
        });
    }
    group.finish();
}

criterion_group!(reuse_benches, benches);
criterion_main!(reuse_benches);
