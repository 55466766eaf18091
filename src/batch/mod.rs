//! Columnar batch scoring: whole portfolios as columns, exact, on every
//! core.
//!
//! A nightly job holds its accounts as columns (a warehouse export, an
//! Arrow record batch): ids, MRR, employees, and one column of values per
//! metric. [`Batch`] borrows those columns without copying; a [`Scorer`],
//! built once per model, validates and scores them in one pass into
//! [`BatchScores`], columns of exact scores, bands, coverage, segments and
//! scorecards in row order.
//!
//! * **The row API's answers, to the millionth.** Every output equals what
//!   [`Model::bind`](crate::Model::bind) and
//!   [`Account::score`](crate::Account::score) give for the same account
//!   (a property test checks it over random models and accounts, with
//!   staleness, every missing policy, worst-wins dimensions and
//!   hysteresis). [`Scorer::record`] explains any row with the row API
//!   itself.
//! * **Nothing dropped silently.** A row with a bad value (NaN, a ratio of
//!   1.7, a negative MRR, an unknown stage, a value dated after the as-of
//!   date…) is not scored; its [`RowError`] carries the row index and the
//!   row API's own [`AccountError`], and every other
//!   row is scored. Columns that do not fit the model (missing, unknown,
//!   twice, wrong length) are a [`BatchError`] naming each one.
//! * **Fast.** The kernel takes a chunk of 256 rows at a time and one
//!   metric column at a time, with no branch that depends on the data, in
//!   integers held exactly by `f64` (below 2⁵¹; see below), so the
//!   compiler vectorises it (2 lanes with the baseline x86-64 target).
//!   Where the CPU has AVX-512 or AVX2 (detected at run time,
//!   [`Scorer::instruction_set`]), the hottest loops are written out with
//!   their instructions, 8 or 4 lanes wide: a curve's piece is looked up
//!   in a table held in registers, and a scorecard's fields in registers
//!   (AVX-512, models of up to 16 scorecards) or read as one record per
//!   row (AVX2), not selected field by field or gathered from memory.
//!   [`Scorer::threads`] splits a batch across
//!   threads, which take its rows piece by piece as each finishes the
//!   last; results stay in row order.
//!
//! # How exactness is kept
//!
//! The row API works in integer millionths (`u64`/`u128`), rounding each
//! division half up. The kernel computes the same integers in `f64`:
//!
//! * When the scorer is built, weights are divided by their greatest
//!   common divisor per scorecard and dimension, and each curve piece's
//!   slope `dy/dx` by its own: ratios, and so every rounded quotient, are
//!   unchanged, and the operands shrink (a model whose weights are all 1
//!   sums scores up to 10⁸ each).
//! * It then checks that every sum, product and dividend the kernel can
//!   form stays below 2⁵¹. Integers that small are exact in `f64`, and so
//!   are their sums and products; the hardware rounds a quotient `a/b` to
//!   the nearest `f64`, whose floor is the exact floor (the true quotient
//!   is at least `1/b` below the next integer, more than half an ulp), so
//!   `round(a/b)` ties up is `⌊(2a + b) / 2b⌋`, exactly.
//! * Where a curve piece's divisor is small (at most 2²², as it is for
//!   breakpoints like 0.9 or 25 and scores in whole points), the AVX-512
//!   and AVX2 kernels score the piece in one step, `⌊(a·x + b + base·c)·u⌋` with
//!   `u` the `f64` just above `1/c`: the product is at least the true
//!   quotient, and below the next integer by more than the rounding can
//!   close (the proof is in the kernel's plan; a unit test checks it at
//!   every class of remainder 0 and `c − 1`). Other pieces take the
//!   two-step floor with a correction.
//! * A value `x` is read as the row API reads a JSON number:
//!   `round(x·10⁶)` ties away from zero, and its range check is done on
//!   `x·10⁶` against bounds moved by half a millionth (so a ratio of
//!   1.0000004 is 1 and accepted, 1.0000005 is refused, as in the row
//!   API).
//! * A model beyond those bounds (huge weights, curves spanning 10⁹ with
//!   steep slopes, more than 8 pieces) is scored row by row with the row
//!   API's own arithmetic over the same columns:
//!   [`Scorer::is_columnar`] says which.
//!
//! # Examples
//!
//! ```
//! use chrono::NaiveDate;
//! use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer, Validity};
//! use healthscore::{Band, Model};
//!
//! let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
//! let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
//! let ids = [101_i64, 102, 103];
//! let cents = [120_000_i64, 50_000, -5];
//! let employees = [80_u32, 12, 30];
//! let wau = [0.5, 0.9, 0.3];
//! let nps = [20.0, 60.0, 0.0];
//! let nps_known = [true, true, false];
//! let mut batch = Batch::new(Ids::Int(&ids), Mrr::Scaled64 { values: &cents, scale: 2 }, &employees, Dates::One(day))
//!     .metric("weekly_active", MetricColumn::new(&wau))
//!     .metric("nps", MetricColumn::new(&nps).validity(Validity::Bools(&nps_known)));
//! # let _ = &mut batch;
//! # for id in model.metric_ids().filter(|m| *m != "weekly_active" && *m != "nps") {
//! #     batch.push_metric(id, MetricColumn::new(&[0.0; 3]).validity(Validity::Bools(&[false; 3])));
//! # }
//! let scorer = Scorer::new(&model);
//! let scores = scorer.score(&batch)?;
//! assert_eq!(scores.overall(0).map(|p| p.to_string()).as_deref(), Some("61.25"));
//! assert_eq!(scores.band(0), Some(Band::Lime));
//! // Row 2 has a negative MRR: not scored, and said why.
//! assert_eq!(scores.errors()[0].to_string(), "row 2: account 103: mrr -0.05 is negative");
//! assert!(scores.band(2).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accounts;
mod bits;
mod columns;
mod general;
mod input;
mod kernel;
mod output;
mod plan;
mod rows;
mod shared_plan;
mod slice;
mod summary;

pub use accounts::RecordError;
pub use bits::validity_bits;
pub use columns::{Dates, Ids, MetricColumn, Mrr, RowId, Validity};
pub use input::{Batch, BatchError, ColumnProblem, RowError};
pub use output::{BatchScores, NONE};
pub use summary::{BatchCtas, BatchUseError};

use crate::model::Model;
use crate::slots::Slot;
use crate::AccountError;
use output::Out;
use rows::Bound;
pub(crate) use shared_plan::PlanCache;

/// The fewest rows of a batch for each thread [`Scorer::threads`] uses:
/// a batch of fewer than `2 × ROWS_PER_THREAD` rows is scored on the
/// calling thread alone. On the machine the benches run on (two vCPUs of
/// a shared host), a throwaway probe (1 and 2 threads on the same rows,
/// interleaved) found that starting a thread and waiting for it took 25–300 µs,
/// the time one thread takes for 600–7,500 rows: in four runs, a second
/// thread never paid off below 8,192 rows (2,048 rows once took twice as
/// long), and at 8,192 it lost (up to 65%) as often as it gained.
pub const ROWS_PER_THREAD: usize = 8_192;

/// A model compiled for batches: the kernel's tables, then any number of
/// batches scored. The tables (about 90 KB) are built by the first scorer
/// made for a model and kept in the model: another scorer for the same
/// model (one per request, one per record batch) and a clone share them,
/// and cost a few nanoseconds.
///
/// # Examples
///
/// See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Scorer<'m> {
    model: &'m Model,
    plan: Option<std::sync::Arc<plan::Plan>>,
    isa: kernel::Isa,
    threads: usize,
    drivers: bool,
    dimension_coverage: bool,
}

impl<'m> Scorer<'m> {
    /// A scorer for `model` (one thread, no drivers), building the
    /// model's batch tables if no scorer has yet.
    pub fn new(model: &'m Model) -> Self {
        Scorer {
            model,
            plan: model.batch_plan.get(model),
            isa: kernel::Isa::detect(),
            threads: 1,
            drivers: false,
            dimension_coverage: true,
        }
    }

    /// Splits each batch across up to this many threads (at least 1): the
    /// calling thread and std scoped threads started per call, one for
    /// each further 8,192 rows at most ([`ROWS_PER_THREAD`]), so that a
    /// small batch is not slowed down by starting threads. The rows are
    /// cut into about 16 pieces a thread (at least 1,024 rows each),
    /// which the threads take in turn, so that one slower core does not
    /// hold up the rest. Results are in row order, and identical, whatever
    /// the count.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Also finds, per banded row, the metric that pulls its score down
    /// most ([`BatchScores::drivers`]). It costs a second, row-at-a-time
    /// pass, so it is off by default.
    pub fn with_drivers(mut self, on: bool) -> Self {
        self.drivers = on;
        self
    }

    /// Whether to write each row's coverage per dimension
    /// ([`BatchScores::dimension_coverage`]); on by default. The scores,
    /// bands and overall coverage are the same either way (a dimension's
    /// coverage is still computed: the overall coverage is made of them);
    /// off, the four columns are not written, 16 bytes a row less to
    /// store, and `dimension_coverage` is `None` for every row. The Arrow
    /// integration, whose results have no such column, turns it off.
    ///
    /// ```
    /// # use healthscore::{batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer}, Dimension, Model};
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let mrr = Mrr::Scaled64 { values: &[120_000], scale: 2 };
    /// let mut batch = Batch::new(Ids::Int(&[1]), mrr, &[80], Dates::One(day));
    /// let values = [0.5];
    /// for id in model.metric_ids() {
    ///     batch.push_metric(id, MetricColumn::new(&values));
    /// }
    /// let with = Scorer::new(&model).score(&batch)?;
    /// let without = Scorer::new(&model).with_dimension_coverage(false).score(&batch)?;
    /// assert!(with.dimension_coverage(0, Dimension::Adoption).is_some());
    /// assert_eq!(without.dimension_coverage(0, Dimension::Adoption), None);
    /// assert_eq!(with.overall_micros(), without.overall_micros());
    /// assert_eq!(with.coverage_micros(), without.coverage_micros());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_dimension_coverage(mut self, on: bool) -> Self {
        self.dimension_coverage = on;
        self
    }

    /// Scores row by row with the row API's arithmetic even where the
    /// columnar kernel could (for tests that compare the two).
    #[doc(hidden)]
    pub fn row_at_a_time(mut self) -> Self {
        self.plan = None;
        self
    }

    /// Uses the kernel compiled for the crate's build target only, not the
    /// wider instruction sets detected at run time (for tests and
    /// benches that compare the two).
    #[doc(hidden)]
    pub fn baseline_isa(mut self) -> Self {
        self.isa = kernel::Isa::Baseline;
        self
    }

    /// Uses the AVX2 kernel where the CPU has AVX2, even if it has
    /// AVX-512 (for tests and benches that compare the kernels); else the
    /// build target's.
    #[doc(hidden)]
    pub fn avx2_isa(mut self) -> Self {
        self.isa = kernel::Isa::avx2();
        self
    }

    /// The number of threads a batch is split across ([`Scorer::threads`]).
    ///
    /// ```
    /// # use healthscore::{batch::Scorer, Model};
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// assert_eq!(Scorer::new(&model).thread_count(), 1);
    /// assert_eq!(Scorer::new(&model).threads(0).thread_count(), 1);
    /// assert_eq!(Scorer::new(&model).threads(4).thread_count(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// The number of threads a batch of `rows` rows is scored on: the
    /// [`thread_count`](Scorer::thread_count), but no more than one for
    /// each [`ROWS_PER_THREAD`] rows, and at least 1.
    ///
    /// ```
    /// # use healthscore::{batch::Scorer, Model};
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let scorer = Scorer::new(&model).threads(4);
    /// assert_eq!(scorer.threads_for(0), 1);
    /// assert_eq!(scorer.threads_for(16_383), 1); // starting a thread would cost more
    /// assert_eq!(scorer.threads_for(16_384), 2);
    /// assert_eq!(scorer.threads_for(1_000_000), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn threads_for(&self, rows: usize) -> usize {
        self.threads.min(rows / ROWS_PER_THREAD).max(1)
    }

    /// The instruction set the columnar kernel runs with here: `"avx512"`,
    /// `"avx2"` or `"baseline"` (the build target's), the widest the CPU
    /// has. Every kernel gives the same results, bit for bit.
    ///
    /// ```
    /// # use healthscore::{batch::Scorer, Model};
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let isa = Scorer::new(&model).instruction_set();
    /// assert!(["avx512", "avx2", "baseline"].contains(&isa));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instruction_set(&self) -> &'static str {
        match self.isa {
            kernel::Isa::Avx512 => "avx512",
            kernel::Isa::Avx2 => "avx2",
            kernel::Isa::Baseline => "baseline",
        }
    }

    /// True when the columnar kernel scores this model; false when its
    /// numbers are too large for it and rows are scored one at a time.
    pub fn is_columnar(&self) -> bool {
        self.plan.is_some()
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Validates and scores a batch.
    ///
    /// # Errors
    ///
    /// [`BatchError`] when the columns do not fit the model. A row whose
    /// data is bad is not an error of the batch: it is reported in
    /// [`BatchScores::errors`] and the other rows are scored.
    pub fn score(&self, batch: &Batch<'_>) -> Result<BatchScores, BatchError> {
        let mut out = BatchScores::new();
        self.score_into(batch, &mut out)?;
        Ok(out)
    }

    /// Scores a batch into columns the caller owns, resizing them to the
    /// batch (their allocations are reused).
    ///
    /// The columnar kernel's working memory (about 100 KB) is kept by
    /// each thread that has scored, for its next call: a service scoring
    /// on a pool of 64 threads holds about 6 MB of it.
    ///
    /// # Errors
    ///
    /// As [`score`](Self::score); `out` is left empty then.
    pub fn score_into(&self, batch: &Batch<'_>, out: &mut BatchScores) -> Result<(), BatchError> {
        let bound = match Bound::new(self.model, batch) {
            Ok(bound) => bound,
            Err(e) => {
                out.reset(0, false, false);
                return Err(e);
            }
        };
        let rows = batch.len();
        out.reset(rows, self.drivers, self.dimension_coverage);
        // (Kept when it is already this model's: a stream of small calls
        // otherwise copies its name and version, two allocations, per call.)
        if out.model.as_ref() != Some(self.model.fingerprint()) {
            out.model = Some(self.model.fingerprint().clone());
        }
        let threads = self.threads_for(rows);
        let all = out.out();
        if threads == 1 {
            self.range(batch, &bound, 0, rows, all);
        } else {
            self.share(batch, &bound, threads, all);
        }
        // Rejected rows: the row API's own error for each, in row order
        // (found 64 rows at a time: most batches have none).
        let model = self.model;
        out.errors = out
            .rejected()
            .chunks(64)
            .enumerate()
            // An OR over the 64 flags, not `any`: without the early exit
            // the compiler vectorises it (the byte-at-a-time scan was 1.4%
            // of the Arrow path's profile).
            .filter(|(_, c)| c.iter().fold(0u8, |a, r| a | u8::from(*r)) != 0)
            .flat_map(|(k, c)| {
                c.iter()
                    .enumerate()
                    .filter(|(_, r)| **r)
                    .map(move |(i, _)| k * 64 + i)
            })
            .map(|row| {
                let data = rows::account_data(model, batch, &bound, row);
                let mut error = match model.bind(data) {
                    Err(error) => error,
                    // Unreachable by the equivalence of the checks; kept
                    // as an error rather than a panic.
                    Ok(account) => AccountError {
                        account: account.data.id.clone(),
                        problems: Vec::new(),
                    },
                };
                // Values no `Decimal` or date holds, as the column gives
                // them, in place of what their stand-ins caused.
                let far = rows::far_values(model, batch, &bound, row);
                if !far.is_empty() {
                    error.problems.retain(|p| !rows::hidden_by(p, &far));
                    error.problems.splice(0..0, far);
                }
                RowError { row, error }
            })
            .collect();
        Ok(())
    }

    /// Scores all of `out`'s rows on `threads` threads, the calling one
    /// among them. The rows are cut into pieces that the threads take in
    /// turn as they finish the last, not into one share per thread: a
    /// thread whose core is slower (another process on it, a lower clock)
    /// takes fewer pieces instead of leaving the others waiting.
    fn share(&self, batch: &Batch<'_>, bound: &Bound<'_>, threads: usize, mut all: Out<'_>) {
        let rows = all.len();
        // About 16 pieces a thread, whole kernel chunks, at least 4 each.
        let piece = rows
            .div_ceil(threads.saturating_mul(16))
            .div_ceil(kernel::CHUNK)
            .max(4)
            .saturating_mul(kernel::CHUNK);
        let mut pieces = Vec::with_capacity(rows.div_ceil(piece));
        let mut start = 0;
        while start < rows {
            let n = piece.min(rows - start);
            pieces.push((start, all.split_off_front(n)));
            start += n;
        }
        // No more threads than pieces (a small batch on many threads).
        let threads = threads.min(pieces.len());
        let queue = std::sync::Mutex::new(pieces.into_iter());
        let work = || loop {
            // A poisoned lock (a thread panicked) still hands out the
            // rest; the scope then passes the panic on.
            let next = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            let Some((start, part)) = next else { break };
            self.range(batch, bound, start, part.len(), part);
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                // A thread the system cannot start (a limit reached) is
                // one fewer taking pieces, not an error: the caller and
                // those started score every row.
                if std::thread::Builder::new()
                    .spawn_scoped(scope, work)
                    .is_err()
                {
                    break;
                }
            }
            work();
        });
    }

    /// Scores rows `start .. start + n` into `out`.
    fn range(
        &self,
        batch: &Batch<'_>,
        bound: &Bound<'_>,
        start: usize,
        n: usize,
        mut out: Out<'_>,
    ) {
        let mut scratch = self.plan.as_ref().map(|_| kernel::Scratch::take());
        let mut slots = vec![Slot::EMPTY; self.model.metrics.len()];
        let mut scored = Vec::new();
        let mut done = 0;
        while done < n {
            let len = kernel::CHUNK.min(n - done);
            let mut part = out.split_off_front(len);
            match (&self.plan, scratch.as_deref_mut()) {
                (Some(plan), Some(s)) => kernel::chunk(
                    self.isa,
                    self.model,
                    plan,
                    batch,
                    bound,
                    start + done,
                    len,
                    s,
                    &mut part,
                ),
                _ => general::chunk(
                    self.model,
                    batch,
                    bound,
                    start + done,
                    len,
                    &mut slots,
                    &mut part,
                ),
            }
            if let Some(drivers) = part.drivers.as_deref_mut() {
                for r in 0..len {
                    let row = start + done + r;
                    let card = part.scorecard.get(r).copied().unwrap_or(output::NONE);
                    if part.band.get(r).copied().flatten().is_none() || card == output::NONE {
                        continue;
                    }
                    if general::slots(self.model, batch, bound, row, &mut slots).is_some() {
                        // The row's dimension scores as just written.
                        let dims = part
                            .dims
                            .each_ref()
                            .map(|d| d.get(r).copied().unwrap_or(output::NONE));
                        if let (Some(m), Some(d)) = (
                            general::driver(self.model, card as usize, &slots, dims, &mut scored),
                            drivers.get_mut(r),
                        ) {
                            *d = m as u32;
                        }
                    }
                }
            }
            done += len;
        }
        if let Some(s) = scratch {
            kernel::Scratch::give_back(s);
        }
    }
}
