//! Validity bits of an output column, in Arrow's layout.

use super::output::NONE;

/// Appends one bit per row of `values` to `words`, set where the row has a
/// value (is not [`NONE`]), and returns the number of rows without one.
///
/// The layout is Arrow's validity bitmap (least significant bit first):
/// row `i` is bit `i % 64` of word `i / 64`, and the bits past the last
/// row are 0. An integration building Arrow arrays (or any bitmap-based
/// format) from [`BatchScores`](super::BatchScores) columns reads it in
/// place. The packing is vectorised with AVX-512 or AVX2 where the CPU
/// has them (the portable loop packs a bit at a time); the bits are the
/// same on every path.
///
/// # Examples
///
/// ```
/// use healthscore::batch::{validity_bits, NONE};
/// let mut words = Vec::new();
/// let missing = validity_bits(&[5, NONE, 7, 0], &mut words);
/// assert_eq!(missing, 1);
/// assert_eq!(words, [0b1101]);
/// ```
pub fn validity_bits(values: &[u32], words: &mut Vec<u64>) -> usize {
    words.reserve(values.len().div_ceil(64));
    match Pack::detect() {
        // SAFETY: `Pack::detect` found AVX2 and POPCNT on this CPU.
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)] // calls the loop compiled for features checked at run time
        Pack::Avx2 => unsafe { pack_avx2(values, words) },
        pack => pack_with(pack, values, words),
    }
}

/// [`validity_bits`] with `pack`'s word loop.
#[inline(always)]
fn pack_with(pack: Pack, values: &[u32], words: &mut Vec<u64>) -> usize {
    let mut chunks = values.chunks_exact(64);
    let mut set = 0usize;
    for chunk in &mut chunks {
        let w = pack.word(chunk);
        set += w.count_ones() as usize;
        words.push(w);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let w = portable(rest);
        set += w.count_ones() as usize;
        words.push(w);
    }
    values.len() - set
}

/// [`pack_with`] for AVX2, its words and bit counts inlined (`popcnt`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,sse4.1,sse4.2,popcnt")]
fn pack_avx2(values: &[u32], words: &mut Vec<u64>) -> usize {
    pack_with(Pack::Avx2, values, words)
}

/// Bit `j` set where `rows[j]` has a value (at most 64 rows).
#[inline(always)]
fn portable(rows: &[u32]) -> u64 {
    rows.iter()
        .take(64)
        .enumerate()
        .fold(0u64, |w, (j, v)| w | (u64::from(*v != NONE) << j))
}

/// The packing loop compiled for the widest instructions the CPU has.
#[derive(Clone, Copy)]
enum Pack {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Pack {
    fn detect() -> Pack {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512bw") {
                return Pack::Avx512;
            }
            if has!("avx2") && has!("sse4.1") && has!("sse4.2") && has!("popcnt") {
                return Pack::Avx2;
            }
        }
        Pack::Portable
    }

    #[inline(always)]
    #[allow(unsafe_code)] // calls loops compiled for features checked at run time
    fn word(self, chunk: &[u32]) -> u64 {
        match self {
            Pack::Portable => portable(chunk),
            // SAFETY: `Pack::detect` found these features on this CPU.
            #[cfg(target_arch = "x86_64")]
            Pack::Avx2 => unsafe { word_avx2(chunk) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Pack::Avx512 => unsafe { word_avx512(chunk) },
        }
    }
}

/// Eight rows a compare: their lanes equal to [`NONE`] as a byte
/// (`vmovmskps`), inverted. (The compiler's vectorisation of the portable
/// fold for AVX2 shifted and or-ed each row's bit in lanes: about a
/// nanosecond a row over the ten result columns of the Arrow path.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,sse4.1,sse4.2")]
#[inline]
#[allow(unsafe_code)] // unaligned loads of the eight rows each `eight` holds
fn word_avx2(chunk: &[u32]) -> u64 {
    use std::arch::x86_64::{
        _mm256_castsi256_ps, _mm256_cmpeq_epi32, _mm256_loadu_si256, _mm256_movemask_ps,
        _mm256_set1_epi32,
    };
    let Some(rows) = chunk.first_chunk::<64>() else {
        return portable(chunk);
    };
    let none = _mm256_set1_epi32(NONE as i32);
    let mut w = 0u64;
    for (k, eight) in rows.chunks_exact(8).enumerate() {
        // SAFETY: `eight` holds 8 `u32`s, 32 bytes, read unaligned.
        let v = unsafe { _mm256_loadu_si256(eight.as_ptr().cast()) };
        let empty = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, none))) as u8;
        w |= u64::from(!empty) << (8 * k);
    }
    w
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx2,avx,sse4.1,sse4.2")]
fn word_avx512(chunk: &[u32]) -> u64 {
    portable(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(values: &[u32]) -> (Vec<u64>, usize) {
        let mut words = vec![0u64; values.len().div_ceil(64)];
        for (i, v) in values.iter().enumerate() {
            if *v != NONE {
                words[i / 64] |= 1 << (i % 64);
            }
        }
        (words, values.iter().filter(|v| **v == NONE).count())
    }

    #[test]
    fn empty_and_partial_words() {
        let mut words = vec![9];
        assert_eq!(validity_bits(&[], &mut words), 0);
        assert_eq!(words, [9], "appends, and nothing for no rows");
        let mut values = vec![1u32; 130];
        values[64] = NONE;
        values[129] = NONE;
        let mut words = Vec::new();
        assert_eq!(validity_bits(&values, &mut words), 2);
        assert_eq!(words, [u64::MAX, u64::MAX - 1, 0b01]);
    }

    proptest! {
        #[test]
        fn same_bits_as_a_bit_at_a_time(
            values in proptest::collection::vec(
                prop_oneof![Just(NONE), Just(0u32), any::<u32>()], 0..300)
        ) {
            let mut words = Vec::new();
            let missing = validity_bits(&values, &mut words);
            let (expected, count) = naive(&values);
            prop_assert_eq!(words, expected);
            prop_assert_eq!(missing, count);
            // Each packing loop this CPU can run, not only the one it picks.
            for chunk in values.chunks_exact(64) {
                let w = portable(chunk);
                prop_assert_eq!(Pack::Portable.word(chunk), w);
                #[cfg(target_arch = "x86_64")]
                {
                    use std::arch::is_x86_feature_detected as has;
                    if has!("avx2") && has!("sse4.1") && has!("sse4.2") && has!("popcnt") {
                        prop_assert_eq!(Pack::Avx2.word(chunk), w);
                    }
                    if has!("avx512f") && has!("avx512bw") {
                        prop_assert_eq!(Pack::Avx512.word(chunk), w);
                    }
                }
            }
        }
    }
}
