//! Accounts in Arrow's IPC file and stream formats (`.arrow`, `.feather`,
//! `.arrows`), as pyarrow, polars and DataFusion write them: `score`,
//! `portfolio` and `explain` read them as they read the same accounts in
//! CSV, and `score --out` writes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;
use common::generated::generated_as_columns;
use common::{hs, ipc_batches, tmp};

const V0M: &str = "examples/data/model-v0m.json";

/// The CSV file of columns `csv` as an Arrow IPC file (or stream) at
/// `path`, its columns as text (as the CSV reader gives them), in
/// batches of 64 rows.
fn to_ipc(csv: &Path, path: &Path, stream: bool) {
    let file = std::fs::File::open(csv).unwrap();
    let header = std::fs::read_to_string(csv).unwrap();
    let names = header.lines().next().unwrap().split(',');
    let schema = Arc::new(arrow_schema::Schema::new(
        names
            .map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let reader = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .with_batch_size(64)
        .build(file)
        .unwrap();
    let out = std::fs::File::create(path).unwrap();
    if stream {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(out, &schema).unwrap();
        reader.for_each(|b| w.write(&b.unwrap()).unwrap());
        w.finish().unwrap();
    } else {
        let mut w = arrow_ipc::writer::FileWriter::try_new(out, &schema).unwrap();
        reader.for_each(|b| w.write(&b.unwrap()).unwrap());
        w.finish().unwrap();
    }
}

fn run(args: &[&str], accounts: &Path) -> (Option<i32>, Vec<u8>, String) {
    let out = hs()
        .args(args)
        .args(["--model", V0M, "--accounts"])
        .arg(accounts)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    (out.status.code(), out.stdout, stderr)
}

#[test]
fn arrow_accounts_read_as_their_csv_columns_are() {
    let (_, _, csv) = generated_as_columns(V0M, 300, "arrow-files");
    let file: PathBuf = tmp("arrow-files.feather");
    let stream = tmp("arrow-files.arrows");
    to_ipc(&csv, &file, false);
    to_ipc(&csv, &stream, true);
    for args in [
        &["portfolio", "--lowest", "10"][..],
        &["explain", "acct-0000007"],
        &["score"],
    ] {
        let (code, expected, stderr) = run(args, &csv);
        assert_eq!(code, Some(0), "{args:?} on CSV: {stderr}");
        assert!(!expected.is_empty());
        for accounts in [&file, &stream] {
            let (code, out, stderr) = run(args, accounts);
            assert_eq!(
                code,
                Some(0),
                "{args:?} on {}: {stderr}",
                accounts.display()
            );
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(expected.clone()).unwrap(),
                "{args:?} on {}",
                accounts.display()
            );
        }
    }
    // Results tables: from the Arrow file to CSV, as from the CSV file;
    // to an Arrow file and stream, read back by scoring's own reader
    // (written and renamed into place whole).
    let from_csv = tmp("arrow-files-from-csv.csv");
    let from_arrow = tmp("arrow-files-from-arrow.csv");
    for (accounts, out) in [(&csv, &from_csv), (&file, &from_arrow)] {
        let (code, _, stderr) = run(&["score", "--out", out.to_str().unwrap()], accounts);
        assert_eq!(code, Some(0), "{stderr}");
    }
    assert_eq!(
        std::fs::read(&from_csv).unwrap(),
        std::fs::read(&from_arrow).unwrap()
    );
    for out in ["arrow-files-scores.arrow", "arrow-files-scores.arrows"] {
        let out = tmp(out);
        let (code, _, stderr) = run(&["score", "--out", out.to_str().unwrap()], &stream);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.contains("scored 300 accounts"), "{stderr}");
        let rows: usize = ipc_batches(&out).iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 300);
    }
}

#[test]
fn an_arrow_file_named_as_json_or_cut_short_says_what_it_is() {
    let (_, _, csv) = generated_as_columns(V0M, 50, "arrow-files-named");
    let file = tmp("arrow-files-named.arrow");
    let stream = tmp("arrow-files-named.arrows");
    to_ipc(&csv, &file, false);
    to_ipc(&csv, &stream, true);
    let as_json = tmp("arrow-files-named.jsonl");
    std::fs::copy(&file, &as_json).unwrap();
    let (code, _, stderr) = run(&["score"], &as_json);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("an Arrow IPC file (save it as a .arrow file to read its columns)"),
        "{stderr}"
    );
    std::fs::copy(&stream, &as_json).unwrap();
    let (code, _, stderr) = run(&["score"], &as_json);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("an Arrow IPC stream"), "{stderr}");
    let bytes = std::fs::read(&file).unwrap();
    let cut = tmp("arrow-files-cut.arrow");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = tmp("arrow-files-cut-scores.parquet");
    let (code, _, stderr) = run(&["score", "--out", out.to_str().unwrap()], &cut);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: not a whole Arrow IPC file: it does not end as one does",
            cut.display()
        )),
        "{stderr}"
    );
    assert!(!out.exists());
}
