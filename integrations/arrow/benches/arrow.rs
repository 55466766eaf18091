//! The Arrow path against the batch path on the same in-memory columns:
//! reference model v0m, 1,000,000 accounts (`BATCH_ROWS` to change).
//!
//! ```text
//! cargo bench -p healthscore-arrow
//! ```
//!
//! Both reuse their working columns (and the Arrow path its result
//! buffers) from call to call. First interleaved rounds (`BATCH_ROUNDS`,
//! 9 unless set; min / median ns per account, one core, and the median of
//! each round's Arrow over batch ratio) for one call of all rows and for
//! slices of 65,536, 16,384, 8,192 and 1,024 rows, then criterion's groups (one
//! call, one thread and two). The Arrow path reads a
//! `RecordBatch` (Float64 metric columns with nulls, Decimal128 MRR) and
//! builds the results `RecordBatch`; the batch path scores the same
//! accounts twice into `BatchScores`: from the generator's own columns
//! (MRR as `i64` cents, a `bool` per metric value for validity), and from
//! the record batch's own buffers (MRR as `Decimal128` values, validity
//! bits), so that the difference from the second is what the Arrow path
//! adds to the same data. Every round checks all three band counts
//! against the batch path's. Then, per call size, the time to write the
//! results' 108 bytes a row and nothing else: what the machine's caches
//! and memory take for the format's bytes, against the 15% budget.
//! Then what a call costs besides its rows: 16-row calls, µs a call.
//! Criterion's groups time the same three, in one call of all rows.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::batch::{Batch, BatchScores, Dates, Ids, MetricColumn, Mrr, Scorer, Validity};
use healthscore::Model;
use healthscore_arrow::{score_batch_into, Options, ScoreBuffers};
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

/// The batch path's view of the very buffers the Arrow path reads: ids,
/// MRR as `Decimal128` values (`Mrr::Scaled128`), employees, and each
/// metric's values with its null bitmap as validity bits. Scoring this is
/// the batch path on the same data: what the Arrow path costs beyond it
/// is what the Arrow path adds.
fn same_columns(rb: &RecordBatch) -> Batch<'_> {
    let column = |name: &str| rb.column_by_name(name).expect("a v0m column");
    let mut b = Batch::new(
        Ids::Int(column("id").as_primitive::<Int64Type>().values()),
        Mrr::Scaled128 {
            values: column("mrr").as_primitive::<Decimal128Type>().values(),
            scale: 2,
        },
        column("employees").as_primitive::<UInt32Type>().values(),
        Dates::One(day()),
    );
    for id in v0m::METRICS {
        let array = column(id);
        let values = array.as_primitive::<Float64Type>().values();
        let mut metric = MetricColumn::new(values);
        if let Some(nulls) = array.nulls() {
            metric = metric.validity(Validity::Bits {
                bits: nulls.buffer().as_slice(),
                offset: nulls.offset(),
            });
        }
        b.push_metric(id, metric);
    }
    b
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
        ..Default::default()
    };
    let mut out = BatchScores::new();
    scorer.score_into(&b, &mut out).expect("fits");
    let expected = batch_counts(&out);

    // Per shape, ns per account of each round: the batch path and the
    // Arrow path in one call of all rows, in slices of the sizes readers
    // hand out (DataFusion: 8,192 rows; `score_file`: `FILE_BATCH_ROWS`,
    // 16,384) or a caller's own large batches (65,536: `score_file`'s
    // until 2026-12-04), and in 1,024-row calls (a service scoring a
    // request's accounts: what each call costs besides its rows). Only
    // the scoring calls are timed; band counts are checked after. Each
    // shape has its own working memory
    // (the batch path's `BatchScores`, the Arrow path's `ScoreBuffers`),
    // as a stream of one call size has: with one for all, each shape's
    // calls would fill memory sized for the one before (the batch path's
    // columns never shrink; a `ScoreBuffers` lets go of buffers four
    // times too large after a few calls, and the next round's call of all
    // rows would then page-fault fresh ones).
    let shapes = [n, 65_536, healthscore_arrow::FILE_BATCH_ROWS, 8_192, 1_024];
    let mut outs: Vec<BatchScores> = shapes.iter().map(|_| BatchScores::new()).collect();
    let mut reused_by_shape: Vec<ScoreBuffers> =
        shapes.iter().map(|_| ScoreBuffers::new()).collect();
    let mut batch_ns = vec![Vec::new(); shapes.len()];
    let mut same_ns = vec![Vec::new(); shapes.len()];
    let mut arrow_ns = vec![Vec::new(); shapes.len()];
    let rounds: usize = std::env::var("BATCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
        .max(1);
    for round in 0..rounds {
        for (s, rows) in shapes.iter().enumerate() {
            // The three paths in an order that turns each round, so that
            // none always runs first or right after another (what ran
            // before moves a path's time by a few points: what is left in
            // cache, and of which buffers).
            for turn in 0..3 {
                let path = (turn + round) % 3;
                let mut spent = Duration::ZERO;
                let mut counts = [0u64; 5];
                let (out, reused) = (&mut outs[s], &mut reused_by_shape[s]);
                for start in (0..n).step_by(*rows) {
                    let len = (*rows).min(n - start);
                    let tally = match path {
                        0 => {
                            let part = cols.batch_rows(day(), start..start + len);
                            let t = Instant::now();
                            scorer.score_into(&part, out).expect("fits");
                            spent += t.elapsed();
                            batch_counts(out)
                        }
                        1 => {
                            // The batch path again, on the record batch's
                            // own buffers.
                            let slice = rb.slice(start, len);
                            let part = same_columns(&slice);
                            let t = Instant::now();
                            scorer.score_into(&part, out).expect("fits");
                            spent += t.elapsed();
                            batch_counts(out)
                        }
                        _ => {
                            // Zero-copy slices, each scored and its results
                            // dropped (so the next call refills their
                            // buffers).
                            let part = rb.slice(start, len);
                            let t = Instant::now();
                            let r =
                                score_batch_into(&scorer, &part, &options, reused).expect("fits");
                            spent += t.elapsed();
                            arrow_counts(&r)
                        }
                    };
                    for (c, x) in counts.iter_mut().zip(tally) {
                        *c += x;
                    }
                }
                assert_eq!(counts, expected, "path {path}, {rows} rows a call");
                let ns = spent.as_nanos() as f64 / n as f64;
                [&mut batch_ns, &mut same_ns, &mut arrow_ns][path][s].push(ns);
            }
        }
    }
    println!(
        "\nv0m, {n} accounts in memory, {rounds} interleaved rounds, ns per account (min / median), {} kernel:",
        scorer.instruction_set()
    );
    println!("  rows per call   batch path        batch path on      Arrow path        Arrow over batch path      Arrow over batch path on   Arrow over the batch path's");
    println!("                                    Arrow's buffers                      (min, median, same round)  Arrow's buffers (same round) one call (min)");
    // Each round's Arrow time over the same round's batch time (the two
    // back to back), so that the machine's drift between rounds cancels:
    // the median of those ratios.
    let paired = |base: &[f64], s: usize| -> f64 {
        let mut r: Vec<f64> = arrow_ns[s].iter().zip(base).map(|(a, b)| a / b).collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    let paired_batch: Vec<f64> = (0..shapes.len()).map(|s| paired(&batch_ns[s], s)).collect();
    let paired_same: Vec<f64> = (0..shapes.len()).map(|s| paired(&same_ns[s], s)).collect();
    let one_call = {
        let mut v = batch_ns[0].clone();
        v.sort_by(f64::total_cmp);
        v[0]
    };
    for (s, rows) in shapes.iter().enumerate() {
        batch_ns[s].sort_by(f64::total_cmp);
        same_ns[s].sort_by(f64::total_cmp);
        arrow_ns[s].sort_by(f64::total_cmp);
        let (b, o, a) = (&batch_ns[s], &same_ns[s], &arrow_ns[s]);
        let pct = |r: f64| (r - 1.0) * 100.0;
        println!(
            "  {rows:>13}   {:6.1} / {:6.1}   {:6.1} / {:6.1}    {:6.1} / {:6.1}   {:+4.0}%, {:+4.0}%, {:+4.0}%       {:+4.0}%                       {:+4.0}%",
            b[0],
            b[rounds / 2],
            o[0],
            o[rounds / 2],
            a[0],
            a[rounds / 2],
            pct(a[0] / b[0]),
            pct(a[rounds / 2] / b[rounds / 2]),
            pct(paired_batch[s]),
            pct(paired_same[s]),
            pct(a[0] / one_call),
        );
    }

    // What the results' bytes cost on this machine, nothing else done:
    // each call's rows written into six `i128` and three `u32` columns
    // (the results' 108 bytes a row, as the Arrow path fills them,
    // reused from call to call), the same rows a call as above: how
    // much of the goal's budget the format's bytes take by themselves.
    // Not a floor: a path that writes while it computes hides part of it
    // (the Arrow path streams its stores past 131,072 rows a call).
    let mut floor_ns = vec![Vec::new(); shapes.len()];
    let mut wide: [Vec<i128>; 6] = Default::default();
    let mut keys: [Vec<u32>; 3] = Default::default();
    for round in 0..rounds {
        for (s, rows) in shapes.iter().enumerate() {
            let mut spent = Duration::ZERO;
            for start in (0..n).step_by(*rows) {
                let len = (*rows).min(n - start);
                let t = Instant::now();
                for (c, column) in wide.iter_mut().enumerate() {
                    column.clear();
                    let base = (start + c + round) as i128;
                    column.extend((0..len as i128).map(|i| base + i));
                }
                for (c, column) in keys.iter_mut().enumerate() {
                    column.clear();
                    let base = (start + c + round) as u32;
                    column.extend((0..len as u32).map(|i| base ^ i));
                }
                std::hint::black_box((&wide, &keys));
                spent += t.elapsed();
            }
            floor_ns[s].push(spent.as_nanos() as f64 / n as f64);
        }
    }
    println!("\nwriting the result columns' 108 bytes a row and nothing else (six i128 and three u32 columns a call, reused; overlapped with the scoring, part of it is hidden), ns per account (min / median), against issue #10's budget (15% of the batch path on Arrow's buffers, min) and what the Arrow path adds (min over min):");
    println!("  rows per call   writing alone     budget   the Arrow path adds");
    for (s, rows) in shapes.iter().enumerate() {
        floor_ns[s].sort_by(f64::total_cmp);
        let f = &floor_ns[s];
        println!(
            "  {rows:>13}   {:5.1} / {:5.1}     {:5.1}    {:5.1}",
            f[0],
            f[rounds / 2],
            same_ns[s][0] * 0.15,
            arrow_ns[s][0] - same_ns[s][0],
        );
    }

    // What a call costs besides its rows: 16-row calls over the first
    // 16,384 accounts, again and again (in cache, as a service's small
    // requests are), the batch path on the same buffers (its batches
    // built before the clock starts) and the Arrow path, in interleaved
    // rounds: µs per call, min / median.
    let mut reused = ScoreBuffers::new();
    let small = 16;
    let slices: Vec<RecordBatch> = (0..n.min(16_384))
        .step_by(small)
        .map(|start| rb.slice(start, small.min(n - start)))
        .collect();
    let small_batches: Vec<Batch<'_>> = slices.iter().map(same_columns).collect();
    let (mut batch_us, mut arrow_us) = (Vec::new(), Vec::new());
    let passes = 20;
    let calls = (passes * slices.len()) as f64;
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..passes {
            for part in &small_batches {
                scorer.score_into(part, &mut out).expect("fits");
                std::hint::black_box(&out);
            }
        }
        batch_us.push(t.elapsed().as_secs_f64() * 1e6 / calls);
        let t = Instant::now();
        for _ in 0..passes {
            for part in &slices {
                let r = score_batch_into(&scorer, part, &options, &mut reused).expect("fits");
                std::hint::black_box(&r);
            }
        }
        arrow_us.push(t.elapsed().as_secs_f64() * 1e6 / calls);
    }
    // Both paths band the small calls' accounts alike.
    let (mut by_batch, mut by_arrow) = ([0u64; 5], [0u64; 5]);
    for (part, slice) in small_batches.iter().zip(&slices) {
        scorer.score_into(part, &mut out).expect("fits");
        let r = score_batch_into(&scorer, slice, &options, &mut reused).expect("fits");
        for (t, x) in by_batch.iter_mut().zip(batch_counts(&out)) {
            *t += x;
        }
        for (t, x) in by_arrow.iter_mut().zip(arrow_counts(&r)) {
            *t += x;
        }
    }
    assert_eq!(by_batch, by_arrow, "{small}-row calls");
    batch_us.sort_by(f64::total_cmp);
    arrow_us.sort_by(f64::total_cmp);
    println!(
        "\n{small}-row calls (what a call costs besides its rows), µs per call (min / median):"
    );
    println!(
        "  batch path on Arrow's buffers {:.2} / {:.2}, Arrow path {:.2} / {:.2}: the Arrow path adds {:.2} (min over min)",
        batch_us[0],
        batch_us[rounds / 2],
        arrow_us[0],
        arrow_us[rounds / 2],
        arrow_us[0] - batch_us[0],
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
    // The batch path on the record batch's own buffers: what the Arrow
    // path reads.
    let same = same_columns(&rb);
    group.bench_function("batch_same_buffers", |bench| {
        bench.iter(|| {
            scorer.score_into(&same, &mut out).expect("fits");
            assert_eq!(batch_counts(&out), expected);
        })
    });
    // Both paths with a scorer of two threads (the Arrow path gives each
    // thread its own run of rows, scored and converted there).
    let two = Scorer::new(&model).threads(2);
    group.bench_function("arrow_record_batch_2_threads", |bench| {
        bench.iter(|| {
            let r = score_batch_into(&two, &rb, &options, &mut reused).expect("fits");
            assert_eq!(arrow_counts(&r), expected)
        })
    });
    group.bench_function("batch_columns_2_threads", |bench| {
        bench.iter(|| {
            two.score_into(&b, &mut out).expect("fits");
            assert_eq!(batch_counts(&out), expected);
        })
    });
    group.bench_function("batch_same_buffers_2_threads", |bench| {
        bench.iter(|| {
            two.score_into(&same, &mut out).expect("fits");
            assert_eq!(batch_counts(&out), expected);
        })
    });
    group.finish();
}

criterion_group!(arrow_benches, benches);
criterion_main!(arrow_benches);
