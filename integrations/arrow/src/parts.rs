//! A directory of parts: one table a warehouse or Spark exported as
//! several files (`accounts.parquet/part-00000-….parquet`, …, beside a
//! `_SUCCESS` marker), read as one file of accounts, part after part in
//! name order.

use crate::files::{open_file, Opened};
use crate::Error;
use crate::Format;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef};
use std::path::{Path, PathBuf};

/// The parts of the directory `dir` and their format: its files named
/// `.parquet`, `.csv`, or `.arrow` (`.feather`, `.ipc`, `.arrows`), in name order,
/// numbers by their value (`part-2` before `part-10`, as pyarrow's
/// `write_dataset` numbers its parts without zeros in front).
/// Names starting with `_` or `.` are markers, not parts (Spark's
/// `_SUCCESS` and `_committed_…`, `.crc` checksums, a writer's hidden
/// files, Delta Lake's `_delta_log`). A table partitioned by columns
/// (`stage=renewal/region=EU/part-0.parquet`, as Spark's `partitionBy` and
/// pyarrow's hive-flavoured `write_dataset` write it) gives the parts of
/// every partition, in the order of their paths; reading the table gives
/// each part's rows their partition values back as text columns.
///
/// # Errors
///
/// [`Error::Parts`] naming what cannot be read as a part of one table: no
/// part at all; a file of another extension or format than the first
/// part's (nothing is left out unseen); a subdirectory that is not a
/// partition (`key=value`); files beside partitions, or partitions of
/// other columns or depths than the first part's. [`Error::Io`] when a
/// directory cannot be listed.
///
/// # Examples
///
/// ```
/// use healthscore_arrow::{parts, Format};
/// let dir = std::env::temp_dir().join(format!("parts-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// for name in ["part-0001.parquet", "part-0000.parquet", "_SUCCESS", ".part-0000.parquet.crc"] {
///     std::fs::write(dir.join(name), "")?;
/// }
/// let (files, format) = parts(&dir)?;
/// assert_eq!(format, Format::Parquet);
/// assert_eq!(files, [dir.join("part-0000.parquet"), dir.join("part-0001.parquet")]);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parts(dir: &Path) -> Result<(Vec<PathBuf>, Format), Error> {
    let refuse = |why: String| Error::Parts {
        path: dir.display().to_string(),
        why,
    };
    let (mut found, partitions) = list(dir, dir)?;
    if !partitions.is_empty() {
        if let Some(file) = found.first() {
            return Err(refuse(format!(
                "{} is beside partitions (key=value/): not one table",
                file_name(file)
            )));
        }
        found = crate::partitions::files(dir, partitions, &|sub| list(dir, sub))?;
    }
    let relative = |p: &Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
    found.sort_by(|a, b| in_order(&relative(a), &relative(b)));
    let formats: Vec<Format> = found.iter().filter_map(|p| Format::of(p).ok()).collect();
    let (Some(first), Some(&format)) = (found.first(), formats.first()) else {
        return Err(refuse("no .parquet, .csv or .arrow part in it".into()));
    };
    if let Some((other, _)) = found
        .iter()
        .zip(&formats)
        .find(|(_, f)| same(**f) != same(format))
    {
        return Err(refuse(format!(
            "{} and {} are of two formats",
            relative(first),
            relative(other)
        )));
    }
    Ok((found, format))
}

/// The parts in `sub` (a directory of the table `dir`), and its partition
/// directories (`key=value`), markers left out.
///
/// # Errors
///
/// A file that is neither a part nor a marker, or a directory that is not
/// a partition, as [`parts`] says.
fn list(dir: &Path, sub: &Path) -> Result<crate::partitions::Listing, Error> {
    let refuse = |why: String| Error::Parts {
        path: dir.display().to_string(),
        why,
    };
    let io = |source| Error::Io {
        path: sub.display().to_string(),
        source,
    };
    let (mut files, mut partitions) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(sub).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        if path.is_dir() {
            if crate::partitions::key_value(&name).is_none() {
                return Err(refuse(format!(
                    "{shown}/ is a directory, not a partition (key=value/): name the table's own directory"
                )));
            }
            partitions.push(path);
            continue;
        }
        match Format::of(&path) {
            Ok(format) if format.is_columnar() => files.push(path),
            _ => {
                return Err(refuse(format!(
                    "{shown} is not a part (.parquet, .csv or .arrow) nor a marker (_SUCCESS, .crc)"
                )))
            }
        }
    }
    Ok((files, partitions))
}

/// Names in order, runs of digits by their value: `part-2.parquet` before
/// `part-10.parquet`; equal values by their text (`part-02` after
/// `part-2`), so that no two names compare equal.
pub(crate) fn in_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    // A run of digits without its zeros in front.
    let value = |d: &[u8]| -> Vec<u8> { d.iter().copied().skip_while(|&c| c == b'0').collect() };
    let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    while let (Some(&p), Some(&q)) = (x.first(), y.first()) {
        if p.is_ascii_digit() && q.is_ascii_digit() {
            let ((dx, rx), (dy, ry)) = (x.split_at(run(x)), y.split_at(run(y)));
            let (u, v) = (value(dx), value(dy));
            let by_value = u.len().cmp(&v.len()).then_with(|| u.cmp(&v));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (x, y) = (rx, ry);
        } else if p != q {
            return p.cmp(&q);
        } else {
            (x, y) = (x.get(1..).unwrap_or(&[]), y.get(1..).unwrap_or(&[]));
        }
    }
    x.len().cmp(&y.len()).then_with(|| a.cmp(b))
}

/// Arrow IPC files and streams are read alike.
fn same(format: Format) -> Format {
    match format {
        Format::ArrowStream => Format::Arrow,
        other => other,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Opens the directory `dir`'s parts as one file: the first now, with
/// the columns `model` reads; each later one when the one before ends,
/// with the same columns, which must be there by the same names and
/// types. A Parquet table's rows are counted from its parts' footers
/// first (each part checked to be Parquet before a row is scored).
pub(crate) fn open(model: &healthscore::Model, dir: &Path) -> Result<Opened, Error> {
    let (files, format) = parts(dir)?;
    let mut files = files.into_iter();
    let Some(first) = files.next() else {
        return Err(Error::Parts {
            path: dir.display().to_string(),
            why: "no part in it".into(),
        });
    };
    let mut opened = open_file(&first, format, |schema| {
        crate::projection::projection(model, schema)
    })?;
    if format == Format::Parquet {
        let mut rows = opened.expected_rows.unwrap_or(0);
        for part in files.as_slice() {
            rows = rows.saturating_add(parquet_rows(part)?);
        }
        opened.expected_rows = Some(rows);
        opened.ids.expect(i64::try_from(rows).unwrap_or(i64::MAX));
    }
    // The partition columns (`stage=renewal/`) the files do not hold
    // themselves, after the file's own: text, as a CSV file's are.
    let read = opened.reader.schema();
    let added: Vec<String> = crate::partitions::values(dir, &first)
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| read.index_of(key).is_err())
        .collect();
    let mut fields: Vec<arrow_schema::FieldRef> = read.fields().iter().cloned().collect();
    fields.extend(
        added
            .iter()
            .map(|key| std::sync::Arc::new(arrow_schema::Field::new(key, DataType::Utf8, true))),
    );
    let schema = std::sync::Arc::new(Schema::new_with_metadata(fields, read.metadata().clone()));
    // A CSV part notes its ragged lines by its own rows; the chain moves
    // them to the table's, named by their part.
    let part_ragged = std::mem::take(&mut opened.ragged);
    let mut chain = Chain {
        schema,
        current: opened.reader,
        current_path: first,
        rest: files,
        format,
        ragged: opened.ragged.clone(),
        part_ragged,
        rows: 0,
        part_start: 0,
        dir: dir.to_path_buf(),
        added,
        values: Vec::new(),
    };
    chain.values = chain.values_of(&chain.current_path);
    opened.reader = Box::new(chain);
    Ok(opened)
}

/// The rows a Parquet part's footer says it holds.
fn parquet_rows(part: &Path) -> Result<u64, Error> {
    let builder = parquet_footer(part)?;
    Ok(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0))
}

/// A Parquet file's footer read, as a reader's builder (a damaged file's
/// panic caught, every error naming the file).
pub(crate) fn parquet_footer(
    part: &Path,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<std::fs::File>, Error> {
    let file = std::fs::File::open(part).map_err(|source| Error::Io {
        path: part.display().to_string(),
        source,
    })?;
    crate::quiet_panics::catch(|| {
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
    })
    .map_err(|panic| {
        parquet::errors::ParquetError::General(format!(
            "the Parquet reader stopped on this file ({panic}): a damaged file?"
        ))
    })
    .and_then(|built| built)
    .map_err(|e| Error::from(e).in_file(part))
}

/// The parts' record batches, one part after the other.
struct Chain {
    /// The first part's columns, as read: every part's must be these.
    schema: SchemaRef,
    current: Box<dyn RecordBatchReader + Send>,
    current_path: PathBuf,
    rest: std::vec::IntoIter<PathBuf>,
    format: Format,
    /// The table's ragged CSV lines, by the table's rows (what the
    /// caller reads), and the current part's, by its own.
    ragged: crate::ragged::Found,
    part_ragged: crate::ragged::Found,
    /// Rows read so far, and before the current part.
    rows: u64,
    part_start: u64,
    /// The table's directory, the partition columns added to each batch
    /// (those the files do not hold), and the current part's values.
    dir: PathBuf,
    added: Vec<String>,
    values: Vec<Option<String>>,
}

impl Chain {
    /// Opens `part` with the first part's columns, or says how its
    /// columns differ.
    fn open(&self, part: &Path) -> Result<Opened, Error> {
        // (The partition columns added are in no file.)
        let names: Vec<&String> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name())
            .filter(|n| !self.added.contains(n))
            .collect();
        let project = |schema: &Schema| {
            Some(
                names
                    .iter()
                    .filter_map(|n| schema.index_of(n).ok())
                    .collect::<Vec<_>>(),
            )
        };
        let opened = open_file(part, self.format, project)?;
        let got = opened.reader.schema();
        for want in self.schema.fields() {
            if self.added.contains(want.name()) {
                continue;
            }
            let why = match got.field_with_name(want.name()) {
                Err(_) => "not there".to_string(),
                // A column of no values (`Null`, as pandas writes an
                // all-`None` one) fits any type: every cell is missing.
                Ok(f)
                    if f.data_type() == &DataType::Null || want.data_type() == &DataType::Null =>
                {
                    continue
                }
                Ok(f) if f.data_type() != want.data_type() => format!(
                    "{} here, {} in {}",
                    f.data_type(),
                    want.data_type(),
                    file_name(&self.current_path)
                ),
                Ok(_) => continue,
            };
            return Err(Error::File {
                path: part.display().to_string(),
                source: Box::new(Error::Column {
                    column: want.name().clone(),
                    problem: format!("{why} (every part of a table has the same columns)"),
                }),
            });
        }
        Ok(opened)
    }

    /// The values of the added partition columns for `part` (from its
    /// directories' names).
    fn values_of(&self, part: &Path) -> Vec<Option<String>> {
        let values = crate::partitions::values(&self.dir, part);
        self.added
            .iter()
            .map(|key| {
                values
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.clone())
            })
            .collect()
    }

    /// `batch` with the current part's partition columns after its own.
    fn with_partitions(&self, batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
        if self.added.is_empty() {
            return Ok(batch);
        }
        let mut columns = batch.columns().to_vec();
        columns.extend(crate::partitions::constant_columns(
            &self.values,
            batch.num_rows(),
        ));
        RecordBatch::try_new(self.schema.clone(), columns)
    }

    /// Moves the current part's ragged lines noted so far to the
    /// table's: its rows after the parts before it, each note naming the
    /// part (`part-00001.csv line 9 has 16 fields, the header 15`).
    fn forward_ragged(&self) {
        use std::sync::PoisonError;
        let mut from = self
            .part_ragged
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if from.is_empty() {
            return;
        }
        let name = file_name(&self.current_path);
        let mut to = self.ragged.lock().unwrap_or_else(PoisonError::into_inner);
        to.extend(
            from.drain(..)
                .map(|(row, why)| (row.saturating_add(self.part_start), format!("{name} {why}"))),
        );
    }
}

impl Iterator for Chain {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.current.next() {
                Some(Ok(batch)) => {
                    self.forward_ragged();
                    self.rows = self.rows.saturating_add(batch.num_rows() as u64);
                    return Some(self.with_partitions(batch));
                }
                Some(Err(e)) => {
                    // Named by its part; nothing is read after it.
                    self.rest = Vec::new().into_iter();
                    let named = Error::from(e).in_file(&self.current_path);
                    return Some(Err(ArrowError::ExternalError(Box::new(named))));
                }
                None => {}
            }
            let part = self.rest.next()?;
            match self.open(&part) {
                Ok(opened) => {
                    self.current = opened.reader;
                    self.part_ragged = opened.ragged;
                    self.values = self.values_of(&part);
                    self.current_path = part;
                    self.part_start = self.rows;
                }
                Err(e) => {
                    self.rest = Vec::new().into_iter();
                    return Some(Err(ArrowError::ExternalError(Box::new(e))));
                }
            }
        }
    }
}

impl RecordBatchReader for Chain {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::in_order;

    #[test]
    fn parts_are_in_the_order_of_their_numbers() {
        let mut names = vec![
            "part-10.parquet",
            "part-2.parquet",
            "part-0.parquet",
            "part-00001-c000.snappy.parquet",
            "part-1.parquet",
            "part-02.parquet",
            "a.parquet",
            "part-99999999999999999999999.parquet",
        ];
        names.sort_by(|a, b| in_order(a, b));
        assert_eq!(
            names,
            [
                "a.parquet",
                "part-0.parquet",
                "part-00001-c000.snappy.parquet",
                "part-1.parquet",
                "part-02.parquet",
                "part-2.parquet",
                "part-10.parquet",
                "part-99999999999999999999999.parquet",
            ]
        );
    }
}
