//! Conditions of CTA rules: what a rule looks at, and how conditions compose.

use crate::band::Band;
use crate::dimension::Dimension;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A number a condition can compare with a constant.
///
/// In configuration: `"overall"`, `{"dimension": "adoption"}`,
/// `{"metric_value": "quota_utilisation"}`, `{"days_until": "renewal"}`, …
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operand {
    /// The overall score (points).
    Overall,
    /// A dimension's score (points).
    Dimension(Dimension),
    /// Coverage (0 to 1).
    Coverage,
    /// A metric's observed value (fresh and in range), in its own unit.
    MetricValue(String),
    /// A metric's score from its observed value (points).
    MetricScore(String),
    /// MRR (exact).
    Mrr,
    /// Employee count.
    Employees,
    /// The previous overall score supplied with the account (points).
    PreviousOverall,
    /// Overall minus previous overall (points; negative when it fell).
    ScoreChange,
    /// Days from the as-of date to a named date of the account (negative
    /// when the date has passed).
    DaysUntil(String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub(crate) fn holds<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// A condition as written in configuration or built in Rust; both compile
/// to the same form.
///
/// `all([])` holds (nothing fails) and `any([])` does not (nothing holds),
/// as in logic. A comparison whose operand is absent (a missing metric, no
/// previous score, no such date) does not hold.
///
/// # Examples
///
/// ```
/// use healthscore::cta::{Condition, Op, Operand};
/// use healthscore::Dimension;
///
/// let c: Condition = serde_json::from_str(r#"{"all": [
///     {"compare": {"left": {"dimension": "adoption"}, "op": "<", "right": 30}},
///     {"compare": {"left": {"days_until": "renewal"}, "op": "<=", "right": 90}}
/// ]}"#)?;
/// let built = Condition::all([
///     Condition::compare(Operand::Dimension(Dimension::Adoption), Op::Lt, 30),
///     Condition::compare(Operand::DaysUntil("renewal".into()), Op::Le, 90),
/// ]);
/// assert_eq!(c, built);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Condition {
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds.
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
    /// `left op right`, exactly.
    Compare {
        /// What is compared.
        left: Operand,
        /// How.
        op: Op,
        /// The constant (at most six decimal places).
        right: Decimal,
    },
    /// The band is one of these.
    Band(Vec<Band>),
    /// Coverage is below the scorecard's minimum, or nothing could be scored.
    InsufficientData,
    /// The band differs from the previous band, from one of `from` (any when
    /// empty) to one of `to` (any when empty).
    BandChanged {
        /// Previous bands.
        #[serde(default)]
        from: Vec<Band>,
        /// Current bands.
        #[serde(default)]
        to: Vec<Band>,
    },
    /// The band is at least this many bands less healthy than the previous.
    DroppedBands(u8),
    /// The overall score is at least this many points below the previous.
    ScoreFell(Decimal),
    /// The metric has no usable value (missing, stale or out of range).
    Missing(String),
    /// The lifecycle stage is one of these.
    Stage(Vec<String>),
    /// The account's MRR tier is one of `mrr` and its size tier one of
    /// `size` (an empty list matches any tier).
    Segment {
        /// MRR tier ids.
        #[serde(default)]
        mrr: Vec<String>,
        /// Size tier ids.
        #[serde(default)]
        size: Vec<String>,
    },
    /// The named event happened within the last `days` days (inclusive; an
    /// event dated after the as-of date does not count).
    EventWithin {
        /// The event's name.
        event: String,
        /// How many days back.
        days: u32,
    },
    /// A lifecycle verdict holds for the account, e.g.
    /// `{"lifecycle": "ready_to_advance"}`: only in rules compiled with
    /// [`RuleSet::with_lifecycle`](super::RuleSet::with_lifecycle).
    Lifecycle(crate::lifecycle::Verdict),
}

impl Drop for Condition {
    /// Iterative, so that dropping a deeply nested condition built through
    /// the Rust API (a `not` 100,000 deep) cannot exhaust the stack: the
    /// children are moved to a heap stack and dropped one level at a time.
    fn drop(&mut self) {
        fn take_children(c: &mut Condition, into: &mut Vec<Condition>) {
            match c {
                Condition::All(cs) | Condition::Any(cs) => into.append(cs),
                Condition::Not(inner) => {
                    into.push(std::mem::replace(&mut **inner, Condition::All(Vec::new())))
                }
                _ => {}
            }
        }
        let nested = match self {
            Condition::All(cs) | Condition::Any(cs) => cs
                .iter()
                .any(|c| matches!(c, Condition::All(_) | Condition::Any(_) | Condition::Not(_))),
            Condition::Not(_) => true,
            _ => false,
        };
        if !nested {
            return; // leaves and flat lists drop as usual
        }
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut c) = stack.pop() {
            take_children(&mut c, &mut stack);
        }
    }
}

impl Condition {
    /// All of these.
    pub fn all(cs: impl IntoIterator<Item = Condition>) -> Self {
        Condition::All(cs.into_iter().collect())
    }

    /// Any of these.
    pub fn any(cs: impl IntoIterator<Item = Condition>) -> Self {
        Condition::Any(cs.into_iter().collect())
    }

    /// Not this.
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: Condition) -> Self {
        Condition::Not(Box::new(c))
    }

    /// `left op right`.
    pub fn compare(left: Operand, op: Op, right: impl Into<Decimal>) -> Self {
        Condition::Compare {
            left,
            op,
            right: right.into(),
        }
    }
}
