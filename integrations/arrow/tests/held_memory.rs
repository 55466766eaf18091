//! What a `ScoreBuffers` holds between calls: sized to the calls, so that
//! a service that once scored a large batch does not keep its memory for
//! small ones, while a stream's short last batch keeps it.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::RecordBatch;
use healthscore::batch::Scorer;
use healthscore::Model;
use healthscore_arrow::{score_batch_into, ScoreBuffers};

/// `rows` generated v0m accounts.
fn accounts(rows: usize, seed: u64) -> RecordBatch {
    v0m_arrow::record_batch(&v0m::generate(rows, seed), Vec::new())
}

/// Scores `batch` into `buffers` and drops the results (so that the next
/// call may take their memory back); the rows scored.
fn score(model: &Model, batch: &RecordBatch, buffers: &mut ScoreBuffers) -> usize {
    let options = v0m_arrow::options(true);
    score_batch_into(&Scorer::new(model), batch, &options, buffers)
        .expect("v0m accounts fit v0m")
        .num_rows()
}

/// 60,000 rows' results (more than 4 MiB), then small calls: kept for
/// `SMALLER_CALLS - 1` of them, let go at the last, and what is held then
/// is the small calls' size.
#[test]
fn a_large_call_s_buffers_are_let_go_after_smaller_calls() {
    let model = v0m::model();
    let large = accounts(60_000, 5);
    let small = large.slice(0, 1_000);
    let mut buffers = ScoreBuffers::new();
    assert_eq!(buffers.held_bytes(), 0);
    assert_eq!(score(&model, &large, &mut buffers), 60_000);
    let after_large = buffers.held_bytes();
    // Six decimal columns of 16 bytes a row at least.
    assert!(after_large >= 60_000 * 96, "{after_large} bytes held");
    for call in 1..ScoreBuffers::SMALLER_CALLS {
        assert_eq!(score(&model, &small, &mut buffers), 1_000);
        assert_eq!(buffers.held_bytes(), after_large, "call {call}");
    }
    assert_eq!(score(&model, &small, &mut buffers), 1_000);
    let after_small = buffers.held_bytes();
    assert!(after_small >= 1_000 * 96, "{after_small} bytes held");
    assert!(after_small < 1_000 * 200, "{after_small} bytes held");
    // And the large batch again scores as before, into new buffers.
    assert_eq!(score(&model, &large, &mut buffers), 60_000);
    assert_eq!(buffers.held_bytes(), after_large);
}

/// A stream of large batches, each run of them ending in a short one (a
/// file's last row group): the buffers are filled again, never let go.
#[test]
fn a_stream_s_short_last_batches_keep_the_buffers() {
    let model = v0m::model();
    let large = accounts(60_000, 7);
    let short = large.slice(0, 100);
    let mut buffers = ScoreBuffers::new();
    score(&model, &large, &mut buffers);
    let held = buffers.held_bytes();
    for _ in 0..2 * ScoreBuffers::SMALLER_CALLS {
        for _ in 0..ScoreBuffers::SMALLER_CALLS - 1 {
            score(&model, &short, &mut buffers);
        }
        score(&model, &large, &mut buffers);
        assert_eq!(buffers.held_bytes(), held);
    }
}

/// Under 4 MiB nothing is let go, however small the calls after.
#[test]
fn a_few_mib_are_kept_whatever_the_calls() {
    let model = v0m::model();
    let batch = accounts(30_000, 11);
    let one = batch.slice(0, 1);
    let mut buffers = ScoreBuffers::new();
    score(&model, &batch, &mut buffers);
    let held = buffers.held_bytes();
    assert!(held < 4 << 20, "{held} bytes held");
    for _ in 0..4 * ScoreBuffers::SMALLER_CALLS {
        score(&model, &one, &mut buffers);
    }
    assert_eq!(buffers.held_bytes(), held);
}
