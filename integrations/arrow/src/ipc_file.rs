//! Arrow's own formats, read and written as they are: the IPC file
//! (`.arrow`, `.feather`: what pyarrow's `write_feather`, polars'
//! `write_ipc` and DataFusion's `COPY … STORED AS ARROW` write) and the
//! IPC stream (`.arrows`). Their columns are Arrow's, so a record batch
//! read is scored without conversion.

use crate::Error;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_schema::{ArrowError, SchemaRef};
use std::fs::File;
use std::path::Path;

/// Opens an IPC file or stream for its record batches, each cut into
/// slices of at most `rows` rows (without copying), so that a file
/// written as one batch of millions of rows is scored a slice at a time,
/// its results written slice by slice (the batch itself is read whole:
/// the format stores it as one message). A regular file is read as what
/// its first bytes say it is (an IPC file starts with `ARROW1`; a stream
/// named `.arrow` is read as a stream), anything else (a named pipe,
/// which cannot be read from its end as an IPC file is) as a stream.
/// An IPC file decodes only the columns at `projection`'s
/// positions (all without one); a stream decodes every column (its
/// schema comes first in the stream, which may be a pipe that cannot be
/// read twice), and scoring reads those it needs. LZ4- and
/// ZSTD-compressed files are read. A file that is not one of the two, or
/// is cut short, is [`Error::NotArrow`], saying which.
pub(crate) fn open(
    path: &Path,
    projection: impl FnOnce(&arrow_schema::Schema) -> Option<Vec<usize>>,
    rows: usize,
) -> Result<Box<dyn RecordBatchReader + Send>, Error> {
    let file = || {
        File::open(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    };
    let start = start(path);
    let stream = start
        .as_ref()
        .is_none_or(|start| !start.starts_with(FILE_MAGIC));
    if let Some(start) = &start {
        // A regular file: what it is, and whether its lengths fit in it,
        // before Arrow's reader trusts them.
        let damaged = |what| Error::NotArrow {
            path: path.display().to_string(),
            what,
        };
        if let Some(what) = not_arrow(path, start) {
            return Err(damaged(what));
        }
        let mut checked = file()?;
        let len = checked.metadata().map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        crate::ipc_check::check(&mut checked, len.len(), stream).map_err(damaged)?;
    }
    let batches: Box<dyn RecordBatchReader + Send> = if stream {
        let first = file()?;
        Box::new(guarded(move || {
            StreamReader::try_new_buffered(first, None)
        })?)
    } else {
        let first = file()?;
        let whole = guarded(move || FileReader::try_new_buffered(first, None))?;
        match projection(&whole.schema()) {
            Some(columns) => {
                let file = file()?;
                Box::new(guarded(move || {
                    FileReader::try_new_buffered(file, Some(columns))
                })?)
            }
            None => Box::new(whole),
        }
    };
    Ok(Box::new(Sliced {
        schema: batches.schema(),
        batches,
        rows: rows.max(1),
        current: None,
        failed: false,
    }))
}

/// Runs a step of Arrow's IPC reader: its errors on damaged data say so,
/// and a panic in it (which a damaged schema or batch can cause:
/// `FloatingPoint type with precision of <UNKNOWN 7> not supported`, an
/// offset past its buffer) is such an error too, without the panic's
/// message on standard error (see [`crate::quiet_panics`]).
fn guarded<T>(step: impl FnOnce() -> Result<T, ArrowError>) -> Result<T, ArrowError> {
    let damaged = |why: String| {
        ArrowError::IpcError(format!(
            "the Arrow data cannot be read ({why}): a damaged file?"
        ))
    };
    match crate::quiet_panics::catch(step) {
        Ok(Ok(value)) => Ok(value),
        // A stream cut short: said so, not `failed to fill whole buffer`.
        Ok(Err(ArrowError::IoError(_, e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(ArrowError::IpcError(
                "the Arrow data ends in the middle of a record batch (cut short while copied or written?)".into(),
            ))
        }
        // The file could not be read at all (a directory, no permission):
        // the system's own error. (A decompressor's complaint about the
        // data comes as an I/O error of another kind.)
        Ok(Err(ArrowError::IoError(_, e)))
            if !matches!(
                e.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::Other
            ) =>
        {
            Err(ArrowError::IoError(e.to_string(), e))
        }
        Ok(Err(e)) => Err(damaged(e.to_string())),
        Err(panic) => Err(damaged(format!("Arrow's reader stopped: {panic}"))),
    }
}

/// An IPC file's first bytes (and two of padding).
const FILE_MAGIC: &[u8] = b"ARROW1";

/// The first eight bytes of a regular file (fewer if it is shorter);
/// `None` for anything else (a named pipe: reading it here would take
/// what the reader needs), or a file that cannot be read.
fn start(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut start = Vec::with_capacity(8);
    file.take(8).read_to_end(&mut start).ok()?;
    Some(start)
}

/// What a regular file is when its first bytes (`start`) or its last
/// are not those of an IPC file or stream; `None` when they are.
fn not_arrow(path: &Path, start: &[u8]) -> Option<&'static str> {
    use std::io::{Read, Seek, SeekFrom};
    let what = match start {
        [] => "an empty file, not an Arrow IPC file or stream",
        [b'P', b'A', b'R', b'1', ..] => "a Parquet file, named as an Arrow one: name it .parquet",
        [b'F', b'E', b'A', b'1', ..] => {
            "a Feather version 1 file, which is not read: write it as Feather version 2 (pyarrow's default) or as Parquet"
        }
        s if s.starts_with(FILE_MAGIC) => {
            let mut file = File::open(path).ok()?;
            let mut end = [0u8; 6];
            let whole = file.seek(SeekFrom::End(-6)).is_ok()
                && file.read_exact(&mut end).is_ok()
                && end == FILE_MAGIC;
            if whole {
                return None;
            }
            "not a whole Arrow IPC file: it does not end as one does (cut short while copied or written?)"
        }
        [0xFF, 0xFF, 0xFF, 0xFF, ..] => return None,
        _ => "not an Arrow IPC file or stream: it does not start as one does (another format, named .arrow?)",
    };
    Some(what)
}

/// Record batches cut into slices of at most `rows` rows.
struct Sliced {
    schema: SchemaRef,
    batches: Box<dyn RecordBatchReader + Send>,
    rows: usize,
    /// The batch being sliced, and the next slice's first row.
    current: Option<(RecordBatch, usize)>,
    /// Arrow's reader failed on a batch: nothing more is read from it.
    failed: bool,
}

impl Iterator for Sliced {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((batch, at)) = &mut self.current {
                if *at < batch.num_rows() {
                    let len = self.rows.min(batch.num_rows() - *at);
                    let slice = batch.slice(*at, len);
                    *at += len;
                    return Some(Ok(slice));
                }
                self.current = None;
            }
            if self.failed {
                return None;
            }
            let batches = &mut self.batches;
            match guarded(|| batches.next().transpose()) {
                Ok(None) => return None,
                // A batch without rows is passed on as it is (its columns
                // are checked like any other's).
                Ok(Some(batch)) if batch.num_rows() == 0 => return Some(Ok(batch)),
                Ok(Some(batch)) => self.current = Some((batch, 0)),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl RecordBatchReader for Sliced {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A results file in Arrow's IPC file or stream format.
pub(crate) enum IpcWriter {
    /// `.arrow`, `.feather`: a footer indexes the batches.
    File(arrow_ipc::writer::FileWriter<std::io::BufWriter<File>>),
    /// `.arrows`: batches one after another, readable as they arrive.
    Stream(arrow_ipc::writer::StreamWriter<std::io::BufWriter<File>>),
}

impl IpcWriter {
    /// Starts `file` for batches of `schema`, uncompressed (what every
    /// reader reads, at the speed of the disk).
    pub(crate) fn new(
        file: File,
        schema: &arrow_schema::Schema,
        stream: bool,
    ) -> Result<Self, Error> {
        let file = std::io::BufWriter::new(file);
        Ok(if stream {
            IpcWriter::Stream(arrow_ipc::writer::StreamWriter::try_new(file, schema)?)
        } else {
            IpcWriter::File(arrow_ipc::writer::FileWriter::try_new(file, schema)?)
        })
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        match self {
            IpcWriter::File(w) => w.write(batch)?,
            IpcWriter::Stream(w) => w.write(batch)?,
        }
        Ok(())
    }

    /// Writes the end (the file's footer, the stream's end marker) and
    /// everything buffered; the file.
    pub(crate) fn finish(self) -> Result<File, Error> {
        let buffered = match self {
            IpcWriter::File(mut w) => {
                w.finish()?;
                w.into_inner()?
            }
            IpcWriter::Stream(mut w) => {
                w.finish()?;
                w.into_inner()?
            }
        };
        buffered
            .into_inner()
            .map_err(|e| Error::from(ArrowError::from(e.into_error())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, RecordBatchIterator};
    use std::sync::Arc;

    fn batch(values: std::ops::Range<i64>) -> RecordBatch {
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(values));
        RecordBatch::try_from_iter([("id", ids)]).unwrap()
    }

    #[test]
    fn batches_are_cut_into_slices_in_order() {
        let batches = [batch(0..10), batch(10..10), batch(10..13)];
        let schema = batches[0].schema();
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema.clone());
        let sliced = Sliced {
            schema,
            batches: Box::new(reader),
            rows: 4,
            current: None,
            failed: false,
        };
        let lengths: Vec<usize> = sliced.map(|b| b.unwrap().num_rows()).collect();
        // The empty batch passed on as it is, in its place.
        assert_eq!(lengths, [4, 4, 2, 0, 3]);
    }

    #[test]
    fn a_stream_cut_short_is_said_to_be() {
        let schema = batch(0..1).schema();
        let cut = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "failed to fill");
        let reader = RecordBatchIterator::new(
            [
                Ok(batch(0..2)),
                Err(ArrowError::IoError("read".into(), cut)),
            ],
            schema.clone(),
        );
        let mut sliced = Sliced {
            schema,
            batches: Box::new(reader),
            rows: 4,
            current: None,
            failed: false,
        };
        assert_eq!(sliced.next().unwrap().unwrap().num_rows(), 2);
        let e = sliced.next().unwrap().unwrap_err().to_string();
        assert!(e.contains("ends in the middle of a record batch"), "{e}");
        assert!(sliced.next().is_none());
    }
}
