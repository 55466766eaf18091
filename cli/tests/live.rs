//! Accounts piped in as they happen (a queue consumer's output into
//! `score --accounts -`) are scored and written as each comes, not once
//! a batch of a thousand has come or the pipe is closed.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn accounts_piped_in_one_at_a_time_are_scored_as_they_come() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthscore"))
        .current_dir(root())
        .args([
            "score",
            "--model",
            "examples/data/model.json",
            "--accounts",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, scored) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = lines.send(line.unwrap());
        }
    });
    let portfolio = std::fs::read_to_string(root().join("examples/data/portfolio.jsonl")).unwrap();
    let id = |json: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["id"].as_str().unwrap().to_string()
    };
    for account in portfolio.lines().take(3) {
        writeln!(stdin, "{account}").unwrap();
        stdin.flush().unwrap();
        // Its score comes while the pipe stays open.
        let line = scored
            .recv_timeout(Duration::from_secs(60))
            .expect("a score for the account piped in");
        assert_eq!(id(&line), id(account));
    }
    // A line that is no account is rejected as it comes too; the next
    // account is still scored.
    writeln!(stdin, "not an account").unwrap();
    let next = portfolio.lines().nth(3).unwrap();
    writeln!(stdin, "{next}").unwrap();
    stdin.flush().unwrap();
    let line = scored.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(id(&line), id(next));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "one line was rejected");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected line 4: ") && stderr.contains("5 read, 4 scored, 1 rejected"),
        "{stderr}"
    );
    assert!(scored.try_recv().is_err(), "nothing more written");
}
