//! A health-score model: configuration in, compiled and validated model out.

use super::fingerprint::{Fingerprint, Fnv};
use super::resolve::resolve_cards;
use super::rollup::{Rollup, RollupConfig};
use crate::error::{ConfigError, ProblemKind, Problems};
use crate::metric::{compile_weight, Metric, MetricConfig, MetricKind};
use crate::score::program::Program;
use crate::scorecard::{MetricHead, Scorecard, ScorecardConfig};
use crate::segment::{Segment, Segmentation, SegmentsConfig};
use crate::Dimension;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A whole model as written in configuration (JSON, TOML, or built in code).
///
/// Deserialize it with any serde format, then compile it with
/// [`Model::new`]. Unknown fields are rejected, so a typo is an error rather
/// than a silently ignored setting. Serializing a model's
/// [`config`](Model::config) and reading it back compiles to an equal model.
///
/// # Examples
///
/// ```
/// use healthscore::{Model, ModelConfig};
///
/// let original = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let toml_text = toml::to_string(original.config())?;
/// let again: ModelConfig = toml::from_str(&toml_text)?;
/// assert_eq!(Model::new(again)?, original);
///
/// let typo = r#"{"name": "m", "version": "1", "metrics": [],
///   "segments": {"mrr_tiers": [], "size_tiers": []}, "scorecards": [], "colour": "green"}"#;
/// assert!(serde_json::from_str::<ModelConfig>(typo).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model's name, recorded on every score.
    pub name: String,
    /// The model's version, recorded on every score.
    pub version: String,
    /// Metric definitions.
    pub metrics: Vec<MetricConfig>,
    /// Segmentation by MRR, size and stage.
    pub segments: SegmentsConfig,
    /// Scorecards, tried in order; a default (without `when`) last.
    pub scorecards: Vec<ScorecardConfig>,
    /// How children roll up into a parent's score (default: the mean of the
    /// children, half the parent's own score).
    #[serde(default, skip_serializing_if = "RollupConfig::is_default")]
    pub rollup: RollupConfig,
}

impl ModelConfig {
    /// An empty configuration to build on.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        ModelConfig {
            name: name.into(),
            version: version.into(),
            metrics: Vec::new(),
            segments: SegmentsConfig::default(),
            scorecards: Vec::new(),
            rollup: RollupConfig::default(),
        }
    }

    /// Sets how children roll up into a parent's score.
    pub fn rollup(mut self, rollup: RollupConfig) -> Self {
        self.rollup = rollup;
        self
    }

    /// Adds a metric.
    pub fn metric(mut self, metric: MetricConfig) -> Self {
        self.metrics.push(metric);
        self
    }

    /// Sets the segmentation.
    pub fn segments(mut self, segments: SegmentsConfig) -> Self {
        self.segments = segments;
        self
    }

    /// Adds a scorecard (after the ones already added).
    pub fn scorecard(mut self, card: ScorecardConfig) -> Self {
        self.scorecards.push(card);
        self
    }

    /// Compiles the configuration: shorthand for [`Model::new`].
    ///
    /// # Errors
    ///
    /// See [`Model::new`].
    pub fn build(self) -> Result<Model, ConfigError> {
        Model::new(self)
    }
}

/// At most this many metrics and scorecards.
const MAX_METRICS: usize = 4096;
const MAX_SCORECARDS: usize = 4096;

/// A compiled, validated, immutable health-score model.
///
/// Compiling checks everything once; scoring never re-validates. Compile
/// once, then bind and score as many accounts as you like (from many
/// threads: a `Model` is `Send + Sync`).
///
/// # Examples
///
/// ```
/// use healthscore::model::*;
/// use healthscore::*;
/// use rust_decimal_macros::dec;
///
/// let config = ModelConfig::new("starter", "1")
///     .metric(MetricConfig::new(
///         "weekly_active",
///         Dimension::Adoption,
///         MetricKind::Ratio,
///         CurveConfig::linear([(dec!(0), dec!(0)), (dec!(0.8), dec!(100))]),
///     ))
///     .segments(SegmentsConfig {
///         mrr_tiers: vec![Tier::new("all", dec!(0), None)],
///         size_tiers: vec![Tier::new("all", 0, None)],
///         stages: vec![],
///     })
///     .scorecard(
///         ScorecardConfig::new("default", BandsConfig::new(80, 60, 40))
///             .dimension_weight(Dimension::Adoption, 1),
///     );
/// let model = Model::new(config)?;
/// assert_eq!(model.version(), "1");
/// // Printed with `{:?}`: which model it is, not its compiled tables
/// // (`config()` has the rest).
/// let printed = format!("{model:?}");
/// assert!(printed.starts_with("Model { name: \"starter\", version: \"1\""));
/// assert!(printed.contains("metrics: [\"weekly_active\"], scorecards: [\"default\"]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Model {
    pub(crate) config: ModelConfig,
    pub(crate) metrics: Box<[Metric]>,
    pub(crate) by_id: HashMap<String, usize, BuildHasherDefault<Fnv>>,
    pub(crate) segmentation: Segmentation,
    pub(crate) cards: Box<[Scorecard]>,
    /// Scorecard index of each segment index.
    pub(crate) card_of_segment: Box<[u32]>,
    /// How children roll up into parents.
    pub(crate) rollup: Rollup,
    /// Identity of the compiled content.
    pub(crate) fingerprint: Fingerprint,
    /// What scoring one account runs (derived from `metrics` and
    /// `cards`, so neither compared nor hashed).
    pub(crate) program: Program,
    /// The batch kernel's tables, built by the first
    /// [`Scorer`](crate::batch::Scorer) (derived, as `program` is).
    pub(crate) batch_plan: crate::batch::PlanCache,
}

/// Which model (name, version and content hash) and the ids of its
/// metrics and scorecards, not its compiled form: that printed about
/// 44 KB for the reference model v0m, on every log line or error that
/// printed a model or a [`Scorer`](crate::batch::Scorer) with `{:?}`.
/// [`Model::config`] has the rest.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cards: Vec<&str> = self.cards.iter().map(|c| c.id.as_str()).collect();
        f.debug_struct("Model")
            .field("name", &self.fingerprint.name)
            .field("version", &self.fingerprint.version)
            .field("hash", &format_args!("{:016x}", self.fingerprint.hash))
            .field("metrics", &self.metric_ids().collect::<Vec<_>>())
            .field("scorecards", &cards)
            .field("segments", &self.segmentation.len())
            .finish_non_exhaustive()
    }
}

/// A metric of one model, resolved once by id ([`Model::metric_handle`]),
/// to set observations without naming the metric by string on every account
/// ([`AccountData::observe_handle`](crate::AccountData::observe_handle)).
///
/// A handle is only meaningful for the model that gave it (and models with
/// the same fingerprint): binding checks that it is in range, and a handle
/// is never looked up by name again.
///
/// # Examples
///
/// ```
/// use healthscore::Model;
///
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let nps = model.metric_handle("nps").expect("the model has nps");
/// assert_eq!(nps.index(), 1); // second metric in the configuration
/// assert!(model.metric_handle("nsp").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricHandle {
    /// The metric's position in the model.
    pub(crate) index: u32,
    /// The model's fingerprint hash: a handle from another model is refused.
    pub(crate) model: u64,
}

impl MetricHandle {
    /// The metric's position in the model's configuration.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl PartialEq for Model {
    /// Two models are equal when they compile to the same rules.
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
            && self.config.name == other.config.name
            && self.config.version == other.config.version
            && self.metrics == other.metrics
            && self.segmentation == other.segmentation
            && self.cards == other.cards
            && self.card_of_segment == other.card_of_segment
            && self.rollup == other.rollup
    }
}

impl Model {
    /// Validates a configuration into a model.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] listing every problem found, each with its path,
    /// e.g. `metrics[4].curve: breakpoints not sorted at index 2` or
    /// `scorecards[2].bands: lime threshold 70 is not below green threshold 65`.
    pub fn new(config: ModelConfig) -> Result<Model, ConfigError> {
        let mut problems = Problems::default();
        check_count("metrics", config.metrics.len(), MAX_METRICS, &mut problems);
        let mut by_id = HashMap::with_hasher(BuildHasherDefault::<Fnv>::default());
        let mut metrics = Vec::with_capacity(config.metrics.len());
        for (i, m) in config.metrics.iter().enumerate() {
            let path = format!("metrics[{i}]");
            if by_id.insert(m.id.clone(), i).is_some() {
                problems.push(format!("{path}.id"), ProblemKind::DuplicateId(m.id.clone()));
            }
            if let Some(m) = Metric::compile(m, &path, &mut problems) {
                metrics.push(m);
            }
        }
        let segmentation = Segmentation::compile(&config.segments, &mut problems);
        check_count(
            "scorecards",
            config.scorecards.len(),
            MAX_SCORECARDS,
            &mut problems,
        );
        let mut card_ids = HashMap::new();
        let mut cards = Vec::with_capacity(config.scorecards.len());
        // Scorecards need only each metric's id, dimension and default
        // weight, so they are checked even when a metric has problems.
        let heads: Vec<MetricHead<'_>> = config
            .metrics
            .iter()
            .map(|m| MetricHead {
                id: &m.id,
                dimension: m.dimension,
                weight: compile_weight(m.weight, "", &mut Problems::default()).unwrap_or(0),
            })
            .collect();
        for (i, c) in config.scorecards.iter().enumerate() {
            let path = format!("scorecards[{i}]");
            if card_ids.insert(c.id.as_str(), i).is_some() {
                problems.push(format!("{path}.id"), ProblemKind::DuplicateId(c.id.clone()));
            }
            if c.when.is_none() && i + 1 != config.scorecards.len() {
                problems.push(format!("{path}.when"), ProblemKind::DefaultNotLast);
            }
            if let Some(card) = Scorecard::compile(c, &heads, &path, &mut problems) {
                cards.push(card);
            }
        }
        let card_of_segment = segmentation
            .as_ref()
            .and_then(|s| resolve_cards(s, &config.scorecards, &mut problems));
        let rollup = Rollup::compile(&config.rollup, &mut problems);
        if !problems.is_empty() {
            return Err(problems.into_error());
        }
        match (segmentation, card_of_segment, rollup) {
            (Some(segmentation), Some(card_of_segment), Some(rollup)) => {
                let content = (
                    &config.name,
                    &config.version,
                    &metrics,
                    &segmentation,
                    &cards,
                    &card_of_segment,
                );
                // The default roll-up is left out of the hash, so models
                // written before roll-ups existed keep their fingerprints.
                let hash = if rollup == Rollup::default() {
                    Fnv::of(&content)
                } else {
                    Fnv::of(&(content, &rollup))
                };
                let fingerprint = Fingerprint {
                    hash,
                    name: config.name.clone(),
                    version: config.version.clone(),
                };
                let program = Program::compile(&metrics, &cards);
                Ok(Model {
                    program,
                    config,
                    metrics: metrics.into_boxed_slice(),
                    by_id,
                    segmentation,
                    cards: cards.into_boxed_slice(),
                    card_of_segment,
                    rollup,
                    fingerprint,
                    batch_plan: Default::default(),
                })
            }
            _ => Err(problems.into_error()),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.config.version
    }

    /// What identifies this model: name, version and a hash of its
    /// compiled content (see [`Fingerprint`]).
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The handle of a metric, by id: resolve it once, then set observations
    /// by handle ([`AccountData::observe_handle`](crate::AccountData::observe_handle)).
    pub fn metric_handle(&self, id: &str) -> Option<MetricHandle> {
        let i = *self.by_id.get(id)?;
        u32::try_from(i).ok().map(|index| MetricHandle {
            index,
            model: self.fingerprint.hash,
        })
    }

    /// The configuration the model was compiled from (serialize it to save
    /// the model).
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Number of metrics.
    pub fn metric_count(&self) -> usize {
        self.metrics.len()
    }

    /// Ids of the metrics, in configuration order.
    pub fn metric_ids(&self) -> impl Iterator<Item = &str> {
        self.metrics.iter().map(|m| m.id.as_str())
    }

    /// The kind and dimension of a metric, by id.
    pub fn metric(&self, id: &str) -> Option<(Dimension, &MetricKind)> {
        let m = self.metrics.get(*self.by_id.get(id)?)?;
        Some((m.dimension, &m.kind))
    }

    /// Whether a metric's curve only rises (a higher value never scores lower).
    pub fn is_increasing(&self, id: &str) -> Option<bool> {
        let m = self.metrics.get(*self.by_id.get(id)?)?;
        Some(m.curve.is_increasing())
    }

    /// The segment with this index (as [`BatchScores::segments`](crate::batch::BatchScores::segments)
    /// gives it); `None` past the model's segments.
    pub fn segment_at(&self, index: usize) -> Option<Segment<'_>> {
        (index < self.segmentation.len()).then(|| self.segmentation.segment(index))
    }

    /// The id of the scorecard with this index (as
    /// [`BatchScores::scorecards`](crate::batch::BatchScores::scorecards) gives it).
    pub fn scorecard_id(&self, index: usize) -> Option<&str> {
        self.cards.get(index).map(|c| c.id.as_str())
    }

    /// Every segment with the id of the scorecard that scores it.
    pub fn segments(&self) -> impl Iterator<Item = (Segment<'_>, &str)> {
        (0..self.segmentation.len()).map(|i| {
            let card = self
                .card_of_segment
                .get(i)
                .and_then(|c| self.cards.get(*c as usize));
            (
                self.segmentation.segment(i),
                card.map_or("", |c| c.id.as_str()),
            )
        })
    }
}

/// A list that must have between 1 and `max` entries.
fn check_count(path: &str, count: usize, max: usize, problems: &mut Problems) {
    if count == 0 {
        problems.push(path, ProblemKind::Empty);
    } else if count > max {
        problems.push(path, ProblemKind::TooMany { count, max });
    }
}
