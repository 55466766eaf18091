//! The ids a file has shown so far, to reject a row whose id an earlier
//! row had (as the JSON path does): a sorted file is checked by order
//! alone, any other through tables of every id seen.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// The ids of a file seen so far, each with the row (counted from 1) it
/// was first seen in. An integer id is its own key; a text id is kept as
/// a 128-bit keyed hash of it (16 bytes and no allocation an id, whatever
/// its length): two different texts pass for one with a chance below
/// 10⁻²⁰ even in a file of 10⁹ accounts. Both tables hash with random
/// keys, so ids crafted to collide cannot slow the run down.
#[derive(Default)]
pub(crate) struct Ids {
    ints: HashMap<u64, u64>,
    texts: HashMap<u128, u64, BuildHasherDefault<Spread>>,
    keys: (RandomState, RandomState),
    /// Rows the file says it has: room made for them at the first id
    /// (growing a table of a million ids step by step costs about as
    /// much again as filling it).
    expected: usize,
    /// Broken: some id was not greater than the one before. Until then
    /// (a file sorted by id, as exports often are) no id can repeat an
    /// earlier one, and the ids are only appended to a run, in order,
    /// not looked up at random in a table (a cache miss an id on a large
    /// file).
    unsorted: bool,
    /// The ids so far while sorted, with their rows, integers and texts
    /// apart (16 and 32 bytes an id): put in the tables when the order
    /// breaks.
    run_ints: Vec<(u64, u64)>,
    run_texts: Vec<(u128, u64)>,
    /// The last id seen, while sorted.
    last: Last,
}

/// The last id seen, for the order check.
#[derive(Default)]
enum Last {
    #[default]
    None,
    Int(i128),
    Text(Vec<u8>),
}

impl Last {
    /// True when `v` is greater than the last id; `v` is the last now.
    fn rises_to_int(&mut self, v: i128) -> bool {
        let up = match self {
            Last::None => true,
            Last::Int(l) => v > *l,
            Last::Text(_) => false,
        };
        *self = Last::Int(v);
        up
    }

    /// As [`rises_to_int`](Self::rises_to_int), for a text id (by its bytes).
    fn rises_to_text(&mut self, v: &[u8]) -> bool {
        match self {
            Last::Text(l) => {
                let up = v > l.as_slice();
                l.clear();
                l.extend_from_slice(v);
                up
            }
            _ => {
                let up = matches!(self, Last::None);
                *self = Last::Text(v.to_vec());
                up
            }
        }
    }
}

/// The hasher of the already uniform 128-bit fingerprints: their low
/// 64 bits.
#[derive(Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

impl Ids {
    /// The file says it has `rows` rows (trusted only up to 2²² rows'
    /// worth of room, as a footer may say anything).
    pub(crate) fn expect(&mut self, rows: i64) {
        self.expected = usize::try_from(rows).unwrap_or(0).min(1 << 22);
    }

    /// The first row `key`'s id was seen in, else none, remembering
    /// `row` for it.
    fn first(&mut self, key: Key, row: u64) -> Option<u64> {
        match key {
            Key::Int(k) => first_in(&mut self.ints, self.expected, k, row),
            Key::Text(k) => first_in(&mut self.texts, self.expected, k, row),
        }
    }

    /// Text ids as keys, with the order check.
    fn texts<'a>(
        &self,
        ids: impl Iterator<Item = Option<&'a str>>,
        check: bool,
        last: &mut Last,
    ) -> Vec<Option<(Key, bool)>> {
        // A blank id is a missing one (`crate::blank`): rejected as such,
        // not as a repeat of the blank before it.
        ids.map(|v| {
            v.filter(|s| !crate::blank::is_blank(s)).map(|s| {
                let key = Key::Text(self.fingerprint(s.as_bytes()));
                (key, check && last.rises_to_text(s.as_bytes()))
            })
        })
        .collect()
    }

    /// A text id's fingerprint: its bytes hashed under two random keys.
    fn fingerprint(&self, bytes: &[u8]) -> u128 {
        let hash = |key: &RandomState| {
            let mut h = key.build_hasher();
            h.write(bytes);
            h.finish()
        };
        (u128::from(hash(&self.keys.0)) << 64) | u128::from(hash(&self.keys.1))
    }

    /// The rows of `batch` (whose row 0 is row `before` of the file,
    /// counted from 0) whose id came before, with why; the others' ids are
    /// remembered. A null or blank id is not an id (its row is rejected
    /// as missing one); an `id` column of a type that is not an id's is
    /// left to the scorer to refuse.
    pub(crate) fn repeated(&mut self, batch: &RecordBatch, before: u64) -> Vec<(usize, String)> {
        let Some(column) = batch.column_by_name("id") else {
            return Vec::new();
        };
        // Narrower integers and decimals compared as the scorer reads them
        // (as Int64, as text); a column that cannot be cast is left to the
        // scorer to refuse.
        let text = matches!(
            column.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        let cast = crate::cast::cast_to("id", column.data_type())
            .filter(|_| !text)
            .and_then(|t| arrow_cast::cast(column, &t).ok());
        let column = cast.as_ref().unwrap_or(column);
        // Each row's id as the key of its kind (an integer as itself, a
        // text by its fingerprint), and whether it is greater than the id
        // before it (checked only while every one has been).
        let mut last = std::mem::take(&mut self.last);
        let check = !self.unsorted;
        let mut int = |v: i128, key: u64| (Key::Int(key), check && last.rises_to_int(v));
        let keys: Vec<Option<(Key, bool)>> = match column.data_type() {
            DataType::Int64 => column
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(|v| int(i128::from(v), v as u64)))
                .collect(),
            DataType::UInt64 => column
                .as_primitive::<UInt64Type>()
                .iter()
                .map(|v| v.map(|v| int(i128::from(v), v)))
                .collect(),
            DataType::Utf8 => self.texts(column.as_string::<i32>().iter(), check, &mut last),
            DataType::LargeUtf8 => self.texts(column.as_string::<i64>().iter(), check, &mut last),
            DataType::Utf8View => self.texts(column.as_string_view().iter(), check, &mut last),
            _ => Vec::new(),
        };
        self.last = last;
        let mut repeated = Vec::new();
        for (row, key) in keys.into_iter().enumerate() {
            let Some((key, rises)) = key else { continue };
            let at = before + row as u64 + 1;
            if !self.unsorted {
                if rises {
                    match key {
                        Key::Int(k) => self.run_ints.push((k, at)),
                        Key::Text(k) => self.run_texts.push((k, at)),
                    }
                    continue;
                }
                // The order breaks: the ids so far (all different, being
                // in order) go into the tables, and every id from here is
                // looked up.
                self.unsorted = true;
                for (k, at) in std::mem::take(&mut self.run_ints) {
                    self.first(Key::Int(k), at);
                }
                for (k, at) in std::mem::take(&mut self.run_texts) {
                    self.first(Key::Text(k), at);
                }
            }
            if let Some(first) = self.first(key, at) {
                repeated.push((
                    row,
                    format!("duplicate id, first seen at row {first} (the first is kept)"),
                ));
            }
        }
        repeated
    }
}

/// The first row `id` was seen in, per `table`, else none, remembering
/// `row` for it.
fn first_in<K: std::hash::Hash + Eq, S: BuildHasher>(
    table: &mut HashMap<K, u64, S>,
    expected: usize,
    id: K,
    row: u64,
) -> Option<u64> {
    if table.capacity() == 0 {
        // Room is an optimisation: without it the table grows.
        let _ = table.try_reserve(expected);
    }
    match table.entry(id) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(v) => {
            v.insert(row);
            None
        }
    }
}

/// An id as a table key.
enum Key {
    Int(u64),
    Text(u128),
}
