//! Standard output for the tables and texts of the commands: a closed
//! pipe (`healthscore portfolio | head -1`) or a full disk ends the
//! command with status 4 and one line on stderr, where `print!` would end
//! it in a panic (status 101) and a backtrace.

use std::io::Write as _;
use std::sync::OnceLock;

/// The first error writing standard output, if there was one.
static FAILED: OnceLock<String> = OnceLock::new();

/// Writes `text` to standard output, unless an earlier write failed.
pub(crate) fn print(text: std::fmt::Arguments<'_>) {
    if FAILED.get().is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.flush()) {
        let _ = FAILED.set(e.to_string());
    }
}

/// The first error writing standard output: the command's status is then
/// [`OUTPUT`](crate::exit::OUTPUT) whatever it was.
pub(crate) fn failed() -> Option<&'static str> {
    FAILED.get().map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_failed_until_a_write_fails() {
        assert_eq!(super::failed(), None);
    }
}
