//! How a model rolls children up into a parent account's score.

use crate::error::{ProblemKind, Problems};
use crate::points::Share;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How the children of a parent account combine into one score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RollupMethod {
    /// The plain average of the children's scores (the default).
    #[default]
    Mean,
    /// The average weighted by each child's MRR (a child with children of
    /// its own weighs with the MRR of its whole branch). When the scored
    /// children's MRR sums to 0 there is nothing to weigh by, and the plain
    /// average is used.
    MrrWeighted,
    /// The lowest child score: the relationship is as healthy as its
    /// weakest account.
    Worst,
}

impl RollupMethod {
    /// The name used in configuration (`mean`, `mrr_weighted`, `worst`).
    pub fn name(self) -> &'static str {
        match self {
            RollupMethod::Mean => "mean",
            RollupMethod::MrrWeighted => "mrr_weighted",
            RollupMethod::Worst => "worst",
        }
    }
}

/// A model's roll-up rule, as written in configuration (the `rollup`
/// section; optional, defaults shown).
///
/// ```json
/// "rollup": {"method": "mrr_weighted", "own_weight": 0.25}
/// ```
///
/// A parent account with a score of its own and scored children gets
/// `own_weight × own + (1 − own_weight) × children`; with only one of the
/// two, that one. See [`hierarchy`](crate::hierarchy).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupConfig {
    /// How children combine (default `mean`).
    #[serde(default)]
    pub method: RollupMethod,
    /// The weight of the parent's own score against its children's, 0 to 1
    /// with at most six decimal places (default 0.5).
    #[serde(default = "half")]
    pub own_weight: Decimal,
}

fn half() -> Decimal {
    Decimal::new(5, 1)
}

impl Default for RollupConfig {
    fn default() -> Self {
        RollupConfig {
            method: RollupMethod::Mean,
            own_weight: half(),
        }
    }
}

impl RollupConfig {
    /// Whether this is the default rule (left out when serialising).
    pub fn is_default(&self) -> bool {
        *self == RollupConfig::default()
    }
}

/// The compiled roll-up rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Rollup {
    pub(crate) method: RollupMethod,
    pub(crate) own_weight: Share,
}

impl Rollup {
    pub(crate) fn compile(config: &RollupConfig, p: &mut Problems) -> Option<Rollup> {
        match Share::from_decimal(config.own_weight) {
            Ok(own_weight) => Some(Rollup {
                method: config.method,
                own_weight,
            }),
            Err(e) => {
                p.push("rollup.own_weight", ProblemKind::from(e));
                None
            }
        }
    }
}

impl Default for Rollup {
    fn default() -> Self {
        Rollup {
            method: RollupMethod::Mean,
            own_weight: Share::from_micros(500_000).unwrap_or(Share::ZERO),
        }
    }
}
