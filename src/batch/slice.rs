//! Rows of a batch as a batch of their own: every column cut to the same
//! rows, still borrowed.

use super::columns::{Dates, Ids, MetricColumn, Mrr, Validity};
use super::input::Batch;
use std::ops::Range;

/// `rows` of `v`, cut where `v` ends (a column shorter than its batch
/// stays too short, and the scorer says so).
fn cut<'a, T>(v: &'a [T], rows: &Range<usize>) -> &'a [T] {
    let end = rows.end.min(v.len());
    v.get(rows.start.min(end)..end).unwrap_or_default()
}

impl<'a> Batch<'a> {
    /// Rows `rows` of the batch (row `rows.start` becomes row 0), without
    /// copying: every column cut to those rows. A stream of large inputs
    /// binds its columns once and scores them a slice at a time, as the
    /// Arrow integration does.
    ///
    /// A range past the end is cut at the end. A column shorter than the
    /// batch is cut where it ends, so that the scorer reports it as too
    /// short for the rows taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer, Validity};
    ///
    /// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let ids = ["acme", "globex", "initech"];
    /// let cents = [120_000_i64, 4_500_00, 99_00];
    /// let employees = [80_u32, 12, 5];
    /// let weekly_active = [0.5, 0.8, 0.1];
    /// let nps = [20.0, 0.0, -40.0];
    /// let nps_known = [true, false, true];
    /// let mut batch = Batch::new(Ids::Str(&ids), Mrr::Scaled64 { values: &cents, scale: 2 }, &employees, Dates::One(day))
    ///     .metric("weekly_active", MetricColumn::new(&weekly_active))
    ///     .metric("nps", MetricColumn::new(&nps).validity(Validity::Bools(&nps_known)));
    /// # for id in model.metric_ids().filter(|m| *m != "weekly_active" && *m != "nps") {
    /// #     batch.push_metric(id, MetricColumn::new(&[0.0; 3]).validity(Validity::Bools(&[false; 3])));
    /// # }
    /// let scorer = Scorer::new(&model);
    /// let whole = scorer.score(&batch)?;
    /// let last_two = scorer.score(&batch.rows(1..3))?;
    /// assert_eq!(last_two.len(), 2);
    /// assert_eq!(last_two.overall_micros(), &whole.overall_micros()[1..]);
    /// assert_eq!(last_two.band(0), whole.band(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rows(&self, rows: Range<usize>) -> Batch<'a> {
        let rows = rows.start.min(rows.end)..rows.end;
        Batch {
            ids: self.ids.rows(&rows),
            mrr: self.mrr.rows(&rows),
            employees: cut(self.employees, &rows),
            as_of: self.as_of.rows(&rows),
            stages: self.stages.map(|s| cut(s, &rows)),
            previous: self.previous.map(|p| cut(p, &rows)),
            previous_scores: self.previous_scores.map(|p| cut(p, &rows)),
            dates: self
                .dates
                .iter()
                .map(|(name, dates, validity)| (*name, dates.rows(&rows), validity.rows(&rows)))
                .collect(),
            events: self
                .events
                .iter()
                .map(|(name, dates, validity)| (*name, dates.rows(&rows), validity.rows(&rows)))
                .collect(),
            metrics: self
                .metrics
                .iter()
                .map(|(id, column)| (*id, column.rows(&rows)))
                .collect(),
        }
    }
}

impl<'a> Ids<'a> {
    fn rows(&self, rows: &Range<usize>) -> Ids<'a> {
        match *self {
            Ids::Str(v) => Ids::Str(cut(v, rows)),
            Ids::String(v) => Ids::String(cut(v, rows)),
            Ids::Int(v) => Ids::Int(cut(v, rows)),
            Ids::UInt(v) => Ids::UInt(cut(v, rows)),
            // One offset more than rows; the offsets index `data` as they
            // are, so `data` stays whole.
            Ids::Utf8 { offsets, data } => {
                let end = rows.end.min(offsets.len().saturating_sub(1));
                let start = rows.start.min(end);
                Ids::Utf8 {
                    offsets: offsets.get(start..=end).unwrap_or_default(),
                    data,
                }
            }
        }
    }
}

impl<'a> Mrr<'a> {
    fn rows(&self, rows: &Range<usize>) -> Mrr<'a> {
        match *self {
            Mrr::Decimal(v) => Mrr::Decimal(cut(v, rows)),
            Mrr::Scaled64 { values, scale } => Mrr::Scaled64 {
                values: cut(values, rows),
                scale,
            },
            Mrr::Scaled128 { values, scale } => Mrr::Scaled128 {
                values: cut(values, rows),
                scale,
            },
        }
    }
}

impl<'a> Dates<'a> {
    fn rows(&self, rows: &Range<usize>) -> Dates<'a> {
        match *self {
            Dates::One(d) => Dates::One(d),
            Dates::Days(v) => Dates::Days(cut(v, rows)),
        }
    }
}

impl<'a> Validity<'a> {
    fn rows(&self, rows: &Range<usize>) -> Validity<'a> {
        match *self {
            Validity::All => Validity::All,
            Validity::Bools(b) => Validity::Bools(cut(b, rows)),
            // The bitmap stays whole: row 0 moves to bit `offset + start`,
            // cut where the bitmap ends (what it covers stays right).
            Validity::Bits { bits, offset } => {
                let covered = (bits.len() * 8).saturating_sub(offset);
                Validity::Bits {
                    bits,
                    offset: offset.saturating_add(rows.start.min(covered)),
                }
            }
        }
    }
}

impl<'a> MetricColumn<'a> {
    fn rows(&self, rows: &Range<usize>) -> MetricColumn<'a> {
        MetricColumn {
            values: cut(self.values, rows),
            validity: self.validity.rows(rows),
            observed: self.observed.map(|d| d.rows(rows)),
            authors: self.authors.map(|a| cut(a, rows)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Ranges reversed, past the end or at `usize::MAX` give the rows
    /// that exist (maybe none), never a panic; a short column stays short.
    #[test]
    #[allow(clippy::reversed_empty_ranges)] // a reversed range is one of the cases
    fn any_range_cuts_to_the_rows_there_are() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let offsets = [0, 1, 3, 6];
        let data = b"abbccc";
        let cents = [1_i64, 2, 3];
        let employees = [1_u32, 2];
        let values = [0.1, 0.2, 0.3];
        let bits = [0b101_u8];
        let b = Batch::new(
            Ids::Utf8 {
                offsets: &offsets,
                data,
            },
            Mrr::Scaled64 {
                values: &cents,
                scale: 0,
            },
            &employees,
            Dates::One(day),
        )
        .metric(
            "m",
            MetricColumn::new(&values).validity(Validity::Bits {
                bits: &bits,
                offset: 0,
            }),
        );
        for (range, rows, employees) in [
            (0..3, 3, 2),
            (1..3, 2, 1),
            (2..9, 1, 0),
            (3..3, 0, 0),
            (5..2, 0, 0),
            (usize::MAX..usize::MAX, 0, 0),
            (0..usize::MAX, 3, 2),
        ] {
            let r = b.rows(range.clone());
            assert_eq!(r.len(), rows, "{range:?}");
            assert_eq!(r.mrr.len(), rows, "{range:?}");
            assert_eq!(r.employees.len(), employees, "{range:?}");
        }
        let r = b.rows(1..3);
        assert_eq!(r.ids.get(0).map(|id| id.to_string()).as_deref(), Some("bb"));
        assert_eq!(
            r.ids.get(1).map(|id| id.to_string()).as_deref(),
            Some("ccc")
        );
        let m = r.metrics.first().map(|(_, c)| c.validity);
        assert_eq!(
            m.map(|v| [v.is_valid(0), v.is_valid(1), v.is_valid(2)]),
            Some([false, true, false])
        );
    }
}
