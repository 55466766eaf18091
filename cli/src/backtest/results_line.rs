//! A line of the JSON lines results table that `score --out
//! scores.jsonl` writes (`{"id": …, "as_of": …, "mrr": …, "score": …,
//! "band": …, …}`), read as the back-test reads the same row of a
//! Parquet or CSV results table: a dated score, a row without a band, or
//! a row rejected when it was scored.

use healthscore::backtest::DatedScore;
use healthscore::{Band, Points};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::str::FromStr;

/// What a results row holds for the back-test.
#[derive(Debug, PartialEq)]
pub(crate) enum Row {
    /// A score with its band, date and MRR.
    Score(DatedScore),
    /// No band: the account was short of data.
    Unbanded,
    /// Rejected when it was scored (its `error`).
    Rejected,
}

/// The columns read (a row has more: `coverage`, `segment`, …). Numbers
/// are kept as their text, so that an MRR of any precision is read
/// exactly, not through a double.
#[derive(Deserialize)]
struct Columns<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    as_of: Option<&'a RawValue>,
    #[serde(borrow)]
    mrr: Option<&'a RawValue>,
    #[serde(borrow)]
    score: Option<&'a RawValue>,
    /// Every scored row has it (0 where nothing was known: then no
    /// score and no band).
    #[serde(borrow)]
    coverage: Option<&'a RawValue>,
    band: Option<String>,
    error: Option<String>,
}

/// `line` as a results row, or `None` where it is not one (an object
/// without an `error`, and without an `id` or any of `score`, `band` and `coverage`: a
/// dated score or a record with a misnamed field, which its own reader
/// explains). `Err` says which cell of a results row cannot be read.
pub(crate) fn read(line: &str) -> Option<Result<Row, String>> {
    let row: Columns = serde_json::from_str(line).ok()?;
    // Rejected when scored, with or without an id (one that could not
    // be read has none).
    if row.error.is_some() {
        return Some(Ok(Row::Rejected));
    }
    let id = row.id?;
    if row.score.is_none() && row.band.is_none() && row.coverage.is_none() {
        return None;
    }
    let Some(band) = row.band else {
        return Some(Ok(Row::Unbanded));
    };
    Some(dated(id, row.as_of, row.mrr, row.score, &band).map(Row::Score))
}

fn dated(
    id: &RawValue,
    as_of: Option<&RawValue>,
    mrr: Option<&RawValue>,
    score: Option<&RawValue>,
    band: &str,
) -> Result<DatedScore, String> {
    let band = band.parse::<Band>().map_err(|e| format!("band: {e}"))?;
    // An id as text, or an integer id as its digits.
    let account = match text(id) {
        Some(Ok(t)) => t,
        Some(Err(why)) => return Err(format!("id: {why}")),
        None if id.get().bytes().all(|b| b.is_ascii_digit() || b == b'-') => id.get().to_string(),
        None => return Err(format!("id: {} is not text or an integer", id.get())),
    };
    let as_of = as_of.ok_or("as_of: missing")?;
    let date = match text(as_of) {
        Some(Ok(t)) => chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|_| format!("as_of: {t:?} is not a date (YYYY-MM-DD)"))?,
        _ => return Err(format!("as_of: {} is not a date (YYYY-MM-DD)", as_of.get())),
    };
    let score = number(score.ok_or("score: missing")?, "score")?;
    let score = Points::from_decimal(score).map_err(|e| format!("score: {e}"))?;
    let mrr = number(mrr.ok_or("mrr: missing")?, "mrr")?;
    if mrr.is_sign_negative() && !mrr.is_zero() {
        return Err(format!("mrr: {mrr} is negative: MRR is never below zero"));
    }
    Ok(DatedScore {
        account,
        date,
        score,
        band,
        mrr,
    })
}

/// A JSON string's text (`None`: not a string).
fn text(raw: &RawValue) -> Option<Result<String, String>> {
    raw.get()
        .starts_with('"')
        .then(|| serde_json::from_str::<String>(raw.get()).map_err(|e| e.to_string()))
}

/// A number written as a JSON number or as text (`"1200.50"`, as MRR
/// read from text is written), read exactly.
fn number(raw: &RawValue, name: &str) -> Result<Decimal, String> {
    let t = match text(raw) {
        Some(Ok(t)) => t,
        Some(Err(why)) => return Err(format!("{name}: {why}")),
        None => raw.get().to_string(),
    };
    Decimal::from_str(&t)
        .or_else(|_| Decimal::from_scientific(&t))
        .map_err(|_| format!("{name}: {t} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(t: &str) -> Decimal {
        Decimal::from_str(t).unwrap()
    }

    fn score(line: &str) -> DatedScore {
        match read(line) {
            Some(Ok(Row::Score(s))) => s,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_scored_row_is_a_dated_score_read_exactly() {
        let s = score(
            r#"{"id":"acct-7","as_of":"2026-11-30","mrr":"1200.50","score":71.25,"band":"lime","coverage":1.0,"segment":"smb/small"}"#,
        );
        assert_eq!(s.account, "acct-7");
        assert_eq!(s.date.to_string(), "2026-11-30");
        assert_eq!(s.score, Points::from_decimal(dec("71.25")).unwrap());
        assert_eq!((s.band, s.mrr), (Band::Lime, dec("1200.50")));
        // An integer id, an MRR as a JSON number of more digits than a
        // double holds: its exact text.
        let s = score(
            r#"{"id":42,"as_of":"2026-11-30","mrr":12345678901234567.89,"score":43.840657,"band":"YELLOW"}"#,
        );
        assert_eq!(s.account, "42");
        assert_eq!(s.mrr, dec("12345678901234567.89"));
        assert_eq!(s.band, Band::Yellow);
    }

    #[test]
    fn rejected_and_unbanded_rows_are_told_apart() {
        let rejected = r#"{"id":"neg","error":"mrr -5 is negative"}"#;
        assert_eq!(read(rejected), Some(Ok(Row::Rejected)));
        // Rejected for want of an id: none written.
        let no_id = r#"{"error":"line 2: account (no id): missing field `id`"}"#;
        assert_eq!(read(no_id), Some(Ok(Row::Rejected)));
        let short = r#"{"id":"a","as_of":"2026-11-30","mrr":"10","score":40.0,"coverage":0.4}"#;
        assert_eq!(read(short), Some(Ok(Row::Unbanded)));
        // Nothing known: no score either.
        let none =
            r#"{"id":"b","as_of":"2026-11-01","mrr":"191.02","coverage":0.000000,"segment":"smb"}"#;
        assert_eq!(read(none), Some(Ok(Row::Unbanded)));
    }

    #[test]
    fn a_cell_that_cannot_be_read_is_named() {
        for (line, why) in [
            (
                r#"{"id":"a","mrr":"1","score":50,"band":"red"}"#,
                "as_of: missing",
            ),
            (
                r#"{"id":"a","as_of":"2026-13-01","mrr":"1","score":50,"band":"red"}"#,
                "as_of: \"2026-13-01\" is not a date (YYYY-MM-DD)",
            ),
            (
                r#"{"id":"a","as_of":"2026-11-01","score":50,"band":"red"}"#,
                "mrr: missing",
            ),
            (
                r#"{"id":"a","as_of":"2026-11-01","mrr":"-3","score":50,"band":"red"}"#,
                "mrr: -3 is negative: MRR is never below zero",
            ),
            (
                r#"{"id":"a","as_of":"2026-11-01","mrr":"x","score":50,"band":"red"}"#,
                "mrr: x is not a number",
            ),
            (
                r#"{"id":"a","as_of":"2026-11-01","mrr":"1","score":150,"band":"red"}"#,
                "score: ",
            ),
            (
                r#"{"id":"a","as_of":"2026-11-01","mrr":"1","score":50,"band":"blue"}"#,
                "band: \"blue\" is not a band",
            ),
            (
                r#"{"id":[1],"as_of":"2026-11-01","mrr":"1","score":50,"band":"red"}"#,
                "id: [1] is not text or an integer",
            ),
        ] {
            match read(line) {
                Some(Err(e)) => assert!(e.starts_with(why), "{line}: {e}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_lines_are_not_results_rows() {
        for line in [
            r#"{"account":"a","date":"2026-11-01","score":50,"band":"red","mrr":"1"}"#,
            r#"{"id":"a","as_of":"2026-11-01"}"#,
            r#"not json"#,
            r#"[1,2]"#,
        ] {
            assert_eq!(read(line), None, "{line}");
        }
    }
}
