//! What the SQL tests share: the v0m model and options, the Arrow path's
//! results to compare with, SQL results read back per id, and generated
//! accounts.

use crate::{v0m, v0m_arrow};
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::prelude::SessionContext;
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_datafusion::Options;
use std::collections::BTreeMap;
use std::sync::Arc;

pub fn model() -> Arc<Model> {
    Arc::new(
        Model::new(
            serde_json::from_str(include_str!("../../../../examples/data/model-v0m.json")).unwrap(),
        )
        .unwrap(),
    )
}

pub fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: true,
        ..Default::default()
    }
}

/// Per id: score (millionths), band, segment, driver and error, as text.
pub type Row = (
    Option<i128>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// What the Arrow path gives for the same record batch.
pub fn expected(model: &Model, batch: &RecordBatch) -> BTreeMap<i64, Row> {
    let out = healthscore_arrow::score_batch(&Scorer::new(model), batch, &options()).unwrap();
    let cast = |name: &str| {
        datafusion::arrow::compute::cast(
            out.column_by_name(name).unwrap(),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap()
    };
    rows(
        out.column_by_name("id").unwrap(),
        out.column_by_name("score").unwrap(),
        &[
            cast("band"),
            cast("segment"),
            cast("pulls_down_most"),
            cast("error"),
        ],
    )
}

pub fn rows(id: &ArrayRef, score: &ArrayRef, text: &[ArrayRef]) -> BTreeMap<i64, Row> {
    let id = id.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let score = score.as_primitive::<Decimal128Type>();
    // SQL's VARCHAR is Utf8View: compare as Utf8.
    let text: Vec<ArrayRef> = text
        .iter()
        .map(|a| {
            datafusion::arrow::compute::cast(a, &datafusion::arrow::datatypes::DataType::Utf8)
                .unwrap()
        })
        .collect();
    let text: Vec<&StringArray> = text.iter().map(|a| a.as_string::<i32>()).collect();
    let s = |i: usize, row: usize| {
        text[i]
            .is_valid(row)
            .then(|| text[i].value(row).to_string())
    };
    (0..id.len())
        .map(|r| {
            (
                id.value(r),
                (
                    score.is_valid(r).then(|| score.value(r)),
                    s(0, r),
                    s(1, r),
                    s(2, r),
                    s(3, r),
                ),
            )
        })
        .collect()
}

/// The same fields from SQL.
pub async fn sql_rows(ctx: &SessionContext, sql: &str) -> BTreeMap<i64, Row> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut all = BTreeMap::new();
    for b in batches {
        let c = |i: usize| b.column(i).clone();
        all.extend(rows(&c(0), &c(1), &[c(2), c(3), c(4), c(5)]));
    }
    all
}

/// Column `i` of a result batch at row `r`, as text (null: `None`).
pub fn text_at(b: &RecordBatch, i: usize, r: usize) -> Option<String> {
    let a = datafusion::arrow::compute::cast(
        b.column(i),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )
    .unwrap();
    let a = a.as_string::<i32>();
    a.is_valid(r).then(|| a.value(r).to_string())
}

pub const FIELDS: &str =
    "id, h['score'], CAST(h['band'] AS VARCHAR), CAST(h['segment'] AS VARCHAR), \
     CAST(h['pulls_down_most'] AS VARCHAR), h['error']";

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
pub fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-df-{name}-"))
        .tempdir()
        .unwrap()
}

/// v0m accounts with two bad rows (a ratio of 1.7 and a NaN).
pub fn accounts(n: usize, seed: u64) -> (v0m::Columns, RecordBatch) {
    let mut c = v0m::generate(n, seed);
    c.values[6][5] = 1.7;
    c.valid[6][5] = true;
    c.values[0][9] = f64::NAN;
    c.valid[0][9] = true;
    let b = v0m_arrow::record_batch(&c, vec![]);
    (c, b)
}
