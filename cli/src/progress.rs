//! A progress bar on stderr when it is a terminal (accounts per second and
//! time left); nothing at all when stderr is piped or redirected.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar, or nothing.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// A counter for a stream of unknown length (accounts so far and per
    /// second), shown only when stderr is a terminal.
    pub(crate) fn stream(what: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {pos} accounts, {per_sec}")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        Progress(Some(bar))
    }

    /// `n` items done.
    pub(crate) fn add(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Prints to stderr above the bar (or plainly without one).
    pub(crate) fn eprint(&self, text: &str) {
        match &self.0 {
            Some(b) => b.suspend(|| eprint!("{text}")),
            None => eprint!("{text}"),
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
