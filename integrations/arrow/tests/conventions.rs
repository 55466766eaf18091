//! A record batch whose columns break the conventions, or rows that
//! cannot be read: the column named, the row rejected with why, the rest
//! scored; slices, empty batches and files whose batches differ; text
//! columns of any string type; threads sharing a scorer.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/results.rs"]
mod results;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use healthscore::batch::{Scorer, NONE};
use healthscore::Model;
use healthscore_arrow::{
    account_data, score_batch, score_batch_into, score_file, Error, Options, ScoreBuffers,
};
use results::micros_column;
use std::sync::Arc;
use v0m::model;

/// A results batch's `error` column.
fn errors(batch: &RecordBatch) -> &arrow_array::StringArray {
    batch.column_by_name("error").unwrap().as_string::<i32>()
}

fn options() -> Options {
    v0m_arrow::options(true)
}

/// v0m accounts as a record batch, with a column the model does not read.
fn record_batch(c: &v0m::Columns) -> RecordBatch {
    v0m_arrow::with_region(c)
}

/// The `score` column as millionths (NONE for null).
fn score_micros(out: &RecordBatch) -> Vec<u32> {
    micros_column(out, "score")
}

use arrow_array::Array;
use results::text;

#[test]
fn columns_that_break_the_conventions_are_named() {
    let model = model();
    let c = v0m::generate(10, 3);
    let good = record_batch(&c);
    let scorer = Scorer::new(&model);
    let replace = |name: &str, array: ArrayRef| {
        let columns: Vec<(String, ArrayRef)> = good
            .schema()
            .fields()
            .iter()
            .zip(good.columns())
            .map(|(f, a)| {
                (
                    f.name().clone(),
                    if f.name() == name {
                        array.clone()
                    } else {
                        a.clone()
                    },
                )
            })
            .collect();
        RecordBatch::try_from_iter(columns).unwrap()
    };
    let float_mrr = replace("mrr", Arc::new(Float64Array::from(vec![1.5; 10])));
    let e = score_batch(&scorer, &float_mrr, &options()).unwrap_err();
    assert_eq!(e.to_string(), "column mrr: is Float64, expected Decimal128, Int64 or a decimal string (money is never a float)");
    // A value that cannot be read rejects its row, not the batch.
    let mut employees = vec![7i64; 10];
    employees[2] = -3;
    let negative = replace("employees", Arc::new(Int64Array::from(employees)));
    let out = score_batch(&scorer, &negative, &options()).unwrap();
    let error = errors(&out);
    assert_eq!(
        error.value(2),
        "account 3: employees: -3 is not a count from 0 to 4294967295"
    );
    assert_eq!(error.null_count(), 9);
    assert!(out.column_by_name("score").unwrap().is_null(2));
    assert!(out.column_by_name("segment").unwrap().is_null(2));
    let no_date = score_batch(&scorer, &good, &Options::default()).unwrap_err();
    assert_eq!(
        no_date.to_string(),
        "column as_of: missing, and no as-of date was given"
    );
    // Several columns every account needs: named together (a table of
    // something else), with the columns named like them.
    let renamed = |names: &[(&str, &str)]| {
        let schema = good.schema();
        let columns = schema.fields().iter().zip(good.columns()).map(|(f, a)| {
            let name = names
                .iter()
                .find(|(from, _)| from == f.name())
                .map_or(f.name().as_str(), |(_, to)| to);
            (name.to_string(), a.clone())
        });
        RecordBatch::try_from_iter(columns).unwrap()
    };
    let other = renamed(&[
        ("id", "account"),
        ("employees", "Employees"),
        ("mrr", "arr"),
    ]);
    let e = score_batch(&scorer, &other, &options()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "columns id, mrr, employees: missing (the input has \"Employees\"; column names must match exactly)"
    );
    assert!(
        matches!(&e, Error::Columns { columns, .. } if columns.len() == 3),
        "{e:?}"
    );
    let e = score_batch(&scorer, &other, &Options::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "columns id, mrr, employees, as_of: missing (the input has \"Employees\"; column names must match exactly)"
    );
    let e = account_data(&model, &other, &options()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("columns id, mrr, employees: missing"),
        "{e}"
    );
    // One of them alone, as before: by its name.
    let e = score_batch(&scorer, &renamed(&[("mrr", "MRR")]), &options()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column mrr: missing (the input has \"MRR\"; column names must match exactly)"
    );
    // A metric without a column: the scorer names it.
    let columns: Vec<(String, ArrayRef)> = good
        .schema()
        .fields()
        .iter()
        .zip(good.columns())
        .filter(|(f, _)| f.name() != "nps")
        .map(|(f, a)| (f.name().clone(), a.clone()))
        .collect();
    let e = score_batch(
        &scorer,
        &RecordBatch::try_from_iter(columns).unwrap(),
        &options(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Batch(_)), "{e}");
    assert!(e.to_string().contains("column nps: missing"), "{e}");
    // MRR as text, exact; a bad one names its row.
    let text = replace("mrr", Arc::new(StringArray::from(vec!["12.50"; 10])));
    assert!(score_batch(&scorer, &text, &options()).is_ok());
    let bad = replace("mrr", Arc::new(StringArray::from(vec!["12,50"; 10])));
    let out = score_batch(&scorer, &bad, &options()).unwrap();
    let error = errors(&out);
    assert!(
        error
            .value(0)
            .starts_with("account 1: mrr: \"12,50\" is not a decimal number"),
        "{}",
        error.value(0)
    );
    assert_eq!(out.column_by_name("score").unwrap().null_count(), 10);
    // An observation date missing where there is a value.
    let mut dates: Vec<Option<i32>> = vec![Some(20_000); 10];
    dates[4] = None;
    let with_dates = {
        let mut columns: Vec<(String, ArrayRef)> = good
            .schema()
            .fields()
            .iter()
            .zip(good.columns())
            .map(|(f, a)| (f.name().clone(), a.clone()))
            .collect();
        columns.push((
            "nps__observed_on".into(),
            Arc::new(Date32Array::from(dates)),
        ));
        RecordBatch::try_from_iter(columns).unwrap()
    };
    let out = score_batch(&scorer, &with_dates, &options()).unwrap();
    let error = errors(&out);
    if c.valid[4][4] {
        assert_eq!(
            error.value(4),
            "account 5: nps__observed_on: missing where nps has a value"
        );
    } else {
        assert!(error.is_null(4));
    }
}

/// A null where every account needs a value (id, MRR, employees, as-of)
/// rejects that row with the column's name; the other rows score as they
/// would without it.
#[test]
fn nulls_in_required_columns_reject_their_rows() {
    let model = model();
    let c = v0m::generate(5_000, 31);
    let good = record_batch(&c);
    let scorer = Scorer::new(&model);
    let expected = score_batch(&scorer, &good, &options()).unwrap();
    let mut ids: Vec<Option<i64>> = c.ids.iter().copied().map(Some).collect();
    ids[4_100] = None;
    let mut cents: Vec<Option<i128>> = c.cents.iter().map(|v| Some(i128::from(*v))).collect();
    cents[2] = None;
    cents[4_999] = None;
    let mut employees: Vec<Option<u32>> = c.employees.iter().copied().map(Some).collect();
    employees[2] = None;
    employees[3] = None;
    let mut as_of: Vec<Option<i32>> = vec![Some(20_787); c.len()]; // 2026-11-30
    as_of[4_096] = None;
    let columns: Vec<(String, ArrayRef)> = good
        .schema()
        .fields()
        .iter()
        .zip(good.columns())
        .map(|(f, a)| {
            let a: ArrayRef = match f.name().as_str() {
                "id" => Arc::new(Int64Array::from(ids.clone())),
                "mrr" => Arc::new(
                    arrow_array::Decimal128Array::from(cents.clone())
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
                "employees" => Arc::new(arrow_array::UInt32Array::from(employees.clone())),
                _ => a.clone(),
            };
            (f.name().clone(), a)
        })
        .chain([(
            "as_of".to_string(),
            Arc::new(Date32Array::from(as_of)) as ArrayRef,
        )])
        .collect();
    let holey = RecordBatch::try_from_iter(columns).unwrap();
    let out = score_batch(&scorer, &holey, &options()).unwrap();
    let error = errors(&out);
    let rejected: Vec<(usize, &str)> = (0..out.num_rows())
        .filter(|r| error.is_valid(*r))
        .map(|r| (r, error.value(r)))
        .collect();
    assert_eq!(
        rejected,
        [
            (2, "account 3: mrr: missing; employees: missing"),
            (3, "account 4: employees: missing"),
            (4_096, "account 4097: as_of: missing"),
            (4_100, "row 4101: id: missing"),
            (4_999, "account 5000: mrr: missing"),
        ]
    );
    // A column of nulls rejects every row (in time linear in the rows).
    let all_null =
        RecordBatch::try_from_iter(holey.schema().fields().iter().zip(holey.columns()).map(
            |(f, a)| {
                let a: ArrayRef = if f.name() == "mrr" {
                    arrow_array::new_null_array(a.data_type(), a.len())
                } else {
                    a.clone()
                };
                (f.name().clone(), a)
            },
        ))
        .unwrap();
    let out_all = score_batch(&scorer, &all_null, &options()).unwrap();
    let error_all = errors(&out_all);
    assert_eq!(error_all.null_count(), 0);
    assert_eq!(
        error_all.value(4_100),
        "row 4101: id: missing; mrr: missing"
    );
    // In a stream, a row is named by its place in the whole stream (from
    // 1), not in its batch, nor in the block of the batch it was read in.
    let later = Options {
        first_row: 65_536,
        ..options()
    };
    let out_later = score_batch(&scorer, &all_null, &later).unwrap();
    let error_later = errors(&out_later);
    assert_eq!(
        error_later.value(4_100),
        "row 69637: id: missing; mrr: missing"
    );
    assert_eq!(error_later.value(7), "account 8: mrr: missing");
    // Rows without an order of their own (a SQL engine's) are not numbered.
    let unnumbered = Options {
        unnumbered: true,
        ..later.clone()
    };
    let out_unnumbered = score_batch(&scorer, &all_null, &unnumbered).unwrap();
    let error_unnumbered = errors(&out_unnumbered);
    assert_eq!(error_unnumbered.value(4_100), "id: missing; mrr: missing");
    assert_eq!(error_unnumbered.value(7), "account 8: mrr: missing");
    // A previous band that is not one is its row's problem too.
    let mut bands: Vec<Option<&str>> = vec![None; all_null.num_rows()];
    bands[4_200] = Some("blue");
    let with_bands = with_column(&all_null, "previous_band", bands);
    let out_bands = score_batch(&scorer, &with_bands, &later).unwrap();
    let error_bands = errors(&out_bands);
    assert_eq!(
        error_bands.value(4_200),
        "account 4201: mrr: missing; previous_band: \"blue\" is not a band (green, lime, yellow or red)"
    );
    assert_eq!(error_bands.value(4_201), "account 4202: mrr: missing");
    assert_eq!(error_all.value(7), "account 8: mrr: missing");
    assert_eq!(
        out_all.column_by_name("score").unwrap().null_count(),
        c.len()
    );
    let scores = score_micros(&out);
    let before = score_micros(&expected);
    for (row, (now, was)) in scores.iter().zip(&before).enumerate() {
        if rejected.iter().any(|(r, _)| *r == row) {
            assert_eq!(*now, NONE, "row {row}");
            assert_eq!(text(&out, "band", row), None);
            assert_eq!(text(&out, "segment", row), None);
        } else {
            assert_eq!(now, was, "row {row}");
            assert_eq!(text(&out, "band", row), text(&expected, "band", row));
        }
    }
}

/// `batch` with a text column added (or replaced).
fn with_column(batch: &RecordBatch, name: &str, cells: Vec<Option<&str>>) -> RecordBatch {
    let text: ArrayRef = Arc::new(StringArray::from(cells));
    columns::with_columns(batch, &[(name, text)])
}

/// Previous bands are read whatever their case and surrounding spaces; a
/// cell that is not a band rejects its row alone, which is named, and the
/// other rows score as with the band spelt plainly.
#[test]
fn previous_bands_are_read_leniently_and_a_bad_one_rejects_its_row() {
    // v0m with a 5-point hysteresis margin on every scorecard.
    let mut config: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/model-v0m.json")).unwrap();
    for card in config["scorecards"].as_array_mut().unwrap() {
        card["hysteresis"] = serde_json::json!(5);
    }
    let model = Model::new(serde_json::from_value(config).unwrap()).unwrap();
    let c = v0m::generate(300, 5);
    let good = record_batch(&c);
    let scorer = Scorer::new(&model);
    let plain: Vec<Option<&str>> = (0..c.len())
        .map(|r| {
            [
                Some("green"),
                Some("lime"),
                Some("yellow"),
                Some("red"),
                None,
            ][r % 5]
        })
        .collect();
    let loose: Vec<Option<&str>> = (0..c.len())
        .map(|r| {
            [
                Some("GREEN"),
                Some(" Lime"),
                Some("yellow "),
                Some("Red"),
                None,
            ][r % 5]
        })
        .collect();
    let want = score_batch(
        &scorer,
        &with_column(&good, "previous_band", plain),
        &options(),
    )
    .unwrap();
    let mut bad = loose.clone();
    bad[7] = Some("purple");
    // Blank (as pandas writes a missing string to Parquet): no previous
    // band, as a null.
    bad[8] = Some(" ");
    let got = score_batch(
        &scorer,
        &with_column(&good, "previous_band", bad),
        &options(),
    )
    .unwrap();
    let error = errors(&got);
    assert_eq!(
        error.value(7),
        "account 8: previous_band: \"purple\" is not a band (green, lime, yellow or red)"
    );
    assert!(error.is_null(8), "{}", error.value(8));
    assert_eq!(error.null_count(), c.len() - 1);
    // Hysteresis holds some previous bands: the results differ from
    // those without any, and equal those with the bands spelt plainly.
    let none = score_batch(&scorer, &good, &options()).unwrap();
    let differs = (0..c.len()).any(|r| text(&none, "band", r) != text(&want, "band", r));
    assert!(differs, "no row's band depends on its previous band");
    let (got_scores, want_scores) = (score_micros(&got), score_micros(&want));
    for row in (0..c.len()).filter(|r| *r != 7 && *r != 8) {
        assert_eq!(
            text(&got, "band", row),
            text(&want, "band", row),
            "row {row}"
        );
        assert_eq!(got_scores[row], want_scores[row], "row {row}");
    }
    assert_eq!(text(&got, "band", 7), None);
    assert_eq!(text(&got, "band", 8), text(&none, "band", 8));
    assert_eq!(score_micros(&got)[8], score_micros(&none)[8]);
}

#[test]
fn a_bad_row_is_reported_in_its_row() {
    let model = model();
    let mut c = v0m::generate(10, 5);
    c.values[6][3] = 1.7;
    c.valid[6][3] = true;
    let out = score_batch(&Scorer::new(&model), &record_batch(&c), &options()).unwrap();
    let error = errors(&out);
    assert_eq!(
        error.value(3),
        "account 4: weekly_active_ratio: ratio number 1.7 is outside 0..=1"
    );
    assert!(out.column_by_name("score").unwrap().is_null(3));
    assert_eq!(error.null_count(), 9);
}

/// A slice of a record batch (Arrow's offsets into shared buffers, as a
/// reader hands out) scores as the same rows of the whole batch; an empty
/// batch scores to an empty result.
#[test]
fn slices_and_empty_batches() {
    let model = model();
    let c = v0m::generate(1_000, 13);
    let whole = record_batch(&c);
    let scorer = Scorer::new(&model);
    let all = score_batch(&scorer, &whole, &options()).unwrap();
    for (offset, len) in [(0, 1_000), (3, 500), (517, 483), (999, 1), (1_000, 0)] {
        let part = score_batch(&scorer, &whole.slice(offset, len), &options()).unwrap();
        assert_eq!(part.num_rows(), len);
        assert_eq!(
            score_micros(&part),
            score_micros(&all)[offset..offset + len],
            "slice {offset}+{len}"
        );
        for i in 0..len {
            assert_eq!(text(&part, "band", i), text(&all, "band", offset + i));
        }
    }
}

/// Every output batch has one schema, so a file whose first batch is clean
/// and whose second has a rejected row (nulls the first had none of) is
/// written whole; a file with no accounts gives a valid, empty output.
#[test]
fn files_whose_batches_differ_and_files_with_no_rows() {
    let model = model();
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-arrow-b-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let mut c = v0m::generate(70_000, 17);
    let last = c.len() - 1;
    c.values[6][last] = 1.7;
    c.valid[6][last] = true;
    let write = |path: &std::path::Path, batch: &RecordBatch| {
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(path).unwrap(),
            batch.schema(),
            None,
        )
        .unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    };
    let batch = record_batch(&c);
    let input = dir.join("accounts.parquet");
    write(&input, &batch);
    let scorer = Scorer::new(&model);
    for ext in ["parquet", "csv", "jsonl"] {
        let output = dir.join(format!("scores.{ext}"));
        let stats = score_file(&scorer, &input, &output, &options()).unwrap();
        let batches = 70_000usize.div_ceil(healthscore_arrow::FILE_BATCH_ROWS) as u64;
        assert!(batches >= 2);
        assert_eq!(
            (stats.rows, stats.batches, stats.rejected),
            (70_000, batches, 1)
        );
    }
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(dir.join("scores.parquet")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let rows: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 70_000);
    let tail = rows.last().unwrap();
    let error = errors(tail);
    assert_eq!(
        error.value(tail.num_rows() - 1),
        format!(
            "account {}: weekly_active_ratio: ratio number 1.7 is outside 0..=1",
            c.ids[last]
        )
    );

    // No accounts: a Parquet file with the result schema and no rows, a
    // CSV file with its header line, an empty JSON-lines file.
    let empty = dir.join("empty.parquet");
    write(&empty, &batch.slice(0, 0));
    for ext in ["parquet", "csv", "jsonl"] {
        let output = dir.join(format!("none.{ext}"));
        let stats = score_file(&scorer, &empty, &output, &options()).unwrap();
        assert_eq!(stats.rows, 0);
    }
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(dir.join("none.parquet")).unwrap(),
    )
    .unwrap();
    let names: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("id"));
    assert_eq!(names.last().map(String::as_str), Some("error"));
    let csv = std::fs::read_to_string(dir.join("none.csv")).unwrap();
    assert!(csv.starts_with("id,score,band,"), "{csv:?}");
    assert_eq!(std::fs::read_to_string(dir.join("none.jsonl")).unwrap(), "");
}

/// Text convention columns as `Utf8View` (DataFusion's Parquet strings)
/// or `LargeUtf8` score as `Utf8`; the results keep the input's `id`.
#[test]
fn text_columns_of_any_string_type() {
    let model = model();
    let c = v0m::generate(200, 19);
    let base = record_batch(&c);
    let scorer = Scorer::new(&model);
    let want = score_micros(&score_batch(&scorer, &base, &options()).unwrap());
    let ids: Vec<String> = c.ids.iter().map(|i| format!("acct-{i}")).collect();
    let mrr: Vec<String> = c
        .cents
        .iter()
        .map(|v| format!("{}.{:02}", v / 100, v % 100))
        .collect();
    for kind in ["Utf8View", "LargeUtf8"] {
        let (id, mrr): (ArrayRef, ArrayRef) = if kind == "Utf8View" {
            (
                Arc::new(arrow_array::StringViewArray::from_iter_values(&ids)),
                Arc::new(arrow_array::StringViewArray::from_iter_values(&mrr)),
            )
        } else {
            (
                Arc::new(arrow_array::LargeStringArray::from_iter_values(&ids)),
                Arc::new(arrow_array::LargeStringArray::from_iter_values(&mrr)),
            )
        };
        let schema = base.schema();
        let columns: Vec<(String, ArrayRef)> = schema
            .fields()
            .iter()
            .zip(base.columns())
            .map(|(f, a)| {
                let a = match f.name().as_str() {
                    "id" => id.clone(),
                    "mrr" => mrr.clone(),
                    _ => a.clone(),
                };
                (f.name().clone(), a)
            })
            .collect();
        let input = RecordBatch::try_from_iter(columns).unwrap();
        let out = score_batch(&scorer, &input, &options()).unwrap();
        assert_eq!(score_micros(&out), want, "{kind}");
        assert_eq!(
            out.column_by_name("id").unwrap().data_type(),
            id.data_type()
        );
    }
}

/// As a service embeds it: one `Scorer` shared by request threads, each
/// with its own `ScoreBuffers`, scoring its own slices at once; the results
/// (and errors, which cross threads) are the single-threaded ones.
#[test]
fn request_threads_share_a_scorer_each_with_its_buffers() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<ScoreBuffers>();
    shared::<Options>();
    shared::<Error>();
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(8_000, 37);
    let batch = record_batch(&c);
    let whole = score_batch(&scorer, &batch, &options()).unwrap();
    let parts: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (scorer, batch) = (&scorer, &batch);
                scope.spawn(move || {
                    let mut buffers = ScoreBuffers::new();
                    let mut micros = Vec::new();
                    // Requests of 500 rows, this thread's quarter.
                    for start in (t * 2_000..(t + 1) * 2_000).step_by(500) {
                        let part = batch.slice(start, 500);
                        let out = score_batch_into(scorer, &part, &options(), &mut buffers)
                            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                            .unwrap();
                        micros.extend(score_micros(&out));
                    }
                    micros
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(parts.concat(), score_micros(&whole));
}
