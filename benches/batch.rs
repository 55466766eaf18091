//! The batch path against hand-written `f64` kernels of the same model:
//! reference model v0m (`examples/data/model-v0m.json`, the model
//! `shared/perf/` measures other engines with), 1,000,000 accounts
//! generated as columns in Rust with gen.py's distributions.
//!
//! ```text
//! cargo bench --bench batch              # summary table, then criterion
//! BATCH_ROWS=200000 cargo bench --bench batch
//! ```
//!
//! First an interleaved comparison (every variant once per round, several
//! rounds, min and median ns per account, one core unless said), each
//! round checking band counts: the library's batch path must give the row
//! API's counts exactly; the `f64` kernels' counts are printed beside.
//! Then criterion's own groups for the same variants.
//!
//! * `hand_f64_columnar`: a branch-free `f64` kernel over the columns,
//!   written for this model (curves and weights as constants; inexact, no
//!   validation): the peer to beat.
//! * `batch_1_thread` / `batch_2_threads`: `healthscore::batch`, validate,
//!   score and band, exact.
//! * `hand_f64_one_at_a_time`: the model hand-written for one account at a
//!   time, over account structs.
//! * `account_score`: `Account::score` on bound accounts.
//! * `row_api_bind_score`: the row API from the columns: build
//!   `AccountData` (observations by handle), bind, score.

#[path = "../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::batch::{Batch, BatchScores, Scorer};
use healthscore::{Account, AccountData, Band, Model, Observation, Value};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn rows() -> usize {
    std::env::var("BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn model() -> Model {
    let config =
        serde_json::from_str(include_str!("../examples/data/model-v0m.json")).expect("v0m parses");
    Model::new(config).expect("v0m is valid")
}

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")
}

fn batch<'a>(c: &'a v0m::Columns) -> Batch<'a> {
    c.batch(day())
}

// ---- the hand-written peer: model v0m as constants -------------------

/// Breakpoints of each metric's curve, `(x, y)`, padded by repeating the
/// last point (a zero-width piece adds nothing).
const CURVES: [[(f64, f64); 4]; 12] = [
    [(0.0, 0.0), (0.9, 100.0), (1.3, 100.0), (1.3, 100.0)],
    [(0.0, 10.0), (0.5, 55.0), (1.0, 100.0), (1.0, 100.0)],
    [(0.0, 0.0), (3.0, 50.0), (10.0, 90.0), (25.0, 100.0)],
    [(0.0, 0.0), (1.0, 50.0), (3.0, 85.0), (6.0, 100.0)],
    [(-100.0, 0.0), (0.0, 40.0), (50.0, 80.0), (100.0, 100.0)],
    [(0.0, 0.0), (3.0, 40.0), (4.5, 90.0), (5.0, 100.0)],
    [(0.0, 0.0), (0.3, 30.0), (0.7, 80.0), (1.0, 100.0)],
    [(0.0, 0.0), (0.25, 35.0), (0.6, 75.0), (1.0, 100.0)],
    [(0.0, 0.0), (4.0, 40.0), (12.0, 85.0), (30.0, 100.0)],
    [(0.0, 0.0), (0.5, 50.0), (1.0, 90.0), (1.5, 100.0)],
    [(0.0, 10.0), (0.8, 100.0), (1.5, 100.0), (1.5, 100.0)],
    [(0.0, 100.0), (90.0, 80.0), (365.0, 50.0), (365.0, 50.0)],
];
/// Each metric's dimension: D, D, D, E, E, E, A, A, A, R, R, R.
const DIM: [usize; 12] = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
/// Per scorecard (mrr tier × 3 + size tier): dimension weights.
const WEIGHTS: [[f64; 4]; 9] = [
    [0.2, 0.1, 0.4, 0.3],
    [0.2, 0.15, 0.35, 0.3],
    [0.25, 0.15, 0.3, 0.3],
    [0.15, 0.2, 0.35, 0.3],
    [0.2, 0.25, 0.3, 0.25],
    [0.25, 0.25, 0.25, 0.25],
    [0.15, 0.3, 0.3, 0.25],
    [0.2, 0.3, 0.25, 0.25],
    [0.2, 0.35, 0.2, 0.25],
];
/// Per scorecard: green, lime, yellow thresholds.
const BANDS: [[f64; 3]; 9] = [
    [75.0, 55.0, 35.0],
    [78.0, 58.0, 38.0],
    [80.0, 60.0, 40.0],
    [78.0, 58.0, 38.0],
    [80.0, 60.0, 40.0],
    [82.0, 62.0, 42.0],
    [80.0, 60.0, 40.0],
    [82.0, 64.0, 45.0],
    [85.0, 65.0, 45.0],
];

/// Slopes of each curve's pieces, precomputed as a hand-written kernel would.
fn slopes() -> [[f64; 3]; 12] {
    let mut s = [[0.0; 3]; 12];
    for (m, c) in CURVES.iter().enumerate() {
        for j in 0..3 {
            let dx = c[j + 1].0 - c[j].0;
            s[m][j] = if dx > 0.0 {
                (c[j + 1].1 - c[j].1) / dx
            } else {
                0.0
            };
        }
    }
    s
}

#[inline(always)]
fn card_of(cents: i64, employees: u32) -> usize {
    let m = usize::from(cents >= 100_000) + usize::from(cents >= 1_000_000);
    let s = usize::from(employees >= 50) + usize::from(employees >= 500);
    m * 3 + s
}

#[inline(always)]
fn curve(c: &[(f64, f64); 4], slope: &[f64; 3], x: f64) -> f64 {
    let mut y = c[0].1;
    for j in 0..3 {
        y += slope[j] * (x.clamp(c[j].0, c[j + 1].0) - c[j].0);
    }
    y
}

/// [`hand_columnar`] for the build target, a function of its own (the
/// AVX-512 peer inlines the same code), so that callgrind counts its
/// instructions.
#[inline(never)]
fn hand_columnar_sse2(c: &v0m::Columns, slopes: &[[f64; 3]; 12], out: &mut [u8]) {
    hand_columnar(c, slopes, out)
}

/// Band index (0 green .. 3 red, 4 no score) per row, branch-free, columnar.
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
fn hand_columnar(c: &v0m::Columns, slopes: &[[f64; 3]; 12], out: &mut [u8]) {
    const CH: usize = 256;
    let n = c.len();
    let mut num = [[0.0f64; CH]; 4];
    let mut cnt = [[0.0f64; CH]; 4];
    let mut card = [0usize; CH];
    let mut start = 0;
    while start < n {
        let len = CH.min(n - start);
        for r in 0..len {
            card[r] = card_of(c.cents[start + r], c.employees[start + r]);
        }
        for d in 0..4 {
            num[d][..len].fill(0.0);
            cnt[d][..len].fill(0.0);
        }
        for m in 0..12 {
            let (vals, valid) = (
                &c.values[m][start..start + len],
                &c.valid[m][start..start + len],
            );
            let (cv, sl, d) = (&CURVES[m], &slopes[m], DIM[m]);
            let (num, cnt) = (&mut num[d], &mut cnt[d]);
            for r in 0..len {
                let p = if valid[r] { 1.0 } else { 0.0 };
                num[r] += p * curve(cv, sl, vals[r]);
                cnt[r] += p;
            }
        }
        for r in 0..len {
            let w = &WEIGHTS[card[r]];
            let (mut o, mut den) = (0.0, 0.0);
            for d in 0..4 {
                let has = cnt[d][r] > 0.0;
                let mean = num[d][r] / cnt[d][r].max(1.0);
                o += if has { w[d] * mean } else { 0.0 };
                den += if has { w[d] } else { 0.0 };
            }
            let score = o / den;
            let t = &BANDS[card[r]];
            let level = u8::from(score < t[0]) + u8::from(score < t[1]) + u8::from(score < t[2]);
            out[start + r] = if den > 0.0 { level } else { 4 };
        }
        start += len;
    }
}

/// The same kernel compiled for AVX-512 (what the library's batch kernel
/// runs with on this CPU), so that the comparison is also made at equal
/// instruction sets.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx,sse4.1,sse4.2")]
fn hand_columnar_avx512(c: &v0m::Columns, slopes: &[[f64; 3]; 12], out: &mut [u8]) {
    hand_columnar(c, slopes, out)
}

/// [`hand_columnar`] compiled for AVX2 (what the batch path's AVX2 kernel
/// runs with on CPUs without AVX-512).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,sse4.1,sse4.2")]
fn hand_columnar_avx2(c: &v0m::Columns, slopes: &[[f64; 3]; 12], out: &mut [u8]) {
    hand_columnar(c, slopes, out)
}

/// The peer compiled for the widest instruction set this CPU has of
/// AVX-512 and AVX2 (the batch path's kernels), and which; `None` when it
/// has neither.
fn hand_columnar_wide(
    c: &v0m::Columns,
    slopes: &[[f64; 3]; 12],
    out: &mut [u8],
) -> Option<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512dq") && has!("avx512vl") {
            // SAFETY: the features were detected on this CPU just above.
            unsafe { hand_columnar_avx512(c, slopes, out) };
            return Some("avx512");
        }
        if has!("avx2") {
            // SAFETY: as above.
            unsafe { hand_columnar_avx2(c, slopes, out) };
            return Some("avx2");
        }
    }
    None
}

/// One account as a struct, for the one-at-a-time kernels.
#[derive(Clone, Copy)]
struct Row {
    cents: i64,
    employees: u32,
    values: [f64; 12],
    valid: [bool; 12],
}

fn rows_of(c: &v0m::Columns) -> Vec<Row> {
    (0..c.len())
        .map(|i| Row {
            cents: c.cents[i],
            employees: c.employees[i],
            values: std::array::from_fn(|m| c.values[m][i]),
            valid: std::array::from_fn(|m| c.valid[m][i]),
        })
        .collect()
}

/// The model hand-written for one account.
#[inline(never)]
fn hand_one(row: &Row, slopes: &[[f64; 3]; 12]) -> Option<Band> {
    let card = card_of(row.cents, row.employees);
    let (mut num, mut cnt) = ([0.0; 4], [0.0; 4]);
    for m in 0..12 {
        if row.valid[m] {
            num[DIM[m]] += curve(&CURVES[m], &slopes[m], row.values[m]);
            cnt[DIM[m]] += 1.0;
        }
    }
    let (mut o, mut den) = (0.0, 0.0);
    for d in 0..4 {
        if cnt[d] > 0.0 {
            o += WEIGHTS[card][d] * num[d] / cnt[d];
            den += WEIGHTS[card][d];
        }
    }
    if den == 0.0 {
        return None;
    }
    let score = o / den;
    let t = &BANDS[card];
    Some(if score >= t[0] {
        Band::Green
    } else if score >= t[1] {
        Band::Lime
    } else if score >= t[2] {
        Band::Yellow
    } else {
        Band::Red
    })
}

// ---- the row API ------------------------------------------------------

fn account_data(model: &Model, c: &v0m::Columns, i: usize) -> AccountData {
    let mut data = AccountData::new(
        c.ids[i].to_string(),
        Decimal::new(c.cents[i], 2),
        c.employees[i],
        day(),
    );
    data.observations.reserve(12);
    for (m, id) in v0m::METRICS.iter().enumerate() {
        if c.valid[m][i] {
            let handle = model.metric_handle(id).expect("a v0m metric");
            data.observations.push(Observation::by_handle(
                handle,
                Value::Number(c.values[m][i]),
                day(),
            ));
        }
    }
    data
}

fn counts(bands: impl Iterator<Item = Option<Band>>) -> [u64; 5] {
    let mut t = [0u64; 5];
    for b in bands {
        t[b.map_or(4, |b| b.index())] += 1;
    }
    t
}

fn level_counts(levels: &[u8]) -> [u64; 5] {
    let mut t = [0u64; 5];
    for l in levels {
        t[usize::from(*l).min(4)] += 1;
    }
    t
}

/// Min and median of a list of ns-per-account figures.
fn min_median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// What two cores of this machine give over one, with nothing of ours
/// in the way: `(arithmetic, reading)`, each one thread's time over two
/// threads' for the same work. Arithmetic: independent multiply-adds,
/// no memory. Reading: summing the same input columns
/// the batch path reads, split in two halves.
fn two_core_ceiling(c: &v0m::Columns) -> (f64, f64) {
    fn arithmetic(steps: u64) -> f64 {
        let mut acc = [1.0f64, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7];
        for _ in 0..steps {
            for a in &mut acc {
                *a = black_box(*a) * 0.999_999 + 1e-9;
            }
        }
        acc.iter().sum()
    }
    fn read(c: &v0m::Columns, rows: std::ops::Range<usize>) -> f64 {
        let mut sum = c.cents[rows.clone()].iter().map(|x| *x as f64).sum::<f64>();
        for column in &c.values {
            sum += column[rows.clone()].iter().sum::<f64>();
        }
        sum
    }
    fn paired<T: Send>(one: impl Fn() -> T, halves: [&(dyn Fn() -> T + Sync); 2]) -> f64 {
        let t = Instant::now();
        black_box(one());
        let single = t.elapsed().as_secs_f64();
        let t = Instant::now();
        std::thread::scope(|s| {
            let other = s.spawn(halves[1]);
            black_box(halves[0]());
            black_box(other.join().expect("a summing thread"));
        });
        single / t.elapsed().as_secs_f64()
    }
    let steps = 2_000_000;
    let half = c.len() / 2;
    let alu = paired(
        || arithmetic(steps),
        [&|| arithmetic(steps / 2), &|| arithmetic(steps / 2)],
    );
    let mem = paired(
        || read(c, 0..c.len()),
        [&|| read(c, 0..half), &|| read(c, half..c.len())],
    );
    (alu, mem)
}

fn summary(c: &v0m::Columns, model: &Model, accounts: &[Account<'_>], expected: [u64; 5]) {
    let n = c.len();
    let slopes = slopes();
    let b = batch(c);
    let one = Scorer::new(model);
    let two = Scorer::new(model).threads(2);
    let base = Scorer::new(model).baseline_isa();
    let records = rows_of(c);
    let mut levels = vec![0u8; n];
    let mut out = BatchScores::new();
    let names = [
        "hand_f64_columnar",
        "batch_1_thread",
        "batch_2_threads",
        "hand_f64_one_at_a_time",
        "account_score",
        "hand_f64_columnar_wide",
        "batch_1_thread_baseline",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let rounds: usize = std::env::var("BATCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let mut f64_counts = [0; 5];
    let mut wide = "";
    let (mut alu, mut mem) = (Vec::new(), Vec::new());
    // Untimed: the first pass allocates the output columns and faults in
    // their pages, which would count against the 1-thread run alone.
    for scorer in [&one, &two, &base] {
        scorer.score_into(&b, &mut out).expect("v0m columns fit");
    }
    hand_columnar_sse2(c, &slopes, &mut levels);
    for _ in 0..rounds {
        let t = Instant::now();
        hand_columnar_sse2(c, &slopes, &mut levels);
        times[0].push(t.elapsed().as_nanos() as f64 / n as f64);
        f64_counts = level_counts(&levels);

        for (k, scorer) in [(1, &one), (2, &two)] {
            let t = Instant::now();
            scorer.score_into(&b, &mut out).expect("v0m columns fit");
            times[k].push(t.elapsed().as_nanos() as f64 / n as f64);
            assert_eq!(
                counts(out.bands().iter().copied()),
                expected,
                "batch = row API"
            );
        }

        let t = Instant::now();
        let got = counts(
            records
                .iter()
                .map(|r| black_box(hand_one(black_box(r), &slopes))),
        );
        times[3].push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(got, f64_counts, "the two f64 kernels agree");

        let t = Instant::now();
        let got = counts(accounts.iter().map(|a| black_box(a).score().band()));
        times[4].push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(got, expected);

        let t = Instant::now();
        if let Some(isa) = hand_columnar_wide(c, &slopes, &mut levels) {
            wide = isa;
            times[5].push(t.elapsed().as_nanos() as f64 / n as f64);
            assert_eq!(level_counts(&levels), f64_counts);
        }

        let t = Instant::now();
        base.score_into(&b, &mut out).expect("v0m columns fit");
        times[6].push(t.elapsed().as_nanos() as f64 / n as f64);
        assert_eq!(counts(out.bands().iter().copied()), expected);

        let (a, m) = two_core_ceiling(c);
        alu.push(a);
        mem.push(m);
    }
    // Paired within each round (the two runs back to back), so that the
    // machine's drift between rounds cancels out.
    let mut speedup: Vec<f64> = times[1].iter().zip(&times[2]).map(|(a, b)| a / b).collect();
    let (peer, _) = min_median(&mut times[0].clone());
    let (peer_one, _) = min_median(&mut times[3].clone());
    println!("\nreference model v0m, {n} accounts, {rounds} interleaved rounds, ns per account (min / median):");
    println!("  (batch kernel: {})", one.instruction_set());
    for (k, name) in names.iter().enumerate() {
        if times[k].is_empty() {
            continue;
        }
        let (lo, med) = min_median(&mut times[k]);
        let wide_name = format!("hand_f64_columnar_{wide}");
        let name = if k == 5 { wide_name.as_str() } else { name };
        let vs = if k == 4 { peer_one } else { peer };
        let against = if k == 4 {
            "× one-at-a-time f64"
        } else {
            "× columnar f64"
        };
        println!(
            "  {name:<24} {lo:7.1} / {med:7.1}   {:.2}{against}",
            lo / vs
        );
    }
    let (lo, med) = min_median(&mut speedup);
    let hi = speedup.last().copied().unwrap_or(f64::NAN);
    println!(
        "  batch 2 threads over 1 thread, the same round: {lo:.2}× / {med:.2}× / {hi:.2}× (min / median / max)"
    );
    let ((alu_lo, alu_med), (mem_lo, mem_med)) = (min_median(&mut alu), min_median(&mut mem));
    let (alu_hi, mem_hi) = (
        alu.last().copied().unwrap_or(f64::NAN),
        mem.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "  this machine's own 2 cores over 1, the same rounds: arithmetic {alu_lo:.2}× / {alu_med:.2}× / {alu_hi:.2}×, reading the input columns {mem_lo:.2}× / {mem_med:.2}× / {mem_hi:.2}×"
    );
    println!("  bands (green, lime, yellow, red, none): exact {expected:?}, f64 {f64_counts:?}");
}

fn benches(c: &mut Criterion) {
    let n = rows();
    let model = model();
    let cols = v0m::generate(n, 20_240_601);
    let t = Instant::now();
    let accounts: Vec<Account<'_>> = (0..n)
        .map(|i| {
            model
                .bind(account_data(&model, &cols, i))
                .expect("generated accounts bind")
        })
        .collect();
    let bind_ns = t.elapsed().as_nanos() as f64 / n as f64;
    let expected = counts(accounts.iter().map(|a| a.score().band()));
    println!("row API, build AccountData + bind (once, for the figures below): {bind_ns:.0} ns per account");
    summary(&cols, &model, &accounts, expected);

    let slopes = slopes();
    let b = batch(&cols);
    let mut group = c.benchmark_group("v0m");
    group.throughput(Throughput::Elements(n as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let mut levels = vec![0u8; n];
    group.bench_function("hand_f64_columnar", |bench| {
        bench.iter(|| hand_columnar_sse2(black_box(&cols), &slopes, &mut levels))
    });
    for threads in [1, 2] {
        let scorer = Scorer::new(&model).threads(threads);
        let mut out = BatchScores::new();
        group.bench_function(format!("batch_{threads}_threads"), |bench| {
            bench.iter(|| {
                scorer.score_into(black_box(&b), &mut out).expect("fits");
                assert_eq!(counts(out.bands().iter().copied()), expected);
            })
        });
    }
    group.bench_function("row_api_bind_score", |bench| {
        bench.iter(|| {
            let got = counts((0..n).map(|i| {
                let a = model.bind(account_data(&model, &cols, i)).expect("binds");
                a.score().band()
            }));
            assert_eq!(got, expected);
        })
    });
    group.finish();

    // A service's small requests: calls of 16 rows over the first 16,384
    // accounts (in cache, as a request's are), where what a call costs
    // besides its rows shows (binding its columns to the model, sizing
    // the results). The batches are built outside the timing, as a
    // caller's own columns would be.
    let small = 16;
    let first = n.min(16_384);
    let parts: Vec<Batch<'_>> = (0..first)
        .step_by(small)
        .map(|start| cols.batch_rows(v0m::day(), start..(start + small).min(first)))
        .collect();
    let scorer = Scorer::new(&model);
    let mut out = BatchScores::new();
    let whole = {
        let mut t = [0u64; 5];
        for part in &parts {
            scorer.score_into(part, &mut out).expect("fits");
            for (t, x) in t.iter_mut().zip(counts(out.bands().iter().copied())) {
                *t += x;
            }
        }
        t
    };
    assert_eq!(
        whole,
        counts((0..first).map(|i| accounts[i].score().band())),
        "16-row calls band as the row API does"
    );
    let mut group = c.benchmark_group("v0m_small_calls");
    group.throughput(Throughput::Elements(first as u64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function(format!("batch_{small}_rows_a_call"), |bench| {
        bench.iter(|| {
            let mut green = 0u64;
            for part in &parts {
                scorer.score_into(black_box(part), &mut out).expect("fits");
                green += counts(out.bands().iter().copied())[0];
            }
            assert_eq!(green, whole[0]);
        })
    });
    group.finish();
}

criterion_group!(batch_benches, benches);
criterion_main!(batch_benches);
