//! Row-level work shared by both kernels: binding columns to a model,
//! each row's segment and row-level checks, and a row rebuilt as the row
//! API's [`AccountData`] (for its exact errors and explanations).

use super::columns::{Dates, MetricColumn, Mrr, RowId};
use super::input::{Batch, BatchError, ColumnProblem};
use crate::account::{AccountData, AccountProblem, MAX_MRR};
use crate::model::Model;
use crate::value::{date, Observation, Value};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// A batch's columns bound to a model's metrics, and what row-level checks
/// need, resolved once per batch.
#[derive(Clone, Debug)]
pub(crate) struct Bound<'a> {
    /// One column per model metric, in model order.
    pub(crate) metrics: Vec<MetricColumn<'a>>,
    /// For a scaled MRR column: each MRR tier's lower bound in the
    /// column's units, rounded up (`v ≥ ⌈from·10^s⌉ ⟺ v/10^s ≥ from`),
    /// and the largest MRR the row API accepts, in those units.
    pub(crate) mrr_bounds: Vec<i128>,
    pub(crate) mrr_max: i128,
    /// The same, saturated to `i64` for 64-bit columns.
    pub(crate) mrr_bounds64: Vec<i64>,
    pub(crate) mrr_max64: i64,
    pub(crate) first_day: i64,
    pub(crate) last_day: i64,
}

/// `⌈d·10^scale⌉`, saturating.
fn scaled_ceiling(d: Decimal, scale: u32) -> i128 {
    let (m, s) = (d.mantissa(), d.scale());
    if scale >= s {
        10i128
            .checked_pow(scale - s)
            .and_then(|f| m.checked_mul(f))
            .unwrap_or(if m < 0 { i128::MIN } else { i128::MAX })
    } else {
        let f = 10i128.pow(s - scale);
        let q = m.div_euclid(f);
        q + i128::from(m.rem_euclid(f) != 0)
    }
}

impl<'a> Bound<'a> {
    pub(crate) fn new(model: &Model, batch: &Batch<'a>) -> Result<Bound<'a>, BatchError> {
        let rows = batch.len();
        let mut problems = Vec::new();
        // The column's name is only built for a length that is wrong (this
        // runs once per call, and a stream of small batches makes many).
        let length =
            |problems: &mut Vec<ColumnProblem>, column: &dyn Fn() -> String, len: Option<usize>| {
                if let Some(len) = len.filter(|l| *l != rows) {
                    problems.push(ColumnProblem::Length {
                        column: column(),
                        len,
                        expected: rows,
                    });
                }
            };
        length(&mut problems, &|| "mrr".into(), Some(batch.mrr.len()));
        length(
            &mut problems,
            &|| "employees".into(),
            Some(batch.employees.len()),
        );
        length(&mut problems, &|| "as_of".into(), batch.as_of.covers());
        length(
            &mut problems,
            &|| "stage".into(),
            batch.stages.map(<[_]>::len),
        );
        length(
            &mut problems,
            &|| "previous_band".into(),
            batch.previous.map(<[_]>::len),
        );
        let mut metrics: Vec<Option<MetricColumn<'a>>> = vec![None; model.metrics.len()];
        for (at, (name, column)) in batch.metrics.iter().enumerate() {
            length(
                &mut problems,
                &|| name.to_string(),
                Some(column.values.len()),
            );
            // A validity bitmap may be longer than the rows (Arrow pads it).
            if let Some(covered) = column.validity.covers().filter(|c| *c < rows) {
                length(
                    &mut problems,
                    &|| format!("{name} (validity)"),
                    Some(covered),
                );
            }
            length(
                &mut problems,
                &|| format!("{name} (observed)"),
                column.observed.and_then(|d| d.covers()),
            );
            length(
                &mut problems,
                &|| format!("{name} (authors)"),
                column.authors.map(<[_]>::len),
            );
            // Columns pushed in the model's order (as the Arrow path and
            // most callers push them) are matched by comparing the name with
            // that metric's id (no bytes compared where the caller passed the
            // model's own ids); the hash of the name, byte by byte, only for
            // one out of place. With v0m's twelve names, a 16-row call took
            // 1.29–1.40 µs against 1.43–1.49 hashing them (`cargo bench
            // --bench batch -- v0m_small_calls`, the Zen 4 VM, 2026-12-04).
            let slot = match model.metrics.get(at) {
                Some(m)
                    if m.id.len() == name.len()
                        && (m.id.as_ptr() == name.as_ptr() || m.id == *name) =>
                {
                    Some(at)
                }
                _ => model.by_id.get(*name).copied(),
            };
            match slot.and_then(|i| metrics.get_mut(i)) {
                Some(slot @ None) => *slot = Some(*column),
                Some(Some(_)) => problems.push(ColumnProblem::Duplicate(name.to_string())),
                None => problems.push(ColumnProblem::Unknown(name.to_string())),
            }
        }
        for (m, column) in model.metrics.iter().zip(&metrics) {
            if column.is_none() {
                problems.push(ColumnProblem::Missing(m.id.clone()));
            }
        }
        let scale = batch.mrr.scale().unwrap_or(0);
        if scale > 28 {
            problems.push(ColumnProblem::Scale(scale));
        }
        if !problems.is_empty() {
            return Err(BatchError { problems });
        }
        let mrr_bounds: Vec<i128> = model
            .segmentation
            .mrr
            .iter()
            .map(|t| scaled_ceiling(t.from, scale))
            .collect();
        let mrr_max = scaled_ceiling(Decimal::from(MAX_MRR), scale);
        let saturate =
            |b: i128| i64::try_from(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX });
        Ok(Bound {
            mrr_bounds64: mrr_bounds.iter().map(|b| saturate(*b)).collect(),
            mrr_max64: saturate(mrr_max),
            metrics: metrics.into_iter().flatten().collect(),
            mrr_bounds,
            mrr_max,
            first_day: i64::from(date::FIRST.num_days_from_ce()),
            last_day: i64::from(date::LAST.num_days_from_ce()),
        })
    }
}

/// A row's segment and scorecard, or `None` when a row-level check fails
/// (empty id, negative or huge MRR, as-of date out of range, unknown
/// stage): the row is then rebuilt and bound for its exact error.
#[inline]
pub(crate) fn locate(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    row: usize,
) -> Option<(u32, u32)> {
    let seg = &model.segmentation;
    let m = match batch.mrr {
        Mrr::Decimal(v) => {
            let d = *v.get(row)?;
            if (d.is_sign_negative() && !d.is_zero()) || d > Decimal::from(MAX_MRR) {
                return None;
            }
            seg.mrr.iter().rposition(|t| d >= t.from).unwrap_or(0)
        }
        _ => {
            let v = batch.mrr.unscaled(row)?;
            if v < 0 || v > bound.mrr_max {
                return None;
            }
            let count = bound.mrr_bounds.iter().filter(|b| v >= **b).count();
            count.saturating_sub(1)
        }
    };
    let e = *batch.employees.get(row)?;
    let s = seg
        .size
        .iter()
        .filter(|t| e >= t.from)
        .count()
        .saturating_sub(1);
    let stage = match (batch.stages, seg.stages.is_empty()) {
        (Some(st), false) => match st.get(row)? {
            Some(name) => seg.stages.iter().position(|x| x == name)? + 1,
            None => 0,
        },
        _ => 0,
    };
    // One date for the whole batch is checked as each row's own would be:
    // binding refuses an as-of date outside the documented years.
    let day = batch.as_of.ce_day(row)?;
    if day < bound.first_day || day > bound.last_day {
        return None;
    }
    if batch.ids.get(row).is_none_or(|id| id.is_blank()) || !dates_ok(batch, bound, row) {
        return None;
    }
    let segment = seg.index(m, s, stage);
    let card = *model.card_of_segment.get(segment)?;
    Some((u32::try_from(segment).ok()?, card))
}

/// The row's named dates lie within the documented years (binding refuses
/// others).
#[inline]
pub(crate) fn dates_ok(batch: &Batch<'_>, bound: &Bound<'_>, row: usize) -> bool {
    batch
        .dates
        .iter()
        .chain(&batch.events)
        .all(|(_, dates, validity)| {
            !validity.is_valid(row)
                || dates
                    .ce_day(row)
                    .is_some_and(|d| (bound.first_day..=bound.last_day).contains(&d))
        })
}

/// A date of a row as the row API would hold it: out-of-range day numbers
/// become chrono's extremes, which binding reports as out of range.
fn day_of(dates: &Dates<'_>, row: usize) -> NaiveDate {
    match dates {
        Dates::One(d) => *d,
        Dates::Days(v) => match v.get(row) {
            Some(&d) if d < 0 => dates.get(row).unwrap_or(NaiveDate::MIN),
            Some(_) => dates.get(row).unwrap_or(NaiveDate::MAX),
            None => NaiveDate::MIN,
        },
    }
}

/// What a row holds that no `Decimal` or date holds: an MRR whose whole
/// part is past 96 bits, days past chrono's ±262,143 years. The row API's
/// input has extremes in their place ([`account_data`]), whose own
/// problems these replace ([`hidden_by`]), so that the message gives the
/// value as the column does.
pub(crate) fn far_values(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    row: usize,
) -> Vec<AccountProblem> {
    let mut far = Vec::new();
    if batch.mrr.get(row).is_none() {
        if let Some(text) = batch.mrr.text(row) {
            far.push(AccountProblem::MrrOutOfRange(text));
        }
    }
    let mut day = |what: &dyn Fn() -> String, dates: &Dates<'_>| {
        if let (Dates::Days(v), None) = (dates, dates.get(row)) {
            if let Some(d) = v.get(row) {
                far.push(AccountProblem::DayOutOfRange {
                    what: what(),
                    days: i64::from(*d),
                });
            }
        }
    };
    day(&|| "as_of".to_string(), &batch.as_of);
    for (name, dates, validity) in &batch.dates {
        if validity.is_valid(row) {
            day(&|| format!("date {name}"), dates);
        }
    }
    for (name, dates, validity) in &batch.events {
        if validity.is_valid(row) {
            day(&|| format!("event {name}"), dates);
        }
    }
    for (metric, column) in model.metrics.iter().zip(&bound.metrics) {
        if let Some(observed) = column.observed.filter(|_| column.validity.is_valid(row)) {
            day(&|| format!("observation of {}", metric.id), &observed);
        }
    }
    far
}

/// Whether `problem` is one the extremes standing for `far`'s values
/// caused: that date out of range, an MRR beyond 10¹⁵ (or negative), an
/// observation after an as-of date that is not known.
pub(crate) fn hidden_by(problem: &AccountProblem, far: &[AccountProblem]) -> bool {
    let far_date = |w: &str| {
        far.iter()
            .any(|f| matches!(f, AccountProblem::DayOutOfRange { what, .. } if what == w))
    };
    match problem {
        AccountProblem::HugeMrr(_) | AccountProblem::NegativeMrr(_) => far
            .iter()
            .any(|f| matches!(f, AccountProblem::MrrOutOfRange(_))),
        AccountProblem::DateOutOfRange { what, .. } => far_date(what),
        AccountProblem::ObservedAfterAsOf { metric, .. } => {
            far_date("as_of") || far_date(&format!("observation of {metric}"))
        }
        _ => false,
    }
}

/// Row `row` of a batch as the row API's input: the same id, MRR,
/// employees, stage, as-of date and previous band, and one observation per
/// metric with a value, in model order.
pub(crate) fn account_data(
    model: &Model,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    row: usize,
) -> AccountData {
    let id = batch.ids.get(row).map_or_else(String::new, |id| match id {
        RowId::Text(s) => s.to_string(),
        RowId::Int(n) => n.to_string(),
    });
    let mrr = batch.mrr.get(row).unwrap_or(Decimal::MAX);
    let employees = batch.employees.get(row).copied().unwrap_or(0);
    let as_of = day_of(&batch.as_of, row);
    let mut data = AccountData::new(id, mrr, employees, as_of);
    // One observation per metric at most: no vector grown twice or thrice.
    data.observations.reserve_exact(bound.metrics.len());
    if let Some(Some(stage)) = batch.stages.and_then(|s| s.get(row)) {
        data.stage = Some((*stage).to_string());
    }
    data.previous_band = batch.previous.and_then(|p| p.get(row).copied().flatten());
    data.previous_score = batch
        .previous_scores
        .and_then(|p| p.get(row).copied().flatten());
    for (name, dates, validity) in &batch.dates {
        if validity.is_valid(row) {
            data.dates.insert((*name).to_string(), day_of(dates, row));
        }
    }
    for (name, dates, validity) in &batch.events {
        if validity.is_valid(row) {
            data.events.push(crate::account::Event {
                name: (*name).to_string(),
                date: day_of(dates, row),
            });
        }
    }
    for (metric, column) in model.metrics.iter().zip(&bound.metrics) {
        if !column.validity.is_valid(row) {
            continue;
        }
        let Some(&x) = column.values.get(row) else {
            continue;
        };
        let observed = column.observed.map_or(as_of, |d| day_of(&d, row));
        let mut obs = Observation::new(metric.id.clone(), column_value(&metric.kind, x), observed);
        if let Some(Some(author)) = column.authors.and_then(|a| a.get(row)) {
            obs = obs.by(*author, "");
            obs.note = None;
        }
        data.observations.push(obs);
    }
    data
}

/// A metric's value read from a column, as the row API's [`Value`]: a
/// money amount as the decimal it was written as (`Value::Exact`, which
/// an explanation shows as `"8818.51"`, as it shows the same account's
/// JSON), a number otherwise.
///
/// The decimal is `x`'s shortest form, the one that reads back as `x`;
/// with at most six places and `|x| < 10⁹` it is the decimal the column
/// held (a `Decimal128` or a CSV cell of up to 15 digits) and its
/// millionths are `x`'s, so the kernel, which scores `x`, and the row
/// API, which scores the decimal, agree. Any other amount stays a number.
pub(crate) fn column_value(kind: &crate::MetricKind, x: f64) -> Value {
    if matches!(kind, crate::MetricKind::Money) {
        if let Some(d) = money_decimal(x) {
            return Value::Exact(d);
        }
    }
    Value::Number(x)
}

/// `x`'s shortest decimal form when it has at most six places and
/// `|x| < 10⁹` (see [`column_value`]), without allocating.
fn money_decimal(x: f64) -> Option<Decimal> {
    use std::io::Write;
    if !x.is_finite() || x.abs() >= 1e9 || (x != 0.0 && x.abs() < 1e-6) {
        return None;
    }
    // `{x}` is the shortest form that reads back as `x`, never with an
    // exponent: at most a sign, nine digits, a point and seventeen more
    // digits for these magnitudes.
    let mut buf = [0u8; 48];
    let len = {
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        write!(cursor, "{x}").ok()?;
        usize::try_from(cursor.position()).ok()?
    };
    let text = std::str::from_utf8(buf.get(..len)?).ok()?;
    let d: Decimal = text.parse().ok()?;
    (d.scale() <= 6).then_some(d.normalize())
}

#[cfg(test)]
mod tests {
    use super::{column_value, money_decimal};
    use crate::points::f64_to_micros;
    use crate::value::Value;
    use crate::MetricKind;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Worked cases: a money cell comes back as the decimal written, a
    /// number of any other kind stays a number, and amounts the column
    /// cannot hold exactly stay numbers.
    #[test]
    fn money_read_from_a_column_is_the_decimal_written() {
        let exact = |s: &str| Value::Exact(s.parse().unwrap());
        assert_eq!(column_value(&MetricKind::Money, 8818.51), exact("8818.51"));
        assert_eq!(column_value(&MetricKind::Money, 1200.0), exact("1200"));
        assert_eq!(column_value(&MetricKind::Money, 0.1), exact("0.1"));
        assert_eq!(column_value(&MetricKind::Money, -0.0), exact("0"));
        assert_eq!(
            column_value(&MetricKind::Money, 0.000001),
            exact("0.000001")
        );
        assert_eq!(
            column_value(&MetricKind::Money, 999_999_999.999999),
            exact("999999999.999999")
        );
        assert_eq!(column_value(&MetricKind::Ratio, 0.5), Value::Number(0.5));
        // Seven places, 10⁹ and past, and what is not a number.
        for x in [0.0000001, 0.1234567, 1e9, 2.5e12, f64::NAN, f64::INFINITY] {
            assert!(money_decimal(x).is_none(), "{x}");
            assert!(matches!(
                column_value(&MetricKind::Money, x),
                Value::Number(_)
            ));
        }
    }

    proptest! {
        /// Any decimal of up to six places below 10⁹, read from a column
        /// as the nearest double, comes back as itself, and its
        /// millionths from the double (what the kernel scores) are its
        /// own (what the row API scores).
        #[test]
        fn money_decimals_come_back_with_their_own_millionths(
            (scale, mantissa) in (0u32..=6).prop_flat_map(|s| {
                let top = 10i64.pow(9 + s) - 1;
                (Just(s), -top..=top)
            }),
        ) {
            let d = Decimal::new(mantissa, scale);
            let x: f64 = d.to_string().parse().unwrap();
            let back = money_decimal(x);
            prop_assert_eq!(back, Some(d.normalize()));
            let micros = i64::try_from(mantissa as i128 * 10i128.pow(6 - scale)).unwrap();
            prop_assert_eq!(f64_to_micros(x).unwrap(), micros);
        }
    }
}
