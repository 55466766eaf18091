//! The columns a batch is made of, borrowed from the caller.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt;

/// Account ids, one per row. Only read to name a row in an error or an
/// explanation: scoring never touches them.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Ids<'a> {
    /// Borrowed string slices.
    Str(&'a [&'a str]),
    /// Owned strings.
    String(&'a [String]),
    /// Integer ids (warehouses often key accounts by number).
    Int(&'a [i64]),
    /// Unsigned integer ids.
    UInt(&'a [u64]),
    /// Arrow's UTF-8 layout: row `i` is `data[offsets[i]..offsets[i+1]]`
    /// (so `offsets` has one entry more than there are rows).
    Utf8 {
        /// Byte offsets into `data`.
        offsets: &'a [i32],
        /// The concatenated UTF-8 bytes.
        data: &'a [u8],
    },
}

impl<'a> Ids<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Ids::Str(v) => v.len(),
            Ids::String(v) => v.len(),
            Ids::Int(v) => v.len(),
            Ids::UInt(v) => v.len(),
            Ids::Utf8 { offsets, .. } => offsets.len().saturating_sub(1),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of a row; `None` past the end or for bytes that are not UTF-8
    /// or offsets out of order.
    pub fn get(&self, row: usize) -> Option<RowId<'a>> {
        Some(match self {
            Ids::Str(v) => RowId::Text(v.get(row)?),
            Ids::String(v) => RowId::Text(v.get(row)?.as_str()),
            Ids::Int(v) => RowId::Int(i128::from(*v.get(row)?)),
            Ids::UInt(v) => RowId::Int(i128::from(*v.get(row)?)),
            Ids::Utf8 { offsets, data } => {
                let from = usize::try_from(*offsets.get(row)?).ok()?;
                let to = usize::try_from(*offsets.get(row + 1)?).ok()?;
                RowId::Text(std::str::from_utf8(data.get(from..to)?).ok()?)
            }
        })
    }
}

/// One row's id, as [`Ids::get`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowId<'a> {
    /// A text id.
    Text(&'a str),
    /// A numeric id.
    Int(i128),
}

impl RowId<'_> {
    /// True for an empty text id (see [`is_blank`](Self::is_blank) for
    /// what the row API refuses).
    pub fn is_empty(&self) -> bool {
        matches!(self, RowId::Text(s) if s.is_empty())
    }

    /// True for a text id that is empty or only white space: the row API
    /// refuses those ([`AccountProblem::EmptyId`](crate::score::AccountProblem::EmptyId)),
    /// as a blank text cell of a table is a missing id.
    ///
    /// ```
    /// use healthscore::batch::RowId;
    /// assert!(RowId::Text(" \t").is_blank());
    /// assert!(!RowId::Text(" a").is_blank() && !RowId::Int(0).is_blank());
    /// ```
    #[inline]
    pub fn is_blank(&self) -> bool {
        matches!(self, RowId::Text(s) if crate::score::is_blank_id(s))
    }
}

impl fmt::Display for RowId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowId::Text(s) => f.write_str(s),
            RowId::Int(n) => write!(f, "{n}"),
        }
    }
}

/// Monthly recurring revenue, one per row, exact.
///
/// A scaled integer column is what a warehouse's `DECIMAL(p, s)` gives
/// (Arrow `Decimal128`, or cents in an `i64`): row `i` is
/// `values[i] / 10^scale`. Segment tiers are compared exactly in that
/// scale; no float is involved.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Mrr<'a> {
    /// `rust_decimal` values.
    Decimal(&'a [Decimal]),
    /// Scaled 64-bit integers, e.g. cents with `scale: 2`.
    Scaled64 {
        /// The unscaled values.
        values: &'a [i64],
        /// Decimal places (at most 28).
        scale: u32,
    },
    /// Scaled 128-bit integers: Arrow's `Decimal128(p, scale)` buffer.
    Scaled128 {
        /// The unscaled values.
        values: &'a [i128],
        /// Decimal places (at most 28).
        scale: u32,
    },
}

impl Mrr<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Mrr::Decimal(v) => v.len(),
            Mrr::Scaled64 { values, .. } => values.len(),
            Mrr::Scaled128 { values, .. } => values.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decimal places of a scaled column (`None` for `Decimal`).
    pub(crate) fn scale(&self) -> Option<u32> {
        match self {
            Mrr::Decimal(_) => None,
            Mrr::Scaled64 { scale, .. } | Mrr::Scaled128 { scale, .. } => Some(*scale),
        }
    }

    /// Row `i` as an unscaled integer (scaled columns only).
    #[inline]
    pub(crate) fn unscaled(&self, row: usize) -> Option<i128> {
        match self {
            Mrr::Decimal(_) => None,
            Mrr::Scaled64 { values, .. } => values.get(row).map(|v| i128::from(*v)),
            Mrr::Scaled128 { values, .. } => values.get(row).copied(),
        }
    }

    /// Row `i` as a `Decimal`; `None` past the end or for a scaled value
    /// whose whole part no `Decimal` holds (beyond 96 bits). A value with
    /// more digits than a `Decimal` holds (28 or 29) keeps as many as it
    /// can, truncated toward zero: `157354357750.627823131677779008456933162`
    /// at scale 27 is `157354357750.62782313167777900`. (Scoring reads the
    /// scaled integer itself, exactly; the `Decimal` is for the row API's
    /// input and for sums.)
    pub fn get(&self, row: usize) -> Option<Decimal> {
        match self {
            Mrr::Decimal(v) => v.get(row).copied(),
            Mrr::Scaled64 { values, scale } => truncated(i128::from(*values.get(row)?), *scale),
            Mrr::Scaled128 { values, scale } => truncated(*values.get(row)?, *scale),
        }
    }
}

impl Mrr<'_> {
    /// Row `row`'s value as exact decimal text (`-12.50` for `-1250` at
    /// scale 2): what a message shows of a value no `Decimal` holds.
    pub(crate) fn text(&self, row: usize) -> Option<String> {
        let (unscaled, scale) = match self {
            Mrr::Decimal(v) => return v.get(row).map(Decimal::to_string),
            Mrr::Scaled64 { values, scale } => (i128::from(*values.get(row)?), *scale),
            Mrr::Scaled128 { values, scale } => (*values.get(row)?, *scale),
        };
        Some(scaled_text(unscaled, scale))
    }
}

/// `unscaled · 10^−scale` as exact decimal text.
pub(crate) fn scaled_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = usize::try_from(scale).unwrap_or(usize::MAX);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale.saturating_add(1));
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// `unscaled · 10^−scale` as a `Decimal`, with the digits past what a
/// `Decimal` holds truncated toward zero; `None` when even its whole part
/// does not fit (or the scale is past 28 with nothing left to drop).
pub(crate) fn truncated(mut unscaled: i128, mut scale: u32) -> Option<Decimal> {
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(unscaled, scale) {
            return Some(d);
        }
        scale = scale.checked_sub(1)?;
        unscaled /= 10;
    }
}

/// Which rows of a column hold a value (the others are missing, SQL
/// `NULL`).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub enum Validity<'a> {
    /// Every row holds a value.
    #[default]
    All,
    /// One flag per row.
    Bools(&'a [bool]),
    /// Arrow's validity bitmap: row `i` is bit `(offset + i) % 8` of byte
    /// `(offset + i) / 8`, set when valid.
    Bits {
        /// The bitmap.
        bits: &'a [u8],
        /// Bit position of row 0.
        offset: usize,
    },
}

impl Validity<'_> {
    /// Whether row `i` holds a value (`false` past the end of the bitmap).
    #[inline]
    pub fn is_valid(&self, row: usize) -> bool {
        match self {
            Validity::All => true,
            Validity::Bools(b) => b.get(row).copied().unwrap_or(false),
            Validity::Bits { bits, offset } => {
                let i = offset.saturating_add(row);
                bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
            }
        }
    }

    /// The number of rows it covers (`None`: any).
    pub(crate) fn covers(&self) -> Option<usize> {
        match self {
            Validity::All => None,
            Validity::Bools(b) => Some(b.len()),
            Validity::Bits { bits, offset } => Some((bits.len() * 8).saturating_sub(*offset)),
        }
    }
}

/// Dates: one for the whole column, or one per row.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Dates<'a> {
    /// The same date for every row.
    One(NaiveDate),
    /// Days since 1970-01-01 per row (Arrow's `Date32`).
    Days(&'a [i32]),
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
pub(crate) const UNIX_EPOCH_CE: i32 = 719_163;

impl Dates<'_> {
    /// The date of row `i` as chrono's day number (days from the common
    /// era); `None` past the end.
    #[inline]
    pub(crate) fn ce_day(&self, row: usize) -> Option<i64> {
        use chrono::Datelike;
        match self {
            Dates::One(d) => Some(i64::from(d.num_days_from_ce())),
            Dates::Days(v) => v.get(row).map(|d| i64::from(*d) + i64::from(UNIX_EPOCH_CE)),
        }
    }

    /// The date of row `i`; `None` past the end or beyond chrono's range.
    pub fn get(&self, row: usize) -> Option<NaiveDate> {
        match self {
            Dates::One(d) => Some(*d),
            Dates::Days(v) => {
                let days = v.get(row)?.checked_add(UNIX_EPOCH_CE)?;
                NaiveDate::from_num_days_from_ce_opt(days)
            }
        }
    }

    /// Rows it covers (`None`: any).
    pub(crate) fn covers(&self) -> Option<usize> {
        match self {
            Dates::One(_) => None,
            Dates::Days(v) => Some(v.len()),
        }
    }
}

/// A metric's column: values, which rows hold one, and when each was
/// observed.
///
/// Values are `f64`, read exactly as the row API reads a JSON number
/// ([`Value::Number`](crate::Value::Number)): a flag is `0` or `1`, and
/// NaN, infinities and values outside the metric kind's range are errors
/// of their row. A judgement metric needs its authors
/// ([`authors`](Self::authors)), as in the row API.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::batch::{Dates, MetricColumn, Validity};
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let values = [0.5, 0.0, 0.9];
/// let present = [true, false, true];
/// let column = MetricColumn::new(&values)
///     .validity(Validity::Bools(&present))
///     .observed(Dates::One(day));
/// assert_eq!(column.len(), 3);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MetricColumn<'a> {
    pub(crate) values: &'a [f64],
    pub(crate) validity: Validity<'a>,
    pub(crate) observed: Option<Dates<'a>>,
    pub(crate) authors: Option<&'a [Option<&'a str>]>,
}

impl<'a> MetricColumn<'a> {
    /// A column of values, all present, observed on the batch's as-of date
    /// unless [`observed`](Self::observed) says otherwise.
    pub fn new(values: &'a [f64]) -> Self {
        MetricColumn {
            values,
            validity: Validity::All,
            observed: None,
            authors: None,
        }
    }

    /// Which rows hold a value.
    pub fn validity(mut self, validity: Validity<'a>) -> Self {
        self.validity = validity;
        self
    }

    /// When the values were observed (for staleness and the
    /// observed-after-as-of check).
    pub fn observed(mut self, dates: Dates<'a>) -> Self {
        self.observed = Some(dates);
        self
    }

    /// Who judged each value (judgement metrics need one per value).
    pub fn authors(mut self, authors: &'a [Option<&'a str>]) -> Self {
        self.authors = Some(authors);
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact text for any scaled integer, the sign and leading zeros of a
    /// fraction kept; and for values a `Decimal` holds, its own text.
    #[test]
    fn scaled_text_is_exact() {
        assert_eq!(scaled_text(-1250, 2), "-12.50");
        assert_eq!(scaled_text(5, 3), "0.005");
        assert_eq!(scaled_text(-5, 3), "-0.005");
        assert_eq!(scaled_text(0, 0), "0");
        assert_eq!(scaled_text(0, 2), "0.00");
        assert_eq!(
            scaled_text(i128::MIN, 0),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(
            scaled_text(i128::MAX, 38),
            "1.70141183460469231731687303715884105727"
        );
        for (m, s) in [(123_456, 3), (-7, 1), (10i128.pow(20), 28), (1, 28)] {
            let d = Decimal::try_from_i128_with_scale(m, s).unwrap();
            assert_eq!(scaled_text(m, s), d.to_string(), "{m}e-{s}");
        }
        let values = [1i128, -2];
        let mrr = Mrr::Scaled128 {
            values: &values,
            scale: 1,
        };
        assert_eq!(mrr.text(1).as_deref(), Some("-0.2"));
        assert_eq!(mrr.text(2), None);
    }
}
