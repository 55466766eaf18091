//! A line of the JSON lines results table ([`score_file`](crate::score_file)
//! or `healthscore score --out scores.jsonl` with
//! [`Options::history`](crate::Options::history)) read back as the same
//! row of a Parquet results table is.

use crate::dated::DatedRow;
use crate::dated_cells as cells;
use healthscore::backtest::DatedScore;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// `line`, a row of a JSON lines results table (`{"id": …, "as_of": …,
/// "mrr": …, "score": …, "band": …, …}`), as
/// [`read_dated_scores`](crate::read_dated_scores) reads the same row of a
/// table: a score with its band, date and MRR; a row without a band (an
/// account short of data); a row rejected when it was scored (its
/// `error`); or, naming the cell, a row that cannot be read. Numbers are
/// read from their JSON text, so an MRR of more digits than a double
/// holds is exact; an MRR, an id or a score may be written as a JSON
/// string too.
///
/// `None` where the line is not such a row: not a JSON object, or one
/// without an `error` and without an `id` or any of `score`, `band` and
/// `coverage` (a dated score `{account, date, …}`, which its own reader
/// explains).
///
/// # Examples
///
/// ```
/// use healthscore_arrow::{dated_row_of_json, DatedRow};
/// let row = r#"{"id":"acct-7","as_of":"2026-11-30","mrr":1200.50,"score":71.25,"band":"lime","coverage":1.0}"#;
/// let Some(DatedRow::Score(score)) = dated_row_of_json(row) else { panic!() };
/// assert_eq!((score.account.as_str(), score.mrr.to_string().as_str()), ("acct-7", "1200.50"));
/// let short = r#"{"id":"acct-8","as_of":"2026-11-30","mrr":"90","coverage":0.0}"#;
/// assert_eq!(dated_row_of_json(short), Some(DatedRow::Unbanded));
/// assert_eq!(dated_row_of_json(r#"{"account":"a","date":"2026-11-30"}"#), None);
/// ```
pub fn dated_row_of_json(line: &str) -> Option<DatedRow> {
    let row: BTreeMap<String, &RawValue> = serde_json::from_str(line).ok()?;
    // A JSON null is a cell without a value, as a table's null is.
    let cell = |name: &str| row.get(name).copied().filter(|v| v.get() != "null");
    if let Some(error) = cell("error") {
        return Some(DatedRow::Rejected(
            text(error).unwrap_or_else(|| error.get().to_string()),
        ));
    }
    let id = cell("id")?;
    if cell("score").is_none() && cell("band").is_none() && cell("coverage").is_none() {
        return None;
    }
    let Some(band) = cell("band") else {
        return Some(DatedRow::Unbanded);
    };
    let read = || -> Result<DatedScore, String> {
        let band =
            cells::band(&text(band).ok_or_else(|| format!("band: {} is not text", band.get()))?)?;
        // An id as text, or an integer id as its digits.
        let account = match text(id) {
            Some(t) => t,
            None if id.get().bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
                id.get().to_string()
            }
            None => return Err(format!("id: {} is not text or an integer", id.get())),
        };
        let as_of = cell("as_of").ok_or("as_of: missing")?;
        let as_of = text(as_of).ok_or_else(|| format!("as_of: {} is not a date", as_of.get()))?;
        let date = cells::date(&as_of, "as_of")?;
        let score = cells::score(&number(cell("score").ok_or("score: missing")?))?;
        let mrr = cells::money(&number(cell("mrr").ok_or("mrr: missing")?))?;
        Ok(DatedScore {
            account,
            date,
            score,
            band,
            mrr,
        })
    };
    Some(read().map_or_else(DatedRow::Unreadable, DatedRow::Score))
}

/// A JSON string's text (`None`: not a string, or not one that reads).
fn text(raw: &RawValue) -> Option<String> {
    raw.get()
        .starts_with('"')
        .then(|| serde_json::from_str::<String>(raw.get()).ok())
        .flatten()
}

/// A JSON number as its own text, or a JSON string's text (`"1200.50"`,
/// as an MRR read from text is written).
fn number(raw: &RawValue) -> String {
    text(raw).unwrap_or_else(|| raw.get().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthscore::{Band, Points};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn score(line: &str) -> DatedScore {
        match dated_row_of_json(line) {
            Some(DatedRow::Score(s)) => s,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn dec(t: &str) -> Decimal {
        Decimal::from_str(t).unwrap()
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
        assert_eq!(
            dated_row_of_json(rejected),
            Some(DatedRow::Rejected("mrr -5 is negative".into()))
        );
        // Rejected for want of an id: none written.
        let no_id = r#"{"error":"line 2: account (no id): missing field `id`"}"#;
        assert!(matches!(
            dated_row_of_json(no_id),
            Some(DatedRow::Rejected(_))
        ));
        let short = r#"{"id":"a","as_of":"2026-11-30","mrr":"10","score":40.0,"coverage":0.4}"#;
        assert_eq!(dated_row_of_json(short), Some(DatedRow::Unbanded));
        // Nothing known: no score either; a null band is no band.
        let none =
            r#"{"id":"b","as_of":"2026-11-01","mrr":"191.02","coverage":0.000000,"segment":"smb"}"#;
        assert_eq!(dated_row_of_json(none), Some(DatedRow::Unbanded));
        let null =
            r#"{"id":"b","as_of":"2026-11-01","mrr":"1","score":null,"band":null,"coverage":0}"#;
        assert_eq!(dated_row_of_json(null), Some(DatedRow::Unbanded));
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
                "as_of: \"2026-13-01\" is not a date",
            ),
            (
                r#"{"id":"a","as_of":"12026-01-01","mrr":"1","score":50,"band":"red"}"#,
                "as_of: ",
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
                "mrr: \"x\" is not a decimal number",
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
            match dated_row_of_json(line) {
                Some(DatedRow::Unreadable(e)) => assert!(e.starts_with(why), "{line}: {e}"),
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
            assert_eq!(dated_row_of_json(line), None, "{line}");
        }
    }
}
