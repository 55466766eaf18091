//! Which of an account's dates and events a rule set reads.
//!
//! Rules name the dates and events they use, and an account may carry
//! others (a lifecycle's `stage_entered`, a warehouse's own). Those are
//! ignored by every rule, which is right, but a misspelt name is ignored
//! the same way: an account whose `renewwal` date or `champion_lostt`
//! event no rule reads never opens the CTA its author meant. These methods
//! let a caller say so ([`unread`](RuleSet::unread)).

use super::RuleSet;
use crate::AccountData;

/// The names a compiled rule set reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// The dates it declares, and the lifecycle's entry date when its
    /// rules may use the lifecycle's verdicts.
    pub(crate) dates: Box<[String]>,
    /// The events it declares.
    pub(crate) events: Box<[String]>,
}

/// A date or an event of an account that no rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unread<'d> {
    /// A named date (`AccountData::dates`).
    Date(&'d str),
    /// An event's name (`AccountData::events`), once per name.
    Event(&'d str),
}

impl std::fmt::Display for Unread<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Date(name) => write!(f, "date {name}"),
            Unread::Event(name) => write!(f, "event {name}"),
        }
    }
}

impl RuleSet {
    /// True when a rule may read the account date `name`: one the rule set
    /// declares, or the lifecycle's entry date when it was compiled
    /// [`with_lifecycle`](Self::with_lifecycle).
    pub fn reads_date(&self, name: &str) -> bool {
        self.reads.dates.iter().any(|d| d == name)
    }

    /// True when a rule may read the event `name`: one the rule set
    /// declares.
    pub fn reads_event(&self, name: &str) -> bool {
        self.reads.events.iter().any(|e| e == name)
    }

    /// The account's dates and events that no rule reads: dates, then
    /// events, each name once and in name order.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::cta::{RuleSet, RuleSetConfig, Unread};
    /// use healthscore::{AccountData, Model};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let rules: RuleSetConfig = serde_json::from_str(r#"{
    ///   "dates": ["renewal"], "events": ["champion_lost"],
    ///   "rules": [{"id": "lost", "title": "Champion left", "kind": "risk",
    ///              "touch": "high-touch", "owner": "csm",
    ///              "when": {"event_within": {"event": "champion_lost", "days": 30}}}]
    /// }"#)?;
    /// let rules = RuleSet::new(rules, &model)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let account = AccountData::new("acme", dec!(500), 10, day)
    ///     .date("renewwal", day) // misspelt: no rule reads it
    ///     .event("champion_lostt", day);
    /// let unread: Vec<_> = rules.unread(&account).collect();
    /// assert_eq!(unread, [Unread::Date("renewwal"), Unread::Event("champion_lostt")]);
    /// assert_eq!(unread[0].to_string(), "date renewwal");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unread<'d>(&'d self, data: &'d AccountData) -> impl Iterator<Item = Unread<'d>> + 'd {
        let dates = data
            .dates
            .keys()
            .filter(|name| !self.reads_date(name))
            .map(|name| Unread::Date(name.as_str()));
        let events: std::collections::BTreeSet<&str> = data
            .events
            .iter()
            .map(|e| e.name.as_str())
            .filter(|name| !self.reads_event(name))
            .collect();
        dates.chain(events.into_iter().map(Unread::Event))
    }
}
