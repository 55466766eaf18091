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
//! that signal: status 130, 143 or 129), after one line on stderr that
//! says which signal stopped it and which unfinished files it removed
//! (ending a progress bar's line first). A signal the process was started
//! ignoring (`nohup` ignores `SIGHUP`; a shell's background job,
//! `SIGINT`) stays ignored. `SIGKILL` cannot be caught: its files stay.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Progress bars drawn on the terminal now.
static BARS: AtomicUsize = AtomicUsize::new(0);

/// A progress bar on the terminal, until [`hide`](OnScreen::hide) or
/// drop: a stop then starts its message on a line of its own instead of
/// after the bar.
pub struct OnScreen {
    shown: AtomicBool,
}

impl OnScreen {
    /// A bar now drawn.
    pub fn new() -> OnScreen {
        BARS.fetch_add(1, Ordering::SeqCst);
        OnScreen {
            shown: AtomicBool::new(true),
        }
    }

    /// The bar is cleared (once, however often it is called).
    pub fn hide(&self) {
        if self.shown.swap(false, Ordering::SeqCst) {
            BARS.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for OnScreen {
    fn drop(&mut self) {
        self.hide();
    }
}

/// What a stop by `signal` says on stderr, having removed `removed`:
/// first the rest of the runs of rejected rows being told (`pending`:
/// their first rows are on screen, the rest would have been said when
/// each run ended).
fn stopped(signal: &str, removed: &[String], bar: bool, pending: &[String]) -> String {
    let mut line = String::new();
    if bar {
        line.push('\n');
    }
    for said in pending {
        line += said;
        line.push('\n');
    }
    line += &format!("healthscore: stopped by {signal}");
    match removed {
        [] => {}
        [one] => {
            line +=
                &format!("; removed the unfinished {one} (the file it was to replace is untouched)")
        }
        many => {
            line += &format!(
                "; removed the unfinished {} (the files they were to replace are untouched)",
                many.join(", ")
            )
        }
    }
    line.push('\n');
    line
}

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
                    let removed: Vec<String> = files
                        .iter()
                        .filter(|file| std::fs::remove_file(file).is_ok())
                        .map(|file| file.display().to_string())
                        .collect();
                    let name = match signal {
                        SIGINT => "SIGINT (Ctrl-C)",
                        SIGTERM => "SIGTERM",
                        SIGHUP => "SIGHUP",
                        _ => "a signal",
                    };
                    let bar = super::BARS.load(std::sync::atomic::Ordering::SeqCst) > 0;
                    let pending = crate::told::interrupted();
                    let line = super::stopped(name, &removed, bar, &pending);
                    let _ =
                        std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
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

    #[test]
    fn a_stop_says_what_it_removed_on_a_line_of_its_own() {
        assert_eq!(
            stopped("SIGTERM", &[], false, &[]),
            "healthscore: stopped by SIGTERM\n"
        );
        assert_eq!(
            stopped(
                "SIGINT (Ctrl-C)",
                &["out/.s.parquet.tmp-7".into()],
                true,
                &[]
            ),
            "\nhealthscore: stopped by SIGINT (Ctrl-C); removed the unfinished \
             out/.s.parquet.tmp-7 (the file it was to replace is untouched)\n"
        );
        assert!(stopped("SIGHUP", &["a".into(), "b".into()], false, &[])
            .contains("removed the unfinished a, b (the files they were"));
    }

    /// The rest of a run of rejected rows, whose first row is on screen,
    /// comes before the stop's own line (after a progress bar's).
    #[test]
    fn a_stop_says_the_rest_of_a_run_first() {
        let pending = ["rejected rows 2 to 9 (8 rows): mrr: missing".to_string()];
        assert_eq!(
            stopped("SIGINT (Ctrl-C)", &[], true, &pending),
            "\nrejected rows 2 to 9 (8 rows): mrr: missing\n\
             healthscore: stopped by SIGINT (Ctrl-C)\n"
        );
    }

    #[test]
    fn a_bar_counts_once_however_often_it_is_hidden() {
        let before = BARS.load(Ordering::SeqCst);
        let bar = OnScreen::new();
        assert_eq!(BARS.load(Ordering::SeqCst), before + 1);
        bar.hide();
        bar.hide();
        drop(bar);
        assert_eq!(BARS.load(Ordering::SeqCst), before);
    }
}
