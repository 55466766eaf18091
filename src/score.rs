//! Scoring a bound account: metric, dimension and overall scores, coverage
//! and band, in exact integer arithmetic.

use crate::account::{Account, Slot};
use crate::band::Band;
use crate::dimension::Dimension;
use crate::metric::Metric;
use crate::model::Model;
use crate::points::{div_round, Points, Share, MICRO};
use crate::scorecard::Scorecard;
use crate::segment::Segment;

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
///
/// All numbers are exact to 10⁻⁶, rounded ties-up at each level from the
/// rounded level below (see [`Points`]).
///
/// # Examples
///
/// ```
/// # let model = healthscore::doc_model();
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
    pub fn score(&self) -> Score<'_> {
        let model = self.model;
        let Some(card) = model.cards.get(self.card) else {
            return Score::empty(self);
        };
        let slots = self.slots.as_slice();
        let mut dims = [DimensionScore::default(); 4];
        let (mut num, mut den) = (0u128, 0u128);
        let (mut cov_num, mut cov_den) = (0u128, 0u128);
        for d in Dimension::ALL {
            let i = d.index();
            let w = u128::from(card.dim_weight[i]);
            if w == 0 {
                continue;
            }
            let (sum, wsum, worst, data_w) = dimension_sums(&model.metrics, slots, card, i);
            let coverage = div_round(
                u128::from(data_w) * MICRO as u128,
                u128::from(card.dim_total[i]).max(1),
            );
            let score = (wsum > 0).then(|| {
                if card.worst_wins[i] {
                    worst
                } else {
                    div_round(sum, u128::from(wsum)) as u32
                }
            });
            dims[i] = DimensionScore {
                score: score.and_then(Points::from_micros),
                coverage: Share::from_micros(coverage as u32).unwrap_or(Share::ONE),
            };
            cov_num += w * coverage;
            cov_den += w;
            if let Some(s) = score {
                num += w * u128::from(s);
                den += w;
            }
        }
        let overall = (den > 0)
            .then(|| div_round(num, den) as u32)
            .and_then(Points::from_micros);
        let coverage =
            Share::from_micros(div_round(cov_num, cov_den.max(1)) as u32).unwrap_or(Share::ONE);
        let band = overall
            .filter(|_| coverage >= card.min_coverage)
            .map(|p| card.bands.band(p));
        Score {
            account: self,
            overall,
            band,
            coverage,
            dims,
        }
    }
}

/// Σ wᵢsᵢ, Σ wᵢ and the worst score over scored metrics, and the weight
/// with data, of one dimension.
#[inline]
fn dimension_sums(
    metrics: &[Metric],
    slots: &[Slot],
    card: &Scorecard,
    dim: usize,
) -> (u128, u64, u32, u64) {
    let (mut sum, mut wsum, mut worst, mut data_w) = (0u128, 0u64, u32::MAX, 0u64);
    for cm in card.metrics[dim].iter() {
        let (Some(metric), Some(slot)) = (metrics.get(cm.metric), slots.get(cm.metric)) else {
            continue;
        };
        let outcome = metric_outcome(metric, *slot);
        if outcome.has_data {
            data_w += cm.weight;
        }
        if let Some(s) = outcome.score {
            sum += u128::from(cm.weight) * u128::from(s);
            wsum += cm.weight;
            worst = worst.min(s);
        }
    }
    (sum, wsum, worst, data_w)
}

impl<'a> Score<'a> {
    fn empty(account: &'a Account<'a>) -> Self {
        Score {
            account,
            overall: None,
            band: None,
            coverage: Share::ZERO,
            dims: [DimensionScore::default(); 4],
        }
    }

    /// The overall score; `None` when no metric of the scorecard could be
    /// scored. Present but not banded when coverage is insufficient.
    pub fn overall(&self) -> Option<Points> {
        self.overall
    }

    /// The band; `None` when data is insufficient (never "healthy").
    pub fn band(&self) -> Option<Band> {
        self.band
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
