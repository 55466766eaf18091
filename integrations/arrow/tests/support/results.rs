//! Reading the results record batch back, for the arrow crate's tests.

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, RecordBatch};
use healthscore::batch::NONE;

/// The result columns of exact millionths: the overall score, coverage,
/// then the four dimension scores in `Dimension::ALL` order.
#[allow(dead_code)] // not every test that reads results needs the list
pub const MICROS: [&str; 6] = [
    "score",
    "coverage",
    "deployment",
    "engagement",
    "adoption",
    "roi",
];

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

/// A dictionary-encoded string column's value at a row.
#[allow(dead_code)] // not every test that reads results reads names
pub fn text(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    use arrow_array::ArrayAccessor;
    let column = b.column_by_name(name).unwrap();
    let dict = column.as_dictionary::<arrow_array::types::UInt32Type>();
    let values = dict.downcast_dict::<arrow_array::StringArray>().unwrap();
    dict.is_valid(row).then(|| values.value(row).to_string())
}
