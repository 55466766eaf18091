//! The Arrow path against the batch path on the same in-memory columns:
//! reference model v0m, 1,000,000 accounts (`BATCH_ROWS` to change).
//!
//! ```text
//! cargo bench -p healthscore-arrow
//! ```
//!
//! Both reuse their working columns from round to round. First
//! interleaved rounds (min / median ns per account, one core), then
//! criterion's groups. `arrow_record_batch` reads a `RecordBatch` (Float64
//! metric columns with nulls, Decimal128 MRR) and builds the results
//! `RecordBatch`; `batch_columns` scores the same columns as borrowed
//! slices into `BatchScores`. Both check their band counts agree.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{Array, RecordBatch};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::batch::{BatchScores, Scorer};
use healthscore::Model;
use healthscore_arrow::{score_batch_into, Options};
use std::time::{Duration, Instant};

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")
}

/// v0m accounts as a record batch (see the shared support file).
fn record_batch(c: &v0m::Columns) -> RecordBatch {
    v0m_arrow::record_batch(c, Vec::new())
}

/// Rows per band in a results record batch (green … red, none).
fn arrow_counts(out: &RecordBatch) -> [u64; 5] {
    let band = out
        .column_by_name("band")
        .expect("band column")
        .as_dictionary::<UInt32Type>();
    let mut t = [0u64; 5];
    for (i, k) in band.keys().iter().enumerate() {
        let at = if band.is_valid(i) {
            k.map_or(4, |k| k as usize)
        } else {
            4
        };
        t[at.min(4)] += 1;
    }
    t
}

fn batch_counts(out: &BatchScores) -> [u64; 5] {
    let mut t = [0u64; 5];
    for b in out.bands() {
        t[b.map_or(4, |b| b.index())] += 1;
    }
    t
}

fn benches(c: &mut Criterion) {
    let n: usize = std::env::var("BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let model = Model::new(
        serde_json::from_str(include_str!("../../../examples/data/model-v0m.json"))
            .expect("v0m parses"),
    )
    .expect("v0m is valid");
    let cols = v0m::generate(n, 20_240_601);
    let rb = record_batch(&cols);
    let b = cols.batch(day());
    let scorer = Scorer::new(&model);
    let options = Options {
        as_of: Some(day()),
        drivers: false,
    };
    let mut out = BatchScores::new();
    scorer.score_into(&b, &mut out).expect("fits");
    let expected = batch_counts(&out);

    let mut reused = BatchScores::new();
    let (mut arrow, mut direct, mut sliced) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        let r = score_batch_into(&scorer, &rb, &options, &mut reused).expect("fits");
        arrow.push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(arrow_counts(&r), expected);
        drop(r);
        // The same record batch as a reader hands it out: 65,536-row
        // slices (zero-copy), each scored and its results dropped.
        let t = Instant::now();
        let mut counts = [0u64; 5];
        for start in (0..n).step_by(65_536) {
            let part = rb.slice(start, 65_536.min(n - start));
            let r = score_batch_into(&scorer, &part, &options, &mut reused).expect("fits");
            for (c, x) in counts.iter_mut().zip(arrow_counts(&r)) {
                *c += x;
            }
        }
        sliced.push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(counts, expected);
        let t = Instant::now();
        scorer.score_into(&b, &mut out).expect("fits");
        direct.push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(batch_counts(&out), expected);
    }
    arrow.sort_by(f64::total_cmp);
    direct.sort_by(f64::total_cmp);
    sliced.sort_by(f64::total_cmp);
    println!(
        "\nv0m, {n} accounts in memory, 7 interleaved rounds, ns per account (min / median), {} kernel:\n  batch_columns      {:7.1} / {:7.1}\n  arrow_record_batch {:7.1} / {:7.1}   {:+.0}% over the batch path (min), {:+.0}% (median)\n  arrow, 65,536-row slices {:7.1} / {:7.1}   {:+.0}% (min), {:+.0}% (median)",
        scorer.instruction_set(),
        direct[0],
        direct[3],
        arrow[0],
        arrow[3],
        (arrow[0] / direct[0] - 1.0) * 100.0,
        (arrow[3] / direct[3] - 1.0) * 100.0,
        sliced[0],
        sliced[3],
        (sliced[0] / direct[0] - 1.0) * 100.0,
        (sliced[3] / direct[3] - 1.0) * 100.0,
    );

    let mut group = c.benchmark_group("v0m_arrow");
    group.throughput(Throughput::Elements(n as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("arrow_record_batch", |bench| {
        bench.iter(|| {
            let r = score_batch_into(&scorer, &rb, &options, &mut reused).expect("fits");
            assert_eq!(arrow_counts(&r), expected)
        })
    });
    group.bench_function("batch_columns", |bench| {
        bench.iter(|| {
            scorer.score_into(&b, &mut out).expect("fits");
            assert_eq!(batch_counts(&out), expected);
        })
    });
    group.finish();
}

criterion_group!(arrow_benches, benches);
criterion_main!(arrow_benches);
