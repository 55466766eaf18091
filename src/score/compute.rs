//! Scoring a bound account: metric, dimension and overall scores, coverage
//! and band, in exact integer arithmetic.

use super::program::{Lean, Sums};
use crate::account::Account;
use crate::band::Band;
use crate::dimension::Dimension;
use crate::metric::Metric;
use crate::model::Model;
use crate::points::{div_round, Divisor, Points, Share, MICRO};
use crate::scorecard::{Divisors, Scorecard};
use crate::segment::Segment;
use crate::slots::Slot;

/// An account's health score under a model, with everything that explains it.
///
/// * `overall`: weighted mean of the dimensions that have a score, each
///   dimension's weight shared out proportionally among them (an absent
///   dimension's weight is redistributed).
/// * a dimension: weighted mean of its metrics that have a score (or their
///   minimum, where the scorecard says "worst wins").
/// * `coverage`: share of the scorecard's configured weight that had data,
///   weighted by dimension. Imputed values (missing policy `worst` or
///   `neutral`) are scored but do not count as data.
/// * `band`: from the scorecard's thresholds, only when coverage reaches the
///   scorecard's minimum; below it the account has *insufficient data*.
/// * **No data, no colour**: an account none of whose scorecard metrics has a
///   measured (observed, fresh, in-range) value has no score and no band,
///   whatever the missing policies and minimum coverage say: imputed values
///   shape a score that has some data, but alone they are not a measurement.
///
/// All numbers are exact to 10⁻⁶, rounded ties-up at each level from the
/// rounded level below (see [`Points`]).
///
/// # Examples
///
/// ```
/// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// use chrono::NaiveDate;
/// use healthscore::{AccountData, Band, Dimension, Observation};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let data = AccountData::new("acme", dec!(1200), 80, day)
///     .observe(Observation::new("weekly_active", 0.5, day))
///     .observe(Observation::new("nps", 20.0, day));
/// let account = model.bind(data)?;
/// let score = account.score();
/// assert_eq!(score.overall().map(|p| p.to_string()).as_deref(), Some("61.25"));
/// assert_eq!(score.band(), Some(Band::Lime));
/// assert_eq!(score.dimension(Dimension::Adoption).map(|p| p.to_string()).as_deref(), Some("62.5"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Score<'a> {
    pub(crate) account: &'a Account<'a>,
    pub(crate) overall: Option<Points>,
    pub(crate) band: Option<Band>,
    pub(crate) coverage: Share,
    pub(crate) dims: [DimensionScore; 4],
}

/// A dimension's part of a score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DimensionScore {
    pub(crate) score: Option<Points>,
    pub(crate) coverage: Share,
}

/// How one metric was scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MetricOutcome {
    /// The score used (observed or imputed); `None` when excluded.
    pub(crate) score: Option<u32>,
    /// Whether an observed, in-range value was used.
    pub(crate) has_data: bool,
}

/// Scores one metric from its slot: the single rule shared by scoring and
/// explanation.
#[inline]
pub(crate) fn metric_outcome(metric: &Metric, slot: Slot) -> MetricOutcome {
    let observed = if slot.is_present() {
        metric.curve.eval(slot.value)
    } else {
        None
    };
    match observed {
        Some(s) => MetricOutcome {
            score: Some(s),
            has_data: true,
        },
        None => MetricOutcome {
            score: metric.missing.map(Points::micros),
            has_data: false,
        },
    }
}

impl<'m> Account<'m> {
    /// Scores the account. Infallible and allocation-free: the account was
    /// validated when it was bound.
    ///
    /// It also asks the CPU to start loading the account a few places
    /// after this one in memory, the next a loop over a `Vec<Account>`
    /// scores (a hint, which never faults and changes no result): an
    /// account takes about four cache lines, which the CPU's own
    /// prefetcher brings in too late for a portfolio out of cache.
    pub fn score(&self) -> Score<'_> {
        super::prefetch::following(self);
        let parts = compute(self.model, self.card, self.slots.as_slice(), self.previous);
        Score {
            account: self,
            overall: parts.overall,
            band: parts.band,
            coverage: parts.coverage,
            dims: parts.dims,
        }
    }
}

/// What scoring computes, without the account: shared by
/// [`Account::score`] and the batch path's general kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts {
    pub(crate) overall: Option<Points>,
    pub(crate) band: Option<Band>,
    pub(crate) coverage: Share,
    pub(crate) dims: [DimensionScore; 4],
}

impl Parts {
    pub(crate) const EMPTY: Parts = Parts {
        overall: None,
        band: None,
        coverage: Share::ZERO,
        dims: [DimensionScore {
            score: None,
            coverage: Share::ZERO,
        }; 4],
    };
}

/// Scores the slots of an account that falls in scorecard `card`.
///
/// Inlined: the lanes' parts then go straight into the caller's
/// [`Score`] instead of through a returned `Parts` that the caller reads
/// back in wider loads than it was written with (a store the CPU cannot
/// forward; `perf annotate` put half of `Account::score`'s own time on
/// that copy). A throwaway probe, 2,000 accounts in cache: 50.2–50.9 →
/// 46.5–47.3 ns.
#[inline(always)]
pub(crate) fn compute(
    model: &Model,
    card_index: usize,
    slots: &[Slot],
    previous: Option<Band>,
) -> Parts {
    let Some(card) = model.cards.get(card_index) else {
        return Parts::EMPTY;
    };
    let program = &model.program;
    if let Some(parts) = program.lane_parts(card_index, card, slots, previous) {
        return parts;
    }
    let sums = program.sums(card_index, &model.metrics, slots);
    match program.lean(card_index) {
        Some(lean) => finish(card, &sums, previous, lean),
        None => finish(card, &sums, previous, &card.divisors),
    }
}

/// [`compute`] with no lane anywhere: the reference the lanes' tests
/// compare with.
#[cfg(test)]
pub(crate) fn scalar(
    model: &Model,
    card_index: usize,
    slots: &[Slot],
    previous: Option<Band>,
) -> Parts {
    let Some(card) = model.cards.get(card_index) else {
        return Parts::EMPTY;
    };
    let sums = model.program.scalar_sums(card_index, &model.metrics, slots);
    finish(card, &sums, previous, &card.divisors)
}

/// The divisions of [`finish`] by a scorecard's fixed divisors, each
/// `round(n / d)` ties up: `d` is a dimension's Σ weight (`coverage`,
/// `score`) or the Σ of dimension weights (`overall`, `overall_coverage`).
trait Fixed {
    fn coverage(&self, dim: usize, n: u128, d: u64) -> u128;
    fn score(&self, dim: usize, n: u128, d: u64) -> u128;
    fn overall(&self, n: u128, d: u64) -> u128;
    fn overall_coverage(&self, n: u128, d: u64) -> u128;
}

/// Any scorecard: the reciprocal where there is one and `n` is in its
/// range, else a division.
impl Fixed for Divisors {
    #[inline(always)]
    fn coverage(&self, dim: usize, n: u128, d: u64) -> u128 {
        round_div(n, d, self.coverage.get(dim).copied().flatten())
    }
    #[inline(always)]
    fn score(&self, dim: usize, n: u128, d: u64) -> u128 {
        round_div(n, d, self.score.get(dim).copied().flatten())
    }
    #[inline(always)]
    fn overall(&self, n: u128, d: u64) -> u128 {
        round_div(n, d, self.overall)
    }
    #[inline(always)]
    fn overall_coverage(&self, n: u128, d: u64) -> u128 {
        round_div(n, d, self.overall_coverage)
    }
}

/// A scorecard whose every reciprocal exists and whose sums are in their
/// ranges ([`Lean`]): no checks.
impl Fixed for Lean {
    #[inline(always)]
    fn coverage(&self, dim: usize, n: u128, _: u64) -> u128 {
        u128::from(self.coverage[dim & 3].round(n as u64))
    }
    #[inline(always)]
    fn score(&self, dim: usize, n: u128, _: u64) -> u128 {
        u128::from(self.score[dim & 3].round(n as u64))
    }
    #[inline(always)]
    fn overall(&self, n: u128, _: u64) -> u128 {
        u128::from(self.overall.round(n as u64))
    }
    #[inline(always)]
    fn overall_coverage(&self, n: u128, _: u64) -> u128 {
        u128::from(self.overall_coverage.round(n as u64))
    }
}

/// Dimension scores and coverage, the overall score, coverage and band
/// from the sums of a scorecard's metrics.
#[inline(always)]
fn finish(card: &Scorecard, sums: &Sums, previous: Option<Band>, fixed: &impl Fixed) -> Parts {
    let Sums {
        sum,
        wsum,
        worst,
        data,
    } = sums;
    let mut dims = [DimensionScore::default(); 4];
    let (mut num, mut den, mut cov_num) = (0u128, 0u64, 0u128);
    let mut measured = false;
    for i in 0..4 {
        let w = card.dim_weight[i];
        if w == 0 {
            continue;
        }
        let total = card.dim_total[i];
        let coverage = if data[i] == total {
            MICRO as u128
        } else {
            fixed.coverage(i, u128::from(data[i]) * MICRO as u128, total)
        };
        let score = if wsum[i] == 0 {
            None
        } else if card.worst_wins[i] {
            Some(worst[i])
        } else if wsum[i] == total {
            Some(fixed.score(i, sum[i], total) as u32)
        } else {
            Some(div_round(sum[i], u128::from(wsum[i])) as u32)
        };
        dims[i] = DimensionScore {
            score: score.and_then(Points::from_micros),
            coverage: Share::from_micros(coverage as u32).unwrap_or(Share::ONE),
        };
        measured |= data[i] > 0;
        cov_num += u128::from(w) * coverage;
        if let Some(s) = score {
            num += u128::from(w) * u128::from(s);
            den += w;
        }
    }
    // No data, no colour: imputed values may shape a score that has
    // some measured data, but alone they are not a measurement.
    if !measured {
        return Parts {
            dims: dims.map(|d| DimensionScore { score: None, ..d }),
            ..Parts::EMPTY
        };
    }
    let overall = if den == 0 {
        None
    } else if den == card.total_weight {
        Points::from_micros(fixed.overall(num, den) as u32)
    } else {
        Points::from_micros(div_round(num, u128::from(den)) as u32)
    };
    // Σ w·coverage / Σ w over the weighted dimensions.
    let coverage = fixed.overall_coverage(cov_num, card.total_weight);
    Parts::banded(card, overall, coverage as u32, dims, previous)
}

impl Parts {
    /// A measured score's parts: its coverage (millionths) and band, the
    /// band only when coverage reaches the scorecard's minimum, held by
    /// hysteresis against the previous band where the scorecard says so.
    #[inline(always)]
    pub(crate) fn banded(
        card: &Scorecard,
        overall: Option<Points>,
        coverage: u32,
        dims: [DimensionScore; 4],
        previous: Option<Band>,
    ) -> Parts {
        let coverage = Share::from_micros(coverage).unwrap_or(Share::ONE);
        // The band is worked out whether or not coverage reaches the
        // minimum, then kept or not: no branch on the account's data.
        let banded = coverage >= card.min_coverage;
        let band = overall.and_then(|p| {
            let band = card
                .bands
                .band_with_hysteresis(p, previous, card.hysteresis);
            banded.then_some(band)
        });
        Parts {
            overall,
            band,
            coverage,
            dims,
        }
    }
}

/// `round(n / d)`, ties up, through the precomputed reciprocal when it is
/// for this divisor and `n` is in its range, else by plain division.
#[inline]
fn round_div(n: u128, d: u64, fast: Option<Divisor>) -> u128 {
    match fast {
        Some(f) if f.value() == d && n < u128::from(Divisor::LIMIT / 2) => {
            u128::from(f.round(n as u64))
        }
        _ => div_round(n, u128::from(d)),
    }
}

impl<'a> Score<'a> {
    /// The overall score; `None` when no metric of the scorecard has a
    /// measured (observed, fresh, in-range) value, whatever the missing
    /// policies would impute. Present but not banded when coverage is
    /// below the scorecard's minimum.
    pub fn overall(&self) -> Option<Points> {
        self.overall
    }

    /// The band; `None` when data is insufficient: coverage below the
    /// scorecard's minimum, or no measured value at all (never "healthy",
    /// never a colour made of imputed values alone). With a
    /// hysteresis margin and a previous band, the band held by hysteresis.
    pub fn band(&self) -> Option<Band> {
        self.band
    }

    /// The band the score alone gives, ignoring hysteresis; differs from
    /// [`band`](Self::band) only while hysteresis holds the previous band.
    pub fn plain_band(&self) -> Option<Band> {
        let card = self.card()?;
        self.band.and(self.overall).map(|p| card.bands.band(p))
    }

    /// True when coverage is below the scorecard's minimum, or nothing could
    /// be scored.
    pub fn is_insufficient(&self) -> bool {
        self.band.is_none()
    }

    /// Share of the scorecard's weight that had data.
    pub fn coverage(&self) -> Share {
        self.coverage
    }

    /// A dimension's score; `None` when it has no weight in the scorecard or
    /// none of its metrics could be scored.
    pub fn dimension(&self, d: Dimension) -> Option<Points> {
        self.dims[d.index()].score
    }

    /// Share of a dimension's metric weight that had data.
    pub fn dimension_coverage(&self, d: Dimension) -> Share {
        self.dims[d.index()].coverage
    }

    /// The account scored.
    pub fn account(&self) -> &'a Account<'a> {
        self.account
    }

    /// The model that scored it.
    pub fn model(&self) -> &'a Model {
        self.account.model
    }

    /// The segment the account fell in.
    pub fn segment(&self) -> Segment<'a> {
        self.account.segment()
    }

    /// The id of the scorecard that produced the score.
    pub fn scorecard(&self) -> &'a str {
        self.account.scorecard()
    }

    /// The scorecard's minimum coverage.
    pub fn min_coverage(&self) -> Share {
        self.card().map_or(Share::ZERO, |c| c.min_coverage)
    }

    pub(crate) fn card(&self) -> Option<&'a Scorecard> {
        self.account.model.cards.get(self.account.card)
    }
}
