//! Second scores told a run at a time: a night's file given twice (or
//! copied into the directory of nights) repeats every score of the
//! first, row after row, and a line per score would bury what happened
//! under a million lines. A run of second scores in one file whose
//! firsts are in one file, row for row (or were not found, for the same
//! reason) is said in one line that names both ranges, the count and
//! the dates; nothing is lost, as each second's account and date are on
//! its row, and its first as many rows from the first range's start.

/// Where a second score's first was.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum First {
    /// Found by reading again: its file (an index) and number.
    At(u32, u64),
    /// Not found: the files, listed, that hold it but could not be read
    /// again (empty: none; its file changed since it was read). The
    /// same for the whole run.
    Unknown(String),
}

/// A second score of an account on a date.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Second {
    /// Its file (an index) and its line or row number there.
    pub(super) file: u32,
    pub(super) n: u64,
    /// Its date, as a day number.
    pub(super) day: i32,
    /// Its account, as a number.
    pub(super) account: u32,
    pub(super) first: First,
}

/// Runs shorter than this are told a line a score, as they read best.
pub(super) use crate::told::RUN;

/// A run of second scores, as it is told: its ends, its length and its
/// dates, and its scores themselves while it is shorter than [`RUN`]
/// (a run of a million holds two).
pub(super) struct Run {
    /// Its first and last second scores.
    pub(super) one: Second,
    pub(super) last: Second,
    pub(super) len: u64,
    /// Its earliest and latest dates.
    pub(super) days: (i32, i32),
    /// Its scores, while it has fewer than [`RUN`]; else empty.
    pub(super) few: Vec<Second>,
}

impl Run {
    fn new(s: Second) -> Run {
        Run {
            one: s.clone(),
            days: (s.day, s.day),
            few: vec![s.clone()],
            last: s,
            len: 1,
        }
    }

    fn push(&mut self, s: Second) {
        self.len += 1;
        self.days = (self.days.0.min(s.day), self.days.1.max(s.day));
        if self.len < RUN as u64 {
            self.few.push(s.clone());
        } else if !self.few.is_empty() {
            self.few = Vec::new();
        }
        self.last = s;
    }
}

/// `seconds` (in the order read) cut into runs, each handed to `f` as
/// it ends: each a maximal stretch of one file's second scores, each on
/// a later row than the one before, whose firsts are as many rows apart
/// in one file (a copy of a file, row for row: rows left out of both,
/// such as scores without a band, leave the same gaps), or were not
/// found for the same reason. Its dates may differ (a history of many
/// dates given twice is one run). One run is held at a time.
pub(super) fn each_run(seconds: impl IntoIterator<Item = Second>, mut f: impl FnMut(Run)) {
    let mut open: Option<Run> = None;
    for s in seconds {
        match &mut open {
            Some(run) if follows(&run.last, &s) => run.push(s),
            _ => {
                if let Some(run) = open.replace(Run::new(s)) {
                    f(run);
                }
            }
        }
    }
    if let Some(run) = open {
        f(run);
    }
}

/// Whether `b` goes on the run `a` ends.
fn follows(a: &Second, b: &Second) -> bool {
    let Some(step) = b.n.checked_sub(a.n).filter(|s| *s > 0) else {
        return false;
    };
    a.file == b.file
        && match (&a.first, &b.first) {
            (First::At(fa, na), First::At(fb, nb)) => fa == fb && nb.checked_sub(*na) == Some(step),
            (First::Unknown(wa), First::Unknown(wb)) => wa == wb,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(file: u32, n: u64, day: i32, first: First) -> Second {
        Second {
            file,
            n,
            day,
            account: n as u32,
            first,
        }
    }

    /// Each run's length, checking what it holds on the way.
    fn lengths(seconds: &[Second]) -> Vec<u64> {
        let mut lengths = Vec::new();
        let mut at = 0;
        each_run(seconds.iter().cloned(), |run| {
            let len = run.len as usize;
            let held = &seconds[at..at + len];
            assert_eq!((&run.one, &run.last), (&held[0], &held[len - 1]));
            let days = held.iter().map(|s| s.day);
            assert_eq!(run.days, (days.clone().min().unwrap(), days.max().unwrap()));
            if len < RUN {
                assert_eq!(run.few, held);
            } else {
                assert!(run.few.is_empty());
            }
            at += len;
            lengths.push(run.len);
        });
        assert_eq!(at, seconds.len());
        lengths
    }

    #[test]
    fn a_file_given_twice_is_one_run() {
        let seconds: Vec<Second> = (2..1_002)
            .map(|n| second(1, n, 7, First::At(0, n)))
            .collect();
        assert_eq!(lengths(&seconds), [1_000]);
        // Shifted by a header line or two: still one run.
        let shifted: Vec<Second> = (2..12)
            .map(|n| second(1, n, 7, First::At(0, n + 2)))
            .collect();
        assert_eq!(lengths(&shifted), [10]);
    }

    #[test]
    fn a_run_breaks_where_any_of_its_parts_does() {
        let at = |file, n| First::At(file, n);
        let seconds = vec![
            second(1, 1, 7, at(0, 1)),
            second(1, 2, 7, at(0, 2)),
            // Its first skips a row, the second does not.
            second(1, 3, 7, at(0, 4)),
            // Another file of firsts.
            second(1, 4, 7, at(2, 5)),
            // Another date: the same run.
            second(1, 5, 8, at(2, 6)),
            // A row left out of both files: the same run.
            second(1, 7, 8, at(2, 8)),
            // A row skipped in the second file only.
            second(1, 9, 8, at(2, 9)),
            // Another second file.
            second(3, 10, 8, at(2, 10)),
            // Firsts not found: together while the why is the same.
            second(3, 11, 8, First::Unknown("a.jsonl".into())),
            second(3, 13, 8, First::Unknown("a.jsonl".into())),
            second(3, 14, 8, First::Unknown(String::new())),
            second(3, 15, 8, at(2, 15)),
            // Backwards: a new run.
            second(3, 2, 8, at(2, 2)),
            // Far apart, but as far in both files: the same run.
            second(3, u64::MAX, 8, at(2, u64::MAX)),
            // The largest number does not wrap into a run.
            second(3, 0, 8, at(2, 0)),
        ];
        assert_eq!(lengths(&seconds), [2, 1, 3, 1, 1, 2, 1, 1, 2, 1]);
        assert!(lengths(&[]).is_empty());
    }
}
