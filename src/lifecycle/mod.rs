//! Lifecycle stages with goals and exit criteria: where each account stands
//! in its journey, and whether it is ready to move on, overdue or slipping
//! back.
//!
//! Teams define stages in order (two, onboarding and adoption, up to a
//! dozen or more), each with a goal, **exit criteria** (what must be true
//! to move on, written in the same [`Condition`] language as CTA rules, so
//! they read scores, bands, metric values, events and dates) and a maximum
//! time in stage that may differ by size tier. A [`LifecycleConfig`]
//! compiles once against a [`Model`](crate::Model) into a [`Lifecycle`]
//! (every problem reported with its path), which judges scored accounts:
//!
//! * **checklist**: each exit criterion of the account's stage, met or not,
//!   with the values that decided it;
//! * **ready to advance**: every exit criterion of its stage is met (a stage
//!   without exit criteria, allowed only for the last, never is);
//! * **overdue**: days since it entered its stage (the account's date named
//!   by `entered_date`, default `stage_entered`) exceed the stage's maximum
//!   for its size tier; without that date, or with an entry date after the
//!   as-of date, it is never overdue and the journey says the time is
//!   unknown;
//! * **regressed**: the data shows that an exit criterion of an *earlier*
//!   stage no longer holds (the account moved on, and something it had
//!   achieved is gone). A criterion that cannot be decided because a value
//!   is missing (three-valued logic: a comparison with a missing value is
//!   unknown, and so is `not` of it) is shown as undecided (`[?]`) and is
//!   never a regression: missing data is a data problem, not a customer's
//!   step back;
//! * **onboarding** (when configured): *succeeded* once an account in the
//!   onboarding stage reaches the target band for its size tier, *failed*
//!   when its time in onboarding is past the maximum below that band,
//!   otherwise *in progress*;
//! * **pyramid**: the first level of a configurable mapping from stage and
//!   band (e.g. LOYAL > ACTIVE > ONBOARD > ENTRY) that matches.
//!
//! [`JourneySummary`] counts accounts per stage × verdict and per pyramid
//! level, and CTA rules compiled with
//! [`RuleSet::with_lifecycle`](crate::cta::RuleSet::with_lifecycle) can
//! refer to the verdicts (`{"lifecycle": "ready_to_advance"}`).
//!
//! # Examples
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::lifecycle::{Lifecycle, LifecycleConfig, Verdict};
//! use healthscore::{AccountData, Model, ModelConfig, Observation};
//! use rust_decimal_macros::dec;
//!
//! let mut config: ModelConfig = serde_json::from_str(healthscore::model::EXAMPLE_JSON)?;
//! config.segments.stages = vec!["onboarding".into(), "adoption".into()];
//! let model = Model::new(config)?;
//! let lifecycle = Lifecycle::new(serde_json::from_str(r#"{
//!   "stages": [
//!     {"id": "onboarding", "goal": "first value", "max_days": 60,
//!      "exit": [{"id": "active", "label": "half the seats active weekly",
//!                "when": {"compare": {"left": {"metric_value": "weekly_active"}, "op": ">=", "right": 0.5}}}]},
//!     {"id": "adoption", "goal": "habit"}
//!   ],
//!   "onboarding": {"stage": "onboarding", "target_band": "lime"}
//! }"#)?, &model)?;
//!
//! let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
//! let data = AccountData::new("acme", dec!(500), 10, day)
//!     .stage("onboarding")
//!     .date("stage_entered", NaiveDate::from_ymd_opt(2026, 9, 1).unwrap())
//!     .observe(Observation::new("weekly_active", 0.4, day));
//! let account = model.bind(data)?;
//! let journey = lifecycle.evaluate(&account.score())?;
//! assert_eq!(journey.days_in_stage, Some(80));
//! assert!(!journey.ready && journey.overdue);
//! assert!(journey.has(Verdict::Overdue) && journey.has(Verdict::OnboardingFailed));
//! assert_eq!(journey.checklist[0].because, "weekly active 0.4 >= 0.5 does not hold");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compile;
mod journey;
mod summary;

pub use compile::{Lifecycle, MAX_CRITERIA};
pub use journey::{Check, Journey, OnboardingStatus, OnboardingVerdict, Regression};
pub use summary::{JourneySummary, StageRow};

use crate::band::Band;
use crate::cta::Condition;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A lifecycle as written in configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Names of account dates exit criteria may use (e.g. `kickoff`).
    #[serde(default)]
    pub dates: Vec<String>,
    /// Names of events exit criteria may use (e.g. `training_done`).
    #[serde(default)]
    pub events: Vec<String>,
    /// The account date that says when it entered its current stage
    /// (default `stage_entered`).
    #[serde(default = "stage_entered")]
    pub entered_date: String,
    /// The stages, in order; every stage the model declares, once.
    pub stages: Vec<StageConfig>,
    /// How onboarding success is judged, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<OnboardingConfig>,
    /// The retention-pyramid mapping, first match wins (none by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pyramid: Vec<PyramidLevel>,
}

fn stage_entered() -> String {
    "stage_entered".into()
}

/// One stage of a lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    /// A stage the model declares (`segments.stages`).
    pub id: String,
    /// What the stage is for, in words.
    #[serde(default)]
    pub goal: String,
    /// What must be true to move on; required for every stage but the last.
    #[serde(default)]
    pub exit: Vec<CriterionConfig>,
    /// The longest an account should stay in the stage, in days: one number
    /// for every size tier, or one per size tier id (every tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<PerSize<u32>>,
}

/// One exit criterion.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionConfig {
    /// Unique within its stage.
    pub id: String,
    /// How the checklist names it (default: the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What must hold.
    pub when: Condition,
}

/// One value for every size tier, or one per size tier id: `30` or
/// `{"small": 30, "large": 90}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum PerSize<T> {
    /// The same for every size tier.
    All(T),
    /// Per size tier id; every tier of the model must be given.
    BySize(BTreeMap<String, T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PerSize<T> {
    /// A map is per size tier; anything else is the one value, so a bad
    /// value gets its own type's message (`invalid value: integer -3,
    /// expected u32`, `unknown variant "teal"`) rather than "did not match
    /// any variant".
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{BoolDeserializer, F64Deserializer, I64Deserializer};
        use serde::de::value::{MapAccessDeserializer, StrDeserializer, U64Deserializer};
        use serde::de::{Error, IntoDeserializer, MapAccess, Visitor};
        use std::marker::PhantomData;
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = PerSize<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one value for every size tier, or a map of size tier id to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                BTreeMap::deserialize(MapAccessDeserializer::new(map)).map(PerSize::BySize)
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(U64Deserializer::<E>::new(v)).map(PerSize::All)
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(I64Deserializer::<E>::new(v)).map(PerSize::All)
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(F64Deserializer::<E>::new(v)).map(PerSize::All)
            }
            fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(BoolDeserializer::<E>::new(v)).map(PerSize::All)
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(StrDeserializer::<E>::new(v)).map(PerSize::All)
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(PerSize::All)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// "Onboarding succeeded" means reaching `target_band` (or a healthier
/// one) while in `stage`; the band may differ by size tier.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardingConfig {
    /// The onboarding stage.
    pub stage: String,
    /// The band to reach, for every size tier or per size tier id.
    pub target_band: PerSize<Band>,
}

/// A level of the retention pyramid: accounts in one of `stages` (any when
/// empty) with a band in `bands` (any, including insufficient data, when
/// empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PyramidLevel {
    /// The level's name, e.g. `LOYAL`.
    pub level: String,
    /// Stages it takes.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Bands it takes.
    #[serde(default)]
    pub bands: Vec<Band>,
}

/// A lifecycle verdict, as CTA rules and the summary name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Every exit criterion of the account's stage is met.
    ReadyToAdvance,
    /// Longer in its stage than the stage's maximum for its size tier.
    Overdue,
    /// The data shows an exit criterion of an earlier stage no longer holds.
    Regressed,
    /// In onboarding, and at or above the target band.
    OnboardingSucceeded,
    /// In onboarding past its maximum time, below the target band.
    OnboardingFailed,
}

impl Verdict {
    /// Every verdict, in order.
    pub const ALL: [Verdict; 5] = [
        Verdict::ReadyToAdvance,
        Verdict::Overdue,
        Verdict::Regressed,
        Verdict::OnboardingSucceeded,
        Verdict::OnboardingFailed,
    ];

    /// The name in configuration, e.g. `ready_to_advance`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::ReadyToAdvance => "ready_to_advance",
            Verdict::Overdue => "overdue",
            Verdict::Regressed => "regressed",
            Verdict::OnboardingSucceeded => "onboarding_succeeded",
            Verdict::OnboardingFailed => "onboarding_failed",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name().replace('_', " "))
    }
}
