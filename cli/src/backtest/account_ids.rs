//! Accounts numbered in the order they are first read, each id kept once.
//!
//! A back-test reads every account's score night after night: a year of
//! a million accounts is hundreds of millions of ids to number. Looking
//! each up in a hash table of a million took a third of a back-test's
//! time (hashing the id, and a cache miss in a table far larger than the
//! cache). Nightly files list their accounts in one order, so the
//! account read after another is most often the one read after it the
//! last time: that guess is checked by comparing the ids (both read in
//! order, so from the cache) and the table is only asked when it is
//! wrong. The guess decides nothing: an id gets the same number whether
//! it was guessed or looked up.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An account's number and where its id is in [`AccountIds`]'s text.
#[derive(Clone, Copy)]
struct Entry {
    start: usize,
    len: u32,
    n: u32,
}

impl Entry {
    fn id<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start..self.start.checked_add(self.len as usize)?)
    }
}

/// No account (in [`AccountIds`]'s guesses).
const NONE: u32 = u32::MAX;

/// Each account's number, by its id; each id, by its number.
pub(super) struct AccountIds {
    /// Every id, one after another.
    text: String,
    /// Where each id ends in `text` (it starts where the one before ends).
    ends: Vec<usize>,
    /// The numbers, found by their ids' hashes, each with where its id
    /// is in `text` (compared there without reading `ends` first: a
    /// look-up's one cache miss, not two).
    table: HashTable<Entry>,
    hasher: std::collections::hash_map::RandomState,
    /// Per account, the account read right after it the last time
    /// ([`NONE`]: none yet).
    next: Vec<u32>,
    /// The account read last ([`NONE`]: none yet).
    last: u32,
    /// Whether the last guess was right (see [`AccountIds::number`]).
    guessing: bool,
}

impl Default for AccountIds {
    fn default() -> Self {
        AccountIds {
            text: String::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            hasher: Default::default(),
            next: Vec::new(),
            last: NONE,
            guessing: true,
        }
    }
}

impl AccountIds {
    /// How many accounts are numbered.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of account `n`.
    pub(super) fn id(&self, n: u32) -> Option<&str> {
        id_of(&self.text, &self.ends, n)
    }

    /// The number of account `id`, if it has one.
    pub(super) fn get(&self, id: &str) -> Option<u32> {
        self.find(id, self.hasher.hash_one(id))
    }

    /// The number of account `id`, whose hash is `hash`, if it has one.
    fn find(&self, id: &str, hash: u64) -> Option<u32> {
        let text = &self.text;
        self.table
            .find(hash, |e| e.id(text) == Some(id))
            .map(|e| e.n)
    }

    /// The number of account `id`, read next: the one it had, or the
    /// next one. `Err` when there are more accounts than a `u32` numbers
    /// (less one: [`NONE`]).
    pub(super) fn number(&mut self, id: &str) -> Result<u32, String> {
        let guess = self.next.get(self.last as usize).copied().unwrap_or(NONE);
        // Checking a guess reads its id, a cache miss where the guesses
        // are wrong (a night in another order than the one before: a
        // warehouse's export need not keep one); after a wrong guess the
        // next is only compared, by number, with the account found.
        let n = if self.guessing && self.id(guess) == Some(id) {
            guess
        } else {
            let hash = self.hasher.hash_one(id);
            let n = match self.find(id, hash) {
                Some(n) => n,
                None => self.add(id, hash)?,
            };
            self.guessing = n == guess;
            n
        };
        if let Some(next) = self.next.get_mut(self.last as usize) {
            *next = n;
        }
        self.last = n;
        Ok(n)
    }

    /// Numbers `id` (whose hash is `hash`), which has no number yet.
    fn add(&mut self, id: &str, hash: u64) -> Result<u32, String> {
        let n = u32::try_from(self.ends.len())
            .ok()
            .filter(|n| *n != NONE)
            .ok_or_else(|| "more than 4,294,967,294 accounts: not read".to_string())?;
        let len = u32::try_from(id.len())
            .map_err(|_| format!("an id of {} bytes: not read", id.len()))?;
        let start = self.text.len();
        self.text.push_str(id);
        self.ends.push(self.text.len());
        self.next.push(NONE);
        let (text, hasher) = (&self.text, &self.hasher);
        let entry = Entry { start, len, n };
        self.table.insert_unique(hash, entry, |e| {
            hasher.hash_one(e.id(text).unwrap_or_default())
        });
        Ok(n)
    }
}

/// Id `n` of `text`, whose ids end at `ends`.
fn id_of<'a>(text: &'a str, ends: &[usize], n: u32) -> Option<&'a str> {
    let n = n as usize;
    let end = *ends.get(n)?;
    let start = match n.checked_sub(1) {
        Some(before) => *ends.get(before)?,
        None => 0,
    };
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers in the order first read, whatever order the ids come in
    /// later: the same order (each guessed), another (each looked up),
    /// new ids among them, and ids that are prefixes of one another or
    /// empty.
    #[test]
    fn numbers_do_not_depend_on_the_order_read() {
        let mut ids = AccountIds::default();
        let first = ["a", "ab", "", "abc", "b"];
        for (i, id) in first.iter().enumerate() {
            assert_eq!(ids.number(id), Ok(i as u32));
        }
        for id in first {
            assert_eq!(ids.number(id).map(|n| first[n as usize]), Ok(id));
        }
        let later = ["b", "abc", "new", "a", "", "ab", "new"];
        let expected = [4, 3, 5, 0, 2, 1, 5];
        for (id, n) in later.iter().zip(expected) {
            assert_eq!(ids.number(id), Ok(n), "{id:?}");
            assert_eq!(ids.id(n), Some(*id));
            assert_eq!(ids.get(id), Some(n));
        }
        assert_eq!(ids.len(), 6);
        assert_eq!(ids.get("abcd"), None);
        assert_eq!(ids.id(6), None);
        assert_eq!(ids.id(NONE), None);
    }

    /// A night read in the order of the night before is numbered as it
    /// was, a guess that turns out wrong (an account dropped, another
    /// added) costs a look-up and nothing else.
    #[test]
    fn nights_in_one_order_keep_their_numbers() {
        let mut ids = AccountIds::default();
        let night: Vec<String> = (0..1_000).map(|i| format!("acct-{i}")).collect();
        for id in &night {
            ids.number(id).unwrap();
        }
        let mut next = night.clone();
        next.remove(500);
        next.insert(700, "acct-new".into());
        for _ in 0..3 {
            for id in &next {
                let n = ids.number(id).unwrap();
                assert_eq!(ids.id(n), Some(id.as_str()));
            }
        }
        assert_eq!(ids.len(), 1_001);
        assert_eq!(ids.get("acct-new"), Some(1_000));
        assert_eq!(ids.get("acct-999"), Some(999));
    }
}
