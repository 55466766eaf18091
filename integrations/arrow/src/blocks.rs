//! A record batch scored block by block, each thread its own run of rows:
//! the batch path scores a block, and the same thread turns its results
//! into Arrow's columns while they are in its cache.

use crate::cast::utf8;
use crate::filling::{Part, Tally};
use crate::input::{batch, null_rows, own, text, Options};
use crate::layout::Layout;
use crate::output::Results;
use crate::widen::Widen;
use crate::Error;
use arrow_array::RecordBatch;
use healthscore::batch::{Batch, BatchCtas, BatchScores, Scorer};
use healthscore::Dimension;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

/// Rows scored at a time: a multiple of 64 (the validity bits of the
/// blocks line up), small enough that a block's working columns (4 bytes
/// a value, about 450 KB) stay in a core's cache for their conversion.
///
/// It was 4,096. Each block restarts the kernel's reading of a dozen
/// input columns after the conversion has walked other memory, and on
/// the AVX-512 VM of 2026-12-03 blocks of 16,384 took the Arrow path over
/// the batch path on the same buffers from +15–18% to +5–8% at
/// 65,536-row calls, from +15–17% to +12–13% at 8,192 and from +8–10%
/// to +4–5% in one call of 1,000,000 rows (a probe alternating block
/// sizes in one process, 16 rounds, order rotated); 32,768 was no better.
/// Smaller blocks (1,024, 2,048) were worse on the AVX2 VM.
const BLOCK: usize = 16_384;

/// Reads the record batch's columns once, scores them into `results`
/// (`BLOCK` rows at a time; with a scorer of more than one thread, each
/// thread its own run of rows, [`Scorer::threads_for`] of them), and
/// returns the rows whose columns could not be read (a null MRR, a
/// negative employee count…) with why. `scores` holds each thread's
/// working columns, from call to call.
///
/// Each thread converts its own run's results, into its own part of the
/// result columns. Before, the threads scored each block together and
/// the calling thread converted it alone: one call over 1,000,000 rows
/// on two threads took 26.9 ms against the batch path's 19.5; now 22.6
/// against 19.3 (`cargo bench -p healthscore-arrow`, the `*_2_threads`
/// cases, 2-core AVX2 VM, 2026-12-02). One thread is unchanged (its one
/// run is scored on the calling thread, without the hand-out).
pub(crate) fn score_blocks(
    scorer: &Scorer<'_>,
    layout: &Layout,
    input: &RecordBatch,
    options: &Options,
    results: &mut Results,
    scores: &mut Vec<BatchScores>,
) -> Result<Vec<(usize, String)>, Error> {
    with_batch(scorer.model(), layout, input, options, |whole, problems| {
        if options.history {
            let mrr = crate::history::mrr_type(
                layout
                    .field(input, crate::layout::Convention::Mrr)
                    .map(|f| f.data_type()),
            );
            results.history = Some(crate::history::History::read(whole, &mrr));
        }
        score_read(scorer, whole, problems, options, results, scores)
    })
}

/// `input` as the batch path's [`Batch`] (its columns borrowed where the
/// types allow, converted where not), handed to `f` with the rows whose
/// columns could not be read (a null MRR, a negative employee count, a
/// date past chrono's years…) and why.
pub(crate) fn with_batch<R>(
    model: &healthscore::Model,
    layout: &Layout,
    input: &RecordBatch,
    options: &Options,
    f: impl FnOnce(&Batch<'_>, Vec<(usize, String)>) -> Result<R, Error>,
) -> Result<R, Error> {
    // Read from Utf8 text columns; the results keep the input's own `id`.
    // (A cast batch has the input's columns in the same places.)
    let as_utf8 = utf8(model, layout, input)?;
    let read = as_utf8.as_ref().unwrap_or(input);
    // Blank text cells as the nulls they stand for.
    let unblanked = crate::blank::as_nulls(model, read)?;
    let read = unblanked.as_ref().unwrap_or(read);
    let owned = own(model, layout, read)?;
    let text = text(layout, read)?;
    let (whole, mut problems) = batch(model, layout, read, &owned, &text, options)?;
    if as_utf8.is_some() {
        problems.extend(crate::cast::far_days(model, input));
    }
    let problems = read_problems(problems, layout, read, &owned, &text);
    f(&whole, problems)
}

/// [`score_blocks`] once the batch is read.
fn score_read(
    scorer: &Scorer<'_>,
    whole: &Batch<'_>,
    problems: Vec<(usize, String)>,
    options: &Options,
    results: &mut Results,
    scores: &mut Vec<BatchScores>,
) -> Result<Vec<(usize, String)>, Error> {
    let runs = runs(whole.len(), scorer.threads_for(whole.len()));
    if scores.len() < runs.len() {
        scores.resize_with(runs.len(), BatchScores::new);
    }
    let one = scorer.clone().threads(1);
    // Scores one thread's run into its share of the results: at least one
    // block, so that an empty batch's columns are checked too.
    let run = |share: &mut Share<'_>, scores: &mut BatchScores, rows: Range<usize>| {
        let mut start = rows.start;
        loop {
            let end = start.saturating_add(BLOCK).min(rows.end);
            // A block of the whole batch (a small call) is the batch
            // itself: slicing it copies every metric's column view.
            let sliced;
            let part = if start == 0 && end == whole.len() {
                whole
            } else {
                sliced = whole.rows(start..end);
                &sliced
            };
            one.score_into(part, scores)?;
            let ctas = match &options.rules {
                Some(rules) => Some(one.evaluate(rules, part)?),
                None => None,
            };
            share.push(scores, start);
            share.push_ctas(ctas, start);
            if end >= rows.end {
                return Ok::<(), Error>(());
            }
            start = end;
        }
    };
    // One run (one thread, or a batch too small to split): on this
    // thread, without the hand-out below.
    if let ([rows], Some(scores)) = (&runs[..], scores.first_mut()) {
        let mut share = Share::whole(results);
        let outcome = run(&mut share, scores, rows.clone());
        share.finish().add_to(results);
        outcome?;
        return Ok(problems);
    }
    let lengths: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    let threads = runs.len();
    let shares = Share::of(results, &lengths);
    // The runs, taken by the threads started and by this one until none
    // is left: a thread the system cannot start (a limit reached) is a
    // run this thread scores too, not an error.
    let work = Mutex::new(
        shares
            .into_iter()
            .zip(scores.iter_mut())
            .zip(runs)
            .enumerate()
            .collect::<Vec<_>>(),
    );
    let done = Mutex::new(Vec::with_capacity(threads));
    let take = || loop {
        let next = work.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let Some((i, ((mut share, scores), rows))) = next else {
            break;
        };
        let outcome = run(&mut share, scores, rows);
        let finished = share.finish();
        done.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((i, outcome, finished));
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new()
                .spawn_scoped(scope, take)
                .is_err()
            {
                break;
            }
        }
        take();
    });
    let mut done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    done.sort_by_key(|(i, ..)| *i);
    let mut first_error = None;
    for (_, outcome, finished) in done {
        if let (Err(e), None) = (outcome, &first_error) {
            first_error = Some(e);
        }
        finished.add_to(results);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(problems)
}

/// `problems` and the rows whose columns could not be read (a null MRR,
/// a negative employee count…), with why.
fn read_problems(
    mut problems: Vec<(usize, String)>,
    layout: &Layout,
    read: &RecordBatch,
    owned: &crate::input::Owned,
    text: &crate::input::Text<'_>,
) -> Vec<(usize, String)> {
    problems.extend(
        null_rows(layout, read)
            .into_iter()
            .map(|(row, column)| (row, format!("{column}: missing"))),
    );
    problems.extend(owned.problems.iter().cloned());
    problems.extend(text.problems.iter().cloned());
    problems
}

/// `rows` as `threads` runs, in order: all but the last a multiple of 64
/// rows (the validity words of each run start on a word), none empty but
/// the one run of an empty batch.
fn runs(rows: usize, threads: usize) -> Vec<Range<usize>> {
    let each = rows
        .div_ceil(threads.max(1))
        .div_ceil(64)
        .saturating_mul(64)
        .max(64);
    let mut runs: Vec<Range<usize>> = (0..threads.max(1))
        .map(|t| (t * each).min(rows)..((t + 1) * each).min(rows))
        .filter(|r| !r.is_empty())
        .collect();
    if runs.is_empty() {
        runs.push(0..0);
    }
    runs
}

/// One thread's share of the result columns, and what it found.
pub(crate) struct Share<'a> {
    score: Part<'a, i128>,
    band: Part<'a, u32>,
    coverage: Part<'a, i128>,
    segment: Part<'a, u32>,
    scorecard: Part<'a, u32>,
    dims: [Part<'a, i128>; 4],
    driver: Option<Part<'a, u32>>,
    widen: Widen,
    errors: Vec<(usize, String)>,
    ctas: Option<Vec<(usize, String, String)>>,
    /// A block's validity words (scratch).
    words: Vec<u64>,
}

/// What a share found, to be added to the results.
struct Finished {
    score: Tally,
    band: Tally,
    coverage: Tally,
    segment: Tally,
    scorecard: Tally,
    dims: [Tally; 4],
    driver: Option<Tally>,
    errors: Vec<(usize, String)>,
    ctas: Option<Vec<(usize, String, String)>>,
}

impl<'a> Share<'a> {
    /// All of the results as one share.
    fn whole(results: &'a mut Results) -> Share<'a> {
        let [a, b, c, d] = &mut results.dims;
        Share {
            score: results.score.whole(),
            band: results.band.whole(),
            coverage: results.coverage.whole(),
            segment: results.segment.whole(),
            scorecard: results.scorecard.whole(),
            dims: [a.whole(), b.whole(), c.whole(), d.whole()],
            driver: results.driver.as_mut().map(|d| d.whole()),
            widen: results.widen,
            errors: Vec::new(),
            ctas: results.ctas.is_some().then(Vec::new),
            words: Vec::new(),
        }
    }

    /// The results as shares of these lengths, in row order.
    fn of(results: &'a mut Results, lengths: &[usize]) -> Vec<Share<'a>> {
        let widen = results.widen;
        let with_ctas = results.ctas.is_some();
        let mut score = results.score.parts(lengths).into_iter();
        let mut band = results.band.parts(lengths).into_iter();
        let mut coverage = results.coverage.parts(lengths).into_iter();
        let mut segment = results.segment.parts(lengths).into_iter();
        let mut scorecard = results.scorecard.parts(lengths).into_iter();
        let [d0, d1, d2, d3] = &mut results.dims;
        let mut dims = [
            d0.parts(lengths),
            d1.parts(lengths),
            d2.parts(lengths),
            d3.parts(lengths),
        ]
        .map(Vec::into_iter);
        let mut driver = results
            .driver
            .as_mut()
            .map(|d| d.parts(lengths).into_iter());
        let mut shares = Vec::with_capacity(lengths.len());
        for _ in lengths {
            let parts = (
                score.next(),
                band.next(),
                coverage.next(),
                segment.next(),
                scorecard.next(),
            );
            let (Some(score), Some(band), Some(coverage), Some(segment), Some(scorecard)) = parts
            else {
                break;
            };
            let [a, b, c, d] = &mut dims;
            let (Some(a), Some(b), Some(c), Some(d)) = (a.next(), b.next(), c.next(), d.next())
            else {
                break;
            };
            shares.push(Share {
                score,
                band,
                coverage,
                segment,
                scorecard,
                dims: [a, b, c, d],
                driver: driver.as_mut().and_then(Iterator::next),
                widen,
                errors: Vec::new(),
                ctas: with_ctas.then(Vec::new),
                words: Vec::new(),
            });
        }
        shares
    }

    /// A block's scores, its row 0 being row `start` of the batch.
    fn push(&mut self, scores: &BatchScores, start: usize) {
        let (how, words) = (self.widen, &mut self.words);
        self.score.push_micros(scores.overall_micros(), how, words);
        self.band.push_bands(scores);
        self.coverage
            .push_micros(scores.coverage_micros(), how, words);
        self.segment.push_keys(scores.segments());
        self.scorecard.push_keys(scores.scorecards());
        for (column, d) in self.dims.iter_mut().zip(Dimension::ALL) {
            column.push_micros(scores.dimension_micros(d), how, words);
        }
        if let (Some(column), Some(drivers)) = (&mut self.driver, scores.drivers()) {
            column.push_keys(drivers);
        }
        self.errors.extend(
            scores
                .errors()
                .iter()
                .map(|e| (start + e.row, e.error.to_string())),
        );
    }

    /// A block's opened CTAs, most urgent first, as `"rule; rule"` and
    /// their kinds without repeats as `"risk; expansion"`.
    fn push_ctas(&mut self, ctas: Option<BatchCtas>, start: usize) {
        let (Some(out), Some(ctas)) = (&mut self.ctas, ctas) else {
            return;
        };
        for (row, eval) in ctas.rows {
            let (rules, kinds) = crate::records::cta_cells(&eval);
            if !rules.is_empty() {
                out.push((start + row, rules, kinds));
            }
        }
    }

    fn finish(self) -> Finished {
        Finished {
            score: self.score.finish(),
            band: self.band.finish(),
            coverage: self.coverage.finish(),
            segment: self.segment.finish(),
            scorecard: self.scorecard.finish(),
            dims: self.dims.map(Part::finish),
            driver: self.driver.map(Part::finish),
            errors: self.errors,
            ctas: self.ctas,
        }
    }
}

impl Finished {
    /// Adds what a share found to the results (shares in row order).
    fn add_to(self, results: &mut Results) {
        results.score.absorb(self.score);
        results.band.absorb(self.band);
        results.coverage.absorb(self.coverage);
        results.segment.absorb(self.segment);
        results.scorecard.absorb(self.scorecard);
        for (column, tally) in results.dims.iter_mut().zip(self.dims) {
            column.absorb(tally);
        }
        if let (Some(column), Some(tally)) = (&mut results.driver, self.driver) {
            column.absorb(tally);
        }
        results.errors.extend(self.errors);
        if let (Some(all), Some(ctas)) = (&mut results.ctas, self.ctas) {
            all.extend(ctas);
        }
    }
}
