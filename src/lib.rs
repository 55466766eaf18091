//! # healthscore
//!
//! Exact, explainable customer health scores for B2B SaaS customer-success
//! teams.
//!
//! ## Overview
//!
//! A health score answers a CSM's daily question: which accounts are
//! healthy, which are drifting toward churn, which are ready to buy more?
//! This crate computes it from data, in the common **DEAR** frame:
//!
//! * **Metrics** ([`MetricConfig`](model::MetricConfig)) of typed kinds
//!   (ratio, count, money, NPS, CSAT, flag, a CSM's judgement) are
//!   normalised to 0..=100 points by curves ([`CurveConfig`](model::CurveConfig)).
//! * Metrics group into four [`Dimension`]s: Deployment, Engagement,
//!   Adoption, ROI. A dimension scores as the weighted mean of its metrics
//!   (or their worst), the overall score as the weighted mean of dimensions.
//!   Missing data is excluded and its weight shared out, or imputed, as each
//!   metric's [`MissingPolicy`](model::MissingPolicy) says; [`Score::coverage`]
//!   shows how much weight had measured data, and below a scorecard's
//!   minimum an account has *insufficient data* rather than a band.
//! * **No data, no colour.** An account none of whose scorecard metrics has
//!   a measured (observed, fresh, in-range) value has no score and no band,
//!   whatever the missing policies and minimum coverage say: imputed values
//!   shape a score that has some data, but alone they are not a measurement.
//! * **Segments** (MRR tier × size tier, optionally × lifecycle stage)
//!   choose the **scorecard**: weights and [`Band`] thresholds
//!   (green / lime / yellow / red).
//! * Every [`Score`] records its model, version, segment and scorecard and
//!   explains itself ([`Score::explain`]): per-dimension and per-metric
//!   contributions that add up exactly, what is missing, stale or out of
//!   range, what pulls it down. [`Score::record`] gives the same as an owned,
//!   serialisable [`ScoreRecord`] that outlives the account and the model.
//!
//! ## The modules
//!
//! * [`model`]: configuration ([`ModelConfig`]) and the compiled [`Model`],
//!   its [`Fingerprint`](model::Fingerprint), metric handles and loaders.
//! * [`score`]: accounts ([`AccountData`] in, [`Account`] bound), scores,
//!   explanations and records.
//! * [`portfolio`]: accounts and MRR per band and segment, concentration.
//! * [`history`]: an account's dated scores, deltas, trends, transitions.
//! * [`backtest`]: churn and expansion per band against real outcomes,
//!   AUC, distribution and threshold proposals.
//! * [`cta`]: rules that turn scores and signals into calls to action.
//! * [`lifecycle`]: stages with goals and exit criteria; journeys (checklist,
//!   ready to advance, overdue, regressed, onboarding success), the
//!   stage × verdict view and the retention pyramid.
//! * [`hierarchy`]: parent and child accounts rolled up (mean, MRR-weighted,
//!   worst) and counted without double-counting MRR.
//! * [`batch`]: whole portfolios as borrowed columns, validated and scored
//!   in one vectorised pass, exactly as the row API scores them.
//!
//! The everyday types ([`Model`], [`ModelConfig`], [`AccountData`],
//! [`Observation`], [`Score`], [`ScoreRecord`], [`Band`], [`Dimension`],
//! [`Points`], [`Share`], [`PortfolioSummary`]) are also at the root, and
//! [`chrono`] and [`rust_decimal`] are re-exported so that dates and money
//! are named in the versions this crate uses.
//!
//! ## Trust over time
//!
//! * **Stale data**: a value older than its metric's `max_age_days` is
//!   scored as missing and listed with its age, so data that stopped
//!   arriving cannot keep an account green.
//! * **No flapping**: a scorecard's `hysteresis` margin keeps an account in
//!   its previous band until the score passes a threshold by the margin.
//! * **History**: [`History`](history::History) gives deltas over any
//!   window, trends with a dead zone, band transitions and time in band,
//!   flagging model changes.
//! * **Checked against outcomes**: [`Backtest`](backtest::Backtest) reports
//!   churn and expansion per band (churned MRR counted once per account),
//!   the AUC of the score as a churn predictor and whether churn falls as
//!   health rises; [`Distribution`](backtest::Distribution) and
//!   [`propose_thresholds`](backtest::propose_thresholds) help recalibrate
//!   bands, as proposals only (rounded to whole points if you like).
//!
//! ## Things that belong together stay together
//!
//! A compiled [`Model`] has a [`Fingerprint`](model::Fingerprint): name,
//! version and a hash of its compiled content. A [`cta::RuleSet`] evaluates
//! only scores of the model it was compiled against, and a
//! [`PortfolioSummary`] adds only scores of its own model (an equal model
//! compiled separately is the same model); another model's score is a typed
//! [`ModelMismatch`](model::ModelMismatch), never a silently wrong CTA.
//!
//! ## Calls to action
//!
//! [`cta::RuleSet`] turns scores and signals into Risk, Expansion and
//! Lifecycle CTAs. Rules are [`cta::Condition`]s written in Rust or as data
//! (JSON, TOML), composed with `all` / `any` / `not` over scores, bands,
//! band changes, metric values, MRR, segment, stage, days until named dates
//! and recent events. A rule set is validated against the model once (with
//! paths in its errors) and compiled to a flat short-circuit program: a
//! rule whose first condition fails costs one step, and an evaluation in
//! which nothing fires allocates nothing. [`cta::RuleSet::evaluate`] is a
//! pure function of the score and the caller's CTA records: it opens,
//! updates (never duplicates), keeps quiet (snooze, cooldown, cap, edge
//! trigger) or proposes closing CTAs, each with a reason naming the values
//! that decided it.
//!
//! ## Exactness
//!
//! Scores, weights and values are compiled to integers counting millionths.
//! Each score (metric, dimension, overall) is rounded to 10⁻⁶ of a point,
//! ties up, computed from the rounded level below. A score equal to a band
//! threshold belongs to the higher band. So a model with weights
//! 0.3 / 0.3 / 0.4 and every metric at 60 scores exactly 60 and is in the
//! band whose threshold is 60, on every machine. MRR is a
//! [`rust_decimal::Decimal`] and is never converted to a float.
//!
//! ## Usage
//!
//! 1. Write a [`ModelConfig`] (JSON, TOML or code) and compile it with
//!    [`Model::new`] (or a loader, features `json` / `toml`): every problem
//!    is reported at once, with its path.
//! 2. Bind each account's [`AccountData`] with [`Model::bind`]: values are
//!    checked against their metric kinds (NaN, a ratio of 1.7 or an NPS of
//!    140 are errors naming the account and metric, never clamped). Account
//!    payloads may carry fields of their own (ignored), integer ids, flags as
//!    0/1. For many accounts, set observations by
//!    [`MetricHandle`](model::MetricHandle): binding then needs no lookup
//!    and allocates once (the box the account keeps its data in).
//! 3. [`Account::score`] (allocation-free), then [`Score::explain`],
//!    `Display` or [`Score::record`] for people and services, and
//!    [`PortfolioSummary`] for the portfolio view (merge summaries of
//!    parallel parts exactly).
//!
//! ## Example
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::{AccountData, Band, Model, ModelConfig, Observation};
//! use rust_decimal_macros::dec;
//!
//! let config: ModelConfig = serde_json::from_str(r#"{
//!   "name": "starter", "version": "1",
//!   "metrics": [
//!     {"id": "seats", "dimension": "deployment", "kind": {"type": "ratio"},
//!      "curve": {"type": "linear", "points": [[0.2, 0], [0.9, 100]]}},
//!     {"id": "nps", "dimension": "engagement", "kind": {"type": "nps"},
//!      "curve": {"type": "linear", "points": [[-100, 0], [100, 100]]}},
//!     {"id": "weekly_active", "label": "weekly active", "dimension": "adoption",
//!      "kind": {"type": "ratio"}, "curve": {"type": "linear", "points": [[0, 0], [0.5, 100]]}}
//!   ],
//!   "segments": {"mrr_tiers": [{"id": "all", "from": 0}], "size_tiers": [{"id": "all", "from": 0}]},
//!   "scorecards": [{
//!     "id": "default",
//!     "dimension_weights": {"deployment": 0.3, "engagement": 0.3, "adoption": 0.4},
//!     "bands": {"green": 80, "lime": 60, "yellow": 40}
//!   }]
//! }"#)?;
//! let model = Model::new(config)?;
//!
//! let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
//! let account = model.bind(
//!     AccountData::new("acme", dec!(1200.50), 80, day)
//!         .observe(Observation::new("seats", 0.62, day))
//!         .observe(Observation::new("nps", 20.0, day))
//!         .observe(Observation::new("weekly_active", 0.3, day)),
//! )?;
//! let score = account.score();
//! assert_eq!(score.overall().unwrap().to_string(), "60"); // 0.3·60 + 0.3·60 + 0.4·60
//! assert_eq!(score.band(), Some(Band::Lime)); // exactly on the lime threshold
//! println!("{score}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Crate features
//!
//! All off by default; without features the library depends only on
//! serde, thiserror, chrono and rust_decimal.
//!
//! * `json`: `Model`, `ModelConfig`, `RuleSet` and `RuleSetConfig` loaders
//!   from JSON text and `.json` files (`from_json_str`, `from_path`), with
//!   the file in every [`LoadError`](model::LoadError), and where in the
//!   document a value is wrong (`metrics[0].weight: …`, through
//!   serde_json and serde_path_to_error).
//! * `toml`: the same for TOML (`from_toml_str`, `.toml` files).
//! * `proptest`: `healthscore::strategy` gives proptest strategies for
//!   values of any metric kind, for accounts valid under any model, and
//!   for accounts with the previous band and score, dates and events a
//!   CTA rule set reads, for property-testing your own score and CTA rules.
//!
//! Configuration, accounts and every result are plain serde types: any
//! serde format crate reads and writes them.
#![deny(missing_docs)]
// `unsafe` only to call loops compiled for AVX-512 / AVX2 after checking
// the CPU has them (`batch::kernel`, `batch::bits`).
#![deny(unsafe_code)]

pub mod backtest;
mod band;
pub mod batch;
pub mod cta;
mod dimension;
pub mod hierarchy;
pub mod history;
pub mod lifecycle;
pub mod model;
mod points;
pub mod portfolio;
mod quoted;
pub mod score;
#[cfg(feature = "proptest")]
pub mod strategy;
mod strict;

// The everyday types, at the root.
pub use band::{Band, BandError, BandThresholds, UnknownBand};
pub use dimension::Dimension;
pub use model::{ConfigError, Model, ModelConfig};
pub use points::{NumberError, Points, Share};
pub use portfolio::PortfolioSummary;
pub use quoted::{Quoted, Shown};
pub use score::{Account, AccountData, AccountError, Observation, Score, ScoreRecord, Value};

/// The date and decimal crates of the public API, so that users name
/// [`chrono::NaiveDate`] and [`rust_decimal::Decimal`] in the versions this
/// crate was built with.
pub use chrono;
pub use rust_decimal;

// Crate-internal short paths to the modules that moved under `model` and
// `score`.
pub(crate) use model::MetricKind;
use model::{curve, error, metric, scorecard, segment};
use score::{account, slots, value};

/// The README's code examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
