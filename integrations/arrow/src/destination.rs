//! Where a results file is written while it is incomplete: a hidden
//! temporary file beside it, renamed over it at the end.

use std::path::{Path, PathBuf};

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
}

/// The file that [`score_file`](crate::score_file) writes while the results
/// for `output` are incomplete: `.<name>.tmp-<process id>`, hidden, beside
/// the file it will replace (a symbolic link's own file: the link is
/// followed), renamed over it once every row is written and synced. An
/// interrupted run leaves the earlier `output` whole, but a process that
/// is killed leaves this file behind; a caller that handles signals (the
/// `healthscore` command-line tool does, for `SIGINT`, `SIGTERM` and
/// `SIGHUP`) removes it before exiting.
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
}
