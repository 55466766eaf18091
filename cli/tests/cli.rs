//! Every subcommand as a user runs it: its success path, and its exit codes
//! on bad input (2 unusable model/rules/input or arguments, 3 rejected
//! accounts, 4 output not writable, 5 no such account).

use predicates::prelude::*;
use predicates::str::contains;
use std::path::PathBuf;

mod common;
use common::{accounts, hs, root, tmp};

fn bad_model() -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/data/model.json")).unwrap();
    let path = tmp("bad-model.json");
    std::fs::write(&path, text.replace(r#""lime": 65"#, r#""lime": 85"#)).unwrap();
    path
}

const NEGATIVE_MRR: &str = r#"{"id": "bad", "mrr": "-1", "employees": 1, "as_of": "2026-11-01"}"#;

#[test]
fn help_documents_every_command() {
    hs().arg("--help").assert().success().stdout(
        contains("check")
            .and(contains("score"))
            .and(contains("portfolio"))
            .and(contains("explain"))
            .and(contains("backtest"))
            .and(contains("diff"))
            .and(contains("generate"))
            .and(contains("report"))
            .and(contains("Exit status")),
    );
    for cmd in [
        "check",
        "score",
        "portfolio",
        "explain",
        "backtest",
        "diff",
        "generate",
        "report",
    ] {
        hs().args([cmd, "--help"])
            .assert()
            .success()
            .stdout(contains("Usage"));
    }
    hs().arg("--frobnicate").assert().code(2);
    hs().arg("score")
        .assert()
        .code(2)
        .stderr(contains("--model"));
}

#[test]
fn check_prints_a_summary_or_every_problem_with_its_path() {
    hs().args([
        "check",
        "examples/data/model.json",
        "--rules",
        "examples/data/playbook.json",
    ])
    .args(["--lifecycle", "examples/data/lifecycle.toml"])
    .assert()
    .success()
    .stdout(
        contains("default 2026.11")
            .and(contains("adoption    weekly_active, feature_breadth"))
            .and(contains("smb-small    bands 75/55/35"))
            .and(contains("rules: 10 valid"))
            .and(contains("lifecycle: onboarding → adoption → renewal")),
    );
    hs().arg("check")
        .arg(bad_model())
        .assert()
        .code(2)
        .stdout(contains(
            "scorecards[1].bands: lime threshold 85 is not below green threshold 80",
        ));
    hs().args(["check", "nope.json"])
        .assert()
        .code(2)
        .stdout(contains("nope.json"));
    let rules = tmp("bad-rules.json");
    std::fs::write(&rules, r#"{"rules": [{"id": "x", "title": "x", "kind": "risk", "touch": "high-touch",
        "owner": "csm", "when": {"compare": {"left": {"metric_value": "weekly_activ"}, "op": "<", "right": 1}}}]}"#)
        .unwrap();
    hs().args(["check", "examples/data/model.json", "--rules"])
        .arg(&rules)
        .assert()
        .code(2)
        .stdout(contains("rules[0].when: unknown metric \"weekly_activ\""));
}

#[test]
fn score_streams_records_and_ctas_and_keeps_state() {
    let state = tmp("state.jsonl");
    let _ = std::fs::remove_file(&state);
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--rules",
        "examples/data/playbook.json",
    ])
    .args(["--accounts", "examples/data/portfolio.jsonl", "--state-out"])
    .arg(&state)
    .assert()
    .success()
    .stdout(contains(r#""ctas":[{"action":"open""#))
    .stderr(
        contains("2000 read, 2000 scored, 0 rejected")
            .and(contains("CTAs: 1544 opened"))
            // The lifecycle's date, which these rules do not read.
            .and(contains(
                "no rule reads (ignored): date stage_entered (2000 accounts)\n",
            )),
    );
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--rules",
        "examples/data/playbook.toml",
    ])
    .args(["--accounts", "examples/data/portfolio.jsonl", "--state"])
    .arg(&state)
    .assert()
    .success()
    .stderr(contains("CTAs: 0 opened, 1544 updated"));
}

/// A date or event no rule reads is ignored, and listed, with how many
/// accounts carry it: a misspelt `renewwal` would otherwise silently keep
/// every renewal rule from firing.
#[test]
fn score_lists_the_dates_and_events_no_rule_reads() {
    let text = std::fs::read_to_string(root().join("examples/data/portfolio.jsonl")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .take(3)
        .enumerate()
        .map(|(i, l)| {
            let l = l.replace(r#""renewal":"#, r#""renewwal":"#);
            let event = r#","events":[{"name":"champion_lostt","date":"2026-10-30"}]}"#;
            if i == 0 {
                l.strip_suffix('}').unwrap_or(&l).to_string() + event
            } else {
                l
            }
        })
        .collect();
    let input = tmp("unread.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let score = |accounts: &std::path::Path| {
        let mut cmd = common::score_with_playbook();
        cmd.args(["--lifecycle", "examples/data/lifecycle.json", "--accounts"])
            .arg(accounts);
        cmd
    };
    score(&input).assert().success().stderr(contains(
        "no rule reads (ignored): date renewwal (3 accounts), event champion_lostt (1 account)\n",
    ));
    // Every name read: no such line.
    score(std::path::Path::new("examples/data/portfolio.jsonl"))
        .assert()
        .success()
        .stderr(contains("no rule reads").not());
    // 25 names with an escape sequence each: shown escaped, the first
    // twenty and how many more.
    let dates: serde_json::Map<String, serde_json::Value> = (0..25)
        .map(|i| (format!("d{i:02}\u{1b}[31m"), "2026-10-01".into()))
        .collect();
    let mut account: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    account["dates"] = dates.into();
    let hostile = tmp("unread-hostile.jsonl");
    std::fs::write(&hostile, account.to_string() + "\n").unwrap();
    let out = score(&hostile)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let said = String::from_utf8(out).unwrap();
    assert!(!said.contains('\u{1b}'), "{said}");
    assert!(
        said.contains("no rule reads (ignored): date d00\\u{1b}[31m (1 account), date d01")
            && said.contains("date d19\\u{1b}[31m (1 account) and 5 more\n"),
        "{said}"
    );
}

/// A rejection that quotes a huge value (a 100,000-digit MRR, a
/// 50,000-character id repeated) prints its start and end, not the value:
/// one hostile line must not flood the terminal, nor an id's control
/// characters reach it.
#[test]
fn rejections_quoting_huge_values_are_clipped() {
    let digits = "1".repeat(100_000);
    let huge_mrr =
        format!(r#"{{"id": "huge", "mrr": "{digits}", "employees": 3, "as_of": "2026-11-20"}}"#);
    let long_id = "x".repeat(50_000);
    let first =
        format!(r#"{{"id": "{long_id}", "mrr": "10", "employees": 3, "as_of": "2026-11-20"}}"#);
    // Control characters in an id are escaped, not sent to the terminal.
    let control = r#"{"id": "x\u001b[2J\ny", "mrr": "-5", "employees": 3, "as_of": "2026-11-20"}"#;
    let path = accounts("score-huge.jsonl", 0, &[&huge_mrr, &first, &first, control]);
    for command in ["score", "portfolio"] {
        let stderr = rejecting(command, &path);
        let rejections: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("rejected"))
            .collect();
        assert_eq!(rejections.len(), 3, "{command}: {stderr:.2000}");
        assert!(!stderr.contains('\u{1b}'), "{command}");
        let negative = rejections
            .iter()
            .find(|l| l.contains("is negative"))
            .unwrap();
        assert!(
            negative.ends_with(r"account x\u{1b}[2J\ny: mrr -5 is negative"),
            "{command}: {negative}"
        );
        let huge = rejections
            .iter()
            .find(|l| l.contains("invalid value"))
            .unwrap();
        assert!(
            huge.starts_with("rejected line 1: account huge: mrr: invalid value"),
            "{huge}"
        );
        assert!(huge.ends_with("at line 1 column 100024"), "{huge}");
        let repeated = rejections
            .iter()
            .find(|l| l.contains("duplicate id"))
            .unwrap();
        for line in [huge, repeated] {
            assert!(line.chars().count() < 500, "{command}: {line:.2000}");
            assert!(line.contains("characters left out"), "{command}: {line}");
        }
    }
}

/// An account without an id (`""`, or only spaces) is rejected as such in
/// every command, each line for itself: not as a duplicate of the blank
/// id before it, and not as `account : …`; the portfolio left has one
/// account, not "1 accounts".
#[test]
fn blank_ids_are_missing_ids_not_duplicates() {
    let line = |id: &str| {
        format!(r#"{{"id": "{id}", "mrr": "10", "employees": 3, "as_of": "2026-11-20"}}"#)
    };
    let path = accounts(
        "blank-ids.jsonl",
        1,
        &[&line(""), &line("  "), &line(""), &line("\\t")],
    );
    for command in ["score", "portfolio"] {
        let stderr = rejecting(command, &path);
        // Lines 2 to 5, one line each or as runs of the same reason.
        let rejected: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("rejected line"))
            .collect();
        assert!(!rejected.is_empty(), "{command}: {stderr}");
        for l in &rejected {
            assert!(
                l.ends_with(": id is missing (empty or only spaces)"),
                "{command}: {l}"
            );
        }
        assert!(
            rejected
                .first()
                .is_some_and(|l| l.starts_with("rejected line 2:"))
                && rejected
                    .last()
                    .is_some_and(|l| l.contains(" 5") && !l.contains(" 6")),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("duplicate"), "{command}: {stderr}");
        assert!(!stderr.contains("account :"), "{command}: {stderr}");
    }
    // The one account left is counted as one.
    let out = hs()
        .args([
            "portfolio",
            "--model",
            "examples/data/model.json",
            "--accounts",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(": 1 account, MRR "), "{table}");
}

/// `command` over `accounts` with the bundled model: its stderr, the run
/// having ended with status 3 (some accounts rejected).
fn rejecting(command: &str, accounts: &std::path::Path) -> String {
    let out = hs()
        .args([command, "--model", "examples/data/model.json", "--accounts"])
        .arg(accounts)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{command}");
    String::from_utf8(out.stderr).unwrap()
}

/// A line whose value is of the wrong type or out of range says where in
/// the account (`employees`, `observations[0].value`), in `score` and in
/// the commands that read accounts for a table.
#[test]
fn a_rejected_line_says_where_in_the_account() {
    let path = accounts(
        "score-where.jsonl",
        1,
        &[
            r#"{"id":"a","mrr":"10","employees":3,"as_of":"2026-11-01","observations":[{"metric":"nps","value":"abc","observed_on":"2026-11-01"}]}"#,
            r#"{"id":"b","mrr":"10","employees":-3,"as_of":"2026-11-01","observations":[]}"#,
            r#"{"id":"c","mrr":"10","employees":3,"as_of":"2026-11-01","observations":[{"metric":"nps","value":1,"observed_on":"2026-11-01"},{"metric":"nps","value":2,"observed_on":"2026-13-01"}]}"#,
            r#"{"id":["x"],"mrr":"10","employees":3,"as_of":"2026-11-01","observations":[]}"#,
        ],
    );
    for command in ["score", "portfolio"] {
        let stderr = rejecting(command, &path);
        for want in [
            "rejected line 2: account a: observations[0].value: \"abc\" is not a decimal number",
            "rejected line 3: account b: employees: invalid value: integer `-3`",
            "rejected line 4: account c: observations[1].observed_on: \"2026-13-01\" is not a date",
            "rejected line 5: account (no id): id: invalid type: sequence",
        ] {
            assert!(stderr.contains(want), "{command}: {want}\n{stderr}");
        }
    }
}

#[test]
fn score_exit_codes() {
    let bad = accounts("score-bad.jsonl", 3, &[NEGATIVE_MRR, "{not json"]);
    hs().args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(&bad)
        .assert()
        .code(3)
        .stderr(
            contains("rejected line 4: account bad")
                .and(contains("rejected line 5"))
                .and(contains("5 read, 3 scored, 2 rejected")),
        );
    hs().args(["score", "--model"])
        .arg(bad_model())
        .args(["--accounts", "examples/data/portfolio.jsonl"])
        .assert()
        .code(2);
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "missing.jsonl",
    ])
    .assert()
    .code(2)
    .stderr(contains("missing.jsonl"));
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "examples/data/portfolio.jsonl",
    ])
    // A state without rules carries bands and scores (state_carry.rs);
    // a state file that is not there is the command's error.
    .args(["--state", "no-such-state.jsonl"])
    .assert()
    .code(2)
    .stderr(contains("no-such-state.jsonl: No such file"));
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("healthscore"))
            .current_dir(root())
            .args([
                "score",
                "--model",
                "examples/data/model.json",
                "--accounts",
                "examples/data/portfolio.jsonl",
            ])
            .stdout(full)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(4));
    }
}

#[test]
fn portfolio_prints_the_table_and_counts_rejections() {
    hs().arg("portfolio").assert().success().stdout(
        contains("model default v2026.11: 2000 accounts, MRR 10,403,555.63")
            .and(contains("  green      487 accounts       2,053,198.52"))
            .and(contains("stale data: 533 values in 471 accounts"))
            .and(contains("lowest-scoring accounts:\n  acct-0000950")),
    );
    let bad = accounts("portfolio-bad.jsonl", 5, &[NEGATIVE_MRR]);
    hs().args(["portfolio", "--accounts"])
        .arg(&bad)
        .assert()
        .code(3)
        .stdout(contains("5 accounts"))
        .stderr(contains("rejected line 6: account bad"));
    // Rejections in the order of their lines, whether found reading (a
    // line cut short, a repeated id) or binding (a negative MRR): as
    // `score` prints them, for portfolio, explain, report and diff alike.
    let mixed = accounts(
        "portfolio-mixed.jsonl",
        2,
        &[
            NEGATIVE_MRR,
            "{\"id\": \"cut",
            NEGATIVE_MRR,
            "{\"id\": \"cut",
        ],
    );
    let stderr = |args: &[&str]| {
        let out = hs()
            .args(args)
            .arg("--accounts")
            .arg(&mixed)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let report = tmp("portfolio-mixed.html");
    for args in [
        &["portfolio"][..],
        &["report", "-o", report.to_str().unwrap()],
        &[
            "diff",
            "examples/data/model.json",
            "examples/data/model.toml",
        ],
    ] {
        let err = stderr(args);
        let lines: Vec<u64> = err
            .lines()
            .filter_map(|l| l.strip_prefix("rejected line "))
            .filter_map(|l| l.split(':').next()?.parse().ok())
            .collect();
        assert_eq!(lines, [3, 4, 5, 6], "{args:?}: {err}");
    }
    hs().args(["portfolio", "--accounts", "missing.jsonl"])
        .assert()
        .code(2);
}

#[test]
fn explain_shows_one_account_or_says_it_is_not_there() {
    hs().args(["explain", "acct-0000950"])
        .assert()
        .success()
        .stdout(
            contains("3.3 red")
                .and(contains("weekly active"))
                .and(contains("shortfall")),
        );
    // Each metric's status in words, as wide as the longest: a stale
    // value's age (not Rust's `stale { age_days: 178 }`), and a missing
    // value the model's policy scored.
    let stale = hs().args(["explain", "acct-0000017"]).assert().success();
    let table = String::from_utf8_lossy(&stale.get_output().stdout).to_string();
    assert!(
        table.contains(
            "weekly active                        stale, 178 days          0.494        -"
        ),
        "{table}"
    );
    assert!(!table.contains('{'), "{table}");
    hs().args(["explain", "acct-0000009"])
        .assert()
        .success()
        .stdout(contains(
            "integrations connected               missing, imputed              -      0.0",
        ));
    hs().args(["explain", "acct-nope"])
        .assert()
        .code(5)
        .stderr(contains("no account \"acct-nope\""));
    // A blank id is no account's: refused as an argument, before reading.
    for blank in ["", "  "] {
        hs().args(["explain", blank])
            .assert()
            .code(2)
            .stderr(contains(
                "is empty or only spaces: no account has such an id",
            ));
    }
    // An account that is there but rejected is not "no account": its
    // rejection is printed, and said to be why (status 3), whether the
    // model refused it or its line could not be read.
    let bad = accounts(
        "explain-rejected.jsonl",
        3,
        &[NEGATIVE_MRR, "{\"id\": \"cut\", \"mrr\": "],
    );
    hs().args(["explain", "bad", "--accounts"])
        .arg(&bad)
        .assert()
        .code(3)
        .stdout("")
        .stderr(
            contains("rejected line 4: account bad: mrr -1 is negative").and(contains(
                "error: account \"bad\" is in ",
            ))
            .and(contains("explain-rejected.jsonl but was rejected (line 4: mrr -1 is negative): it has no explanation")),
        );
    hs().args(["explain", "cut", "--accounts"])
        .arg(&bad)
        .assert()
        .code(3)
        .stderr(contains("but was rejected (line 5: "));
    hs().args(["explain", "acct-0000001", "--accounts"])
        .arg(&bad)
        .assert()
        .success()
        .stderr(contains("rejected line 5"));
}

#[test]
fn backtest_prints_the_table() {
    hs().arg("backtest").assert().success().stdout(
        contains("red        3155      990   31.4%")
            .and(contains("746 accounts churned, 4,475,204.57 MRR lost"))
            .and(contains("AUC of the score as a churn predictor: 0.796"))
            .and(contains(
                "churn falls as health rises (red ≥ yellow ≥ lime ≥ green): yes",
            )),
    );
    // A bad line, and a negative MRR, are rejected with why; what is left
    // (nothing) orders nothing, and says so rather than "yes".
    let scores = tmp("scores-bad.jsonl");
    std::fs::write(
        &scores,
        "{\"account\": 1}\n{\"account\":\"a\",\"date\":\"2026-01-01\",\"score\":50,\"band\":\"lime\",\"mrr\":\"-1\"}\n",
    )
    .unwrap();
    hs().args(["backtest", "--scores"])
        .arg(&scores)
        .assert()
        .code(3)
        .stderr(contains("line 1").and(contains("line 2: mrr: -1 is negative: MRR is never below zero")))
        .stdout(contains(
            "churn falls as health rises (red ≥ yellow ≥ lime ≥ green): cannot tell: fewer than two bands have scores",
        ));
    hs().args(["backtest", "--scores", "missing.jsonl"])
        .assert()
        .code(2);
}

#[test]
fn diff_shows_transitions_between_two_models() {
    let text = std::fs::read_to_string(root().join("examples/data/model.json")).unwrap();
    let new = tmp("new-model.json");
    std::fs::write(
        &new,
        text.replace(r#""lime": 65"#, r#""lime": 70"#)
            .replace("2026.11", "2026.12"),
    )
    .unwrap();
    hs().args(["diff", "examples/data/model.json"])
        .arg(&new)
        .assert()
        .success()
        .stdout(
            contains("2000 accounts compared, 16 changed band")
                .and(contains(
                    "lime              0       675        16         0         0",
                ))
                .and(contains(
                    "enterprise/large/adoption        92      0 up     10 down",
                ))
                .and(contains("old: 67.6 lime")),
        );
    hs().args(["diff", "examples/data/model.json"])
        .arg(bad_model())
        .assert()
        .code(2)
        .stderr(contains("new model"));
}

#[test]
fn generate_is_deterministic_by_seed() {
    let run = |seed: &str| {
        hs().args(["generate", "3", "--seed", seed])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let a = run("5");
    assert_eq!(a, run("5"));
    assert_ne!(a, run("6"));
    assert_eq!(String::from_utf8(a).unwrap().lines().count(), 3);
    hs().args(["generate", "3", "--model", "missing.json"])
        .assert()
        .code(2);
}

#[test]
fn report_writes_a_file_or_says_why_not() {
    let out = tmp("report.html");
    hs().args(["report", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("wrote"));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("<svg id=\"bands-by-segment\""));
    hs().args(["report", "-o", "/nonexistent-dir/report.html"])
        .assert()
        .code(4);
    // As the state files are written: a device directly (the report on
    // standard output), and through a link, the file it names (the link
    // stays).
    hs().args(["report", "-o", "/dev/stdout"])
        .assert()
        .success()
        .stdout(contains("<svg id=\"bands-by-segment\""));
    #[cfg(unix)]
    {
        let (real, link) = (tmp("report-real.html"), tmp("report-link.html"));
        let _ = std::fs::remove_file(&link);
        std::fs::write(&real, "earlier").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        hs().args(["report", "-o"]).arg(&link).assert().success();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real)
            .unwrap()
            .contains("<svg id=\"bands-by-segment\""));
    }
    hs().args(["report", "--scores", "examples/data/history_scores.jsonl"])
        .assert()
        .code(2);
}

#[test]
fn rules_may_use_lifecycle_verdicts_when_a_lifecycle_is_given() {
    let rules = tmp("lifecycle-rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": [{"id": "stuck", "title": "Stuck in stage", "kind": "risk",
            "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "overdue"}}]}"#,
    )
    .unwrap();
    // Without the lifecycle the rules cannot be compiled, and say why.
    hs().args(["check", "examples/data/model.json", "--rules"])
        .arg(&rules)
        .assert()
        .code(2)
        .stdout(contains(
            "rules[0].when: lifecycle verdicts need a lifecycle",
        ));
    hs().args([
        "check",
        "examples/data/model.json",
        "--lifecycle",
        "examples/data/lifecycle.json",
        "--rules",
    ])
    .arg(&rules)
    .assert()
    .success()
    .stdout(contains("rules: 1 valid (stuck)"));
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "examples/data/portfolio.jsonl",
    ])
    .args(["--lifecycle", "examples/data/lifecycle.json", "--rules"])
    .arg(&rules)
    .assert()
    .success()
    .stdout(contains(
        r#""reason":"overdue: 92 days in onboarding (max 60)""#,
    ))
    .stderr(contains("CTAs: 457 opened"));
}

#[test]
fn diff_rejects_an_account_both_models_refuse_once() {
    let bad = accounts("diff-bad.jsonl", 4, &[NEGATIVE_MRR]);
    let out = hs()
        .args([
            "diff",
            "examples/data/model.json",
            "examples/data/model.toml",
            "--accounts",
        ])
        .arg(&bad)
        .assert()
        .code(3)
        .stdout(contains("4 accounts compared, 0 changed band"))
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.matches("rejected line 5").count(), 1, "{err}");
    assert!(
        err.contains("old model: account bad: mrr -1 is negative; new model: account bad"),
        "{err}"
    );
    assert!(err.contains("1 account rejected"), "{err}");
}
