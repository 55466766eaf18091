//! Reading the results record batch back, for the arrow crate's tests.

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, RecordBatch};
use healthscore::batch::NONE;

/// A micros column (`score`, `coverage`, a dimension) as millionths
/// (NONE for null).
pub fn micros_column(out: &RecordBatch, name: &str) -> Vec<u32> {
    let s = out
        .column_by_name(name)
        .unwrap()
        .as_primitive::<Decimal128Type>();
    (0..s.len())
        .map(|i| {
            if s.is_null(i) {
                NONE
            } else {
                s.value(i) as u32
            }
        })
        .collect()
}
