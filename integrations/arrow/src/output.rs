//! Scores as a record batch.

use crate::input::{batch, own, text, Options};
use crate::Error;
use arrow_array::{ArrayRef, Decimal128Array, RecordBatch, StringArray};
use healthscore::batch::{BatchScores, Scorer, NONE};
use healthscore::Dimension;
use std::sync::Arc;

/// Exact millionths as `Decimal128(9, 6)`, null where there is none.
fn micros(values: impl Iterator<Item = u32>) -> Result<ArrayRef, Error> {
    let array: Decimal128Array = values
        .map(|m| (m != NONE).then_some(i128::from(m)))
        .collect();
    Ok(Arc::new(array.with_precision_and_scale(9, 6)?))
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
    let model = scorer.model();
    let owned = own(model, input)?;
    let text = text(input)?;
    let b = batch(model, input, &owned, &text, options)?;
    let scorer = scorer.clone().with_drivers(options.drivers);
    let scores = scorer.score(&b)?;
    let rows = scores.len();
    let mut columns: Vec<(&str, ArrayRef)> = Vec::with_capacity(13);
    if let Some(id) = input.column_by_name("id") {
        columns.push(("id", id.clone()));
    }
    columns.push(("score", micros(scores.overall_micros().iter().copied())?));
    let band: StringArray = scores
        .bands()
        .iter()
        .map(|b| b.map(|b| b.to_string()))
        .collect();
    columns.push(("band", Arc::new(band)));
    columns.push((
        "coverage",
        micros(scores.coverage_micros().iter().copied())?,
    ));
    let name = |index: u32, f: &dyn Fn(usize) -> Option<String>| {
        (index != NONE).then(|| f(index as usize)).flatten()
    };
    let segment: StringArray = scores
        .segments()
        .iter()
        .map(|s| name(*s, &|i| model.segment_at(i).map(|s| s.to_string())))
        .collect();
    columns.push(("segment", Arc::new(segment)));
    let card: StringArray = scores
        .scorecards()
        .iter()
        .map(|c| name(*c, &|i| model.scorecard_id(i).map(str::to_string)))
        .collect();
    columns.push(("scorecard", Arc::new(card)));
    for d in Dimension::ALL {
        let label = match d {
            Dimension::Deployment => "deployment",
            Dimension::Engagement => "engagement",
            Dimension::Adoption => "adoption",
            _ => "roi",
        };
        columns.push((label, micros(scores.dimension_micros(d).iter().copied())?));
    }
    if let Some(drivers) = scores.drivers() {
        let ids: Vec<&str> = model.metric_ids().collect();
        let driver: StringArray = drivers
            .iter()
            .map(|m| ids.get(*m as usize).copied())
            .collect();
        columns.push(("pulls_down_most", Arc::new(driver)));
    }
    columns.push(("error", Arc::new(errors(&scores, rows))));
    Ok(RecordBatch::try_from_iter(columns)?)
}

fn errors(scores: &BatchScores, rows: usize) -> StringArray {
    let mut messages: Vec<Option<String>> = vec![None; rows];
    for e in scores.errors() {
        if let Some(m) = messages.get_mut(e.row) {
            *m = Some(e.error.to_string());
        }
    }
    messages.into_iter().collect()
}
