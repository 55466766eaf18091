//! Back-testing and calibration: did low scores precede churn, and high
//! ones expansion? How are accounts spread over the bands, and which
//! thresholds would give a target spread?
//!
//! [`Backtest::run`] matches dated scores ([`DatedScore`]) with the outcomes
//! that followed them ([`DatedOutcome`]) and reports churn and expansion per
//! band, the AUC of the score as a churn predictor and whether churn falls
//! as health rises; [`Tally`] does the same one score at a time, for
//! histories too large to hold. [`Distribution`] shows the share per band;
//! [`propose_thresholds`] proposes band thresholds for a target spread, as
//! a proposal only.

mod calibration;
mod order;
mod ranked;
mod tally;

pub use calibration::{propose_thresholds, Distribution, Proposal, ProposalError};
pub use order::ChurnOrder;
pub use tally::Tally;

use crate::band::Band;
use crate::points::{Points, Share, MICRO};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One account's score on one date, with its MRR then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedScore {
    /// The account's id (deserialising refuses an empty one, or one of
    /// only white space: a missing id, as for an account scored).
    #[serde(deserialize_with = "account_id")]
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

/// An account id that is not blank (empty or only white space): such a
/// line names no account, and would otherwise be counted as one, its
/// blank id matching every other blank outcome or score.
fn account_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    if crate::score::is_blank_id(&id) {
        return Err(serde::de::Error::custom("missing (empty or only spaces)"));
    }
    Ok(id)
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
    /// The account's id (deserialising refuses an empty one, or one of
    /// only white space).
    #[serde(deserialize_with = "account_id")]
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
    /// Input order does not matter; memory grows with the input ([`Tally`]
    /// takes the scores one at a time instead, 2 bytes each). A score
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
        let mut tally = Tally::new(outcomes, horizon_days);
        for s in scores {
            tally.add(s);
        }
        tally.finish()
    }

    /// True when churn rates do not rise with health: red ≥ yellow ≥ lime ≥
    /// green, comparing exact fractions and skipping bands without scores.
    /// Also true where nothing is ordered (no scores, a single band, no
    /// churn): [`churn_order`](Backtest::churn_order) tells those apart.
    pub fn churn_is_monotonic(&self) -> bool {
        !matches!(self.churn_order(), ChurnOrder::Disordered { .. })
    }
}
