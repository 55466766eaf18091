//! The lane loop compiled for AVX2 and FMA, for CPUs without AVX-512 (AMD
//! before Zen 4, Intel client CPUs): to be called only where
//! [`isa`](super::isa) found them.
//!
//! The sixteen lanes are four registers of four `i64`, one per dimension
//! (lane `4·d + k` is the `k`-th metric of dimension `d`), and the
//! arithmetic is the AVX-512 loop's: one fused multiply-add for `n`, the
//! same `u`, `u32 × u32` products, the same finishing step. What AVX2
//! lacks is done with what it has, exactly:
//!
//! * each lane's value and tag are read from its metric's slot with one
//!   masked 12-byte load (AVX-512 permutes them out of three registers of
//!   the slots' words);
//! * `i64` clamps and piece starts are a signed compare and a blend;
//! * a value becomes an `f64` as the bits of `2⁵² + 2⁵¹ + x` less that
//!   constant where every lane's clamp is below 2⁵¹ in magnitude
//!   ([`Lanes`]' `narrow`); otherwise as its high word times 2³² plus its
//!   low word, each converted exactly: the sum is exact wherever the
//!   module's bounds need it (`|x| ≤ 2⁵³`), and finite elsewhere (where
//!   `α = 0`);
//! * sums below 2⁵² become `f64` as the bits of `2⁵² + v` less 2⁵²;
//! * a quotient `⌊t⌋ < 2²⁷` is truncated in `f64` and read off the low
//!   bits of `t + 2⁵²`.
//!
//! The lane tests run this loop wherever the CPU has AVX2 and FMA, on
//! AVX-512 CPUs too, and compare it with the scalar loop.

use core::arch::x86_64::*;

use super::finish::{Finish, Out};
use super::{Lanes, PIECES};
use crate::score::program::Sums;
use crate::slots::{Slot, STALE};

/// 2⁵², whose `f64` has the integers below it in its low mantissa bits.
const MAGIC: f64 = 4_503_599_627_370_496.0;

/// Four lanes `4q .. 4q + 4` (`q < 4`) of a field of 8-byte values laid
/// out as two halves of eight, as an integer register. (A macro: a
/// function compiled for AVX2 is not inlined into its caller reliably, and
/// its calls took a third of the loop.)
macro_rules! quarter {
    ($f:expr, $q:expr) => {{
        let (f, q): (&[[_; 8]; 2], usize) = ($f, $q);
        let half = &f[(q / 2) & 1];
        let four = &half[4 * (q % 2)..4 * (q % 2) + 4];
        // SAFETY: `four` is four plain 8-byte values (the lane fields are
        // `i64`, `u64` or `f64`), 32 bytes, read unaligned.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_si256(four.as_ptr().cast())
        }
    }};
}

/// Elements `at .. at + 4` (`at` 0 or 4) of eight 8-byte values (`f64`
/// or `u64`: the scorecard's finishing constants) as a register.
macro_rules! four {
    ($x:expr, $at:literal) => {{
        let x: &[_; 8] = $x;
        let four = &x[$at..$at + 4];
        // SAFETY: `four` is four plain 8-byte values, 32 bytes, read
        // unaligned.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_si256(four.as_ptr().cast())
        }
    }};
}

/// Piece `k`'s field of quarter `q`, as `f64` lanes.
macro_rules! piece {
    ($f:expr, $k:expr, $q:expr) => {
        _mm256_castsi256_pd(quarter!(&$f[($k).min(PIECES - 1)], $q))
    };
}

/// One dimension's four lanes (`q`, a literal): Σ weight·score and
/// Σ weight over its scored metrics and Σ weight over those with data, per
/// lane, and which lanes are present (four bits). A macro, so that the
/// four dimensions are written out with constant offsets and their sums
/// stay in registers.
macro_rules! dimension {
    ($lanes:expr, $slots:expr, $q:literal) => {{
        let (lanes, slots, q): (&Lanes, &[Slot], usize) = ($lanes, $slots, $q);
        // Each lane's slot (an unused lane reads metric 0's: its weight is
        // 0) as one masked 12-byte load: [value, tag, 0]. No closure: in a
        // function compiled for AVX2 it was not inlined, and its calls cost
        // more than the scalar loop saves.
        macro_rules! slot {
            ($k:literal) => {
                match slots.get(lanes.metric[4 * $q + $k] as usize) {
                    // SAFETY: `s` is a valid reference to a `Slot`, 12
                    // initialised bytes (`repr(C, packed(4))`: the value,
                    // then the tag); the mask reads those three words only
                    // (a masked-off word is not read and cannot fault).
                    #[allow(unsafe_code)]
                    Some(s) => unsafe {
                        _mm_maskload_epi32(
                            std::ptr::from_ref(s).cast::<i32>(),
                            _mm_setr_epi32(-1, -1, -1, 0),
                        )
                    },
                    None => _mm_setzero_si128(),
                }
            };
        }
        // [slot 0 | slot 2] and [slot 1 | slot 3]: their low halves are the
        // values in lane order, their high halves the tags (the masked-off
        // word reads as 0).
        let even = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(slot!(0)), slot!(2));
        let odd = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(slot!(1)), slot!(3));
        let x = _mm256_unpacklo_epi64(even, odd);
        let tag = _mm256_unpackhi_epi64(even, odd);
        // Clamp: max(x, lo), then min(·, hi), signed.
        let (lo, hi) = (quarter!(&lanes.lo, q), quarter!(&lanes.hi, q));
        let x = _mm256_blendv_epi8(x, lo, _mm256_cmpgt_epi64(lo, x));
        let x = _mm256_blendv_epi8(x, hi, _mm256_cmpgt_epi64(x, hi));
        // The piece: the number of starts at or below x (rising starts):
        // where x reached start k, piece k + 1's fields.
        let mut alpha = piece!(lanes.alpha, 0, q);
        let mut beta = piece!(lanes.beta, 0, q);
        let mut inv = piece!(lanes.inv, 0, q);
        for (k, starts) in lanes.starts.iter().enumerate().take(lanes.rounds) {
            let below = _mm256_castsi256_pd(_mm256_cmpgt_epi64(quarter!(starts, q), x));
            alpha = _mm256_blendv_pd(piece!(lanes.alpha, k + 1, q), alpha, below);
            beta = _mm256_blendv_pd(piece!(lanes.beta, k + 1, q), beta, below);
            inv = _mm256_blendv_pd(piece!(lanes.inv, k + 1, q), inv, below);
        }
        let x = if lanes.narrow {
            narrow_f64(x)
        } else {
            to_f64(x)
        };
        let n = _mm256_fmadd_pd(alpha, x, beta);
        // n·u ≥ 0: truncation is the floor.
        let score = whole(_mm256_mul_pd(n, inv));
        let fresh = _mm256_cmpgt_epi64(_mm256_set1_epi64x(i64::from(STALE)), tag);
        let present = _mm256_movemask_pd(_mm256_castsi256_pd(fresh)) as u16;
        // A missing value scores the imputed score where its metric
        // imputes one (and counts its weight as scored, not as data).
        let score = if lanes.imputes == 0 {
            // A lane without a value then has no scored weight: its
            // score is multiplied by 0 whatever it is.
            score
        } else {
            _mm256_blendv_epi8(quarter!(&lanes.missing, q), score, fresh)
        };
        let data = _mm256_and_si256(fresh, quarter!(&lanes.weight, q));
        let scored = _mm256_or_si256(data, quarter!(&lanes.imputing, q));
        (_mm256_mul_epu32(scored, score), scored, data, present)
    }};
}

/// The lane loop: per dimension, Σ weight·score and Σ weight over the
/// scored metrics (`.0`, `.1`), and Σ weight over those with data (`.2`),
/// as four `u64` lanes each; and which lanes are present (`.3`).
macro_rules! folded {
    ($lanes:expr, $slots:expr) => {{
        let (lanes, slots): (&Lanes, &[Slot]) = ($lanes, $slots);
        let (p0, w0, d0, f0) = dimension!(lanes, slots, 0);
        let (p1, w1, d1, f1) = dimension!(lanes, slots, 1);
        let (p2, w2, d2, f2) = dimension!(lanes, slots, 2);
        let (p3, w3, d3, f3) = dimension!(lanes, slots, 3);
        (
            per_dim([p0, p1, p2, p3]),
            per_dim([w0, w1, w2, w3]),
            per_dim([d0, d1, d2, d3]),
            f0 | f1 << 4 | f2 << 8 | f3 << 12,
        )
    }};
}

/// Σ weight·score and Σ weight per dimension of an account's slots (the
/// model's: `slots.len() == lanes.metrics`).
#[target_feature(enable = "avx2,fma,avx,sse4.1")]
pub(super) fn sums(lanes: &Lanes, slots: &[Slot]) -> Sums {
    let (sum, wsum, data, _) = folded!(lanes, slots);
    Sums {
        sum: store(sum).map(u128::from),
        wsum: store(wsum),
        worst: [u32::MAX; 4],
        data: store(data),
    }
}

/// An account's dimension scores and coverages, overall score and
/// coverage, as [`Finish`](super::finish)'s docs describe them.
#[target_feature(enable = "avx2,fma,avx,sse4.1")]
pub(super) fn score(lanes: &Lanes, finish: &Finish, slots: &[Slot]) -> Out {
    let (sum, wsum, data, present) = folded!(lanes, slots);
    // The divisors' reciprocals, from which lanes are scored (present, or
    // imputing): known before the sums are.
    let scored_lanes = present | lanes.imputes;
    let scored = finish.scored(scored_lanes);
    let [u0, u1, u2, u3] = &finish.score_inv;
    let bits = usize::from(scored_lanes);
    let score_inv = _mm256_set_pd(
        u3[(bits >> 12) & 15],
        u2[(bits >> 8) & 15],
        u1[(bits >> 4) & 15],
        u0[bits & 15],
    );
    let cover = _mm256_castsi256_pd(four!(&finish.cover, 4));
    let cover_inv = _mm256_castsi256_pd(four!(&finish.cover_inv, 4));
    let dim_weight = four!(&finish.dim_weight, 0);
    // 2a + b, below 2⁵¹ each: [2·Σ w·s + Σ w] and
    // [2·10⁶·Σ w with data + cover].
    let a = _mm256_add_epi64(_mm256_slli_epi64::<1>(sum), wsum);
    let q = whole(_mm256_mul_pd(exact_f64(a), score_inv));
    let c = _mm256_fmadd_pd(_mm256_set1_pd(2e6), exact_f64(data), cover);
    let c = whole(_mm256_mul_pd(c, cover_inv));
    // Overall: Σ W·score over the scored dimensions (a dimension without a
    // scored metric has Σ w·s = Σ w = 0, so its lane is 0) and Σ W·coverage
    // over all.
    let ps = _mm256_mul_epu32(q, dim_weight);
    let pc = _mm256_mul_epu32(c, dim_weight);
    let t = _mm256_add_epi64(_mm256_unpacklo_epi64(ps, pc), _mm256_unpackhi_epi64(ps, pc));
    // [Σ W·score, Σ W·coverage, 0, 0], below 2⁵¹ (the module's docs):
    // exact as `f64`. Then 2a + b and the quotients, as for the dimensions.
    let t = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256::<1>(t));
    let k = finish.scored_weighted(scored) & 15;
    let b = _mm256_setr_pd(finish.den[k], finish.total, 0.0, 0.0);
    let v = _mm256_setr_pd(finish.den_inv[k], finish.total_inv, 0.0, 0.0);
    let a = _mm256_fmadd_pd(_mm256_set1_pd(2.0), exact_f64(_mm256_zextsi128_si256(t)), b);
    let [overall, coverage, _, _] = store(whole(_mm256_mul_pd(a, v)));
    let [s0, s1, s2, s3] = store(q);
    let [c0, c1, c2, c3] = store(c);
    Out {
        dims: [s0, s1, s2, s3, c0, c1, c2, c3],
        overall,
        coverage,
        scored,
        measured: finish.scored(present),
    }
}

/// Four `i64` as `f64`: exact for `|x| ≤ 2⁵³`, finite for any.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn to_f64(x: __m256i) -> __m256d {
    // Low words in the low half, high words in the high half.
    let split = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    let high = _mm256_cvtepi32_pd(_mm256_extracti128_si256::<1>(split));
    // The low words are unsigned: flip the sign bit, convert, add 2³¹.
    let low = _mm_xor_si128(_mm256_castsi256_si128(split), _mm_set1_epi32(i32::MIN));
    let low = _mm256_add_pd(_mm256_cvtepi32_pd(low), _mm256_set1_pd(2_147_483_648.0));
    // high·2³² is exact; the sum is exact when it is representable.
    _mm256_fmadd_pd(high, _mm256_set1_pd(4_294_967_296.0), low)
}

/// Four `i64` of magnitude below 2⁵¹ as `f64`, exactly: the bits of
/// `2⁵² + 2⁵¹ + x` (whose mantissa is `2⁵¹ + x`), less `2⁵² + 2⁵¹`.
#[inline]
#[target_feature(enable = "avx2")]
fn narrow_f64(x: __m256i) -> __m256d {
    let magic = _mm256_set1_pd(6_755_399_441_055_744.0); // 2⁵² + 2⁵¹
    _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_add_epi64(x, _mm256_castpd_si256(magic))),
        magic,
    )
}

/// Integers `0 ≤ v < 2⁵²` as `f64`, exactly.
#[inline]
#[target_feature(enable = "avx2")]
fn exact_f64(v: __m256i) -> __m256d {
    let magic = _mm256_set1_pd(MAGIC);
    _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(v, _mm256_castpd_si256(magic))),
        magic,
    )
}

/// `⌊t⌋` of `0 ≤ t < 2⁵²` as `u64`.
#[inline]
#[target_feature(enable = "avx2")]
fn whole(t: __m256d) -> __m256i {
    let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(t);
    let magic = _mm256_set1_pd(MAGIC);
    _mm256_sub_epi64(
        _mm256_castpd_si256(_mm256_add_pd(t, magic)),
        _mm256_castpd_si256(magic),
    )
}

/// The four lanes of each register summed: `[Σ a, Σ b, Σ c, Σ d]`.
#[inline]
#[target_feature(enable = "avx2")]
fn per_dim([a, b, c, d]: [__m256i; 4]) -> __m256i {
    let ab = _mm256_add_epi64(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
    let cd = _mm256_add_epi64(_mm256_unpacklo_epi64(c, d), _mm256_unpackhi_epi64(c, d));
    _mm256_add_epi64(
        _mm256_permute2x128_si256::<0x20>(ab, cd),
        _mm256_permute2x128_si256::<0x31>(ab, cd),
    )
}

/// A register's four `u64` lanes.
#[inline]
#[target_feature(enable = "avx2")]
#[allow(unsafe_code)] // an unaligned store of exactly the 32 bytes `out` holds
fn store(v: __m256i) -> [u64; 4] {
    let mut out = [0u64; 4];
    // SAFETY: `out` is 32 writable bytes; the store is unaligned.
    unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
    out
}
