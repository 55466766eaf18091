//! `backtest --scores` reads the results tables a nightly `score --out`
//! writes (each row's `as_of` and `mrr` beside its score and band), one
//! file a night or a directory of them, and `--outcomes` a CRM's table
//! of outcomes: the same back-test as the JSON records and outcomes of
//! the same runs give. Results kept compressed (`.csv.gz`, `.jsonl.zst`)
//! and JSON lines results tables read the same.

use std::path::{Path, PathBuf};

mod common;
use common::generated::generated_as_columns;
use common::{hs, tmp};

const MODEL: &str = "examples/data/model.json";

/// Runs `healthscore` with `args`: exit status, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = hs().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `score --out out` of the accounts `night`, which must succeed.
fn score_into(night: &Path, out: &Path) {
    let (code, _, said) = run(&[
        "score",
        "--model",
        MODEL,
        "--accounts",
        path(night),
        "--out",
        path(out),
    ]);
    assert_eq!(code, Some(0), "{said}");
}

/// An empty directory of this name under the tests' scratch directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = tmp(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Two nights of the same generated accounts (the second a month on, its
/// accounts otherwise the same): the nights' JSON accounts.
fn two_nights(name: &str) -> [PathBuf; 2] {
    let (json, _, _) = generated_as_columns(MODEL, 400, name);
    let first = std::fs::read_to_string(&json).unwrap();
    let day = "\"as_of\":\"2026-11-01\"";
    assert_eq!(first.matches(day).count(), 400, "the generator's day");
    let second = tmp(&format!("{name}-night2.jsonl"));
    std::fs::write(&second, first.replace(day, "\"as_of\":\"2026-12-01\"")).unwrap();
    [json, second]
}

/// Outcomes for the generated ids, as JSON lines and as a CSV table.
fn outcomes(name: &str) -> (PathBuf, PathBuf) {
    let (mut json, mut csv) = (String::new(), String::from("account,date,outcome,mrr\n"));
    for i in (0..400).step_by(7) {
        let id = format!("acct-{i:07}");
        let (date, outcome, mrr) = match i % 3 {
            0 => ("2026-12-15", "churned", ""),
            1 => ("2027-01-10", "expanded", "250.50"),
            _ => ("2027-01-20", "renewed", ""),
        };
        let what = match outcome {
            "expanded" => format!(r#"{{"type":"expanded","mrr":"{mrr}"}}"#),
            other => format!(r#"{{"type":"{other}"}}"#),
        };
        json.push_str(&format!(
            "{{\"account\":\"{id}\",\"date\":\"{date}\",\"outcome\":{what}}}\n"
        ));
        csv.push_str(&format!("{id},{date},{outcome},{mrr}\n"));
    }
    let (j, c) = (
        tmp(&format!("{name}-outcomes.jsonl")),
        tmp(&format!("{name}-outcomes.csv")),
    );
    std::fs::write(&j, json).unwrap();
    std::fs::write(&c, csv).unwrap();
    (j, c)
}

#[test]
fn nightly_results_tables_back_test_as_their_records_do() {
    let nights = two_nights("bt-tables");
    let (outcomes_json, outcomes_csv) = outcomes("bt-tables");
    // The records each night's `score` prints, kept in one file.
    let records = tmp("bt-tables-records.jsonl");
    let mut kept = String::new();
    for night in &nights {
        let (code, out, said) = run(&["score", "--model", MODEL, "--accounts", path(night)]);
        assert_eq!(code, Some(0), "{said}");
        kept.push_str(&out);
    }
    std::fs::write(&records, kept).unwrap();
    // The same nights as results tables: a directory of Parquet files,
    // and the second night again as CSV.
    let dir = fresh_dir("bt-tables-nights");
    let csv = tmp("bt-tables-night2.csv");
    for (night, name) in nights
        .iter()
        .zip(["2026-11-01.parquet", "2026-12-01.parquet"])
    {
        score_into(night, &dir.join(name));
    }
    score_into(&nights[1], &csv);
    let header = std::fs::read_to_string(&csv).unwrap();
    assert!(header.starts_with("id,as_of,mrr,score,band,"), "{header}");

    let backtest = |scores: &[&Path], outcomes: &Path| {
        let mut args = vec!["backtest", "--outcomes", path(outcomes)];
        for s in scores {
            args.extend(["--scores", path(s)]);
        }
        run(&args)
    };
    let (code, from_records, said_of_records) = backtest(&[&records], &outcomes_json);
    assert_eq!(code, Some(0), "{said_of_records}");
    assert!(
        from_records.contains(" dated scores, 58 outcomes"),
        "{from_records}"
    );
    assert!(from_records.contains("accounts churned"), "{from_records}");
    // Some generated accounts are short of data: no band, left out.
    assert!(
        said_of_records.starts_with("left out: ")
            && said_of_records.ends_with(" score records without a band (insufficient data)\n"),
        "{said_of_records}"
    );
    // A directory of a CSV file a night (each read on its own, with its
    // own header).
    let csv_dir = fresh_dir("bt-tables-csv-nights");
    for (night, name) in nights.iter().zip(["2026-11-01.csv", "2026-12-01.csv"]) {
        score_into(night, &csv_dir.join(name));
    }
    // A directory of gzip CSV nights; the nights as JSON lines results
    // tables, zstd compressed and plain (read as the Parquet rows are).
    let gz_dir = fresh_dir("bt-tables-gz-nights");
    for (night, name) in nights
        .iter()
        .zip(["2026-11-01.csv.gz", "2026-12-01.csv.gz"])
    {
        score_into(night, &gz_dir.join(name));
    }
    let lines = [
        tmp("bt-tables-results1.jsonl.zst"),
        tmp("bt-tables-results2.jsonl"),
    ];
    for (night, out) in nights.iter().zip(&lines) {
        score_into(night, out);
    }
    // A directory of nights each in its own format (a job that moved
    // from JSON lines to Parquet): each file read on its own.
    let mixed = fresh_dir("bt-tables-mixed-nights");
    for (night, name) in nights
        .iter()
        .zip(["2026-11-01.jsonl.zst", "2026-12-01.parquet"])
    {
        score_into(night, &mixed.join(name));
    }
    std::fs::write(mixed.join("_SUCCESS"), "").unwrap();
    // Outcomes as a directory of exports in two formats: the JSON lines'
    // first half, the CSV table's second.
    let outcomes_dir = fresh_dir("bt-tables-outcomes-dir");
    let json_lines: Vec<String> = std::fs::read_to_string(&outcomes_json)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let csv_text = std::fs::read_to_string(&outcomes_csv).unwrap();
    let mut csv_lines = csv_text.lines();
    let csv_header = csv_lines.next().unwrap();
    let half = json_lines.len() / 2;
    std::fs::write(
        outcomes_dir.join("2026-12.jsonl"),
        json_lines[..half].join("\n") + "\n",
    )
    .unwrap();
    let rest: Vec<&str> = csv_lines.skip(half).collect();
    std::fs::write(
        outcomes_dir.join("2027-01.csv"),
        format!("{csv_header}\n{}\n", rest.join("\n")),
    )
    .unwrap();
    for (scores, outcomes) in [
        (vec![mixed.as_path()], outcomes_dir.as_path()),
        (vec![mixed.as_path()], outcomes_csv.as_path()),
        (vec![dir.as_path()], outcomes_csv.as_path()),
        (vec![csv_dir.as_path()], outcomes_csv.as_path()),
        (vec![gz_dir.as_path()], outcomes_json.as_path()),
        (
            vec![lines[0].as_path(), lines[1].as_path()],
            outcomes_csv.as_path(),
        ),
        (
            vec![dir.join("2026-11-01.parquet").as_path(), csv.as_path()],
            outcomes_json.as_path(),
        ),
    ] {
        let (code, from_tables, said) = backtest(&scores, outcomes);
        assert_eq!(code, Some(0), "{scores:?}: {said}");
        assert_eq!(from_tables, from_records, "{scores:?}");
        // The same left out, and no warning.
        assert_eq!(said, said_of_records, "{scores:?}");
    }
    // The JSON records and outcomes gzip-compressed (as kept to save room):
    // read as they decompress.
    let gzip = |from: &Path, name: &str| {
        use std::io::Write;
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        w.write_all(&std::fs::read(from).unwrap()).unwrap();
        let to = tmp(name);
        std::fs::write(&to, w.finish().unwrap()).unwrap();
        to
    };
    let (records_gz, outcomes_gz) = (
        gzip(&records, "bt-tables-records.jsonl.gz"),
        gzip(&outcomes_json, "bt-tables-outcomes.jsonl.gz"),
    );
    let (code, from_gz, said) = backtest(&[&records_gz], &outcomes_gz);
    assert_eq!((code, said.as_str()), (Some(0), said_of_records.as_str()));
    assert_eq!(from_gz, from_records);
}

#[test]
fn a_night_given_twice_is_rejected_in_one_line_naming_where_its_scores_were() {
    let nights = two_nights("bt-twice");
    let night = tmp("bt-twice.parquet");
    score_into(&nights[0], &night);
    let (code, table, said) = run(&[
        "backtest",
        "--scores",
        path(&night),
        "--scores",
        path(&night),
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
    ]);
    assert_eq!(code, Some(3), "{said}");
    let n = path(&night);
    // Each banded row of the second copy, in one line: the night's rows
    // row for row (its unbanded rows were left out of both copies).
    let banded = table.split_whitespace().next().unwrap();
    assert!(
        table.starts_with(&format!("{banded} dated scores")),
        "{table}"
    );
    let (line, rest) = said.split_once('\n').unwrap();
    assert!(
        line.starts_with(&format!("rejected {n} rows 1 to ")),
        "{said}"
    );
    assert!(
        line.contains(&format!(
            ": {banded} second scores on 2026-11-01 (accounts acct-0000000 to "
        )),
        "{said}"
    );
    let last = line
        .split(": ")
        .next()
        .and_then(|r| r.rsplit(' ').next())
        .unwrap();
    assert!(
        line.ends_with(&format!(
            ", the firsts at {n} rows 1 to {last}, row for row (the firsts are kept)"
        )),
        "{said}"
    );
    // Then what was left out of both copies, and the count.
    assert!(rest.starts_with("left out: "), "{said}");
    assert!(
        rest.ends_with(&format!(
            "\n{banded} rejected (see above); the table counts the rest\n"
        )),
        "{said}"
    );
    assert_eq!(said.matches("second score").count(), 1, "{said}");
}

#[test]
fn a_table_without_the_history_columns_is_refused_naming_the_column() {
    // A results table written before the tables had `as_of` and `mrr`.
    let old = tmp("bt-old-results.csv");
    std::fs::write(
        &old,
        "id,score,band,coverage\nacct-0000000,71.250000,lime,1.000000\n",
    )
    .unwrap();
    let (code, table, said) = run(&[
        "backtest",
        "--scores",
        path(&old),
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
    ]);
    assert_eq!((code, table.as_str()), (Some(2), ""), "{said}");
    assert!(
        said.contains("bt-old-results.csv") && said.contains("as_of: not there (nor date)"),
        "{said}"
    );
    // An outcome of a kind the back-test does not know: its row, named.
    let outcomes = tmp("bt-odd-outcomes.csv");
    std::fs::write(
        &outcomes,
        "account,date,outcome\nacct-0000000,2026-12-01,paused\n",
    )
    .unwrap();
    let (code, _, said) = run(&["backtest", "--outcomes", path(&outcomes)]);
    assert_eq!(code, Some(3), "{said}");
    assert!(
        said.contains(&format!(
            "rejected {} row 1: outcome: \"paused\" is not an outcome (churned, renewed or expanded)",
            path(&outcomes)
        )),
        "{said}"
    );
}

/// A results row rejected when it was scored (its `error` set) and one
/// short of data (no band) are left out, each counted apart.
#[test]
fn rows_without_a_score_are_left_out_and_counted() {
    let results = tmp("bt-left-out.csv");
    std::fs::write(
        &results,
        "id,as_of,mrr,score,band,error\n\
         a,2026-11-01,10,71.25,lime,\n\
         b,,,,,\"line 3: account b: mrr -5 is negative\"\n\
         c,2026-11-01,10,40,,\n",
    )
    .unwrap();
    let (code, table, said) = run(&[
        "backtest",
        "--scores",
        path(&results),
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
    ]);
    assert_eq!(code, Some(0), "{said}");
    assert!(table.starts_with("1 dated scores"), "{table}");
    assert_eq!(
        said,
        "left out: 1 score record without a band (insufficient data)\n\
         left out: 1 row rejected when scored (their error column says why)\n"
    );
}

/// A line of a JSON file that is not UTF-8 text is that line's rejection;
/// the lines after it are read.
#[test]
fn a_line_that_is_not_text_is_rejected_alone() {
    let scores = tmp("bt-not-text.jsonl");
    let mut bytes =
        br#"{"account":"a","date":"2026-11-01","score":50,"band":"yellow","mrr":"1"}"#.to_vec();
    bytes.extend(b"\n\xff\xfe\n");
    bytes.extend(br#"{"account":"b","date":"2026-11-01","score":90,"band":"green","mrr":"1"}"#);
    std::fs::write(&scores, bytes).unwrap();
    let (code, table, said) = run(&[
        "backtest",
        "--scores",
        path(&scores),
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
    ]);
    assert_eq!(code, Some(3), "{said}");
    assert!(table.starts_with("2 dated scores"), "{table}");
    assert!(
        said.starts_with(&format!(
            "rejected {} line 2: not UTF-8 text",
            path(&scores)
        )),
        "{said}"
    );
}

/// A part whose partition names no date (`as_of=2026-02-30`) rejects
/// each of its rows, told in one line for the part, not a line a row;
/// the parts beside it are read. Outcomes rejected row after row for one
/// reason are told the same way, a short run a line a row.
#[test]
fn rows_rejected_for_one_reason_are_told_in_one_line() {
    let dir = fresh_dir("bt-bad-partition");
    let rows: String = (0..300).map(|i| format!("a{i},10,50,yellow\n")).collect();
    for part in ["as_of=2026-11-01", "as_of=2026-02-30"] {
        std::fs::create_dir_all(dir.join(part)).unwrap();
        std::fs::write(
            dir.join(part).join("part-0.csv"),
            format!("id,mrr,score,band\n{rows}"),
        )
        .unwrap();
    }
    let outcomes = tmp("bt-bad-outcomes.csv");
    let mut text = String::from("account,date,outcome,mrr\n");
    text.push_str(&"a1,2026-12-01,lost,\n".repeat(5));
    text.push_str(&"a2,2026-12-01,churned,\n".repeat(2));
    std::fs::write(&outcomes, text).unwrap();
    let (code, table, said) = run(&[
        "backtest",
        "--scores",
        path(&dir),
        "--outcomes",
        path(&outcomes),
    ]);
    assert_eq!(code, Some(3), "{said}");
    assert!(table.starts_with("300 dated scores, 1 outcomes"), "{table}");
    let bad = dir.join("as_of=2026-02-30").join("part-0.csv");
    let lost = "outcome: \"lost\" is not an outcome (churned, renewed or expanded)";
    let o = path(&outcomes);
    assert_eq!(
        said,
        format!(
            "rejected {o} row 1: {lost}\n\
             rejected {o} rows 2 to 5 (4 rows): {lost}\n\
             rejected {o} row 7: account a2: the same outcome as {o} row 6 (the first is kept)\n\
             rejected {b} row 1: as_of: \"2026-02-30\" is not a date\n\
             rejected {b} rows 2 to 300 (299 rows): as_of: \"2026-02-30\" is not a date\n\
             306 rejected (see above); the table counts the rest\n",
            b = path(&bad)
        )
    );
}
