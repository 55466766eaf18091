//! `portfolio`, `explain` and `report` on a Parquet or CSV file of
//! columns, as `score` reads it.

use predicates::prelude::*;
use predicates::str::contains;
use std::path::PathBuf;

mod common;
use common::{hs, root, tmp};

/// `portfolio`, `explain` and `report` read a CSV file of columns as
/// `score` does: the same accounts as in JSON lines give the same table,
/// the same explanation and the same HTML report, byte for byte; a bad
/// row is rejected with its row. `diff`, whose two models may read
/// different columns, refuses such a file, saying so.
#[test]
fn portfolio_explain_and_report_read_columns() {
    // The bundled v0m model's generated accounts, and the same accounts
    // as columns: each metric's value and `<metric>__observed_on`.
    let model = "examples/data/model-v0m.json";
    let generated = hs()
        .args(["generate", "300", "--model", model])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let json = tmp("columns.jsonl");
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
    let columns = tmp("columns.csv");
    std::fs::write(&columns, csv).unwrap();
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
    // needs --as-of; diff refuses columns.
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
    let undated = tmp("columns-undated.csv");
    let text: String = std::fs::read_to_string(&columns)
        .unwrap()
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(3);
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&undated, text).unwrap();
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
    let narrow = narrow.to_str().unwrap();
    hs().args([
        "diff",
        "examples/data/model.json",
        "examples/data/model.json",
        "--accounts",
        narrow,
    ])
    .assert()
    .code(2)
    .stderr(contains(format!(
        "error: {narrow}: a CSV file of columns; this command reads accounts as JSON lines"
    )))
    .stderr(contains("rejected").not());
}
