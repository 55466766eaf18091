//! What a [`Scorer`](super::Scorer) precomputes from a model: the batch
//! kernel's tables, in exact integers held by `f64`.
//!
//! Every quantity of the kernel is an integer below 2⁵¹, which an `f64`
//! holds exactly, and every sum, product and quotient it forms stays below
//! that bound (checked here, once per model). Integer sums and products of
//! such values are exact in `f64`; a quotient is rounded by the hardware
//! to the nearest `f64`, whose floor is the floor of the exact quotient
//! (for `a, b < 2⁵²`, `a/b` is at least `1/b` from the next integer up,
//! more than half an ulp). So the kernel computes exactly what the row
//! API's `u64`/`u128` arithmetic does, in the arithmetic that vectorises.
//! Weights are divided by their greatest common divisor per scorecard and
//! dimension, and curve slopes `dy/dx` by theirs: the ratios, and so every
//! rounded result, are unchanged, and the operands stay small.

use crate::metric::{Metric, MetricKind};
use crate::model::Model;
use crate::points::{gcd, MICRO};

/// Integers up to this bound are exact in every step of the kernel.
pub(crate) const EXACT: f64 = (1u64 << 51) as f64;

/// The most linear pieces (or steps) of a curve the kernel unrolls.
pub(crate) const MAX_PIECES: usize = 8;

/// One linear piece: score `base + ⌊(a·x + b) / c⌋`, which is the row
/// API's `base + round(t·dy/dx)` (ties up) with `t` measured from the end
/// with the lower score: `a = ±2·dy`, `b = dx ∓ 2·xr·dy`, `c = 2·dx`, the
/// slope `dy/dx` divided by its gcd.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Piece {
    /// Where the piece starts (the selection threshold; +∞ for padding).
    pub(crate) from: f64,
    pub(crate) a: f64,
    pub(crate) b: f64,
    pub(crate) c: f64,
    /// fl(1/c).
    pub(crate) inv: f64,
    pub(crate) base: f64,
    /// `b + base·c`: the score is `⌊(a·x + b_base) / c⌋` (see
    /// [`Shape::Linear::direct`]).
    pub(crate) b_base: f64,
    /// The double just above fl(1/c), which is above `1/c`.
    pub(crate) inv_up: f64,
}

/// The largest `c` of a piece scored in one step (see
/// [`Shape::Linear::direct`]).
const DIRECT_C: f64 = (1u64 << 22) as f64;

/// A score in millionths is below this (100 points is 10⁸).
const SCORE_BOUND: f64 = (1u64 << 27) as f64;

/// A curve for the kernel.
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    Linear {
        pieces: Vec<Piece>,
        bounded: bool,
        /// Every piece's score is `⌊fl((a·x + b_base)·inv_up)⌋`, one
        /// multiply and one rounding with no correction step. Exact when
        /// `c ≤ 2²²`, every partial of `a·x + b_base` stays below 2⁵¹ and
        /// the score below 2²⁷: with `t = a·x + b_base = q·c + r`
        /// (`0 ≤ r < c`) and `u = inv_up = (1 + δ)/c`, `0 < δ < 2⁻⁵¹`,
        /// `t·u ≥ t/c ≥ q` so the rounded product is at least `q`, and
        /// `t·u < (q + 1 − 1/c)(1 + δ) < q + 1 − 2⁻²² + 2⁻²⁴`, below the
        /// double `q + 1 − 2⁻²⁴` (doubles below 2²⁷ are 2⁻²⁶ apart), so the
        /// rounded product stays below `q + 1`.
        direct: bool,
    },
    Steps {
        thresholds: Vec<f64>,
        scores: Vec<f64>,
    },
}

/// A metric for the kernel.
#[derive(Clone, Debug)]
pub(crate) struct MetricPlan {
    pub(crate) dim: usize,
    pub(crate) flag: bool,
    pub(crate) judgement: bool,
    /// `round(x·10⁶)` lies in the kind's range iff `lo_y ≤ x·10⁶ ≤ hi_y`.
    pub(crate) lo_y: f64,
    pub(crate) hi_y: f64,
    /// Clamp `x·10⁶` here before rounding (one past the curve's ends).
    pub(crate) clamp_lo: f64,
    pub(crate) clamp_hi: f64,
    /// The curve's ends.
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) shape: Shape,
    /// The score imputed when missing; `None` excludes the metric.
    pub(crate) missing: Option<f64>,
    pub(crate) max_age: Option<i64>,
    /// Its weight in each scorecard (divided by the scorecard dimension's
    /// gcd), and whether the scorecard scores it at all.
    pub(crate) weight: Vec<f64>,
    pub(crate) in_card: Vec<bool>,
    /// The weight when every scorecard gives it the same one.
    pub(crate) same_weight: Option<f64>,
    /// Some scorecard takes its dimension's worst metric.
    pub(crate) worst: bool,
}

/// A scorecard for the kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CardPlan {
    /// Dimension weights divided by their gcd (0: left out).
    pub(crate) w: [f64; 4],
    /// Σ metric weights per dimension, in the reduced units.
    pub(crate) total: [f64; 4],
    pub(crate) worst_wins: [bool; 4],
    /// Σ w.
    pub(crate) w_total: f64,
    pub(crate) green: f64,
    pub(crate) lime: f64,
    pub(crate) yellow: f64,
    pub(crate) min_coverage: f64,
    pub(crate) hysteresis: bool,
}

/// The most scorecards the columnar kernel takes (its per-scorecard
/// tables are fixed arrays indexed by `card & (MAX_CARDS − 1)`, so lookups
/// need no bounds check and vectorise).
pub(crate) const MAX_CARDS: usize = 256;

/// The scorecards as columns: `field[card]`.
#[derive(Clone, Debug)]
pub(crate) struct Cards {
    pub(crate) w: [[f64; MAX_CARDS]; 4],
    pub(crate) total: [[f64; MAX_CARDS]; 4],
    /// 1 where the scorecard takes the dimension's worst metric.
    pub(crate) worst: [[f64; MAX_CARDS]; 4],
    pub(crate) w_total: [f64; MAX_CARDS],
    /// fl(1 / (2·max(total, 1))) and fl(1 / (2·w_total)).
    pub(crate) inv_total: [[f64; MAX_CARDS]; 4],
    pub(crate) inv_w_total: [f64; MAX_CARDS],
    pub(crate) green: [f64; MAX_CARDS],
    pub(crate) lime: [f64; MAX_CARDS],
    pub(crate) yellow: [f64; MAX_CARDS],
    pub(crate) min_coverage: [f64; MAX_CARDS],
    /// Each scorecard's fields as one record of six groups of four, for
    /// CPUs without a lookup instruction (AVX2): four rows' records are
    /// read as four 32-byte loads per group and transposed, where a
    /// gather per field was slower (see `kernel::avx2`). Group `d < 4`:
    /// `[w, total, inv_total, worst]` of dimension `d`; group 4:
    /// `[w_total, inv_w_total, green, lime]`; group 5: `[yellow,
    /// min_coverage, 0, 0]`.
    pub(crate) record: [[[f64; 4]; 6]; MAX_CARDS],
}

impl Cards {
    fn new(plans: &[CardPlan]) -> Option<Box<Cards>> {
        if plans.len() > MAX_CARDS {
            return None;
        }
        let mut t = Box::new(Cards {
            w: [[0.0; MAX_CARDS]; 4],
            total: [[0.0; MAX_CARDS]; 4],
            worst: [[0.0; MAX_CARDS]; 4],
            w_total: [1.0; MAX_CARDS],
            inv_total: [[0.5; MAX_CARDS]; 4],
            inv_w_total: [0.5; MAX_CARDS],
            green: [0.0; MAX_CARDS],
            lime: [0.0; MAX_CARDS],
            yellow: [0.0; MAX_CARDS],
            min_coverage: [0.0; MAX_CARDS],
            record: [[[0.0; 4]; 6]; MAX_CARDS],
        });
        for (c, p) in plans.iter().enumerate() {
            for d in 0..4 {
                t.w[d][c] = p.w[d];
                t.total[d][c] = p.total[d];
                t.worst[d][c] = if p.worst_wins[d] { 1.0 } else { 0.0 };
                t.inv_total[d][c] = 1.0 / (2.0 * p.total[d].max(1.0));
            }
            t.w_total[c] = p.w_total.max(1.0);
            t.inv_w_total[c] = 1.0 / (2.0 * p.w_total.max(1.0));
            t.green[c] = p.green;
            t.lime[c] = p.lime;
            t.yellow[c] = p.yellow;
            t.min_coverage[c] = p.min_coverage;
        }
        for c in 0..MAX_CARDS {
            let dim = |d: usize| [t.w[d][c], t.total[d][c], t.inv_total[d][c], t.worst[d][c]];
            t.record[c] = [
                dim(0),
                dim(1),
                dim(2),
                dim(3),
                [t.w_total[c], t.inv_w_total[c], t.green[c], t.lime[c]],
                [t.yellow[c], t.min_coverage[c], 0.0, 0.0],
            ];
        }
        Some(t)
    }
}

/// The kernel's tables for a model, when the model's numbers fit.
#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) metrics: Vec<MetricPlan>,
    pub(crate) cards: Vec<CardPlan>,
    pub(crate) table: Box<Cards>,
    /// Some metric of the dimension imputes a missing value, so the
    /// weight with data differs from the weight scored.
    pub(crate) impute: [bool; 4],
    /// Some scorecard takes the dimension's worst metric (else the
    /// kernel neither tracks nor reads the worst score).
    pub(crate) worst: [bool; 4],
}

fn exact(v: i64) -> Option<f64> {
    (v.unsigned_abs() < 1 << 51).then_some(v as f64)
}

impl Plan {
    /// The tables, or `None` when some number of the model is too large
    /// for the kernel's exact `f64` integers (the batch then scores each
    /// row with the row API's integer arithmetic).
    pub(crate) fn new(model: &Model) -> Option<Plan> {
        let cards = model.cards.len();
        // Per scorecard and dimension, the gcd of its metric weights.
        let mut dim_gcd = vec![[0u64; 4]; cards];
        for (c, card) in model.cards.iter().enumerate() {
            for op in card.ops.iter() {
                let g = dim_gcd.get_mut(c)?.get_mut(op.dim)?;
                *g = gcd(*g, op.weight);
            }
        }
        let mut metrics = Vec::with_capacity(model.metrics.len());
        for (m, metric) in model.metrics.iter().enumerate() {
            let mut plan = metric_plan(metric)?;
            plan.weight = vec![0.0; cards];
            plan.in_card = vec![false; cards];
            for (c, card) in model.cards.iter().enumerate() {
                if let Some(op) = card.ops.iter().find(|op| op.metric == m) {
                    let g = dim_gcd.get(c)?.get(op.dim)?.max(&1);
                    *plan.weight.get_mut(c)? = exact((op.weight / g) as i64)?;
                    *plan.in_card.get_mut(c)? = true;
                }
            }
            let first = plan.weight.first().copied();
            plan.same_weight = first
                .filter(|w| plan.weight.iter().all(|x| x == w) && plan.in_card.iter().all(|x| *x));
            metrics.push(plan);
        }
        let mut card_plans = Vec::with_capacity(cards);
        for (c, card) in model.cards.iter().enumerate() {
            let g = card.dim_weight.iter().fold(0, |g, w| gcd(g, *w)).max(1);
            let mut w = [0.0; 4];
            let mut total = [0.0; 4];
            for d in 0..4 {
                w[d] = exact((card.dim_weight[d] / g) as i64)?;
                let dg = dim_gcd.get(c)?[d].max(1);
                total[d] = exact((card.dim_total[d] / dg) as i64)?;
                // 2·Σ w·score + Σ w stays exact.
                if total[d] * 2.0 * 1e8 + total[d] >= EXACT {
                    return None;
                }
            }
            let w_total: f64 = w.iter().sum();
            if w_total * 2.0 * 1e8 + w_total >= EXACT {
                return None;
            }
            let bands = &card.bands;
            use crate::band::Band;
            card_plans.push(CardPlan {
                w,
                total,
                worst_wins: card.worst_wins,
                w_total,
                green: f64::from(bands.lower_bound(Band::Green).micros()),
                lime: f64::from(bands.lower_bound(Band::Lime).micros()),
                yellow: f64::from(bands.lower_bound(Band::Yellow).micros()),
                min_coverage: f64::from(card.min_coverage.micros()),
                hysteresis: card.hysteresis.micros() > 0,
            });
        }
        let mut impute = [false; 4];
        let worst = [0, 1, 2, 3].map(|d| card_plans.iter().any(|c| c.worst_wins[d]));
        for m in &mut metrics {
            let d = m.dim & 3;
            impute[d] |= m.missing.is_some();
            m.worst = card_plans.iter().any(|c| c.worst_wins[d]);
        }
        Some(Plan {
            metrics,
            table: Cards::new(&card_plans)?,
            cards: card_plans,
            impute,
            worst,
        })
    }
}

/// The piece from `x0` to `x1` (millionths) whose score rises (or falls)
/// by `dy` from `base` (millionths), and whether it may be scored in one
/// step (see [`Shape::Linear::direct`]); `None` when its integers do not
/// fit the kernel's bound.
fn linear_piece(x0: i64, x1: i64, base: u32, dy: u32, rising: bool) -> Option<(Piece, bool)> {
    let dx = u64::try_from(x1 - x0).ok()?;
    let g = gcd(dx, u64::from(dy)).max(1);
    let (dyr, dxr) = (u64::from(dy) / g, dx / g);
    let xr = if rising { x0 } else { x1 };
    let (dyr, dxr, xr) = (dyr as f64, dxr as f64, exact(xr)?);
    let sign = if rising { 1.0 } else { -1.0 };
    // |a·x| + |b| bounds every partial result of a·x + b.
    let reach = exact(x0.abs().max(x1.abs()))?;
    if 2.0 * dyr * reach + dxr + 2.0 * dyr * xr.abs() >= EXACT {
        return None;
    }
    let (b, c, base) = (dxr - 2.0 * sign * xr * dyr, 2.0 * dxr, f64::from(base));
    // The one-step form needs a small `c`, `a·x + b_base` in range, and
    // the score below 2²⁷ (see `Shape::Linear::direct`).
    let direct = c <= DIRECT_C
        && 2.0 * dyr * reach + b.abs() + base * c < EXACT
        && base + f64::from(dy) < SCORE_BOUND;
    let piece = Piece {
        from: x0 as f64,
        a: 2.0 * sign * dyr,
        b,
        c,
        inv: 1.0 / c,
        base,
        b_base: b + base * c,
        inv_up: (1.0 / c).next_up(),
    };
    Some((piece, direct))
}

fn metric_plan(metric: &Metric) -> Option<MetricPlan> {
    let (l, h) = (metric.domain.min, metric.domain.max);
    let full = crate::points::MAX_MAGNITUDE * MICRO;
    // round_half_away(y) ≥ L  ⟺  y ≥ L − ½ (L ≥ 1) or y > L − ½ (L ≤ 0);
    // round_half_away(y) ≤ H  ⟺  y < H + ½ (H ≥ 0) or y ≤ H + ½ (H ≤ −1).
    // Unbounded kinds stop at ±10¹² (±10¹⁸ millionths), as the row API's
    // `|x| ≤ 10¹²`: fl(x·10⁶) ≤ 10¹⁸ exactly when x ≤ 10¹².
    let lo_y = if l <= -full {
        -(full as f64)
    } else {
        let b = exact(l)? - 0.5;
        if l >= 1 {
            b
        } else {
            b.next_up()
        }
    };
    let hi_y = if h >= full {
        full as f64
    } else {
        let b = exact(h)? + 0.5;
        if h >= 0 {
            b.next_down()
        } else {
            b
        }
    };
    let curve = &metric.curve;
    let xs = curve.breakpoints();
    let (lo, hi) = (exact(*xs.first()?)?, exact(*xs.last()?)?);
    let shape = match curve.step_scores() {
        Some(scores) => {
            if xs.len() > MAX_PIECES {
                return None;
            }
            Shape::Steps {
                thresholds: xs.iter().map(|x| *x as f64).collect(),
                scores: scores.iter().map(|s| f64::from(*s)).collect(),
            }
        }
        None => {
            let mut pieces = Vec::new();
            let mut direct = true;
            for (x0, x1, base, dy, rising) in curve.pieces() {
                let (piece, one_step) = linear_piece(x0, x1, base, dy, rising)?;
                direct &= one_step;
                pieces.push(piece);
            }
            if pieces.is_empty() || pieces.len() > MAX_PIECES {
                return None;
            }
            // Pad to 1, 2, 4 or 8 pieces with pieces never selected.
            let padded = pieces.len().next_power_of_two();
            let last = pieces.last().copied()?;
            pieces.resize(
                padded,
                Piece {
                    from: f64::INFINITY,
                    ..last
                },
            );
            Shape::Linear {
                pieces,
                bounded: curve.is_bounded(),
                direct,
            }
        }
    };
    Some(MetricPlan {
        dim: metric.dimension.index(),
        flag: matches!(metric.kind, MetricKind::Flag),
        judgement: matches!(metric.kind, MetricKind::Judgement { .. }),
        lo_y,
        hi_y,
        clamp_lo: lo - 1.0,
        clamp_hi: hi + 1.0,
        lo,
        hi,
        shape,
        missing: metric.missing.map(|p| f64::from(p.micros())),
        max_age: metric.max_age_days.map(i64::from),
        weight: Vec::new(),
        in_card: Vec::new(),
        same_weight: None,
        worst: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `base + ⌊(a·x + b) / c⌋` in integers: the two-step form's result.
    fn exact_score(p: &Piece, x: i64) -> i128 {
        let t = p.a as i128 * i128::from(x) + p.b as i128;
        p.base as i128 + t.div_euclid(p.c as i128)
    }

    /// The one-step form, as the AVX-512 loop computes it.
    fn one_step(p: &Piece, x: i64) -> f64 {
        ((p.a * x as f64 + p.b_base) * p.inv_up).floor()
    }

    /// Checks the one-step form at `x` and around every point of the
    /// piece where `a·x + b` is a multiple of `c` (where a product
    /// rounded the wrong way would show).
    fn check(x0: i64, x1: i64, base: u32, dy: u32, rising: bool) -> usize {
        let Some((p, true)) = linear_piece(x0, x1, base, dy, rising) else {
            return 0;
        };
        let (a, c) = (p.a as i64, p.c as i64);
        let mut xs: Vec<i64> = (x0..=x1.min(x0 + 1_000)).collect();
        xs.extend((x1 - 1_000).max(x0)..=x1);
        // Where the remainder of (a·x + b) / c is 0 or c − 1 (recurring
        // every c / gcd(a, c) steps), some spread over the piece.
        let t = |x: i64| (p.a as i128 * i128::from(x) + p.b as i128).rem_euclid(c as i128);
        let period = (c / gcd(a.unsigned_abs(), c as u64).max(1) as i64).max(1);
        let stride = period * ((x1 - x0) / period / 10_000).max(1);
        for edge in [0, c as i128 - 1] {
            let Some(first) = (x0..(x0 + period).min(x1 + 1)).find(|x| t(*x) == edge) else {
                continue;
            };
            xs.extend((first..=x1).step_by(stride as usize));
        }
        for x in &xs {
            assert_eq!(
                one_step(&p, *x) as i128,
                exact_score(&p, *x),
                "piece {x0}..{x1} base {base} dy {dy} rising {rising} at {x}"
            );
        }
        xs.len()
    }

    #[test]
    fn one_step_pieces_score_as_two_steps() {
        let mut checked = 0;
        // Spans and rises of every shape: small and large c, scores up to
        // 100 points, pieces rising and falling, at 0 and far from it.
        for dx in [
            1, 2, 3, 7, 9, 18, 250_000, 333_333, 900_000, 1_234_567, 2_097_151,
        ] {
            for (base, dy) in [
                (0, 100_000_000),
                (10_000_000, 45_000_000),
                (0, 1),
                (99_999_999, 1),
                (33_000_000, 67_000_000),
            ] {
                for x0 in [0, -100_000_000, 400_000_000] {
                    for rising in [true, false] {
                        checked += check(x0, x0 + dx, base, dy, rising);
                    }
                }
            }
        }
        assert!(checked > 250_000, "checked {checked} points");
    }

    #[test]
    fn large_divisors_take_two_steps() {
        // c = 2·dx above 2²² (dx and dy coprime): not one step.
        let (_, direct) = linear_piece(0, 4_194_307, 0, 100_000_000, true).unwrap();
        assert!(!direct);
        let (_, direct) = linear_piece(0, 900_000, 0, 100_000_000, true).unwrap();
        assert!(direct);
    }
}
