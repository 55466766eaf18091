//! Portfolio views: accounts and MRR per band and segment, and the
//! "everyone is green" concentration check.

use crate::account::{AccountData, AccountError};
use crate::band::Band;
use crate::model::Model;
use crate::model::ModelMismatch;
use crate::points::{Share, MICRO};
use crate::score::Score;
use crate::segment::Segment;
use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

/// A count of accounts and their total MRR (exact).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Number of accounts.
    pub count: u64,
    /// Their total MRR.
    pub mrr: Decimal,
}

impl Tally {
    /// Counts saturate rather than wrap; bound accounts' MRR (≤ 10¹⁵)
    /// keeps totals exact far beyond any real portfolio, and a total that
    /// would exceed `Decimal::MAX` saturates instead of panicking.
    pub(crate) fn add(&mut self, mrr: Decimal) {
        self.count = self.count.saturating_add(1);
        self.mrr = self.mrr.saturating_add(mrr);
    }

    pub(crate) fn merge(&mut self, other: &Tally) {
        self.count = self.count.saturating_add(other.count);
        self.mrr = self.mrr.saturating_add(other.mrr);
    }
}

/// Tallies per band plus the accounts with insufficient data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandTallies {
    /// Per band, healthiest first (index with [`Band::index`]).
    pub bands: [Tally; 4],
    /// Accounts without a band: coverage below the minimum, or no data.
    pub insufficient: Tally,
}

impl BandTallies {
    fn add(&mut self, band: Option<Band>, mrr: Decimal) {
        match band {
            Some(b) => self.bands[b.index()].add(mrr),
            None => self.insufficient.add(mrr),
        }
    }

    fn merge(&mut self, other: &BandTallies) {
        for (mine, theirs) in self.bands.iter_mut().zip(&other.bands) {
            mine.merge(theirs);
        }
        self.insufficient.merge(&other.insufficient);
    }

    /// The tally of one band.
    pub fn band(&self, band: Band) -> Tally {
        self.bands[band.index()]
    }

    /// All accounts, banded or not.
    pub fn total(&self) -> Tally {
        let mut t = self.insufficient;
        for b in &self.bands {
            t.count = t.count.saturating_add(b.count);
            t.mrr = t.mrr.saturating_add(b.mrr);
        }
        t
    }
}

/// One band holding more than the allowed share of banded accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concentration {
    /// The dominant band.
    pub band: Band,
    /// Its share of banded accounts (rounded to 10⁻⁶, ties up).
    pub share: Share,
    /// The limit it exceeds.
    pub limit: Share,
}

/// A portfolio summary for one model, built one score at a time.
///
/// # Examples
///
/// ```
/// let model = healthscore::Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
/// use chrono::NaiveDate;
/// use healthscore::{AccountData, Band, Observation, PortfolioSummary};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
/// let mut summary = PortfolioSummary::new(&model);
/// for (id, wau) in [("a", 0.9), ("b", 0.8), ("c", 0.1)] {
///     let data = AccountData::new(id, dec!(500), 10, day)
///         .observe(Observation::new("weekly_active", wau, day));
///     summary.add(&model.bind(data)?.score());
/// }
/// assert_eq!(summary.totals().band(Band::Green).count, 2);
/// assert_eq!(summary.totals().band(Band::Green).mrr, dec!(1000));
/// let warning = summary.concentration().expect("2 of 3 green is above 60%");
/// assert_eq!(warning.band, Band::Green);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PortfolioSummary<'m> {
    model: &'m Model,
    totals: BandTallies,
    per_segment: Vec<BandTallies>,
    limit: Share,
    skipped: u64,
    stale_accounts: u64,
    stale_values: u64,
}

/// The default concentration limit: warn when one band holds over 60%.
pub const DEFAULT_CONCENTRATION_LIMIT: Share = match Share::from_micros(600_000) {
    Some(s) => s,
    None => Share::ONE,
};

impl<'m> PortfolioSummary<'m> {
    /// An empty summary for a model, warning above 60% in one band.
    pub fn new(model: &'m Model) -> Self {
        PortfolioSummary {
            model,
            totals: BandTallies::default(),
            per_segment: vec![BandTallies::default(); model.segmentation.len()],
            limit: DEFAULT_CONCENTRATION_LIMIT,
            skipped: 0,
            stale_accounts: 0,
            stale_values: 0,
        }
    }

    /// Sets the share of banded accounts one band may hold before
    /// [`concentration`](Self::concentration) warns.
    pub fn with_concentration_limit(mut self, limit: Share) -> Self {
        self.limit = limit;
        self
    }

    /// Adds a score.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when the score's model has another
    /// [`Fingerprint`](crate::model::Fingerprint) than the summary's (an
    /// equal model compiled separately is the same model). The score is
    /// then not added, and is counted in [`skipped`](Self::skipped).
    pub fn add(&mut self, score: &Score<'_>) -> Result<(), ModelMismatch> {
        let account = score.account();
        if let Err(e) = ModelMismatch::check(self.model.fingerprint(), account.model.fingerprint())
        {
            self.skipped = self.skipped.saturating_add(1);
            return Err(e);
        }
        self.add_entry(account, score.band(), account.data.mrr);
        Ok(())
    }

    /// Counts an account of this summary's model with the band and MRR the
    /// caller decided (a roll-up's band, a branch's MRR).
    pub(crate) fn add_entry(
        &mut self,
        account: &crate::Account<'_>,
        band: Option<Band>,
        mrr: Decimal,
    ) {
        self.totals.add(band, mrr);
        if let Some(seg) = self.per_segment.get_mut(account.segment) {
            seg.add(band, mrr);
        }
        let stale = account
            .slots
            .as_slice()
            .iter()
            .filter(|s| s.is_stale())
            .count() as u64;
        self.stale_values = self.stale_values.saturating_add(stale);
        self.stale_accounts = self.stale_accounts.saturating_add(u64::from(stale > 0));
    }

    /// Counts `count` accounts of one segment and band with their total
    /// MRR and stale values (the batch path's per-segment sums).
    pub(crate) fn add_group(
        &mut self,
        segment: usize,
        band: Option<Band>,
        group: Tally,
        stale_accounts: u64,
        stale_values: u64,
    ) {
        let put = |t: &mut BandTallies| {
            let slot = match band {
                Some(b) => &mut t.bands[b.index()],
                None => &mut t.insufficient,
            };
            slot.merge(&group);
        };
        put(&mut self.totals);
        if let Some(seg) = self.per_segment.get_mut(segment) {
            put(seg);
        }
        self.stale_accounts = self.stale_accounts.saturating_add(stale_accounts);
        self.stale_values = self.stale_values.saturating_add(stale_values);
    }

    /// Counts rejected accounts (not banded) in bulk.
    pub(crate) fn add_skipped(&mut self, count: u64) {
        self.skipped = self.skipped.saturating_add(count);
    }

    /// Adds another summary of the same model (a parallel reduce's combine
    /// step). The result is exactly what adding both parts' scores to one
    /// summary gives, whatever the order of parts and scores; the
    /// concentration limit stays this summary's.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when `other` summarises another model; nothing is
    /// merged then.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::{AccountData, Model, Observation, PortfolioSummary};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let accounts: Vec<_> = (0..100)
    ///     .map(|i| AccountData::new(format!("a{i}"), dec!(500), 10, day)
    ///         .observe(Observation::new("weekly_active", f64::from(i) / 100.0, day)))
    ///     .map(|data| model.bind(data))
    ///     .collect::<Result<_, _>>()?;
    /// // Two halves summarised separately (say, on two threads), then merged.
    /// let (left, right) = accounts.split_at(37);
    /// let half = |part: &[healthscore::Account<'_>]| {
    ///     let mut s = PortfolioSummary::new(&model);
    ///     part.iter().try_for_each(|a| s.add(&a.score())).map(|_| s)
    /// };
    /// let mut merged = half(left)?;
    /// merged.merge(&half(right)?)?;
    /// assert_eq!(merged, half(&accounts)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &PortfolioSummary<'_>) -> Result<(), ModelMismatch> {
        ModelMismatch::check(self.model.fingerprint(), other.model.fingerprint())?;
        self.totals.merge(&other.totals);
        for (mine, theirs) in self.per_segment.iter_mut().zip(&other.per_segment) {
            mine.merge(theirs);
        }
        self.skipped = self.skipped.saturating_add(other.skipped);
        self.stale_accounts = self.stale_accounts.saturating_add(other.stale_accounts);
        self.stale_values = self.stale_values.saturating_add(other.stale_values);
        Ok(())
    }

    /// The fingerprint of the model summarised.
    pub fn model(&self) -> &crate::model::Fingerprint {
        self.model.fingerprint()
    }

    /// Accounts with at least one stale value, and the number of stale
    /// values, among the scores added ("wait, this hasn't been updated?").
    pub fn stale(&self) -> (u64, u64) {
        (self.stale_accounts, self.stale_values)
    }

    /// Records an account that failed validation (counted, not banded).
    pub fn add_error(&mut self, _error: &AccountError) {
        self.skipped = self.skipped.saturating_add(1);
    }

    /// Tallies over the whole portfolio.
    pub fn totals(&self) -> &BandTallies {
        &self.totals
    }

    /// Tallies per segment that has at least one account, in model order.
    pub fn segments(&self) -> impl Iterator<Item = (Segment<'m>, &BandTallies)> {
        let seg = &self.model.segmentation;
        self.per_segment
            .iter()
            .enumerate()
            .filter(|(_, t)| t.total().count > 0)
            .map(move |(i, t)| (seg.segment(i), t))
    }

    /// Accounts not counted: from another model, or invalid.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The band holding more than the limit share of banded accounts, if any.
    pub fn concentration(&self) -> Option<Concentration> {
        let banded: u64 = self.totals.bands.iter().map(|t| t.count).sum();
        if banded == 0 {
            return None;
        }
        let (band, count) = Band::ALL
            .iter()
            .map(|b| (*b, self.totals.band(*b).count))
            .max_by_key(|(b, c)| (*c, b.index()))?;
        // Exact: count / banded > limit  ⇔  count·10⁶ > limit·banded.
        let over = u128::from(count) * MICRO as u128
            > u128::from(self.limit.micros()) * u128::from(banded);
        let share = crate::points::div_round(u128::from(count) * MICRO as u128, u128::from(banded));
        over.then(|| Concentration {
            band,
            share: Share::from_micros(share as u32).unwrap_or(Share::ONE),
            limit: self.limit,
        })
    }
}

impl PartialEq for PortfolioSummary<'_> {
    /// Equal counts and MRR for the same model (by fingerprint) and limit.
    fn eq(&self, other: &Self) -> bool {
        self.model.fingerprint() == other.model.fingerprint()
            && self.totals == other.totals
            && self.per_segment == other.per_segment
            && self.limit == other.limit
            && self.skipped == other.skipped
            && self.stale_accounts == other.stale_accounts
            && self.stale_values == other.stale_values
    }
}

impl Serialize for PortfolioSummary<'_> {
    /// As `{"model": {...}, "totals": {...}, "segments": [{"segment":
    /// "smb/small", ...}], "concentration": ..., "skipped": 0,
    /// "stale_accounts": 0, "stale_values": 0}`; segments without accounts
    /// are left out.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct SegmentRow<'a> {
            segment: String,
            #[serde(flatten)]
            tallies: &'a BandTallies,
        }
        let mut st = s.serialize_struct("PortfolioSummary", 8)?;
        st.serialize_field("model", self.model.fingerprint())?;
        st.serialize_field("totals", &self.totals)?;
        let rows: Vec<SegmentRow<'_>> = self
            .segments()
            .map(|(segment, tallies)| SegmentRow {
                segment: segment.to_string(),
                tallies,
            })
            .collect();
        st.serialize_field("segments", &rows)?;
        st.serialize_field("concentration_limit", &self.limit)?;
        st.serialize_field("concentration", &self.concentration())?;
        st.serialize_field("skipped", &self.skipped)?;
        st.serialize_field("stale_accounts", &self.stale_accounts)?;
        st.serialize_field("stale_values", &self.stale_values)?;
        st.end()
    }
}

impl Model {
    /// Binds and scores many accounts, returning the summary and the
    /// accounts that failed validation (which are not scored).
    pub fn score_portfolio(
        &self,
        accounts: impl IntoIterator<Item = AccountData>,
    ) -> (PortfolioSummary<'_>, Vec<AccountError>) {
        let mut summary = PortfolioSummary::new(self);
        let mut errors = Vec::new();
        for data in accounts {
            match self.bind(data) {
                // The summary is this model's: a mismatch cannot happen.
                Ok(account) => summary.add(&account.score()).unwrap_or(()),
                Err(e) => {
                    summary.add_error(&e);
                    errors.push(e);
                }
            }
        }
        (summary, errors)
    }
}
