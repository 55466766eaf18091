//! A slice of a record batch scores as the same rows of the whole batch,
//! whatever the Arrow types of its columns: a reader, a SQL engine or a
//! service hands out slices (offsets into shared buffers), and every type
//! the conventions read (text ids and numbers, booleans with their bits
//! not on a byte boundary, decimals, dates as text and as timestamps,
//! dictionaries) must honour the offset, its values' and its nulls'.
//! Both are also compared with the slice copied to buffers of its own.
//! Some rows are rejected (no id, an MRR that is not a number, a ratio
//! out of range), so that the error column's offsets are checked too.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMillisecondArray, UInt32Array,
};
use healthscore::batch::Scorer;
use healthscore_arrow::{score_batch, Options};
use proptest::prelude::*;
use std::sync::Arc;

/// A column of optional values in one of several Arrow types, chosen by
/// `kind` (the same values in each, as far as the type holds them).
fn text<T: ToString>(values: &[Option<T>], kind: u8) -> ArrayRef {
    let strings: Vec<Option<String>> = values
        .iter()
        .map(|v| v.as_ref().map(T::to_string))
        .collect();
    match kind % 3 {
        0 => Arc::new(StringArray::from(strings)),
        1 => Arc::new(StringViewArray::from(strings)),
        _ => Arc::new(LargeStringArray::from(strings)),
    }
}

/// The ids in one of seven encodings.
fn ids(c: &v0m::Columns, kind: u8) -> ArrayRef {
    // Some rows without an id.
    let ids: Vec<Option<i64>> = c
        .ids
        .iter()
        .enumerate()
        .map(|(r, v)| (r % 29 != 3).then_some(*v))
        .collect();
    match kind % 5 {
        0 => Arc::new(Int64Array::from(ids)),
        1 => Arc::new(
            Decimal128Array::from(ids.iter().map(|v| v.map(i128::from)).collect::<Vec<_>>())
                .with_precision_and_scale(38, 0)
                .expect("a decimal type"),
        ),
        2 => Arc::new(Int32Array::from(
            ids.iter().map(|v| v.map(|v| v as i32)).collect::<Vec<_>>(),
        )),
        _ => text(&ids, kind / 5),
    }
}

/// MRR (cents) as a decimal, as whole units (its cents dropped), or as text.
fn mrr(c: &v0m::Columns, kind: u8) -> ArrayRef {
    match kind % 3 {
        0 => Arc::new(
            Decimal128Array::from(c.cents.iter().map(|v| i128::from(*v)).collect::<Vec<_>>())
                .with_precision_and_scale(12, 2)
                .expect("a decimal type"),
        ),
        1 => Arc::new(Int64Array::from(
            c.cents.iter().map(|v| v / 100).collect::<Vec<_>>(),
        )),
        _ => {
            let text: Vec<Option<String>> = c
                .cents
                .iter()
                .enumerate()
                // Some cells that are not a number.
                .map(|(r, v)| match r % 23 {
                    7 => Some("n/a".to_string()),
                    _ => Some(format!("{}.{:02}", v / 100, v % 100)),
                })
                .collect();
            Arc::new(StringArray::from(text))
        }
    }
}

/// Employees as `UInt32`, `Int64`, `Float64` or text.
fn employees(c: &v0m::Columns, kind: u8) -> ArrayRef {
    match kind % 4 {
        0 => Arc::new(UInt32Array::from(c.employees.clone())),
        1 => Arc::new(Int64Array::from(
            c.employees
                .iter()
                .map(|v| i64::from(*v))
                .collect::<Vec<_>>(),
        )),
        2 => Arc::new(Float64Array::from(
            c.employees
                .iter()
                .map(|v| f64::from(*v))
                .collect::<Vec<_>>(),
        )),
        _ => text(&c.employees.iter().map(|v| Some(*v)).collect::<Vec<_>>(), 0),
    }
}

/// Metric `m` in one of seven encodings, with its nulls (a flag, the one
/// metric of 0 and 1 only, also as booleans).
fn metric(c: &v0m::Columns, m: usize, kind: u8) -> ArrayRef {
    let values: Vec<Option<f64>> = c.values[m]
        .iter()
        .zip(&c.valid[m])
        .map(|(v, ok)| ok.then_some(*v))
        .collect();
    let is_flag = values.iter().flatten().all(|v| *v == 0.0 || *v == 1.0);
    match kind % 7 {
        0 => Arc::new(Float64Array::from(values)),
        1 => Arc::new(Float32Array::from(
            values
                .iter()
                .map(|v| v.map(|v| v as f32))
                .collect::<Vec<_>>(),
        )),
        2 => Arc::new(
            Decimal128Array::from(
                values
                    .iter()
                    .map(|v| v.map(|v| (v * 10_000.0).round() as i128))
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(18, 4)
            .expect("a decimal type"),
        ),
        3 => Arc::new(Int64Array::from(
            values
                .iter()
                .map(|v| v.map(|v| v.round() as i64))
                .collect::<Vec<_>>(),
        )),
        4 if is_flag => Arc::new(BooleanArray::from(
            values
                .iter()
                .map(|v| v.map(|v| v == 1.0))
                .collect::<Vec<_>>(),
        )),
        5 => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in &values {
                match v {
                    Some(v) => {
                        b.append_value(v.to_string());
                    }
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        _ => text(&values, kind / 7),
    }
}

/// The as-of date per row (some a day before the generator's), as
/// `Date32`, text, or a timestamp at 20:00 UTC in a zone five hours
/// ahead (so the next day there).
fn as_of(rows: usize, kind: u8) -> ArrayRef {
    use chrono::Datelike;
    let base = v0m::day().num_days_from_ce() - 719_163;
    let days: Vec<i32> = (0..rows).map(|r| base - (r % 3 == 0) as i32 - 1).collect();
    match kind % 3 {
        0 => Arc::new(Date32Array::from(days)),
        1 => {
            let text: Vec<Option<String>> = days
                .iter()
                .map(|d| {
                    chrono::NaiveDate::from_num_days_from_ce_opt(d + 719_163).map(|d| d.to_string())
                })
                .collect();
            Arc::new(StringArray::from(text))
        }
        _ => Arc::new(
            TimestampMillisecondArray::from(
                days.iter()
                    .map(|d| i64::from(*d) * 86_400_000 + 20 * 3_600_000)
                    .collect::<Vec<_>>(),
            )
            .with_timezone("+05:00"),
        ),
    }
}

/// The accounts as a record batch, each column of the kind `kinds` picks.
fn batch(c: &v0m::Columns, kinds: &[u8]) -> RecordBatch {
    let kind = |i: usize| kinds.get(i).copied().unwrap_or(0);
    let mut columns: Vec<(String, ArrayRef)> = vec![
        ("id".into(), ids(c, kind(0))),
        ("mrr".into(), mrr(c, kind(1))),
        ("employees".into(), employees(c, kind(2))),
    ];
    if kind(3) % 4 != 0 {
        columns.push(("as_of".into(), as_of(c.len(), kind(3))));
    }
    for (m, name) in v0m::METRICS.iter().enumerate() {
        columns.push((name.to_string(), metric(c, m, kind(4 + m))));
    }
    RecordBatch::try_from_iter(columns).expect("columns of one length")
}

/// The first cell where two results differ, as `column row: a != b`
/// (their schemas being equal); `None` when every one is the same.
fn differs(a: &RecordBatch, b: &RecordBatch) -> Option<String> {
    if a.schema() != b.schema() || a.num_rows() != b.num_rows() {
        return Some(format!("{:?} != {:?}", a.schema(), b.schema()));
    }
    let cell = |c: &ArrayRef, r: usize| {
        arrow_cast::display::array_value_to_string(c, r).expect("printable")
    };
    for (f, (x, y)) in a
        .schema()
        .fields()
        .iter()
        .zip(a.columns().iter().zip(b.columns()))
    {
        for r in 0..a.num_rows() {
            if x.is_valid(r) != y.is_valid(r) || cell(x, r) != cell(y, r) {
                return Some(format!(
                    "{} row {r}: {:?} != {:?}",
                    f.name(),
                    cell(x, r),
                    cell(y, r)
                ));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_slice_scores_as_its_rows_of_the_whole_whatever_the_types(
        seed in any::<u64>(),
        rows in 1usize..300,
        kinds in proptest::collection::vec(any::<u8>(), 16),
        from in any::<prop::sample::Index>(),
        len in any::<prop::sample::Index>(),
        drivers in any::<bool>(),
    ) {
        let model = v0m::model();
        let scorer = Scorer::new(&model);
        let mut c = v0m::generate(rows, seed);
        // Some rows rejected by the scorer: a weekly active ratio of 1.7.
        for r in (5..rows).step_by(17) {
            c.values[6][r] = 1.7;
            c.valid[6][r] = true;
        }
        let whole = batch(&c, &kinds);
        let options = Options { as_of: Some(v0m::day()), drivers, ..Options::default() };
        let all = score_batch(&scorer, &whole, &options).expect("scores");
        let from = from.index(rows + 1);
        let len = len.index(rows - from + 1);
        let slice = whole.slice(from, len);
        // (A row without an id is named by its place: the slice says
        // where it starts.)
        let at = Options { first_row: from as u64, ..options.clone() };
        let part = score_batch(&scorer, &slice, &at).expect("the slice's scores");
        prop_assert_eq!(differs(&part, &all.slice(from, len)), None);
        // The slice in buffers of its own (offset 0) scores the same.
        let copied = arrow_select::concat::concat_batches(&slice.schema(), [&slice])
            .expect("a copy");
        let alone = score_batch(&scorer, &copied, &at).expect("the copy's scores");
        prop_assert_eq!(differs(&alone, &part), None);
        // Most rows were scored, and the rows made bad were rejected.
        let errors = all.column_by_name("error").expect("error");
        prop_assert!(errors.null_count() >= rows / 2, "{:?}", errors);
        prop_assert!(rows <= 5 || errors.is_valid(5));
    }
}
