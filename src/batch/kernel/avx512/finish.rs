//! Dimension scores, overall score, coverage and band level of a chunk's
//! rows (the portable `finish` and `dimension` loops) for models of at
//! most 16 scorecards: eight rows at a time, every scorecard field looked
//! up in registers, every intermediate kept in registers, the results
//! written straight to the output columns.

use core::arch::x86_64::*;

use super::{load, load_u32};
use crate::batch::kernel::{head, Scratch, CHUNK};
use crate::batch::output::Out;
use crate::batch::plan::{Plan, MAX_CARDS};

/// `table[idx]` for eight scorecard numbers below 16.
#[inline]
#[target_feature(enable = "avx512f")]
fn look(table: &[f64; MAX_CARDS], idx: __m512i) -> __m512d {
    let lo = table.first_chunk::<8>();
    let hi = table.get(8..).and_then(|t| t.first_chunk::<8>());
    match (lo, hi) {
        (Some(lo), Some(hi)) => _mm512_permutex2var_pd(load(lo), idx, load(hi)),
        _ => _mm512_setzero_pd(),
    }
}

/// Rows `r .. r + 8` of a chunk's column (zeros past its end).
#[inline]
#[target_feature(enable = "avx512f")]
fn rows(column: &[f64; CHUNK], r: usize) -> __m512d {
    match column.get(r..).and_then(|c| c.first_chunk::<8>()) {
        Some(x) => load(x),
        None => _mm512_setzero_pd(),
    }
}

/// Writes eight whole numbers (−1 as `u32::MAX`) to `dst[r ..]`, as many
/// as `dst` has room for.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code)] // stores of exactly the bytes the references hold
fn put(dst: &mut [u32], r: usize, v: __m512d) {
    let v = _mm512_cvttpd_epi32(v);
    if let Some(d) = dst.get_mut(r..).and_then(|d| d.first_chunk_mut::<8>()) {
        // SAFETY: `d` is a valid, exclusive reference to 8 `u32`s.
        unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), v) };
        return;
    }
    let mut tmp = [0u32; 8];
    // SAFETY: as above, for `tmp`.
    unsafe { _mm256_storeu_si256(tmp.as_mut_ptr().cast(), v) };
    if let Some(d) = dst.get_mut(r..) {
        for (d, t) in d.iter_mut().zip(tmp) {
            *d = t;
        }
    }
}

/// `⌊a / b⌋` (the portable `floor_div`: the quotient rounded to nearest,
/// one less where that is above the quotient).
#[inline]
#[target_feature(enable = "avx512f")]
fn floor_div(a: __m512d, b: __m512d) -> __m512d {
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let q = _mm512_div_pd(a, b);
    let r = _mm512_roundscale_pd::<NEAREST>(q);
    let above = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(r, q);
    _mm512_mask_sub_pd(r, above, r, _mm512_set1_pd(1.0))
}

/// `⌊a / c⌋` with `inv = fl(1/c)` (the portable `floor_mul`).
#[inline]
#[target_feature(enable = "avx512f")]
fn floor_mul(a: __m512d, c: __m512d, inv: __m512d) -> __m512d {
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let q = _mm512_roundscale_pd::<NEAREST>(_mm512_mul_pd(a, inv));
    let r = _mm512_sub_pd(a, _mm512_mul_pd(q, c));
    let below = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(r, _mm512_setzero_pd());
    _mm512_mask_sub_pd(q, below, q, _mm512_set1_pd(1.0))
}

/// The portable `finish` up to the band level, for a model of at most 16
/// scorecards: writes the overall score, coverage, dimension scores and
/// dimension coverages of rows `0 .. n` to `out`, and each row's band
/// level (0 green … 3 red, 255 none) to `s.level`.
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
pub(crate) fn finish(plan: &Plan, n: usize, s: &mut Scratch, out: &mut Out<'_>) {
    let t = &*plan.table;
    let n = n.min(CHUNK);
    let zero = _mm512_setzero_pd();
    let one = _mm512_set1_pd(1.0);
    let two = _mm512_set1_pd(2.0);
    let none = _mm512_set1_pd(-1.0);
    let million2 = _mm512_set1_pd(2e6);
    // The chunk's rows of each output column (row 0 is the chunk's first).
    let overall_out = head(out.overall, n);
    let coverage_out = head(out.coverage, n);
    let [d0, d1, d2, d3] = &mut out.dims;
    let mut dims_out = [d0, d1, d2, d3].map(|o| head(o, n));
    let [c0, c1, c2, c3] = &mut out.dim_coverage;
    let mut covs_out = [c0, c1, c2, c3].map(|o| head(o, n));
    for r in (0..n).step_by(8) {
        let Some(card) = s.card.get(r..).and_then(|c| c.first_chunk::<8>()) else {
            break;
        };
        let idx = _mm512_cvtepu32_epi64(load_u32(card));
        let (mut num, mut den, mut cov_num) = (zero, zero, zero);
        let mut measured: __mmask8 = 0;
        let mut dim = [zero; 4];
        for d in 0..4 {
            let (Some(tw), Some(ttotal), Some(tinv), Some(tworst)) = (
                t.w.get(d),
                t.total.get(d),
                t.inv_total.get(d),
                t.worst.get(d),
            ) else {
                break;
            };
            let (Some(sum), Some(wsum), Some(data), Some(worst)) =
                (s.sum.get(d), s.wsum.get(d), s.data.get(d), s.worst.get(d))
            else {
                break;
            };
            let w = look(tw, idx);
            let total = look(ttotal, idx);
            let (sum, wsum) = (rows(sum, r), rows(wsum, r));
            let data = if plan.impute.get(d).copied().unwrap_or(false) {
                rows(data, r)
            } else {
                wsum
            };
            // A dimension with no metric (total 0) counts as covered.
            let empty = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask::<_CMP_EQ_OQ>(total, zero), one);
            let total = _mm512_max_pd(total, one);
            let cov = floor_mul(
                _mm512_add_pd(_mm512_mul_pd(million2, _mm512_add_pd(data, empty)), total),
                _mm512_mul_pd(two, total),
                look(tinv, idx),
            );
            let mean = floor_div(
                _mm512_add_pd(_mm512_mul_pd(two, sum), wsum),
                _mm512_mul_pd(two, _mm512_max_pd(wsum, one)),
            );
            // The worst scores only where the plan has them: the chunk
            // writes them for those dimensions alone, and the blend below
            // compiles to a masked load, which on a page nothing has
            // written (a fresh scratch's zero pages) does not fault the
            // page in but takes a microcode assist on every load. With
            // the v0m model on an AVX-512 AMD EPYC VM that made calls of
            // 32,768 or 131,072 rows 4-7 times slower (2026-12-03).
            let score = if plan.worst.get(d).copied().unwrap_or(false) {
                let takes_worst = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(look(tworst, idx), zero);
                _mm512_mask_mov_pd(mean, takes_worst, rows(worst, r))
            } else {
                mean
            };
            let weighted = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(w, zero);
            let has = _mm512_mask_cmp_pd_mask::<_CMP_GT_OQ>(weighted, wsum, zero);
            let cov = _mm512_maskz_mov_pd(weighted, cov);
            if let Some(slot) = dim.get_mut(d) {
                *slot = _mm512_mask_mov_pd(none, has, score);
            }
            if let Some(column) = covs_out.get_mut(d) {
                put(column, r, cov);
            }
            measured |= _mm512_mask_cmp_pd_mask::<_CMP_GT_OQ>(weighted, data, zero);
            cov_num = _mm512_add_pd(cov_num, _mm512_mul_pd(w, cov));
            num = _mm512_add_pd(num, _mm512_maskz_mul_pd(has, w, score));
            den = _mm512_add_pd(den, _mm512_maskz_mov_pd(has, w));
        }
        let wt = look(&t.w_total, idx);
        let overall = floor_div(
            _mm512_add_pd(_mm512_mul_pd(two, num), den),
            _mm512_mul_pd(two, _mm512_max_pd(den, one)),
        );
        let coverage = floor_mul(
            _mm512_add_pd(_mm512_mul_pd(two, cov_num), wt),
            _mm512_mul_pd(two, wt),
            look(&t.inv_w_total, idx),
        );
        let scored = _mm512_mask_cmp_pd_mask::<_CMP_GT_OQ>(measured, den, zero);
        let mut level = zero;
        for table in [&t.green, &t.lime, &t.yellow] {
            let under = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(overall, look(table, idx));
            level = _mm512_mask_add_pd(level, under, level, one);
        }
        let banded =
            _mm512_mask_cmp_pd_mask::<_CMP_GE_OQ>(scored, coverage, look(&t.min_coverage, idx));
        put(overall_out, r, _mm512_mask_mov_pd(none, scored, overall));
        put(coverage_out, r, _mm512_maskz_mov_pd(measured, coverage));
        // No data, no colour: without a measured value, no dimension score.
        for (column, score) in dims_out.iter_mut().zip(dim) {
            put(column, r, _mm512_mask_mov_pd(none, measured, score));
        }
        // Whole numbers −1 … 3 as bytes (−1 becoming 255).
        let level = _mm512_cvttpd_epi32(_mm512_mask_mov_pd(none, banded, level));
        let bytes = _mm_cvtsi128_si64(_mm256_cvtepi32_epi8(level)).to_le_bytes();
        if let Some(dst) = s.level.get_mut(r..).and_then(|d| d.first_chunk_mut::<8>()) {
            *dst = bytes;
        }
    }
}
