//! `portfolio`, `explain`, `report` and `diff` on a Parquet or CSV file
//! of columns, as `score` reads it.

use predicates::prelude::*;
use predicates::str::contains;
use std::path::PathBuf;

mod common;
use common::generated::generated_as_columns;
use common::{hs, root, tmp};

const V0M: &str = "examples/data/model-v0m.json";

/// 300 accounts generated for the bundled v0m model, as JSON lines and
/// as the same accounts in a CSV file of columns (`name.jsonl`,
/// `name.csv`).
fn v0m_accounts(name: &str) -> (PathBuf, PathBuf) {
    let (generated, _, columns) = generated_as_columns(V0M, 300, name);
    (generated, columns)
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
        let (code, stdout, stderr) = common::run_on(model, args, accounts);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        stdout
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
    // Row 3 is the third account, the spreadsheet's row 4 (the header is
    // its row 1): every command that names a CSV file's rows says so once.
    assert!(std::fs::read_to_string(&bad)
        .unwrap()
        .lines()
        .nth(3)
        .unwrap()
        .starts_with("acct-0000002,"));
    let counted =
        "(a CSV file's rows are counted after its header line: row N is row N+1 in a spreadsheet)";
    let scores = tmp("columns-bad-scores.csv");
    for command in [
        &["portfolio"][..],
        &["score"],
        &["score", "--out", scores.to_str().unwrap()],
    ] {
        let out = hs()
            .args(command)
            .args(["--model", model, "--accounts"])
            .arg(&bad)
            .assert()
            .code(3)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.matches(counted).count(), 1, "{command:?}: {stderr}");
    }
    // Not where nothing is rejected.
    for command in [&["portfolio"][..], &["score"]] {
        let out = hs()
            .args(command)
            .args(["--model", model, "--accounts"])
            .arg(&columns)
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains(counted), "{command:?}: {stderr}");
    }
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
    // A table of something else: every column an account needs, named in
    // one message, with the flag that gives the as-of date.
    let other = tmp("columns-other.csv");
    std::fs::write(
        &other,
        "Account,MRR,seats
x,5,1
",
    )
    .unwrap();
    let scores = tmp("columns-other-scores.csv");
    hs().args(["score", "--model", model, "--accounts"])
        .arg(&other)
        .arg("--out")
        .arg(&scores)
        .assert()
        .code(2)
        .stderr(contains(format!(
            "error: {}: columns id, mrr, employees, as_of: missing (the input has \"MRR\"; \
             column names must match exactly) (pass --as-of YYYY-MM-DD for as_of: the date the \
             scores are as of)\n",
            other.display()
        )));
    assert!(!scores.exists());
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

    // A file without an as-of date: the file's error, of neither model.
    hs().args(["diff", V0M])
        .arg(&next)
        .arg("--accounts")
        .arg(without(&columns, "as_of", "diff-columns-undated.csv"))
        .assert()
        .code(2)
        .stderr(contains("column as_of: missing").and(contains("model:").not()));
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

/// Without `--out`, a CSV file's accounts are scored to standard output
/// as the same accounts in JSON lines are, line for line, with their
/// explanations; a row it cannot read is rejected on stderr naming its
/// line, and the others are scored (exit 3), as a JSON line would be.
#[test]
fn columnar_accounts_without_out_are_scored_as_json_accounts_are() {
    let (_, json, csv) = generated_as_columns("examples/data/model.json", 300, "to-stdout");
    let score = |accounts: &PathBuf| {
        hs().args([
            "score",
            "--model",
            "examples/data/model.json",
            "--as-of",
            "2026-11-30",
            "--accounts",
        ])
        .arg(accounts)
        .output()
        .unwrap()
    };
    // (`--as-of` is for columns; the JSON accounts carry their own.)
    let a = hs()
        .args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(&json)
        .output()
        .unwrap();
    let b = score(&csv);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let b_err = String::from_utf8(b.stderr).unwrap();
    assert!(
        b_err.contains("300 read, 300 scored, 0 rejected"),
        "{b_err}"
    );
    let (a, b) = (
        String::from_utf8(a.stdout).unwrap(),
        String::from_utf8(b.stdout).unwrap(),
    );
    assert_eq!(b.lines().count(), 300);
    assert!(b.contains(r#""pulls_down_most""#) && b.contains(r#""metrics""#));
    same_lines(&a, &b);
    // A bad MRR cell on the third account's line rejects that row alone.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mrr = lines[0].split(',').position(|c| c == "mrr").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[mrr] = "$1200".into();
    lines[3] = cells.join(",");
    let bad = tmp("to-stdout-bad-mrr.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let c = score(&bad);
    assert_eq!(c.status.code(), Some(3));
    let stderr = String::from_utf8(c.stderr).unwrap();
    assert!(stderr.contains("299 scored, 1 rejected"), "{stderr}");
    assert!(
        stderr.contains(r#"row 3: account "#)
            && stderr.contains(r#"mrr: "$1200" is not a decimal number"#),
        "{stderr}"
    );
    assert_eq!(String::from_utf8(c.stdout).unwrap().lines().count(), 299);
}

/// `score --state-out` and `--state` on a CSV file of columns: its rows
/// are scored as the same accounts in JSON lines are, to standard output
/// with each account's CTA actions, and the state files of both runs are
/// byte for byte those of the JSON accounts (the bundled playbook over
/// the bundled model's generated accounts: stages, dates, events,
/// judgements).
#[test]
fn columnar_accounts_keep_cta_state_as_json_accounts_do() {
    let (_, json, csv) = generated_as_columns("examples/data/model.json", 400, "stateful");
    // `score` with the bundled playbook, its state written to `out`.
    let score = |accounts: &PathBuf, out: &PathBuf| {
        let mut cmd = common::score_with_playbook();
        cmd.args(["--accounts"])
            .arg(accounts)
            .arg("--state-out")
            .arg(out);
        cmd
    };
    let run = |accounts: &PathBuf, state: Option<&PathBuf>, out: &PathBuf| {
        let mut cmd = score(accounts, out);
        if let Some(state) = state {
            cmd.arg("--state").arg(state);
        }
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let files = |what: &str| ["json", "csv"].map(|k| tmp(&format!("stateful-{what}-{k}.jsonl")));
    let [first_json, first_csv] = files("first");
    let (a, a_err) = run(&json, None, &first_json);
    let (b, b_err) = run(&csv, None, &first_csv);
    assert_eq!(a.lines().count(), 400);
    assert!(a.contains(r#""ctas":[{"action":"open""#));
    // Rules on events fire from `<event>__event` columns.
    assert!(a.contains(r#""rule":"champion-lost""#));
    same_lines(&a, &b);
    assert_eq!(
        std::fs::read(&first_json).unwrap(),
        std::fs::read(&first_csv).unwrap()
    );
    assert!(
        b_err.contains("400 read, 400 scored, 0 rejected"),
        "{b_err}"
    );
    let opened = a_err.lines().find(|l| l.starts_with("CTAs: ")).unwrap();
    assert!(b_err.contains(opened), "{b_err}");
    // The second run, from the first's state: nothing opened again.
    let [second_json, second_csv] = files("second");
    let (a, a_err) = run(&json, Some(&first_json), &second_json);
    let (b, b_err) = run(&csv, Some(&first_csv), &second_csv);
    same_lines(&a, &b);
    assert_eq!(
        std::fs::read(&second_json).unwrap(),
        std::fs::read(&second_csv).unwrap()
    );
    assert!(a_err.contains("CTAs: 0 opened"), "{a_err}");
    assert!(b_err.contains("CTAs: 0 opened"), "{b_err}");
    // The results table is the other form: not with state.
    let never = tmp("stateful-never.jsonl");
    score(&csv, &never)
        .args(["--out", "x.parquet"])
        .assert()
        .code(2)
        .stderr(contains(
            "with --state or --state-out, columnar accounts are scored as JSON accounts are",
        ));
    assert!(!never.exists());
    // A file without a metric's column: the run stops, naming the file
    // once and the column.
    let narrow = without(&csv, "nps", "stateful-no-nps.csv");
    score(&narrow, &never)
        .assert()
        .code(2)
        .stderr(contains(format!(
            "error: {}: column nps: missing",
            narrow.display()
        )));
    assert!(!never.exists());
}

/// Two outputs line by line, showing the first line that differs (not
/// both outputs whole).
fn same_lines(a: &str, b: &str) {
    assert_eq!(a.lines().count(), b.lines().count());
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "line {}", n + 1);
    }
}

/// `--as-of` is for a file without an `as_of` column. Given for a file
/// with one, every command says that the file's dates are used, and they
/// are; for a file without one it is taken, without a note.
#[test]
fn as_of_beside_an_as_of_column_is_noted() {
    let (_, columns) = v0m_accounts("as-of-column");
    let text = std::fs::read_to_string(&columns).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.split(',').any(|c| c == "as_of"), "{header}");
    let note = "has an as_of column: its dates are used, not --as-of 2031-01-01";
    let out = tmp("as-of-column.out.csv");
    let at = header.split(',').position(|c| c == "id").unwrap();
    let first_id = text.lines().nth(1).unwrap().split(',').nth(at).unwrap();
    for args in [
        &["score", "--out", out.to_str().unwrap()][..],
        &["score"],
        &["portfolio"],
        &["explain", first_id],
    ] {
        let run = hs()
            .args(args)
            .args(["--model", V0M, "--as-of", "2031-01-01", "--accounts"])
            .arg(&columns)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains(note), "{args:?}: {stderr}");
        if args == ["score"] {
            let first: serde_json::Value =
                serde_json::from_slice(run.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
            assert_ne!(first["as_of"], "2031-01-01", "{first}");
        }
    }
    // Without the column, the flag is the date, and nothing is noted.
    let without: String = text
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let at = header.split(',').position(|c| c == "as_of").unwrap();
            cells
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, c)| *c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let file = tmp("as-of-column-without.csv");
    std::fs::write(&file, without + "\n").unwrap();
    // `score --as-of 2031-01-01` of `accounts`: what it says, and its
    // first account's record.
    let scored = |accounts: &std::path::Path| {
        let run = hs()
            .args([
                "score",
                "--model",
                V0M,
                "--as-of",
                "2031-01-01",
                "--accounts",
            ])
            .arg(accounts)
            .output()
            .unwrap();
        let first: serde_json::Value =
            serde_json::from_slice(run.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
        (String::from_utf8_lossy(&run.stderr).into_owned(), first)
    };
    let (stderr, first) = scored(&file);
    assert!(!stderr.contains("has an as_of column"), "{stderr}");
    assert_eq!(first["as_of"], "2031-01-01", "{first}");
    // The same file as a table partitioned by `as_of=…/`: its dates are
    // in the directories' names, and that is noted too.
    let table = tmp("as-of-partitioned");
    let _ = std::fs::remove_dir_all(&table);
    let part = table.join("as_of=2026-11-30");
    std::fs::create_dir_all(&part).unwrap();
    std::fs::copy(&file, part.join("part-0.csv")).unwrap();
    let (stderr, first) = scored(&table);
    assert!(stderr.contains(note), "{stderr}");
    assert_eq!(first["as_of"], "2026-11-30", "{first}");
}

/// An export whose `mrr` column is empty, or a file of accounts written
/// twice: every command says each run of rows rejected for one reason in
/// one line, with its first and last account, not a line a row; the
/// count still counts every row, and a short run still says each row.
#[test]
fn a_run_of_rows_rejected_for_one_reason_is_one_line() {
    let (json, columns) = v0m_accounts("one-line");
    let text = std::fs::read_to_string(&columns).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mrr = lines[0].split(',').position(|c| c == "mrr").unwrap();
    for line in lines.iter_mut().skip(1) {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells[mrr] = "";
        *line = cells.join(",");
    }
    let empty = tmp("one-line-no-mrr.csv");
    std::fs::write(&empty, lines.join("\n") + "\n").unwrap();
    let first = "rejected row 1: account acct-0000000: mrr: missing";
    let run =
        "rejected rows 2 to 300 (299 rows, accounts acct-0000001 to acct-0000299): mrr: missing";
    for args in [&["portfolio"][..], &["score"], &["explain", "acct-0000007"]] {
        let (code, _, stderr) = common::run_on(V0M, args, &empty);
        assert_eq!(code, Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{first}\n{run}\n")),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            stderr.matches("rejected row").count(),
            2,
            "{args:?}: {stderr}"
        );
    }
    // `explain` says why its account was rejected, the run's line
    // naming it only by its range.
    let (_, _, stderr) = common::run_on(V0M, &["explain", "acct-0000007"], &empty);
    assert!(
        stderr.contains("but was rejected (row 8: mrr: missing): it has no explanation"),
        "{stderr}"
    );
    // JSON lines written twice, then three lines that are not JSON.
    let once = std::fs::read_to_string(&json).unwrap();
    let twice = tmp("one-line-twice.jsonl");
    std::fs::write(&twice, format!("{once}{once}x\ny\nz\n")).unwrap();
    for args in [&["portfolio"][..], &["score"]] {
        let (code, _, stderr) = common::run_on(V0M, args, &twice);
        assert_eq!(code, Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "rejected lines 302 to 600 (299 lines, accounts acct-0000001 to acct-0000299): duplicate id"
            ),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("rejected line 301: account acct-0000000: duplicate id"),
            "{args:?}: {stderr}"
        );
        for n in 601..=603 {
            assert!(stderr.contains(&format!("rejected line {n}: ")), "{stderr}");
        }
        assert_eq!(
            stderr.matches("rejected line").count(),
            5,
            "{args:?}: {stderr}"
        );
    }
}
