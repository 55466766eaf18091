//! Panics of Arrow's IPC reader, caught and turned into errors.
//!
//! Arrow's IPC reader panics on some damaged input (a type tag it does
//! not know in a schema, a buffer offset past its batch) instead of
//! returning an error. Reading is done through [`catch`], which catches
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
}
