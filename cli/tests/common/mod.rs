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

/// `score` with the bundled model and playbook (the arguments that follow
/// are the test's).
pub fn score_with_playbook() -> Command {
    let mut c = hs();
    c.args([
        "score",
        "--model",
        "examples/data/model.json",
        "--rules",
        "examples/data/playbook.json",
    ]);
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

/// The CSV file of columns `csv` as an Arrow IPC file (or stream) at
/// `path`, its columns as text (as the CSV reader gives them), in
/// batches of 64 rows.
pub fn to_ipc(csv: &std::path::Path, path: &std::path::Path, stream: bool) {
    let file = std::fs::File::open(csv).unwrap();
    let header = std::fs::read_to_string(csv).unwrap();
    let names = header.lines().next().unwrap().split(',');
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(
        names
            .map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let reader = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .with_batch_size(64)
        .build(file)
        .unwrap();
    let out = std::fs::File::create(path).unwrap();
    if stream {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(out, &schema).unwrap();
        reader.for_each(|b| w.write(&b.unwrap()).unwrap());
        w.finish().unwrap();
    } else {
        let mut w = arrow_ipc::writer::FileWriter::try_new(out, &schema).unwrap();
        reader.for_each(|b| w.write(&b.unwrap()).unwrap());
        w.finish().unwrap();
    }
}

/// A command (`args`) of the tool with the model `model` over `accounts`:
/// its exit status, standard output and standard error.
pub fn run_on(
    model: &str,
    args: &[&str],
    accounts: &std::path::Path,
) -> (Option<i32>, Vec<u8>, String) {
    let out = hs()
        .args(args)
        .args(["--model", model, "--accounts"])
        .arg(accounts)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), out.stdout, stderr)
}

/// `score --accounts -` with the bundled model, its standard input a pipe
/// the test writes to (and may leave open), its output and errors where
/// the test says.
pub fn score_from_pipe(
    stdout: std::process::Stdio,
    stderr: std::process::Stdio,
) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_healthscore"))
        .current_dir(root())
        .args(["score", "--model", "examples/data/model.json"])
        .args(["--accounts", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("the tool starts")
}

/// The lines of `from` as they come, on a channel, read on a thread of
/// their own (joined once `from` ends).
pub fn lines_as_they_come(
    from: impl std::io::Read + Send + 'static,
) -> (
    std::sync::mpsc::Receiver<String>,
    std::thread::JoinHandle<()>,
) {
    let (lines, said) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(from).lines() {
            let _ = lines.send(line.expect("text"));
        }
    });
    (said, reader)
}
