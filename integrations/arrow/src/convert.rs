//! Columns of other types converted to what the batch path reads: any
//! integer, whole float or whole decimal to a count, numbers, decimals,
//! flags and text to `f64`,
//! text dates to days, and previous scores. A value that cannot be
//! converted is its row's problem (the row is rejected, not the batch).

use crate::input::wrong;
use crate::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::DataType;
use chrono::NaiveDate;
use healthscore::Points;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The `previous_score` column as scores, null where there is none; a
/// value that is not a score (100.5) is a row's problem.
pub(crate) fn previous_scores(
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
) -> Result<Vec<Option<Points>>, Error> {
    const NAME: &str = "previous_score";
    let mut score = |row: usize, d: Result<Decimal, String>| match d
        .and_then(|d| Points::from_decimal(d).map_err(|e| e.to_string()))
    {
        Ok(p) => Some(p),
        Err(e) => {
            problems.push((row, format!("{NAME}: {e}")));
            None
        }
    };
    match array.data_type() {
        DataType::Decimal128(_, s) => {
            let scale = u32::try_from(*s)
                .ok()
                .filter(|s| *s <= 28)
                .ok_or_else(|| Error::column(NAME, format!("scale {s}, expected 0 to 28")))?;
            let a = array.as_primitive::<arrow_array::types::Decimal128Type>();
            Ok((0..a.len())
                .map(|row| {
                    a.is_valid(row).then(|| {
                        let d = Decimal::try_from_i128_with_scale(a.value(row), scale)
                            .map_err(|e| e.to_string());
                        score(row, d)
                    })?
                })
                .collect())
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            Ok((0..a.len())
                .map(|row| {
                    a.is_valid(row).then(|| {
                        // The shortest decimal that reads back as the
                        // float: what was written, not its binary expansion.
                        let x = a.value(row);
                        let d = Decimal::from_str(&x.to_string())
                            .map_err(|_| format!("{} is not a score", healthscore::Shown(x)));
                        score(row, d)
                    })?
                })
                .collect())
        }
        DataType::Utf8 => Ok(array
            .as_string::<i32>()
            .iter()
            .enumerate()
            .map(|(row, s)| {
                let s = s?;
                let d = Decimal::from_str(s.trim())
                    .map_err(|_| format!("{} is not a score", healthscore::Quoted(s)));
                score(row, d)
            })
            .collect()),
        other => Err(wrong(
            NAME,
            other,
            "Decimal128, Float64 or a decimal string",
        )),
    }
}

/// Integers of any width as `u32`. A value out of range (or a null) reads
/// as 0; an out-of-range value's row is added to `problems` (null rows are
/// [`null_rows`](crate::input::null_rows)'s).
pub(crate) fn to_u32(
    name: &str,
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
) -> Result<Vec<u32>, Error> {
    let mut floats = |values: &[f64]| whole_counts(name, array, values, problems);
    macro_rules! convert {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .values()
                .iter()
                .enumerate()
                .map(|(row, v)| match u32::try_from(*v) {
                    Ok(v) => v,
                    Err(_) if array.is_null(row) => 0,
                    Err(_) => {
                        problems.push((row, format!("{name}: {v} is not {COUNT}")));
                        0
                    }
                })
                .collect()
        };
    }
    Ok(match array.data_type() {
        DataType::Int8 => convert!(Int8Type),
        DataType::Int16 => convert!(Int16Type),
        DataType::Int32 => convert!(Int32Type),
        DataType::Int64 => convert!(Int64Type),
        DataType::UInt8 => convert!(UInt8Type),
        DataType::UInt16 => convert!(UInt16Type),
        DataType::UInt64 => convert!(UInt64Type),
        // A data frame's integers with a missing value among them: whole
        // numbers are counts.
        DataType::Float64 => floats(array.as_primitive::<Float64Type>().values()),
        DataType::Float32 => floats(
            &array
                .as_primitive::<Float32Type>()
                .values()
                .iter()
                .map(|v| f64::from(*v))
                .collect::<Vec<_>>(),
        ),
        DataType::Decimal128(..) => crate::decimal::column_counts(name, array, problems),
        other => {
            return Err(wrong(
                name,
                other,
                "an integer type, whole Float64 or Decimal128 counts",
            ))
        }
    })
}

/// Whole `f64` counts (80.0) as `u32`; a value that is not one reads as 0
/// and its row is added to `problems` (a null's slot is not looked at).
fn whole_counts(
    name: &str,
    array: &dyn Array,
    values: &[f64],
    problems: &mut Vec<(usize, String)>,
) -> Vec<u32> {
    values
        .iter()
        .enumerate()
        .map(|(row, x)| match whole(*x) {
            Some(v) => v,
            None if array.is_null(row) => 0,
            None => {
                problems.push((
                    row,
                    format!("{name}: {} is not {COUNT}", healthscore::Shown(*x)),
                ));
                0
            }
        })
        .collect()
}

/// `x` as a count, when it is a whole number from 0 to `u32::MAX`.
fn whole(x: f64) -> Option<u32> {
    let ok = x.is_finite() && x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x);
    ok.then_some(x as u32)
}

/// A metric column's values as `f64` when they are not already. Text (as
/// a CSV file has it) is read as a number, or `true` / `false` as 1 / 0
/// (as a `Boolean` column); a text that is neither reads as 0 and its row
/// is added to `problems`, saying what was expected: for a flag metric
/// (`flag`), `sso_enabled: "yes" is not a flag (true, false, 1 or 0)`;
/// `nps: "1e400" is not a finite number`.
pub(crate) fn to_f64(
    name: &str,
    array: &dyn Array,
    flag: bool,
    problems: &mut Vec<(usize, String)>,
) -> Result<Vec<f64>, Error> {
    macro_rules! convert {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|v| *v as f64)
                .collect()
        };
    }
    Ok(match array.data_type() {
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|v| f64::from(*v))
            .collect(),
        DataType::Int8 => convert!(Int8Type),
        DataType::Int16 => convert!(Int16Type),
        DataType::Int32 => convert!(Int32Type),
        DataType::Int64 => convert!(Int64Type),
        DataType::UInt8 => convert!(UInt8Type),
        DataType::UInt16 => convert!(UInt16Type),
        DataType::UInt32 => convert!(UInt32Type),
        DataType::UInt64 => convert!(UInt64Type),
        DataType::Boolean => array
            .as_boolean()
            .values()
            .iter()
            .map(|b| f64::from(u8::from(b)))
            .collect(),
        // A warehouse's NUMBER / NUMERIC: the nearest f64, as its text reads.
        DataType::Decimal128(..) => crate::decimal::column_f64(array),
        DataType::Utf8 => {
            let what = if flag {
                "a flag (true, false, 1 or 0)"
            } else {
                "a number"
            };
            from_text(name, array, problems, |t| {
                if t.eq_ignore_ascii_case("true") {
                    Ok(1.0)
                } else if t.eq_ignore_ascii_case("false") {
                    Ok(0.0)
                } else {
                    // `1e400` reads as infinity, `NaN` as NaN: named as
                    // the cell wrote them, not as the float they became.
                    match t.parse::<f64>() {
                        Ok(x) if x.is_finite() => Ok(x),
                        Ok(_) => Err("a finite number"),
                        Err(_) => Err(what),
                    }
                }
            })
        }
        other => {
            return Err(wrong(
                name,
                other,
                "Float64, an integer type, Decimal128, Boolean or numbers as text",
            ))
        }
    })
}

/// A text column (as a CSV file has it) read cell by cell with `read`
/// (given the trimmed text, it gives the value or what the cell is not):
/// a cell it cannot read reads as the default and its row is added to
/// `problems` (`nps: "n/a" is not a number`); a null stays null (its
/// validity says so) and reads as the default.
fn from_text<T: Default>(
    name: &str,
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
    read: impl Fn(&str) -> Result<T, &'static str>,
) -> Vec<T> {
    array
        .as_string::<i32>()
        .iter()
        .enumerate()
        .map(|(row, s)| {
            let Some(s) = s else { return T::default() };
            read(s.trim()).unwrap_or_else(|what| {
                problems.push((
                    row,
                    format!("{name}: {} is not {what}", healthscore::Quoted(s)),
                ));
                T::default()
            })
        })
        .collect()
}

/// A date column given as text (`YYYY-MM-DD`) as days since 1970-01-01.
pub(crate) fn text_days(
    name: &str,
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
) -> Vec<i32> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    from_text(name, array, problems, |t| {
        text_date(t)
            .and_then(|d| i32::try_from((d - epoch).num_days()).ok())
            .ok_or("a date (YYYY-MM-DD)")
    })
}

/// A date written `YYYY-MM-DD`, or the date of a timestamp written as a
/// warehouse exports one (`2026-11-30 13:45:00.000`,
/// `2026-11-30T13:45:00Z`, `2026-11-30T13:45:00+05:00`): the date as
/// written, in the writer's zone, as a zoned timestamp column is read as
/// its day in its zone. The time must be a time: anything else after the
/// date is not one.
pub(crate) fn text_date(t: &str) -> Option<NaiveDate> {
    use chrono::{DateTime, NaiveDateTime};
    if let Some(d) = plain_date(t) {
        return Some(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        // An offset (`Z`, `+05:00`, or ` +0500` as some tools write it).
        DateTime::parse_from_rfc3339(t)
            .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f %z"))
            .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%#z"))
            .ok()
            .map(|d| d.naive_local())
    })
    .map(|dt| dt.date())
}

/// A date written exactly `YYYY-MM-DD` (how nearly every export writes
/// one), read without chrono's format parser, which took most of the time
/// of reading a CSV file's observation dates: the date `%Y-%m-%d` reads,
/// or `None` for any other text (which [`text_date`] then reads the slow
/// way, refusing it or reading it as that format's other spellings do).
fn plain_date(t: &str) -> Option<NaiveDate> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = t.as_bytes() else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let number = |cs: &[u8]| cs.iter().try_fold(0u32, |n, c| Some(n * 10 + digit(*c)?));
    let year = i32::try_from(number(&[y0, y1, y2, y3])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&[m0, m1])?, number(&[d0, d1])?)
}

/// What a count cell must be (`u32::MAX` written out).
pub(crate) const COUNT: &str = "a count from 0 to 4294967295";

/// A count column given as text. A whole number written as a decimal
/// (`80.0`, as a data frame with a missing value writes its integers) is
/// that count.
pub(crate) fn text_u32(
    name: &str,
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
) -> Vec<u32> {
    from_text(name, array, problems, |t| {
        t.parse::<u32>()
            .ok()
            .or_else(|| whole(t.parse::<f64>().ok()?))
            .ok_or(COUNT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A metric cell that is not a finite number is named as written
    /// (`"1e400"`, not the infinity it reads as); a flag's says what a
    /// flag is; a count's message names `u32::MAX`.
    #[test]
    fn text_cells_are_named_as_written() {
        let cells = arrow_array::StringArray::from(vec![
            Some("1e400"),
            Some(" NaN "),
            Some("n/a"),
            Some("-1.5"),
            Some("TRUE"),
            None,
        ]);
        let mut problems = Vec::new();
        let values = to_f64("nps", &cells, false, &mut problems).unwrap();
        assert_eq!(values, [0.0, 0.0, 0.0, -1.5, 1.0, 0.0]);
        assert_eq!(
            problems,
            [
                (0, "nps: \"1e400\" is not a finite number".to_string()),
                (1, "nps: \" NaN \" is not a finite number".to_string()),
                (2, "nps: \"n/a\" is not a number".to_string()),
            ]
        );
        let mut problems = Vec::new();
        to_f64("sso_enabled", &cells, true, &mut problems).unwrap();
        assert_eq!(
            problems.get(2).map(|(_, p)| p.as_str()),
            Some("sso_enabled: \"n/a\" is not a flag (true, false, 1 or 0)")
        );
        assert_eq!(COUNT, format!("a count from 0 to {}", u32::MAX));
    }

    /// A float that is not a count or not a score is shown as the core
    /// shows floats: `1e300`, not a number of 301 digits.
    #[test]
    fn huge_floats_are_shown_short() {
        let floats = arrow_array::Float64Array::from(vec![
            Some(12.5),
            Some(1e300),
            Some(-1.0),
            Some(f64::NAN),
            None,
            Some(3.0),
        ]);
        let mut problems = Vec::new();
        let counts = to_u32("employees", &floats, &mut problems).unwrap();
        assert_eq!(counts, [0, 0, 0, 0, 0, 3]);
        let why = |p: &[(usize, String)]| {
            p.iter()
                .map(|(r, w)| format!("{r}: {w}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            why(&problems),
            [
                "0: employees: 12.5 is not a count from 0 to 4294967295",
                "1: employees: 1e300 is not a count from 0 to 4294967295",
                "2: employees: -1 is not a count from 0 to 4294967295",
                "3: employees: NaN is not a count from 0 to 4294967295",
            ]
        );
        let mut problems = Vec::new();
        let scores = previous_scores(&floats, &mut problems).unwrap();
        assert_eq!(scores.iter().filter(|s| s.is_some()).count(), 2);
        assert_eq!(
            why(&problems),
            [
                "1: previous_score: 1e300 is not a score",
                "2: previous_score: -1 is outside the range 0..=100",
                "3: previous_score: NaN is not a score",
            ]
        );
    }

    /// The fast path reads what chrono's `%Y-%m-%d` reads: every text of
    /// ten digits and dashes (years 0 to 9999, months and days past their
    /// ends), the same date or none; and where another byte is in any
    /// place, nothing chrono reads otherwise.
    #[test]
    fn plain_dates_read_as_chrono_reads_them() {
        let slow = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        let mut checked = 0;
        for year in (0..10_000).step_by(7).chain([1970, 2000, 2024, 2100, 9999]) {
            for month in 0..=13 {
                for day in [0, 1, 9, 10, 28, 29, 30, 31, 32, 39] {
                    let t = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(plain_date(&t), slow(&t), "{t}");
                    checked += 1;
                }
            }
        }
        let base = *b"2024-02-29";
        for at in 0..base.len() {
            for byte in [b'0', b'9', b'-', b'+', b' ', b'a', b'/', 0x7f] {
                let mut t = base;
                t[at] = byte;
                let t = std::str::from_utf8(&t).unwrap();
                // Where the fast path reads nothing, `text_date` reads as
                // before it; where it reads a date, chrono reads the same.
                if let Some(d) = plain_date(t) {
                    assert_eq!(Some(d), slow(t), "{t}");
                }
                checked += 1;
            }
        }
        assert!(checked > 20_000);
        assert_eq!(
            plain_date("2026-11-30"),
            NaiveDate::from_ymd_opt(2026, 11, 30)
        );
        assert_eq!(plain_date("2026-02-29"), None);
        assert_eq!(plain_date("2026-1-30"), None);
        assert_eq!(text_date("2026-1-30"), slow("2026-1-30"));
    }

    #[test]
    fn timestamps_as_text_read_as_their_date_as_written() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (t, want) in [
            ("2026-11-30", d(2026, 11, 30)),
            ("2026-11-30 13:45:00", d(2026, 11, 30)),
            ("2026-11-30 13:45:00.123", d(2026, 11, 30)),
            ("2026-11-30 23:59", d(2026, 11, 30)),
            ("2026-11-30T00:00:00", d(2026, 11, 30)),
            ("2026-11-30T23:30:00Z", d(2026, 11, 30)),
            ("2026-11-30T23:30:00-08:00", d(2026, 11, 30)),
            ("2026-11-30T01:00:00.5+05:00", d(2026, 11, 30)),
            ("2026-11-30 01:00:00 +0500", d(2026, 11, 30)),
            ("2026-11-30 01:00:00+05", d(2026, 11, 30)),
            ("2026-02-29 10:00:00", None),
            ("2026-11-30 garbage", None),
            ("2026-11-30T25:00:00", None),
            ("2026-11-30 13:45:00 PST", None),
            ("11/30/2026", None),
            ("30.11.2026", None),
            ("", None),
        ] {
            assert_eq!(text_date(t), want, "{t:?}");
        }
    }
}
