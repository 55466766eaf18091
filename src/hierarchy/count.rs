//! Portfolio views of a hierarchy that count every unit of MRR once.

use super::RollUps;
use crate::model::{Model, ModelMismatch};
use crate::portfolio::{PortfolioSummary, Tally};
use serde::{Deserialize, Serialize};

/// Which accounts a portfolio view of a hierarchy counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Customers: each top-level account (no parent) once, at its rolled-up
    /// band, with the MRR of its whole branch. A stand-alone account is its
    /// own customer.
    Parents,
    /// Accounts without children, at their own band and MRR. The own MRR of
    /// accounts with children is not in this view: it is reported in
    /// [`CountedSummary::left_out`].
    Children,
    /// Every account once, at its rolled-up band (its own band when it has
    /// no children), with its own MRR.
    Both,
}

/// A portfolio summary of a hierarchy, and what the view left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CountedSummary<'m> {
    /// Which accounts are counted.
    pub count: Count,
    /// Accounts and MRR per band and segment (a branch counts in the
    /// segment of its top account).
    pub summary: PortfolioSummary<'m>,
    /// Accounts the view does not count on their own: in [`Count::Parents`]
    /// the accounts below the top (with MRR 0 here: theirs is in their top
    /// account's branch), in [`Count::Children`] the accounts with children
    /// and their own MRR, which that view leaves out; nothing in
    /// [`Count::Both`]. In every view the summary's MRR plus this MRR is
    /// the portfolio's MRR, each unit counted once.
    pub left_out: Tally,
}

impl<'a> RollUps<'_, 'a> {
    /// A portfolio summary of one view of the hierarchy, for `model`.
    ///
    /// # Errors
    ///
    /// [`ModelMismatch`] when an account comes from another model than
    /// `model`; nothing is returned then.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::hierarchy::{Count, RollUps};
    /// use healthscore::{AccountData, Model, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// let account = |id: &str, mrr| AccountData::new(id, mrr, 10, day)
    ///     .observe(Observation::new("weekly_active", 0.5, day));
    /// let accounts = [
    ///     account("group", dec!(100)),
    ///     account("de", dec!(300)).parent("group"),
    ///     account("fr", dec!(600)).parent("group"),
    ///     account("solo", dec!(50)),
    /// ];
    /// let bound = accounts.into_iter().map(|a| model.bind(a)).collect::<Result<Vec<_>, _>>()?;
    /// let scores: Vec<_> = bound.iter().map(|a| a.score()).collect();
    /// let rolled = RollUps::new(&scores)?;
    ///
    /// let customers = rolled.summary(&model, Count::Parents)?;
    /// assert_eq!(customers.summary.totals().total().count, 2); // group and solo
    /// assert_eq!(customers.summary.totals().total().mrr, dec!(1050));
    /// let leaves = rolled.summary(&model, Count::Children)?;
    /// assert_eq!(leaves.summary.totals().total().count, 3); // de, fr and solo
    /// assert_eq!(leaves.left_out.mrr, dec!(100)); // group's own contract
    /// let all = rolled.summary(&model, Count::Both)?;
    /// assert_eq!(all.summary.totals().total().mrr, dec!(1050));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summary<'m>(
        &self,
        model: &'m Model,
        count: Count,
    ) -> Result<CountedSummary<'m>, ModelMismatch> {
        for s in self.scores {
            ModelMismatch::check(model.fingerprint(), s.model().fingerprint())?;
        }
        let mut summary = PortfolioSummary::new(model);
        let mut left_out = Tally::default();
        for ((score, rolled), (parent, has_children)) in self
            .scores
            .iter()
            .zip(&self.rolled)
            .zip(self.parent.iter().zip(&self.has_children))
        {
            let account = score.account();
            let own_mrr = account.data().mrr;
            match count {
                Count::Parents if parent.is_none() => {
                    summary.add_entry(account, rolled.band, rolled.branch_mrr)
                }
                // Counted, not in MRR: its MRR is in its top account's branch.
                Count::Parents => left_out.add(rust_decimal::Decimal::ZERO),
                Count::Children if *has_children => left_out.add(own_mrr),
                Count::Children | Count::Both => summary.add_entry(account, rolled.band, own_mrr),
            }
        }
        Ok(CountedSummary {
            count,
            summary,
            left_out,
        })
    }
}
