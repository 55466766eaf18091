//! A set of account numbers (those with a score on one date): a hash set
//! while it holds few of the accounts known, a bit per account once it
//! holds many.

use std::collections::HashSet;

/// A set of account numbers: a hash set while it is small against the
/// accounts known, a bit per account once it is not.
pub(super) enum Accounts {
    Few(HashSet<u32>),
    /// The bits, and how many are set.
    Bits(Vec<u64>, usize),
}

/// A hash set holds 6 to 11 bytes an account: past one account in
/// `DENSE` of those known, a bit per account takes less.
const DENSE: usize = 48;

impl Accounts {
    /// Adds `account`: whether it was not there. `known`: how many
    /// accounts there are (a bit set's size; account numbers are below
    /// it).
    ///
    /// A set turns into bits when it holds one account in [`DENSE`] of
    /// those known, and back when bits would have to grow for a set
    /// that holds fewer than half that share (a date seen early, when
    /// few accounts were known, whose later accounts are few and far
    /// apart): its memory stays within a few bytes an account either way,
    /// and a set changes form only after its size or the accounts known
    /// have doubled.
    pub(super) fn insert(&mut self, account: u32, known: usize) -> bool {
        match self {
            Accounts::Few(set) => {
                let new = set.insert(account);
                if new && set.len().saturating_mul(DENSE) >= known {
                    let mut words = vec![0u64; known.div_ceil(64)];
                    for &a in set.iter() {
                        if let Some(word) = words.get_mut((a / 64) as usize) {
                            *word |= 1 << (a % 64);
                        }
                    }
                    *self = Accounts::Bits(words, set.len());
                }
                new
            }
            Accounts::Bits(words, len) => {
                let (at, bit) = ((account / 64) as usize, 1u64 << (account % 64));
                if at >= words.len() {
                    if len.saturating_add(1).saturating_mul(2 * DENSE) < known {
                        let mut set = HashSet::with_capacity(*len + 1);
                        for (w, word) in words.iter().enumerate() {
                            let mut rest = *word;
                            while rest != 0 {
                                set.insert((w * 64) as u32 + rest.trailing_zeros());
                                rest &= rest - 1;
                            }
                        }
                        set.insert(account);
                        *self = Accounts::Few(set);
                        return true;
                    }
                    words.resize(known.div_ceil(64).max(at + 1), 0);
                }
                match words.get_mut(at) {
                    Some(word) if *word & bit == 0 => {
                        *word |= bit;
                        *len += 1;
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// Bytes it holds (about).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        match self {
            Accounts::Few(set) => set.capacity() * 5,
            Accounts::Bits(words, _) => words.capacity() * 8,
        }
    }
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts::Few(HashSet::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_accounts_turned_into_bits_keeps_every_member() {
        let mut set = Accounts::Few(HashSet::new());
        let mut reference = HashSet::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = (x % 5_000) as u32;
            assert_eq!(set.insert(a, 5_000), reference.insert(a), "account {a}");
        }
        assert!(
            matches!(set, Accounts::Bits(..)),
            "5,000 accounts, most seen"
        );
        // Numbers past those known when it turned into bits.
        assert!(set.insert(70_000, 70_001));
        assert!(!set.insert(70_000, 70_001));
        // A date with few of many accounts stays a hash set.
        let mut few = Accounts::Few(HashSet::new());
        for a in 0..100 {
            assert!(few.insert(a * 1_000, 1_000_000));
        }
        assert!(matches!(few, Accounts::Few(_)));
    }

    /// A date seen when few accounts were known (so in bits at once),
    /// whose later accounts are few and far apart, goes back to a hash
    /// set rather than a bit for every account: an account-major history
    /// (each account's dates, then the next account's) of 100,000
    /// accounts with a score on one date in 3,650 each.
    #[test]
    fn a_sparse_date_does_not_keep_a_bit_per_account() {
        let mut dates: Vec<Accounts> = (0..3_650).map(|_| Accounts::Few(HashSet::new())).collect();
        let mut reference: Vec<HashSet<u32>> = vec![HashSet::new(); 3_650];
        for account in 0..100_000u32 {
            // The first account is on every date; each later one on one.
            let on: Vec<usize> = if account == 0 {
                (0..3_650).collect()
            } else {
                vec![(account as usize * 7_919) % 3_650]
            };
            for d in on {
                let known = account as usize + 1;
                assert_eq!(
                    dates[d].insert(account, known),
                    reference[d].insert(account),
                    "account {account}, date {d}"
                );
                assert!(!dates[d].insert(account, known));
            }
        }
        let bytes: usize = dates.iter().map(Accounts::bytes).sum();
        let scores: usize = reference.iter().map(HashSet::len).sum();
        // A bit per account on every date would be 45,625,000 bytes.
        assert!(bytes < scores * 16, "{bytes} bytes for {scores} scores");
        assert!(dates.iter().all(|d| matches!(d, Accounts::Few(_))));
    }
}
