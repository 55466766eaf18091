//! The memory the Arrow path reuses from call to call, and the result
//! columns made Arrow arrays from it (filled block by block in
//! [`filling`](crate::filling)).

use crate::filling::Filling;
use crate::layout::Layout;
use crate::Error;
use crate::Options;
use arrow_array::types::UInt32Type;
use arrow_array::{Array, ArrayRef, Decimal128Array, DictionaryArray, StringArray, UInt32Array};
use arrow_buffer::{ArrowNativeType, BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, FieldRef, Schema, SchemaRef};
use healthscore::batch::BatchScores;
use healthscore::model::Fingerprint;
use healthscore::{Band, Model};
use std::sync::Arc;

/// What a results schema was built from: the input's `id` field, the
/// `mrr` result column's type (with [`Options::history`]), `drivers`, the
/// rules' content hash and the model's fingerprint hash.
type SchemaKey = (Option<FieldRef>, Option<DataType>, bool, Option<u64>, u64);

/// What [`score_batch_into`](crate::score_batch_into) reuses from call to call: the batch path's
/// working columns, and the buffers of the results it returned last,
/// taken back once the caller has dropped them.
///
/// A stream of record batches (a file reader, a DataFusion partition)
/// then fills the same memory batch after batch instead of asking the
/// allocator for fresh, page-faulting buffers each time: about 110 bytes
/// per row. A buffer the caller still holds is never touched; that call
/// allocates a new one.
///
/// What it holds is sized to the calls: after a large batch, the
/// buffers stay as large while batches as large may come again (a
/// stream's short last batch keeps them), and are let go once
/// [`SMALLER_CALLS`](Self::SMALLER_CALLS) calls in a row needed less than
/// a quarter of them, so that a service that once scored a million rows
/// does not keep ~110 MB for its small requests. Memory under 4 MiB is
/// kept whatever the calls. [`held_bytes`](Self::held_bytes) says how
/// much it holds; the rest is let go when the `ScoreBuffers` is dropped.
///
/// It also keeps what does not change from batch to batch of a stream:
/// where each column the scorer reads is in the last schema (found by
/// name once, not in every call; a batch of another schema, or scored by
/// another model, has its columns found anew), the dictionaries' names
/// and the results' schema. One `ScoreBuffers` may serve batches of any
/// schemas and models, in any order.
///
/// # Examples
///
/// ```
/// use healthscore::{batch::Scorer, Model};
/// use healthscore_arrow::{score_batch_into, Options, ScoreBuffers};
/// # use std::sync::Arc;
/// # use arrow_array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
/// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// # let mut columns: Vec<(String, ArrayRef)> = vec![
/// #     ("id".into(), Arc::new(Int64Array::from(vec![1, 2]))),
/// #     ("mrr".into(), Arc::new(Decimal128Array::from(vec![120_000, 4_500]).with_precision_and_scale(12, 2)?)),
/// #     ("employees".into(), Arc::new(UInt32Array::from(vec![80, 12]))),
/// # ];
/// # for id in model.metric_ids() {
/// #     columns.push((id.to_string(), Arc::new(Float64Array::from(vec![Some(0.5), None]))));
/// # }
/// # let stream = vec![RecordBatch::try_from_iter(columns)?; 3];
/// let scorer = Scorer::new(&model);
/// let options = Options { as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20), ..Options::default() };
/// let mut buffers = ScoreBuffers::new();
/// for input in &stream {
///     let scores = score_batch_into(&scorer, input, &options, &mut buffers)?;
///     assert_eq!(scores.num_rows(), 2);
///     // Once `scores` is dropped, the next call fills its memory again.
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct ScoreBuffers {
    /// The batch path's working columns, one set per thread.
    pub(crate) scores: Vec<BatchScores>,
    /// Per result column, the buffer handed out last.
    returned: Vec<Option<Buffer>>,
    /// Per result column, its validity words last (handed out, or kept
    /// when every row had a value).
    returned_valid: Vec<Option<Buffer>>,
    /// An all-null text column, sliced for results without a rejected
    /// row (its offsets are 4 bytes a row: allocated once, not per call).
    no_errors: Option<StringArray>,
    /// The dictionaries' names of the model scored last.
    names: Option<Arc<Names>>,
    /// The results' schema last built, with what it was built from: the
    /// input's `id` field, `drivers`, the rules' content hash (if any) and
    /// the model's fingerprint hash (both in its metadata).
    schema: Option<(SchemaKey, SchemaRef)>,
    /// Where the columns were in the schema scored last.
    layout: Option<Arc<Layout>>,
    /// Calls in a row that needed less than a quarter of the result
    /// buffers held (see [`ScoreBuffers::fit`]).
    smaller_calls: u32,
}

/// What it holds, not its bytes: a buffer's own `Debug` lists every byte,
/// so that a UDF or a plan holding a pool of these, printed with `{:?}`
/// (a log line, an error quoting an expression), printed the memory of
/// the rows it had scored (3 MB of text after 20,000 rows).
impl std::fmt::Debug for ScoreBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScoreBuffers")
            .field("held_bytes", &self.held_bytes())
            .field("threads_working_columns", &self.scores.len())
            .field("smaller_calls", &self.smaller_calls)
            .finish_non_exhaustive()
    }
}

/// Bytes of result buffers a row needs: six `Decimal128` columns, four
/// dictionary keys at most, and their validity bits.
const ROW_BYTES: usize = 6 * 16 + 4 * 4 + 2;

/// Result buffers held below this size are kept, whatever the calls.
const KEEP_BYTES: usize = 4 << 20;

/// The names the dictionary-encoded result columns index, for one model:
/// built once per model, not once per call (for a stream of small record
/// batches, building them was a good part of each call's fixed cost).
#[derive(Clone, Debug)]
pub(crate) struct Names {
    /// Which model (name, version and content hash).
    model: Fingerprint,
    /// `green` … `red`.
    pub(crate) bands: ArrayRef,
    /// The model's segments, in its order (`mid/medium`).
    pub(crate) segments: ArrayRef,
    /// Its scorecards' ids.
    pub(crate) cards: ArrayRef,
    /// Its metrics' ids (`pulls_down_most`).
    pub(crate) metrics: ArrayRef,
}

impl Names {
    pub(crate) fn of(model: &Model) -> Names {
        let array = |names: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(names)) };
        Names {
            model: model.fingerprint().clone(),
            bands: array(Band::ALL.iter().map(|b| b.to_string()).collect()),
            segments: array(
                (0..)
                    .map_while(|i| model.segment_at(i).map(|s| s.to_string()))
                    .collect(),
            ),
            cards: array(
                (0..)
                    .map_while(|i| model.scorecard_id(i).map(str::to_string))
                    .collect(),
            ),
            metrics: array(model.metric_ids().map(str::to_string).collect()),
        }
    }
}

impl ScoreBuffers {
    /// How many calls in a row must need less than a quarter of the
    /// result buffers held before they are let go: 8.
    pub const SMALLER_CALLS: u32 = 8;

    /// Nothing allocated yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of result buffers held for the next call: the buffers of the
    /// last results (shared with them while the caller holds them) and
    /// the all-null `error` column. The batch path's working columns
    /// (blocks of at most 16,384 rows a thread) are not counted.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore_arrow::ScoreBuffers;
    /// assert_eq!(ScoreBuffers::new().held_bytes(), 0);
    /// ```
    pub fn held_bytes(&self) -> usize {
        let buffers = self.returned.iter().chain(&self.returned_valid);
        let held: usize = buffers.flatten().map(Buffer::capacity).sum();
        let errors = self.no_errors.as_ref().map(Array::get_buffer_memory_size);
        held.saturating_add(errors.unwrap_or(0))
    }

    /// Before a call of `rows` rows: lets the result buffers go when this
    /// is the [`SMALLER_CALLS`](Self::SMALLER_CALLS)th call in a row that
    /// needs less than a quarter of them (and they hold at least 4 MiB).
    pub(crate) fn fit(&mut self, rows: usize) {
        let held = self.held_bytes();
        let needed = rows.saturating_mul(ROW_BYTES);
        if held < KEEP_BYTES || held / 4 <= needed {
            self.smaller_calls = 0;
            return;
        }
        self.smaller_calls += 1;
        if self.smaller_calls >= Self::SMALLER_CALLS {
            self.smaller_calls = 0;
            self.returned.clear();
            self.returned_valid.clear();
            self.no_errors = None;
        }
    }

    /// Column `slot`, `rows` long, in the buffer the caller handed back
    /// (dropped) if it did, else in a new one. Its values are whatever the
    /// buffer held: every row is written before the column is handed out,
    /// so a buffer at least `rows` long is not filled first (new rows of a
    /// new buffer are zero pages from the system, not a pass).
    pub(crate) fn start<T: ArrowNativeType + Default>(
        &mut self,
        slot: usize,
        rows: usize,
    ) -> Filling<T> {
        let back = self
            .returned
            .get_mut(slot)
            .and_then(Option::take)
            .and_then(|b| b.into_vec::<T>().ok());
        let data = match back {
            Some(v) if v.len() >= rows => v,
            Some(mut v) if v.capacity() >= rows => {
                v.resize(rows, T::default());
                v
            }
            _ => vec![T::default(); rows],
        };
        // The validity words too: a stream of small calls otherwise asks
        // the allocator for one vector per column per call.
        let words = rows.div_ceil(64);
        let valid = match self
            .returned_valid
            .get_mut(slot)
            .and_then(Option::take)
            .and_then(|b| b.into_vec::<u64>().ok())
        {
            Some(mut v) if v.capacity() >= words => {
                v.clear();
                v.resize(words, 0);
                v
            }
            _ => vec![0; words],
        };
        Filling::new(slot, rows, data, valid)
    }

    /// A text column of `rows` nulls (zero-copy after the first call; the
    /// same array again for a stream of batches of one length, without
    /// slicing, which counts the nulls again).
    pub(crate) fn no_errors(&mut self, rows: usize) -> StringArray {
        match &self.no_errors {
            Some(nulls) if nulls.len() == rows => nulls.clone(),
            Some(nulls) if nulls.len() > rows => nulls.slice(0, rows),
            _ => {
                let nulls = StringArray::new_null(rows);
                self.no_errors = Some(nulls.clone());
                nulls
            }
        }
    }

    /// Where `model`'s columns are in record batches of `schema`: the
    /// last call's layout when it fits, else found anew.
    pub(crate) fn layout(&mut self, model: &Model, schema: &SchemaRef) -> Arc<Layout> {
        match &self.layout {
            Some(layout) if layout.fits(model, schema) => layout.clone(),
            _ => {
                let layout = Arc::new(Layout::find(model, schema));
                self.layout = Some(layout.clone());
                layout
            }
        }
    }

    /// The dictionaries' names for `model`: those of the last call when
    /// it scored the same model (the same fingerprint: name, version and
    /// compiled content), else built anew.
    pub(crate) fn names(&mut self, model: &Model) -> Arc<Names> {
        match &self.names {
            Some(names) if names.model == *model.fingerprint() => names.clone(),
            _ => {
                let names = Arc::new(Names::of(model));
                self.names = Some(names.clone());
                names
            }
        }
    }

    /// The results' schema: `id` as read (when the input has one), then
    /// [`result_fields`](crate::result_fields), with
    /// [`results_metadata`](crate::results_metadata); the last call's when
    /// it was built from the same.
    pub(crate) fn schema(
        &mut self,
        model: &Model,
        id: Option<&FieldRef>,
        mrr: Option<DataType>,
        options: &Options,
    ) -> SchemaRef {
        let drivers = options.drivers;
        let rules = options.rules.as_ref().map(|r| r.content_hash());
        let print = model.fingerprint().hash;
        if let Some(((i, h, d, r, m), schema)) = &self.schema {
            if i.as_ref() == id && *h == mrr && (*d, *r, *m) == (drivers, rules, print) {
                return schema.clone();
            }
        }
        let mut fields: Vec<FieldRef> = Vec::with_capacity(15);
        fields.extend(id.cloned());
        if let Some(mrr) = &mrr {
            fields.extend(crate::history::fields(mrr.clone()).map(Arc::new));
        }
        let history = Options {
            history: false,
            ..options.clone()
        };
        fields.extend(crate::result_fields(&history).iter().cloned());
        let schema =
            Arc::new(Schema::new(fields).with_metadata(crate::results_metadata(model, options)));
        let key = (id.cloned(), mrr, drivers, rules, print);
        self.schema = Some((key, schema.clone()));
        schema
    }

    /// The first `rows` of `values` as column `slot`'s buffer; the whole
    /// of it remembered for the next call.
    ///
    /// Each reference count taken or given back here is an atomic
    /// instruction, which waits for the results' stores still in flight
    /// (in a small call, most of the cost of building its arrays): a
    /// buffer of exactly `rows` values is handed out whole, without a
    /// slice's count and its drop.
    fn keep<T: ArrowNativeType>(
        &mut self,
        slot: usize,
        values: Vec<T>,
        rows: usize,
    ) -> ScalarBuffer<T> {
        let exact = values.len() == rows;
        let whole = Buffer::from_vec(values);
        remember(&mut self.returned, slot, whole.clone());
        if exact {
            ScalarBuffer::from(whole)
        } else {
            // In bounds: `rows` is at most the length of `values`.
            ScalarBuffer::new(whole, 0, rows)
        }
    }

    /// Column `slot`'s validity for its first `rows` rows: `None` when
    /// none is missing. The words are remembered for the next call either
    /// way (without a reference count taken when none is missing).
    fn nulls(
        &mut self,
        slot: usize,
        valid: Vec<u64>,
        rows: usize,
        missing: usize,
    ) -> Option<NullBuffer> {
        let words = Buffer::from_vec(valid);
        if missing == 0 {
            remember(&mut self.returned_valid, slot, words);
            return None;
        }
        remember(&mut self.returned_valid, slot, words.clone());
        Some(NullBuffer::new(BooleanBuffer::new(words, 0, rows)))
    }

    /// Exact millionths as `Decimal128(9, 6)`.
    pub(crate) fn micros(&mut self, column: Filling<i128>) -> Result<ArrayRef, Error> {
        let (slot, data, rows, valid, missing) = column.split();
        let nulls = self.nulls(slot, valid, rows, missing);
        let data = self.keep(slot, data, rows);
        let array = Decimal128Array::try_new(data, nulls)?;
        Ok(Arc::new(array.with_precision_and_scale(9, 6)?))
    }

    /// A dictionary-encoded string column: per row an index into `names`.
    pub(crate) fn dictionary(
        &mut self,
        column: Filling<u32>,
        names: &ArrayRef,
    ) -> Result<ArrayRef, Error> {
        // Every key, null or not, indexes a name: the largest was kept as
        // the blocks were pushed, while they were in cache
        // (`DictionaryArray::try_new` checks key by key, about as long as
        // the rest of the column's work; a second pass over the column
        // was 1.8% of the Arrow path's profile).
        let top = column.top();
        if top as usize >= names.len().max(1) {
            return Err(Error::column(
                "dictionary",
                format!("key {top} past the {} names", names.len()),
            ));
        }
        let (slot, data, rows, valid, missing) = column.split();
        let nulls = self.nulls(slot, valid, rows, missing);
        let data = self.keep(slot, data, rows);
        let keys = UInt32Array::try_new(data, nulls)?;
        let values = names.clone();
        // SAFETY: `try_new` would not fail: the key type is an integer,
        // the values an array, and every key is below `values.len()`
        // (checked above).
        #[allow(unsafe_code)]
        let array = unsafe { DictionaryArray::<UInt32Type>::new_unchecked(keys, values) };
        Ok(Arc::new(array))
    }
}

/// Remembers `buffer` as slot `slot`'s.
fn remember(slots: &mut Vec<Option<Buffer>>, slot: usize, buffer: Buffer) {
    if slots.len() <= slot {
        slots.resize(slot + 1, None);
    }
    if let Some(s) = slots.get_mut(slot) {
        *s = Some(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthscore::batch::NONE;

    fn names(n: usize) -> ArrayRef {
        Arc::new(StringArray::from(
            (0..n).map(|i| format!("name {i}")).collect::<Vec<_>>(),
        ))
    }

    /// A dictionary column's keys are checked against its names: every
    /// block's, null rows included, not only the last block's.
    #[test]
    fn a_key_past_the_names_is_an_error() {
        let mut buffers = ScoreBuffers::new();
        let fill = |buffers: &mut ScoreBuffers| {
            let mut column = buffers.start::<u32>(0, 66);
            // Blocks but the last are multiples of 64 rows.
            let mut first = vec![1; 64];
            first[..3].copy_from_slice(&[0, 5, NONE]);
            let mut parts = column.parts(&[66]);
            parts[0].push_keys(&first);
            parts[0].push_keys(&[2, NONE]);
            let tally = parts.pop().unwrap().finish();
            drop(parts);
            column.absorb(tally);
            column
        };
        let column = fill(&mut buffers);
        let err = buffers.dictionary(column, &names(5)).unwrap_err();
        assert!(err.to_string().contains("key 5 past the 5 names"), "{err}");
        let column = fill(&mut buffers);
        let array = buffers.dictionary(column, &names(6)).unwrap();
        assert_eq!(array.len(), 66);
        assert_eq!(array.null_count(), 2);
        let mut empty = buffers.start::<u32>(1, 0);
        let mut parts = empty.parts(&[0]);
        parts[0].push_keys(&[]);
        drop(parts);
        assert_eq!(buffers.dictionary(empty, &names(0)).unwrap().len(), 0);
    }
}
