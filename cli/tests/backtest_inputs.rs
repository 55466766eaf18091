//! `backtest` (and `report --scores`) read what teams have: the records
//! `healthscore score` wrote on each run, beside or instead of dated
//! scores; a run appended twice, or an outcome repeated, is rejected
//! rather than counted twice; records of several models are warned of.

use predicates::prelude::*;
use predicates::str::contains;

mod common;
use common::{hs, root, tmp};

/// `healthscore score` of the bundled portfolio (as of 2026-11-01): a
/// month's records.
fn a_month_of_records() -> String {
    let out = hs()
        .args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(root().join("examples/data/portfolio.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `backtest` of some scores against the bundled outcomes (`--scores`
/// follows).
fn against_history() -> assert_cmd::Command {
    let mut cmd = hs();
    cmd.args([
        "backtest",
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
        "--scores",
    ]);
    cmd
}

/// The table's row for a band: its numbers, as printed.
fn row<'a>(table: &'a str, band: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{band} ")))
        .unwrap_or_else(|| panic!("{table}"))
        .split_whitespace()
        .skip(1)
        .collect()
}

#[test]
fn score_records_are_back_tested_as_dated_scores() {
    let month = a_month_of_records();
    let records: Vec<serde_json::Value> = month
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The same scores written as dated scores, by hand, from the records.
    let dated: String = records
        .iter()
        .filter(|r| !r["band"].is_null())
        .map(|r| {
            serde_json::json!({"account": r["id"], "date": r["as_of"], "score": r["score"],
                               "band": r["band"], "mrr": r["mrr"]})
            .to_string()
                + "\n"
        })
        .collect();
    let unbanded = records.iter().filter(|r| r["band"].is_null()).count();
    assert!(unbanded > 0);
    // Each red account churns a month later; each green one expands.
    let outcomes: String = records
        .iter()
        .filter_map(|r| {
            let outcome = match r["band"].as_str()? {
                "red" => serde_json::json!({"type": "churned"}),
                "green" => serde_json::json!({"type": "expanded", "mrr": "10"}),
                _ => return None,
            };
            Some(
                serde_json::json!({"account": r["id"], "date": "2026-12-01", "outcome": outcome})
                    .to_string()
                    + "\n",
            )
        })
        .collect();
    let (records_file, dated_file, outcomes_file) = (
        tmp("backtest-records.jsonl"),
        tmp("backtest-dated.jsonl"),
        tmp("backtest-outcomes.jsonl"),
    );
    std::fs::write(&records_file, &month).unwrap();
    std::fs::write(&dated_file, &dated).unwrap();
    std::fs::write(&outcomes_file, &outcomes).unwrap();
    let backtest = |scores: &std::path::Path| {
        let out = hs()
            .args(["backtest", "--scores"])
            .arg(scores)
            .arg("--outcomes")
            .arg(&outcomes_file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, from_records, said) = backtest(&records_file);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(
        said,
        format!("left out: {unbanded} score records without a band (insufficient data)\n")
    );
    let (code, from_dated, said) = backtest(&dated_file);
    assert_eq!((code, said.as_str()), (Some(0), ""));
    assert_eq!(from_records, from_dated);
    let reds = records.iter().filter(|r| r["band"] == "red").count();
    assert_eq!(
        row(&from_records, "red")[..3],
        [reds.to_string(), reds.to_string(), "100%".into()]
    );

    // The month appended again, and an outcome repeated: each second one
    // is rejected, naming the first, and the table is unchanged.
    let twice = tmp("backtest-records-twice.jsonl");
    std::fs::write(&twice, format!("{month}{month}")).unwrap();
    let first_outcome = outcomes.lines().next().unwrap();
    std::fs::write(&outcomes_file, format!("{outcomes}{first_outcome}\n")).unwrap();
    let (code, table, said) = backtest(&twice);
    assert_eq!(code, Some(3));
    assert_eq!(table, from_records);
    let n = records.len();
    // One line for the month's second copy, row for row: from its first
    // banded record to its last (the others were left out of both).
    let banded_at: Vec<usize> = (0..n).filter(|&i| records[i]["band"].is_string()).collect();
    let (first, last) = (banded_at[0], banded_at[banded_at.len() - 1]);
    assert!(
        said.contains(&format!(
            "rejected {} lines {} to {}: {} second scores on 2026-11-01 (accounts {} to {}), the firsts at lines {} to {}, row for row (the firsts are kept)\n",
            twice.display(),
            n + 1 + first,
            n + 1 + last,
            banded_at.len(),
            records[first]["id"].as_str().unwrap(),
            records[last]["id"].as_str().unwrap(),
            first + 1,
            last + 1,
        )),
        "{said}"
    );
    assert_eq!(said.matches("second score").count(), 1, "{said}");
    assert!(
        said.contains(&format!(
            "rejected {} line {}: account {}: the same outcome as line 1 (the first is kept)",
            outcomes_file.display(),
            outcomes.lines().count() + 1,
            records
                .iter()
                .find(|r| r["band"] == "red" || r["band"] == "green")
                .unwrap()["id"]
                .as_str()
                .unwrap()
        )),
        "{said}"
    );
    let banded = n - unbanded;
    assert!(
        said.ends_with(&format!(
            "{} rejected (see above); the table counts the rest\n",
            banded + 1
        )),
        "{said}"
    );
}

/// Records of two models in one file are counted, with a warning naming
/// each model and how many records it has.
#[test]
fn records_of_two_models_are_warned_of() {
    let month = a_month_of_records();
    let v0m = hs()
        .args([
            "generate",
            "5",
            "--model",
            "examples/data/model-v0m.json",
            "--seed",
            "3",
        ])
        .output()
        .unwrap();
    let renamed = String::from_utf8(v0m.stdout)
        .unwrap()
        .replace("acct-", "v0m-");
    let accounts = tmp("backtest-v0m-accounts.jsonl");
    std::fs::write(&accounts, renamed).unwrap();
    let other = hs()
        .args([
            "score",
            "--model",
            "examples/data/model-v0m.json",
            "--accounts",
        ])
        .arg(&accounts)
        .output()
        .unwrap();
    let scores = tmp("backtest-two-models.jsonl");
    std::fs::write(
        &scores,
        format!("{month}{}", String::from_utf8(other.stdout).unwrap()),
    )
    .unwrap();
    against_history()
    .arg(&scores)
    .assert()
    .success()
    .stderr(contains(
        "warning: the score records are of 2 models (default 2026.11 (b0a2335dba3e8402): 2000, \
             reference model v0m v0m (d79b749394fc4f5a): 5): their bands are counted together",
    ))
    .stdout(contains("dated scores"));
    // One model: no warning.
    let one = tmp("backtest-one-model.jsonl");
    std::fs::write(&one, &month).unwrap();
    against_history()
        .arg(&one)
        .assert()
        .success()
        .stderr(contains("warning").not());
}

/// A dated score with a misnamed field is told what a dated score holds,
/// not what a `healthscore score` record lacks.
#[test]
fn a_misnamed_field_is_named_against_the_dated_score() {
    let scores = tmp("backtest-misnamed.jsonl");
    std::fs::write(
        &scores,
        "{\"account\":\"a\",\"as_of\":\"2026-01-01\",\"score\":50,\"band\":\"red\",\"mrr\":\"1\"}\n",
    )
    .unwrap();
    against_history()
        .arg(&scores)
        .assert()
        .code(3)
        .stderr(contains(
            "line 1: as_of: unknown field `as_of`, expected one of `account`, `date`",
        ));
}

/// A dated score whose account is blank names no account: rejected with
/// why, not counted (two blank ones are not one account scored twice).
#[test]
fn a_blank_account_is_rejected_not_counted() {
    let scores = tmp("backtest-blank.jsonl");
    let line = |id: &str| {
        format!("{{\"account\":\"{id}\",\"date\":\"2026-01-01\",\"score\":50,\"band\":\"red\",\"mrr\":\"1\"}}\n")
    };
    std::fs::write(&scores, line("") + &line(" ") + &line("")).unwrap();
    let out = against_history().arg(&scores).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let said = String::from_utf8(out.stderr).unwrap();
    for n in 1..=3 {
        assert!(
            said.contains(&format!(
                "line {n}: account: missing (empty or only spaces)"
            )),
            "{said}"
        );
    }
    assert!(!said.contains("second score"), "{said}");
}

/// Second scores are told once every file is read, each first found by
/// reading its file again; a named pipe cannot be read twice, so a
/// second score whose first came through one names the pipe, and the
/// run ends (it does not wait on the pipe for a writer).
#[cfg(unix)]
#[test]
fn a_second_score_whose_first_came_through_a_pipe_names_the_pipe() {
    let scores =
        std::fs::read_to_string(root().join("examples/data/history_scores.jsonl")).unwrap();
    let month: String = scores.lines().take(3).map(|l| format!("{l}\n")).collect();
    let file = tmp("backtest-pipe-file.jsonl");
    std::fs::write(&file, &month).unwrap();
    let pipe = tmp("backtest-pipe.fifo");
    let _ = std::fs::remove_file(&pipe);
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let (pipe, month) = (pipe.clone(), month.clone());
        std::thread::spawn(move || std::fs::write(pipe, month).unwrap())
    };
    let out = against_history()
        .arg(&pipe)
        .arg("--scores")
        .arg(&file)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    writer.join().unwrap();
    let said = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{said}");
    let first: serde_json::Value = serde_json::from_str(month.lines().next().unwrap()).unwrap();
    assert!(
        said.starts_with(&format!(
            "rejected {} line 1: account {}: a second score on {}, the first in {}, which could not be read again to say where (the first is kept)\n",
            file.display(),
            first["account"].as_str().unwrap(),
            first["date"].as_str().unwrap(),
            pipe.display()
        )),
        "{said}"
    );
    assert_eq!(said.matches("a second score").count(), 3, "{said}");
    let _ = std::fs::remove_file(&pipe);
}
