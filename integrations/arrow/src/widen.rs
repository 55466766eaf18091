//! Millionths (`u32`) written as a `Decimal128` column's `i128` values.
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

/// How [`extend_micros`] writes: detected once per batch.
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

/// Appends `values` to `dst` as `i128`, each masked to its low 31 bits
/// (so that [`NONE`](healthscore::batch::NONE), a null row's placeholder,
/// stays in range; its validity bit is what marks it null).
#[allow(unsafe_code)] // calls the AVX-512 loop where `Widen::detect` found it
pub(crate) fn extend_micros(dst: &mut Vec<i128>, values: &[u32], how: Widen) {
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

/// Appends single values until the next one starts a 64-byte cache line
/// (at most three: the allocation is 16-byte aligned); returns the rest.
fn to_line_start<'a>(dst: &mut Vec<i128>, mut values: &'a [u32]) -> &'a [u32] {
    while !(dst.as_ptr().wrapping_add(dst.len()) as usize).is_multiple_of(64) {
        let Some((first, rest)) = values.split_first() else {
            break;
        };
        dst.push(micros(*first));
        values = rest;
    }
    values
}

fn portable(dst: &mut Vec<i128>, values: &[u32]) {
    dst.extend(values.iter().map(|m| micros(*m)));
}

/// [`portable`]'s values, four to a 64-byte store.
///
/// # Safety
///
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)]
unsafe fn avx512(dst: &mut Vec<i128>, values: &[u32], stream: bool) {
    use std::arch::x86_64::{
        __m128i, __m512i, _mm512_and_si512, _mm512_castsi128_si512, _mm512_maskz_permutexvar_epi32,
        _mm512_set1_epi32, _mm512_setr_epi32, _mm512_storeu_si512, _mm512_stream_si512,
        _mm_loadu_si128, _mm_sfence,
    };
    dst.reserve(values.len());
    // Non-temporal stores need 64-byte aligned addresses.
    let values = if stream {
        to_line_start(dst, values)
    } else {
        values
    };
    let mut quads = values.chunks_exact(4);
    let written = dst.len();
    // Lane i of the 16 32-bit lanes: value i / 4 where i % 4 == 0, else 0
    // (mask 0x1111): each value zero-extended to 128 bits, little-endian.
    let spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
    let low31 = _mm512_set1_epi32(0x7fff_ffff);
    let mut n = 0;
    for quad in &mut quads {
        // SAFETY: `quad` is 4 `u32`, 16 bytes, read unaligned. The store
        // is to elements `written + n .. written + n + 4` of `dst`, inside
        // the capacity reserved above (`n + 4 <= values.len()`); for a
        // non-temporal store the address is 64-byte aligned (`to_line_start`
        // above, then 64 bytes a step).
        unsafe {
            let v = _mm512_castsi128_si512(_mm_loadu_si128(quad.as_ptr().cast::<__m128i>()));
            let wide = _mm512_maskz_permutexvar_epi32(0x1111, spread, _mm512_and_si512(v, low31));
            let at = dst.as_mut_ptr().add(written + n).cast::<__m512i>();
            if stream {
                _mm512_stream_si512(at, wide);
            } else {
                _mm512_storeu_si512(at, wide);
            }
        }
        n += 4;
    }
    if stream {
        // Non-temporal stores are weakly ordered: fence them before the
        // column is handed on (perhaps to another thread).
        _mm_sfence();
    }
    // SAFETY: elements `written .. written + n` were all written above
    // (`i128` has no invalid bit patterns and no destructor).
    unsafe { dst.set_len(written + n) };
    portable(dst, quads.remainder());
}

/// [`portable`]'s values, two to a 32-byte store.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unsafe_code)]
unsafe fn avx2(dst: &mut Vec<i128>, values: &[u32], stream: bool) {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_and_si256, _mm256_cvtepu32_epi64, _mm256_permute2x128_si256,
        _mm256_set1_epi64x, _mm256_setzero_si256, _mm256_storeu_si256, _mm256_stream_si256,
        _mm256_unpackhi_epi64, _mm256_unpacklo_epi64, _mm_loadu_si128, _mm_sfence,
    };
    dst.reserve(values.len());
    // Non-temporal stores need 32-byte aligned addresses; whole 64-byte
    // lines are best.
    let values = if stream {
        to_line_start(dst, values)
    } else {
        values
    };
    let mut quads = values.chunks_exact(4);
    let written = dst.len();
    let low31 = _mm256_set1_epi64x(0x7fff_ffff);
    let zero = _mm256_setzero_si256();
    let mut n = 0;
    for quad in &mut quads {
        // SAFETY: `quad` is 4 `u32`, 16 bytes, read unaligned. The two
        // stores are to elements `written + n .. written + n + 4` of
        // `dst`, inside the capacity reserved above (`n + 4 <=
        // values.len()`); unaligned, except that for non-temporal stores
        // the first address is 64-byte aligned (`to_line_start` above, then
        // 64 bytes a step) and the second 32 bytes on.
        unsafe {
            // [v0 v1 | v2 v3] as 64-bit lanes, each masked to 31 bits.
            let v = _mm256_and_si256(
                _mm256_cvtepu32_epi64(_mm_loadu_si128(quad.as_ptr().cast::<__m128i>())),
                low31,
            );
            // [v0 0 | v2 0] and [v1 0 | v3 0]: each value's two halves.
            let (even, odd) = (
                _mm256_unpacklo_epi64(v, zero),
                _mm256_unpackhi_epi64(v, zero),
            );
            let at = dst.as_mut_ptr().add(written + n).cast::<__m256i>();
            let (lo, hi) = (
                _mm256_permute2x128_si256::<0x20>(even, odd),
                _mm256_permute2x128_si256::<0x31>(even, odd),
            );
            if stream {
                _mm256_stream_si256(at, lo);
                _mm256_stream_si256(at.add(1), hi);
            } else {
                _mm256_storeu_si256(at, lo);
                _mm256_storeu_si256(at.add(1), hi);
            }
        }
        n += 4;
    }
    if stream {
        // Non-temporal stores are weakly ordered: fence them before the
        // column is handed on (perhaps to another thread).
        _mm_sfence();
    }
    // SAFETY: elements `written .. written + n` were all written above
    // (`i128` has no invalid bit patterns and no destructor).
    unsafe { dst.set_len(written + n) };
    portable(dst, quads.remainder());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way, against the portable loop, for lengths around the
    /// 4-value step and every head misalignment of the destination.
    #[test]
    fn every_way_writes_the_portable_values() {
        let mut ways = vec![Widen::Portable, Widen::detect(1), Widen::detect(1 << 20)];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            ways.push(Widen::Avx2 { stream: false });
            ways.push(Widen::Avx2 { stream: true });
        }
        ways.dedup();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u32
        };
        for len in (0..40).chain([255, 256, 257, 4_096, 4_099]) {
            let values: Vec<u32> = (0..len)
                .map(|i| match i % 5 {
                    0 => healthscore::batch::NONE,
                    1 => 100_000_000,
                    _ => next(),
                })
                .collect();
            for head in 0..5 {
                let mut want: Vec<i128> = (0..head).map(|h| h as i128).collect();
                portable(&mut want, &values);
                for how in &ways {
                    let mut got: Vec<i128> = (0..head).map(|h| h as i128).collect();
                    extend_micros(&mut got, &values, *how);
                    assert_eq!(got, want, "{how:?}, {len} values after {head}");
                    // A second block appended to the first, as the Arrow
                    // path appends block after block.
                    extend_micros(&mut got, &values, *how);
                    assert_eq!(got.len(), head + 2 * len);
                    assert_eq!(got.get(head + len..), want.get(head..), "{how:?}");
                }
            }
        }
    }

    #[test]
    fn null_placeholders_stay_in_31_bits() {
        let mut v = Vec::new();
        extend_micros(&mut v, &[u32::MAX; 9], Widen::detect(1 << 20));
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
