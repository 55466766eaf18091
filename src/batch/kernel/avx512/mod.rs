//! Loops of the wide kernel written with AVX-512 instructions, where the
//! compiler's own vectorisation of the portable loops leaves speed behind:
//! table lookups by scorecard or curve piece become one register permute
//! (`vpermpd`, `vpermt2pd`) instead of a gather or a compare and blend
//! per entry. Each computes exactly what the portable loop computes (the
//! same integer arithmetic in `f64`); the property tests compare both
//! kernels with the row API.
//!
//! Every function here is compiled for AVX-512 and must be called only
//! where [`Isa::detect`](super::Isa::detect) found it.

mod curve;
mod finish;

pub(crate) use curve::linear_plain;
pub(crate) use finish::finish;

use core::arch::x86_64::*;

/// Eight `f64` lanes from `x`.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned load of exactly the 64 bytes `x` holds
fn load(x: &[f64; 8]) -> __m512d {
    // SAFETY: `x` is a valid reference to 8 `f64`s; the load is unaligned.
    unsafe { _mm512_loadu_pd(x.as_ptr()) }
}

/// Stores eight lanes into `dst`.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned store of exactly the 64 bytes `dst` holds
fn store(dst: &mut [f64; 8], v: __m512d) {
    // SAFETY: `dst` is a valid, exclusive reference to 8 `f64`s.
    unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), v) }
}

/// Eight `u32` lanes from `x`.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned load of exactly the 32 bytes `x` holds
fn load_u32(x: &[u32; 8]) -> __m256i {
    // SAFETY: `x` is a valid reference to 8 `u32`s; the load is unaligned.
    unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
}
