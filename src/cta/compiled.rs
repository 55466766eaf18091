//! Compiled conditions: validated once against a model, evaluated without
//! allocating, traced on demand.

use super::condition::{Condition, Op, Operand};
use super::trace::describe_left;
use crate::band::Band;
use crate::dimension::Dimension;
use crate::error::{ProblemKind, Problems};
use crate::model::Model;
use crate::points::{decimal_to_micros, Points, MICRO};
use crate::score::compute::metric_outcome;
use crate::score::Score;
use chrono::Datelike;
use rust_decimal::Decimal;

/// A compiled condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    All(Box<[Cond]>),
    Any(Box<[Cond]>),
    Not(Box<Cond>),
    Cmp {
        left: Left,
        op: Op,
        right: i64,
    },
    CmpMrr {
        op: Op,
        right: Decimal,
    },
    Band(u8),
    Insufficient,
    BandChanged {
        from: u8,
        to: u8,
    },
    DroppedBands(u8),
    ScoreFell(i64),
    Missing(usize),
    /// Bit mask of declared stage positions (at most 64).
    Stage(u64),
    /// Bit masks of MRR and size tier positions (at most 64 of each).
    Segment {
        mrr: u64,
        size: u64,
    },
    EventWithin {
        event: String,
        days: i64,
    },
}

/// A compiled operand (all but MRR, which stays a decimal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Left {
    Overall,
    Dimension(Dimension),
    Coverage,
    MetricValue(usize),
    MetricScore(usize),
    Employees,
    PreviousOverall,
    ScoreChange,
    DaysUntil(String),
}

fn mask(bands: &[Band]) -> u8 {
    bands.iter().fold(0, |m, b| m | 1 << b.index())
}

/// Names the rule set declares: dates and events rules may use.
pub(crate) struct Names<'a> {
    pub(crate) dates: &'a [String],
    pub(crate) events: &'a [String],
}

impl Cond {
    pub(crate) fn compile(
        c: &Condition,
        model: &Model,
        names: &Names<'_>,
        path: &str,
        p: &mut Problems,
    ) -> Option<Cond> {
        let metric = |id: &str, p: &mut Problems| {
            let found = model.by_id.get(id).copied();
            if found.is_none() {
                p.push(path, ProblemKind::UnknownMetric(id.to_string()));
            }
            found
        };
        Some(match c {
            Condition::All(cs) | Condition::Any(cs) => {
                let parts: Vec<Option<Cond>> = cs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Cond::compile(c, model, names, &format!("{path}[{i}]"), p))
                    .collect();
                let parts: Box<[Cond]> = parts.into_iter().collect::<Option<_>>()?;
                if matches!(c, Condition::All(_)) {
                    Cond::All(parts)
                } else {
                    Cond::Any(parts)
                }
            }
            Condition::Not(c) => Cond::Not(Box::new(Cond::compile(
                c,
                model,
                names,
                &format!("{path}.not"),
                p,
            )?)),
            Condition::Compare {
                left: Operand::Mrr,
                op,
                right,
            } => {
                if right.is_sign_negative() && !right.is_zero() {
                    p.push(
                        path,
                        ProblemKind::Impossible(format!(
                            "mrr is never below 0, compared with {right}"
                        )),
                    );
                    return None;
                }
                Cond::CmpMrr {
                    op: *op,
                    right: *right,
                }
            }
            Condition::Compare {
                left: Operand::DaysUntil(name),
                op,
                right,
            } => {
                if !names.dates.contains(name) {
                    p.push(path, ProblemKind::UnknownDate(name.clone()));
                    return None;
                }
                let days = right
                    .is_integer()
                    .then(|| i64::try_from(right.mantissa() / 10i128.pow(right.scale())).ok())
                    .flatten();
                let Some(days) = days else {
                    p.push(
                        path,
                        ProblemKind::Impossible(format!(
                            "days until {name} is a whole number of days, not {right}"
                        )),
                    );
                    return None;
                };
                Cond::Cmp {
                    left: Left::DaysUntil(name.clone()),
                    op: *op,
                    right: days,
                }
            }
            Condition::Compare { left, op, right } => {
                let value = decimal_to_micros(*right)
                    .map_err(|e| p.push(path, e))
                    .ok()?;
                let hundred = 100 * MICRO;
                let (left, lo, hi) = match left {
                    Operand::Overall => (Left::Overall, 0, hundred),
                    Operand::PreviousOverall => (Left::PreviousOverall, 0, hundred),
                    Operand::ScoreChange => (Left::ScoreChange, -hundred, hundred),
                    Operand::Dimension(d) => (Left::Dimension(*d), 0, hundred),
                    Operand::Coverage => (Left::Coverage, 0, MICRO),
                    Operand::MetricScore(id) => (Left::MetricScore(metric(id, p)?), 0, hundred),
                    Operand::MetricValue(id) => {
                        let i = metric(id, p)?;
                        let d = model.metrics.get(i)?.domain;
                        (Left::MetricValue(i), d.min, d.max)
                    }
                    Operand::Employees => (Left::Employees, 0, i64::from(u32::MAX) * MICRO),
                    Operand::DaysUntil(_) | Operand::Mrr => return None,
                };
                if !(lo..=hi).contains(&value) {
                    p.push(
                        path,
                        ProblemKind::Impossible(format!(
                            "{} {} {right} can never be decided by a value in its range",
                            describe_left(&left, model),
                            op.symbol()
                        )),
                    );
                    return None;
                }
                Cond::Cmp {
                    left,
                    op: *op,
                    right: value,
                }
            }
            Condition::Band(bands) => {
                if bands.is_empty() {
                    p.push(
                        path,
                        ProblemKind::Impossible("an empty band list never matches".into()),
                    );
                    return None;
                }
                Cond::Band(mask(bands))
            }
            Condition::InsufficientData => Cond::Insufficient,
            Condition::BandChanged { from, to } => Cond::BandChanged {
                from: if from.is_empty() { 0b1111 } else { mask(from) },
                to: if to.is_empty() { 0b1111 } else { mask(to) },
            },
            Condition::DroppedBands(n) => {
                if *n == 0 || *n > 3 {
                    p.push(
                        path,
                        ProblemKind::Impossible(format!(
                            "a drop of {n} bands (1 to 3 are possible)"
                        )),
                    );
                    return None;
                }
                Cond::DroppedBands(*n)
            }
            Condition::ScoreFell(points) => {
                let v = Points::from_decimal(*points)
                    .map_err(|e| p.push(path, e))
                    .ok()?;
                Cond::ScoreFell(i64::from(v.micros()))
            }
            Condition::Missing(id) => Cond::Missing(metric(id, p)?),
            Condition::Stage(stages) => {
                let declared = &model.segmentation.stages;
                for s in stages.iter().filter(|s| !declared.contains(s)) {
                    p.push(path, ProblemKind::UnknownStage(s.clone()));
                }
                if stages.iter().any(|s| !declared.contains(s)) {
                    return None;
                }
                let mask = stages
                    .iter()
                    .filter_map(|s| declared.iter().position(|d| d == s))
                    .fold(0u64, |m, i| m | 1u64 << i.min(63));
                Cond::Stage(mask)
            }
            Condition::Segment { mrr, size } => {
                let seg = &model.segmentation;
                let tiers = |ids: &[String], known: Vec<&str>, p: &mut Problems| {
                    let mut m = 0u64;
                    for id in ids {
                        match known.iter().position(|k| k == id) {
                            Some(i) => m |= 1 << i,
                            None => p.push(path, ProblemKind::UnknownTier(id.clone())),
                        }
                    }
                    if ids.is_empty() {
                        u64::MAX
                    } else {
                        m
                    }
                };
                let before = p.0.len();
                let mrr = tiers(mrr, seg.mrr.iter().map(|t| t.id.as_str()).collect(), p);
                let size = tiers(size, seg.size.iter().map(|t| t.id.as_str()).collect(), p);
                if p.0.len() != before {
                    return None;
                }
                Cond::Segment { mrr, size }
            }
            Condition::EventWithin { event, days } => {
                if !names.events.contains(event) {
                    p.push(path, ProblemKind::UnknownEvent(event.clone()));
                    return None;
                }
                Cond::EventWithin {
                    event: event.clone(),
                    days: i64::from(*days),
                }
            }
        })
    }

    /// Whether the condition holds for a score, walking the tree. Traces
    /// (and so reasons) call it on each leaf and combine the outcomes
    /// themselves; evaluation runs the compiled
    /// [`Program`](super::program::Program) instead, which a property test
    /// checks against the traces.
    pub(crate) fn holds(&self, s: &Score<'_>) -> bool {
        match self {
            Cond::All(cs) => cs.iter().all(|c| c.holds(s)),
            Cond::Any(cs) => cs.iter().any(|c| c.holds(s)),
            Cond::Not(c) => !c.holds(s),
            Cond::Cmp { left, op, right } => left.value(s).is_some_and(|v| op.holds(v, *right)),
            Cond::CmpMrr { op, right } => op.holds(s.account.data.mrr, *right),
            Cond::Band(m) => s.band.is_some_and(|b| m & (1 << b.index()) != 0),
            Cond::Insufficient => s.band.is_none(),
            Cond::BandChanged { from, to } => match (s.account.data.previous_band, s.band) {
                (Some(a), Some(b)) => {
                    a != b && from & (1 << a.index()) != 0 && to & (1 << b.index()) != 0
                }
                _ => false,
            },
            Cond::DroppedBands(n) => match (s.account.data.previous_band, s.band) {
                (Some(a), Some(b)) => b.index() >= a.index() + usize::from(*n),
                _ => false,
            },
            Cond::ScoreFell(n) => match (s.account.data.previous_score, s.overall) {
                (Some(a), Some(b)) => i64::from(a.micros()) - i64::from(b.micros()) >= *n,
                _ => false,
            },
            Cond::Missing(i) => !metric_fresh(s, *i),
            Cond::Stage(mask) => stage_position(s).is_some_and(|i| mask >> i.min(63) & 1 == 1),
            Cond::Segment { mrr, size } => {
                let (m, z, _) = s.model().segmentation.parts(s.account.segment);
                mrr & (1u64 << m.min(63)) != 0 && size & (1u64 << z.min(63)) != 0
            }
            Cond::EventWithin { event, days } => {
                let as_of = s.account.data.as_of;
                s.account.data.events.iter().any(|e| {
                    let ago = (as_of - e.date).num_days();
                    &e.name == event && (0..=*days).contains(&ago)
                })
            }
        }
    }
}

/// The declared position of the account's stage, if it has one.
pub(crate) fn stage_position(s: &Score<'_>) -> Option<usize> {
    let (_, _, slot) = s.model().segmentation.parts(s.account.segment);
    slot.checked_sub(1)
}

/// Whether a metric has a usable value: fresh, and inside a bounded curve
/// (only bounded curves need evaluating to know).
pub(crate) fn metric_fresh(s: &Score<'_>, i: usize) -> bool {
    let (Some(metric), Some(slot)) = (s.model().metrics.get(i), s.account.slots.get(i)) else {
        return false;
    };
    slot.is_present() && (!metric.curve.is_bounded() || metric_outcome(metric, *slot).has_data)
}

impl Left {
    /// The operand's value in millionths (days for `DaysUntil`), if known.
    pub(crate) fn value(&self, s: &Score<'_>) -> Option<i64> {
        let points = |p: Option<Points>| p.map(|p| i64::from(p.micros()));
        match self {
            Left::Overall => points(s.overall),
            Left::Dimension(d) => points(s.dimension(*d)),
            Left::Coverage => Some(i64::from(s.coverage.micros())),
            Left::MetricValue(i) => metric_value(s, *i),
            Left::MetricScore(i) => metric_score(s, *i),
            Left::Employees => Some(i64::from(s.account.data.employees) * MICRO),
            Left::PreviousOverall => points(s.account.data.previous_score),
            Left::ScoreChange => score_change(s),
            Left::DaysUntil(name) => days_until(s, name),
        }
    }
}

/// A metric's value in its unit (millionths), when fresh and usable.
#[inline]
pub(crate) fn metric_value(s: &Score<'_>, i: usize) -> Option<i64> {
    let slot = s.account.slots.get(i)?;
    metric_fresh(s, i).then_some(slot.value)
}

/// A metric's score (millionths of a point), when it has one.
#[inline(never)]
pub(crate) fn metric_score(s: &Score<'_>, i: usize) -> Option<i64> {
    let (metric, slot) = (s.model().metrics.get(i)?, s.account.slots.get(i)?);
    let o = metric_outcome(metric, *slot);
    o.has_data.then(|| o.score.map(i64::from)).flatten()
}

/// Overall score minus the previous one (millionths of a point).
#[inline]
pub(crate) fn score_change(s: &Score<'_>) -> Option<i64> {
    let previous = s.account.data.previous_score?;
    Some(i64::from(s.overall?.micros()) - i64::from(previous.micros()))
}

/// Days from the as-of date to a named date of the account.
#[inline(never)]
pub(crate) fn days_until(s: &Score<'_>, name: &str) -> Option<i64> {
    let data = &s.account.data;
    let date = data.dates.get(name)?;
    Some(i64::from(date.num_days_from_ce()) - i64::from(data.as_of.num_days_from_ce()))
}
