//! Columns as warehouses export them: Snowflake's `NUMBER` and BigQuery's
//! `NUMERIC` reach Arrow as `Decimal128`, even for ids and counts, and
//! smaller integer keys as `Int32`. Each scores exactly as the canonical
//! types (`Int64` ids, `UInt32` employees, `Float64` metrics) do, a value
//! that does not fit is its row's problem, and `score_file` finds a
//! repeated id among them.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/results.rs"]
mod results;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use v0m_arrow::options;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, Decimal128Array, Int32Array, RecordBatch};
use columns::with_columns;
use healthscore::batch::Scorer;
use healthscore_arrow::{score_batch, score_file};
use results::{micros_column, MICROS};
use std::sync::Arc;

use v0m::model;

fn decimals(values: impl IntoIterator<Item = Option<i128>>, scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from_iter(values)
            .with_precision_and_scale(38, scale)
            .unwrap(),
    )
}

/// The warehouse form of v0m's record batch: ids as `NUMBER(38, 0)` (or
/// `Int32`), employees as `NUMBER(38, 0)`, every metric as a decimal of
/// `scale` places (a value rounded to them as the warehouse would hold it).
fn warehouse(canonical: &RecordBatch, scale: i8, int32_ids: bool) -> RecordBatch {
    let ids = canonical
        .column_by_name("id")
        .unwrap()
        .as_primitive::<arrow_array::types::Int64Type>();
    let ids: ArrayRef = if int32_ids {
        Arc::new(Int32Array::from_iter(
            ids.iter().map(|v| v.map(|v| v as i32)),
        ))
    } else {
        decimals(ids.iter().map(|v| v.map(i128::from)), 0)
    };
    let employees = canonical
        .column_by_name("employees")
        .unwrap()
        .as_primitive::<arrow_array::types::UInt32Type>();
    let mut with: Vec<(&str, ArrayRef)> = vec![
        ("id", ids),
        (
            "employees",
            decimals(employees.iter().map(|v| v.map(i128::from)), 0),
        ),
    ];
    let power = 10f64.powi(i32::from(scale));
    for id in v0m::METRICS {
        let x = canonical
            .column_by_name(id)
            .unwrap()
            .as_primitive::<Float64Type>();
        with.push((
            id,
            decimals(
                x.iter().map(|v| v.map(|v| (v * power).round() as i128)),
                scale,
            ),
        ));
    }
    with_columns(canonical, &with)
}

/// The same record batch with each metric value rounded to `scale`
/// places, as `Float64`: what the warehouse form holds, in canonical types.
fn rounded(canonical: &RecordBatch, scale: i8) -> RecordBatch {
    let power = 10f64.powi(i32::from(scale));
    let with: Vec<(&str, ArrayRef)> = v0m::METRICS
        .iter()
        .map(|id| {
            let x = canonical
                .column_by_name(id)
                .unwrap()
                .as_primitive::<Float64Type>();
            // The decimal's value as its text reads: m / 10^scale.
            let r: arrow_array::Float64Array = x
                .iter()
                .map(|v| {
                    v.map(|v| {
                        format!("{}e-{scale}", (v * power).round() as i128)
                            .parse::<f64>()
                            .unwrap()
                    })
                })
                .collect();
            (*id, Arc::new(r) as ArrayRef)
        })
        .collect();
    with_columns(canonical, &with)
}

fn assert_same_scores(got: &RecordBatch, want: &RecordBatch) {
    assert_same(got, want, "")
}

/// Every result column of `got` is `want`'s (`what` names the case).
fn assert_same(got: &RecordBatch, want: &RecordBatch, what: &str) {
    for name in MICROS {
        assert_eq!(
            micros_column(got, name),
            micros_column(want, name),
            "{what}: {name}"
        );
    }
    for name in ["band", "segment", "scorecard", "error"] {
        let show = |b: &RecordBatch| {
            let a = b.column_by_name(name).unwrap();
            (0..a.len())
                .map(|r| {
                    a.is_valid(r)
                        .then(|| arrow_cast::display::array_value_to_string(a, r).unwrap())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(show(got), show(want), "{what}: {name}");
    }
}

#[test]
fn decimal_and_narrow_integer_columns_score_as_the_canonical_types() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(5_000, 8);
    let canonical = v0m_arrow::record_batch(&c, Vec::new());
    // 6 places: every value exactly what the batch path reads (millionths);
    // 2 and 9 places: a warehouse's coarser and finer decimals.
    for scale in [6, 2, 9] {
        let want = score_batch(&scorer, &rounded(&canonical, scale), &options(false)).unwrap();
        for int32_ids in [false, true] {
            let got = score_batch(
                &scorer,
                &warehouse(&canonical, scale, int32_ids),
                &options(false),
            )
            .unwrap();
            assert_same_scores(&got, &want);
            // The results keep the input's own id column.
            let id = got.column_by_name("id").unwrap();
            let expected = if int32_ids {
                "Int32"
            } else {
                "Decimal128(38, 0)"
            };
            assert_eq!(id.data_type().to_string(), expected);
        }
    }
    // At 6 places the decimals are the canonical values' own millionths.
    let got = score_batch(&scorer, &warehouse(&canonical, 6, false), &options(false)).unwrap();
    let want = score_batch(&scorer, &canonical, &options(false)).unwrap();
    assert_same_scores(&got, &want);
}

#[test]
fn decimals_that_do_not_fit_reject_their_rows() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(6, 9);
    let canonical = v0m_arrow::record_batch(&c, Vec::new());
    let batch = with_columns(
        &warehouse(&canonical, 6, false),
        &[
            (
                "employees",
                decimals(
                    [
                        Some(805),
                        Some(800),
                        Some(-10),
                        Some(42_949_672_960),
                        None,
                        Some(0),
                    ],
                    1,
                ),
            ),
            (
                // A ratio column: 1.7 is outside 0..=1 whatever its type.
                "weekly_active_ratio",
                decimals(
                    [
                        Some(5_000),
                        Some(17_000),
                        Some(0),
                        Some(10_000),
                        Some(1),
                        Some(3),
                    ],
                    4,
                ),
            ),
        ],
    );
    let out = score_batch(&scorer, &batch, &options(false)).unwrap();
    let error = out.column_by_name("error").unwrap().as_string::<i32>();
    let errors: Vec<Option<&str>> = error.iter().collect();
    let id = |r: usize| c.ids[r];
    assert_eq!(
        errors,
        [
            Some(
                format!(
                    "account {}: employees: 80.5 is not a count from 0 to 4294967295",
                    id(0)
                )
                .as_str()
            ),
            Some(
                format!(
                    "account {}: weekly_active_ratio: ratio number 1.7 is outside 0..=1",
                    id(1)
                )
                .as_str()
            ),
            Some(
                format!(
                    "account {}: employees: -1.0 is not a count from 0 to 4294967295",
                    id(2)
                )
                .as_str()
            ),
            Some(
                format!(
                    "account {}: employees: 4294967296.0 is not a count from 0 to 4294967295",
                    id(3)
                )
                .as_str()
            ),
            Some(format!("account {}: employees: missing", id(4)).as_str()),
            None,
        ]
    );
}

#[test]
fn score_file_finds_a_repeated_decimal_or_int32_id() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(300, 10);
    let canonical = v0m_arrow::record_batch(&c, Vec::new());
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-warehouse-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    for int32_ids in [false, true] {
        let mut ids: Vec<i64> = c.ids.clone();
        ids[200] = ids[5];
        let ids: ArrayRef = if int32_ids {
            Arc::new(Int32Array::from_iter_values(ids.iter().map(|v| *v as i32)))
        } else {
            decimals(ids.iter().map(|v| Some(i128::from(*v))), 0)
        };
        let batch = with_columns(&warehouse(&canonical, 6, false), &[("id", ids)]);
        let input = dir.join("accounts.parquet");
        columns::write_parquet(&input, &batch);
        let output = dir.join("scores.csv");
        let stats = score_file(&scorer, &input, &output, &options(false)).unwrap();
        assert_eq!(
            (stats.rows, stats.rejected),
            (300, 1),
            "Int32 ids: {int32_ids}"
        );
        let text = std::fs::read_to_string(&output).unwrap();
        assert!(
            text.contains(&format!(
                "account {}: duplicate id, first seen at row 6",
                c.ids[5]
            )),
            "{}",
            text.lines()
                .find(|l| l.contains("duplicate"))
                .unwrap_or("no duplicate reported")
        );
    }
}

/// Dictionary-encoded columns, as pandas' categoricals reach Parquet (with
/// the Arrow schema that reads them back as dictionaries): text ids, a
/// stage-like text column and a metric score as their values do, and
/// `score_file` still finds a repeated id among them.
#[test]
fn dictionary_encoded_columns_score_as_their_values() {
    use arrow_schema::DataType;
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(2_000, 12);
    let canonical = v0m_arrow::record_batch(&c, Vec::new());
    let dictionary = |a: &ArrayRef, key: DataType, value: DataType| -> ArrayRef {
        let plain = arrow_cast::cast(a, &value).unwrap();
        arrow_cast::cast(
            &plain,
            &DataType::Dictionary(Box::new(key), Box::new(value)),
        )
        .unwrap()
    };
    let text_ids =
        arrow_cast::cast(canonical.column_by_name("id").unwrap(), &DataType::Utf8).unwrap();
    let plain = with_columns(&canonical, &[("id", text_ids.clone())]);
    let encoded = with_columns(
        &canonical,
        &[
            ("id", dictionary(&text_ids, DataType::Int32, DataType::Utf8)),
            (
                "nps",
                dictionary(
                    canonical.column_by_name("nps").unwrap(),
                    DataType::Int16,
                    DataType::Float64,
                ),
            ),
            (
                "employees",
                dictionary(
                    canonical.column_by_name("employees").unwrap(),
                    DataType::Int32,
                    DataType::Int64,
                ),
            ),
        ],
    );
    let want = score_batch(&scorer, &plain, &options(false)).unwrap();
    let got = score_batch(&scorer, &encoded, &options(false)).unwrap();
    assert_same_scores(&got, &want);
    assert!(matches!(
        got.column_by_name("id").unwrap().data_type(),
        DataType::Dictionary(..)
    ));

    let mut ids: Vec<String> = c.ids.iter().map(|i| format!("acct-{i}")).collect();
    ids[1_500] = ids[7].clone();
    let ids: ArrayRef = Arc::new(arrow_array::StringArray::from(ids));
    let batch = with_columns(
        &encoded,
        &[("id", dictionary(&ids, DataType::Int32, DataType::Utf8))],
    );
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-dictionary-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let input = dir.join("accounts.parquet");
    columns::write_parquet(&input, &batch);
    let output = dir.join("scores.jsonl");
    let stats = score_file(&scorer, &input, &output, &options(false)).unwrap();
    assert_eq!((stats.rows, stats.rejected), (2_000, 1));
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        text.contains(&format!(
            "account acct-{}: duplicate id, first seen at row 8",
            c.ids[7]
        )),
        "{}",
        text.lines()
            .find(|l| l.contains("error"))
            .unwrap_or("no error")
    );
}

/// Dates as a warehouse's timestamps: `Date64`, zone-less timestamps of
/// any unit (their day, floored) and timestamps with a time zone (their
/// day in that zone) read as the same days as `Date32`; MRR in whole units
/// of a narrower integer type as `Int64`.
#[test]
fn timestamps_read_as_their_days_and_narrow_mrr_as_int64() {
    use arrow_array::{
        Date32Array, Date64Array, Int64Array, TimestampMicrosecondArray, TimestampMillisecondArray,
        TimestampNanosecondArray, TimestampSecondArray,
    };
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(400, 12);
    let n = c.len();
    let day = |r: usize| 20_780 + (r % 10) as i64; // around 2026-11-30
                                                   // Some observations after their as-of date: those rows are rejected.
    let observed = |r: usize| day(r) - (r % 7) as i64 + if r.is_multiple_of(13) { 3 } else { 0 };
    let units = (0..n).map(|r| c.cents[r] / 100);
    let base = v0m_arrow::record_batch(&c, Vec::new());
    let with_dates = |as_of: ArrayRef, seen: ArrayRef| {
        let mrr: ArrayRef = Arc::new(Int64Array::from_iter_values(units.clone()));
        with_columns(
            &base,
            &[("mrr", mrr), ("as_of", as_of), ("nps__observed_on", seen)],
        )
    };
    let date32 = |f: &dyn Fn(usize) -> i64| -> ArrayRef {
        Arc::new(Date32Array::from_iter_values((0..n).map(|r| f(r) as i32)))
    };
    let canonical = with_dates(date32(&day), date32(&observed));
    let want = score_batch(&scorer, &canonical, &options(false)).unwrap();
    let rejected = want.column_by_name("error").unwrap().null_count();
    assert!(rejected < n && rejected > 0, "{rejected} rejected");
    const S: i64 = 86_400;
    let variants: Vec<(&str, ArrayRef, ArrayRef)> = vec![
        (
            "zone-less seconds at 23:59:59, nanoseconds at midnight",
            Arc::new(TimestampSecondArray::from_iter_values(
                (0..n).map(|r| day(r) * S + S - 1),
            )),
            Arc::new(TimestampNanosecondArray::from_iter_values(
                (0..n).map(|r| observed(r) * S * 1_000_000_000),
            )),
        ),
        (
            "Date64",
            Arc::new(Date64Array::from_iter_values(
                (0..n).map(|r| day(r) * S * 1_000 + 1),
            )),
            Arc::new(Date64Array::from_iter_values(
                (0..n).map(|r| observed(r) * S * 1_000),
            )),
        ),
        (
            // 03:00 UTC the next day is the evening before in Los Angeles;
            // 22:00 UTC the day before is 03:00 on the day at +05:00.
            "zoned",
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    (0..n).map(|r| ((day(r) + 1) * S + 3 * 3_600) * 1_000_000),
                )
                .with_timezone("America/Los_Angeles"),
            ),
            Arc::new(
                TimestampMillisecondArray::from_iter_values(
                    (0..n).map(|r| (observed(r) * S - 2 * 3_600) * 1_000),
                )
                .with_timezone("+05:00"),
            ),
        ),
    ];
    for (name, as_of, seen) in variants {
        let got = score_batch(&scorer, &with_dates(as_of, seen), &options(false)).unwrap();
        assert_same(&got, &want, name);
    }
    // MRR as Int32 whole units: as Int64.
    let narrow = with_columns(
        &canonical,
        &[(
            "mrr",
            Arc::new(Int32Array::from_iter_values(
                units.clone().map(|u| u as i32),
            )) as ArrayRef,
        )],
    );
    assert_same_scores(
        &score_batch(&scorer, &narrow, &options(false)).unwrap(),
        &want,
    );
    // A timestamp past what its reading holds (Date32's days; with a
    // time zone, chrono's years, past which Arrow's cast fails the whole
    // batch) rejects its row alone.
    let mut far: Vec<i64> = (0..n).map(|r| day(r) * S).collect();
    far[3] = i64::MIN;
    far[4] = i64::MAX;
    far[5] = 9 * 10i64.pow(15);
    // Milliseconds written as seconds: within Date32's days, past the
    // year 9999, and named as what it likely is.
    far[6] = 1_732_924_800_000;
    for zone in [None, Some("America/New_York")] {
        let seen = date32(&observed);
        let as_of = TimestampSecondArray::from(far.clone()).with_timezone_opt(zone);
        let got = score_batch(&scorer, &with_dates(Arc::new(as_of), seen), &options(false))
            .unwrap_or_else(|e| panic!("{zone:?}: {e}"));
        let error = got.column_by_name("error").unwrap().as_string::<i32>();
        // The day as the column gives it, not a day standing in for it.
        for (r, v) in [(3, i64::MIN), (4, i64::MAX), (5, far[5]), (6, far[6])] {
            let want = format!("as_of: {v} seconds from 1970-01-01 is outside the years 1 to 9999");
            assert!(
                error.value(r).contains(&want),
                "{zone:?}: {}",
                error.value(r)
            );
        }
        // Said once, with the unit it likely is; not also as binding's
        // `+56884-03-14`.
        assert_eq!(
            error.value(6),
            format!(
                "account 7: as_of: {} seconds from 1970-01-01 is outside the years 1 to 9999 \
                 (as milliseconds it is 2024-11-30: milliseconds written as seconds?)",
                far[6]
            ),
            "{zone:?}"
        );
        if zone.is_none() {
            assert_eq!(
                micros_column(&got, "score")[7..],
                micros_column(&want, "score")[7..]
            );
        }
    }
}

/// `column` cast to `t` (the test's own conversion, by Arrow's cast).
fn as_type(batch: &RecordBatch, name: &str, t: arrow_schema::DataType) -> ArrayRef {
    arrow_cast::cast(batch.column_by_name(name).unwrap(), &t).unwrap()
}

/// Decimals of Arrow's other widths (`Decimal32` and `Decimal64`, which
/// pyarrow writes for small precisions; `Decimal256`, BigQuery's
/// `BIGNUMERIC`) score as `Decimal128` does, in Parquet too; a
/// `Decimal256` MRR past what any decimal here holds rejects its row, not
/// the file; a `Float16` metric scores as the `Float64` of its values.
#[test]
fn decimals_of_every_width_and_half_floats_score_as_the_canonical_types() {
    use arrow_schema::DataType::{Decimal256, Decimal32, Decimal64, Float16, Float64};
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(2_000, 13);
    let canonical = v0m_arrow::record_batch(&c, Vec::new());
    let decimal = warehouse(&canonical, 6, false);
    let want = score_batch(&scorer, &decimal, &options(false)).unwrap();
    assert_same_scores(
        &want,
        &score_batch(&scorer, &canonical, &options(false)).unwrap(),
    );
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-widths-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    /// A decimal type of one width, by precision and scale.
    type Width = fn(u8, i8) -> arrow_schema::DataType;
    let widths: [(&str, Width, u8); 3] = [
        ("Decimal64", Decimal64, 18),
        ("Decimal256", Decimal256, 40),
        ("Decimal32", Decimal32, 9),
    ];
    for (what, width, precision) in widths {
        // Decimal32 holds 9 digits: MRR's cents as Decimal64 beside it,
        // and of the metrics only the ratios (at 6 places).
        let mrr = match what {
            "Decimal32" => Decimal64(18, 2),
            _ => width(precision, 2),
        };
        let mut with: Vec<(&str, ArrayRef)> = vec![
            ("id", as_type(&decimal, "id", width(precision, 0))),
            (
                "employees",
                as_type(&decimal, "employees", width(precision, 0)),
            ),
            ("mrr", as_type(&decimal, "mrr", mrr)),
        ];
        for id in v0m::METRICS {
            if what != "Decimal32" || id.ends_with("ratio") {
                with.push((id, as_type(&decimal, id, width(precision, 6))));
            }
        }
        let batch = with_columns(&decimal, &with);
        let got = score_batch(&scorer, &batch, &options(false)).unwrap();
        assert_same(&got, &want, what);
        // Read from Parquet as written (its Arrow schema keeps the width).
        let input = dir.join(format!("{what}.parquet"));
        columns::write_parquet(&input, &batch);
        let output = dir.join(format!("{what}.csv"));
        let stats = score_file(&scorer, &input, &output, &options(false)).unwrap();
        assert_eq!((stats.rows, stats.rejected), (2_000, 0), "{what}");
    }
    // A Decimal256 MRR of 10^45: its row rejected, the others scored.
    let mrr = as_type(&decimal, "mrr", Decimal256(50, 2));
    let mut values: Vec<Option<arrow_buffer::i256>> = mrr
        .as_primitive::<arrow_array::types::Decimal256Type>()
        .iter()
        .collect();
    values[3] = Some(
        arrow_buffer::i256::from_i128(10i128.pow(30))
            .wrapping_mul(arrow_buffer::i256::from_i128(10i128.pow(17))),
    );
    let huge: ArrayRef = Arc::new(
        arrow_array::Decimal256Array::from(values)
            .with_precision_and_scale(50, 2)
            .unwrap(),
    );
    let got = score_batch(
        &scorer,
        &with_columns(&decimal, &[("mrr", huge)]),
        &options(false),
    )
    .unwrap();
    let error = got.column_by_name("error").unwrap().as_string::<i32>();
    assert_eq!(error.null_count(), 1_999);
    assert!(
        error
            .value(3)
            .starts_with(&format!("account {}: mrr: ", c.ids[3])),
        "{}",
        error.value(3)
    );
    // Half floats: the metric's values as f16 holds them, as Float64.
    let metric = v0m::METRICS[0];
    let half = as_type(&canonical, metric, Float16);
    let widened = arrow_cast::cast(&half, &Float64).unwrap();
    assert_same(
        &score_batch(
            &scorer,
            &with_columns(&canonical, &[(metric, half)]),
            &options(false),
        )
        .unwrap(),
        &score_batch(
            &scorer,
            &with_columns(&canonical, &[(metric, widened)]),
            &options(false),
        )
        .unwrap(),
        "Float16",
    );
}
