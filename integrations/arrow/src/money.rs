//! A money metric's amounts as the cells wrote them (`1200.50`, not
//! `1200.5`), for the row API's input read from columns: an explanation
//! then shows a CSV export's amount, or a `Decimal128` column's, as the
//! same account given in JSON shows it.
//!
//! The batch path reads every metric as an `f64` and rebuilds a money
//! amount from it as its shortest decimal (`healthscore::batch`'s
//! `column_value`): the same number, without the trailing zeros it was
//! written with. Where the column is text or `Decimal128`, the cell's own
//! decimal takes its place, but only when it is the same number: the
//! value scored is unchanged, only how it is shown.

use crate::layout::Layout;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use healthscore::model::MetricKind;
use healthscore::{AccountData, Model, Value};
use rust_decimal::Decimal;

/// The money metrics' columns that hold their amounts as written.
pub(crate) struct Written<'a> {
    /// Metric id and its column.
    columns: Vec<(&'a str, &'a ArrayRef)>,
}

impl<'a> Written<'a> {
    /// `model`'s money metrics whose columns in `input` are text or
    /// `Decimal128`.
    pub(crate) fn find(model: &'a Model, layout: &Layout, input: &'a RecordBatch) -> Written<'a> {
        let columns = model
            .metric_ids()
            .zip(&layout.metrics)
            .filter(|(id, _)| matches!(model.metric(id), Some((_, MetricKind::Money))))
            .filter_map(|(id, m)| Some((id, input.columns().get(m.value?)?)))
            .filter(|(_, a)| {
                matches!(
                    a.data_type(),
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Decimal128(..)
                )
            })
            .collect();
        Written { columns }
    }

    /// Row `row`'s money values as written, where they are the numbers
    /// `data` holds.
    pub(crate) fn restore(&self, row: usize, data: &mut AccountData) {
        if self.columns.is_empty() {
            return;
        }
        for obs in &mut data.observations {
            let Value::Exact(read) = obs.value else {
                continue;
            };
            let column = self.columns.iter().find(|(id, _)| *id == obs.metric);
            if let Some(written) = column.and_then(|(_, a)| cell(a, row)) {
                if written == read {
                    obs.value = Value::Exact(written);
                }
            }
        }
    }
}

/// The decimal a cell holds: text as the JSON path reads a decimal
/// string (spaces around ignored), a `Decimal128` at its scale.
fn cell(array: &ArrayRef, row: usize) -> Option<Decimal> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    let text = match array.data_type() {
        DataType::Utf8 => array.as_string_opt::<i32>()?.value(row),
        DataType::LargeUtf8 => array.as_string_opt::<i64>()?.value(row),
        DataType::Utf8View => array.as_string_view_opt()?.value(row),
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive_opt::<Decimal128Type>()?.value(row);
            let scale = u32::try_from(*scale).ok()?;
            return Decimal::try_from_i128_with_scale(v, scale).ok();
        }
        _ => return None,
    };
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::cell;
    use arrow_array::{ArrayRef, Decimal128Array, StringArray};
    use rust_decimal::Decimal;
    use std::sync::Arc;

    #[test]
    fn a_cell_is_the_decimal_written() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![
            Some(" 1200.50 "),
            Some("1,200"),
            None,
            Some("7"),
        ]));
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            cell(&text, 0).map(|x| x.to_string()).as_deref(),
            Some("1200.50")
        );
        assert_eq!(cell(&text, 1), None);
        assert_eq!(cell(&text, 2), None);
        assert_eq!(cell(&text, 3), Some(d("7")));
        assert_eq!(cell(&text, 4), None, "past the column");
        let cents: ArrayRef = Arc::new(
            Decimal128Array::from(vec![120_050, -5])
                .with_precision_and_scale(12, 2)
                .unwrap(),
        );
        assert_eq!(
            cell(&cents, 0).map(|x| x.to_string()).as_deref(),
            Some("1200.50")
        );
        assert_eq!(cell(&cents, 1), Some(d("-0.05")));
        let negative_scale: ArrayRef = Arc::new(
            Decimal128Array::from(vec![12])
                .with_precision_and_scale(5, -2)
                .unwrap(),
        );
        assert_eq!(cell(&negative_scale, 0), None, "left as the number read");
    }
}
