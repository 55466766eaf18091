//! Calibration aids: how scores spread over bands, and thresholds that
//! would give a target spread. Proposals only: nothing is applied.

use crate::band::Band;
use crate::points::{div_round, Points, Share, MICRO};
use crate::scorecard::BandsConfig;

/// How many scores fall in each band.
///
/// # Examples
///
/// ```
/// use healthscore::{Band, Share};
/// use healthscore::backtest::Distribution;
///
/// let d = Distribution::of([Band::Green, Band::Green, Band::Lime]);
/// assert_eq!(d.share(Band::Green).to_string(), "0.666667");
/// let limit = Share::from_micros(600_000).unwrap();
/// assert_eq!(d.dominant(limit), Some(Band::Green)); // "everyone is green"
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Distribution {
    /// Scores per band, healthiest first.
    pub counts: [u64; 4],
}

impl Distribution {
    /// Counts bands.
    pub fn of(bands: impl IntoIterator<Item = Band>) -> Self {
        let mut counts = [0u64; 4];
        for b in bands {
            counts[b.index()] += 1;
        }
        Distribution { counts }
    }

    /// All scores counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// A band's share (rounded to 10⁻⁶, ties up; 0 when empty).
    pub fn share(&self, band: Band) -> Share {
        let total = u128::from(self.total().max(1));
        let s = div_round(u128::from(self.counts[band.index()]) * MICRO as u128, total);
        Share::from_micros(s as u32).unwrap_or(Share::ONE)
    }

    /// The band holding more than `limit` of the scores, if any (the same
    /// rule as [`PortfolioSummary::concentration`](crate::PortfolioSummary::concentration)).
    pub fn dominant(&self, limit: Share) -> Option<Band> {
        let total = u128::from(self.total());
        Band::ALL.into_iter().find(|b| {
            u128::from(self.counts[b.index()]) * MICRO as u128 > u128::from(limit.micros()) * total
                && total > 0
        })
    }
}

/// Thresholds proposed from score quantiles, with the spread they give.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    /// The proposed thresholds, ready to paste into a scorecard.
    pub bands: BandsConfig,
    /// The spread those thresholds give on the scores (ties can move it off
    /// the target), healthiest first.
    pub achieved: Distribution,
}

/// Why no thresholds can be proposed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProposalError {
    /// The target shares do not add up to 1.
    #[error("target shares add up to {0}, expected 1")]
    TargetsNotWhole(rust_decimal::Decimal),
    /// The scores are too few or too tied to separate the bands.
    #[error("scores cannot be split into four bands with strictly descending thresholds above 0")]
    NotSeparable,
    /// A rounding step of zero.
    #[error("the rounding step must be above 0")]
    ZeroStep,
    /// Rounding to the step merges two thresholds (or takes one to 0).
    #[error("rounded to steps of {0} points, two thresholds meet: use a finer step")]
    StepTooCoarse(Points),
}

impl Proposal {
    /// The proposal with each threshold rounded to the nearest multiple of
    /// `step` points (ties up), as a person would set them (whole points:
    /// `step` 1), with the spread those rounded thresholds give on `scores`
    /// (pass the scores the proposal was made from).
    ///
    /// # Errors
    ///
    /// [`ProposalError::ZeroStep`], or [`ProposalError::StepTooCoarse`]
    /// when two rounded thresholds meet or one rounds to 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use healthscore::backtest::propose_thresholds;
    /// use healthscore::{Band, Points, Share};
    ///
    /// // 1,000 scores 0.0, 0.1, …, 99.9.
    /// let scores: Vec<Points> = (0..1000).map(|i| Points::from_micros(i * 100_000).unwrap()).collect();
    /// let s = |x| Share::from_micros(x).unwrap();
    /// let exact = propose_thresholds(&scores, [s(123_000), s(300_000), s(400_000), s(177_000)])?;
    /// assert_eq!(exact.bands.yellow.to_string(), "12.3");
    /// let whole = exact.rounded(Points::from_micros(1_000_000).unwrap(), &scores)?;
    /// assert_eq!((whole.bands.yellow.to_string(), whole.bands.lime.to_string(), whole.bands.green.to_string()),
    ///            ("12".into(), "42".into(), "82".into()));
    /// assert_eq!(whole.achieved.share(Band::Red).to_string(), "0.12"); // 120 of 1,000 below 12
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rounded(&self, step: Points, scores: &[Points]) -> Result<Proposal, ProposalError> {
        let step_micros = u64::from(step.micros());
        if step_micros == 0 {
            return Err(ProposalError::ZeroStep);
        }
        let round = |d: rust_decimal::Decimal| {
            let micros = Points::from_decimal(d).map_or(0, |p| u64::from(p.micros()));
            let n = (micros + step_micros / 2) / step_micros;
            u32::try_from(n * step_micros)
                .ok()
                .and_then(Points::from_micros)
                .unwrap_or(Points::MAX)
        };
        let (g, l, y) = (
            round(self.bands.green),
            round(self.bands.lime),
            round(self.bands.yellow),
        );
        let thresholds = crate::band::BandThresholds::new(g, l, y)
            .map_err(|_| ProposalError::StepTooCoarse(step))?;
        Ok(Proposal {
            bands: BandsConfig::new(g.to_decimal(), l.to_decimal(), y.to_decimal()),
            achieved: Distribution::of(scores.iter().map(|p| thresholds.band(*p))),
        })
    }
}

/// Proposes band thresholds so that about `targets` (red, yellow, lime,
/// green shares, summing to 1) of the scores fall in each band.
///
/// Each threshold is an observed score (nearest rank): the yellow threshold
/// is the score at rank ⌈red·n⌉ in ascending order (0-based), so that share
/// of scores lies below it, and likewise for lime and green. The result is a
/// proposal: apply it by editing the model.
///
/// # Errors
///
/// [`ProposalError::TargetsNotWhole`], or [`ProposalError::NotSeparable`]
/// when ties or too few scores collapse two thresholds.
///
/// # Examples
///
/// ```
/// use healthscore::{Points, Share};
/// use healthscore::backtest::propose_thresholds;
///
/// let scores: Vec<Points> = (0..100).map(|i| Points::from_micros(i * 1_000_000).unwrap()).collect();
/// let s = |x| Share::from_micros(x).unwrap();
/// let p = propose_thresholds(&scores, [s(100_000), s(300_000), s(400_000), s(200_000)])?;
/// assert_eq!((p.bands.yellow.to_string(), p.bands.lime.to_string(), p.bands.green.to_string()),
///            ("10".into(), "40".into(), "80".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn propose_thresholds(
    scores: &[Points],
    targets: [Share; 4],
) -> Result<Proposal, ProposalError> {
    let sum: u32 = targets.iter().map(|s| s.micros()).sum();
    if sum != Share::ONE.micros() {
        return Err(ProposalError::TargetsNotWhole(
            rust_decimal::Decimal::new(i64::from(sum), 6).normalize(),
        ));
    }
    let mut sorted: Vec<Points> = scores.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as u128;
    let [red, yellow, lime, _] = targets.map(|t| u128::from(t.micros()));
    // The score at rank ⌈share·n⌉ (0-based) of the ascending scores.
    let at = |cumulative: u128| {
        let rank = (cumulative * n).div_ceil(MICRO as u128) as usize;
        sorted.get(rank).copied()
    };
    let (y, l, g) = match (at(red), at(red + yellow), at(red + yellow + lime)) {
        (Some(y), Some(l), Some(g)) if Points::ZERO < y && y < l && l < g => (y, l, g),
        _ => return Err(ProposalError::NotSeparable),
    };
    let thresholds =
        crate::band::BandThresholds::new(g, l, y).map_err(|_| ProposalError::NotSeparable)?;
    Ok(Proposal {
        bands: BandsConfig::new(g.to_decimal(), l.to_decimal(), y.to_decimal()),
        achieved: Distribution::of(sorted.iter().map(|p| thresholds.band(*p))),
    })
}
