//! Back-testing and calibration: did low scores precede churn, and high
//! ones expansion? How are accounts spread over the bands, and which
//! thresholds would give a target spread?
//!
//! [`Backtest::run`] matches dated scores ([`DatedScore`]) with the outcomes
//! that followed them ([`DatedOutcome`]) and reports churn and expansion per
//! band, the AUC of the score as a churn predictor and whether churn falls
//! as health rises. [`Distribution`] shows the share per band;
//! [`propose_thresholds`] proposes band thresholds for a target spread, as
//! a proposal only.

mod calibration;
mod order;

pub use calibration::{propose_thresholds, Distribution, Proposal, ProposalError};
pub use order::ChurnOrder;

use crate::band::Band;
use crate::points::{Points, Share, MICRO};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One account's score on one date, with its MRR then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedScore {
    /// The account's id.
    pub account: String,
    /// The score's as-of date.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub date: NaiveDate,
    /// The overall score.
    pub score: Points,
    /// The band.
    pub band: Band,
    /// MRR on that date (what a churn would lose). Deserialising refuses
    /// a negative one; [`Backtest::run`] takes one given in code as it is.
    #[serde(deserialize_with = "non_negative")]
    pub mrr: Decimal,
}

impl DatedScore {
    /// A stored [`ScoreRecord`](crate::ScoreRecord) (a `healthscore score`
    /// output line, a service's stored result) as a dated score: its
    /// account id, as-of date, score, band and MRR. `None` for a record
    /// without a band (insufficient data), which a back-test cannot place
    /// in a band.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::backtest::DatedScore;
    /// use healthscore::{AccountData, Band, Model, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let scored = |data: AccountData| model.bind(data).map(|a| a.score().record());
    /// let record = scored(AccountData::new("acme", dec!(1200.50), 80, day)
    ///     .observe(Observation::new("weekly_active", 0.5, day))
    ///     .observe(Observation::new("nps", 20.0, day)))?;
    /// let dated = DatedScore::from_record(&record).unwrap();
    /// assert_eq!((dated.account.as_str(), dated.date, dated.band), ("acme", day, Band::Lime));
    /// assert_eq!((dated.score.to_string(), dated.mrr), ("61.25".to_string(), dec!(1200.50)));
    /// // No data, no band: nothing to back-test.
    /// let empty = scored(AccountData::new("beta", dec!(99), 5, day))?;
    /// assert_eq!(DatedScore::from_record(&empty), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_record(record: &crate::ScoreRecord) -> Option<DatedScore> {
        Some(DatedScore {
            account: record.id.clone(),
            date: record.as_of,
            score: record.score?,
            band: record.band?,
            mrr: record.mrr,
        })
    }
}

/// A decimal MRR that is not negative (`-5 is negative: …`).
fn non_negative<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = <Decimal as Deserialize>::deserialize(d)?;
    if v.is_sign_negative() && !v.is_zero() {
        return Err(serde::de::Error::custom(format!(
            "{v} is negative: MRR is never below zero"
        )));
    }
    Ok(v)
}

/// What happened to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum Outcome {
    /// The account left.
    Churned,
    /// The account renewed without change.
    Renewed,
    /// The account bought more.
    Expanded {
        /// The added MRR (deserialising refuses a negative one).
        #[serde(deserialize_with = "non_negative")]
        mrr: Decimal,
    },
}

/// An outcome on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedOutcome {
    /// The account's id.
    pub account: String,
    /// When it happened.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub date: NaiveDate,
    /// What happened.
    pub outcome: Outcome,
}

/// Outcomes that followed the scores of one band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandOutcomes {
    /// Scores in the band.
    pub scores: u64,
    /// Of those, followed by churn within the horizon.
    pub churned: u64,
    /// Of those, followed by an expansion within the horizon.
    pub expanded: u64,
    /// Distinct accounts with at least one score in the band followed by
    /// churn.
    pub churned_accounts: u64,
    /// MRR lost by those accounts: each counted **once**, at its MRR on the
    /// latest of its scores in this band that churn followed (an account
    /// scored monthly is not counted once per month). An account scored in
    /// two bands before churning counts in both bands; the back-test's own
    /// [`churned_mrr`](Backtest::churned_mrr) counts it once in all.
    pub churned_mrr: Decimal,
    /// Expansion MRR that followed the band's scores: each expansion counted
    /// once per band that had a score of the account within the horizon
    /// before it.
    pub expansion_mrr: Decimal,
}

impl BandOutcomes {
    /// Share of the band's scores followed by churn (`None`: no scores).
    pub fn churn_rate(&self) -> Option<Share> {
        rate(self.churned, self.scores)
    }

    /// Share of the band's scores followed by expansion (`None`: no scores).
    pub fn expansion_rate(&self) -> Option<Share> {
        rate(self.expanded, self.scores)
    }
}

fn rate(part: u64, whole: u64) -> Option<Share> {
    let r = crate::points::div_round(u128::from(part) * MICRO as u128, u128::from(whole));
    (whole > 0).then(|| Share::from_micros(r as u32).unwrap_or(Share::ONE))
}

/// ROC AUC of the score as a churn predictor, held exactly as a fraction:
/// the probability that a churned score is lower than a retained one, ties
/// counting half.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auc {
    /// Twice the number of (churned, retained) pairs ranked right, plus ties.
    pub numerator: u128,
    /// Twice the number of (churned, retained) pairs.
    pub denominator: u128,
}

impl Auc {
    /// The AUC as a float, 0 to 1.
    pub fn value(&self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// The result of a back-test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backtest {
    /// Days after a score in which an outcome counts.
    pub horizon_days: u32,
    /// Per band, healthiest first (index with [`Band::index`]).
    pub bands: [BandOutcomes; 4],
    /// `None` when every score or none was followed by churn.
    pub auc: Option<Auc>,
    /// Distinct accounts with a score followed by churn.
    pub churned_accounts: u64,
    /// MRR lost to churn: each churned account once, at its MRR on the
    /// latest score that churn followed. The revenue a CS lead reads as lost.
    pub churned_mrr: Decimal,
    /// MRR added by expansions that followed a score, each expansion once.
    pub expansion_mrr: Decimal,
    /// The ROC curve at whole-point thresholds, for charts: empty when the
    /// AUC is undefined. (The AUC above is the exact rank statistic, not
    /// the area under these 102 points.)
    #[serde(default)]
    pub roc: Vec<RocPoint>,
}

/// One point of a ROC curve: flagging every score below `below` as a
/// churn risk catches `true_positive` of the churned scores and wrongly
/// flags `false_positive` of the retained ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The threshold in whole points, 0 to 101 (101 flags every score).
    pub below: u32,
    /// Share of retained scores below the threshold.
    pub false_positive: Share,
    /// Share of churned scores below the threshold.
    pub true_positive: Share,
}

/// The ROC curve at thresholds 0, 1, …, 101 whole points (exact shares,
/// rounded half up to the millionth).
fn roc(ranked: &[(u32, bool)]) -> Vec<RocPoint> {
    let (mut churned, mut retained) = ([0u64; 102], [0u64; 102]);
    for (score, c) in ranked {
        let bucket = (*score / MICRO as u32).min(100) as usize + 1;
        if let Some(n) = if *c {
            churned.get_mut(bucket)
        } else {
            retained.get_mut(bucket)
        } {
            *n += 1;
        }
    }
    let (total_c, total_r): (u64, u64) = (churned.iter().sum(), retained.iter().sum());
    if total_c == 0 || total_r == 0 {
        return Vec::new();
    }
    let (mut below_c, mut below_r) = (0u64, 0u64);
    (0..102u32)
        .map(|t| {
            below_c += churned.get(t as usize).copied().unwrap_or(0);
            below_r += retained.get(t as usize).copied().unwrap_or(0);
            RocPoint {
                below: t,
                false_positive: rate(below_r, total_r).unwrap_or(Share::ZERO),
                true_positive: rate(below_c, total_c).unwrap_or(Share::ZERO),
            }
        })
        .collect()
}

impl Backtest {
    /// Matches scores with the outcomes that followed them.
    ///
    /// An outcome counts for a score when it falls within
    /// `(date, date + horizon]`: strictly after the score (the score must
    /// precede it), up to and including the horizon's last day. Each score
    /// is one observation for the rates and the AUC: an account scored
    /// monthly contributes each month. Money is counted per account and per
    /// outcome instead: churned MRR counts each churned account once (per
    /// band, and once in [`churned_mrr`](Backtest::churned_mrr)), expansion
    /// MRR each expansion once.
    /// Input order does not matter; memory grows with the input. A score
    /// given twice (the same account and date) counts twice, as an
    /// expansion given twice does: `healthscore backtest` rejects the
    /// second of each when it reads its files.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::{Band, Points};
    /// use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Outcome};
    /// use rust_decimal_macros::dec;
    ///
    /// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    /// let s = |id: &str, score: u32, band| DatedScore {
    ///     account: id.into(), date: d(1, 1), score: Points::from_micros(score * 1_000_000).unwrap(),
    ///     band, mrr: dec!(100),
    /// };
    /// let scores = [s("a", 20, Band::Red), s("b", 90, Band::Green), s("c", 85, Band::Green)];
    /// let outcomes = [DatedOutcome { account: "a".into(), date: d(2, 1), outcome: Outcome::Churned }];
    /// let bt = Backtest::run(&scores, &outcomes, 90);
    /// assert_eq!(bt.bands[Band::Red.index()].churned, 1);
    /// assert_eq!(bt.auc.map(|a| a.value()), Some(1.0));
    /// assert!(bt.churn_is_monotonic());
    /// assert!(bt.churn_order().is_ordered());
    /// ```
    pub fn run(scores: &[DatedScore], outcomes: &[DatedOutcome], horizon_days: u32) -> Backtest {
        // Per account: (date, outcome, its index in `outcomes`).
        let mut by_account: HashMap<&str, Vec<(NaiveDate, &Outcome, usize)>> = HashMap::new();
        for (at, o) in outcomes.iter().enumerate() {
            by_account
                .entry(o.account.as_str())
                .or_default()
                .push((o.date, &o.outcome, at));
        }
        for list in by_account.values_mut() {
            list.sort_by_key(|(d, _, _)| *d);
        }
        let mut bands = [BandOutcomes::default(); 4];
        let mut ranked: Vec<(u32, bool)> = Vec::with_capacity(scores.len());
        // Each churned account's latest churn-followed score (date, MRR),
        // per band and overall; each expansion counted once per band and
        // once overall.
        let mut churn_by_band: HashMap<(usize, &str), (NaiveDate, Decimal)> = HashMap::new();
        let mut churn_total: HashMap<&str, (NaiveDate, Decimal)> = HashMap::new();
        let mut expansions_by_band: HashSet<(usize, usize)> = HashSet::new();
        let mut expansions: HashMap<usize, Decimal> = HashMap::new();
        // The latest score; on one date, the larger MRR (so input order
        // never matters).
        let keep_latest = |slot: &mut (NaiveDate, Decimal), date: NaiveDate, mrr: Decimal| {
            if (date, mrr) > *slot {
                *slot = (date, mrr);
            }
        };
        for s in scores {
            let band = s.band.index();
            let (mut churned, mut expanded) = (false, false);
            if let Some(list) = by_account.get(s.account.as_str()) {
                let start = list.partition_point(|(d, _, _)| *d <= s.date);
                // A horizon past the calendar's end reaches every later outcome.
                let end = s
                    .date
                    .checked_add_days(chrono::Days::new(u64::from(horizon_days)))
                    .unwrap_or(NaiveDate::MAX);
                for (_, o, at) in list.iter().skip(start).take_while(|(d, _, _)| *d <= end) {
                    match o {
                        Outcome::Churned => churned = true,
                        Outcome::Expanded { mrr } => {
                            expanded = true;
                            if expansions_by_band.insert((band, *at)) {
                                let b = &mut bands[band];
                                b.expansion_mrr = b.expansion_mrr.saturating_add(*mrr);
                            }
                            expansions.insert(*at, *mrr);
                        }
                        Outcome::Renewed => {}
                    }
                }
            }
            let b = &mut bands[band];
            b.scores += 1;
            b.churned += u64::from(churned);
            b.expanded += u64::from(expanded);
            if churned {
                let first = (NaiveDate::MIN, Decimal::ZERO);
                let key = (band, s.account.as_str());
                keep_latest(churn_by_band.entry(key).or_insert(first), s.date, s.mrr);
                keep_latest(churn_total.entry(key.1).or_insert(first), s.date, s.mrr);
            }
            ranked.push((s.score.micros(), churned));
        }
        for ((band, _), (_, mrr)) in &churn_by_band {
            let b = &mut bands[*band];
            b.churned_accounts += 1;
            b.churned_mrr = b.churned_mrr.saturating_add(*mrr);
        }
        let sum = |it: &mut dyn Iterator<Item = Decimal>| {
            it.fold(Decimal::ZERO, |a, m| a.saturating_add(m))
        };
        Backtest {
            horizon_days,
            bands,
            roc: roc(&ranked),
            auc: auc(ranked),
            churned_accounts: churn_total.len() as u64,
            churned_mrr: sum(&mut churn_total.values().map(|v| v.1)),
            expansion_mrr: sum(&mut expansions.values().copied()),
        }
    }

    /// True when churn rates do not rise with health: red ≥ yellow ≥ lime ≥
    /// green, comparing exact fractions and skipping bands without scores.
    /// Also true where nothing is ordered (no scores, a single band, no
    /// churn): [`churn_order`](Backtest::churn_order) tells those apart.
    pub fn churn_is_monotonic(&self) -> bool {
        !matches!(self.churn_order(), ChurnOrder::Disordered { .. })
    }
}

/// Rank-based AUC (Mann–Whitney U), ties counting half, exact.
fn auc(mut ranked: Vec<(u32, bool)>) -> Option<Auc> {
    ranked.sort_unstable_by_key(|r| r.0);
    let churned = ranked.iter().filter(|r| r.1).count() as u128;
    let retained = ranked.len() as u128 - churned;
    if churned == 0 || retained == 0 {
        return None;
    }
    // For each retained score: churned scores strictly below it count 2,
    // churned scores equal to it count 1 (numerator doubled to stay whole).
    let (mut twice_u, mut churned_below, mut i) = (0u128, 0u128, 0usize);
    while i < ranked.len() {
        let score = ranked.get(i).map_or(0, |r| r.0);
        let group = ranked
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|r| r.0 == score);
        let (c, n) = group.fold(
            (0u128, 0u128),
            |(c, n), r| if r.1 { (c + 1, n) } else { (c, n + 1) },
        );
        twice_u += n * (2 * churned_below + c);
        churned_below += c;
        i += (c + n) as usize;
    }
    Some(Auc {
        numerator: twice_u,
        denominator: 2 * churned * retained,
    })
}
