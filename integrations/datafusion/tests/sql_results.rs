//! What SQL does with `health_score`'s results: CTAs in SQL, aggregates
//! and arithmetic over the exact decimals, and a CSV table read as text.

#[path = "support/sql.rs"]
#[allow(dead_code)]
mod sql;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_datafusion::{register, Options};
use sql::*;
use std::collections::BTreeMap;
use std::sync::Arc;

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
