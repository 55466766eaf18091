//! `Options::history`: each scored row's `as_of` and `mrr` in the
//! results, of the input's MRR type, null in rejected rows; and the
//! results tables read back as dated scores (`read_dated_scores`), as a
//! back-test reads them, equal to the row API's own `DatedScore`s.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/ipc.rs"]
mod ipc;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::Date32Type;
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Decimal256Array, Decimal64Array, Int32Array, RecordBatch,
    StringArray,
};
use arrow_schema::DataType;
use chrono::NaiveDate;
use healthscore::backtest::{DatedOutcome, DatedScore, Outcome};
use healthscore::batch::Scorer;
use healthscore_arrow::{
    read_accounts, read_dated_outcomes, read_dated_scores, result_fields, score_batch, score_file,
    DatedRow, Options,
};
use std::sync::Arc;

fn history() -> Options {
    Options {
        history: true,
        ..v0m_arrow::options(false)
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Three v0m accounts with `mrr` (and `extra` columns) as given.
fn three(mrr: ArrayRef, extra: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let batch = v0m_arrow::record_batch(&v0m::generate(3, 11), extra);
    columns::with_columns(&batch, &[("mrr", mrr)])
}

fn dates(out: &RecordBatch) -> Vec<Option<NaiveDate>> {
    let a = out
        .column_by_name("as_of")
        .unwrap()
        .as_primitive::<Date32Type>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value_as_date(i).unwrap()))
        .collect()
}

/// Row `row` of column `name` as text (`None` for a null).
fn cell(out: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let column = out.column_by_name(name).unwrap();
    column
        .is_valid(row)
        .then(|| arrow_cast::display::array_value_to_string(column, row).unwrap())
}

fn amounts(out: &RecordBatch) -> Vec<Option<String>> {
    (0..out.num_rows()).map(|i| cell(out, "mrr", i)).collect()
}

#[test]
fn the_results_carry_the_date_and_mrr_each_row_was_scored_with() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    // Cents at scale 2; the third row has none and is rejected.
    let mrr = Decimal128Array::from(vec![Some(120_050), Some(4_500), None])
        .with_precision_and_scale(12, 2)
        .unwrap();
    let out = score_batch(&scorer, &three(Arc::new(mrr), Vec::new()), &history()).unwrap();
    let names: Vec<&str> = out
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names[..5], ["id", "as_of", "mrr", "score", "band"]);
    assert_eq!(
        out.column_by_name("mrr").unwrap().data_type(),
        &DataType::Decimal128(12, 2)
    );
    let as_of = v0m::day();
    assert_eq!(dates(&out), [Some(as_of), Some(as_of), None]);
    assert_eq!(
        amounts(&out),
        [Some("1200.50".into()), Some("45.00".into()), None]
    );
    assert!(cell(&out, "error", 2).unwrap().contains("mrr: missing"));
    // Without the option, neither column (the schema the issue lists).
    let plain = score_batch(
        &scorer,
        &three(Arc::new(Int32Array::from(vec![1, 2, 3])), Vec::new()),
        &v0m_arrow::options(false),
    )
    .unwrap();
    assert!(plain.column_by_name("as_of").is_none() && plain.column_by_name("mrr").is_none());
    let fields: Vec<String> = result_fields(&history())
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(fields[..3], ["as_of", "mrr", "score"]);
}

#[test]
fn the_mrr_column_keeps_the_input_s_type_where_it_is_a_number() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    // (input, the results' type, the amounts as text)
    let cases: Vec<(ArrayRef, DataType, [&str; 3])> = vec![
        (
            Arc::new(Int32Array::from(vec![1200, 0, 7])),
            DataType::Decimal128(19, 0),
            ["1200", "0", "7"],
        ),
        (
            Arc::new(
                Decimal64Array::from(vec![120_050, 5, 0])
                    .with_precision_and_scale(10, 3)
                    .unwrap(),
            ),
            DataType::Decimal128(10, 3),
            ["120.050", "0.005", "0.000"],
        ),
        // Text as the amount it reads (no spaces; its own decimals).
        (
            Arc::new(StringArray::from(vec![" 1200.50 ", "99", "0.0001"])),
            DataType::Utf8,
            ["1200.50", "99", "0.0001"],
        ),
        // `Decimal256` is read as its text.
        (
            Arc::new(
                Decimal256Array::from(vec![
                    arrow_buffer::i256::from_i128(1_234),
                    arrow_buffer::i256::from_i128(10),
                    arrow_buffer::i256::from_i128(0),
                ])
                .with_precision_and_scale(40, 2)
                .unwrap(),
            ),
            DataType::Utf8,
            ["12.34", "0.10", "0.00"],
        ),
    ];
    for (mrr, want, text) in cases {
        let given = mrr.data_type().clone();
        let out = score_batch(&scorer, &three(mrr, Vec::new()), &history()).unwrap();
        assert_eq!(
            out.column_by_name("mrr").unwrap().data_type(),
            &want,
            "{given}"
        );
        let text: Vec<Option<String>> = text.iter().map(|t| Some(t.to_string())).collect();
        assert_eq!(amounts(&out), text, "{given}");
    }
}

#[test]
fn as_of_is_the_row_s_own_date_where_the_input_has_one() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let cents = Decimal128Array::from(vec![100, 200, 300])
        .with_precision_and_scale(12, 2)
        .unwrap();
    let as_of: ArrayRef = Arc::new(StringArray::from(vec![
        Some("2026-11-30 13:45:00"),
        Some("not a date"),
        Some("2026-01-02"),
    ]));
    let out = score_batch(
        &scorer,
        &three(Arc::new(cents), vec![("as_of", as_of)]),
        &history(),
    )
    .unwrap();
    // The second row is rejected for its date: both cells null.
    assert_eq!(
        dates(&out),
        [Some(day(2026, 11, 30)), None, Some(day(2026, 1, 2))]
    );
    assert_eq!(
        amounts(&out),
        [Some("1.00".into()), None, Some("3.00".into())]
    );
    assert!(cell(&out, "error", 1).unwrap().contains("as_of"));
}

/// What the row API gives each account as a dated score: the account read
/// from the same file, bound and scored one at a time.
fn row_api_dated(model: &healthscore::Model, path: &std::path::Path) -> Vec<Option<DatedScore>> {
    let mut dated = Vec::new();
    read_accounts(model, path, &v0m_arrow::options(false), |_, rows| {
        for row in rows {
            let record = model.bind(row.unwrap()).unwrap().score().record();
            dated.push(DatedScore::from_record(&record));
        }
        Ok::<(), healthscore_arrow::Error>(())
    })
    .unwrap();
    dated
}

#[test]
fn a_results_table_reads_back_as_the_row_api_s_dated_scores() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let accounts = dir.join("accounts.parquet");
    let mut c = v0m::generate(3_000, 5);
    // Every tenth account without data: no band, left out of a back-test.
    for valid in &mut c.valid {
        for v in valid.iter_mut().step_by(10) {
            *v = false;
        }
    }
    v0m_arrow::write_parquet(&accounts, &v0m_arrow::record_batch(&c, Vec::new()), 1_000);
    let expected = row_api_dated(&model, &accounts);
    assert_eq!(expected.len(), 3_000);
    assert!(
        expected.iter().any(Option::is_none),
        "some account is short of data"
    );
    for ext in ["parquet", "csv", "arrow", "jsonl"] {
        let out = dir.join(format!("results.{ext}"));
        score_file(&scorer, &accounts, &out, &history()).unwrap();
        if ext == "jsonl" {
            // Not a table: JSON lines are the CLI's to read.
            assert!(read_dated_scores(&out, |_, _, _| {}).is_err());
            continue;
        }
        let mut read = Vec::new();
        let files = read_dated_scores(&out, |_, n, row| {
            assert_eq!(n, read.len() as u64 + 1);
            read.push(match row {
                DatedRow::Score(s) => Some(s),
                DatedRow::Unbanded => None,
                other => panic!("{ext} row {n}: {other:?}"),
            });
        })
        .unwrap();
        assert_eq!(read, expected, "{ext}");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].rows, 3_000);
        // CSV keeps no metadata.
        let print = model.fingerprint();
        let named = format!("{} {} ({:016x})", print.name, print.version, print.hash);
        assert_eq!(files[0].model, (ext != "csv").then_some(named), "{ext}");
    }
}

#[test]
fn a_table_of_dated_scores_says_which_cell_it_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let csv = dir.join("scores.csv");
    std::fs::write(
        &csv,
        "account,date,score,band,mrr\n\
         a,2026-11-01,71.25,LIME,10\n\
         b,2026-11-01,100.5,green,10\n\
         c,2026-11-01,50,blue,10\n\
         d,2026-11-01,50,red,-1\n\
         e,2026-11-01,50.1234567,red,1\n\
         f,2026-11-01,50,red\n\
         g,,50,red,1\n",
    )
    .unwrap();
    let mut rows = Vec::new();
    read_dated_scores(&csv, |_, n, row| rows.push((n, row))).unwrap();
    let why = |n: usize| match &rows[n].1 {
        DatedRow::Unreadable(why) => why.clone(),
        other => panic!("{other:?}"),
    };
    let DatedRow::Score(a) = &rows[0].1 else {
        panic!("{:?}", rows[0])
    };
    assert_eq!(
        (a.band, a.score.micros(), a.mrr.to_string()),
        (healthscore::Band::Lime, 71_250_000, "10".to_string())
    );
    assert_eq!(why(1), "score: 100.5 is outside the range 0..=100");
    assert_eq!(
        why(2),
        "band: \"blue\" is not a band (green, lime, yellow or red)"
    );
    assert_eq!(why(3), "mrr: -1 is negative: MRR is never below zero");
    assert!(why(4).starts_with("score: "), "{}", why(4));
    assert_eq!(
        why(5),
        "line 7 has 4 fields, the header 5 (a value with an unquoted comma, or a field missing)"
    );
    assert_eq!(why(6), "as_of: missing");
    // A table without a column the back-test needs is refused, naming it.
    let short = dir.join("short.csv");
    std::fs::write(&short, "id,as_of,score,band\na,2026-11-01,50,red\n").unwrap();
    let e = read_dated_scores(&short, |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("short.csv") && e.contains("mrr: not there"),
        "{e}"
    );
    // A band as a spreadsheet cell may hold it: read, as accounts'
    // `previous_band` is.
    let padded = dir.join("padded.csv");
    std::fs::write(
        &padded,
        "id,as_of,score,band,mrr\na,2026-11-01,50,\" Green \",1\n",
    )
    .unwrap();
    let mut bands = Vec::new();
    read_dated_scores(&padded, |_, _, row| bands.push(row)).unwrap();
    assert!(
        matches!(&bands[..], [DatedRow::Score(s)] if s.band == healthscore::Band::Green),
        "{bands:?}"
    );
    // An empty file (a night's export that wrote nothing): refused,
    // saying what a file of scores or outcomes holds, not accounts.
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let e = read_dated_scores(&empty, |_, _, _| {}).unwrap_err();
    assert!(
        matches!(e, healthscore_arrow::Error::EmptyTable { .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the file is empty, without a header line: expected a header of column names (id, as_of, score, band, mrr) and a line per score",
            empty.display()
        )
    );
    let e = healthscore_arrow::read_dated_outcomes(&empty, |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("(account, date, outcome) and a line per outcome"),
        "{e}"
    );
}

#[test]
fn outcomes_read_from_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let batch = RecordBatch::try_from_iter([
        (
            "account",
            Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(arrow_array::Date32Array::from(vec![
                20_000, 20_001, 20_002, 20_003,
            ])),
        ),
        (
            "outcome",
            Arc::new(StringArray::from(vec![
                "churned", "Expanded", "renewed", "expanded",
            ])),
        ),
        (
            "mrr",
            Arc::new(
                Decimal128Array::from(vec![Some(50_000), Some(1_250), None, None])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
    ])
    .unwrap();
    let path = dir.join("outcomes.parquet");
    columns::write_parquet(&path, &batch);
    let mut rows = Vec::new();
    read_dated_outcomes(&path, |_, n, row| rows.push((n, row))).unwrap();
    let on = |days: i64| day(1970, 1, 1) + chrono::Days::new(days as u64);
    assert_eq!(
        rows,
        [
            (
                1,
                Ok(DatedOutcome {
                    account: "a".into(),
                    date: on(20_000),
                    outcome: Outcome::Churned
                })
            ),
            (
                2,
                Ok(DatedOutcome {
                    account: "b".into(),
                    date: on(20_001),
                    outcome: Outcome::Expanded {
                        mrr: rust_decimal::Decimal::new(1_250, 2)
                    }
                })
            ),
            (
                3,
                Ok(DatedOutcome {
                    account: "c".into(),
                    date: on(20_002),
                    outcome: Outcome::Renewed
                })
            ),
            (
                4,
                Err("mrr: missing (an expansion's added MRR)".to_string())
            ),
        ]
    );
}

/// A part whose `mrr` column holds no value at all (pandas writes an
/// all-`None` column as Arrow's `Null` type) rejects its rows; its
/// results' `mrr` are nulls of the file's type, not a schema the writer
/// refuses.
#[test]
fn a_part_without_mrr_values_writes_nulls_of_the_table_s_type() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let tmp = tempfile::tempdir().unwrap();
    let parts = tmp.path().join("accounts");
    std::fs::create_dir_all(&parts).unwrap();
    let mut c = v0m::generate(200, 9);
    let first = v0m_arrow::record_batch(&c, Vec::new());
    c.ids.iter_mut().for_each(|id| *id += 1_000);
    let second = v0m_arrow::record_batch(&c, Vec::new());
    let second = columns::with_columns(
        &second,
        &[(
            "mrr",
            Arc::new(arrow_array::NullArray::new(200)) as ArrayRef,
        )],
    );
    columns::write_parquet(&parts.join("part-0.parquet"), &first);
    columns::write_parquet(&parts.join("part-1.parquet"), &second);
    for ext in ["parquet", "arrow", "csv"] {
        let out = tmp.path().join(format!("results.{ext}"));
        let stats = score_file(&scorer, &parts, &out, &history()).unwrap();
        assert_eq!((stats.rows, stats.rejected), (400, 200), "{ext}");
    }
    let mut rows = Vec::new();
    read_dated_scores(&tmp.path().join("results.parquet"), |_, _, row| {
        rows.push(row)
    })
    .unwrap();
    assert_eq!(rows.len(), 400);
    assert!(rows[200..]
        .iter()
        .all(|r| matches!(r, DatedRow::Rejected(e) if e.contains("mrr: missing"))));
}

/// Dates past the years a date holds, in each type a table may keep them
/// in: each rejects its row with its value as the column gives it, never
/// the file (Arrow's own cast of such a timestamp fails the whole batch).
#[test]
fn a_date_past_the_years_rejects_its_row_not_the_table() {
    use arrow_array::{Date32Array, Date64Array, TimestampNanosecondArray, TimestampSecondArray};
    let tmp = tempfile::tempdir().unwrap();
    let near = 20_423; // 2025-12-01
    let dates: Vec<(ArrayRef, &str)> = vec![
        (
            Arc::new(TimestampSecondArray::from(vec![near * 86_400, i64::MAX]).with_timezone("Asia/Tokyo")),
            "as_of: 9223372036854775807 seconds from 1970-01-01 is outside the years 1 to 9999",
        ),
        (
            Arc::new(TimestampSecondArray::from(vec![near * 86_400, i64::MIN])),
            "as_of: -9223372036854775808 seconds from 1970-01-01 is outside the years 1 to 9999",
        ),
        (
            Arc::new(Date64Array::from(vec![near * 86_400_000, i64::MAX])),
            "as_of: 9223372036854775807 milliseconds from 1970-01-01 is outside the years 1 to 9999",
        ),
        (
            Arc::new(Date32Array::from(vec![near as i32, 3_000_000])),
            "as_of: +10183-09-21 is outside the years 1 to 9999",
        ),
        // A zoned timestamp's day is its day in its zone.
        (
            Arc::new(
                TimestampNanosecondArray::from(vec![near * 86_400 * 1_000_000_000 + 1, 0])
                    .with_timezone("America/New_York"),
            ),
            "",
        ),
    ];
    for (i, (as_of, why)) in dates.into_iter().enumerate() {
        let given = as_of.data_type().clone();
        let batch = RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            ("as_of", as_of),
            ("score", Arc::new(StringArray::from(vec!["50", "60"]))),
            ("band", Arc::new(StringArray::from(vec!["red", "lime"]))),
            ("mrr", Arc::new(StringArray::from(vec!["1", "2"]))),
        ])
        .unwrap();
        let path = tmp.path().join(format!("dates-{i}.arrow"));
        ipc::write_ipc(&path, &batch, 2, false, None);
        let mut rows = Vec::new();
        read_dated_scores(&path, |_, _, row| rows.push(row)).unwrap();
        let DatedRow::Score(first) = &rows[0] else {
            panic!("{given}: {:?}", rows[0])
        };
        if why.is_empty() {
            // 2025-12-01 00:00 UTC is 2025-11-30 in New York.
            assert_eq!(first.date, day(2025, 11, 30), "{given}");
            continue;
        }
        assert_eq!(first.date, day(2025, 12, 1), "{given}");
        assert_eq!(rows[1], DatedRow::Unreadable(why.to_string()), "{given}");
    }
}

/// Dates as text (a CSV's, a partition's `as_of`) are parsed once a run
/// of equal cells: each row still gets its own date or its own reason,
/// a bad cell between two good ones of the same text included, and the
/// run after a bad cell is read again (not taken from the bad one).
#[test]
fn dates_as_text_are_read_row_by_row_whatever_the_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let as_of = [
        Some("2026-11-01"),
        Some("2026-11-01"),
        Some(" 2026-11-01 "),
        Some("2026-13-01"),
        Some("2026-13-01"),
        Some("2026-11-01"),
        None,
        Some("  "),
        Some("2026-11-02"),
        Some("0000-12-31"),
        Some("2026-11-02T06:00:00"),
    ];
    let n = as_of.len();
    let ids: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
        ("as_of", Arc::new(StringArray::from(as_of.to_vec()))),
        ("score", Arc::new(StringArray::from(vec!["50"; n]))),
        ("band", Arc::new(StringArray::from(vec!["red"; n]))),
        ("mrr", Arc::new(StringArray::from(vec!["1"; n]))),
    ])
    .unwrap();
    let path = tmp.path().join("text-dates.arrow");
    ipc::write_ipc(&path, &batch, n, false, None);
    let mut rows = Vec::new();
    read_dated_scores(&path, |_, _, row| rows.push(row)).unwrap();
    let read: Vec<Result<NaiveDate, String>> = rows
        .into_iter()
        .map(|r| match r {
            DatedRow::Score(s) => Ok(s.date),
            DatedRow::Unreadable(why) => Err(why),
            other => panic!("{other:?}"),
        })
        .collect();
    let bad = |t: &str| Err(format!("as_of: {t:?} is not a date"));
    let missing = || Err("as_of: missing".to_string());
    let expected = vec![
        Ok(day(2026, 11, 1)),
        Ok(day(2026, 11, 1)),
        Ok(day(2026, 11, 1)),
        bad("2026-13-01"),
        bad("2026-13-01"),
        Ok(day(2026, 11, 1)),
        missing(),
        missing(),
        Ok(day(2026, 11, 2)),
        Err("as_of: 0000-12-31 is outside the years 1 to 9999".to_string()),
        Ok(day(2026, 11, 2)),
    ];
    assert_eq!(read, expected);
}

/// A dictionary-encoded band column (as the results tables write it,
/// each name parsed once) reads row for row as the same bands written as
/// text: null keys, a null or blank name, a name in another case or with
/// spaces, and a name that is no band among them.
#[test]
fn a_dictionary_band_reads_as_its_text_does() {
    use arrow_array::types::Int8Type;
    use arrow_array::{DictionaryArray, Int8Array};
    let tmp = tempfile::tempdir().unwrap();
    let names = StringArray::from(vec![
        Some("lime"),
        Some("blue"),
        Some(" Lime "),
        Some(""),
        None,
        Some("RED"),
    ]);
    let keys = Int8Array::from(vec![
        Some(0),
        Some(1),
        Some(2),
        Some(3),
        None,
        Some(4),
        Some(5),
        Some(0),
    ]);
    let n = keys.len();
    let dictionary: ArrayRef =
        Arc::new(DictionaryArray::<Int8Type>::try_new(keys, Arc::new(names)).unwrap());
    let text = arrow_cast::cast(&dictionary, &DataType::Utf8).unwrap();
    let read = |band: ArrayRef, name: &str| {
        let batch = RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(StringArray::from(
                    (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            ("as_of", Arc::new(StringArray::from(vec!["2026-11-01"; n]))),
            ("score", Arc::new(StringArray::from(vec!["50"; n]))),
            ("band", band),
            ("mrr", Arc::new(StringArray::from(vec!["1"; n]))),
        ])
        .unwrap();
        let path = tmp.path().join(name);
        ipc::write_ipc(&path, &batch, n, false, None);
        let mut rows = Vec::new();
        read_dated_scores(&path, |_, _, row| rows.push(row)).unwrap();
        rows
    };
    let (from_dictionary, from_text) = (read(dictionary, "d.arrow"), read(text, "t.arrow"));
    assert_eq!(from_dictionary, from_text);
    let bands: Vec<String> = from_dictionary
        .iter()
        .map(|r| match r {
            DatedRow::Score(s) => s.band.to_string(),
            DatedRow::Unbanded => "-".to_string(),
            DatedRow::Unreadable(why) => why.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        bands,
        [
            "lime",
            "band: \"blue\" is not a band (green, lime, yellow or red)",
            "lime",
            "-",
            "-",
            "-",
            "red",
            "lime"
        ]
    );
}
