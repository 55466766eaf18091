//! CTA rules and rule sets: configuration and compiled form.

use super::compiled::{Cond, Names};
use super::condition::Condition;
use super::engine::{CtaRecord, CtaStatus};
use super::program::Program;
use super::trace::TraceLine;
use crate::error::{ConfigError, ProblemKind, Problems};
use crate::lifecycle::Lifecycle;
use crate::model::Model;
use crate::model::{Fingerprint, ModelMismatch};
use crate::score::Score;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kind of a call to action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CtaKind {
    /// Defensive: churn signals.
    Risk,
    /// Offensive: room to sell more.
    Expansion,
    /// Scheduled moments: reviews, renewals, onboarding exits.
    Lifecycle,
}

/// The kind's name as in configuration and JSON: `risk`, `expansion`,
/// `lifecycle`.
///
/// ```
/// assert_eq!(healthscore::cta::CtaKind::Expansion.to_string(), "expansion");
/// ```
impl std::fmt::Display for CtaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CtaKind::Risk => "risk",
            CtaKind::Expansion => "expansion",
            CtaKind::Lifecycle => "lifecycle",
        })
    }
}

/// How urgent an action is; ordered most urgent first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Drop everything.
    Critical,
    /// This week.
    High,
    /// Soon.
    #[default]
    Medium,
    /// When there is time.
    Low,
}

/// The effort level of the *action* (not of the customer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TouchLevel {
    /// One-to-one: on-site work, weekly meetings.
    HighTouch,
    /// One-to-many: hands-on training, periodic meetings.
    LowTouch,
    /// One-to-very-many: emails, documents, in-product guides.
    TechTouch,
}

/// When a rule whose condition holds fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// Whenever the condition holds (and no CTA of the rule is open).
    #[default]
    Level,
    /// Only on entering the condition: not when it also held at the previous
    /// evaluation.
    Edge,
}

/// At most `times` CTAs of a rule per `per_days` days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// How many.
    pub times: u32,
    /// In how many days (counting CTAs opened within the last `per_days`
    /// days before the as-of date, inclusive).
    pub per_days: u32,
}

/// A rule as written in configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Unique id; with the account and kind, the identity of its CTAs.
    pub id: String,
    /// Title of the CTA.
    pub title: String,
    /// Kind of CTA.
    pub kind: CtaKind,
    /// Priority (default medium).
    #[serde(default)]
    pub priority: Priority,
    /// Effort level of the action.
    pub touch: TouchLevel,
    /// Who acts, e.g. `csm` or `sales`.
    pub owner: String,
    /// Due date: the as-of date plus this many days (default 0).
    #[serde(default)]
    pub due_in_days: u32,
    /// Playbook to follow, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook: Option<String>,
    /// The condition.
    pub when: Condition,
    /// Level (default) or edge trigger.
    #[serde(default)]
    pub trigger: Trigger,
    /// Days the rule stays quiet after its CTA was closed (default 0).
    #[serde(default)]
    pub cooldown_days: u32,
    /// A cap on firings per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Cap>,
    /// Propose closing an open CTA when the condition no longer holds
    /// (default true).
    #[serde(default = "yes")]
    pub close_when_clear: bool,
}

fn yes() -> bool {
    true
}

/// A rule set as written in configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetConfig {
    /// Names of account dates the rules may use (e.g. `renewal`).
    #[serde(default)]
    pub dates: Vec<String>,
    /// Names of events the rules may use (e.g. `champion_lost`).
    #[serde(default)]
    pub events: Vec<String>,
    /// The rules; order breaks ties of priority.
    pub rules: Vec<RuleConfig>,
}

/// A call to action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cta {
    /// The account.
    pub account: String,
    /// Its kind.
    pub kind: CtaKind,
    /// The rule that produced it.
    pub rule: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Effort level of the action.
    pub touch: TouchLevel,
    /// Who acts.
    pub owner: String,
    /// When it is due.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub due: NaiveDate,
    /// Playbook to follow.
    pub playbook: Option<String>,
    /// Why it fired, with the values seen.
    pub reason: String,
}

impl Cta {
    /// The record to keep for this CTA once opened on `opened_on` (usually
    /// the as-of date of the evaluation that proposed it), to pass back to
    /// later evaluations so they update it instead of opening another.
    ///
    /// # Examples
    ///
    /// ```
    /// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// use chrono::NaiveDate;
    /// use healthscore::cta::{CtaStatus, RuleSet, RuleSetConfig};
    /// use healthscore::{AccountData, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let rules: RuleSetConfig = serde_json::from_str(r#"{"rules": [{
    ///     "id": "red", "title": "At risk: call", "kind": "risk",
    ///     "touch": "high-touch", "owner": "csm", "when": {"band": ["red"]}
    /// }]}"#)?;
    /// let rules = RuleSet::new(rules, &model)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let account = model.bind(AccountData::new("acme", dec!(500), 10, day)
    ///     .observe(Observation::new("weekly_active", 0.1, day)))?;
    /// let first = rules.evaluate(&account.score(), &[], &[])?;
    /// let records: Vec<_> = first.opened().map(|c| c.record(day)).collect();
    /// assert_eq!(records[0].status, CtaStatus::Open);
    ///
    /// let second = rules.evaluate(&account.score(), &records, &first.held)?;
    /// assert_eq!(second.opened().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&self, opened_on: NaiveDate) -> CtaRecord {
        CtaRecord {
            rule: self.rule.clone(),
            kind: self.kind,
            opened_on,
            status: CtaStatus::Open,
        }
    }
}

/// The most rules one rule set may hold.
pub const MAX_RULES: usize = 100_000;

/// The most days a rule's due date, cooldown or cap period may span (100
/// years): longer is surely a mistake, and bounded days keep date
/// arithmetic exact.
pub const MAX_DAYS: u32 = 36_500;

/// A compiled rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) config: RuleConfig,
    pub(crate) cond: Cond,
}

/// Each rule's id with its condition trace (see [`RuleSet::trace`]).
pub type RuleTraces = Vec<(String, Vec<TraceLine>)>;

/// A validated, compiled set of CTA rules for one model.
///
/// # Examples
///
/// ```
/// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// use chrono::NaiveDate;
/// use healthscore::cta::{Action, RuleSet, RuleSetConfig};
/// use healthscore::{AccountData, Observation};
/// use rust_decimal_macros::dec;
///
/// let rules: RuleSetConfig = serde_json::from_str(r#"{"rules": [{
///     "id": "red", "title": "At risk: call", "kind": "risk", "priority": "high",
///     "touch": "high-touch", "owner": "csm", "due_in_days": 7, "when": {"band": ["red"]}
/// }]}"#)?;
/// let rules = RuleSet::new(rules, &model)?;
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let account = model.bind(AccountData::new("acme", dec!(500), 10, day)
///     .observe(Observation::new("weekly_active", 0.1, day)))?;
/// let eval = rules.evaluate(&account.score(), &[], &[])?;
/// let Action::Open(cta) = &eval.actions[0] else { panic!() };
/// assert_eq!(cta.reason, "band red");
/// assert_eq!(cta.due, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    /// The model it was compiled against; it evaluates only its scores.
    pub(crate) model: Fingerprint,
    pub(crate) rules: Box<[Rule]>,
    /// Every rule's condition as steps.
    pub(crate) program: Program,
    /// The dates and events its rules may read.
    pub(crate) reads: super::names::Reads,
    /// [`content_hash`](Self::content_hash).
    pub(crate) hash: u64,
}

impl RuleSet {
    /// Validates and compiles rules against a model.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] listing every problem with its path, e.g.
    /// `rules[2].when[0]: unknown metric "weekly_activ"`: an empty rule set,
    /// duplicate ids, unknown metrics, stages, events or dates, and
    /// comparisons that can never be decided.
    pub fn new(config: RuleSetConfig, model: &Model) -> Result<RuleSet, ConfigError> {
        RuleSet::compile(config, model, None)
    }

    /// Like [`new`](Self::new), and the rules may also refer to the
    /// lifecycle's verdicts (`{"lifecycle": "overdue"}`, see
    /// [`Verdict`](crate::lifecycle::Verdict)).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), and a problem at `lifecycle` when the
    /// lifecycle was compiled against another model than `model`.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::cta::{RuleSet, RuleSetConfig};
    /// use healthscore::lifecycle::{Lifecycle, LifecycleConfig};
    /// use healthscore::{Model, ModelConfig};
    ///
    /// let mut config: ModelConfig = serde_json::from_str(healthscore::model::EXAMPLE_JSON)?;
    /// config.segments.stages = vec!["onboarding".into(), "adoption".into()];
    /// let model = Model::new(config)?;
    /// let lifecycle: LifecycleConfig = serde_json::from_str(r#"{"stages": [
    ///   {"id": "onboarding", "max_days": 60, "exit": [{"id": "lime", "when": {"band": ["green", "lime"]}}]},
    ///   {"id": "adoption"}
    /// ]}"#)?;
    /// let lifecycle = Lifecycle::new(lifecycle, &model)?;
    /// let rules: RuleSetConfig = serde_json::from_str(r#"{"rules": [
    ///   {"id": "exit-review", "title": "Onboarding exit review", "kind": "lifecycle",
    ///    "touch": "low-touch", "owner": "csm", "when": {"lifecycle": "ready_to_advance"}},
    ///   {"id": "overdue", "title": "Stuck in stage", "kind": "risk",
    ///    "touch": "high-touch", "owner": "csm", "when": {"lifecycle": "overdue"}}
    /// ]}"#)?;
    /// assert!(RuleSet::new(rules.clone(), &model).is_err()); // verdicts need the lifecycle
    /// let rules = RuleSet::with_lifecycle(rules, &model, &lifecycle)?;
    /// assert_eq!(rules.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_lifecycle(
        config: RuleSetConfig,
        model: &Model,
        lifecycle: &Lifecycle,
    ) -> Result<RuleSet, ConfigError> {
        if let Err(e) = ModelMismatch::check(model.fingerprint(), lifecycle.model()) {
            let mut p = Problems::default();
            p.push("lifecycle", ProblemKind::Impossible(e.to_string()));
            return Err(p.into_error());
        }
        RuleSet::compile(config, model, Some(&std::sync::Arc::new(lifecycle.clone())))
    }

    fn compile(
        config: RuleSetConfig,
        model: &Model,
        lifecycle: Option<&std::sync::Arc<Lifecycle>>,
    ) -> Result<RuleSet, ConfigError> {
        let mut p = Problems::default();
        if config.rules.is_empty() {
            p.push("rules", ProblemKind::Empty);
        } else if config.rules.len() > MAX_RULES {
            p.push(
                "rules",
                ProblemKind::TooMany {
                    count: config.rules.len(),
                    max: MAX_RULES,
                },
            );
            return Err(p.into_error());
        }
        let names = Names {
            dates: &config.dates,
            events: &config.events,
            lifecycle,
        };
        let mut compiled = Vec::with_capacity(config.rules.len());
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in config.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            p.unique_id(format!("{path}.id"), &r.id, &mut seen);
            let mut days = |field: &str, n: u32| {
                if n > MAX_DAYS {
                    p.push(
                        format!("{path}.{field}"),
                        ProblemKind::TooManyDays {
                            days: n,
                            max: MAX_DAYS,
                        },
                    );
                }
            };
            days("due_in_days", r.due_in_days);
            days("cooldown_days", r.cooldown_days);
            if let Some(cap) = r.cap {
                days("cap.per_days", cap.per_days);
            }
            if let Some(cap) = r.cap.filter(|c| c.times == 0 || c.per_days == 0) {
                p.push(
                    format!("{path}.cap"),
                    ProblemKind::Impossible(format!(
                        "a cap of {} per {} days never lets the rule fire",
                        cap.times, cap.per_days
                    )),
                );
            }
            if let Some(cond) =
                Cond::compile(&r.when, model, &names, &format!("{path}.when"), &mut p)
            {
                compiled.push((r.clone(), cond));
            }
        }
        if !p.is_empty() {
            return Err(p.into_error());
        }
        let mut program = Program::default();
        let mut rules = Vec::with_capacity(compiled.len());
        for (config, cond) in compiled {
            program.add(&cond);
            rules.push(Rule { config, cond });
        }
        // Hashed once compiled: no condition is nested past `MAX_DEPTH`.
        let hash = crate::model::Fnv::of(&(
            &config,
            model.fingerprint().hash,
            lifecycle.map(|l| (&l.config, l.model.hash)),
        ));
        let lifecycle_date = lifecycle.map(|l| l.config.entered_date.clone());
        Ok(RuleSet {
            hash,
            model: model.fingerprint().clone(),
            rules: rules.into_boxed_slice(),
            program,
            reads: super::names::Reads {
                dates: config.dates.into_iter().chain(lifecycle_date).collect(),
                events: config.events.into_boxed_slice(),
            },
        })
    }

    /// The fingerprint of the model the rules were compiled against: they
    /// evaluate only scores of that model.
    pub fn model(&self) -> &Fingerprint {
        &self.model
    }

    /// A 64-bit hash of what the rules were compiled from: every rule as
    /// configured (in order), the dates and events they may read, the
    /// lifecycle whose verdicts they read (if any), and the fingerprint of
    /// the model they were compiled against.
    ///
    /// As a [`Fingerprint`]'s hash, it is FNV-1a over a fixed encoding:
    /// the same on every machine and in every run of the same release of
    /// this crate, so that two processes can tell whether they hold the
    /// same rules (`healthscore-datafusion` puts it in the plans it makes).
    /// Rule sets that compare equal have equal hashes; a rule added,
    /// removed, reordered or changed (a threshold, a due date, a title)
    /// changes it. Constants are hashed as numbers: `30` and `30.0` are
    /// the same threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::cta::{RuleSet, RuleSetConfig};
    /// use healthscore::Model;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let rule = |threshold: &str| -> Result<RuleSet, Box<dyn std::error::Error>> {
    ///     let config: RuleSetConfig = serde_json::from_str(&format!(r#"{{"rules": [
    ///       {{"id": "low", "title": "Low score", "kind": "risk", "touch": "high-touch",
    ///         "owner": "csm", "when": {{"compare": {{"left": "overall", "op": "<", "right": {threshold}}}}}}}
    ///     ]}}"#))?;
    ///     Ok(RuleSet::new(config, &model)?)
    /// };
    /// assert_eq!(rule("40")?.content_hash(), rule("40.00")?.content_hash());
    /// assert_ne!(rule("40")?.content_hash(), rule("41")?.content_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content_hash(&self) -> u64 {
        self.hash
    }

    /// `Ok` when `score` comes from the model the rules were compiled
    /// against.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] naming both models.
    pub fn check_model(&self, score: &Score<'_>) -> Result<(), ModelMismatch> {
        ModelMismatch::check(&self.model, score.model().fingerprint())
    }

    /// The rules' ids, in order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.config.id.as_str())
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules (never true of a compiled set).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule's condition tree evaluated against a score, with the
    /// values seen: for explanation and debugging.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when the score comes from another model.
    pub fn trace(&self, score: &Score<'_>) -> Result<RuleTraces, ModelMismatch> {
        self.check_model(score)?;
        Ok(self
            .rules
            .iter()
            .map(|r| {
                let mut lines = Vec::new();
                r.cond.trace(score, 0, &mut lines);
                (r.config.id.clone(), lines)
            })
            .collect())
    }
}

/// Why a rule's condition holds, from its trace: the leaves that held (and
/// `not …` for negations that held), joined with "and".
pub(crate) fn reason(cond: &Cond, score: &Score<'_>) -> String {
    let mut lines = Vec::new();
    cond.trace(score, 0, &mut lines);
    let mut parts = Vec::new();
    let mut skip_below: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(d) = skip_below {
            if line.depth > d {
                continue;
            }
            skip_below = None;
        }
        if line.text == "not" && line.holds {
            let inner = lines.get(i + 1).map_or("", |l| l.text.as_str());
            parts.push(format!("not ({inner})"));
            skip_below = Some(line.depth);
        } else if line.leaf && line.holds {
            parts.push(line.text.clone());
        }
    }
    join_capped(&parts, " and ")
}

/// The longest reason a CTA carries, in bytes: a rule of a million leaves
/// must not make a 19 MB reason. Longer reasons end with how many parts were
/// left out.
pub const MAX_REASON_LEN: usize = 1_000;

/// `parts` joined by `sep`, stopping before [`MAX_REASON_LEN`] with
/// "… and N more".
pub(crate) fn join_capped(parts: &[String], sep: &str) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let extra = if i == 0 { 0 } else { sep.len() };
        if out.len() + extra + part.len() > MAX_REASON_LEN {
            out.push_str(&format!("{sep}… {} more", parts.len() - i));
            break;
        }
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(part);
    }
    out
}
