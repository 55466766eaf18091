//! The row path's compiled form: what [`Account::score`](crate::Account::score)
//! (and the batch path's general kernel) runs for the metrics of one
//! account.
//!
//! Built once per model: each metric's curve held inline as at most
//! [`PIECES`] exact linear pieces (or steps), and each scorecard's weighted
//! metrics. Scoring an account is then one flat loop over the scorecard's
//! metrics with no pointer to follow per metric, no loop over breakpoints
//! and no branch on the value: the value is clamped, its piece
//! found by comparing it with the (at most three) piece starts, and the
//! score is `⌊(a·t + b) / d⌋` through a precomputed reciprocal (one
//! multiply, exact for the piece's range: see [`Piece`](inline::Piece)), with `t` the
//! distance from the piece's lower-scoring end.
//! A curve with more pieces, or whose products would not fit 63 bits, is
//! evaluated by the curve itself ([`Curve::eval`](crate::curve::Curve::eval)); both give the same
//! scores (a property test checks it).
//!
//! Finishing a score from the sums (dimension scores, coverage, the
//! overall score, band) is `compute`'s; for it the program keeps each
//! scorecard's fixed divisors where every one exists ([`Lean`]).

use crate::band::Band;
use crate::metric::Metric;
use crate::points::Divisor;
use crate::score::compute::Parts;
use crate::scorecard::Scorecard;
use crate::slots::Slot;

mod inline;
mod lanes;
use inline::Inline;
use lanes::Lanes;

/// The most pieces (steps, with the score below the first) a curve held
/// inline has.
const PIECES: usize = 4;

/// The row path's form of a model: each metric's curve and missing
/// policy, and each scorecard's weighted metrics (in the model's order).
#[derive(Clone, Debug)]
pub(crate) struct Program {
    metrics: Box<[MetricProgram]>,
    cards: Box<[CardProgram]>,
}

/// A metric's curve and missing policy, once for every scorecard.
#[derive(Clone, Debug)]
struct MetricProgram {
    /// `None`: evaluated by the metric's [`Curve`](crate::curve::Curve).
    curve: Option<Inline>,
    /// The score imputed when the value is missing (0 when it is not).
    missing: u32,
    /// Whether the missing policy imputes a score at all.
    imputes: bool,
}

/// A scorecard's weighted metrics, by dimension.
#[derive(Clone, Debug)]
struct CardProgram {
    steps: Box<[Step]>,
    /// Every dimension's Σ weight is at most [`NARROW_TOTAL`], so
    /// Σ weight·score fits a `u64`.
    narrow: bool,
    /// The fixed divisors, when they all exist.
    lean: Option<Lean>,
    /// No metric imputes, none is bounded or left to its curve, every
    /// curve's reciprocals are exact, no dimension takes its worst metric:
    /// a metric has data exactly when it is scored.
    plain: bool,
    /// The metric loop in SIMD lanes (AVX-512, or AVX2 and FMA), where
    /// the CPU has them and the scorecard fits ([`Lanes`]).
    lanes: Option<Box<Lanes>>,
}

/// A scorecard's fixed divisors (its [`Divisors`](crate::scorecard::Divisors)),
/// when every one exists: each then takes every sum scoring can give it
/// (`Divisors` checks the range), so finishing a score needs no check.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lean {
    pub(crate) coverage: [Divisor; 4],
    pub(crate) score: [Divisor; 4],
    pub(crate) overall: Divisor,
    pub(crate) overall_coverage: Divisor,
}

impl Lean {
    /// `None` when a weighted dimension, or the whole scorecard, has no
    /// reciprocal (weights too large for one).
    fn of(card: &Scorecard) -> Option<Lean> {
        let f = &card.divisors;
        // A dimension without weight is never divided by: any divisor.
        let pick = |d: &[Option<Divisor>; 4]| -> Option<[Divisor; 4]> {
            let mut out = [Divisor::new(1)?; 4];
            for ((o, d), w) in out.iter_mut().zip(d).zip(card.dim_weight) {
                if w > 0 {
                    *o = (*d)?;
                }
            }
            Some(out)
        };
        Some(Lean {
            coverage: pick(&f.coverage)?,
            score: pick(&f.score)?,
            overall: f.overall?,
            overall_coverage: f.overall_coverage?,
        })
    }
}

/// One weighted metric of a scorecard.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// The metric's position in the model (and in an account's slots).
    metric: usize,
    /// Its dimension's index (0..4).
    dim: usize,
    weight: u64,
}

/// The largest Σ weight of a dimension whose Σ weight·score fits a `u64`
/// whatever the scores (each below 2³²): `(2⁶⁴ − 1) / (2³² − 1) = 2³² + 1`.
const NARROW_TOTAL: u64 = (1 << 32) + 1;

/// Per dimension: Σ weight·score, Σ weight of the scored metrics, the
/// lowest score, and Σ weight of the metrics with data.
pub(crate) struct Sums {
    pub(crate) sum: [u128; 4],
    pub(crate) wsum: [u64; 4],
    pub(crate) worst: [u32; 4],
    pub(crate) data: [u64; 4],
}

impl Sums {
    const EMPTY: Sums = Sums {
        sum: [0; 4],
        wsum: [0; 4],
        worst: [u32::MAX; 4],
        data: [0; 4],
    };
}

impl Program {
    /// The program of compiled metrics and scorecards.
    pub(crate) fn compile(metrics: &[Metric], cards: &[Scorecard]) -> Program {
        let programs: Box<[MetricProgram]> = metrics
            .iter()
            .map(|m| MetricProgram {
                curve: Inline::of(&m.curve),
                missing: m.missing.map_or(0, |p| p.micros()),
                imputes: m.missing.is_some(),
            })
            .collect();
        let cards = cards
            .iter()
            .map(|card| {
                let steps: Vec<Step> = card
                    .ops
                    .iter()
                    .map(|op| Step {
                        metric: op.metric,
                        dim: op.dim,
                        weight: op.weight,
                    })
                    .collect();
                let plain = !card.worst_wins.iter().any(|w| *w)
                    && steps.iter().all(|s| {
                        programs.get(s.metric).is_some_and(|m| {
                            !m.imputes
                                && m.curve.is_some_and(|c| {
                                    c.exact && c.in_lo == i64::MIN && c.in_hi == i64::MAX
                                })
                        })
                    });
                let narrow = card.dim_total.iter().all(|t| *t <= NARROW_TOTAL);
                CardProgram {
                    lanes: Lanes::of(&steps, &programs, card),
                    lean: Lean::of(card),
                    steps: steps.into_boxed_slice(),
                    narrow,
                    plain,
                }
            })
            .collect();
        Program {
            metrics: programs,
            cards,
        }
    }

    /// The fixed divisors of scorecard `card`, when its sums fit `u64`.
    #[inline(always)]
    pub(crate) fn lean(&self, card: usize) -> Option<&Lean> {
        self.cards.get(card)?.lean.as_ref()
    }

    /// The score of an account of scorecard `card` (`scorecard`) from its
    /// slots, where the scorecard has lanes that finish it
    /// ([`Lanes::parts`]); `None` otherwise.
    #[inline(always)]
    pub(crate) fn lane_parts(
        &self,
        card: usize,
        scorecard: &Scorecard,
        slots: &[Slot],
        previous: Option<Band>,
    ) -> Option<Parts> {
        self.cards
            .get(card)?
            .lanes
            .as_ref()?
            .parts(scorecard, slots, previous)
    }

    /// Sums the metrics of scorecard `card` over an account's slots
    /// (nothing for a scorecard the program does not have).
    #[inline(always)]
    pub(crate) fn sums(&self, card: usize, metrics: &[Metric], slots: &[Slot]) -> Sums {
        let Some(card) = self.cards.get(card) else {
            return Sums::EMPTY;
        };
        if let Some(sums) = card.lanes.as_ref().and_then(|l| l.sums(slots)) {
            return sums;
        }
        card.scalar_sums(&self.metrics, metrics, slots)
    }

    /// [`sums`](Self::sums) without the lanes, for the tests' reference.
    #[cfg(test)]
    pub(crate) fn scalar_sums(&self, card: usize, metrics: &[Metric], slots: &[Slot]) -> Sums {
        self.cards.get(card).map_or(Sums::EMPTY, |c| {
            c.scalar_sums(&self.metrics, metrics, slots)
        })
    }
}

impl CardProgram {
    /// The scalar loop for this scorecard's sums.
    #[inline(always)]
    fn scalar_sums(&self, m: &[MetricProgram], metrics: &[Metric], slots: &[Slot]) -> Sums {
        let card = self;
        match (card.narrow, card.plain) {
            (true, true) => card.sums::<true, true>(m, metrics, slots),
            (true, false) => card.sums::<true, false>(m, metrics, slots),
            (false, true) => card.sums::<false, true>(m, metrics, slots),
            (false, false) => card.sums::<false, false>(m, metrics, slots),
        }
    }
}

impl CardProgram {
    /// One flat pass over the metrics (a loop per dimension is slower:
    /// its exits mispredict); with `NARROW`,
    /// Σ weight·score in 64 bits, which cannot overflow there; with
    /// `PLAIN`, none of the imputation, range and worst-score work.
    #[inline(always)]
    fn sums<const NARROW: bool, const PLAIN: bool>(
        &self,
        programs: &[MetricProgram],
        metrics: &[Metric],
        slots: &[Slot],
    ) -> Sums {
        let (mut wide, mut short, mut wsum, mut worst, mut data) =
            ([0u128; 4], [0u64; 4], [0u64; 4], [u32::MAX; 4], [0u64; 4]);
        for step in self.steps.iter() {
            let (Some(slot), Some(program)) = (slots.get(step.metric), programs.get(step.metric))
            else {
                continue;
            };
            let d = step.dim & 3;
            let (w, used) = if PLAIN {
                let s = program
                    .curve
                    .as_ref()
                    .map_or(0, |c| c.eval::<true>(slot.value).0);
                // A conditional move, not a branch: which values are
                // missing is as random as the data. (Written as a product,
                // the compiler turned it back into a branch around the
                // weight's load, mispredicted wherever a value is missing
                // at random: v0m has about 5% of each metric missing.)
                let w = std::hint::select_unpredictable(slot.is_present(), step.weight, 0);
                (w, s)
            } else {
                let (score, observed) = match &program.curve {
                    _ if !slot.is_present() => (0, false),
                    Some(c) => c.score(slot.value),
                    None => match metrics
                        .get(step.metric)
                        .filter(|_| slot.is_present())
                        .and_then(|m| m.curve.eval(slot.value))
                    {
                        Some(s) => (s, true),
                        None => (0, false),
                    },
                };
                let scored = observed | program.imputes;
                data[d] += if observed { step.weight } else { 0 };
                let used = if observed { score } else { program.missing };
                worst[d] = worst[d].min(if scored { used } else { u32::MAX });
                (if scored { step.weight } else { 0 }, used)
            };
            if NARROW {
                short[d] += w * u64::from(used);
            } else {
                wide[d] += u128::from(w) * u128::from(used);
            }
            wsum[d] += w;
        }
        Sums {
            sum: if NARROW { short.map(u128::from) } else { wide },
            wsum,
            worst,
            data: if PLAIN { wsum } else { data },
        }
    }
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
