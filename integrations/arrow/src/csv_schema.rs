//! A CSV file's header read as the schema its rows are read with, and
//! the files refused before a row is read: UTF-16 text, a header that is
//! not UTF-8, no columns, another separator.

use crate::Error;
use arrow_schema::{DataType, Field, Schema};
use std::path::Path;

/// A CSV file's schema: every column as text (`Utf8`), so that a cell
/// that cannot be read (`n/a` in a metric, `2026-02-30` as a date, MRR
/// that is not a number) rejects its row, with the column and why, not the
/// whole file; MRR stays exact; and a column the model does not read
/// (`region` with numbers in its first lines and `EU-West` later) is
/// never parsed as a type its first lines suggested.
pub(crate) fn csv_schema(path: &Path) -> Result<Schema, Error> {
    let mut file = crate::compressed::open(path)?;
    // A UTF-16 byte order mark: a spreadsheet's "Unicode text", whose
    // every byte the CSV reader would take for broken UTF-8.
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, 64 * 1024), &mut head).map_err(
        |source| Error::Io {
            path: path.display().to_string(),
            source,
        },
    )?;
    let order = match head.get(..2) {
        Some([0xFF, 0xFE]) => Some("little-endian"),
        Some([0xFE, 0xFF]) => Some("big-endian"),
        _ => None,
    };
    if let Some(order) = order {
        return Err(Error::NotUtf8 {
            path: path.display().to_string(),
            order,
        });
    }
    // A header line that is not UTF-8 (in its first 64 KiB): said so,
    // not as the CSV reader's `invalid utf-8 in field 15`.
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    if let Err(e) = std::str::from_utf8(line) {
        let at = e.valid_up_to();
        return Err(Error::HeaderNotUtf8 {
            path: path.display().to_string(),
            byte: line.get(at).copied().unwrap_or_default(),
            at: at + 1,
        });
    }
    let file = crate::compressed::open(path)?;
    let format = arrow_csv::reader::Format::default().with_header(true);
    // Through `Ragged` as the rows are: a ragged line among the first
    // thousand is its row's problem, not the file's.
    let file = crate::ragged::Ragged::new(file, crate::ragged::Found::default());
    let (inferred, _) = format.infer_schema(file, Some(1000))?;
    if inferred.fields().is_empty() {
        return Err(Error::EmptyCsv(path.display().to_string()));
    }
    // One column whose name holds a `;` or a tab: a file separated by
    // another character, which would otherwise be refused for a missing
    // column that is plainly there.
    if let [only] = inferred.fields().iter().collect::<Vec<_>>()[..] {
        if let Some(separator) = [';', '\t'].into_iter().find(|c| only.name().contains(*c)) {
            return Err(Error::NotCommaSeparated {
                path: path.display().to_string(),
                separator,
            });
        }
    }
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), DataType::Utf8, true))
        .collect();
    Ok(Schema::new(fields))
}
