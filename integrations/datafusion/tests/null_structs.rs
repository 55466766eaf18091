//! `health_score` of a NULL struct is NULL, every field of it too, as a
//! SQL function of NULL is: whether the struct's fields are null as well
//! (`CASE WHEN ... THEN named_struct(...) END`) or hold values under the
//! struct's NULL (a struct column of a table), which must not be scored.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::prelude::SessionContext;
use healthscore_datafusion::{register, HealthScore, Options};
use std::sync::Arc;

fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Default::default()
    }
}

/// Per row of `sql` (ordered by `id`): `h IS NULL`, and `h`'s score,
/// band and error as text.
async fn rows(ctx: &SessionContext, sql: &str) -> Vec<(bool, String, String, String)> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            let text = |c: usize| {
                datafusion::arrow::util::display::array_value_to_string(b.column(c), r).unwrap()
            };
            let absent = b.column(0).as_boolean().value(r);
            out.push((absent, text(1), text(2), text(3)));
        }
    }
    out
}

fn select(h: &str) -> String {
    format!(
        "SELECT h IS NULL, h['score'], h['band'], h['error'] FROM (SELECT id, {h} AS h FROM accounts) ORDER BY id"
    )
}

#[tokio::test]
async fn a_null_struct_is_a_null_score() {
    let model = Arc::new(v0m::model());
    let batch = v0m_arrow::record_batch(&v0m::generate(40, 5), vec![]);
    let udf = HealthScore::new(model.clone(), options());
    let names: Vec<String> = udf
        .arguments()
        .iter()
        .map(|a| format!("'{a}', {a}"))
        .collect();
    let named = format!("named_struct({})", names.join(", "));

    // The same accounts as a struct column whose every third row is NULL,
    // its fields holding the row's own values underneath.
    let columns: Vec<(Arc<datafusion::arrow::datatypes::Field>, ArrayRef)> = udf
        .arguments()
        .iter()
        .map(|a| {
            let c = batch.column_by_name(a).unwrap().clone();
            (
                Arc::new(datafusion::arrow::datatypes::Field::new(
                    a,
                    c.data_type().clone(),
                    true,
                )),
                c,
            )
        })
        .collect();
    let (fields, arrays): (Vec<_>, Vec<_>) = columns.into_iter().unzip();
    let present = NullBuffer::from(
        (0..40)
            .map(|r: usize| !r.is_multiple_of(3))
            .collect::<Vec<_>>(),
    );
    let s = StructArray::try_new(fields.into(), arrays, Some(present)).unwrap();
    let with_struct = RecordBatch::try_from_iter(
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .zip(batch.columns().iter().cloned())
            .chain([("s".to_string(), Arc::new(s) as ArrayRef)]),
    )
    .unwrap();

    let ctx = SessionContext::new();
    ctx.register_batch("accounts", with_struct).unwrap();
    let udf = register(&ctx, model, options());
    let all = rows(&ctx, &select(&udf.sql_call())).await;
    assert!(all.iter().all(|r| !r.0), "a plain call is never NULL");
    assert!(all.iter().filter(|r| r.1.is_empty()).count() < 40);

    for (h, absent) in [
        (
            format!("health_score(CASE WHEN id % 2 = 0 THEN {named} END)"),
            // Row r has id r + 1: the odd ids are NULL.
            Box::new(|r: usize| (r + 1) % 2 == 1) as Box<dyn Fn(usize) -> bool>,
        ),
        (
            "health_score(s)".to_string(),
            Box::new(|r: usize| r.is_multiple_of(3)),
        ),
    ] {
        let got = rows(&ctx, &select(&h)).await;
        for (r, (row, plain)) in got.iter().zip(&all).enumerate() {
            if absent(r) {
                let null = (true, String::new(), String::new(), String::new());
                assert_eq!(row, &null, "{h}: row {r}");
            } else {
                assert_eq!(row, plain, "{h}: row {r}");
            }
        }
    }
}
