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
//! multiply, exact for the piece's range: see [`Piece`]), with `t` the
//! distance from the piece's lower-scoring end.
//! A curve with more pieces, or whose products would not fit 63 bits, is
//! evaluated by the curve itself ([`Curve::eval`]); both give the same
//! scores (a property test checks it).
//!
//! Finishing a score from the sums (dimension scores, coverage, the
//! overall score, band) is `compute`'s; for it the program keeps each
//! scorecard's fixed divisors where every one exists ([`Lean`]).

use crate::curve::Curve;
use crate::metric::Metric;
use crate::points::{gcd, Divisor};
use crate::scorecard::Scorecard;
use crate::slots::Slot;

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
    /// `None`: evaluated by the metric's [`Curve`].
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

/// A curve of at most [`PIECES`] pieces, inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Inline {
    /// A value is clamped to `[lo, hi]` before its piece is found.
    lo: i64,
    hi: i64,
    /// A value outside `[in_lo, in_hi]` has no score (a bounded curve's
    /// ends; the whole range for other curves).
    in_lo: i64,
    in_hi: i64,
    /// Where pieces `1..` start, rising; unused entries repeat the last
    /// start's successor's piece (see `pieces`).
    starts: [i64; PIECES - 1],
    /// The pieces; entries past the last real piece copy it, so a value
    /// that counts an unused start picks the same score.
    pieces: [Piece; PIECES],
    /// Every piece's reciprocal is exact (no correction step).
    exact: bool,
    /// Each piece's divisor `d`, for the correction step.
    ds: [u64; PIECES],
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
///   [`Divisor`] does.
///
/// A step is the constant piece `a = 0`, `c = 2·score`, `d = 2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    flip: i64,
    a: u64,
    c: u64,
    m: u64,
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

    /// Sums the metrics of scorecard `card` over an account's slots
    /// (nothing for a scorecard the program does not have).
    #[inline(always)]
    pub(crate) fn sums(&self, card: usize, metrics: &[Metric], slots: &[Slot]) -> Sums {
        let Some(card) = self.cards.get(card) else {
            return Sums::EMPTY;
        };
        let m = &self.metrics;
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

impl Inline {
    /// The inline form of a curve; `None` when it has more than
    /// [`PIECES`] pieces or a piece's products could exceed 63 bits.
    fn of(curve: &Curve) -> Option<Inline> {
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
    fn score(&self, x: i64) -> (u32, bool) {
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
    fn eval<const EXACT: bool>(&self, x: i64) -> (u32, bool) {
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

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
