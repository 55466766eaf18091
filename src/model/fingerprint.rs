//! A model's identity: name, version and a hash of its compiled content.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};

/// What identifies a compiled model: its name, its version, and a 64-bit
/// hash of everything it compiled to (metrics and their curves, segments,
/// scorecards, weights, thresholds, in order).
///
/// Two models with the same name and version but different content (a
/// metric added, metrics reordered, a threshold moved) have different
/// fingerprints, and equal models ([`Model`](crate::Model)'s `==`) have
/// equal ones. The hash is FNV-1a over a fixed encoding, so it is the same
/// on every machine and across runs: store it with results and compare it
/// later. It hashes the *compiled* form, so a release of this crate that
/// changes how models compile changes fingerprints too (a test pins one,
/// and such a release says so in its notes). Things compiled against one model ([`cta::RuleSet`](crate::cta::RuleSet),
/// [`PortfolioSummary`](crate::PortfolioSummary)) refuse scores whose model
/// has another fingerprint.
///
/// `Display`: `name version (hash in hex)`, e.g. `example 1 (5f0c…)`.
///
/// # Examples
///
/// ```
/// use healthscore::Model;
///
/// let a = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// let b = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// assert_eq!(a.fingerprint(), b.fingerprint()); // same content, separate allocations
///
/// let mut changed = a.config().clone();
/// changed.scorecards[0].bands.green = 85.into();
/// let c = Model::new(changed)?; // same name and version, other thresholds
/// assert_ne!(a.fingerprint(), c.fingerprint());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The model's name.
    pub name: String,
    /// The model's version.
    pub version: String,
    /// FNV-1a hash of the compiled content (name and version included).
    pub hash: u64,
}

impl PartialEq for Fingerprint {
    /// The hash first: it settles almost every comparison in one step.
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.name == other.name && self.version == other.version
    }
}

impl Hash for Fingerprint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
        self.name.hash(state);
        self.version.hash(state);
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({:016x})", self.name, self.version, self.hash)
    }
}

/// A score given to something compiled against another model: a
/// [`cta::RuleSet`](crate::cta::RuleSet) evaluating, or a
/// [`PortfolioSummary`](crate::PortfolioSummary) adding, a score whose
/// model's [`Fingerprint`] differs from its own (another version, or the
/// same metrics reordered).
///
/// `Display`: `compiled for model default 2026.11 (…), given a score of model default 2026.12 (…)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("compiled for model {expected}, given a score of model {found}")]
pub struct ModelMismatch {
    /// The model it was compiled against.
    pub expected: Fingerprint,
    /// The model of the score given.
    pub found: Fingerprint,
}

impl ModelMismatch {
    /// `Ok` when `found` is `expected` (compared by hash, then name and
    /// version), else the mismatch.
    pub(crate) fn check(expected: &Fingerprint, found: &Fingerprint) -> Result<(), ModelMismatch> {
        if expected == found {
            Ok(())
        } else {
            Err(ModelMismatch {
                expected: expected.clone(),
                found: found.clone(),
            })
        }
    }
}

/// FNV-1a, 64-bit. `usize` is written as `u64` so the hash does not depend
/// on the platform's pointer width.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// The hash of one value.
    pub(crate) fn of(value: &impl Hash) -> u64 {
        let mut h = Fnv::new();
        value.hash(&mut h);
        h.finish()
    }
}

/// Integer writers in little-endian byte order (the defaults use the
/// platform's), so the hash is the same on every machine.
macro_rules! fnv_write_le {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(&mut self, i: $t) {
            self.write(&i.to_le_bytes());
        }
    )*};
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fnv_write_le!(write_u16: u16, write_u32: u32, write_u64: u64, write_u128: u128, write_i32: i32, write_i64: i64);

    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }

    fn write_isize(&mut self, i: isize) {
        self.write(&(i as i64).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv;
    use std::hash::Hasher;

    #[test]
    fn fnv1a_reference_values() {
        // Published FNV-1a 64 test vectors.
        let of = |s: &str| {
            let mut h = Fnv::new();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(of(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(of("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(of("foobar"), 0x8594_4171_f739_67e8);
    }
}
