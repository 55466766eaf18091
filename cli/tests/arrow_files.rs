//! Accounts in Arrow's IPC file and stream formats (`.arrow`, `.feather`,
//! `.arrows`), as pyarrow, polars and DataFusion write them: `score`,
//! `portfolio` and `explain` read them as they read the same accounts in
//! CSV, and `score --out` writes them.

use std::path::{Path, PathBuf};

mod common;
use common::generated::generated_as_columns;
use common::{ipc_batches, tmp, to_ipc};

const V0M: &str = "examples/data/model-v0m.json";

fn run(args: &[&str], accounts: &Path) -> (Option<i32>, Vec<u8>, String) {
    common::run_on(V0M, args, accounts)
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
