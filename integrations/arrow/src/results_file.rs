//! A results file (Parquet, CSV, JSON lines or Arrow IPC, by extension;
//! CSV and JSON lines gzip or zstd compressed too) written in full or not at all: to a hidden temporary file beside it, synced, then
//! renamed over it.

use crate::compressed::Encoder;
use crate::destination::Destination;
use crate::Error;
use crate::Format;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A results file being written: record batches of one schema, in the
/// format its extension names, as [`score_file`](crate::score_file)
/// writes its results. Dropped before [`finish`](ResultsFile::finish), its
/// temporary file is removed and the file it was to replace is as it was.
///
/// A symbolic link is followed (the file it names is replaced); a named
/// pipe or a device is written in place ([`Destination`]).
///
/// # Examples
///
/// ```
/// use arrow_array::{ArrayRef, Int64Array, RecordBatch};
/// use healthscore_arrow::ResultsFile;
/// use std::sync::Arc;
/// # let dir = std::env::temp_dir().join(format!("hs-results-file-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("scores.csv");
/// let batch = RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(vec![7, 8])) as ArrayRef)])?;
/// let mut file = ResultsFile::create(&path, batch.schema())?;
/// file.write(&batch)?;
/// assert!(!path.exists(), "renamed into place only when finished");
/// file.finish()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "id\n7\n8\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ResultsFile {
    /// `None` once finished.
    writer: Option<Writer>,
    destination: Destination,
    /// The path as given, for errors.
    output: PathBuf,
    schema: SchemaRef,
}

impl std::fmt::Debug for ResultsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultsFile")
            .field("output", &self.output)
            .field("written", &self.destination.written())
            .finish_non_exhaustive()
    }
}

impl ResultsFile {
    /// Starts `output` (its format by extension: `.parquet`, `.csv`,
    /// `.jsonl`, `.arrow` or `.arrows`, see [`Format`]) for record batches
    /// of `schema`. CSV and JSON lines named compressed (`scores.csv.gz`,
    /// `.gzip`, `.zst`, `.zstd`) are compressed as they are written: gzip
    /// at level 6, as `gzip` and pandas write it, or zstd at level 3 with
    /// its checksum, as the `zstd` tool does.
    ///
    /// # Errors
    ///
    /// [`Error::Format`] for another extension; [`Error::Output`] when
    /// the temporary file cannot be created (a directory that does not
    /// exist) or Parquet refuses the schema.
    pub fn create(output: &Path, schema: SchemaRef) -> Result<ResultsFile, Error> {
        let format = Format::of(output)?;
        // `scores.csv.gz`: compressed as it is written (`Format::of` has
        // refused a compressed name of any other format).
        let compression = crate::compressed::named(output);
        let destination = Destination::of(output);
        let written = destination.written();
        let file = File::create(written).map_err(|source| {
            Error::Io {
                path: written.display().to_string(),
                source,
            }
            .writing(output)
        })?;
        let encoder = |file| {
            Encoder::new(file, compression).map_err(|source| {
                Error::Io {
                    path: written.display().to_string(),
                    source,
                }
                .writing(output)
            })
        };
        let writer = match format {
            Format::Parquet => Writer::Parquet(
                parquet::arrow::ArrowWriter::try_new(
                    file,
                    schema.clone(),
                    Some(crate::files::parquet_properties(schema.metadata())),
                )
                .map_err(|e| Error::from(e).writing(output))?,
            ),
            Format::Csv => Writer::Csv(Box::new(
                arrow_csv::WriterBuilder::new()
                    .with_header(true)
                    .build(encoder(file)?),
            )),
            Format::JsonLines => Writer::Json(arrow_json::LineDelimitedWriter::new(encoder(file)?)),
            Format::Arrow | Format::ArrowStream => Writer::Ipc(
                crate::ipc_file::IpcWriter::new(file, &schema, format == Format::ArrowStream)
                    .map_err(|e| e.writing(output))?,
            ),
        };
        Ok(ResultsFile {
            writer: Some(writer),
            destination,
            output: output.to_path_buf(),
            schema,
        })
    }

    /// The schema every batch written has.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Writes a record batch.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] when it cannot be written (a full disk) or its
    /// schema is not the file's.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        if batch.schema_ref().fields() != self.schema.fields() {
            return Err(Error::Format(format!(
                "{}: a record batch of another schema than the file's",
                self.output.display()
            )));
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        writer.write(batch).map_err(|e| e.writing(&self.output))
    }

    /// Writes what is left (a Parquet footer; a CSV file without rows
    /// gets its header line), syncs the file to disk and renames it over
    /// the output.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] when any of those steps fails; the output is
    /// then as it was.
    pub fn finish(mut self) -> Result<(), Error> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        let output = self.output.clone();
        let sync = matches!(self.destination, Destination::Renamed { .. });
        writer
            .finish(&self.schema, &output, sync)
            .map_err(|e| e.writing(&output))?;
        let Destination::Renamed { temp, target } = &self.destination else {
            return Ok(());
        };
        std::fs::rename(temp, target).map_err(|source| {
            Error::Io {
                path: output.display().to_string(),
                source,
            }
            .writing(&output)
        })?;
        // The rename itself to the disk too (best effort: not every
        // system can open a directory).
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty());
        let _ = File::open(dir.unwrap_or(Path::new("."))).and_then(|d| d.sync_all());
        Ok(())
    }
}

impl Drop for ResultsFile {
    fn drop(&mut self) {
        // Not finished (an error, a panic, a caller that gave up): the
        // earlier output stays, and its half is removed.
        if self.writer.take().is_some() {
            if let Destination::Renamed { temp, .. } = &self.destination {
                let _ = std::fs::remove_file(temp);
            }
        }
    }
}

enum Writer {
    Parquet(parquet::arrow::ArrowWriter<File>),
    /// Boxed: the CSV writer's state and a compressor's, beside the others.
    Csv(Box<arrow_csv::Writer<Encoder>>),
    Json(arrow_json::LineDelimitedWriter<Encoder>),
    Ipc(crate::ipc_file::IpcWriter),
}

impl Writer {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        match self {
            Writer::Parquet(w) => w.write(batch)?,
            Writer::Csv(w) => w.write(batch)?,
            Writer::Json(w) => w.write(batch)?,
            Writer::Ipc(w) => w.write(batch)?,
        }
        Ok(())
    }

    /// Writes what is left (a Parquet footer, a CSV file's header line
    /// when no batch was written) and the file's data to the disk, so
    /// that the rename that follows never points the output's name at a
    /// file that a power cut would leave empty. Without `sync` (a named
    /// pipe, a device: nothing to sync), only the first.
    fn finish(mut self, schema: &SchemaRef, path: &Path, sync: bool) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        if let Writer::Csv(w) = &mut self {
            // Writes the header line, if no batch has yet (and nothing
            // else: a CSV writer writes its header once).
            w.write(&RecordBatch::new_empty(schema.clone()))?;
        }
        let file = match self {
            // The footer, and everything buffered, written to the file.
            Writer::Parquet(w) => w.into_inner()?,
            // Every `write` flushed its batch already (into the encoder,
            // which writes the rest and its trailer as it finishes).
            Writer::Csv(w) => w.into_inner().finish().map_err(io)?,
            Writer::Json(mut w) => {
                w.finish()?;
                w.into_inner().finish().map_err(io)?
            }
            // The footer or end marker, and the buffer, written.
            Writer::Ipc(w) => w.finish()?,
        };
        if !sync {
            return Ok(());
        }
        file.sync_all().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, StringArray};
    use std::sync::Arc;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hs-results-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("a directory");
        d
    }

    fn batch() -> RecordBatch {
        let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        RecordBatch::try_from_iter([("id", ids)]).expect("a batch")
    }

    #[test]
    fn each_format_is_written_and_renamed_into_place() {
        let d = dir("formats");
        for (name, check) in [
            ("r.csv", "id\na\nb\n"),
            ("r.jsonl", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n"),
        ] {
            let path = d.join(name);
            std::fs::write(&path, "earlier").expect("written");
            let mut file = ResultsFile::create(&path, batch().schema()).expect("created");
            file.write(&batch()).expect("written");
            assert_eq!(std::fs::read_to_string(&path).expect("read"), "earlier");
            file.finish().expect("finished");
            assert_eq!(std::fs::read_to_string(&path).expect("read"), check);
        }
        let path = d.join("r.parquet");
        let mut file = ResultsFile::create(&path, batch().schema()).expect("created");
        file.write(&batch()).expect("written");
        file.finish().expect("finished");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
            File::open(&path).expect("open"),
            1024,
        )
        .expect("a Parquet file");
        let back: Vec<RecordBatch> = reader.map(|b| b.expect("a batch")).collect();
        assert_eq!(back, [batch()]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_unfinished_file_leaves_the_earlier_one_and_no_temporary_file() {
        let d = dir("dropped");
        let path = d.join("r.csv");
        std::fs::write(&path, "earlier").expect("written");
        let mut file = ResultsFile::create(&path, batch().schema()).expect("created");
        file.write(&batch()).expect("written");
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "earlier");
        assert_eq!(std::fs::read_dir(&d).expect("listed").count(), 1);
        // No rows: a CSV file still gets its header line.
        let empty = d.join("empty.csv");
        ResultsFile::create(&empty, batch().schema())
            .expect("created")
            .finish()
            .expect("finished");
        assert_eq!(std::fs::read_to_string(&empty).expect("read"), "id\n");
        // Another schema is refused; another extension too; a directory
        // that is not there is the output's error.
        let mut file = ResultsFile::create(&d.join("x.csv"), batch().schema()).expect("created");
        let other = RecordBatch::try_from_iter([(
            "n",
            Arc::new(arrow_array::Int64Array::from(vec![1])) as ArrayRef,
        )])
        .expect("a batch");
        assert!(file.write(&other).is_err());
        assert!(matches!(
            ResultsFile::create(&d.join("x.json"), batch().schema()),
            Err(Error::Format(_))
        ));
        let missing = ResultsFile::create(&d.join("no/such/r.csv"), batch().schema());
        assert!(matches!(missing, Err(Error::Output { .. })), "{missing:?}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
