//! Reading accounts from a stream, JSON lines or one JSON array, into one
//! text per account. Every fault costs only its own line or element, which
//! is reported with its place; every complete account before and after it
//! is still read.
//!
//! * A byte-order mark at the start is skipped.
//! * JSON lines are read as bytes: a line of invalid UTF-8, or longer than
//!   [`MAX_TEXT`], is one rejected line.
//! * A JSON array is split by a scanner that tracks strings and nesting, so a
//!   syntax error inside an element costs that element, and an array cut in
//!   the middle keeps every complete element before the cut.

use std::io::{self, BufRead};

/// The longest text one account may take (16 MiB): a longer line or
/// element is rejected without being held in memory.
pub const MAX_TEXT: usize = 16 << 20;

/// One account's text, or why it cannot be read, at its place in the input
/// (line or element number, from 1).
pub struct Unit {
    pub place: u64,
    pub text: Result<String, String>,
    /// Where the text cannot be read, the account's id if the part read
    /// holds it (a cut JSON array's last element).
    pub id: Option<String>,
}

/// Said once where a CSV file's rows are rejected by number: its rows
/// are counted after the header, as records (a value may span lines), so
/// that `row 7` is the seventh account, and a spreadsheet, whose row 1 is
/// the header, shows it as row 8.
pub const CSV_ROWS: &str =
    "(a CSV file's rows are counted after its header line: row N is row N+1 in a spreadsheet)";

/// Whether `path` names a CSV file of columns (by its extension).
pub fn is_csv(path: &str) -> bool {
    matches!(
        healthscore_arrow::Format::of(path.as_ref()),
        Ok(healthscore_arrow::Format::Csv)
    )
}

/// How the stream was written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Lines,
    Array,
    /// Rows of a Parquet, CSV or Arrow file, counted from 1.
    Rows,
}

impl Shape {
    /// `why`, once prefixed by its place (`line 4: account x: …`): a
    /// rejected account's `error` cell in a results table.
    pub fn located(self, place: u64, why: &str) -> String {
        let (label, why) = self.label(place, why);
        format!("{label}: {why}")
    }

    /// The place's label, and `why` without it where it starts with it.
    fn label(self, place: u64, why: &str) -> (String, &str) {
        let label = format!("{} {place}", self.unit());
        let why = why
            .strip_prefix(label.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(why);
        (label, why)
    }

    /// What a place counts: `line` or `element`.
    pub fn unit(self) -> &'static str {
        match self {
            Shape::Lines => "line",
            Shape::Array => "element",
            Shape::Rows => "row",
        }
    }
}

/// Splits `input`, handing each unit to `emit` in input order until it
/// returns `false`. Faults of the stream as a whole (an array that is not
/// closed, text after it) are handed to `warn`.
///
/// # Errors
///
/// Only errors reading the input itself.
pub fn split(
    input: &mut impl BufRead,
    emit: &mut dyn FnMut(Shape, Unit) -> bool,
    warn: &mut dyn FnMut(String),
) -> io::Result<()> {
    skip_bom_and_space(input)?;
    let head = input.fill_buf()?;
    if let Some(what) = not_json(head) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not JSON lines or a JSON array: {what}"),
        ));
    }
    let first = head.first().copied();
    if first == Some(b'[') {
        input.consume(1);
        split_array(input, &mut |u| emit(Shape::Array, u), warn)
    } else {
        split_lines(input, &mut |u| emit(Shape::Lines, u))
    }
}

/// What a stream is, where its first bytes say it is not JSON at all (a
/// file of another kind, named or piped as JSON): read on, each of its
/// lines would be rejected on its own, a screen of the same error per
/// line. A stream that starts as JSON does (`{`, `[`) is read, whatever
/// follows; so is one whose first line is not JSON but not recognisably
/// anything else (a fault of that line alone).
fn not_json(head: &[u8]) -> Option<String> {
    match head {
        [b'{' | b'[', ..] | [] => None,
        [b'P', b'A', b'R', b'1', ..] => {
            Some("a Parquet file (save it as a .parquet file to read its columns)".into())
        }
        [b'A', b'R', b'R', b'O', b'W', b'1', ..] => {
            Some("an Arrow IPC file (save it as a .arrow file to read its columns)".into())
        }
        [0xFF, 0xFF, 0xFF, 0xFF, ..] => {
            Some("an Arrow IPC stream (save it as a .arrows file to read its columns)".into())
        }
        // (A gzip or zstd file is read as it decompresses: this is one
        // compressed twice.)
        [0x1f, 0x8b, ..] => Some(
            "gzip-compressed twice (decompress it once: gunzip -c FILE | healthscore ... --accounts -)"
                .into(),
        ),
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => {
            Some("UTF-16 text (a spreadsheet's \"Unicode text\"? save it as UTF-8)".into())
        }
        [b'P', b'K', 3, 4, ..] => Some(
            "a zip archive (a spreadsheet workbook? export the sheet as CSV UTF-8, named .csv)"
                .into(),
        ),
        _ => {
            let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.contains(&b'{') || !line.iter().any(|b| matches!(b, b',' | b'\t' | b';')) {
                return None;
            }
            let shown: String = String::from_utf8_lossy(line).chars().take(60).collect();
            let more = if shown.len() < line.len() { "…" } else { "" };
            // Separated by tabs or semicolons, not commas: said now, not
            // after the file is renamed .csv (which reads commas only).
            let separator = match (
                line.contains(&b','),
                line.contains(&b'\t'),
                line.contains(&b';'),
            ) {
                (false, true, _) => Some("tabs"),
                (false, false, true) => Some("semicolons"),
                _ => None,
            };
            Some(match separator {
                Some(by) => format!(
                    "its first line looks like a header separated by {by} ({shown:?}{more}): \
                     export it comma-separated (decimals with a point) as a .csv file to read its columns"
                ),
                None => format!(
                    "its first line looks like a CSV header ({shown:?}{more}): save it as a .csv file to read its columns"
                ),
            })
        }
    }
}

fn skip_bom_and_space(input: &mut impl BufRead) -> io::Result<()> {
    let buf = input.fill_buf()?;
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        input.consume(3);
    }
    loop {
        let buf = input.fill_buf()?;
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let all = n == buf.len();
        input.consume(n);
        if !all || n == 0 {
            return Ok(());
        }
    }
}

fn text_of(bytes: Vec<u8>, too_long: bool) -> Result<String, String> {
    if too_long {
        return Err(format!("longer than {} MiB: skipped", MAX_TEXT >> 20));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (at byte {}): skipped",
            e.utf8_error().valid_up_to()
        )
    })
}

fn split_lines(input: &mut impl BufRead, emit: &mut dyn FnMut(Unit) -> bool) -> io::Result<()> {
    let mut place = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let (read, too_long) = read_line(input, &mut line)?;
        if !read {
            return Ok(());
        }
        place += 1;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if !too_long && line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = text_of(std::mem::take(&mut line), too_long);
        if !emit(Unit {
            place,
            text,
            id: None,
        }) {
            return Ok(());
        }
    }
}

/// Reads up to and without the next `\n`, keeping at most [`MAX_TEXT`]
/// bytes. Returns whether anything was read, and whether the line was cut.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<(bool, bool)> {
    let (mut read, mut too_long) = (false, false);
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok((read, too_long));
        }
        read = true;
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if line.len() + chunk.len() > MAX_TEXT {
            too_long = true;
        } else if !too_long {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        input.consume(used);
        if done.is_some() {
            return Ok((true, too_long));
        }
    }
}

/// The elements of a JSON array whose `[` was consumed.
fn split_array(
    input: &mut impl BufRead,
    emit: &mut dyn FnMut(Unit) -> bool,
    warn: &mut dyn FnMut(String),
) -> io::Result<()> {
    let mut element: Vec<u8> = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut too_long) = (0usize, false, false, false);
    let mut place = 0u64;
    let mut closed = false;
    let mut after = 0usize; // bytes after the closing bracket
    let mut finish = |element: &mut Vec<u8>, too_long: &mut bool, place: &mut u64| -> bool {
        let trimmed = element.iter().all(u8::is_ascii_whitespace);
        let keep = if trimmed && !*too_long {
            true
        } else {
            *place += 1;
            let text = text_of(std::mem::take(element), *too_long);
            emit(Unit {
                place: *place,
                text,
                id: None,
            })
        };
        element.clear();
        *too_long = false;
        keep
    };
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        for &b in buf {
            if closed {
                after += usize::from(!b.is_ascii_whitespace());
                continue;
            }
            let mut boundary = false;
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b']' => {
                        closed = true;
                        boundary = true;
                    }
                    b',' if depth == 0 => boundary = true,
                    _ => {}
                }
            }
            if boundary {
                if !finish(&mut element, &mut too_long, &mut place) {
                    return Ok(());
                }
            } else if element.is_empty() && b.is_ascii_whitespace() {
                // Leading space between elements is not part of one.
            } else if element.len() < MAX_TEXT {
                element.push(b);
            } else {
                too_long = true;
            }
        }
        input.consume(n);
    }
    if !closed {
        let cut = !element.iter().all(u8::is_ascii_whitespace);
        if cut {
            place += 1;
            // The id, where the part read holds it (its key comes first
            // in most exports): which account was lost.
            let id = std::str::from_utf8(&element)
                .ok()
                .and_then(crate::score::pipeline::id_in_text);
            let why = "the input ends inside this element (cut?): skipped";
            emit(Unit {
                place,
                text: Err(match &id {
                    Some(id) => format!("account {id}: {why}"),
                    None => why.to_string(),
                }),
                id,
            });
        }
        warn(format!(
            "the JSON array is not closed: the input ends after element {place} (cut?)"
        ));
    } else if after > 0 {
        warn("text after the end of the JSON array was ignored".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::type_complexity)]
    fn units(text: &[u8]) -> (Vec<(u64, Result<String, String>)>, Vec<String>) {
        let (mut out, mut warnings) = (Vec::new(), Vec::new());
        let mut input = io::BufReader::with_capacity(7, text); // tiny buffer: splits cross reads
        split(
            &mut input,
            &mut |_, u| {
                out.push((u.place, u.text));
                true
            },
            &mut |w| warnings.push(w),
        )
        .unwrap();
        (out, warnings)
    }

    #[test]
    fn lines_with_faults_cost_only_themselves() {
        let (u, w) = units(b"\xEF\xBB\xBF{\"id\":1}\n\n{\"id\":\xFF}\r\n{\"id\":3}");
        assert_eq!(u.len(), 3);
        assert_eq!(u[0], (1, Ok("{\"id\":1}".into())));
        assert_eq!(u[1].0, 3);
        assert!(u[1].1.as_ref().unwrap_err().starts_with("not valid UTF-8"));
        assert_eq!(u[2], (4, Ok("{\"id\":3}".into())));
        assert!(w.is_empty());
    }

    /// A stream that is surely not JSON (Parquet, gzip, zip, a CSV
    /// header) is refused as a whole, saying what it looks like, before
    /// any unit; one that starts as JSON, or whose first line is some
    /// other fault, is read unit by unit.
    #[test]
    fn a_stream_of_another_kind_is_refused_whole() {
        let refused = |text: &[u8]| {
            let mut input = io::BufReader::with_capacity(64, text);
            let mut units = 0;
            let e = split(
                &mut input,
                &mut |_, _| {
                    units += 1;
                    true
                },
                &mut |_| (),
            )
            .err()
            .map(|e| e.to_string());
            assert_eq!(units, 0, "{e:?}");
            e
        };
        for (text, says) in [
            (&b"PAR1\x15\x04"[..], "a Parquet file"),
            (b"\x1f\x8b\x08\x00", "gzip-compressed"),
            (b"PK\x03\x04\x14\x00", "a zip archive"),
            (b"\xFF\xFEi\x00d\x00\t\x00", "UTF-16 text"),
            (b"\xFE\xFF\x00{\x00\"", "UTF-16 text"),
            (
                b"\xEF\xBB\xBF id,mrr,employees\r\n1,2,3\n",
                "looks like a CSV header (\"id,mrr,employees\")",
            ),
            (
                b"id\tmrr\n",
                "looks like a header separated by tabs (\"id\\tmrr\"): export it comma-separated",
            ),
            (
                b"id;mrr;employees\n",
                "looks like a header separated by semicolons (\"id;mrr;employees\"): export it comma-separated",
            ),
        ] {
            let e = refused(text).unwrap_or_default();
            assert!(e.starts_with("not JSON lines or a JSON array: "), "{e}");
            assert!(e.contains(says), "{e}");
        }
        let long = format!("{}\n", ["column"; 40].join(","));
        assert!(refused(long.as_bytes()).unwrap_or_default().contains("…)"));
        for read in [
            &b"{\"id\": 1}\n"[..],
            b"[{\"id\": 1}]",
            b"",
            b"  \n",
            b"oops\n{\"id\": 1}\n",
            b"{\"id\": \"a,b\"}",
        ] {
            let mut input = io::BufReader::with_capacity(7, read);
            assert!(split(&mut input, &mut |_, _| true, &mut |_| ()).is_ok());
        }
    }

    #[test]
    fn arrays_split_on_top_level_commas_only() {
        let (u, w) =
            units(br#" [ {"id": "a,]", "o": [1, {"x": "\"]"}]} , {"id": NaN}, {"id": "c"} ] "#);
        assert_eq!(u.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            u[0].1.as_deref(),
            Ok(r#"{"id": "a,]", "o": [1, {"x": "\"]"}]} "#)
        );
        assert_eq!(u[1].1.as_deref(), Ok(r#"{"id": NaN}"#));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_cut_array_keeps_every_complete_element() {
        let (u, w) = units(br#"[{"id": "a"}, {"id": "b"}, {"id": "c", "mr"#);
        assert_eq!(u.len(), 3);
        assert!(u[0].1.is_ok() && u[1].1.is_ok());
        assert_eq!(
            u[2].1.as_ref().unwrap_err(),
            "account c: the input ends inside this element (cut?): skipped"
        );
        // Cut before its id: no id to say.
        let (u, _) = units(br#"[{"id": "a"}, {"emp"#);
        assert_eq!(
            u[1].1.as_ref().unwrap_err(),
            "the input ends inside this element (cut?): skipped"
        );
        assert_eq!(
            w,
            ["the JSON array is not closed: the input ends after element 3 (cut?)"]
        );
    }
}
