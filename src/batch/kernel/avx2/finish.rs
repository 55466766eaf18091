//! Dimension scores, overall score, coverage and band level of a chunk's
//! rows (the AVX-512 `finish`) four rows at a time, for CPUs with AVX2:
//! each row's scorecard fields read from its record (`Cards::record`, any
//! number of scorecards the tables hold) and transposed to registers,
//! every intermediate kept in registers, the results written straight to
//! the output columns. The portable loop it replaces gathers each field
//! into a column of its own first, a scalar load and store per row and
//! field; a `vgatherdpd` per field was slower still (on AMD Zen 3, the
//! gathers took a third of the loop).

use core::arch::x86_64::*;

use super::{keep, load, rows, select};
use crate::batch::kernel::{head, Scratch, CHUNK};
use crate::batch::output::Out;
use crate::batch::plan::{Cards, Plan, MAX_CARDS};

/// Group `g` of four rows' scorecard records (see `Cards::record`),
/// transposed: field `f` of the group for the four rows is lane-wise in
/// the `f`-th register.
#[inline]
#[target_feature(enable = "avx")]
fn fields(t: &Cards, card: &[u32; 4], g: usize) -> [__m256d; 4] {
    let row = |i: usize| {
        let c = card.get(i).map_or(0, |c| *c as usize) & (MAX_CARDS - 1);
        match t.record.get(c).and_then(|r| r.get(g)) {
            Some(f) => load(f),
            None => _mm256_setzero_pd(),
        }
    };
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
    let t0 = _mm256_unpacklo_pd(r0, r1); // r0.0 r1.0 r0.2 r1.2
    let t1 = _mm256_unpackhi_pd(r0, r1); // r0.1 r1.1 r0.3 r1.3
    let t2 = _mm256_unpacklo_pd(r2, r3);
    let t3 = _mm256_unpackhi_pd(r2, r3);
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
        _mm256_permute2f128_pd::<0x31>(t1, t3),
    ]
}

/// Writes four whole numbers (−1 as `u32::MAX`) to `dst[r ..]`, as many
/// as `dst` has room for.
#[inline]
#[target_feature(enable = "avx")]
#[allow(unsafe_code)] // stores of exactly the bytes the references hold
fn put(dst: &mut [u32], r: usize, v: __m256d) {
    let v = _mm256_cvttpd_epi32(v);
    if let Some(d) = dst.get_mut(r..).and_then(|d| d.first_chunk_mut::<4>()) {
        // SAFETY: `d` is a valid, exclusive reference to 4 `u32`s.
        unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), v) };
        return;
    }
    let mut tmp = [0u32; 4];
    // SAFETY: as above, for `tmp`.
    unsafe { _mm_storeu_si128(tmp.as_mut_ptr().cast(), v) };
    if let Some(d) = dst.get_mut(r..) {
        for (d, t) in d.iter_mut().zip(tmp) {
            *d = t;
        }
    }
}

/// `⌊a / b⌋` (the portable `floor_div`: the quotient rounded to nearest,
/// one less where that is above the quotient).
#[inline]
#[target_feature(enable = "avx")]
fn floor_div(a: __m256d, b: __m256d) -> __m256d {
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let q = _mm256_div_pd(a, b);
    let r = _mm256_round_pd::<NEAREST>(q);
    let above = _mm256_cmp_pd::<_CMP_GT_OQ>(r, q);
    _mm256_sub_pd(r, keep(above, _mm256_set1_pd(1.0)))
}

/// `⌊a / c⌋` with `inv = fl(1/c)` (the portable `floor_mul`).
#[inline]
#[target_feature(enable = "avx")]
fn floor_mul(a: __m256d, c: __m256d, inv: __m256d) -> __m256d {
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let q = _mm256_round_pd::<NEAREST>(_mm256_mul_pd(a, inv));
    let r = _mm256_sub_pd(a, _mm256_mul_pd(q, c));
    let below = _mm256_cmp_pd::<_CMP_LT_OQ>(r, _mm256_setzero_pd());
    _mm256_sub_pd(q, keep(below, _mm256_set1_pd(1.0)))
}

/// The AVX-512 `finish` (the portable `levels` up to the band level)
/// four rows at a time: writes the overall score, coverage, dimension
/// scores and dimension coverages of rows `0 .. n` to `out`, and each
/// row's band level (0 green … 3 red, 255 none) to `s.level`.
#[target_feature(enable = "avx2,avx,sse4.1")]
pub(crate) fn finish(plan: &Plan, n: usize, s: &mut Scratch, out: &mut Out<'_>) {
    let t = &*plan.table;
    let n = n.min(CHUNK);
    let zero = _mm256_setzero_pd();
    let one = _mm256_set1_pd(1.0);
    let two = _mm256_set1_pd(2.0);
    let none = _mm256_set1_pd(-1.0);
    let million2 = _mm256_set1_pd(2e6);
    // The chunk's rows of each output column (row 0 is the chunk's first).
    let overall_out = head(out.overall, n);
    let coverage_out = head(out.coverage, n);
    let [d0, d1, d2, d3] = &mut out.dims;
    let mut dims_out = [d0, d1, d2, d3].map(|o| head(o, n));
    let [c0, c1, c2, c3] = &mut out.dim_coverage;
    let mut covs_out = [c0, c1, c2, c3].map(|o| head(o, n));
    for r in (0..n).step_by(4) {
        let Some(card) = s.card.get(r..).and_then(|c| c.first_chunk::<4>()) else {
            break;
        };
        let (mut num, mut den, mut cov_num) = (zero, zero, zero);
        let mut measured = zero;
        let mut dim = [zero; 4];
        for d in 0..4 {
            let [w, total, inv_total, worst_of] = fields(t, card, d);
            let (Some(sum), Some(wsum), Some(data), Some(worst)) =
                (s.sum.get(d), s.wsum.get(d), s.data.get(d), s.worst.get(d))
            else {
                break;
            };
            let (sum, wsum) = (rows(sum, r), rows(wsum, r));
            let data = if plan.impute.get(d).copied().unwrap_or(false) {
                rows(data, r)
            } else {
                wsum
            };
            // A dimension with no metric (total 0) counts as covered.
            let empty = keep(_mm256_cmp_pd::<_CMP_EQ_OQ>(total, zero), one);
            let total = _mm256_max_pd(total, one);
            let cov = floor_mul(
                _mm256_add_pd(_mm256_mul_pd(million2, _mm256_add_pd(data, empty)), total),
                _mm256_mul_pd(two, total),
                inv_total,
            );
            let mean = floor_div(
                _mm256_add_pd(_mm256_mul_pd(two, sum), wsum),
                _mm256_mul_pd(two, _mm256_max_pd(wsum, one)),
            );
            let takes_worst = _mm256_cmp_pd::<_CMP_GT_OQ>(worst_of, zero);
            let score = select(takes_worst, rows(worst, r), mean);
            let weighted = _mm256_cmp_pd::<_CMP_GT_OQ>(w, zero);
            let has = _mm256_and_pd(weighted, _mm256_cmp_pd::<_CMP_GT_OQ>(wsum, zero));
            let cov = keep(weighted, cov);
            if let Some(slot) = dim.get_mut(d) {
                *slot = select(has, score, none);
            }
            if let Some(column) = covs_out.get_mut(d) {
                put(column, r, cov);
            }
            measured = _mm256_or_pd(
                measured,
                _mm256_and_pd(weighted, _mm256_cmp_pd::<_CMP_GT_OQ>(data, zero)),
            );
            cov_num = _mm256_add_pd(cov_num, _mm256_mul_pd(w, cov));
            num = _mm256_add_pd(num, keep(has, _mm256_mul_pd(w, score)));
            den = _mm256_add_pd(den, keep(has, w));
        }
        let [wt, inv_wt, green, lime] = fields(t, card, 4);
        let [yellow, min_coverage, _, _] = fields(t, card, 5);
        let overall = floor_div(
            _mm256_add_pd(_mm256_mul_pd(two, num), den),
            _mm256_mul_pd(two, _mm256_max_pd(den, one)),
        );
        let coverage = floor_mul(
            _mm256_add_pd(_mm256_mul_pd(two, cov_num), wt),
            _mm256_mul_pd(two, wt),
            inv_wt,
        );
        let scored = _mm256_and_pd(measured, _mm256_cmp_pd::<_CMP_GT_OQ>(den, zero));
        let mut level = zero;
        for threshold in [green, lime, yellow] {
            let under = _mm256_cmp_pd::<_CMP_LT_OQ>(overall, threshold);
            level = _mm256_add_pd(level, keep(under, one));
        }
        let banded = _mm256_and_pd(scored, _mm256_cmp_pd::<_CMP_GE_OQ>(coverage, min_coverage));
        put(overall_out, r, select(scored, overall, none));
        put(coverage_out, r, keep(measured, coverage));
        // No data, no colour: without a measured value, no dimension score.
        for (column, score) in dims_out.iter_mut().zip(dim) {
            put(column, r, select(measured, score, none));
        }
        // Whole numbers −1 … 3 as bytes (−1 becoming 255).
        let level = _mm256_cvttpd_epi32(select(banded, level, none));
        let words = _mm_packs_epi32(level, level);
        let bytes = _mm_cvtsi128_si32(_mm_packs_epi16(words, words)).to_le_bytes();
        if let Some(dst) = s.level.get_mut(r..).and_then(|d| d.first_chunk_mut::<4>()) {
            *dst = bytes;
        }
    }
}
