//! Accounts piped in as they happen (`queue-consumer | healthscore score
//! --accounts -`): each is scored and written as soon as the input has
//! nothing more ready, not once a batch of a thousand has come.
//!
//! [`Eager`] reads the input as it is, and calls its `idle` hook when all
//! it has read is used and the next read would wait: the reader hands
//! its partial batch to the workers there, and the writer flushes what
//! it wrote once the batch is written. A file, or a pipe that keeps up,
//! always has more ready, so its batches stay full.

use std::io::{self, BufRead, Read};

/// `inner`, calling `idle` before a read that would wait for input
/// (`ready` says whether more is there now).
pub(super) struct Eager<'a, R> {
    inner: R,
    /// Bytes of the last buffer handed out and not yet consumed.
    left: usize,
    ready: fn() -> bool,
    idle: &'a mut dyn FnMut(),
}

impl<'a, R: BufRead> Eager<'a, R> {
    pub(super) fn new(inner: R, ready: fn() -> bool, idle: &'a mut dyn FnMut()) -> Self {
        Eager {
            inner,
            left: 0,
            ready,
            idle,
        }
    }
}

impl<R: BufRead> Read for Eager<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(buf.len());
            if let (Some(to), Some(from)) = (buf.get_mut(..n), have.get(..n)) {
                to.copy_from_slice(from);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Eager<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // All handed out so far is used: the next bytes come from below,
        // which may wait for them. (A layer below may still hold some: a
        // batch handed on early then is smaller, and nothing else.)
        if self.left == 0 && !(self.ready)() {
            (self.idle)();
        }
        let buf = self.inner.fill_buf()?;
        self.left = buf.len();
        Ok(buf)
    }

    fn consume(&mut self, amount: usize) {
        self.left = self.left.saturating_sub(amount);
        self.inner.consume(amount);
    }
}

/// Whether standard input has bytes ready, or its end (a read would not
/// wait). Where that cannot be told: yes (batches stay full).
pub(super) fn stdin_ready() -> bool {
    #[cfg(unix)]
    {
        let mut fd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid `pollfd`, its count 1, no wait.
        #[allow(unsafe_code)] // asks the kernel whether a read would wait
        let n = unsafe { libc::poll(&mut fd, 1, 0) };
        n != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static READY: Cell<bool> = const { Cell::new(true) };
    }

    fn ready() -> bool {
        READY.with(Cell::get)
    }

    /// The hook runs when all read is used and nothing more is ready, not
    /// while a buffer still has bytes or more input is ready.
    #[test]
    fn idle_when_all_is_used_and_nothing_is_ready() {
        let idled = Cell::new(0);
        let mut idle = || idled.set(idled.get() + 1);
        let input = io::BufReader::with_capacity(4, &b"a\nbc\nd\n"[..]);
        let mut eager = Eager::new(input, ready, &mut idle);
        READY.with(|r| r.set(false));
        let mut line = String::new();
        // First fill: nothing handed out yet, nothing ready.
        eager.read_line(&mut line).unwrap();
        assert_eq!(line, "a\n");
        assert_eq!(idled.get(), 1);
        // "bc" are still in the buffer: no hook for them.
        line.clear();
        eager.read_line(&mut line).unwrap();
        assert_eq!(line, "bc\n");
        assert_eq!(idled.get(), 2, "the buffer ran out inside the line");
        READY.with(|r| r.set(true));
        line.clear();
        eager.read_line(&mut line).unwrap();
        assert_eq!(line, "d\n");
        assert_eq!(idled.get(), 2, "more was ready");
        let mut rest = Vec::new();
        eager.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
}
