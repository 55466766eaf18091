//! `column_names`: a file's columns from its schema, without its rows, in
//! each format and for a directory of parts (with its partition
//! directories' columns); nothing for JSON lines.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/ipc.rs"]
mod ipc;

use arrow_array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use healthscore_arrow::column_names;
use std::sync::Arc;

#[test]
fn column_names_reads_each_format_s_schema() {
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-column-names-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        ("as_of", Arc::new(Date32Array::from(vec![20_000, 20_001]))),
        ("notes", Arc::new(StringArray::from(vec!["x", "y"]))),
    ])
    .unwrap();
    let expected = ["id", "as_of", "notes"];
    let parquet = dir.join("a.parquet");
    columns::write_parquet(&parquet, &batch);
    assert_eq!(column_names(&parquet).unwrap().unwrap(), expected);
    for name in ["a.arrow", "a.arrows"] {
        let path = dir.join(name);
        ipc::write_ipc(&path, &batch, 1, name.ends_with('s'), None);
        assert_eq!(column_names(&path).unwrap().unwrap(), expected, "{name}");
    }
    let csv = dir.join("a.csv");
    std::fs::write(&csv, "id,as_of,notes\na,2024-10-04,x\n").unwrap();
    assert_eq!(column_names(&csv).unwrap().unwrap(), expected);

    // JSON lines are accounts, not columns; a directory of parts has its
    // first part's; one without parts is an error.
    assert_eq!(column_names(&dir.join("a.jsonl")).unwrap(), None);
    let parts = dir.join("d.parquet");
    std::fs::create_dir(&parts).unwrap();
    assert!(column_names(&parts).is_err());
    std::fs::copy(&parquet, parts.join("part-0.parquet")).unwrap();
    assert_eq!(column_names(&parts).unwrap().unwrap(), expected);
    // A partitioned table: its directories' columns after the file's
    // own (one the file holds itself is not named twice).
    let table = dir.join("by_day");
    let part = table.join("as_of=2026-11-30").join("region=EU");
    std::fs::create_dir_all(&part).unwrap();
    std::fs::write(part.join("part-0.csv"), "id,mrr\na,1\n").unwrap();
    assert_eq!(
        column_names(&table).unwrap().unwrap(),
        ["id", "mrr", "as_of", "region"]
    );
    std::fs::write(part.join("part-0.csv"), "id,region\na,EU\n").unwrap();
    assert_eq!(
        column_names(&table).unwrap().unwrap(),
        ["id", "region", "as_of"]
    );
    // Text named as Parquet, a file that is not there, an unknown
    // extension: errors naming the file.
    let fake = dir.join("fake.parquet");
    std::fs::write(&fake, "id,as_of\n").unwrap();
    let e = column_names(&fake).unwrap_err().to_string();
    assert!(e.contains("fake.parquet"), "{e}");
    let e = column_names(&dir.join("gone.csv")).unwrap_err().to_string();
    assert!(e.contains("gone.csv"), "{e}");
    assert!(column_names("a.xlsx".as_ref()).is_err());
}
