//! A plan written and read back as Ballista ships it (DataFusion's
//! protobuf codec, the UDF resolved by name in the reading process's
//! registry) scores where the same model is registered, and fails, naming
//! both models, where another one is registered under the same name.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../../arrow/tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::collect;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use datafusion_proto::bytes::{
    logical_plan_from_bytes, logical_plan_to_bytes, physical_plan_from_bytes,
    physical_plan_to_bytes,
};
use healthscore::Model;
use healthscore_datafusion::{register, HealthScore, Options};
use std::path::PathBuf;
use std::sync::Arc;

const V0M: &str = include_str!("../../../examples/data/model-v0m.json");

/// The v0m model, loaded anew (as each process of a cluster loads its own
/// copy of the model file); `edit` changes its JSON first.
fn model(edit: impl FnOnce(&mut serde_json::Value)) -> Arc<Model> {
    let mut json: serde_json::Value = serde_json::from_str(V0M).unwrap();
    edit(&mut json);
    Arc::new(Model::new(serde_json::from_value(json).unwrap()).unwrap())
}

/// The same name and version, one curve point other: what a model file
/// edited in place without a new version looks like.
fn edited(json: &mut serde_json::Value) {
    json["metrics"][0]["curve"]["points"][1][1] = serde_json::json!(90);
}

fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Default::default()
    }
}

/// 3,000 generated accounts in a Parquet file of three row groups, in a
/// directory of this test's own (removed when the guard returned with it is
/// dropped).
fn parquet(test: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("healthscore-plans-{test}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().join("accounts.parquet");
    let batch = v0m_arrow::record_batch(&v0m::generate(3_000, 41), vec![]);
    v0m_arrow::write_parquet(&path, &batch, 1_000);
    (dir, path)
}

/// A session of two partitions with `model` registered, the table
/// `accounts` read from `path`.
async fn session(model: Arc<Model>, path: &std::path::Path) -> (SessionContext, HealthScore) {
    session_with(model, path, options()).await
}

/// [`session`] with these options.
async fn session_with(
    model: Arc<Model>,
    path: &std::path::Path,
    options: Options,
) -> (SessionContext, HealthScore) {
    let config = SessionConfig::new()
        .with_target_partitions(2)
        .with_repartition_file_min_size(0);
    let ctx = SessionContext::new_with_config(config);
    let udf = register(&ctx, model, options);
    ctx.register_parquet(
        "accounts",
        path.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    (ctx, udf)
}

/// A physical plan's bytes read in `executor`'s session, as an executor
/// receives them, and run there.
async fn run(
    bytes: &[u8],
    executor: &SessionContext,
) -> datafusion::error::Result<Vec<datafusion::arrow::record_batch::RecordBatch>> {
    let read = physical_plan_from_bytes(bytes, &executor.task_ctx())?;
    collect(read, executor.task_ctx()).await
}

fn query(udf: &HealthScore) -> String {
    portfolio(&udf.sql_call())
}

/// The same call with its arguments in one struct, as a user may write it.
fn struct_query(udf: &HealthScore) -> String {
    portfolio(&format!("health_score({})", named_struct(udf)))
}

/// `named_struct('id', id, ...)` of the conventions' columns.
fn named_struct(udf: &HealthScore) -> String {
    let names: Vec<String> = udf
        .arguments()
        .iter()
        .map(|a| format!("'{a}', {a}"))
        .collect();
    format!("named_struct({})", names.join(", "))
}

fn portfolio(call: &str) -> String {
    format!(
        "SELECT h['band'] AS band, count(*) AS accounts, sum(h['score']) AS score
         FROM (SELECT {call} AS h FROM accounts) GROUP BY 1 ORDER BY 1"
    )
}

#[tokio::test]
async fn a_physical_plan_runs_where_the_same_model_is_registered() {
    let (_scratch, path) = parquet("same");
    let (client, planned_with) = session(model(|_| {}), &path).await;
    let df = client.sql(&query(&planned_with)).await.unwrap();
    let plan = df.create_physical_plan().await.unwrap();
    let here = collect(plan.clone(), client.task_ctx()).await.unwrap();
    let bytes = physical_plan_to_bytes(plan).unwrap();

    // An executor: its own session, its own copy of the same model file.
    let (executor, udf) = session(model(|_| {}), &path).await;
    let there = run(&bytes, &executor).await.unwrap();
    assert_eq!(
        pretty_format_batches(&there).unwrap().to_string(),
        pretty_format_batches(&here).unwrap().to_string()
    );
    assert_eq!(
        udf.rows_scored(),
        3_000,
        "the executor's UDF scored the rows"
    );
}

#[tokio::test]
async fn a_physical_plan_fails_where_another_model_is_registered() {
    let (_scratch, path) = parquet("other");
    for sql in [query, struct_query] {
        let (client, planned_with) = session(model(|_| {}), &path).await;
        let df = client.sql(&sql(&planned_with)).await.unwrap();
        let bytes = physical_plan_to_bytes(df.create_physical_plan().await.unwrap()).unwrap();
        fails_with_another_model(&bytes, &planned_with, &path).await;
    }
}

/// Reads and runs `bytes` in a session of an edited model: an error
/// naming both models, and no row scored.
async fn fails_with_another_model(
    bytes: &[u8],
    planned_with: &HealthScore,
    path: &std::path::Path,
) {
    let other = model(edited);
    let (executor, udf) = session(other.clone(), path).await;
    let err = run(bytes, &executor)
        .await
        .expect_err("scored with a model the plan was not made with");
    let message = err.to_string();
    for needed in [
        format!(
            "plan was made with model {}",
            planned_with.model().fingerprint()
        ),
        format!("registered model {}", other.fingerprint()),
        "register the same model file, rules file and options".to_string(),
    ] {
        assert!(message.contains(&needed), "{needed:?} not in {message}");
    }
    assert_eq!(udf.rows_scored(), 0, "no row scored with the other model");
}

#[tokio::test]
async fn an_optimized_logical_plan_checks_its_model_too() {
    let (_scratch, path) = parquet("logical");
    let (client, planned_with) = session(model(|_| {}), &path).await;
    let df = client.sql(&query(&planned_with)).await.unwrap();
    let plan = df.into_optimized_plan().unwrap();
    let bytes = logical_plan_to_bytes(&plan).unwrap();

    for (edit, fits) in [(None, true), (Some(edited as fn(&mut _)), false)] {
        let (executor, _) = session(model(|j| edit.into_iter().for_each(|e| e(j))), &path).await;
        // Reading the plan binds the call to this process's UDF, which
        // checks the fingerprint then (or, at the latest, when it runs).
        let outcome = match logical_plan_from_bytes(&bytes, &executor.task_ctx()) {
            Ok(read) => match executor.execute_logical_plan(read).await {
                Ok(df) => df
                    .collect()
                    .await
                    .map(|b| b.iter().map(|b| b.num_rows()).sum::<usize>()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match (fits, outcome) {
            (true, Ok(rows)) => assert!(rows > 0),
            (false, Err(e)) => assert!(e.to_string().contains("plan was made with model"), "{e}"),
            (fits, other) => panic!("fits {fits}: {other:?}"),
        }
    }
}

/// The planned form written by hand: a struct, then text that is not this
/// model's fingerprint, fails before a row is read; a column in its place
/// is refused.
#[tokio::test]
async fn a_planned_call_with_another_fingerprint_fails() {
    let (_scratch, path) = parquet("literal");
    let (ctx, udf) = session(model(|_| {}), &path).await;
    let call = |last: &str| {
        format!(
            "SELECT health_score({}, {last}) AS h FROM accounts",
            named_struct(&udf)
        )
    };
    let planned = ctx
        .sql(&call("'healthscore model v0m v1 (0000000000000000)'"))
        .await;
    let err = match planned {
        Ok(df) => df.collect().await.map(|_| ()).unwrap_err(),
        Err(e) => e,
    };
    assert!(
        err.to_string()
            .contains("plan was made with model v0m v1 (0000000000000000)"),
        "{err}"
    );
    let column = ctx.sql(&call("id")).await;
    let err = match column {
        Ok(df) => df.collect().await.map(|_| ()).unwrap_err(),
        Err(e) => e,
    };
    assert!(
        err.to_string()
            .contains("the argument after the struct must be the text literal"),
        "{err}"
    );
    assert!(
        matches!(err, datafusion::error::DataFusionError::Plan(_)),
        "refused at planning: {err:?}"
    );
    assert_eq!(udf.rows_scored(), 0);
}

/// The same model registered with another default as-of date (or with
/// drivers) would score the same plan differently: it fails too.
#[tokio::test]
async fn a_plan_fails_where_the_options_differ() {
    let (_scratch, path) = parquet("options");
    let (client, planned_with) = session(model(|_| {}), &path).await;
    let df = client.sql(&query(&planned_with)).await.unwrap();
    let bytes = physical_plan_to_bytes(df.create_physical_plan().await.unwrap()).unwrap();
    let later = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
        ..options()
    };
    let drivers = Options {
        drivers: true,
        ..options()
    };
    for (options, theirs) in [
        (later, "as_of 2026-12-31; no drivers"),
        (drivers, "as_of 2026-11-30; drivers"),
    ] {
        refused(
            &bytes,
            &path,
            options,
            "as_of 2026-11-30; no drivers; no rules",
            theirs,
        )
        .await;
    }
}

/// The plan `bytes` run where `health_score` was registered with the same
/// model and these options: it fails naming both sides' options (`ours`,
/// the plan's; `theirs`, this process's), and scores no row.
async fn refused(bytes: &[u8], path: &std::path::Path, options: Options, ours: &str, theirs: &str) {
    let (executor, udf) = session_with(model(|_| {}), path, options).await;
    let message = run(bytes, &executor)
        .await
        .expect_err("other options")
        .to_string();
    assert!(message.contains(&format!("; {ours}, but")), "{message}");
    assert!(message.contains(theirs), "{message}");
    assert_eq!(udf.rows_scored(), 0);
}

/// Rules compiled from a rules file, with the score below which the one
/// rule opens a risk CTA.
fn rules(below: u32) -> Option<Arc<healthscore::cta::RuleSet>> {
    let config = serde_json::from_str(&format!(
        r#"{{"rules": [{{"id": "low", "title": "Low score", "kind": "risk", "touch": "high-touch",
             "owner": "csm", "when": {{"compare": {{"left": "overall", "op": "<", "right": {below}}}}}}}]}}"#
    ))
    .unwrap();
    Some(Arc::new(
        healthscore::cta::RuleSet::new(config, &model(|_| {})).unwrap(),
    ))
}

/// A plan made with CTA rules runs where the same rules file is
/// registered (compiled again there), and fails where other rules, or
/// none, are: their CTAs would differ row by row.
#[tokio::test]
async fn a_plan_with_rules_runs_only_where_the_same_rules_are() {
    let (_scratch, path) = parquet("rules");
    let with = |below| Options {
        rules: rules(below),
        ..options()
    };
    let (client, planned_with) = session_with(model(|_| {}), &path, with(50)).await;
    let sql = format!(
        "SELECT count(*) AS n, count(h['ctas']) AS opened FROM (SELECT {} AS h FROM accounts)",
        planned_with.sql_call()
    );
    let df = client.sql(&sql).await.unwrap();
    let bytes = physical_plan_to_bytes(df.create_physical_plan().await.unwrap()).unwrap();
    let here = client.sql(&sql).await.unwrap().collect().await.unwrap();

    let (executor, udf) = session_with(model(|_| {}), &path, with(50)).await;
    let there = run(&bytes, &executor).await.unwrap();
    assert_eq!(here, there);
    assert_eq!(udf.rows_scored(), 3_000);
    let opened = there[0]
        .column(1)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    assert!(opened > 0 && opened < 3_000, "{opened} CTAs opened");

    let hash = rules(50).unwrap().content_hash();
    for (options, theirs) in [
        (
            with(51),
            format!("rules 1 ({:016x})", rules(51).unwrap().content_hash()),
        ),
        (options(), "no rules".to_string()),
    ] {
        let ours = format!("as_of 2026-11-30; no drivers; rules 1 ({hash:016x})");
        refused(&bytes, &path, options, &ours, &theirs).await;
    }
}

/// `Options::history` is not the UDF's: a query has each row's `as_of`
/// and `mrr` beside its score. The struct a call returns is the same with
/// it or without, and a plan made with it runs where the UDF was
/// registered without it.
#[tokio::test]
async fn history_is_left_to_the_query() {
    let (_scratch, path) = parquet("history");
    let with = Options {
        history: true,
        ..options()
    };
    let (client, planned_with) = session_with(model(|_| {}), &path, with).await;
    let (_, without) = session(model(|_| {}), &path).await;
    assert_eq!(planned_with.result_type(), without.result_type());
    let df = client.sql(&query(&planned_with)).await.unwrap();
    let bytes = physical_plan_to_bytes(df.create_physical_plan().await.unwrap()).unwrap();
    let (executor, udf) = session(model(|_| {}), &path).await;
    run(&bytes, &executor).await.unwrap();
    assert_eq!(udf.rows_scored(), 3_000);
}
