//! The columnar kernel: a chunk of rows at a time, one metric column at a
//! time, in exact integers held by `f64` (see [`plan`](super::plan)).

use super::columns::{Dates, MetricColumn, Validity};
use super::input::Batch;
use super::output::Out;
use super::plan::{MetricPlan, Piece, Plan, Shape, MAX_CARDS};
use super::rows::{locate, Bound};
use crate::band::Band;
use crate::model::Model;
use crate::points::Points;

/// Rows per chunk: the accumulators of a chunk stay in the L1 cache.
pub(crate) const CHUNK: usize = 256;

/// `1.5·2⁵²`: adding and subtracting it rounds an `f64` of magnitude
/// below 2⁵¹ to an integer, ties to even.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `⌊a / b⌋` for integers `0 ≤ a < 2⁵¹`, `0 < b < 2⁵¹` held by `f64`.
#[inline(always)]
fn floor_div(a: f64, b: f64) -> f64 {
    let q = a / b;
    let r = (q + ROUND) - ROUND;
    r - if r > q { 1.0 } else { 0.0 }
}

/// `⌊a / c⌋` for integers `0 ≤ a < 2⁵¹`, `0 < c < 2⁵¹` held by `f64`
/// whose quotient is below 2²⁸, with `inv = fl(1/c)`: a multiply instead
/// of a division. `a·inv` is within `2⁻²³` of `a/c`, so its nearest
/// integer `q` is the floor or one above it; `a − q·c` (exact: both terms
/// are integers below 2⁵²) is negative exactly in the second case.
#[inline(always)]
fn floor_mul(a: f64, c: f64, inv: f64) -> f64 {
    let q = (a * inv + ROUND) - ROUND;
    let r = a - q * c;
    q - if r < 0.0 { 1.0 } else { 0.0 }
}

/// The row API's `round_half_away` for `|v| < 2⁵¹`.
#[inline(always)]
fn round_half_away(v: f64) -> f64 {
    let r = (v + ROUND) - ROUND;
    let d = v - r;
    // A tie rounded to even toward zero moves one step away from zero:
    // up when d = ½ and v > 0, down when d = −½ and v < 0 (`&`, not
    // `&&`: no branch, so the loop vectorises).
    let up = (d == 0.5) & (v > 0.0);
    let down = (d == -0.5) & (v < 0.0);
    r + if up { 1.0 } else { 0.0 } - if down { 1.0 } else { 0.0 }
}

/// The instruction sets the kernel is compiled for: the crate's build
/// target, and where the running CPU has it, AVX-512 (8 lanes of `f64`,
/// masked selects), chosen at run time. (An AVX2 build was tried: the
/// compiler's cost model declines to vectorise the curve pass for it, so
/// AVX2-only CPUs run the build target's kernel, vectorised 2 wide.) The arithmetic
/// is the same IEEE `f64` on every path (no fused multiply-add is formed:
/// Rust does not contract `a*b + c`), so the results are identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Baseline,
    Avx512,
}

impl Isa {
    /// The widest the running CPU has.
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx2") {
                return Isa::Avx512;
            }
        }
        Isa::Baseline
    }
}

/// Scores rows `r0 .. r0 + n` (`n ≤ CHUNK`) into `out` (whose row 0 is
/// `r0`), with the kernel compiled for `isa`.
#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)] // calls the kernel compiled for features checked at run time
pub(crate) fn chunk(
    isa: Isa,
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: `Isa::detect` found these features on this CPU.
        Isa::Avx512 => return unsafe { chunk_avx512(model, plan, batch, bound, r0, n, s, out) },
        Isa::Baseline => {}
    }
    let _ = isa;
    chunk_impl::<false>(model, plan, batch, bound, r0, n, s, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx,sse4.1,sse4.2")]
#[allow(clippy::too_many_arguments)]
fn chunk_avx512(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    chunk_impl::<true>(model, plan, batch, bound, r0, n, s, out)
}

/// Per-chunk working memory (one per thread).
pub(crate) struct Scratch {
    card: [u32; CHUNK],
    bad: [bool; CHUNK],
    /// Row's as-of day (chrono's day number).
    as_of: [i64; CHUNK],
    /// 1 where the metric's column holds a value, else 0.
    valid: [f64; CHUNK],
    /// 1 where it holds a value fresh enough to score, else 0.
    live: [f64; CHUNK],
    weight: [f64; CHUNK],
    /// 1 where the row's scorecard scores the metric, else 0.
    member: [f64; CHUNK],
    stale: [u16; CHUNK],
    sum: [[f64; CHUNK]; 4],
    wsum: [[f64; CHUNK]; 4],
    data: [[f64; CHUNK]; 4],
    worst: [[f64; CHUNK]; 4],
    /// Results before they are written out (−1: none).
    dim_out: [[f64; CHUNK]; 4],
    cov_out: [[f64; CHUNK]; 4],
    overall_out: [f64; CHUNK],
    coverage_out: [f64; CHUNK],
    level_out: [f64; CHUNK],
    measured: [f64; CHUNK],
    /// Each row's scorecard fields.
    g_w: [[f64; CHUNK]; 4],
    g_total: [[f64; CHUNK]; 4],
    g_worst: [[f64; CHUNK]; 4],
    g_wt: [f64; CHUNK],
    g_inv_total: [[f64; CHUNK]; 4],
    g_inv_wt: [f64; CHUNK],
    g_green: [f64; CHUNK],
    g_lime: [f64; CHUNK],
    g_yellow: [f64; CHUNK],
    g_min: [f64; CHUNK],
}

impl Scratch {
    pub(crate) fn new() -> Box<Scratch> {
        Box::new(Scratch {
            card: [0; CHUNK],
            bad: [false; CHUNK],
            as_of: [0; CHUNK],
            valid: [0.0; CHUNK],
            live: [0.0; CHUNK],
            weight: [0.0; CHUNK],
            member: [0.0; CHUNK],
            stale: [0; CHUNK],
            sum: [[0.0; CHUNK]; 4],
            wsum: [[0.0; CHUNK]; 4],
            data: [[0.0; CHUNK]; 4],
            worst: [[0.0; CHUNK]; 4],
            dim_out: [[0.0; CHUNK]; 4],
            cov_out: [[0.0; CHUNK]; 4],
            overall_out: [0.0; CHUNK],
            coverage_out: [0.0; CHUNK],
            level_out: [0.0; CHUNK],
            measured: [0.0; CHUNK],
            g_w: [[0.0; CHUNK]; 4],
            g_total: [[0.0; CHUNK]; 4],
            g_worst: [[0.0; CHUNK]; 4],
            g_wt: [0.0; CHUNK],
            g_inv_total: [[0.0; CHUNK]; 4],
            g_inv_wt: [0.0; CHUNK],
            g_green: [0.0; CHUNK],
            g_lime: [0.0; CHUNK],
            g_yellow: [0.0; CHUNK],
            g_min: [0.0; CHUNK],
        })
    }
}

/// Scores rows `r0 .. r0 + n` (`n ≤ CHUNK`) into `out` (whose row 0 is
/// `r0`); rows that fail a check are marked in `out.rejected`.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
fn chunk_impl<const WIDE: bool>(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    let n = n.min(CHUNK);
    let one_day = match batch.as_of {
        Dates::One(_) => batch.as_of.ce_day(0),
        Dates::Days(_) => None,
    };
    if !segments_fast(model, batch, bound, r0, n, s, out) {
        for r in 0..n {
            match locate(model, batch, bound, r0 + r) {
                Some((seg, card)) => {
                    s.card[r] = card;
                    s.bad[r] = false;
                    out.set_segment(r, seg, card);
                }
                None => {
                    s.card[r] = 0;
                    s.bad[r] = true;
                }
            }
        }
    }
    if !batch.dates.is_empty() {
        for r in 0..n {
            s.bad[r] |= !super::rows::dates_ok(batch, bound, r0 + r);
        }
    }
    for r in 0..n {
        s.as_of[r] = one_day
            .or_else(|| batch.as_of.ce_day(r0 + r))
            .unwrap_or(i64::MAX);
        s.stale[r] = 0;
    }
    for d in 0..4 {
        s.sum[d][..n].fill(0.0);
        s.wsum[d][..n].fill(0.0);
        s.data[d][..n].fill(0.0);
        s.worst[d][..n].fill(f64::INFINITY);
    }
    for (mp, column) in plan.metrics.iter().zip(&bound.metrics) {
        let impute = plan.impute[mp.dim & 3];
        metric::<WIDE>(mp, impute, column, batch, bound, r0, n, s);
    }
    if WIDE {
        finish(model, plan, batch, r0, n, s, out);
    } else {
        finish_out(model, plan, batch, r0, n, s, out);
    }
}

/// Segments and scorecards of a chunk in the common case (MRR as scaled
/// 64-bit integers, or 128-bit ones whose accepted range fits 64 bits; no
/// stage to look up): integer comparisons against the tier bounds, no
/// `Decimal`, no string. Ids and per-row as-of dates are checked here as
/// [`locate`] checks them. Returns false, doing nothing, for any other
/// batch or a chunk with an id the row API would refuse (each row is then
/// located with the row-level checks, which name the problem).
#[inline(always)]
fn segments_fast(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) -> bool {
    let seg = &model.segmentation;
    let mut wide = [0i64; CHUNK];
    let mrr: &[i64] = match batch.mrr {
        crate::batch::Mrr::Scaled64 { values, .. } => match values.get(r0..r0 + n) {
            Some(v) => v,
            None => return false,
        },
        // Arrow's Decimal128: narrowed, saturating; a value beyond i64 is
        // then beyond the accepted maximum too, and so rejected as
        // `locate` rejects it.
        crate::batch::Mrr::Scaled128 { values, .. } if bound.mrr_max < i128::from(i64::MAX) => {
            let (Some(v), Some(w)) = (values.get(r0..r0 + n), wide.get_mut(..n)) else {
                return false;
            };
            for (w, x) in w.iter_mut().zip(v) {
                *w = i64::try_from(*x).unwrap_or(if *x < 0 { i64::MIN } else { i64::MAX });
            }
            &wide[..n]
        }
        _ => return false,
    };
    let staged = batch.stages.is_some() && !seg.stages.is_empty();
    if staged || !ids_present(&batch.ids, r0, n) {
        return false;
    }
    let Some(employees) = batch.employees.get(r0..r0 + n) else {
        return false;
    };
    let days = match batch.as_of {
        Dates::Days(d) => match d.get(r0..r0 + n) {
            Some(d) => Some(d),
            None => return false,
        },
        Dates::One(_) => None,
    };
    let (max, mrr_bounds) = (bound.mrr_max64, &bound.mrr_bounds64);
    let sizes = seg.size.len().max(1);
    let stage_slots = seg.stage_slots();
    for (r, (&v, &e)) in mrr.iter().zip(employees).enumerate().take(CHUNK) {
        let m = mrr_bounds
            .iter()
            .filter(|b| v >= **b)
            .count()
            .saturating_sub(1);
        let z = seg
            .size
            .iter()
            .filter(|t| e >= t.from)
            .count()
            .saturating_sub(1);
        let segment = (m * sizes + z) * stage_slots;
        let card = model.card_of_segment.get(segment).copied();
        let day_ok = days.is_none_or(|d| {
            d.get(r).is_some_and(|d| {
                let ce = i64::from(*d) + i64::from(crate::batch::columns::UNIX_EPOCH_CE);
                (bound.first_day..=bound.last_day).contains(&ce)
            })
        });
        match card.filter(|_| day_ok && (0..=max).contains(&v)) {
            Some(card) => {
                s.card[r] = card;
                s.bad[r] = false;
                out.set_segment(r, segment as u32, card);
            }
            None => {
                s.card[r] = 0;
                s.bad[r] = true;
            }
        }
    }
    true
}

/// True when every id of rows `r0 .. r0 + n` is one the row API takes (a
/// number, or non-empty UTF-8 text).
#[inline]
fn ids_present(ids: &crate::batch::Ids<'_>, r0: usize, n: usize) -> bool {
    use crate::batch::Ids;
    match ids {
        Ids::Int(v) => v.len() >= r0 + n,
        Ids::UInt(v) => v.len() >= r0 + n,
        Ids::Str(v) => v
            .get(r0..r0 + n)
            .is_some_and(|v| v.iter().all(|s| !s.is_empty())),
        Ids::String(v) => v
            .get(r0..r0 + n)
            .is_some_and(|v| v.iter().all(|s| !s.is_empty())),
        Ids::Utf8 { offsets, data } => {
            // The chunk's bytes are UTF-8 and every row starts and ends on
            // a character boundary with at least one byte: then each row's
            // id is non-empty UTF-8.
            let Some(o) = offsets.get(r0..=r0 + n) else {
                return false;
            };
            let (Some(&first), Some(&last)) = (o.first(), o.last()) else {
                return false;
            };
            let (Ok(first), Ok(last)) = (usize::try_from(first), usize::try_from(last)) else {
                return false;
            };
            let Some(text) = data
                .get(first..last)
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                return false;
            };
            o.windows(2).all(|w| {
                w[0] < w[1]
                    && usize::try_from(w[1])
                        .ok()
                        .and_then(|e| e.checked_sub(first))
                        .is_some_and(|e| text.is_char_boundary(e))
            })
        }
    }
}

/// Validity, dates, staleness and weights of one metric's chunk.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn prepare(
    mp: &MetricPlan,
    column: &MetricColumn<'_>,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
) {
    let valid = &mut s.valid[..n];
    match column.validity {
        Validity::All => valid.fill(1.0),
        Validity::Bools(b) => match b.get(r0..r0 + n) {
            Some(b) => {
                for (v, b) in valid.iter_mut().zip(b) {
                    *v = if *b { 1.0 } else { 0.0 };
                }
            }
            None => valid.fill(0.0),
        },
        Validity::Bits { bits, offset } => {
            // The chunk's bytes of the bitmap copied into a zeroed buffer
            // (a bitmap too short reads as missing), then eight rows per
            // 16-bit window: no bounds check per row.
            let start = offset.saturating_add(r0);
            let src = bits.get(start / 8..).unwrap_or(&[]);
            let mut window = [0u8; CHUNK / 8 + 2];
            let take = src.len().min(window.len());
            if let (Some(w), Some(src)) = (window.get_mut(..take), src.get(..take)) {
                w.copy_from_slice(src);
            }
            let first = start % 8;
            for (k, rows) in valid.chunks_mut(8).enumerate() {
                let lo = u16::from(window.get(k).copied().unwrap_or(0));
                let hi = u16::from(window.get(k + 1).copied().unwrap_or(0));
                let w = (lo | hi << 8) >> first;
                for (j, x) in rows.iter_mut().enumerate() {
                    *x = f64::from((w >> j) & 1);
                }
            }
        }
    }
    match (column.observed, batch.as_of) {
        // Observed on the as-of date: neither late nor stale.
        (None, _) => s.live[..n].copy_from_slice(&s.valid[..n]),
        (Some(Dates::One(o)), Dates::One(a)) => {
            let (o, a) = (Dates::One(o).ce_day(0), Dates::One(a).ce_day(0));
            let (o, a) = (o.unwrap_or(0), a.unwrap_or(0));
            if o < bound.first_day || o > a {
                for r in 0..n {
                    s.bad[r] |= s.valid[r] > 0.0;
                }
            }
            if mp.max_age.is_none_or(|max| a - o <= max) {
                s.live[..n].copy_from_slice(&s.valid[..n]);
            } else {
                s.live[..n].fill(0.0);
                for r in 0..n {
                    s.stale[r] += u16::from(s.valid[r] > 0.0);
                }
            }
        }
        (Some(dates), _) => {
            let max = mp.max_age.unwrap_or(i64::MAX);
            for r in 0..n {
                let o = dates.ce_day(r0 + r).unwrap_or(i64::MIN);
                let a = s.as_of[r];
                let valid = s.valid[r] > 0.0;
                s.bad[r] |= valid & ((o < bound.first_day) | (o > a));
                let fresh = a.saturating_sub(o) <= max;
                s.live[r] = if fresh { s.valid[r] } else { 0.0 };
                s.stale[r] += u16::from(valid & !fresh);
            }
        }
    }
    if mp.judgement {
        for r in 0..n {
            let authored = column
                .authors
                .and_then(|a| a.get(r0 + r).copied().flatten())
                .is_some();
            s.bad[r] |= (s.valid[r] > 0.0) & !authored;
        }
    }
    if mp.same_weight.is_none() {
        for r in 0..n {
            let c = s.card[r] as usize;
            s.weight[r] = mp.weight.get(c).copied().unwrap_or(0.0);
            s.member[r] = if mp.in_card.get(c).copied().unwrap_or(false) {
                1.0
            } else {
                0.0
            };
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn metric<const WIDE: bool>(
    mp: &MetricPlan,
    impute: bool,
    column: &MetricColumn<'_>,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
) {
    prepare(mp, column, batch, bound, r0, n, s);
    let Some(values) = column.values.get(r0..r0 + n) else {
        return;
    };
    let gather = mp.same_weight.is_none();
    let bad = match &mp.shape {
        Shape::Linear { pieces, bounded } => {
            let p = pieces.as_slice();
            macro_rules! go {
                ($n:literal) => {
                    match (mp.worst, impute, gather) {
                        (false, false, false) => {
                            if WIDE {
                                linear::<$n, false, false, false>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, false, false, false>(mp, p, *bounded, values, s)
                            }
                        }
                        (false, false, true) => {
                            if WIDE {
                                linear::<$n, false, false, true>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, false, false, true>(mp, p, *bounded, values, s)
                            }
                        }
                        (false, true, false) => {
                            if WIDE {
                                linear::<$n, false, true, false>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, false, true, false>(mp, p, *bounded, values, s)
                            }
                        }
                        (false, true, true) => {
                            if WIDE {
                                linear::<$n, false, true, true>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, false, true, true>(mp, p, *bounded, values, s)
                            }
                        }
                        (true, false, false) => {
                            if WIDE {
                                linear::<$n, true, false, false>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, true, false, false>(mp, p, *bounded, values, s)
                            }
                        }
                        (true, false, true) => {
                            if WIDE {
                                linear::<$n, true, false, true>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, true, false, true>(mp, p, *bounded, values, s)
                            }
                        }
                        (true, true, false) => {
                            if WIDE {
                                linear::<$n, true, true, false>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, true, true, false>(mp, p, *bounded, values, s)
                            }
                        }
                        (true, true, true) => {
                            if WIDE {
                                linear::<$n, true, true, true>(mp, p, *bounded, values, s)
                            } else {
                                linear_out::<$n, true, true, true>(mp, p, *bounded, values, s)
                            }
                        }
                    }
                };
            }
            match p.len() {
                1 => go!(1),
                2 => go!(2),
                4 => go!(4),
                _ => go!(8),
            }
        }
        Shape::Steps { thresholds, scores } => steps(mp, impute, thresholds, scores, values, s),
    };
    // Rare: some value failed its check; find the rows.
    if bad {
        for (r, &x) in values.iter().enumerate().take(CHUNK) {
            s.bad[r] |= (s.valid[r] > 0.0) & !check(mp, x, x * 1e6);
        }
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
    let mut p = [Piece::default(); N];
    for (dst, src) in p.iter_mut().zip(pieces) {
        *dst = *src;
    }
    // Each piece's fields as steps from the previous piece's: selecting
    // by adding masked steps takes an `and` and an `add` per field (exact:
    // every partial sum is some piece's field).
    let mut step = [Piece::default(); N];
    for j in 1..N {
        step[j] = Piece {
            from: p[j].from,
            a: p[j].a - p[j - 1].a,
            b: p[j].b - p[j - 1].b,
            c: p[j].c - p[j - 1].c,
            inv: p[j].inv,
            base: p[j].base - p[j - 1].base,
        };
    }
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
        // The piece holding m, selected field by field (no branch).
        let (mut a, mut b, mut c, mut inv, mut base) =
            (p[0].a, p[0].b, p[0].c, p[0].inv, p[0].base);
        for piece in &step[1..] {
            let t = m >= piece.from;
            a += if t { piece.a } else { 0.0 };
            b += if t { piece.b } else { 0.0 };
            c += if t { piece.c } else { 0.0 };
            inv = if t { piece.inv } else { inv };
            base += if t { piece.base } else { 0.0 };
        }
        let score = base + floor_mul(a * m + b, c, inv);
        let scored = (s.live[r] > 0.0) & ok & inside;
        accumulate::<WORST, IMPUTE, GATHER>(mp, s, r, scored, score, imputed, same_weight);
    }
    bad
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

/// [`finish`] as a function of its own, as [`linear_out`].
#[inline(never)]
fn finish_out(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    finish(model, plan, batch, r0, n, s, out)
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

/// Dimension scores, overall score, coverage and band of each row: first
/// in `f64` (a loop the compiler vectorises: scorecard fields are looked
/// up in fixed tables), then written out as columns.
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
fn finish(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    let t = &*plan.table;
    let impute = plan.impute;
    let n = n.min(CHUNK);
    // Each row's scorecard fields, gathered into columns (a scalar loop of
    // loads), so that the arithmetic below runs over arrays only.
    for r in 0..n {
        let c = (s.card[r] as usize) & (MAX_CARDS - 1);
        for d in 0..4 {
            s.g_w[d][r] = t.w[d][c];
            s.g_total[d][r] = t.total[d][c];
            s.g_inv_total[d][r] = t.inv_total[d][c];
            s.g_worst[d][r] = t.worst[d][c];
        }
        s.g_wt[r] = t.w_total[c];
        s.g_inv_wt[r] = t.inv_w_total[c];
        s.g_green[r] = t.green[c];
        s.g_lime[r] = t.lime[c];
        s.g_yellow[r] = t.yellow[c];
        s.g_min[r] = t.min_coverage[c];
    }
    // Dimensions: score, coverage, and their weighted sums.
    s.overall_out[..n].fill(0.0); // Σ w·score
    s.level_out[..n].fill(0.0); // Σ w over scored dimensions
    s.coverage_out[..n].fill(0.0); // Σ w·coverage
    s.measured[..n].fill(0.0);
    for d in 0..4 {
        let imp = impute[d];
        for r in 0..n {
            let (w, total) = (s.g_w[d][r], s.g_total[d][r]);
            let (sum, wsum) = (s.sum[d][r], s.wsum[d][r]);
            let data = if imp { s.data[d][r] } else { wsum };
            // round(data·10⁶ / total) is 10⁶ when data = total; a
            // dimension with no metric (total 0) counts as covered.
            let empty = if total == 0.0 { 1.0 } else { 0.0 };
            let total = total.max(1.0);
            let cov = floor_mul(
                2e6 * (data + empty) + total,
                2.0 * total,
                s.g_inv_total[d][r],
            );
            let mean = floor_div(2.0 * sum + wsum, 2.0 * wsum.max(1.0));
            let score = if s.g_worst[d][r] > 0.0 {
                s.worst[d][r]
            } else {
                mean
            };
            let weighted = w > 0.0;
            let has = (wsum > 0.0) & weighted;
            let cov = if weighted { cov } else { 0.0 };
            s.dim_out[d][r] = if has { score } else { -1.0 };
            s.cov_out[d][r] = cov;
            s.measured[r] = if weighted & (data > 0.0) {
                1.0
            } else {
                s.measured[r]
            };
            s.coverage_out[r] += w * cov;
            s.overall_out[r] += if has { w * score } else { 0.0 };
            s.level_out[r] += if has { w } else { 0.0 };
        }
    }
    for r in 0..n {
        let (num, den, cov_num) = (s.overall_out[r], s.level_out[r], s.coverage_out[r]);
        let measured = s.measured[r] > 0.0;
        let overall = floor_div(2.0 * num + den, 2.0 * den.max(1.0));
        let coverage = floor_mul(2.0 * cov_num + s.g_wt[r], 2.0 * s.g_wt[r], s.g_inv_wt[r]);
        let scored = measured & (den > 0.0);
        let below = |x: f64| if overall < x { 1.0 } else { 0.0 };
        let level = below(s.g_green[r]) + below(s.g_lime[r]) + below(s.g_yellow[r]);
        let banded = scored & (coverage >= s.g_min[r]);
        s.overall_out[r] = if scored { overall } else { -1.0 };
        s.coverage_out[r] = if measured { coverage } else { 0.0 };
        s.level_out[r] = if banded { level } else { -1.0 };
    }
    // No data, no colour: without a measured value, no dimension score.
    for d in 0..4 {
        for r in 0..n {
            s.dim_out[d][r] = if s.measured[r] > 0.0 {
                s.dim_out[d][r]
            } else {
                -1.0
            };
        }
    }
    // Millionths as u32, −1 becoming NONE (u32::MAX): adding 1.5·2⁵²
    // puts an integer of magnitude below 2⁵¹ in the low mantissa bits
    // (offset by 2⁵¹, which is 0 mod 2³²), a conversion that vectorises.
    let write = |dst: &mut [u32], src: &[f64]| {
        for (o, v) in dst.iter_mut().zip(src) {
            *o = (*v + ROUND).to_bits() as u32;
        }
    };
    write(out.overall, &s.overall_out[..n]);
    write(out.coverage, &s.coverage_out[..n]);
    for d in 0..4 {
        write(out.dims[d], &s.dim_out[d][..n]);
        write(out.dim_coverage[d], &s.cov_out[d][..n]);
    }
    for (o, l) in out.band.iter_mut().zip(&s.level_out[..n]) {
        *o = Band::ALL.get(*l as i32 as usize).copied();
    }
    for (o, st) in out.stale.iter_mut().zip(&s.stale[..n]) {
        *o = *st;
    }
    // Hysteresis: the previous band holds until a threshold is passed by
    // the margin (the row API's own rule, row by row).
    if let Some(previous) = batch.previous {
        for r in 0..n {
            let card = s.card[r] as usize;
            let held = plan.cards.get(card).is_some_and(|c| c.hysteresis);
            let prev = previous.get(r0 + r).copied().flatten();
            let (Some(prev), Some(mc), Some(p), true) = (
                prev,
                model.cards.get(card),
                out.overall.get(r).and_then(|o| Points::from_micros(*o)),
                held && out.band.get(r).is_some_and(Option::is_some),
            ) else {
                continue;
            };
            if let Some(b) = out.band.get_mut(r) {
                *b = Some(mc.bands.band_with_hysteresis(p, Some(prev), mc.hysteresis));
            }
        }
    }
    for r in 0..n {
        if s.bad[r] {
            out.reject(r);
        }
    }
}
