//! A directory given as `--accounts` (a Spark export, `accounts.parquet/`
//! of part files; or a folder named by mistake) is refused saying what it
//! is and what to do, by every command, with exit status 2.

mod common;
use common::{hs, tmp};

#[test]
fn a_directory_of_accounts_is_refused_saying_so() {
    let parts = tmp("directories-accounts.parquet");
    let plain = tmp("directories-plain");
    for d in [&parts, &plain] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(parts.join("_SUCCESS"), "").unwrap();
    let out = tmp("directories-scores.csv");
    let runs: [(&[&str], &std::path::Path, &str); 4] = [
        (
            &["score", "--out", out.to_str().unwrap()],
            &parts,
            "a directory, not a file: score its parts one by one",
        ),
        (
            &["portfolio"],
            &parts,
            "read the directory as one table with the SQL path",
        ),
        (&["score"], &plain, "a directory, not a file of accounts"),
        (
            &["explain", "acct-1"],
            &plain,
            "a directory, not a file of accounts",
        ),
    ];
    for (args, dir, said) in runs {
        let run = hs()
            .args(args)
            .args(["--model", "examples/data/model.json", "--accounts"])
            .arg(dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(!stderr.contains("os error 21"), "{args:?}: {stderr}");
    }
    assert!(!out.exists());
}
