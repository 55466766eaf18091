//! Record batches with columns swapped in, and written as Parquet or CSV,
//! for the arrow crate's tests.

use arrow_array::{ArrayRef, RecordBatch};

/// `batch` with the named columns replaced where it has them, in place,
/// and appended where it does not.
#[allow(dead_code)] // not every test that writes files swaps columns
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

/// Writes `batch` as the Parquet file `path`.
#[allow(dead_code)] // not every test that swaps columns writes files
pub fn write_parquet(path: &std::path::Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("a file to write");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("a writer");
    w.write(batch).expect("the batch written");
    w.close().expect("the file closed");
}

/// Writes `batch` to a CSV file at `path`, with a header line.
#[allow(dead_code)]
pub fn write_csv(path: &std::path::Path, batch: &RecordBatch) {
    let mut w = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(path).expect("a file to write"));
    w.write(batch).expect("the batch written");
}
