//! What a metric's chunk needs besides its values: which rows hold a
//! value, which are fresh enough to score, their weights, and the rows a
//! date or an author makes bad.

use super::*;

/// Byte `b` of a validity bitmap as eight bytes, byte `j` being bit `j`
/// of `b` (least significant bit first, Arrow's order).
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            t[b] |= (((b >> j) & 1) as u64) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    t
};

/// Where a plain loop finds which of the chunk's rows hold a value, and
/// which hold one fresh enough to score. (Only the AVX-512 and AVX2 loops
/// read it; elsewhere the wide kernel does not run.)
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Held<'a> {
    /// The scratch's `valid` and `live` columns, as `prepare` left them
    /// (observation dates, authors: whatever the column has).
    Prepared,
    /// Every row, observed on the as-of date.
    All,
    /// The chunk's flags, observed on the as-of date.
    Bools(&'a [bool]),
    /// A validity bitmap whose bit `offset + r` is the chunk's row `r`,
    /// observed on the as-of date.
    Bits {
        /// The bitmap.
        bits: &'a [u8],
        /// Bit position of the chunk's first row.
        offset: usize,
    },
}

/// How a plain curve loop learns which rows hold a value
/// ([`Held`]'s variant as a constant, so that the loop is compiled for
/// one and decides nothing per block).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) mod held {
    /// The scratch's prepared `valid` and `live` columns.
    pub(crate) const PREPARED: u8 = 0;
    /// Every row.
    pub(crate) const ALL: u8 = 1;
    /// A column of flags.
    pub(crate) const BOOLS: u8 = 2;
    /// A validity bitmap.
    pub(crate) const BITS: u8 = 3;
}

/// Rows `r .. r + 8` of `flags` as a bit mask (rows past the end: 0).
#[inline]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn bools8(flags: &[bool], r: usize) -> u8 {
    let mut bytes = [0u8; 8];
    match flags.get(r..).and_then(|f| f.first_chunk::<8>()) {
        Some(f) => bytes = f.map(u8::from),
        None => {
            for (b, f) in bytes.iter_mut().zip(flags.get(r..).unwrap_or(&[])) {
                *b = u8::from(*f);
            }
        }
    }
    // Each byte is 0 or 1: the multiply moves byte i's bit to bit 56 + i.
    (u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// Bits `at .. at + 8` of a bitmap, least significant first (Arrow's
/// order); bits past its end read as 0.
#[inline]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn bits8(bits: &[u8], at: usize) -> u8 {
    let byte = |k: usize| u16::from(bits.get(k).copied().unwrap_or(0));
    let (k, shift) = (at / 8, at % 8);
    ((byte(k) | byte(k + 1) << 8) >> shift) as u8
}

/// The rows of a column the next chunk reads, which the wide loop asks
/// the CPU to bring into its cache while it scores this chunk: with a
/// dozen or more columns read and as many written, the CPU's own
/// prefetcher brings them too late (`benches/batch.rs` at 1,000,000
/// rows, the kernel built with and without: 33.1–37.9 ns a row without,
/// 25.6–27.2 with).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Next<'a> {
    /// The next chunk's values.
    pub(crate) values: &'a [f64],
    /// Its flags, when the validity is a column of flags.
    pub(crate) flags: &'a [bool],
}

/// The rows of a column of `len` rows that the chunk after rows
/// `r0 .. r0 + n` reads (fewer at the column's end, none after it).
#[inline(always)]
pub(crate) fn next_rows(r0: usize, n: usize, len: usize) -> std::ops::Range<usize> {
    let start = r0.saturating_add(n);
    start.min(len)..start.saturating_add(CHUNK).min(len)
}

/// Validity, dates, staleness and weights of one metric's chunk.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn prepare(
    mp: &MetricPlan,
    column: &MetricColumn<'_>,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
) {
    let valid = &mut s.valid[..n];
    match column.validity {
        Validity::All => valid.fill(1.0),
        Validity::Bools(b) => match b.get(r0..r0 + n) {
            Some(b) => {
                for (v, b) in valid.iter_mut().zip(b) {
                    *v = if *b { 1.0 } else { 0.0 };
                }
            }
            None => valid.fill(0.0),
        },
        Validity::Bits { bits, offset } => {
            // The chunk's bytes of the bitmap copied into a zeroed buffer
            // (a bitmap too short reads as missing), then eight rows per
            // 16-bit window: no bounds check per row.
            let start = offset.saturating_add(r0);
            let src = bits.get(start / 8..).unwrap_or(&[]);
            let mut window = [0u8; CHUNK / 8 + 2];
            let take = src.len().min(window.len());
            if let (Some(w), Some(src)) = (window.get_mut(..take), src.get(..take)) {
                w.copy_from_slice(src);
            }
            // Each byte of the row's bits spread to eight bytes of 0 or 1
            // by a table, then converted as `Bools` are: two loops the
            // compiler vectorises (a shift and mask per row did not).
            let first = start % 8;
            let mut bytes = [0u8; CHUNK];
            for (k, out) in bytes.chunks_exact_mut(8).enumerate() {
                let lo = u16::from(window.get(k).copied().unwrap_or(0));
                let hi = u16::from(window.get(k + 1).copied().unwrap_or(0));
                let w = usize::from((lo | hi << 8) >> first) & 0xff;
                let spread = SPREAD.get(w).copied().unwrap_or(0);
                out.copy_from_slice(&spread.to_le_bytes());
            }
            for (v, b) in valid.iter_mut().zip(&bytes) {
                *v = f64::from(*b);
            }
        }
    }
    match (column.observed, batch.as_of) {
        // Observed on the as-of date: neither late nor stale.
        (None, _) => s.live[..n].copy_from_slice(&s.valid[..n]),
        (Some(Dates::One(o)), Dates::One(a)) => {
            let (o, a) = (Dates::One(o).ce_day(0), Dates::One(a).ce_day(0));
            let (o, a) = (o.unwrap_or(0), a.unwrap_or(0));
            if o < bound.first_day || o > a {
                for r in 0..n {
                    s.bad[r] |= s.valid[r] > 0.0;
                }
            }
            if mp.max_age.is_none_or(|max| a - o <= max) {
                s.live[..n].copy_from_slice(&s.valid[..n]);
            } else {
                s.live[..n].fill(0.0);
                for r in 0..n {
                    s.stale[r] += u16::from(s.valid[r] > 0.0);
                }
            }
        }
        (Some(dates), _) => {
            let max = mp.max_age.unwrap_or(i64::MAX);
            for r in 0..n {
                let o = dates.ce_day(r0 + r).unwrap_or(i64::MIN);
                let a = s.as_of[r];
                let valid = s.valid[r] > 0.0;
                s.bad[r] |= valid & ((o < bound.first_day) | (o > a));
                let fresh = a.saturating_sub(o) <= max;
                s.live[r] = if fresh { s.valid[r] } else { 0.0 };
                s.stale[r] += u16::from(valid & !fresh);
            }
        }
    }
    if mp.judgement {
        for r in 0..n {
            let authored = column
                .authors
                .and_then(|a| a.get(r0 + r).copied().flatten())
                .is_some();
            s.bad[r] |= (s.valid[r] > 0.0) & !authored;
        }
    }
    if mp.same_weight.is_none() {
        for r in 0..n {
            let c = s.card[r] as usize;
            s.weight[r] = mp.weight.get(c).copied().unwrap_or(0.0);
            s.member[r] = if mp.in_card.get(c).copied().unwrap_or(false) {
                1.0
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{next_rows, CHUNK};

    #[test]
    fn the_next_chunk_stops_at_the_column_end() {
        // A whole next chunk, a short one, and none after the last.
        assert_eq!(next_rows(0, CHUNK, 1_000), CHUNK..2 * CHUNK);
        assert_eq!(next_rows(2 * CHUNK, CHUNK, 1_000), 3 * CHUNK..1_000);
        assert_eq!(next_rows(3 * CHUNK, 1_000 - 3 * CHUNK, 1_000), 1_000..1_000);
        // Rows beyond a shorter column: an empty range inside it.
        assert_eq!(next_rows(CHUNK, CHUNK, 100), 100..100);
        // No overflow at the end of the address space.
        assert_eq!(
            next_rows(usize::MAX - 1, CHUNK, usize::MAX),
            usize::MAX..usize::MAX
        );
    }
}
