//! `health_score(...)`: the scalar UDF.

use datafusion::arrow::array::{make_array, Array, ArrayRef, AsArray, RecordBatch, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use datafusion::common::{
    exec_datafusion_err, exec_err, plan_datafusion_err, plan_err, Result, ScalarValue,
};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    lit, ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_arrow::{result_fields, score_batch, score_batch_into, Options, ScoreBuffers};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

// The columns a `health_score` argument may be named after, besides the
// model's metric ids, `<metric>__observed_on`, `<metric>__author` and
// (with rules) named dates `<name>__date` and events `<name>__event`.
use healthscore_arrow::CONVENTION_COLUMNS as CONVENTIONS;

/// A model as a DataFusion scalar UDF, `health_score` unless
/// [renamed](HealthScore::named): each call scores a record batch of
/// accounts with the batch path and returns a struct per account.
///
/// See the [crate documentation](crate) for how arguments are bound, what
/// the struct holds and an example.
#[derive(Clone)]
pub struct HealthScore {
    name: String,
    model: Arc<Model>,
    options: Options,
    signature: Signature,
    fields: Fields,
    scored: Arc<AtomicU64>,
    /// Working memory of the calls (one per partition scoring at once):
    /// a call takes one, and with it the result buffers of batches the
    /// plan has already consumed and dropped.
    buffers: Arc<Mutex<Vec<ScoreBuffers>>>,
}

/// Which model and options, not the model's compiled content nor the
/// pooled buffers' bytes. DataFusion prints a UDF inside every plan and
/// expression printed with `{:?}` (a log line, an error quoting an
/// expression); the derived form printed the memory of the rows scored
/// (3 MB of text after 20,000 rows) and the whole compiled model.
impl std::fmt::Debug for HealthScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = self
            .options
            .rules
            .as_ref()
            .map(|r| format!("{} rules, {:016x}", r.len(), r.content_hash()));
        // Printed as it is, not as a quoted string.
        let pool = match self.buffers.try_lock() {
            Ok(pool) => format!("{:?}", *pool),
            Err(_) => "(in use)".to_string(),
        };
        let rules = rules.as_deref().unwrap_or("none");
        f.debug_struct("HealthScore")
            .field("name", &self.name)
            .field("model", self.model.fingerprint())
            .field("as_of", &self.options.as_of)
            .field("drivers", &self.options.drivers)
            .field("rules", &format_args!("{rules}"))
            .field("rows_scored", &self.rows_scored())
            .field("buffers", &format_args!("{pool}"))
            .finish_non_exhaustive()
    }
}

impl HealthScore {
    /// The UDF `health_score` for `model`. `options.as_of` is the as-of date
    /// of rows whose call passes no `as_of` column; `options.drivers` adds
    /// `pulls_down_most` to the result. `options.first_row` is not used:
    /// DataFusion hands the function batches of a partition in no global
    /// order, so a row has no number to be named by, and a rejected row
    /// without an id says its problem alone (`id: missing`: its `error`
    /// sits beside the row's own columns; `options.unnumbered` is set).
    /// `options.history` is not used either: the query has each row's
    /// `as_of` and `mrr`.
    pub fn new(model: Arc<Model>, mut options: Options) -> Self {
        options.first_row = 0;
        options.unnumbered = true;
        // The query has each row's `as_of` and `mrr` beside its result.
        options.history = false;
        let fields = result_fields(&options);
        HealthScore {
            name: "health_score".to_string(),
            model,
            options,
            // Volatile, though a score depends only on its row: DataFusion
            // copies an immutable expression into every filter pushed past
            // it and every field read of its result, which would score a
            // row once per copy. A volatile one stays where the query put
            // it, evaluated once.
            signature: Signature::variadic_any(Volatility::Volatile),
            fields,
            scored: Arc::new(AtomicU64::new(0)),
            buffers: Arc::default(),
        }
    }

    /// How many rows this UDF (and its clones, the registered one among
    /// them) has scored, rejected rows included: a check that a query
    /// scores each row once.
    pub fn rows_scored(&self) -> u64 {
        self.scored.load(Ordering::Relaxed)
    }

    /// The same UDF under another name (two models in one session, say
    /// `health_score_v2` beside `health_score`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The UDF, to register with [`SessionContext::register_udf`](datafusion::prelude::SessionContext::register_udf)
    /// (or a Ballista session's).
    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }

    /// The model this UDF scores with.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The columns a call passes for this model when the table follows the
    /// conventions: `id`, `mrr`, `employees`, then one per metric, in the
    /// model's order.
    pub fn arguments(&self) -> Vec<String> {
        ["id", "mrr", "employees"]
            .into_iter()
            .map(str::to_string)
            .chain(self.model.metric_ids().map(str::to_string))
            .collect()
    }

    /// `health_score(id, mrr, employees, <metric>, ...)`: the call for a
    /// table that follows the conventions, to paste into SQL.
    pub fn sql_call(&self) -> String {
        format!("{}({})", self.name, self.arguments().join(", "))
    }

    /// The struct each call returns: the fields of
    /// [`healthscore_arrow::result_fields`].
    pub fn result_type(&self) -> DataType {
        DataType::Struct(self.fields.clone())
    }

    /// Checks that arguments named `names` with types `types` fit the model
    /// (by scoring an empty batch of them: the same checks, the same
    /// messages as a real batch).
    fn check(&self, names: &[String], types: &[DataType]) -> Result<()> {
        if names.is_empty() {
            return plan_err!(
                "{}: no arguments; call it as {}",
                self.name,
                self.sql_call()
            );
        }
        for (i, name) in names.iter().enumerate() {
            if !self.knows(name) {
                return plan_err!(
                    "{}: argument {} `{name}` is not a column the model reads (id, mrr, employees, as_of, stage, previous_band, previous_score, a metric id, <metric>__observed_on, <metric>__author, or with rules <name>__date or <name>__event); pass columns by their names, or name an expression in a subquery (`... AS weekly_active_ratio`)",
                    self.name,
                    i + 1
                );
            }
            if names[..i].contains(name) {
                return plan_err!("{}: `{name}` is passed twice", self.name);
            }
        }
        let schema = Schema::new(
            names
                .iter()
                .zip(types)
                .map(|(n, t)| Field::new(n, t.clone(), true))
                .collect::<Vec<_>>(),
        );
        let empty = RecordBatch::new_empty(Arc::new(schema));
        // A float MRR (refused below) mostly comes from a CSV table whose
        // types DataFusion inferred: say how to read it exactly.
        let float_mrr = empty
            .schema_ref()
            .field_with_name("mrr")
            .is_ok_and(|f| f.data_type().is_floating());
        score_batch(&Scorer::new(&self.model), &empty, &self.options).map_err(|e| {
            let about_mrr =
                matches!(&e, healthscore_arrow::Error::Column { column, .. } if column == "mrr");
            let hint = if float_mrr && about_mrr {
                "; a CSV table's inferred types make it one: create the table with every column as text (OPTIONS ('format.schema_infer_max_rec' '0')), which health_score reads exactly, or declare mrr DECIMAL(18, 2)"
            } else {
                ""
            };
            plan_datafusion_err!("{}: {e}{hint}", self.name)
        })?;
        Ok(())
    }

    fn knows(&self, name: &str) -> bool {
        let metric = |m: &str| self.model.metric_ids().any(|id| id == m);
        CONVENTIONS.contains(&name)
            || metric(name)
            || name.strip_suffix("__observed_on").is_some_and(metric)
            || name.strip_suffix("__author").is_some_and(metric)
            || (self.options.rules.is_some()
                && (name.ends_with("__date") || name.ends_with("__event")))
    }

    /// The literal a planned call carries after its struct: which model
    /// the plan was made with (its [`Fingerprint`](healthscore::model::Fingerprint), as text), and the
    /// options that change its results (the default as-of date, drivers,
    /// the CTA rules' [content hash](healthscore::cta::RuleSet::content_hash)).
    fn planned_with(&self) -> String {
        format!("{PLANNED_WITH}{}", self.scoring())
    }

    /// This UDF's model and the options that change its results:
    /// `reference model v0m v0m (d79b…); as_of 2026-11-30; drivers; no
    /// rules` (with rules: `rules 3 (5e1f…)`, their count and content
    /// hash).
    fn scoring(&self) -> String {
        let as_of = self
            .options
            .as_of
            .map_or_else(|| "each row's".to_string(), |d| d.to_string());
        let drivers = if self.options.drivers {
            "drivers"
        } else {
            "no drivers"
        };
        let rules = self.options.rules.as_ref().map_or_else(
            || "no rules".to_string(),
            |r| format!("rules {} ({:016x})", r.len(), r.content_hash()),
        );
        format!(
            "{}; as_of {as_of}; {drivers}; {rules}",
            self.model.fingerprint()
        )
    }

    /// Checks a planned call's fingerprint (`None`: a call not yet
    /// planned) against this UDF's model: a plan made where another model
    /// was registered under this name (a Ballista scheduler and an
    /// executor given different model files) fails instead of scoring with
    /// a model it was not made with.
    fn check_planned_with(&self, given: Option<&str>) -> Result<()> {
        let Some(given) = given else {
            return Ok(());
        };
        let ours = self.planned_with();
        if given == ours {
            return Ok(());
        }
        let theirs = given.strip_prefix(PLANNED_WITH).unwrap_or(given);
        plan_err!(
            "{}: the plan was made with model {theirs}, but this process registered model {} under that name; register the same model file, rules file and options wherever the plan runs (client, scheduler and every executor)",
            self.name,
            self.scoring()
        )
    }

    /// The argument names and types of a call: a struct's fields (and a
    /// planned call's fingerprint after it), or the arguments' own names.
    fn bound(args: &[FieldRef]) -> (Vec<String>, Vec<DataType>) {
        if let [one, fingerprint] = args {
            if matches!(one.data_type(), DataType::Struct(_)) && is_text(fingerprint.data_type()) {
                return Self::bound(std::slice::from_ref(one));
            }
        }
        if let [one] = args {
            if let DataType::Struct(fields) = one.data_type() {
                return (
                    fields.iter().map(|f| f.name().clone()).collect(),
                    fields.iter().map(|f| f.data_type().clone()).collect(),
                );
            }
        }
        (
            args.iter().map(|f| f.name().clone()).collect(),
            args.iter().map(|f| f.data_type().clone()).collect(),
        )
    }
}

impl PartialEq for HealthScore {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && Arc::ptr_eq(&self.model, &other.model)
            && self.options.as_of == other.options.as_of
            && self.options.drivers == other.options.drivers
    }
}

impl Eq for HealthScore {}

impl Hash for HealthScore {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        Arc::as_ptr(&self.model).hash(state);
        self.options.as_of.hash(state);
        self.options.drivers.hash(state);
    }
}

impl ScalarUDFImpl for HealthScore {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.result_type())
    }

    /// Checked at planning: every argument named after a column of the
    /// conventions, every metric of the model passed, types the batch path
    /// reads.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if let ([one, _], [_, fingerprint]) = (args.arg_fields, args.scalar_arguments) {
            if matches!(one.data_type(), DataType::Struct(_)) {
                let Some(given) = fingerprint.and_then(|v| text_of(v)) else {
                    return plan_err!(
                        "{}: the argument after the struct must be the text literal a plan carries (the model's fingerprint), not a column or expression",
                        self.name
                    );
                };
                self.check_planned_with(Some(given))?;
            }
        }
        let (names, types) = Self::bound(args.arg_fields);
        self.check(&names, &types)?;
        // A struct that may be NULL gives NULL for those rows.
        let nullable = match args.arg_fields {
            [one] | [one, _] if matches!(one.data_type(), DataType::Struct(_)) => one.is_nullable(),
            _ => false,
        };
        Ok(Arc::new(Field::new(
            &self.name,
            self.result_type(),
            nullable,
        )))
    }

    /// Binds the arguments by name while they still have their names:
    /// `health_score(id, mrr, w AS ...)` becomes
    /// `health_score(named_struct('id', id, 'mrr', mrr, ...))`, so that an
    /// optimizer that later inlines a subquery's expressions cannot lose
    /// which column is which.
    ///
    /// The planned call also carries, as a last literal argument, the
    /// fingerprint of the model it was planned with; each call checks it
    /// against its own model (see the crate documentation's "Scaling
    /// out").
    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let call = |args: Vec<Expr>| {
            Ok(ExprSimplifyResult::Simplified(Expr::ScalarFunction(
                ScalarFunction::new_udf(Arc::new(self.clone().udf()), args),
            )))
        };
        match args.as_slice() {
            // Planned already (here, or wherever the plan was made).
            [_, Expr::Literal(v, _)] if text_of(v).is_some() => {
                return Ok(ExprSimplifyResult::Original(args))
            }
            // A struct of named columns: the fingerprint added.
            [_] => {
                let mut args = args;
                args.push(lit(self.planned_with()));
                return call(args);
            }
            _ => {}
        }
        let mut pairs = Vec::with_capacity(2 * args.len());
        for (i, arg) in args.into_iter().enumerate() {
            let name = match &arg {
                Expr::Column(c) => c.name.clone(),
                Expr::Alias(a) => a.name.clone(),
                other => {
                    return plan_err!(
                        "{}: argument {} `{other}` is an expression, not a column; name it in a subquery (`... AS weekly_active_ratio`) or pass named_struct('weekly_active_ratio', ..., ...)",
                        self.name,
                        i + 1
                    )
                }
            };
            pairs.push(lit(name));
            pairs.push(arg);
        }
        let named = Expr::ScalarFunction(ScalarFunction::new_udf(
            datafusion::functions::core::named_struct(),
            pairs,
        ));
        call(vec![named, lit(self.planned_with())])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut values = args.args;
        let mut arg_fields = args.arg_fields;
        // A planned call: its struct, then the fingerprint of the model it
        // was planned with, which must be this UDF's.
        if let ([one, _], [ColumnarValue::Array(_) | ColumnarValue::Scalar(_), last]) =
            (&arg_fields[..], &values[..])
        {
            if matches!(one.data_type(), DataType::Struct(_)) {
                let given = match last {
                    ColumnarValue::Scalar(v) => text_of(v),
                    ColumnarValue::Array(_) => None,
                };
                let Some(given) = given else {
                    return exec_err!(
                        "{}: the argument after the struct must be the text literal a plan carries (the model's fingerprint), not a column",
                        self.name
                    );
                };
                self.check_planned_with(Some(given))
                    .map_err(|e| exec_datafusion_err!("{}", e.strip_backtrace()))?;
                values.truncate(1);
                arg_fields.truncate(1);
            }
        }
        let arrays: Vec<ArrayRef> = values
            .into_iter()
            .map(|a| a.into_array(rows))
            .collect::<Result<_>>()?;
        // A NULL struct (`health_score(CASE WHEN ... THEN named_struct(...)
        // END)`) is a NULL result, whatever its fields hold: Arrow does not
        // make them null too.
        let mut absent = None;
        let input = match (&arrays[..], &arg_fields[..]) {
            ([one], [_]) if matches!(one.data_type(), DataType::Struct(_)) => {
                let s = one.as_struct();
                absent = s.nulls().filter(|n| n.null_count() > 0).cloned();
                let fields: Vec<Field> = s
                    .fields()
                    .iter()
                    .map(|f| f.as_ref().clone().with_nullable(true))
                    .collect();
                RecordBatch::try_new(Arc::new(Schema::new(fields)), s.columns().to_vec())?
            }
            _ => {
                let fields: Vec<Field> = arg_fields
                    .iter()
                    .zip(&arrays)
                    .map(|(f, a)| Field::new(f.name(), a.data_type().clone(), true))
                    .collect();
                RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?
            }
        };
        // A poisoned pool (a call panicked) only costs fresh buffers.
        let take = || self.buffers.lock().ok().and_then(|mut pool| pool.pop());
        let mut buffers = take().unwrap_or_default();
        let scored = score_batch_into(
            &Scorer::new(&self.model),
            &input,
            &self.options,
            &mut buffers,
        );
        if let Ok(mut pool) = self.buffers.lock() {
            pool.push(buffers);
        }
        let scored = scored.map_err(|e| exec_datafusion_err!("{}: {e}", self.name))?;
        self.scored.fetch_add(rows as u64, Ordering::Relaxed);
        let columns: Vec<ArrayRef> =
            self.fields
                .iter()
                .map(|f| {
                    scored.column_by_name(f.name()).cloned().ok_or_else(|| {
                        exec_datafusion_err!("{}: no {} column", self.name, f.name())
                    })
                })
                .collect::<Result<_>>()?;
        // Each field NULL too where the struct is (DataFusion reads a field
        // of a NULL struct, `h['error']`, as the field's own value).
        let columns = match &absent {
            None => columns,
            Some(absent) => columns
                .into_iter()
                .map(|c| {
                    let nulls = NullBuffer::union(c.nulls(), Some(absent));
                    let data = c.to_data().into_builder().nulls(nulls).build()?;
                    Ok(make_array(data))
                })
                .collect::<Result<_>>()?,
        };
        let result = StructArray::try_new(self.fields.clone(), columns, absent)?;
        debug_assert_eq!(result.len(), rows);
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

/// What a planned call's last argument starts with, before the model's
/// fingerprint: `healthscore model v0m 1.0 (…)`.
const PLANNED_WITH: &str = "healthscore model ";

/// Whether arguments of this type are text.
fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A text literal's value.
fn text_of(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s),
        _ => None,
    }
}
