//! The per-metric values of a bound account, laid out for scoring.

/// Marks a metric with no usable observation.
const NO_OBSERVATION: u32 = u32::MAX;

/// Set in a slot's tag when its observation is older than the metric's
/// maximum age.
pub(crate) const STALE: u32 = 1 << 31;

/// The most observations one account may carry: an index must leave the
/// [`STALE`] bit free.
pub(crate) const MAX_OBSERVATIONS: usize = (STALE - 1) as usize;

/// The value of one metric of a bound account, in 12 bytes (the stale flag
/// is a bit of the observation index): scoring a `Vec<Account>` reads
/// 4 bytes fewer per metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(crate) struct Slot {
    /// Value in millionths.
    pub(crate) value: i64,
    /// Index of the observation used, with [`STALE`] when it is stale; or
    /// `NO_OBSERVATION`.
    tag: u32,
}

impl Slot {
    pub(crate) const EMPTY: Slot = Slot {
        value: 0,
        tag: NO_OBSERVATION,
    };

    /// The slot of observation `index` (below [`MAX_OBSERVATIONS`]; a
    /// larger one gives a slot without observation).
    #[inline]
    pub(crate) fn new(value: i64, index: usize, stale: bool) -> Slot {
        let tag = match u32::try_from(index) {
            // Below `STALE − 1`: even with `STALE` set, never `NO_OBSERVATION`.
            Ok(i) if i < STALE - 1 => i | if stale { STALE } else { 0 },
            _ => NO_OBSERVATION,
        };
        Slot { value, tag }
    }

    /// Has a fresh value to score.
    #[inline]
    pub(crate) fn is_present(&self) -> bool {
        self.tag < STALE
    }

    /// Has a value, fresh or stale.
    #[inline]
    pub(crate) fn is_observed(&self) -> bool {
        self.tag != NO_OBSERVATION
    }

    /// Has a value older than the metric's maximum age.
    #[inline]
    pub(crate) fn is_stale(&self) -> bool {
        self.is_observed() && self.tag & STALE != 0
    }

    /// The index of the observation used, if any.
    #[inline]
    pub(crate) fn observation(&self) -> Option<usize> {
        self.is_observed().then_some((self.tag & !STALE) as usize)
    }
}

/// The slots of a bound account: inline for models of up to
/// `INLINE_SLOTS` metrics, so scoring a `Vec<Account>` streams through
/// memory instead of chasing a pointer per account.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // inline storage is the point
pub(crate) enum Slots {
    Inline {
        len: u8,
        items: [Slot; INLINE_SLOTS],
    },
    Heap(Box<[Slot]>),
}

/// Metrics held inline in a bound account.
const INLINE_SLOTS: usize = 16;

impl Slots {
    #[inline]
    pub(crate) fn new(len: usize) -> Slots {
        match u8::try_from(len) {
            Ok(n) if len <= INLINE_SLOTS => Slots::Inline {
                len: n,
                items: [Slot::EMPTY; INLINE_SLOTS],
            },
            _ => Slots::Heap(vec![Slot::EMPTY; len].into_boxed_slice()),
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[Slot] {
        match self {
            Slots::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or(&[]),
            Slots::Heap(b) => b,
        }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [Slot] {
        match self {
            Slots::Inline { len, items } => items.get_mut(..usize::from(*len)).unwrap_or(&mut []),
            Slots::Heap(b) => b,
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Slot> {
        self.as_slice().get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_keeps_its_index_and_staleness_in_one_tag() {
        assert_eq!(std::mem::size_of::<Slot>(), 12);
        let fresh = Slot::new(-5, 7, false);
        let stale = Slot::new(5, MAX_OBSERVATIONS - 1, true);
        assert_eq!(
            (
                fresh.value,
                fresh.observation(),
                fresh.is_present(),
                fresh.is_stale()
            ),
            (-5, Some(7), true, false)
        );
        assert_eq!(
            (
                stale.observation(),
                stale.is_observed(),
                stale.is_present(),
                stale.is_stale()
            ),
            (Some(MAX_OBSERVATIONS - 1), true, false, true)
        );
        let empty = Slot::EMPTY;
        assert_eq!(
            (
                empty.observation(),
                empty.is_observed(),
                empty.is_present(),
                empty.is_stale()
            ),
            (None, false, false, false)
        );
        // An index that would reach the stale bit is no observation, never another index.
        for i in [MAX_OBSERVATIONS, MAX_OBSERVATIONS + 1, usize::MAX] {
            assert_eq!(Slot::new(1, i, false).observation(), None, "{i}");
            assert!(!Slot::new(1, i, true).is_stale());
        }
    }
}
