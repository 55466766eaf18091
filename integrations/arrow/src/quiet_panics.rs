//! Panics of Arrow's IPC reader and of the Parquet reader, caught and
//! turned into errors.
//!
//! Arrow's IPC reader panics on some damaged input (a type tag it does
//! not know in a schema, a buffer offset past its batch) instead of
//! returning an error, and so does the Parquet reader on a damaged Arrow
//! schema in a Parquet file's metadata (which it decodes with the IPC
//! reader's code). Reading is done through [`catch`], which catches
//! such a panic and gives its message. So that a caught panic does not
//! also print `thread 'main' panicked at …` (nor reach a service's own
//! panic hook as if the process were failing), the first call installs,
//! once, a hook that passes every panic on to the hook installed before
//! it, except one raised inside [`catch`] on the same thread. A hook the
//! program installs later replaces it; caught panics are then printed,
//! and still caught. A program built with `panic = "abort"` cannot catch
//! them: it ends, as it would without this.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Inside [`catch`] on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `f`; a panic in it is `Err` with its message. Whatever `f`
/// touched may be left part-way (its caller does not use it again).
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// Record batches of a reader whose panics are errors (`what` names it
/// in the message: `Parquet`); after one, nothing more is read from it.
pub(crate) struct Caught {
    inner: Box<dyn arrow_array::RecordBatchReader + Send>,
    what: &'static str,
    failed: bool,
}

impl Caught {
    pub(crate) fn new(
        inner: Box<dyn arrow_array::RecordBatchReader + Send>,
        what: &'static str,
    ) -> Caught {
        Caught {
            inner,
            what,
            failed: false,
        }
    }
}

impl Iterator for Caught {
    type Item = Result<arrow_array::RecordBatch, arrow_schema::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let inner = &mut self.inner;
        match catch(|| inner.next()) {
            Ok(next) => next,
            Err(panic) => {
                self.failed = true;
                Some(Err(arrow_schema::ArrowError::ExternalError(
                    format!(
                        "the {} reader stopped on this data ({panic}): a damaged file?",
                        self.what
                    )
                    .into(),
                )))
            }
        }
    }
}

impl arrow_array::RecordBatchReader for Caught {
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.inner.schema()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_its_message_and_the_thread_goes_on() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("precision {} not supported", 7) }),
            Err("precision 7 not supported".to_string())
        );
        assert_eq!(
            catch(|| -> u8 { std::panic::panic_any(5u8) }),
            Err("a panic without a message".to_string())
        );
        // Outside `catch`, a panic is still a panic (and still reported).
        let outside = std::thread::spawn(|| -> u8 { panic!("not caught") }).join();
        assert!(outside.is_err());
        assert!(!QUIET.with(Cell::get));
    }

    #[test]
    fn a_reader_that_panics_gives_an_error_then_nothing() {
        use arrow_array::{ArrayRef, Int64Array, RecordBatch, RecordBatchIterator};
        let ids: ArrayRef = std::sync::Arc::new(Int64Array::from(vec![1, 2]));
        let batch = RecordBatch::try_from_iter([("id", ids)]).unwrap();
        let schema = batch.schema();
        let mut served = 0;
        let batches = std::iter::from_fn(move || {
            served += 1;
            assert!(served < 2, "a page the decoder cannot take");
            Some(Ok(batch.clone()))
        });
        let mut reader = Caught::new(
            Box::new(RecordBatchIterator::new(batches, schema)),
            "Parquet",
        );
        assert_eq!(reader.next().unwrap().unwrap().num_rows(), 2);
        let e = reader.next().unwrap().unwrap_err().to_string();
        assert!(
            e.contains("the Parquet reader stopped on this data (a page the decoder cannot take): a damaged file?"),
            "{e}"
        );
        assert!(reader.next().is_none());
    }
}
