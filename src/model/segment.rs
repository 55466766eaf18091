//! Segments: MRR tier × company-size tier (× lifecycle stage).
//!
//! Tiers are half-open ranges `[from, to)`: an MRR of exactly 1000 with tiers
//! `0..1000` and `1000..` falls in the second. Tiers must start at 0, follow
//! each other with no gap or overlap, and the last has no end, so every
//! account falls in exactly one tier. MRR bounds are exact decimals.

use crate::error::{ProblemKind, Problems};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How accounts are segmented, as written in configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentsConfig {
    /// MRR tiers, in ascending order.
    pub mrr_tiers: Vec<Tier<Decimal>>,
    /// Company-size tiers by employee count, in ascending order.
    pub size_tiers: Vec<Tier<u32>>,
    /// Lifecycle stages that scorecards may select on (optional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
}

/// One tier: the half-open range `[from, to)`, open-ended when `to` is absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier<T> {
    /// Unique id within its list.
    pub id: String,
    /// Inclusive lower bound.
    pub from: T,
    /// Exclusive upper bound; absent for the last tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<T>,
}

impl<T> Tier<T> {
    /// A tier `[from, to)`.
    pub fn new(id: impl Into<String>, from: T, to: Option<T>) -> Self {
        Tier {
            id: id.into(),
            from,
            to,
        }
    }
}

/// The segment an account falls in.
///
/// `Display` writes `mrr/size` or `mrr/size/stage`, e.g. `mid/large`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Segment<'m> {
    /// The MRR tier's id.
    pub mrr_tier: &'m str,
    /// The size tier's id.
    pub size_tier: &'m str,
    /// The lifecycle stage, when the model segments by stage.
    pub stage: Option<&'m str>,
}

impl fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Some(s) => write!(f, "{}/{}/{}", self.mrr_tier, self.size_tier, s),
            None => write!(f, "{}/{}", self.mrr_tier, self.size_tier),
        }
    }
}

/// Compiled segmentation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Segmentation {
    pub(crate) mrr: Vec<Tier<Decimal>>,
    pub(crate) size: Vec<Tier<u32>>,
    pub(crate) stages: Vec<String>,
}

/// At most this many tiers of each kind and stages.
pub(crate) const MAX_TIERS: usize = 64;

impl Segmentation {
    pub(crate) fn compile(cfg: &SegmentsConfig, problems: &mut Problems) -> Option<Segmentation> {
        let before = problems.len();
        check_tiers(
            &cfg.mrr_tiers,
            "segments.mrr_tiers",
            Decimal::ZERO,
            problems,
        );
        check_tiers(&cfg.size_tiers, "segments.size_tiers", 0, problems);
        check_ids(
            cfg.stages.iter().map(String::as_str),
            "segments.stages",
            problems,
        );
        if cfg.stages.len() > MAX_TIERS {
            problems.push(
                "segments.stages",
                ProblemKind::TooMany {
                    count: cfg.stages.len(),
                    max: MAX_TIERS,
                },
            );
        }
        (problems.len() == before).then(|| Segmentation {
            mrr: cfg.mrr_tiers.clone(),
            size: cfg.size_tiers.clone(),
            stages: cfg.stages.clone(),
        })
    }

    /// Number of stage slots: "no stage" plus each declared stage.
    pub(crate) fn stage_slots(&self) -> usize {
        self.stages.len() + 1
    }

    /// Number of segments.
    pub(crate) fn len(&self) -> usize {
        self.mrr.len() * self.size.len() * self.stage_slots()
    }

    /// The segment index of tier and stage positions.
    pub(crate) fn index(&self, mrr: usize, size: usize, stage_slot: usize) -> usize {
        (mrr * self.size.len() + size) * self.stage_slots() + stage_slot
    }

    /// Tier and stage positions of a segment index.
    pub(crate) fn parts(&self, index: usize) -> (usize, usize, usize) {
        let slots = self.stage_slots();
        let stage = index % slots;
        let rest = index / slots;
        (
            rest / self.size.len().max(1),
            rest % self.size.len().max(1),
            stage,
        )
    }

    /// The segment of an index (all indices come from this segmentation).
    pub(crate) fn segment(&self, index: usize) -> Segment<'_> {
        let (m, s, st) = self.parts(index);
        Segment {
            mrr_tier: self.mrr.get(m).map_or("", |t| t.id.as_str()),
            size_tier: self.size.get(s).map_or("", |t| t.id.as_str()),
            stage: st
                .checked_sub(1)
                .and_then(|i| self.stages.get(i))
                .map(String::as_str),
        }
    }

    /// Tier position of an MRR (≥ 0) and of an employee count.
    pub(crate) fn locate(&self, mrr: Decimal, employees: u32) -> (usize, usize) {
        let m = self.mrr.iter().rposition(|t| mrr >= t.from).unwrap_or(0);
        let s = self
            .size
            .iter()
            .rposition(|t| employees >= t.from)
            .unwrap_or(0);
        (m, s)
    }
}

fn check_ids<'a>(ids: impl Iterator<Item = &'a str>, path: &str, problems: &mut Problems) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if let Some(problem) = super::error::id_problem(id) {
            problems.push(format!("{path}[{i}]"), problem);
        } else if !seen.insert(id) {
            problems.push(
                format!("{path}[{i}]"),
                ProblemKind::DuplicateId(id.to_string()),
            );
        }
    }
}

fn check_tiers<T>(tiers: &[Tier<T>], path: &str, zero: T, problems: &mut Problems)
where
    T: PartialOrd + fmt::Display + Copy,
{
    if tiers.is_empty() {
        problems.push(path, ProblemKind::Empty);
        return;
    }
    if tiers.len() > MAX_TIERS {
        problems.push(
            path,
            ProblemKind::TooMany {
                count: tiers.len(),
                max: MAX_TIERS,
            },
        );
    }
    check_ids(tiers.iter().map(|t| t.id.as_str()), path, problems);
    let mut prev_end: Option<T> = None;
    for (i, t) in tiers.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let last = i + 1 == tiers.len();
        if i == 0 && t.from != zero {
            problems.push(&at, ProblemKind::FirstTierNotAtZero(t.from.to_string()));
        }
        if let Some(end) = prev_end {
            if t.from > end {
                problems.push(
                    &at,
                    ProblemKind::TierGap(end.to_string(), t.from.to_string()),
                );
            } else if t.from < end {
                problems.push(
                    &at,
                    ProblemKind::TierOverlap(end.to_string(), t.from.to_string()),
                );
            }
        }
        match t.to {
            Some(to) if to <= t.from => problems.push(
                &at,
                ProblemKind::EmptyTier {
                    from: t.from.to_string(),
                    to: to.to_string(),
                },
            ),
            Some(to) if last => problems.push(&at, ProblemKind::LastTierBounded(to.to_string())),
            None if !last => problems.push(&at, ProblemKind::OpenEndedNotLast),
            _ => {}
        }
        prev_end = t.to;
    }
}

impl serde::Serialize for Segment<'_> {
    /// As its display form, e.g. `"mid/large"`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn seg(mrr: Vec<Tier<Decimal>>) -> Result<Segmentation, Vec<String>> {
        let cfg = SegmentsConfig {
            mrr_tiers: mrr,
            size_tiers: vec![Tier::new("all", 0, None)],
            stages: vec![],
        };
        let mut p = Problems::default();
        Segmentation::compile(&cfg, &mut p).ok_or_else(|| {
            p.into_error()
                .problems()
                .iter()
                .map(|x| x.to_string())
                .collect()
        })
    }

    #[test]
    fn half_open_bounds() {
        let s = seg(vec![
            Tier::new("smb", dec!(0), Some(dec!(1000))),
            Tier::new("mid", dec!(1000), Some(dec!(10000))),
            Tier::new("ent", dec!(10000), None),
        ])
        .unwrap();
        assert_eq!(s.locate(dec!(999.99), 5).0, 0);
        assert_eq!(s.locate(dec!(1000), 5).0, 1);
        assert_eq!(s.locate(dec!(1000.00), 5).0, 1);
        assert_eq!(s.locate(dec!(10000), 5).0, 2);
        assert_eq!(s.locate(dec!(0), 5).0, 0);
        let i = s.index(2, 0, 0);
        assert_eq!(s.parts(i), (2, 0, 0));
        assert_eq!(s.segment(i).to_string(), "ent/all");
    }

    #[test]
    fn gaps_overlaps_and_ends() {
        let e = seg(vec![
            Tier::new("a", dec!(1), Some(dec!(1000))),
            Tier::new("b", dec!(1200), Some(dec!(5000))),
            Tier::new("c", dec!(4000), Some(dec!(3000))),
            Tier::new("c", dec!(3000), Some(dec!(9000))),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            vec![
                "segments.mrr_tiers[3]: duplicate id \"c\"",
                "segments.mrr_tiers[0]: first tier starts at 1, tiers must start at 0",
                "segments.mrr_tiers[1]: gap between 1000 (end of the previous tier) and 1200",
                "segments.mrr_tiers[2]: overlaps the previous tier, which ends at 5000 (this one starts at 4000)",
                "segments.mrr_tiers[2]: tier ends at 3000, not above its start 4000",
                "segments.mrr_tiers[3]: last tier ends at 9000: tiers must cover 0..infinity (leave out `to`)",
            ]
        );
        let e = seg(vec![
            Tier::new("a", dec!(0), None),
            Tier::new("b", dec!(5), None),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            vec!["segments.mrr_tiers[0]: only the last tier may be open-ended"]
        );
        assert_eq!(
            seg(vec![]).unwrap_err(),
            vec!["segments.mrr_tiers: must not be empty"]
        );
    }
}
