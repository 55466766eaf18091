//! The segment pass of a chunk: tiers by integer comparisons, ids and
//! as-of dates checked a chunk at a time.

use super::*;

/// Segments and scorecards of a chunk in the common case (MRR as scaled
/// 64-bit integers, or 128-bit ones whose accepted range fits 64 bits; no
/// stage to look up): integer comparisons against the tier bounds, no
/// `Decimal`, no string. Ids and per-row as-of dates are checked here as
/// [`locate`] checks them. Returns false, doing nothing, for any other
/// batch or a chunk with an id the row API would refuse (each row is then
/// located with the row-level checks, which name the problem).
#[inline(always)]
pub(super) fn segments_fast(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) -> bool {
    let seg = &model.segmentation;
    let mut wide = [0i64; CHUNK];
    let mrr: &[i64] = match batch.mrr {
        crate::batch::Mrr::Scaled64 { values, .. } => match values.get(r0..r0 + n) {
            Some(v) => v,
            None => return false,
        },
        // Arrow's Decimal128: narrowed, saturating; a value beyond i64 is
        // then beyond the accepted maximum too, and so rejected as
        // `locate` rejects it.
        crate::batch::Mrr::Scaled128 { values, .. } if bound.mrr_max < i128::from(i64::MAX) => {
            let (Some(v), Some(w)) = (values.get(r0..r0 + n), wide.get_mut(..n)) else {
                return false;
            };
            for (w, x) in w.iter_mut().zip(v) {
                *w = i64::try_from(*x).unwrap_or(if *x < 0 { i64::MIN } else { i64::MAX });
            }
            &wide[..n]
        }
        _ => return false,
    };
    let staged = batch.stages.is_some() && !seg.stages.is_empty();
    if staged || !ids_present(&batch.ids, r0, n) {
        return false;
    }
    let Some(employees) = batch.employees.get(r0..r0 + n) else {
        return false;
    };
    let days = match batch.as_of {
        Dates::Days(d) => match d.get(r0..r0 + n) {
            Some(d) => Some(d),
            None => return false,
        },
        Dates::One(_) => None,
    };
    let (max, mrr_bounds) = (bound.mrr_max64, &bound.mrr_bounds64);
    let sizes = seg.size.len().max(1);
    let stage_slots = seg.stage_slots();
    for (r, (&v, &e)) in mrr.iter().zip(employees).enumerate().take(CHUNK) {
        let m = mrr_bounds
            .iter()
            .filter(|b| v >= **b)
            .count()
            .saturating_sub(1);
        let z = seg
            .size
            .iter()
            .filter(|t| e >= t.from)
            .count()
            .saturating_sub(1);
        let segment = (m * sizes + z) * stage_slots;
        let card = model.card_of_segment.get(segment).copied();
        let day_ok = days.is_none_or(|d| {
            d.get(r).is_some_and(|d| {
                let ce = i64::from(*d) + i64::from(crate::batch::columns::UNIX_EPOCH_CE);
                (bound.first_day..=bound.last_day).contains(&ce)
            })
        });
        match card.filter(|_| day_ok && (0..=max).contains(&v)) {
            Some(card) => {
                s.card[r] = card;
                s.bad[r] = false;
                out.set_segment(r, segment as u32, card);
            }
            None => {
                s.card[r] = 0;
                s.bad[r] = true;
            }
        }
    }
    true
}

/// True when every id of rows `r0 .. r0 + n` is one the row API takes (a
/// number, or non-empty UTF-8 text).
#[inline]
fn ids_present(ids: &crate::batch::Ids<'_>, r0: usize, n: usize) -> bool {
    use crate::batch::Ids;
    match ids {
        Ids::Int(v) => v.len() >= r0 + n,
        Ids::UInt(v) => v.len() >= r0 + n,
        Ids::Str(v) => v
            .get(r0..r0 + n)
            .is_some_and(|v| v.iter().all(|s| !s.is_empty())),
        Ids::String(v) => v
            .get(r0..r0 + n)
            .is_some_and(|v| v.iter().all(|s| !s.is_empty())),
        Ids::Utf8 { offsets, data } => {
            // The chunk's bytes are UTF-8 and every row starts and ends on
            // a character boundary with at least one byte: then each row's
            // id is non-empty UTF-8.
            let Some(o) = offsets.get(r0..=r0 + n) else {
                return false;
            };
            let (Some(&first), Some(&last)) = (o.first(), o.last()) else {
                return false;
            };
            let (Ok(first), Ok(last)) = (usize::try_from(first), usize::try_from(last)) else {
                return false;
            };
            let Some(text) = data
                .get(first..last)
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                return false;
            };
            o.windows(2).all(|w| {
                w[0] < w[1]
                    && usize::try_from(w[1])
                        .ok()
                        .and_then(|e| e.checked_sub(first))
                        .is_some_and(|e| text.is_char_boundary(e))
            })
        }
    }
}
