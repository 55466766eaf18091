//! Rejections said as they come, the rest of a run of consecutive rows or
//! lines rejected for one reason in one line: an export whose `mrr`
//! column is empty, or a partition named `as_of=2026-02-30`, would
//! otherwise say the same thing once a row, a million lines for a million
//! accounts.
//!
//! The first row of a run is said at once, so that a long run (a file
//! every row of which is rejected) shows why from its start, also to
//! whoever stops the command before it ends; the rows after it are said
//! when the run ends, a line each while they are fewer than [`RUN`] − 1,
//! else in one line.
//!
//! Rejections of accounts name each account (`account a7: mrr: missing`);
//! a run groups those whose reasons are the same but for the account and
//! where in the line the JSON parser stopped (`at line 1 column 881`),
//! and its line says the first and last account it holds.

use crate::terminal::clip;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Runs shorter than this are told a line a row, as they read best.
pub(crate) const RUN: usize = 4;

/// The rejections being told: the run so far, whose first row was said
/// and whose rest is said when a row does not follow it (or when this is
/// flushed or dropped), through `say` (a line without its newline).
///
/// The run is kept where a stop by a signal finds it ([`interrupted`]),
/// so that Ctrl-C in the middle of a long run still says how far it went.
pub(crate) struct Told<'a> {
    /// Which teller's run in [`RUNS`] is this one's.
    id: u64,
    say: Box<dyn FnMut(&str) + 'a>,
}

/// Each teller's run so far, by the teller's id.
static RUNS: Mutex<Vec<(u64, Run)>> = Mutex::new(Vec::new());

/// The id of the next teller.
static TELLERS: AtomicU64 = AtomicU64::new(0);

fn runs() -> MutexGuard<'static, Vec<(u64, Run)>> {
    // A thread that panicked while holding the list left each run whole
    // (a field assigned, a run pushed or taken): still the list.
    RUNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The rest of every run being told (the lines each teller's flush would
/// say), taken: what a stop by a signal says before the process ends,
/// where the teller can no longer say it.
pub(crate) fn interrupted() -> Vec<String> {
    taken(|_| true)
}

/// The rest of the runs of the tellers `which` picks, taken.
fn taken(which: impl Fn(u64) -> bool) -> Vec<String> {
    let mut runs = runs();
    let mut lines = Vec::new();
    let mut at = 0;
    while let Some((id, _)) = runs.get(at) {
        if which(*id) {
            let (_, run) = runs.swap_remove(at);
            lines.extend(rest(run));
        } else {
            at += 1;
        }
    }
    lines
}

/// Rows `first` to `last` of `scope` (`unit`: `row`, `line` or
/// `element`), each rejected for `reason`; `first` was said.
struct Run {
    /// The file and a space, or nothing where the command reads one.
    scope: String,
    unit: &'static str,
    first: u64,
    last: u64,
    /// The reason, without the account it names or where the parser
    /// stopped.
    reason: String,
    /// Whether the reasons name an account.
    named: bool,
    /// The first and last account of the rows after `first`.
    accounts: Option<(String, String)>,
    /// The lines of the rows after `first` as they would be said alone,
    /// while there are fewer than [`RUN`] − 1 of them.
    lines: Vec<String>,
}

impl<'a> Told<'a> {
    /// Says each line through `say`.
    pub(crate) fn new(say: impl FnMut(&str) + 'a) -> Told<'a> {
        Told {
            id: TELLERS.fetch_add(1, Ordering::Relaxed),
            say: Box::new(say),
        }
    }

    /// Row or line `n` of `scope` (a file and a space, or nothing) is
    /// rejected for `why` (which may start with its place, `line 4: `, not
    /// said twice).
    pub(crate) fn reject(&mut self, scope: &str, unit: &'static str, n: u64, why: &str) {
        let why = without_place(why, unit, n);
        // Made only where it is said or kept (not for each row of a long run).
        let line = || format!("rejected {scope}{unit} {n}: {}", clip(why));
        let (account, reason) = parts(why);
        // The list is locked while the run is looked at or changed, never
        // while a line is said.
        if let Some((_, run)) = runs().iter_mut().find(|(id, _)| *id == self.id) {
            let follows = run.last.checked_add(1) == Some(n);
            if follows
                && run.unit == unit
                && run.scope == scope
                && run.reason == reason
                && run.named == account.is_some()
            {
                run.last = n;
                match (&mut run.accounts, account) {
                    (Some((_, last)), Some(account)) => account.clone_into(last),
                    (None, Some(account)) => {
                        run.accounts = Some((account.to_string(), account.to_string()));
                    }
                    _ => {}
                }
                if run.lines.len() < RUN - 1 {
                    run.lines.push(line());
                }
                return;
            }
        }
        self.flush();
        (self.say)(&line());
        let run = Run {
            scope: scope.to_string(),
            unit,
            first: n,
            last: n,
            reason: reason.to_string(),
            named: account.is_some(),
            accounts: None,
            lines: Vec::new(),
        };
        runs().push((self.id, run));
    }

    /// No more rejections up to row `n` will come: a run that ends before
    /// it cannot go on, and is said now rather than when the next
    /// rejection comes (a stream's reader sees it as its batch is
    /// written).
    pub(crate) fn settle(&mut self, n: u64) {
        let ended = runs()
            .iter()
            .any(|(id, run)| *id == self.id && run.last < n);
        if ended {
            self.flush();
        }
    }

    /// Says the rest of the run so far (after its first row, said when it
    /// came): a line a row while the run is shorter than [`RUN`], else one
    /// line for all of it.
    pub(crate) fn flush(&mut self) {
        let id = self.id;
        for line in taken(|teller| teller == id) {
            (self.say)(&line);
        }
    }
}

/// The lines that say the rest of `run` (after its first row, said when
/// it came): a line a row while the run is shorter than [`RUN`], else
/// one line for all of it.
fn rest(run: Run) -> Vec<String> {
    let rows = run.last - run.first;
    if rows < RUN as u64 - 1 {
        return run.lines;
    }
    let Run {
        scope,
        unit,
        first,
        last,
        reason,
        accounts,
        ..
    } = run;
    let accounts = match accounts {
        Some((a, b)) => format!(", accounts {} to {}", clip(&a), clip(&b)),
        None => String::new(),
    };
    let from = first + 1;
    vec![format!(
        "rejected {scope}{unit}s {from} to {last} ({rows} {unit}s{accounts}): {}",
        clip(&reason)
    )]
}

impl Drop for Told<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The account a rejection names (`account a7: …`; none for `(no id)`),
/// and its reason as runs group it: without the account, without where
/// a JSON parser stopped (`… at line 1 column 881`) and without where a
/// repeated id was first seen (`duplicate id, first seen at line 4 (the
/// first is kept)`), which differ from row to row.
fn parts(why: &str) -> (Option<&str>, &str) {
    let (account, reason) = match why
        .strip_prefix("account ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some(("(no id)", reason)) => (None, reason),
        Some((account, reason)) => (Some(account), reason),
        None => (None, why),
    };
    let reason = without_position(reason);
    let repeated = reason
        .strip_prefix("duplicate id, first seen at ")
        .and_then(|rest| rest.split_once(" (the first is kept)"))
        .is_some_and(|(_, after)| after.is_empty());
    match repeated {
        true => (account, "duplicate id (the first is kept)"),
        false => (account, reason),
    }
}

/// `why` without a leading `{unit} {n}: ` (its own place), compared
/// without formatting the place.
fn without_place<'w>(why: &'w str, unit: &str, n: u64) -> &'w str {
    why.strip_prefix(unit)
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(|rest| rest.split_once(": "))
        .filter(|(number, _)| {
            // As `{n}` writes it: digits, no leading zero.
            number.bytes().all(|b| b.is_ascii_digit())
                && (*number == "0" || !number.starts_with('0'))
                && number.parse::<u64>() == Ok(n)
        })
        .map_or(why, |(_, rest)| rest)
}

/// `reason` without a trailing ` at line L column C`.
fn without_position(reason: &str) -> &str {
    let Some((before, position)) = reason.rsplit_once(" at line ") else {
        return reason;
    };
    let numbers = position
        .split_once(" column ")
        .is_some_and(|(l, c)| is_number(l) && is_number(c));
    if numbers {
        before
    } else {
        reason
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(rejections: &[(&str, &'static str, u64, &str)]) -> Vec<String> {
        let mut said = Vec::new();
        let mut told = Told::new(|line| said.push(line.to_string()));
        for (file, unit, n, why) in rejections {
            told.reject(file, unit, *n, why);
        }
        drop(told);
        said
    }

    /// A run of rows with one reason is two lines from [`RUN`] rows on
    /// (its first row's, then the rest's); shorter runs, and rows that
    /// break a run (another reason, a gap, another file or unit), a line
    /// each.
    #[test]
    fn runs_of_one_reason_are_told_in_one_line() {
        let missing = "as_of: missing";
        let mut rows: Vec<(&str, &'static str, u64, &str)> = (1..=500)
            .map(|n| ("p/part-0.parquet ", "row", n, missing))
            .collect();
        rows.extend([
            ("p/part-0.parquet ", "row", 502, missing),
            ("p/part-0.parquet ", "row", 503, "band: missing"),
            ("p/part-1.parquet ", "row", 504, "band: missing"),
            ("p/part-1.parquet ", "line", 505, "band: missing"),
        ]);
        rows.extend((1..=3).map(|n| ("n.jsonl ", "line", n, "not JSON")));
        rows.extend((4..=7).map(|n| ("n.jsonl ", "line", n, "not JSON")));
        assert_eq!(
            told(&rows),
            [
                "rejected p/part-0.parquet row 1: as_of: missing",
                "rejected p/part-0.parquet rows 2 to 500 (499 rows): as_of: missing",
                "rejected p/part-0.parquet row 502: as_of: missing",
                "rejected p/part-0.parquet row 503: band: missing",
                "rejected p/part-1.parquet row 504: band: missing",
                "rejected p/part-1.parquet line 505: band: missing",
                "rejected n.jsonl line 1: not JSON",
                "rejected n.jsonl lines 2 to 7 (6 lines): not JSON",
            ]
        );
        let three: Vec<_> = (10..=12)
            .map(|n| ("f.csv ", "row", n, "mrr: missing"))
            .collect();
        assert_eq!(
            told(&three),
            [
                "rejected f.csv row 10: mrr: missing",
                "rejected f.csv row 11: mrr: missing",
                "rejected f.csv row 12: mrr: missing",
            ]
        );
        assert!(told(&[]).is_empty());
    }

    /// The first row of a run is said at once; the rest once a later row
    /// is known not to be rejected, not when the next rejection comes.
    #[test]
    fn a_runs_first_row_is_said_at_once_and_a_settled_run_at_once_too() {
        let said = std::cell::RefCell::new(Vec::new());
        let mut told = Told::new(|line| said.borrow_mut().push(line.to_string()));
        told.reject("", "line", 1, "not JSON");
        assert_eq!(*said.borrow(), ["rejected line 1: not JSON"]);
        told.reject("", "line", 2, "not JSON");
        // Line 3 may be rejected too.
        told.settle(2);
        assert_eq!(said.borrow().len(), 1);
        // It was not: the run ended.
        told.settle(3);
        assert_eq!(
            *said.borrow(),
            ["rejected line 1: not JSON", "rejected line 2: not JSON"]
        );
        told.settle(4);
        told.reject("", "line", 9, "not JSON");
        assert_eq!(said.borrow().len(), 3);
        drop(told);
        assert_eq!(
            said.into_inner(),
            [
                "rejected line 1: not JSON",
                "rejected line 2: not JSON",
                "rejected line 9: not JSON",
            ]
        );
    }

    /// A stop by a signal takes the rest of a run being told (what its
    /// teller would have said when the run ended): said once, by the stop,
    /// and not again by the teller; other tellers' runs are left alone.
    #[test]
    fn a_stop_takes_the_rest_of_a_run_being_told() {
        let said = std::cell::RefCell::new(Vec::new());
        let mut told = Told::new(|line| said.borrow_mut().push(line.to_string()));
        let mut other = Told::new(|_| {});
        other.reject("o.csv ", "row", 1, "mrr: missing");
        other.reject("o.csv ", "row", 2, "mrr: missing");
        for n in 1..=9 {
            told.reject("f.csv ", "row", n, "account a: mrr: missing");
        }
        let id = told.id;
        assert_eq!(
            taken(|teller| teller == id),
            ["rejected f.csv rows 2 to 9 (8 rows, accounts a to a): mrr: missing"]
        );
        drop(told);
        assert_eq!(
            *said.borrow(),
            ["rejected f.csv row 1: account a: mrr: missing"]
        );
        // A short run's rows, a line each.
        let other_id = other.id;
        assert_eq!(
            taken(|teller| teller == other_id),
            ["rejected o.csv row 2: mrr: missing"]
        );
    }

    /// Rejected accounts group by their reason whatever the account and
    /// wherever the JSON parser stopped; the line says the first and last
    /// account. A short run says each account's own line, as before.
    #[test]
    fn rejected_accounts_group_by_reason_and_name_the_first_and_last() {
        let whys: Vec<String> = (1..=5)
            .map(|n| {
                format!(
                    "account a{n}: missing field `mrr` at line 1 column {}",
                    800 + n
                )
            })
            .collect();
        let mut rows: Vec<(&str, &'static str, u64, &str)> = whys
            .iter()
            .zip(1..)
            .map(|(why, n)| ("", "line", n, why.as_str()))
            .collect();
        rows.push(("", "line", 6, "account a6: mrr -1 is negative"));
        rows.push((
            "",
            "line",
            7,
            "line 7: not JSON (expected value at line 1 column 1)",
        ));
        rows.push((
            "",
            "line",
            8,
            "not JSON (expected value at line 1 column 1)",
        ));
        assert_eq!(
            told(&rows),
            [
                "rejected line 1: account a1: missing field `mrr` at line 1 column 801",
                "rejected lines 2 to 5 (4 lines, accounts a2 to a5): missing field `mrr`",
                "rejected line 6: account a6: mrr -1 is negative",
                "rejected line 7: not JSON (expected value at line 1 column 1)",
                "rejected line 8: not JSON (expected value at line 1 column 1)",
            ]
        );
        let short: Vec<(&str, &'static str, u64, &str)> = whys
            .iter()
            .take(2)
            .zip(1..)
            .map(|(why, n)| ("", "row", n, why.as_str()))
            .collect();
        assert_eq!(
            told(&short),
            [
                "rejected row 1: account a1: missing field `mrr` at line 1 column 801",
                "rejected row 2: account a2: missing field `mrr` at line 1 column 802",
            ]
        );
    }

    /// A rejection names its unit once: a row labelled by its row (no id)
    /// is not `row 3: row 3: …`; another label, or another row's, stays.
    #[test]
    fn a_rejection_names_its_place_once() {
        let one = |unit, why| told(&[("", unit, 3, why)]);
        assert_eq!(
            one("row", "row 3: line 4 repeats the header line"),
            ["rejected row 3: line 4 repeats the header line"]
        );
        assert_eq!(
            one("row", "row 30: id: missing"),
            ["rejected row 3: row 30: id: missing"]
        );
        assert_eq!(
            one("row", "row 03: id: missing"),
            ["rejected row 3: row 03: id: missing"]
        );
        assert_eq!(
            one("line", "account a: mrr -1 is negative"),
            ["rejected line 3: account a: mrr -1 is negative"]
        );
    }

    /// Only a trailing position of numbers, and where a repeated id was
    /// first seen, are left out of a reason.
    #[test]
    fn only_a_parsers_position_is_left_out() {
        assert_eq!(parts("account x: y at line 3 column 9"), (Some("x"), "y"));
        assert_eq!(parts("y at line 3 column 9"), (None, "y"));
        assert_eq!(
            parts("y at line three column 9"),
            (None, "y at line three column 9")
        );
        assert_eq!(parts("y at line 3 column"), (None, "y at line 3 column"));
        assert_eq!(parts("account x"), (None, "account x"));
        assert_eq!(parts(""), (None, ""));
        assert_eq!(
            parts("account (no id): expected value at line 1 column 1"),
            (None, "expected value")
        );
        assert_eq!(
            parts("account a: duplicate id, first seen at row 12 (the first is kept)"),
            (Some("a"), "duplicate id (the first is kept)")
        );
        assert_eq!(
            parts("account a: duplicate id, first seen at row 12 (the first is kept) x"),
            (
                Some("a"),
                "duplicate id, first seen at row 12 (the first is kept) x"
            )
        );
    }
}
