//! v0m accounts as a record batch, shared by the arrow crate's tests and
//! bench: ids, MRR as `Decimal128(12, 2)`, employees, the `extra` columns,
//! and one `Float64` column per metric with nulls where a value is missing.

use super::v0m;
use arrow_array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
use std::sync::Arc;

/// Options for v0m accounts: as of the generator's day, with or without
/// the metric that pulls each score down most.
#[allow(dead_code)] // the bench sets its own
pub fn options(drivers: bool) -> healthscore_arrow::Options {
    healthscore_arrow::Options {
        as_of: Some(v0m::day()),
        drivers,
        ..healthscore_arrow::Options::default()
    }
}

pub fn record_batch(c: &v0m::Columns, extra: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let cents: Vec<i128> = c.cents.iter().map(|v| i128::from(*v)).collect();
    let mrr = Decimal128Array::from(cents)
        .with_precision_and_scale(12, 2)
        .expect("a valid decimal type");
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(c.ids.clone()))),
        ("mrr", Arc::new(mrr)),
        (
            "employees",
            Arc::new(UInt32Array::from(c.employees.clone())),
        ),
    ];
    columns.extend(extra);
    for (m, id) in v0m::METRICS.iter().enumerate() {
        let values: Float64Array = c.values[m]
            .iter()
            .zip(&c.valid[m])
            .map(|(v, ok)| ok.then_some(*v))
            .collect();
        columns.push((id, Arc::new(values)));
    }
    RecordBatch::try_from_iter(columns).expect("columns of one length")
}

/// Writes `batch` to a Parquet file at `path`, `rows_per_group` rows a row
/// group.
#[allow(dead_code)]
pub fn write_parquet(path: &std::path::Path, batch: &RecordBatch, rows_per_group: usize) {
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let file = std::fs::File::create(path).expect("a file to write");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props))
        .expect("a Parquet writer");
    w.write(batch).expect("the batch written");
    w.close().expect("the file closed");
}

/// [`record_batch`] with a column the model does not read (`region`).
#[allow(dead_code)]
pub fn with_region(c: &v0m::Columns) -> RecordBatch {
    let region: ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["emea"; c.len()]));
    record_batch(c, vec![("region", region)])
}
