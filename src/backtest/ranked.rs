//! The scores a [`Tally`](super::Tally) ranks for the AUC and the ROC
//! curve, each with whether churn followed, in 2 bytes a score.

use super::{rate, Auc, RocPoint};
use crate::points::{Share, MICRO};

/// The low bits of a packed score kept in a bucket; the bits above them
/// pick the bucket.
const LOW: u32 = 16;

/// Scores kept as `u32`s, before they are put in buckets: a tally of a
/// few scores (a service's, per segment or per CSM) then costs no more
/// than 4 bytes a score, and no buckets.
const FLAT_MAX: usize = 1 << 16;

/// Scores packed as `millionths << 1 | churned` (at most 200,000,001:
/// 28 bits). Past [`FLAT_MAX`] of them, each is kept as its low [`LOW`]
/// bits in a bucket per value of the bits above (3,052 buckets at most):
/// 2 bytes a score where a `u32` each took 4. Sorting each bucket in turn
/// sorts them all, and a score's two packings (churned or not) share a
/// bucket, so equal scores are side by side.
#[derive(Clone, Debug, Default)]
pub(super) struct Ranked {
    /// The scores while there are few (then `buckets` is empty).
    flat: Vec<u32>,
    buckets: Vec<Vec<u16>>,
    len: u64,
}

impl Ranked {
    /// Adds a score (`packed`: its millionths times two, plus one where
    /// churn followed).
    pub(super) fn push(&mut self, packed: u32) {
        self.len += 1;
        if self.buckets.is_empty() {
            if self.flat.len() < FLAT_MAX {
                self.flat.push(packed);
                return;
            }
            for p in std::mem::take(&mut self.flat) {
                self.put(p);
            }
        }
        self.put(packed);
    }

    /// Puts a score in its bucket.
    fn put(&mut self, packed: u32) {
        let at = (packed >> LOW) as usize;
        if at >= self.buckets.len() {
            self.buckets.resize_with(at + 1, Vec::new);
        }
        if let Some(bucket) = self.buckets.get_mut(at) {
            bucket.push((packed & ((1 << LOW) - 1)) as u16);
        }
    }

    /// How many scores were added.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Each packed score: the flat ones, then a bucket after another
    /// (sorted where the flat ones or the buckets are).
    fn packed(&self) -> impl Iterator<Item = u32> + '_ {
        let buckets = self.buckets.iter().enumerate().flat_map(|(at, bucket)| {
            let high = (at as u32) << LOW;
            bucket.iter().map(move |low| high | u32::from(*low))
        });
        self.flat.iter().copied().chain(buckets)
    }

    /// The ROC curve at thresholds 0, 1, …, 101 whole points (exact
    /// shares, rounded half up to the millionth).
    pub(super) fn roc(&self) -> Vec<RocPoint> {
        let (mut churned, mut retained) = ([0u64; 102], [0u64; 102]);
        for r in self.packed() {
            let bucket = ((r >> 1) / MICRO as u32).min(100) as usize + 1;
            let counts = if r & 1 == 1 {
                &mut churned
            } else {
                &mut retained
            };
            if let Some(n) = counts.get_mut(bucket) {
                *n += 1;
            }
        }
        let (total_c, total_r): (u64, u64) = (churned.iter().sum(), retained.iter().sum());
        if total_c == 0 || total_r == 0 {
            return Vec::new();
        }
        let (mut below_c, mut below_r) = (0u64, 0u64);
        (0..102u32)
            .map(|t| {
                below_c += churned.get(t as usize).copied().unwrap_or(0);
                below_r += retained.get(t as usize).copied().unwrap_or(0);
                RocPoint {
                    below: t,
                    false_positive: rate(below_r, total_r).unwrap_or(Share::ZERO),
                    true_positive: rate(below_c, total_c).unwrap_or(Share::ZERO),
                }
            })
            .collect()
    }

    /// Rank-based AUC (Mann–Whitney U), ties counting half, exact.
    pub(super) fn auc(mut self) -> Option<Auc> {
        // Equal scores side by side (retained before churned: no matter).
        self.flat.sort_unstable();
        for bucket in &mut self.buckets {
            bucket.sort_unstable();
        }
        let churned = self.packed().filter(|r| r & 1 == 1).count() as u128;
        let retained = u128::from(self.len) - churned;
        if churned == 0 || retained == 0 {
            return None;
        }
        // For each retained score: churned scores strictly below it count
        // 2, churned scores equal to it count 1 (numerator doubled to stay
        // whole). A group: the churned and retained of one score.
        let (mut twice_u, mut churned_below) = (0u128, 0u128);
        let (mut score, mut c, mut n) = (None, 0u128, 0u128);
        for r in self.packed() {
            if score != Some(r >> 1) {
                twice_u += n * (2 * churned_below + c);
                churned_below += c;
                (score, c, n) = (Some(r >> 1), 0, 0);
            }
            if r & 1 == 1 {
                c += 1;
            } else {
                n += 1;
            }
        }
        twice_u += n * (2 * churned_below + c);
        Some(Auc {
            numerator: twice_u,
            denominator: 2 * churned * retained,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AUC by its definition: over every (churned, retained) pair,
    /// 2 where the retained score is higher, 1 where they are equal.
    fn auc_by_pairs(packed: &[u32]) -> Option<(u128, u128)> {
        let churned: Vec<u32> = packed
            .iter()
            .filter(|p| *p & 1 == 1)
            .map(|p| p >> 1)
            .collect();
        let retained: Vec<u32> = packed
            .iter()
            .filter(|p| *p & 1 == 0)
            .map(|p| p >> 1)
            .collect();
        if churned.is_empty() || retained.is_empty() {
            return None;
        }
        let mut twice = 0u128;
        for c in &churned {
            for r in &retained {
                twice += match r.cmp(c) {
                    std::cmp::Ordering::Greater => 2,
                    std::cmp::Ordering::Equal => 1,
                    std::cmp::Ordering::Less => 0,
                };
            }
        }
        Some((twice, 2 * churned.len() as u128 * retained.len() as u128))
    }

    #[test]
    fn the_auc_is_its_definition_across_buckets_and_ties() {
        // Scores near bucket edges (every 32,768 millionths), ties within
        // and across churn, 0 and 100 points.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for round in 0..40 {
            // Even rounds in buckets from the first score (odd ones
            // flat, as a tally of fewer than FLAT_MAX scores is).
            let mut ranked = Ranked::default();
            if round % 2 == 0 {
                ranked.buckets.push(Vec::new());
            }
            let mut packed = Vec::new();
            for _ in 0..(50 + round * 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let micros = match x % 4 {
                    0 => ((x >> 8) % 3_052) as u32 * 32_768 + (x >> 40) as u32 % 3,
                    1 => ((x >> 8) % 100_000_001) as u32,
                    2 => [0, 100_000_000, 32_767, 32_768][(x >> 8) as usize % 4],
                    _ => 60_000_000,
                };
                let micros = micros.min(100_000_000);
                let p = micros << 1 | ((x >> 20) & 1) as u32;
                ranked.push(p);
                packed.push(p);
            }
            assert_eq!(ranked.len(), packed.len() as u64);
            let mut sorted = packed.clone();
            sorted.sort_unstable();
            assert_eq!(ranked.flat.is_empty(), round % 2 == 0);
            let mut by_buckets = ranked.clone();
            by_buckets.flat.sort_unstable();
            for b in &mut by_buckets.buckets {
                b.sort_unstable();
            }
            assert_eq!(by_buckets.packed().collect::<Vec<_>>(), sorted);
            let want = auc_by_pairs(&packed);
            let got = ranked.auc().map(|a| (a.numerator, a.denominator));
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn the_roc_counts_scores_below_each_whole_point() {
        let mut ranked = Ranked::default();
        // Churned at 10.5 and 60; retained at 59.999999, 60 and 100.
        for p in [
            10_500_000 << 1 | 1,
            60_000_000 << 1 | 1,
            59_999_999 << 1,
            60_000_000 << 1,
            100_000_000 << 1,
        ] {
            ranked.push(p);
        }
        let roc = ranked.roc();
        assert_eq!(roc.len(), 102);
        let at = |t: usize| {
            (
                roc[t].false_positive.micros(),
                roc[t].true_positive.micros(),
            )
        };
        assert_eq!(at(0), (0, 0));
        assert_eq!(at(11), (0, 500_000), "below 11 points: the 10.5");
        assert_eq!(
            at(60),
            (333_333, 500_000),
            "below 60: 59.999999 of three retained"
        );
        assert_eq!(at(61), (666_667, 1_000_000));
        assert_eq!(at(101), (1_000_000, 1_000_000));
        assert!(Ranked::default().roc().is_empty());
    }

    #[test]
    fn past_flat_max_scores_go_into_buckets_and_rank_the_same() {
        let mut ranked = Ranked::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut packed = Vec::new();
        for i in 0..FLAT_MAX + 1_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Whole points and a few fractions: many ties.
            let micros = (x % 101) as u32 * 1_000_000 + if i % 3 == 0 { 500_000 } else { 0 };
            let p = micros.min(100_000_000) << 1 | u32::from(x >> 60 == 0);
            ranked.push(p);
            packed.push(p);
            assert_eq!(ranked.buckets.is_empty(), i < FLAT_MAX, "score {i}");
        }
        assert!(ranked.flat.is_empty());
        assert_eq!(ranked.len(), packed.len() as u64);
        let flat = Ranked {
            len: packed.len() as u64,
            flat: packed,
            ..Ranked::default()
        };
        assert_eq!(ranked.roc(), flat.roc());
        let want = flat.auc().map(|a| (a.numerator, a.denominator));
        assert!(want.is_some());
        assert_eq!(ranked.auc().map(|a| (a.numerator, a.denominator)), want);
    }
}
