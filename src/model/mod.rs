//! Models: configuration in, a compiled and validated [`Model`] out.
//!
//! A model is plain serde data ([`ModelConfig`]): metrics ([`MetricConfig`])
//! of typed kinds ([`MetricKind`]) normalised by curves ([`CurveConfig`]),
//! segments ([`SegmentsConfig`]: MRR tiers × size tiers × optional stages)
//! and scorecards ([`ScorecardConfig`]: weights, band thresholds, minimum
//! coverage). [`Model::new`] checks everything once and reports every
//! problem with its path ([`ConfigError`]); a compiled model is immutable,
//! `Send + Sync`, and identified by its [`Fingerprint`].
//!
//! # Examples
//!
//! ```
//! use healthscore::Model;
//!
//! let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! assert_eq!(model.name(), "example");
//! let weekly_active = model.metric_handle("weekly_active").expect("declared");
//! assert_eq!(model.metric_ids().nth(weekly_active.index()), Some("weekly_active"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compile;
pub(crate) mod curve;
pub(crate) mod error;
mod fingerprint;
mod load;
pub(crate) mod metric;
mod resolve;
pub(crate) mod rollup;
pub(crate) mod scorecard;
pub(crate) mod segment;

pub use compile::{MetricHandle, Model, ModelConfig};
pub use curve::{CurveConfig, TargetSide, MAX_BREAKPOINTS};
pub use error::{ConfigError, ConfigProblem, LoadError, ProblemKind, MAX_PROBLEMS};
pub(crate) use fingerprint::Fnv;
pub use fingerprint::{Fingerprint, ModelMismatch};
pub use metric::{MetricConfig, MetricKind, MissingPolicy, ValueProblem};
pub use rollup::{RollupConfig, RollupMethod};
pub use scorecard::{BandsConfig, Criteria, ScorecardConfig};
pub use segment::{Segment, SegmentsConfig, Tier};

/// A small, complete model in JSON, used by the documentation examples:
/// `weekly_active` (adoption, ratio, 0 → 0 to 0.8 → 100) and `nps`
/// (engagement, −100 → 0 to 100 → 100), equal dimension weights, MRR tiers
/// `smb` below 1000 and `mid` from 1000, bands 80 / 60 / 40, minimum
/// coverage 0.5.
pub const EXAMPLE_JSON: &str = r#"{
  "name": "example", "version": "1",
  "metrics": [
    {"id": "weekly_active", "label": "weekly active", "dimension": "adoption",
     "kind": {"type": "ratio"}, "curve": {"type": "linear", "points": [[0, 0], [0.8, 100]]}},
    {"id": "nps", "label": "NPS", "dimension": "engagement",
     "kind": {"type": "nps"}, "curve": {"type": "linear", "points": [[-100, 0], [100, 100]]}}
  ],
  "segments": {
    "mrr_tiers": [{"id": "smb", "from": 0, "to": 1000}, {"id": "mid", "from": 1000}],
    "size_tiers": [{"id": "all", "from": 0}]
  },
  "scorecards": [{
    "id": "default",
    "dimension_weights": {"adoption": 1, "engagement": 1},
    "bands": {"green": 80, "lime": 60, "yellow": 40},
    "min_coverage": 0.5
  }]
}"#;
