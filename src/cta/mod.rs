//! Calls to action: rules that turn scores and signals into Risk, Expansion
//! and Lifecycle CTAs, each carrying why it fired.
//!
//! A [`RuleSet`] is compiled once against a [`Model`](crate::Model) (unknown
//! metrics, events, dates and impossible comparisons are errors with their
//! path) and evaluated against scored accounts. Evaluation is a pure
//! function of what the caller passes: the score (with the account's
//! previous score and band, named dates and events), the account's existing
//! CTA records, and which rules held at the previous evaluation. It opens,
//! updates, suppresses (snooze, cooldown, cap, edge trigger) and proposes
//! closing CTAs; storing them is the caller's business.

pub(crate) mod compiled;
mod condition;
mod engine;
mod lookup;
mod names;
mod program;
pub(crate) mod rule;
mod trace;

pub use compiled::MAX_DEPTH;
pub use condition::{Condition, Op, Operand};
pub use engine::{Action, CtaRecord, CtaStatus, CtaSummary, Evaluation, Suppressed};
pub use names::Unread;
pub use rule::{
    Cap, Cta, CtaKind, Priority, RuleConfig, RuleSet, RuleSetConfig, RuleTraces, TouchLevel,
    Trigger, MAX_DAYS, MAX_REASON_LEN, MAX_RULES,
};
pub use trace::TraceLine;
