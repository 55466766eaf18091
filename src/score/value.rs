//! Observed metric values as an account supplies them.

use crate::model::MetricHandle;
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
            Value::Number(x) => format!("number {}", crate::points::shown(*x)),
            Value::Exact(d) => format!("decimal {d}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(true) => f.pad("yes"),
            Value::Flag(false) => f.pad("no"),
            // Without a precision asked for, 1e-300 as `1e-300`, not 300
            // digits (as error messages show numbers).
            Value::Number(x) if f.precision().is_none() => f.pad(&crate::points::shown(*x)),
            Value::Number(x) => fmt::Display::fmt(x, f),
            Value::Exact(d) => fmt::Display::fmt(d, f),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    /// A bool, a number, or a decimal string; written by hand because an
    /// untagged enum tries each variant in turn, which is slow on large inputs.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false, a number, or a decimal string")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Flag(b))
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Value, E> {
                Ok(Value::Number(x))
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> Result<Value, E> {
                Ok(Value::Exact(Decimal::from(x)))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> Result<Value, E> {
                Ok(Value::Exact(Decimal::from(x)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
                s.trim().parse::<Decimal>().map(Value::Exact).map_err(|e| {
                    E::custom(format!("{} is not a decimal number: {e}", crate::Quoted(s)))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Dates as the crate accepts them: `YYYY-MM-DD`, years 1 to 9999, nothing
/// before or after (no sign, no spaces, no time). Every date read from
/// input goes through here, and [`Model::bind`](crate::Model::bind) checks
/// dates given through the Rust API against the same range, so arithmetic
/// on a bound account's dates (due dates, windows, ages) stays far inside
/// what `chrono` can represent.
pub(crate) mod date {
    use chrono::{Datelike, NaiveDate};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// The first date accepted.
    pub(crate) const FIRST: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };
    /// The last date accepted.
    pub(crate) const LAST: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
        Some(d) => d,
        None => NaiveDate::MAX,
    };

    /// Whether a date is within the accepted years.
    pub(crate) fn in_range(d: NaiveDate) -> bool {
        (1..=9999).contains(&d.year())
    }

    /// `date + days`, or [`LAST`] when that is later (or not representable).
    pub(crate) fn add_days_saturating(d: NaiveDate, days: u32) -> NaiveDate {
        d.checked_add_days(chrono::Days::new(u64::from(days)))
            .filter(|x| *x <= LAST)
            .unwrap_or(LAST)
    }

    /// `date − days`, or `None` when that is before the first representable
    /// date.
    pub(crate) fn sub_days(d: NaiveDate, days: u32) -> Option<NaiveDate> {
        d.checked_sub_days(chrono::Days::new(u64::from(days)))
    }

    /// Parses exactly `YYYY-MM-DD` with a year from 1 to 9999.
    pub(crate) fn parse(s: &str) -> Option<NaiveDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b.get(r)?.iter().try_fold(0u32, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let year = i32::try_from(num(0..4)?).ok().filter(|y| *y >= 1)?;
        NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
    }

    fn invalid<E: serde::de::Error>(s: &str) -> E {
        E::custom(format!(
            "{} is not a date (YYYY-MM-DD, years 0001 to 9999)",
            crate::Quoted(s)
        ))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<NaiveDate, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&s).ok_or_else(|| invalid(&s))
    }

    /// For `Option<NaiveDate>` fields (with `#[serde(default)]`).
    pub(crate) fn option<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        s.map(|s| parse(&s).ok_or_else(|| invalid(&s))).transpose()
    }

    /// For maps of named dates; a name given twice is an error.
    pub(crate) fn map<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, NaiveDate>, D::Error> {
        let raw: crate::strict::UniqueMap<String, std::borrow::Cow<'de, str>> =
            Deserialize::deserialize(d)?;
        raw.0
            .into_iter()
            .map(|(k, s)| parse(&s).map(|d| (k, d)).ok_or_else(|| invalid(&s)))
            .collect()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn only_documented_dates_parse() {
            for s in ["2026-11-23", "2024-02-29", "0001-01-01", "9999-12-31"] {
                assert_eq!(super::parse(s), s.parse().ok(), "{s}");
            }
            for s in [
                "2026-02-30",
                "2026-13-01",
                "2026-1-01",
                "2026/11/23",
                "+2026-11-2",
                "+10000-01-01",
                " 2026-11-20",
                "2026-11-20 ",
                "0000-01-01",
                "-0001-01-01",
                "2026-11-20T00:00:00",
            ] {
                assert_eq!(super::parse(s), None, "{s}");
            }
        }

        #[test]
        fn day_arithmetic_saturates_or_says_none() {
            let last = super::LAST;
            assert_eq!(super::add_days_saturating(last, u32::MAX), last);
            assert_eq!(super::add_days_saturating(chrono::NaiveDate::MAX, 1), last);
            assert_eq!(super::sub_days(chrono::NaiveDate::MIN, 1), None);
            let first = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
            assert!(super::sub_days(first, u32::MAX).is_none());
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

/// Integers are exact.
macro_rules! value_from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::Exact(Decimal::from(x))
            }
        }
    )*};
}

value_from_integer!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

impl From<f32> for Value {
    /// Through the `f32`'s shortest decimal form, so `0.1f32` is 0.1, not
    /// 0.100000001490116….
    fn from(x: f32) -> Self {
        match x.to_string().parse::<f64>() {
            Ok(y) => Value::Number(y),
            Err(_) => Value::Number(f64::from(x)),
        }
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
pub struct Observation {
    /// The metric's id in the model; empty for an observation made
    /// [`by_handle`](Observation::by_handle).
    pub metric: String,
    /// The value.
    pub value: Value,
    /// When it was observed.
    #[serde(deserialize_with = "date::deserialize")]
    pub observed_on: NaiveDate,
    /// Who recorded it (required for a CSM judgement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Why (a CSM judgement's comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The metric as a handle of one model, when made
    /// [`by_handle`](Observation::by_handle) (not serialised).
    #[serde(skip)]
    pub handle: Option<MetricHandle>,
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
            handle: None,
        }
    }

    /// An observation of the metric a handle names
    /// ([`Model::metric_handle`](crate::Model::metric_handle)), without
    /// allocating a name: binding goes straight to the metric, with no
    /// lookup. Its `metric` is empty, so it names its metric only to the
    /// model that gave the handle (binding it to another model is an
    /// error); to store an account's input, name its metrics.
    pub fn by_handle(
        metric: MetricHandle,
        value: impl Into<Value>,
        observed_on: NaiveDate,
    ) -> Self {
        Observation {
            metric: String::new(),
            value: value.into(),
            observed_on,
            author: None,
            note: None,
            handle: Some(metric),
        }
    }

    /// Sets the author and note (a CSM judgement's provenance).
    pub fn by(mut self, author: impl Into<String>, note: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self.note = Some(note.into());
        self
    }
}
