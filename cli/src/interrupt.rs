//! Files being written when the process is told to stop.
//!
//! Results, state and reports are written to hidden temporary files beside
//! their targets (`.scores.parquet.tmp-<process id>`) and renamed into
//! place when complete, so that a run that does not finish leaves the
//! earlier files whole. Ctrl-C (`SIGINT`), a scheduler's timeout
//! (`SIGTERM`) or a closed terminal (`SIGHUP`) would end the process with
//! the temporary file left behind: one more every run, since each has its
//! own process id. [`install`] starts a thread that, on any of those
//! signals, removes the files registered as [`Writing`] and then ends the
//! process as the signal would have (a shell or scheduler sees it killed by
//! that signal: status 130, 143 or 129). A signal the process was started
//! ignoring (`nohup` ignores `SIGHUP`; a shell's background job,
//! `SIGINT`) stays ignored. `SIGKILL` cannot be caught: its files stay.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// The temporary files being written.
static WRITING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn writing() -> MutexGuard<'static, Vec<PathBuf>> {
    // A thread that panicked while holding the list left it whole (a
    // push or a removal): still the list.
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file, registered before it is created and while it is
/// written: removed if the process is told to stop. Dropping it (once the
/// file is renamed into place or removed) unregisters it.
pub struct Writing {
    path: PathBuf,
}

impl Writing {
    /// Registers `path`.
    pub fn new(path: PathBuf) -> Writing {
        writing().push(path.clone());
        Writing { path }
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        let mut files = writing();
        if let Some(at) = files.iter().position(|p| *p == self.path) {
            files.swap_remove(at);
        }
    }
}

/// Starts the thread that cleans up on `SIGINT`, `SIGTERM` and `SIGHUP`
/// (best effort: where it cannot be started, or off Unix, the signals
/// keep their default action).
pub fn install() {
    #[cfg(unix)]
    unix::install();
}

#[cfg(unix)]
mod unix {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

    pub fn install() {
        let caught: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter(|s| !ignored(*s))
            .collect();
        if caught.is_empty() {
            return;
        }
        // Registered by the thread that answers them, which says when it
        // has: a signal from then on removes the files.
        let (registered, wait) = std::sync::mpsc::channel();
        let started = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let signals = signal_hook::iterator::Signals::new(&caught);
                let _ = registered.send(());
                let Ok(mut signals) = signals else {
                    return;
                };
                if let Some(signal) = signals.forever().next() {
                    // The list stays locked until the process ends, so
                    // that no file is registered after the removals.
                    let files = super::writing();
                    for file in files.iter() {
                        let _ = std::fs::remove_file(file);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
        if started.is_ok() {
            let _ = wait.recv();
        }
    }

    /// Whether `signal` was ignored when the process started (`nohup`,
    /// a background job of a shell without job control).
    #[allow(unsafe_code)] // reads the signal's disposition
    fn ignored(signal: i32) -> bool {
        // SAFETY: `sigaction` with a null new action only reads the
        // current one into `old`, a plain C struct for which all zeroes
        // is a valid value.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_registered_while_written() {
        let a = Writing::new(PathBuf::from(".a.tmp-1"));
        let b = Writing::new(PathBuf::from(".b.tmp-1"));
        let count = |p: &str| {
            writing()
                .iter()
                .filter(|x| x.as_path() == std::path::Path::new(p))
                .count()
        };
        assert_eq!((count(".a.tmp-1"), count(".b.tmp-1")), (1, 1));
        drop(a);
        assert_eq!((count(".a.tmp-1"), count(".b.tmp-1")), (0, 1));
        drop(b);
        assert_eq!(count(".b.tmp-1"), 0);
    }
}
