//! A walk over an Arrow IPC file's or stream's framing before Arrow's
//! reader sees it. The reader trusts the lengths a file declares: a
//! damaged length (a record batch's body of 2⁵¹ bytes, a compressed
//! buffer said to expand to 34 GB) makes it ask for that much memory, and
//! a failed allocation ends the process. Here each length is checked
//! against what the file holds, reading only the messages' metadata (and
//! eight bytes a compressed buffer), so a damaged file is an error that
//! says so.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// The most a compressed buffer may expand to: 2 GiB, what one Arrow
/// array of text may hold with 32-bit offsets. A batch of accounts with a
/// larger buffer is taken for a damaged file.
const MAX_BUFFER: i64 = 1 << 31;

/// What is wrong with a file's framing.
type Damage = &'static str;

const CUT: Damage = "ends in the middle of a record batch (cut short while copied or written?)";
const PAST_END: Damage =
    "damaged: a record batch it lists reaches past the end of the file (or before its start)";
const BAD_METADATA: Damage = "damaged: a record batch's description cannot be read";
const BAD_BUFFER: Damage = "damaged: a record batch's buffer reaches past the batch's end";
const HUGE_BUFFER: Damage =
    "damaged: a compressed buffer claims to expand to more than 2 GiB (more than a batch of accounts holds)";
const BAD_FOOTER: Damage = "damaged: its footer (the index of its record batches) cannot be read";

/// Checks an IPC file (`stream` false: `ARROW1`, messages, footer) or
/// stream in `file`, `len` bytes long.
pub(crate) fn check(file: &mut File, len: u64, stream: bool) -> Result<(), Damage> {
    let len = i64::try_from(len).map_err(|_| PAST_END)?;
    if stream {
        return check_stream(file, 0, len);
    }
    // `ARROW1`, two bytes of padding, the messages, the footer, its length
    // (4 bytes) and `ARROW1` again.
    let mut tail = [0u8; 10];
    read_at(file, len - 10, &mut tail).map_err(|_| BAD_FOOTER)?;
    let footer_len = i64::from(i32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let footer_start = len - 10 - footer_len;
    if footer_len <= 0 || footer_start < 8 {
        return Err(BAD_FOOTER);
    }
    let mut footer = vec![0u8; footer_len as usize];
    read_at(file, footer_start, &mut footer).map_err(|_| BAD_FOOTER)?;
    let footer = arrow_ipc::root_as_footer(&footer).map_err(|_| BAD_FOOTER)?;
    let blocks = footer
        .recordBatches()
        .into_iter()
        .flatten()
        .chain(footer.dictionaries().into_iter().flatten());
    for block in blocks {
        let (offset, meta, body) = (
            block.offset(),
            i64::from(block.metaDataLength()),
            block.bodyLength(),
        );
        let end = offset
            .checked_add(meta)
            .and_then(|e| e.checked_add(body))
            .ok_or(PAST_END)?;
        if offset < 8 || meta < 8 || body < 0 || end > footer_start {
            return Err(PAST_END);
        }
        let message = read_message(file, offset, meta).map_err(|_| BAD_METADATA)?;
        check_message(file, &message, offset + meta, body)?;
    }
    Ok(())
}

/// The stream's messages from `at` to its end marker or the file's end.
fn check_stream(file: &mut File, mut at: i64, len: i64) -> Result<(), Damage> {
    loop {
        if at == len {
            return Ok(());
        }
        let mut prefix = [0u8; 8];
        let n = read_some(file, at, &mut prefix).map_err(|_| CUT)?;
        let [a, b, c, d, e, f, g, h] = prefix;
        let (first, second) = (
            i32::from_le_bytes([a, b, c, d]),
            i32::from_le_bytes([e, f, g, h]),
        );
        // A continuation marker and the metadata's length, or (streams
        // before Arrow 0.15) the length alone; a length of 0 is the end
        // marker.
        let (prefix_len, meta_len) = if n == 0 {
            return Ok(());
        } else if first == -1 && n == 8 {
            (8, i64::from(second))
        } else if first != -1 && n >= 4 {
            (4, i64::from(first))
        } else {
            return Err(CUT);
        };
        if meta_len == 0 {
            return Ok(());
        }
        let meta_end = at.checked_add(prefix_len + meta_len).ok_or(CUT)?;
        if meta_len < 0 || meta_end > len {
            return Err(CUT);
        }
        let mut metadata = vec![0u8; meta_len as usize];
        read_at(file, at + prefix_len, &mut metadata).map_err(|_| CUT)?;
        let message = arrow_ipc::root_as_message(&metadata).map_err(|_| BAD_METADATA)?;
        let body = message.bodyLength();
        let end = meta_end.checked_add(body).ok_or(CUT)?;
        if body < 0 || end > len {
            return Err(CUT);
        }
        check_message(file, &metadata, meta_end, body)?;
        at = end;
    }
}

/// The metadata of the message at `offset` (`meta` bytes with its
/// prefix), without the prefix.
fn read_message(file: &mut File, offset: i64, meta: i64) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; usize::try_from(meta).unwrap_or(0)];
    read_at(file, offset, &mut bytes)?;
    let skip = match bytes.get(..4) {
        Some([0xFF, 0xFF, 0xFF, 0xFF]) => 8,
        _ => 4,
    };
    Ok(bytes.get(skip..).unwrap_or_default().to_vec())
}

/// A record batch's (or dictionary batch's) buffers lie within its body
/// (`body` bytes from `body_start`), and a compressed one expands to at
/// most [`MAX_BUFFER`].
fn check_message(
    file: &mut File,
    metadata: &[u8],
    body_start: i64,
    body: i64,
) -> Result<(), Damage> {
    let message = arrow_ipc::root_as_message(metadata).map_err(|_| BAD_METADATA)?;
    let batch = message
        .header_as_record_batch()
        .or_else(|| message.header_as_dictionary_batch().and_then(|d| d.data()));
    let Some(batch) = batch else {
        return Ok(());
    };
    let compressed = batch.compression().is_some();
    for buffer in batch.buffers().into_iter().flatten() {
        let (offset, length) = (buffer.offset(), buffer.length());
        let end = offset.checked_add(length).ok_or(BAD_BUFFER)?;
        if offset < 0 || length < 0 || end > body {
            return Err(BAD_BUFFER);
        }
        if compressed && length >= 8 {
            // The expanded length, or -1 where the buffer is stored as it is.
            let mut size = [0u8; 8];
            read_at(file, body_start + offset, &mut size).map_err(|_| CUT)?;
            if i64::from_le_bytes(size) > MAX_BUFFER {
                return Err(HUGE_BUFFER);
            }
        }
    }
    Ok(())
}

fn read_at(file: &mut File, at: i64, into: &mut [u8]) -> std::io::Result<()> {
    let at = u64::try_from(at).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(into)
}

/// Reads what there is of `into.len()` bytes at `at` (fewer at the end).
fn read_some(file: &mut File, at: i64, into: &mut [u8]) -> std::io::Result<usize> {
    let at = u64::try_from(at).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    file.seek(SeekFrom::Start(at))?;
    let mut n = 0;
    while n < into.len() {
        match file.read(into.get_mut(n..).unwrap_or_default())? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
