//! Dictionary keys (segment, scorecard, band, driver) and their validity
//! bits, written in one pass over a block's column.
//!
//! Each key column was three passes: bits packed from the batch path's
//! column, the column read again to copy its keys ([`NONE`] becoming 0,
//! the largest key kept) and, for bands, a scratch column of keys made
//! first. One pass, eight keys to an AVX2 instruction, takes about half a
//! nanosecond a row off the Arrow path (see [`crate::widen`] for the
//! decimal columns, done the same way).

use healthscore::batch::NONE;
use healthscore::Band;

/// What a pass over a block found: keys without a value, the largest key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) missing: usize,
    pub(crate) top: u32,
}

/// Writes `keys` into `dst` ([`NONE`] as 0) and their validity bits into
/// `valid` (64 to a word, from its first; the bits past the last key 0),
/// as many as all three hold.
pub(crate) fn write_keys(dst: &mut [u32], keys: &[u32], valid: &mut [u64]) -> Found {
    let n = dst
        .len()
        .min(keys.len())
        .min(valid.len().saturating_mul(64));
    // SAFETY: `dst` and `keys` hold `n` keys each and `valid` a bit for
    // each; `dst` is written through no other reference.
    #[allow(unsafe_code)]
    unsafe {
        keys_raw(dst.as_mut_ptr(), keys.as_ptr(), n, valid)
    }
}

/// [`write_keys`] for bands: each band's index in [`Band::ALL`], a row
/// without a band null (key 0).
pub(crate) fn write_bands(dst: &mut [u32], bands: &[Option<Band>], valid: &mut [u64]) -> Found {
    let n = dst
        .len()
        .min(bands.len())
        .min(valid.len().saturating_mul(64));
    let dst = dst.split_at_mut(n).0;
    // A loop the compiler vectorises (a byte to a word), then the keys
    // pass over the words in place.
    for (d, b) in dst.iter_mut().zip(bands) {
        *d = b.map_or(NONE, |b| b.index() as u32);
    }
    let at = dst.as_mut_ptr();
    // SAFETY: `dst` holds `n` keys and `valid` a bit for each; the pass
    // reads each key before it writes it, through the one pointer.
    #[allow(unsafe_code)]
    unsafe {
        keys_raw(at, at, n, valid)
    }
}

/// [`write_keys`] from `src` to `dst`, which may be the same keys (the
/// pass reads eight keys, then writes those eight).
///
/// # Safety
///
/// `src` is readable and `dst` writable for `n` keys, and `valid` holds a
/// bit for each.
#[allow(unsafe_code)]
unsafe fn keys_raw(dst: *mut u32, src: *const u32, n: usize, valid: &mut [u64]) -> Found {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above); the rest is the
        // caller's.
        return unsafe { keys_avx2(dst, src, n, valid) };
    }
    // SAFETY: the caller's.
    unsafe { keys_portable(dst, src, n, valid) }
}

/// # Safety
///
/// As [`keys_raw`].
#[allow(unsafe_code)]
unsafe fn keys_portable(dst: *mut u32, src: *const u32, n: usize, valid: &mut [u64]) -> Found {
    let mut found = Found::default();
    for (i, word) in valid.iter_mut().enumerate().take(n.div_ceil(64)) {
        let rows = (n - i * 64).min(64);
        let mut w = 0u64;
        for j in 0..rows {
            let r = i * 64 + j;
            // SAFETY: `r < n` (the caller's bounds); read before written.
            let k = unsafe { src.add(r).read() };
            let has = k != NONE;
            let key = if has { k } else { 0 };
            // SAFETY: as above.
            unsafe { dst.add(r).write(key) };
            w |= u64::from(has) << j;
            found.top = found.top.max(key);
        }
        *word = w;
        found.missing += rows - w.count_ones() as usize;
    }
    found
}

/// [`keys_portable`], eight keys a step.
///
/// # Safety
///
/// The CPU must have AVX2; the rest as [`keys_raw`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
#[allow(unsafe_code)]
unsafe fn keys_avx2(dst: *mut u32, src: *const u32, n: usize, valid: &mut [u64]) -> Found {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_andnot_si256, _mm256_castsi256_ps, _mm256_castsi256_si128,
        _mm256_cmpeq_epi32, _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_max_epu32,
        _mm256_movemask_ps, _mm256_set1_epi32, _mm256_setzero_si256, _mm256_storeu_si256,
        _mm_cvtsi128_si32, _mm_max_epu32, _mm_shuffle_epi32,
    };
    let none = _mm256_set1_epi32(-1);
    let mut top = _mm256_setzero_si256();
    let mut missing = 0usize;
    let words = (n / 64).min(valid.len());
    for (i, word) in valid.iter_mut().enumerate().take(words) {
        let mut w = 0u64;
        for k in 0..8 {
            let r = i * 64 + k * 8;
            // SAFETY: rows `r..r + 8` are below `n` (whole words only);
            // the eight keys are read, then written, unaligned.
            unsafe {
                let v = _mm256_loadu_si256(src.add(r).cast::<__m256i>());
                let nulls = _mm256_cmpeq_epi32(v, none);
                let key = _mm256_andnot_si256(nulls, v);
                top = _mm256_max_epu32(top, key);
                _mm256_storeu_si256(dst.add(r).cast::<__m256i>(), key);
                let bits = !(_mm256_movemask_ps(_mm256_castsi256_ps(nulls)) as u32) & 0xff;
                w |= u64::from(bits) << (8 * k);
            }
        }
        *word = w;
        missing += 64 - w.count_ones() as usize;
    }
    // The largest of the eight lanes.
    let four: __m128i = _mm_max_epu32(
        _mm256_castsi256_si128(top),
        _mm256_extracti128_si256::<1>(top),
    );
    let two = _mm_max_epu32(four, _mm_shuffle_epi32::<0b1110>(four));
    let one = _mm_max_epu32(two, _mm_shuffle_epi32::<0b0001>(two));
    let done = words * 64;
    // SAFETY: the rows from `done` on, within the caller's bounds.
    let rest = unsafe {
        keys_portable(
            dst.add(done),
            src.add(done),
            n - done,
            valid.get_mut(words..).unwrap_or_default(),
        )
    };
    Found {
        missing: missing + rest.missing,
        top: (_mm_cvtsi128_si32(one) as u32).max(rest.top),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validity words as one bit per key, for comparing.
    fn bits(valid: &[u64], n: usize) -> Vec<bool> {
        (0..n).map(|i| valid[i / 64] >> (i % 64) & 1 == 1).collect()
    }

    /// The AVX2 pass writes what the portable one does, for lengths
    /// around the 8-key step and the 64-key word, keys past what the
    /// destination holds untouched.
    #[test]
    fn every_way_writes_the_portable_keys() {
        let mut next = crate::rng::xorshift(0x2545_f491_4f6c_dd1d);
        for len in (0usize..70).chain([127, 128, 129, 4_095, 4_096, 4_100]) {
            let keys: Vec<u32> = (0..len)
                .map(|_| match next() % 4 {
                    0 => NONE,
                    1 => (next() % 3) as u32,
                    2 => (next() % 1_000_000) as u32,
                    _ => NONE - 1,
                })
                .collect();
            let words = len.div_ceil(64);
            let (mut want, mut want_valid) = (vec![7u32; len + 1], vec![!0u64; words + 1]);
            // SAFETY: `want` and `keys` hold `len` keys, `want_valid` a
            // bit for each.
            #[allow(unsafe_code)]
            let expect = unsafe {
                keys_portable(
                    want.as_mut_ptr(),
                    keys.as_ptr(),
                    len,
                    &mut want_valid[..words],
                )
            };
            let (mut got, mut got_valid) = (vec![7u32; len + 1], vec![!0u64; words + 1]);
            let found = write_keys(&mut got[..len], &keys, &mut got_valid[..words]);
            assert_eq!(found, expect, "{len} keys");
            assert_eq!(got, want, "{len} keys");
            assert_eq!(got_valid, want_valid, "{len} keys");
            assert_eq!(got[len], 7, "past the end");
            assert_eq!(got_valid[words], !0, "past the end");
            // What each key became, one by one.
            let nulls = keys.iter().filter(|k| **k == NONE).count();
            assert_eq!(found.missing, nulls);
            let top = keys.iter().filter(|k| **k != NONE).max().copied();
            assert_eq!(found.top, top.unwrap_or(0));
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(got[i], if *k == NONE { 0 } else { *k });
            }
            assert_eq!(
                bits(&got_valid, len),
                keys.iter().map(|k| *k != NONE).collect::<Vec<_>>()
            );
            if len % 64 != 0 {
                assert_eq!(
                    got_valid[words - 1] >> (len % 64),
                    0,
                    "bits past the last key"
                );
            }
        }
    }

    #[test]
    fn bands_are_their_index_or_null() {
        let bands: Vec<Option<Band>> = (0..130)
            .map(|i| match i % 5 {
                4 => None,
                k => Band::ALL.get(k).copied(),
            })
            .collect();
        let mut keys = vec![9u32; 130];
        let mut valid = vec![!0u64; 3];
        let found = write_bands(&mut keys, &bands, &mut valid);
        assert_eq!(found.missing, 26);
        assert_eq!(found.top, 3);
        for (i, b) in bands.iter().enumerate() {
            assert_eq!(keys[i], b.map_or(0, |b| b.index() as u32));
            assert_eq!(valid[i / 64] >> (i % 64) & 1 == 1, b.is_some());
        }
        assert_eq!(valid[2] >> 2, 0);
    }
}
