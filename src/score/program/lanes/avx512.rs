//! The lane loop, compiled for AVX-512 (`F` and `DQ`): to be called only
//! where [`detected`](super::detected) found them.

use core::arch::x86_64::*;

use super::finish::{Finish, Out};
use super::Lanes;
use crate::score::program::Sums;
use crate::slots::{Slot, STALE};

/// The lane loop: per dimension, Σ weight·score and Σ weight over the
/// scored metrics (`.0`, `.1`), and Σ weight over those with data (`.2`),
/// in lanes `0..4`; and which lanes are present (`.3`). A macro, not a
/// function: both callers need it inlined (returned through memory, its
/// three results cost a tenth of the loop), and a function compiled for
/// AVX-512 cannot be `#[inline(always)]`.
macro_rules! folded {
    ($lanes:expr, $slots:expr) => {{
        let (lanes, slots): (&Lanes, &[Slot]) = ($lanes, $slots);
        let words = words(slots);
        let [m0, m1, m2] = lanes.load_mask;
        let z = [
            block(words, 0, m0),
            block(words, 16, m1),
            block(words, 32, m2),
        ];
        let tags = pick(&z, &lanes.tag_word, lanes.tag_far);
        let present = _mm512_cmplt_epu32_mask(tags, _mm512_set1_epi32(STALE as i32));
        let mut prod = [_mm512_setzero_si512(); 2];
        let mut weight = [_mm512_setzero_si512(); 2];
        let mut data = [_mm512_setzero_si512(); 2];
        for h in 0..2 {
            let Some((value_word, value_far)) = lanes.value_word.get(h).zip(lanes.value_far.get(h))
            else {
                continue;
            };
            let half = |f: &[[i64; 8]; 2]| f.get(h).map_or(_mm512_setzero_si512(), |f| load(f));
            let x = pick(&z, value_word, *value_far);
            let x = _mm512_min_epi64(_mm512_max_epi64(x, half(&lanes.lo)), half(&lanes.hi));
            // The piece: the number of starts at or below x (rising starts).
            let mut alpha = field(&lanes.alpha, 0, h);
            let mut beta = field(&lanes.beta, 0, h);
            let mut inv = field(&lanes.inv, 0, h);
            for (k, starts) in lanes.starts.iter().enumerate().take(lanes.rounds) {
                let at = _mm512_cmpge_epi64_mask(x, half(starts));
                alpha = _mm512_mask_mov_pd(alpha, at, field(&lanes.alpha, k + 1, h));
                beta = _mm512_mask_mov_pd(beta, at, field(&lanes.beta, k + 1, h));
                inv = _mm512_mask_mov_pd(inv, at, field(&lanes.inv, k + 1, h));
            }
            let n = _mm512_fmadd_pd(alpha, _mm512_cvtepi64_pd(x), beta);
            // n·u ≥ 0: truncation is the floor.
            let score = _mm512_cvttpd_epu64(_mm512_mul_pd(n, inv));
            let w = lanes
                .weight
                .get(h)
                .map_or(_mm512_setzero_si512(), |w| load(w));
            // A missing value scores the imputed score where its metric
            // imputes one (elsewhere its weight is 0 below).
            let fresh = (present >> (8 * h)) as u8;
            let imputes = (lanes.imputes >> (8 * h)) as u8;
            let missing = lanes
                .missing
                .get(h)
                .map_or(_mm512_setzero_si512(), |m| load(m));
            let score = _mm512_mask_mov_epi64(missing, fresh, score);
            let scored = _mm512_maskz_mov_epi64(fresh | imputes, w);
            if let (Some(p), Some(ws), Some(d)) =
                (prod.get_mut(h), weight.get_mut(h), data.get_mut(h))
            {
                *p = _mm512_mul_epu32(scored, score);
                *ws = scored;
                *d = _mm512_maskz_mov_epi64(fresh, w);
            }
        }
        let ([p0, p1], [w0, w1], [d0, d1]) = (prod, weight, data);
        (per_dim(p0, p1), per_dim(w0, w1), per_dim(d0, d1), present)
    }};
}

/// Σ weight·score and Σ weight per dimension of an account's slots (the
/// model's: `slots.len() == lanes.metrics`).
#[target_feature(enable = "avx512f,avx512dq")]
pub(super) fn sums(lanes: &Lanes, slots: &[Slot]) -> Sums {
    let (sum, wsum, data, _) = folded!(lanes, slots);
    let mut out = [0u64; 8];
    store_u64(&mut out, _mm512_shuffle_i64x2::<0b01_00_01_00>(sum, wsum));
    let [s0, s1, s2, s3, w0, w1, w2, w3] = out;
    store_u64(&mut out, data);
    let [d0, d1, d2, d3, ..] = out;
    Sums {
        sum: [s0, s1, s2, s3].map(u128::from),
        wsum: [w0, w1, w2, w3],
        worst: [u32::MAX; 4],
        data: [d0, d1, d2, d3],
    }
}

/// An account's dimension scores and coverages, overall score and
/// coverage, as [`Finish`](super::finish)'s docs describe them.
#[target_feature(enable = "avx512f,avx512dq")]
pub(super) fn score(lanes: &Lanes, finish: &Finish, slots: &[Slot]) -> Out {
    let (sum, wsum, data, present) = folded!(lanes, slots);
    // The divisors' reciprocals, from which lanes are scored (present, or
    // imputing): known before the sums are.
    let scored_lanes = present | lanes.imputes;
    let scored = finish.scored(scored_lanes);
    let u = |d: usize| {
        let bits = usize::from(scored_lanes >> (4 * d)) & 15;
        finish
            .score_inv
            .get(d)
            .and_then(|t| t.get(bits))
            .copied()
            .unwrap_or(0.0)
    };
    let inv = _mm512_mask_blend_pd(
        0x0f,
        load_f64(&finish.cover_inv),
        _mm512_castpd256_pd512(_mm256_set_pd(u(3), u(2), u(1), u(0))),
    );
    let k = finish.scored_weighted(scored);
    let den = finish.den.get(k).copied().unwrap_or(0.0);
    let den_inv = finish.den_inv.get(k).copied().unwrap_or(0.0);
    // Dimensions: [Σ w·s | Σ w with data] and [Σ w | cover], below 2⁵¹
    // each.
    let x = _mm512_cvtepu64_pd(_mm512_shuffle_i64x2::<0b01_00_01_00>(sum, data));
    let y = _mm512_mask_blend_pd(0xf0, _mm512_cvtepu64_pd(wsum), load_f64(&finish.cover));
    let two = _mm512_set_pd(2e6, 2e6, 2e6, 2e6, 2.0, 2.0, 2.0, 2.0);
    // 2a + b: [2·Σ w·s + Σ w | 2·10⁶·Σ w with data + cover].
    let a = _mm512_fmadd_pd(two, x, y);
    let q = _mm512_cvttpd_epu64(_mm512_mul_pd(a, inv));
    // Overall: Σ W·score over the scored dimensions (lane 0: a dimension
    // without a scored metric has Σ w·s = Σ w = 0, so its lane is 0) and
    // Σ W·coverage over all (lane 4).
    let p = _mm512_mul_epu32(q, load(&finish.dim_weight));
    let p = _mm512_add_epi64(p, _mm512_permutex_epi64::<0b01_00_11_10>(p));
    let p = _mm512_add_epi64(p, _mm512_shuffle_epi32::<{ _MM_PERM_BADC }>(p));
    let b = _mm512_set_pd(0.0, 0.0, 0.0, finish.total, 0.0, 0.0, 0.0, den);
    let v = _mm512_set_pd(0.0, 0.0, 0.0, finish.total_inv, 0.0, 0.0, 0.0, den_inv);
    let a = _mm512_fmadd_pd(_mm512_set1_pd(2.0), _mm512_cvtepu64_pd(p), b);
    let r = _mm512_cvttpd_epu64(_mm512_mul_pd(a, v));
    let mut out = Out {
        dims: [0; 8],
        overall: 0,
        coverage: 0,
        scored,
        measured: finish.scored(present),
    };
    store_u64(&mut out.dims, q);
    let mut r8 = [0u64; 8];
    store_u64(&mut r8, r);
    let [overall, _, _, _, coverage, ..] = r8;
    (out.overall, out.coverage) = (overall, coverage);
    out
}

/// The slots as 32-bit words.
#[allow(unsafe_code)] // a view of the slots' bytes as the words they are made of
fn words(slots: &[Slot]) -> &[u32] {
    const _: () = assert!(size_of::<Slot>() == 12 && align_of::<Slot>() == 4);
    // SAFETY: `Slot` is `repr(C, packed(4))` of an `i64` and a `u32`: 12
    // initialised bytes with no padding, aligned to 4, so `3·len` words
    // cover exactly the slice's bytes, which live as long as it does.
    unsafe { std::slice::from_raw_parts(slots.as_ptr().cast::<u32>(), 3 * slots.len()) }
}

/// Words `at .. at + 16` of the slots (0 past their end): those of
/// `mask`, the words the slice holds from `at` when it is the model's.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // a masked load of the words the slice holds
fn block(words: &[u32], at: usize, mask: u16) -> __m512i {
    // Never more than the slice holds, whatever the mask.
    let held = words.len().saturating_sub(at).min(16);
    let mask = mask & ((1u32 << held) - 1) as u16;
    // SAFETY: the mask enables only words from `at` that the slice holds;
    // masked-off words are not read (and cannot fault), and the pointer
    // is formed with `wrapping_add`.
    unsafe { _mm512_maskz_loadu_epi32(mask, words.as_ptr().wrapping_add(at).cast()) }
}

/// Sixteen words picked from the slots' 48 by index (`far`: from the
/// third block).
#[inline]
#[target_feature(enable = "avx512f")]
fn pick(z: &[__m512i; 3], index: &[u32; 16], far: u16) -> __m512i {
    let [z0, z1, z2] = *z;
    let index = load(index);
    let near = _mm512_permutex2var_epi32(z0, index, z1);
    _mm512_mask_permutexvar_epi32(near, far, index, z2)
}

/// The lanes of half `h` of piece `k`'s field.
#[inline]
#[target_feature(enable = "avx512f")]
fn field(f: &[[[f64; 8]; 2]; super::PIECES], k: usize, h: usize) -> __m512d {
    f.get(k)
        .and_then(|f| f.get(h))
        .map_or(_mm512_setzero_pd(), |f| load_f64(f))
}

/// Per dimension, the sum of its four lanes, in lanes `0..4`: dimensions
/// 0 and 1 from `a`, 2 and 3 from `b`.
#[inline]
#[target_feature(enable = "avx512f")]
fn per_dim(a: __m512i, b: __m512i) -> __m512i {
    // Within each four lanes, add the other pair, then the other lane:
    // lanes 0 and 4 hold the sums.
    let fold = |v: __m512i| {
        let v = _mm512_add_epi64(v, _mm512_permutex_epi64::<0b01_00_11_10>(v));
        _mm512_add_epi64(v, _mm512_shuffle_epi32::<{ _MM_PERM_BADC }>(v))
    };
    _mm512_permutex2var_epi64(fold(a), _mm512_set_epi64(0, 0, 0, 0, 12, 8, 4, 0), fold(b))
}

/// Integers a 512-bit register is loaded from: no padding, every bit
/// pattern valid.
trait Word: Copy {}
impl Word for u32 {}
impl Word for i64 {}
impl Word for u64 {}

/// Sixty-four bytes of integers (16 `u32`s or 8 `i64`/`u64`s) as a
/// register.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned load of exactly the 64 bytes `x` holds
fn load<T: Word, const N: usize>(x: &[T; N]) -> __m512i {
    const { assert!(size_of::<[T; N]>() == 64) };
    // SAFETY: `x` is a valid reference to 64 bytes of plain integers (the
    // assertion above); the load is unaligned.
    unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned load of exactly the 64 bytes `x` holds
fn load_f64(x: &[f64; 8]) -> __m512d {
    // SAFETY: `x` is a valid reference to 8 `f64`s; the load is unaligned.
    unsafe { _mm512_loadu_pd(x.as_ptr()) }
}

#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // an unaligned store of exactly the 64 bytes `dst` holds
fn store_u64(dst: &mut [u64; 8], v: __m512i) {
    // SAFETY: `dst` is a valid, exclusive reference to 8 `u64`s.
    unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), v) }
}
