//! Scores as a record batch.

use crate::input::{batch, own, text, utf8, Options};
use crate::Error;
use arrow_array::types::UInt32Type;
use arrow_array::{
    ArrayRef, Decimal128Array, DictionaryArray, RecordBatch, StringArray, UInt32Array,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema};
use healthscore::batch::{BatchScores, Scorer, NONE};
use healthscore::Dimension;
use std::sync::Arc;

/// Validity of a column of indices or millionths ([`NONE`]: null); no
/// buffer at all when every row has a value.
fn nulls(values: &[u32]) -> Option<NullBuffer> {
    // Packed 64 rows at a time, not a bool per push.
    values.contains(&NONE).then(|| {
        NullBuffer::new(BooleanBuffer::collect_bool(values.len(), |i| {
            values.get(i).is_some_and(|v| *v != NONE)
        }))
    })
}

/// Exact millionths as `Decimal128(9, 6)`, null where there is none;
/// built from buffers, not row by row.
fn micros(values: &[u32]) -> Result<ArrayRef, Error> {
    // Collected into a Vec (a vectorised loop over a slice of known
    // length) and handed to Arrow without a copy.
    let data: Vec<i128> = values
        .iter()
        .map(|m| i128::from(*m & 0x7fff_ffff))
        .collect();
    let array = Decimal128Array::try_new(ScalarBuffer::from(data), nulls(values))?;
    Ok(Arc::new(array.with_precision_and_scale(9, 6)?))
}

/// The result columns after `id`, the same for every batch: `score`,
/// `band`, `coverage`, `segment`, `scorecard`, the four dimension scores,
/// `pulls_down_most` when [`Options::drivers`] is set, and `error`. Every
/// one is nullable (a rejected row has only an `error`; an account short
/// of coverage has no band).
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
    for d in ["deployment", "engagement", "adoption", "roi"] {
        fields.push(Field::new(d, micros.clone(), true));
    }
    if options.drivers {
        fields.push(Field::new("pulls_down_most", names, true));
    }
    fields.push(Field::new("error", DataType::Utf8, true));
    Fields::from(fields)
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
    score_batch_into(scorer, input, options, &mut BatchScores::new())
}

/// [`score_batch`], reusing `scores`' columns as the batch path's working
/// output (a stream of record batches then allocates them once).
///
/// # Errors
///
/// As [`score_batch`].
pub fn score_batch_into(
    scorer: &Scorer<'_>,
    input: &RecordBatch,
    options: &Options,
    scores: &mut BatchScores,
) -> Result<RecordBatch, Error> {
    let model = scorer.model();
    // Read from Utf8 text columns; the results keep the input's own `id`.
    let as_utf8 = utf8(input)?;
    let read = as_utf8.as_ref().unwrap_or(input);
    let owned = own(model, read)?;
    let text = text(read)?;
    let b = batch(model, read, &owned, &text, options)?;
    let scorer = scorer.clone().with_drivers(options.drivers);
    scorer.score_into(&b, scores)?;
    let scores = &*scores;
    let rows = scores.len();
    let mut columns: Vec<(&str, ArrayRef)> = Vec::with_capacity(13);
    let mut fields: Vec<Arc<Field>> = Vec::with_capacity(13);
    if let Some((_, id)) = input.schema().column_with_name("id") {
        fields.push(Arc::new(id.clone()));
    }
    if let Some(id) = input.column_by_name("id") {
        columns.push(("id", id.clone()));
    }
    fields.extend(result_fields(options).iter().cloned());
    columns.push(("score", micros(scores.overall_micros())?));
    // Band, segment, scorecard and driver as dictionaries: one small
    // array of names and an index per row, no string built per row.
    let bands: Vec<String> = healthscore::Band::ALL
        .iter()
        .map(|b| b.to_string())
        .collect();
    let band_index: Vec<u32> = scores
        .bands()
        .iter()
        .map(|b| b.map_or(NONE, |b| b.index() as u32))
        .collect();
    columns.push(("band", dictionary(&band_index, bands)?));
    columns.push(("coverage", micros(scores.coverage_micros())?));
    let segments: Vec<String> = (0..)
        .map_while(|i| model.segment_at(i).map(|s| s.to_string()))
        .collect();
    columns.push(("segment", dictionary(scores.segments(), segments)?));
    let cards: Vec<String> = (0..)
        .map_while(|i| model.scorecard_id(i).map(str::to_string))
        .collect();
    columns.push(("scorecard", dictionary(scores.scorecards(), cards)?));
    for d in Dimension::ALL {
        let label = match d {
            Dimension::Deployment => "deployment",
            Dimension::Engagement => "engagement",
            Dimension::Adoption => "adoption",
            _ => "roi",
        };
        columns.push((label, micros(scores.dimension_micros(d))?));
    }
    if let Some(drivers) = scores.drivers() {
        let ids: Vec<String> = model.metric_ids().map(str::to_string).collect();
        columns.push(("pulls_down_most", dictionary(drivers, ids)?));
    }
    columns.push(("error", Arc::new(errors(scores, rows))));
    // One schema for every batch (a file writer compares them), whatever
    // this batch's nulls.
    let schema = Arc::new(Schema::new(fields));
    Ok(RecordBatch::try_new(
        schema,
        columns.into_iter().map(|(_, c)| c).collect(),
    )?)
}

/// A dictionary-encoded string column: per row an index into `names`
/// ([`NONE`]: null).
fn dictionary(keys: &[u32], names: Vec<String>) -> Result<ArrayRef, Error> {
    let data: Vec<u32> = keys
        .iter()
        .map(|k| if *k == NONE { 0 } else { *k })
        .collect();
    let keys = UInt32Array::try_new(ScalarBuffer::from(data), nulls(keys))?;
    let values = Arc::new(StringArray::from(names));
    Ok(Arc::new(DictionaryArray::<UInt32Type>::try_new(
        keys, values,
    )?))
}

fn errors(scores: &BatchScores, rows: usize) -> StringArray {
    if scores.errors().is_empty() {
        return StringArray::new_null(rows);
    }
    let mut messages: Vec<Option<String>> = vec![None; rows];
    for e in scores.errors() {
        if let Some(m) = messages.get_mut(e.row) {
            *m = Some(e.error.to_string());
        }
    }
    messages.into_iter().collect()
}
