//! The segment pass of a chunk: tiers by integer comparisons, ids and
//! as-of dates checked a chunk at a time.

use super::*;
use crate::batch::output::NONE;

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
    // The next chunk's MRR, employees and as-of dates (see
    // `prepare::Next`).
    use crate::score::prefetch::lines;
    let after = |len: usize| super::prepare::next_rows(r0, n, len);
    match batch.mrr {
        crate::batch::Mrr::Scaled64 { values, .. } => {
            lines(values.get(after(values.len())).unwrap_or(&[]))
        }
        crate::batch::Mrr::Scaled128 { values, .. } => {
            lines(values.get(after(values.len())).unwrap_or(&[]))
        }
        _ => {}
    }
    lines(
        batch
            .employees
            .get(after(batch.employees.len()))
            .unwrap_or(&[]),
    );
    if let Dates::Days(d) = batch.as_of {
        lines(d.get(after(d.len())).unwrap_or(&[]));
    }
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
    let cards = &model.card_of_segment;
    let n = n.min(CHUNK);
    let (Some(mrr), Some(employees), Some(last)) =
        (mrr.get(..n), employees.get(..n), cards.len().checked_sub(1))
    else {
        return false;
    };
    // The segment arithmetic is `u32`: a row's segment index is below
    // (tiers + 1)·sizes·stage_slots, which must fit (any model that is not
    // billions of segments; else each row is located on its own).
    let reach = (mrr_bounds.len() + 1)
        .checked_mul(sizes)
        .and_then(|x| x.checked_mul(stage_slots))
        .and_then(|x| u32::try_from(x).ok());
    let narrow = (
        u32::try_from(sizes),
        u32::try_from(stage_slots),
        u32::try_from(last),
    );
    let (Some(_), (Ok(sizes), Ok(stage_slots), Ok(last))) = (reach, narrow) else {
        return false;
    };
    let (Some(segment_out), Some(card_out)) =
        (out.segment.get_mut(..n), out.scorecard.get_mut(..n))
    else {
        return false;
    };
    // Column passes over the chunk (each a loop the compiler vectorises):
    // tiers by counting the bounds each value reaches, then the segment,
    // its scorecard (a gather) and the checks.
    let mut tier = [0u32; CHUNK];
    let mut size = [0u32; CHUNK];
    for b in mrr_bounds {
        for (t, v) in tier.iter_mut().zip(mrr) {
            *t += u32::from(*v >= *b);
        }
    }
    for from in seg.size.iter().map(|t| t.from) {
        for (z, e) in size.iter_mut().zip(employees) {
            *z += u32::from(*e >= from);
        }
    }
    // The batch's one as-of date, when it has one, is in range for every
    // row or for none.
    let one_ok = match batch.as_of {
        Dates::One(_) => batch
            .as_of
            .ce_day(0)
            .is_some_and(|d| (bound.first_day..=bound.last_day).contains(&d)),
        Dates::Days(_) => true,
    };
    let mut ok = [one_ok; CHUNK];
    if let Some(days) = days {
        let epoch = i64::from(crate::batch::columns::UNIX_EPOCH_CE);
        for (ok, d) in ok.iter_mut().zip(days) {
            let ce = i64::from(*d) + epoch;
            *ok = (ce >= bound.first_day) & (ce <= bound.last_day);
        }
    }
    // Into arrays of this frame first (which nothing else can overlap, so
    // the loop needs no run-time overlap check), then copied out.
    let mut segments = [NONE; CHUNK];
    let mut card_of = [NONE; CHUNK];
    let mut index = [0u32; CHUNK];
    for r in 0..n {
        let (v, m, z) = (mrr[r], tier[r].saturating_sub(1), size[r].saturating_sub(1));
        // No overflow: below the reach checked above.
        let segment = (m * sizes + z) * stage_slots;
        let good = ok[r] & (segment <= last) & (v >= 0) & (v <= max);
        ok[r] = good;
        segments[r] = if good { segment } else { NONE };
        index[r] = segment.min(last);
    }
    // The scorecards in a pass of their own, so that the compiler
    // vectorises the loop above (with the look-up in it, and `u64`
    // products, it ran one row at a time: 8% of the AVX2 kernel's time).
    for (card, i) in card_of.iter_mut().zip(&index).take(n) {
        // In bounds: the index is at most `last`.
        *card = cards[*i as usize];
    }
    for (card, ok) in card_of.iter_mut().zip(&ok).take(n) {
        *card = if *ok { *card } else { NONE };
    }
    segment_out.copy_from_slice(&segments[..n]);
    card_out.copy_from_slice(&card_of[..n]);
    for r in 0..n {
        s.bad[r] = !ok[r];
        s.card[r] = if ok[r] { card_of[r] } else { 0 };
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
