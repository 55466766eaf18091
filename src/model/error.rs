//! Typed errors for model configuration, each carrying where it happened.

use crate::band::BandError;
use crate::dimension::Dimension;
use crate::points::NumberError;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::fmt;

/// Everything wrong with a model configuration, not only the first problem.
///
/// Its `Display` lists one problem per line as `path: reason`, e.g.
/// `scorecards[2].bands: lime threshold 70 is not below green threshold 65`.
///
/// # Examples
///
/// ```
/// use healthscore::Model;
/// use healthscore::model::{BandsConfig, ProblemKind};
///
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let mut config = model.config().clone();
/// config.scorecards[0].bands = BandsConfig::new(65, 70, 40);
/// config.metrics[1].id = "weekly_active".into();
/// let err = Model::new(config).unwrap_err();
/// assert_eq!(err.problems().len(), 2);
/// assert_eq!(err.problems()[0].path, "metrics[1].id");
/// assert!(matches!(err.problems()[0].kind, ProblemKind::DuplicateId(_)));
/// assert_eq!(
///     err.problems()[1].to_string(),
///     "scorecards[0].bands: lime threshold 70 is not below green threshold 65"
/// );
/// // Serialised as structured objects: path, kind, message.
/// let json = serde_json::to_value(&err)?;
/// assert_eq!(json["problems"][0]["kind"], "duplicate-id");
/// assert_eq!(json["problems"][0]["path"], "metrics[1].id");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    problems: Vec<ConfigProblem>,
    /// Problems found beyond the first [`MAX_PROBLEMS`], counted only.
    omitted: usize,
}

/// The most problems a [`ConfigError`] lists; the rest are counted
/// ([`ConfigError::omitted`]), so a generated model with ten thousand
/// mistakes gives a readable error, not megabytes of text.
pub const MAX_PROBLEMS: usize = 100;

impl ConfigError {
    /// The problems, in the order of the configuration (the first
    /// [`MAX_PROBLEMS`]).
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// How many more problems were found than are listed.
    pub fn omitted(&self) -> usize {
        self.omitted
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len() + self.omitted;
        write!(
            f,
            "{n} problem{} in the configuration",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        if self.omitted > 0 {
            write!(f, "\n  … and {} more", self.omitted)?;
        }
        Ok(())
    }
}

/// Why a configuration (a model or a CTA rule set) could not be loaded
/// from text or a file.
///
/// `Display` names the file when there is one, and for JSON where in the
/// document (a path) before the parser's line and column:
/// `model.json: JSON: metrics[0].max_age_days: invalid value: integer `-35`, expected u32 at line 6 column 117`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LoadError {
    /// The file's extension names no format this build reads (`.json` with
    /// feature `json`, `.toml` with feature `toml`).
    #[error("{path}: unknown format (expected a .json or .toml file, with the crate feature of that name)")]
    UnknownFormat {
        /// The file.
        path: String,
    },
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The text is not valid JSON or TOML, or not of the configuration's shape.
    #[error("{}{format}: {message}", prefix(path))]
    Parse {
        /// The file, when read from one.
        path: Option<String>,
        /// `JSON` or `TOML`.
        format: String,
        /// The parser's message, with line and column (for JSON, after
        /// where in the document: `metrics[0].weight: …`).
        message: String,
    },
    /// The configuration parsed but is invalid.
    #[error("{}{error}", prefix(path))]
    Config {
        /// The file, when read from one.
        path: Option<String>,
        /// Every problem, with its path in the configuration.
        error: ConfigError,
    },
}

fn prefix(path: &Option<String>) -> String {
    path.as_ref().map(|p| format!("{p}: ")).unwrap_or_default()
}

/// One problem: where (`path`) and what (`kind`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct ConfigProblem {
    /// Where in the configuration, e.g. `metrics[4].curve`.
    pub path: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with one part of a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A list that needs at least one entry is empty.
    #[error("must not be empty")]
    Empty,
    /// An id is empty.
    #[error("id must not be empty")]
    EmptyId,
    /// An id holds a control character or one of Unicode's invisible
    /// bidirectional formatting characters: shown in a terminal or a
    /// report it would move the cursor, clear the screen or reorder the
    /// text after it, so that one id reads as another.
    #[error("id {0:?} holds a control or bidirectional formatting character (ids are printed in tables and reports)")]
    UnprintableId(String),
    /// A metric's label holds such a character (labels are printed in
    /// explanations).
    #[error("label {0:?} holds a control or bidirectional formatting character (labels are printed in explanations)")]
    UnprintableLabel(String),
    /// Two entries share an id.
    #[error("duplicate id {0:?}")]
    DuplicateId(String),
    /// A number cannot be held exactly.
    #[error("{0}")]
    Number(#[from] NumberError),
    /// A curve has too few breakpoints.
    #[error("needs at least {0} breakpoints")]
    TooFewBreakpoints(usize),
    /// Breakpoint values are not strictly increasing.
    #[error("breakpoints not sorted at index {0}")]
    BreakpointsNotSorted(usize),
    /// Breakpoint scores go up and down.
    #[error("scores not monotonic at index {0} (a curve must only rise or only fall)")]
    NotMonotonic(usize),
    /// A range curve whose scores change direction more than once.
    #[error("scores change direction again at index {0} (a range curve rises then falls, or falls then rises, once)")]
    NotUnimodal(usize),
    /// A curve score outside 0..=100.
    #[error("score {0} at index {1} is outside 0..=100")]
    ScoreOutOfRange(String, usize),
    /// A breakpoint lies outside the values the metric's kind allows.
    #[error("breakpoint {value} at index {index} is outside the {kind} range {range}")]
    OutsideKindRange {
        /// The breakpoint.
        value: String,
        /// Its index.
        index: usize,
        /// The metric kind.
        kind: &'static str,
        /// The kind's range.
        range: String,
    },
    /// A declared scale whose minimum is not below its maximum.
    #[error("scale minimum {0} is not below maximum {1}")]
    BadScale(String, String),
    /// A negative weight.
    #[error("weight {0} is negative")]
    NegativeWeight(String),
    /// Relative weights that are all zero.
    #[error("weights sum to 0: at least one must be positive")]
    WeightsAllZero,
    /// A reference to a metric that does not exist.
    #[error("unknown metric {0:?}")]
    UnknownMetric(String),
    /// A reference to a tier that does not exist.
    #[error("unknown tier {0:?}")]
    UnknownTier(String),
    /// A reference to a lifecycle stage that is not declared.
    #[error("unknown stage {0:?} (declare it in segments.stages)")]
    UnknownStage(String),
    /// A dimension weighted in a scorecard but without weighted metrics.
    #[error("{0} has weight but no metric of {0} has weight in this scorecard")]
    DimensionWithoutMetrics(Dimension),
    /// A dimension with metrics but no weight in a scorecard.
    #[error("no weight for {0}, which has metrics (give 0 to leave it out)")]
    MissingDimensionWeight(Dimension),
    /// Band thresholds out of order.
    #[error("{0}")]
    Bands(#[from] BandError),
    /// A tier's end is not above its start.
    #[error("tier ends at {to}, not above its start {from}")]
    EmptyTier {
        /// The tier's start.
        from: String,
        /// The tier's end.
        to: String,
    },
    /// The first tier does not start at 0.
    #[error("first tier starts at {0}, tiers must start at 0")]
    FirstTierNotAtZero(String),
    /// A gap between consecutive tiers.
    #[error("gap between {0} (end of the previous tier) and {1}")]
    TierGap(String, String),
    /// Consecutive tiers overlap.
    #[error("overlaps the previous tier, which ends at {0} (this one starts at {1})")]
    TierOverlap(String, String),
    /// A tier before the last has no end.
    #[error("only the last tier may be open-ended")]
    OpenEndedNotLast,
    /// The last tier has an end, so high values fall in no tier.
    #[error("last tier ends at {0}: tiers must cover 0..infinity (leave out `to`)")]
    LastTierBounded(String),
    /// A segment that no scorecard matches.
    #[error("segment {0} matches no scorecard and there is no default scorecard")]
    NoScorecard(String),
    /// A scorecard that can never be used.
    #[error("unreachable: every segment it matches is taken by an earlier scorecard")]
    UnreachableScorecard,
    /// A CTA rule refers to an event the rule set does not declare.
    #[error("unknown event {0:?} (declare it in the rule set's events)")]
    UnknownEvent(String),
    /// A CTA rule refers to a date the rule set does not declare.
    #[error("unknown date {0:?} (declare it in the rule set's dates)")]
    UnknownDate(String),
    /// A condition that can never be decided as written.
    #[error("impossible condition: {0}")]
    Impossible(String),
    /// A number of days beyond what a rule may use.
    #[error("{days} days is more than the {max} allowed")]
    TooManyDays {
        /// The days given.
        days: u32,
        /// The most allowed.
        max: u32,
    },
    /// Conditions nested deeper than allowed.
    #[error("conditions nest deeper than {0} levels")]
    TooDeep(usize),
    /// A default scorecard before the last position.
    #[error("a default scorecard (no `when`) must be the last one")]
    DefaultNotLast,
    /// A lifecycle verdict where no lifecycle is given.
    #[error("lifecycle verdicts need a lifecycle: compile the rules with RuleSet::with_lifecycle (exit criteria cannot use them)")]
    NoLifecycle,
    /// More entries than the engine supports.
    #[error("{count} entries, at most {max} are supported")]
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl Serialize for ConfigError {
    /// As `{"message": "2 problems in the configuration", "problems": [...]}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ConfigError", 3)?;
        st.serialize_field("message", &self.to_string().lines().next().unwrap_or(""))?;
        st.serialize_field("problems", &self.problems)?;
        st.serialize_field("omitted", &self.omitted)?;
        st.end()
    }
}

impl Serialize for ConfigProblem {
    /// As `{"path": "metrics[1].id", "kind": "duplicate-id", "message": "duplicate id \"x\""}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ConfigProblem", 3)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("kind", &variant_name(&self.kind))?;
        st.serialize_field("message", &self.kind.to_string())?;
        st.end()
    }
}

/// The kebab-case name of an enum value's variant, from its `Debug` form
/// (`DuplicateId("x")` → `duplicate-id`): a stable machine-readable kind for
/// serialised errors.
pub(crate) fn variant_name(value: &impl fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let mut out = String::new();
    for (i, c) in debug
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .enumerate()
    {
        if c.is_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Serialises an error enum as `{"kind": "<variant in kebab-case>",
/// "message": "<its Display>"}`.
macro_rules! serialize_as_kind_and_message {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            /// As `{"kind": "…", "message": "…"}`: the variant's name in
            /// kebab-case and the error's message.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct(stringify!($t), 2)?;
                st.serialize_field("kind", &$crate::error::variant_name(self))?;
                st.serialize_field("message", &self.to_string())?;
                st.end()
            }
        }
    )*};
}

serialize_as_kind_and_message!(
    ProblemKind,
    crate::points::NumberError,
    crate::band::BandError,
    crate::metric::ValueProblem,
    crate::history::HistoryError,
    crate::backtest::ProposalError
);

/// Collects problems while compiling, each under the current path: the
/// first [`MAX_PROBLEMS`] in full, the rest counted.
#[derive(Default)]
pub(crate) struct Problems {
    list: Vec<ConfigProblem>,
    total: usize,
}

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, kind: impl Into<ProblemKind>) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(ConfigProblem {
                path: path.into(),
                kind: kind.into(),
            });
        }
    }

    /// Problems found so far, listed or not (compilers compare it before
    /// and after a part to tell whether that part had problems).
    pub(crate) fn len(&self) -> usize {
        self.total
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Records `id` at `path` as an empty id or a duplicate of one in
    /// `seen` (which it joins otherwise).
    pub(crate) fn unique_id<'a>(
        &mut self,
        path: String,
        id: &'a str,
        seen: &mut std::collections::BTreeSet<&'a str>,
    ) {
        if let Some(problem) = id_problem(id) {
            self.push(path, problem);
        } else if !seen.insert(id) {
            self.push(path, ProblemKind::DuplicateId(id.to_string()));
        }
    }

    pub(crate) fn into_error(self) -> ConfigError {
        ConfigError {
            omitted: self.total - self.list.len(),
            problems: self.list,
        }
    }
}

/// What is wrong with `id` as an id, if anything: empty, or holding a
/// control character or a bidirectional formatting character (marks,
/// embeddings, overrides, isolates).
pub(crate) fn id_problem(id: &str) -> Option<ProblemKind> {
    if id.is_empty() {
        Some(ProblemKind::EmptyId)
    } else if !printable(id) {
        Some(ProblemKind::UnprintableId(id.to_string()))
    } else {
        None
    }
}

/// Whether `text` prints as written: no control character and none of
/// Unicode's bidirectional formatting characters.
pub(crate) fn printable(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}
