//! Asking the CPU for the accounts a portfolio loop scores next.
//!
//! A bound [`Account`] is its scoring slots and a box holding the
//! caller's [`AccountData`](crate::AccountData): about 240 bytes, four
//! cache lines (416, seven, when the data was held inline). Scoring a
//! `Vec<Account>` in order therefore streams that much memory per
//! account, and where the portfolio does not fit in cache, the CPU's own
//! prefetcher does not run far enough ahead: on the machine the benches
//! run on, a throwaway probe found (with the data inline) that reading an
//! account's lines alone took
//! 38–48 ns at 1,000,000 accounts, scoring it in cache about 51, and
//! scoring it out of cache 100–110: the two added up, not overlapped.
//! With this prefetch, `cargo bench --bench batch` (1,000,000 accounts,
//! the same binary built with and without it, run in turn, min of 9
//! rounds) gave 77–88 ns an account instead of 94–109.
//!
//! So [`Account::score`] asks for the lines of the account
//! [`AHEAD`] places after it in memory, as if it sat in a slice, which is
//! how a portfolio is scored. A prefetch is a hint: it never faults and
//! changes no value, so an address past the end of the caller's slice,
//! or an account that is not in a slice at all, costs one wasted fetch of
//! memory nobody reads and nothing else.

use crate::account::Account;

/// How many accounts ahead [`following`] fetches: far enough that the
/// lines arrive while this one and the next few are scored (about 50 ns
/// each, in cache), near enough that they are not evicted before use.
/// Measured with a throwaway probe on the bench machine: 3 and 4 gain
/// most, 1, 2 and 8 less (with 240-byte accounts, 4, 6 and 8 were within
/// the host's noise).
pub(crate) const AHEAD: usize = 4;

/// Asks the CPU to start loading every cache line of the memory
/// [`AHEAD`] accounts after `account`.
#[inline(always)]
pub(crate) fn following(account: &Account<'_>) {
    let size = std::mem::size_of::<Account<'_>>();
    // Only an address is computed (`wrapping_add` never dereferences),
    // and only a prefetch is given it.
    let start = std::ptr::from_ref(account)
        .cast::<i8>()
        .wrapping_add(AHEAD * size);
    bytes(start, size);
}

/// Asks the CPU to start loading every cache line of `rows` (the batch
/// kernel's next chunk of a column).
#[inline(always)]
pub(crate) fn lines<T>(rows: &[T]) {
    bytes(rows.as_ptr().cast(), std::mem::size_of_val(rows));
}

/// Every cache line of the `size` bytes from `start`, which need not be
/// memory the program may read.
#[inline(always)]
fn bytes(start: *const i8, size: usize) {
    // Not under Miri: a hint has nothing for it to check, and it need not
    // know this x86 intrinsic.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut offset = 0;
        while offset < size {
            // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has;
            // a prefetch does not access memory in the language's sense and
            // never faults, whatever the address.
            #[allow(unsafe_code)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset));
            }
            offset += 64;
        }
        // The last byte: the memory need not start on a line.
        if size > 0 {
            #[allow(unsafe_code)]
            // SAFETY: as above.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(size - 1));
            }
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = (start, size);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a portfolio loop streams per account: the scoring fields and
    /// the box of the data, four cache lines (the data inline made it
    /// seven, and scoring out of cache 10–15% slower).
    #[test]
    fn an_account_takes_at_most_four_cache_lines() {
        let size = std::mem::size_of::<Account<'_>>();
        assert!(size <= 4 * 64, "Account is {size} bytes");
        // Everything scoring reads comes before the data's box.
        assert!(std::mem::offset_of!(Account<'_>, slots) < std::mem::offset_of!(Account<'_>, data));
    }
}
