//! A batch split across threads gives the one-thread results, row for
//! row: the pieces the threads take in turn cover every row once, in
//! order, whatever the thread count and however the rows divide.

#[path = "../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use healthscore::batch::{BatchScores, Scorer};
use v0m::{day, model};

/// v0m accounts with bad rows spread through them: a ratio above 1
/// (`weekly_active_ratio`), NaN (`exec_sponsor_meetings_90d`), a negative
/// MRR, at rows that fall in different pieces.
fn accounts(n: usize) -> v0m::Columns {
    let mut c = v0m::generate(n, 7);
    for row in (5..n).step_by(977) {
        if let Some(v) = c.values.get_mut(6).and_then(|m| m.get_mut(row)) {
            *v = 1.7;
        }
        if let Some(v) = c.valid.get_mut(6).and_then(|m| m.get_mut(row)) {
            *v = true;
        }
    }
    for row in (11..n).step_by(4_099) {
        if let Some(v) = c.values.get_mut(3).and_then(|m| m.get_mut(row)) {
            *v = f64::NAN;
        }
        if let Some(v) = c.valid.get_mut(3).and_then(|m| m.get_mut(row)) {
            *v = true;
        }
    }
    if let Some(m) = c.cents.last_mut() {
        *m = -100;
    }
    c
}

#[test]
fn every_thread_count_gives_the_one_thread_results() {
    let model = model();
    // Sizes around the boundaries: below one kernel chunk, one row past
    // a piece, below two threads' worth of rows (scored on one), one
    // row past it (two), and enough rows for many pieces a thread.
    for n in [255, 257, 1_025, 4_097, 16_383, 16_385, 40_000] {
        let c = accounts(n);
        let b = c.batch(day());
        for drivers in [false, true] {
            let one = Scorer::new(&model)
                .with_drivers(drivers)
                .score(&b)
                .expect("v0m columns fit");
            assert_eq!(one.len(), n);
            if n > 1_000 {
                assert!(
                    one.errors().len() >= 2,
                    "the bad rows are rejected: {:?}",
                    one.errors().len()
                );
            }
            assert!(one.rejected()[n - 1], "the negative MRR is rejected");
            for threads in [2, 3, 5, 16] {
                let scorer = Scorer::new(&model).threads(threads).with_drivers(drivers);
                let used = scorer.threads_for(n);
                let several = if n < 16_384 { used == 1 } else { used >= 2 };
                assert!(several && used <= threads, "{n} rows: {used} threads");
                let many = scorer.score(&b).expect("v0m columns fit");
                assert_eq!(many, one, "{n} rows, {threads} threads, drivers {drivers}");
                // Reused columns too (the path a stream of batches takes).
                let mut out = BatchScores::new();
                scorer.score_into(&b, &mut out).expect("fits");
                scorer.score_into(&b, &mut out).expect("fits");
                assert_eq!(out, one, "{n} rows, {threads} threads, reused");
            }
        }
    }
}

#[test]
fn errors_name_their_rows_in_order_across_pieces() {
    let model = model();
    let n = 40_000;
    let c = accounts(n);
    let b = c.batch(day());
    let out = Scorer::new(&model).threads(3).score(&b).expect("fits");
    let rows: Vec<usize> = out.errors().iter().map(|e| e.row).collect();
    let mut want: Vec<usize> = (5..n).step_by(977).chain((11..n).step_by(4_099)).collect();
    want.push(n - 1);
    want.sort_unstable();
    want.dedup();
    assert_eq!(rows, want);
    for e in out.errors() {
        assert!(out.rejected()[e.row]);
        assert_eq!(out.overall(e.row), None);
    }
    let rejected = out.rejected().iter().filter(|r| **r).count();
    assert_eq!(rejected, want.len(), "each rejected row has its error");
}
