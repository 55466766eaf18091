//! The commonest curve loop (the portable `curves::linear_plain`, and
//! the same for domains reaching below 0) written with AVX-512
//! instructions, for CPUs that have them.
//!
//! The loop is bound by the CPU's two 512-bit ports, so what counts is
//! vector operations per value. The portable loop, as the compiler
//! vectorises it, selects each row's piece field by field with a compare
//! and a blend per piece, rounds by adding and subtracting 1.5·2⁵², and
//! corrects each quotient. Here the row's piece number is found once (a
//! blend per piece start) and each field looked up in an 8-entry table
//! held in a register (`vpermpd`: one instruction a field), rounding is
//! the CPU's own (`vrndscalepd`), and most curves' pieces are scored in
//! one step (see `Shape::Linear::direct`). The loop is compiled for one
//! kind of validity at a time and runs whole 8-row blocks apart from the
//! chunk's short last one, so that nothing scalar is decided per block;
//! it reads the next chunk's values ahead (see `prepare::Next`). The
//! results are the portable loop's, exactly (the property tests compare
//! both kernels with the row API).

use core::arch::x86_64::*;

use super::{load, store};
use crate::batch::kernel::prepare::{bits8, bools8, held, Held, Next};
use crate::batch::kernel::{Scratch, CHUNK};
use crate::batch::plan::{MetricPlan, Piece};

/// One field of the first eight pieces as a register (padding lanes are
/// never selected: their piece starts at +∞).
#[inline]
#[target_feature(enable = "avx512f")]
fn table(pieces: &[Piece], field: impl Fn(&Piece) -> f64, pad: f64) -> __m512d {
    let mut t = [pad; 8];
    for (dst, p) in t.iter_mut().zip(pieces) {
        *dst = field(p);
    }
    load(&t)
}

/// `N` (1 to 8) pieces of a curve that holds its end scores beyond its
/// ends, one weight for every scorecard, no worst-wins and no imputation:
/// each row's score added to its dimension's sums where the row's value
/// is live and passes its check. Returns whether some valid value failed
/// its check. `DIRECT`: every piece may be scored in one step. `SIGNED`:
/// the curve reaches below 0. `HELD`: `held`'s variant (see [`held`]).
/// `first`: the metric is the first of its dimension in this chunk, so
/// its scores are stored in the sums instead of added to them (which
/// saves clearing them first).
///
/// Rounding `v = clamp(x·10⁶)` to whole millionths, ties away from zero,
/// is `⌊|v| + ½⌋` with the sign of `v` (for `v ≥ 0`, just `⌊v + ½⌋`): for
/// `|v| < 2⁵¹` the sum `|v| + ½` is exact or rounds to a neighbour within
/// the same unit interval, so its floor is the row API's rounding.
/// Otherwise `⌊(a·m + b)/c⌋` keeps the portable loop's multiply by
/// `fl(1/c)` and its correction, the round-to-nearest done by
/// `vrndscalepd` instead of adding and subtracting 1.5·2⁵² (the same
/// result below 2⁵¹).
///
/// A row's piece is the last whose start it reaches: the starts ascend,
/// so the rows reaching a start reach every earlier one, and a blend per
/// start (one instruction) finds it.
#[target_feature(enable = "avx512f,avx512dq")]
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
    let mut from = [_mm512_set1_pd(f64::INFINITY); 8];
    for (f, p) in from.iter_mut().zip(pieces) {
        *f = _mm512_set1_pd(p.from);
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
    let (lo, hi) = (_mm512_set1_pd(mp.lo), _mm512_set1_pd(mp.hi));
    let (lo_y, hi_y) = (_mm512_set1_pd(mp.lo_y), _mm512_set1_pd(mp.hi_y));
    let w = _mm512_set1_pd(mp.same_weight.unwrap_or(0.0));
    let zero = _mm512_setzero_pd();
    let one = _mm512_set1_pd(1.0);
    let half = _mm512_set1_pd(0.5);
    let sign = _mm512_set1_pd(-0.0);
    let million = _mm512_set1_pd(1e6);
    let mut index = [_mm512_setzero_si512(); 8];
    for (i, k) in index.iter_mut().enumerate() {
        *k = _mm512_set1_epi64(i as i64);
    }
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
    // One block of eight rows from `r`; `lanes`: those inside the chunk.
    // Returns the lanes holding a value that fails its check.
    // (A macro, not a closure: the compiler declined to inline the
    // closure, and the loop's iterators with it.)
    macro_rules! block {
        ($r:expr, $lanes:expr, $x:expr) => {{
            let (r, lanes, x): (usize, __mmask8, __m512d) = ($r, $lanes, $x);
            // Rows holding a value, and those fresh enough to score.
            let (valid, live) = match HELD {
                held::PREPARED => {
                    let at = |c: &[f64; CHUNK]| match c.get(r..).and_then(|c| c.first_chunk::<8>())
                    {
                        Some(c) => *c,
                        None => [0.0; 8],
                    };
                    (
                        _mm512_mask_cmp_pd_mask::<_CMP_GT_OQ>(lanes, load(&at(valid_col)), zero),
                        _mm512_mask_cmp_pd_mask::<_CMP_GT_OQ>(lanes, load(&at(live_col)), zero),
                    )
                }
                held::BOOLS => {
                    let m = bools8(bools, r) & lanes;
                    (m, m)
                }
                held::BITS => {
                    let m = bits8(bits, offset.saturating_add(r)) & lanes;
                    (m, m)
                }
                _ => (lanes, lanes),
            };
            let y = _mm512_mul_pd(x, million);
            let ok = if flag {
                _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(x, zero) | _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(x, one)
            } else {
                _mm512_mask_cmp_pd_mask::<_CMP_LE_OQ>(
                    _mm512_cmp_pd_mask::<_CMP_GE_OQ>(y, lo_y),
                    y,
                    hi_y,
                )
            };
            // `max(y, lo)` is `lo` when y is NaN (the second operand), as
            // the portable clamp.
            let v = _mm512_min_pd(_mm512_max_pd(y, lo), hi);
            let m = if SIGNED {
                // Half away from zero: ⌊|v| + ½⌋ with the sign of v.
                let r = _mm512_roundscale_pd::<FLOOR>(_mm512_add_pd(_mm512_abs_pd(v), half));
                _mm512_or_pd(r, _mm512_and_pd(v, sign))
            } else {
                _mm512_roundscale_pd::<FLOOR>(_mm512_add_pd(v, half))
            };
            let mut k = _mm512_setzero_si512();
            for j in 1..N.min(8) {
                if let (Some(f), Some(i)) = (from.get(j), index.get(j)) {
                    k = _mm512_mask_mov_epi64(k, _mm512_cmp_pd_mask::<_CMP_GE_OQ>(m, *f), *i);
                }
            }
            let am = _mm512_mul_pd(_mm512_permutexvar_pd(k, a), m);
            let score = if DIRECT {
                // ⌊(a·m + b_base)·inv_up⌋ (exact: see `Shape::Linear::direct`).
                let t = _mm512_add_pd(am, _mm512_permutexvar_pd(k, b));
                _mm512_roundscale_pd::<FLOOR>(_mm512_mul_pd(t, _mm512_permutexvar_pd(k, inv)))
            } else {
                let t = _mm512_add_pd(am, _mm512_permutexvar_pd(k, b));
                let c = _mm512_permutexvar_pd(k, c);
                let q = _mm512_roundscale_pd::<NEAREST>(_mm512_mul_pd(
                    t,
                    _mm512_permutexvar_pd(k, inv),
                ));
                let r = _mm512_sub_pd(t, _mm512_mul_pd(q, c));
                let q = _mm512_mask_sub_pd(q, _mm512_cmp_pd_mask::<_CMP_LT_OQ>(r, zero), q, one);
                _mm512_add_pd(_mm512_permutexvar_pd(k, base), q)
            };
            let scored = live & ok;
            // 0 where the row is not scored, as the portable loop adds.
            let we = _mm512_maskz_mov_pd(scored, w);
            let ws = _mm512_maskz_mul_pd(scored, w, score);
            let sum = sum.get_mut(r..).and_then(|c| c.first_chunk_mut::<8>());
            let wsum = wsum.get_mut(r..).and_then(|c| c.first_chunk_mut::<8>());
            if let (Some(sum), Some(wsum)) = (sum, wsum) {
                if first {
                    store(sum, ws);
                    store(wsum, we);
                } else {
                    store(sum, _mm512_add_pd(load(sum), ws));
                    store(wsum, _mm512_add_pd(load(wsum), we));
                }
            }
            valid & !ok
        }};
    }
    let mut bad: __mmask8 = 0;
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
        if let Ok(x) = <&[f64; 8]>::try_from(x) {
            bad |= block!(r, 0xff, load(x));
        }
        r += 8;
    }
    let left = n - full * 8;
    if left > 0 {
        // The short last block: its other lanes read as 0 and are
        // neither scored nor checked.
        let mut xs = [0.0; 8];
        for (dst, v) in xs.iter_mut().zip(values.get(r..).unwrap_or(&[])) {
            *dst = *v;
        }
        bad |= block!(r, (1u8 << left) - 1, load(&xs));
    }
    bad != 0
}
