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
/// reuses them for the next batch without allocating again. They keep the
/// memory of the largest batch scored into them (52 bytes a row, 56 with
/// drivers) until the `BatchScores` is dropped: a service that scores one
/// very large batch among small ones and wants the memory back makes a
/// new `BatchScores` for it.
#[derive(Default)]
pub struct BatchScores {
    /// Rows of the batch scored last: the first `rows` entries of every
    /// column. A column may be longer: the rows of a larger batch scored
    /// before stay allocated and written, so that scoring a large batch
    /// after a small one fills nothing first (see [`BatchScores::reset`]).
    pub(crate) rows: usize,
    pub(crate) overall: Vec<u32>,
    pub(crate) band: Vec<Option<Band>>,
    pub(crate) coverage: Vec<u32>,
    pub(crate) segment: Vec<u32>,
    pub(crate) scorecard: Vec<u32>,
    pub(crate) dims: [Vec<u32>; 4],
    pub(crate) dim_coverage: [Vec<u32>; 4],
    /// Whether the batch scored last wrote `dim_coverage`
    /// ([`Scorer::with_dimension_coverage`](super::Scorer::with_dimension_coverage)).
    pub(crate) dim_coverage_on: bool,
    pub(crate) stale: Vec<u16>,
    pub(crate) rejected: Vec<bool>,
    pub(crate) errors: Vec<RowError>,
    pub(crate) drivers: Option<Vec<u32>>,
    /// The model that scored them.
    pub(crate) model: Option<crate::model::Fingerprint>,
}

/// `column` made at least `rows` long (never shorter: see
/// [`BatchScores::reset`]), new rows `fill`; growing past its capacity,
/// allocated anew with every row zero (`fill` or not: every field is
/// written when the rows are scored). A large zeroed allocation
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
    } else if rows > column.len() {
        column.resize(rows, fill);
    }
}

/// The first `rows` entries of `column` (all of it when shorter, which
/// [`BatchScores::reset`] rules out).
fn upto<T>(column: &[T], rows: usize) -> &[T] {
    column.get(..rows).unwrap_or(column)
}

/// [`upto`], mutable.
fn upto_mut<T>(column: &mut [T], rows: usize) -> &mut [T] {
    let rows = rows.min(column.len());
    column.split_at_mut(rows).0
}

impl BatchScores {
    /// Empty columns, to be filled by [`Scorer::score_into`](super::Scorer::score_into).
    pub fn new() -> Self {
        BatchScores::default()
    }

    /// Makes room for `rows` rows and clears the errors. Rows kept from
    /// the last batch keep their old values: the scoring passes write
    /// every field of every row (a kernel test checks it), so refilling a
    /// million-row batch's 52 bytes a row first would be a wasted pass
    /// (and a serial one, before the threads start). For the same reason
    /// a smaller batch does not shorten the columns, only `rows`: when
    /// they were resized to each batch, a 1,000,000-row batch scored
    /// after a 1,024-row one first filled the 998,976 rows it had
    /// dropped (`cargo bench --bench reuse`, one thread, 2-core AVX2 VM,
    /// 2026-12-02, two runs each: 38.3–38.8 ms after 1,024 rows against
    /// 35.4–35.6 after 1,000,000 before the change; 34.9–35.1 against
    /// 34.8–35.1 after it).
    pub(crate) fn reset(&mut self, rows: usize, drivers: bool, dim_coverage: bool) {
        let fill = |v: &mut Vec<u32>| sized(v, rows, NONE);
        fill(&mut self.overall);
        fill(&mut self.coverage);
        fill(&mut self.segment);
        fill(&mut self.scorecard);
        self.dims.iter_mut().for_each(fill);
        // Not asked for: not written (the kernels write no row of an
        // empty column), and their memory kept for a batch that asks.
        if dim_coverage {
            self.dim_coverage.iter_mut().for_each(fill);
        }
        self.dim_coverage_on = dim_coverage;
        sized(&mut self.band, rows, None);
        sized(&mut self.stale, rows, 0);
        sized(&mut self.rejected, rows, false);
        self.errors.clear();
        if drivers {
            // Drivers are written only where a row has one: NONE first.
            let v = self.drivers.get_or_insert_with(Vec::new);
            sized(v, rows, NONE);
            upto_mut(v, rows).fill(NONE);
        } else {
            self.drivers = None;
        }
        self.rows = rows;
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// A row's overall score; `None` without one (no measured data, or a
    /// rejected row).
    pub fn overall(&self, row: usize) -> Option<Points> {
        upto(&self.overall, self.rows)
            .get(row)
            .and_then(|m| Points::from_micros(*m))
    }

    /// Every row's overall score in millionths, [`NONE`] without one.
    pub fn overall_micros(&self) -> &[u32] {
        upto(&self.overall, self.rows)
    }

    /// Every row's band; `None`: insufficient data, or a rejected row.
    pub fn bands(&self) -> &[Option<Band>] {
        upto(&self.band, self.rows)
    }

    /// A row's band.
    pub fn band(&self, row: usize) -> Option<Band> {
        self.bands().get(row).copied().flatten()
    }

    /// A row's coverage.
    pub fn coverage(&self, row: usize) -> Option<Share> {
        self.coverage_micros()
            .get(row)
            .and_then(|m| Share::from_micros(*m))
    }

    /// Every row's coverage in millionths ([`NONE`] for a rejected row).
    pub fn coverage_micros(&self) -> &[u32] {
        upto(&self.coverage, self.rows)
    }

    /// A row's score in one dimension.
    pub fn dimension(&self, row: usize, d: Dimension) -> Option<Points> {
        self.dimension_micros(d)
            .get(row)
            .and_then(|m| Points::from_micros(*m))
    }

    /// Every row's score in one dimension, in millionths.
    pub fn dimension_micros(&self, d: Dimension) -> &[u32] {
        upto(&self.dims[d.index()], self.rows)
    }

    /// A row's coverage in one dimension; `None` for a rejected row, and
    /// for every row when the scorer was asked not to write them
    /// ([`Scorer::with_dimension_coverage`](super::Scorer::with_dimension_coverage)).
    pub fn dimension_coverage(&self, row: usize, d: Dimension) -> Option<Share> {
        self.dimension_coverages(d)
            .get(row)
            .and_then(|m| Share::from_micros(*m))
    }

    /// Every row's coverage in one dimension, in millionths, when written
    /// (empty when not).
    fn dimension_coverages(&self, d: Dimension) -> &[u32] {
        match (self.dim_coverage_on, self.dim_coverage.get(d.index())) {
            (true, Some(c)) => upto(c, self.rows),
            _ => &[],
        }
    }

    /// Every row's segment index ([`NONE`] for a rejected row); the
    /// model's [`segment`](crate::Model::segment_at) names it.
    pub fn segments(&self) -> &[u32] {
        upto(&self.segment, self.rows)
    }

    /// Every row's scorecard index ([`NONE`] for a rejected row); the
    /// model's [`scorecard_id`](crate::Model::scorecard_id) names it.
    pub fn scorecards(&self) -> &[u32] {
        upto(&self.scorecard, self.rows)
    }

    /// How many of a row's values were too old to use.
    pub fn stale(&self) -> &[u16] {
        upto(&self.stale, self.rows)
    }

    /// Whether each row was rejected (its error is in [`errors`](Self::errors)).
    pub fn rejected(&self) -> &[bool] {
        upto(&self.rejected, self.rows)
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
        self.drivers.as_deref().map(|d| upto(d, self.rows))
    }

    /// All rows, to be split among threads.
    pub(crate) fn out(&mut self) -> Out<'_> {
        let rows = self.rows;
        Out {
            overall: upto_mut(&mut self.overall, rows),
            band: upto_mut(&mut self.band, rows),
            coverage: upto_mut(&mut self.coverage, rows),
            segment: upto_mut(&mut self.segment, rows),
            scorecard: upto_mut(&mut self.scorecard, rows),
            dims: self.dims.each_mut().map(|d| upto_mut(d, rows)),
            dim_coverage: self.dim_coverage.each_mut().map(|d| {
                if self.dim_coverage_on {
                    upto_mut(d, rows)
                } else {
                    &mut []
                }
            }),
            stale: upto_mut(&mut self.stale, rows),
            rejected: upto_mut(&mut self.rejected, rows),
            drivers: self.drivers.as_deref_mut().map(|d| upto_mut(d, rows)),
        }
    }
}

/// A copy of the rows scored last only (not of rows an earlier, larger
/// batch left past them).
impl Clone for BatchScores {
    fn clone(&self) -> Self {
        let rows = self.rows;
        let copy = |c: &Vec<u32>| upto(c, rows).to_vec();
        BatchScores {
            rows,
            overall: copy(&self.overall),
            band: self.bands().to_vec(),
            coverage: copy(&self.coverage),
            segment: copy(&self.segment),
            scorecard: copy(&self.scorecard),
            dims: self.dims.each_ref().map(copy),
            dim_coverage: Dimension::ALL.map(|d| self.dimension_coverages(d).to_vec()),
            dim_coverage_on: self.dim_coverage_on,
            stale: self.stale().to_vec(),
            rejected: self.rejected().to_vec(),
            errors: self.errors.clone(),
            drivers: self.drivers().map(<[u32]>::to_vec),
            model: self.model.clone(),
        }
    }
}

/// Equal when the rows scored last are: what a longer column keeps past
/// them (rows of an earlier, larger batch) is not compared.
impl PartialEq for BatchScores {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
            && self.overall_micros() == other.overall_micros()
            && self.bands() == other.bands()
            && self.coverage_micros() == other.coverage_micros()
            && self.segments() == other.segments()
            && self.scorecards() == other.scorecards()
            && Dimension::ALL.iter().all(|d| {
                self.dimension_micros(*d) == other.dimension_micros(*d)
                    && self.dimension_coverages(*d) == other.dimension_coverages(*d)
            })
            && self.dim_coverage_on == other.dim_coverage_on
            && self.stale() == other.stale()
            && self.rejected() == other.rejected()
            && self.errors == other.errors
            && self.drivers() == other.drivers()
            && self.model == other.model
    }
}

/// The rows scored last, as [`PartialEq`] compares them.
impl std::fmt::Debug for BatchScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims: Vec<&[u32]> = Dimension::ALL
            .iter()
            .map(|d| self.dimension_micros(*d))
            .collect();
        let dim_coverage: Vec<&[u32]> = Dimension::ALL
            .iter()
            .map(|d| self.dimension_coverages(*d))
            .collect();
        f.debug_struct("BatchScores")
            .field("rows", &self.rows)
            .field("overall", &self.overall_micros())
            .field("band", &self.bands())
            .field("coverage", &self.coverage_micros())
            .field("segment", &self.segments())
            .field("scorecard", &self.scorecards())
            .field("dims", &dims)
            .field("dim_coverage", &dim_coverage)
            .field("stale", &self.stale())
            .field("rejected", &self.rejected())
            .field("errors", &self.errors)
            .field("drivers", &self.drivers())
            .field("model", &self.model)
            .finish()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A shorter batch keeps the longer one's rows allocated (no refill
    /// when it comes back) but shows, compares and copies its own only.
    #[test]
    fn a_shorter_batch_keeps_the_memory_but_not_the_rows() {
        let mut scores = BatchScores::new();
        scores.reset(10, true, true);
        scores.overall.iter_mut().for_each(|o| *o = 7);
        scores.reset(3, true, true);
        assert_eq!(scores.len(), 3);
        assert_eq!(scores.overall.len(), 10);
        assert_eq!(scores.overall_micros(), [7, 7, 7]);
        assert_eq!(scores.drivers(), Some(&[NONE; 3][..]));
        assert_eq!(scores.out().len(), 3);
        let copy = scores.clone();
        assert_eq!(copy.overall.len(), 3);
        assert_eq!(copy.dims.each_ref().map(Vec::len), [3; 4]);
        assert_eq!(copy, scores);
        // The same three rows; past them, 0 where `scores` keeps 7.
        let mut other = copy.clone();
        other.reset(10, true, true);
        other.overall.iter_mut().take(3).for_each(|o| *o = 7);
        other.reset(3, true, true);
        assert_ne!(other.overall, scores.overall);
        assert_eq!(other, scores, "rows 3.. differ and are not compared");
    }
}
