//! A table of dated scores whose `score` and `mrr` are decimal columns
//! (as `score --out` writes them) reads each cell as the text Arrow
//! writes for it would read: the same scores, the same rejections, the
//! same messages, for values a `Decimal` holds and for those it cannot.

#[path = "support/columns.rs"]
mod columns;

use arrow_array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use healthscore_arrow::{read_dated_outcomes, read_dated_scores, DatedRow};
use std::sync::Arc;

fn decimals(values: Vec<Option<i128>>, precision: u8, scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(precision, scale)
            .unwrap(),
    )
}

/// `batch` with its decimal columns as the text Arrow writes for them.
fn as_text(batch: &RecordBatch) -> RecordBatch {
    let schema = batch.schema();
    let text: Vec<(&str, ArrayRef)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(_, c)| matches!(c.data_type(), DataType::Decimal128(..)))
        .map(|(f, c)| {
            (
                f.name().as_str(),
                arrow_cast::cast(c, &DataType::Utf8).unwrap(),
            )
        })
        .collect();
    columns::with_columns(batch, &text)
}

fn scores_of(dir: &std::path::Path, name: &str, batch: &RecordBatch) -> Vec<(u64, DatedRow)> {
    let path = dir.join(name);
    columns::write_parquet(&path, batch);
    let mut rows = Vec::new();
    read_dated_scores(&path, |_, n, row| rows.push((n, row))).unwrap();
    rows
}

#[test]
fn decimal_scores_and_mrr_read_as_their_text_does() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 6;
    let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    let days: ArrayRef = Arc::new(Date32Array::from(vec![20_400; n]));
    let accounts = text(&["a", "b", "c", "d", "e", "f"]);
    let bands = text(&["lime", "green", "red", "red", "red", "yellow"]);
    // Scores as `score --out` writes them (scale 6): one past 100, one
    // missing; MRR in cents: one negative, one missing, a zero.
    let written = RecordBatch::try_from_iter([
        ("id", accounts.clone()),
        ("as_of", days.clone()),
        (
            "score",
            decimals(
                vec![
                    Some(71_250_000),
                    Some(100_500_000),
                    None,
                    Some(0),
                    Some(50_000_001),
                    Some(100_000_000),
                ],
                9,
                6,
            ),
        ),
        ("band", bands.clone()),
        (
            "mrr",
            decimals(
                vec![Some(120_050), Some(10), Some(10), Some(-100), None, Some(0)],
                12,
                2,
            ),
        ),
    ])
    .unwrap();
    // Values past what a `Decimal` holds (96 bits), and a score with
    // more decimals than a score has.
    let wide = RecordBatch::try_from_iter([
        ("id", accounts),
        ("as_of", days),
        (
            "score",
            decimals(
                vec![
                    Some(50),
                    Some(10i128.pow(30)),
                    Some(-1),
                    Some(100),
                    Some(7),
                    Some(1),
                ],
                38,
                0,
            ),
        ),
        ("band", bands),
        (
            "mrr",
            decimals(
                vec![
                    Some(1),
                    Some(1),
                    Some(10i128.pow(37)),
                    Some(1_234_567_891),
                    Some(1),
                    Some(-0),
                ],
                38,
                9,
            ),
        ),
    ])
    .unwrap();
    for (name, batch) in [("written", &written), ("wide", &wide)] {
        let from_values = scores_of(tmp.path(), &format!("{name}.parquet"), batch);
        let from_text = scores_of(tmp.path(), &format!("{name}-text.parquet"), &as_text(batch));
        assert_eq!(from_values, from_text, "{name}");
        assert_eq!(from_values.len(), n, "{name}");
    }
    // What they read as, written out.
    let rows = scores_of(tmp.path(), "again.parquet", &written);
    let DatedRow::Score(a) = &rows[0].1 else {
        panic!("{rows:?}")
    };
    assert_eq!(
        (a.score.micros(), a.mrr.to_string()),
        (71_250_000, "1200.50".to_string())
    );
    let why: Vec<String> = rows[1..5]
        .iter()
        .map(|(_, r)| match r {
            DatedRow::Unreadable(why) => why.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        why,
        [
            "score: 100.500000 is outside the range 0..=100",
            "score: missing",
            "mrr: -1.00 is negative: MRR is never below zero",
            "mrr: missing",
        ]
    );
    let DatedRow::Score(f) = &rows[5].1 else {
        panic!("{rows:?}")
    };
    assert_eq!(
        (f.score.micros(), f.mrr.to_string()),
        (100_000_000, "0.00".to_string())
    );
    let wide_rows = scores_of(tmp.path(), "wide-again.parquet", &wide);
    let DatedRow::Unreadable(why) = &wide_rows[1].1 else {
        panic!("{wide_rows:?}")
    };
    assert!(
        why.starts_with("score: \"1000000000000000000000000000000\""),
        "{why}"
    );
}

#[test]
fn an_expansion_s_decimal_mrr_reads_as_its_text_does() {
    let tmp = tempfile::tempdir().unwrap();
    let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("account", text(&["a", "b", "c"])),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_400; 3])) as ArrayRef,
        ),
        ("outcome", text(&["expanded", "expanded", "expanded"])),
        ("mrr", decimals(vec![Some(50_000), Some(-1), None], 12, 2)),
    ])
    .unwrap();
    let read = |name: &str, batch: &RecordBatch| {
        let path = tmp.path().join(name);
        columns::write_parquet(&path, batch);
        let mut rows = Vec::new();
        read_dated_outcomes(&path, |_, n, row| rows.push((n, row))).unwrap();
        rows
    };
    let from_values = read("outcomes.parquet", &batch);
    assert_eq!(from_values, read("outcomes-text.parquet", &as_text(&batch)));
    assert_eq!(
        format!("{:?}", from_values[1].1),
        "Err(\"mrr: -0.01 is negative: MRR is never below zero\")"
    );
}
