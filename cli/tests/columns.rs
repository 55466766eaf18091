//! `portfolio`, `explain`, `report` and `diff` on a Parquet or CSV file
//! of columns, as `score` reads it.

use predicates::prelude::*;
use predicates::str::contains;
use std::path::PathBuf;

mod common;
use common::{hs, root, tmp};

const V0M: &str = "examples/data/model-v0m.json";

/// 300 accounts generated for the bundled v0m model, as JSON lines and
/// as the same accounts in a CSV file of columns (`name.jsonl`,
/// `name.csv`): each metric's value and `<metric>__observed_on`.
fn v0m_accounts(name: &str) -> (PathBuf, PathBuf) {
    let model = V0M;
    let generated = hs()
        .args(["generate", "300", "--model", model])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let json = tmp(&format!("{name}.jsonl"));
    std::fs::write(&json, &generated.stdout).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(model)).unwrap()).unwrap();
    let metrics: Vec<&str> = config["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let mut header = vec![
        "id".to_string(),
        "mrr".into(),
        "employees".into(),
        "as_of".into(),
    ];
    header.extend(["previous_band".to_string(), "previous_score".into()]);
    for m in &metrics {
        header.extend([m.to_string(), format!("{m}__observed_on")]);
    }
    let mut csv = header.join(",") + "\n";
    for line in String::from_utf8(generated.stdout).unwrap().lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => u8::from(*b).to_string(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut row: Vec<String> = [
            "id",
            "mrr",
            "employees",
            "as_of",
            "previous_band",
            "previous_score",
        ]
        .iter()
        .map(|k| text(&a[*k]))
        .collect();
        for m in &metrics {
            // The latest of a metric's observations (what the row API
            // scores): one column holds one.
            let o = a["observations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["metric"] == *m)
                .max_by_key(|o| o["observed_on"].as_str());
            row.push(o.map_or_else(String::new, |o| text(&o["value"])));
            row.push(o.map_or_else(String::new, |o| text(&o["observed_on"])));
        }
        csv += &(row.join(",") + "\n");
    }
    let columns = tmp(&format!("{name}.csv"));
    std::fs::write(&columns, csv).unwrap();
    (json, columns)
}

/// `portfolio`, `explain` and `report` read a CSV file of columns as
/// `score` does: the same accounts as in JSON lines give the same table,
/// the same explanation and the same HTML report, byte for byte; a bad
/// row is rejected with its row.
#[test]
fn portfolio_explain_and_report_read_columns() {
    let model = V0M;
    let (json, columns) = v0m_accounts("columns");
    let run = |args: &[&str], accounts: &PathBuf| {
        let out = hs()
            .args(args)
            .args(["--model", model, "--accounts"])
            .arg(accounts)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for args in [
        &["portfolio", "--lowest", "20"][..],
        &["explain", "acct-0000007"],
    ] {
        let (a, b) = (run(args, &json), run(args, &columns));
        assert!(!a.is_empty());
        assert_eq!(
            String::from_utf8(a).unwrap(),
            String::from_utf8(b).unwrap(),
            "{args:?}"
        );
    }
    let (html_json, html_csv) = (tmp("columns-json.html"), tmp("columns-csv.html"));
    run(&["report", "-o", html_json.to_str().unwrap()], &json);
    run(&["report", "-o", html_csv.to_str().unwrap()], &columns);
    assert_eq!(
        std::fs::read(&html_json).unwrap(),
        std::fs::read(&html_csv).unwrap()
    );

    // A bad row is its row's rejection; a file without an as-of date
    // needs --as-of.
    let bad = tmp("columns-bad.csv");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&columns).unwrap().replacen(
            "\nacct-0000002,",
            "\nacct-0000002,n/a",
            1,
        ),
    )
    .unwrap();
    hs().args(["portfolio", "--model", model, "--accounts"])
        .arg(&bad)
        .assert()
        .code(3)
        .stderr(contains("rejected row 3: account acct-0000002: mrr: \"n/a"));
    // Without an as_of column: --as-of, as `score` takes it, and the
    // error says so.
    let undated = without(&columns, "as_of", "columns-undated.csv");
    let scores = tmp("columns-undated-scores.jsonl");
    let scores = scores.to_str().unwrap();
    for command in [&["portfolio"][..], &["score", "--out", scores]] {
        hs().args(command)
            .args(["--model", model, "--accounts"])
            .arg(&undated)
            .assert()
            .code(2)
            .stderr(contains(
                "column as_of: missing, and no as-of date was given (pass --as-of YYYY-MM-DD",
            ));
    }
    hs().args([
        "portfolio",
        "--as-of",
        "2026-11-01",
        "--model",
        model,
        "--accounts",
    ])
    .arg(&undated)
    .assert()
    .success()
    .stdout(contains("300 accounts"));
    let narrow = tmp("columns-narrow.csv");
    std::fs::write(&narrow, "id,mrr,employees\n1,100,10\n").unwrap();
    hs().args(["portfolio", "--accounts"])
        .arg(&narrow)
        .assert()
        .code(2)
        .stderr(contains(format!("error: {}: column ", narrow.display())));
}

/// `diff` of a model and its next version that drops a metric (`nps`) and
/// moves two band thresholds: each model reads what it has, so every
/// account is compared (an account's `nps` is not an unknown metric to
/// the new model), and a CSV file of the same accounts' columns gives the
/// same comparison as their JSON lines, each model reading its own
/// columns. A cell only the old model reads rejects its row once, saying
/// which model could not read it; a cell both read, once, without saying
/// it twice; a metric without a column stops the run, naming the model.
#[test]
fn diff_compares_models_that_read_different_metrics() {
    let (json, columns) = v0m_accounts("diff-columns");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(V0M)).unwrap()).unwrap();
    config["version"] = "next".into();
    config["metrics"]
        .as_array_mut()
        .unwrap()
        .retain(|m| m["id"] != "nps");
    config["scorecards"][0]["bands"]["green"] = 70.into();
    config["scorecards"][4]["bands"]["lime"] = 65.into();
    let next = tmp("v0m-next.json");
    std::fs::write(&next, config.to_string()).unwrap();
    let diff = |accounts: &PathBuf| {
        let mut cmd = hs();
        cmd.args(["diff", V0M])
            .arg(&next)
            .arg("--accounts")
            .arg(accounts);
        cmd
    };
    let from_json = diff(&json).assert().success().get_output().stdout.clone();
    let from_json = String::from_utf8(from_json).unwrap();
    assert!(from_json.contains("300 accounts compared, "), "{from_json}");
    assert!(
        !from_json.contains("300 accounts compared, 0 changed"),
        "{from_json}"
    );
    let from_csv = diff(&columns)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(from_json, String::from_utf8(from_csv).unwrap());

    // Column by column: `nps` only the old model reads, `mrr` both.
    let text = std::fs::read_to_string(&columns).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (line, column) in [(3, "nps"), (5, "mrr")] {
        let mut cells: Vec<&str> = lines[line].split(',').collect();
        cells[at(column)] = "n/a";
        lines[line] = cells.join(",");
    }
    let bad = tmp("diff-columns-bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let out = diff(&bad).assert().code(3).get_output().clone();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(stdout.contains("298 accounts compared"), "{stdout}");
    assert!(
        stderr.contains(
            "rejected row 3: old model: account acct-0000002: nps: \"n/a\" is not a number"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("rejected row 3: old model: account acct-0000002: nps: \"n/a\" is not a number; new model"), "{stderr}");
    assert!(
        stderr
            .contains("rejected row 5: account acct-0000004: mrr: \"n/a\" is not a decimal number"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("rejected row").count(), 2, "{stderr}");
    assert!(stderr.contains("2 accounts rejected"), "{stderr}");

    // The other way round, the new model's file lacks a column the old
    // one reads: the run stops, naming the model and the column.
    hs().args(["diff"])
        .arg(&next)
        .arg(V0M)
        .arg("--accounts")
        .arg(without(&columns, "nps", "diff-columns-no-nps.csv"))
        .assert()
        .code(2)
        .stderr(contains("error: new model: ").and(contains("column nps")));
}

/// A copy of a CSV file without one of its columns.
fn without(csv: &PathBuf, column: &str, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    let kept: String = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(at);
            cells.join(",") + "\n"
        })
        .collect();
    let path = tmp(name);
    std::fs::write(&path, kept).unwrap();
    path
}
