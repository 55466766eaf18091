//! Where the columns the scorer reads are in a record batch: found once
//! per schema and model, not by name on every call.
//!
//! A stream of small record batches (a service scoring a request's
//! accounts, 1,024 rows a call) otherwise looks up some forty columns by
//! name in every call, each a scan of the schema's names: about a fifth
//! of a small call's fixed cost in a profile of 16-row calls (AVX-512
//! VM, 2026-12-03).

use crate::cast::{cast_to, is_date};
use crate::input::reads;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{FieldRef, SchemaRef};
use healthscore::model::Fingerprint;
use healthscore::Model;

/// The convention columns the scorer reads by name, in
/// [`CONVENTION_COLUMNS`](crate::CONVENTION_COLUMNS)' order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Convention {
    Id,
    Mrr,
    Employees,
    AsOf,
    Stage,
    PreviousBand,
    PreviousScore,
}

impl Convention {
    /// The column's name.
    pub(crate) fn name(self) -> &'static str {
        crate::CONVENTION_COLUMNS
            .get(self as usize)
            .copied()
            .unwrap_or_default()
    }
}

/// A metric's columns: its values and `<metric>__observed_on` (each the
/// first of that name, as [`RecordBatch::column_by_name`] finds). Its
/// `__author` column is among [`Layout::authors`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetricColumns {
    pub(crate) value: Option<usize>,
    pub(crate) observed_on: Option<usize>,
}

/// Where the columns the scorer reads are, in record batches of one
/// schema scored by one model.
#[derive(Debug)]
pub(crate) struct Layout {
    /// The schema it was found in.
    schema: SchemaRef,
    /// The model's fingerprint (its metrics' ids are part of it).
    model: Fingerprint,
    /// The convention columns, in [`Convention`]'s order.
    convention: [Option<usize>; 7],
    /// Per metric of the model, in its order.
    pub(crate) metrics: Vec<MetricColumns>,
    /// Every `<name>__date` and `<name>__event` column, in the schema's
    /// order.
    pub(crate) dates: Vec<usize>,
    /// Every column of dates the scorer reads (`as_of`,
    /// `<metric>__observed_on`, `<name>__date`, `<name>__event`), in the
    /// schema's order.
    pub(crate) read_dates: Vec<usize>,
    /// Every `<name>__author` column, in the schema's order.
    pub(crate) authors: Vec<usize>,
    /// The first metric (its place in the model) without a column but
    /// with one named almost as it (`Weekly Active Ratio`).
    pub(crate) near_miss: Option<usize>,
    /// Whether a column the scorer reads is of a type it casts first
    /// ([`cast_to`]).
    pub(crate) cast: bool,
    /// The first column the scorer reads whose name an earlier column
    /// has too (two `nps` columns: which to score cannot be told).
    pub(crate) repeated: Option<usize>,
}

impl Layout {
    /// Finds the columns of `schema` that `model` reads.
    pub(crate) fn find(model: &Model, schema: &SchemaRef) -> Layout {
        let ids: Vec<&str> = model.metric_ids().collect();
        let metric = |name: &str| ids.iter().position(|id| *id == name);
        let mut layout = Layout {
            schema: schema.clone(),
            model: model.fingerprint().clone(),
            convention: [None; 7],
            metrics: vec![MetricColumns::default(); ids.len()],
            dates: Vec::new(),
            read_dates: Vec::new(),
            authors: Vec::new(),
            near_miss: None,
            cast: false,
            repeated: None,
        };
        let first = |slot: &mut Option<usize>, at: usize| {
            slot.get_or_insert(at);
        };
        for (at, field) in schema.fields().iter().enumerate() {
            let name = field.name().as_str();
            if let Some(c) = crate::CONVENTION_COLUMNS.iter().position(|c| *c == name) {
                if let Some(slot) = layout.convention.get_mut(c) {
                    first(slot, at);
                }
            }
            if let Some(m) = metric(name).and_then(|m| layout.metrics.get_mut(m)) {
                first(&mut m.value, at);
            }
            if let Some(m) = name.strip_suffix("__observed_on").and_then(metric) {
                if let Some(m) = layout.metrics.get_mut(m) {
                    first(&mut m.observed_on, at);
                }
            }
            if name.ends_with("__author") {
                layout.authors.push(at);
            }
            if name.ends_with("__date") || name.ends_with("__event") {
                layout.dates.push(at);
            }
            let read = reads(model, name);
            let earlier = || schema.fields().iter().take(at).any(|f| f.name() == name);
            if read && layout.repeated.is_none() && earlier() {
                layout.repeated = Some(at);
            }
            if is_date(name) && read {
                layout.read_dates.push(at);
            }
            if read && cast_to(name, field.data_type()).is_some() {
                layout.cast = true;
            }
        }
        layout.near_miss = ids.iter().zip(&layout.metrics).position(|(id, columns)| {
            columns.value.is_none() && crate::input::near_miss(schema, id).is_some()
        });
        layout
    }

    /// Whether this layout is that of `schema` for `model`: the same
    /// schema (the same one, or an equal one: every field's name and
    /// type), the same model.
    pub(crate) fn fits(&self, model: &Model, schema: &SchemaRef) -> bool {
        (std::sync::Arc::ptr_eq(&self.schema, schema) || self.schema.fields() == schema.fields())
            && self.model == *model.fingerprint()
    }

    /// The convention column `c` of `batch` (a batch of this layout's
    /// schema, or one cast from it column for column).
    pub(crate) fn get<'a>(&self, batch: &'a RecordBatch, c: Convention) -> Option<&'a ArrayRef> {
        self.convention
            .get(c as usize)
            .copied()
            .flatten()
            .and_then(|at| batch.columns().get(at))
    }

    /// The field of the convention column `c`.
    pub(crate) fn field<'a>(&self, batch: &'a RecordBatch, c: Convention) -> Option<&'a FieldRef> {
        self.convention
            .get(c as usize)
            .copied()
            .flatten()
            .and_then(|at| batch.schema_ref().fields().get(at))
    }
}

/// Column `at` of `batch`, with its field.
pub(crate) fn column_at(batch: &RecordBatch, at: usize) -> Option<(&FieldRef, &ArrayRef)> {
    Some((
        batch.schema_ref().fields().get(at)?,
        batch.columns().get(at)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn model() -> Model {
        Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap()).unwrap()
    }

    fn schema(names: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(
            names
                .iter()
                .map(|(n, t)| Field::new(*n, t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// Each column is found where `column_by_name` finds it: the first of
    /// its name; a repeat of a name read is noted (and refused by
    /// `near_misses`).
    #[test]
    fn columns_are_found_where_a_lookup_by_name_finds_them() {
        let model = model();
        let first = model.metric_ids().next().unwrap().to_string();
        let s = schema(&[
            ("warehouse_key", DataType::Utf8),
            ("mrr", DataType::Int64),
            ("id", DataType::Int64),
            (&first, DataType::Float64),
            ("id", DataType::Utf8),
            (&format!("{first}__observed_on"), DataType::Date32),
            ("renewal__date", DataType::Date32),
            (&format!("{first}__author"), DataType::Utf8),
            ("other__author", DataType::Utf8),
            (&first, DataType::Float64),
            ("as_of", DataType::Utf8),
        ]);
        let layout = Layout::find(&model, &s);
        let at = |c: Convention| layout.convention[c as usize];
        assert_eq!(at(Convention::Id), Some(2));
        assert_eq!(at(Convention::Mrr), Some(1));
        assert_eq!(at(Convention::Employees), None);
        assert_eq!(at(Convention::AsOf), Some(10));
        assert_eq!(
            layout.metrics[0],
            MetricColumns {
                value: Some(3),
                observed_on: Some(5),
            }
        );
        assert!(layout.metrics[1..].iter().all(|m| m.value.is_none()));
        assert_eq!(layout.dates, [6]);
        assert_eq!(layout.read_dates, [5, 6, 10]);
        assert_eq!(layout.authors, [7, 8]);
        assert_eq!(layout.near_miss, None);
        // The second `id` (the first column read that repeats a name).
        assert_eq!(layout.repeated, Some(4));
        // `as_of` as text is read from text, not cast; an `id` as Utf8
        // after the first is not read at all.
        assert!(!layout.cast);
        for (i, c) in [
            Convention::Id,
            Convention::Mrr,
            Convention::Employees,
            Convention::AsOf,
            Convention::Stage,
            Convention::PreviousBand,
            Convention::PreviousScore,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(c.name(), crate::CONVENTION_COLUMNS[i]);
            assert_eq!(at(c), s.index_of(c.name()).ok());
        }
    }

    /// A metric named almost as a column, and a column to cast, are
    /// found; a layout fits an equal schema and the same model only.
    #[test]
    fn near_misses_casts_and_fit() {
        let model = model();
        let ids: Vec<String> = model.metric_ids().map(str::to_string).collect();
        let loud = ids[1].to_uppercase();
        let s = schema(&[
            ("id", DataType::Int32),
            (&ids[0], DataType::Float64),
            (&loud, DataType::Float64),
        ]);
        let layout = Layout::find(&model, &s);
        assert_eq!(layout.near_miss, Some(1));
        assert!(layout.cast, "an Int32 id is cast to Int64");
        assert!(layout.fits(&model, &s));
        let equal = schema(&[
            ("id", DataType::Int32),
            (&ids[0], DataType::Float64),
            (&loud, DataType::Float64),
        ]);
        assert!(!Arc::ptr_eq(&s, &equal));
        assert!(layout.fits(&model, &equal));
        let retyped = schema(&[
            ("id", DataType::Int64),
            (&ids[0], DataType::Float64),
            (&loud, DataType::Float64),
        ]);
        assert!(!layout.fits(&model, &retyped));
        let mut config = model.config().clone();
        config.version = format!("{}-other", config.version);
        let other = Model::new(config).unwrap();
        assert!(!layout.fits(&other, &s));
    }
}
