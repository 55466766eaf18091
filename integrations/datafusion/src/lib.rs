//! Score accounts in [DataFusion](https://datafusion.apache.org) SQL: a
//! model registered as the scalar UDF `health_score`, evaluated by
//! healthscore's batch path one record batch at a time, on every
//! partition DataFusion runs (all cores by default; a Ballista cluster's
//! executors the same way).
//!
//! # Design
//!
//! - **One pass per row, exact.** Each call receives a whole record batch
//!   of accounts (8,192 rows by default) and scores it with
//!   [`healthscore_arrow::score_batch`]: validation, every dimension, band,
//!   segment and scorecard at once. The result is one struct per account
//!   whose scores are `Decimal128(9, 6)`, exact millionths, so `SUM`,
//!   `AVG` and comparisons in SQL stay exact too.
//! - **Arguments are bound by name, not position.** Pass the columns the
//!   model reads, in any order, named as the [`healthscore_arrow`]
//!   conventions name them: `id`, `mrr`, `employees`, one column per metric
//!   id, and optionally `as_of`, `stage`, `previous_band` and
//!   `<metric>__observed_on`. A table whose columns are named otherwise
//!   renames them in a subquery (`SELECT wau / 100.0 AS weekly_active_ratio
//!   ...`). The binding is fixed at planning (the call is rewritten to
//!   `health_score(named_struct('id', id, ...), '<model fingerprint>')`),
//!   so an optimizer that
//!   inlines the subquery cannot mix columns up.
//! - **Checked at planning.** A metric of the model not passed, a column of
//!   the wrong type, an argument that is not a known column, or one passed
//!   twice fails the query before it reads a row, with the column's name.
//! - **Bad rows are results, not failures.** A row the row API would reject
//!   (NaN, ratio 1.7, negative MRR...) gets null scores and the row API's
//!   message in `error`; every other row is scored.
//!
//! The struct's fields ([`healthscore_arrow::result_fields`]):
//!
//! | field | type |
//! |---|---|
//! | `score`, `coverage`, `deployment`, `engagement`, `adoption`, `roi` | `Decimal128(9, 6)` |
//! | `band`, `segment`, `scorecard`, `pulls_down_most` (with [`Options::drivers`](healthscore_arrow::Options::drivers)) | `Dictionary(UInt32, Utf8)` |
//! | `error` | `Utf8` |
//!
//! Read them with `h['band']` (or `get_field(h, 'band')`). Score once in a
//! subquery or CTE and read the fields outside it.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use datafusion::arrow::array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
//! use datafusion::prelude::SessionContext;
//! use healthscore::Model;
//! use healthscore_datafusion::{HealthScore, Options};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = Arc::new(Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?);
//! let mut columns: Vec<(&str, ArrayRef)> = vec![
//!     ("id", Arc::new(Int64Array::from(vec![1, 2]))),
//!     ("mrr", Arc::new(Decimal128Array::from(vec![120_000, 4_500]).with_precision_and_scale(12, 2)?)),
//!     ("employees", Arc::new(UInt32Array::from(vec![80, 12]))),
//! ];
//! for id in model.metric_ids() {
//!     let v = match id {
//!         "weekly_active" => vec![Some(0.5), Some(1.7)], // 1.7: not a ratio
//!         "nps" => vec![Some(20.0), None],
//!         _ => vec![None, None],
//!     };
//!     columns.push((id, Arc::new(Float64Array::from(v))));
//! }
//! let ctx = SessionContext::new();
//! ctx.register_batch("accounts", RecordBatch::try_from_iter(columns)?)?;
//!
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
//! let udf = HealthScore::new(model, Options { as_of, ..Options::default() });
//! let call = udf.sql_call(); // health_score(id, mrr, employees, weekly_active, ...)
//! ctx.register_udf(udf.udf());
//!
//! let sql = format!(
//!     "SELECT id, h['band'] AS band, h['score'] AS score, h['error'] AS error
//!      FROM (SELECT id, {call} AS h FROM accounts) ORDER BY id"
//! );
//! let batches = ctx.sql(&sql).await?.collect().await?;
//! let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
//! assert!(table.contains("| 1  | lime | 61.250000 |"), "{table}");
//! assert!(table.contains("| 2  |      |           | account 2: weekly_active: ratio number 1.7 is outside 0..=1 |"), "{table}");
//! # Ok(())
//! # }
//! ```
//!
//! # Scaling out: Ballista
//!
//! The UDF is an ordinary [`ScalarUDF`](datafusion::logical_expr::ScalarUDF),
//! so it runs wherever DataFusion plans run. On a Ballista cluster the
//! scheduler plans the query and the executors evaluate it: both need the
//! UDF registered in their session, built from the same model file. The
//! README's "SQL with DataFusion" section has the sketch.
//!
//! A plan names the UDF, not the model, so each planned call also carries
//! the fingerprint of the model it was planned with (name, version and a
//! hash of the compiled content) and the options that change its results,
//! as a last text argument: `health_score(named_struct(...), 'healthscore
//! model v0m 2026.11 (…); as_of 2026-11-30; no drivers; no rules')`, with
//! rules their count and [content hash](healthscore::cta::RuleSet::content_hash).
//! A process whose `health_score` scores with another model (an executor
//! given an older model file, or one edited in place without a new
//! version), other rules or other options fails the query naming both,
//! instead of scoring with a model the plan was not made with. The tests
//! write plans with
//! DataFusion's protobuf codec, as Ballista ships them, and read them back
//! in a session of the same model and of an edited one.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod udf;

pub use healthscore_arrow::Options;
pub use udf::HealthScore;

use datafusion::prelude::SessionContext;
use healthscore::Model;
use std::sync::Arc;

/// Registers `model` as `health_score` with `ctx` and gives back the UDF
/// (for its [`sql_call`](HealthScore::sql_call)).
///
/// It also turns off the session's leaf-expression pushdown
/// (`datafusion.optimizer.enable_leaf_expression_pushdown`): in DataFusion
/// 55 that rule copies a struct-returning function into every field read
/// of its result (`h['band']`, `h['score']`, a filter on `h['error']`), so
/// each row would be scored once per field
/// ([apache/datafusion#25329](https://github.com/apache/datafusion/issues/25329),
/// [#25447](https://github.com/apache/datafusion/issues/25447)). Without it
/// a query scores each row once; what the session gives up is pushing
/// field reads of struct *columns* towards a Parquet scan. Registering with
/// [`SessionContext::register_udf`] keeps the session's setting (set it
/// yourself, or with `SET datafusion.optimizer.enable_leaf_expression_pushdown = false`).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use healthscore::Model;
/// let model = Arc::new(Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?);
/// use datafusion::execution::FunctionRegistry;
/// let ctx = datafusion::prelude::SessionContext::new();
/// let udf = healthscore_datafusion::register(&ctx, model, healthscore_datafusion::Options::default());
/// assert!(udf.sql_call().starts_with("health_score(id, mrr, employees, "));
/// assert!(ctx.udf("health_score").is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register(ctx: &SessionContext, model: Arc<Model>, options: Options) -> HealthScore {
    let udf = HealthScore::new(model, options);
    ctx.register_udf(udf.clone().udf());
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .optimizer
        .enable_leaf_expression_pushdown = false;
    udf
}
