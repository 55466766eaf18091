//! A file's record batches scored in order and handed on to be written:
//! with a scorer of more than one thread, read and scored on a thread of
//! their own while the batch before is written on the caller's.

use crate::ids::Ids;
use crate::output::score_rejecting;
use crate::{Error, Options, ScoreBuffers};
use arrow_array::{RecordBatch, RecordBatchReader};
use healthscore::batch::Scorer;
use std::path::Path;

/// Scores every record batch `reader` gives (the accounts of `input`)
/// and hands each one's results to `write`, in order. Rows are named by
/// their place in the file; a repeated id (`ids`) is rejected.
///
/// With [`Scorer::thread_count`] above 1, decoding and scoring run on a
/// second thread, one batch ahead of `write` on this one: a Parquet file
/// to Parquet results takes both cores instead of one (decoding the
/// accounts and scoring them is about as much work as encoding the
/// results). The hand-over waits for `write` to take each batch, so that
/// at most two batches' results exist at once and each set of
/// [`ScoreBuffers`] gets its memory back before it is used again.
///
/// # Errors
///
/// The first error of either side, as [`score_file`](crate::score_file)
/// returns them; the other side then stops at its next batch.
pub(crate) fn score_all(
    scorer: &Scorer<'_>,
    reader: Box<dyn RecordBatchReader + Send>,
    input: &Path,
    options: &Options,
    mut ids: Ids,
    mut write: impl FnMut(&RecordBatch) -> Result<(), Error>,
) -> Result<(), Error> {
    let read = |e: Error| e.in_file(input);
    let mut options = options.clone();
    // Two sets of buffers, used in turn: a batch's results are written
    // (and dropped) while the next batch is scored into the other set.
    let mut buffers = [ScoreBuffers::new(), ScoreBuffers::new()];
    let mut first_row = 0u64;
    let in_turn = scorer.thread_count() > 1;
    let mut score = move |batch: Result<RecordBatch, arrow_schema::ArrowError>| {
        let batch = batch.map_err(|e| read(e.into()))?;
        options.first_row = first_row;
        let repeated = ids.repeated(&batch, first_row);
        if in_turn {
            buffers.swap(0, 1);
        }
        let scored =
            score_rejecting(scorer, &batch, &options, &mut buffers[0], repeated).map_err(read)?;
        first_row += batch.num_rows() as u64;
        Ok::<_, Error>((batch, scored))
    };
    // The results, then the accounts, dropped once written.
    let mut write = |scored: Result<(RecordBatch, RecordBatch), Error>| {
        let (_accounts, scored) = scored?;
        write(&scored)
    };
    if scorer.thread_count() < 2 {
        return reader.into_iter().try_for_each(|batch| write(score(batch)));
    }
    std::thread::scope(|threads| {
        let (send, receive) = std::sync::mpsc::sync_channel(0);
        threads.spawn(move || {
            for batch in reader {
                let scored = score(batch);
                let failed = scored.is_err();
                // Closed: `write` failed, and the caller returns.
                if send.send(scored).is_err() || failed {
                    break;
                }
            }
        });
        receive.into_iter().try_for_each(write)
    })
}
