//! Whether a file named `.parquet` is a whole Parquet file, for a
//! message that says what to do when its footer cannot be read.

use std::fs::File;
use std::path::Path;

/// What a `.parquet` file whose footer cannot be read is, as its first
/// and last four bytes say (a Parquet file starts and ends with `PAR1`):
/// `None` when both are there (the footer itself is corrupt), or the file
/// is not a regular file or cannot be read (the reader's own error then
/// says what it is).
pub(crate) fn not_parquet(path: &Path) -> Option<&'static str> {
    use std::io::{Read, Seek, SeekFrom};
    const MAGIC: &[u8; 4] = b"PAR1";
    let mut file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let len = meta.len();
    if len == 0 {
        return Some("an empty file, not a Parquet file");
    }
    let mut first = [0u8; 4];
    let mut last = [0u8; 4];
    // (A file shorter than four bytes has no start of one.)
    let start = file.read_exact(&mut first).is_ok().then_some(first);
    let end =
        (len >= 8 && file.seek(SeekFrom::End(-4)).is_ok() && file.read_exact(&mut last).is_ok())
            .then_some(last);
    match (start, end) {
        (Some(s), _) if &s != MAGIC => {
            Some("not a Parquet file: it does not start as one does (another format, named .parquet?)")
        }
        (Some(_), Some(e)) if &e == MAGIC => None,
        _ => Some("not a whole Parquet file: it does not end as one does (cut short while copied or written?)"),
    }
}
