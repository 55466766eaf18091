//! Evaluating a rule set: which CTAs to open, update, leave quiet or close.

use super::lookup::Lookup;
use super::rule::{reason, Cta, CtaKind, Priority, RuleSet, Trigger};
use crate::model::ModelMismatch;
use crate::score::Score;
use crate::value::date;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A CTA the caller already has for the account (from earlier evaluations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtaRecord {
    /// The rule that produced it.
    pub rule: String,
    /// Its kind.
    pub kind: CtaKind,
    /// When it was opened.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub opened_on: NaiveDate,
    /// Where it stands.
    pub status: CtaStatus,
}

/// Where a CTA stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum CtaStatus {
    /// Being worked on.
    Open,
    /// Put off until a date (the rule stays quiet until then, inclusive).
    Snoozed {
        /// Last quiet day.
        #[serde(deserialize_with = "crate::value::date::deserialize")]
        until: NaiveDate,
    },
    /// Done.
    Closed {
        /// When it was closed.
        #[serde(deserialize_with = "crate::value::date::deserialize")]
        on: NaiveDate,
    },
}

/// Why a rule whose condition holds did not open a CTA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suppressed {
    /// Its CTA is snoozed until this date.
    Snoozed(NaiveDate),
    /// Its CTA was closed on this date, within the rule's cooldown.
    Cooldown(NaiveDate),
    /// The rule has fired its cap in the period.
    Capped,
    /// Edge trigger: the condition already held at the previous evaluation.
    AlreadyHeld,
}

/// What evaluation proposes for one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "action")]
pub enum Action {
    /// Open a new CTA.
    Open(Cta),
    /// The rule's CTA is still open: refresh its reason.
    Update {
        /// The rule.
        rule: String,
        /// The refreshed reason.
        reason: String,
    },
    /// The condition holds but the rule stays quiet.
    Quiet {
        /// The rule.
        rule: String,
        /// Why.
        because: Suppressed,
    },
    /// The rule's open CTA no longer applies: propose closing it.
    Close {
        /// The rule.
        rule: String,
        /// Why.
        reason: String,
    },
}

/// The outcome of evaluating a rule set against one scored account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Proposed actions, most urgent first (priority, then rule order).
    pub actions: Vec<Action>,
    /// Ids of the rules whose condition held: pass them back at the next
    /// evaluation for edge triggers.
    pub held: Vec<String>,
}

impl Evaluation {
    /// The CTAs to open.
    pub fn opened(&self) -> impl Iterator<Item = &Cta> {
        self.actions.iter().filter_map(|a| match a {
            Action::Open(c) => Some(c),
            _ => None,
        })
    }
}

impl RuleSet {
    /// Evaluates every rule against a scored account.
    ///
    /// `records` are the account's existing CTAs; `held_before` the rule ids
    /// that held at the previous evaluation ([`Evaluation::held`]). A rule
    /// whose condition holds: updates its open CTA if there is one (CTAs are
    /// identified by account, kind and rule, so it never opens a duplicate);
    /// else stays quiet while snoozed (through the snooze date), within its
    /// cooldown after a close (through close date + cooldown days), at its
    /// cap, or, with an edge trigger, when it already held; else opens a CTA
    /// due `as_of + due_in_days` (9999-12-31 at the latest). A rule whose condition does not hold
    /// proposes closing its open CTA (unless `close_when_clear` is off).
    ///
    /// Allocates nothing when no rule holds and no CTA is open.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when the score comes from a model other than the
    /// one the rules were compiled against (compared by
    /// [`Fingerprint`](crate::model::Fingerprint): another version, or the
    /// same metrics in another order, is another model). Rules read metrics
    /// by position, so evaluating them on another model's score would read
    /// the wrong values.
    pub fn evaluate(
        &self,
        score: &Score<'_>,
        records: &[CtaRecord],
        held_before: &[String],
    ) -> Result<Evaluation, ModelMismatch> {
        self.check_model(score)?;
        let mut run = Run {
            score,
            lookup: Lookup::new(records, held_before),
            eval: Evaluation::default(),
            order: Vec::new(),
        };
        if run.lookup.no_records() {
            // Only rules that hold can act: one pass over the program.
            self.program.run(score, |i| run.rule(self, i, true));
        } else {
            for i in 0..self.rules.len() {
                run.rule(self, i, self.program.holds(i, score));
            }
        }
        let Run {
            mut eval, order, ..
        } = run;
        if eval.actions.len() < 2 {
            return Ok(eval);
        }
        // Most urgent first, then rule order: sort the actions by their keys.
        let mut keyed: Vec<_> = order
            .into_iter()
            .zip(std::mem::take(&mut eval.actions))
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        eval.actions = keyed.into_iter().map(|(_, a)| a).collect();
        Ok(eval)
    }
}

/// One evaluation in progress.
struct Run<'s, 'a> {
    score: &'s Score<'a>,
    lookup: Lookup<'s>,
    eval: Evaluation,
    /// Sort key of each action: priority, then rule order.
    order: Vec<(Priority, usize)>,
}

impl Run<'_, '_> {
    /// Decides what rule `i`, whose condition `holds` or not, proposes.
    fn rule(&mut self, set: &RuleSet, i: usize, holds: bool) {
        let Some(rule) = set.rules.get(i) else {
            return;
        };
        let (score, lookup, eval) = (self.score, &self.lookup, &mut self.eval);
        let data = &score.account.data;
        let as_of = data.as_of;
        let c = &rule.config;
        let open = lookup
            .records_of(&c.id)
            .any(|r| r.kind == c.kind && r.status == CtaStatus::Open);
        if !holds {
            if open && c.close_when_clear {
                let why = format!("no longer holds: {}", describe_failure(rule, score));
                eval.actions.push(Action::Close {
                    rule: c.id.clone(),
                    reason: why,
                });
                self.order.push((c.priority, i));
            }
            return;
        }
        eval.held.push(c.id.clone());
        let action = if open {
            Action::Update {
                rule: c.id.clone(),
                reason: reason(&rule.cond, score),
            }
        } else if let Some(because) = suppressed(c, lookup, as_of) {
            Action::Quiet {
                rule: c.id.clone(),
                because,
            }
        } else {
            Action::Open(Cta {
                account: data.id.clone(),
                kind: c.kind,
                rule: c.id.clone(),
                title: c.title.clone(),
                priority: c.priority,
                touch: c.touch,
                owner: c.owner.clone(),
                due: date::add_days_saturating(as_of, c.due_in_days),
                playbook: c.playbook.clone(),
                reason: reason(&rule.cond, score),
            })
        };
        eval.actions.push(action);
        self.order.push((c.priority, i));
    }
}

impl RuleSet {
    /// Evaluates every account of a scored portfolio as a first run (no CTA
    /// records, no previous evaluation) and counts what would open, by kind,
    /// priority and owner. For later runs, [`evaluate`](Self::evaluate) each
    /// account with its records and [`add`](CtaSummary::add) the results.
    ///
    /// # Examples
    ///
    /// ```
    /// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// use chrono::NaiveDate;
    /// use healthscore::cta::{CtaKind, RuleSet, RuleSetConfig};
    /// use healthscore::{AccountData, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let rules: RuleSetConfig = serde_json::from_str(r#"{"rules": [{
    ///     "id": "red", "title": "At risk: call", "kind": "risk",
    ///     "touch": "high-touch", "owner": "csm", "when": {"band": ["red"]}
    /// }]}"#)?;
    /// let rules = RuleSet::new(rules, &model)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let accounts = [0.1, 0.9, 0.05]
    ///     .into_iter()
    ///     .enumerate()
    ///     .map(|(i, active)| {
    ///         let data = AccountData::new(format!("a{i}"), dec!(500), 10, day)
    ///             .observe(Observation::new("weekly_active", active, day));
    ///         model.bind(data)
    ///     })
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let scores: Vec<_> = accounts.iter().map(|a| a.score()).collect();
    /// let summary = rules.evaluate_portfolio(&scores)?;
    /// assert_eq!((summary.accounts, summary.opened()), (3, 2));
    /// assert_eq!(summary.by_kind[&CtaKind::Risk], 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] at the first score of another model.
    pub fn evaluate_portfolio<'x, 'm: 'x>(
        &self,
        scores: impl IntoIterator<Item = &'x Score<'m>>,
    ) -> Result<CtaSummary, ModelMismatch> {
        let mut summary = CtaSummary::default();
        for score in scores {
            summary.add(&self.evaluate(score, &[], &[])?);
        }
        Ok(summary)
    }

    /// [`evaluate`](Self::evaluate), plus every rule's condition trace (each
    /// node's outcome with the values seen), for explanation and debugging.
    pub fn evaluate_traced(
        &self,
        score: &Score<'_>,
        records: &[CtaRecord],
        held_before: &[String],
    ) -> Result<(Evaluation, super::RuleTraces), ModelMismatch> {
        Ok((
            self.evaluate(score, records, held_before)?,
            self.trace(score)?,
        ))
    }
}

fn suppressed(
    c: &super::rule::RuleConfig,
    lookup: &Lookup<'_>,
    as_of: NaiveDate,
) -> Option<Suppressed> {
    let mine = || lookup.records_of(&c.id).filter(|r| r.kind == c.kind);
    if let Some(until) = mine()
        .filter_map(|r| match r.status {
            CtaStatus::Snoozed { until } if until >= as_of => Some(until),
            _ => None,
        })
        .max()
    {
        return Some(Suppressed::Snoozed(until));
    }
    if let Some(on) = mine()
        .filter_map(|r| match r.status {
            CtaStatus::Closed { on }
                if c.cooldown_days > 0
                    && on <= as_of
                    && as_of <= date::add_days_saturating(on, c.cooldown_days) =>
            {
                Some(on)
            }
            _ => None,
        })
        .max()
    {
        return Some(Suppressed::Cooldown(on));
    }
    if let Some(cap) = c.cap {
        // A period reaching before the calendar's start counts every record.
        let since = date::sub_days(as_of, cap.per_days);
        let fired = mine()
            .filter(|r| since.is_none_or(|s| r.opened_on > s) && r.opened_on <= as_of)
            .count();
        if fired >= cap.times as usize {
            return Some(Suppressed::Capped);
        }
    }
    if c.trigger == Trigger::Edge && lookup.held_before(&c.id) {
        return Some(Suppressed::AlreadyHeld);
    }
    None
}

/// The top-level reason a condition fails, from its trace.
fn describe_failure(rule: &super::rule::Rule, score: &Score<'_>) -> String {
    let mut lines = Vec::new();
    rule.cond.trace(score, 0, &mut lines);
    lines
        .iter()
        .filter(|l| l.leaf && !l.holds)
        .map(|l| l.text.as_str())
        .next()
        .map_or_else(|| "the condition".to_string(), str::to_string)
}

/// CTAs opened over a portfolio, counted by kind, priority and owner.
///
/// Summaries of parts of a portfolio [`merge`](Self::merge) exactly, in
/// any order, so a parallel reduce gives the same summary as one pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtaSummary {
    /// Accounts evaluated.
    pub accounts: u64,
    /// Accounts with at least one CTA opened.
    pub accounts_with_new_ctas: u64,
    /// Per kind.
    #[serde(deserialize_with = "crate::strict::map")]
    pub by_kind: BTreeMap<CtaKind, u64>,
    /// Per priority.
    #[serde(deserialize_with = "crate::strict::map")]
    pub by_priority: BTreeMap<Priority, u64>,
    /// Per owner.
    #[serde(deserialize_with = "crate::strict::map")]
    pub by_owner: BTreeMap<String, u64>,
    /// Updates of open CTAs.
    pub updated: u64,
    /// Rules kept quiet (snooze, cooldown, cap, edge).
    pub quiet: u64,
    /// Proposed closes.
    pub closed: u64,
}

impl CtaSummary {
    /// Adds an account's evaluation.
    pub fn add(&mut self, eval: &Evaluation) {
        self.accounts += 1;
        if eval.opened().next().is_some() {
            self.accounts_with_new_ctas += 1;
        }
        for a in &eval.actions {
            match a {
                Action::Open(c) => {
                    *self.by_kind.entry(c.kind).or_default() += 1;
                    *self.by_priority.entry(c.priority).or_default() += 1;
                    *self.by_owner.entry(c.owner.clone()).or_default() += 1;
                }
                Action::Update { .. } => self.updated += 1,
                Action::Quiet { .. } => self.quiet += 1,
                Action::Close { .. } => self.closed += 1,
            }
        }
    }

    /// Adds another summary's counts to this one (a parallel reduce's
    /// combine step): the result equals adding both parts' evaluations to
    /// one summary, whatever the order. Counts saturate, never wrap.
    pub fn merge(&mut self, other: &CtaSummary) {
        self.accounts = self.accounts.saturating_add(other.accounts);
        self.accounts_with_new_ctas = self
            .accounts_with_new_ctas
            .saturating_add(other.accounts_with_new_ctas);
        for (k, n) in &other.by_kind {
            let e = self.by_kind.entry(*k).or_default();
            *e = e.saturating_add(*n);
        }
        for (k, n) in &other.by_priority {
            let e = self.by_priority.entry(*k).or_default();
            *e = e.saturating_add(*n);
        }
        for (k, n) in &other.by_owner {
            let e = self.by_owner.entry(k.clone()).or_default();
            *e = e.saturating_add(*n);
        }
        self.updated = self.updated.saturating_add(other.updated);
        self.quiet = self.quiet.saturating_add(other.quiet);
        self.closed = self.closed.saturating_add(other.closed);
    }

    /// CTAs opened.
    pub fn opened(&self) -> u64 {
        self.by_kind.values().sum()
    }
}
