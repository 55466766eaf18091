//! A back-test fed one score at a time: what [`Backtest::run`] computes,
//! without holding the scores.

use super::ranked::Ranked;
use super::{Backtest, BandOutcomes, DatedOutcome, DatedScore, Outcome};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A back-test that takes its scores one at a time, as they are read (a
/// year of nightly results tables is hundreds of millions of scores), and
/// gives the same [`Backtest`] as [`Backtest::run`] over all of them, in
/// any order.
///
/// Each score is matched with its account's outcomes as it is added and
/// then dropped: what is kept is 2 bytes a score (its score and whether
/// churn followed, for the AUC, which ranks them all; 4 bytes each while
/// there are fewer than 65,536, then in up to 3,052 buckets by their high
/// bits), the band counts, and per churned account and per expansion what
/// the money totals need.
/// The tally keeps its own copy of the outcomes (by account), so that it
/// may live on its own: in a service's state between requests, or be
/// sent to another thread. Its clones share that copy: a tally per
/// segment or per CSM, each a clone of one made once with the outcomes,
/// holds them once.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use healthscore::{Band, Points};
/// use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Outcome, Tally};
/// use rust_decimal_macros::dec;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let outcomes = [DatedOutcome { account: "a".into(), date: d(2, 1), outcome: Outcome::Churned }];
/// let mut tally = Tally::new(&outcomes, 90);
/// // Scores as a reader hands them out, one night's file after another.
/// for (id, points, band) in [("a", 20, Band::Red), ("b", 90, Band::Green)] {
///     let score = DatedScore {
///         account: id.into(),
///         date: d(1, 1),
///         score: Points::from_micros(points * 1_000_000).ok_or("out of range")?,
///         band,
///         mrr: dec!(100),
///     };
///     tally.add(&score);
/// }
/// assert_eq!(tally.scores(), 2);
/// let bt = tally.finish();
/// assert_eq!(bt.bands[Band::Red.index()].churned, 1);
/// assert_eq!(bt.churned_mrr, dec!(100));
/// assert_eq!(bt.auc.map(|a| a.value()), Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tally {
    horizon_days: u32,
    /// The outcomes by account, shared by the tally's clones.
    outcomes: Arc<Outcomes>,
    bands: [BandOutcomes; 4],
    /// Per score: its millionths times two, plus one where churn followed
    /// (scores are at most 100,000,000 millionths: 28 bits), in 2 bytes.
    ranked: Ranked,
    /// Each churned account's latest churn-followed score (date, MRR),
    /// per band and overall (by account number).
    churn_by_band: HashMap<(usize, usize), (NaiveDate, Decimal)>,
    churn_total: HashMap<usize, (NaiveDate, Decimal)>,
    /// Each expansion counted once per band and once overall.
    expansions_by_band: HashSet<(usize, usize)>,
    expansions: HashMap<usize, Decimal>,
}

/// The outcomes a tally matches its scores with, by account.
#[derive(Debug)]
struct Outcomes {
    /// Each account with outcomes: its number in `by_account`.
    accounts: HashMap<String, usize>,
    /// Per account number: its outcomes' (date, outcome, index in the
    /// outcomes given), by date.
    by_account: Vec<Vec<(NaiveDate, Outcome, usize)>>,
}

impl Tally {
    /// A back-test of nothing yet against `outcomes`: an outcome counts
    /// for a score when it falls within `(date, date + horizon_days]` (see
    /// [`Backtest::run`]).
    pub fn new(outcomes: &[DatedOutcome], horizon_days: u32) -> Tally {
        let mut accounts: HashMap<String, usize> = HashMap::new();
        let mut by_account: Vec<Vec<(NaiveDate, Outcome, usize)>> = Vec::new();
        for (at, o) in outcomes.iter().enumerate() {
            let next = accounts.len();
            let number = *accounts.entry(o.account.clone()).or_insert(next);
            if number == by_account.len() {
                by_account.push(Vec::new());
            }
            if let Some(list) = by_account.get_mut(number) {
                list.push((o.date, o.outcome.clone(), at));
            }
        }
        for list in &mut by_account {
            list.sort_by_key(|(d, _, _)| *d);
        }
        Tally {
            horizon_days,
            outcomes: Arc::new(Outcomes {
                accounts,
                by_account,
            }),
            bands: [BandOutcomes::default(); 4],
            ranked: Ranked::default(),
            churn_by_band: HashMap::new(),
            churn_total: HashMap::new(),
            expansions_by_band: HashSet::new(),
            expansions: HashMap::new(),
        }
    }

    /// Counts one score: its band's scores, and the churn and expansions
    /// that followed it within the horizon.
    pub fn add(&mut self, s: &DatedScore) {
        let band = s.band.index();
        let (mut churned, mut expanded) = (false, false);
        // The account's number: what the money totals are keyed by (an
        // account without outcomes has none).
        let id = self.outcomes.accounts.get(s.account.as_str()).copied();
        if let Some(list) = id.and_then(|n| self.outcomes.by_account.get(n)) {
            let start = list.partition_point(|(d, _, _)| *d <= s.date);
            // A horizon past the calendar's end reaches every later outcome.
            let end = s
                .date
                .checked_add_days(chrono::Days::new(u64::from(self.horizon_days)))
                .unwrap_or(NaiveDate::MAX);
            for (_, o, at) in list.iter().skip(start).take_while(|(d, _, _)| *d <= end) {
                match o {
                    Outcome::Churned => churned = true,
                    Outcome::Expanded { mrr } => {
                        expanded = true;
                        if self.expansions_by_band.insert((band, *at)) {
                            if let Some(b) = self.bands.get_mut(band) {
                                b.expansion_mrr = b.expansion_mrr.saturating_add(*mrr);
                            }
                        }
                        self.expansions.insert(*at, *mrr);
                    }
                    Outcome::Renewed => {}
                }
            }
        }
        if let Some(b) = self.bands.get_mut(band) {
            b.scores += 1;
            b.churned += u64::from(churned);
            b.expanded += u64::from(expanded);
        }
        if let (true, Some(id)) = (churned, id) {
            let first = (NaiveDate::MIN, Decimal::ZERO);
            // The latest score; on one date, the larger MRR (so input
            // order never matters).
            for slot in [
                self.churn_by_band.entry((band, id)).or_insert(first),
                self.churn_total.entry(id).or_insert(first),
            ] {
                if (s.date, s.mrr) > *slot {
                    *slot = (s.date, s.mrr);
                }
            }
        }
        self.ranked.push(s.score.micros() << 1 | u32::from(churned));
    }

    /// The scores added so far.
    pub fn scores(&self) -> u64 {
        self.ranked.len()
    }

    /// The back-test of the scores added.
    pub fn finish(self) -> Backtest {
        let mut bands = self.bands;
        for ((band, _), (_, mrr)) in &self.churn_by_band {
            if let Some(b) = bands.get_mut(*band) {
                b.churned_accounts += 1;
                b.churned_mrr = b.churned_mrr.saturating_add(*mrr);
            }
        }
        let sum = |it: &mut dyn Iterator<Item = Decimal>| {
            it.fold(Decimal::ZERO, |a, m| a.saturating_add(m))
        };
        Backtest {
            horizon_days: self.horizon_days,
            bands,
            roc: self.ranked.roc(),
            churned_accounts: self.churn_total.len() as u64,
            churned_mrr: sum(&mut self.churn_total.values().map(|v| v.1)),
            expansion_mrr: sum(&mut self.expansions.values().copied()),
            auc: self.ranked.auc(),
        }
    }
}
