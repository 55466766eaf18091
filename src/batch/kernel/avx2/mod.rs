//! Loops of the wide kernel written with AVX2 instructions, for CPUs
//! without AVX-512 (AMD before Zen 4, Intel before Ice Lake, most cloud
//! VMs of those): the AVX-512 loops of [`super::avx512`] four lanes wide.
//! The compiler's own vectorisation of the portable curve loop declines
//! AVX2 (its cost model), which left those CPUs the build target's kernel,
//! two lanes wide and about three times the time of the hand-written
//! columnar `f64` peer.
//!
//! Table lookups by curve piece are a register permute
//! (`vpermps` on pairs of 32-bit halves: four `f64` entries a register),
//! masks are vector lanes of all ones, rounding is the CPU's own
//! (`vroundpd`). Each loop computes exactly what its AVX-512 twin and
//! the portable loop compute (the same IEEE `f64` operations, no fused
//! multiply-add); the property tests compare every kernel with the row
//! API.
//!
//! Every function here is compiled for AVX2 and must be called only
//! where [`Isa::detect`](super::Isa::detect) found it.

mod curve;
mod finish;

pub(crate) use curve::linear_plain;
pub(crate) use finish::finish;

use core::arch::x86_64::*;

/// Four `f64` lanes from `x`.
#[inline]
#[target_feature(enable = "avx")]
#[allow(unsafe_code)] // an unaligned load of exactly the 32 bytes `x` holds
fn load(x: &[f64; 4]) -> __m256d {
    // SAFETY: `x` is a valid reference to 4 `f64`s; the load is unaligned.
    unsafe { _mm256_loadu_pd(x.as_ptr()) }
}

/// Stores four lanes into `dst`.
#[inline]
#[target_feature(enable = "avx")]
#[allow(unsafe_code)] // an unaligned store of exactly the 32 bytes `dst` holds
fn store(dst: &mut [f64; 4], v: __m256d) {
    // SAFETY: `dst` is a valid, exclusive reference to 4 `f64`s.
    unsafe { _mm256_storeu_pd(dst.as_mut_ptr(), v) }
}

/// Rows `r .. r + 4` of a chunk's column (zeros past its end).
#[inline]
#[target_feature(enable = "avx")]
fn rows<const L: usize>(column: &[f64; L], r: usize) -> __m256d {
    match column.get(r..).and_then(|c| c.first_chunk::<4>()) {
        Some(x) => load(x),
        None => _mm256_setzero_pd(),
    }
}

/// The low four bits of `m` as lane masks (lane `i` all ones where bit
/// `i` is set).
#[inline]
#[target_feature(enable = "avx2")]
fn mask4(m: u8) -> __m256d {
    let bit = _mm256_setr_epi64x(1, 2, 4, 8);
    let set = _mm256_and_si256(_mm256_set1_epi64x(i64::from(m)), bit);
    _mm256_castsi256_pd(_mm256_cmpeq_epi64(set, bit))
}

/// The lanes of a mask as the low four bits.
#[inline]
#[target_feature(enable = "avx")]
fn bits4(mask: __m256d) -> u8 {
    _mm256_movemask_pd(mask) as u8
}

/// `on ? a : b`, lane by lane (`on` a lane mask).
#[inline]
#[target_feature(enable = "avx")]
fn select(on: __m256d, a: __m256d, b: __m256d) -> __m256d {
    _mm256_blendv_pd(b, a, on)
}

/// `a` where `on`, else 0 (a positive zero, as AVX-512's zeroing masks).
#[inline]
#[target_feature(enable = "avx")]
fn keep(on: __m256d, a: __m256d) -> __m256d {
    _mm256_and_pd(on, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        for m in 0u8..16 {
            // SAFETY: the CPU has AVX2 (checked above).
            #[allow(unsafe_code)]
            let back = unsafe { bits4(mask4(m)) };
            assert_eq!(back, m);
        }
    }
}
