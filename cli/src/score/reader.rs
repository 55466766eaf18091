//! The pipeline's reader: splits the accounts into batches for the
//! workers, from JSON lines or a JSON array, or from a Parquet, CSV or Arrow
//! file's rows.

use super::input::{self, Shape, Unit};
use crate::accounts::StopReading;
use healthscore::{AccountData, Model};
use std::io::BufRead;
use std::sync::mpsc::SyncSender;

/// Accounts per batch handed to a worker, for a model of up to 16
/// metrics.
const BATCH: usize = 1024;

/// Accounts per batch for a model of `metrics` metrics: [`BATCH`], fewer
/// for a model of more than 16 (at least 16 a batch). Each account's
/// output lists every metric of its scorecard, about 250 bytes each, and a
/// few batches are in flight at once: with 2,014 metrics, batches of
/// 1,024 accounts held 870 MB to score the 2,000 bundled accounts.
pub(super) fn batch_size(metrics: usize) -> usize {
    (BATCH * 16 / metrics.max(16)).max(16)
}

/// A batch of accounts as read, numbered in input order.
pub(super) struct Batch {
    pub(super) index: u64,
    pub(super) shape: Shape,
    /// Each unit's place and what was read of it, or its id (where known)
    /// and why it could not be read.
    pub(super) units: Vec<(u64, Result<Read, Unread>)>,
}

/// A unit that could not be read: its account's id where the part read
/// holds it, and why.
pub(super) type Unread = (Option<String>, String);

/// What was read of one account: its JSON text, or a columnar file's row.
pub(super) enum Read {
    Text(String),
    Data(AccountData),
}

/// Where the accounts come from.
pub enum Source {
    /// JSON lines or a JSON array; `live` for standard input (see
    /// [`read_batches`]).
    Stream {
        input: Box<dyn BufRead + Send>,
        live: bool,
    },
    /// The rows of a Parquet, CSV or Arrow file (read by the model's columns, as
    /// of the date given for rows without one), each an account as the
    /// same account in JSON would be.
    Rows {
        path: String,
        as_of: Option<chrono::NaiveDate>,
    },
}

/// Splits the input into batches for the workers. `live` (standard
/// input): a batch is also handed on when the input has nothing more
/// ready ([`Eager`](super::live::Eager)), so that accounts piped in one
/// at a time are scored as they come.
pub(super) fn read_batches(
    input: &mut Box<dyn BufRead + Send>,
    size: usize,
    jobs: &SyncSender<Batch>,
    warn: &(dyn Fn(String) + Sync),
    live: bool,
) -> Result<(), String> {
    /// The batch being filled, and what sending it needs.
    struct Filling {
        index: u64,
        batch: Vec<(u64, Result<Read, Unread>)>,
        shape: Shape,
        /// False once the workers' channel is closed (the writer stopped).
        open: bool,
    }
    let filling = std::cell::RefCell::new(Filling {
        index: 0,
        batch: Vec::with_capacity(size),
        shape: Shape::Lines,
        open: true,
    });
    // Sends the batch so far (if any, and while the channel is open).
    let send = |f: &mut Filling| {
        if f.open && !f.batch.is_empty() {
            let units = std::mem::replace(&mut f.batch, Vec::with_capacity(size));
            f.open = jobs
                .send(Batch {
                    index: f.index,
                    shape: f.shape,
                    units,
                })
                .is_ok();
            f.index += 1;
        }
    };
    let mut emit = |shape, Unit { place, text, id }| {
        let mut f = filling.borrow_mut();
        f.shape = shape;
        f.batch
            .push((place, text.map(Read::Text).map_err(|why| (id, why))));
        if f.batch.len() >= size {
            send(&mut f);
        }
        f.open
    };
    let mut idle = || send(&mut filling.borrow_mut());
    let result = if live {
        let mut eager = super::live::Eager::new(input, super::live::stdin_ready, &mut idle);
        input::split(&mut eager, &mut emit, &mut |w| warn(w))
    } else {
        input::split(input, &mut emit, &mut |w| warn(w))
    };
    // What was read before a fault or the end is always scored.
    send(&mut filling.borrow_mut());
    result.map_err(|e| e.to_string())
}

/// Splits a Parquet, CSV or Arrow file's rows into batches for the workers.
pub(super) fn read_rows(
    model: &Model,
    path: &str,
    as_of: Option<chrono::NaiveDate>,
    jobs: &SyncSender<Batch>,
) -> Result<(), String> {
    let options = healthscore_arrow::Options {
        as_of,
        ..healthscore_arrow::Options::default()
    };
    let size = batch_size(model.metric_count());
    let mut index = 0u64;
    let mut batch = Vec::with_capacity(size);
    // A closed channel: the writer stopped the run.
    let mut send = |units: Vec<_>| -> Result<(), StopReading> {
        let sent = jobs.send(Batch {
            index,
            shape: Shape::Rows,
            units,
        });
        index += 1;
        sent.map_err(|_| StopReading::Visit(String::new()))
    };
    let read = healthscore_arrow::read_accounts(model, path.as_ref(), &options, |first, rows| {
        for (place, row) in (first + 1..).zip(rows) {
            batch.push((place, row.map(Read::Data).map_err(|why| (None, why))));
            if batch.len() >= size {
                send(std::mem::replace(&mut batch, Vec::with_capacity(size)))?;
            }
        }
        Ok(())
    });
    // What was read before a fault or the end is always scored.
    let rest = if batch.is_empty() {
        Ok(())
    } else {
        send(batch)
    };
    match read.and(rest) {
        Ok(()) | Err(StopReading::Visit(_)) => Ok(()),
        Err(StopReading::File(e)) => Err(crate::accounts::describe(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_shrink_with_the_model_s_metrics() {
        assert_eq!(batch_size(0), 1024);
        assert_eq!(batch_size(14), 1024);
        assert_eq!(batch_size(16), 1024);
        assert_eq!(batch_size(32), 512);
        assert_eq!(batch_size(2_014), 16);
        assert_eq!(batch_size(4_096), 16);
    }
}
