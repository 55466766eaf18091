//! The row API's results as the results table the Arrow path writes: for
//! accounts scored one at a time (JSON accounts, a service's requests)
//! whose results go to the same Parquet, CSV, JSON-lines or Arrow file.

use crate::buffers::Names;
use crate::{result_fields, Error, Options};
use arrow_array::builder::{Date32Builder, Decimal128Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use healthscore::cta::Evaluation;
use healthscore::{Band, Dimension, Model, ScoreRecord};
use std::collections::HashMap;
use std::sync::Arc;

/// One account's row of the results table, made from the row API's
/// [`ScoreRecord`] (and its CTA evaluation), or a rejected account's: its
/// id where known, and why.
///
/// The cells are those [`score_batch`](crate::score_batch) writes for the
/// same account: the score, coverage and dimension scores as millionths,
/// the band (none when data is insufficient), segment, scorecard, the
/// metric that pulls the score down most, and with rules the CTAs opened
/// (most urgent first) and their kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    id: Option<String>,
    /// The fingerprint of the model that scored it (a scored row).
    model: Option<String>,
    cells: Result<Cells, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Cells {
    score: Option<u32>,
    band: Option<Band>,
    coverage: u32,
    segment: String,
    scorecard: String,
    dims: [Option<u32>; 4],
    driver: Option<String>,
    ctas: Option<(String, String)>,
    /// Days since 1970-01-01, and the MRR as exact decimal text.
    history: (i32, String),
}

impl ResultRow {
    /// A scored account's row; `ctas` is its evaluation with the rules
    /// (none without rules: the table then has no CTA columns).
    pub fn scored(record: &ScoreRecord, ctas: Option<&Evaluation>) -> ResultRow {
        let dimension = |d: Dimension| {
            record
                .dimensions
                .iter()
                .find(|r| r.dimension == d)
                .and_then(|r| r.score)
                .map(|p| p.micros())
        };
        ResultRow {
            id: Some(record.id.clone()),
            model: Some(record.model_fingerprint.clone()),
            cells: Ok(Cells {
                score: record.score.map(|p| p.micros()),
                band: record.band,
                coverage: record.coverage.micros(),
                segment: record.segment.clone(),
                scorecard: record.scorecard.clone(),
                dims: Dimension::ALL.map(dimension),
                driver: record.pulls_down_most.as_ref().map(|s| s.metric.clone()),
                ctas: ctas.map(cta_cells),
                history: (crate::history::day(record.as_of), record.mrr.to_string()),
            }),
        }
    }

    /// A rejected account's row: its id where one could be read, and why
    /// (the `error` column); its scores are null.
    pub fn rejected(id: Option<&str>, why: &str) -> ResultRow {
        ResultRow {
            id: id.map(str::to_string),
            model: None,
            cells: Err(why.to_string()),
        }
    }
}

/// An evaluation's opened CTAs, most urgent first, as `"rule; rule"`,
/// and their kinds without repeats as `"risk; expansion"` (both empty
/// when none opened).
pub(crate) fn cta_cells(eval: &Evaluation) -> (String, String) {
    let mut rules: Vec<&str> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for cta in eval.opened() {
        rules.push(&cta.rule);
        let kind = cta.kind.to_string();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    (rules.join("; "), kinds.join("; "))
}

/// Rows of the results table, turned into record batches of the
/// table's schema: `id` as text, then [`result_fields`] for the options
/// (`pulls_down_most` with [`Options::drivers`], `ctas` and `cta_kinds`
/// with [`Options::rules`]).
///
/// Its dictionary columns index the model's names as
/// [`score_batch`](crate::score_batch)'s do, the same in every batch
/// (bands in the order green, lime, yellow, red; segments, scorecards and
/// metrics in the model's order): batches of one table go to one Arrow
/// IPC file, which allows one dictionary per column, and give the same
/// file as the same accounts scored as columns. A row scored by another
/// model is refused.
///
/// # Examples
///
/// ```
/// use healthscore::{AccountData, Model};
/// use healthscore_arrow::{Options, ResultRow, ResultTable};
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let account: AccountData = serde_json::from_str(
///     r#"{"id": "acme", "mrr": "1200.50", "employees": 80, "as_of": "2026-11-20",
///         "observations": [{"metric": "weekly_active", "value": 0.62, "observed_on": "2026-11-18"}]}"#,
/// )?;
/// let record = model.bind(account)?.score().record();
/// let mut table = ResultTable::new(&model, &Options::default());
/// table.push(ResultRow::scored(&record, None));
/// table.push(ResultRow::rejected(Some("globex"), "account globex: mrr -5 is negative"));
/// let batch = table.take_batch()?;
/// assert_eq!(batch.num_rows(), 2);
/// assert_eq!(batch.schema().field(0).name(), "id");
/// assert_eq!(table.len(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ResultTable {
    schema: SchemaRef,
    drivers: bool,
    rules: bool,
    history: bool,
    rows: Vec<ResultRow>,
    /// The model's names, the dictionaries of every batch.
    names: Names,
    /// Its fingerprint as a [`ScoreRecord`] gives it.
    model: String,
    /// Each name's key: segments, scorecards, metrics.
    keys: [HashMap<String, u32>; 3],
}

impl ResultTable {
    /// An empty table of `model`'s results, for these options.
    pub fn new(model: &Model, options: &Options) -> ResultTable {
        let mut fields = vec![Arc::new(Field::new("id", DataType::Utf8, true))];
        fields.extend(result_fields(options).iter().cloned());
        let names = Names::of(model);
        let keys = [&names.segments, &names.cards, &names.metrics].map(|values| {
            values
                .as_string::<i32>()
                .iter()
                .enumerate()
                .filter_map(|(i, name)| Some((name?.to_string(), u32::try_from(i).ok()?)))
                .collect()
        });
        ResultTable {
            schema: Arc::new(
                Schema::new(fields).with_metadata(crate::results_metadata(model, options)),
            ),
            drivers: options.drivers,
            rules: options.rules.is_some(),
            history: options.history,
            rows: Vec::new(),
            names,
            model: format!("{:016x}", model.fingerprint().hash),
            keys,
        }
    }

    /// The schema of the batches it makes.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Adds a row.
    pub fn push(&mut self, row: ResultRow) {
        self.rows.push(row);
    }

    /// Rows added since the last batch.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was added since the last batch.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every scored row was scored by the table's model, and names only
    /// its segments, scorecards and metrics.
    fn check_models(&self) -> Result<(), Error> {
        let [segments, cards, metrics] = &self.keys;
        for row in &self.rows {
            let (Some(model), Ok(c)) = (&row.model, &row.cells) else {
                continue;
            };
            let id = row.id.as_deref().unwrap_or("?");
            let unknown = |what: &str, name: &str| {
                Err(Error::column(
                    "model",
                    format!(
                        "account {id} was scored by another model than the table's ({what} {name:?} is not one of its)"
                    ),
                ))
            };
            if *model != self.model {
                return Err(Error::column(
                    "model",
                    format!(
                        "account {id} was scored by model {model}, the table is for model {}",
                        self.model
                    ),
                ));
            }
            if !segments.contains_key(&c.segment) {
                return unknown("segment", &c.segment);
            }
            if !cards.contains_key(&c.scorecard) {
                return unknown("scorecard", &c.scorecard);
            }
            if let Some(m) = c.driver.as_deref().filter(|m| !metrics.contains_key(*m)) {
                return unknown("metric", m);
            }
        }
        Ok(())
    }

    /// The rows added since the last batch, as a record batch (they are
    /// then taken out).
    ///
    /// # Errors
    ///
    /// [`Error::Column`] for a row scored by another model than the
    /// table's (its model, or a segment, scorecard or metric the model
    /// does not have); the rows are kept. [`Error::Arrow`] if Arrow
    /// refuses the columns (it does not for rows made as above).
    pub fn take_batch(&mut self) -> Result<RecordBatch, Error> {
        self.check_models()?;
        let rows = std::mem::take(&mut self.rows);
        let n = rows.len();
        let micros =
            || Decimal128Builder::with_capacity(n).with_data_type(DataType::Decimal128(9, 6));
        let keys = || Vec::<Option<u32>>::with_capacity(n);
        let (mut id, mut error) = (StringBuilder::new(), StringBuilder::new());
        let (mut score, mut coverage) = (micros(), micros());
        let mut dims = [micros(), micros(), micros(), micros()];
        let (mut band, mut segment, mut scorecard, mut driver) = (keys(), keys(), keys(), keys());
        let [segments, cards, metrics] = &self.keys;
        let key = |keys: &HashMap<String, u32>, name: &str| keys.get(name).copied();
        let (mut ctas, mut kinds) = (StringBuilder::new(), StringBuilder::new());
        let (mut as_of, mut mrr) = (Date32Builder::with_capacity(n), StringBuilder::new());
        let value = |b: &mut Decimal128Builder, m: Option<u32>| {
            b.append_option(m.map(i128::from));
        };
        for row in &rows {
            id.append_option(row.id.as_deref());
            match &row.cells {
                Ok(c) => {
                    value(&mut score, c.score);
                    band.push(
                        c.band
                            .and_then(|b| Band::ALL.iter().position(|x| *x == b))
                            .and_then(|i| u32::try_from(i).ok()),
                    );
                    value(&mut coverage, Some(c.coverage));
                    segment.push(key(segments, &c.segment));
                    scorecard.push(key(cards, &c.scorecard));
                    for (b, d) in dims.iter_mut().zip(c.dims) {
                        value(b, d);
                    }
                    driver.push(c.driver.as_deref().and_then(|m| key(metrics, m)));
                    // A row that opened no CTA has none (null), as in
                    // the Arrow path.
                    let opened = c.ctas.as_ref().filter(|(rules, _)| !rules.is_empty());
                    ctas.append_option(opened.map(|(r, _)| r.as_str()));
                    kinds.append_option(opened.map(|(_, k)| k.as_str()));
                    as_of.append_value(c.history.0);
                    mrr.append_value(&c.history.1);
                    error.append_null();
                }
                Err(why) => {
                    for b in [&mut score, &mut coverage] {
                        b.append_null();
                    }
                    for b in &mut dims {
                        b.append_null();
                    }
                    for b in [&mut band, &mut segment, &mut scorecard, &mut driver] {
                        b.push(None);
                    }
                    ctas.append_null();
                    kinds.append_null();
                    as_of.append_null();
                    mrr.append_null();
                    error.append_value(why);
                }
            }
        }
        let [deployment, engagement, adoption, roi] =
            dims.map(|mut b| Arc::new(b.finish()) as ArrayRef);
        let names = &self.names;
        let dictionary = |keys: Vec<Option<u32>>, values: &ArrayRef| -> Result<ArrayRef, Error> {
            Ok(Arc::new(DictionaryArray::<UInt32Type>::try_new(
                UInt32Array::from(keys),
                values.clone(),
            )?))
        };
        let mut columns: Vec<ArrayRef> = vec![Arc::new(id.finish())];
        if self.history {
            columns.push(Arc::new(as_of.finish()));
            columns.push(Arc::new(mrr.finish()));
        }
        columns.extend([
            Arc::new(score.finish()) as ArrayRef,
            dictionary(band, &names.bands)?,
            Arc::new(coverage.finish()),
            dictionary(segment, &names.segments)?,
            dictionary(scorecard, &names.cards)?,
            deployment,
            engagement,
            adoption,
            roi,
        ]);
        if self.drivers {
            columns.push(dictionary(driver, &names.metrics)?);
        }
        if self.rules {
            columns.push(Arc::new(ctas.finish()));
            columns.push(Arc::new(kinds.finish()));
        }
        columns.push(Arc::new(error.finish()));
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use healthscore::{AccountData, Model};

    fn record(model: &Model, json: &str) -> ScoreRecord {
        let data: AccountData = serde_json::from_str(json).expect("an account");
        model.bind(data).expect("binds").score().record()
    }

    #[test]
    fn rows_are_the_cells_score_batch_writes() {
        let model =
            Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).expect("parses"))
                .expect("valid");
        let acme = record(
            &model,
            r#"{"id": "acme", "mrr": "1200.50", "employees": 80, "as_of": "2026-11-20",
                "observations": [{"metric": "weekly_active", "value": 0.62, "observed_on": "2026-11-18"}]}"#,
        );
        let options = Options {
            drivers: false,
            ..Options::default()
        };
        let mut table = ResultTable::new(&model, &options);
        let names: Vec<String> = table
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut expected = vec!["id".to_string()];
        expected.extend(result_fields(&options).iter().map(|f| f.name().clone()));
        assert_eq!(names, expected);
        assert!(table.is_empty());
        table.push(ResultRow::scored(&acme, None));
        table.push(ResultRow::rejected(None, "line 2: not JSON"));
        let batch = table.take_batch().expect("a batch");
        assert!(table.is_empty());
        assert_eq!(batch.num_rows(), 2);
        let micros = |name: &str, row: usize| {
            let c = batch.column_by_name(name).expect("a column");
            let c = c.as_primitive::<arrow_array::types::Decimal128Type>();
            c.is_valid(row).then(|| c.value(row))
        };
        // The record's own millionths, cell for cell.
        assert_eq!(
            micros("score", 0),
            acme.score.map(|p| i128::from(p.micros()))
        );
        assert_eq!(
            micros("coverage", 0),
            Some(i128::from(acme.coverage.micros()))
        );
        // The rejected row: no id, no scores, its error.
        assert_eq!(micros("score", 1), None);
        assert_eq!(micros("coverage", 1), None);
        let id = batch.column(0).as_string::<i32>();
        assert_eq!((id.value(0), id.is_null(1)), ("acme", true));
        let error = batch
            .column_by_name("error")
            .expect("error")
            .as_string::<i32>();
        assert_eq!(
            (error.is_null(0), error.value(1)),
            (true, "line 2: not JSON")
        );
        // No rows: an empty batch of the same schema.
        let empty = table.take_batch().expect("a batch");
        assert_eq!((empty.num_rows(), empty.schema()), (0, batch.schema()));
    }

    #[test]
    fn every_batch_indexes_the_models_names_and_another_models_rows_are_refused() {
        let model =
            Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).expect("parses"))
                .expect("valid");
        let json = |id: &str, weekly: f64| {
            format!(
                r#"{{"id": "{id}", "mrr": "1200.50", "employees": 80, "as_of": "2026-11-20",
                    "observations": [{{"metric": "weekly_active", "value": {weekly}, "observed_on": "2026-11-18"}}]}}"#
            )
        };
        let mut table = ResultTable::new(
            &model,
            &Options {
                drivers: true,
                ..Options::default()
            },
        );
        // Two batches whose bands come in other orders: the same
        // dictionaries, bands in their own order.
        table.push(ResultRow::scored(&record(&model, &json("low", 0.05)), None));
        table.push(ResultRow::scored(
            &record(&model, &json("high", 0.95)),
            None,
        ));
        let first = table.take_batch().expect("a batch");
        table.push(ResultRow::scored(
            &record(&model, &json("high-2", 0.95)),
            None,
        ));
        table.push(ResultRow::scored(
            &record(&model, &json("low-2", 0.05)),
            None,
        ));
        let second = table.take_batch().expect("a batch");
        for name in ["band", "segment", "scorecard", "pulls_down_most"] {
            let values = |b: &RecordBatch| {
                b.column_by_name(name)
                    .expect("a column")
                    .as_dictionary::<UInt32Type>()
                    .values()
                    .clone()
            };
            assert!(
                values(&first).to_data() == values(&second).to_data(),
                "{name}"
            );
        }
        let bands = first
            .column_by_name("band")
            .expect("band")
            .as_dictionary::<UInt32Type>()
            .values()
            .clone();
        let bands: Vec<&str> = bands.as_string::<i32>().iter().flatten().collect();
        assert_eq!(bands, ["green", "lime", "yellow", "red"]);
        let band = |b: &RecordBatch, row: usize| {
            arrow_cast::cast(b.column_by_name("band").expect("band"), &DataType::Utf8)
                .expect("text")
                .as_string::<i32>()
                .value(row)
                .to_string()
        };
        assert_eq!(
            (band(&first, 0), band(&second, 1)),
            (band(&second, 1), band(&first, 0))
        );
        assert_ne!(band(&first, 0), band(&first, 1));
        // So both go to one Arrow IPC file (one dictionary per column).
        let dir = std::env::temp_dir().join(format!("hs-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let path = dir.join("scores.arrow");
        let mut file = crate::ResultsFile::create(&path, table.schema().clone()).expect("created");
        file.write(&first).expect("written");
        file.write(&second).expect("written");
        file.finish().expect("finished");
        let read =
            arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&path).expect("open"), None)
                .expect("an IPC file")
                .map(|b| b.expect("a batch"))
                .collect::<Vec<_>>();
        assert_eq!(read, [first.clone(), second.clone()]);
        std::fs::remove_dir_all(&dir).expect("removed");

        // A row scored by another model (same metrics, another name).
        let other = Model::new(
            serde_json::from_str(&healthscore::model::EXAMPLE_JSON.replacen(
                "\"name\": \"",
                "\"name\": \"other ",
                1,
            ))
            .expect("parses"),
        )
        .expect("valid");
        assert_ne!(other.fingerprint(), model.fingerprint());
        table.push(ResultRow::scored(
            &record(&other, &json("elsewhere", 0.5)),
            None,
        ));
        let e = table.take_batch().expect_err("refused").to_string();
        assert!(e.contains("account elsewhere was scored by model"), "{e}");
        // The rows are kept (the caller decides what to do with them).
        assert_eq!(table.len(), 1);
    }
}
