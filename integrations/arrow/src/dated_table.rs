//! A record batch of dated scores or outcomes as the back-test reads it:
//! its wanted columns found by name, dates as days, a score's or MRR's
//! decimal column as its values, the rest as text.

use crate::dated::Wanted;
use crate::dated_cells as cells;
use crate::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type};
use arrow_array::{Array, ArrayRef, Date32Array, RecordBatch};
use arrow_schema::DataType;
use chrono::NaiveDate;
use healthscore::Band;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A record batch's wanted columns, in their order (`None`: an optional
/// one the table does not have); text where they are not dates.
pub(crate) struct Table {
    columns: Vec<Option<ArrayRef>>,
    /// Cells of date columns that are not a date of the years 1 to 9999
    /// (column, row), and why.
    far: std::collections::HashMap<(usize, usize), String>,
    /// The band column when it is dictionary-encoded (as the results
    /// tables write it): each name parsed once, not once a row.
    bands: Option<Bands>,
    /// The current row's CSV line when it was ragged: why.
    pub(crate) ragged: Option<String>,
}

/// A dictionary-encoded band column, read: per row the band's index in
/// [`Band::ALL`], [`Bands::BLANK`] for a null or blank cell, or past
/// those, a name that is no band (its reason in `not_bands`).
struct Bands {
    column: usize,
    rows: Vec<u32>,
    not_bands: Vec<String>,
}

impl Bands {
    const BLANK: u32 = u32::MAX;

    /// Column `column`, `dictionary` (of `rows` rows), read.
    fn of(
        column: usize,
        dictionary: &dyn arrow_array::AnyDictionaryArray,
        rows: usize,
    ) -> Result<Bands, Error> {
        let names = arrow_cast::cast(dictionary.values(), &DataType::Utf8)
            .map_err(|e| Error::column("band", format!("its names cannot be read as text: {e}")))?;
        let names = names.as_string::<i32>();
        let mut not_bands = Vec::new();
        let codes: Vec<u32> = (0..names.len())
            .map(|k| {
                let name = names.is_valid(k).then(|| names.value(k).trim());
                match name.filter(|t| !t.is_empty()).map(cells::band) {
                    None => Self::BLANK,
                    Some(Ok(band)) => band.index() as u32,
                    Some(Err(why)) => {
                        not_bands.push(why);
                        (Band::ALL.len() + not_bands.len() - 1) as u32
                    }
                }
            })
            .collect();
        let rows = if codes.is_empty() {
            // No names: every key is null (or the array is not valid).
            vec![Self::BLANK; rows]
        } else {
            let keys = dictionary.keys();
            dictionary
                .normalized_keys()
                .into_iter()
                .enumerate()
                .map(|(row, k)| match keys.is_valid(row) {
                    true => codes.get(k).copied().unwrap_or(Self::BLANK),
                    false => Self::BLANK,
                })
                .collect()
        };
        Ok(Bands {
            column,
            rows,
            not_bands,
        })
    }

    /// Row `i`'s band; `None` for a null or blank cell.
    fn get(&self, i: usize) -> Option<Result<Band, String>> {
        let code = *self.rows.get(i)?;
        if code == Self::BLANK {
            return None;
        }
        Some(match Band::ALL.get(code as usize) {
            Some(band) => Ok(*band),
            None => Err(self
                .not_bands
                .get(code as usize - Band::ALL.len())
                .cloned()
                .unwrap_or_default()),
        })
    }
}

impl Table {
    pub(crate) fn of(batch: &RecordBatch, wanted: &[Wanted]) -> Result<Table, Error> {
        let schema = batch.schema();
        let names: Vec<&str> = wanted
            .iter()
            .filter(|w| w.required)
            .map(|w| w.names[0])
            .collect();
        let mut columns = Vec::with_capacity(wanted.len());
        let mut far = std::collections::HashMap::new();
        let mut bands = None;
        for w in wanted {
            let Some(at) = w.names.iter().find_map(|n| schema.index_of(n).ok()) else {
                if !w.required {
                    columns.push(None);
                    continue;
                }
                let also = if w.names[0] == w.names[1] {
                    String::new()
                } else {
                    format!(" (nor {})", w.names[1])
                };
                return Err(Error::column(
                    w.names[0],
                    format!(
                        "not there{also}: the table's columns are {}",
                        names.join(", ")
                    ),
                ));
            };
            let (array, name) = (batch.column(at), schema.field(at).name());
            let days = w.date.then(|| crate::cast::days_of(name, array)).flatten();
            match days {
                Some(read) => {
                    let (days, far_rows) = read?;
                    let c = columns.len();
                    far.extend(far_rows.into_iter().map(|(row, why)| ((c, row), why)));
                    columns.push(Some(days));
                }
                None if w.names[0] == "band" => match array.as_any_dictionary_opt() {
                    Some(dictionary) => {
                        bands = Some(Bands::of(columns.len(), dictionary, array.len())?);
                        columns.push(Some(array.clone()));
                    }
                    None => columns.push(Some(read_as(array, name, w.date)?)),
                },
                // Integer ids as they are: each written out as its row is
                // read (the row's account is a string of its own either
                // way), not cast to a text column first (a pass and a
                // column's copy: a year of 100,000 accounts took 7.15–7.32 s
                // against 7.39–7.65, `cli/benches/backtest.py`).
                None if matches!(w.names[0], "id" | "account")
                    && array.data_type().is_integer() =>
                {
                    columns.push(Some(array.clone()))
                }
                None => {
                    let read = read_as(array, name, w.date)?;
                    let c = columns.len();
                    columns.push(Some(match w.date {
                        true => text_days(&read, name, |row, why| {
                            far.insert((c, row), why);
                        }),
                        false => read,
                    }));
                }
            }
        }
        Ok(Table {
            columns,
            far,
            bands,
            ragged: None,
        })
    }

    /// Column `c`'s row `i` as a band; `None` for a null or blank cell.
    pub(crate) fn band(&self, c: usize, i: usize) -> Option<Result<Band, String>> {
        match &self.bands {
            Some(bands) if bands.column == c => bands.get(i),
            _ => self.text(c, i).map(cells::band),
        }
    }

    /// Column `c`'s row `i` as trimmed text; `None` for a null, a blank
    /// cell or a column the table does not have.
    pub(crate) fn text(&self, c: usize, i: usize) -> Option<&str> {
        let s = self.columns.get(c)?.as_ref()?.as_string_opt::<i32>()?;
        s.is_valid(i)
            .then(|| s.value(i).trim())
            .filter(|t| !t.is_empty())
    }

    /// Column `c`'s row `i` as an account id: its trimmed text, or an
    /// integer column's value written out; `None` for a null or blank
    /// cell.
    pub(crate) fn account(&self, c: usize, i: usize) -> Option<String> {
        let column = self.columns.get(c)?.as_ref()?;
        if i >= column.len() || column.is_null(i) {
            return None;
        }
        macro_rules! written {
            ($($variant:ident => $t:ty),*) => {
                match column.data_type() {
                    $(DataType::$variant => column
                        .as_primitive_opt::<$t>()
                        .and_then(|a| a.values().get(i))
                        .map(|v| v.to_string()),)*
                    _ => self.text(c, i).map(str::to_string),
                }
            };
        }
        use arrow_array::types::*;
        written!(
            Int8 => Int8Type, Int16 => Int16Type, Int32 => Int32Type, Int64 => Int64Type,
            UInt8 => UInt8Type, UInt16 => UInt16Type, UInt32 => UInt32Type, UInt64 => UInt64Type
        )
    }

    /// Column `c`'s row `i` as a date (`name` in messages).
    pub(crate) fn date(&self, c: usize, i: usize, name: &str) -> Result<NaiveDate, String> {
        let missing = || format!("{name}: missing");
        if let Some(why) = self.far.get(&(c, i)) {
            return Err(why.clone());
        }
        let column = self
            .columns
            .get(c)
            .and_then(Option::as_ref)
            .ok_or_else(missing)?;
        let date = match column.as_primitive_opt::<Date32Type>() {
            Some(days) if days.is_valid(i) => days.value_as_date(i).ok_or_else(|| {
                format!(
                    "{name}: day {} from 1970-01-01 is outside the years 1 to 9999",
                    days.value(i)
                )
            })?,
            Some(_) => return Err(missing()),
            None => return cells::date(self.text(c, i).ok_or_else(missing)?, name),
        };
        cells::in_years(date, name)
    }

    /// Column `c`'s row `i` as money that is not negative.
    pub(crate) fn money(&self, c: usize, i: usize, missing: &str) -> Result<Decimal, String> {
        match self.number(c, i) {
            Number::Value(d) => cells::money_of(d),
            Number::Text(t) => cells::money(&t),
            Number::Missing => Err(format!("mrr: missing{missing}")),
        }
    }

    /// Column `c`'s row `i` as a score.
    pub(crate) fn score(&self, c: usize, i: usize) -> Result<healthscore::Points, String> {
        // Millionths as the results tables write them (`Decimal128(9,
        // 6)`): taken as they are. Any other scale, and a value out of
        // range (to be told as such), through a `Decimal`.
        if let Some(points) = self
            .columns
            .get(c)
            .and_then(Option::as_ref)
            .and_then(|a| a.as_primitive_opt::<Decimal128Type>())
            .filter(|d| d.scale() == 6 && d.is_valid(i))
            .and_then(|d| u32::try_from(d.value(i)).ok())
            .and_then(healthscore::Points::from_micros)
        {
            return Ok(points);
        }
        match self.number(c, i) {
            Number::Value(d) => cells::score_of(d),
            Number::Text(t) => cells::score(&t),
            Number::Missing => Err("score: missing".into()),
        }
    }

    /// Column `c`'s row `i` as a number: a decimal column's value as it
    /// is (not written out and parsed back), else its text. A value a
    /// `Decimal` cannot hold is given as Arrow writes it, and read as
    /// such text is.
    fn number(&self, c: usize, i: usize) -> Number<'_> {
        let Some(decimals) = self
            .columns
            .get(c)
            .and_then(Option::as_ref)
            .and_then(|a| a.as_primitive_opt::<Decimal128Type>())
        else {
            return self
                .text(c, i)
                .map_or(Number::Missing, |t| Number::Text(t.into()));
        };
        if decimals.is_null(i) {
            return Number::Missing;
        }
        let scale = u32::try_from(decimals.scale()).ok();
        match scale.and_then(|s| Decimal::try_from_i128_with_scale(decimals.value(i), s).ok()) {
            Some(d) => Number::Value(d),
            None => Number::Text(decimals.value_as_string(i).into()),
        }
    }
}

/// A date column read as text (`read`, column `name`), as days: a run
/// of equal cells is parsed once (a partition's `as_of` is one value for
/// every row), and a cell that is not a date of the years 1 to 9999 is
/// null, with why given to `not_a_date` with its row. Any other column
/// as it is.
fn text_days(read: &ArrayRef, name: &str, mut not_a_date: impl FnMut(usize, String)) -> ArrayRef {
    let Some(text) = read.as_string_opt::<i32>() else {
        return read.clone();
    };
    let mut last: Option<(&str, Result<i32, String>)> = None;
    let days: Date32Array = (0..text.len())
        .map(|row| {
            let cell = text
                .is_valid(row)
                .then(|| text.value(row).trim())
                .filter(|t| !t.is_empty())?;
            let day = match &last {
                Some((t, day)) if *t == cell => day,
                _ => {
                    let day = cells::date(cell, name).map(Date32Type::from_naive_date);
                    &last.insert((cell, day)).1
                }
            };
            match day {
                Ok(day) => Some(*day),
                Err(why) => {
                    not_a_date(row, why.clone());
                    None
                }
            }
        })
        .collect();
    Arc::new(days)
}

/// A number's cell ([`Table::number`]).
enum Number<'a> {
    Missing,
    Text(std::borrow::Cow<'a, str>),
    Value(Decimal),
}

/// `array` (column `name`) as read: dates as `Date32` (or text), a
/// score's or MRR's `Decimal128` column as it is, the rest as text.
fn read_as(array: &ArrayRef, name: &str, date: bool) -> Result<ArrayRef, Error> {
    let to = match array.data_type() {
        DataType::Date32 if date => return Ok(array.clone()),
        DataType::Decimal128(_, scale) if *scale >= 0 && matches!(name, "score" | "mrr") => {
            return Ok(array.clone())
        }
        DataType::Null => return Ok(arrow_array::new_null_array(&DataType::Utf8, array.len())),
        DataType::Float16 | DataType::Float32 | DataType::Float64 if name == "mrr" => {
            return Err(Error::column(
                name,
                "a float: money is never a float (a decimal, an integer or decimal text)",
            ))
        }
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Dictionary(..)
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => DataType::Utf8,
        other => {
            let read = if date {
                "dates, text or numbers"
            } else {
                "text or numbers"
            };
            return Err(Error::column(
                name,
                format!("{other} is not read here ({read})"),
            ));
        }
    };
    Ok(arrow_cast::cast(array, &to)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, Int64Array, StringArray, UInt64Array};

    /// An integer `id` column is read as it is and each row's id written
    /// out (as a cast to text would write it); a null is no id; a text
    /// column's ids are trimmed, a blank one is none.
    #[test]
    fn integer_ids_are_written_out_row_by_row() {
        let wanted = [crate::dated::Wanted {
            names: ["id", "account"],
            date: false,
            required: true,
        }];
        let read = |ids: ArrayRef| {
            let batch = RecordBatch::try_from_iter([("id", ids)]).unwrap();
            let table = Table::of(&batch, &wanted).unwrap();
            (0..=batch.num_rows())
                .map(|i| table.account(0, i))
                .collect::<Vec<_>>()
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            read(Arc::new(Int64Array::from(vec![
                Some(42),
                None,
                Some(-7),
                Some(i64::MIN)
            ]))),
            [
                some("42"),
                None,
                some("-7"),
                some("-9223372036854775808"),
                None
            ]
        );
        assert_eq!(
            read(Arc::new(UInt64Array::from(vec![u64::MAX, 0]))),
            [some("18446744073709551615"), some("0"), None]
        );
        assert_eq!(read(Arc::new(Int32Array::from(vec![7]))), [some("7"), None]);
        assert_eq!(
            read(Arc::new(StringArray::from(vec![
                Some(" a7 "),
                Some("  "),
                None
            ]))),
            [some("a7"), None, None, None]
        );
    }
}
