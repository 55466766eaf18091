//! One metric column of a chunk: the curve (piecewise linear or steps)
//! and the per-dimension accumulation (its validity and dates are
//! `prepare`'s).

use super::plain::{unprepared, wide_plain, wide_plain_any};
use super::prepare::{prepare, Held, Next};
use super::*;

#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn metric<const W: u8>(
    mp: &MetricPlan,
    impute: bool,
    first: bool,
    column: &MetricColumn<'_>,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
) {
    // The commonest column in the wide kernel: read straight from its
    // validity, no scratch columns prepared.
    if W != wide::NONE {
        if let Some((values, held, next)) = unprepared(mp, impute, column, r0, n) {
            let bad = wide_plain_any::<W>(mp, held, values, next, first, s);
            if bad {
                prepare(mp, column, batch, bound, r0, n, s);
                find_bad(mp, values, s);
            }
            return;
        }
    }
    if first {
        clear(mp.dim & 3, n, s);
    }
    prepare(mp, column, batch, bound, r0, n, s);
    let Some(values) = column.values.get(r0..r0 + n) else {
        return;
    };
    let gather = mp.same_weight.is_none();
    let bad = match &mp.shape {
        Shape::Linear {
            pieces,
            bounded,
            direct,
        } => {
            let p = pieces.as_slice();
            // The portable plain loop rounds as a domain starting at 0 or
            // above allows; the wide one rounds negative values too.
            let wide = W != wide::NONE && cfg!(target_arch = "x86_64");
            let plain = !mp.worst && !impute && !gather && !*bounded && (wide || mp.lo >= 0.0);
            // The instantiation for this metric's flags: inlined into the
            // wide kernel, a call of its own in the build target's.
            macro_rules! call {
                ($n:literal, $w:literal, $i:literal, $g:literal) => {
                    if W != wide::NONE {
                        linear::<$n, $w, $i, $g>(mp, p, *bounded, values, s)
                    } else {
                        linear_out::<$n, $w, $i, $g>(mp, p, *bounded, values, s)
                    }
                };
            }
            macro_rules! plain {
                ($n:literal) => {
                    if W != wide::NONE {
                        wide_plain::<W, $n>(
                            mp,
                            p,
                            *direct,
                            values,
                            Held::Prepared,
                            Next::default(),
                            false,
                            s,
                        )
                    } else {
                        linear_plain_out::<$n>(mp, p, values, s)
                    }
                };
            }
            macro_rules! go {
                ($n:literal) => {
                    match (mp.worst, impute, gather) {
                        (false, false, false) if plain => plain!($n),
                        (false, false, false) => call!($n, false, false, false),
                        (false, false, true) => call!($n, false, false, true),
                        (false, true, false) => call!($n, false, true, false),
                        (false, true, true) => call!($n, false, true, true),
                        (true, false, false) => call!($n, true, false, false),
                        (true, false, true) => call!($n, true, false, true),
                        (true, true, false) => call!($n, true, true, false),
                        (true, true, true) => call!($n, true, true, true),
                    }
                };
            }
            match p.len() {
                1 => go!(1),
                2 => go!(2),
                // Three pieces padded to four: the plain path leaves out
                // the padding, a piece no value selects.
                4 if plain && p.get(3).is_some_and(|x| x.from == f64::INFINITY) => plain!(3),
                4 => go!(4),
                _ => go!(8),
            }
        }
        Shape::Steps { thresholds, scores } => steps(mp, impute, thresholds, scores, values, s),
    };
    if bad {
        find_bad(mp, values, s);
    }
}

/// Rare: some value failed its check; marks the rows (`s.valid` prepared).
fn find_bad(mp: &MetricPlan, values: &[f64], s: &mut Scratch) {
    for (r, &x) in values.iter().enumerate().take(CHUNK) {
        s.bad[r] |= (s.valid[r] > 0.0) & !check(mp, x, x * 1e6);
    }
}

/// The value check: a flag is 0 or 1; any other kind's `round(x·10⁶)`
/// lies in its range (beyond ±10¹² for unbounded kinds, as the row API;
/// NaN fails every comparison).
#[inline(always)]
fn check(mp: &MetricPlan, x: f64, y: f64) -> bool {
    if mp.flag {
        (x == 0.0) | (x == 1.0)
    } else {
        (y >= mp.lo_y) & (y <= mp.hi_y)
    }
}

/// `v` clamped to `[lo, hi]` (a NaN becomes `lo`; its row is refused).
#[inline(always)]
fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    let v = if v > lo { v } else { lo };
    if v < hi {
        v
    } else {
        hi
    }
}

/// Adds one metric's score of row `r` (scored when `scored` is 1, else
/// imputed or left out) to its dimension's accumulators.
#[inline(always)]
fn accumulate<const WORST: bool, const IMPUTE: bool, const GATHER: bool>(
    mp: &MetricPlan,
    s: &mut Scratch,
    r: usize,
    scored: bool,
    score: f64,
    imputed: f64,
    same_weight: f64,
) {
    let d = mp.dim & 3;
    let w = if GATHER { s.weight[r] } else { same_weight };
    if IMPUTE {
        // The dimension tracks data apart from the weight scored: this
        // metric's row counts when scored or when the metric imputes.
        let counted = scored | mp.missing.is_some();
        let we = if counted { w } else { 0.0 };
        let sc = if scored { score } else { imputed };
        s.sum[d][r] += we * sc;
        s.wsum[d][r] += we;
        s.data[d][r] += if scored { w } else { 0.0 };
        if WORST {
            let m = if GATHER { s.member[r] > 0.0 } else { true };
            s.worst[d][r] = s.worst[d][r].min(if counted & m { sc } else { f64::INFINITY });
        }
    } else {
        let we = if scored { w } else { 0.0 };
        s.sum[d][r] += we * score;
        s.wsum[d][r] += we;
        if WORST {
            let m = if GATHER { s.member[r] > 0.0 } else { true };
            s.worst[d][r] = s.worst[d][r].min(if scored & m { score } else { f64::INFINITY });
        }
    }
}

/// A piecewise-linear metric; returns whether some value failed its check.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn linear<const N: usize, const WORST: bool, const IMPUTE: bool, const GATHER: bool>(
    mp: &MetricPlan,
    pieces: &[Piece],
    bounded: bool,
    values: &[f64],
    s: &mut Scratch,
) -> bool {
    let (p, step) = steps_of::<N>(pieces);
    let imputed = mp.missing.unwrap_or(0.0);
    let same_weight = mp.same_weight.unwrap_or(0.0);
    let (lo, hi) = (mp.lo, mp.hi);
    // An integer reduction (a float one would not vectorise).
    let mut bad = false;
    let n = values.len().min(CHUNK);
    for r in 0..n {
        let x = values[r];
        let y = x * 1e6;
        let ok = check(mp, x, y);
        bad |= !ok & (s.valid[r] > 0.0);
        let m = round_half_away(clamp(y, mp.clamp_lo, mp.clamp_hi));
        let inside = !bounded | ((m >= lo) & (m <= hi));
        let m = clamp(m, lo, hi);
        let score = piece_score(&p, &step, m);
        let scored = (s.live[r] > 0.0) & ok & inside;
        accumulate::<WORST, IMPUTE, GATHER>(mp, s, r, scored, score, imputed, same_weight);
    }
    bad
}

/// [`linear`] for the commonest metric: a curve that holds its end scores
/// beyond its ends (not bounded), over a domain that starts at 0 or above,
/// one weight for every scorecard, no worst-wins, no imputation. Clamping
/// to the curve's ends before rounding gives what [`linear`] gives
/// (rounding is monotone and the ends are whole millionths), and a
/// clamped value is not negative, so a tie only ever rounds up: three
/// steps fewer per value.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub(super) fn linear_plain<const N: usize>(
    mp: &MetricPlan,
    pieces: &[Piece],
    values: &[f64],
    s: &mut Scratch,
) -> bool {
    let (p, step) = steps_of::<N>(pieces);
    let w = mp.same_weight.unwrap_or(0.0);
    let (lo, hi) = (mp.lo, mp.hi);
    let d = mp.dim & 3;
    let mut bad = false;
    let n = values.len().min(CHUNK);
    for r in 0..n {
        let x = values[r];
        let y = x * 1e6;
        let ok = check(mp, x, y);
        bad |= !ok & (s.valid[r] > 0.0);
        let v = clamp(y, lo, hi);
        let m = (v + ROUND) - ROUND;
        let m = m + if v - m == 0.5 { 1.0 } else { 0.0 };
        let score = piece_score(&p, &step, m);
        let we = if (s.live[r] > 0.0) & ok { w } else { 0.0 };
        s.sum[d][r] += we * score;
        s.wsum[d][r] += we;
    }
    bad
}

/// Sets a dimension's sums of the chunk's first `n` rows to 0.
#[inline(always)]
pub(super) fn clear(d: usize, n: usize, s: &mut Scratch) {
    let n = n.min(CHUNK);
    if let (Some(sum), Some(wsum)) = (s.sum.get_mut(d), s.wsum.get_mut(d)) {
        sum[..n].fill(0.0);
        wsum[..n].fill(0.0);
    }
}

/// [`linear_plain`] as a function of its own, as [`linear_out`].
#[inline(never)]
fn linear_plain_out<const N: usize>(
    mp: &MetricPlan,
    pieces: &[Piece],
    values: &[f64],
    s: &mut Scratch,
) -> bool {
    linear_plain::<N>(mp, pieces, values, s)
}

/// The score at `m` (whole millionths within the curve's ends) on the
/// piece holding it, selected field by field with no branch.
#[inline(always)]
fn piece_score<const N: usize>(p: &[Piece; N], step: &[Piece; N], m: f64) -> f64 {
    let (mut a, mut b, mut c, mut inv, mut base) = (p[0].a, p[0].b, p[0].c, p[0].inv, p[0].base);
    for piece in step.iter().skip(1) {
        let t = m >= piece.from;
        a += if t { piece.a } else { 0.0 };
        b += if t { piece.b } else { 0.0 };
        c += if t { piece.c } else { 0.0 };
        inv = if t { piece.inv } else { inv };
        base += if t { piece.base } else { 0.0 };
    }
    base + floor_mul(a * m + b, c, inv)
}

/// The first `N` pieces, and each piece's fields as steps from the
/// previous piece's: selecting by adding masked steps takes an `and` and
/// an `add` per field (exact: every partial sum is some piece's field).
#[inline(always)]
fn steps_of<const N: usize>(pieces: &[Piece]) -> ([Piece; N], [Piece; N]) {
    let mut p = [Piece::default(); N];
    for (dst, src) in p.iter_mut().zip(pieces) {
        *dst = *src;
    }
    let mut step = [Piece::default(); N];
    for j in 1..N {
        step[j] = Piece {
            from: p[j].from,
            a: p[j].a - p[j - 1].a,
            b: p[j].b - p[j - 1].b,
            c: p[j].c - p[j - 1].c,
            inv: p[j].inv,
            base: p[j].base - p[j - 1].base,
            // Not used by the portable loops.
            b_base: 0.0,
            inv_up: 0.0,
        };
    }
    (p, step)
}

/// [`linear`] as a function of its own: for the build target's kernel,
/// where inlining every instantiation into one body costs more than the
/// calls (the wide kernels inline them all).
#[inline(never)]
fn linear_out<const N: usize, const WORST: bool, const IMPUTE: bool, const GATHER: bool>(
    mp: &MetricPlan,
    pieces: &[Piece],
    bounded: bool,
    values: &[f64],
    s: &mut Scratch,
) -> bool {
    linear::<N, WORST, IMPUTE, GATHER>(mp, pieces, bounded, values, s)
}

/// A step metric; returns whether some value failed its check.
#[inline(always)]
fn steps(
    mp: &MetricPlan,
    impute: bool,
    thresholds: &[f64],
    scores: &[f64],
    values: &[f64],
    s: &mut Scratch,
) -> bool {
    let below = scores.first().copied().unwrap_or(0.0);
    let imputed = mp.missing.unwrap_or(0.0);
    let mut bad = false;
    if let Some(w) = mp.same_weight {
        let n = values.len().min(CHUNK);
        s.weight[..n].fill(w);
        s.member[..n].fill(1.0);
    }
    for (r, &x) in values.iter().enumerate().take(CHUNK) {
        let y = x * 1e6;
        let ok = check(mp, x, y);
        bad |= !ok & (s.valid[r] > 0.0);
        let m = round_half_away(clamp(y, mp.clamp_lo, mp.clamp_hi));
        let mut score = below;
        for (t, sc) in thresholds.iter().zip(scores.iter().skip(1)) {
            if m >= *t {
                score = *sc;
            }
        }
        let scored = (s.live[r] > 0.0) & ok;
        match (mp.worst, impute) {
            (false, false) => {
                accumulate::<false, false, true>(mp, s, r, scored, score, imputed, 0.0)
            }
            (false, true) => accumulate::<false, true, true>(mp, s, r, scored, score, imputed, 0.0),
            (true, false) => accumulate::<true, false, true>(mp, s, r, scored, score, imputed, 0.0),
            (true, true) => accumulate::<true, true, true>(mp, s, r, scored, score, imputed, 0.0),
        }
    }
    bad
}
