//! The commonest curve loop (the AVX-512 `linear_plain`) four lanes wide,
//! for CPUs with AVX2 but not AVX-512.
//!
//! Each row's piece number is found with a blend per piece start, as the
//! AVX-512 loop does, and kept as a pair of 32-bit indices `(2k, 2k + 1)`
//! per lane, so that one `vpermps` looks a field up in a register of four
//! pieces (two registers and a blend for five to eight pieces). Rounding
//! is `vroundpd`; masks are lanes of all ones. The arithmetic is the
//! AVX-512 loop's, operation for operation, so the sums are identical.

use core::arch::x86_64::*;

use super::{bits4, keep, load, mask4, select, store};
use crate::batch::kernel::prepare::{bits8, bools8, held, Held, Next};
use crate::batch::kernel::{Scratch, CHUNK};
use crate::batch::plan::{MetricPlan, Piece};

/// One field of up to eight pieces as two registers of four (padding
/// entries are never selected: their piece starts at +∞).
#[inline]
#[target_feature(enable = "avx")]
fn table(pieces: &[Piece], field: impl Fn(&Piece) -> f64, pad: f64) -> [__m256d; 2] {
    let mut t = [pad; 8];
    for (dst, p) in t.iter_mut().zip(pieces) {
        *dst = field(p);
    }
    let (lo, hi) = t.split_at(4);
    match (lo.first_chunk::<4>(), hi.first_chunk::<4>()) {
        (Some(lo), Some(hi)) => [load(lo), load(hi)],
        _ => [_mm256_set1_pd(pad); 2],
    }
}

/// Entry `k` of a table of `N` pieces, `pairs` holding `(2k, 2k + 1)` per
/// lane and `upper` the lanes with `k ≥ 4`.
#[inline]
#[target_feature(enable = "avx2")]
fn look<const N: usize>(t: &[__m256d; 2], pairs: __m256i, upper: __m256d) -> __m256d {
    // `vpermps` reads the low three bits of each index: 2k and 2k + 1
    // modulo 8 are the halves of entry k mod 4.
    let pick = |v: __m256d| _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), pairs));
    if N <= 4 {
        pick(t[0])
    } else {
        select(upper, pick(t[1]), pick(t[0]))
    }
}

/// The AVX-512 `linear_plain` (same parameters, same results) four lanes
/// at a time: `N` (1 to 8) pieces of a curve that holds its end scores
/// beyond its ends, one weight for every scorecard, no worst-wins, no
/// imputation. Returns whether some valid value failed its check.
#[target_feature(enable = "avx2,avx,sse4.1")]
pub(crate) fn linear_plain<
    const N: usize,
    const DIRECT: bool,
    const SIGNED: bool,
    const HELD: u8,
>(
    mp: &MetricPlan,
    pieces: &[Piece],
    values: &[f64],
    held: Held<'_>,
    next: Next<'_>,
    first: bool,
    s: &mut Scratch,
) -> bool {
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
    let pieces = pieces.get(..N.min(8)).unwrap_or(pieces);
    let mut from = [_mm256_set1_pd(f64::INFINITY); 8];
    for (f, p) in from.iter_mut().zip(pieces) {
        *f = _mm256_set1_pd(p.from);
    }
    // Piece j's index pair `(2j, 2j + 1)`, one per 64-bit lane.
    let mut pair = [_mm256_setzero_si256(); 8];
    for (j, k) in pair.iter_mut().enumerate() {
        let lo = 2 * j as i64;
        *k = _mm256_set1_epi64x(lo | (lo + 1) << 32);
    }
    let a = table(pieces, |p| p.a, 0.0);
    let (b, inv) = if DIRECT {
        (
            table(pieces, |p| p.b_base, 0.0),
            table(pieces, |p| p.inv_up, 1.0),
        )
    } else {
        (table(pieces, |p| p.b, 0.0), table(pieces, |p| p.inv, 1.0))
    };
    let c = table(pieces, |p| p.c, 1.0);
    let base = table(pieces, |p| p.base, 0.0);
    let (lo, hi) = (_mm256_set1_pd(mp.lo), _mm256_set1_pd(mp.hi));
    let (lo_y, hi_y) = (_mm256_set1_pd(mp.lo_y), _mm256_set1_pd(mp.hi_y));
    let w = _mm256_set1_pd(mp.same_weight.unwrap_or(0.0));
    let zero = _mm256_setzero_pd();
    let one = _mm256_set1_pd(1.0);
    let half = _mm256_set1_pd(0.5);
    let sign = _mm256_set1_pd(-0.0);
    let million = _mm256_set1_pd(1e6);
    let first_pair = pair[0];
    let flag = mp.flag;
    let d = mp.dim & 3;
    let n = values.len().min(CHUNK);
    let (bools, bits, offset) = match held {
        Held::Bools(b) => (b, &[][..], 0),
        Held::Bits { bits, offset } => (&[][..], bits, offset),
        Held::Prepared | Held::All => (&[][..], &[][..], 0),
    };
    let (valid_col, live_col) = (&s.valid, &s.live);
    let Some((sum, wsum)) = s.sum.get_mut(d).zip(s.wsum.get_mut(d)) else {
        return false;
    };
    // Four rows from `r`: `held` the lanes holding a value (a mask for
    // the flags and bitmap kinds, else ignored), `lanes` those inside
    // the chunk. Returns the lanes holding a value that fails its check.
    // (A macro, not a closure: see the AVX-512 loop.)
    macro_rules! quad {
        ($r:expr, $lanes:expr, $held:expr, $x:expr) => {{
            let (r, lanes, heldm, x): (usize, u8, u8, __m256d) = ($r, $lanes, $held, $x);
            let (valid, live) = match HELD {
                held::PREPARED => {
                    let at = |c: &[f64; CHUNK]| match c.get(r..).and_then(|c| c.first_chunk::<4>())
                    {
                        Some(c) => *c,
                        None => [0.0; 4],
                    };
                    let inside = mask4(lanes);
                    (
                        _mm256_and_pd(
                            inside,
                            _mm256_cmp_pd::<_CMP_GT_OQ>(load(&at(valid_col)), zero),
                        ),
                        _mm256_and_pd(
                            inside,
                            _mm256_cmp_pd::<_CMP_GT_OQ>(load(&at(live_col)), zero),
                        ),
                    )
                }
                held::BOOLS | held::BITS => {
                    let m = mask4(heldm & lanes);
                    (m, m)
                }
                _ => {
                    let m = mask4(lanes);
                    (m, m)
                }
            };
            let y = _mm256_mul_pd(x, million);
            let ok = if flag {
                _mm256_or_pd(
                    _mm256_cmp_pd::<_CMP_EQ_OQ>(x, zero),
                    _mm256_cmp_pd::<_CMP_EQ_OQ>(x, one),
                )
            } else {
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(y, lo_y),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(y, hi_y),
                )
            };
            // `max(y, lo)` is `lo` when y is NaN (the second operand), as
            // the portable clamp.
            let v = _mm256_min_pd(_mm256_max_pd(y, lo), hi);
            let m = if SIGNED {
                // Half away from zero: ⌊|v| + ½⌋ with the sign of v.
                let r = _mm256_round_pd::<FLOOR>(_mm256_add_pd(_mm256_andnot_pd(sign, v), half));
                _mm256_or_pd(r, _mm256_and_pd(v, sign))
            } else {
                _mm256_round_pd::<FLOOR>(_mm256_add_pd(v, half))
            };
            let mut k = first_pair;
            let mut upper = zero;
            for j in 1..N.min(8) {
                if let (Some(f), Some(p)) = (from.get(j), pair.get(j)) {
                    let reached = _mm256_cmp_pd::<_CMP_GE_OQ>(m, *f);
                    k = _mm256_castpd_si256(select(
                        reached,
                        _mm256_castsi256_pd(*p),
                        _mm256_castsi256_pd(k),
                    ));
                    if j == 4 {
                        upper = reached;
                    }
                }
            }
            let am = _mm256_mul_pd(look::<N>(&a, k, upper), m);
            let t = _mm256_add_pd(am, look::<N>(&b, k, upper));
            let score = if DIRECT {
                // ⌊(a·m + b_base)·inv_up⌋ (exact: see `Shape::Linear::direct`).
                _mm256_round_pd::<FLOOR>(_mm256_mul_pd(t, look::<N>(&inv, k, upper)))
            } else {
                let c = look::<N>(&c, k, upper);
                let q = _mm256_round_pd::<NEAREST>(_mm256_mul_pd(t, look::<N>(&inv, k, upper)));
                let r = _mm256_sub_pd(t, _mm256_mul_pd(q, c));
                let q = _mm256_sub_pd(q, keep(_mm256_cmp_pd::<_CMP_LT_OQ>(r, zero), one));
                _mm256_add_pd(look::<N>(&base, k, upper), q)
            };
            let scored = _mm256_and_pd(live, ok);
            // 0 where the row is not scored, as the portable loop adds.
            let we = keep(scored, w);
            let ws = keep(scored, _mm256_mul_pd(w, score));
            let sum = sum.get_mut(r..).and_then(|c| c.first_chunk_mut::<4>());
            let wsum = wsum.get_mut(r..).and_then(|c| c.first_chunk_mut::<4>());
            if let (Some(sum), Some(wsum)) = (sum, wsum) {
                if first {
                    store(sum, ws);
                    store(wsum, we);
                } else {
                    store(sum, _mm256_add_pd(load(sum), ws));
                    store(wsum, _mm256_add_pd(load(wsum), we));
                }
            }
            bits4(_mm256_andnot_pd(ok, valid))
        }};
    }
    // Which of eight rows from `r` hold a value, for the flags and bitmap
    // kinds (the others find out per four rows).
    let held8 = |r: usize| match HELD {
        held::BOOLS => bools8(bools, r),
        held::BITS => bits8(bits, offset.saturating_add(r)),
        _ => 0xff,
    };
    let mut bad = 0u8;
    let full = n / 8;
    let mut r = 0;
    for x in values.chunks_exact(8).take(full) {
        // The next chunk's line of values, and of flags (a line holds
        // 64 rows' flags): see [`Next`].
        if let Some(v) = next.values.get(r) {
            _mm_prefetch::<_MM_HINT_T0>((v as *const f64).cast());
        }
        if HELD == held::BOOLS && r % 64 == 0 {
            if let Some(f) = next.flags.get(r) {
                _mm_prefetch::<_MM_HINT_T0>((f as *const bool).cast());
            }
        }
        let h = held8(r);
        if let (Some(x0), Some(x1)) = (x.first_chunk::<4>(), x.last_chunk::<4>()) {
            bad |= quad!(r, 0xf, h & 0xf, load(x0));
            bad |= quad!(r + 4, 0xf, h >> 4, load(x1));
        }
        r += 8;
    }
    // The short last rows, four at a time: lanes past the chunk read as
    // 0 and are neither scored nor checked.
    while r < n {
        let left = (n - r).min(4);
        let mut xs = [0.0; 4];
        for (dst, v) in xs.iter_mut().zip(values.get(r..).unwrap_or(&[])) {
            *dst = *v;
        }
        bad |= quad!(r, (1u8 << left) - 1, held8(r) & 0xf, load(&xs));
        r += 4;
    }
    bad != 0
}
