//! Finishing a score in lanes: each dimension's score and coverage, the
//! overall score and coverage, from the lane sums, with one multiply per
//! division.
//!
//! Every result is `round(a / b)` ties up, `⌊(2a + b) / 2b⌋`:
//! * a dimension's score, `Σ w·s / Σ w` over its scored metrics (observed,
//!   or imputed where the metric imputes a missing value);
//! * its coverage, `10⁶·Σ w / total` over its metrics with data (10⁶ for a
//!   weighted dimension without metrics), imputed scores not counting;
//! * the overall score, `Σ W·score / Σ W` over the weighted dimensions
//!   with a score;
//! * the overall coverage, `Σ W·coverage / Σ W` over the weighted
//!   dimensions.
//!
//! Each quotient is `⌊(2a + b)·u⌋`, `u` the double just above `fl(1/2b)`,
//! exact as a lane's piece is (the module's docs above): with every weight
//! sum at most [`TOTAL`], `2a + b` is below 2⁵¹ (scores are at most
//! 10⁸ < 2²⁷), `2b` at most 2²² and the quotient at most 10⁸. The
//! divisors depend only on which lanes are present (and which impute a
//! missing value), known before the sums, so their `u` are looked up in
//! tables built here.

use super::inv_up;
use crate::band::Band;
use crate::points::{Points, Share};
use crate::score::compute::{DimensionScore, Parts};
use crate::scorecard::Scorecard;

/// The largest Σ weight of a dimension, and Σ of dimension weights, a
/// scorecard finished in lanes may have.
const TOTAL: u64 = 1 << 21;

/// A scorecard's constants for finishing a score in lanes.
#[derive(Clone, Debug)]
pub(super) struct Finish {
    /// Lanes `4..8`: `2·10⁶·[total = 0] + total` of each dimension.
    pub(super) cover: [f64; 8],
    /// Lanes `4..8`: `u` of `2·max(total, 1)`.
    pub(super) cover_inv: [f64; 8],
    /// Per dimension and pattern of its scored lanes (four bits: present,
    /// or imputing), `u` of `2·max(Σ w, 1)` over those lanes.
    pub(super) score_inv: [[f64; 16]; 4],
    /// The dimension weights, in lanes `0..4` and again in `4..8`.
    pub(super) dim_weight: [u64; 8],
    /// Lanes of weight above 0.
    live: u16,
    /// Dimensions of weight above 0, as bits.
    weighted: u8,
    /// Per pattern of dimensions with a score (four bits, weighted only),
    /// Σ of their weights and the `u` of twice that (at least 2).
    pub(super) den: [f64; 16],
    pub(super) den_inv: [f64; 16],
    /// Σ of dimension weights, and the `u` of twice that.
    pub(super) total: f64,
    pub(super) total_inv: f64,
}

/// What the lanes give for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Out {
    /// Each dimension's score (lanes `0..4`, 0 when none of its metrics
    /// scored) and coverage (`4..8`).
    pub(super) dims: [u64; 8],
    pub(super) overall: u64,
    pub(super) coverage: u64,
    /// Dimensions with a scored metric (observed or imputed), and with a
    /// metric with data, as bits.
    pub(super) scored: u8,
    pub(super) measured: u8,
}

impl Finish {
    /// The constants of a scorecard whose lanes have weights `weight`;
    /// `None` when a weight sum passes [`TOTAL`] (or the lanes are not
    /// the scorecard's).
    pub(super) fn of(card: &Scorecard, weight: &[[u64; 8]; 2]) -> Option<Finish> {
        let total = card.total_weight;
        if !(1..=TOTAL).contains(&total) || card.dim_total.iter().any(|t| *t > TOTAL) {
            return None;
        }
        let lane = |l: usize| weight.get(l / 8).and_then(|h| h.get(l % 8)).copied();
        let mut f = Finish {
            cover: [0.0; 8],
            cover_inv: [0.0; 8],
            score_inv: [[0.0; 16]; 4],
            dim_weight: [0; 8],
            live: 0,
            weighted: 0,
            den: [0.0; 16],
            den_inv: [0.0; 16],
            total: total as f64,
            total_inv: inv_up(2 * total)?,
        };
        for d in 0..4 {
            let t = *card.dim_total.get(d)?;
            let w = *card.dim_weight.get(d)?;
            let lanes: Vec<u64> = (0..4).map(|k| lane(4 * d + k)).collect::<Option<_>>()?;
            if lanes.iter().sum::<u64>() != t {
                return None;
            }
            *f.cover.get_mut(4 + d)? = if t == 0 { 2e6 } else { 0.0 } + t as f64;
            *f.cover_inv.get_mut(4 + d)? = inv_up(2 * t.max(1))?;
            for (bits, u) in f.score_inv.get_mut(d)?.iter_mut().enumerate() {
                let wsum: u64 = (0..4)
                    .filter(|k| bits & (1 << k) != 0)
                    .filter_map(|k| lanes.get(k))
                    .sum();
                *u = inv_up(2 * wsum.max(1))?;
            }
            for (k, w) in lanes.iter().enumerate() {
                f.live |= u16::from(*w > 0) << (4 * d + k);
            }
            *f.dim_weight.get_mut(d)? = w;
            *f.dim_weight.get_mut(4 + d)? = w;
            f.weighted |= u8::from(w > 0) << d;
        }
        for (bits, (den, u)) in f.den.iter_mut().zip(f.den_inv.iter_mut()).enumerate() {
            let sum: u64 = (0..4)
                .filter(|d| bits & (1 << d) != 0)
                .filter_map(|d| card.dim_weight.get(d))
                .sum();
            *den = sum as f64;
            *u = inv_up(2 * sum.max(1))?;
        }
        Some(f)
    }

    /// The dimensions with any of `lanes` (of weight above 0), as bits.
    #[inline(always)]
    pub(super) fn scored(&self, lanes: u16) -> u8 {
        let live = lanes & self.live;
        // Bit 4d set when any of dimension d's lanes is: folded onto the
        // nibbles' low bits, then gathered by a multiply (bits 0, 4, 8, 12
        // land on 12, 13, 14, 15, with no other product there).
        let any = (live | live >> 1 | live >> 2 | live >> 3) & 0x1111;
        ((u32::from(any) * 0x1248) >> 12) as u8 & 15
    }

    /// The index of the overall score's divisor: the weighted dimensions
    /// with a score.
    #[inline(always)]
    pub(super) fn scored_weighted(&self, scored: u8) -> usize {
        usize::from(scored & self.weighted & 15)
    }

    /// The score, as [`finish`](crate::score::compute) gives it.
    ///
    /// Without a branch on the account's data: which dimensions have a
    /// score varies from account to account, and a mispredicted branch
    /// costs more than the arithmetic of all four.
    #[inline(always)]
    pub(super) fn parts(&self, card: &Scorecard, out: &Out, previous: Option<Band>) -> Parts {
        // No data, no colour: imputed scores alone are not a measurement.
        let measured = out.measured & self.weighted != 0;
        // The dimensions that show a score: weighted, with a scored
        // metric, in a measured account.
        let shown = out.scored & self.weighted & 0u8.wrapping_sub(u8::from(measured));
        let [s0, s1, s2, s3, c0, c1, c2, c3] = out.dims;
        let dim = |d: u8, score: u64, coverage: u64| DimensionScore {
            // At most 10⁸ and 10⁶ (the module's docs): the range checks
            // only keep a wrong lane from becoming a wrong score.
            score: Points::from_micros(score as u32).filter(|_| shown >> d & 1 != 0),
            coverage: if self.weighted >> d & 1 != 0 {
                Share::from_micros(coverage as u32).unwrap_or(Share::ONE)
            } else {
                Share::ZERO
            },
        };
        let dims = [
            dim(0, s0, c0),
            dim(1, s1, c1),
            dim(2, s2, c2),
            dim(3, s3, c3),
        ];
        if !measured {
            return Parts {
                dims,
                ..Parts::EMPTY
            };
        }
        let overall = Points::from_micros(out.overall as u32);
        Parts::banded(card, overall, out.coverage as u32, dims, previous)
    }
}
