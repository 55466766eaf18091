//! The row API's results through `ResultRow` and `ResultTable` are the
//! results `score_batch` gives for the same accounts, cell for cell:
//! generated v0m accounts (any seed), some with cells the batch cannot
//! read, each read with `account_data`, bound, scored and made a row.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use healthscore::batch::Scorer;
use healthscore_arrow::{account_data, score_batch, ResultRow, ResultTable};
use proptest::prelude::*;
use std::sync::Arc;
use v0m::model;

/// A column as text, for comparing dictionary columns by their values.
fn text(column: &ArrayRef) -> Vec<Option<String>> {
    let cast = arrow_cast::cast(column, &arrow_schema::DataType::Utf8).expect("as text");
    let cast = cast
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .expect("text");
    cast.iter().map(|v| v.map(str::to_string)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn rows_of_the_row_api_are_the_batch_paths_results(
        seed in any::<u64>(),
        rows in 1usize..400,
        drivers in any::<bool>(),
        bad in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let model = model();
        let cols = v0m::generate(rows, seed);
        // Some rows with an NPS the batch cannot read (not finite): they
        // are rejected by both paths, with one message.
        let mut nps: Vec<Option<f64>> = cols.values[4]
            .iter()
            .zip(&cols.valid[4])
            .map(|(v, ok)| ok.then_some(*v))
            .collect();
        for i in &bad {
            nps[i.index(rows)] = Some(f64::NAN);
        }
        let base = v0m_arrow::record_batch(&cols, Vec::new());
        let (index, _) = base.schema().column_with_name("nps").expect("nps");
        let mut columns = base.columns().to_vec();
        columns[index] = Arc::new(Float64Array::from(nps));
        let input = RecordBatch::try_new(base.schema(), columns).expect("a batch");
        let options = v0m_arrow::options(drivers);
        let batch_results = score_batch(&Scorer::new(&model), &input, &options).expect("scores");
        let mut table = ResultTable::new(&model, &options);
        let ids = text(input.column_by_name("id").expect("id"));
        for (row, read) in account_data(&model, &input, &options).expect("reads").into_iter().enumerate() {
            let id = ids[row].as_deref();
            table.push(match read {
                Ok(data) => match model.bind(data) {
                    Ok(account) => ResultRow::scored(&account.score().record(), None),
                    Err(e) => ResultRow::rejected(id, &e.to_string()),
                },
                Err(why) => ResultRow::rejected(id, &why),
            });
        }
        let row_results = table.take_batch().expect("a batch");
        prop_assert_eq!(row_results.num_rows(), rows);
        prop_assert_eq!(row_results.schema().fields().len(), batch_results.schema().fields().len());
        // Every column after `id` (text here, the input's `Int64` there),
        // by its values.
        for (a, b) in row_results.schema().fields().iter().zip(batch_results.schema().fields()).skip(1) {
            prop_assert_eq!(a, b);
            let (a, b) = (
                row_results.column_by_name(a.name()).expect("a column"),
                batch_results.column_by_name(b.name()).expect("a column"),
            );
            prop_assert_eq!(text(a), text(b), "{}", a.data_type());
        }
        let rejected = batch_results.column_by_name("error").expect("error");
        prop_assert_eq!(rejected.len() - rejected.null_count(), {
            let mut bad: Vec<usize> = bad.iter().map(|i| i.index(rows)).collect();
            bad.sort_unstable();
            bad.dedup();
            bad.len()
        });
    }
}
