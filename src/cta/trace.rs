//! Condition traces: every node's outcome with the values it saw, for
//! explanations, CTA reasons and debugging.

use super::compiled::{metric_fresh, Cond, Left};
use crate::band::Band;
use crate::model::Model;
use crate::points::Points;
use crate::score::Score;
use rust_decimal::Decimal;
use std::fmt::Write as _;

impl Cond {
    /// Like [`holds`](Self::holds), recording every node's outcome and a
    /// description with the values seen, depth-first.
    pub(crate) fn trace(&self, s: &Score<'_>, depth: usize, out: &mut Vec<TraceLine>) -> bool {
        let at = out.len();
        out.push(TraceLine {
            depth,
            holds: false,
            leaf: true,
            text: String::new(),
        });
        let (holds, text) = match self {
            Cond::All(cs) | Cond::Any(cs) => {
                let results: Vec<bool> = cs.iter().map(|c| c.trace(s, depth + 1, out)).collect();
                let all = matches!(self, Cond::All(_));
                let holds = if all {
                    results.iter().all(|r| *r)
                } else {
                    results.iter().any(|r| *r)
                };
                (
                    holds,
                    format!(
                        "{} of {} conditions",
                        if all { "all" } else { "any" },
                        cs.len()
                    ),
                )
            }
            Cond::Not(c) => {
                let inner = c.trace(s, depth + 1, out);
                (!inner, "not".to_string())
            }
            _ => (self.holds(s), self.describe(s)),
        };
        if let Some(line) = out.get_mut(at) {
            line.holds = holds;
            line.leaf = !matches!(self, Cond::All(_) | Cond::Any(_) | Cond::Not(_));
            line.text = text;
        }
        holds
    }

    /// A leaf's description with the values it saw.
    fn describe(&self, s: &Score<'_>) -> String {
        let model = s.model();
        let data = &s.account.data;
        let mut t = String::new();
        let _ = match self {
            Cond::Cmp { left, op, right } => {
                let name = describe_left(left, model);
                let shown = |v: i64| show_left(left, v);
                match left.value(s) {
                    Some(v) => write!(t, "{name} {} {} {}", shown(v), op.symbol(), shown(*right)),
                    None => write!(
                        t,
                        "{name} unknown (needed {} {})",
                        op.symbol(),
                        shown(*right)
                    ),
                }
            }
            Cond::CmpMrr { op, right } => write!(t, "mrr {} {} {right}", data.mrr, op.symbol()),
            Cond::Band(_) => write!(
                t,
                "band {}",
                s.band.map_or("none (insufficient data)", Band::name)
            ),
            Cond::Insufficient => write!(
                t,
                "coverage {}% (minimum {}%)",
                s.coverage.percent().round_dp(1),
                s.min_coverage().percent().round_dp(1)
            ),
            Cond::BandChanged { .. } | Cond::DroppedBands(_) => write!(
                t,
                "band {} (was {})",
                s.band.map_or("none", Band::name),
                data.previous_band.map_or("unknown", Band::name)
            ),
            Cond::ScoreFell(n) => match (data.previous_score, s.overall) {
                (Some(a), Some(b)) => write!(
                    t,
                    "score {b} (was {a}, fall needed {})",
                    Points::from_micros(*n as u32).unwrap_or(Points::ZERO)
                ),
                _ => write!(t, "score fall unknown (no previous score)"),
            },
            Cond::Missing(i) => write!(
                t,
                "{} {}",
                metric_id(model, *i),
                if metric_fresh(s, *i) {
                    "present"
                } else {
                    "missing"
                }
            ),
            Cond::Stage(_) => write!(t, "stage {}", data.stage.as_deref().unwrap_or("none")),
            Cond::Segment { .. } => write!(t, "segment {}", s.segment()),
            Cond::EventWithin { event, days } => {
                let last = data
                    .events
                    .iter()
                    .filter(|e| &e.name == event && e.date <= data.as_of)
                    .map(|e| e.date)
                    .max();
                match last {
                    Some(d) => write!(
                        t,
                        "{event} {} days ago (within {days})",
                        (data.as_of - d).num_days()
                    ),
                    None => write!(t, "no {event}"),
                }
            }
            Cond::Lifecycle(l, verdict) => write!(t, "{}", l.describe(*verdict, s)),
            Cond::All(_) | Cond::Any(_) | Cond::Not(_) => Ok(()),
        };
        t
    }
}

/// One node of a condition trace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceLine {
    /// Nesting depth (0 for the rule's condition).
    pub depth: usize,
    /// Whether the node held.
    pub holds: bool,
    /// Whether it is a leaf (not `all`, `any` or `not`).
    pub leaf: bool,
    /// What it looked at, with the values seen.
    pub text: String,
}

fn metric_id(model: &Model, i: usize) -> &str {
    model.metrics.get(i).map_or("?", |m| m.id.as_str())
}

pub(crate) fn describe_left(left: &Left, model: &Model) -> String {
    match left {
        Left::Overall => "overall".into(),
        Left::Dimension(d) => d.name().into(),
        Left::Coverage => "coverage".into(),
        Left::MetricValue(i) | Left::MetricScore(i) => {
            let label = model.metrics.get(*i).map_or("?", |m| m.label.as_str());
            if matches!(left, Left::MetricScore(_)) {
                format!("{label} score")
            } else {
                label.to_string()
            }
        }
        Left::Employees => "employees".into(),
        Left::PreviousOverall => "previous score".into(),
        Left::ScoreChange => "score change".into(),
        Left::DaysUntil(name) => format!("days until {name}"),
    }
}

fn show_left(left: &Left, v: i64) -> String {
    match left {
        Left::DaysUntil(_) => v.to_string(),
        _ => Decimal::new(v, 6).normalize().to_string(),
    }
}
