//! Columns given as text (as a CSV file has them): every number and date
//! the scorer reads may come as `Utf8`, and a cell that cannot be read
//! rejects its row, with the column and why, not the batch or the file.

#[path = "support/results.rs"]
mod results;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Date32Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use healthscore::batch::Scorer;
use healthscore_arrow::{score_batch, score_file, Options};
use results::{micros_column, MICROS};
use std::sync::Arc;
use v0m::{day, model};

/// Days since 1970-01-01.
fn days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

/// v0m accounts with an `as_of` column and `nps` observed the day before,
/// dates as `Date32`.
fn typed(c: &v0m::Columns) -> RecordBatch {
    let n = c.len();
    let before = day().pred_opt().unwrap();
    let nps = v0m::METRICS.iter().position(|m| *m == "nps").unwrap();
    let observed = Date32Array::from(
        (0..n)
            .map(|r| c.valid[nps][r].then_some(days(before)))
            .collect::<Vec<_>>(),
    );
    v0m_arrow::record_batch(
        c,
        vec![
            (
                "as_of",
                Arc::new(Date32Array::from(vec![days(day()); n])) as ArrayRef,
            ),
            ("nps__observed_on", Arc::new(observed) as ArrayRef),
        ],
    )
}

/// Every column but `id` and `mrr` cast to `to` (numbers in their
/// shortest round-trip form, dates as `YYYY-MM-DD`).
fn as_text(batch: &RecordBatch, to: &DataType) -> RecordBatch {
    mapped(batch, |name, a| {
        if ["id", "mrr"].contains(&name) {
            a.clone()
        } else {
            arrow_cast::cast(a, to).unwrap()
        }
    })
}

/// `batch` with each column `a` named `name` replaced by `f(name, a)`.
fn mapped(batch: &RecordBatch, f: impl Fn(&str, &ArrayRef) -> ArrayRef) -> RecordBatch {
    RecordBatch::try_from_iter(
        batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, a)| (field.name().clone(), f(field.name(), a))),
    )
    .unwrap()
}

#[test]
fn numbers_and_dates_as_text_score_as_typed_columns() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(3_000, 7);
    let typed = typed(&c);
    let want = score_batch(&scorer, &typed, &Options::default()).unwrap();
    assert_eq!(want.column_by_name("error").unwrap().null_count(), 3_000);
    for to in [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8] {
        let text = as_text(&typed, &to);
        assert_eq!(
            text.column_by_name("nps__observed_on").unwrap().data_type(),
            &to
        );
        let got = score_batch(&scorer, &text, &Options::default()).unwrap();
        for column in MICROS {
            assert_eq!(
                micros_column(&got, column),
                micros_column(&want, column),
                "{to} {column}"
            );
        }
        assert_eq!(got.column_by_name("error").unwrap().null_count(), 3_000);
    }
}

/// A CSV file of seven accounts, one bad cell in each but the first three.
const CSV: &str = "\
id,mrr,employees,as_of,nps__observed_on,previous_score,renewal__date,seats_provisioned_ratio,sso_enabled,integrations_count,exec_sponsor_meetings_90d,nps,support_csat,weekly_active_ratio,feature_breadth_ratio,logins_per_user_30d,value_realized_ratio,quota_utilization_ratio,renewal_days_left
good,100,10,2026-11-30,2026-11-29,55.5,2027-01-01,1.0,TRUE,6,2,40,4.5,0.5,0.5,12,1.0,0.9,120
spaced, 100 , 10 ,2026-11-30, 2026-11-29 ,,,1.0, True ,6,2, 40 ,4.5,0.5,0.5,12,1.0,0.9,120
ones,100,10.0,2026-11-30 08:15:00.000,2026-11-29T23:00:00-05:00,,,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120
metric,100,10,2026-11-30,2026-11-29,,,1.0,yes,6,2,n/a,4.5,0.5,0.5,12,1.0,0.9,120
count,100,-1,2026-11-30,2026-11-29,,,1.0,1,6,2,40,4.5,0.5,0.5,12,1.0,0.9,120
dates,100,10,2026-02-30,2026-11-29,abc,2027-13-01,1.0,1,6,2,40,4.5,0.5,0.5,12,1.0,0.9,120
observed,100,10,2026-11-30,yesterday,,,1.0,1,6,2,40,4.5,0.5,0.5,12,1.0,0.9,120
";

#[test]
fn a_csv_cell_that_cannot_be_read_rejects_its_row_not_the_file() {
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-text-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    // The bad cells come after the 1,000 rows a CSV reader infers its
    // column types from: text there is no reason to refuse the file.
    const FILL: usize = 1_100;
    let (header, rows) = CSV.split_once('\n').unwrap();
    let ones = rows.lines().nth(2).unwrap().split_once(',').unwrap().1;
    let mut text = format!("{header}\n");
    for i in 0..FILL {
        text += &format!("fill-{i},{ones}\n");
    }
    text += rows;
    let input = dir.join("accounts.csv");
    std::fs::write(&input, text).unwrap();
    let output = dir.join("scores.parquet");
    let stats = score_file(&scorer, &input, &output, &Options::default()).unwrap();
    assert_eq!(
        (stats.rows, stats.rejected),
        (FILL as u64 + 7, 4),
        "{stats:?}"
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&output).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let (mut errors, mut scores) = (Vec::new(), Vec::new());
    for batch in reader {
        let batch = batch.unwrap();
        let e = batch.column_by_name("error").unwrap().as_string::<i32>();
        errors.extend(e.iter().map(|e| e.map(str::to_string)));
        scores.extend(micros_column(&batch, "score"));
    }
    assert_eq!(errors.iter().filter(|e| e.is_none()).count(), FILL + 3);
    let (errors, scores) = (errors.split_off(FILL), scores.split_off(FILL));
    let error = |row: usize| errors[row].clone();
    // Text read as numbers, `TRUE` / ` True ` as a flag, `10.0` as a
    // count, timestamps as their date as written, spaces trimmed:
    // the first three accounts are the same and score the same.
    assert_eq!((error(0), error(1), error(2)), (None, None, None));
    assert_eq!((scores[0], scores[1]), (scores[2], scores[2]));
    assert!(scores[0] <= 100_000_000);
    assert_eq!(
        error(3).as_deref(),
        Some(
            "account metric: sso_enabled: \"yes\" is not a flag (true, false, 1 or 0); \
             nps: \"n/a\" is not a number"
        )
    );
    assert_eq!(
        error(4).as_deref(),
        Some("account count: employees: \"-1\" is not a count from 0 to 4294967295")
    );
    assert_eq!(
        error(5).as_deref(),
        Some(
            "account dates: previous_score: \"abc\" is not a score; \
             as_of: \"2026-02-30\" is not a date (YYYY-MM-DD); \
             renewal__date: \"2027-13-01\" is not a date (YYYY-MM-DD)"
        )
    );
    assert_eq!(
        error(6).as_deref(),
        Some("account observed: nps__observed_on: \"yesterday\" is not a date (YYYY-MM-DD)")
    );
    assert_eq!(scores.get(3..), Some(&[healthscore::batch::NONE; 4][..]));
}

#[test]
fn a_text_column_the_scorer_does_not_read_stays_as_it_is() {
    // `region` and `signup__observed_on` (no metric of the model is
    // `signup`) are not the scorer's: whatever they hold, no row is
    // rejected.
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(10, 3);
    let text = || Arc::new(StringArray::from(vec!["n/a"; 10])) as ArrayRef;
    let batch = v0m_arrow::record_batch(
        &c,
        vec![("region", text()), ("signup__observed_on", text())],
    );
    let options = Options {
        as_of: Some(day()),
        ..Options::default()
    };
    let out = score_batch(&scorer, &batch, &options).unwrap();
    assert_eq!(out.column_by_name("error").unwrap().null_count(), 10);
}

#[test]
fn employees_as_whole_floats_are_counts() {
    // A data frame's integer column with a missing value is written as
    // floats: 80.0 is 80 employees; 80.5, -1 and NaN are not counts.
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(8, 11);
    let typed = v0m_arrow::record_batch(&c, Vec::new());
    let mut employees: Vec<Option<f64>> = c.employees.iter().map(|e| Some(f64::from(*e))).collect();
    employees[1] = Some(80.5);
    employees[2] = None;
    employees[3] = Some(-1.0);
    employees[4] = Some(f64::NAN);
    let floats = mapped(&typed, |name, a| {
        if name == "employees" {
            Arc::new(arrow_array::Float64Array::from(employees.clone()))
        } else {
            a.clone()
        }
    });
    let options = Options {
        as_of: Some(day()),
        ..Options::default()
    };
    let want = micros_column(&score_batch(&scorer, &typed, &options).unwrap(), "score");
    let out = score_batch(&scorer, &floats, &options).unwrap();
    let got = micros_column(&out, "score");
    let errors = out.column_by_name("error").unwrap().as_string::<i32>();
    for row in [0, 5, 6, 7] {
        assert_eq!(got[row], want[row], "row {row}");
        assert!(errors.is_null(row));
    }
    let error = |row: usize| errors.value(row).split_once(": ").unwrap().1.to_string();
    assert_eq!(
        error(1),
        "employees: 80.5 is not a count from 0 to 4294967295"
    );
    assert_eq!(error(2), "employees: missing");
    assert_eq!(
        error(3),
        "employees: -1 is not a count from 0 to 4294967295"
    );
    assert_eq!(
        error(4),
        "employees: NaN is not a count from 0 to 4294967295"
    );
}

/// Every column of `batch` cast to `to`.
fn all_as(batch: &RecordBatch, to: &DataType) -> RecordBatch {
    mapped(batch, |_, a| arrow_cast::cast(a, to).unwrap())
}

/// A blank text cell (`""` or spaces, as pandas and pyarrow write a
/// missing string to Parquet) is the null it stands for, in every text
/// column the scorer reads (`Utf8`, `Utf8View` and `LargeUtf8` alike):
/// the same results as the same batch with nulls in those cells.
#[test]
fn blank_text_cells_are_nulls() {
    let model = model();
    let c = v0m::generate(500, 17);
    // Every column as text, id and MRR too.
    let text = all_as(&typed(&c), &DataType::Utf8);
    // Cells made blank in one copy and null in the other.
    let cells = [
        ("id", 3),
        ("mrr", 5),
        ("nps", 7),
        ("nps__observed_on", 7),
        ("weekly_active_ratio", 9),
        ("employees", 11),
    ];
    let with = |blank: bool| {
        let columns: Vec<(String, ArrayRef)> = text
            .schema()
            .fields()
            .iter()
            .zip(text.columns())
            .map(|(f, a)| {
                let a = a.as_string::<i32>();
                let column: StringArray = (0..a.len())
                    .map(|r| {
                        let hit = cells.iter().any(|(n, row)| n == f.name() && *row == r);
                        match (hit, blank) {
                            (true, true) => Some(if r % 2 == 0 { "" } else { "  " }),
                            (true, false) => None,
                            (false, _) => a.is_valid(r).then(|| a.value(r)),
                        }
                    })
                    .collect();
                (f.name().clone(), Arc::new(column) as ArrayRef)
            })
            .collect();
        RecordBatch::try_from_iter(columns).unwrap()
    };
    let options = Options::default();
    let want = score_batch(&Scorer::new(&model), &with(false), &options).unwrap();
    for to in [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8] {
        let blank = all_as(&with(true), &to);
        let got = score_batch(&Scorer::new(&model), &blank, &options).unwrap();
        for name in ["score", "band", "coverage", "error"] {
            let (g, w) = (
                got.column_by_name(name).unwrap(),
                want.column_by_name(name).unwrap(),
            );
            let (g, w) = (
                arrow_cast::cast(g, &DataType::Utf8).unwrap(),
                arrow_cast::cast(w, &DataType::Utf8).unwrap(),
            );
            assert_eq!(g.as_string::<i32>(), w.as_string::<i32>(), "{name}, {to}");
        }
        let error = got.column_by_name("error").unwrap().as_string::<i32>();
        assert_eq!(error.value(3), "row 4: id: missing");
        assert_eq!(error.value(5), "account 6: mrr: missing");
        assert_eq!(error.value(11), "account 12: employees: missing");
        assert!(error.is_null(7) && error.is_null(9), "{to}");
    }
}

/// A column of no values at all, as Arrow's `Null` type (pandas' all-`None`
/// column), declared nullable or not: read as missing in every row, as
/// the same column of typed nulls is; for `mrr`, every row rejected as
/// missing its MRR, not the batch.
#[test]
fn a_column_of_the_null_type_is_missing_in_every_row() {
    let scorer_model = model();
    let scorer = Scorer::new(&scorer_model);
    let options = Options {
        as_of: Some(day()),
        ..Options::default()
    };
    let batch = typed(&v0m::generate(500, 8));
    let n = batch.num_rows();
    let with = |name: &str, column: ArrayRef, nullable: bool| {
        let schema = batch.schema();
        let fields: Vec<arrow_schema::Field> = schema
            .fields()
            .iter()
            .map(|f| match f.name() == name {
                true => arrow_schema::Field::new(name, column.data_type().clone(), nullable),
                false => f.as_ref().clone(),
            })
            .collect();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, c)| {
                if f.name() == name {
                    column.clone()
                } else {
                    c.clone()
                }
            })
            .collect();
        RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns).unwrap()
    };
    let typed_nulls: ArrayRef = Arc::new(arrow_array::Float64Array::new_null(n));
    let want = score_batch(&scorer, &with("nps", typed_nulls, true), &options).unwrap();
    for nullable in [true, false] {
        let nulls: ArrayRef = Arc::new(arrow_array::NullArray::new(n));
        let got = score_batch(&scorer, &with("nps", nulls.clone(), nullable), &options).unwrap();
        assert_eq!(got.columns(), want.columns(), "nullable {nullable}");
        let no_mrr = score_batch(&scorer, &with("mrr", nulls, nullable), &options).unwrap();
        let errors = no_mrr.column_by_name("error").unwrap().as_string::<i32>();
        assert_eq!(errors.null_count(), 0);
        assert!(
            errors.value(0).ends_with("mrr: missing"),
            "{}",
            errors.value(0)
        );
    }
}

/// A huge cell (a broken export's field of megabytes, a JSON blob in the
/// wrong column) is quoted by its start and length in its row's error,
/// not whole: every column read as text, and a band.
#[test]
fn a_huge_cell_is_quoted_by_its_start_and_length() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(5, 3);
    let text = as_text(&typed(&c), &DataType::Utf8);
    let huge = "9x".repeat(50_000);
    let replaced = |column: &str, row: usize| {
        mapped(&text, |name, a| {
            if name != column {
                return a.clone();
            }
            let mut cells: Vec<Option<String>> = arrow_cast::cast(a, &DataType::Utf8)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.map(str::to_string))
                .collect();
            cells[row] = Some(huge.clone());
            Arc::new(StringArray::from(cells))
        })
    };
    let options = Options {
        as_of: Some(day()),
        ..Options::default()
    };
    let start = format!("\"{}…\" (100000 characters)", "9x".repeat(20));
    for name in ["mrr", "employees", "nps", "as_of", "nps__observed_on"] {
        let out = score_batch(&scorer, &replaced(name, 2), &options).unwrap();
        let errors = out.column_by_name("error").unwrap().as_string::<i32>();
        let error = errors.value(2);
        assert!(
            error.contains(&format!("{name}: {start} is not")),
            "{name}: {error:.300}"
        );
        assert!(error.len() < 200, "{name}: {error:.300}");
    }
    // A band read from text (`previous_band`).
    let bands: ArrayRef = Arc::new(StringArray::from(vec![
        None,
        None,
        Some(huge.as_str()),
        None,
        None,
    ]));
    let mut columns: Vec<(String, ArrayRef)> = text
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .zip(text.columns().iter().cloned())
        .collect();
    columns.push(("previous_band".into(), bands));
    let out = score_batch(
        &scorer,
        &RecordBatch::try_from_iter(columns).unwrap(),
        &options,
    )
    .unwrap();
    let error = out
        .column_by_name("error")
        .unwrap()
        .as_string::<i32>()
        .value(2)
        .to_string();
    assert!(
        error.ends_with(&format!(
            "previous_band: {start} is not a band (green, lime, yellow or red)"
        )),
        "{error:.300}"
    );
}
