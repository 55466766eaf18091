//! Normalisation curves: how a metric's value becomes 0..=100 points.

use crate::error::{ProblemKind, Problems};
use crate::metric::Domain;
use crate::points::{decimal_to_micros, mul_div_round, Divisor, Points};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A curve as written in configuration.
///
/// * `linear`: piecewise-linear through `[value, score]` breakpoints, values
///   strictly increasing, scores only rising or only falling; values beyond
///   the ends take the end scores (clamped).
/// * `bounded`: the same inside the breakpoints, but a value outside them
///   contributes nothing: it is treated as missing (the metric's
///   [`MissingPolicy`](crate::model::MissingPolicy) applies) and reported as out of range.
/// * `steps`: a value at or above a step's threshold scores that step's
///   score; below the first threshold it scores `below`.
/// * `range`: a target range, piecewise-linear and clamped like `linear`,
///   but whose scores may change direction once: rise to a target then fall
///   (a value can be too low *or* too high: seats provisioned far over the
///   licences, logins per user so high that people share a login), or fall
///   then rise. Explanations say on which side of the target a value lies.
///
/// Interpolated scores are rounded to the nearest millionth of a point, ties
/// up. Breakpoints are exact decimals with at most six decimal places.
///
/// # Examples
///
/// ```
/// use healthscore::model::CurveConfig;
///
/// let c: CurveConfig = serde_json::from_str(
///     r#"{"type": "steps", "below": 0, "steps": [[1, 50], [3, 100]]}"#,
/// )?;
/// assert!(matches!(c, CurveConfig::Steps { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum CurveConfig {
    /// Piecewise-linear, clamped at the ends.
    Linear {
        /// `[value, score]` breakpoints.
        points: Vec<(Decimal, Decimal)>,
    },
    /// Piecewise-linear; values outside the breakpoints count as missing.
    Bounded {
        /// `[value, score]` breakpoints.
        points: Vec<(Decimal, Decimal)>,
    },
    /// Step thresholds.
    Steps {
        /// Score below the first threshold.
        below: Decimal,
        /// `[threshold, score]` steps.
        steps: Vec<(Decimal, Decimal)>,
    },
    /// Piecewise-linear, clamped, rising then falling (or falling then
    /// rising) once: a target range.
    Range {
        /// `[value, score]` breakpoints.
        points: Vec<(Decimal, Decimal)>,
    },
}

impl CurveConfig {
    /// A clamped piecewise-linear curve.
    pub fn linear<X: Into<Decimal>, Y: Into<Decimal>>(
        points: impl IntoIterator<Item = (X, Y)>,
    ) -> Self {
        CurveConfig::Linear {
            points: pairs(points),
        }
    }

    /// A piecewise-linear curve whose outside values count as missing.
    pub fn bounded<X: Into<Decimal>, Y: Into<Decimal>>(
        points: impl IntoIterator<Item = (X, Y)>,
    ) -> Self {
        CurveConfig::Bounded {
            points: pairs(points),
        }
    }

    /// A target-range curve: scores rise to a target and fall beyond it
    /// (or the reverse).
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::model::CurveConfig;
    /// use rust_decimal_macros::dec;
    ///
    /// // Seats provisioned per licence: 0.9 to 1.3 is right, 2 is far too many.
    /// let c = CurveConfig::range([(dec!(0), dec!(0)), (dec!(0.9), dec!(100)), (dec!(1.3), dec!(100)), (dec!(2), dec!(40))]);
    /// let json = serde_json::to_string(&c)?;
    /// assert!(json.starts_with(r#"{"type":"range","points":"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range<X: Into<Decimal>, Y: Into<Decimal>>(
        points: impl IntoIterator<Item = (X, Y)>,
    ) -> Self {
        CurveConfig::Range {
            points: pairs(points),
        }
    }

    /// A step curve.
    pub fn steps<X: Into<Decimal>, Y: Into<Decimal>>(
        below: impl Into<Decimal>,
        steps: impl IntoIterator<Item = (X, Y)>,
    ) -> Self {
        CurveConfig::Steps {
            below: below.into(),
            steps: pairs(steps),
        }
    }
}

fn pairs<X: Into<Decimal>, Y: Into<Decimal>>(
    it: impl IntoIterator<Item = (X, Y)>,
) -> Vec<(Decimal, Decimal)> {
    it.into_iter().map(|(x, y)| (x.into(), y.into())).collect()
}

/// A compiled curve over millionths.
///
/// Evaluation has no branch that depends on the value (such branches
/// mispredict on real portfolios): a value is clamped to the curve's range,
/// its segment is found by counting breakpoints at or below it, and the
/// interpolation divides by the segment's width through a precomputed
/// reciprocal ([`Divisor`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Curve {
    shape: Shape,
    /// Breakpoint values; for steps, the thresholds.
    xs: Box<[i64]>,
    /// Linear and bounded curves: one entry per segment.
    segments: Box<[Segment]>,
    /// Step curves: the score below the first threshold, then each step's.
    steps: Box<[u32]>,
    /// Scores never fall as the value rises.
    increasing: bool,
    /// Range curves: the values `[lo, hi]` where the score is at its target
    /// (highest when it rises then falls, lowest when it falls then rises).
    target: Option<(i64, i64)>,
}

/// Where a value lies relative to a target-range curve's target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TargetSide {
    /// Below the target range.
    Below,
    /// Within it.
    Within,
    /// Above it.
    Above,
}

impl std::fmt::Display for TargetSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            TargetSide::Below => "below target",
            TargetSide::Within => "on target",
            TargetSide::Above => "above target",
        })
    }
}

/// One linear piece `[x0, x1]`: the score is `base + round(t·dy/dx)` with
/// `t` measured from the end with the lower score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Segment {
    x0: i64,
    x1: i64,
    base: u32,
    dy: u32,
    dx: u64,
    /// `Some` when `dx·dy + dx < 2⁶³`, so the reciprocal path is exact.
    divisor: Option<Divisor>,
    /// The score rises (or stays) from `x0` to `x1`.
    rising: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Shape {
    Linear,
    Bounded,
    Steps { below: u32 },
    Range,
}

impl Curve {
    pub(crate) fn compile(
        cfg: &CurveConfig,
        domain: Domain,
        kind: &'static str,
        path: &str,
        problems: &mut Problems,
    ) -> Option<Curve> {
        let before = problems.len();
        let (shape, raw, min_len) = match cfg {
            CurveConfig::Linear { points } => (Shape::Linear, points, 2),
            CurveConfig::Bounded { points } => (Shape::Bounded, points, 2),
            CurveConfig::Range { points } => (Shape::Range, points, 2),
            CurveConfig::Steps { below, steps } => {
                let below = score(*below, 0, path, problems).unwrap_or(0);
                (Shape::Steps { below }, steps, 1)
            }
        };
        if raw.len() < min_len {
            problems.push(path, ProblemKind::TooFewBreakpoints(min_len));
            return None;
        }
        if raw.len() > MAX_BREAKPOINTS {
            problems.push(
                path,
                ProblemKind::TooMany {
                    count: raw.len(),
                    max: MAX_BREAKPOINTS,
                },
            );
            return None;
        }
        let mut points = Vec::with_capacity(raw.len());
        for (i, (x, y)) in raw.iter().enumerate() {
            let x = match decimal_to_micros(*x) {
                Ok(v) if domain.contains(v) => v,
                Ok(_) => {
                    problems.push(
                        path,
                        ProblemKind::OutsideKindRange {
                            value: x.to_string(),
                            index: i,
                            kind,
                            range: domain.to_string(),
                        },
                    );
                    continue;
                }
                Err(e) => {
                    problems.push(path, e);
                    continue;
                }
            };
            if let Some(y) = score(*y, i, path, problems) {
                points.push((x, y));
            }
        }
        if problems.len() != before {
            return None;
        }
        if let Some(i) = (1..points.len()).find(|&i| points[i].0 <= points[i - 1].0) {
            problems.push(path, ProblemKind::BreakpointsNotSorted(i));
            return None;
        }
        // Monotonic scores: the `below` score of a step curve comes first.
        let mut ys: Vec<u32> = points.iter().map(|p| p.1).collect();
        let offset = if let Shape::Steps { below } = shape {
            ys.insert(0, below);
            1
        } else {
            0
        };
        // Monotonic scores, or for a range curve one change of direction.
        let step = |i: usize| ys[i].cmp(&ys[i - 1]);
        let direction = (1..ys.len()).map(step).find(|d| d.is_ne());
        // Where the scores change direction.
        let changes: Vec<usize> = (1..ys.len())
            .filter(|&i| step(i).is_ne())
            .scan(direction, |dir, i| {
                let d = step(i);
                let changed = Some(d) != *dir;
                *dir = Some(d);
                Some(changed.then_some(i))
            })
            .flatten()
            .collect();
        let allowed = usize::from(shape == Shape::Range);
        if let Some(&i) = changes.get(allowed) {
            let kind = if shape == Shape::Range {
                ProblemKind::NotUnimodal(i - offset)
            } else {
                ProblemKind::NotMonotonic(i - offset)
            };
            problems.push(path, kind);
            return None;
        }
        let increasing = direction != Some(std::cmp::Ordering::Less) && changes.is_empty();
        // A range curve's target: the values where its score is at the
        // extreme it turns at (the top of a rise-then-fall, the bottom of a
        // fall-then-rise).
        let target = (shape == Shape::Range && !changes.is_empty()).then(|| {
            let peak = direction == Some(std::cmp::Ordering::Greater);
            let extreme = if peak {
                ys.iter().max()
            } else {
                ys.iter().min()
            };
            let extreme = extreme.copied().unwrap_or(0);
            let at: Vec<i64> = points
                .iter()
                .filter(|p| p.1 == extreme)
                .map(|p| p.0)
                .collect();
            (
                at.first().copied().unwrap_or(0),
                at.last().copied().unwrap_or(0),
            )
        });
        let segments = points
            .windows(2)
            .filter_map(|w| {
                let (&(x0, y0), &(x1, y1)) = (w.first()?, w.get(1)?);
                let dx = (x1 - x0) as u64;
                let dy = y1.abs_diff(y0);
                let fits = dx
                    .checked_mul(u64::from(dy) + 1)
                    .is_some_and(|v| v < Divisor::LIMIT);
                Some(Segment {
                    x0,
                    x1,
                    base: y0.min(y1),
                    dy,
                    dx,
                    divisor: Divisor::new(dx).filter(|_| fits),
                    rising: y1 >= y0,
                })
            })
            .collect();
        let steps = match shape {
            Shape::Steps { below } => std::iter::once(below)
                .chain(points.iter().map(|p| p.1))
                .collect(),
            _ => Box::default(),
        };
        Some(Curve {
            shape,
            xs: points.iter().map(|p| p.0).collect(),
            segments,
            steps,
            increasing,
            target,
        })
    }

    /// Where a value (millionths) lies relative to a range curve's target;
    /// `None` for other curves.
    pub(crate) fn side(&self, x: i64) -> Option<TargetSide> {
        let (lo, hi) = self.target?;
        Some(if x < lo {
            TargetSide::Below
        } else if x > hi {
            TargetSide::Above
        } else {
            TargetSide::Within
        })
    }

    /// Breakpoint values (for a step curve, its thresholds), in millionths.
    pub(crate) fn breakpoints(&self) -> &[i64] {
        &self.xs
    }

    /// A step curve's scores: below the first threshold, then each step's.
    pub(crate) fn step_scores(&self) -> Option<&[u32]> {
        matches!(self.shape, Shape::Steps { .. }).then_some(&*self.steps)
    }

    /// The linear pieces of a piecewise-linear curve, in order:
    /// `(x0, x1, base, dy, rising)`, the score being
    /// `base + round(t·dy/(x1−x0))` with `t` measured from the end with
    /// the lower score.
    pub(crate) fn pieces(&self) -> impl Iterator<Item = (i64, i64, u32, u32, bool)> + '_ {
        self.segments
            .iter()
            .map(|s| (s.x0, s.x1, s.base, s.dy, s.rising))
    }

    /// True for a bounded curve (values outside it count as missing).
    pub(crate) fn is_bounded(&self) -> bool {
        self.shape == Shape::Bounded
    }

    /// True when a higher value never gives a lower score.
    pub(crate) fn is_increasing(&self) -> bool {
        self.increasing
    }

    /// The score of a value in millionths; `None` when a bounded curve's
    /// value lies outside its breakpoints.
    #[inline(always)]
    pub(crate) fn eval(&self, x: i64) -> Option<u32> {
        let (lo, hi) = (*self.xs.first()?, *self.xs.last()?);
        if let Shape::Steps { .. } = self.shape {
            return self.steps.get(count_at_or_below(&self.xs, x)).copied();
        }
        if self.shape == Shape::Bounded && (x < lo || x > hi) {
            return None;
        }
        let x = x.clamp(lo, hi);
        // Segment k starts at the k-th breakpoint; the last breakpoint starts none.
        let inner = self.xs.get(1..self.xs.len() - 1).unwrap_or(&[]);
        let k = count_at_or_below(inner, x);
        let s = self.segments.get(k)?;
        // Distance from the lower-scoring end: x0 when rising, x1 when falling.
        let t = if s.rising { x - s.x0 } else { s.x1 - x } as u64;
        let q = match s.divisor {
            Some(d) => d.round(t * u64::from(s.dy)),
            None => mul_div_round(t, u64::from(s.dy), s.dx),
        };
        Some(s.base + q as u32)
    }
}

/// The most breakpoints (or steps) one curve may have.
pub const MAX_BREAKPOINTS: usize = 4096;

/// How many of the sorted `xs` are `<= x`: a branch-free count for the
/// short curves models use (no misprediction), a binary search for long
/// ones (no linear scan per account).
#[inline]
fn count_at_or_below(xs: &[i64], x: i64) -> usize {
    if xs.len() <= 16 {
        xs.iter().map(|&b| usize::from(b <= x)).sum()
    } else {
        xs.partition_point(|&b| b <= x)
    }
}

fn score(y: Decimal, index: usize, path: &str, problems: &mut Problems) -> Option<u32> {
    match Points::from_decimal(y) {
        Ok(p) => Some(p.micros()),
        Err(crate::points::NumberError::OutOfRange(v, _)) => {
            problems.push(path, ProblemKind::ScoreOutOfRange(v, index));
            None
        }
        Err(e) => {
            problems.push(path, e);
            None
        }
    }
}

#[cfg(test)]
#[path = "curve_tests.rs"]
mod tests;
