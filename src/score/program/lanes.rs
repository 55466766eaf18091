//! One account's metric loop in SIMD lanes: a scorecard's metrics side by
//! side in sixteen 64-bit lanes, four per dimension, so that the whole loop
//! of [`CardProgram::sums`](super::CardProgram) is a few dozen vector
//! instructions with no branch, and each dimension's sums are a reduction
//! over its own four lanes. With AVX-512 the lanes are two registers of
//! eight; with AVX2 and FMA (no AVX-512: AMD before Zen 4, Intel client
//! CPUs) four registers of four, one per dimension ([`avx2`]'s docs list
//! what AVX2 lacks and what stands in, exactly).
//!
//! # Exactness
//!
//! Each lane scores its value with its curve's piece `⌊n / d⌋`, `n` the
//! piece's `a·(x ^ flip) + c` of [`Piece`](super::inline::Piece), written as
//! `n = α·x + β` with `α = ±a`. Where, over every value that selects the
//! piece, `x`, `α` and `β` are integers an `f64` holds exactly, `n` is in
//! `[0, 2⁵¹)`, `d ≤ 2²²` and the score below 2²⁷, the lane computes
//! `n` with one fused multiply-add (exact: the true `n` is a double) and
//! the score as `⌊n·u⌋`, `u` the double just above `fl(1/d)`, which is
//! `⌊n / d⌋` exactly (the proof is the batch kernel's, in the docs of
//! `Shape::Linear::direct` in `batch/plan.rs`). Scores times
//! weights (each below 2³²) and their sums are `u64` as on the scalar path.
//!
//! The lanes then finish the score too (dimension scores and coverages,
//! overall score and coverage: see [`finish`]) where the scorecard's weight
//! sums allow, one multiply per division.
//!
//! # What runs the scalar loop instead
//!
//! A CPU without AVX-512 (`F` and `DQ`) or AVX2 and FMA; a model of more
//! than 16 metrics;
//! a scorecard with more than four metrics in a dimension, a metric weight
//! of 2³² or more, a "worst wins" dimension, a bounded curve, or a curve
//! piece that misses a bound above. The results are the same either way:
//! the tests compare the two paths field by field over random models and
//! slots. A metric that imputes a score for a missing or stale value
//! (`worst`, `neutral`) takes the lanes: its lane scores the imputed score
//! and counts its weight as scored but not as data, as the scalar loop
//! does.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod finish;

use super::{Inline, MetricProgram, Step, Sums, PIECES};
use crate::band::Band;
use crate::score::compute::Parts;
use crate::scorecard::Scorecard;
use crate::slots::Slot;
use finish::Finish;

/// Lanes of a scorecard: four per dimension.
const LANES: usize = 16;

/// The largest magnitude of an integer the lane arithmetic holds exactly.
const F64_EXACT: i128 = 1 << 53;

/// A scorecard's metrics laid out in lanes: each field is two halves of
/// eight lanes (lanes `0..8` hold dimensions 0 and 1, `8..16` dimensions
/// 2 and 3). Unused lanes have weight 0.
#[derive(Clone)]
#[repr(C, align(64))]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 loops only
pub(super) struct Lanes {
    /// Per half, the word of each lane's value (its low and high word), in
    /// the account's slots as words.
    value_word: [[u32; 16]; 2],
    /// The tag word of each of the 16 lanes.
    tag_word: [u32; 16],
    /// Lanes whose words are past the first 32 (the third load).
    value_far: [u16; 2],
    tag_far: u16,
    weight: [[u64; 8]; 2],
    /// Lanes whose metric imputes a score when its value is missing (or
    /// stale), as bits, and that score.
    imputes: u16,
    missing: [[u64; 8]; 2],
    /// The weight of each lane whose metric imputes a score (0 elsewhere):
    /// scored whether or not its value is present.
    imputing: [[u64; 8]; 2],
    /// The clamp of the curve.
    lo: [[i64; 8]; 2],
    hi: [[i64; 8]; 2],
    /// Where pieces `1..` start.
    starts: [[[i64; 8]; 2]; PIECES - 1],
    /// Per piece, `n = α·x + β` and `u`.
    alpha: [[[f64; 8]; 2]; PIECES],
    beta: [[[f64; 8]; 2]; PIECES],
    inv: [[[f64; 8]; 2]; PIECES],
    /// The model's metric count (the slots an account has).
    metrics: usize,
    /// The words each of the three loads takes from the slots of an
    /// account with `metrics` slots, as bits.
    load_mask: [u16; 3],
    /// How many piece starts any lane has (the rest are `i64::MAX`, whose
    /// pieces copy the last real one: no need to look).
    rounds: usize,
    /// The scorecard's constants for finishing a score in lanes, where
    /// its weights allow ([`Finish`]).
    finish: Option<Finish>,
    /// Each lane's metric (unused lanes: 0, of weight 0), where the AVX2
    /// loop reads its slot.
    metric: [u32; 16],
    /// Every lane's clamp is of magnitude below 2⁵¹, so that the AVX2 loop
    /// converts a clamped value to `f64` in two instructions, not seven.
    narrow: bool,
    /// What the lane loop runs with: what the CPU had when the lanes were
    /// built (none: the tests' lanes on a CPU without either).
    isa: Option<Isa>,
}

/// What a lane loop is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // x86-64 only
enum Isa {
    /// AVX-512 `F` and `DQ`: two registers of eight lanes.
    Avx512,
    /// AVX2 and FMA: four registers of four lanes.
    Avx2,
}

/// A summary, not the 2 KiB of tables (a model's `Debug` shows its
/// program).
impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes")
            .field("metrics", &self.metrics)
            .field("weights", &self.weight)
            .field("piece_starts", &self.rounds)
            .field("finishes", &self.finish.is_some())
            .finish_non_exhaustive()
    }
}

/// One lane's curve piece: `α`, `β`, `u`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LanePiece {
    alpha: f64,
    beta: f64,
    inv: f64,
}

impl Lanes {
    /// The lanes of a scorecard's steps, when the running CPU has AVX-512
    /// or AVX2 and FMA, and every bound of the module's docs holds; `None`
    /// otherwise.
    pub(super) fn of(
        steps: &[Step],
        programs: &[MetricProgram],
        card: &Scorecard,
    ) -> Option<Box<Lanes>> {
        // "Worst wins" is the scalar loop's.
        if !detected() || card.worst_wins.iter().any(|w| *w) {
            return None;
        }
        let mut lanes = Lanes::build(steps, programs)?;
        lanes.finish = Finish::of(card, &lanes.weight);
        Some(lanes)
    }

    /// [`of`](Self::of) whatever the CPU has, without the dimensions'
    /// constants (the tests' entry).
    fn build(steps: &[Step], programs: &[MetricProgram]) -> Option<Box<Lanes>> {
        let metrics = programs.len();
        if metrics > LANES {
            return None;
        }
        let mut lanes = Box::new(Lanes {
            value_word: [[0; 16]; 2],
            tag_word: [0; 16],
            value_far: [0; 2],
            tag_far: 0,
            weight: [[0; 8]; 2],
            imputes: 0,
            missing: [[0; 8]; 2],
            imputing: [[0; 8]; 2],
            lo: [[0; 8]; 2],
            hi: [[0; 8]; 2],
            starts: [[[i64::MAX; 8]; 2]; PIECES - 1],
            alpha: [[[0.0; 8]; 2]; PIECES],
            beta: [[[0.0; 8]; 2]; PIECES],
            inv: [[[0.0; 8]; 2]; PIECES],
            metrics,
            load_mask: [0, 16, 32].map(|at| {
                let n = (3 * metrics).saturating_sub(at).min(16);
                ((1u32 << n) - 1) as u16
            }),
            rounds: 0,
            finish: None,
            metric: [0; 16],
            narrow: true,
            isa: isa(),
        });
        let mut used = [0usize; 4];
        for step in steps {
            let program = programs.get(step.metric)?;
            let curve = program.curve.as_ref()?;
            // A bounded curve's "no score outside" is the scalar loop's.
            if curve.in_lo != i64::MIN || curve.in_hi != i64::MAX {
                return None;
            }
            let dim = *used.get(step.dim)?;
            *used.get_mut(step.dim)? += 1;
            if dim >= 4 || step.weight >= 1 << 32 {
                return None;
            }
            let lane = 4 * step.dim + dim;
            lanes.place(lane, step.metric, step.weight, curve)?;
            if program.imputes {
                lanes.imputes |= 1 << lane;
                *lanes.missing.get_mut(lane / 8)?.get_mut(lane % 8)? = u64::from(program.missing);
                *lanes.imputing.get_mut(lane / 8)?.get_mut(lane % 8)? = step.weight;
            }
        }
        Some(lanes)
    }

    /// Puts metric `metric` of weight `weight` in lane `lane`.
    fn place(&mut self, lane: usize, metric: usize, weight: u64, curve: &Inline) -> Option<()> {
        let (h, i) = (lane / 8, lane % 8);
        let word = u32::try_from(3 * metric).ok()?;
        for (k, w) in [word, word + 1].into_iter().enumerate() {
            *self.value_word.get_mut(h)?.get_mut(2 * i + k)? = w;
            if w >= 32 {
                *self.value_far.get_mut(h)? |= 1 << (2 * i + k);
            }
        }
        *self.tag_word.get_mut(lane)? = word + 2;
        *self.metric.get_mut(lane)? = u32::try_from(metric).ok()?;
        if word + 2 >= 32 {
            self.tag_far |= 1 << lane;
        }
        *self.weight.get_mut(h)?.get_mut(i)? = weight;
        *self.lo.get_mut(h)?.get_mut(i)? = curve.lo;
        *self.hi.get_mut(h)?.get_mut(i)? = curve.hi;
        let narrow = |x: i64| x.unsigned_abs() < 1 << 51;
        self.narrow &= narrow(curve.lo) && narrow(curve.hi);
        if curve.starts.windows(2).any(|w| w.first() > w.get(1)) {
            return None;
        }
        for (k, s) in curve.starts.iter().enumerate() {
            *self.starts.get_mut(k)?.get_mut(h)?.get_mut(i)? = *s;
        }
        let starts = curve.starts.iter().filter(|s| **s != i64::MAX).count();
        self.rounds = self.rounds.max(starts);
        for k in 0..PIECES {
            let p = lane_piece(curve, k)?;
            *self.alpha.get_mut(k)?.get_mut(h)?.get_mut(i)? = p.alpha;
            *self.beta.get_mut(k)?.get_mut(h)?.get_mut(i)? = p.beta;
            *self.inv.get_mut(k)?.get_mut(h)?.get_mut(i)? = p.inv;
        }
        Some(())
    }

    /// The sums of an account's slots; `None` when the slots are not the
    /// model's (then the scalar loop runs).
    #[inline(always)]
    #[allow(unsafe_code)] // calls the loop compiled for what was detected when `self` was built
    pub(super) fn sums(&self, slots: &[Slot]) -> Option<Sums> {
        if slots.len() != self.metrics {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `self.isa` is what `isa()` found on this CPU when the
            // lanes were built: the features each loop is compiled for.
            match self.isa? {
                Isa::Avx512 => Some(unsafe { avx512::sums(self, slots) }),
                Isa::Avx2 => Some(unsafe { avx2::sums(self, slots) }),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }
}

impl Lanes {
    /// An account's score from its slots, where the scorecard's weights
    /// allow ([`Finish`]); `None` otherwise, or for slots not the model's.
    #[inline(always)]
    #[allow(unsafe_code)] // calls the loop compiled for what was detected when `self` was built
    pub(super) fn parts(
        &self,
        card: &Scorecard,
        slots: &[Slot],
        previous: Option<Band>,
    ) -> Option<Parts> {
        let finish = self.finish.as_ref()?;
        if slots.len() != self.metrics {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: as in `sums`.
            let out = match self.isa? {
                Isa::Avx512 => unsafe { avx512::score(self, finish, slots) },
                Isa::Avx2 => unsafe { avx2::score(self, finish, slots) },
            };
            Some(finish.parts(card, &out, previous))
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (card, finish, previous);
            None
        }
    }
}

/// The running CPU has what a lane loop is compiled for.
fn detected() -> bool {
    isa().is_some()
}

/// The widest lane loop the running CPU has.
fn isa() -> Option<Isa> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512dq") {
            return Some(Isa::Avx512);
        }
        if has!("avx2") && has!("fma") && has!("avx") && has!("sse4.1") {
            return Some(Isa::Avx2);
        }
    }
    None
}

/// Every lane loop the running CPU has, widest first, each with whether
/// it may convert values the narrow way (the tests run each; the AVX2 loop
/// both ways, as a model with a clamp past 2⁵¹ runs it).
#[cfg(test)]
fn variants() -> Vec<(Isa, bool)> {
    let mut all = Vec::new();
    if isa() == Some(Isa::Avx512) {
        all.push((Isa::Avx512, true));
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx2") && has!("fma") && has!("avx") && has!("sse4.1") {
            all.extend([(Isa::Avx2, true), (Isa::Avx2, false)]);
        }
    }
    all
}

#[cfg(test)]
impl Lanes {
    /// These lanes run by a loop of [`variants`]; `narrow` false: with the
    /// general conversion whatever the clamps.
    fn with(&self, (isa, narrow): (Isa, bool)) -> Lanes {
        Lanes {
            isa: Some(isa),
            narrow: self.narrow && narrow,
            ..self.clone()
        }
    }
}

/// Piece `k` of a curve as a lane scores it; `None` when a bound of the
/// module's docs fails for a value that selects the piece.
fn lane_piece(curve: &Inline, k: usize) -> Option<LanePiece> {
    let p = curve.pieces.get(k)?;
    let d = *curve.ds.get(k)?;
    // The values that select piece k: clamped, and counting k starts.
    let from = match k.checked_sub(1) {
        Some(j) => *curve.starts.get(j)?,
        None => i64::MIN,
    };
    let to = match curve.starts.get(k) {
        Some(s) => s.checked_sub(1),
        None => Some(i64::MAX),
    };
    let (xa, xb) = (from.max(curve.lo), to.map(|t| t.min(curve.hi)));
    let inv = inv_up(d)?;
    let Some(xb) = xb.filter(|xb| xa <= *xb) else {
        // Never selected.
        return Some(LanePiece {
            alpha: 0.0,
            beta: 0.0,
            inv,
        });
    };
    let n = |x: i64| p.a.wrapping_mul((x ^ p.flip) as u64).wrapping_add(p.c);
    let alpha = i128::from(p.a) * if p.flip == 0 { 1 } else { -1 };
    let (na, nb) = (i128::from(n(xa)), i128::from(n(xb)));
    let beta = na - alpha * i128::from(xa);
    let exact = |v: i128| v.abs() <= F64_EXACT;
    let bounded = alpha == 0 || (exact(i128::from(xa)) && exact(i128::from(xb)));
    let top = na.max(nb);
    if !(bounded && exact(alpha) && exact(beta))
        || nb != alpha * i128::from(xb) + beta
        || top >= 1 << 51
        || top / i128::from(d) >= 1 << 27
    {
        return None;
    }
    Some(LanePiece {
        alpha: alpha as f64,
        beta: beta as f64,
        inv,
    })
}

/// The double just above `fl(1/d)`, for `1 ≤ d ≤ 2²²`.
fn inv_up(d: u64) -> Option<f64> {
    if d == 0 || d > 1 << 22 {
        return None;
    }
    let inv = 1.0 / d as f64;
    Some(f64::from_bits(inv.to_bits() + 1))
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
