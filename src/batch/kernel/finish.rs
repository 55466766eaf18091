//! The end of a chunk: dimension scores, overall score, coverage and band
//! from the metric sums, written out as columns, then staleness,
//! hysteresis and rejected rows.

use super::*;

/// [`finish()`] as a function of its own (the build target's kernel calls
/// it, as it calls `curves::linear_out`).
#[inline(never)]
pub(super) fn finish_out(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    finish::<{ wide::NONE }>(model, plan, batch, r0, n, s, out)
}

/// A chunk's column of `f64`.
type F = [f64; CHUNK];

/// One dimension's score and coverage for the chunk's rows, added to the
/// overall sums. The arrays come in as separate references (which the
/// compiler knows do not overlap: references as arguments, not as fields
/// of a struct argument): reached through the scratch struct, the
/// loop was vectorised behind a run-time overlap check that sent it to its
/// scalar copy, about a third of the kernel's time.
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dimension(
    imp: bool,
    n: usize,
    (w_of, total_of, inv_total_of, worst_of): (&F, &F, &F, &F),
    (sum_of, wsum_of, data_of, worst_score): (&F, &F, &F, &F),
    score_out: &mut F,
    coverage_out: &mut F,
    measured: &mut F,
    cov_num: &mut F,
    num: &mut F,
    den: &mut F,
) {
    let n = n.min(CHUNK);
    for r in 0..n {
        let (w, total) = (w_of[r], total_of[r]);
        let (sum, wsum) = (sum_of[r], wsum_of[r]);
        let data = if imp { data_of[r] } else { wsum };
        // round(data·10⁶ / total) is 10⁶ when data = total; a dimension
        // with no metric (total 0) counts as covered.
        let empty = if total == 0.0 { 1.0 } else { 0.0 };
        let total = total.max(1.0);
        let cov = floor_mul(2e6 * (data + empty) + total, 2.0 * total, inv_total_of[r]);
        let mean = floor_div(2.0 * sum + wsum, 2.0 * wsum.max(1.0));
        let score = if worst_of[r] > 0.0 {
            worst_score[r]
        } else {
            mean
        };
        let weighted = w > 0.0;
        let has = (wsum > 0.0) & weighted;
        let cov = if weighted { cov } else { 0.0 };
        score_out[r] = if has { score } else { -1.0 };
        coverage_out[r] = cov;
        measured[r] = if weighted & (data > 0.0) {
            1.0
        } else {
            measured[r]
        };
        cov_num[r] += w * cov;
        num[r] += if has { w * score } else { 0.0 };
        den[r] += if has { w } else { 0.0 };
    }
}

/// `dst[r] = table[card[r]]` for the chunk's rows (indices masked into
/// the table: no bounds check, so the loop vectorises).
#[inline(always)]
fn gather(dst: &mut [f64; CHUNK], table: &[f64; MAX_CARDS], card: &[u32; CHUNK], n: usize) {
    for (d, c) in dst.iter_mut().zip(card).take(n) {
        *d = table[(*c as usize) & (MAX_CARDS - 1)];
    }
}

/// Dimension scores, overall score, coverage and band level of each row:
/// first in `f64` (a loop the compiler vectorises: scorecard fields are
/// looked up in fixed tables), then written out as columns; the band
/// level left in `s.level` (255 for none).
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
fn levels(plan: &Plan, n: usize, s: &mut Scratch, out: &mut Out<'_>) {
    let t = &*plan.table;
    let impute = plan.impute;
    let n = n.min(CHUNK);
    // Each row's scorecard fields, gathered into columns one field at a
    // time (a loop the compiler turns into vector gathers where the CPU
    // has them), so that the arithmetic below runs over arrays only.
    let card = &s.card;
    for d in 0..4 {
        gather(&mut s.g_w[d], &t.w[d], card, n);
        gather(&mut s.g_total[d], &t.total[d], card, n);
        gather(&mut s.g_inv_total[d], &t.inv_total[d], card, n);
        gather(&mut s.g_worst[d], &t.worst[d], card, n);
    }
    gather(&mut s.g_wt, &t.w_total, card, n);
    gather(&mut s.g_inv_wt, &t.inv_w_total, card, n);
    gather(&mut s.g_green, &t.green, card, n);
    gather(&mut s.g_lime, &t.lime, card, n);
    gather(&mut s.g_yellow, &t.yellow, card, n);
    gather(&mut s.g_min, &t.min_coverage, card, n);
    // Dimensions: score, coverage, and their weighted sums.
    s.overall_out[..n].fill(0.0); // Σ w·score
    s.level_out[..n].fill(0.0); // Σ w over scored dimensions
    s.coverage_out[..n].fill(0.0); // Σ w·coverage
    s.measured[..n].fill(0.0);
    for d in 0..4 {
        dimension(
            impute[d],
            n,
            (&s.g_w[d], &s.g_total[d], &s.g_inv_total[d], &s.g_worst[d]),
            (&s.sum[d], &s.wsum[d], &s.data[d], &s.worst[d]),
            &mut s.dim_out[d],
            &mut s.cov_out[d],
            &mut s.measured,
            &mut s.coverage_out,
            &mut s.overall_out,
            &mut s.level_out,
        );
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
        s.level[r] = if banded { level as u8 } else { u8::MAX };
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
}

/// [`levels`] in a wide kernel, with the instructions written out (see
/// [`super::avx512`] and [`super::avx2`]): for AVX-512, a model of at
/// most 16 scorecards (looked up in two registers); for AVX2, any.
#[inline(always)]
#[allow(unsafe_code)] // calls a loop compiled for features checked at run time
fn wide_levels<const W: u8>(plan: &Plan, n: usize, s: &mut Scratch, out: &mut Out<'_>) {
    #[cfg(target_arch = "x86_64")]
    {
        if W == wide::AVX512 && plan.cards.len() <= 16 {
            // SAFETY: the AVX-512 kernel runs only where `Isa::detect`
            // found AVX-512 (F, DQ, VL) on this CPU.
            return unsafe { super::avx512::finish(plan, n, s, out) };
        }
        if W == wide::AVX2 {
            // SAFETY: the AVX2 kernel runs only where `Isa::detect` found
            // AVX2 on this CPU.
            return unsafe { super::avx2::finish(plan, n, s, out) };
        }
    }
    levels(plan, n, s, out)
}

/// Dimension scores, overall score, coverage and band of each row, then
/// staleness, hysteresis and rejections.
#[inline(always)]
pub(super) fn finish<const W: u8>(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    let n = n.min(CHUNK);
    wide_levels::<W>(plan, n, s, out);
    // (A byte per row, mapped by a `match` the compiler turns into a
    // vector minimum: `Option<Band>` is that byte, 4 for `None`.)
    for (o, l) in out.band.iter_mut().zip(&s.level[..n]) {
        *o = match l {
            0 => Some(Band::Green),
            1 => Some(Band::Lime),
            2 => Some(Band::Yellow),
            3 => Some(Band::Red),
            _ => None,
        };
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
    for (x, bad) in out.rejected.iter_mut().zip(&s.bad[..n]) {
        *x = *bad;
    }
    // (`fold`, not `any`: a loop without an early exit vectorises.)
    if s.bad[..n].iter().fold(false, |any, bad| any | *bad) {
        for r in 0..n {
            if s.bad[r] {
                out.reject(r);
            }
        }
    }
}
