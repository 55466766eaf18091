//! Arrow's IPC file (`.arrow`, `.feather`) and stream (`.arrows`) formats
//! in and out of `score_file`: the same accounts give the same results as
//! from Parquet, whatever the compression, the batch sizes as written
//! (one batch of 150,000 rows included) or a stream named `.arrow`; the
//! results read back as written; a file that is not one, or is cut short,
//! is an error saying which.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/ipc.rs"]
mod ipc;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_ipc::CompressionType;
use healthscore::batch::Scorer;
use healthscore_arrow::{score_batch, score_file, Error};
use ipc::write_ipc;
use std::path::Path;
use std::sync::Arc;
use v0m_arrow::options;

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-ipc-{name}-"))
        .tempdir()
        .unwrap()
}

/// `rows` v0m accounts, one with a ratio out of range (a rejected row).
fn accounts(rows: usize) -> RecordBatch {
    let mut c = v0m::generate(rows, 21);
    c.values[6][rows / 2] = 1.7;
    c.valid[6][rows / 2] = true;
    v0m_arrow::record_batch(&c, Vec::new())
}

/// The record batches of an IPC file or stream, as one.
fn read_ipc(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let batches: Vec<RecordBatch> = if path.extension().is_some_and(|e| e == "arrows") {
        arrow_ipc::reader::StreamReader::try_new(file, None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    } else {
        arrow_ipc::reader::FileReader::try_new(file, None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let schema = batches[0].schema();
    arrow_select::concat::concat_batches(&schema, &batches).unwrap()
}

#[test]
fn ipc_files_and_streams_score_as_parquet_does() {
    let scratch = dir("same");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = accounts(150_000);
    let parquet = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&parquet, &batch, 65_536);
    let expected = d.join("from-parquet.csv");
    let stats = score_file(&scorer, &parquet, &expected, &options(true)).unwrap();
    assert_eq!((stats.rows, stats.rejected), (150_000, 1));
    let expected = std::fs::read(&expected).unwrap();
    let inputs = [
        // (name, rows a batch, stream, compression)
        ("plain.arrow", 10_000, false, None),
        (
            "lz4.feather",
            65_536,
            false,
            Some(CompressionType::LZ4_FRAME),
        ),
        ("zstd.ipc", 7_777, false, Some(CompressionType::ZSTD)),
        ("one-batch.arrow", 150_000, false, None),
        (
            "stream.arrows",
            4_096,
            true,
            Some(CompressionType::LZ4_FRAME),
        ),
        // A stream named as a file (read as what its bytes say).
        ("stream-named-as-file.arrow", 50_000, true, None),
    ];
    for (name, rows, stream, compression) in inputs {
        let input = d.join(name);
        write_ipc(&input, &batch, rows, stream, compression);
        let output = d.join(format!("{name}.csv"));
        let stats = score_file(&scorer, &input, &output, &options(true)).unwrap();
        assert_eq!((stats.rows, stats.rejected), (150_000, 1), "{name}");
        // Slices of at most 65,536 rows, whatever was written.
        assert!(stats.batches >= 3, "{name}: {} batches", stats.batches);
        assert_eq!(std::fs::read(&output).unwrap(), expected, "{name}");
    }
}

#[test]
fn results_read_back_as_score_batch_gives_them() {
    let scratch = dir("results");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = accounts(70_001);
    let parquet = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&parquet, &batch, 30_000);
    let direct = score_batch(&scorer, &batch, &options(true)).unwrap();
    for out in ["scores.arrow", "scores.arrows", "scores.feather"] {
        let output = d.join(out);
        score_file(&scorer, &parquet, &output, &options(true)).unwrap();
        let read = read_ipc(&output);
        assert_eq!(read.schema(), direct.schema(), "{out}");
        assert_eq!(read, direct, "{out}");
    }
}

#[test]
fn a_dictionary_id_goes_to_an_ipc_file_as_its_values() {
    // Each Parquet row group has its own dictionary: an IPC file allows
    // one per column, so `id` is written as text there.
    let scratch = dir("dictionary-id");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let rows = 70_000;
    let batch = accounts(rows);
    let ids: Vec<String> = (0..rows).map(|i| format!("acct-{i}")).collect();
    let dictionary: ArrayRef = Arc::new(
        ids.iter()
            .map(String::as_str)
            .collect::<arrow_array::DictionaryArray<arrow_array::types::Int32Type>>(),
    );
    let batch = columns::with_columns(&batch, &[("id", dictionary)]);
    let parquet = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&parquet, &batch, 20_000);
    let arrow = d.join("scores.arrow");
    score_file(&scorer, &parquet, &arrow, &options(false)).unwrap();
    let read = read_ipc(&arrow);
    let id = read.column_by_name("id").unwrap();
    assert_eq!(id.as_ref(), &StringArray::from(ids.clone()) as &dyn Array);
    // A stream may change a dictionary from batch to batch: kept.
    let stream = d.join("scores.arrows");
    score_file(&scorer, &parquet, &stream, &options(false)).unwrap();
    let read = read_ipc(&stream);
    let id = arrow_cast::cast(
        read.column_by_name("id").unwrap(),
        &arrow_schema::DataType::Utf8,
    )
    .unwrap();
    assert_eq!(id.as_string::<i32>(), &StringArray::from(ids));
}

#[test]
fn a_file_that_is_not_whole_says_so() {
    let scratch = dir("broken");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = accounts(4_000);
    let whole = d.join("whole.arrow");
    write_ipc(&whole, &batch, 1_000, false, None);
    let stream = d.join("whole.arrows");
    write_ipc(&stream, &batch, 1_000, true, None);
    let bytes = std::fs::read(&whole).unwrap();
    let stream_bytes = std::fs::read(&stream).unwrap();
    let parquet = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&parquet, &batch, 4_000);
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "cut.arrow",
            bytes[..bytes.len() / 2].to_vec(),
            "not a whole Arrow IPC file",
        ),
        (
            "empty.arrow",
            Vec::new(),
            "an empty file, not an Arrow IPC file or stream",
        ),
        (
            "parquet.arrow",
            std::fs::read(&parquet).unwrap(),
            "a Parquet file, named as an Arrow one",
        ),
        (
            "v1.feather",
            b"FEA1\0\0\0\0rest".to_vec(),
            "a Feather version 1 file",
        ),
        (
            "text.arrow",
            b"id,mrr\n1,2\n".to_vec(),
            "not an Arrow IPC file or stream",
        ),
        (
            "cut.arrows",
            stream_bytes[..stream_bytes.len() / 2].to_vec(),
            "ends in the middle of a record batch",
        ),
    ];
    for (name, content, says) in cases {
        let input = d.join(name);
        std::fs::write(&input, content).unwrap();
        let output = d.join("scores.csv");
        std::fs::write(&output, "earlier results\n").unwrap();
        let e = score_file(&scorer, &input, &output, &options(false)).unwrap_err();
        let message = e.to_string();
        assert!(
            message.starts_with(&input.display().to_string()),
            "{name}: {message}"
        );
        assert!(message.contains(says), "{name}: {message}");
        if name != "cut.arrows" {
            assert!(matches!(e, Error::NotArrow { .. }), "{name}: {e:?}");
        }
        // The earlier results are as they were.
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "earlier results\n"
        );
    }
}

/// A stream through a named pipe (a producer writing while scoring
/// reads), named `.arrow` or `.arrows`: read as the stream it is (a pipe
/// cannot be read from its end, as an IPC file is).
#[cfg(unix)]
#[test]
fn a_stream_through_a_named_pipe_is_read_as_it_arrives() {
    let scratch = dir("pipe");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = accounts(20_000);
    let stream = d.join("accounts.arrows");
    write_ipc(&stream, &batch, 3_000, true, None);
    let expected = d.join("expected.csv");
    score_file(&scorer, &stream, &expected, &options(false)).unwrap();
    for name in ["pipe.arrows", "pipe.arrow"] {
        let pipe = d.join(name);
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("no mkfifo here: skipped");
            return;
        }
        let bytes = std::fs::read(&stream).unwrap();
        let writer = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::write(pipe, bytes).unwrap())
        };
        let output = d.join(format!("{name}.csv"));
        let stats = score_file(&scorer, &pipe, &output, &options(false)).unwrap();
        writer.join().unwrap();
        assert_eq!(stats.rows, 20_000, "{name}");
        assert_eq!(
            std::fs::read(&output).unwrap(),
            std::fs::read(&expected).unwrap(),
            "{name}"
        );
    }
}
