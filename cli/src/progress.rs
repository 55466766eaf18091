//! A progress bar on stderr when it is a terminal: accounts so far and per
//! second, and for a file (whose size is known) the share read and the time
//! left. Nothing at all when stderr is piped or redirected.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// A progress bar, or nothing.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    /// While the bar is drawn (for a stop's message).
    shown: Option<crate::interrupt::OnScreen>,
    /// Accounts done, shown in the message when the bar counts bytes.
    accounts: AtomicU64,
    by_bytes: bool,
}

impl Progress {
    /// A bar for reading `path` (`-` for stdin): by bytes with the time left
    /// for a file, a counter of accounts for a stream.
    pub(crate) fn for_input(what: &str, path: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                shown: None,
                accounts: AtomicU64::new(0),
                by_bytes: false,
            };
        }
        let size = (path != "-")
            .then(|| std::fs::metadata(path).ok().map(|m| m.len()))
            .flatten()
            .filter(|n| *n > 0);
        let (bar, template) = match size {
            Some(n) => (
                ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                "{msg} {bar:30} {bytes}/{total_bytes}, {eta} left",
            ),
            None => (
                ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                "{spinner} {msg} {pos} accounts, {per_sec}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        Progress {
            bar: Some(bar),
            shown: Some(crate::interrupt::OnScreen::new()),
            accounts: AtomicU64::new(0),
            by_bytes: size.is_some(),
        }
    }

    /// A counter of accounts scored from a columnar file, which becomes a
    /// bar with the time left once the file says how many it holds
    /// ([`Progress::rows`]).
    pub(crate) fn for_rows(what: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {msg}") {
                bar.set_style(style);
            }
            bar.set_prefix(what.to_string());
            bar
        });
        Progress {
            shown: bar.as_ref().map(|_| crate::interrupt::OnScreen::new()),
            bar,
            accounts: AtomicU64::new(0),
            by_bytes: false,
        }
    }

    /// `done` accounts of `total` (when known).
    pub(crate) fn rows(&self, done: u64, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        if let (Some(total), None) = (total, bar.length()) {
            bar.set_length(total);
            if let Ok(style) = ProgressStyle::with_template("{prefix} {bar:30} {msg}, {eta} left") {
                bar.set_style(style);
            }
        }
        bar.set_position(done);
        let secs = bar.elapsed().as_secs_f64().max(1e-3);
        let rate = done as f64 / secs;
        bar.set_message(match total {
            Some(total) => format!("{done}/{total} accounts, {rate:.0}/s"),
            None => format!("{done} accounts, {rate:.0}/s"),
        });
    }

    /// Wraps the input so that a bar by bytes moves as it is read.
    pub(crate) fn reader(&self, input: Box<dyn BufRead + Send>) -> Box<dyn BufRead + Send> {
        match (&self.bar, self.by_bytes) {
            (Some(bar), true) => Box::new(BufReader::with_capacity(
                1 << 16,
                Counting {
                    inner: input,
                    bar: bar.clone(),
                },
            )),
            _ => input,
        }
    }

    /// `n` accounts done.
    pub(crate) fn add(&self, n: u64) {
        let Some(bar) = &self.bar else { return };
        if self.by_bytes {
            let done = self.accounts.fetch_add(n, Ordering::Relaxed) + n;
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{done} accounts, {:.0}/s,", done as f64 / secs));
        } else {
            bar.inc(n);
        }
    }

    /// Prints to stderr above the bar (or plainly without one).
    pub(crate) fn eprint(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| write_stderr(text)),
            None => write_stderr(text),
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if let Some(shown) = &self.shown {
            shown.hide();
        }
    }
}

/// A reader that moves a bar by the bytes it reads.
struct Counting {
    inner: Box<dyn BufRead + Send>,
    bar: ProgressBar,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// `text` to standard error; lost, not a panic, where that is a closed
/// pipe (see `say!`).
fn write_stderr(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(text.as_bytes());
}
