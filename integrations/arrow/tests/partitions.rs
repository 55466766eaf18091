//! A table partitioned by columns, as Spark's `partitionBy` and pyarrow's
//! hive-flavoured `write_dataset` lay it out
//! (`accounts/as_of=2026-11-30/region=EU%2FWest/part-0.parquet`): each
//! part's rows get their partition values back as text columns, and the
//! table scores as the one file with those columns does.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{Array, ArrayRef, StringArray, UInt32Array};
use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Options};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A results row: score (millionths), as-of day, error.
type Row = (Option<i128>, Option<i32>, Option<String>);

/// Per id of a Parquet results file, its row.
fn by_id(path: &Path) -> BTreeMap<i64, Row> {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap();
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let (id, score, as_of, error) = (col("id"), col("score"), col("as_of"), col("error"));
        let (id, score) = (
            id.as_primitive::<Int64Type>(),
            score.as_primitive::<Decimal128Type>(),
        );
        let (as_of, error) = (as_of.as_primitive::<Date32Type>(), error.as_string::<i32>());
        for r in 0..batch.num_rows() {
            let cell = |a: &dyn Array| a.is_valid(r);
            rows.insert(
                id.value(r),
                (
                    cell(score).then(|| score.value(r)),
                    cell(as_of).then(|| as_of.value(r)),
                    cell(error).then(|| error.value(r).to_string()),
                ),
            );
        }
    }
    rows
}

#[test]
fn a_partitioned_table_scores_as_the_table_with_its_partition_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let n = 3_000;
    let base = v0m_arrow::record_batch(&v0m::generate(n, 23), Vec::new());
    let days = ["2026-11-30", "2026-12-01"];
    // A value with a `/` (escaped in the directory's name), and a null
    // one (Hive's default partition).
    let regions = [Some("EU/West"), Some("US"), None];
    let whole = columns::with_columns(
        &base,
        &[
            (
                "as_of",
                Arc::new(StringArray::from_iter_values((0..n).map(|i| days[i % 2]))) as ArrayRef,
            ),
            (
                "region",
                Arc::new(StringArray::from_iter((0..n).map(|i| regions[i % 3]))),
            ),
        ],
    );
    let whole_file = d.join("whole.parquet");
    columns::write_parquet(&whole_file, &whole);
    let table = d.join("accounts");
    for (a, day) in days.iter().enumerate() {
        for (r, region) in regions.iter().enumerate() {
            let rows: Vec<u32> = (0..n)
                .filter(|i| i % 2 == a && i % 3 == r)
                .map(|i| u32::try_from(i).unwrap())
                .collect();
            let part =
                arrow_select::take::take_record_batch(&base, &UInt32Array::from(rows)).unwrap();
            let name = region.map_or("__HIVE_DEFAULT_PARTITION__".to_string(), |r| {
                r.replace('/', "%2F")
            });
            let dir = table
                .join(format!("as_of={day}"))
                .join(format!("region={name}"));
            std::fs::create_dir_all(&dir).unwrap();
            columns::write_parquet(&dir.join("part-0.parquet"), &part);
        }
    }
    std::fs::write(table.join("_SUCCESS"), "").unwrap();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let options = Options {
        history: true,
        ..Options::default()
    };
    let (from_whole, from_parts) = (d.join("whole-out.parquet"), d.join("parts-out.parquet"));
    score_file(&scorer, &whole_file, &from_whole, &options).unwrap();
    let stats = score_file(&scorer, &table, &from_parts, &options).unwrap();
    assert_eq!((stats.rows, stats.rejected), (n as u64, 0));
    let (whole, parts) = (by_id(&from_whole), by_id(&from_parts));
    assert_eq!(whole.len(), n);
    assert!(whole == parts, "the partitioned table scores otherwise");
    // Each row as of its partition's day, not one day for all.
    let days: std::collections::BTreeSet<Option<i32>> = parts.values().map(|r| r.1).collect();
    let (nov30, dec1) = (20_787, 20_788); // days from 1970-01-01
    assert_eq!(
        days.into_iter().collect::<Vec<_>>(),
        [Some(nov30), Some(dec1)]
    );
}

#[test]
fn what_is_not_one_partitioned_table_is_refused_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let part = d.join("one.parquet");
    columns::write_parquet(
        &part,
        &v0m_arrow::record_batch(&v0m::generate(10, 1), Vec::new()),
    );
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let options = v0m_arrow::options(false);
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "plain-dir",
            &["x/a.parquet"],
            "x/ is a directory, not a partition (key=value/)",
        ),
        (
            "beside",
            &["a.parquet", "d=1/a.parquet"],
            "a.parquet is beside partitions (key=value/): not one table",
        ),
        (
            "uneven",
            &["d=1/a.parquet", "d=2/e=3/a.parquet"],
            "is partitioned by d, ",
        ),
    ];
    for (name, files, said) in cases {
        let dir = d.join(name);
        for f in files {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::copy(&part, &path).unwrap();
        }
        let out = d.join(format!("{name}.csv"));
        let e = score_file(&scorer, &dir, &out, &options)
            .unwrap_err()
            .to_string();
        assert!(e.contains(said) && e.contains(name), "{name}: {e}");
        assert!(!out.exists());
    }
}

/// A history of dated scores partitioned by date (`as_of=2026-11-30/`, the
/// files without the column) reads as the same rows with their dates.
#[test]
fn dated_scores_partitioned_by_date_read_their_dates_from_the_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("history");
    for (day, band) in [("2026-11-30", "red"), ("2026-12-31", "green")] {
        let dir = history.join(format!("as_of={day}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("part-0.csv"),
            format!("id,score,band,mrr\na,50,{band},10\nb,60,{band},20\n"),
        )
        .unwrap();
    }
    let mut read = Vec::new();
    healthscore_arrow::read_dated_scores(&history, |file, n, row| {
        let healthscore_arrow::DatedRow::Score(s) = row else {
            panic!("{} row {n}: {row:?}", file.display())
        };
        read.push((s.account, s.date.to_string(), s.band.to_string()));
    })
    .unwrap();
    let row = |a: &str, d: &str, b: &str| (a.to_string(), d.to_string(), b.to_string());
    assert_eq!(
        read,
        [
            row("a", "2026-11-30", "red"),
            row("b", "2026-11-30", "red"),
            row("a", "2026-12-31", "green"),
            row("b", "2026-12-31", "green"),
        ]
    );
}
