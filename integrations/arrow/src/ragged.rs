//! CSV lines with more or fewer fields than the header, that are not
//! UTF-8, or that repeat the header: each rejects its own row, not the
//! file.
//!
//! Arrow's CSV reader fails the whole file on a line whose field count
//! differs from the header's (a line cut short at the end of an export
//! that was interrupted, or a value with an unquoted comma in it), and on
//! a line that is not UTF-8 (a name with an accent from a spreadsheet
//! saved in its local code page). The accounts are read through
//! [`Ragged`] instead, which passes every well formed line on as it is,
//! and gives any other one as many fields as the header (its own first
//! fields, with U+FFFD for each byte that is not UTF-8, the rest empty)
//! and notes its row, so that the row is rejected with its line (`account
//! a7: line 9 has 16 fields, the header 15`) and every other row is
//! scored. A line that repeats the header (the next of several exports
//! joined together) is noted too, its fields made empty. A header that is
//! not UTF-8 still fails the file.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// The note of a line that repeats the header.
fn repeated_header(line: impl std::fmt::Display) -> String {
    format!("line {line} {REPEATED_HEADER}")
}

const REPEATED_HEADER: &str = "repeats the header line (files joined with their headers?)";

/// Whether a note is of a line that repeats the header: its fields were
/// made empty, so what its columns make of them (`id: missing; mrr:
/// missing; …`) says nothing, and the note stands alone.
pub(crate) fn stands_alone(note: &str) -> bool {
    note.ends_with(REPEATED_HEADER)
}

/// The rows found ragged so far: row (from 0, after the header) and why.
pub(crate) type Found = Arc<Mutex<Vec<(u64, String)>>>;

/// A CSV file read record by record (as Arrow's reader parses it: commas,
/// double quotes, `\n` or `\r\n`), ragged records made header-wide.
pub(crate) struct Ragged<R> {
    inner: R,
    parser: csv_core::Reader,
    /// Bytes read from `inner` not yet parsed.
    input: Vec<u8>,
    at: usize,
    eof: bool,
    /// The record being parsed: its bytes as read, its fields' bytes and
    /// their ends.
    raw: Vec<u8>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// The header's field count, once read.
    width: Option<usize>,
    /// The header's fields (the first without a byte order mark), and
    /// joined by commas where none holds a comma, quote or line end (what
    /// a plain line repeating it is).
    header: Vec<Vec<u8>>,
    plain_header: Option<Vec<u8>>,
    /// Data records passed on.
    rows: u64,
    /// Lines (`\n`) passed before the record being parsed.
    lines: u64,
    /// Bytes to hand out, from `out_at` on.
    out: Vec<u8>,
    out_at: usize,
    /// The end was parsed.
    done: bool,
    /// `input` has no `\n` before this index.
    no_line_end: usize,
    found: Found,
}

impl<R: Read> Ragged<R> {
    /// `inner` read through; the ragged rows are noted in `found`.
    pub(crate) fn new(inner: R, found: Found) -> Self {
        Ragged {
            inner,
            parser: csv_core::Reader::new(),
            input: Vec::new(),
            at: 0,
            eof: false,
            raw: Vec::new(),
            fields: vec![0; 4 * 1024],
            ends: vec![0; 64],
            width: None,
            header: Vec::new(),
            plain_header: None,
            rows: 0,
            lines: 0,
            out: Vec::new(),
            out_at: 0,
            done: false,
            no_line_end: 0,
            found,
        }
    }

    /// Reads more of `inner` after what is not yet parsed; `false` at the
    /// end of the file.
    fn more(&mut self) -> std::io::Result<bool> {
        self.input.drain(..self.at);
        self.no_line_end = self.no_line_end.saturating_sub(self.at);
        self.at = 0;
        let have = self.input.len();
        self.input.resize(have + 64 * 1024, 0);
        let n = loop {
            match self
                .inner
                .read(self.input.get_mut(have..).unwrap_or_default())
            {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.input.truncate(have + n);
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Parses until at least one record is passed on to `out`, or the end.
    ///
    /// A line of UTF-8 without quotes or a carriage return inside it, as
    /// many fields as the header and not the header again, is passed on
    /// as it is after a count of its commas (most lines of most exports):
    /// Arrow's reader parses it the same way. Any other line (the header,
    /// one with quotes, a ragged one, one that is not UTF-8, the header
    /// again) goes through `csv_core`, Arrow's own parser.
    fn fill(&mut self) -> std::io::Result<()> {
        let Some(width) = self.width else {
            return self.parse();
        };
        // Known to hold no line end (a file of `\r` line ends, a long
        // line): `csv_core`, without looking for one again.
        if self.at < self.no_line_end {
            return self.parse();
        }
        // The run of good lines from `at`, passed on in one piece.
        let rest = self.input.get(self.at..).unwrap_or_default();
        let mut good = 0;
        for end in memchr::memchr_iter(b'\n', rest) {
            let line = rest.get(good..end).unwrap_or_default();
            let body = line.strip_suffix(b"\r").unwrap_or(line);
            let fits = !body.is_empty()
                && plain_fields(body) == Some(width)
                && self.plain_header.as_deref() != Some(body.strip_prefix(BOM).unwrap_or(body));
            if !fits {
                break;
            }
            good = end + 1;
            self.lines += 1;
            self.rows += 1;
        }
        if good > 0 {
            self.out
                .extend_from_slice(rest.get(..good).unwrap_or_default());
            self.at += good;
            return Ok(());
        }
        // A line to parse; or no line end in what is read, and
        // `csv_core` reads on from here (a record's end may be a `\r`).
        if memchr::memchr(b'\n', rest).is_none() {
            self.no_line_end = self.input.len();
        }
        self.parse()
    }

    /// Parses one record with `csv_core` from a record's start, and passes
    /// it on ([`pass`](Self::pass)); at the end, what is left as it is.
    fn parse(&mut self) -> std::io::Result<()> {
        use csv_core::ReadRecordResult as R;
        self.parser.reset();
        let (mut field_len, mut field_count) = (0, 0);
        loop {
            if self.at == self.input.len() && !self.eof {
                self.more()?;
            }
            let input = self.input.get(self.at..).unwrap_or_default();
            let (result, nin, nout, nend) = self.parser.read_record(
                input,
                self.fields.get_mut(field_len..).unwrap_or_default(),
                self.ends.get_mut(field_count..).unwrap_or_default(),
            );
            self.raw
                .extend_from_slice(input.get(..nin).unwrap_or_default());
            self.at += nin;
            field_len += nout;
            field_count += nend;
            match result {
                R::InputEmpty => {}
                R::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.pass(field_count);
                    return Ok(());
                }
                R::End => {
                    // Blank lines at the end, no record: as read.
                    self.out.append(&mut self.raw);
                    return Ok(());
                }
            }
        }
    }

    /// The record just parsed (`count` fields), as read or made
    /// header-wide.
    fn pass(&mut self, count: usize) {
        let newlines = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count() as u64;
        // Its first line: after the blank lines before it.
        let blank = self
            .raw
            .iter()
            .take_while(|c| matches!(c, b'\n' | b'\r'))
            .filter(|c| **c == b'\n')
            .count() as u64;
        let line = self.lines + blank + 1;
        self.lines += newlines(&self.raw);
        let Some(width) = self.width else {
            self.width = Some(count);
            self.header = self.record(count).map(<[u8]>::to_vec).collect();
            let plain = |f: &Vec<u8>| !f.iter().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n'));
            self.plain_header = self
                .header
                .iter()
                .all(plain)
                .then(|| self.header.join(&b","[..]));
            self.out.append(&mut self.raw);
            return;
        };
        let row = self.rows;
        self.rows += 1;
        let text = std::str::from_utf8(&self.raw);
        let header = count == width && self.record(count).eq(self.header.iter().map(Vec::as_slice));
        if count == width && text.is_ok() && !header {
            self.out.append(&mut self.raw);
            return;
        }
        let lead = self
            .raw
            .iter()
            .take_while(|c| matches!(c, b'\n' | b'\r'))
            .count();
        let cut = !self.raw.ends_with(b"\n") && !self.raw.ends_with(b"\r");
        let why = if header {
            repeated_header(line)
        } else if let Err(e) = text {
            let at = e.valid_up_to();
            let byte = self.raw.get(at).copied().unwrap_or_default();
            format!(
                "line {line} is not UTF-8 text (byte {byte:#04X} at byte {} of the line): save the file as CSV UTF-8",
                at.saturating_sub(lead) + 1
            )
        } else if cut && count < width {
            format!("line {line} is cut short: {count} of the header's {width} fields, and no line end (a file cut off?)")
        } else {
            format!("line {line} has {count} fields, the header {width} (a value with an unquoted comma, or a field missing)")
        };
        self.found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((row, why));
        // The blank lines before it as they were (so that later lines keep
        // their numbers in Arrow's messages), then its own first fields,
        // quoted (bytes that are not UTF-8 as U+FFFD, so that its id can
        // still name it), and the rest empty.
        self.out
            .extend_from_slice(self.raw.get(..lead).unwrap_or_default());
        let mut start = 0;
        for i in 0..width {
            if i > 0 {
                self.out.push(b',');
            }
            let end = self.ends.get(i).copied().filter(|_| i < count && !header);
            if let Some(field) = end.and_then(|end| self.fields.get(start..end)) {
                let field = String::from_utf8_lossy(field);
                self.out.push(b'"');
                for b in field.as_bytes() {
                    if *b == b'"' {
                        self.out.push(b'"');
                    }
                    self.out.push(*b);
                }
                self.out.push(b'"');
            }
            start = end.unwrap_or(start);
        }
        self.out.push(b'\n');
        self.raw.clear();
    }
}

impl<R: Read> Read for Ragged<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_at == self.out.len() {
            self.out.clear();
            self.out_at = 0;
            if self.eof && self.at == self.input.len() && self.done {
                return Ok(0);
            }
            self.fill()?;
            if self.eof && self.at == self.input.len() && self.out.is_empty() {
                self.done = true;
            }
        }
        let pending = self.out.get(self.out_at..).unwrap_or_default();
        let n = pending.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(pending.get(..n).unwrap_or_default());
        self.out_at += n;
        Ok(n)
    }
}

impl<R> Ragged<R> {
    /// The fields of the record just parsed (`count` of them), the first
    /// without a byte order mark.
    fn record(&self, count: usize) -> impl Iterator<Item = &[u8]> {
        let ends = self.ends.get(..count).unwrap_or_default();
        ends.iter().enumerate().map(move |(i, end)| {
            let start = i
                .checked_sub(1)
                .and_then(|j| ends.get(j))
                .copied()
                .unwrap_or(0);
            let field = self.fields.get(start..*end).unwrap_or_default();
            if i == 0 {
                field.strip_prefix(BOM).unwrap_or(field)
            } else {
                field
            }
        })
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();

/// The fields of a line of UTF-8 without quotes or a carriage return in
/// it (its commas plus one); `None` for any other line. One pass, 255
/// bytes at a time in `u8` counters, which the compiler turns into
/// compares of 16 or 32 bytes at once (counting into `usize`, and looking
/// for quotes in a second pass, went 4 bytes at a time and took most of
/// the time of a good line); the same pass notes a byte above ASCII, and
/// only a line with one is checked for UTF-8. (A line that is not UTF-8
/// then goes through `csv_core` as a ragged one does, each once: a check
/// of the whole run of lines, cut at the first bad one, would look at the
/// lines after it again for every bad line.)
fn plain_fields(line: &[u8]) -> Option<usize> {
    let mut commas = 0;
    let mut above_ascii = 0;
    for chunk in line.chunks(255) {
        let (n, odd, high) = chunk.iter().fold((0u8, 0u8, 0u8), |(n, odd, high), b| {
            (
                n + u8::from(*b == b','),
                odd | u8::from(*b == b'"') | u8::from(*b == b'\r'),
                high | *b,
            )
        });
        if odd != 0 {
            return None;
        }
        commas += usize::from(n);
        above_ascii |= high;
    }
    if above_ascii >= 0x80 && std::str::from_utf8(line).is_err() {
        return None;
    }
    Some(commas + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(text: impl AsRef<[u8]>, chunk: usize) -> (String, Vec<(u64, String)>) {
        let text = text.as_ref();
        /// A reader that hands out `chunk` bytes at a time.
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let found = Found::default();
        let mut out = String::new();
        Ragged::new(Slow(text, chunk), found.clone())
            .read_to_string(&mut out)
            .unwrap();
        let found = found.lock().unwrap().clone();
        (out, found)
    }

    /// Well formed lines pass as they are (quotes, `\r\n`, a byte order
    /// mark, blank lines, a last line without a line end); ragged ones, ones
    /// that are not UTF-8 and repeats of the header are made header-wide
    /// and noted with their rows and lines; at any chunk size of the
    /// reader underneath.
    #[test]
    fn ragged_lines_are_made_header_wide_and_noted() {
        let ragged = |line, n, header| {
            format!("line {line} has {n} fields, the header {header} (a value with an unquoted comma, or a field missing)")
        };
        let latin = |line, byte, at| {
            format!("line {line} is not UTF-8 text (byte {byte} at byte {at} of the line): save the file as CSV UTF-8")
        };
        let header = |line| {
            format!("line {line} repeats the header line (files joined with their headers?)")
        };
        let good = "\u{feff}id,note,mrr\r\na,\"x, \"\"y\"\"\",1\r\n\nb,\"two\nlines\",2\nc,,3";
        // Input, output, and the rows noted with why.
        type Case<'a> = (&'a [u8], &'a str, Vec<(u64, String)>);
        let cases: [Case; 4] = [
            (good.as_bytes(), good, vec![]),
            (
                b"id,note,mrr\na,x,1\nb,x,y,2\nc\nd,\"q\"\"\",4\ne,x",
                "id,note,mrr\na,x,1\n\"b\",\"x\",\"y\"\n\"c\",,\nd,\"q\"\"\",4\n\"e\",\"x\",\n",
                vec![
                    (1, ragged(3, 4, 3)),
                    (2, ragged(4, 1, 3)),
                    (4, "line 6 is cut short: 2 of the header's 3 fields, and no line end (a file cut off?)".into()),
                ],
            ),
            // Not UTF-8, in the plain run and among quotes, or ragged too:
            // the fields with U+FFFD.
            (
                b"id,name,mrr\na,x,1\nb,caf\xe9,2\nc,y,3\n\n\xe9,\"\xe9\"\"\",4\nf,\xff\xfe,5,6\ng,z,7\n",
                "id,name,mrr\na,x,1\n\"b\",\"caf\u{fffd}\",\"2\"\nc,y,3\n\n\"\u{fffd}\",\"\u{fffd}\"\"\",\"4\"\n\"f\",\"\u{fffd}\u{fffd}\",\"5\"\ng,z,7\n",
                vec![
                    (1, latin(3, "0xE9", 6)),
                    (3, latin(6, "0xE9", 1)),
                    (4, latin(7, "0xFF", 3)),
                ],
            ),
            // The header again (files joined together), plain, with a byte
            // order mark, or quoted: the fields empty. (The `\n` of a
            // `\r\n` that ends a record `csv_core` took stays with the
            // next one, as a blank line.)
            (
                "\u{feff}id,name,mrr\na,x,1\nid,name,mrr\nb,y,2\r\n\u{feff}id,name,mrr\r\n\"id\",\"name\",mrr\nid,name,mrr2\n".as_bytes(),
                "\u{feff}id,name,mrr\na,x,1\n,,\nb,y,2\r\n,,\n\n,,\nid,name,mrr2\n",
                vec![(1, header(3)), (3, header(5)), (4, header(6))],
            ),
        ];
        for (text, out, found) in cases {
            for chunk in [1, 2, 3, 7, 64, 1 << 20] {
                assert_eq!(
                    through(text, chunk),
                    (out.to_string(), found.clone()),
                    "chunk {chunk}"
                );
            }
        }
        assert_eq!(through("", 8), (String::new(), Vec::new()));
        assert_eq!(through("\n\n", 8).1, Vec::new());
    }

    proptest::proptest! {
        /// Any text after a header (quotes, commas, line ends in any
        /// mix, open quotes at the end) reads the same at any chunk size,
        /// and Arrow's CSV reader reads all of it: as many rows as the
        /// records the parser finds, none refused for its field count.
        #[test]
        fn any_text_reads_header_wide(
            width in 1usize..5,
            tokens in proptest::collection::vec(
                proptest::sample::select(vec![&b"a"[..], b"bc", b",", b"\"", b"\"\"", b"\r", b"\n", b"\r\n", b"\n\n", b"\xe9", b"\xc3\xa9"]),
                0..60,
            ),
            chunk in 1usize..9,
        ) {
            let header: Vec<String> = (0..width).map(|i| format!("h{i}")).collect();
            let mut text = format!("{}\n", header.join(",")).into_bytes();
            text.extend(tokens.concat());
            let (out, found) = through(&text, chunk);
            let (whole, found_whole) = through(&text, 1 << 20);
            proptest::prop_assert_eq!(&out, &whole);
            proptest::prop_assert_eq!(&found, &found_whole);
            let fields: Vec<arrow_schema::Field> = header
                .iter()
                .map(|h| arrow_schema::Field::new(h, arrow_schema::DataType::Utf8, true))
                .collect();
            let reader = arrow_csv::ReaderBuilder::new(std::sync::Arc::new(arrow_schema::Schema::new(fields)))
                .with_header(true)
                .build(std::io::Cursor::new(out.clone()))
                .unwrap();
            let mut rows = 0;
            for batch in reader {
                let batch = batch.map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}: {out:?}")))?;
                rows += batch.num_rows();
            }
            // Every ragged row noted is a row Arrow read.
            proptest::prop_assert!(found.iter().all(|(row, _)| (*row as usize) < rows), "{found:?}, {rows} rows");
        }
    }
}
