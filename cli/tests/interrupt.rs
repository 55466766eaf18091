//! A run ended by a signal (a scheduler's timeout sends `SIGTERM`) leaves
//! no temporary file behind and the earlier results whole, and still ends
//! as killed by that signal.
#![cfg(unix)]

mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("interrupt")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Waits (up to a minute) for `path` to exist while `child` runs.
fn until_written(child: &mut Child, path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ended ({status}) before {} was written", path.display());
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends SIGTERM and checks the run ended by it, its temporary file gone,
/// and its last words saying so.
fn terminate(child: Child, temp: &Path) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(15), "{}", out.status);
    assert!(!temp.exists(), "{} left behind", temp.display());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = format!(
        "healthscore: stopped by SIGTERM; removed the unfinished {} (the file it was to replace is untouched)\n",
        temp.display()
    );
    assert!(stderr.ends_with(&said), "{stderr}");
}

/// The files in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A `score --state-out` run of the bundled model and playbook, reading
/// JSON accounts from a pipe it is sent three of and that stays open: the
/// state's temporary file exists from the start of the run.
fn state_run(state: &Path) -> (Child, std::process::ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthscore"))
        .current_dir(root())
        .args(["score", "--model", "examples/data/model.json"])
        .args(["--rules", "examples/data/playbook.json", "--accounts", "-"])
        .arg("--state-out")
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let portfolio = std::fs::read_to_string(root().join("examples/data/portfolio.jsonl")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in portfolio.lines().take(3) {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    (child, stdin)
}

/// [`state_run`] in a directory of its own, over a `state.jsonl` that
/// holds `earlier`, once its temporary file is there: the directory, the
/// state file, the run, its input and its temporary file.
fn state_run_started(name: &str) -> (PathBuf, PathBuf, Child, std::process::ChildStdin, PathBuf) {
    let d = dir(name);
    let state = d.join("state.jsonl");
    std::fs::write(&state, "earlier\n").unwrap();
    let (mut child, stdin) = state_run(&state);
    let temp = d.join(format!(".state.jsonl.tmp-{}", child.id()));
    until_written(&mut child, &temp);
    (d, state, child, stdin, temp)
}

/// JSON accounts read from a pipe that stays open, with the CTA state
/// written to `--state-out`: the state's temporary file exists from the
/// start of the run.
#[test]
fn a_terminated_json_run_removes_its_state_file_in_progress() {
    let (d, state, child, stdin, temp) = state_run_started("state");
    terminate(child, &temp);
    drop(stdin);
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "earlier\n");
    assert_eq!(names(&d), ["state.jsonl"]);
}

/// Sets `path`'s modification time `ago` back.
fn age(path: &Path, ago: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - ago)
        .unwrap();
}

/// A run killed outright (`SIGKILL`: the out-of-memory killer) cannot
/// remove its temporary file; a later run writing the same file removes
/// it once it has been left alone for an hour, and says so. One more
/// recent, or of a process still running, it leaves.
#[test]
fn a_killed_runs_temporary_file_is_removed_by_a_later_run() {
    let (d, state, mut child, stdin, left) = state_run_started("killed");
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    drop(stdin);
    assert!(left.exists());
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "earlier\n");
    // Of a process still running (this test's), and of a run killed a
    // minute ago: both stay.
    let running = d.join(format!(".state.jsonl.tmp-{}", std::process::id()));
    std::fs::write(&running, "").unwrap();
    age(&running, Duration::from_secs(7200));
    age(&left, Duration::from_secs(60));
    let run_again = || {
        let out = Command::new(env!("CARGO_BIN_EXE_healthscore"))
            .current_dir(root())
            .args(["score", "--model", "examples/data/model.json"])
            .args(["--rules", "examples/data/playbook.json"])
            .args(["--accounts", "examples/data/portfolio.jsonl", "--state-out"])
            .arg(&state)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run_again();
    assert!(!stderr.contains("removed"), "{stderr}");
    assert!(left.exists() && running.exists());
    // Two hours on, the killed run's file goes, and the run says so.
    age(&left, Duration::from_secs(7200));
    let stderr = run_again();
    let said = format!(
        "note: removed {}, which a run killed before it finished had left\n",
        left.display()
    );
    assert!(stderr.starts_with(&said), "{stderr}");
    assert!(!left.exists());
    assert!(running.exists());
    assert_ne!(std::fs::read_to_string(&state).unwrap(), "earlier\n");
}

/// Columnar accounts into a Parquet file: stopped while the results are
/// written, the earlier results stay and nothing else is left.
#[test]
fn a_terminated_columnar_run_removes_its_results_in_progress() {
    let d = dir("columnar");
    let mut csv = String::from("id,mrr,employees,seats_provisioned_ratio,sso_enabled,integrations_count,exec_sponsor_meetings_90d,nps,support_csat,weekly_active_ratio,feature_breadth_ratio,logins_per_user_30d,value_realized_ratio,quota_utilization_ratio,renewal_days_left\n");
    // Enough rows that the run is still going when it is stopped.
    for i in 0..300_000 {
        csv += &format!(
            "{i},{}.50,80,1.0,1,6,2,40,4.5,0.6,0.5,12,1.0,0.9,120\n",
            100 + i % 900
        );
    }
    let input = d.join("accounts.csv");
    std::fs::write(&input, csv).unwrap();
    let out = d.join("scores.parquet");
    std::fs::write(&out, "earlier").unwrap();
    // `score` of the accounts into `out`.
    let score = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_healthscore"));
        command
            .current_dir(root())
            .args(["score", "--model", "examples/data/model-v0m.json"])
            .args(["--as-of", "2026-11-30", "--accounts"])
            .arg(&input)
            .arg("--out")
            .arg(&out);
        command
    };
    let mut child = score()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let temp = d.join(format!(".scores.parquet.tmp-{}", child.id()));
    until_written(&mut child, &temp);
    terminate(child, &temp);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier");
    assert_eq!(names(&d), ["accounts.csv", "scores.parquet"]);
    // What a run killed outright two hours ago left, the next run removes
    // (process ids stop short of 4,000,000,000: that one has ended).
    let left = d.join(".scores.parquet.tmp-4000000000");
    std::fs::write(&left, "half").unwrap();
    age(&left, Duration::from_secs(7200));
    let run = score().output().unwrap();
    assert!(run.status.success(), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with(&format!("note: removed {}, ", left.display())),
        "{stderr}"
    );
    assert_eq!(names(&d), ["accounts.csv", "scores.parquet"]);
}

/// Stopped in the middle of a run of rejected lines (JSON accounts read
/// from a pipe that stays open), a run says how far the run went before
/// its own last line: the run's first line was said at once, the rest
/// would have been said when the run ended.
#[test]
fn a_stop_says_how_far_a_run_of_rejections_went() {
    let mut child = common::score_from_pipe(Stdio::null(), Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..6 {
        writeln!(stdin, "not an account").unwrap();
    }
    stdin.flush().unwrap();
    // Read stderr as it comes, until the run's first line is there.
    let (said, reader) = common::lines_as_they_come(child.stderr.take().unwrap());
    let first = said.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(first.starts_with("rejected line 1: "), "{first}");
    // The five lines after it were written with it: read by now.
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().signal(), Some(15));
    drop(stdin);
    reader.join().unwrap();
    let rest: Vec<String> = said.try_iter().collect();
    // The reason as runs group it: without the account (none here) and
    // where the parser stopped.
    let reason = first.trim_start_matches("rejected line 1: account (no id): ");
    let reason = reason.split(" at line ").next().unwrap();
    assert_eq!(
        rest,
        [
            format!("rejected lines 2 to 6 (5 lines): {reason}"),
            "healthscore: stopped by SIGTERM".to_string()
        ],
        "after {first}"
    );
}
