//! Damaged Arrow IPC files and streams, and Parquet files with a damaged
//! Arrow schema, are errors naming the file, never a panic or an
//! allocation that ends the process: Arrow's IPC reader trusts the
//! lengths a file declares (a body of 2⁵⁰ bytes, a compressed buffer said
//! to expand to a terabyte) and panics on some damaged schemas (which the
//! Parquet reader decodes with its code), so `score_file` checks an IPC
//! file's lengths first and catches what panics are left.

#[path = "support/ipc.rs"]
mod ipc;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_ipc::CompressionType;
use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Error};
use ipc::write_ipc;
use std::path::Path;
use v0m_arrow::options;

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-damaged-{name}-"))
        .tempdir()
        .unwrap()
}

/// Where `value` (little-endian) first occurs in `bytes[from..to]`.
fn find(bytes: &[u8], from: usize, to: usize, value: &[u8]) -> usize {
    from + bytes[from..to]
        .windows(value.len())
        .position(|w| w == value)
        .expect("the value is there")
}

/// An IPC file's first record batch: its block's offset, metadata length
/// and body length, and where the footer starts.
fn first_block(bytes: &[u8]) -> (usize, usize, i64, usize) {
    let n = bytes.len();
    let footer_len = i32::from_le_bytes(bytes[n - 10..n - 6].try_into().unwrap()) as usize;
    let footer_start = n - 10 - footer_len;
    let footer = arrow_ipc::root_as_footer(&bytes[footer_start..n - 10]).unwrap();
    let block = footer.recordBatches().unwrap().get(0);
    (
        block.offset() as usize,
        block.metaDataLength() as usize,
        block.bodyLength(),
        footer_start,
    )
}

fn refused(path: &Path, says: &str) {
    let model = v0m::model();
    let e = score_file(
        &Scorer::new(&model),
        path,
        &path.with_extension("csv"),
        &options(false),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NotArrow { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.starts_with(&path.display().to_string()) && message.contains(says),
        "{message}"
    );
}

#[test]
fn lengths_past_the_file_are_refused_before_they_are_read() {
    let scratch = dir("lengths");
    let d = scratch.path();
    let batch = v0m_arrow::record_batch(&v0m::generate(500, 3), Vec::new());

    // A record batch's body length in the footer, 2⁵⁰ bytes.
    let file = d.join("plain.arrow");
    write_ipc(&file, &batch, 100, false, None);
    let mut bytes = std::fs::read(&file).unwrap();
    let (_, _, body, footer_start) = first_block(&bytes);
    let at = find(&bytes, footer_start, bytes.len(), &body.to_le_bytes());
    bytes[at..at + 8].copy_from_slice(&(1i64 << 50).to_le_bytes());
    let damaged = d.join("body-length.arrow");
    std::fs::write(&damaged, &bytes).unwrap();
    refused(
        &damaged,
        "damaged: a record batch it lists reaches past the end of the file",
    );

    // The same length in a stream's message.
    let stream = d.join("plain.arrows");
    write_ipc(&stream, &batch, 100, true, None);
    let mut bytes = std::fs::read(&stream).unwrap();
    let at = find(&bytes, 0, 4_000, &body.to_le_bytes());
    bytes[at..at + 8].copy_from_slice(&(1i64 << 50).to_le_bytes());
    let damaged = d.join("body-length.arrows");
    std::fs::write(&damaged, &bytes).unwrap();
    refused(&damaged, "ends in the middle of a record batch");

    // An LZ4 buffer said to expand to a terabyte.
    let lz4 = d.join("lz4.arrow");
    write_ipc(&lz4, &batch, 100, false, Some(CompressionType::LZ4_FRAME));
    let mut bytes = std::fs::read(&lz4).unwrap();
    let (offset, meta, _, _) = first_block(&bytes);
    let message = arrow_ipc::root_as_message(&bytes[offset + 8..offset + meta]).unwrap();
    let record = message.header_as_record_batch().unwrap();
    let buffer = record
        .buffers()
        .unwrap()
        .iter()
        .find(|b| b.length() >= 8)
        .unwrap();
    let at = offset + meta + buffer.offset() as usize;
    bytes[at..at + 8].copy_from_slice(&(1i64 << 40).to_le_bytes());
    let damaged = d.join("expands.arrow");
    std::fs::write(&damaged, &bytes).unwrap();
    refused(
        &damaged,
        "a compressed buffer claims to expand to more than 2 GiB",
    );
}

/// Every byte of the schema, the first batch's description and the footer
/// of small files (plain, LZ4, a stream) set to values that break them:
/// each run ends in results or an error naming the file, never a panic
/// (which would fail this test) or an abort (which would end it).
#[test]
fn damaged_bytes_are_errors_never_panics() {
    let scratch = dir("bytes");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = v0m_arrow::record_batch(&v0m::generate(40, 5), Vec::new());
    let kinds = [
        ("plain.arrow", false, None),
        ("lz4.arrow", false, Some(CompressionType::LZ4_FRAME)),
        ("zstd.arrows", true, Some(CompressionType::ZSTD)),
    ];
    let mut runs = 0;
    for (name, stream, compression) in kinds {
        let path = d.join(name);
        write_ipc(&path, &batch, 20, stream, compression);
        let whole = std::fs::read(&path).unwrap();
        let n = whole.len();
        let positions = (0..n.min(2_500)).chain(n.saturating_sub(1_500)..n);
        for (k, at) in positions.enumerate().filter(|(k, _)| k % 3 == 0) {
            let mut bytes = whole.clone();
            // In turn: all bits set, a small number, the sign bit, zero.
            bytes[at] = [0xFF, 0x07, 0x80, 0x00][k / 3 % 4];
            let damaged = d.join(format!("damaged-{name}"));
            std::fs::write(&damaged, &bytes).unwrap();
            let output = d.join("scores.csv");
            if let Err(e) = score_file(&scorer, &damaged, &output, &options(false)) {
                let message = e.to_string();
                assert!(
                    message.starts_with(&damaged.display().to_string()),
                    "{name} at {at}: {message}"
                );
            }
            runs += 1;
        }
    }
    assert!(runs > 2_000, "{runs}");
}

/// A Parquet file keeps its Arrow schema in its metadata (`ARROW:schema`,
/// base64 of an IPC schema message), which the Parquet reader decodes
/// with the IPC reader's code, panics and all: every character of it
/// changed in turn gives an error naming the file or the same results,
/// never a panic.
#[test]
fn a_damaged_arrow_schema_in_a_parquet_file_is_an_error() {
    let scratch = dir("parquet-schema");
    let d = scratch.path();
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = v0m_arrow::record_batch(&v0m::generate(20, 8), Vec::new());
    let path = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&path, &batch, 20);
    let whole = std::fs::read(&path).unwrap();
    let key = b"ARROW:schema";
    let start = whole
        .windows(key.len())
        .rposition(|w| w == key)
        .expect("the Arrow schema is kept")
        + key.len();
    // The base64 text after the key (and its length prefix).
    let text: Vec<usize> = (start..whole.len())
        .skip_while(|&i| !whole[i].is_ascii_alphanumeric())
        .take_while(|&i| whole[i].is_ascii_alphanumeric() || b"+/=".contains(&whole[i]))
        .collect();
    assert!(text.len() > 500, "{}", text.len());
    let mut errors = 0;
    for (k, &at) in text.iter().enumerate() {
        let mut bytes = whole.clone();
        bytes[at] = [b'A', b'/', b'7', b'h'][k % 4];
        let damaged = d.join("damaged.parquet");
        std::fs::write(&damaged, &bytes).unwrap();
        if let Err(e) = score_file(&scorer, &damaged, &d.join("scores.csv"), &options(false)) {
            let message = e.to_string();
            assert!(
                message.starts_with(&damaged.display().to_string()),
                "at {at}: {message}"
            );
            errors += 1;
        }
    }
    assert!(errors > 0);
}
