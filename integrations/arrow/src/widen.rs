//! Millionths (`u32`) written as a `Decimal128` column's `i128` values
//! (with AVX2 or AVX-512, in the same pass as their validity bits).
//!
//! Six of the result columns are `Decimal128`: 96 of the 108 bytes a
//! result row takes. Writing them is the largest cost the Arrow path adds
//! to the batch path, and it is bound by the bytes written, not by the
//! arithmetic. Where the CPU has AVX-512, four values go out in one
//! 64-byte store (with AVX2, in two 32-byte ones), and for a batch whose
//! results cannot stay in cache the stores are non-temporal: they go to
//! memory without first reading each cache line in (which doubles the
//! traffic). On the AVX2 machine of the bench, non-temporal stores took
//! one call over 1,000,000 rows from 43.6–44.3 ns a row to 41.8–42.3
//! (`cargo bench -p healthscore-arrow`, two interleaved runs of each);
//! for batches that fit in cache they would be slower, as the results'
//! reader would then fetch them from memory. Every path writes the same
//! values (a test compares them).
//!
//! With stores that are not streamed, each block's values and their
//! validity bits are written in one pass (AVX2: eight values a load, a
//! compare and a mask give their bits, the widening their values;
//! AVX-512: sixteen a load, the compare gives a 16-bit mask), not a pass
//! packing the bits and another writing the values; [`crate::keys`] does
//! the same for the dictionary keys. The two together took 8,192-row
//! slices from +13–14% to +10–12% over the batch path on the same buffers
//! (three interleaved runs of 7 rounds each, AVX2 VM, 2026-12-02). On an
//! AVX-512 VM (2026-12-03) the one pass took 2–4 points off the Arrow
//! path's cost over the batch path at 1,024 to 65,536 rows a call, with
//! AVX2's loop or AVX-512's alike (within the noise: AVX-512's ahead at
//! 1,024 rows by 2–3 points); that was a throwaway probe alternating the
//! three loops in one process, 24 rounds, not a bench kept here. The
//! streamed stores keep the two passes: in one pass they made one call
//! over 1,000,000 rows +13–14% against +10–11% (AVX2).

/// How [`write_micros`] writes: detected once per batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Widen {
    /// One value at a time (any CPU).
    Portable,
    /// 64-byte AVX-512 stores; `stream`: non-temporal.
    #[cfg(target_arch = "x86_64")]
    Avx512 {
        /// Non-temporal stores (the results do not fit in cache).
        stream: bool,
    },
    /// 32-byte AVX2 stores; `stream`: non-temporal.
    #[cfg(target_arch = "x86_64")]
    Avx2 {
        /// Non-temporal stores (the results do not fit in cache).
        stream: bool,
    },
}

/// Result rows in one call above which the results (108 bytes a row)
/// cannot stay in a core's cache for their reader: about 14 MB.
const STREAM_ROWS: usize = 1 << 17;

impl Widen {
    /// The widest way this CPU has, for a batch of `rows` rows.
    pub(crate) fn detect(rows: usize) -> Widen {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Widen::Avx512 {
                stream: rows > STREAM_ROWS,
            };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Widen::Avx2 {
                stream: rows > STREAM_ROWS,
            };
        }
        let _ = rows;
        Widen::Portable
    }
}

/// Writes `values` into `dst` (as many as both hold) as `i128`, each
/// masked to its low 31 bits (so that [`NONE`](healthscore::batch::NONE),
/// a null row's placeholder, stays in range; its validity bit is what
/// marks it null).
#[allow(unsafe_code)] // calls the AVX-512 loop where `Widen::detect` found it
pub(crate) fn write_micros(dst: &mut [i128], values: &[u32], how: Widen) {
    let n = dst.len().min(values.len());
    let (dst, values) = (dst.split_at_mut(n).0, values.split_at(n).0);
    match how {
        Widen::Portable => portable(dst, values),
        // SAFETY: `Widen::detect` found AVX-512F on this CPU.
        #[cfg(target_arch = "x86_64")]
        Widen::Avx512 { stream } => unsafe { avx512(dst, values, stream) },
        // SAFETY: `Widen::detect` found AVX2 on this CPU.
        #[cfg(target_arch = "x86_64")]
        Widen::Avx2 { stream } => unsafe { avx2(dst, values, stream) },
    }
}

#[inline]
fn micros(m: u32) -> i128 {
    i128::from(m & 0x7fff_ffff)
}

/// Writes single values until the next element of `dst` starts a 64-byte
/// cache line (at most three: `i128` is 16-byte aligned); returns the
/// rest of both.
fn to_line_start<'a, 'b>(dst: &'a mut [i128], values: &'b [u32]) -> (&'a mut [i128], &'b [u32]) {
    let misaligned = (dst.as_ptr() as usize % 64) / 16;
    let head = ((4 - misaligned) % 4).min(dst.len()).min(values.len());
    let (first, rest) = dst.split_at_mut(head);
    let (values_first, values_rest) = values.split_at(head);
    portable(first, values_first);
    (rest, values_rest)
}

fn portable(dst: &mut [i128], values: &[u32]) {
    for (d, v) in dst.iter_mut().zip(values) {
        *d = micros(*v);
    }
}

/// [`portable`]'s values, four to a 64-byte store.
///
/// # Safety
///
/// The CPU must have AVX-512F; `dst` and `values` are of one length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)]
unsafe fn avx512(dst: &mut [i128], values: &[u32], stream: bool) {
    use std::arch::x86_64::{
        __m128i, __m512i, _mm512_and_si512, _mm512_castsi128_si512, _mm512_maskz_permutexvar_epi32,
        _mm512_set1_epi32, _mm512_setr_epi32, _mm512_storeu_si512, _mm512_stream_si512,
        _mm_loadu_si128, _mm_sfence,
    };
    // Non-temporal stores need 64-byte aligned addresses.
    let (dst, values) = if stream {
        to_line_start(dst, values)
    } else {
        (dst, values)
    };
    // Lane i of the 16 32-bit lanes: value i / 4 where i % 4 == 0, else 0
    // (mask 0x1111): each value zero-extended to 128 bits, little-endian.
    let spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
    let low31 = _mm512_set1_epi32(0x7fff_ffff);
    let mut out = dst.chunks_exact_mut(4);
    let mut quads = values.chunks_exact(4);
    for (to, quad) in (&mut out).zip(&mut quads) {
        // SAFETY: `quad` is 4 `u32`, 16 bytes, read unaligned; `to` is 4
        // `i128`, 64 bytes, written in one store: unaligned, or for a
        // non-temporal store at a 64-byte aligned address (`to_line_start`
        // above, then 64 bytes a step).
        unsafe {
            let v = _mm512_castsi128_si512(_mm_loadu_si128(quad.as_ptr().cast::<__m128i>()));
            let wide = _mm512_maskz_permutexvar_epi32(0x1111, spread, _mm512_and_si512(v, low31));
            let at = to.as_mut_ptr().cast::<__m512i>();
            if stream {
                _mm512_stream_si512(at, wide);
            } else {
                _mm512_storeu_si512(at, wide);
            }
        }
    }
    if stream {
        // Non-temporal stores are weakly ordered: fence them before the
        // column is handed on (perhaps to another thread).
        _mm_sfence();
    }
    portable(out.into_remainder(), quads.remainder());
}

/// Four millionths (`u32`, zero-extended, masked to 31 bits) as the 64
/// bytes of four `i128`: the first two values, then the last two.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn four_i128(
    quad: std::arch::x86_64::__m128i,
) -> (std::arch::x86_64::__m256i, std::arch::x86_64::__m256i) {
    use std::arch::x86_64::{
        _mm256_and_si256, _mm256_cvtepu32_epi64, _mm256_permute2x128_si256, _mm256_set1_epi64x,
        _mm256_setzero_si256, _mm256_unpackhi_epi64, _mm256_unpacklo_epi64,
    };
    // [v0 v1 | v2 v3] as 64-bit lanes, each masked to 31 bits.
    let v = _mm256_and_si256(_mm256_cvtepu32_epi64(quad), _mm256_set1_epi64x(0x7fff_ffff));
    // [v0 0 | v2 0] and [v1 0 | v3 0]: each value's two halves.
    let zero = _mm256_setzero_si256();
    let (even, odd) = (
        _mm256_unpacklo_epi64(v, zero),
        _mm256_unpackhi_epi64(v, zero),
    );
    (
        _mm256_permute2x128_si256::<0x20>(even, odd),
        _mm256_permute2x128_si256::<0x31>(even, odd),
    )
}

/// [`portable`]'s values, two to a 32-byte store.
///
/// # Safety
///
/// The CPU must have AVX2; `dst` and `values` are of one length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unsafe_code)]
unsafe fn avx2(dst: &mut [i128], values: &[u32], stream: bool) {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_storeu_si256, _mm256_stream_si256, _mm_loadu_si128, _mm_sfence,
    };
    // Non-temporal stores need 32-byte aligned addresses; whole 64-byte
    // lines are best.
    let (dst, values) = if stream {
        to_line_start(dst, values)
    } else {
        (dst, values)
    };
    let mut out = dst.chunks_exact_mut(4);
    let mut quads = values.chunks_exact(4);
    for (to, quad) in (&mut out).zip(&mut quads) {
        // SAFETY: `quad` is 4 `u32`, 16 bytes, read unaligned; `to` is 4
        // `i128`, 64 bytes, written in two 32-byte stores: unaligned, or
        // for non-temporal stores from a 64-byte aligned address
        // (`to_line_start` above, then 64 bytes a step) and 32 bytes on.
        unsafe {
            let (lo, hi) = four_i128(_mm_loadu_si128(quad.as_ptr().cast::<__m128i>()));
            let at = to.as_mut_ptr().cast::<__m256i>();
            if stream {
                _mm256_stream_si256(at, lo);
                _mm256_stream_si256(at.add(1), hi);
            } else {
                _mm256_storeu_si256(at, lo);
                _mm256_storeu_si256(at.add(1), hi);
            }
        }
    }
    if stream {
        // Non-temporal stores are weakly ordered: fence them before the
        // column is handed on (perhaps to another thread).
        _mm_sfence();
    }
    portable(out.into_remainder(), quads.remainder());
}

/// Millionths and their validity bits in one pass (AVX2 or AVX-512, not
/// streamed): `dst` takes the values as [`write_micros`] writes them,
/// `valid` one bit per value (set where it is not
/// [`NONE`](healthscore::batch::NONE)), 64 to a word from its first;
/// returns the values without one. `None` for the streamed stores and
/// where this CPU has neither (the caller makes the two passes).
#[allow(unsafe_code)] // calls the AVX2 or AVX-512 loop where the CPU has it
pub(crate) fn write_micros_and_bits(
    dst: &mut [i128],
    values: &[u32],
    valid: &mut [u64],
    how: Widen,
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if matches!(
        how,
        Widen::Avx2 { stream: false } | Widen::Avx512 { stream: false }
    ) {
        let n = dst
            .len()
            .min(values.len())
            .min(valid.len().saturating_mul(64));
        let (dst, values) = (dst.split_at_mut(n).0, values.split_at(n).0);
        return Some(if how == (Widen::Avx512 { stream: false }) {
            // SAFETY: `Widen::detect` found AVX-512F on this CPU.
            unsafe { avx512_bits(dst, values, valid) }
        } else {
            // SAFETY: `Widen::detect` found AVX2 on this CPU.
            unsafe { avx2_bits(dst, values, valid) }
        });
    }
    let _ = (dst, values, valid, how);
    None
}

/// The values past the last whole word of 64 and their bits, one at a
/// time: `dst` and `values` are those rows, `word` their validity word;
/// returns how many have a value.
fn tail_bits(dst: &mut [i128], values: &[u32], word: Option<&mut u64>) -> usize {
    if values.is_empty() {
        return 0;
    }
    portable(dst, values);
    let w = values.iter().enumerate().fold(0u64, |w, (j, v)| {
        w | (u64::from(*v != healthscore::batch::NONE) << j)
    });
    if let Some(word) = word {
        *word = w;
    }
    w.count_ones() as usize
}

/// [`write_micros_and_bits`]'s loop with AVX-512: 64 values a word,
/// sixteen to a load (its compare gives their sixteen bits), four to a
/// 64-byte store (fewer instructions than two 32-byte ones; see the
/// module's notes for what it measured).
///
/// # Safety
///
/// The CPU must have AVX-512F; `dst` and `values` are of one length,
/// `valid` holds a bit for each.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
#[allow(unsafe_code)]
unsafe fn avx512_bits(dst: &mut [i128], values: &[u32], valid: &mut [u64]) -> usize {
    use std::arch::x86_64::{
        __m512i, _mm512_and_si512, _mm512_cmpneq_epi32_mask, _mm512_loadu_si512,
        _mm512_maskz_permutexvar_epi32, _mm512_set1_epi32, _mm512_setr_epi32, _mm512_storeu_si512,
    };
    let none = _mm512_set1_epi32(-1);
    let low31 = _mm512_set1_epi32(0x7fff_ffff);
    // Lane i of store q: value 4q + i / 4 where i % 4 == 0, else 0 (mask
    // 0x1111): each value zero-extended to 128 bits, little-endian.
    let spread = [
        _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0),
        _mm512_setr_epi32(4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0),
        _mm512_setr_epi32(8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0),
        _mm512_setr_epi32(12, 0, 0, 0, 13, 0, 0, 0, 14, 0, 0, 0, 15, 0, 0, 0),
    ];
    let mut set = 0usize;
    let words = values.len() / 64;
    let (head_dst, tail_dst) = dst.split_at_mut(words * 64);
    let (head_values, tail_values) = values.split_at(words * 64);
    for ((to, from), word) in head_dst
        .chunks_exact_mut(64)
        .zip(head_values.chunks_exact(64))
        .zip(valid.iter_mut())
    {
        let mut w = 0u64;
        for (k, (to16, from16)) in to
            .chunks_exact_mut(16)
            .zip(from.chunks_exact(16))
            .enumerate()
        {
            // SAFETY: `from16` is 16 `u32`, 64 bytes, read unaligned.
            let v = unsafe { _mm512_loadu_si512(from16.as_ptr().cast::<__m512i>()) };
            w |= u64::from(_mm512_cmpneq_epi32_mask(v, none)) << (16 * k);
            let v = _mm512_and_si512(v, low31);
            for (to4, spread) in to16.chunks_exact_mut(4).zip(spread) {
                // SAFETY: `to4` is 4 `i128`, 64 bytes, written in one
                // unaligned store.
                unsafe {
                    _mm512_storeu_si512(
                        to4.as_mut_ptr().cast::<__m512i>(),
                        _mm512_maskz_permutexvar_epi32(0x1111, spread, v),
                    );
                }
            }
        }
        *word = w;
        set += w.count_ones() as usize;
    }
    set += tail_bits(tail_dst, tail_values, valid.get_mut(words));
    values.len() - set
}

/// [`write_micros_and_bits`]'s loop: 64 values a word, eight to a load.
///
/// # Safety
///
/// The CPU must have AVX2; `dst` and `values` are of one length, `valid`
/// holds a bit for each.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
#[allow(unsafe_code)]
unsafe fn avx2_bits(dst: &mut [i128], values: &[u32], valid: &mut [u64]) -> usize {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_castsi256_ps, _mm256_castsi256_si128, _mm256_cmpeq_epi32,
        _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_movemask_ps, _mm256_set1_epi32,
        _mm256_storeu_si256,
    };
    let none = _mm256_set1_epi32(-1);
    let mut set = 0usize;
    let words = values.len() / 64;
    let (head_dst, tail_dst) = dst.split_at_mut(words * 64);
    let (head_values, tail_values) = values.split_at(words * 64);
    let wide = |to: &mut [i128], quad: __m128i| {
        let (lo, hi) = four_i128(quad);
        let at = to.as_mut_ptr().cast::<__m256i>();
        // SAFETY: `to` is 4 `i128`, 64 bytes, written in two unaligned
        // 32-byte stores.
        unsafe {
            _mm256_storeu_si256(at, lo);
            _mm256_storeu_si256(at.add(1), hi);
        }
    };
    for ((to, from), word) in head_dst
        .chunks_exact_mut(64)
        .zip(head_values.chunks_exact(64))
        .zip(valid.iter_mut())
    {
        let mut w = 0u64;
        for (k, (to8, from8)) in to.chunks_exact_mut(8).zip(from.chunks_exact(8)).enumerate() {
            // SAFETY: `from8` is 8 `u32`, 32 bytes, read unaligned.
            let v = unsafe { _mm256_loadu_si256(from8.as_ptr().cast::<__m256i>()) };
            let nulls = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, none)));
            w |= u64::from(!(nulls as u32) & 0xff) << (8 * k);
            let (lo4, hi4) = to8.split_at_mut(4);
            wide(lo4, _mm256_castsi256_si128(v));
            wide(hi4, _mm256_extracti128_si256::<1>(v));
        }
        *word = w;
        set += w.count_ones() as usize;
    }
    set += tail_bits(tail_dst, tail_values, valid.get_mut(words));
    values.len() - set
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` millionths: a null placeholder where `kind(i)` is 0, 100 at
    /// 1, else any `u32` (out-of-range ones too: the writers mask them).
    fn sample(len: usize, kind: impl Fn(usize) -> usize) -> Vec<u32> {
        let mut next = crate::rng::xorshift(0x9e37_79b9_7f4a_7c15);
        (0..len)
            .map(|i| {
                let random = next() as u32;
                match kind(i) {
                    0 => healthscore::batch::NONE,
                    1 => 100_000_000,
                    _ => random,
                }
            })
            .collect()
    }

    /// Every way, against the portable loop, for lengths around the
    /// 4-value step and every misalignment of the destination.
    #[test]
    fn every_way_writes_the_portable_values() {
        let mut ways = vec![Widen::Portable, Widen::detect(1), Widen::detect(1 << 20)];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            ways.push(Widen::Avx2 { stream: false });
            ways.push(Widen::Avx2 { stream: true });
        }
        ways.dedup();
        for len in (0..40).chain([255, 256, 257, 4_096, 4_099]) {
            let values = sample(len, |i| i % 5);
            let mut want = vec![0i128; len];
            portable(&mut want, &values);
            for head in 0..5 {
                for how in &ways {
                    // Written after `head` elements (another part's), with
                    // one element after that must stay as it was.
                    let mut got = vec![-1i128; head + len + 1];
                    write_micros(&mut got[head..head + len], &values, *how);
                    assert_eq!(
                        got[head..head + len],
                        want[..],
                        "{how:?}, {len} values after {head}"
                    );
                    assert!(got[..head].iter().all(|x| *x == -1), "{how:?}");
                    assert_eq!(got[head + len], -1, "{how:?}");
                }
            }
        }
    }

    /// The one-pass loops (AVX2, and AVX-512 where the CPU has it) write
    /// the values [`portable`] writes and the bits
    /// [`validity_bits`](healthscore::batch::validity_bits) packs, nothing
    /// past either, for lengths around their 8- and 16-value steps and
    /// 64-value word.
    #[test]
    fn values_and_bits_in_one_pass_are_the_two_passes() {
        let mut ways = vec![Widen::Portable, Widen::detect(1)];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            ways.push(Widen::Avx2 { stream: false });
        }
        ways.dedup();
        for how in ways {
            one_pass_matches(how);
        }
    }

    fn one_pass_matches(how: Widen) {
        for len in (0usize..140).chain([4_095, 4_096, 4_097]) {
            let values = sample(len, |i| (i * 7 + len) % 5);
            let mut want = vec![0i128; len];
            portable(&mut want, &values);
            let mut want_bits = Vec::new();
            let want_missing = healthscore::batch::validity_bits(&values, &mut want_bits);
            let words = len.div_ceil(64);
            let mut got = vec![-1i128; len + 1];
            let mut bits = vec![!0u64; words + 1];
            match write_micros_and_bits(&mut got[..len], &values, &mut bits[..words], how) {
                Some(missing) => {
                    assert_eq!(missing, want_missing, "{len} values");
                    assert_eq!(got[..len], want[..], "{len} values");
                    assert_eq!(bits[..words], want_bits[..], "{len} values");
                    assert_eq!((got[len], bits[words]), (-1, !0), "past the end");
                }
                None => assert_eq!(how, Widen::Portable, "{len} values"),
            }
        }
    }

    #[test]
    fn null_placeholders_stay_in_31_bits() {
        let mut v = vec![0i128; 9];
        write_micros(&mut v, &[u32::MAX; 9], Widen::detect(1 << 20));
        assert!(v.iter().all(|x| *x == 0x7fff_ffff), "{v:?}");
    }

    #[test]
    fn detection_streams_only_past_the_cache() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            assert_eq!(Widen::detect(8_192), Widen::Avx512 { stream: false });
            assert_eq!(Widen::detect(1_000_000), Widen::Avx512 { stream: true });
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_eq!(Widen::detect(8_192), Widen::Avx2 { stream: false });
            assert_eq!(Widen::detect(1_000_000), Widen::Avx2 { stream: true });
            return;
        }
        assert_eq!(Widen::detect(1_000_000), Widen::Portable);
    }
}
