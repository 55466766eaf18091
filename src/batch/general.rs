//! Row at a time over the columns, with the row API's own integer
//! arithmetic: for models whose numbers the columnar kernel cannot hold
//! exactly, and for the metric that pulls a row's score down most.

use super::input::Batch;
use super::output::{Out, RowScore, NONE};
use super::rows::{locate, Bound};
use crate::metric::MetricKind;
use crate::model::Model;
use crate::points::{div_round, Points};
use crate::score::compute::{compute, metric_outcome, Parts};
use crate::slots::Slot;
use crate::value::Value;

/// A row's slots, as binding would fill them; `None` when a value or
/// date fails a check.
pub(crate) fn slots(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    row: usize,
    slots: &mut [Slot],
) -> Option<u16> {
    let as_of = batch.as_of.ce_day(row)?;
    let mut stale_count = 0u16;
    for ((metric, column), slot) in model
        .metrics
        .iter()
        .zip(&bound.metrics)
        .zip(slots.iter_mut())
    {
        *slot = Slot::EMPTY;
        if !column.validity.is_valid(row) {
            continue;
        }
        let x = *column.values.get(row)?;
        let observed = match column.observed {
            Some(d) => d.ce_day(row)?,
            None => as_of,
        };
        if observed < bound.first_day || observed > as_of {
            return None;
        }
        let value = metric.check(&Value::Number(x)).ok()?;
        if matches!(metric.kind, MetricKind::Judgement { .. })
            && column
                .authors
                .and_then(|a| a.get(row).copied().flatten())
                .is_none()
        {
            return None;
        }
        let stale = metric
            .max_age_days
            .is_some_and(|max| as_of - observed > i64::from(max));
        stale_count += u16::from(stale);
        *slot = Slot::new(value, 0, stale);
    }
    Some(stale_count)
}

/// Scores rows `r0 .. r0 + n` one at a time.
pub(crate) fn chunk(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    buf: &mut [Slot],
    out: &mut Out<'_>,
) {
    for r in 0..n {
        let row = r0 + r;
        let located = locate(model, batch, bound, row);
        let stale = slots(model, batch, bound, row, buf);
        let (Some((segment, card)), Some(stale)) = (located, stale) else {
            out.reject(r);
            continue;
        };
        out.set_segment(r, segment, card);
        let previous = batch.previous.and_then(|p| p.get(row).copied().flatten());
        let parts = compute(model, card as usize, buf, previous);
        out.put(r, &row_score(&parts, stale));
    }
}

fn row_score(parts: &Parts, stale: u16) -> RowScore {
    RowScore {
        overall: parts.overall.map_or(NONE, Points::micros),
        band: parts.band,
        coverage: parts.coverage.micros(),
        dims: parts.dims.map(|d| d.score.map_or(NONE, Points::micros)),
        dim_coverage: parts.dims.map(|d| d.coverage.micros()),
        stale,
    }
}

/// The metric (index in model order) that pulls a banded score down most:
/// [`Explanation::pulls_down_most`](crate::score::Explanation::pulls_down_most)'s
/// rule, without building the explanation. `dims` are the row's dimension
/// scores in millionths as the scoring pass wrote them ([`NONE`]: no
/// score), so that the row is not scored a second time; `scored` is
/// scratch, reused from row to row.
///
/// Each metric's points are worked out once per row: finding the
/// scorecard's weight sum first and the shortfalls after, through one
/// iterator, worked them out twice, and the row was scored again for its
/// dimension scores. `healthscore score` with drivers on gen.py's
/// 1,000,000 accounts (Parquet, 2-core AVX2 VM, three runs each):
/// 0.98–1.00 s → 0.85–0.87 on one thread, 0.56–0.58 → 0.51–0.55 on two,
/// the same bytes written. What is left of the pass is mostly working out
/// each metric's points a second time, row at a time.
pub(crate) fn driver(
    model: &Model,
    card: usize,
    slots: &[Slot],
    dims: [u32; 4],
    scored: &mut Vec<(usize, u128, u128)>,
) -> Option<usize> {
    let card = model.cards.get(card)?;
    let total_w: u128 = (0..4)
        .filter(|i| dims[*i] != NONE)
        .map(|i| u128::from(card.dim_weight[i]))
        .sum();
    // (model index, shortfall) of the best so far.
    let mut best: Option<(usize, u32)> = None;
    let mut offer = |m: usize, shortfall: u32| {
        if shortfall == 0 {
            return;
        }
        match best {
            Some((bm, bs)) if bs > shortfall || (bs == shortfall && bm < m) => {}
            _ => best = Some((m, shortfall)),
        }
    };
    for (i, &dim_score) in dims.iter().enumerate() {
        let wd = u128::from(card.dim_weight[i]);
        if dim_score == NONE || wd == 0 {
            continue;
        }
        scored.clear();
        scored.extend(card.ops.iter().filter(|op| op.dim == i).filter_map(|op| {
            let metric = model.metrics.get(op.metric)?;
            let slot = slots.get(op.metric)?;
            let s = metric_outcome(metric, *slot).score?;
            Some((op.metric, u128::from(op.weight), u128::from(s)))
        }));
        if card.worst_wins[i] {
            // The first metric (in scorecard order) at the minimum.
            let worst = scored
                .iter()
                .fold(None, |b: Option<&(usize, u128, u128)>, x| match b {
                    Some(b) if b.2 <= x.2 => Some(b),
                    _ => Some(x),
                });
            if let Some((m, _, _)) = worst {
                let lost = u128::from(Points::MAX.micros().saturating_sub(dim_score));
                offer(*m, clamp(div_round(wd * lost, total_w.max(1))));
            }
            continue;
        }
        let wsum: u128 = scored.iter().map(|x| x.1).sum();
        for &(m, w, s) in scored.iter() {
            let lost = u128::from(Points::MAX.micros()) - s;
            offer(m, clamp(div_round(wd * w * lost, (total_w * wsum).max(1))));
        }
    }
    best.map(|(m, _)| m)
}

fn clamp(micros: u128) -> u32 {
    u32::try_from(micros).map_or(Points::MAX.micros(), |m| m.min(Points::MAX.micros()))
}
