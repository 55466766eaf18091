//! `health_score` in SQL scores exactly as the Arrow path scores the same
//! rows, over any number of partitions; calls that do not fit the model
//! fail at planning with the column's name.

#[path = "support/sql.rs"]
#[allow(dead_code)]
mod sql;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_datafusion::{register, HealthScore};
use sql::*;
use std::collections::BTreeMap;
use std::sync::Arc;

#[tokio::test]
async fn sql_over_partitions_scores_as_the_arrow_path() {
    let model = model();
    let (_, batch) = accounts(4_000, 21);
    let want = expected(&model, &batch);
    assert_eq!(want.values().filter(|r| r.4.is_some()).count(), 2);
    for partitions in [1, 3, 4] {
        let config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(700);
        let ctx = SessionContext::new_with_config(config);
        // The table in as many partitions, each of several record batches.
        let per = batch.num_rows().div_ceil(partitions);
        let parts: Vec<Vec<RecordBatch>> = (0..partitions)
            .map(|p| {
                let start = p * per;
                let part = batch.slice(start, per.min(batch.num_rows() - start));
                (0..part.num_rows())
                    .step_by(500)
                    .map(|s| part.slice(s, 500.min(part.num_rows() - s)))
                    .collect()
            })
            .collect();
        let table = MemTable::try_new(batch.schema(), parts).unwrap();
        ctx.register_table("accounts", Arc::new(table)).unwrap();
        let udf = register(&ctx, model.clone(), options());
        let sql = format!(
            "SELECT {FIELDS} FROM (SELECT id, {} AS h FROM accounts)",
            udf.sql_call()
        );
        let plan = ctx
            .sql(&sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        assert_eq!(
            plan.properties().output_partitioning().partition_count(),
            partitions
        );
        assert_eq!(sql_rows(&ctx, &sql).await, want, "{partitions} partitions");
    }
}

/// Decimal columns, as a warehouse's `NUMBER` reaches SQL: metrics and
/// employees cast to decimals in SQL plan and score as the Arrow path
/// scores the same cast columns.
#[tokio::test]
async fn decimal_columns_plan_and_score() {
    use datafusion::arrow::datatypes::DataType;
    let model = model();
    let c = v0m::generate(2_000, 23);
    let batch = v0m_arrow::record_batch(&c, vec![]);
    let cast_to = |name: &str| match name {
        "employees" => Some(DataType::Decimal128(38, 0)),
        "id" | "mrr" => None,
        _ => Some(DataType::Decimal128(38, 6)),
    };
    let want = expected(&model, &cast_columns(&batch, cast_to));
    let ctx = SessionContext::new();
    let table = MemTable::try_new(batch.schema(), vec![vec![batch.clone()]]).unwrap();
    ctx.register_table("accounts", Arc::new(table)).unwrap();
    let udf = register(&ctx, model.clone(), options());
    let columns: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| match cast_to(f.name()) {
            Some(t) => format!("CAST({0} AS {1}) AS {0}", f.name(), sql_type(&t)),
            None => f.name().clone(),
        })
        .collect();
    let sql = format!(
        "SELECT {FIELDS} FROM (SELECT id, {} AS h FROM (SELECT {} FROM accounts))",
        udf.sql_call(),
        columns.join(", ")
    );
    assert_eq!(sql_rows(&ctx, &sql).await, want);
    // A table whose columns are Decimal64 (pyarrow's type for small
    // precisions, which its Parquet files bring back): planned and scored
    // as the same values in Decimal128.
    let narrow = |name: &str| match name {
        "employees" | "id" => Some(DataType::Decimal64(18, 0)),
        "mrr" => Some(DataType::Decimal64(18, 2)),
        _ => Some(DataType::Decimal64(18, 6)),
    };
    let decimal64 = cast_columns(&batch, narrow);
    let ctx = SessionContext::new();
    let table = MemTable::try_new(decimal64.schema(), vec![vec![decimal64]]).unwrap();
    ctx.register_table("accounts", Arc::new(table)).unwrap();
    let udf = register(&ctx, model.clone(), options());
    let sql = format!(
        "SELECT {FIELDS} FROM (SELECT CAST(id AS BIGINT) AS id, {} AS h FROM accounts)",
        udf.sql_call()
    );
    assert_eq!(sql_rows(&ctx, &sql).await, want);
}

/// `batch` with each column cast to the type `to` gives its name (kept
/// where it gives none), by Arrow's cast.
fn cast_columns(
    batch: &RecordBatch,
    to: impl Fn(&str) -> Option<datafusion::arrow::datatypes::DataType>,
) -> RecordBatch {
    let schema = batch.schema();
    let columns = schema.fields().iter().zip(batch.columns()).map(|(f, a)| {
        let a = match to(f.name()) {
            Some(t) => datafusion::arrow::compute::cast(a, &t).unwrap(),
            None => a.clone(),
        };
        (f.name().clone(), a)
    });
    RecordBatch::try_from_iter(columns).unwrap()
}

fn sql_type(t: &datafusion::arrow::datatypes::DataType) -> String {
    match t {
        datafusion::arrow::datatypes::DataType::Decimal128(p, s) => format!("DECIMAL({p}, {s})"),
        other => other.to_string(),
    }
}

/// A Parquet file of several row groups read by two partitions, grouped
/// in SQL: the counts and MRR per band and segment are the batch path's.
#[tokio::test]
async fn group_by_band_and_segment_over_parquet() {
    let model = model();
    let (c, batch) = accounts(6_000, 22);
    let scratch = dir("parquet");
    let dir = scratch.path();
    let path = dir.join("accounts.parquet");
    v0m_arrow::write_parquet(&path, &batch, 1_000);

    let config = SessionConfig::new()
        .with_target_partitions(2)
        .with_repartition_file_min_size(0);
    let ctx = SessionContext::new_with_config(config);
    ctx.register_parquet(
        "accounts",
        path.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let udf = register(&ctx, model.clone(), options());
    let sql = format!(
        "WITH s AS (SELECT mrr, {} AS h FROM accounts)
         SELECT CAST(h['segment'] AS VARCHAR) AS segment, CAST(h['band'] AS VARCHAR) AS band,
                count(*) AS accounts, CAST(sum(mrr) AS VARCHAR) AS mrr
         FROM s WHERE h['error'] IS NULL GROUP BY 1, 2",
        udf.sql_call()
    );
    let df = ctx.sql(&sql).await.unwrap();
    let plan = df.clone().create_physical_plan().await.unwrap();
    let shown = datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string();
    assert!(shown.contains("file_groups={2 groups"), "{shown}");
    let mut got = BTreeMap::new();
    for b in df.collect().await.unwrap() {
        for r in 0..b.num_rows() {
            let s = |i: usize| text_at(&b, i, r);
            let n = b
                .column(2)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            got.insert((s(0), s(1)), (n.value(r), s(3).unwrap()));
        }
    }

    // The same tally from the batch path, MRR summed in cents.
    let scores = Scorer::new(&model)
        .score(&c.batch(options().as_of.unwrap()))
        .unwrap();
    let mut want: BTreeMap<(Option<String>, Option<String>), (i64, i64)> = BTreeMap::new();
    let rejected: Vec<usize> = scores.errors().iter().map(|e| e.row).collect();
    for row in (0..c.len()).filter(|r| !rejected.contains(r)) {
        let segment = model
            .segment_at(scores.segments()[row] as usize)
            .map(|s| s.to_string());
        let band = scores.bands()[row].map(|b| b.to_string());
        let e = want.entry((segment, band)).or_default();
        e.0 += 1;
        e.1 += c.cents[row];
    }
    let want: BTreeMap<_, _> = want
        .into_iter()
        .map(|(k, (n, cents))| (k, (n, format!("{}.{:02}", cents / 100, cents % 100))))
        .collect();
    assert_eq!(got, want);
    assert!(got.len() > 4, "{got:?}");
    // Each row scored once, though the query reads three fields and
    // filters on a fourth.
    assert_eq!(udf.rows_scored(), 6_000);
}

/// Arguments are bound by name: in any order, renamed in a subquery whose
/// expressions the optimizer inlines, or given as a struct.
#[tokio::test]
async fn arguments_bind_by_name_whatever_the_optimizer_does() {
    let model = model();
    let (c, batch) = accounts(1_500, 23);
    let want = expected(&model, &batch);
    // The same table with weekly_active_ratio as a percentage under
    // another name.
    let pct: Float64Array = c.values[6]
        .iter()
        .zip(&c.valid[6])
        .map(|(v, ok)| ok.then_some(v * 100.0))
        .collect();
    let mut columns: Vec<(String, ArrayRef)> = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| f.name() != "weekly_active_ratio")
        .map(|(f, a)| (f.name().clone(), a.clone()))
        .collect();
    columns.push(("wau_pct".to_string(), Arc::new(pct)));
    let renamed = RecordBatch::try_from_iter(columns).unwrap();
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", batch).unwrap();
    ctx.register_batch("warehouse", renamed).unwrap();
    let udf = register(&ctx, model.clone(), options());
    let mut reversed = udf.arguments();
    reversed.reverse();
    let others: Vec<String> = udf
        .arguments()
        .into_iter()
        .filter(|a| a != "weekly_active_ratio")
        .collect();
    let named: Vec<String> = udf
        .arguments()
        .iter()
        .map(|a| format!("'{a}', {a}"))
        .collect();
    for sql in [
        // Any order.
        format!(
            "SELECT {FIELDS} FROM (SELECT id, health_score({}) AS h FROM accounts)",
            reversed.join(", ")
        ),
        // Renamed by an expression in a subquery.
        format!(
            "SELECT {FIELDS} FROM (SELECT id, health_score({}, weekly_active_ratio) AS h
             FROM (SELECT {}, wau_pct / 100.0 AS weekly_active_ratio FROM warehouse))",
            others.join(", "),
            others.join(", ")
        ),
        // A struct.
        format!(
            "SELECT {FIELDS} FROM (SELECT id, health_score(named_struct({})) AS h FROM accounts)",
            named.join(", ")
        ),
    ] {
        let got = sql_rows(&ctx, &sql).await;
        // Dividing a percentage by 100 in floating point may move a value
        // by an ulp; every row is compared where the values are the same.
        let same = got
            .iter()
            .filter(|(id, row)| want.get(*id) == Some(*row))
            .count();
        assert_eq!(got.len(), want.len(), "{sql}");
        assert!(
            same >= want.len() - 5,
            "{same} of {} agree: {sql}",
            want.len()
        );
    }
}

/// Calls that do not fit the model fail at planning and name the column.
#[tokio::test]
async fn calls_that_do_not_fit_fail_at_planning() {
    let model = model();
    let (_, batch) = accounts(10, 24);
    let float_mrr: ArrayRef = Arc::new(Float64Array::from(vec![1.0; 10]));
    let text_id: ArrayRef = Arc::new(StringArray::from(vec!["x"; 10]));
    let int_metric: ArrayRef = Arc::new(Int64Array::from(vec![1; 10]));
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", batch.clone()).unwrap();
    ctx.register_batch(
        "other",
        RecordBatch::try_from_iter([("fmrr", float_mrr), ("tid", text_id), ("n", int_metric)])
            .unwrap(),
    )
    .unwrap();
    let udf = register(&ctx, model.clone(), options());
    let all = udf.arguments();
    let without = |skip: &str| {
        all.iter()
            .filter(|a| *a != skip)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cases = [
        (
            format!("SELECT health_score({}) FROM accounts", without("nps")),
            "health_score: column nps: missing",
        ),
        (
            format!(
                "SELECT health_score({}, mrr) FROM (SELECT {}, CAST(mrr AS DOUBLE) AS mrr FROM accounts)",
                without("mrr"),
                without("mrr")
            ),
            "health_score: column mrr: is Float64",
        ),
        (
            format!(
                "SELECT health_score({}, nps * 2) FROM accounts",
                without("nps")
            ),
            "argument 15 `accounts.nps * Int64(2)` is not a column the model reads",
        ),
        (
            format!("SELECT health_score({}, region) FROM (SELECT *, 'emea' AS region FROM accounts)", udf.arguments().join(", ")),
            "argument 16 `region` is not a column the model reads",
        ),
        (
            format!("SELECT health_score({}, nps) FROM accounts", udf.arguments().join(", ")),
            "`nps` is passed twice",
        ),
        (
            "SELECT health_score() FROM accounts".to_string(),
            "'health_score' does not support zero arguments",
        ),
    ];
    for (sql, message) in cases {
        let err = match ctx.sql(&sql).await {
            Err(e) => e.to_string(),
            Ok(df) => df.collect().await.unwrap_err().to_string(),
        };
        assert!(err.contains(message), "{sql}\n{err}\nexpected: {message}");
    }
}

/// Two models side by side, each under its own name; and a query the
/// planner simplifies (constant folding, predicates on the result) still
/// scores every row once.
#[tokio::test]
async fn two_models_in_one_session() {
    let v0m = model();
    let example = Arc::new(
        Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap()).unwrap(),
    );
    let (_, batch) = accounts(500, 25);
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", batch).unwrap();
    let a = register(&ctx, v0m, options());
    let b = HealthScore::new(example, options()).named("health_score_example");
    ctx.register_udf(b.clone().udf());
    assert!(b
        .sql_call()
        .starts_with("health_score_example(id, mrr, employees, "));
    // The example model reads metrics the v0m table does not have; its
    // errors carry its name.
    let err = ctx
        .sql("SELECT health_score_example(id, mrr, employees, nps) FROM accounts")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("health_score_example: column "), "{err}");
    assert!(err.contains(": missing"), "{err}");
    let sql = format!(
        "SELECT count(*) FROM (SELECT {} AS h FROM accounts) WHERE h['band'] = 'red' OR h['band'] <> 'red' OR h['band'] IS NULL",
        a.sql_call()
    );
    let out = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let n = out[0]
        .column(0)
        .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
        .value(0);
    assert_eq!(n, 500);
}

/// Text as DataFusion reads it from Parquet (`Utf8View`) or as `LargeUtf8`:
/// string ids and MRR as a decimal string score as `Utf8` would.
#[tokio::test]
async fn text_columns_of_any_string_type() {
    let model = model();
    let (c, batch) = accounts(300, 26);
    let want = expected(&model, &batch);
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", batch).unwrap();
    let udf = register(&ctx, model.clone(), options());
    let others: Vec<String> = udf
        .arguments()
        .into_iter()
        .filter(|a| a != "id" && a != "mrr")
        .collect();
    assert_eq!(c.len(), 300);
    for (id, mrr) in [("Utf8View", "Utf8View"), ("LargeUtf8", "LargeUtf8")] {
        let sql = format!(
            "SELECT CAST(id AS BIGINT) AS id, h['score'], CAST(h['band'] AS VARCHAR), CAST(h['segment'] AS VARCHAR),
                    CAST(h['pulls_down_most'] AS VARCHAR), h['error']
             FROM (SELECT id, health_score(id, mrr, {o}) AS h
                   FROM (SELECT arrow_cast(CAST(id AS VARCHAR), '{id}') AS id,
                                arrow_cast(CAST(mrr AS VARCHAR), '{mrr}') AS mrr, {o} FROM accounts))",
            o = others.join(", ")
        );
        let got = sql_rows(&ctx, &sql).await;
        assert_eq!(got, want, "{id}");
    }
}

/// A row without an id is rejected by its problem alone: DataFusion hands
/// a partition's rows over in no order of the table's, so a row number
/// (`row 1`, its place in some batch) would name another row.
#[tokio::test]
async fn a_row_without_an_id_is_not_named_by_a_number() {
    let model = model();
    let (_, batch) = accounts(900, 27);
    let ids: Int64Array = (0..900_i64).map(|i| (i % 100 != 7).then_some(i)).collect();
    let mrr = batch.column_by_name("mrr").unwrap().clone();
    let mrr = arrow_array::Decimal128Array::from(
        (0..900_usize)
            .map(|i| {
                (i != 207).then(|| {
                    mrr.as_primitive::<arrow_array::types::Decimal128Type>()
                        .value(i)
                })
            })
            .collect::<Vec<_>>(),
    )
    .with_data_type(mrr.data_type().clone());
    let schema = batch.schema();
    let mut columns = batch.columns().to_vec();
    columns[schema.index_of("id").unwrap()] = Arc::new(ids);
    columns[schema.index_of("mrr").unwrap()] = Arc::new(mrr);
    let names = schema.fields().iter().map(|f| f.name().clone());
    let batch = RecordBatch::try_from_iter(names.zip(columns)).unwrap();
    let config = SessionConfig::new()
        .with_target_partitions(3)
        .with_batch_size(100);
    let ctx = SessionContext::new_with_config(config);
    let parts: Vec<Vec<RecordBatch>> = (0..3)
        .map(|p| vec![batch.slice(p * 300, 150), batch.slice(p * 300 + 150, 150)])
        .collect();
    let table = MemTable::try_new(batch.schema(), parts).unwrap();
    ctx.register_table("accounts", Arc::new(table)).unwrap();
    let udf = register(&ctx, model, options());
    let sql = format!(
        "SELECT h['error'] AS error, count(*) AS n FROM (SELECT {} AS h FROM accounts) \
         WHERE h['error'] IS NOT NULL GROUP BY 1 ORDER BY 1",
        udf.sql_call()
    );
    let out = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let mut got = Vec::new();
    for b in &out {
        for r in 0..b.num_rows() {
            got.push((text_at(b, 0, r).unwrap(), text_at(b, 1, r).unwrap()));
        }
    }
    // Nine rows without an id, one of them without an MRR as well; the
    // table's two bad rows with an id are named by it.
    let want = |e: &str, n: &str| (e.to_string(), n.to_string());
    assert_eq!(
        got,
        [
            want(
                "account 5: weekly_active_ratio: ratio number 1.7 is outside 0..=1",
                "1"
            ),
            want(
                "account 9: seats_provisioned_ratio: NaN is not a finite number",
                "1"
            ),
            want("id: missing", "8"),
            want("id: missing; mrr: missing", "1"),
        ]
    );
}
