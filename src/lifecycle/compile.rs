//! A lifecycle compiled against a model: validated once, then judged fast.

use super::{LifecycleConfig, PerSize, Verdict};
use crate::band::Band;
use crate::cta::compiled::{stage_position, Cond, Names};
use crate::error::{ConfigError, ProblemKind, Problems};
use crate::model::{Fingerprint, Model, ModelMismatch};
use crate::score::Score;
use chrono::Datelike;

/// The most exit criteria one stage may have.
pub const MAX_CRITERIA: usize = 1_000;

/// A compiled exit criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Criterion {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) cond: Cond,
}

/// A compiled stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stage {
    pub(crate) id: String,
    pub(crate) goal: String,
    pub(crate) criteria: Box<[Criterion]>,
    /// Maximum days per size tier position.
    pub(crate) max_days: Box<[Option<u32>]>,
}

/// A validated lifecycle for one model.
///
/// See the [module documentation](super) for what it judges, and an
/// example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    pub(crate) model: Fingerprint,
    pub(crate) config: LifecycleConfig,
    pub(crate) stages: Box<[Stage]>,
    /// Lifecycle position of each stage the model declares.
    pub(crate) position_of_model_stage: Box<[usize]>,
    /// The onboarding stage's position and target band per size tier.
    pub(crate) onboarding: Option<(usize, Box<[Band]>)>,
    /// Pyramid levels: name, stage mask (lifecycle positions), band mask
    /// (bit 4: insufficient data).
    pub(crate) pyramid: Box<[(String, u64, u8)]>,
}

impl Lifecycle {
    /// Validates and compiles a lifecycle against a model.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] listing every problem with its path, e.g.
    /// `stages[0].exit[1].when: unknown metric "weekly_activ"`: a model
    /// without stages, a declared stage missing from the lifecycle or one it
    /// does not declare, stages without exit criteria before the last,
    /// duplicate ids, size tiers missing from or unknown to a per-size
    /// value, pyramid levels that can never match.
    pub fn new(config: LifecycleConfig, model: &Model) -> Result<Lifecycle, ConfigError> {
        let mut p = Problems::default();
        let declared = &model.segmentation.stages;
        let sizes: Vec<&str> = model
            .segmentation
            .size
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        if declared.is_empty() {
            p.push(
                "stages",
                ProblemKind::Impossible("the model declares no stages (segments.stages)".into()),
            );
            return Err(p.into_error());
        }
        if config.stages.is_empty() {
            p.push("stages", ProblemKind::Empty);
        }
        let names = Names {
            dates: &config.dates,
            events: &config.events,
            lifecycle: None,
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut stages = Vec::with_capacity(config.stages.len());
        let last = config.stages.len().saturating_sub(1);
        for (i, s) in config.stages.iter().enumerate() {
            let path = format!("stages[{i}]");
            if !declared.contains(&s.id) {
                p.push(
                    format!("{path}.id"),
                    ProblemKind::UnknownStage(s.id.clone()),
                );
            } else if !seen.insert(s.id.as_str()) {
                p.push(format!("{path}.id"), ProblemKind::DuplicateId(s.id.clone()));
            }
            if s.exit.is_empty() && i != last {
                p.push(
                    format!("{path}.exit"),
                    ProblemKind::Impossible(
                        "only the last stage may have no exit criteria (nothing could say an account is ready to move on)".into(),
                    ),
                );
            } else if s.exit.len() > MAX_CRITERIA {
                p.push(
                    format!("{path}.exit"),
                    ProblemKind::TooMany {
                        count: s.exit.len(),
                        max: MAX_CRITERIA,
                    },
                );
                continue;
            }
            let mut ids = std::collections::BTreeSet::new();
            let mut criteria = Vec::with_capacity(s.exit.len());
            for (j, c) in s.exit.iter().enumerate() {
                let cpath = format!("{path}.exit[{j}]");
                p.unique_id(format!("{cpath}.id"), &c.id, &mut ids);
                if let Some(cond) =
                    Cond::compile(&c.when, model, &names, &format!("{cpath}.when"), &mut p)
                {
                    criteria.push(super::compile::Criterion {
                        id: c.id.clone(),
                        label: c.label.clone().unwrap_or_else(|| c.id.clone()),
                        cond,
                    });
                }
            }
            let max_days = match &s.max_days {
                None => vec![None; sizes.len()],
                Some(m) => per_size(m, &sizes, &format!("{path}.max_days"), &mut p)
                    .into_iter()
                    .map(Some)
                    .collect(),
            };
            stages.push(Stage {
                id: s.id.clone(),
                goal: s.goal.clone(),
                criteria: criteria.into_boxed_slice(),
                max_days: max_days.into_boxed_slice(),
            });
        }
        for d in declared
            .iter()
            .filter(|d| !config.stages.iter().any(|s| &s.id == *d))
        {
            p.push(
                "stages",
                ProblemKind::Impossible(format!(
                    "stage {d:?} is declared by the model but not in the lifecycle"
                )),
            );
        }
        let position = |id: &str| config.stages.iter().position(|s| s.id == id);
        let onboarding = config.onboarding.as_ref().and_then(|o| {
            let at = position(&o.stage);
            if at.is_none() {
                p.push(
                    "onboarding.stage",
                    ProblemKind::UnknownStage(o.stage.clone()),
                );
            }
            let bands = per_size(&o.target_band, &sizes, "onboarding.target_band", &mut p);
            Some((at?, bands.into_boxed_slice()))
        });
        let mut pyramid = Vec::with_capacity(config.pyramid.len());
        let mut levels = std::collections::BTreeSet::new();
        for (i, level) in config.pyramid.iter().enumerate() {
            let path = format!("pyramid[{i}]");
            p.unique_id(format!("{path}.level"), &level.level, &mut levels);
            let mut stage_mask = if level.stages.is_empty() { u64::MAX } else { 0 };
            for s in &level.stages {
                match position(s) {
                    Some(at) => stage_mask |= 1u64 << at.min(63),
                    None => p.push(
                        format!("{path}.stages"),
                        ProblemKind::UnknownStage(s.clone()),
                    ),
                }
            }
            let band_mask = if level.bands.is_empty() {
                0b1_1111
            } else {
                level.bands.iter().fold(0u8, |m, b| m | 1 << b.index())
            };
            if pyramid
                .iter()
                .any(|(_, s, b): &(String, u64, u8)| *s == u64::MAX && *b == 0b1_1111)
            {
                p.push(
                    path.clone(),
                    ProblemKind::Impossible("an earlier level takes every account".into()),
                );
            }
            pyramid.push((level.level.clone(), stage_mask, band_mask));
        }
        if !p.is_empty() {
            return Err(p.into_error());
        }
        let position_of_model_stage = declared.iter().map(|d| position(d).unwrap_or(0)).collect();
        Ok(Lifecycle {
            model: model.fingerprint().clone(),
            config,
            stages: stages.into_boxed_slice(),
            position_of_model_stage,
            onboarding,
            pyramid: pyramid.into_boxed_slice(),
        })
    }

    /// The configuration it was compiled from.
    pub fn config(&self) -> &LifecycleConfig {
        &self.config
    }

    /// The fingerprint of the model it was compiled against.
    pub fn model(&self) -> &Fingerprint {
        &self.model
    }

    /// The stage ids, in order.
    pub fn stage_ids(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.id.as_str())
    }

    /// `Ok` when `score` comes from the model the lifecycle was compiled
    /// against.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] naming both models.
    pub fn check_model(&self, score: &Score<'_>) -> Result<(), ModelMismatch> {
        ModelMismatch::check(&self.model, score.model().fingerprint())
    }

    /// The account's lifecycle position, if it has a stage.
    pub(crate) fn position(&self, s: &Score<'_>) -> Option<usize> {
        stage_position(s).and_then(|i| self.position_of_model_stage.get(i).copied())
    }

    /// Days since the account entered its stage; `None` without the date or
    /// when it lies after the as-of date.
    pub(crate) fn days_in_stage(&self, s: &Score<'_>) -> Option<i64> {
        let data = s.account().data();
        let entered = data.dates.get(&self.config.entered_date)?;
        let days = i64::from(data.as_of.num_days_from_ce()) - i64::from(entered.num_days_from_ce());
        (days >= 0).then_some(days)
    }

    /// Longer in stage `at` than its maximum for the account's size tier
    /// (a value exactly at the maximum is not overdue).
    pub(crate) fn overdue(&self, s: &Score<'_>, at: usize) -> bool {
        matches!(
            (self.days_in_stage(s), self.max_days(s, at)),
            (Some(d), Some(m)) if d > i64::from(m)
        )
    }

    /// The stage's maximum days for the account's size tier.
    pub(crate) fn max_days(&self, s: &Score<'_>, stage: usize) -> Option<u32> {
        let (_, size, _) = s.model().segmentation.parts(s.account().segment);
        self.stages
            .get(stage)?
            .max_days
            .get(size)
            .copied()
            .flatten()
    }

    /// The onboarding target band for the account's size tier, when it is in
    /// the onboarding stage.
    pub(crate) fn onboarding_target(&self, s: &Score<'_>, stage: usize) -> Option<Band> {
        let (at, bands) = self.onboarding.as_ref()?;
        let (_, size, _) = s.model().segmentation.parts(s.account().segment);
        (*at == stage).then(|| bands.get(size).copied()).flatten()
    }

    /// Whether a verdict holds for a score, without building a journey (the
    /// CTA path). The score must come from this lifecycle's model.
    pub(crate) fn holds(&self, verdict: Verdict, s: &Score<'_>) -> bool {
        let Some(at) = self.position(s) else {
            return false;
        };
        let overdue = || self.overdue(s, at);
        match verdict {
            Verdict::ReadyToAdvance => self.stages.get(at).is_some_and(|st| {
                !st.criteria.is_empty() && st.criteria.iter().all(|c| c.cond.holds(s))
            }),
            Verdict::Overdue => overdue(),
            Verdict::Regressed => self
                .stages
                .iter()
                .take(at)
                .any(|st| st.criteria.iter().any(|c| c.cond.decide(s) == Some(false))),
            Verdict::OnboardingSucceeded | Verdict::OnboardingFailed => {
                let Some(target) = self.onboarding_target(s, at) else {
                    return false;
                };
                let reached = s.band().is_some_and(|b| b.index() <= target.index());
                match verdict {
                    Verdict::OnboardingSucceeded => reached,
                    _ => !reached && overdue(),
                }
            }
        }
    }
}

/// One value per size tier position from a per-size setting.
fn per_size<T: Clone>(v: &PerSize<T>, sizes: &[&str], path: &str, p: &mut Problems) -> Vec<T> {
    match v {
        PerSize::All(x) => vec![x.clone(); sizes.len()],
        PerSize::BySize(map) => {
            for k in map.keys().filter(|k| !sizes.contains(&k.as_str())) {
                p.push(path, ProblemKind::UnknownTier(k.clone()));
            }
            let missing: Vec<&str> = sizes
                .iter()
                .copied()
                .filter(|s| !map.contains_key(*s))
                .collect();
            if !missing.is_empty() {
                p.push(
                    path,
                    ProblemKind::Impossible(format!(
                        "no value for size tier{} {} (give every size tier, or one number for all)",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    )),
                );
            }
            sizes.iter().filter_map(|s| map.get(*s).cloned()).collect()
        }
    }
}
