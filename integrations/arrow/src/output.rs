//! Scores as a record batch.

use crate::buffers::ScoreBuffers;
use crate::filling::Filling;
use crate::input::Options;
use crate::layout::{Convention, Layout};
use crate::widen::Widen;
use crate::Error;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields};
use healthscore::batch::Scorer;
use std::sync::Arc;

/// The result columns after `id`, the same for every batch: `as_of` and
/// `mrr` when [`Options::history`] is set, `score`, `band`, `coverage`,
/// `segment`, `scorecard`, the four dimension scores, `pulls_down_most`
/// when [`Options::drivers`] is set, `ctas` and `cta_kinds` with
/// [`Options::rules`], and `error`. Every one is nullable (a rejected row
/// has only an `error`; an account short of coverage has no band). The
/// `mrr` given here is text, as accounts scored one at a time write it
/// ([`ResultTable`](crate::ResultTable)); a record batch whose MRR is a
/// decimal or an integer gets a decimal `mrr` (see [`Options::history`]).
///
/// # Examples
///
/// ```
/// use healthscore_arrow::{result_fields, Options};
/// let names: Vec<String> = result_fields(&Options::default()).iter().map(|f| f.name().clone()).collect();
/// assert_eq!(names, ["score", "band", "coverage", "segment", "scorecard",
///     "deployment", "engagement", "adoption", "roi", "error"]);
/// ```
pub fn result_fields(options: &Options) -> Fields {
    let micros = DataType::Decimal128(9, 6);
    let names = DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8));
    let mut fields = vec![
        Field::new("score", micros.clone(), true),
        Field::new("band", names.clone(), true),
        Field::new("coverage", micros.clone(), true),
        Field::new("segment", names.clone(), true),
        Field::new("scorecard", names.clone(), true),
    ];
    if options.history {
        fields.splice(0..0, crate::history::fields(DataType::Utf8));
    }
    for d in ["deployment", "engagement", "adoption", "roi"] {
        fields.push(Field::new(d, micros.clone(), true));
    }
    if options.drivers {
        fields.push(Field::new("pulls_down_most", names, true));
    }
    if options.rules.is_some() {
        fields.push(Field::new("ctas", DataType::Utf8, true));
        fields.push(Field::new("cta_kinds", DataType::Utf8, true));
    }
    fields.push(Field::new("error", DataType::Utf8, true));
    Fields::from(fields)
}

/// What a results file says of itself, in its schema's metadata (a
/// Parquet file's key-value metadata, an Arrow IPC file's schema): the
/// model that scored it, and the CTA rules with [`Options::rules`], so
/// that a file found in a warehouse names what produced it, as each
/// `ScoreRecord` does.
///
/// | key | value |
/// |---|---|
/// | `healthscore.model` | the model's name |
/// | `healthscore.model_version` | its version |
/// | `healthscore.model_fingerprint` | its fingerprint, 16 hex digits (a `ScoreRecord`'s `model_fingerprint`) |
/// | `healthscore.rules` | with rules: their count and [content hash](healthscore::cta::RuleSet::content_hash), `10 rules, 3f2a…` |
///
/// [`score_file`](crate::score_file) and [`ResultTable`](crate::ResultTable)
/// write it; CSV and JSON lines have nowhere to keep it.
///
/// # Examples
///
/// ```
/// use healthscore::Model;
/// use healthscore_arrow::{results_metadata, Options};
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let meta = results_metadata(&model, &Options::default());
/// assert_eq!(meta["healthscore.model"], model.fingerprint().name);
/// assert_eq!(meta["healthscore.model_fingerprint"].len(), 16);
/// assert!(!meta.contains_key("healthscore.rules"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn results_metadata(
    model: &healthscore::Model,
    options: &Options,
) -> std::collections::HashMap<String, String> {
    let print = model.fingerprint();
    let mut meta = std::collections::HashMap::from([
        ("healthscore.model".to_string(), print.name.clone()),
        (
            "healthscore.model_version".to_string(),
            print.version.clone(),
        ),
        (
            "healthscore.model_fingerprint".to_string(),
            format!("{:016x}", print.hash),
        ),
    ]);
    if let Some(rules) = &options.rules {
        meta.insert(
            "healthscore.rules".to_string(),
            format!(
                "{} rule{}, {:016x}",
                rules.len(),
                if rules.len() == 1 { "" } else { "s" },
                rules.content_hash()
            ),
        );
    }
    meta
}

/// Scores a record batch (see the [crate documentation](crate) for the
/// columns read and written).
///
/// # Errors
///
/// [`Error`] when a column is missing or of the wrong type, or the
/// columns do not fit the model. A row with bad data is not an error: its
/// `error` column says why and its scores are null.
pub fn score_batch(
    scorer: &Scorer<'_>,
    input: &RecordBatch,
    options: &Options,
) -> Result<RecordBatch, Error> {
    score_batch_into(scorer, input, options, &mut ScoreBuffers::new())
}

/// [`score_batch`], reusing `buffers` from call to call (see
/// [`ScoreBuffers`]): how to score a stream of record batches.
///
/// # Errors
///
/// As [`score_batch`].
pub fn score_batch_into(
    scorer: &Scorer<'_>,
    input: &RecordBatch,
    options: &Options,
    buffers: &mut ScoreBuffers,
) -> Result<RecordBatch, Error> {
    score_rejecting(scorer, input, options, buffers, Vec::new())
}

/// [`score_batch_into`], also rejecting the rows of `rejected` (rows of
/// the batch, with why: a repeated id that [`score_file`](crate::score_file)
/// found) as it rejects a row whose columns cannot be read.
pub(crate) fn score_rejecting(
    scorer: &Scorer<'_>,
    input: &RecordBatch,
    options: &Options,
    buffers: &mut ScoreBuffers,
    rejected: Vec<(usize, String)>,
) -> Result<RecordBatch, Error> {
    // Where the columns are (found once per schema), and columns named
    // almost as the model's metrics.
    let layout = buffers.layout(scorer.model(), input.schema_ref());
    crate::input::near_misses(&layout, scorer.model(), input, options)?;
    // The results have no coverage per dimension: the kernel need not
    // write it (16 bytes a row).
    let scorer = scorer
        .clone()
        .with_drivers(options.drivers)
        .with_dimension_coverage(false);
    let rows = input.num_rows();
    buffers.fit(rows);
    let mut results = Results::start(buffers, rows, options);
    let mut scores = std::mem::take(&mut buffers.scores);
    // The columns are read once for the whole record batch (borrowed
    // where the types allow, converted where not), then scored block by
    // block, each thread its own run of rows, and each block's results
    // turned into Arrow columns by the thread that scored it while they
    // are still in its cache.
    // The rows rejected as a whole (a repeated id, a CSV line that is not
    // UTF-8 or of another field count) name that first, then whatever
    // their columns made of it.
    results.problems = rejected;
    let scored =
        crate::blocks::score_blocks(&scorer, &layout, input, options, &mut results, &mut scores)
            .map(|problems| results.problems.extend(problems));
    // The working columns are kept whatever happened.
    buffers.scores = scores;
    scored?;
    results.finish(scorer.model(), &layout, input, options, buffers)
}

/// The result columns, filled block by block.
pub(crate) struct Results {
    pub(crate) score: Filling<i128>,
    pub(crate) band: Filling<u32>,
    pub(crate) coverage: Filling<i128>,
    pub(crate) segment: Filling<u32>,
    pub(crate) scorecard: Filling<u32>,
    pub(crate) dims: [Filling<i128>; 4],
    pub(crate) driver: Option<Filling<u32>>,
    /// How the millionths are written (for this many rows).
    pub(crate) widen: Widen,
    /// Rejected rows (in the whole batch) and why.
    pub(crate) errors: Vec<(usize, String)>,
    /// With rules: the rows that opened CTAs, their rule ids and kinds.
    pub(crate) ctas: Option<Vec<(usize, String, String)>>,
    /// Rows (in the whole batch) whose columns could not be read, and why:
    /// rejected when the results are finished.
    pub(crate) problems: Vec<(usize, String)>,
    /// With [`Options::history`]: each row's as-of date and MRR.
    pub(crate) history: Option<crate::history::History>,
}

impl Results {
    fn start(buffers: &mut ScoreBuffers, rows: usize, options: &Options) -> Results {
        Results {
            score: buffers.start(0, rows),
            band: buffers.start(1, rows),
            coverage: buffers.start(2, rows),
            segment: buffers.start(3, rows),
            scorecard: buffers.start(4, rows),
            dims: [5, 6, 7, 8].map(|slot| buffers.start(slot, rows)),
            driver: options.drivers.then(|| buffers.start(9, rows)),
            widen: Widen::detect(rows),
            errors: Vec::new(),
            ctas: options.rules.as_ref().map(|_| Vec::new()),
            problems: Vec::new(),
            history: None,
        }
    }

    /// Rejects the rows whose columns could not be read: their results
    /// become null, their `error` says which column and why (in the row
    /// API's form, `account 7: mrr: missing`), whatever the batch path
    /// made of the placeholder values read in their place.
    fn reject_problem_rows(&mut self, layout: &Layout, input: &RecordBatch, options: &Options) {
        if self.problems.is_empty() {
            return;
        }
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|(row, _)| *row);
        // One pass over the batch path's errors and the CTAs, not one per
        // rejected row (a column of nulls rejects every row).
        let mut rows: Vec<usize> = problems.iter().map(|(row, _)| *row).collect();
        rows.dedup();
        let rejected = |row: &usize| rows.binary_search(row).is_ok();
        self.errors.retain(|(r, _)| !rejected(r));
        if let Some(ctas) = &mut self.ctas {
            ctas.retain(|(r, ..)| !rejected(r));
        }
        let id = layout.get(input, Convention::Id);
        for group in problems.chunk_by(|a, b| a.0 == b.0) {
            let Some((row, _)) = group.first() else {
                continue;
            };
            let row = *row;
            let mut why: Vec<&str> = group.iter().map(|(_, p)| p.as_str()).collect();
            // A repeat of the header line: its note alone.
            if let Some(alone) = why.iter().find(|p| crate::ragged::stands_alone(p)) {
                why = vec![*alone];
            }
            self.errors
                .push((row, rejection(id, options, row, &why.join("; "))));
            self.score.clear(row);
            self.band.clear(row);
            self.coverage.clear(row);
            self.segment.clear(row);
            self.scorecard.clear(row);
            for d in &mut self.dims {
                d.clear(row);
            }
            if let Some(d) = &mut self.driver {
                d.clear(row);
            }
        }
    }

    /// The results record batch: `id` as read, then [`result_fields`].
    fn finish(
        mut self,
        model: &healthscore::Model,
        layout: &Layout,
        input: &RecordBatch,
        options: &Options,
        buffers: &mut ScoreBuffers,
    ) -> Result<RecordBatch, Error> {
        self.reject_problem_rows(layout, input, options);
        let rows = input.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(13);
        let id = layout.field(input, Convention::Id);
        if let (Some(_), Some(column)) = (id, layout.get(input, Convention::Id)) {
            columns.push(column.clone());
        }
        let mut mrr_type = None;
        if options.history {
            // Read with the batch (none when it could not be read at all).
            let history = self.history.take().unwrap_or_default();
            let mrr = layout.field(input, Convention::Mrr);
            mrr_type = Some(crate::history::mrr_type(mrr.map(|f| f.data_type())));
            let errors = self.errors.iter().map(|(row, _)| *row);
            columns.extend(history.finish(errors)?);
        }
        let schema = buffers.schema(model, id, mrr_type, options);
        // Band, segment, scorecard and driver as dictionaries: one small
        // array of names (built once per model) and an index per row, no
        // string built per row.
        let names = buffers.names(model);
        columns.push(buffers.micros(self.score)?);
        columns.push(buffers.dictionary(self.band, &names.bands)?);
        columns.push(buffers.micros(self.coverage)?);
        columns.push(buffers.dictionary(self.segment, &names.segments)?);
        columns.push(buffers.dictionary(self.scorecard, &names.cards)?);
        for column in self.dims {
            columns.push(buffers.micros(column)?);
        }
        if let Some(column) = self.driver {
            columns.push(buffers.dictionary(column, &names.metrics)?);
        }
        if let Some(ctas) = self.ctas {
            let (rules, kinds): (Vec<_>, Vec<_>) = ctas
                .into_iter()
                .map(|(row, rules, kinds)| ((row, rules), (row, kinds)))
                .unzip();
            columns.push(Arc::new(sparse_text(rules, rows)));
            columns.push(Arc::new(sparse_text(kinds, rows)));
        }
        columns.push(Arc::new(if self.errors.is_empty() {
            buffers.no_errors(rows)
        } else {
            sparse_text(self.errors, rows)
        }));
        // One schema for every batch (a file writer compares them),
        // whatever this batch's nulls.
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

/// Why row `row` is rejected, as its `error` says it: `account 7: why` by
/// its `id`, else `row 65537: why` by its place in the whole stream, or
/// `why` alone where the rows have no place ([`Options::unnumbered`]).
pub(crate) fn rejection(id: Option<&ArrayRef>, options: &Options, row: usize, why: &str) -> String {
    // (A blank id is a missing one: see `crate::blank`.)
    match id
        .filter(|a| a.is_valid(row))
        .and_then(|a| arrow_cast::display::array_value_to_string(a, row).ok())
        .filter(|id| !id.trim().is_empty())
    {
        Some(id) => format!("account {id}: {why}"),
        None if options.unnumbered => why.to_string(),
        None => format!("row {}: {why}", row_number(options, row)),
    }
}

/// Row `row` of the batch as messages name it: its place in the whole
/// stream, counted from 1 ([`Options::first_row`]).
fn row_number(options: &Options, row: usize) -> u64 {
    options
        .first_row
        .saturating_add(row as u64)
        .saturating_add(1)
}

/// A text column with `texts` at their rows (a rejected row's message, a
/// row's CTAs), null elsewhere.
fn sparse_text(texts: Vec<(usize, String)>, rows: usize) -> StringArray {
    let mut messages: Vec<Option<String>> = vec![None; rows];
    for (row, message) in texts {
        if let Some(m) = messages.get_mut(row) {
            *m = Some(message);
        }
    }
    messages.into_iter().collect()
}
