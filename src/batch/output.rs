//! A batch's scores, as columns.

use super::input::RowError;
use crate::band::Band;
use crate::dimension::Dimension;
use crate::points::{Points, Share};

/// Marks "no value" in the `u32` micros columns.
pub const NONE: u32 = u32::MAX;

/// The scores of a batch, one entry per row in every column, in row
/// order.
///
/// Scores and coverages are exact millionths (`u32`; [`NONE`] where
/// there is no score); the typed accessors give [`Points`] and [`Share`].
/// A row that could not be scored has no score, no band, no segment and
/// its [`RowError`] in [`errors`](Self::errors).
///
/// The columns are the caller's: [`Scorer::score_into`](super::Scorer::score_into)
/// reuses them for the next batch without allocating again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchScores {
    pub(crate) overall: Vec<u32>,
    pub(crate) band: Vec<Option<Band>>,
    pub(crate) coverage: Vec<u32>,
    pub(crate) segment: Vec<u32>,
    pub(crate) scorecard: Vec<u32>,
    pub(crate) dims: [Vec<u32>; 4],
    pub(crate) dim_coverage: [Vec<u32>; 4],
    pub(crate) stale: Vec<u16>,
    pub(crate) rejected: Vec<bool>,
    pub(crate) errors: Vec<RowError>,
    pub(crate) drivers: Option<Vec<u32>>,
    /// The model that scored them.
    pub(crate) model: Option<crate::model::Fingerprint>,
}

/// `column` resized to `rows`, new rows `fill`; growing past its
/// capacity, allocated anew with every row zero (`fill` or not: every
/// field is written when the rows are scored). A large zeroed allocation
/// comes from the system as untouched pages, which the threads scoring
/// the rows then touch first, in parallel, instead of this thread
/// filling (and faulting in) every column before they start: a first
/// call over 1,000,000 rows on two threads took 34–40 ns a row instead of
/// 59–86 (`cargo run --release --example batch`, six runs of each on
/// 2026-12-02). The drivers column is still filled first: a row without
/// a driver is not written.
fn sized<T: Clone + Default>(column: &mut Vec<T>, rows: usize, fill: T) {
    if rows > column.capacity() {
        *column = vec![T::default(); rows];
    } else {
        column.resize(rows, fill);
    }
}

impl BatchScores {
    /// Empty columns, to be filled by [`Scorer::score_into`](super::Scorer::score_into).
    pub fn new() -> Self {
        BatchScores::default()
    }

    /// Resizes every column to `rows` and clears the errors. Rows kept
    /// from the last batch keep their old values: the scoring passes write
    /// every field of every row (a kernel test checks it), so refilling a
    /// million-row batch's 52 bytes a row first would be a wasted pass
    /// (and a serial one, before the threads start).
    pub(crate) fn reset(&mut self, rows: usize, drivers: bool) {
        let fill = |v: &mut Vec<u32>| sized(v, rows, NONE);
        fill(&mut self.overall);
        fill(&mut self.coverage);
        fill(&mut self.segment);
        fill(&mut self.scorecard);
        self.dims.iter_mut().for_each(fill);
        self.dim_coverage.iter_mut().for_each(fill);
        self.band.resize(rows, None);
        sized(&mut self.stale, rows, 0);
        sized(&mut self.rejected, rows, false);
        self.errors.clear();
        if drivers {
            // Drivers are written only where a row has one: NONE first.
            let v = self.drivers.get_or_insert_with(Vec::new);
            v.clear();
            v.resize(rows, NONE);
        } else {
            self.drivers = None;
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.overall.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.overall.is_empty()
    }

    /// A row's overall score; `None` without one (no measured data, or a
    /// rejected row).
    pub fn overall(&self, row: usize) -> Option<Points> {
        self.overall.get(row).and_then(|m| Points::from_micros(*m))
    }

    /// Every row's overall score in millionths, [`NONE`] without one.
    pub fn overall_micros(&self) -> &[u32] {
        &self.overall
    }

    /// Every row's band; `None`: insufficient data, or a rejected row.
    pub fn bands(&self) -> &[Option<Band>] {
        &self.band
    }

    /// A row's band.
    pub fn band(&self, row: usize) -> Option<Band> {
        self.band.get(row).copied().flatten()
    }

    /// A row's coverage.
    pub fn coverage(&self, row: usize) -> Option<Share> {
        self.coverage.get(row).and_then(|m| Share::from_micros(*m))
    }

    /// Every row's coverage in millionths ([`NONE`] for a rejected row).
    pub fn coverage_micros(&self) -> &[u32] {
        &self.coverage
    }

    /// A row's score in one dimension.
    pub fn dimension(&self, row: usize, d: Dimension) -> Option<Points> {
        self.dims[d.index()]
            .get(row)
            .and_then(|m| Points::from_micros(*m))
    }

    /// Every row's score in one dimension, in millionths.
    pub fn dimension_micros(&self, d: Dimension) -> &[u32] {
        &self.dims[d.index()]
    }

    /// A row's coverage in one dimension.
    pub fn dimension_coverage(&self, row: usize, d: Dimension) -> Option<Share> {
        self.dim_coverage[d.index()]
            .get(row)
            .and_then(|m| Share::from_micros(*m))
    }

    /// Every row's segment index ([`NONE`] for a rejected row); the
    /// model's [`segment`](crate::Model::segment_at) names it.
    pub fn segments(&self) -> &[u32] {
        &self.segment
    }

    /// Every row's scorecard index ([`NONE`] for a rejected row); the
    /// model's [`scorecard_id`](crate::Model::scorecard_id) names it.
    pub fn scorecards(&self) -> &[u32] {
        &self.scorecard
    }

    /// How many of a row's values were too old to use.
    pub fn stale(&self) -> &[u16] {
        &self.stale
    }

    /// Whether each row was rejected (its error is in [`errors`](Self::errors)).
    pub fn rejected(&self) -> &[bool] {
        &self.rejected
    }

    /// The rejected rows, in row order, each with the row API's error.
    pub fn errors(&self) -> &[RowError] {
        &self.errors
    }

    /// Per row, the index (in model order) of the metric that pulls the
    /// score down most, as [`Explanation::pulls_down_most`](crate::score::Explanation::pulls_down_most)
    /// finds it for a banded account; [`NONE`] otherwise. Present when
    /// asked for ([`Scorer::with_drivers`](super::Scorer::with_drivers)).
    pub fn drivers(&self) -> Option<&[u32]> {
        self.drivers.as_deref()
    }

    /// All rows, to be split among threads.
    pub(crate) fn out(&mut self) -> Out<'_> {
        Out {
            overall: &mut self.overall,
            band: &mut self.band,
            coverage: &mut self.coverage,
            segment: &mut self.segment,
            scorecard: &mut self.scorecard,
            dims: {
                let [a, b, c, d] = &mut self.dims;
                [a, b, c, d]
            },
            dim_coverage: {
                let [a, b, c, d] = &mut self.dim_coverage;
                [a, b, c, d]
            },
            stale: &mut self.stale,
            rejected: &mut self.rejected,
            drivers: self.drivers.as_deref_mut(),
        }
    }
}

/// A row range of the output columns, row 0 first.
pub(crate) struct Out<'a> {
    pub(crate) overall: &'a mut [u32],
    pub(crate) band: &'a mut [Option<Band>],
    pub(crate) coverage: &'a mut [u32],
    pub(crate) segment: &'a mut [u32],
    pub(crate) scorecard: &'a mut [u32],
    pub(crate) dims: [&'a mut [u32]; 4],
    pub(crate) dim_coverage: [&'a mut [u32]; 4],
    pub(crate) stale: &'a mut [u16],
    pub(crate) rejected: &'a mut [bool],
    pub(crate) drivers: Option<&'a mut [u32]>,
}

fn take<'a, T>(s: &mut &'a mut [T], at: usize) -> &'a mut [T] {
    let all = std::mem::take(s);
    let at = at.min(all.len());
    let (head, tail) = all.split_at_mut(at);
    *s = tail;
    head
}

impl<'a> Out<'a> {
    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.overall.len()
    }

    /// The first `at` rows; `self` keeps the rest.
    pub(crate) fn split_off_front(&mut self, at: usize) -> Out<'a> {
        Out {
            overall: take(&mut self.overall, at),
            band: take(&mut self.band, at),
            coverage: take(&mut self.coverage, at),
            segment: take(&mut self.segment, at),
            scorecard: take(&mut self.scorecard, at),
            dims: self.dims.each_mut().map(|d| take(d, at)),
            dim_coverage: self.dim_coverage.each_mut().map(|d| take(d, at)),
            stale: take(&mut self.stale, at),
            rejected: take(&mut self.rejected, at),
            drivers: self.drivers.as_mut().map(|d| take(d, at)),
        }
    }

    #[inline]
    pub(crate) fn set_segment(&mut self, r: usize, segment: u32, card: u32) {
        if let (Some(s), Some(c)) = (self.segment.get_mut(r), self.scorecard.get_mut(r)) {
            (*s, *c) = (segment, card);
        }
    }

    /// Marks a row rejected: no score, band or segment.
    pub(crate) fn reject(&mut self, r: usize) {
        if let Some(x) = self.rejected.get_mut(r) {
            *x = true;
        }
        for col in [
            &mut self.overall,
            &mut self.coverage,
            &mut self.segment,
            &mut self.scorecard,
        ] {
            if let Some(x) = col.get_mut(r) {
                *x = NONE;
            }
        }
        for col in self.dims.iter_mut().chain(self.dim_coverage.iter_mut()) {
            if let Some(x) = col.get_mut(r) {
                *x = NONE;
            }
        }
        if let Some(x) = self.band.get_mut(r) {
            *x = None;
        }
        if let Some(x) = self.stale.get_mut(r) {
            *x = 0;
        }
    }

    /// Writes a scored row.
    #[inline]
    pub(crate) fn put(&mut self, r: usize, row: &RowScore) {
        if let Some(x) = self.rejected.get_mut(r) {
            *x = false;
        }
        if let Some(x) = self.overall.get_mut(r) {
            *x = row.overall;
        }
        if let Some(x) = self.band.get_mut(r) {
            *x = row.band;
        }
        if let Some(x) = self.coverage.get_mut(r) {
            *x = row.coverage;
        }
        for d in 0..4 {
            if let Some(x) = self.dims[d].get_mut(r) {
                *x = row.dims[d];
            }
            if let Some(x) = self.dim_coverage[d].get_mut(r) {
                *x = row.dim_coverage[d];
            }
        }
        if let Some(x) = self.stale.get_mut(r) {
            *x = row.stale;
        }
    }
}

/// One row's results.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RowScore {
    pub(crate) overall: u32,
    pub(crate) band: Option<Band>,
    pub(crate) coverage: u32,
    pub(crate) dims: [u32; 4],
    pub(crate) dim_coverage: [u32; 4],
    pub(crate) stale: u16,
}
