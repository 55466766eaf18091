//! Record batches with columns swapped in, for the arrow crate's tests.

use arrow_array::{ArrayRef, RecordBatch};

/// `batch` with the named columns replaced where it has them, in place,
/// and appended where it does not.
pub fn with_columns(batch: &RecordBatch, with: &[(&str, ArrayRef)]) -> RecordBatch {
    let schema = batch.schema();
    let kept = schema.fields().iter().zip(batch.columns()).map(|(f, a)| {
        let a = with
            .iter()
            .find(|(n, _)| n == f.name())
            .map_or_else(|| a.clone(), |(_, b)| b.clone());
        (f.name().clone(), a)
    });
    let added = with
        .iter()
        .filter(|(n, _)| schema.column_with_name(n).is_none())
        .map(|(n, a)| (n.to_string(), a.clone()));
    RecordBatch::try_from_iter(kept.chain(added)).expect("columns of one length")
}
