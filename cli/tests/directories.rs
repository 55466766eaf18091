//! A directory as `--accounts`: an export of one table in parts
//! (`part-00000.arrow`, … beside `_SUCCESS`) is read as the file they
//! were cut from, by every command; a directory that is not parts of one
//! table is refused saying why, with exit status 2.

mod common;
use common::generated::generated_as_columns;
use common::{tmp, to_ipc};
use std::path::Path;

const V0M: &str = "examples/data/model-v0m.json";

fn run(args: &[&str], accounts: &Path) -> (Option<i32>, Vec<u8>, String) {
    common::run_on(V0M, args, accounts)
}

#[test]
fn parts_of_one_table_read_as_the_file_they_were_cut_from() {
    let (_, _, csv) = generated_as_columns(V0M, 300, "directories");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let dir = tmp("directories-accounts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, chunk) in rows.chunks(120).enumerate() {
        let part_csv = tmp(&format!("directories-part-{i}.csv"));
        std::fs::write(&part_csv, format!("{header}\n{}\n", chunk.join("\n"))).unwrap();
        to_ipc(&part_csv, &dir.join(format!("part-{i:05}.arrow")), false);
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
    // Results tables, byte for byte; the JSON lines and the portfolio too.
    let (whole_out, parts_out) = (tmp("directories-whole.csv"), tmp("directories-parts.csv"));
    for (input, out) in [(&csv, &whole_out), (&dir, &parts_out)] {
        let (code, _, stderr) = run(&["score", "--out", out.to_str().unwrap()], input);
        assert_eq!(code, Some(0), "{stderr}");
    }
    assert_eq!(
        std::fs::read(&parts_out).unwrap(),
        std::fs::read(&whole_out).unwrap()
    );
    for args in [&["score"][..], &["portfolio"]] {
        let (code, whole, _) = run(args, &csv);
        let (parts_code, parts, stderr) = run(args, &dir);
        assert_eq!((code, parts_code), (Some(0), Some(0)), "{args:?}: {stderr}");
        assert!(!whole.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&parts),
            String::from_utf8_lossy(&whole),
            "{args:?}"
        );
    }
}

#[test]
fn a_directory_that_is_not_parts_of_one_table_is_refused_saying_why() {
    let empty = tmp("directories-empty.parquet");
    let csvs = tmp("directories-csvs");
    for d in [&empty, &csvs] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(empty.join("_SUCCESS"), "").unwrap();
    std::fs::write(csvs.join("part-0.csv"), "id\n").unwrap();
    let out = tmp("directories-refused.csv");
    let runs: [(&[&str], &Path, &str); 4] = [
        (
            &["score", "--out", out.to_str().unwrap()],
            &empty,
            "no .parquet or .arrow part in it",
        ),
        (&["portfolio"], &empty, "no .parquet or .arrow part in it"),
        (&["score"], &csvs, "CSV parts each have their header line"),
        (
            &["explain", "acct-1"],
            &csvs,
            "CSV parts each have their header line",
        ),
    ];
    for (args, dir, said) in runs {
        let (code, _, stderr) = run(args, dir);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(!stderr.contains("os error 21"), "{args:?}: {stderr}");
    }
    assert!(!out.exists());
}
