//! The report as a person sees it: rendered in headless Chromium (skipped,
//! saying so, when Chromium is not installed; `.ci/run` installs it), with
//! no console errors, the expected charts and numbers present, and a
//! screenshot kept in the test's output directory. And the numbers are
//! exactly those of `portfolio` and `backtest`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&dir).expect("output directory");
    dir
}

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("healthscore")
        .expect("binary built")
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Writes the full report (portfolio and back-test) and returns its text.
fn report(path: &Path) -> String {
    let p = path.to_str().expect("UTF-8 path");
    run(&[
        "report",
        "--scores",
        "examples/data/history_scores.jsonl",
        "--outcomes",
        "examples/data/history_outcomes.jsonl",
        "-o",
        p,
    ]);
    std::fs::read_to_string(path).expect("report written")
}

/// The text of `<pre id="ID">…</pre>`, unescaped.
fn pre(html: &str, id: &str) -> String {
    let open = format!("<pre id=\"{id}\">");
    let start = html
        .find(&open)
        .map(|i| i + open.len())
        .expect("section present");
    let end = html[start..].find("</pre>").expect("closed") + start;
    html[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn the_numbers_are_those_of_portfolio_and_backtest() {
    let html = report(&out_dir().join("numbers.html"));
    assert_eq!(pre(&html, "portfolio-table"), run(&["portfolio"]));
    assert_eq!(pre(&html, "backtest-table"), run(&["backtest"]));
    // Self-contained: no scripts, no network, no external fonts or styles.
    for banned in ["<script", "http://", "https://", "@import", "url("] {
        assert!(!html.contains(banned), "the report contains {banned}");
    }
    // The charts carry the same numbers.
    assert!(
        html.contains("<title>lime: 3,221,836.56</title>"),
        "MRR per band"
    );
    assert!(html.contains("<title>red: 31.4%</title>"), "churn per band");
    assert!(html.contains("<p id=\"auc\">AUC 0.796"), "AUC");
}

#[test]
fn the_report_renders_in_chromium_without_console_errors() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!(
            "SKIPPED: no Chromium on this machine (apt-get install chromium); .ci/run installs it"
        );
        return;
    };
    let dir = out_dir();
    let page = dir.join("report.html");
    report(&page);
    let url = format!("file://{}", page.canonicalize().expect("exists").display());
    let profile = dir.join("chromium-profile");
    let chrome = |extra: &[&str]| {
        let out = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let dom = chrome(&["--dump-dom"]);
    let console: Vec<String> = String::from_utf8_lossy(&dom.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_string)
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for chart in [
        "bands-by-segment",
        "mrr-by-band",
        "stale-by-metric",
        "missing-by-metric",
        "churn-by-band",
        "expansion-by-band",
        "roc",
        "band-mix",
    ] {
        assert!(
            dom.contains(&format!("<svg id=\"{chart}\"")),
            "chart {chart} missing from the rendered page"
        );
    }
    assert!(dom.contains("MRR 10,403,555.63"));
    assert!(dom.contains("AUC 0.796"));
    let shot = dir.join("report.png");
    chrome(&[
        "--window-size=1100,4200",
        &format!("--screenshot={}", shot.display()),
    ]);
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 50_000,
        "screenshot {} is {size} bytes: blank?",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
}

/// Ids are shown as what they are: markup as text, and the invisible
/// characters that reorder the text after them (`acct-\u{202e}1000`
/// would show as `acct-0001`) as their escapes, in the report as in the
/// portfolio table on the terminal.
#[test]
fn hostile_ids_are_shown_as_written() {
    let portfolio = std::fs::read_to_string(root().join("examples/data/portfolio.jsonl"))
        .expect("bundled accounts");
    let ids = ["<script>alert(1)</script>", "acct-\u{202e}1000", "שלום-7"];
    let accounts: String = portfolio
        .lines()
        .zip(ids)
        .map(|(line, id)| {
            let mut account: serde_json::Value = serde_json::from_str(line).expect("JSON");
            account["id"] = id.into();
            format!("{account}\n")
        })
        .collect();
    let dir = out_dir();
    let input = dir.join("hostile.jsonl");
    std::fs::write(&input, accounts).expect("written");
    let out = dir.join("hostile.html");
    let (input, out) = (input.to_str().expect("UTF-8"), out.to_str().expect("UTF-8"));
    run(&["report", "--accounts", input, "-o", out]);
    let html = std::fs::read_to_string(out).expect("report written");
    assert!(!html.contains("<script"), "markup from an id");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains('\u{202e}'), "a reordering character");
    assert!(html.contains("acct-\\u{202e}1000"));
    // Right-to-left text needs no such character: it is shown as it is.
    assert!(html.contains("שלום-7"));
    let table = run(&["portfolio", "--accounts", input]);
    assert!(table.contains("acct-\\u{202e}1000") && !table.contains('\u{202e}'));
    assert!(table.contains("שלום-7"));
}
