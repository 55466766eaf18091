//! Arrow IPC files and streams written for the arrow crate's tests.

use arrow_array::RecordBatch;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;
use std::path::Path;

/// Writes `batch` as an IPC file (or stream) at `path`, `rows` rows a
/// batch, compressed as asked.
pub fn write_ipc(
    path: &Path,
    batch: &RecordBatch,
    rows: usize,
    stream: bool,
    compression: Option<CompressionType>,
) {
    let file = std::fs::File::create(path).unwrap();
    let schema = batch.schema();
    let options = IpcWriteOptions::default()
        .try_with_compression(compression)
        .unwrap();
    let slices = (0..batch.num_rows())
        .step_by(rows)
        .map(|at| batch.slice(at, rows.min(batch.num_rows() - at)));
    if stream {
        let mut w = StreamWriter::try_new_with_options(file, &schema, options).unwrap();
        slices.for_each(|b| w.write(&b).unwrap());
        w.finish().unwrap();
    } else {
        let mut w = FileWriter::try_new_with_options(file, &schema, options).unwrap();
        slices.for_each(|b| w.write(&b).unwrap());
        w.finish().unwrap();
    }
}
