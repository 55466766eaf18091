//! The cells of a dated score or outcome as text, read the same way
//! whether they come from a table ([`read_dated_scores`](crate::read_dated_scores))
//! or a JSON results row ([`dated_row_of_json`](crate::dated_row_of_json)).

use chrono::{Datelike, NaiveDate};
use healthscore::{Band, Points};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A date (`name` in messages) within the years a dated score in JSON
/// may hold, 1 to 9999.
pub(crate) fn in_years(date: NaiveDate, name: &str) -> Result<NaiveDate, String> {
    if (1..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!("{name}: {date} is outside the years 1 to 9999"))
    }
}

/// A date written `YYYY-MM-DD` (or a warehouse's timestamp of that day),
/// within the years 1 to 9999.
pub(crate) fn date(t: &str, name: &str) -> Result<NaiveDate, String> {
    let date = crate::convert::text_date(t)
        .ok_or_else(|| format!("{name}: {} is not a date", healthscore::Quoted(t)))?;
    in_years(date, name)
}

/// MRR written as a decimal (`1200.50`), not negative.
pub(crate) fn money(t: &str) -> Result<Decimal, String> {
    match Decimal::from_str(t) {
        Ok(d) => money_of(d),
        Err(e) => Err(format!(
            "mrr: {} is not a decimal number ({e})",
            healthscore::Quoted(t)
        )),
    }
}

/// MRR read as a decimal value (a table's decimal column), not negative.
pub(crate) fn money_of(d: Decimal) -> Result<Decimal, String> {
    if d.is_sign_negative() && !d.is_zero() {
        Err(format!("mrr: {d} is negative: MRR is never below zero"))
    } else {
        Ok(d)
    }
}

/// A score written as a decimal (`71.25`, or `7.125e1`), 0 to 100 with at
/// most six decimals.
pub(crate) fn score(t: &str) -> Result<Points, String> {
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|e| format!("score: {} is not a number ({e})", healthscore::Quoted(t)))
        .and_then(score_of)
}

/// A score read as a decimal value (a table's decimal column), 0 to 100
/// with at most six decimals.
pub(crate) fn score_of(d: Decimal) -> Result<Points, String> {
    Points::from_decimal(d).map_err(|e| format!("score: {e}"))
}

/// A band's name, in any case.
pub(crate) fn band(t: &str) -> Result<Band, String> {
    t.parse::<Band>().map_err(|e| format!("band: {e}"))
}
