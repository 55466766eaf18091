//! `score` over files of columns: CSV, Parquet and Arrow accounts into
//! results tables by extension, their CTAs, and files of another kind
//! refused whole.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

mod common;
#[path = "../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
use common::{hs, tmp};

/// `healthscore score` of a v0m columnar file as of 2026-11-30 into `out`,
/// with `extra` flags.
fn score_v0m(input: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = hs();
    cmd.args([
        "score",
        "--model",
        "examples/data/model-v0m.json",
        "--as-of",
        "2026-11-30",
    ])
    .args(extra)
    .arg("--accounts")
    .arg(input)
    .arg("--out")
    .arg(out);
    cmd
}

/// Columnar accounts: a CSV of the reference model v0m scored into JSON
/// lines, Parquet and CSV; a bad row reported in its row (exit 3); flags
/// that only make sense for one kind of input refused (exit 2).
#[test]
fn score_reads_csv_and_writes_by_extension() {
    let metrics = v0m::METRICS;
    let mut csv = format!("id,mrr,employees,region,{}\n", metrics.join(","));
    csv += "1,1200.50,80,emea,1.0,1,6,2,40,4.5,0.6,0.5,12,1.0,0.9,120\n";
    csv += "2,99.99,12,amer,,0,,,,,0.2,,,,,\n";
    csv += "3,5000,700,apac,1.0,1,6,2,40,4.5,1.7,0.5,12,1.0,0.9,120\n";
    let input = tmp("v0m.csv");
    std::fs::write(&input, csv).unwrap();
    for ext in ["jsonl", "parquet", "csv"] {
        let out = tmp(&format!("v0m-scores.{ext}"));
        score_v0m(&input, &out, &[])
            .assert()
            .code(3)
            .stderr(contains(format!(
                "scored 2 of 3 accounts into {}",
                out.display()
            )))
            .stderr(contains(
                "; 1 rejected (see the error column), the first: account 3: weekly_active_ratio",
            ));
        assert!(out.exists());
    }
    let lines = std::fs::read_to_string(tmp("v0m-scores.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["segment"], "mid/medium");
    assert!(rows[0]["band"].is_string());
    assert_eq!(
        rows[2]["error"],
        "account 3: weekly_active_ratio: ratio number 1.7 is outside 0..=1"
    );
    // On one thread: the same results; zero threads is refused.
    let one = tmp("v0m-scores-1.jsonl");
    score_v0m(&input, &one, &["--threads", "1"])
        .assert()
        .code(3);
    assert_eq!(std::fs::read_to_string(&one).unwrap(), lines);
    assert!(lines.contains("\"pulls_down_most\":"), "{lines}");
    // Without drivers: the same scores, no pulls_down_most column.
    let lean = tmp("v0m-scores-lean.jsonl");
    score_v0m(&input, &lean, &["--no-drivers"]).assert().code(3);
    let lean = std::fs::read_to_string(&lean).unwrap();
    assert!(!lean.contains("pulls_down_most"), "{lean}");
    assert_eq!(lean.lines().count(), 3);
    hs().args([
        "score",
        "--model",
        "examples/data/model-v0m.json",
        "--threads",
        "0",
        "--accounts",
    ])
    .arg(&input)
    .assert()
    .code(2)
    .stderr(contains("--threads"));
    // An as-of date past the years accepted, or not YYYY-MM-DD: the
    // command's error, not one rejection per row.
    // What is wrong, said: the shape and years, or a day the calendar
    // does not have.
    for (bad, why) in [
        ("+10000-01-01", "expected YYYY-MM-DD, years 0001 to 9999"),
        ("99999-01-01", "expected YYYY-MM-DD, years 0001 to 9999"),
        ("0000-01-01", "expected YYYY-MM-DD, years 0001 to 9999"),
        ("2026-13-01", "no such day (expected YYYY-MM-DD)"),
        ("2026-02-30", "no such day (expected YYYY-MM-DD)"),
        (" 2026-11-30", "expected YYYY-MM-DD, years 0001 to 9999"),
        (
            "2026-11-30T00:00",
            "expected YYYY-MM-DD, years 0001 to 9999",
        ),
    ] {
        hs().args([
            "score",
            "--model",
            "examples/data/model-v0m.json",
            "--as-of",
            bad,
        ])
        .arg("--accounts")
        .arg(&input)
        .arg("--out")
        .arg(tmp("never.jsonl"))
        .assert()
        .code(2)
        .stderr(contains(format!("--as-of {bad}: {why}")));
    }
    assert!(!tmp("never.jsonl").exists());
    // Extensions in any case: a spreadsheet's EXPORT.CSV is CSV.
    let upper = tmp("V0M-EXPORT.CSV");
    std::fs::copy(&input, &upper).unwrap();
    let upper_out = tmp("V0M-SCORES.JSONL");
    score_v0m(&upper, &upper_out, &[]).assert().code(3);
    assert_eq!(std::fs::read_to_string(&upper_out).unwrap(), lines);
    // Results that cannot be written: the output's exit status, naming
    // the file as given (not the temporary file written first).
    let nowhere = tmp("no-such-directory").join("scores.csv");
    score_v0m(&input, &nowhere, &[])
        .assert()
        .code(4)
        .stderr(contains(format!("error: {}: ", nowhere.display())));
    // An export cut short mid-line: the cut line's row is rejected, naming
    // its line, and the rows before it are scored (exit 3).
    let cut = tmp("v0m-cut.csv");
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(&cut, &text[..text.len() - 20]).unwrap();
    score_v0m(&cut, &tmp("v0m-cut.jsonl"), &[]).assert().code(3);
    let scored = std::fs::read_to_string(tmp("v0m-cut.jsonl")).unwrap();
    let scored: Vec<&str> = scored.lines().collect();
    assert_eq!(scored.len(), 3, "{scored:?}");
    assert_eq!(scored[..2], lines.lines().take(2).collect::<Vec<_>>()[..]);
    assert!(
        scored[2].contains("line 4 is cut short") && scored[2].contains("a file cut off?"),
        "{}",
        scored[2]
    );
    // A line that is not UTF-8 (Latin-1 from a spreadsheet) rejects its
    // row, saying what to do; the others are scored.
    let latin = tmp("v0m-latin1.csv");
    let mut bytes = text.clone().into_bytes();
    let last_line = text.trim_end().rfind('\n').unwrap() + 1;
    bytes.insert(last_line, 0xe9);
    std::fs::write(&latin, bytes).unwrap();
    score_v0m(&latin, &tmp("v0m-latin1.jsonl"), &[])
        .assert()
        .code(3);
    let scored = std::fs::read_to_string(tmp("v0m-latin1.jsonl")).unwrap();
    let scored: Vec<&str> = scored.lines().collect();
    assert_eq!(scored[..2], lines.lines().take(2).collect::<Vec<_>>()[..]);
    assert!(
        scored[2].contains("line 4 is not UTF-8 text (byte 0xE9 at byte 1 of the line): save the file as CSV UTF-8"),
        "{}",
        scored[2]
    );
    // Flags for the other kind of output are refused, not ignored: to
    // standard output, columnar accounts are explained as JSON accounts
    // are.
    hs().args([
        "score",
        "--model",
        "examples/data/model-v0m.json",
        "--no-drivers",
        "--accounts",
    ])
    .arg(&input)
    .assert()
    .code(2)
    .stderr(contains(
        "--no-drivers is for the results table (--out FILE)",
    ));
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "examples/data/portfolio.jsonl",
        "--as-of",
        "2026-11-30",
    ])
    .assert()
    .code(2)
    .stderr(contains(
        "--as-of is for columnar accounts (.parquet, .csv, .arrow) without an as_of column",
    ));
}

/// Columnar accounts with `--rules`: each row's CTAs in the `ctas` and
/// `cta_kinds` columns, with named dates and authors read from their
/// columns; CTA state files are refused for columnar input.
/// The summary's first rejection quotes the row's id as the table has it:
/// escaped, so that an id holding a terminal's control sequences (a
/// screen clear, a carriage return and a made-up line) is shown, not
/// obeyed, and clipped when huge, as every rejection printed is. The
/// results table keeps the id as read.
#[test]
fn the_first_rejection_is_printed_escaped() {
    let metrics = v0m::METRICS;
    let blanks = ",".repeat(metrics.len());
    let hostile = "x\u{1b}[2J\r\nscored 1 accounts: ok";
    let long = "y".repeat(20_000);
    for (name, id, shown) in [
        (
            "hostile",
            hostile,
            r"account x\u{1b}[2J\r\nscored 1 accounts: ok: mrr -5 is negative",
        ),
        ("long", long.as_str(), "characters left out"),
    ] {
        let input = tmp(&format!("first-rejection-{name}.csv"));
        let csv = format!(
            "id,mrr,employees,{}\n\"{id}\",-5,3{blanks}\n2,10,3{blanks}\n",
            metrics.join(",")
        );
        std::fs::write(&input, csv).unwrap();
        let out = tmp(&format!("first-rejection-{name}.jsonl"));
        let said = score_v0m(&input, &out, &[])
            .assert()
            .code(3)
            .get_output()
            .stderr
            .clone();
        let said = String::from_utf8(said).unwrap();
        let line = said
            .lines()
            .find(|l| l.starts_with("scored 1 of 2 accounts"))
            .unwrap_or_else(|| panic!("{said:.2000}"));
        assert!(line.contains(shown), "{line:.2000}");
        assert!(!said.contains(['\u{1b}', '\r']), "{said:.2000}");
        assert!(line.chars().count() < 700, "{line:.2000}");
        let table = std::fs::read_to_string(&out).unwrap();
        let first: serde_json::Value = serde_json::from_str(table.lines().next().unwrap()).unwrap();
        assert_eq!(first["id"], id);
    }
    // One account is one account.
    let input = tmp("first-rejection-one.csv");
    let csv = format!("id,mrr,employees,{}\n2,10,3{blanks}\n", metrics.join(","));
    std::fs::write(&input, csv).unwrap();
    score_v0m(&input, &tmp("first-rejection-one.jsonl"), &[])
        .assert()
        .success()
        .stderr(contains("scored 1 account into "));
}

#[test]
fn columnar_accounts_get_their_ctas() {
    let metrics = [
        "seats_provisioned",
        "sso_enabled",
        "integrations",
        "nps",
        "support_csat",
        "open_escalations",
        "csm_sentiment",
        "weekly_active",
        "feature_breadth",
        "shared_logins",
        "logins_per_user",
        "value_vs_goal",
        "quota_utilisation",
        "value_realised",
    ];
    let mut csv = format!(
        "id,mrr,employees,previous_score,renewal__date,csm_sentiment__author,{}\n",
        metrics.join(",")
    );
    // A struggling account renewing in a month, and a healthy one.
    csv += "low,800.00,40,80.5,2026-12-30,csm-1,0.1,0,0,-60,1.5,5,1,0.05,0.05,0.4,1,0.1,0.1,100\n";
    csv += "high,9000.00,900,,2027-09-01,csm-2,0.95,1,6,70,4.8,0,5,0.9,0.8,0.0,80,1.2,0.9,15000\n";
    let input = tmp("bundled.csv");
    std::fs::write(&input, csv).unwrap();
    let out = tmp("bundled-ctas.jsonl");
    let score = |extra: &[&str]| {
        let mut cmd = common::score_with_playbook();
        cmd.args(["--as-of", "2026-11-30"])
            .args(extra)
            .arg("--accounts")
            .arg(&input)
            .arg("--out")
            .arg(&out);
        cmd
    };
    // Every date column is one the rules read: no note. No row rejected:
    // nothing said of rejections.
    score(&[])
        .assert()
        .success()
        .stderr(contains("no rule reads").not())
        .stderr(contains(format!(
            "scored 2 accounts into {} in ",
            out.display()
        )))
        .stderr(contains("rejected").not());
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["band"], "red", "{}", rows[0]);
    // Most urgent first; kinds once each, in that order.
    assert_eq!(
        rows[0]["ctas"],
        "red-band; low-adoption-near-renewal; score-fell; renewal-review; shared-logins"
    );
    assert_eq!(rows[0]["cta_kinds"], "risk; lifecycle; expansion");
    assert_eq!(rows[1]["band"], "green");
    assert_eq!(rows[1]["ctas"], "quota-expansion");
    assert_eq!(rows[1]["cta_kinds"], "expansion");
    score(&["--state-out", "state.jsonl"])
        .assert()
        .code(2)
        .stderr(contains(
            "with --state or --state-out, columnar accounts are scored as JSON accounts are",
        ));
    // A misspelt date column is ignored, and named: no renewal rule fires.
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(&input, text.replacen("renewal__date", "renewwal__date", 1)).unwrap();
    score(&[])
        .assert()
        .success()
        .stderr(contains("no rule reads (ignored): column renewwal__date\n"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("renewal-review"), "{text}");
}

/// The portfolio table names the model's version with one `v`, whether
/// the version says it (`v0m`) or not (`2026.11`, covered above).
#[test]
fn a_version_that_starts_with_v_is_not_doubled() {
    let generated = hs()
        .args(["generate", "5", "--model", "examples/data/model-v0m.json"])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let input = tmp("v0m-five.jsonl");
    std::fs::write(&input, generated.stdout).unwrap();
    hs().args([
        "portfolio",
        "--model",
        "examples/data/model-v0m.json",
        "--accounts",
    ])
    .arg(&input)
    .assert()
    .success()
    .stdout(contains("model reference model v0m v0m: 5 accounts"))
    .stdout(contains("vv0m").not());
}

/// A CSV file given where JSON is read (named `.txt`, or piped) is
/// refused as a whole, exit 2, saying what it looks like: not one
/// rejection per line. JSON lines gzip- or zstd-compressed are read as
/// they decompress, from a file or piped; a gzip stream cut short is an
/// error saying so, and one compressed twice is refused as such.
#[test]
fn a_file_of_another_kind_is_refused_whole() {
    let csv = tmp("accounts-as-text.txt");
    std::fs::write(&csv, "id,mrr,employees\n1,10,5\n2,20,6\n").unwrap();
    for command in ["score", "portfolio", "diff"] {
        let mut cmd = hs();
        cmd.arg(command);
        if command == "diff" {
            cmd.args(["examples/data/model.json", "examples/data/model.json"]);
        } else {
            cmd.args(["--model", "examples/data/model.json"]);
        }
        cmd.arg("--accounts")
            .arg(&csv)
            .assert()
            .code(2)
            .stderr(contains("not JSON lines or a JSON array: its first line looks like a CSV header (\"id,mrr,employees\")"))
            .stderr(contains("rejected line").not());
    }
    hs().args([
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "-",
    ])
    .write_stdin(&[0x1f, 0x8b, 0x08, 0x00, 0x00][..])
    .assert()
    .code(2)
    .stderr(contains(
        "gzip: unexpected end of file (a damaged or cut file?)",
    ));
    let gzip = |bytes: &[u8]| {
        use std::io::Write;
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        w.write_all(bytes).unwrap();
        w.finish().unwrap()
    };
    let text = std::fs::read(common::root().join("examples/data/portfolio.jsonl")).unwrap();
    let plain = hs()
        .args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(common::root().join("examples/data/portfolio.jsonl"))
        .output()
        .unwrap();
    assert!(plain.status.success());
    let gz = tmp("portfolio.jsonl.gz");
    std::fs::write(&gz, gzip(&text)).unwrap();
    let from_file = hs()
        .args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(&gz)
        .output()
        .unwrap();
    assert!(from_file.status.success());
    assert!(
        from_file.stdout == plain.stdout,
        "the gzip file scores as its text"
    );
    let args = [
        "score",
        "--model",
        "examples/data/model.json",
        "--accounts",
        "-",
    ];
    let zst = zstd::encode_all(&text[..], 3).unwrap();
    hs().args(args)
        .write_stdin(zst)
        .assert()
        .success()
        .stdout(plain.stdout.clone());
    hs().args(args)
        .write_stdin(gzip(&gzip(&text)))
        .assert()
        .code(2)
        .stderr(contains("gzip-compressed twice"));
}

/// A named pipe named `.csv` (an export streamed in) is refused at once,
/// saying why, instead of waiting for a writer: CSV is read twice, its
/// header line first.
#[cfg(unix)]
#[test]
fn a_named_pipe_of_csv_is_refused_not_waited_on() {
    let pipe = tmp("pipe-accounts.csv");
    let _ = std::fs::remove_file(&pipe);
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here: nothing to check
    }
    hs().args(["score", "--model", "examples/data/model.json", "--accounts"])
        .arg(&pipe)
        .args(["--out", tmp("pipe-out.csv").to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(contains("not a regular file (a named pipe?)"));
    std::fs::remove_file(&pipe).unwrap();
}
