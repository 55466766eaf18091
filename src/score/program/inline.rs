//! A curve held inline by the row path's program: at most [`PIECES`]
//! exact linear pieces (or steps), each scored through a precomputed
//! reciprocal (see [`Piece`]).

use super::PIECES;
use crate::curve::Curve;
use crate::points::gcd;

/// A curve of at most [`PIECES`] pieces, inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Inline {
    /// A value is clamped to `[lo, hi]` before its piece is found.
    pub(super) lo: i64,
    pub(super) hi: i64,
    /// A value outside `[in_lo, in_hi]` has no score (a bounded curve's
    /// ends; the whole range for other curves).
    pub(super) in_lo: i64,
    pub(super) in_hi: i64,
    /// Where pieces `1..` start, rising; unused entries repeat the last
    /// start's successor's piece (see `pieces`).
    pub(super) starts: [i64; PIECES - 1],
    /// The pieces; entries past the last real piece copy it, so a value
    /// that counts an unused start picks the same score.
    pub(super) pieces: [Piece; PIECES],
    /// Every piece's reciprocal is exact (no correction step).
    pub(super) exact: bool,
    /// Each piece's divisor `d`, for the correction step.
    pub(super) ds: [u64; PIECES],
}

/// `score = ⌊(a·t + b) / d⌋` with `t` the distance `x − x0` from a rising
/// piece's start or `x1 − x` from a falling piece's end, computed from
/// `n = a·(x ^ flip) + c` (wrapping; `flip = 0` when rising, `−1` when
/// falling, as `!x = −x − 1`), which is `a·t + b` exactly: the wrapped
/// terms cancel modulo 2⁶⁴ and the true value is below 2⁶³.
///
/// The quotient is `q = ⌊n·m / 2⁶⁴⌋`:
/// * **exact** pieces, `m = ⌈2⁶⁴/d⌉`: with `e = m·d − 2⁶⁴ < d` and
///   `n = q·d + r`, `n·m / 2⁶⁴ = q + (r + n·e/2⁶⁴)/d`, whose floor is `q`
///   when `n·e < 2⁶⁴` for every `n` of the piece ([`piece`] checks it);
/// * otherwise `m = ⌊(2⁶⁴ − 1)/d⌋`, and `q` may be one short: one
///   comparison with `d` (kept in [`Inline::ds`]) corrects it, as
///   [`Divisor`](crate::points::Divisor) does.
///
/// A step is the constant piece `a = 0`, `c = 2·score`, `d = 2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Piece {
    pub(super) flip: i64,
    pub(super) a: u64,
    pub(super) c: u64,
    pub(super) m: u64,
}

impl Inline {
    /// The inline form of a curve; `None` when it has more than
    /// [`PIECES`] pieces or a piece's products could exceed 63 bits.
    pub(super) fn of(curve: &Curve) -> Option<Inline> {
        let xs = curve.breakpoints();
        let (&first, &last) = (xs.first()?, xs.last()?);
        let (zero, two) = constant(0);
        let (mut pieces, mut ds) = ([zero; PIECES], [two; PIECES]);
        let mut starts = [i64::MAX; PIECES - 1];
        if let Some(scores) = curve.step_scores() {
            // Steps: no clamping; piece k (the k-th score) from the k-th threshold.
            if scores.len() > PIECES {
                return None;
            }
            for (k, &s) in scores.iter().enumerate() {
                *pieces.get_mut(k)? = constant(s).0;
                if let Some(k) = k.checked_sub(1) {
                    *starts.get_mut(k)? = *xs.get(k)?;
                }
            }
            pad(&mut pieces, scores.len());
            return Some(Inline {
                lo: i64::MIN,
                hi: i64::MAX,
                in_lo: i64::MIN,
                in_hi: i64::MAX,
                starts,
                pieces,
                exact: true,
                ds,
            });
        }
        let n = curve.pieces().count();
        if n == 0 || n > PIECES {
            return None;
        }
        // Exact reciprocals where every piece has one, else corrected ones.
        let exact = curve
            .pieces()
            .all(|(x0, x1, base, dy, rising)| piece(x0, x1, base, dy, rising, true).is_some());
        for (k, (x0, x1, base, dy, rising)) in curve.pieces().enumerate() {
            (*pieces.get_mut(k)?, *ds.get_mut(k)?) = piece(x0, x1, base, dy, rising, exact)?;
            if let Some(k) = k.checked_sub(1) {
                *starts.get_mut(k)? = x0;
            }
        }
        pad(&mut pieces, n);
        pad(&mut ds, n);
        let (in_lo, in_hi) = if curve.is_bounded() {
            (first, last)
        } else {
            (i64::MIN, i64::MAX)
        };
        Some(Inline {
            lo: first,
            hi: last,
            in_lo,
            in_hi,
            starts,
            pieces,
            exact,
            ds,
        })
    }

    /// [`eval`](Self::eval) with the correction step where the curve needs it.
    #[inline(always)]
    pub(super) fn score(&self, x: i64) -> (u32, bool) {
        if self.exact {
            self.eval::<true>(x)
        } else {
            self.eval::<false>(x)
        }
    }

    /// The score of a value in millionths, and whether the value is in
    /// the curve's range (always, but for a bounded curve); with `EXACT`
    /// (the curve's reciprocals are exact), no correction step.
    #[inline(always)]
    pub(super) fn eval<const EXACT: bool>(&self, x: i64) -> (u32, bool) {
        let inside = (x >= self.in_lo) & (x <= self.in_hi);
        let x = x.max(self.lo).min(self.hi);
        let k = self
            .starts
            .iter()
            .map(|&s| usize::from(x >= s))
            .sum::<usize>();
        let k = k & (PIECES - 1);
        let p = &self.pieces[k];
        let n = p.a.wrapping_mul((x ^ p.flip) as u64).wrapping_add(p.c);
        let q = ((u128::from(n) * u128::from(p.m)) >> 64) as u64;
        let q = if EXACT {
            q
        } else {
            q + u64::from((q + 1) * self.ds[k] <= n)
        };
        (q as u32, inside)
    }
}

/// A step: the constant piece `⌊2·score / 2⌋`.
fn constant(score: u32) -> (Piece, u64) {
    let piece = Piece {
        flip: 0,
        a: 0,
        c: u64::from(score) * 2,
        m: 1 << 63,
    };
    (piece, 2)
}

/// The piece `[x0, x1]` scoring `base + round(t·dy/(x1 − x0))`, ties up,
/// as `⌊(a·t + b) / d⌋` with the slope reduced by its gcd: `a = dy/g`,
/// `d = (x1 − x0)/g`, `b = ⌊d/2⌋ + base·d` (rounding half up is
/// `⌊r + 1/2⌋`, which depends only on the ratio); `d = 1` is doubled
/// (`⌈2⁶⁴/1⌉` does not fit). With `exact`, the exact reciprocal (`None`
/// when it is not exact over the piece); without, the corrected one.
/// `None` too when the piece's largest `n`, `a·(x1 − x0) + b`, reaches
/// 2⁶³. With its divisor `d`.
fn piece(x0: i64, x1: i64, base: u32, dy: u32, rising: bool, exact: bool) -> Option<(Piece, u64)> {
    let dx = u64::try_from(x1.checked_sub(x0)?)
        .ok()
        .filter(|dx| *dx > 0)?;
    let g = gcd(dx, u64::from(dy)).max(1);
    let scale = if dx / g == 1 { 2 } else { 1 };
    let (a, d) = (u64::from(dy) / g * scale, dx / g * scale);
    let b = (d / 2).checked_add(u64::from(base).checked_mul(d)?)?;
    let top = dx.checked_mul(a)?.checked_add(b)?;
    if top >= 1 << 63 {
        return None;
    }
    let (two64, d128) = (1u128 << 64, u128::from(d));
    let m = if exact {
        let m = two64.div_ceil(d128);
        (u128::from(top) * (m * d128 - two64) < two64).then_some(m)?
    } else {
        u128::from(u64::MAX / d)
    };
    // n = a·((x ^ flip) − anchor) + b.
    let anchor = if rising { x0 } else { !x1 };
    let piece = Piece {
        flip: if rising { 0 } else { -1 },
        a,
        c: b.wrapping_sub(a.wrapping_mul(anchor as u64)),
        m: u64::try_from(m).ok()?,
    };
    Some((piece, d))
}

/// Copies the last real piece (and divisor) over the unused ones.
fn pad<T: Copy>(pieces: &mut [T; PIECES], n: usize) {
    if let Some(&last) = n.checked_sub(1).and_then(|i| pieces.get(i)) {
        pieces.iter_mut().skip(n).for_each(|p| *p = last);
    }
}
