//! Which scorecard scores each segment: the first (in order) whose criteria
//! match it.
//!
//! Each (MRR tier, size tier) cell keeps a bit mask of its stage slots not
//! yet taken (at most 65: no stage, and 64 stages). A card takes, in each
//! cell its criteria name, the stages it matches that are still free. So a
//! card costs the number of cells it names, never a scan of every segment
//! or a string comparison per (card, segment): 4,096 cards over 64 × 64 × 65
//! segments resolve in milliseconds.

use super::error::{ProblemKind, Problems};
use super::scorecard::{Criteria, ScorecardConfig};
use super::segment::Segmentation;

/// The scorecard index of each segment, or `None` with the problems
/// recorded (an unknown tier or stage in a card's criteria, a segment no
/// card matches, a card that matches nothing left).
pub(super) fn resolve_cards(
    seg: &Segmentation,
    cards: &[ScorecardConfig],
    problems: &mut Problems,
) -> Option<Box<[u32]>> {
    let before = problems.len();
    let mut masks = Vec::with_capacity(cards.len());
    for (i, c) in cards.iter().enumerate() {
        masks.push(CardMask::of(
            c.when.as_ref(),
            seg,
            &format!("scorecards[{i}].when"),
            problems,
        ));
    }
    if problems.len() != before {
        return None;
    }
    let slots = seg.stage_slots();
    let all_stages: u128 = if slots >= 128 {
        u128::MAX
    } else {
        (1u128 << slots) - 1
    };
    let (n_mrr, n_size) = (seg.mrr.len(), seg.size.len());
    let mut free = vec![all_stages; n_mrr * n_size];
    let mut table = vec![u32::MAX; seg.len()];
    let mut left = seg.len();
    for (c, mask) in masks.iter().enumerate() {
        let mut used = false;
        let card_id = u32::try_from(c).unwrap_or(u32::MAX);
        if left > 0 {
            for &m in &mask.mrr {
                for &s in &mask.size {
                    let Some(cell) = free.get_mut(m * n_size + s) else {
                        continue;
                    };
                    let mut take = *cell & mask.stages;
                    if take == 0 {
                        continue;
                    }
                    used = true;
                    *cell &= !take;
                    while take != 0 {
                        let st = take.trailing_zeros() as usize;
                        take &= take - 1;
                        if let Some(slot) = table.get_mut(seg.index(m, s, st)) {
                            *slot = card_id;
                            left -= 1;
                        }
                    }
                }
            }
        }
        if mask.conditional && !used {
            problems.push(
                format!("scorecards[{c}]"),
                ProblemKind::UnreachableScorecard,
            );
        }
    }
    for (index, card) in table.iter().enumerate() {
        if *card == u32::MAX {
            let name = seg.segment(index).to_string();
            problems.push("scorecards", ProblemKind::NoScorecard(name));
        }
    }
    (problems.len() == before).then(|| table.into_boxed_slice())
}

/// A card's criteria as positions: the MRR and size tiers it names (all
/// when its list is empty) and a mask of the stage slots it matches.
struct CardMask {
    mrr: Vec<usize>,
    size: Vec<usize>,
    stages: u128,
    /// Whether it has criteria (a default card is never "unreachable").
    conditional: bool,
}

impl CardMask {
    fn of(
        when: Option<&Criteria>,
        seg: &Segmentation,
        path: &str,
        problems: &mut Problems,
    ) -> CardMask {
        let slots = seg.stage_slots();
        let all_stages: u128 = if slots >= 128 {
            u128::MAX
        } else {
            (1u128 << slots) - 1
        };
        let Some(w) = when else {
            return CardMask {
                mrr: (0..seg.mrr.len()).collect(),
                size: (0..seg.size.len()).collect(),
                stages: all_stages,
                conditional: false,
            };
        };
        let mut positions = |ids: &[String], tiers: &mut dyn Iterator<Item = &str>, field: &str| {
            let tiers: Vec<&str> = tiers.collect();
            if ids.is_empty() {
                return (0..tiers.len()).collect();
            }
            let mut out = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                match tiers.iter().position(|t| t == id) {
                    // A tier named twice is matched once.
                    Some(p) if !out.contains(&p) => out.push(p),
                    Some(_) => {}
                    None => problems.push(
                        format!("{path}.{field}[{i}]"),
                        ProblemKind::UnknownTier(id.clone()),
                    ),
                }
            }
            out
        };
        let mrr = positions(&w.mrr, &mut seg.mrr.iter().map(|t| t.id.as_str()), "mrr");
        let size = positions(&w.size, &mut seg.size.iter().map(|t| t.id.as_str()), "size");
        // No stage list: every slot, including "no stage". A list: those
        // stages only (an account without a stage never matches).
        let mut stages = if w.stage.is_empty() { all_stages } else { 0 };
        for (i, id) in w.stage.iter().enumerate() {
            match seg.stages.iter().position(|t| t == id) {
                Some(p) => stages |= 1u128 << (p + 1),
                None => problems.push(
                    format!("{path}.stage[{i}]"),
                    ProblemKind::UnknownStage(id.clone()),
                ),
            }
        }
        CardMask {
            mrr,
            size,
            stages,
            conditional: true,
        }
    }
}
