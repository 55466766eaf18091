//! Parent and child accounts: rolling children up into a parent's score.
//!
//! A customer is often several accounts: subsidiaries, departments,
//! workspaces of one company. Each account names its parent
//! ([`AccountData::parent`](crate::AccountData::parent)); [`RollUps::new`]
//! checks the hierarchy once (duplicate ids, missing parents, cycles,
//! children scored by another model: every problem, typed) and rolls
//! children up, deepest first, as the model's `rollup` section says
//! ([`RollupConfig`](crate::model::RollupConfig)):
//!
//! * **mean** of the children's scores, **MRR-weighted** mean (a child
//!   weighs with the MRR of its whole branch, counted to the millionth of a
//!   currency unit), or the **worst** child;
//! * a parent with a score of its own combines both:
//!   `own_weight × own + (1 − own_weight) × children`; with only one of the
//!   two, that one; with neither, no score and no band.
//!
//! Only *banded* scores roll up: a child with insufficient data has no
//! score to give and is listed as unscored (it lowers the roll-up's
//! [`coverage`](RolledScore::coverage), never its score). An account
//! without children keeps exactly its own score and band. A parent's band
//! applies the thresholds (and hysteresis, with its `previous_band`) of the
//! parent's own scorecard to the rolled-up score. All arithmetic is integer
//! millionths, rounded half up once per level, like every score.
//!
//! Each roll-up explains itself: every child's weight and the points it
//! pulls the parent down (they and the parent's own share add up exactly
//! to `100 − score`), and [`RolledScore::pulled_down_by`] names the child
//! that pulls hardest.
//!
//! Portfolio views ([`RollUps::summary`]) count top-level relationships,
//! leaf accounts, or every account ([`Count`]) without counting any MRR
//! twice.
//!
//! # Examples
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::hierarchy::RollUps;
//! use healthscore::{AccountData, Band, Model, Observation};
//! use rust_decimal_macros::dec;
//!
//! let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
//! let account = |id: &str, wau: f64| AccountData::new(id, dec!(500), 10, day)
//!     .observe(Observation::new("weekly_active", wau, day));
//! let accounts = [
//!     account("group", 0.8),                  // own score 100
//!     account("de", 0.4).parent("group"),     // 50
//!     account("fr", 0.8).parent("group"),     // 100
//! ];
//! let bound = accounts.into_iter().map(|a| model.bind(a)).collect::<Result<Vec<_>, _>>()?;
//! let scores: Vec<_> = bound.iter().map(|a| a.score()).collect();
//! let rolled = RollUps::new(&scores)?;
//! let group = rolled.get("group").expect("in the input");
//! // Children: mean(50, 100) = 75; with own 100 at the default weight 0.5: 87.5.
//! assert_eq!(group.overall.map(|p| p.to_string()).as_deref(), Some("87.5"));
//! assert_eq!(group.band, Some(Band::Green));
//! assert_eq!(group.pulled_down_by().map(|c| c.id.as_str()), Some("de"));
//! assert_eq!(group.to_string(), "group 87.5 green: own 100.0 (weight 50%) and mean of 2 children 75.0; \
//!     de (50.0 yellow) pulls down 12.5 points");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod count;
mod rollup;
mod structure;

pub use count::{Count, CountedSummary};

use crate::band::Band;
use crate::model::RollupMethod;
use crate::points::{Points, Share};
use crate::score::Score;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// One account after the roll-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolledScore {
    /// The account.
    pub id: String,
    /// Its parent, if it has one.
    pub parent: Option<String>,
    /// Levels above it (0 at the top of its tree).
    pub depth: usize,
    /// Its own banded score, if it has one.
    pub own: Option<Points>,
    /// Its scored children combined, if any child has a score.
    pub children_score: Option<Points>,
    /// The rolled-up score.
    pub overall: Option<Points>,
    /// The band of the rolled-up score (its own band when it has no
    /// children); `None` without a score or with insufficient data.
    pub band: Option<Band>,
    /// How the children were combined (`mean` when an MRR-weighted roll-up
    /// found no MRR to weigh by).
    pub method: RollupMethod,
    /// The weight the own score had in [`overall`](Self::overall): the
    /// model's `own_weight` with both parts, 1 with only its own, 0 with
    /// only children's.
    pub own_weight: Share,
    /// Points the own score pulls the roll-up down.
    pub own_shortfall: Points,
    /// Direct children, in input order.
    pub children: Vec<ChildPart>,
    /// How many direct children had a score.
    pub children_scored: usize,
    /// MRR of the account and everything below it (exact).
    pub branch_mrr: Decimal,
}

/// A direct child's part in its parent's roll-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildPart {
    /// The child.
    pub id: String,
    /// Its rolled-up score; `None` when it has none to give.
    pub score: Option<Points>,
    /// Its band.
    pub band: Option<Band>,
    /// Its share of the children's part (0 when unscored; the worst child
    /// holds all of it in a `worst` roll-up).
    pub weight: Share,
    /// Points it pulls the parent down.
    pub shortfall: Points,
}

impl RolledScore {
    /// The child pulling the roll-up down most (the earliest on ties);
    /// `None` when no child pulls it down at all.
    pub fn pulled_down_by(&self) -> Option<&ChildPart> {
        self.children
            .iter()
            .filter(|c| c.shortfall > Points::ZERO)
            .reduce(|best, c| {
                if c.shortfall > best.shortfall {
                    c
                } else {
                    best
                }
            })
    }

    /// Children without a score (no data, or insufficient data).
    pub fn unscored(&self) -> impl Iterator<Item = &ChildPart> {
        self.children.iter().filter(|c| c.score.is_none())
    }

    /// Share of direct children with a score; `None` without children.
    pub fn coverage(&self) -> Option<Share> {
        let n = self.children.len() as u128;
        (n > 0).then(|| {
            let micros = crate::points::div_round(self.children_scored as u128 * 1_000_000, n);
            Share::from_micros(micros as u32).unwrap_or(Share::ONE)
        })
    }
}

impl fmt::Display for RolledScore {
    /// `group 87.5 green: own 100.0 (weight 50%) and mean of 2 children
    /// 75.0; de (50.0 yellow) pulls down 12.5 points`, with the unscored
    /// children named (`mean of 2 of 3 children 75.0; …; no score from
    /// fr`; with none scored, `no child has a score; no score from fr`). The headline is rounded down, as for scores.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = |p: Option<Points>| p.map_or("no score".to_string(), Points::tenths_down);
        write!(f, "{} {}", self.id, head(self.overall))?;
        match self.band {
            Some(b) => write!(f, " {b}")?,
            None if self.overall.is_some() => f.write_str(" (insufficient data)")?,
            None => {}
        }
        if self.children.is_empty() {
            return f.write_str(" (no children)");
        }
        f.write_str(": ")?;
        if let Some(own) = self.own.filter(|_| self.children_score.is_some()) {
            write!(
                f,
                "own {} (weight {}%) and ",
                own.tenths_down(),
                self.own_weight.percent().normalize()
            )?;
        } else if self.own.is_none() {
            f.write_str("no own score; ")?;
        }
        let method = match self.method {
            RollupMethod::MrrWeighted => "MRR-weighted mean",
            RollupMethod::Worst => "worst",
            _ => "mean",
        };
        // `mean of 2 children 75.0`, `mean of 2 of 3 children 75.0` (the
        // third named below as without a score), `mean of 1 child 75.0`;
        // with none scored, `no child has a score`.
        let (scored, all) = (self.children_scored, self.children.len());
        match self.children_score {
            Some(p) if scored > 0 => {
                let of = if scored < all {
                    format!("{scored} of {all}")
                } else {
                    scored.to_string()
                };
                let noun = if all == 1 { "child" } else { "children" };
                write!(f, "{method} of {of} {noun} {}", head(Some(p)))?;
            }
            _ => f.write_str("no child has a score")?,
        }
        let child = self.pulled_down_by();
        let mut sep = "; ";
        if self.own_shortfall > child.map_or(Points::ZERO, |c| c.shortfall) {
            write!(
                f,
                "; its own score pulls down most, {:.1} points",
                self.own_shortfall
            )?;
            sep = "; of the children, ";
        }
        if let Some(c) = child {
            write!(
                f,
                "{sep}{} ({} {}) pulls down {:.1} points",
                c.id,
                head(c.score),
                c.band.map_or("no band", Band::name),
                c.shortfall
            )?;
        }
        for (i, c) in self.unscored().enumerate() {
            f.write_str(if i == 0 { "; no score from " } else { ", " })?;
            f.write_str(&c.id)?;
        }
        Ok(())
    }
}

/// The rolled-up scores of a set of accounts, in input order.
///
/// See the [module documentation](self) for the rules and an example.
#[derive(Debug)]
pub struct RollUps<'s, 'a> {
    scores: &'s [Score<'a>],
    rolled: Vec<RolledScore>,
    index: HashMap<String, usize, std::hash::BuildHasherDefault<crate::model::Fnv>>,
    parent: Vec<Option<usize>>,
    has_children: Vec<bool>,
}

impl<'s, 'a> RollUps<'s, 'a> {
    /// Checks the hierarchy and rolls every account up.
    ///
    /// # Errors
    ///
    /// A [`HierarchyError`] listing every problem: an id given twice, a
    /// parent that is not among the accounts, a cycle (an account its own
    /// ancestor), a child scored by another model than its parent, a branch
    /// whose MRR weights overflow 128-bit arithmetic.
    pub fn new(scores: &'s [Score<'a>]) -> Result<Self, HierarchyError> {
        let shape = structure::Structure::new(scores)?;
        let mut rolled = rollup::roll_up(scores, &shape)?;
        rollup::fill_child_bands(&mut rolled, &shape);
        let index = rolled
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let has_children = shape.children.iter().map(|c| !c.is_empty()).collect();
        Ok(RollUps {
            scores,
            rolled,
            index,
            parent: shape.parent,
            has_children,
        })
    }

    /// The roll-up of an account, by id.
    pub fn get(&self, id: &str) -> Option<&RolledScore> {
        self.index.get(id).and_then(|&i| self.rolled.get(i))
    }

    /// Every account's roll-up, in input order.
    pub fn iter(&self) -> impl Iterator<Item = &RolledScore> {
        self.rolled.iter()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.rolled.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.rolled.is_empty()
    }
}

/// Something wrong with an account hierarchy. Serialises as
/// `{"kind": "missing-parent", "message": "…", "accounts": ["a", "p"]}`,
/// like the crate's other errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HierarchyProblem {
    /// Two accounts share an id, so a parent reference would be ambiguous.
    #[error("account {0:?} appears more than once")]
    DuplicateAccount(String),
    /// A parent id that is not among the accounts.
    #[error("account {child:?}: parent {parent:?} is not among the accounts")]
    MissingParent {
        /// The child.
        child: String,
        /// The parent it names.
        parent: String,
    },
    /// Accounts that are their own ancestors, in parent order.
    #[error("accounts form a cycle: {}", cycle_text(.0))]
    Cycle(Vec<String>),
    /// A child scored by another model than its parent.
    #[error(
        "account {child:?} is scored by {child_model}, its parent {parent:?} by {parent_model}"
    )]
    OtherModel {
        /// The child.
        child: String,
        /// The parent.
        parent: String,
        /// The child's model.
        child_model: String,
        /// The parent's model.
        parent_model: String,
    },
    /// MRR weights too large for exact arithmetic under this account.
    #[error("account {0:?}: its children's MRR weights overflow exact arithmetic")]
    Overflow(String),
}

impl HierarchyProblem {
    /// The accounts involved, child first.
    pub fn accounts(&self) -> Vec<&str> {
        match self {
            HierarchyProblem::DuplicateAccount(id) | HierarchyProblem::Overflow(id) => vec![id],
            HierarchyProblem::MissingParent { child, parent }
            | HierarchyProblem::OtherModel { child, parent, .. } => vec![child, parent],
            HierarchyProblem::Cycle(ids) => ids.iter().map(String::as_str).collect(),
        }
    }
}

impl Serialize for HierarchyProblem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("HierarchyProblem", 3)?;
        st.serialize_field("kind", &crate::error::variant_name(self))?;
        st.serialize_field("message", &self.to_string())?;
        st.serialize_field("accounts", &self.accounts())?;
        st.end()
    }
}

fn cycle_text(ids: &[String]) -> String {
    let mut text = ids.join(" → ");
    if let Some(first) = ids.first() {
        text.push_str(" → ");
        text.push_str(first);
    }
    text
}

/// The most problems a [`HierarchyError`] lists (the rest are counted).
pub const MAX_HIERARCHY_PROBLEMS: usize = 100;

/// Every problem found in an account hierarchy (up to
/// [`MAX_HIERARCHY_PROBLEMS`], then counted in `omitted`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}", self.describe())]
pub struct HierarchyError {
    /// The problems, in the order found.
    pub problems: Vec<HierarchyProblem>,
    /// Problems found beyond those listed.
    pub omitted: usize,
}

impl HierarchyError {
    fn new(mut problems: Vec<HierarchyProblem>) -> Self {
        let omitted = problems.len().saturating_sub(MAX_HIERARCHY_PROBLEMS);
        problems.truncate(MAX_HIERARCHY_PROBLEMS);
        HierarchyError { problems, omitted }
    }

    fn describe(&self) -> String {
        let total = self.problems.len() + self.omitted;
        let mut text = format!(
            "{total} problem{} in the account hierarchy",
            if total == 1 { "" } else { "s" }
        );
        for p in &self.problems {
            text.push_str("\n  ");
            text.push_str(&p.to_string());
        }
        if self.omitted > 0 {
            text.push_str(&format!("\n  … and {} more", self.omitted));
        }
        text
    }
}
