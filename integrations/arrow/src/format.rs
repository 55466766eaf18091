//! A file's format, by its extension: Parquet, CSV, Arrow IPC (file or
//! stream) or JSON lines, compressed CSV and JSON lines as the formats
//! they hold.

use crate::Error;
use std::path::Path;

/// A file format, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `.parquet`
    Parquet,
    /// `.csv` (with a header line); `.csv.gz`, `.csv.zst` (gzip or zstd)
    /// read as they decompress and written compressed.
    Csv,
    /// `.jsonl` (output only); `.jsonl.gz`, `.jsonl.zst` written
    /// compressed.
    JsonLines,
    /// `.arrow`, `.feather` or `.ipc`: Arrow's IPC file format (Feather
    /// version 2), read uncompressed or compressed (LZ4, ZSTD), written
    /// uncompressed.
    Arrow,
    /// `.arrows`: Arrow's IPC stream format.
    ArrowStream,
}

impl Format {
    /// The format of a path, by its extension, in any case (`EXPORT.CSV`
    /// is CSV).
    ///
    /// # Errors
    ///
    /// [`Error::Format`] for any other extension.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore_arrow::Format;
    /// use std::path::Path;
    /// assert_eq!(Format::of(Path::new("accounts.parquet"))?, Format::Parquet);
    /// assert_eq!(Format::of(Path::new("EXPORT.CSV"))?, Format::Csv);
    /// // gzip or zstd CSV, as warehouses unload it: read as it decompresses.
    /// assert_eq!(Format::of(Path::new("data_0_0_0.csv.gz"))?, Format::Csv);
    /// assert_eq!(Format::of(Path::new("scores.jsonl.zst"))?, Format::JsonLines);
    /// // Parquet and Arrow compress inside the file.
    /// assert!(Format::of(Path::new("accounts.parquet.gz")).is_err());
    /// assert_eq!(Format::of(Path::new("accounts.feather"))?, Format::Arrow);
    /// assert!(Format::of(Path::new("scores.json")).is_err());
    /// assert!(Format::Arrow.is_columnar() && !Format::JsonLines.is_columnar());
    /// # Ok::<(), healthscore_arrow::Error>(())
    /// ```
    pub fn of(path: &Path) -> Result<Format, Error> {
        let lower = |p: &Path| {
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
        };
        let mut extension = lower(path);
        // A compressed CSV file (`accounts.csv.gz`): CSV, read as it
        // decompresses, or written compressed; JSON lines written
        // compressed. Parquet and Arrow compress inside the file.
        if extension
            .as_deref()
            .is_some_and(|e| crate::compressed::EXTENSIONS.contains(&e))
        {
            extension = path
                .file_stem()
                .map(Path::new)
                .and_then(lower)
                .filter(|e| e == "csv" || e == "jsonl");
        }
        match extension.as_deref() {
            Some("parquet") => Ok(Format::Parquet),
            Some("csv") => Ok(Format::Csv),
            Some("jsonl") => Ok(Format::JsonLines),
            Some("arrow" | "feather" | "ipc") => Ok(Format::Arrow),
            Some("arrows") => Ok(Format::ArrowStream),
            _ => Err(Error::Format(path.display().to_string())),
        }
    }

    /// The format of accounts at `path`: a file's by its extension
    /// ([`of`](Self::of)), a directory's by its parts' ([`parts`](crate::parts):
    /// a warehouse's export of one table in several files).
    ///
    /// # Errors
    ///
    /// As [`of`](Self::of) for a file, as [`parts`](crate::parts) for a
    /// directory.
    pub fn of_accounts(path: &Path) -> Result<Format, Error> {
        if path.is_dir() {
            return crate::parts(path).map(|(_, format)| format);
        }
        Format::of(path)
    }

    /// True for the formats of accounts as columns, which
    /// [`score_file`](crate::score_file) and [`read_accounts`](crate::read_accounts) read:
    /// all but JSON lines (accounts as the row API's JSON objects, read
    /// by `healthscore` itself).
    pub fn is_columnar(self) -> bool {
        self != Format::JsonLines
    }
}
