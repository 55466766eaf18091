//! A warehouse's (or Spark's) export in parts, `accounts.parquet/part-*.parquet`
//! beside a `_SUCCESS` marker, registered with SQL as one table: its rows
//! score as the same accounts in one record batch do, and as `score_file`
//! scores the directory.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use healthscore::batch::Scorer;
use healthscore_datafusion::{register, Options};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Per id: the score in millionths (None: no score).
fn scores(id: &dyn Array, score: &dyn Array) -> BTreeMap<i64, Option<i128>> {
    let (id, score) = (
        id.as_primitive::<Int64Type>(),
        score.as_primitive::<Decimal128Type>(),
    );
    (0..id.len())
        .map(|r| (id.value(r), score.is_valid(r).then(|| score.value(r))))
        .collect()
}

#[tokio::test]
async fn a_directory_of_parts_scores_as_one_table() {
    let model = Arc::new(v0m::model());
    let batch: RecordBatch = v0m_arrow::record_batch(&v0m::generate(5_000, 4), Vec::new());
    let options = Options {
        as_of: Some(v0m::day()),
        ..Options::default()
    };
    let whole = healthscore_arrow::score_batch(&Scorer::new(&model), &batch, &options).unwrap();
    let want = scores(
        whole.column_by_name("id").unwrap(),
        whole.column_by_name("score").unwrap(),
    );

    let scratch = tempfile::Builder::new()
        .prefix("healthscore-df-parts-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().join("accounts.parquet");
    std::fs::create_dir(&dir).unwrap();
    for (i, start) in [0, 1_700, 3_100].into_iter().enumerate() {
        let end = [1_700, 3_100, 5_000][i];
        let part = batch.slice(start, end - start);
        v0m_arrow::write_parquet(&dir.join(format!("part-{i:04}.parquet")), &part, 1_000);
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();

    // score_file reads the directory as one file.
    let out = scratch.path().join("scores.parquet");
    healthscore_arrow::score_file(&Scorer::new(&model), &dir, &out, &options).unwrap();
    let file = std::fs::File::open(&out).unwrap();
    let mut from_file = BTreeMap::new();
    for b in parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let b = b.unwrap();
        from_file.extend(scores(
            b.column_by_name("id").unwrap().as_ref(),
            b.column_by_name("score").unwrap().as_ref(),
        ));
    }
    assert_eq!(from_file, want);

    let ctx = SessionContext::new();
    ctx.register_parquet(
        "accounts",
        dir.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let udf = register(&ctx, model.clone(), options.clone());
    let sql = format!(
        "SELECT id, h['score'] FROM (SELECT id, {} AS h FROM accounts)",
        udf.sql_call()
    );
    let mut got = BTreeMap::new();
    for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
        got.extend(scores(b.column(0).as_ref(), b.column(1).as_ref()));
    }
    assert_eq!(got.len(), 5_000);
    assert_eq!(got, want);
    assert_eq!(udf.rows_scored(), 5_000);
}

/// A metric a table does not have, passed as SQL's `NULL` (the `Null`
/// type): planned, and scored as missing in every row, as a column of
/// typed nulls is.
#[tokio::test]
async fn a_metric_passed_as_null_is_missing_in_every_row() {
    let model = Arc::new(v0m::model());
    let batch: RecordBatch = v0m_arrow::record_batch(&v0m::generate(300, 6), Vec::new());
    let options = Options {
        as_of: Some(v0m::day()),
        ..Options::default()
    };
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", batch).unwrap();
    let udf = register(&ctx, model.clone(), options.clone());
    let call = udf.sql_call();
    let run = |nps: &'static str| {
        let sql = format!(
            "SELECT id, h['score'] FROM (SELECT id, {call} AS h FROM \
             (SELECT * EXCEPT (nps), {nps} AS nps FROM accounts))"
        );
        let ctx = ctx.clone();
        async move {
            let mut got = BTreeMap::new();
            for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
                got.extend(scores(b.column(0).as_ref(), b.column(1).as_ref()));
            }
            got
        }
    };
    let as_null = run("NULL").await;
    assert_eq!(as_null.len(), 300);
    assert_eq!(as_null, run("CAST(NULL AS DOUBLE)").await);
}
