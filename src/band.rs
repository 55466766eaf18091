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
        if score >= self.green {
            Band::Green
        } else if score >= self.lime {
            Band::Lime
        } else if score >= self.yellow {
            Band::Yellow
        } else {
            Band::Red
        }
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
        let Some(previous) = previous.filter(|_| margin > Points::ZERO) else {
            return self.band(score);
        };
        // Healthiest band reachable going up, least healthy going down.
        let up = self.band(Points(score.micros().saturating_sub(margin.micros())));
        let down = self.band(Points(
            (score.micros() + margin.micros()).min(Points::MAX.micros()),
        ));
        previous.max(up).min(down)
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

    #[test]
    fn bands_order_by_health() {
        assert!(Band::Green > Band::Lime && Band::Yellow > Band::Red);
        assert_eq!(Band::ALL.iter().max(), Some(&Band::Green));
    }
}
