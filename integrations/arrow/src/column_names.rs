//! A file's column names, read from its schema without its rows: what a
//! caller checks before scoring (the CLI's note on `--as-of` beside an
//! `as_of` column).

use crate::files::open_file;
use crate::Error;
use crate::Format;
use std::path::Path;

/// The names of the columns of a Parquet, CSV or Arrow IPC file, from its
/// schema (a Parquet or Arrow file's footer, a CSV file's header line; a
/// directory of [`parts`](crate::parts), its first part's, and the
/// columns of its partition directories' names, `as_of=2026-11-30/`), without
/// reading its rows; `None` for JSON lines (accounts, not columns) and
/// for what is not a regular file (a named pipe's stream would be
/// consumed by looking).
///
/// A caller can tell ahead of scoring what the file will be read with:
/// the command-line tool notes that `--as-of`
/// ([`Options::as_of`](crate::Options::as_of)) is not used when the file
/// has an `as_of` column, whose dates are.
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
    let format = Format::of_accounts(input)?;
    if !format.is_columnar() {
        return Ok(None);
    }
    // A directory of parts: its first part's (every part has them).
    let first = match input.is_dir() {
        true => crate::parts(input)?.0.into_iter().next(),
        false => Some(input.to_path_buf()),
    };
    let Some(file) = first else {
        return Ok(None);
    };
    let io = |source| Error::Io {
        path: file.display().to_string(),
        source,
    };
    if !std::fs::metadata(&file).map_err(io)?.is_file() {
        return Ok(None);
    }
    let opened = open_file(&file, format, |_| None)?;
    let mut names: Vec<String> = opened
        .reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // A partitioned table's columns in its directories' names
    // (`as_of=2026-11-30/`), after the file's own, as they are read.
    if input.is_dir() {
        for (key, _) in crate::partitions::values(input, &file) {
            if !names.contains(&key) {
                names.push(key);
            }
        }
    }
    Ok(Some(names))
}
