//! Data a model expects but the accounts do not carry: `diff` names what
//! only each model reads, `portfolio` and `report` count the accounts
//! without a value per metric, and `score` warns of a metric no account
//! has a value of (a column an export lost, a metric renamed upstream),
//! from JSON accounts and from columns alike.

use predicates::prelude::*;
use predicates::str::contains;
use std::path::PathBuf;

mod common;
use common::{hs, root, tmp};

/// The bundled portfolio, parsed.
fn portfolio() -> Vec<serde_json::Value> {
    std::fs::read_to_string(root().join("examples/data/portfolio.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The bundled portfolio without any `weekly_active` value, as a
/// warehouse export that lost the column would send it.
fn without_weekly_active(name: &str) -> PathBuf {
    let stripped: String = portfolio()
        .into_iter()
        .map(|mut a| {
            a["observations"]
                .as_array_mut()
                .unwrap()
                .retain(|o| o["metric"] != "weekly_active");
            a.to_string() + "\n"
        })
        .collect();
    let file = tmp(name);
    std::fs::write(&file, stripped).unwrap();
    file
}

const WARNING: &str = "has a value of weekly_active: not exported, or renamed? \
                       Every account is scored without it";

/// `score` warns, on stderr after its totals, of a metric no account has
/// a value of, to standard output and into a results table; the bundled
/// portfolio, where every metric has values, gets no warning.
#[test]
fn score_warns_of_a_metric_no_account_has_a_value_of() {
    let file = without_weekly_active("score-without-weekly-active.jsonl");
    let score = || {
        let mut cmd = hs();
        cmd.args(["score", "--model", "examples/data/model.json"]);
        cmd
    };
    score()
        .arg("--accounts")
        .arg(&file)
        .assert()
        .success()
        .stderr(contains(format!(
            "2000 read, 2000 scored, 0 rejected\nwarning: no account scored {WARNING}"
        )));
    score()
        .arg("--accounts")
        .arg(&file)
        .arg("--out")
        .arg(tmp("score-without-weekly-active.csv"))
        .assert()
        .success()
        .stderr(contains(format!("warning: no account scored {WARNING}")));
    score()
        .args(["--accounts", "examples/data/portfolio.jsonl"])
        .assert()
        .success()
        .stderr(contains("has a value of").not());
}

/// The same from a CSV file of columns whose `nps` cells are all empty,
/// into a results table (the batch path) and to standard output.
#[test]
fn score_warns_of_a_column_without_values() {
    let (_, _, csv) = common::generated::generated_as_columns(
        "examples/data/model-v0m.json",
        300,
        "score-empty-nps",
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let nps = header.iter().position(|h| *h == "nps").unwrap();
    let emptied: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<&str> = line.split(',').collect();
            if i > 0 {
                cells[nps] = "";
            }
            cells.join(",") + "\n"
        })
        .collect();
    let file = tmp("score-empty-nps.csv");
    std::fs::write(&file, emptied).unwrap();
    let score = |out: Option<&str>| {
        let mut cmd = hs();
        cmd.args([
            "score",
            "--model",
            "examples/data/model-v0m.json",
            "--accounts",
        ])
        .arg(&file);
        if let Some(out) = out {
            cmd.arg("--out").arg(tmp(out));
        }
        cmd.assert().success()
    };
    let said = "has a value of nps: not exported, or renamed? Every account is scored without it";
    score(Some("score-empty-nps-out.csv")).stderr(contains(format!("warning: no row {said}")));
    score(None).stderr(contains(format!("warning: no account scored {said}")));
}

/// A metric the new model renamed (`weekly_active` to
/// `weekly_active_ratio`) has no data in accounts exported for the old
/// one: `diff` says what only each model reads, with how many accounts
/// have a value of it, and warns that no account has the new name's,
/// before the transitions it causes.
#[test]
fn diff_names_a_metric_no_account_has_a_value_of() {
    let text = std::fs::read_to_string(root().join("examples/data/model.json")).unwrap();
    let renamed = tmp("renamed-metric-model.json");
    let next = text
        .replace(r#""weekly_active""#, r#""weekly_active_ratio""#)
        .replace("2026.11", "2026.12");
    assert_ne!(next, text);
    std::fs::write(&renamed, next).unwrap();
    // `diff` of the bundled model and `new`: what it prints.
    let diff = |new: &std::path::Path| {
        let out = hs()
            .args(["diff", "examples/data/model.json"])
            .arg(new)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let out = diff(&renamed);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[4..7],
        [
            "only the old model reads (accounts with a value, of 2000): weekly_active 1821",
            "only the new model reads (accounts with a value, of 2000): weekly_active_ratio 0",
            "warning: no account compared has a value of the new model's weekly_active_ratio \
             (1 of its 14 metrics): renamed, or not exported yet? Every account is scored without it",
        ],
        "{out}"
    );
    // The same model twice: nothing to say about metrics.
    let same = diff(&root().join("examples/data/model.json"));
    assert!(
        !same.contains("only the") && !same.contains("warning"),
        "{same}"
    );
    assert!(
        same.contains("0 changed band\n\nband transitions"),
        "{same}"
    );
}

/// `portfolio` and `report` say, per metric, how many accounts have no
/// value of it (counted here from the accounts themselves), most often
/// missing first, and call out a metric no account has a value of.
#[test]
fn portfolio_counts_missing_values_and_names_a_metric_nobody_sent() {
    let accounts = portfolio();
    let without = |metric: &str| {
        accounts
            .iter()
            .filter(|a| {
                !a["observations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["metric"] == metric)
            })
            .count()
    };
    let (escalations, breadth) = (without("open_escalations"), without("feature_breadth"));
    assert!(escalations > breadth && breadth > 0);
    let out = hs()
        .arg("portfolio")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let line = out
        .lines()
        .find(|l| l.starts_with("missing data (accounts without a value of the metric): "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(&format!(": open_escalations {escalations}, "))
            && line.ends_with(&format!(", feature_breadth {breadth}")),
        "{line}"
    );
    assert!(!line.contains("every account"), "{line}");

    // weekly_active taken out of every account.
    let file = without_weekly_active("portfolio-without-weekly-active.jsonl");
    hs().args(["portfolio", "--accounts"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(
            "missing data (accounts without a value of the metric): \
             weekly_active 2000 (every account), open_escalations",
        ))
        .stdout(contains(
            "\nno account has a value of weekly_active: not exported, or renamed?\n",
        ));
    let html = tmp("portfolio-without-weekly-active.html");
    hs().args(["report", "--accounts"])
        .arg(&file)
        .arg("-o")
        .arg(&html)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("<section id=\"missing\">")
            && html.contains("No account has a value of weekly_active: not exported, or renamed?")
            && html.contains("<svg id=\"missing-by-metric\""),
        "{html}"
    );
}

/// A model of many metrics none of which has data: the warning names the
/// first twenty and counts the rest, rather than printing every name.
#[test]
fn a_long_list_of_metrics_without_values_is_cut_to_twenty() {
    let mut model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/data/model.json")).unwrap(),
    )
    .unwrap();
    let first = model["metrics"][0].clone();
    for i in 0..25 {
        let mut extra = first.clone();
        extra["id"] = format!("extra_{i}").into();
        extra["label"] = format!("extra {i}").into();
        model["metrics"].as_array_mut().unwrap().push(extra);
    }
    let file = tmp("model-with-25-extra-metrics.json");
    std::fs::write(&file, model.to_string()).unwrap();
    let named: Vec<String> = (0..20).map(|i| format!("extra_{i}")).collect();
    hs().args([
        "score",
        "--accounts",
        "examples/data/portfolio.jsonl",
        "--model",
    ])
    .arg(&file)
    .assert()
    .success()
    .stderr(contains(format!(
        "warning: no account scored has a value of {} and 5 more: not exported, or renamed? \
             Every account is scored without them",
        named.join(", ")
    )));
    // `check`'s one screen lists the deployment metrics (the bundled three
    // and these 25) the same way.
    hs().arg("check")
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(format!(
            "  deployment  seats_provisioned, sso_enabled, integrations, {} and 8 more\n",
            named[..17].join(", ")
        )));
}
