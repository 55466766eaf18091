//! Whether the bands order churn risk: the back-test's verdict, with why
//! when it cannot tell.

use super::{Backtest, BandOutcomes};
use crate::band::Band;
use crate::points::Share;
use std::fmt;

/// Whether churn falls as health rises (red ≥ yellow ≥ lime ≥ green), as
/// [`Backtest::churn_order`] finds it: yes, no (which two bands are out of
/// order), or cannot tell and why. A back-test with no scores, or no
/// churn, orders nothing; it is not a model that passed.
///
/// # Examples
///
/// ```
/// use healthscore::backtest::{Backtest, ChurnOrder};
/// let empty = Backtest::run(&[], &[], 90);
/// assert_eq!(empty.churn_order(), ChurnOrder::TooFewBands);
/// assert_eq!(
///     empty.churn_order().to_string(),
///     "cannot tell: fewer than two bands have scores"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChurnOrder {
    /// Over the bands with scores (two or more), no healthier band churns
    /// more than a less healthy one, and some scores were followed by
    /// churn and some not.
    Ordered,
    /// A healthier band churns more than a less healthy one: the first
    /// such pair from red to green, with their churn rates.
    Disordered {
        /// The healthier band.
        healthier: Band,
        /// Its churn rate.
        healthier_rate: Share,
        /// The less healthy band, which churns less.
        riskier: Band,
        /// Its churn rate.
        riskier_rate: Share,
    },
    /// Cannot tell: fewer than two bands have scores.
    TooFewBands,
    /// Cannot tell: no score was followed by churn within the horizon.
    NoChurn,
    /// Cannot tell: every score was followed by churn within the horizon.
    AllChurn,
}

impl ChurnOrder {
    /// Whether the bands order churn risk (`false` for the cases that
    /// cannot tell).
    pub fn is_ordered(&self) -> bool {
        *self == ChurnOrder::Ordered
    }
}

/// `yes`, `NO: lime churns more than yellow (5.5% against 3.1%)` (the
/// rates to one decimal, or to as many as tell them apart: `2.22%
/// against 2.21%`), or `cannot tell: …` with why.
impl fmt::Display for ChurnOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChurnOrder::Ordered => f.write_str("yes"),
            ChurnOrder::Disordered {
                healthier,
                healthier_rate,
                riskier,
                riskier_rate,
            } => {
                // To one decimal, or as many more as tell the two apart
                // (`2.22% against 2.21%`, not `2.2% against 2.2%`).
                let (h, r) = (healthier_rate.percent(), riskier_rate.percent());
                let places = (1..=4)
                    .find(|p| h.round_dp(*p) != r.round_dp(*p))
                    .unwrap_or(4);
                write!(
                    f,
                    "NO: {healthier} churns more than {riskier} ({}% against {}%{})",
                    h.round_dp(places),
                    r.round_dp(places),
                    if h == r {
                        ", apart only past the millionth"
                    } else {
                        ""
                    }
                )
            }
            ChurnOrder::TooFewBands => f.write_str("cannot tell: fewer than two bands have scores"),
            ChurnOrder::NoChurn => {
                f.write_str("cannot tell: no score was followed by churn within the horizon")
            }
            ChurnOrder::AllChurn => {
                f.write_str("cannot tell: every score was followed by churn within the horizon")
            }
        }
    }
}

impl Backtest {
    /// Whether churn falls as health rises (red ≥ yellow ≥ lime ≥ green),
    /// comparing exact fractions over the bands with scores; where that
    /// cannot be told (fewer than two bands with scores, no churn, nothing
    /// but churn), which. See [`ChurnOrder`].
    pub fn churn_order(&self) -> ChurnOrder {
        let scored: Vec<(Band, &BandOutcomes)> = [Band::Red, Band::Yellow, Band::Lime, Band::Green]
            .into_iter()
            .map(|b| (b, &self.bands[b.index()]))
            .filter(|(_, o)| o.scores > 0)
            .collect();
        if scored.len() < 2 {
            return ChurnOrder::TooFewBands;
        }
        let (churned, scores) = scored.iter().fold((0u128, 0u128), |(c, s), (_, o)| {
            (c + u128::from(o.churned), s + u128::from(o.scores))
        });
        if churned == 0 {
            return ChurnOrder::NoChurn;
        }
        if churned == scores {
            return ChurnOrder::AllChurn;
        }
        for pair in scored.windows(2) {
            let [(riskier, r), (healthier, h)] = pair else {
                continue;
            };
            // h.churned / h.scores > r.churned / r.scores, cross-multiplied.
            if u128::from(h.churned) * u128::from(r.scores)
                > u128::from(r.churned) * u128::from(h.scores)
            {
                return ChurnOrder::Disordered {
                    healthier: *healthier,
                    healthier_rate: h.churn_rate().unwrap_or(Share::ZERO),
                    riskier: *riskier,
                    riskier_rate: r.churn_rate().unwrap_or(Share::ZERO),
                };
            }
        }
        ChurnOrder::Ordered
    }
}
