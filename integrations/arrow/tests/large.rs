//! A record batch large enough that its Decimal128 results are written
//! with non-temporal stores (past 131,072 rows on a CPU with AVX-512)
//! scores as the batch path does, and as the same rows in slices small
//! enough for plain stores.

#[path = "support/results.rs"]
mod results;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::Array;
use healthscore::batch::Scorer;
use healthscore_arrow::{score_batch_into, Options, ScoreBuffers};
use results::{micros_column as micros, MICROS};
use v0m::model;

#[test]
fn a_batch_past_the_cache_scores_as_its_slices_and_the_batch_path() {
    let model = model();
    let rows = 140_001;
    let mut c = v0m::generate(rows, 11);
    // Rejected rows near both ends and in the middle: their results null.
    for row in [0, 70_000, rows - 1] {
        c.values[6][row] = 1.7;
        c.valid[6][row] = true;
    }
    let rb = v0m_arrow::record_batch(&c, Vec::new());
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: false,
        ..Default::default()
    };
    let expected = Scorer::new(&model)
        .score(&c.batch(options.as_of.unwrap()))
        .unwrap();
    for threads in [1, 2] {
        let scorer = Scorer::new(&model).threads(threads);
        let mut buffers = ScoreBuffers::new();
        let whole = score_batch_into(&scorer, &rb, &options, &mut buffers).unwrap();
        assert_eq!(micros(&whole, "score"), expected.overall_micros());
        assert_eq!(micros(&whole, "coverage"), expected.coverage_micros());
        for (name, d) in MICROS[2..].iter().zip(healthscore::Dimension::ALL) {
            assert_eq!(micros(&whole, name), expected.dimension_micros(d), "{name}");
        }
        for row in [0, 70_000, rows - 1] {
            assert!(whole.column_by_name("score").unwrap().is_null(row));
            assert!(!whole.column_by_name("error").unwrap().is_null(row));
        }
        // The same rows in slices of 8,192 (plain stores), into buffers
        // that held the large batch's results (dropped first).
        drop(whole);
        let mut sliced: Vec<Vec<u32>> = vec![Vec::new(); MICROS.len()];
        for start in (0..rows).step_by(8_192) {
            let part = rb.slice(start, 8_192.min(rows - start));
            let out = score_batch_into(&scorer, &part, &options, &mut buffers).unwrap();
            for (column, name) in sliced.iter_mut().zip(MICROS) {
                column.extend(micros(&out, name));
            }
        }
        assert_eq!(sliced[0], expected.overall_micros());
        assert_eq!(sliced[1], expected.coverage_micros());
        // And the large batch again, into the buffers the slices left.
        let again = score_batch_into(&scorer, &rb, &options, &mut buffers).unwrap();
        for (column, name) in sliced.iter().zip(MICROS) {
            assert_eq!(&micros(&again, name), column, "{name}, {threads} threads");
        }
    }
}

/// A scorer of two threads splits a large record batch between them
/// (each its own run of rows, scored and converted there) and gives
/// exactly the record batch one thread gives, drivers and rejected rows
/// included, at the edge of the runs too.
#[test]
fn two_threads_give_the_record_batch_one_gives() {
    let model = model();
    let rows = 140_001;
    let mut c = v0m::generate(rows, 12);
    // The two threads' runs meet at row 70,016.
    for row in [3, 65_536, 70_015, 70_016, 131_072, rows - 2] {
        c.values[6][row] = 1.7;
        c.valid[6][row] = true;
    }
    let rb = v0m_arrow::record_batch(&c, Vec::new());
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        drivers: true,
        ..Default::default()
    };
    let score = |threads: usize| {
        let scorer = Scorer::new(&model).threads(threads);
        assert_eq!(scorer.threads_for(rows), threads);
        score_batch_into(&scorer, &rb, &options, &mut ScoreBuffers::new()).unwrap()
    };
    let (one, two) = (score(1), score(2));
    assert_eq!(one, two);
    assert_eq!(
        two.column_by_name("error").unwrap().len()
            - two.column_by_name("error").unwrap().null_count(),
        6
    );
    let drivers = two.column_by_name("pulls_down_most").unwrap();
    assert!(drivers.null_count() < rows / 2, "{}", drivers.null_count());
}
