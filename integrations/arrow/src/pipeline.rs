//! A file's record batches scored in order and handed on to be written:
//! with a scorer of more than one thread, read and scored on a thread of
//! their own while the batch before is written on the caller's.

use crate::ids::Ids;
use crate::output::score_rejecting;
use crate::{Error, Options, ScoreBuffers};
use arrow_array::{RecordBatch, RecordBatchReader};
use healthscore::batch::Scorer;
use std::path::Path;
use std::sync::PoisonError;

/// Scores every record batch `reader` gives (the accounts of `input`)
/// and hands each one's results to `write`, in order. Rows are named by
/// their place in the file; a repeated id (`ids`) is rejected, and so is
/// a row `ragged` names (a CSV line of another field count than the
/// header's).
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
    (mut ids, ragged): (Ids, crate::ragged::Found),
    mut write: impl FnMut(&RecordBatch, &RecordBatch) -> Result<(), Error>,
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
        let mut repeated = ids.repeated(&batch, first_row);
        // The ragged lines of this batch's rows (noted as they were read,
        // before the batch was made), in row order.
        let end = first_row + batch.num_rows() as u64;
        let mut found = ragged.lock().unwrap_or_else(PoisonError::into_inner);
        let (here, later): (Vec<_>, Vec<_>) = found.drain(..).partition(|(row, _)| *row < end);
        *found = later;
        drop(found);
        repeated.extend(here.into_iter().filter_map(|(row, why)| {
            Some((usize::try_from(row.checked_sub(first_row)?).ok()?, why))
        }));
        if in_turn {
            buffers.swap(0, 1);
        }
        let scored =
            score_rejecting(scorer, &batch, &options, &mut buffers[0], repeated).map_err(read)?;
        first_row += batch.num_rows() as u64;
        Ok::<_, Error>((batch, scored))
    };
    // The accounts and their results, dropped once written.
    let mut write = |scored: Result<(RecordBatch, RecordBatch), Error>| {
        let (accounts, scored) = scored?;
        write(&accounts, &scored)
    };
    if scorer.thread_count() < 2 {
        return reader.into_iter().try_for_each(|batch| write(score(batch)));
    }
    std::thread::scope(|threads| {
        let (send, receive) = std::sync::mpsc::sync_channel(0);
        let reading = threads.spawn(move || {
            for batch in reader {
                let scored = score(batch);
                let failed = scored.is_err();
                // Closed: `write` failed, and the caller returns.
                if send.send(scored).is_err() || failed {
                    break;
                }
            }
        });
        let written = receive.into_iter().try_for_each(write);
        // A reader that panicked (a bug in a decoder, on a file it should
        // have refused) closed the channel early: an error naming the
        // file, not results cut short, and not a panic of the caller.
        match reading.join() {
            Ok(()) => written,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let stopped = format!("reading stopped unexpectedly (a panic: {why})");
                Err(read(
                    arrow_schema::ArrowError::ExternalError(stopped.into()).into(),
                ))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, UInt32Array};
    use std::sync::Arc;

    /// A reader that gives one batch of accounts, then panics.
    struct Breaks {
        first: Option<RecordBatch>,
    }

    impl Iterator for Breaks {
        type Item = Result<RecordBatch, arrow_schema::ArrowError>;
        fn next(&mut self) -> Option<Self::Item> {
            match self.first.take() {
                Some(batch) => Some(Ok(batch)),
                None => panic!("a decoder bug"),
            }
        }
    }

    impl RecordBatchReader for Breaks {
        fn schema(&self) -> arrow_schema::SchemaRef {
            self.first.as_ref().map_or_else(
                || Arc::new(arrow_schema::Schema::empty()),
                RecordBatch::schema,
            )
        }
    }

    #[test]
    fn a_reader_that_panics_is_an_error_naming_the_file() {
        let model = healthscore::Model::new(
            serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap(),
        )
        .unwrap();
        let mut columns: Vec<(String, ArrayRef)> = vec![
            ("id".into(), Arc::new(Int64Array::from(vec![1, 2]))),
            (
                "mrr".into(),
                Arc::new(
                    Decimal128Array::from(vec![120_000, 4_500])
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
            ),
            (
                "employees".into(),
                Arc::new(UInt32Array::from(vec![80, 12])),
            ),
        ];
        for id in model.metric_ids() {
            columns.push((id.to_string(), Arc::new(Float64Array::from(vec![0.5, 0.7]))));
        }
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let options = Options {
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            ..Options::default()
        };
        for threads in [2, 3] {
            let scorer = Scorer::new(&model).threads(threads);
            let reader = Box::new(Breaks {
                first: Some(batch.clone()),
            });
            let mut written = 0;
            let result = score_all(
                &scorer,
                reader,
                Path::new("accounts.parquet"),
                &options,
                (Ids::default(), Default::default()),
                |_, _| {
                    written += 1;
                    Ok(())
                },
            );
            let err = result.unwrap_err().to_string();
            assert!(err.starts_with("accounts.parquet: "), "{err}");
            assert!(err.contains("a decoder bug"), "{err}");
            assert_eq!(written, 1, "the batch read before the panic");
        }
    }
}
