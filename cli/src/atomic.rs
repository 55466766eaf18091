//! A file written in full or not at all (the CTA state, the HTML report):
//! to a hidden temporary file beside it, synced, then renamed over it.

use healthscore_arrow::Destination;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a temporary file of a process that has ended must have been
/// left alone before a run removes it: long enough that a run writing the
/// same file from another container (whose processes this one cannot
/// see) is not mistaken for a killed one, short enough that a nightly
/// job tidies what the night before left.
const LEFTOVER_IDLE: Duration = Duration::from_secs(3600);

/// Removes the temporary files that runs killed outright (`SIGKILL`, the
/// out-of-memory killer) left beside `output`, saying so on standard
/// error (see [`Destination::leftovers`]).
pub fn remove_leftovers(output: &Path) {
    for path in Destination::of(output).leftovers(LEFTOVER_IDLE) {
        // One that cannot be removed (another run removed it first, a
        // directory without write permission) is left as it is.
        if std::fs::remove_file(&path).is_ok() {
            say!(
                "note: removed {}, which a run killed before it finished had left",
                path.display()
            );
        }
    }
}

/// A file written in full or not at all: to a temporary file beside the
/// target, renamed over it by [`commit`](AtomicFile::commit). Dropped
/// without a commit, the temporary file is removed and the target is as it
/// was. A target that exists and is not a regular file (a device such as
/// `/dev/stdout`, a pipe) cannot be replaced, so it is written directly; a
/// symbolic link is followed, so the file it names is replaced, not the link
/// (a link that names nothing is replaced itself). These are
/// [`Destination`]'s rules, the same as `score_file`'s for its results.
pub struct AtomicFile {
    /// The name given, for messages.
    name: String,
    /// The file renamed over; `None` when written directly.
    target: Option<PathBuf>,
    temp: PathBuf,
    writer: BufWriter<File>,
    done: bool,
    /// The temporary file, removed if a signal ends the run.
    _writing: Option<crate::interrupt::Writing>,
}

impl AtomicFile {
    /// # Errors
    ///
    /// The file (or the temporary file beside it) cannot be created.
    pub fn create(given: &str) -> Result<AtomicFile, String> {
        let err = |e: std::io::Error| format!("{given}: {e}");
        remove_leftovers(Path::new(given));
        // The rules `score_file` follows for its results: a device or a
        // pipe written directly, a symbolic link's own file replaced.
        let (temp, target) = match Destination::of(Path::new(given)) {
            Destination::Renamed { temp, target } => (temp, target),
            other => {
                let path = other.written().to_path_buf();
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(err)?;
                return Ok(AtomicFile {
                    name: given.to_string(),
                    target: None,
                    temp: path,
                    writer: BufWriter::with_capacity(1 << 16, file),
                    done: true,
                    _writing: None,
                });
            }
        };
        let writing = crate::interrupt::Writing::new(temp.clone());
        let file = File::create(&temp).map_err(err)?;
        Ok(AtomicFile {
            name: given.to_string(),
            target: Some(target),
            temp,
            writer: BufWriter::with_capacity(1 << 16, file),
            done: false,
            _writing: Some(writing),
        })
    }

    /// The name given, for errors.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The writer (to the temporary file, or to the target itself).
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Flushes; for a regular file also syncs and renames the temporary
    /// file over the target.
    ///
    /// # Errors
    ///
    /// Any of those steps failing, naming the file; a regular target is then
    /// unchanged.
    pub fn commit(mut self) -> Result<(), String> {
        let name = self.name();
        self.writer.flush().map_err(|e| format!("{name}: {e}"))?;
        let Some(target) = self.target.clone() else {
            return Ok(()); // written directly: nothing to sync or rename
        };
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| format!("{name}: {e}"))?;
        std::fs::rename(&self.temp, &target).map_err(|e| format!("{name}: {e}"))?;
        self.done = true;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable where the platform allows.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
