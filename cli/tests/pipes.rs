//! Standard output and error that cannot be written (a reader that
//! closed the pipe, a full disk): the command's status, never a panic.
//! And standard input that stays open: accounts scored as they come.

mod common;
use common::{accounts, root};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

/// A closed standard error (`2>&1 | head`, a log reader that went away)
/// loses the messages, not the run: the command ends with its own status
/// (3: accounts were rejected), not a panic's 101.
#[test]
fn a_closed_standard_error_is_not_a_panic() {
    let bad: Vec<String> = (0..5_000).map(|i| format!(r#"{{"id": "x{i}"}}"#)).collect();
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let input = accounts("closed-stderr.jsonl", 3, &bad);
    for command in ["score", "portfolio"] {
        // A pipe whose reader is gone before the command starts.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("healthscore"))
            .current_dir(root())
            .args([command, "--model", "examples/data/model.json", "--accounts"])
            .arg(&input)
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(3), "{command}: {status}");
    }
}

/// A table that cannot be written (a reader that closed the pipe, `|
/// head -1`; a full disk) ends the command with status 4 and one line
/// saying so, not a panic, for every command that prints one.
#[test]
fn a_closed_standard_output_is_status_4() {
    let commands: [&[&str]; 5] = [
        &["portfolio", "--lowest", "100000"],
        &[
            "diff",
            "examples/data/model.json",
            "examples/data/model.json",
            "--show",
            "100000",
        ],
        &["check", "examples/data/model.json"],
        &["backtest"],
        &["explain", "acct-0000042"],
    ];
    let run = |args: &[&str], stdout: std::process::Stdio| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("healthscore"))
            .current_dir(root())
            .args(args)
            .stdout(stdout)
            .output()
            .unwrap()
    };
    for args in commands {
        // A pipe whose reader is gone before the command starts.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = run(args, writer.into());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(
            stderr.ends_with("error: standard output: Broken pipe (os error 32)\n"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    #[cfg(target_os = "linux")]
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = run(&["portfolio"], full.into());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(
            stderr.ends_with("error: standard output: No space left on device (os error 28)\n"),
            "{stderr}"
        );
    }
}

/// Accounts piped in as they happen (a queue consumer's output into
/// `score --accounts -`) are scored and written as each comes, not once
/// a batch of a thousand has come or the pipe is closed.
#[test]
fn accounts_piped_in_one_at_a_time_are_scored_as_they_come() {
    let mut child = common::score_from_pipe(Stdio::piped(), Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let (scored, reader) = common::lines_as_they_come(child.stdout.take().unwrap());
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
