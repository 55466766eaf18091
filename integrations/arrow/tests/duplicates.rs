//! `score_file` rejects a row whose id an earlier row of the file had, in
//! the same record batch or an earlier one, as the JSON path does: the
//! first is kept, so a portfolio never counts an account twice.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Options};
use std::sync::Arc;
use v0m::model;

/// `batch` with its `id` column replaced.
fn with_ids(batch: &RecordBatch, ids: ArrayRef) -> RecordBatch {
    let columns: Vec<(String, ArrayRef)> = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, a)| {
            let a = if f.name() == "id" {
                ids.clone()
            } else {
                a.clone()
            };
            (f.name().clone(), a)
        })
        .collect();
    RecordBatch::try_from_iter(columns).unwrap()
}

/// Scores `batch` written as a Parquet file; the `error` column read back.
fn errors_of(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = tempfile::Builder::new()
        .prefix(&format!("healthscore-dup-{name}-"))
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let input = dir.join("accounts.parquet");
    columns::write_parquet(&input, batch);
    let output = dir.join("scores.parquet");
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Options::default()
    };
    let stats = score_file(&scorer, &input, &output, &options).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&output).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut errors = Vec::new();
    for b in reader {
        let b = b.unwrap();
        let e = b.column_by_name("error").unwrap().as_string::<i32>();
        errors.extend(e.iter().map(|e| e.map(str::to_string)));
    }
    assert_eq!(stats.rows as usize, errors.len());
    let rejected = errors.iter().filter(|e| e.is_some()).count();
    assert_eq!(stats.rejected as usize, rejected);
    errors
}

/// The rejected rows with their messages.
fn rejected(errors: &[Option<String>]) -> Vec<(usize, &str)> {
    errors
        .iter()
        .enumerate()
        .filter_map(|(row, e)| Some((row, e.as_deref()?)))
        .collect()
}

#[test]
fn a_repeated_id_is_rejected_in_its_batch_and_across_batches() {
    // 70,000 rows: two record batches of the file reader (65,536 rows).
    let c = v0m::generate(70_000, 5);
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    let mut ids: Vec<Option<i64>> = (0..70_000).map(Some).collect();
    ids[10] = Some(2); // in the first batch
    ids[69_999] = Some(3); // in the second
    ids[69_000] = Some(66_000); // first seen in the second
    ids[20] = None; // two rows without an id are not duplicates
    ids[21] = None;
    let errors = errors_of(&with_ids(&batch, Arc::new(Int64Array::from(ids))), "int");
    assert_eq!(
        rejected(&errors),
        [
            (
                10,
                "account 2: duplicate id, first seen at row 3 (the first is kept)"
            ),
            (20, "row 21: id: missing"),
            (21, "row 22: id: missing"),
            (
                69_000,
                "account 66000: duplicate id, first seen at row 66001 (the first is kept)"
            ),
            (
                69_999,
                "account 3: duplicate id, first seen at row 4 (the first is kept)"
            ),
        ]
    );
}

#[test]
fn text_ids_are_compared_whole() {
    let c = v0m::generate(6, 5);
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    // Prefixes, case and a trailing space make different ids.
    let ids = StringArray::from(vec!["acme", "acm", "ACME", "acme ", "globex", "acme"]);
    let errors = errors_of(&with_ids(&batch, Arc::new(ids)), "text");
    let rejected: Vec<usize> = (0..6).filter(|r| errors[*r].is_some()).collect();
    assert_eq!(rejected, [5]);
    assert_eq!(
        errors[5].as_deref(),
        Some("account acme: duplicate id, first seen at row 1 (the first is kept)")
    );
}

#[test]
fn blank_text_ids_are_missing_not_repeated() {
    // pandas and pyarrow write a missing text id as "" (or spaces): such
    // a row is rejected for having no id, not as a repeat of the blank
    // before it, and no real id is taken for a repeat of one.
    let c = v0m::generate(6, 5);
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    let ids = StringArray::from(vec![
        Some(""),
        Some("acme"),
        Some("  "),
        None,
        Some(""),
        Some("acme"),
    ]);
    let errors = errors_of(&with_ids(&batch, Arc::new(ids)), "blank");
    assert_eq!(
        rejected(&errors),
        [
            (0, "row 1: id: missing"),
            (2, "row 3: id: missing"),
            (3, "row 4: id: missing"),
            (4, "row 5: id: missing"),
            (
                5,
                "account acme: duplicate id, first seen at row 2 (the first is kept)"
            ),
        ]
    );
}

#[test]
fn a_sorted_file_is_checked_too_before_and_after_its_order_breaks() {
    // Ids in order (as exports sorted by id are) are only compared with
    // the one before, until the order breaks; the ids before the break
    // must still be found afterwards.
    let c = v0m::generate(70_000, 9);
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    // Sorted, negative ones first (ordered as numbers, not as bits).
    let mut ids: Vec<Option<i64>> = (0..70_000).map(|i| Some(i * 2 - 1_000)).collect();
    ids[65_536] = ids[65_535]; // equal to the one before, across the batches
    ids[69_000] = Some(-999); // breaks the order, a new id (odd)
    ids[69_500] = Some(-1_000 + 2 * 100); // row 101's id, after the break
    let errors = errors_of(&with_ids(&batch, Arc::new(Int64Array::from(ids))), "sorted");
    assert_eq!(
        rejected(&errors),
        [
            (
                65_536,
                "account 130070: duplicate id, first seen at row 65536 (the first is kept)"
            ),
            (
                69_500,
                "account -800: duplicate id, first seen at row 101 (the first is kept)"
            ),
        ]
    );
    // Text ids in order, one repeated right after itself, then the order
    // broken and an early one repeated.
    let c = v0m::generate(8, 9);
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    let ids = StringArray::from(vec!["a", "b", "b", "c", "d", "a0", "e", "b"]);
    let errors = errors_of(&with_ids(&batch, Arc::new(ids)), "sorted-text");
    let rejected: Vec<usize> = (0..8).filter(|r| errors[*r].is_some()).collect();
    assert_eq!(rejected, [2, 7]);
}
