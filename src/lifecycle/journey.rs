//! One account's journey: checklist, verdicts and pyramid level.

use super::compile::{Criterion, Lifecycle};
use super::Verdict;
use crate::band::Band;
use crate::cta::TraceLine;
use crate::model::ModelMismatch;
use crate::score::Score;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One exit criterion, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The criterion's id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Whether it holds.
    pub met: bool,
    /// Whether the data decided it; `false` when the outcome rests on a
    /// missing value (a metric without a usable value, no band), shown as
    /// `[?]`.
    pub decided: bool,
    /// The values that decided it: the conditions that held when it is
    /// met, the ones that did not when it is not.
    pub because: String,
    /// The whole condition tree with the values seen.
    pub trace: Vec<TraceLine>,
}

/// An exit criterion of an earlier stage that the data shows no longer
/// holds (one that cannot be decided for missing data is not a
/// regression).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regression {
    /// The earlier stage.
    pub stage: String,
    /// The criterion's id.
    pub criterion: String,
    /// Its label.
    pub label: String,
    /// Why it does not hold, with the values seen.
    pub because: String,
}

/// How onboarding is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingVerdict {
    /// At or above the target band.
    Succeeded,
    /// Past the stage's maximum time, below the target band.
    Failed,
    /// Below the target band, with time left (or no maximum).
    InProgress,
}

/// Onboarding, for an account in the onboarding stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingStatus {
    /// The verdict.
    pub verdict: OnboardingVerdict,
    /// The account's band now.
    pub band: Option<Band>,
    /// The band to reach, for its size tier.
    pub target: Band,
}

/// Where an account stands in its lifecycle ([`Lifecycle::evaluate`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    /// The account.
    pub account: String,
    /// Its MRR (for portfolio views).
    pub mrr: Decimal,
    /// Its band.
    pub band: Option<Band>,
    /// Its stage; `None` when it has none (nothing else is judged then).
    pub stage: Option<String>,
    /// The stage's goal.
    pub goal: Option<String>,
    /// The stage after it, if any.
    pub next_stage: Option<String>,
    /// Days since it entered the stage; `None` when unknown.
    pub days_in_stage: Option<i64>,
    /// The stage's maximum for its size tier, if any.
    pub max_days: Option<u32>,
    /// The stage's exit criteria, checked, in order.
    pub checklist: Vec<Check>,
    /// Every exit criterion is met.
    pub ready: bool,
    /// Longer in the stage than its maximum.
    pub overdue: bool,
    /// Criteria of earlier stages that no longer hold.
    pub regressed: Vec<Regression>,
    /// Onboarding, when the account is in the onboarding stage.
    pub onboarding: Option<OnboardingStatus>,
    /// The first pyramid level that takes the account, if any.
    pub pyramid: Option<String>,
}

impl Journey {
    /// Whether a verdict holds.
    pub fn has(&self, verdict: Verdict) -> bool {
        let onboarding = self.onboarding.map(|o| o.verdict);
        match verdict {
            Verdict::ReadyToAdvance => self.ready,
            Verdict::Overdue => self.overdue,
            Verdict::Regressed => !self.regressed.is_empty(),
            Verdict::OnboardingSucceeded => onboarding == Some(OnboardingVerdict::Succeeded),
            Verdict::OnboardingFailed => onboarding == Some(OnboardingVerdict::Failed),
        }
    }

    /// The verdicts that hold, in [`Verdict::ALL`] order.
    pub fn verdicts(&self) -> impl Iterator<Item = Verdict> + '_ {
        Verdict::ALL.into_iter().filter(|v| self.has(*v))
    }
}

/// The leaves of a criterion's trace that decided it, as text.
fn deciding(lines: &[TraceLine], met: bool) -> String {
    let mut parts = Vec::new();
    // Negation parity of each depth's ancestors.
    let mut negated_at: Vec<bool> = Vec::new();
    for line in lines {
        negated_at.truncate(line.depth);
        let negated = negated_at.last().copied().unwrap_or(false);
        if line.leaf {
            // A leaf under an odd number of `not`s counts the other way.
            if (line.holds != negated) == met {
                parts.push(match (negated, line.holds) {
                    (false, true) => line.text.clone(),
                    (false, false) => format!("{} does not hold", line.text),
                    (true, false) => format!("not ({})", line.text),
                    (true, true) => format!("{} (must not hold)", line.text),
                });
            }
        }
        negated_at.push(negated ^ (!line.leaf && line.text == "not"));
    }
    crate::cta::rule::join_capped(&parts, if met { " and " } else { "; " })
}

fn check(c: &Criterion, s: &Score<'_>) -> Check {
    let mut trace = Vec::new();
    let met = c.cond.trace(s, 0, &mut trace);
    Check {
        id: c.id.clone(),
        label: c.label.clone(),
        met,
        decided: c.cond.decide(s).is_some(),
        because: deciding(&trace, met),
        trace,
    }
}

impl Lifecycle {
    /// Judges a scored account: checklist, verdicts, onboarding and pyramid
    /// level.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when the score comes from another model than the
    /// lifecycle's.
    pub fn evaluate(&self, s: &Score<'_>) -> Result<Journey, ModelMismatch> {
        self.check_model(s)?;
        let data = s.account().data();
        let at = self.position(s);
        let stage = at.and_then(|i| self.stages.get(i));
        let checklist: Vec<Check> = stage
            .map(|st| st.criteria.iter().map(|c| check(c, s)).collect())
            .unwrap_or_default();
        let regressed = self
            .stages
            .iter()
            .take(at.unwrap_or(0))
            .flat_map(|st| st.criteria.iter().map(move |c| (st, c)))
            .filter(|(_, c)| c.cond.decide(s) == Some(false))
            .map(|(st, c)| Regression {
                stage: st.id.clone(),
                criterion: c.id.clone(),
                label: c.label.clone(),
                because: check(c, s).because,
            })
            .collect();
        let days_in_stage = at.and(self.days_in_stage(s));
        let max_days = at.and_then(|i| self.max_days(s, i));
        let overdue = at.is_some_and(|i| self.overdue(s, i));
        let onboarding = at.and_then(|i| self.onboarding_target(s, i)).map(|target| {
            let reached = s.band().is_some_and(|b| b.index() <= target.index());
            OnboardingStatus {
                verdict: match (reached, overdue) {
                    (true, _) => OnboardingVerdict::Succeeded,
                    (false, true) => OnboardingVerdict::Failed,
                    (false, false) => OnboardingVerdict::InProgress,
                },
                band: s.band(),
                target,
            }
        });
        Ok(Journey {
            account: data.id.clone(),
            mrr: data.mrr,
            band: s.band(),
            stage: stage.map(|st| st.id.clone()),
            goal: stage.map(|st| st.goal.clone()),
            next_stage: at
                .and_then(|i| self.stages.get(i + 1))
                .map(|st| st.id.clone()),
            days_in_stage,
            max_days,
            ready: !checklist.is_empty() && checklist.iter().all(|c| c.met),
            checklist,
            overdue,
            regressed,
            onboarding,
            pyramid: self.pyramid_level(s, at).map(str::to_string),
        })
    }

    /// How onboarding *ended* for an account that has left it: whether its
    /// band at the end of onboarding (the latest point of `history` on or
    /// before `left_on`, the day it left) reached the target band for its
    /// size tier (taken from `score`, its current score). [`evaluate`]
    /// judges onboarding only while an account is in it; this answers
    /// "did onboarding succeed" afterwards.
    ///
    /// `Ok(None)` when the lifecycle judges no onboarding, or the history
    /// has no point on or before `left_on`. A point without a band (no
    /// data) is a failure: the target was not shown to be reached.
    ///
    /// [`evaluate`]: Lifecycle::evaluate
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when `score` comes from another model.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::history::{History, ScorePoint};
    /// use healthscore::lifecycle::{Lifecycle, OnboardingVerdict};
    /// use healthscore::{AccountData, Band, Model, ModelConfig, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let mut config: ModelConfig = serde_json::from_str(healthscore::model::EXAMPLE_JSON)?;
    /// config.segments.stages = vec!["onboarding".into(), "adoption".into()];
    /// let model = Model::new(config)?;
    /// let lifecycle = Lifecycle::new(serde_json::from_str(r#"{"stages": [
    ///   {"id": "onboarding", "exit": [{"id": "banded", "when": {"band": ["green", "lime"]}}]},
    ///   {"id": "adoption"}
    /// ], "onboarding": {"stage": "onboarding", "target_band": "lime"}}"#)?, &model)?;
    /// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    /// let point = |date, band| ScorePoint {
    ///     date, overall: None, dimensions: [None; 4], band: Some(band), model_version: "1".into(),
    /// };
    /// // Lime on 1 March, the day before it left onboarding; red since.
    /// let history = History::new([point(d(3, 1), Band::Lime), point(d(6, 1), Band::Red)])?;
    /// let data = AccountData::new("acme", dec!(100), 10, d(11, 20)).stage("adoption")
    ///     .observe(Observation::new("weekly_active", 0.1, d(11, 20)));
    /// let account = model.bind(data)?;
    /// let ended = lifecycle.onboarding_outcome(&account.score(), &history, d(3, 2))?.unwrap();
    /// assert_eq!((ended.verdict, ended.band), (OnboardingVerdict::Succeeded, Some(Band::Lime)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn onboarding_outcome(
        &self,
        score: &Score<'_>,
        history: &crate::history::History,
        left_on: chrono::NaiveDate,
    ) -> Result<Option<OnboardingStatus>, ModelMismatch> {
        self.check_model(score)?;
        let Some((stage, _)) = self.onboarding.as_ref() else {
            return Ok(None);
        };
        let (Some(target), Some(point)) =
            (self.onboarding_target(score, *stage), history.at(left_on))
        else {
            return Ok(None);
        };
        let reached = point.band.is_some_and(|b| b.index() <= target.index());
        Ok(Some(OnboardingStatus {
            verdict: if reached {
                OnboardingVerdict::Succeeded
            } else {
                OnboardingVerdict::Failed
            },
            band: point.band,
            target,
        }))
    }

    /// The first pyramid level taking the account.
    fn pyramid_level(&self, s: &Score<'_>, at: Option<usize>) -> Option<&str> {
        let band_bit = 1u8 << s.band().map_or(4, Band::index);
        self.pyramid
            .iter()
            .find(|(_, stages, bands)| {
                let stage_ok = match at {
                    Some(i) => stages >> i.min(63) & 1 == 1,
                    None => *stages == u64::MAX,
                };
                stage_ok && bands & band_bit != 0
            })
            .map(|(name, _, _)| name.as_str())
    }

    /// A verdict in words with the values that decided it, for CTA traces
    /// and reasons.
    pub(crate) fn describe(&self, verdict: Verdict, s: &Score<'_>) -> String {
        let Some(at) = self.position(s) else {
            return format!("{verdict}: no lifecycle stage");
        };
        let stage = self.stages.get(at).map_or("?", |st| st.id.as_str());
        let time = match (self.days_in_stage(s), self.max_days(s, at)) {
            (Some(d), Some(m)) => format!("{d} days in {stage} (max {m})"),
            (Some(d), None) => format!("{d} days in {stage} (no maximum)"),
            (None, _) => format!("time in {stage} unknown"),
        };
        match verdict {
            Verdict::ReadyToAdvance => {
                let (met, all) = self.stages.get(at).map_or((0, 0), |st| {
                    (
                        st.criteria.iter().filter(|c| c.cond.holds(s)).count(),
                        st.criteria.len(),
                    )
                });
                format!("{verdict} from {stage}: {met} of {all} exit criteria met")
            }
            Verdict::Overdue => format!("{verdict}: {time}"),
            Verdict::Regressed => {
                let lost: Vec<String> = self
                    .stages
                    .iter()
                    .take(at)
                    .flat_map(|st| st.criteria.iter().map(move |c| (st, c)))
                    .filter(|(_, c)| c.cond.decide(s) == Some(false))
                    .map(|(st, c)| format!("{} ({})", c.label, st.id))
                    .collect();
                if lost.is_empty() {
                    format!("{verdict}: every earlier exit criterion holds")
                } else {
                    format!(
                        "{verdict}: no longer {}",
                        crate::cta::rule::join_capped(&lost, ", ")
                    )
                }
            }
            Verdict::OnboardingSucceeded | Verdict::OnboardingFailed => {
                match self.onboarding_target(s, at) {
                    Some(target) => format!(
                        "onboarding: band {} (target {target}); {time}",
                        s.band().map_or("none", Band::name)
                    ),
                    None => format!("{verdict}: not in onboarding ({stage})"),
                }
            }
        }
    }
}

impl fmt::Display for Journey {
    /// A checklist a CSM can read, e.g.
    ///
    /// ```text
    /// acme: onboarding, day 80 of 60 (overdue); goal: first value
    ///   [ ] half the seats active weekly: weekly active 0.4 >= 0.5 does not hold
    ///   not ready for adoption; onboarding failed (band yellow, target lime)
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(stage) = &self.stage else {
            return write!(f, "{}: no lifecycle stage", self.account);
        };
        write!(f, "{}: {stage}", self.account)?;
        match (self.days_in_stage, self.max_days) {
            (Some(d), Some(m)) => write!(
                f,
                ", day {d} of {m}{}",
                if self.overdue { " (overdue)" } else { "" }
            )?,
            (Some(d), None) => write!(f, ", day {d}")?,
            (None, _) => f.write_str(", time in stage unknown")?,
        }
        if let Some(goal) = self.goal.as_deref().filter(|g| !g.is_empty()) {
            write!(f, "; goal: {goal}")?;
        }
        for c in &self.checklist {
            write!(
                f,
                "\n  [{}] {}: {}",
                match (c.met, c.decided) {
                    (true, _) => "x",
                    (false, true) => " ",
                    (false, false) => "?",
                },
                c.label,
                c.because
            )?;
        }
        let next = self
            .next_stage
            .as_deref()
            .unwrap_or("the end of the journey");
        match (self.ready, self.checklist.is_empty()) {
            (true, _) => write!(f, "\n  ready for {next}")?,
            (false, true) => f.write_str("\n  no exit criteria")?,
            (false, false) => write!(f, "\n  not ready for {next}")?,
        }
        if let Some(o) = self.onboarding {
            let band = o.band.map_or("no band", Band::name);
            let verdict = match o.verdict {
                OnboardingVerdict::Succeeded => "succeeded",
                OnboardingVerdict::Failed => "failed",
                OnboardingVerdict::InProgress => "in progress",
            };
            write!(
                f,
                "; onboarding {verdict} (band {band}, target {})",
                o.target
            )?;
        }
        for r in &self.regressed {
            write!(f, "\n  regressed: {} ({}): {}", r.label, r.stage, r.because)?;
        }
        if let Some(level) = &self.pyramid {
            write!(f, "\n  pyramid: {level}")?;
        }
        Ok(())
    }
}
