//! A portfolio scored in SQL: 1,000,000 generated v0m accounts written to
//! a Parquet file, scored by `health_score` on every core, grouped by
//! segment and band in SQL; then the same query on one partition, to show
//! what the cores bring.
//!
//! `cargo run --release -p healthscore-datafusion --example sql`
//! (`ROWS=50000` for a smaller file).
//!
//! With `--accounts FILE.parquet --out FILE.parquet [--partitions N]` it
//! instead scores an existing v0m file in SQL into a Parquet file of `id`,
//! `score`, `band`, `segment` and `error` (`COPY ... TO`), as of
//! 2026-11-30: the SQL path of `benches/end_to_end.py`.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use healthscore::Model;
use healthscore_datafusion::{register, Options};
use std::sync::Arc;
use std::time::Instant;

const USAGE: &str = "usage: sql [--accounts FILE.parquet --out FILE.parquet [--partitions N]] \
                     (without arguments: ROWS=N generated accounts, 1,000,000 if unset)";

/// `--accounts IN --out OUT [--partitions N]`: SQL from Parquet to Parquet.
async fn copy(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let input = flag("--accounts").ok_or(USAGE)?;
    let out = flag("--out").ok_or(USAGE)?;
    let partitions = match flag("--partitions") {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let model = Arc::new(Model::new(serde_json::from_str(include_str!(
        "../../../examples/data/model-v0m.json"
    ))?)?);
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    ctx.register_parquet("accounts", &input, ParquetReadOptions::default())
        .await?;
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: false,
        ..Default::default()
    };
    let udf = register(&ctx, model, options);
    let sql = format!(
        "COPY (SELECT id, h['score'] AS score, CAST(h['band'] AS VARCHAR) AS band,
                      CAST(h['segment'] AS VARCHAR) AS segment, h['error'] AS error
               FROM (SELECT id, {} AS h FROM accounts))
         TO '{}' STORED AS PARQUET",
        udf.sql_call(),
        out.replace('\'', "''")
    );
    let written = ctx.sql(&sql).await?.collect().await?;
    println!("{}", pretty_format_batches(&written)?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return copy(&args).await;
    }
    let rows: usize = match std::env::var("ROWS") {
        Ok(r) => r.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
            format!("ROWS={r:?}: expected a whole number of accounts from 1; {USAGE}")
        })?,
        Err(_) => 1_000_000,
    };
    let model = Arc::new(Model::new(serde_json::from_str(include_str!(
        "../../../examples/data/model-v0m.json"
    ))?)?);

    // The accounts as a warehouse would export them: Parquet, zstd, row
    // groups of 65,536 (DataFusion splits the file across partitions by
    // row group).
    // In a directory removed when `dir` is dropped, also when a step fails.
    let dir = tempfile::Builder::new()
        .prefix("healthscore-sql-")
        .tempdir()?;
    let path = dir.path().join("accounts.parquet");
    let mut c = v0m::generate(rows, 20_240_601);
    // One account with a bad value: it is reported, not dropped.
    c.values[6][0] = 1.7;
    c.valid[6][0] = true;
    let batch = v0m_arrow::record_batch(&c, vec![]);
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(65_536))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path)?,
        batch.schema(),
        Some(props),
    )?;
    for start in (0..rows).step_by(65_536) {
        w.write(&batch.slice(start, 65_536.min(rows - start)))?;
    }
    w.close()?;
    drop(batch);
    let megabytes = std::fs::metadata(&path)?.len() as f64 / 1e6;
    println!("{rows} accounts in {} ({megabytes:.1} MB)", path.display());

    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: false,
        ..Default::default()
    };
    let query = |call: &str| {
        format!(
            "WITH scored AS (SELECT mrr, {call} AS h FROM accounts)
             SELECT h['segment'] AS segment,
                    coalesce(CAST(h['band'] AS VARCHAR), CASE WHEN h['error'] IS NULL THEN 'insufficient data' ELSE 'rejected' END) AS band,
                    count(*) AS accounts,
                    sum(mrr) AS mrr,
                    round(avg(h['score']), 2) AS mean_score
             FROM scored
             GROUP BY 1, 2
             ORDER BY 1, CASE band WHEN 'green' THEN 1 WHEN 'lime' THEN 2 WHEN 'yellow' THEN 3 WHEN 'red' THEN 4 ELSE 5 END"
        )
    };

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut sessions = Vec::new();
    for partitions in [cores, 1] {
        let config = SessionConfig::new().with_target_partitions(partitions);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_parquet(
            "accounts",
            path.to_str().ok_or("a temporary path that is not UTF-8")?,
            ParquetReadOptions::default(),
        )
        .await?;
        let udf = register(&ctx, model.clone(), options.clone());
        sessions.push((partitions, ctx, udf));
    }
    if let Some((_, ctx, udf)) = sessions.first() {
        let sql = query(&udf.sql_call());
        println!("\n{sql}\n");
        let table = ctx.sql(&sql).await?.collect().await?;
        println!("{}", pretty_format_batches(&table)?);
        let rejected = ctx
            .sql(&format!(
                "SELECT id, h['error'] AS error FROM (SELECT id, {} AS h FROM accounts) WHERE h['error'] IS NOT NULL",
                udf.sql_call()
            ))
            .await?
            .collect()
            .await?;
        println!("rejected:\n{}", pretty_format_batches(&rejected)?);
    }
    // Interleaved rounds (all cores, then one partition), best of each:
    // the machine's speed drifts between rounds, not within one.
    let rounds = 5;
    let mut best = vec![f64::INFINITY; sessions.len()];
    for _ in 0..rounds {
        for ((_, ctx, udf), best) in sessions.iter().zip(&mut best) {
            let sql = query(&udf.sql_call());
            let start = Instant::now();
            ctx.sql(&sql).await?.collect().await?;
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    for ((partitions, _, udf), best) in sessions.iter().zip(&best) {
        // The rounds, and on all cores the table and the rejected rows.
        let runs = rounds + if *partitions == cores { 2 } else { 0 };
        assert_eq!(
            udf.rows_scored(),
            runs * rows as u64,
            "each row scored once per query"
        );
        println!(
            "{partitions} partition(s): {best:.3} s, {:.0} ns per account (best of {rounds} interleaved runs)",
            best * 1e9 / rows as f64
        );
    }
    if let [all, one] = best[..] {
        println!(
            "speed-up over one partition with {cores} cores: {:.2}x",
            one / all
        );
    }
    dir.close()?;
    Ok(())
}
