//! A directory as `--accounts`: an export of one table in parts
//! (`part-00000.arrow`, … beside `_SUCCESS`; CSV parts each with its
//! header line) is read as the file they were cut from, by every command;
//! a directory that is not parts of one table is refused saying why, with
//! exit status 2.

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
    let _ = std::fs::remove_dir_all(&csvs);
    for d in [&empty, &csvs] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(empty.join("_SUCCESS"), "").unwrap();
    // CSV parts whose headers differ: not one table.
    let (_, _, csv) = generated_as_columns(V0M, 20, "directories-headers");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(csvs.join("part-0.csv"), &text).unwrap();
    std::fs::write(
        csvs.join("part-1.csv"),
        text.replacen("nps,", "nps_score,", 1),
    )
    .unwrap();
    let out = tmp("directories-refused.csv");
    let other = "part-1.csv: column nps: not there (every part of a table has the same columns)";
    let runs: [(&[&str], &Path, &str); 4] = [
        (
            &["score", "--out", out.to_str().unwrap()],
            &empty,
            "no .parquet, .csv or .arrow part in it",
        ),
        (
            &["portfolio"],
            &empty,
            "no .parquet, .csv or .arrow part in it",
        ),
        (&["score", "--out", out.to_str().unwrap()], &csvs, other),
        (&["explain", "acct-1"], &csvs, other),
    ];
    for (args, dir, said) in runs {
        let (code, _, stderr) = run(args, dir);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(!stderr.contains("os error 21"), "{args:?}: {stderr}");
    }
    assert!(!out.exists());
}

/// CSV parts (Spark's `df.write.csv(path, header=True)`, a warehouse's
/// unload in several files), each with its header line: read as the file
/// they were cut from. A line with the wrong number of fields, or a part's
/// header repeated inside it, rejects its row as in the whole file, its
/// note naming the part and its line there.
#[test]
fn csv_parts_read_as_the_file_they_were_cut_from_their_lines_named_by_part() {
    let (_, _, csv) = generated_as_columns(V0M, 300, "directories-csv-parts");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut parts: Vec<Vec<&str>> = rows.chunks(100).map(<[&str]>::to_vec).collect();
    parts[1].insert(5, "bad,line");
    parts[2].insert(3, header);
    let dir = tmp("directories-csv-parts-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut whole = vec![header];
    for (i, part) in parts.iter().enumerate() {
        let body = part.join("\n");
        std::fs::write(
            dir.join(format!("part-{i}.csv")),
            format!("{header}\n{body}\n"),
        )
        .unwrap();
        whole.extend(part);
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
    let whole_csv = tmp("directories-csv-parts-whole.csv");
    std::fs::write(&whole_csv, whole.join("\n") + "\n").unwrap();
    let (whole_out, parts_out) = (
        tmp("directories-csv-parts-whole.out.csv"),
        tmp("directories-csv-parts-parts.out.csv"),
    );
    for (input, out) in [(&whole_csv, &whole_out), (&dir, &parts_out)] {
        let (code, _, stderr) = run(&["score", "--out", out.to_str().unwrap()], input);
        assert_eq!(code, Some(3), "{stderr}");
        assert!(stderr.contains("scored 300 of 302 accounts"), "{stderr}");
    }
    // Line 7 of part-1.csv is line 107 of the whole file (its header and
    // part-0's 100 rows before), line 5 of part-2.csv line 206.
    let named = std::fs::read_to_string(&parts_out)
        .unwrap()
        .replace("part-1.csv line 7 has", "line 107 has")
        .replace("part-2.csv line 5 repeats", "line 206 repeats");
    assert!(
        named == std::fs::read_to_string(&whole_out).unwrap(),
        "the parts' results differ from the whole file's"
    );
    assert!(
        named.contains("line 107 has 2 fields") && named.contains("line 206 repeats the header")
    );
    // The row API's readers (portfolio, explain) say the same.
    let (code, _, stderr) = run(&["portfolio"], &dir);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr
            .contains("rejected row 106: account bad: part-1.csv line 7 has 2 fields, the header")
            && stderr.contains("rejected row 205: part-2.csv line 5 repeats the header line"),
        "{stderr}"
    );
}
