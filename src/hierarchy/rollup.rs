//! Rolling children up into parents, exactly, bottom-up.

use super::structure::Structure;
use super::{ChildPart, HierarchyError, HierarchyProblem, RolledScore};
use crate::band::Band;
use crate::model::RollupMethod;
use crate::points::{div_round, Points, Share, MICRO};
use crate::score::Score;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

const HUNDRED: u64 = 100 * MICRO as u64;

/// Every account's rolled-up score, in input order.
pub(crate) fn roll_up(
    scores: &[Score<'_>],
    shape: &Structure,
) -> Result<Vec<RolledScore>, HierarchyError> {
    let n = scores.len();
    let mut value: Vec<Option<u32>> = vec![None; n];
    let mut branch_mrr: Vec<Decimal> = scores.iter().map(|s| s.account().data().mrr).collect();
    let mut out: Vec<Option<RolledScore>> = (0..n).map(|_| None).collect();
    let mut problems = Vec::new();
    for &i in &shape.bottom_up {
        let (Some(score), Some(kids)) = (scores.get(i), shape.children.get(i)) else {
            continue;
        };
        for &k in kids {
            let add = branch_mrr.get(k).copied().unwrap_or_default();
            if let Some(m) = branch_mrr.get_mut(i) {
                *m = m.saturating_add(add);
            }
        }
        match roll_one(score, kids, &value, &branch_mrr, scores) {
            Ok(rolled) => {
                if let Some(v) = value.get_mut(i) {
                    *v = rolled.overall.map(Points::micros);
                }
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(RolledScore {
                        parent: shape
                            .parent
                            .get(i)
                            .copied()
                            .flatten()
                            .and_then(|p| scores.get(p))
                            .map(|p| p.account().id().to_string()),
                        depth: shape.depth.get(i).copied().unwrap_or(0),
                        branch_mrr: branch_mrr.get(i).copied().unwrap_or_default(),
                        ..rolled
                    });
                }
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(HierarchyError::new(problems));
    }
    Ok(out.into_iter().flatten().collect())
}

/// A branch's MRR in millionths of a currency unit (rounded half up), the
/// unit MRR weights are counted in.
fn mrr_micros(mrr: Decimal) -> Option<u128> {
    mrr.checked_mul(Decimal::from(MICRO))?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_u128()
}

fn roll_one(
    score: &Score<'_>,
    kids: &[usize],
    value: &[Option<u32>],
    branch_mrr: &[Decimal],
    scores: &[Score<'_>],
) -> Result<RolledScore, HierarchyProblem> {
    let model = score.model();
    let rule = model.rollup;
    let id = score.account().id().to_string();
    let own = score.band().and(score.overall());
    if kids.is_empty() {
        // Most accounts: exactly their own score, nothing to share out.
        return Ok(RolledScore {
            id,
            parent: None,
            depth: 0,
            own,
            children_score: None,
            overall: own,
            band: score.band(),
            method: rule.method,
            own_weight: if own.is_some() {
                Share::ONE
            } else {
                Share::ZERO
            },
            own_shortfall: own.map_or(Points::ZERO, |o| {
                Points::from_micros(HUNDRED as u32 - o.micros()).unwrap_or(Points::ZERO)
            }),
            children: Vec::new(),
            children_scored: 0,
            branch_mrr: Decimal::ZERO,
        });
    }
    let overflow = || HierarchyProblem::Overflow(id.clone());
    // Each scored child with its weight in the children's part.
    // (position among the children, score, weight)
    let scored: Vec<(usize, u32, u128)> = kids
        .iter()
        .enumerate()
        .filter_map(|(j, &k)| Some((j, k, value.get(k).copied().flatten()?)))
        .map(|(j, k, v)| {
            let w = match rule.method {
                RollupMethod::MrrWeighted => branch_mrr.get(k).copied().and_then(mrr_micros),
                _ => Some(1),
            };
            w.map(|w| (j, v, w)).ok_or_else(overflow)
        })
        .collect::<Result<_, _>>()?;
    let mut method = rule.method;
    let mut weights: Vec<u128> = scored.iter().map(|s| s.2).collect();
    if method == RollupMethod::MrrWeighted && weights.iter().all(|w| *w == 0) {
        method = RollupMethod::Mean; // nothing to weigh by: documented fallback
        weights.iter_mut().for_each(|w| *w = 1);
    }
    let worst = scored
        .iter()
        .enumerate()
        .min_by_key(|(i, s)| (s.1, *i))
        .map(|(i, _)| i);
    if method == RollupMethod::Worst {
        for (i, w) in weights.iter_mut().enumerate() {
            *w = u128::from(Some(i) == worst);
        }
    }
    let children_score = match worst {
        None => None,
        Some(_) if method == RollupMethod::Worst => scored.iter().map(|s| s.1).min(),
        Some(_) => {
            let total: u128 = weights
                .iter()
                .try_fold(0u128, |a, w| a.checked_add(*w))
                .ok_or_else(overflow)?;
            let sum = scored
                .iter()
                .zip(&weights)
                .try_fold(0u128, |a, (s, w)| {
                    a.checked_add(w.checked_mul(u128::from(s.1))?)
                })
                .ok_or_else(overflow)?;
            u32::try_from(div_round(sum, total)).ok()
        }
    };
    let w = u64::from(rule.own_weight.micros());
    let (overall, own_weight) = match (own, children_score) {
        (Some(o), Some(c)) => {
            let mix = u128::from(w) * u128::from(o.micros())
                + u128::from(MICRO as u64 - w) * u128::from(c);
            (u32::try_from(div_round(mix, MICRO as u128)).ok(), w)
        }
        (Some(o), None) => (Some(o.micros()), MICRO as u64),
        (None, Some(c)) => (Some(c), 0),
        (None, None) => (None, 0),
    };
    let overall = overall.and_then(Points::from_micros);
    let band = if kids.is_empty() {
        score.band() // an account without children is exactly its own score
    } else {
        let card = score.card();
        overall.zip(card).map(|(p, card)| {
            card.bands.band_with_hysteresis(
                p,
                score.account().data().previous_band,
                card.hysteresis,
            )
        })
    };
    // Shortfall: own part against the children's part, then the children's
    // part among the children by weight × their own shortfall.
    let total = overall.map_or(0, |p| HUNDRED - u64::from(p.micros()));
    let own_gap = own.map_or(0, |o| HUNDRED - u64::from(o.micros()));
    let kids_gap = children_score.map_or(0, |c| HUNDRED - u64::from(c));
    let halves = apportion(
        total,
        &[
            u128::from(own_weight) * u128::from(own_gap),
            u128::from(MICRO as u64 - own_weight) * u128::from(kids_gap),
        ],
    );
    let (own_shortfall, kids_shortfall) = (halves[0], halves[1]);
    let gaps: Vec<u128> = scored
        .iter()
        .zip(&weights)
        .map(|(s, w)| w.saturating_mul(u128::from(HUNDRED - u64::from(s.1))))
        .collect();
    let shortfalls = apportion(kids_shortfall, &gaps);
    let shares = apportion(MICRO as u64, &weights);
    let mut parts: Vec<ChildPart> = kids
        .iter()
        .map(|&k| ChildPart {
            id: scores.get(k).map_or("", |s| s.account().id()).to_string(),
            score: value
                .get(k)
                .copied()
                .flatten()
                .and_then(Points::from_micros),
            band: None,
            weight: Share::ZERO,
            shortfall: Points::ZERO,
        })
        .collect();
    for (n, s) in scored.iter().enumerate() {
        if let Some(part) = parts.get_mut(s.0) {
            part.weight = Share::from_micros(shares[n] as u32).unwrap_or(Share::ZERO);
            part.shortfall = Points::from_micros(shortfalls[n] as u32).unwrap_or(Points::ZERO);
        }
    }
    Ok(RolledScore {
        id,
        parent: None,
        depth: 0,
        own,
        children_score: children_score.and_then(Points::from_micros),
        overall,
        band,
        method,
        own_weight: Share::from_micros(own_weight as u32).unwrap_or(Share::ZERO),
        own_shortfall: Points::from_micros(own_shortfall as u32).unwrap_or(Points::ZERO),
        children: parts,
        children_scored: scored.len(),
        branch_mrr: Decimal::ZERO,
    })
}

/// Splits `total` in proportion to `weights` (largest remainders, earliest
/// first on ties), so the parts sum to `total` exactly. Weights too wide to
/// multiply are scaled down together first (proportions keep 96 bits).
pub(crate) fn apportion(total: u64, weights: &[u128]) -> Vec<u64> {
    let widest = weights.iter().max().copied().unwrap_or(0);
    let bits = (128 - widest.leading_zeros()) + (usize::BITS - weights.len().leading_zeros());
    let shift = bits.saturating_sub(96);
    let scaled: Vec<u128> = weights.iter().map(|w| w >> shift).collect();
    let sum: u128 = scaled.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let t = u128::from(total);
    let mut parts: Vec<u64> = scaled.iter().map(|w| (t * w / sum) as u64).collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..scaled.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(t * scaled[i] % sum), i));
    for &i in order.iter().take((total - given) as usize) {
        parts[i] += 1;
    }
    parts
}

/// The child bands, filled in once every account is rolled up.
pub(crate) fn fill_child_bands(rolled: &mut [RolledScore], shape: &Structure) {
    let bands: Vec<Option<Band>> = rolled.iter().map(|r| r.band).collect();
    for (i, r) in rolled.iter_mut().enumerate() {
        let kids = shape.children.get(i).map_or(&[][..], Vec::as_slice);
        for (part, &k) in r.children.iter_mut().zip(kids) {
            part.band = bands.get(k).copied().flatten();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::apportion;

    #[test]
    fn apportion_sums_exactly_even_for_huge_weights() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(0, &[5, 7]), vec![0, 0]);
        assert_eq!(apportion(9, &[0, 0]), vec![0, 0]);
        let huge = [u128::MAX / 3, u128::MAX / 3, u128::MAX / 6];
        let parts = apportion(100_000_000, &huge);
        assert_eq!(parts.iter().sum::<u64>(), 100_000_000);
        assert_eq!(parts, vec![40_000_000, 40_000_000, 20_000_000]);
    }
}
