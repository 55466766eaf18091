//! Observed metric values as an account supplies them.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A raw observed value; the metric's kind decides whether it is valid.
///
/// In JSON a value is `true`/`false`, a number, or a decimal string
/// (`"1200.10"`, exact, for money). Numbers are rounded to the nearest
/// millionth (ties away from zero); decimals beyond six places are rounded
/// half-even. Values beyond ±10¹² are refused.
///
/// # Examples
///
/// ```
/// use healthscore::Value;
/// use rust_decimal_macros::dec;
///
/// assert_eq!(Value::from(0.22), Value::Number(0.22));
/// assert_eq!(Value::from(true), Value::Flag(true));
/// let v: Value = serde_json::from_str("\"1200.10\"")?;
/// assert_eq!(v, Value::Exact(dec!(1200.10)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Yes or no, for flag metrics.
    Flag(bool),
    /// A number.
    Number(f64),
    /// An exact decimal (written as a string in JSON).
    Exact(Decimal),
}

impl Value {
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Flag(b) => format!("flag {b}"),
            Value::Number(x) => format!("number {x}"),
            Value::Exact(d) => format!("decimal {d}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(true) => f.pad("yes"),
            Value::Flag(false) => f.pad("no"),
            Value::Number(x) => fmt::Display::fmt(x, f),
            Value::Exact(d) => fmt::Display::fmt(d, f),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Flag(b)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Number(x)
    }
}

impl From<i64> for Value {
    fn from(x: i64) -> Self {
        Value::Exact(Decimal::from(x))
    }
}

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Value::Exact(d)
    }
}

/// One dated observation of one metric for one account.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::Observation;
///
/// let on = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let o = Observation::new("csm_sentiment", 4.0, on).by("dana", "exec sponsor left");
/// assert_eq!(o.author.as_deref(), Some("dana"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The metric's id in the model.
    pub metric: String,
    /// The value.
    pub value: Value,
    /// When it was observed.
    pub observed_on: NaiveDate,
    /// Who recorded it (required for a CSM judgement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Why (a CSM judgement's comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Observation {
    /// An observation without author or note.
    pub fn new(metric: impl Into<String>, value: impl Into<Value>, observed_on: NaiveDate) -> Self {
        Observation {
            metric: metric.into(),
            value: value.into(),
            observed_on,
            author: None,
            note: None,
        }
    }

    /// Sets the author and note (a CSM judgement's provenance).
    pub fn by(mut self, author: impl Into<String>, note: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self.note = Some(note.into());
        self
    }
}
