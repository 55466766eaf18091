//! Scoring from Parquet on disk: reference model v0m, 1,000,000 generated
//! accounts (`BATCH_ROWS` to change) in a zstd Parquet file of
//! 65,536-row groups.
//!
//! ```text
//! cargo bench -p healthscore-datafusion
//! ```
//!
//! Variants, each reading the file from disk:
//! - `sql_portfolio/N`: SQL scores every account with `health_score` and
//!   groups by segment and band, on N partitions (1 and every core): the
//!   speed-up is what the cores bring;
//! - `sql_to_parquet`: SQL `COPY (SELECT id, scores...) TO` a Parquet file,
//!   every core: end to end, disk to disk;
//! - `score_file`: `healthscore_arrow::score_file` Parquet to Parquet (the
//!   command-line tool's path), one thread.
//!
//! First 9 interleaved rounds (every variant once per round; min / median
//! seconds and ns per account), each checking that the band counts are
//! the batch path's; then criterion's groups.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_datafusion::{register, HealthScore, Options};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: false,
        ..Default::default()
    }
}

struct Setup {
    model: Arc<Model>,
    dir: PathBuf,
    input: PathBuf,
    rows: usize,
    runtime: tokio::runtime::Runtime,
}

fn setup() -> Setup {
    let rows: usize = std::env::var("BATCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let model = Arc::new(
        Model::new(
            serde_json::from_str(include_str!("../../../examples/data/model-v0m.json"))
                .expect("the v0m model parses"),
        )
        .expect("the v0m model is valid"),
    );
    let dir = std::env::temp_dir().join(format!("healthscore-sql-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let input = dir.join("accounts.parquet");
    let batch = v0m_arrow::record_batch(&v0m::generate(rows, 20_240_601), vec![]);
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(65_536))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&input).expect("the input file"),
        batch.schema(),
        Some(props),
    )
    .expect("a Parquet writer");
    for start in (0..rows).step_by(65_536) {
        w.write(&batch.slice(start, 65_536.min(rows - start)))
            .expect("written");
    }
    w.close().expect("closed");
    Setup {
        model,
        dir,
        input,
        rows,
        runtime: tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    }
}

/// A session on `partitions` partitions with `accounts` registered and
/// the UDF.
async fn session(s: &Setup, partitions: usize) -> (SessionContext, HealthScore) {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    ctx.register_parquet(
        "accounts",
        s.input.to_str().expect("a UTF-8 path"),
        ParquetReadOptions::default(),
    )
    .await
    .expect("registered");
    let udf = register(&ctx, s.model.clone(), options());
    (ctx, udf)
}

/// Accounts per band (green, lime, yellow, red, none) from the SQL path.
async fn sql_portfolio(s: &Setup, partitions: usize) -> [u64; 5] {
    let (ctx, udf) = session(s, partitions).await;
    let sql = format!(
        "SELECT CAST(h['band'] AS VARCHAR) AS band, count(*) AS n
         FROM (SELECT {} AS h FROM accounts) GROUP BY 1",
        udf.sql_call()
    );
    let mut counts = [0; 5];
    for b in ctx
        .sql(&sql)
        .await
        .expect("planned")
        .collect()
        .await
        .expect("run")
    {
        let band = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .expect("text");
        let band = band.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            let i = if band.is_null(r) {
                4
            } else {
                ["green", "lime", "yellow", "red"]
                    .iter()
                    .position(|x| *x == band.value(r))
                    .expect("a band name")
            };
            counts[i] += n.value(r) as u64;
        }
    }
    assert_eq!(udf.rows_scored(), s.rows as u64, "each row scored once");
    counts
}

async fn sql_to_parquet(s: &Setup, partitions: usize) {
    let (ctx, udf) = session(s, partitions).await;
    let out = s.dir.join("sql-scores");
    let _ = std::fs::remove_dir_all(&out);
    let sql = format!(
        "COPY (SELECT id, h['score'] AS score, h['band'] AS band, h['segment'] AS segment, h['error'] AS error
               FROM (SELECT id, {} AS h FROM accounts))
         TO '{}' STORED AS PARQUET",
        udf.sql_call(),
        out.display()
    );
    ctx.sql(&sql)
        .await
        .expect("planned")
        .collect()
        .await
        .expect("written");
}

fn score_file(s: &Setup) -> u64 {
    let out = s.dir.join("scores.parquet");
    let stats = healthscore_arrow::score_file(&Scorer::new(&s.model), &s.input, &out, &options())
        .expect("scored");
    stats.rows
}

/// The batch path's band counts for the same accounts, the reference.
fn expected(s: &Setup) -> [u64; 5] {
    let c = v0m::generate(s.rows, 20_240_601);
    let b = c.batch(options().as_of.expect("a date"));
    let scores = Scorer::new(&s.model).score(&b).expect("scored");
    let mut counts = [0; 5];
    for band in scores.bands() {
        counts[band.map_or(4, |b| b.index())] += 1;
    }
    counts
}

fn summary(s: &Setup, cores: usize) {
    let want = expected(s);
    let rounds = 9;
    let variants = [
        "sql_portfolio/1",
        "sql_portfolio/all",
        "sql_to_parquet/all",
        "score_file/1",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (v, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            match v {
                0 => assert_eq!(s.runtime.block_on(sql_portfolio(s, 1)), want),
                1 => assert_eq!(s.runtime.block_on(sql_portfolio(s, cores)), want),
                2 => s.runtime.block_on(sql_to_parquet(s, cores)),
                _ => assert_eq!(score_file(s), s.rows as u64),
            }
            t.push(start.elapsed().as_secs_f64());
        }
    }
    println!(
        "\nv0m, {} accounts from Parquet, {cores} cores, {rounds} interleaved rounds (min / median):",
        s.rows
    );
    let unsorted = times.clone();
    let mut mins = Vec::new();
    for (name, t) in variants.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let (min, median) = (t[0], t[t.len() / 2]);
        mins.push(min);
        println!(
            "  {name:<20} {min:.3} / {median:.3} s   {:.0} / {:.0} ns per account",
            min * 1e9 / s.rows as f64,
            median * 1e9 / s.rows as f64
        );
    }
    // Paired within each round (the two runs back to back), so that the
    // machine's drift between rounds cancels out.
    let mut paired: Vec<f64> = unsorted[0]
        .iter()
        .zip(&unsorted[1])
        .map(|(one, all)| one / all)
        .collect();
    paired.sort_by(f64::total_cmp);
    println!(
        "  SQL speed-up, all cores over one partition: {:.2}x (min over min), {:.2}x / {:.2}x / {:.2}x (each round's, min / median / max)",
        mins[0] / mins[1],
        paired[0],
        paired[paired.len() / 2],
        paired[paired.len() - 1],
    );
    println!("  bands (green, lime, yellow, red, none) {want:?} in every SQL round");
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    summary(&s, cores);
    let mut g = c.benchmark_group("parquet");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(s.rows as u64));
    for partitions in [1, cores] {
        g.bench_function(format!("sql_portfolio/{partitions}"), |b| {
            b.iter(|| s.runtime.block_on(sql_portfolio(&s, partitions)))
        });
    }
    g.bench_function("sql_to_parquet", |b| {
        b.iter(|| s.runtime.block_on(sql_to_parquet(&s, cores)))
    });
    g.bench_function("score_file", |b| b.iter(|| score_file(&s)));
    g.finish();
    let _ = std::fs::remove_dir_all(&s.dir);
}

criterion_group!(sql_benches, benches);
criterion_main!(sql_benches);
