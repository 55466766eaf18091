//! Tests of `seen.rs`.

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

/// A night given twice: its second scores in one line naming both
/// ranges, not a line a score; a run too short to read better so is
/// told a line a score.
#[test]
fn a_night_given_twice_is_told_in_one_line() {
    let here = Source {
        path: std::env::temp_dir().display().to_string(),
        lines: None,
    };
    let night: Vec<(&str, u64, DatedScore)> = ["a", "b", "c", "d", "e"]
        .iter()
        .zip(1..)
        .map(|(a, n)| ("n1.csv", n, score(a, 1)))
        .collect();
    let again: Vec<(&str, u64, DatedScore)> = night
        .iter()
        .map(|(_, n, s)| ("n1-copy.csv", n + 1, s.clone()))
        .chain([
            ("n1-copy.csv", 9, score("a", 2)),
            ("n1-copy.csv", 10, score("a", 2)),
            // One account's history, given twice.
            ("n1-copy.csv", 11, score("f", 3)),
            ("n1-copy.csv", 12, score("f", 4)),
            ("n1-copy.csv", 13, score("f", 5)),
            ("n1-copy.csv", 14, score("f", 6)),
            ("n1-copy.csv", 15, score("f", 3)),
            ("n1-copy.csv", 16, score("f", 4)),
            ("n1-copy.csv", 17, score("f", 5)),
            ("n1-copy.csv", 18, score("f", 6)),
        ])
        .collect();
    let mut seen = Seen::default();
    read(&mut seen, &here, &night);
    assert_eq!(read(&mut seen, &here, &again), ["a", "f", "f", "f", "f"]);
    let mut told = Vec::new();
    seen.tell_repeats(
        &mut |_, found| {
            for (path, n, s) in night.iter().chain(&again) {
                found(path, *n, s);
            }
        },
        &mut |m| told.push(m),
    );
    assert_eq!(
        told,
        [
            "rejected n1-copy.csv rows 2 to 6: 5 second scores on 2026-11-01 (accounts a to e), the firsts at n1.csv rows 1 to 5, row for row (the firsts are kept)",
            "rejected n1-copy.csv row 10: account a: a second score on 2026-11-02, the first at n1-copy.csv row 9 (the first is kept)",
            "rejected n1-copy.csv rows 15 to 18: 4 second scores on dates from 2026-11-03 to 2026-11-06 (account f), the firsts at n1-copy.csv rows 11 to 14, row for row (the firsts are kept)",
        ]
    );
}

#[test]
fn a_first_not_found_is_said_for_one_score_and_for_a_run() {
    assert_eq!(
        unknown("", false),
        "the first read before it (not found again)"
    );
    assert_eq!(
        unknown("", true),
        "the firsts read before them (not found again)"
    );
    assert_eq!(
        unknown("-, /dev/fd/3", true),
        "the firsts in -, /dev/fd/3, which could not be read again to say where"
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
