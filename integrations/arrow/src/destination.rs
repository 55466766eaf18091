//! Where a results file is written while it is incomplete: a hidden
//! temporary file beside it, renamed over it at the end.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where a file that replaces `output` is written while it is
/// incomplete: how [`score_file`](crate::score_file) writes its results,
/// and how the command-line tool writes its state files and report.
///
/// # Examples
///
/// ```
/// use healthscore_arrow::Destination;
/// use std::path::Path;
/// let Destination::Renamed { temp, target } = Destination::of(Path::new("out/state.jsonl")) else {
///     unreachable!("a path that is not there is renamed into place")
/// };
/// assert_eq!(target, Path::new("out/state.jsonl"));
/// assert_eq!(temp, Path::new("out").join(format!(".state.jsonl.tmp-{}", std::process::id())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Destination {
    /// To `temp`, then renamed over `target`.
    Renamed {
        /// The hidden file written first.
        temp: PathBuf,
        /// The file it replaces (a symbolic link's own file).
        target: PathBuf,
    },
    /// Straight to the path: it exists and is not a regular file (a named
    /// pipe, a device), which a rename would replace instead of writing to.
    InPlace(PathBuf),
}

impl Destination {
    /// Where a file replacing `output` goes (see [`temporary_path`]).
    pub fn of(output: &Path) -> Destination {
        if std::fs::metadata(output).is_ok_and(|m| !m.is_file()) {
            return Destination::InPlace(output.to_path_buf());
        }
        // A symbolic link is followed: the file it names is replaced and
        // the link still names it. A link that names nothing is replaced
        // itself.
        let target = match std::fs::symlink_metadata(output) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::canonicalize(output).unwrap_or_else(|_| output.to_path_buf())
            }
            _ => output.to_path_buf(),
        };
        let name = target.file_name().map_or_else(
            || std::borrow::Cow::Borrowed("results"),
            |n| n.to_string_lossy(),
        );
        let temp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        Destination::Renamed { temp, target }
    }

    /// The file written while the contents are incomplete.
    pub fn written(&self) -> &Path {
        match self {
            Destination::Renamed { temp, .. } => temp,
            Destination::InPlace(path) => path,
        }
    }

    /// The temporary files that killed runs left beside the target: named
    /// as this one's temporary file is (`.<name>.tmp-<process id>`), for a
    /// process that is no longer running, and not modified for at least
    /// `idle`. A run that is killed (`SIGKILL`, the out-of-memory killer, a
    /// machine that stops) cannot remove its own; the next run may. The
    /// command-line tool removes these (idle an hour) before it writes, and
    /// says so.
    ///
    /// Only what is certain is listed: where the system cannot tell
    /// whether a process runs (no `/proc`, as on macOS or Windows),
    /// nothing is; a file of the running process's own id, or of one
    /// still running, never is. `idle` guards a run in another container
    /// writing the same file (its processes are not this system's to
    /// see): its file is modified as it writes. Empty for
    /// [`Destination::InPlace`] and where the directory cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore_arrow::Destination;
    /// use std::time::Duration;
    /// # let dir = std::env::temp_dir().join(format!("hs-leftovers-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// // What a run that was killed as process 4000000000 left (no system
    /// // gives a process such an id):
    /// let left = dir.join(".scores.parquet.tmp-4000000000");
    /// std::fs::write(&left, b"half a file")?;
    /// let destination = Destination::of(&dir.join("scores.parquet"));
    /// let found = destination.leftovers(Duration::ZERO);
    /// if cfg!(target_os = "linux") {
    ///     assert_eq!(found, [left]);
    /// }
    /// // Not yet idle for an hour: left alone.
    /// assert!(destination.leftovers(Duration::from_secs(3600)).is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn leftovers(&self, idle: Duration) -> Vec<PathBuf> {
        let Destination::Renamed { temp, .. } = self else {
            return Vec::new();
        };
        let Some(own) = temp.file_name().map(|n| n.to_string_lossy()) else {
            return Vec::new();
        };
        let Some(prefix) = own.rfind("tmp-").map(|at| &own[..at + 4]) else {
            return Vec::new();
        };
        let dir = temp.parent().filter(|d| !d.as_os_str().is_empty());
        let Ok(entries) = std::fs::read_dir(dir.unwrap_or(Path::new("."))) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let Some(pid) = name.strip_prefix(prefix) else {
                    return false;
                };
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                let idle_enough = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| SystemTime::now().duration_since(m).unwrap_or_default() >= idle);
                is_file && idle_enough && process_is_gone(pid)
            })
            // Named as the target's directory was given (`.s.csv.tmp-9`,
            // not `./.s.csv.tmp-9`).
            .map(|entry| temp.with_file_name(entry.file_name()))
            .collect();
        found.sort();
        found
    }
}

/// Whether `pid` (as a temporary file's name writes it) names a process
/// that is certainly not running: not this one, and absent from `/proc`
/// where the system has one. `false` where that cannot be told.
fn process_is_gone(pid: &str) -> bool {
    let Ok(id) = pid.parse::<u32>() else {
        return false; // not a name this crate writes
    };
    if id == std::process::id() || pid != id.to_string() {
        return false;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid).exists()
}

/// The file that [`score_file`](crate::score_file) writes while the results
/// for `output` are incomplete: `.<name>.tmp-<process id>`, hidden, beside
/// the file it will replace (a symbolic link's own file: the link is
/// followed), renamed over it once every row is written and synced. An
/// interrupted run leaves the earlier `output` whole, but a process that
/// is killed leaves this file behind; a caller that handles signals (the
/// `healthscore` command-line tool does, for `SIGINT`, `SIGTERM` and
/// `SIGHUP`) removes it before exiting, and one that was killed outright
/// leaves it for a later run to find ([`Destination::leftovers`]).
///
/// `None` where there is no such file: `output` exists and is not a
/// regular file (a named pipe, a device), and is written in place.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// let temp = healthscore_arrow::temporary_path(Path::new("out/scores.parquet"));
/// let expected = format!(".scores.parquet.tmp-{}", std::process::id());
/// assert_eq!(temp, Some(Path::new("out").join(expected)));
/// ```
pub fn temporary_path(output: &Path) -> Option<PathBuf> {
    match Destination::of(output) {
        Destination::Renamed { temp, .. } => Some(temp),
        Destination::InPlace(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_renamed_into_place() {
        let d = Destination::of(Path::new("no/such/dir/r.csv"));
        let temp = PathBuf::from(format!("no/such/dir/.r.csv.tmp-{}", std::process::id()));
        assert_eq!(
            d,
            Destination::Renamed {
                temp: temp.clone(),
                target: PathBuf::from("no/such/dir/r.csv")
            }
        );
        assert_eq!(d.written(), temp);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_devices_written_in_place() {
        let dir = std::env::temp_dir().join(format!("hs-destination-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("runs")).expect("a directory");
        let real = dir.join("runs").join("2026-12-02.parquet");
        std::fs::write(&real, b"earlier").expect("a file");
        let link = dir.join("latest.parquet");
        std::os::unix::fs::symlink(&real, &link).expect("a link");
        let real = std::fs::canonicalize(&real).expect("exists");
        let d = Destination::of(&link);
        let Destination::Renamed { temp, target } = d else {
            panic!("{d:?}")
        };
        assert_eq!(target, real);
        assert_eq!(temp.parent(), real.parent());
        // A link to nothing is replaced itself.
        let dangling = dir.join("gone.csv");
        std::os::unix::fs::symlink(dir.join("nothing"), &dangling).expect("a link");
        assert!(matches!(Destination::of(&dangling),
            Destination::Renamed { target, .. } if target == dangling));
        let null = Path::new("/dev/null");
        assert_eq!(Destination::of(null), Destination::InPlace(null.into()));
        assert_eq!(temporary_path(null), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn leftovers_are_only_those_of_processes_gone() {
        let dir = std::env::temp_dir().join(format!("hs-leftovers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory");
        let touch = |name: &str| {
            let path = dir.join(name);
            std::fs::write(&path, b"part").expect("a file");
            path
        };
        let gone = touch(".s.csv.tmp-4000000000");
        let also_gone = touch(".s.csv.tmp-3999999999");
        // This process's own, one of a running process (pid 1), another
        // output's, one not of this crate's naming, a leading zero (not
        // how a process id is written), and a directory: none of them.
        touch(&format!(".s.csv.tmp-{}", std::process::id()));
        touch(".s.csv.tmp-1");
        touch(".t.csv.tmp-4000000000");
        touch(".s.csv.tmp-x4000000000");
        touch(".s.csv.tmp-04000000000");
        touch("s.csv");
        std::fs::create_dir(dir.join(".s.csv.tmp-3999999998")).expect("a directory");
        let d = Destination::of(&dir.join("s.csv"));
        assert_eq!(d.leftovers(Duration::ZERO), [also_gone, gone]);
        // Modified within the idle time: a run elsewhere may be writing it.
        assert!(d.leftovers(Duration::from_secs(3600)).is_empty());
        assert!(Destination::InPlace(dir.join("s.csv"))
            .leftovers(Duration::ZERO)
            .is_empty());
        // A directory that is not there has none.
        assert!(Destination::of(&dir.join("no/such/s.csv"))
            .leftovers(Duration::ZERO)
            .is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
