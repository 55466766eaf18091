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

use super::account_ids::AccountIds;
use super::account_set::Accounts;
use super::runs::{each_run, First, Second};
use chrono::{Datelike, NaiveDate};
use healthscore::backtest::DatedScore;
use std::collections::{HashMap, HashSet};

/// The accounts with a score on each date, and the repeats found.
#[derive(Default)]
pub(super) struct Seen {
    /// Each account's number, by its id.
    accounts: AccountIds,
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
        let account = self.accounts.number(score.account.as_str())?;
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
                let Some(account) = self.accounts.get(score.account.as_str()) else {
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
        let seconds = self.repeats.iter().map(|r| Second {
            file: r.file,
            n: r.n,
            day: day_of(r.key),
            account: (r.key >> 32) as u32,
            first: match first.get(&r.key).and_then(|(_, at)| *at) {
                Some((file, n)) => First::At(file, n),
                None => First::Unknown(self.not_found(r, &skipped)),
            },
        });
        let account = |s: &Second| {
            let id = self.accounts.id(s.account).unwrap_or("?");
            crate::terminal::printable(id).to_string()
        };
        let day = |d: i32| {
            NaiveDate::from_num_days_from_ce_opt(d).map_or_else(String::new, |d| d.to_string())
        };
        each_run(seconds, |run| {
            let (path, unit) = self
                .files
                .get(run.one.file as usize)
                .map_or(("", "row"), |f| (f.path.as_str(), f.unit));
            for s in &run.few {
                let was = match &s.first {
                    First::At(file, n) => format!("the first at {}", self.place((*file, *n))),
                    First::Unknown(files) => unknown(files, false),
                };
                tell(format!(
                    "rejected {path} {unit} {}: account {}: a second score on {}, {was} (the first is kept)",
                    s.n,
                    account(s),
                    day(s.day)
                ));
            }
            if !run.few.is_empty() {
                return;
            }
            // A run: both ranges and its dates, in one line.
            let on = match run.days {
                (early, late) if early == late => format!("on {}", day(early)),
                (early, late) => format!("on dates from {} to {}", day(early), day(late)),
            };
            let firsts = match (&run.one.first, &run.last.first) {
                (First::At(file, from), First::At(_, to)) => {
                    format!(
                        "the firsts at {}, row for row",
                        self.places(*file, *from, *to)
                    )
                }
                (First::Unknown(files), _) => unknown(files, true),
                _ => String::new(),
            };
            let accounts = match (account(&run.one), account(&run.last)) {
                (one, last) if one == last => format!("account {one}"),
                (one, last) => format!("accounts {one} to {last}"),
            };
            tell(format!(
                "rejected {path} {unit}s {} to {}: {} second scores {on} ({accounts}), {firsts} (the firsts are kept)",
                run.one.n,
                run.last.n,
                run.len,
            ));
        });
    }

    /// Where the first of `r` was, as far as is known without it: the
    /// files of its date, read before it, that were not read again
    /// (`skipped`: a pipe, a file gone since), listed; empty where there
    /// are none (its file changed since it was read).
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
        // (None found: its file changed since it was read.)
        crate::terminal::listed(&files)
    }

    /// Places `from` to `to` of one file as a message names them: `lines
    /// 3 to 9`, `nights/2026-11-01.parquet rows 5 to 9`.
    fn places(&self, file: u32, from: u64, to: u64) -> String {
        match self.files.get(file as usize) {
            Some(f) if f.name.is_empty() => format!("{}s {from} to {to}", f.unit),
            Some(f) => format!("{} {}s {from} to {to}", f.name, f.unit),
            None => format!("#{from} to #{to}"),
        }
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

/// Where a first not found again was: in `files` (listed), which could
/// not be read again, or nowhere known (`files` empty). `many`: a run's
/// firsts.
fn unknown(files: &str, many: bool) -> String {
    let (firsts, them) = if many {
        ("the firsts", "them")
    } else {
        ("the first", "it")
    };
    if files.is_empty() {
        format!("{firsts} read before {them} (not found again)")
    } else {
        format!("{firsts} in {files}, which could not be read again to say where")
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
#[path = "seen_tests.rs"]
mod tests;
