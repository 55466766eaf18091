//! Accounts and their scores: input data, binding to a model, scores,
//! explanations and records.
//!
//! [`AccountData`] is an account as it arrives (serde, or a builder);
//! [`Model::bind`](crate::Model::bind) validates it into an [`Account`];
//! [`Account::score`] gives a [`Score`] (allocation-free), which explains
//! itself ([`Score::explain`], `Display`) and turns into an owned,
//! serialisable [`ScoreRecord`] ([`Score::record`]) that outlives the
//! account and the model.
//!
//! # Examples
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::{AccountData, Model, Observation, ScoreRecord};
//! use rust_decimal_macros::dec;
//!
//! let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! // A service handler: bind, score and return an owned record.
//! fn handle(model: &Model, data: AccountData) -> Result<ScoreRecord, healthscore::AccountError> {
//!     Ok(model.bind(data)?.score().record())
//! }
//! let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
//! let record = handle(&model, AccountData::new("acme", dec!(1200), 80, day)
//!     .observe(Observation::new("weekly_active", 0.5, day)))?;
//! assert_eq!(record.scorecard, "default");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod account;
mod bind;
pub(crate) mod compute;
mod explain;
pub(crate) mod prefetch;
mod previous;
pub(crate) mod program;
mod record;
pub(crate) mod slots;
pub(crate) mod value;

pub(crate) use account::is_blank_id;
pub use account::{Account, AccountData, AccountError, AccountProblem, Event};
pub use compute::Score;
pub use explain::{DimensionPart, Explanation, MetricPart, MetricStatus};
pub use previous::PreviousError;
pub use record::{DimensionRecord, MetricRecord, ScoreRecord, Shortfall};
pub use value::{Observation, Value};
