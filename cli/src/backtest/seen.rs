//! Which accounts have a score on which date, so that a second score of
//! an account on one date is rejected (a run appended twice, or a night's
//! results given twice, would otherwise count each score twice), naming
//! where the first was.
//!
//! A year of nightly results is hundreds of millions of scores, so the
//! scores are not remembered one by one: each date keeps which accounts
//! it has seen, as a bit per account once it has more than a few (a
//! 1,000,000-account night: 125 KB), and the files its scores came
//! from. Where a score was read is only needed for a repeat, which is
//! rare: repeats are told once every file is read, each with the place
//! of its first, found by reading again the files that hold their dates.

use super::account_set::Accounts;
use chrono::{Datelike, NaiveDate};
use healthscore::backtest::DatedScore;
use std::collections::{HashMap, HashSet};

/// The accounts with a score on each date, and the repeats found.
#[derive(Default)]
pub(super) struct Seen {
    /// Each account's number, by its id.
    accounts: HashMap<Box<str>, u32>,
    /// Each date's index in `dates`, by its day number.
    days: HashMap<i32, usize>,
    dates: Vec<Date>,
    /// The last date looked up and its index (a night's file has one).
    last: Option<(i32, usize)>,
    /// Each file scores were read from.
    files: Vec<File>,
    /// What was read, as it can be read again: a file of JSON lines or a
    /// table (a file, or a directory of parts).
    sources: Vec<Source>,
    /// The second (third…) scores, in the order they were read.
    repeats: Vec<Repeat>,
    /// Scores handed on.
    kept: u64,
}

/// What one date has seen.
struct Date {
    accounts: Accounts,
    /// The files its scores came from (indexes in `Seen::files`).
    files: Vec<u32>,
}

/// A file scores were read from.
struct File {
    /// As a place names it (empty: a lone file of lines, named by its
    /// line numbers alone).
    name: String,
    /// As a rejection names it.
    path: String,
    /// What its numbers count: `line` or `row`.
    unit: &'static str,
    /// The source it was read as part of (an index in `Seen::sources`).
    source: u32,
}

/// A path as it was read.
#[derive(Clone)]
pub(super) struct Source {
    /// The path given.
    pub path: String,
    /// JSON lines (named `name`), or a table.
    pub lines: Option<String>,
}

/// A second score of an account on one date: its key (account and day)
/// and where it was read.
struct Repeat {
    key: u64,
    file: u32,
    n: u64,
}

/// What a source read again hands each score to, with its file's path
/// and its line or row number.
pub(super) type Found<'a> = dyn FnMut(&str, u64, &DatedScore) + 'a;

/// A (file, line or row) place, as [`Seen::place`] names it.
type Place = (u32, u64);

impl Seen {
    /// Starts reading `source`; its files are then named with
    /// [`Seen::file`].
    pub(super) fn source(&mut self, source: Source) {
        self.sources.push(source);
    }

    /// The index of the file `path` (named `name` in places; `unit`
    /// counts its lines or rows) of the source being read: the last one,
    /// or a new one.
    pub(super) fn file(&mut self, name: &str, path: &str, unit: &'static str) -> u32 {
        let source = u32::try_from(self.sources.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let last = self.files.len().checked_sub(1);
        if let Some(f) = last.and_then(|l| self.files.get(l).map(|f| (l, f))) {
            if f.1.path == path && f.1.unit == unit && f.1.source == source {
                return u32::try_from(f.0).unwrap_or(u32::MAX);
            }
        }
        self.files.push(File {
            name: name.to_string(),
            path: path.to_string(),
            unit,
            source,
        });
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    /// Hands `score` (read at line or row `n` of `file`) to `keep`, or
    /// keeps it aside as a second score of its account on its date (told
    /// by [`Seen::tell_repeats`]). `Err` when there are more accounts
    /// than a `u32` numbers.
    pub(super) fn keep(
        &mut self,
        file: u32,
        n: u64,
        score: &DatedScore,
        keep: &mut dyn FnMut(&DatedScore),
    ) -> Result<(), String> {
        let known = self.accounts.len();
        let account = match self.accounts.get(score.account.as_str()) {
            Some(a) => *a,
            None => {
                let next = u32::try_from(known)
                    .map_err(|_| "more than 4,294,967,295 accounts: not read".to_string())?;
                self.accounts.insert(score.account.as_str().into(), next);
                next
            }
        };
        let day = score.date.num_days_from_ce();
        let at = self.date(day);
        let Some(date) = self.dates.get_mut(at) else {
            return Err("a date not kept".into());
        };
        if date.files.last() != Some(&file) {
            date.files.push(file);
        }
        if date.accounts.insert(account, self.accounts.len()) {
            keep(score);
            self.kept += 1;
        } else {
            self.repeats.push(Repeat {
                key: key(account, day),
                file,
                n,
            });
        }
        Ok(())
    }

    /// The index in `dates` of day `day`, added if new.
    fn date(&mut self, day: i32) -> usize {
        if let Some((d, at)) = self.last {
            if d == day {
                return at;
            }
        }
        let next = self.dates.len();
        let at = *self.days.entry(day).or_insert(next);
        if at == next {
            self.dates.push(Date {
                accounts: Accounts::default(),
                files: Vec::new(),
            });
        }
        self.last = Some((day, at));
        at
    }

    /// How many second scores were kept aside.
    pub(super) fn repeats(&self) -> u64 {
        self.repeats.len() as u64
    }

    /// How many scores were handed on.
    pub(super) fn kept(&self) -> u64 {
        self.kept
    }

    /// Tells `tell` each second score (`rejected <file> row 5: account a:
    /// a second score on 2026-11-01, the first at <file> row 2 (the first
    /// is kept)`), in the order read. The first ones are found by reading
    /// again, with `again`, each source that holds a file of their dates
    /// (and is a regular file or a directory: a pipe cannot be read
    /// twice), which hands back each score it reads with its file's path
    /// and its number.
    pub(super) fn tell_repeats(
        &self,
        again: &mut dyn FnMut(&Source, &mut Found),
        tell: &mut dyn FnMut(String),
    ) {
        if self.repeats.is_empty() {
            return;
        }
        // Per repeated key: where its second score was (the earliest
        // repeat: the first is before it), and where its first is found.
        let mut first: HashMap<u64, (Place, Option<Place>)> = HashMap::new();
        for r in &self.repeats {
            first.entry(r.key).or_insert(((r.file, r.n), None));
        }
        // The sources to read again, in the order they were read: those
        // of the files of each repeated date, up to its last repeat's.
        let mut upto: HashMap<i32, u32> = HashMap::new();
        for r in &self.repeats {
            let last = upto.entry(day_of(r.key)).or_insert(r.file);
            *last = (*last).max(r.file);
        }
        let mut sources: Vec<u32> = upto
            .iter()
            .filter_map(|(day, &upto)| Some((self.dates.get(*self.days.get(day)?)?, upto)))
            .flat_map(|(d, upto)| d.files.iter().filter(move |&&f| f <= upto))
            .filter_map(|f| self.files.get(*f as usize).map(|f| f.source))
            .collect();
        sources.sort_unstable();
        sources.dedup();
        let mut unresolved = first.len();
        // Sources not read again (a pipe, a file gone since).
        let mut skipped = HashSet::new();
        for s in sources {
            let Some(source) = self.sources.get(s as usize) else {
                continue;
            };
            if unresolved == 0 {
                break;
            }
            if !rereadable(&source.path) {
                skipped.insert(s);
                continue;
            }
            // The source's files by path (the last one found kept, as
            // they come in order).
            let mut last: Option<(String, u32)> = None;
            again(source, &mut |path, n, score| {
                let Some(&account) = self.accounts.get(score.account.as_str()) else {
                    return;
                };
                let Some((second, slot)) =
                    first.get_mut(&key(account, score.date.num_days_from_ce()))
                else {
                    return;
                };
                if slot.is_some() {
                    return;
                }
                let file = match &last {
                    Some((p, f)) if p == path => *f,
                    _ => {
                        let found = self
                            .files
                            .iter()
                            .position(|f| f.source == s && f.path == path)
                            .and_then(|f| u32::try_from(f).ok());
                        let Some(f) = found else { return };
                        last = Some((path.to_string(), f));
                        f
                    }
                };
                // Only a score read before the second is its first (a
                // source that could not be read again holds it, or the
                // file changed since).
                if (file, n) < *second {
                    *slot = Some((file, n));
                    unresolved -= 1;
                }
            });
        }
        let ids = self.ids();
        for r in &self.repeats {
            let account = ids.get((r.key >> 32) as usize).copied().unwrap_or("?");
            let date = NaiveDate::from_num_days_from_ce_opt(day_of(r.key))
                .map_or_else(String::new, |d| d.to_string());
            let was = match first.get(&r.key).and_then(|(_, at)| *at) {
                Some(place) => format!("the first at {}", self.place(place)),
                None => self.not_found(r, &skipped),
            };
            let path = self
                .files
                .get(r.file as usize)
                .map_or("", |f| f.path.as_str());
            let unit = self.files.get(r.file as usize).map_or("row", |f| f.unit);
            tell(format!(
                "rejected {path} {unit} {}: account {}: a second score on {date}, {was} (the first is kept)",
                r.n,
                crate::terminal::printable(account)
            ));
        }
    }

    /// Where the first of `r` was, as far as is known without it: the
    /// files of its date, read before it, that were not read again
    /// (`skipped`: a pipe, a file gone since).
    fn not_found(&self, r: &Repeat, skipped: &HashSet<u32>) -> String {
        let mut files: Vec<String> = self
            .days
            .get(&day_of(r.key))
            .and_then(|&d| self.dates.get(d))
            .map(|d| d.files.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|&&f| f <= r.file)
            .filter_map(|&f| self.files.get(f as usize))
            .filter(|f| skipped.contains(&f.source))
            .map(|f| crate::terminal::printable(&f.path).to_string())
            .collect();
        files.dedup();
        if files.is_empty() {
            // Its file changed since it was read.
            "the first read before it (not found again)".to_string()
        } else {
            format!(
                "the first in {}, which could not be read again to say where",
                crate::terminal::listed(&files)
            )
        }
    }

    /// Each account's id, by its number.
    fn ids(&self) -> Vec<&str> {
        let mut ids = vec![""; self.accounts.len()];
        for (id, &n) in &self.accounts {
            if let Some(slot) = ids.get_mut(n as usize) {
                *slot = id;
            }
        }
        ids
    }

    /// A place as a message names it: `line 3`, `nights/2026-11-01.parquet
    /// row 5`.
    fn place(&self, (file, n): Place) -> String {
        match self.files.get(file as usize) {
            Some(f) if f.name.is_empty() => format!("{} {n}", f.unit),
            Some(f) => format!("{} {} {n}", f.name, f.unit),
            None => format!("#{n}"),
        }
    }
}

/// An account's number and a day in one key.
fn key(account: u32, day: i32) -> u64 {
    u64::from(account) << 32 | u64::from(day as u32)
}

/// The day of a [`key`].
fn day_of(key: u64) -> i32 {
    key as u32 as i32
}

/// Whether `path` may be read again to the same content: a regular file
/// or a directory (not a pipe, which a second open would wait on).
fn rereadable(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() || m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthscore::{Band, Points};

    fn score(account: &str, day: u32) -> DatedScore {
        DatedScore {
            account: account.into(),
            date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            score: Points::from_micros(50_000_000).unwrap(),
            band: Band::Yellow,
            mrr: rust_decimal::Decimal::ONE,
        }
    }

    /// Reads `rows` (file path, number, score) as one source's content
    /// into `seen`, as `read_scores` does: what was handed on.
    fn read(seen: &mut Seen, source: &Source, rows: &[(&str, u64, DatedScore)]) -> Vec<String> {
        seen.source(source.clone());
        let mut kept = Vec::new();
        for (path, n, s) in rows {
            let name = source.lines.clone().unwrap_or_else(|| path.to_string());
            let unit = if source.lines.is_some() {
                "line"
            } else {
                "row"
            };
            let file = seen.file(&name, path, unit);
            seen.keep(file, *n, s, &mut |s| kept.push(s.account.clone()))
                .unwrap();
        }
        kept
    }

    #[test]
    fn repeats_are_told_in_order_with_their_first_found_by_reading_again() {
        let dir = std::env::temp_dir();
        let (one, two) = (dir.display().to_string(), "a-dir-too".to_string());
        let nights = Source {
            path: one.clone(),
            lines: None,
        };
        let lines = Source {
            path: one.clone(),
            lines: Some(String::new()),
        };
        let first = [
            ("n1.parquet", 1, score("a", 1)),
            ("n1.parquet", 2, score("b", 1)),
            ("n2.parquet", 1, score("a", 2)),
        ];
        let second = [
            (two.as_str(), 1, score("b", 1)),
            (two.as_str(), 2, score("c", 1)),
            (two.as_str(), 3, score("a", 2)),
            (two.as_str(), 5, score("b", 1)),
        ];
        let mut seen = Seen::default();
        assert_eq!(read(&mut seen, &nights, &first), ["a", "b", "a"]);
        assert_eq!(read(&mut seen, &lines, &second), ["c"]);
        assert_eq!((seen.kept(), seen.repeats()), (4, 3));
        let mut read_again = Vec::new();
        let mut told = Vec::new();
        seen.tell_repeats(
            &mut |source, found| {
                read_again.push(source.lines.is_some());
                let rows: &[_] = if source.lines.is_some() {
                    &second
                } else {
                    &first
                };
                for (path, n, s) in rows {
                    found(path, *n, s);
                }
            },
            &mut |m| told.push(m),
        );
        // Each source once, the first source only: it holds every first.
        assert_eq!(read_again, [false]);
        assert_eq!(
            told,
            [
                "rejected a-dir-too line 1: account b: a second score on 2026-11-01, the first at n1.parquet row 2 (the first is kept)",
                "rejected a-dir-too line 3: account a: a second score on 2026-11-02, the first at n2.parquet row 1 (the first is kept)",
                "rejected a-dir-too line 5: account b: a second score on 2026-11-01, the first at n1.parquet row 2 (the first is kept)",
            ]
        );
    }

    #[test]
    fn a_repeat_whose_first_cannot_be_read_again_says_so() {
        // A lone file of lines (named by its numbers alone), then one
        // that is gone (or a pipe: not read twice).
        let here = Source {
            path: std::env::temp_dir().display().to_string(),
            lines: Some(String::new()),
        };
        let gone = Source {
            path: "/no/such/healthscore/file.jsonl".into(),
            lines: Some(String::new()),
        };
        let mut seen = Seen::default();
        read(
            &mut seen,
            &here,
            &[("x", 1, score("a", 1)), ("x", 4, score("a", 1))],
        );
        read(&mut seen, &gone, &[("y", 1, score("b", 1))]);
        read(&mut seen, &here, &[("z", 2, score("b", 1))]);
        let mut told = Vec::new();
        seen.tell_repeats(
            &mut |source, found| {
                assert_eq!(source.path, here.path, "only what can be read again");
                found("x", 1, &score("a", 1));
                found("x", 4, &score("a", 1));
                // b's second: not its own first.
                found("z", 2, &score("b", 1));
            },
            &mut |m| told.push(m),
        );
        assert_eq!(
            told,
            [
                "rejected x line 4: account a: a second score on 2026-11-01, the first at line 1 (the first is kept)",
                "rejected z line 2: account b: a second score on 2026-11-01, the first in y, which could not be read again to say where (the first is kept)",
            ]
        );
    }
}
