//! Blank text cells are missing values: a text column the scorer reads
//! holds `""` (or only spaces) where a data frame had nothing, and
//! pandas or pyarrow write that to Parquet as an empty string, not a
//! null. Read as text, it would reject its row (`previous_band: "" is not
//! a band`, `mrr: "" is not a decimal number`); read as the null it
//! stands for, it is what a missing cell is everywhere else (a missing
//! metric, no previous band, `mrr: missing`), as in a CSV file, whose
//! empty fields Arrow's reader reads as nulls.

use crate::input::reads;
use crate::Error;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::DataType;
use healthscore::Model;
use std::sync::Arc;

/// `input` with the blank cells of the `Utf8` columns the scorer reads
/// made null; `None` when it has none (nothing copied). Only the
/// validity of such a column is new: its offsets and bytes are shared.
pub(crate) fn as_nulls(model: &Model, input: &RecordBatch) -> Result<Option<RecordBatch>, Error> {
    let schema = input.schema_ref();
    let mut columns: Option<(Vec<arrow_schema::FieldRef>, Vec<ArrayRef>)> = None;
    for (at, (field, column)) in schema.fields().iter().zip(input.columns()).enumerate() {
        if !matches!(column.data_type(), DataType::Utf8) || !reads(model, field.name()) {
            continue;
        }
        let text = column.as_string::<i32>();
        let blank = |i: usize| text.is_valid(i) && is_blank(text.value(i));
        if !(0..text.len()).any(blank) {
            continue;
        }
        let valid = BooleanBuffer::collect_bool(text.len(), |i| text.is_valid(i) && !blank(i));
        let (offsets, values, _) = text.clone().into_parts();
        let nulled = StringArray::try_new(offsets, values, Some(NullBuffer::new(valid)))?;
        let (fields, all) =
            columns.get_or_insert_with(|| (schema.fields().to_vec(), input.columns().to_vec()));
        if let (Some(slot), Some(f)) = (all.get_mut(at), fields.get_mut(at)) {
            *slot = Arc::new(nulled);
            // (A column without nulls may be declared not nullable.)
            *f = Arc::new(f.as_ref().clone().with_nullable(true));
        }
    }
    Ok(match columns {
        Some((fields, columns)) => Some(RecordBatch::try_new(
            Arc::new(arrow_schema::Schema::new_with_metadata(
                fields,
                schema.metadata().clone(),
            )),
            columns,
        )?),
        None => None,
    })
}

/// Empty, or only white space: the rule the row API applies to an id
/// ([`RowId::is_blank`](healthscore::batch::RowId::is_blank)), applied to
/// every text cell read, so that the two paths agree on what is missing.
pub(crate) fn is_blank(s: &str) -> bool {
    healthscore::batch::RowId::Text(s).is_blank()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_cells_of_read_columns_are_nulls_and_nothing_else_changes() {
        let model =
            Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap()).unwrap();
        let text = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let input = RecordBatch::try_from_iter([
            ("id", text(vec![Some("a"), Some(""), Some("c")])),
            ("previous_band", text(vec![Some(" "), None, Some("Green ")])),
            ("region", text(vec![Some(""), Some("EU"), Some("")])),
        ])
        .unwrap();
        let out = as_nulls(&model, &input).unwrap().unwrap();
        let cells = |name: &str| -> Vec<Option<String>> {
            out.column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.map(str::to_string))
                .collect()
        };
        assert_eq!(cells("id"), [Some("a".into()), None, Some("c".into())]);
        assert_eq!(cells("previous_band"), [None, None, Some("Green ".into())]);
        // A column the model does not read is the input's own array.
        assert!(Arc::ptr_eq(
            out.column_by_name("region").unwrap(),
            input.column_by_name("region").unwrap()
        ));
        // No blank cell: nothing copied.
        let clean = RecordBatch::try_from_iter([("id", text(vec![Some("a")]))]).unwrap();
        assert!(as_nulls(&model, &clean).unwrap().is_none());
    }
}
