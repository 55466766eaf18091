//! A directory of parts (a warehouse's or Spark's export of one table in
//! several files, beside `_SUCCESS` and `.crc` markers) is read as the
//! one file they were cut from: the same results, ids checked across the
//! parts, and what is not a part of one table refused, named.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/ipc.rs"]
mod ipc;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::{Array, ArrayRef, Float32Array, Int64Array, RecordBatch};
use healthscore::batch::Scorer;
use healthscore_arrow::{read_accounts, score_file, Error};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where each part starts: three parts of uneven sizes, the second past
/// a 65,536-row batch of its own.
const CUTS: [usize; 4] = [0, 1_700, 70_000, 71_234];

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-parts-{name}-"))
        .tempdir()
        .unwrap()
}

/// `batch` cut at [`CUTS`] into `dir` as Parquet parts (or Arrow IPC
/// files), beside the markers Spark writes.
fn write_parts(dir: &Path, batch: &RecordBatch, arrow: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, w) in CUTS.windows(2).enumerate() {
        let part = batch.slice(w[0], w[1] - w[0]);
        if arrow {
            let path = dir.join(format!("part-{i:05}.arrow"));
            ipc::write_ipc(&path, &part, 30_000, false, None);
        } else {
            let path = dir.join(format!("part-{i:05}-c000.snappy.parquet"));
            v0m_arrow::write_parquet(&path, &part, 20_000);
            std::fs::write(
                dir.join(format!(".part-{i:05}-c000.snappy.parquet.crc")),
                "x",
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
}

/// A results file's batches, concatenated.
fn results(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn accounts() -> RecordBatch {
    v0m_arrow::record_batch(&v0m::generate(CUTS[3], 17), Vec::new())
}

#[test]
fn parts_score_as_the_file_they_were_cut_from() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let options = v0m_arrow::options(true);
    let batch = accounts();
    let d = scratch("same");
    let whole = d.path().join("whole.parquet");
    v0m_arrow::write_parquet(&whole, &batch, 20_000);
    let want = d.path().join("want.parquet");
    score_file(&scorer, &whole, &want, &options).unwrap();
    for arrow in [false, true] {
        let dir = d
            .path()
            .join(if arrow { "arrow" } else { "accounts.parquet" });
        write_parts(&dir, &batch, arrow);
        let got = d.path().join(format!("got-{arrow}.parquet"));
        let stats = score_file(&scorer, &dir, &got, &options).unwrap();
        assert_eq!(stats.rows, CUTS[3] as u64);
        assert_eq!(stats.rejected, 0);
        if !arrow {
            // Counted from the parts' footers before the first row.
            assert_eq!(stats.expected_rows, Some(CUTS[3] as u64));
        }
        assert_eq!(results(&got), results(&want), "arrow parts: {arrow}");
        // The row API's reading of the parts, too.
        let mut from_parts = Vec::new();
        read_accounts::<Error>(&model, &dir, &options, |_, rows| {
            from_parts.extend(rows);
            Ok(())
        })
        .unwrap();
        let mut from_whole = Vec::new();
        read_accounts::<Error>(&model, &whole, &options, |_, rows| {
            from_whole.extend(rows);
            Ok(())
        })
        .unwrap();
        assert_eq!(from_parts, from_whole);
    }
}

#[test]
fn an_id_repeated_in_a_later_part_is_rejected_naming_its_first_row() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = accounts();
    // The last part's first row takes the id of the first part's row 3.
    let ids: Vec<i64> = (0..CUTS[3] as i64)
        .map(|i| if i == CUTS[2] as i64 { 2 } else { i })
        .collect();
    let batch = columns::with_columns(
        &batch,
        &[("id", Arc::new(Int64Array::from(ids)) as ArrayRef)],
    );
    let d = scratch("repeated");
    let dir = d.path().join("accounts.parquet");
    write_parts(&dir, &batch, false);
    let out = d.path().join("scores.parquet");
    let stats = score_file(&scorer, &dir, &out, &v0m_arrow::options(false)).unwrap();
    assert_eq!(stats.rejected, 1);
    let first = stats.first_rejected.unwrap();
    assert!(
        first.contains("duplicate id, first seen at row 3"),
        "{first}"
    );
}

/// A file of a directory made for a test: its name, and the file it is a
/// copy of (none: empty, or a subdirectory for a name ending in `/`).
type Entry<'a> = (&'a str, Option<&'a Path>);

/// Writes `dir` with the given files and scores it: what it says.
fn refused(dir: &Path, files: &[Entry<'_>]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for (name, from) in files {
        match from {
            Some(from) => {
                std::fs::copy(from, dir.join(name)).unwrap();
            }
            None if name.ends_with('/') => std::fs::create_dir_all(dir.join(name)).unwrap(),
            None => std::fs::write(dir.join(name), "").unwrap(),
        }
    }
    let model = v0m::model();
    let out = dir.with_extension("scores.parquet");
    let e = score_file(&Scorer::new(&model), dir, &out, &v0m_arrow::options(false)).unwrap_err();
    assert!(!out.exists());
    e.to_string()
}

#[test]
fn what_is_not_a_part_of_one_table_is_refused_named() {
    let d = scratch("refused");
    let part: PathBuf = d.path().join("one.parquet");
    v0m_arrow::write_parquet(&part, &accounts().slice(0, 100), 100);
    let arrow = d.path().join("one.arrow");
    ipc::write_ipc(&arrow, &accounts().slice(0, 100), 100, false, None);
    let dir = |n: &str| d.path().join(n);
    let cases: [(&str, Vec<Entry<'_>>, &str); 6] = [
        (
            "empty",
            vec![("_SUCCESS", None)],
            "no .parquet, .csv or .arrow part in it",
        ),
        (
            "mixed",
            vec![("a.parquet", Some(&part)), ("b.arrow", Some(&arrow))],
            "a.parquet and b.arrow are of two formats",
        ),
        // A CSV part of nothing at all (not even a header line).
        ("csv", vec![("a.csv", None)], "a.csv"),
        // A partition (tests/partitions.rs) of nothing.
        (
            "partitioned",
            vec![("date=2026-11-30/", None)],
            "no .parquet, .csv or .arrow part in it",
        ),
        (
            "stray",
            vec![("a.parquet", Some(&part)), ("notes.txt", None)],
            "notes.txt is not a part",
        ),
        // A damaged later part: named, and nothing written.
        (
            "damaged",
            vec![("a.parquet", Some(&part)), ("b.parquet", None)],
            "b.parquet",
        ),
    ];
    for (name, files, said) in cases {
        let e = refused(&dir(name), &files);
        assert!(e.contains(said), "{name}: {e}");
        assert!(e.contains(name), "{name}: names the directory or part: {e}");
    }

    // A later part whose column is of another type: named with the column.
    let other = d.path().join("other.parquet");
    let floats: ArrayRef = Arc::new(Float32Array::from(vec![0.5f32; 100]));
    let changed = columns::with_columns(&accounts().slice(0, 100), &[("nps", floats)]);
    v0m_arrow::write_parquet(&other, &changed, 100);
    let e = refused(
        &dir("types"),
        &[("a.parquet", Some(&part)), ("b.parquet", Some(&other))],
    );
    assert!(
        e.contains("b.parquet: column nps: Float32 here, Float64 in a.parquet"),
        "{e}"
    );

    // Results written into the directory would be read as a part next time.
    let parts = dir("into");
    write_parts(&parts, &accounts(), false);
    let model = v0m::model();
    let e = score_file(
        &Scorer::new(&model),
        &parts,
        &parts.join("scores.parquet"),
        &v0m_arrow::options(false),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("would be written among its parts"), "{e}");
    assert!(!parts.join("scores.parquet").exists());
}

/// A part whose column has no value at all comes as Arrow's `Null` type
/// (pandas writes an all-`None` column so): it fits the first part's type,
/// every cell missing, as the same rows with nulls of that type score.
#[test]
fn a_part_with_a_column_of_no_values_fits() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let options = v0m_arrow::options(false);
    let batch = accounts().slice(0, 200);
    let nps = batch.schema().index_of("nps").unwrap();
    let mut nulls: Vec<Option<f64>> = Vec::new();
    let values = batch
        .column(nps)
        .as_any()
        .downcast_ref::<arrow_array::Float64Array>()
        .unwrap();
    for i in 0..200 {
        nulls.push((i < 100 && values.is_valid(i)).then(|| values.value(i)));
    }
    let want_batch = columns::with_columns(
        &batch,
        &[(
            "nps",
            Arc::new(arrow_array::Float64Array::from(nulls)) as ArrayRef,
        )],
    );
    let d = scratch("null-type");
    let whole = d.path().join("whole.parquet");
    v0m_arrow::write_parquet(&whole, &want_batch, 1_000);
    let want = d.path().join("want.parquet");
    score_file(&scorer, &whole, &want, &options).unwrap();

    let dir = d.path().join("parts");
    std::fs::create_dir(&dir).unwrap();
    v0m_arrow::write_parquet(&dir.join("part-0.parquet"), &batch.slice(0, 100), 1_000);
    let no_values: ArrayRef = Arc::new(arrow_array::NullArray::new(100));
    let second = columns::with_columns(&batch.slice(100, 100), &[("nps", no_values)]);
    assert_eq!(
        second.schema().field_with_name("nps").unwrap().data_type(),
        &arrow_schema::DataType::Null
    );
    v0m_arrow::write_parquet(&dir.join("part-1.parquet"), &second, 1_000);
    let got = d.path().join("got.parquet");
    score_file(&scorer, &dir, &got, &options).unwrap();
    assert_eq!(results(&got), results(&want));
}
