//! Colour bands and their exact thresholds.

use crate::points::Points;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A colour band, from healthiest to least healthy.
///
/// Four levels on purpose: with five, nobody knows whether the middle one is
/// good or bad. Bands order by health: `Green > Lime > Yellow > Red`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// Healthy.
    Green,
    /// Fine; where most accounts of a working model sit.
    Lime,
    /// Drifting: watch it.
    Yellow,
    /// At risk.
    Red,
}

impl Band {
    /// All bands, healthiest first.
    pub const ALL: [Band; 4] = [Band::Green, Band::Lime, Band::Yellow, Band::Red];

    /// Position healthiest first (green 0 … red 3).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The band at position `index` (green 0 … red 3; red past 3): a
    /// lookup, without a branch.
    #[inline]
    pub(crate) const fn from_index(index: usize) -> Band {
        match index {
            0 => Band::Green,
            1 => Band::Lime,
            2 => Band::Yellow,
            _ => Band::Red,
        }
    }

    /// The lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            Band::Green => "green",
            Band::Lime => "lime",
            Band::Yellow => "yellow",
            Band::Red => "red",
        }
    }
}

impl PartialOrd for Band {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Band {
    /// Healthier is greater.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.index().cmp(&self.index())
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A band by its name, in any case and with spaces around it (`"Green "`,
/// as a spreadsheet cell or a warehouse column may hold it). JSON reads
/// only the lowercase name (`"green"`).
///
/// # Errors
///
/// [`UnknownBand`] for any other text.
///
/// # Examples
///
/// ```
/// use healthscore::Band;
/// assert_eq!(" Lime".parse::<Band>(), Ok(Band::Lime));
/// let e = "blue".parse::<Band>().unwrap_err();
/// assert_eq!(e.to_string(), r#""blue" is not a band (green, lime, yellow or red)"#);
/// ```
impl std::str::FromStr for Band {
    type Err = UnknownBand;

    fn from_str(s: &str) -> Result<Band, UnknownBand> {
        let name = s.trim();
        Band::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownBand(s.to_string()))
    }
}

/// A text that names no band: the text as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a band (green, lime, yellow or red)", crate::Quoted(.0))]
pub struct UnknownBand(pub String);

/// Lower bounds of the green, lime and yellow bands; red is everything below.
///
/// A score **equal to a threshold belongs to the higher band**: with
/// thresholds 80 / 60 / 40, exactly 60 is lime and 59.999999 is yellow.
/// Thresholds are strictly descending: `100 ≥ green > lime > yellow > 0`.
///
/// # Examples
///
/// ```
/// use healthscore::{Band, BandThresholds, Points};
///
/// let t = BandThresholds::new(
///     Points::from_micros(80_000_000).unwrap(),
///     Points::from_micros(60_000_000).unwrap(),
///     Points::from_micros(40_000_000).unwrap(),
/// )?;
/// assert_eq!(t.band(Points::from_micros(60_000_000).unwrap()), Band::Lime);
/// assert_eq!(t.band(Points::from_micros(59_999_999).unwrap()), Band::Yellow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct BandThresholds {
    green: Points,
    lime: Points,
    yellow: Points,
}

/// Thresholds that are not strictly descending above zero.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BandError {
    /// A threshold is not below the one of the healthier band.
    #[error("{band} threshold {value} is not below {higher} threshold {higher_value}")]
    NotDescending {
        /// The band whose threshold is too high.
        band: Band,
        /// Its threshold.
        value: Points,
        /// The next healthier band.
        higher: Band,
        /// That band's threshold.
        higher_value: Points,
    },
    /// The yellow threshold is zero, so no score could be red.
    #[error("yellow threshold must be above 0, or no score could be red")]
    YellowAtZero,
}

impl BandThresholds {
    /// Thresholds, checked to be strictly descending above zero.
    ///
    /// # Errors
    ///
    /// [`BandError::NotDescending`] naming the first pair out of order;
    /// [`BandError::YellowAtZero`] when yellow is 0.
    pub fn new(green: Points, lime: Points, yellow: Points) -> Result<Self, BandError> {
        if lime >= green {
            return Err(BandError::NotDescending {
                band: Band::Lime,
                value: lime,
                higher: Band::Green,
                higher_value: green,
            });
        }
        if yellow >= lime {
            return Err(BandError::NotDescending {
                band: Band::Yellow,
                value: yellow,
                higher: Band::Lime,
                higher_value: lime,
            });
        }
        if yellow == Points::ZERO {
            return Err(BandError::YellowAtZero);
        }
        Ok(BandThresholds {
            green,
            lime,
            yellow,
        })
    }

    /// The band of a score: the highest band whose threshold it reaches.
    #[inline]
    pub fn band(&self, score: Points) -> Band {
        // Counted, not branched on: scores of a portfolio land in every
        // band, and a mispredicted branch per account cost more than the
        // rest of the finishing step.
        let below = usize::from(score < self.green)
            + usize::from(score < self.lime)
            + usize::from(score < self.yellow);
        Band::from_index(below)
    }

    /// The band of a score given the account's previous band and a
    /// hysteresis margin: the account leaves its previous band only when the
    /// score passes a threshold by at least the margin. It moves up when
    /// `score ≥ threshold + margin` and down when `score < threshold − margin`;
    /// in between it keeps its previous band. With a zero margin, or no
    /// previous band, this is [`band`](Self::band).
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::{Band, BandThresholds, Points};
    ///
    /// let p = |x: u32| Points::from_micros(x * 1_000_000).unwrap();
    /// let t = BandThresholds::new(p(80), p(60), p(40))?;
    /// let margin = p(2);
    /// assert_eq!(t.band_with_hysteresis(p(59), Some(Band::Lime), margin), Band::Lime); // 59 ≥ 60 − 2
    /// assert_eq!(t.band_with_hysteresis(p(57), Some(Band::Lime), margin), Band::Yellow);
    /// assert_eq!(t.band_with_hysteresis(p(61), Some(Band::Yellow), margin), Band::Yellow); // 61 < 60 + 2
    /// assert_eq!(t.band_with_hysteresis(p(62), Some(Band::Yellow), margin), Band::Lime);
    /// assert_eq!(t.band_with_hysteresis(p(59), None, margin), Band::Yellow);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn band_with_hysteresis(
        &self,
        score: Points,
        previous: Option<Band>,
        margin: Points,
    ) -> Band {
        // Without a branch (whether an account has a previous band varies
        // across a portfolio): without one, the margin is 0 and both
        // bands below are the score's own.
        let margin = if previous.is_some() {
            margin.micros()
        } else {
            0
        };
        // Healthiest band reachable going up, least healthy going down.
        let up = self.band(Points(score.micros().saturating_sub(margin)));
        let down = self.band(Points(
            score
                .micros()
                .saturating_add(margin)
                .min(Points::MAX.micros()),
        ));
        previous.map_or(up, |p| p.max(up).min(down))
    }

    /// The lower bound of a band (`Points::ZERO` for red).
    pub fn lower_bound(&self, band: Band) -> Points {
        match band {
            Band::Green => self.green,
            Band::Lime => self.lime,
            Band::Yellow => self.yellow,
            Band::Red => Points::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: u32) -> Points {
        Points::from_micros(x * 1_000_000).unwrap()
    }

    #[test]
    fn threshold_belongs_to_higher_band() {
        let t = BandThresholds::new(p(80), p(60), p(40)).unwrap();
        assert_eq!(t.band(p(80)), Band::Green);
        assert_eq!(t.band(p(100)), Band::Green);
        assert_eq!(t.band(p(40)), Band::Yellow);
        assert_eq!(t.band(Points::from_micros(39_999_999).unwrap()), Band::Red);
        assert_eq!(t.band(Points::ZERO), Band::Red);
        assert_eq!(t.lower_bound(Band::Lime), p(60));
        assert_eq!(t.lower_bound(Band::Red), Points::ZERO);
    }

    #[test]
    fn rejects_bad_order() {
        assert_eq!(
            BandThresholds::new(p(65), p(70), p(40))
                .unwrap_err()
                .to_string(),
            "lime threshold 70 is not below green threshold 65"
        );
        assert!(matches!(
            BandThresholds::new(p(80), p(60), p(60)),
            Err(BandError::NotDescending {
                band: Band::Yellow,
                ..
            })
        ));
        assert_eq!(
            BandThresholds::new(p(80), p(60), p(0)),
            Err(BandError::YellowAtZero)
        );
    }

    #[test]
    fn hysteresis_edges_are_inclusive_as_documented() {
        let t = BandThresholds::new(p(80), p(60), p(40)).unwrap();
        let m = p(2);
        let below = |x: u32| Points::from_micros(x).unwrap();
        // Down only when score < threshold − margin.
        assert_eq!(
            t.band_with_hysteresis(p(58), Some(Band::Lime), m),
            Band::Lime
        );
        assert_eq!(
            t.band_with_hysteresis(below(57_999_999), Some(Band::Lime), m),
            Band::Yellow
        );
        // Up only when score ≥ threshold + margin.
        assert_eq!(
            t.band_with_hysteresis(p(62), Some(Band::Yellow), m),
            Band::Lime
        );
        assert_eq!(
            t.band_with_hysteresis(below(61_999_999), Some(Band::Yellow), m),
            Band::Yellow
        );
        // Several bands at once, and the ends of the scale.
        assert_eq!(
            t.band_with_hysteresis(p(100), Some(Band::Red), m),
            Band::Green
        );
        assert_eq!(
            t.band_with_hysteresis(p(0), Some(Band::Green), m),
            Band::Red
        );
        assert_eq!(
            t.band_with_hysteresis(p(81), Some(Band::Red), m),
            Band::Lime
        );
    }

    /// The counted band and the branch-free hysteresis, against the rules
    /// as the docs state them, written as plain comparisons.
    mod counted {
        use super::*;
        use proptest::prelude::*;

        fn stated(t: &BandThresholds, s: u32) -> Band {
            let s = Points(s);
            if s >= t.green {
                Band::Green
            } else if s >= t.lime {
                Band::Lime
            } else if s >= t.yellow {
                Band::Yellow
            } else {
                Band::Red
            }
        }

        proptest! {
            #[test]
            fn bands_and_hysteresis_follow_the_stated_rules(
                mut cuts in proptest::array::uniform3(1u32..=Points::MAX.micros()),
                score in prop_oneof![0u32..=Points::MAX.micros(), Just(0), Just(Points::MAX.micros())],
                near in 0usize..3,
                offset in -3i64..=3,
                margin in prop_oneof![Just(0u32), 0u32..=20_000_000, Just(Points::MAX.micros())],
                previous in proptest::option::of(0usize..4),
            ) {
                cuts.sort_unstable();
                prop_assume!(cuts[0] < cuts[1] && cuts[1] < cuts[2]);
                let t = BandThresholds::new(Points(cuts[2]), Points(cuts[1]), Points(cuts[0])).unwrap();
                // Half the cases on a threshold, or a millionth from one.
                let score = if offset == 0 { score } else {
                    (i64::from(cuts[near]) + offset).clamp(0, i64::from(Points::MAX.micros())) as u32
                };
                prop_assert_eq!(t.band(Points(score)), stated(&t, score));
                let previous = previous.map(Band::from_index);
                let want = match previous.filter(|_| margin > 0) {
                    None => stated(&t, score),
                    Some(p) => {
                        let up = stated(&t, score.saturating_sub(margin));
                        let down = stated(&t, score.saturating_add(margin).min(Points::MAX.micros()));
                        p.max(up).min(down)
                    }
                };
                prop_assert_eq!(t.band_with_hysteresis(Points(score), previous, Points(margin)), want);
            }
        }
    }

    #[test]
    fn bands_order_by_health() {
        assert!(Band::Green > Band::Lime && Band::Yellow > Band::Red);
        assert_eq!(Band::ALL.iter().max(), Some(&Band::Green));
    }
}
