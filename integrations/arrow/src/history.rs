//! The `as_of` and `mrr` result columns ([`Options::history`](crate::Options::history)):
//! the date and amount each row was scored with, so that a results table
//! kept night after night is the history a back-test reads.

use arrow_array::{ArrayRef, Date32Array, Decimal128Array, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use chrono::{Datelike, NaiveDate};
use healthscore::batch::{Batch, Mrr};
use std::sync::Arc;

/// The two fields, after `id`, for MRR of type `mrr` (see [`History`]).
pub(crate) fn fields(mrr: DataType) -> [Field; 2] {
    [
        Field::new("as_of", DataType::Date32, true),
        Field::new("mrr", mrr, true),
    ]
}

/// Each row's as-of day and MRR, as the batch path read them: MRR as
/// decimals of the type [`mrr_type`] gives where the input's was a
/// decimal or an integer, as exact decimal text where it was text.
#[derive(Debug, Default)]
pub(crate) struct History {
    days: Vec<i32>,
    mrr: Amounts,
    /// Rows whose date or amount could not be read (already rejected).
    unread: Vec<usize>,
}

#[derive(Debug)]
enum Amounts {
    Scaled {
        values: Vec<i128>,
        precision: u8,
        scale: i8,
    },
    Text {
        offsets: Vec<i32>,
        text: Vec<u8>,
    },
}

impl Default for Amounts {
    fn default() -> Self {
        Amounts::Text {
            offsets: vec![0],
            text: Vec::new(),
        }
    }
}

/// The type of the `mrr` result column for the input's MRR column of
/// type `input` (`None`: no such column): the decimal itself,
/// `Decimal128(p, s)`, for a decimal (of any width but `Decimal256`,
/// which is read as text), `Decimal128(19, 0)` for an integer (`UInt64`:
/// 20), `Utf8` (exact decimal text) for text.
pub(crate) fn mrr_type(input: Option<&DataType>) -> DataType {
    let read = input.map(|t| crate::cast::cast_to("mrr", t).unwrap_or_else(|| t.clone()));
    match read {
        // The input's precision, which its values fit: Parquet keeps a
        // precision up to 18 as 64-bit integers, faster to write and read
        // than the 16 bytes a value of 38 digits takes.
        Some(DataType::Decimal128(p, s)) if (0..=38).contains(&s) => DataType::Decimal128(p, s),
        Some(DataType::Int64) => DataType::Decimal128(19, 0),
        _ => DataType::Utf8,
    }
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

/// `date` as `Date32` holds it: days since 1970-01-01.
pub(crate) fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

impl History {
    /// Reads `batch`'s as-of dates and MRR, the MRR as `mrr` (what
    /// [`mrr_type`] gives for the input's column).
    pub(crate) fn read(batch: &Batch<'_>, mrr: &DataType) -> History {
        let rows = batch.len();
        let mut unread = Vec::new();
        let days = (0..rows)
            .map(|row| match batch.as_of(row) {
                Some(d) => day(d),
                None => {
                    unread.push(row);
                    0
                }
            })
            .collect();
        let amounts = batch.mrr();
        let mrr = match (mrr, amounts) {
            (DataType::Decimal128(p, s), Mrr::Scaled128 { values, scale })
                if i64::from(*s) == i64::from(scale) =>
            {
                Amounts::Scaled {
                    values: values.to_vec(),
                    precision: *p,
                    scale: *s,
                }
            }
            (DataType::Decimal128(p, s), Mrr::Scaled64 { values, scale })
                if i64::from(*s) == i64::from(scale) =>
            {
                Amounts::Scaled {
                    values: values.iter().map(|v| i128::from(*v)).collect(),
                    precision: *p,
                    scale: *s,
                }
            }
            // (Not met: the type is the input's, which the batch reads.)
            (DataType::Decimal128(p, s), amounts) => {
                let to = u32::try_from(*s).unwrap_or_default();
                let values = (0..rows)
                    .map(|row| {
                        let exact = amounts.get(row).and_then(|d| {
                            let up = 10i128.checked_pow(to.checked_sub(d.scale())?)?;
                            d.mantissa().checked_mul(up)
                        });
                        exact.unwrap_or_else(|| {
                            unread.push(row);
                            0
                        })
                    })
                    .collect();
                Amounts::Scaled {
                    values,
                    precision: *p,
                    scale: *s,
                }
            }
            (_, amounts) => {
                let mut offsets = Vec::with_capacity(rows + 1);
                let mut text = Vec::with_capacity(rows.saturating_mul(8));
                offsets.push(0);
                for row in 0..rows {
                    match amounts.get(row) {
                        Some(d) => {
                            use std::io::Write;
                            let _ = write!(text, "{d}");
                        }
                        None => unread.push(row),
                    }
                    offsets.push(i32::try_from(text.len()).unwrap_or(i32::MAX));
                }
                Amounts::Text { offsets, text }
            }
        };
        History { days, mrr, unread }
    }

    /// The `as_of` and `mrr` columns, null at the `rejected` rows (sorted
    /// or not) and at rows that could not be read.
    pub(crate) fn finish(
        self,
        rejected: impl Iterator<Item = usize>,
    ) -> Result<[ArrayRef; 2], arrow_schema::ArrowError> {
        let rows = self.days.len();
        let mut valid = vec![true; rows];
        for row in rejected.chain(self.unread) {
            if let Some(v) = valid.get_mut(row) {
                *v = false;
            }
        }
        let nulls = valid
            .iter()
            .any(|v| !v)
            .then(|| NullBuffer::new(BooleanBuffer::from(valid)));
        let days = Date32Array::try_new(ScalarBuffer::from(self.days), nulls.clone())?;
        let mrr: ArrayRef = match self.mrr {
            Amounts::Scaled {
                values,
                precision,
                scale,
            } => Arc::new(
                Decimal128Array::try_new(ScalarBuffer::from(values), nulls)?
                    .with_precision_and_scale(precision, scale)?,
            ),
            Amounts::Text { offsets, text } => Arc::new(StringArray::try_new(
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                text.into(),
                nulls,
            )?),
        };
        Ok([Arc::new(days), mrr])
    }
}
