//! Standard output and error that cannot be written (a reader that
//! closed the pipe, a full disk): the command's status, never a panic.

mod common;
use common::{accounts, root};

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
