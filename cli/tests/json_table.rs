//! `score --out FILE` on JSON accounts: the results table the columnar
//! path writes, a row per account read, in input order.

use std::path::{Path, PathBuf};

mod common;
use common::generated::generated_as_columns;
use common::{accounts, hs, ipc_batches, tmp};

const MODEL: &str = "examples/data/model.json";
const PLAYBOOK: &str = "examples/data/playbook.json";

/// Runs `score` with the bundled model and playbook into `out`; returns
/// the exit status and stderr.
fn score(accounts: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let run = hs()
        .args(["score", "--model", MODEL, "--rules", PLAYBOOK, "--accounts"])
        .arg(accounts)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

/// The same accounts as JSON lines and as a CSV file of columns give the
/// same results file, byte for byte, in each format (CSV, JSON lines,
/// Parquet; Arrow IPC file and stream batch for batch): scores, bands,
/// segments, drivers, CTAs and their kinds (the bundled playbook over
/// generated accounts with stages, dates, events and judgements).
#[test]
fn json_accounts_give_the_results_file_their_columns_give() {
    let (_, json, csv) = generated_as_columns(MODEL, 300, "json-table");
    for (ext, extra) in [
        ("csv", &[][..]),
        ("jsonl", &[][..]),
        ("parquet", &["--no-drivers"][..]),
        ("arrow", &[][..]),
        ("arrows", &["--no-drivers"][..]),
    ] {
        let (a, b) = (
            tmp(&format!("json-table-from-json.{ext}")),
            tmp(&format!("json-table-from-csv.{ext}")),
        );
        let (status, stderr) = score(&json, &a, extra);
        assert_eq!(status, Some(0), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "300 read, 300 scored, 0 rejected; results in {}, a row per account",
                a.display()
            )),
            "{stderr}"
        );
        let (status, stderr) = score(&csv, &b, extra);
        assert_eq!(status, Some(0), "{stderr}");
        if ext.starts_with("arrow") {
            // The same batches, dictionaries included (an IPC file also
            // keeps what is under a null, which the two paths fill
            // differently).
            assert_eq!(ipc_batches(&a), ipc_batches(&b), "{ext}");
            continue;
        }
        let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert!(a == b, "{ext}: the two results files differ");
        if ext == "csv" {
            let text = String::from_utf8(a).unwrap();
            assert_eq!(text.lines().count(), 301);
            assert!(text.starts_with("id,as_of,mrr,score,band,coverage,segment,scorecard,deployment,engagement,adoption,roi,pulls_down_most,ctas,cta_kinds,error\n"));
            assert!(text.contains(",risk"), "some account has a risk CTA");
        }
    }
}

/// A rejected account is a row with its id and error (and no scores), in
/// its place among the others, as a bad row of a columnar file is: an
/// invalid account, a line that is not JSON, a repeated id. The run
/// exits 3 and stderr names each line.
#[test]
fn rejected_json_accounts_are_rows_with_their_error() {
    let input = accounts(
        "json-table-bad.jsonl",
        2,
        &[
            r#"{"id":"neg","mrr":"-5","employees":3,"as_of":"2026-11-01","observations":[]}"#,
            r#"{"id":"cut","mrr":"#,
            r#"{"id":"acct-0000000","mrr":"1","employees":3,"as_of":"2026-11-01","observations":[]}"#,
        ],
    );
    let out = tmp("json-table-bad.csv");
    let (status, stderr) = score(&input, &out, &[]);
    assert_eq!(status, Some(3), "{stderr}");
    assert!(
        stderr.contains("rejected line 3: account neg: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 read, 2 scored, 3 rejected; results in")
            && stderr.contains("a row per account read (a rejected one with its error)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{text}");
    let ids: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(
        ids,
        ["acct-0000000", "acct-0000001", "neg", "cut", "acct-0000000"]
    );
    // Scored rows have a score and no error; rejected ones only an error
    // that names their line (quoted where it holds a comma).
    assert!(rows[0].ends_with(',') && !rows[0].contains(",,,,,"));
    assert!(
        rows[2].starts_with("neg,,,,,,,,,,,,,,,line 3: account neg: "),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].starts_with("cut,,,,,,,,,,,,,,,line 4: account cut: "),
        "{}",
        rows[3]
    );
    assert!(
        rows[4].ends_with(
            ",\"line 5: account acct-0000000: duplicate id, first seen at line 1 (the first is kept)\""
        ),
        "{}",
        rows[4]
    );
}

/// A JSON array cut off inside its last element (a download stopped
/// short): the element's row has the id its part read holds, in the id
/// cell as in the error, so that a join on ids finds the lost account.
#[test]
fn a_cut_json_array_s_last_row_keeps_its_id() {
    let input = tmp("json-table-cut.json");
    std::fs::write(
        &input,
        concat!(
            r#"[{"id":"a1","mrr":"10","employees":3,"as_of":"2026-11-01","observations":[]},"#,
            "\n",
            r#" {"id":"a2","mrr":"#
        ),
    )
    .unwrap();
    let out = tmp("json-table-cut.csv");
    let (status, stderr) = score(&input, &out, &[]);
    assert_eq!(status, Some(3), "{stderr}");
    assert!(
        stderr.contains("the JSON array is not closed: the input ends after element 2 (cut?)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[1].starts_with(
            "a2,,,,,,,,,,,,,,,element 2: account a2: the input ends inside this element (cut?): skipped"
        ),
        "{text}"
    );
}

/// What `--out` with JSON accounts refuses: state between runs (the table has
/// none), `--as-of` (JSON accounts carry theirs), the accounts' own file;
/// and an output that cannot be written is exit status 4, the earlier
/// file untouched.
#[test]
fn json_accounts_into_a_results_file_refuse_what_they_cannot_do() {
    let input = accounts("json-table-refuse.jsonl", 3, &[]);
    let out = tmp("json-table-refuse.csv");
    let (status, stderr) = score(&input, &out, &["--state-out", "state.jsonl"]);
    assert_eq!(status, Some(2));
    assert!(
        stderr.contains("--out writes the results table, without state between runs"),
        "{stderr}"
    );
    let (status, stderr) = score(&input, &out, &["--as-of", "2026-11-30"]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("JSON accounts carry their own"), "{stderr}");
    let before = std::fs::read(&input).unwrap();
    let same = tmp("json-table-same.jsonl");
    std::fs::write(&same, &before).unwrap();
    let (status, stderr) = score(&same, &same, &[]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("would replace the accounts"), "{stderr}");
    assert_eq!(std::fs::read(&same).unwrap(), before);
    let (status, stderr) = score(&input, &PathBuf::from("/no/such/dir/r.csv"), &[]);
    assert_eq!(status, Some(4), "{stderr}");
    assert!(stderr.contains("/no/such/dir/r.csv"), "{stderr}");
    // No --no-drivers without a table.
    let run = hs()
        .args(["score", "--model", MODEL, "--no-drivers", "--accounts"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}
