//! Files compressed as warehouses unload them: gzip (Snowflake's default
//! for CSV, BigQuery's and Spark's option) and zstd, told by their first
//! bytes, whatever their names, and read as they decompress (nothing is
//! unpacked to disk; memory holds the decoder's window). Results named
//! so (`scores.csv.gz`, `scores.jsonl.zst`) are written compressed, as
//! they are encoded.

use crate::Error;
use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

/// The compression a file's first bytes show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression `head` (a file's first bytes) starts with.
    pub(crate) fn of(head: &[u8]) -> Option<Compression> {
        match head {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// The extensions of compressed files (`accounts.csv.gz`): their format
/// is the extension before.
pub(crate) const EXTENSIONS: [&str; 4] = ["gz", "gzip", "zst", "zstd"];

/// The compression `path`'s extension names (`.gz`, `.gzip`, `.zst`,
/// `.zstd`, in any case): how a results file of that name is written.
pub(crate) fn named(path: &Path) -> Option<Compression> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "gz" | "gzip" => Some(Compression::Gzip),
        "zst" | "zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// A results file written as its name says: as it is, or compressed as
/// it is written (gzip at level 6, what `gzip` and pandas write; zstd at
/// level 3, the `zstd` tool's), so that `zcat`, `pd.read_csv` or a
/// warehouse's `COPY INTO` reads it.
pub(crate) enum Encoder {
    /// Written as it is.
    Plain(File),
    /// gzip, one member (boxed, as zstd's: their state beside a file).
    Gzip(Box<flate2::write::GzEncoder<File>>),
    /// zstd, one frame, its content's checksum at the end.
    Zstd(Box<zstd::stream::write::Encoder<'static, File>>),
}

impl Encoder {
    /// `file`, written compressed as `how` says.
    pub(crate) fn new(file: File, how: Option<Compression>) -> std::io::Result<Encoder> {
        Ok(match how {
            None => Encoder::Plain(file),
            Some(Compression::Gzip) => Encoder::Gzip(Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::default(),
            ))),
            Some(Compression::Zstd) => {
                let mut zstd = zstd::stream::write::Encoder::new(file, 3)?;
                zstd.include_checksum(true)?;
                Encoder::Zstd(Box::new(zstd))
            }
        })
    }

    /// Ends the compressed stream (the encoder's buffered bytes, then
    /// gzip's trailer or zstd's end of frame): the file, whole.
    pub(crate) fn finish(self) -> std::io::Result<File> {
        match self {
            Encoder::Plain(file) => Ok(file),
            Encoder::Gzip(gzip) => gzip.finish(),
            Encoder::Zstd(zstd) => zstd.finish(),
        }
    }
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Encoder::Plain(file) => file.write(buf),
            Encoder::Gzip(gzip) => gzip.write(buf),
            Encoder::Zstd(zstd) => zstd.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Encoder::Plain(file) => file.write_all(buf),
            Encoder::Gzip(gzip) => gzip.write_all(buf),
            Encoder::Zstd(zstd) => zstd.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Encoder::Plain(file) => file.flush(),
            Encoder::Gzip(gzip) => gzip.flush(),
            Encoder::Zstd(zstd) => zstd.flush(),
        }
    }
}

/// `path` opened for reading its text: decompressed where its first
/// bytes are gzip's or zstd's (a gzip file of several members, as
/// `cat a.gz b.gz` or a parallel compressor writes, is read whole).
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read + Send>, Error> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    regular(path)?;
    let mut file = File::open(path).map_err(io)?;
    let mut head = [0u8; 4];
    let mut have = 0;
    while have < head.len() {
        match file.read(head.get_mut(have..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    file.rewind().map_err(io)?;
    Ok(
        match Compression::of(head.get(..have).unwrap_or_default()) {
            Some(Compression::Gzip) => Box::new(Said {
                inner: flate2::read::MultiGzDecoder::new(BufReader::new(file)),
                what: "gzip",
            }),
            Some(Compression::Zstd) => Box::new(Said {
                inner: zstd::stream::read::Decoder::new(file).map_err(io)?,
                what: "zstd",
            }),
            None => Box::new(file),
        },
    )
}

/// `input` read as its text: decoded as it is read where its first bytes
/// are gzip's (several members read whole) or zstd's, as it is
/// otherwise. For JSON lines (`accounts.jsonl.gz`, or `zcat`-less pipes
/// into standard input) as for CSV.
///
/// # Errors
///
/// Reading the first bytes failed (the reader's error).
///
/// # Examples
///
/// ```
/// use std::io::{BufRead, Write};
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(b"{\"id\": \"acme\"}\n")?;
/// let bytes = gz.finish()?;
/// let text = healthscore_arrow::decompressed(Box::new(std::io::Cursor::new(bytes)))?;
/// assert_eq!(text.lines().next().unwrap()?, r#"{"id": "acme"}"#);
/// let plain = healthscore_arrow::decompressed(Box::new(&b"{}\n"[..]))?;
/// assert_eq!(plain.lines().count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decompressed(
    mut input: Box<dyn std::io::BufRead + Send>,
) -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
    let head = loop {
        match input.fill_buf() {
            Ok(head) => break head,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    Ok(match Compression::of(head) {
        Some(Compression::Gzip) => Box::new(BufReader::new(Said {
            inner: flate2::bufread::MultiGzDecoder::new(input),
            what: "gzip",
        })),
        Some(Compression::Zstd) => Box::new(BufReader::new(Said {
            inner: zstd::stream::read::Decoder::with_buffer(input)?,
            what: "zstd",
        })),
        None => input,
    })
}

/// Refuses a CSV path that is not a regular file, before opening it: a
/// named pipe or a device is read once, as it streams, where the CSV
/// reader reads a file twice (its header first); opening it would wait
/// for a writer, the second time for one that has gone.
pub(crate) fn regular(path: &Path) -> Result<(), Error> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a named pipe?): a CSV file is read twice, its header line first; save it to a file, or give JSON lines on standard input (--accounts -)",
            ),
        });
    }
    Ok(())
}

/// A decoder whose errors say what was being decompressed and what the
/// likely cause is (`gzip: incomplete deflate stream (a damaged or cut
/// file?)`).
struct Said<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Said<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            std::io::Error::new(
                e.kind(),
                format!("{}: {e} (a damaged or cut file?)", self.what),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_not_waited_on() {
        let dir = std::env::temp_dir().join(format!("hs-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pipe = dir.join("accounts.csv");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if made.is_ok_and(|s| s.success()) {
            let e = open(&pipe).err().unwrap().to_string();
            assert!(e.contains("not a regular file (a named pipe?)"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn compressed_files_read_as_their_text() {
        let dir = std::env::temp_dir().join(format!("hs-compressed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "id,mrr\na,1\n".repeat(1000);
        let gz = dir.join("a.csv.gz");
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(text.as_bytes()).unwrap();
        // Two members, as `cat a.gz b.gz` writes.
        let member = w.finish().unwrap();
        std::fs::write(&gz, [member.clone(), member].concat()).unwrap();
        let zst = dir.join("a.csv.zst");
        std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 3).unwrap()).unwrap();
        let plain = dir.join("a.csv");
        std::fs::write(&plain, &text).unwrap();
        let read = |p: &Path| {
            let mut s = String::new();
            open(p).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        assert_eq!(read(&gz), text.repeat(2));
        assert_eq!(read(&zst), text);
        assert_eq!(read(&plain), text);
        // A file shorter than any magic number: as it is.
        std::fs::write(&plain, "i").unwrap();
        assert_eq!(read(&plain), "i");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
