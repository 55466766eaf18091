//! The fast form of a rule set's conditions: one short-circuit jump program.
//!
//! Each leaf of a condition tree becomes one step, "read a feature of the
//! account, test it, go to the step for true or the one for false"; `all`
//! and `any` become the jumps between their parts and `not` swaps a part's
//! two targets. The rules' steps follow each other: a rule that does not
//! hold jumps to the next rule's first step, a rule that holds jumps to a
//! [`HELD`] target naming it. So a rule that fails on its first leaf costs
//! one step, no rule walks a tree of boxed nodes, and evaluating a rule set
//! on which nothing fires is one pass over a flat array. Every jump goes
//! forward, so a run always ends.
//!
//! The tree form ([`Cond`]) stays the reference: traces and reasons
//! evaluate it, and a property test checks that both agree.

use super::compiled::{
    days_until, metric_fresh, metric_score, metric_value, score_change, stage_position, Cond, Left,
};
use super::condition::Op;
use crate::band::Band;
use crate::dimension::Dimension;
use crate::points::{Points, MICRO};
use crate::score::Score;
use rust_decimal::Decimal;

/// A feature value that is not known; no known value reaches it.
const UNKNOWN: i64 = i64::MIN;

/// Flag of a jump target `HELD | rule`: that rule's condition holds. No
/// program has this many steps (each step takes more than two bytes).
const HELD: usize = 1 << (usize::BITS - 1);

/// A number read off a scored account; [`UNKNOWN`] when the account does
/// not have it. The operands of comparisons ([`Left`]) are among them,
/// repeated as variants rather than wrapped (`Operand(Left)`): one dispatch
/// per step instead of two saves about 90 of 800 instructions per quiet
/// evaluation of the playbook. Both read values through the same functions.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Feature {
    /// The overall score.
    Overall,
    /// A dimension's score.
    Dimension(Dimension),
    /// Coverage.
    Coverage,
    /// A metric's value.
    MetricValue(usize),
    /// A metric's score.
    MetricScore(usize),
    /// Employee count.
    Employees,
    /// The previous overall score.
    PreviousOverall,
    /// Overall minus previous overall.
    ScoreChange,
    /// Days until a named date.
    DaysUntil(String),
    /// Band position (green 0 … red 3), 4 with insufficient data.
    Band,
    /// Band position minus the previous band's (positive when it fell).
    BandDrop,
    /// `4 × previous + current` band position when the band changed.
    BandMove,
    /// Declared position of the account's stage.
    Stage,
    /// MRR tier position.
    MrrTier,
    /// Size tier position.
    SizeTier,
    /// 1 when the metric has a usable value, else 0.
    Fresh(usize),
    /// Days since the latest occurrence of the event up to the as-of date.
    EventAge(String),
    /// 1 when the exact MRR comparison holds, else 0.
    Mrr(Op, Decimal),
    /// 1 when the lifecycle verdict holds, else 0.
    Lifecycle(
        std::sync::Arc<crate::lifecycle::Lifecycle>,
        crate::lifecycle::Verdict,
    ),
    /// Always 0.
    Zero,
}

impl From<&Left> for Feature {
    fn from(left: &Left) -> Feature {
        match left {
            Left::Overall => Feature::Overall,
            Left::Dimension(d) => Feature::Dimension(*d),
            Left::Coverage => Feature::Coverage,
            Left::MetricValue(i) => Feature::MetricValue(*i),
            Left::MetricScore(i) => Feature::MetricScore(*i),
            Left::Employees => Feature::Employees,
            Left::PreviousOverall => Feature::PreviousOverall,
            Left::ScoreChange => Feature::ScoreChange,
            Left::DaysUntil(name) => Feature::DaysUntil(name.clone()),
        }
    }
}

impl Feature {
    #[inline(always)]
    fn value(&self, s: &Score<'_>) -> i64 {
        let data = &s.account.data;
        let known = |v: Option<i64>| v.unwrap_or(UNKNOWN);
        let points = |p: Option<Points>| p.map_or(UNKNOWN, |p| i64::from(p.micros()));
        let band = |b: Option<Band>| b.map_or(UNKNOWN, |b| b.index() as i64);
        match self {
            Feature::Overall => points(s.overall),
            Feature::Dimension(d) => points(s.dimension(*d)),
            Feature::Coverage => i64::from(s.coverage.micros()),
            Feature::MetricValue(i) => known(metric_value(s, *i)),
            Feature::MetricScore(i) => known(metric_score(s, *i)),
            Feature::Employees => i64::from(data.employees) * MICRO,
            Feature::PreviousOverall => points(data.previous_score),
            Feature::ScoreChange => known(score_change(s)),
            Feature::DaysUntil(name) => known(days_until(s, name)),
            Feature::Band => s.band.map_or(4, |b| b.index() as i64),
            Feature::BandDrop => match (s.band, data.previous_band) {
                (Some(now), Some(before)) => band(Some(now)) - band(Some(before)),
                _ => UNKNOWN,
            },
            Feature::BandMove => match (s.band, data.previous_band) {
                (Some(now), Some(before)) if now != before => {
                    4 * band(Some(before)) + band(Some(now))
                }
                _ => UNKNOWN,
            },
            Feature::Stage => known(stage_position(s).map(|i| i as i64)),
            Feature::MrrTier | Feature::SizeTier => tier(self, s),
            Feature::Fresh(i) => i64::from(metric_fresh(s, *i)),
            Feature::EventAge(name) => known(event_age(s, name)),
            Feature::Mrr(op, right) => i64::from(op.holds(data.mrr, *right)),
            Feature::Lifecycle(l, verdict) => i64::from(l.holds(*verdict, s)),
            Feature::Zero => 0,
        }
    }
}

/// MRR or size tier position.
#[inline(never)]
fn tier(feature: &Feature, s: &Score<'_>) -> i64 {
    let (mrr, size, _) = s.model().segmentation.parts(s.account.segment);
    let position = if matches!(feature, Feature::MrrTier) {
        mrr
    } else {
        size
    };
    position as i64
}

/// Days since the latest occurrence of an event, up to the as-of date.
#[inline(never)]
fn event_age(s: &Score<'_>, name: &str) -> Option<i64> {
    let data = &s.account.data;
    data.events
        .iter()
        .filter(|e| e.name == name)
        .map(|e| (data.as_of - e.date).num_days())
        .filter(|ago| *ago >= 0)
        .min()
}

/// Holds for a feature value `v` when `lo <= v <= hi` and, for `v` in
/// 0..64, bit `v` of `mask` is set (all set for plain ranges).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Test {
    lo: i64,
    hi: i64,
    mask: u64,
}

impl Test {
    /// Holds for no value at all.
    const NEVER: Test = Test {
        lo: 1,
        hi: 0,
        mask: 0,
    };

    fn holds(self, v: i64) -> bool {
        (self.lo <= v) & (v <= self.hi) & ((self.mask >> (v & 63)) & 1 == 1)
    }

    /// `lo <= v <= hi` (never for [`UNKNOWN`]).
    fn range(lo: Option<i64>, hi: Option<i64>) -> Test {
        match (lo, hi) {
            (Some(lo), Some(hi)) => Test {
                lo: lo.max(UNKNOWN + 1),
                hi,
                mask: u64::MAX,
            },
            _ => Test::NEVER,
        }
    }

    /// `v` is one of the positions set in `mask`.
    fn positions(mask: u64) -> Test {
        Test {
            lo: 0,
            hi: 63,
            mask,
        }
    }

    /// `v op r`, or two tests either of which holds (for `!=`).
    fn compare(op: Op, r: i64) -> (Test, Option<Test>) {
        let known = Some(UNKNOWN + 1);
        match op {
            Op::Lt => (Test::range(known, r.checked_sub(1)), None),
            Op::Le => (Test::range(known, Some(r)), None),
            Op::Gt => (Test::range(r.checked_add(1), Some(i64::MAX)), None),
            Op::Ge => (Test::range(Some(r), Some(i64::MAX)), None),
            Op::Eq => (Test::range(Some(r), Some(r)), None),
            Op::Ne => (Test::compare(Op::Lt, r).0, Some(Test::compare(Op::Gt, r).0)),
        }
    }
}

/// One leaf: test a feature, then go on to `on_true` or `on_false`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    feature: Feature,
    test: Test,
    on_true: usize,
    on_false: usize,
}

impl Step {
    /// The step to go on with.
    #[inline(always)]
    fn next(&self, s: &Score<'_>) -> usize {
        if self.test.holds(self.feature.value(s)) {
            // Most leaves fail for most accounts: lay the loop out for
            // failure, with a branch (not a conditional move), so the
            // processor runs ahead to the next step instead of waiting.
            unlikely();
            self.on_true
        } else {
            self.on_false
        }
    }
}

/// Marks the path that calls it as rarely taken (`std::hint::cold_path`,
/// which needs a newer Rust than this crate supports).
#[cold]
#[inline(always)]
fn unlikely() {}

/// The steps of every rule of a rule set, in rule order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Program {
    steps: Vec<Step>,
    /// Where each rule's steps end (and the next rule's begin).
    ends: Vec<usize>,
}

impl Program {
    /// Appends the condition of the next rule.
    pub(crate) fn add(&mut self, c: &Cond) {
        let entry = self.steps.len();
        let end = entry + size(c);
        self.emit(c, HELD | self.ends.len(), end);
        debug_assert_eq!(self.steps.len(), end, "step count of {c:?}");
        self.ends.push(end);
    }

    /// Whether rule `rule`'s condition holds. Allocates nothing.
    pub(crate) fn holds(&self, rule: usize, s: &Score<'_>) -> bool {
        let start = rule
            .checked_sub(1)
            .map_or(Some(0), |r| self.ends.get(r).copied());
        let (Some(mut at), Some(&end)) = (start, self.ends.get(rule)) else {
            return false;
        };
        while at < end {
            let Some(step) = self.steps.get(at) else {
                return false;
            };
            at = step.next(s);
        }
        at & HELD != 0
    }

    /// Runs every rule, calling `held` with the index of each rule whose
    /// condition holds, in rule order. Allocates nothing.
    pub(crate) fn run(&self, s: &Score<'_>, mut held: impl FnMut(usize)) {
        let mut at = 0;
        while let Some(step) = self.steps.get(at) {
            at = step.next(s);
            if at & HELD != 0 {
                let rule = at & !HELD;
                held(rule);
                at = self.ends.get(rule).copied().unwrap_or(usize::MAX);
            }
        }
    }

    fn step(&mut self, feature: Feature, test: Test, on_true: usize, on_false: usize) {
        self.steps.push(Step {
            feature,
            test,
            on_true,
            on_false,
        });
    }

    /// Index of the next step to be appended.
    fn next(&self) -> usize {
        self.steps.len()
    }

    /// Appends `c`'s steps, jumping to `t` when it holds and `f` when not.
    fn emit(&mut self, c: &Cond, t: usize, f: usize) {
        let range = |lo: i64, hi: i64| Test::range(Some(lo), Some(hi));
        match c {
            Cond::All(parts) | Cond::Any(parts) => {
                let all = matches!(c, Cond::All(_));
                if parts.is_empty() {
                    // `all([])` holds and `any([])` does not.
                    let test = if all { range(0, 0) } else { Test::NEVER };
                    return self.step(Feature::Zero, test, t, f);
                }
                let mut start = self.next();
                for (i, part) in parts.iter().enumerate() {
                    let after = start + size(part);
                    let next = if i + 1 == parts.len() {
                        None
                    } else {
                        Some(after)
                    };
                    // `all` goes on while parts hold, `any` while they fail.
                    match (all, next) {
                        (true, Some(n)) => self.emit(part, n, f),
                        (false, Some(n)) => self.emit(part, t, n),
                        (_, None) => self.emit(part, t, f),
                    }
                    start = after;
                }
            }
            Cond::Not(inner) => self.emit(inner, f, t),
            Cond::Cmp { left, op, right } => {
                let feature = Feature::from(left);
                match Test::compare(*op, *right) {
                    (test, None) => self.step(feature, test, t, f),
                    (a, Some(b)) => {
                        let second = self.next() + 1;
                        self.step(feature.clone(), a, t, second);
                        self.step(feature, b, t, f);
                    }
                }
            }
            Cond::CmpMrr { op, right } => self.step(Feature::Mrr(*op, *right), range(1, 1), t, f),
            Cond::Band(mask) => self.step(Feature::Band, Test::positions(u64::from(*mask)), t, f),
            Cond::Insufficient => self.step(Feature::Band, range(4, 4), t, f),
            Cond::BandChanged { from, to } => {
                let mut moves = 0u64;
                for (before, now) in (0..4).flat_map(|b| (0..4).map(move |n| (b, n))) {
                    if before != now && from >> before & 1 == 1 && to >> now & 1 == 1 {
                        moves |= 1 << (4 * before + now);
                    }
                }
                self.step(Feature::BandMove, Test::positions(moves), t, f)
            }
            Cond::DroppedBands(n) => {
                self.step(Feature::BandDrop, range(i64::from(*n), i64::MAX), t, f)
            }
            Cond::ScoreFell(n) => self.step(
                Feature::ScoreChange,
                Test::range(Some(UNKNOWN + 1), n.checked_neg()),
                t,
                f,
            ),
            Cond::Missing(i) => self.step(Feature::Fresh(*i), range(0, 0), t, f),
            Cond::Stage(mask) => self.step(Feature::Stage, Test::positions(*mask), t, f),
            Cond::Segment { mrr, size } => {
                let second = self.next() + 1;
                self.step(Feature::MrrTier, Test::positions(*mrr), second, f);
                self.step(Feature::SizeTier, Test::positions(*size), t, f);
            }
            Cond::EventWithin { event, days } => {
                self.step(Feature::EventAge(event.clone()), range(0, *days), t, f)
            }
            Cond::Lifecycle(l, verdict) => {
                self.step(Feature::Lifecycle(l.clone(), *verdict), range(1, 1), t, f)
            }
        }
    }
}

/// Number of steps a condition takes.
fn size(c: &Cond) -> usize {
    match c {
        Cond::All(parts) | Cond::Any(parts) => parts.iter().map(size).sum::<usize>().max(1),
        Cond::Not(inner) => size(inner),
        Cond::Cmp { op: Op::Ne, .. } | Cond::Segment { .. } => 2,
        _ => 1,
    }
}
