//! Printing the UDF, or a plan that calls it, with `{:?}` (a log line, a
//! debugger, an error message quoting an expression) stays short after
//! queries have scored: it never prints the scored rows' memory.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use datafusion::datasource::MemTable;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;
use healthscore_datafusion::{register, Options};
use std::sync::Arc;

#[tokio::test]
async fn the_udf_and_its_plans_print_short_after_scoring() {
    let ctx = SessionContext::new();
    let model = Arc::new(v0m::model());
    let options = Options {
        as_of: Some(v0m::day()),
        ..Default::default()
    };
    let udf = register(&ctx, model, options);
    let batch = v0m_arrow::record_batch(&v0m::generate(20_000, 3), vec![]);
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
    ctx.register_table("accounts", Arc::new(table)).unwrap();
    let sql = format!("SELECT id, {}['band'] FROM accounts", udf.sql_call());
    let frame = ctx.sql(&sql).await.unwrap();
    let plan = frame.logical_plan().clone();
    let rows: usize = frame
        .collect()
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 20_000);
    // Which model and how much was scored, in a line.
    let printed = format!("{udf:?}");
    assert!(
        printed.len() < 1_000,
        "{} bytes: {printed:.2000}",
        printed.len()
    );
    for part in [
        "name: \"health_score\"",
        "version: \"v0m\"",
        "rows_scored: 20000",
        "rules: none",
        "buffers: [ScoreBuffers { held_bytes: ",
    ] {
        assert!(printed.contains(part), "{part} in {printed}");
    }
    let registered = format!("{:?}", ctx.udf("health_score").unwrap());
    assert!(
        registered.len() < 2_000,
        "{} bytes: {registered:.2000}",
        registered.len()
    );
    assert!(registered.contains("rows_scored: 20000"), "{registered}");
    // The plan calls it with a column per metric.
    let plan = format!("{plan:?}");
    assert!(plan.len() < 20_000, "{} bytes: {plan:.2000}", plan.len());
}
