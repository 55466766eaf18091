//! A result column filled block by block, each thread its own run of
//! rows ([`Part`]): values, validity bits and what was found on the way
//! (rows without a value, the largest dictionary key).

use crate::widen::{write_micros, Widen};
use healthscore::batch::{validity_bits, BatchScores};

/// A result column, `rows` long, filled block by block through its
/// [`Part`]s (one per thread): values, validity bits (64 rows a word) and
/// the number of rows without a value.
pub(crate) struct Filling<T> {
    slot: usize,
    /// Rows of this batch: the first `rows` of `data` (which may be
    /// longer: an earlier, larger batch's buffer, not shortened so that a
    /// larger batch again is not filled first).
    rows: usize,
    data: Vec<T>,
    valid: Vec<u64>,
    missing: usize,
    /// The largest value written (dictionary keys: checked against the
    /// names at the end, without reading the column again).
    top: u32,
}

/// A run of a [`Filling`]'s rows that one thread fills, block after block
/// from its first row (which is a multiple of 64, as is every block but
/// the column's last, so that the validity words line up).
pub(crate) struct Part<'a, T> {
    data: &'a mut [T],
    valid: &'a mut [u64],
    /// Rows written so far.
    at: usize,
    missing: usize,
    top: u32,
}

/// What a [`Part`] found: rows without a value, the largest value.
pub(crate) struct Tally {
    missing: usize,
    top: u32,
}

impl<T> Filling<T> {
    /// Column `slot`'s first `rows` rows in `data` (written before it is
    /// handed out), with validity words `valid` (all zero).
    pub(crate) fn new(slot: usize, rows: usize, data: Vec<T>, valid: Vec<u64>) -> Filling<T> {
        Filling {
            slot,
            rows,
            data,
            valid,
            missing: 0,
            top: 0,
        }
    }

    /// The largest value written (a dictionary column's largest key).
    pub(crate) fn top(&self) -> u32 {
        self.top
    }

    /// Its slot, values, rows, validity words and rows without a value.
    pub(crate) fn split(self) -> (usize, Vec<T>, usize, Vec<u64>, usize) {
        let rows = self.rows.min(self.data.len());
        (self.slot, self.data, rows, self.valid, self.missing)
    }
}

impl<T> Filling<T> {
    /// Makes row `row` null (a row rejected after its block was scored).
    pub(crate) fn clear(&mut self, row: usize) {
        let bit = 1u64 << (row % 64);
        if let Some(word) = self.valid.get_mut(row / 64) {
            if *word & bit != 0 {
                *word &= !bit;
                self.missing += 1;
            }
        }
    }

    /// The column as runs of rows of these lengths, in order, one per
    /// thread (each but the last a multiple of 64 rows).
    pub(crate) fn parts(&mut self, lengths: &[usize]) -> Vec<Part<'_, T>> {
        let rows = self.rows.min(self.data.len());
        let mut data: &mut [T] = self.data.split_at_mut(rows).0;
        let mut valid: &mut [u64] = &mut self.valid;
        lengths
            .iter()
            .map(|len| {
                let rows = (*len).min(data.len());
                let (d, rest) = std::mem::take(&mut data).split_at_mut(rows);
                data = rest;
                let words = len.div_ceil(64).min(valid.len());
                let (v, rest) = std::mem::take(&mut valid).split_at_mut(words);
                valid = rest;
                Part {
                    data: d,
                    valid: v,
                    at: 0,
                    missing: 0,
                    top: 0,
                }
            })
            .collect()
    }

    /// The whole column as one part (one thread's).
    pub(crate) fn whole(&mut self) -> Part<'_, T> {
        let rows = self.rows.min(self.data.len());
        Part {
            data: self.data.split_at_mut(rows).0,
            valid: &mut self.valid,
            at: 0,
            missing: 0,
            top: 0,
        }
    }

    /// Adds what a part found.
    pub(crate) fn absorb(&mut self, tally: Tally) {
        self.missing += tally.missing;
        self.top = self.top.max(tally.top);
    }
}

impl<T> Part<'_, T> {
    /// What this part found.
    pub(crate) fn finish(self) -> Tally {
        Tally {
            missing: self.missing,
            top: self.top,
        }
    }

    /// The validity bits of the next block's `values` ([`NONE`](healthscore::batch::NONE): null),
    /// through `words` (scratch).
    fn push_validity(&mut self, values: &[u32], words: &mut Vec<u64>) {
        words.clear();
        self.missing += validity_bits(values, words);
        let first = self.at / 64;
        if let Some(to) = self.valid.get_mut(first..first + words.len()) {
            to.copy_from_slice(words);
        }
    }
}

impl Part<'_, i128> {
    /// The next block's millionths ([`NONE`](healthscore::batch::NONE): null), written `how`.
    pub(crate) fn push_micros(&mut self, values: &[u32], how: Widen, words: &mut Vec<u64>) {
        let first = self.at / 64;
        if let (Some(to), Some(valid)) = (self.data.get_mut(self.at..), self.valid.get_mut(first..))
        {
            if let Some(missing) = crate::widen::write_micros_and_bits(to, values, valid, how) {
                self.missing += missing;
                self.at += values.len();
                return;
            }
        }
        self.push_validity(values, words);
        if let Some(to) = self.data.get_mut(self.at..) {
            write_micros(to, values, how);
        }
        self.at += values.len();
    }
}

impl Part<'_, u32> {
    /// The next block's keys ([`NONE`](healthscore::batch::NONE): null).
    pub(crate) fn push_keys(&mut self, keys: &[u32]) {
        self.push_with(keys.len(), |to, valid| {
            crate::keys::write_keys(to, keys, valid)
        });
    }

    /// The next block's bands as keys into [`Band::ALL`](healthscore::Band::ALL)'s names.
    pub(crate) fn push_bands(&mut self, scores: &BatchScores) {
        let bands = scores.bands();
        self.push_with(bands.len(), |to, valid| {
            crate::keys::write_bands(to, bands, valid)
        });
    }

    /// The next block's `rows` keys and validity bits, as `write` writes
    /// them from this part's next row and validity word on.
    fn push_with(
        &mut self,
        rows: usize,
        write: impl FnOnce(&mut [u32], &mut [u64]) -> crate::keys::Found,
    ) {
        let first = self.at / 64;
        if let (Some(to), Some(valid)) = (self.data.get_mut(self.at..), self.valid.get_mut(first..))
        {
            let found = write(to, valid);
            self.missing += found.missing;
            self.top = self.top.max(found.top);
        }
        self.at += rows;
    }
}
