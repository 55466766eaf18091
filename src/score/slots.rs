//! The per-metric values of a bound account, laid out for scoring.

/// Marks a metric with no usable observation.
pub(crate) const NO_OBSERVATION: u32 = u32::MAX;

/// The value of one metric of a bound account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Value in millionths.
    pub(crate) value: i64,
    /// Index of the observation used, or `NO_OBSERVATION`.
    pub(crate) observation: u32,
    /// Whether that observation is older than the metric's maximum age.
    pub(crate) stale: bool,
}

impl Slot {
    pub(crate) const EMPTY: Slot = Slot {
        value: 0,
        observation: NO_OBSERVATION,
        stale: false,
    };

    /// Has a fresh value to score.
    #[inline]
    pub(crate) fn is_present(&self) -> bool {
        self.observation != NO_OBSERVATION && !self.stale
    }

    /// Has a value, fresh or stale.
    #[inline]
    pub(crate) fn is_observed(&self) -> bool {
        self.observation != NO_OBSERVATION
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
