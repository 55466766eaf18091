//! Columns cast, before they are read, to the types the scorer reads:
//! dictionaries to their values, wide text to `Utf8`, narrower integer ids
//! and MRR to `Int64`, decimal ids to text, `Decimal32` and `Decimal64` to
//! `Decimal128`, `Decimal256` and `Null` to text, `Float16` to `Float64`,
//! timestamps and `Date64` to days. A batch that needs none is not copied.

use crate::input::reads;
use crate::layout::Layout;
use crate::Error;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use healthscore::Model;
use std::sync::Arc;

/// The type a column the scorer reads is cast to before it is read, if
/// any: text as `Utf8` when it comes as `Utf8View` (how DataFusion reads
/// Parquet strings) or `LargeUtf8`; an `id` of a narrower integer type as
/// `Int64`, and one of decimals (a warehouse's `NUMBER(38, 0)` key) as
/// its text, which no value overflows.
pub(crate) fn cast_to(name: &str, t: &DataType) -> Option<DataType> {
    match t {
        // Dictionary-encoded columns (pandas' categoricals, which pyarrow
        // writes to Parquet with the Arrow schema that brings them back as
        // dictionaries): their values, read as the value type is.
        DataType::Dictionary(_, value) => {
            Some(cast_to(name, value).unwrap_or_else(|| value.as_ref().clone()))
        }
        DataType::Utf8View | DataType::LargeUtf8 => Some(DataType::Utf8),
        // A column of no values at all (pandas' all-`None` object column
        // reaches Arrow as the `Null` type): as text, which every column
        // the scorer reads may be, so each cell is the missing value it is.
        DataType::Null => Some(DataType::Utf8),
        // Decimals of Arrow's other widths: `Decimal32` and `Decimal64`
        // (pyarrow's for small precisions) widened to `Decimal128`, which
        // changes no value, then read as one; `Decimal256` (BigQuery's
        // `BIGNUMERIC`) as its text, which reads each value or rejects its
        // row with why (a value past `Decimal128`'s 38 digits is not cut
        // short, nor the column refused for it).
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) if !is_date(name) => {
            let wide = DataType::Decimal128(*p, *s);
            Some(cast_to(name, &wide).unwrap_or(wide))
        }
        DataType::Decimal256(..) if !is_date(name) => Some(DataType::Utf8),
        // Half-precision floats, as `f64` (exact); MRR is never a float.
        DataType::Float16 if name != "mrr" && !is_date(name) => Some(DataType::Float64),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
            if name == "id" =>
        {
            Some(DataType::Int64)
        }
        DataType::Decimal128(..) if name == "id" => Some(DataType::Utf8),
        // MRR as whole units of a narrower integer type (a UInt64 as a
        // decimal: no value overflows it).
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
            if name == "mrr" =>
        {
            Some(DataType::Int64)
        }
        DataType::UInt64 if name == "mrr" => Some(DataType::Decimal128(20, 0)),
        // Dates as timestamps (a warehouse's TIMESTAMP, pandas' datetime64)
        // or milliseconds: their day.
        DataType::Date64 | DataType::Timestamp(..) if is_date(name) => Some(DataType::Date32),
        _ => None,
    }
}

/// A column of dates by its name: the as-of date, an observation date, a
/// named date for the rules.
pub(crate) fn is_date(name: &str) -> bool {
    name == "as_of"
        || name.ends_with("__observed_on")
        || name.ends_with("__date")
        || name.ends_with("__event")
}

/// The record batch with the columns the scorer reads cast as
/// [`cast_to`] says; `None` when none needs it (nothing copied). Other
/// columns (a warehouse's own) are left as they are, uncopied. The
/// results keep the input's own `id` column.
pub(crate) fn utf8(
    model: &Model,
    layout: &Layout,
    input: &RecordBatch,
) -> Result<Option<RecordBatch>, Error> {
    if !layout.cast {
        return Ok(None);
    }
    let schema = input.schema();
    // (The type first: cheaper than `reads`, and most columns need no
    // cast.)
    let cast = |f: &arrow_schema::Field| {
        cast_to(f.name(), f.data_type()).filter(|_| reads(model, f.name()))
    };
    if !schema.fields().iter().any(|f| cast(f).is_some()) {
        return Ok(None);
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (f, c) in schema.fields().iter().zip(input.columns()) {
        if let Some(t) = cast(f) {
            let column = match naive_days(c.as_ref()) {
                Some(days) => days,
                None => arrow_cast::cast(&within_reach(c), &t)
                    .map_err(|e| Error::column(f.name(), format!("cannot be read as {t}: {e}")))?,
            };
            // Nullable: a `Null` column, which Arrow may declare
            // non-nullable (its values are not nulls to the declaration),
            // casts to nulls of the new type.
            let nullable = f.is_nullable() || column.null_count() > 0;
            columns.push(column);
            fields.push(f.as_ref().clone().with_data_type(t).with_nullable(nullable));
        } else {
            columns.push(c.clone());
            fields.push(f.as_ref().clone());
        }
    }
    Ok(Some(RecordBatch::try_new(
        std::sync::Arc::new(arrow_schema::Schema::new(fields)),
        columns,
    )?))
}

/// A `Date64` or `Timestamp` column's values and how many of them make a
/// day; `None` for other types.
fn ticks(column: &dyn Array) -> Option<(&[i64], i64)> {
    use arrow_array::types::{
        Date64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    use arrow_schema::TimeUnit;
    Some(match column.data_type() {
        DataType::Date64 => (column.as_primitive::<Date64Type>().values(), 86_400_000),
        DataType::Timestamp(unit, _) => match unit {
            TimeUnit::Second => (
                column.as_primitive::<TimestampSecondType>().values(),
                86_400,
            ),
            TimeUnit::Millisecond => (
                column.as_primitive::<TimestampMillisecondType>().values(),
                86_400_000,
            ),
            TimeUnit::Microsecond => (
                column.as_primitive::<TimestampMicrosecondType>().values(),
                86_400_000_000,
            ),
            TimeUnit::Nanosecond => (
                column.as_primitive::<TimestampNanosecondType>().values(),
                86_400_000_000_000,
            ),
        },
        _ => return None,
    })
}

/// Whether a day (from 1970-01-01) of a column of this type is beyond
/// what reading it can hold: past `Date32`'s range for a `Date64` or
/// zone-less `Timestamp` (which [`naive_days`] reads as `Date32`'s end);
/// for a `Timestamp` with a time zone, within two days (any zone's
/// offset) of chrono's ±262,143 years, past which Arrow's cast to its day
/// in that zone fails for the whole batch.
fn is_far(t: &DataType, day: i64) -> bool {
    use chrono::Datelike;
    match t {
        DataType::Timestamp(_, Some(_)) => {
            let epoch = i64::from(chrono::NaiveDate::default().num_days_from_ce());
            let first = i64::from(chrono::NaiveDate::MIN.num_days_from_ce()) - epoch + 2;
            let last = i64::from(chrono::NaiveDate::MAX.num_days_from_ce()) - epoch - 2;
            !(first..=last).contains(&day)
        }
        _ => i32::try_from(day).is_err(),
    }
}

/// The day of 0001-01-01 and of 9999-12-31, from 1970-01-01: the years
/// a date holds.
const YEARS: std::ops::RangeInclusive<i64> = -719_162..=2_932_896;

/// Whether a day (from 1970-01-01, in UTC) of a column of this type is
/// outside the years 1 to 9999, which binding refuses: for a `Timestamp`
/// with a time zone, by more than a day (its day in that zone may be
/// within them). Such a value read in its own unit is often a finer unit
/// written as a coarser one (milliseconds as seconds: the year 56884),
/// which [`far_message`] says; binding's own message gives only the date.
fn past_years(t: &DataType, day: i64) -> bool {
    let margin = i64::from(matches!(t, DataType::Timestamp(_, Some(_))));
    day < YEARS.start() - margin || day > YEARS.end() + margin
}

/// A zoned `Timestamp` column with its values past [`is_far`] read as
/// 1970-01-01, so that Arrow's cast reads the others ([`far_days`]
/// rejects those rows with their own days); the column itself when none
/// is.
fn within_reach(column: &ArrayRef) -> ArrayRef {
    let (DataType::Timestamp(_, Some(_)), Some((values, per_day))) =
        (column.data_type(), ticks(column.as_ref()))
    else {
        return column.clone();
    };
    let t = column.data_type();
    if !values.iter().any(|v| is_far(t, v.div_euclid(per_day))) {
        return column.clone();
    }
    let near: Vec<i64> = values
        .iter()
        .map(|v| {
            if is_far(t, v.div_euclid(per_day)) {
                0
            } else {
                *v
            }
        })
        .collect();
    let array = arrow_array::Int64Array::new(near.into(), column.nulls().cloned());
    // As the column's own type (unit and time zone): the same ticks.
    arrow_cast::cast(&array, t).unwrap_or_else(|_| column.clone())
}

/// The rows of `input` with a `Date64` or `Timestamp` date the model
/// reads whose day is past what reading it can hold ([`is_far`]: a
/// timestamp in seconds of 10¹⁵) or outside the years a date holds
/// ([`past_years`]: milliseconds written as seconds), with the value as
/// the column gives it, not the day that stands in for it.
pub(crate) fn far_days(model: &Model, input: &RecordBatch) -> Vec<(usize, String)> {
    let mut far = Vec::new();
    for (f, c) in input.schema_ref().fields().iter().zip(input.columns()) {
        if !is_date(f.name()) || !reads(model, f.name()) {
            continue;
        }
        let Some((values, per_day)) = ticks(c.as_ref()) else {
            continue;
        };
        for (row, v) in values.iter().enumerate() {
            let day = v.div_euclid(per_day);
            if (is_far(c.data_type(), day) || past_years(c.data_type(), day)) && c.is_valid(row) {
                far.push((row, far_message(f.name(), *v, per_day)));
            }
        }
    }
    far
}

/// Rows of a date column past the years a date holds, and why.
pub(crate) type FarRows = Vec<(usize, String)>;

/// A `Date64` or `Timestamp` column `name` as `Date32` days (a zoned
/// timestamp's day in its zone), and the rows whose value is past the
/// years a date holds, with why (as [`far_days`] says it); their days
/// stand in for them and are not to be read. `None` for other types.
pub(crate) fn days_of(name: &str, column: &ArrayRef) -> Option<Result<(ArrayRef, FarRows), Error>> {
    let (values, per_day) = ticks(column.as_ref())?;
    let t = column.data_type();
    let far: Vec<(usize, String)> = values
        .iter()
        .enumerate()
        .filter(|(row, v)| {
            let day = v.div_euclid(per_day);
            (is_far(t, day) || past_years(t, day)) && column.is_valid(*row)
        })
        .map(|(row, v)| (row, far_message(name, *v, per_day)))
        .collect();
    let days = match naive_days(column.as_ref()) {
        Some(days) => Ok(days),
        None => arrow_cast::cast(&within_reach(column), &DataType::Date32)
            .map_err(|e| Error::column(name, format!("cannot be read as dates: {e}"))),
    };
    Some(days.map(|days| (days, far)))
}

/// Why a date column's value is past the years a date holds, as the
/// column gives it: its value in its own unit (`as_of: 1732924800000000000
/// seconds from 1970-01-01 …`), and where the same number in a finer unit
/// is a date of 1900 to 2200, that date (nanoseconds written as seconds, a
/// data frame's integer times under the wrong unit, is the usual cause).
fn far_message(column: &str, value: i64, per_day: i64) -> String {
    let unit = |per_day: i64| match per_day {
        86_400 => "seconds",
        86_400_000 => "milliseconds",
        86_400_000_000 => "microseconds",
        _ => "nanoseconds",
    };
    let mut text = format!(
        "{column}: {value} {} from 1970-01-01 is outside the years 1 to 9999",
        unit(per_day)
    );
    let finer = [1_000i64, 1_000_000, 1_000_000_000]
        .iter()
        .filter_map(|f| per_day.checked_mul(*f))
        .filter(|p| *p <= 86_400_000_000_000)
        .find_map(|p| {
            let day = i32::try_from(value.div_euclid(p)).ok()?;
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(day.checked_add(719_163)?)?;
            // Only a date such data would hold: every far value is some
            // date in nanoseconds (an `i64` of them spans 1677 to 2262),
            // and a sentinel (`i64::MAX`) is no unit mix-up.
            (1900..=2200)
                .contains(&chrono::Datelike::year(&date))
                .then_some((p, date))
        });
    if let Some((p, date)) = finer {
        text += &format!(
            " (as {} it is {date}: {} written as {}?)",
            unit(p),
            unit(p),
            unit(per_day)
        );
    }
    text
}

/// A `Date64` or zone-less `Timestamp` column as the days of its values
/// (`Date32`, floored: 23:59 is still that day); a day past `Date32`'s
/// range reads as its end, which binding then refuses as out of range
/// (never an error for the whole batch; [`far_days`] gives such a row's
/// message). `None` for other types (a timestamp with a time zone is cast
/// by Arrow: the day in that zone).
fn naive_days(column: &dyn Array) -> Option<ArrayRef> {
    if let DataType::Timestamp(_, Some(_)) = column.data_type() {
        return None;
    }
    let (values, per_day) = ticks(column)?;
    let days = values
        .iter()
        .map(|v| {
            i32::try_from(v.div_euclid(per_day)).unwrap_or(if *v < 0 { i32::MIN } else { i32::MAX })
        })
        .collect();
    Some(Arc::new(arrow_array::Date32Array::new(
        days,
        column.nulls().cloned(),
    )))
}

#[cfg(test)]
mod tests {
    use super::{far_message, past_years, YEARS};
    use arrow_schema::{DataType, TimeUnit};

    /// `YEARS` is 0001-01-01 to 9999-12-31; a zoned timestamp's day in
    /// UTC may be a day past them.
    #[test]
    fn the_years_a_date_holds() {
        let day = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .signed_duration_since(chrono::NaiveDate::default())
                .num_days()
        };
        assert_eq!(YEARS, day(1, 1, 1)..=day(9999, 12, 31));
        let naive = DataType::Timestamp(TimeUnit::Second, None);
        let zoned = DataType::Timestamp(TimeUnit::Second, Some("-05:00".into()));
        for t in [&naive, &zoned, &DataType::Date64] {
            assert!(!past_years(t, day(9999, 12, 31)));
            assert!(!past_years(t, day(1, 1, 1)));
            assert!(past_years(t, day(10000, 1, 2)));
            assert!(past_years(t, day(0, 12, 30)));
        }
        assert!(past_years(&naive, day(10000, 1, 1)));
        assert!(!past_years(&zoned, day(10000, 1, 1)));
        assert!(past_years(&naive, day(0, 12, 31)));
        assert!(!past_years(&zoned, day(0, 12, 31)));
    }

    /// A far value is given in its column's unit; where a finer unit
    /// makes it a date in the years a date holds, that date is named.
    #[test]
    fn far_values_are_given_in_their_unit_with_the_unit_they_fit() {
        let second = 86_400;
        assert_eq!(
            far_message("as_of", 1_732_924_800_000_000_000, second),
            "as_of: 1732924800000000000 seconds from 1970-01-01 is outside the years 1 to 9999 \
             (as nanoseconds it is 2024-11-30: nanoseconds written as seconds?)"
        );
        assert_eq!(
            far_message("renewal__date", i64::MAX, second * 1_000),
            format!(
                "renewal__date: {} milliseconds from 1970-01-01 is outside the years 1 to 9999",
                i64::MAX
            )
        );
        // A sentinel, in no unit a date such data holds: no guess.
        assert_eq!(
            far_message("renewal__date", i64::MAX, second),
            format!(
                "renewal__date: {} seconds from 1970-01-01 is outside the years 1 to 9999",
                i64::MAX
            )
        );
        assert_eq!(
            far_message("as_of", -1_732_924_800_000_000_000, second * 1_000_000_000),
            "as_of: -1732924800000000000 nanoseconds from 1970-01-01 is outside the years 1 to 9999"
        );
        // Within `Date32`'s days but past the year 9999.
        assert_eq!(
            far_message("as_of", 1_732_924_800_000, second),
            "as_of: 1732924800000 seconds from 1970-01-01 is outside the years 1 to 9999 \
             (as milliseconds it is 2024-11-30: milliseconds written as seconds?)"
        );
    }
}
