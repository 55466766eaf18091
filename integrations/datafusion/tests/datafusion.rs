//! `health_score` in SQL scores exactly as the Arrow path scores the same
//! rows, over any number of partitions; calls that do not fit the model
//! fail at planning with the column's name.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_datafusion::{register, HealthScore, Options};
use std::collections::BTreeMap;
use std::sync::Arc;

fn model() -> Arc<Model> {
    Arc::new(
        Model::new(
            serde_json::from_str(include_str!("../../../examples/data/model-v0m.json")).unwrap(),
        )
        .unwrap(),
    )
}

fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: true,
        ..Default::default()
    }
}

/// Per id: score (millionths), band, segment, driver and error, as text.
type Row = (
    Option<i128>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// What the Arrow path gives for the same record batch.
fn expected(model: &Model, batch: &RecordBatch) -> BTreeMap<i64, Row> {
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

fn rows(id: &ArrayRef, score: &ArrayRef, text: &[ArrayRef]) -> BTreeMap<i64, Row> {
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
async fn sql_rows(ctx: &SessionContext, sql: &str) -> BTreeMap<i64, Row> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut all = BTreeMap::new();
    for b in batches {
        let c = |i: usize| b.column(i).clone();
        all.extend(rows(&c(0), &c(1), &[c(2), c(3), c(4), c(5)]));
    }
    all
}

/// Column `i` of a result batch at row `r`, as text (null: `None`).
fn text_at(b: &RecordBatch, i: usize, r: usize) -> Option<String> {
    let a = datafusion::arrow::compute::cast(
        b.column(i),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )
    .unwrap();
    let a = a.as_string::<i32>();
    a.is_valid(r).then(|| a.value(r).to_string())
}

const FIELDS: &str = "id, h['score'], CAST(h['band'] AS VARCHAR), CAST(h['segment'] AS VARCHAR), \
     CAST(h['pulls_down_most'] AS VARCHAR), h['error']";

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-df-{name}-"))
        .tempdir()
        .unwrap()
}

/// v0m accounts with two bad rows (a ratio of 1.7 and a NaN).
fn accounts(n: usize, seed: u64) -> (v0m::Columns, RecordBatch) {
    let mut c = v0m::generate(n, seed);
    c.values[6][5] = 1.7;
    c.valid[6][5] = true;
    c.values[0][9] = f64::NAN;
    c.valid[0][9] = true;
    let b = v0m_arrow::record_batch(&c, vec![]);
    (c, b)
}

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

/// With rules, SQL reads each row's CTAs from the struct: the bundled
/// model and playbook, named dates, judgement authors and previous scores
/// passed as arguments.
#[tokio::test]
async fn ctas_in_sql() {
    use arrow_array::{Date32Array, Decimal128Array, UInt32Array};
    let model = Arc::new(
        Model::new(
            serde_json::from_str(include_str!("../../../examples/data/model.json")).unwrap(),
        )
        .unwrap(),
    );
    let rules = healthscore::cta::RuleSet::new(
        serde_json::from_str(include_str!("../../../examples/data/playbook.json")).unwrap(),
        &model,
    )
    .unwrap();
    // A struggling account renewing in a month, and a healthy one.
    let values: [(&str, [f64; 2]); 14] = [
        ("seats_provisioned", [0.1, 0.95]),
        ("sso_enabled", [0.0, 1.0]),
        ("integrations", [0.0, 6.0]),
        ("nps", [-60.0, 70.0]),
        ("support_csat", [1.5, 4.8]),
        ("open_escalations", [5.0, 0.0]),
        ("csm_sentiment", [1.0, 5.0]),
        ("weekly_active", [0.05, 0.9]),
        ("feature_breadth", [0.05, 0.8]),
        ("shared_logins", [0.4, 0.0]),
        ("logins_per_user", [1.0, 80.0]),
        ("value_vs_goal", [0.1, 1.2]),
        ("quota_utilisation", [0.1, 0.9]),
        ("value_realised", [100.0, 15_000.0]),
    ];
    let days = |y, m, d| {
        (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
    };
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(StringArray::from(vec!["low", "high"]))),
        (
            "mrr",
            Arc::new(
                Decimal128Array::from(vec![80_000, 900_000])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        ("employees", Arc::new(UInt32Array::from(vec![40, 900]))),
        (
            "previous_score",
            Arc::new(
                Decimal128Array::from(vec![Some(80_500_000), None])
                    .with_precision_and_scale(9, 6)
                    .unwrap(),
            ),
        ),
        (
            "renewal__date",
            Arc::new(Date32Array::from(vec![
                days(2026, 12, 30),
                days(2027, 9, 1),
            ])),
        ),
        (
            "champion_lost__event",
            Arc::new(Date32Array::from(vec![Some(days(2026, 11, 20)), None])),
        ),
        (
            "csm_sentiment__author",
            Arc::new(StringArray::from(vec!["csm-1", "csm-2"])),
        ),
    ];
    for (id, v) in values {
        columns.push((id, Arc::new(Float64Array::from(v.to_vec()))));
    }
    let ctx = SessionContext::new();
    ctx.register_batch("accounts", RecordBatch::try_from_iter(columns).unwrap())
        .unwrap();
    let with_rules = Options {
        rules: Some(Arc::new(rules)),
        ..options()
    };
    register(&ctx, model.clone(), with_rules);
    let metrics: Vec<&str> = model.metric_ids().collect();
    let sql = format!(
        "SELECT id, h['band'] AS band, h['ctas'] AS ctas, h['cta_kinds'] AS kinds FROM (
           SELECT id, health_score(id, mrr, employees, previous_score, renewal__date,
                                   champion_lost__event, csm_sentiment__author, {}) AS h
           FROM accounts)
         ORDER BY id DESC",
        metrics.join(", ")
    );
    let out = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let out = datafusion::arrow::compute::concat_batches(&out[0].schema(), &out).unwrap();
    let text = |c: usize, r: usize| text_at(&out, c, r);
    assert_eq!(text(0, 0).as_deref(), Some("low"));
    assert_eq!(text(1, 0).as_deref(), Some("red"));
    assert_eq!(
        text(2, 0).as_deref(),
        Some("champion-lost; red-band; low-adoption-near-renewal; score-fell; renewal-review; shared-logins")
    );
    assert_eq!(text(3, 0).as_deref(), Some("risk; lifecycle; expansion"));
    assert_eq!(text(2, 1).as_deref(), Some("quota-expansion"));
    // Without rules a named date is not an argument the UDF knows.
    let plain = SessionContext::new();
    plain
        .register_batch(
            "accounts",
            ctx.table("accounts")
                .await
                .unwrap()
                .collect()
                .await
                .unwrap()[0]
                .clone(),
        )
        .unwrap();
    register(&plain, model, options());
    let err = plain
        .sql("SELECT health_score(id, mrr, employees, renewal__date) FROM accounts")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`renewal__date` is not a column the model reads"),
        "{err}"
    );
}

/// What a CS lead computes over the results in SQL is exact: sums and
/// averages per segment, and arithmetic on scores across rows. This pins
/// the result decimals to `Decimal128`: DataFusion 55's narrower decimals
/// fail exactly these queries (`avg` over a `Decimal32(9, 6)` column
/// errors with an arithmetic overflow; `x * 2` over a `Decimal64(18, 6)`
/// column returns 24 for 12.345678).
#[tokio::test]
async fn aggregates_and_arithmetic_over_results_are_exact() {
    use healthscore::rust_decimal::Decimal;
    use healthscore::Dimension;
    let model = model();
    let (c, batch) = accounts(3_000, 23);
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    let half = batch.num_rows() / 2;
    let parts = vec![
        vec![batch.slice(0, half)],
        vec![batch.slice(half, batch.num_rows() - half)],
    ];
    let table = MemTable::try_new(batch.schema(), parts).unwrap();
    ctx.register_table("accounts", Arc::new(table)).unwrap();
    let udf = register(&ctx, model.clone(), options());
    let sql = format!(
        "WITH s AS (SELECT {} AS h FROM accounts)
         SELECT CAST(h['segment'] AS VARCHAR),
                CAST(sum(h['score']) AS VARCHAR), CAST(avg(h['score']) AS VARCHAR),
                CAST(sum(h['deployment']) AS VARCHAR), CAST(max(h['roi']) AS VARCHAR),
                CAST(sum(h['score'] * 2 - h['engagement']) AS VARCHAR),
                count(h['score'])
         FROM s WHERE h['error'] IS NULL GROUP BY 1",
        udf.sql_call()
    );
    let decimal = |s: Option<String>| s.map(|s| s.parse::<Decimal>().unwrap());
    let mut got = BTreeMap::new();
    for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
        for r in 0..b.num_rows() {
            let n = b
                .column(6)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(r);
            let row = [1, 2, 3, 4, 5].map(|i| decimal(text_at(&b, i, r)));
            got.insert(text_at(&b, 0, r).unwrap(), (row, n));
        }
    }

    // The same from the batch path, in exact millionths.
    let scores = Scorer::new(&model)
        .score(&c.batch(options().as_of.unwrap()))
        .unwrap();
    let micros = |v: u32| (v != healthscore::batch::NONE).then_some(i128::from(v));
    let score = scores.overall_micros();
    let deployment = scores.dimension_micros(Dimension::Deployment);
    let engagement = scores.dimension_micros(Dimension::Engagement);
    let roi = scores.dimension_micros(Dimension::Roi);
    // Per segment: Σ score, n score, Σ deployment, max roi, Σ (2·score − engagement).
    type Tally = (i128, i64, i128, Option<i128>, i128);
    let mut want: BTreeMap<String, Tally> = BTreeMap::new();
    for row in (0..c.len()).filter(|r| !scores.rejected()[*r]) {
        let segment = model
            .segment_at(scores.segments()[row] as usize)
            .unwrap()
            .to_string();
        let t = want.entry(segment).or_default();
        if let Some(s) = micros(score[row]) {
            t.0 += s;
            t.1 += 1;
        }
        t.2 += micros(deployment[row]).unwrap_or(0);
        t.3 = t.3.max(micros(roi[row]));
        if let (Some(s), Some(e)) = (micros(score[row]), micros(engagement[row])) {
            t.4 += 2 * s - e;
        }
    }
    assert!(want.len() > 4, "{want:?}");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    let exact = |m: i128| Decimal::from_i128_with_scale(m, 6);
    for (segment, (sum, n, deployment, roi, mixed)) in &want {
        let ([g_sum, g_avg, g_deployment, g_roi, g_mixed], g_n) = &got[segment];
        assert_eq!(g_n, n, "{segment}");
        assert_eq!(*g_sum, Some(exact(*sum)), "{segment}: sum");
        assert_eq!(*g_deployment, Some(exact(*deployment)), "{segment}");
        assert_eq!(*g_roi, roi.map(exact), "{segment}: max roi");
        assert_eq!(
            *g_mixed,
            Some(exact(*mixed)),
            "{segment}: sum(2·score − engagement)"
        );
        // The mean to DataFusion's ten decimals (its last digit rounded).
        let mean = exact(*sum) / Decimal::from(*n);
        let off = (g_avg.unwrap() - mean).abs();
        assert!(
            off < Decimal::new(1, 10),
            "{segment}: avg {g_avg:?}, mean {mean}"
        );
    }
}

/// A CSV export registered as a DataFusion table: with its types inferred,
/// MRR is a float and the call fails at planning, saying how to read it;
/// with every column read as text (`format.schema_infer_max_rec` 0), the
/// same rows score as the Arrow path scores the batch, and a bad cell
/// rejects its row.
#[tokio::test]
async fn a_csv_table_read_as_text_scores_exactly() {
    let model = model();
    let (_, batch) = accounts(3_000, 31);
    let scratch = dir("csv");
    let dir = scratch.path();
    let path = dir.join("accounts.csv");
    let mut w = datafusion::arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(&path).unwrap());
    w.write(&batch).unwrap();
    drop(w);
    let table = |infer: &str| {
        format!(
            "CREATE EXTERNAL TABLE accounts STORED AS CSV LOCATION '{}'
             OPTIONS ('format.has_header' 'true'{infer})",
            path.display()
        )
    };
    let ctx = SessionContext::new();
    ctx.sql(&table("")).await.unwrap();
    let udf = register(&ctx, model.clone(), options());
    let err = ctx
        .sql(&format!(
            "SELECT {FIELDS} FROM (SELECT id, {} AS h FROM accounts)",
            udf.sql_call()
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("column mrr: is Float64"), "{err}");
    assert!(err.contains("'format.schema_infer_max_rec' '0'"), "{err}");

    let ctx = SessionContext::new();
    ctx.sql(&table(", 'format.schema_infer_max_rec' '0'"))
        .await
        .unwrap();
    let udf = register(&ctx, model.clone(), options());
    let got = sql_rows(
        &ctx,
        &format!(
            "SELECT CAST(id AS BIGINT) AS id, h['score'], CAST(h['band'] AS VARCHAR), CAST(h['segment'] AS VARCHAR),
                    CAST(h['pulls_down_most'] AS VARCHAR), h['error']
             FROM (SELECT id, {} AS h FROM accounts)",
            udf.sql_call()
        ),
    )
    .await;
    let want = expected(&model, &batch);
    assert_eq!(got.len(), 3_000);
    assert!(want.values().any(|row| row.4.is_some()), "a rejected row");
    for (id, row) in &want {
        // A text cell is named as written (`"NaN"`), a float as the float.
        let mut got = got.get(id).cloned();
        if let Some(error) = got.as_mut().and_then(|g| g.4.as_mut()) {
            *error = error.replace("\"NaN\" is not a finite", "NaN is not a finite");
        }
        assert_eq!(got.as_ref(), Some(row), "id {id}");
    }
}
