//! The portfolio by stage × verdict and by pyramid level.

use super::journey::{Journey, OnboardingVerdict};
use super::{Lifecycle, Verdict};
use crate::portfolio::Tally;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One stage's row: its accounts, and how many of them hold each verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRow {
    /// The stage.
    pub stage: String,
    /// Accounts in it, with their MRR.
    pub accounts: Tally,
    /// Per verdict (in [`Verdict::ALL`] order), the accounts holding it.
    pub verdicts: [Tally; 5],
    /// Accounts in onboarding still below target with time left.
    pub onboarding_in_progress: Tally,
}

impl StageRow {
    /// The accounts holding a verdict.
    pub fn verdict(&self, v: Verdict) -> Tally {
        Verdict::ALL
            .iter()
            .position(|x| *x == v)
            .and_then(|i| self.verdicts.get(i))
            .copied()
            .unwrap_or_default()
    }
}

/// Accounts per stage × verdict, and per pyramid level.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::lifecycle::{JourneySummary, Lifecycle, Verdict};
/// use healthscore::{AccountData, Model, ModelConfig, Observation};
/// use rust_decimal_macros::dec;
///
/// let mut config: ModelConfig = serde_json::from_str(healthscore::model::EXAMPLE_JSON)?;
/// config.segments.stages = vec!["onboarding".into(), "adoption".into()];
/// let model = Model::new(config)?;
/// let lifecycle = Lifecycle::new(serde_json::from_str(r#"{"stages": [
///   {"id": "onboarding", "exit": [{"id": "banded", "when": {"band": ["green", "lime"]}}]},
///   {"id": "adoption"}
/// ], "pyramid": [{"level": "ACTIVE", "bands": ["green", "lime"]}, {"level": "ENTRY"}]}"#)?, &model)?;
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let mut summary = JourneySummary::new(&lifecycle);
/// for (id, wau) in [("a", 0.7), ("b", 0.2), ("c", 0.75)] {
///     let data = AccountData::new(id, dec!(100), 10, day).stage("onboarding")
///         .observe(Observation::new("weekly_active", wau, day));
///     summary.add(&lifecycle.evaluate(&model.bind(data)?.score())?);
/// }
/// let onboarding = &summary.stages[0];
/// assert_eq!(onboarding.accounts.count, 3);
/// assert_eq!(onboarding.verdict(Verdict::ReadyToAdvance).count, 2);
/// assert_eq!(summary.pyramid[0].1.count, 2); // ACTIVE
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneySummary {
    /// One row per stage, in lifecycle order.
    pub stages: Vec<StageRow>,
    /// Accounts without a stage.
    pub no_stage: Tally,
    /// Accounts per pyramid level, in level order.
    pub pyramid: Vec<(String, Tally)>,
    /// Accounts no pyramid level takes (none without a pyramid).
    pub unmapped: Tally,
}

impl JourneySummary {
    /// An empty summary with a row per stage and pyramid level.
    pub fn new(lifecycle: &Lifecycle) -> Self {
        JourneySummary {
            stages: lifecycle
                .stage_ids()
                .map(|s| StageRow {
                    stage: s.to_string(),
                    ..StageRow::default()
                })
                .collect(),
            no_stage: Tally::default(),
            pyramid: lifecycle
                .pyramid
                .iter()
                .map(|(name, _, _)| (name.clone(), Tally::default()))
                .collect(),
            unmapped: Tally::default(),
        }
    }

    /// Counts a journey (of the lifecycle the summary was made for; a
    /// stage or level it does not know counts as no stage / unmapped).
    pub fn add(&mut self, j: &Journey) {
        let mrr = j.mrr;
        match j
            .stage
            .as_ref()
            .and_then(|s| self.stages.iter_mut().find(|r| &r.stage == s))
        {
            Some(row) => {
                row.accounts.add(mrr);
                for (i, v) in Verdict::ALL.iter().enumerate() {
                    if j.has(*v) {
                        if let Some(t) = row.verdicts.get_mut(i) {
                            t.add(mrr);
                        }
                    }
                }
                if j.onboarding.map(|o| o.verdict) == Some(OnboardingVerdict::InProgress) {
                    row.onboarding_in_progress.add(mrr);
                }
            }
            None => self.no_stage.add(mrr),
        }
        match j
            .pyramid
            .as_ref()
            .and_then(|l| self.pyramid.iter_mut().find(|(n, _)| n == l))
        {
            Some((_, t)) => t.add(mrr),
            None => self.unmapped.add(mrr),
        }
    }

    /// Adds another summary of the same lifecycle (a parallel reduce's
    /// combine step); rows are matched by name.
    pub fn merge(&mut self, other: &JourneySummary) {
        for theirs in &other.stages {
            if let Some(mine) = self.stages.iter_mut().find(|r| r.stage == theirs.stage) {
                mine.accounts.merge(&theirs.accounts);
                for (a, b) in mine.verdicts.iter_mut().zip(&theirs.verdicts) {
                    a.merge(b);
                }
                mine.onboarding_in_progress
                    .merge(&theirs.onboarding_in_progress);
            }
        }
        self.no_stage.merge(&other.no_stage);
        for (name, theirs) in &other.pyramid {
            if let Some((_, mine)) = self.pyramid.iter_mut().find(|(n, _)| n == name) {
                mine.merge(theirs);
            }
        }
        self.unmapped.merge(&other.unmapped);
    }
}

impl fmt::Display for JourneySummary {
    /// The stage × verdict table (accounts), then the pyramid.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .stages
            .iter()
            .map(|r| r.stage.len())
            .max()
            .unwrap_or(5)
            .max(8);
        write!(f, "{:<width$} {:>8} {:>14}", "stage", "accounts", "MRR")?;
        for v in Verdict::ALL {
            write!(f, " {:>9}", short(v))?;
        }
        for r in &self.stages {
            write!(
                f,
                "\n{:<width$} {:>8} {:>14}",
                r.stage,
                r.accounts.count,
                money(r.accounts.mrr)
            )?;
            for t in &r.verdicts {
                write!(f, " {:>9}", t.count)?;
            }
        }
        if self.no_stage.count > 0 {
            write!(
                f,
                "\n{:<width$} {:>8} {:>14}",
                "(none)",
                self.no_stage.count,
                money(self.no_stage.mrr)
            )?;
        }
        if !self.pyramid.is_empty() {
            f.write_str("\npyramid:")?;
            for (name, t) in &self.pyramid {
                write!(f, " {name} {} ({})", t.count, money(t.mrr))?;
            }
            if self.unmapped.count > 0 {
                write!(f, "; unmapped {}", self.unmapped.count)?;
            }
        }
        Ok(())
    }
}

fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::ReadyToAdvance => "ready",
        Verdict::Overdue => "overdue",
        Verdict::Regressed => "regressed",
        Verdict::OnboardingSucceeded => "onb. ok",
        Verdict::OnboardingFailed => "onb. fail",
    }
}

/// Whole currency units with thousands separators.
fn money(d: Decimal) -> String {
    let whole = d.round().abs().to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if d.is_sign_negative() && !d.round().is_zero() {
        out.insert(0, '-');
    }
    out
}
