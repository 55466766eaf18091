//! What the command-line tests share: the binary run from the
//! repository's root, and files in the tests' own temporary directory.

#![allow(dead_code)] // not every test file uses every helper

pub mod generated;

use assert_cmd::Command;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The tool, run from the repository root (where its defaults point).
pub fn hs() -> Command {
    let mut c = Command::cargo_bin("healthscore").expect("binary built");
    c.current_dir(root());
    c
}

pub fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(name)
}

/// The bundled portfolio's first `n` lines plus `extra` lines.
pub fn accounts(name: &str, n: usize, extra: &[&str]) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/data/portfolio.jsonl")).unwrap();
    let mut lines: Vec<&str> = text.lines().take(n).collect();
    lines.extend_from_slice(extra);
    let path = tmp(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The record batches of an Arrow IPC file or stream, as written.
pub fn ipc_batches(path: &std::path::Path) -> Vec<arrow_array::RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    if path.extension().is_some_and(|e| e == "arrows") {
        let reader = arrow_ipc::reader::StreamReader::try_new(file, None).unwrap();
        reader.map(Result::unwrap).collect()
    } else {
        let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
        reader.map(Result::unwrap).collect()
    }
}
