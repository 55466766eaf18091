//! A file's column names, read from its schema without its rows: what a
//! caller checks before scoring (the CLI's note on `--as-of` beside an
//! `as_of` column).

use crate::files::{csv_schema, io, Format};
use crate::Error;
use std::fs::File;
use std::path::Path;

/// The names of the columns of a Parquet, CSV or Arrow IPC file, from its
/// schema (a Parquet or Arrow file's footer, a CSV file's header line),
/// without reading its rows; `None` for JSON lines (accounts, not
/// columns) and for what is not a regular file (a named pipe's stream
/// would be consumed by looking).
///
/// A caller can tell ahead of scoring what the file will be read with:
/// the command-line tool notes that `--as-of` ([`Options::as_of`]) only
/// fills in rows whose `as_of` is empty when the file has that column.
///
/// # Errors
///
/// [`Error`] for a name of no known format, or a file that cannot be
/// opened or is not of its format, naming it.
///
/// # Examples
///
/// ```
/// use healthscore_arrow::column_names;
/// let dir = std::env::temp_dir().join(format!("column-names-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let csv = dir.join("accounts.csv");
/// std::fs::write(&csv, "id,mrr,employees,as_of\n7,120.50,80,2026-11-30\n")?;
/// assert_eq!(column_names(&csv)?.unwrap(), ["id", "mrr", "employees", "as_of"]);
/// assert_eq!(column_names("accounts.jsonl".as_ref())?, None); // accounts, not columns
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn column_names(input: &Path) -> Result<Option<Vec<String>>, Error> {
    let format = Format::of(input)?;
    if !format.is_columnar() {
        return Ok(None);
    }
    if !std::fs::metadata(input).map_err(io(input))?.is_file() {
        return Ok(None);
    }
    // No model reads nothing: an empty model is not at hand, so the
    // columns are those of the reader opened without a projection.
    let schema = match format {
        Format::Csv | Format::JsonLines => csv_schema(input).map_err(|e| e.in_file(input))?,
        Format::Arrow | Format::ArrowStream => crate::ipc_file::open(input, |_| None, 1)
            .map_err(|e| e.in_file(input))?
            .schema()
            .as_ref()
            .clone(),
        Format::Parquet => {
            let file = File::open(input).map_err(io(input))?;
            crate::quiet_panics::catch(|| {
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            })
            .unwrap_or_else(|panic| {
                Err(parquet::errors::ParquetError::General(format!(
                    "the Parquet reader stopped on this file ({panic}): a damaged file?"
                )))
            })
            .map_err(|e| Error::from(e).in_file(input))?
            .schema()
            .as_ref()
            .clone()
        }
    };
    Ok(Some(
        schema.fields().iter().map(|f| f.name().clone()).collect(),
    ))
}
