//! Accounts: raw input data, and accounts bound to (validated against) a model.

use crate::metric::ValueProblem;
use crate::model::MetricHandle;
use crate::model::Model;
use crate::segment::Segment;
use crate::slots::Slots;
use crate::value::Observation;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An account's data as it arrives: from JSON, a database row, or code.
///
/// Read as real payloads come: **unknown fields are ignored** (a service
/// may send its own fields alongside; configuration, by contrast, rejects
/// unknown fields), the `id` may be a string or an integer, a flag may be
/// `true`/`false` or `0`/`1`, and numbers may be integers or floats. Any
/// other mismatch is a typed error naming the account and metric when the
/// account is bound.
///
/// # Examples
///
/// ```
/// use chrono::{Datelike, NaiveDate};
/// use healthscore::{AccountData, Observation};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let acme = AccountData::new("acme", dec!(1200), 80, day)
///     .stage("adoption")
///     .observe(Observation::new("weekly_active", 0.22, day));
/// assert_eq!(acme.observations.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountData {
    /// The account's id (in JSON a string or an integer).
    #[serde(deserialize_with = "id_from_string_or_integer")]
    pub id: String,
    /// Monthly recurring revenue, exact; from 0 to 10¹⁵.
    pub mrr: Decimal,
    /// Number of employees of the customer company (in JSON an integer,
    /// or a whole number written as a decimal, `80.0`, as a data frame
    /// with a missing value writes its integers).
    #[serde(deserialize_with = "count")]
    pub employees: u32,
    /// Lifecycle stage, e.g. `onboarding`. When the model declares stages it
    /// must be one of them; otherwise it is kept but not used for segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The date the score is as of (values observed later are refused).
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub as_of: NaiveDate,
    /// Observed metric values, in any order.
    #[serde(default)]
    pub observations: Vec<Observation>,
    /// The band the account had at its previous scoring, if any: with a
    /// scorecard's hysteresis margin it keeps that band until its score
    /// passes a threshold by the margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_band: Option<crate::Band>,
    /// The overall score at the previous scoring, if any (for CTA rules such
    /// as "score fell by 10 points").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_score: Option<crate::Points>,
    /// Named dates such as `renewal`, for CTA rules ("renewal in 90 days").
    #[serde(
        default,
        skip_serializing_if = "std::collections::BTreeMap::is_empty",
        deserialize_with = "crate::value::date::map"
    )]
    pub dates: std::collections::BTreeMap<String, NaiveDate>,
    /// Dated events such as `champion_lost`, for CTA rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The id of the parent account, for accounts that belong to a larger
    /// customer (a subsidiary, a department, a workspace of a company): see
    /// [`hierarchy`](crate::hierarchy). A string or an integer in JSON.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_id"
    )]
    pub parent: Option<String>,
}

/// Something that happened to an account on a date (e.g. `champion_lost`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event's name, as the rules use it.
    pub name: String,
    /// When it happened.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub date: NaiveDate,
}

/// An id as a JSON string or integer (warehouses export numeric ids).
fn id_from_string_or_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an integer")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<String, E> {
            Ok(s.to_string())
        }
        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<String, E> {
            Ok(s)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<String, E> {
            Ok(n.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<String, E> {
            Ok(n.to_string())
        }
    }
    d.deserialize_any(V)
}

/// A count from 0 to `u32::MAX`: an integer, or a whole number written
/// as a decimal (`80.0`); anything else is refused, saying so.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a whole number from 0 to {}", u32::MAX)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u32, E> {
            u32::try_from(n)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u32, E> {
            u32::try_from(n).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<u32, E> {
            let whole =
                x.is_finite() && x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x);
            if whole {
                Ok(x as u32)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(x), &self))
            }
        }
    }
    d.deserialize_any(V)
}

/// An optional id as a JSON string or integer.
fn optional_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Id(#[serde(deserialize_with = "id_from_string_or_integer")] String);
    Ok(Option::<Id>::deserialize(d)?.map(|id| id.0))
}

impl AccountData {
    /// An account with no observations yet.
    pub fn new(id: impl Into<String>, mrr: Decimal, employees: u32, as_of: NaiveDate) -> Self {
        AccountData {
            id: id.into(),
            mrr,
            employees,
            stage: None,
            as_of,
            observations: Vec::new(),
            previous_band: None,
            previous_score: None,
            dates: std::collections::BTreeMap::new(),
            events: Vec::new(),
            parent: None,
        }
    }

    /// Sets the parent account (see [`hierarchy`](crate::hierarchy)).
    pub fn parent(mut self, parent: impl Into<String>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Sets a named date (e.g. `renewal`).
    pub fn date(mut self, name: impl Into<String>, date: NaiveDate) -> Self {
        self.dates.insert(name.into(), date);
        self
    }

    /// Records an event (e.g. `champion_lost`) on a date.
    pub fn event(mut self, name: impl Into<String>, date: NaiveDate) -> Self {
        self.events.push(Event {
            name: name.into(),
            date,
        });
        self
    }

    /// Sets the band of the previous scoring (for hysteresis).
    pub fn previous_band(mut self, band: crate::Band) -> Self {
        self.previous_band = Some(band);
        self
    }

    /// Sets the lifecycle stage.
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = Some(stage.into());
        self
    }

    /// Adds an observation.
    pub fn observe(mut self, observation: Observation) -> Self {
        self.observations.push(observation);
        self
    }

    /// Adds an observation of the metric a [`MetricHandle`] names, without
    /// an owned metric name: the cheap way to build many accounts for one
    /// model (see [`Observation::by_handle`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{Datelike, NaiveDate};
    /// use healthscore::{AccountData, Model};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let (wau, nps) = (model.metric_handle("weekly_active"), model.metric_handle("nps"));
    /// let (wau, nps) = (wau.expect("declared"), nps.expect("declared"));
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let account = model.bind(
    ///     AccountData::new("acme", dec!(1200), 80, day)
    ///         .observe_handle(wau, 0.5, day)
    ///         .observe_handle(nps, 20, day),
    /// )?;
    /// assert_eq!(account.score().overall().map(|p| p.to_string()).as_deref(), Some("61.25"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_handle(
        mut self,
        metric: MetricHandle,
        value: impl Into<crate::Value>,
        observed_on: NaiveDate,
    ) -> Self {
        self.observations
            .push(Observation::by_handle(metric, value, observed_on));
        self
    }
}

/// Whether an id is blank: empty or only white space, which binding
/// refuses ([`AccountProblem::EmptyId`]). Most ids start with a
/// character that is not white space: one byte decides.
#[inline]
pub(crate) fn is_blank_id(id: &str) -> bool {
    match id.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        Some(_) => id.trim().is_empty(),
    }
}

/// Everything wrong with one account's data.
///
/// `Display`: `account acme: weekly_active: ratio number 1.7 is outside 0..=1; …`.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
pub struct AccountError {
    /// The account's id.
    pub account: String,
    /// The problems, in input order.
    pub problems: Vec<AccountProblem>,
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An account without an id is named by its problems alone, not
        // as `account : …`.
        if !is_blank_id(&self.account) {
            write!(f, "account {}: ", self.account)?;
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// One problem with an account's data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountProblem {
    /// MRR below zero.
    #[error("mrr {0} is negative")]
    NegativeMrr(Decimal),
    /// MRR above 10¹⁵ a month: surely a unit or parsing mistake.
    #[error("mrr {0} is above 10^15")]
    HugeMrr(Decimal),
    /// The id is empty or only white space (`""`, `"  "`): a table's
    /// blank text cell is a missing value, and so is such an id.
    #[error("id is missing (empty or only spaces)")]
    EmptyId,
    /// A stage the model does not declare.
    #[error("stage {} is not one of the model's stages", crate::Quoted(.0))]
    UnknownStage(String),
    /// An observation of a metric the model does not have.
    #[error("{0}: unknown metric")]
    UnknownMetric(String),
    /// An observation set by a [`MetricHandle`] of another model.
    #[error("observation {0}: its metric handle belongs to another model")]
    ForeignHandle(usize),
    /// Two observations of one metric on one date.
    #[error("{metric}: two observations on {date}")]
    DuplicateObservation {
        /// The metric.
        metric: String,
        /// The date.
        date: NaiveDate,
    },
    /// More observations than one account may carry (2³¹ − 1).
    #[error("{0} observations, more than one account may carry")]
    TooManyObservations(usize),
    /// A date outside the years 1 to 9999 (as-of, observation, named date
    /// or event), which only the Rust API can produce: input parsing
    /// refuses such dates.
    #[error("{what} {date} is outside the years 1 to 9999")]
    DateOutOfRange {
        /// Which date: `as_of`, `observation of <metric>`, `date <name>`,
        /// `event <name>`.
        what: String,
        /// The date.
        date: NaiveDate,
    },
    /// An observation dated after the account's as-of date.
    #[error("{metric}: observed on {observed}, after the as-of date {as_of}")]
    ObservedAfterAsOf {
        /// The metric.
        metric: String,
        /// The observation date.
        observed: NaiveDate,
        /// The account's as-of date.
        as_of: NaiveDate,
    },
    /// A columnar row's MRR beyond what a `Decimal` holds (whole part
    /// past 96 bits), as the column gives it: `mrr
    /// 10000000000000000000000000000000000000 is above 10^15`.
    #[error("mrr {} is {}", .0, if .0.starts_with('-') { "negative" } else { "above 10^15" })]
    MrrOutOfRange(String),
    /// A columnar row's date beyond what a date holds (chrono's ±262,143
    /// years), as its day number from 1970-01-01 (`as_of 2147483647 days
    /// from 1970-01-01 is outside the years 1 to 9999`). `what` as in
    /// [`DateOutOfRange`](AccountProblem::DateOutOfRange).
    #[error("{what} {days} days from 1970-01-01 is outside the years 1 to 9999")]
    DayOutOfRange {
        /// Which date: `as_of`, `observation of <metric>`, `date <name>`.
        what: String,
        /// Days from 1970-01-01.
        days: i64,
    },
    /// A value that does not fit its metric.
    #[error("{metric}: {problem}")]
    Value {
        /// The metric.
        metric: String,
        /// What is wrong.
        problem: ValueProblem,
    },
}

impl AccountProblem {
    /// The metric concerned, when the problem is about one metric.
    pub fn metric(&self) -> Option<&str> {
        match self {
            AccountProblem::UnknownMetric(m) => Some(m),
            AccountProblem::DuplicateObservation { metric, .. }
            | AccountProblem::ObservedAfterAsOf { metric, .. }
            | AccountProblem::Value { metric, .. } => Some(metric),
            _ => None,
        }
    }
}

impl Serialize for AccountProblem {
    /// As `{"kind": "value", "metric": "nps", "message": "nps: nps number 140 is outside -100..=100"}`
    /// (`metric` only when the problem is about one metric).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", &crate::error::variant_name(self))?;
        if let Some(metric) = self.metric() {
            m.serialize_entry("metric", metric)?;
        }
        m.serialize_entry("message", &self.to_string())?;
        m.end()
    }
}

/// The largest MRR accepted (10¹⁵ a month): portfolio totals of up to
/// 10¹³ such accounts stay exact in a `Decimal`.
pub(crate) const MAX_MRR: i64 = 1_000_000_000_000_000;

/// An account validated against a model, ready to score.
///
/// Binding checks every value once, picks the latest observation of each
/// metric, and resolves the segment and scorecard; scoring is then
/// infallible and allocation-free. Create one with [`Model::bind`].
///
/// # Examples
///
/// ```
/// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// use chrono::{Datelike, NaiveDate};
/// use healthscore::{AccountData, Observation};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let earlier = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
/// let account = model.bind(
///     AccountData::new("acme", dec!(999.99), 40, day)
///         .observe(Observation::new("nps", 30.0, day))
///         .observe(Observation::new("nps", 10.0, earlier)), // the latest wins, in any order
/// )?;
/// assert_eq!(account.segment().to_string(), "smb/all"); // MRR below 1000
/// assert_eq!(account.scorecard(), "default");
/// assert_eq!(account.observation("nps").map(|o| o.observed_on), Some(day));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[repr(C)] // what scoring reads first, together: see `previous`
pub struct Account<'m> {
    pub(crate) model: &'m Model,
    pub(crate) card: usize,
    pub(crate) segment: usize,
    /// `data.previous_band`, next to the slots: scoring a `Vec<Account>`
    /// then reads the account's first lines only (the data, with its
    /// strings, comes last).
    pub(crate) previous: Option<crate::Band>,
    pub(crate) slots: Slots,
    /// Boxed: scoring reads only the fields above, and a portfolio held
    /// as a `Vec<Account>` then streams 240 bytes an account, not 416
    /// (`cargo bench --bench batch`, `account_score`: 0.84–0.87× the
    /// one-at-a-time peer boxed, 0.94–1.03× inline).
    pub(crate) data: Box<AccountData>,
}

impl<'m> Account<'m> {
    /// The account's data as given.
    pub fn data(&self) -> &AccountData {
        &self.data
    }

    /// The account's id.
    pub fn id(&self) -> &str {
        &self.data.id
    }

    /// The model it is bound to.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The segment it falls in.
    pub fn segment(&self) -> Segment<'m> {
        self.model.segmentation.segment(self.segment)
    }

    /// The id of the scorecard that scores it.
    pub fn scorecard(&self) -> &'m str {
        self.model
            .cards
            .get(self.card)
            .map_or("", |c| c.id.as_str())
    }

    /// The observation used for a metric (the latest), if any.
    pub fn observation(&self, metric: &str) -> Option<&Observation> {
        let i = *self.model.by_id.get(metric)?;
        self.observation_at(i)
    }

    /// Metrics whose latest value is older than the metric's maximum age,
    /// with that age in days, in model order.
    pub fn stale_metrics(&self) -> impl Iterator<Item = (&'m str, i64)> + '_ {
        self.model
            .metrics
            .iter()
            .zip(self.slots.as_slice())
            .filter_map(|(m, slot)| {
                let obs = self.data.observations.get(slot.observation()?)?;
                slot.is_stale().then(|| (m.id.as_str(), self.age_of(obs)))
            })
    }

    /// Days between an observation and the as-of date.
    pub(crate) fn age_of(&self, obs: &Observation) -> i64 {
        (self.data.as_of - obs.observed_on).num_days()
    }

    pub(crate) fn observation_at(&self, metric: usize) -> Option<&Observation> {
        let slot = self.slots.get(metric)?;
        self.data.observations.get(slot.observation()?)
    }
}
