//! An account's previous band and score taken from its last stored
//! [`ScoreRecord`], with the checks that keep a service from taking the
//! wrong one.

use super::account::AccountData;
use super::record::ScoreRecord;
use crate::model::Model;
use chrono::NaiveDate;

/// Why a stored record cannot be an account's previous score.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PreviousError {
    /// The record is another account's.
    #[error("the record is of account {record}, not {account}")]
    OtherAccount {
        /// The record's account id.
        record: String,
        /// The account being scored.
        account: String,
    },
    /// The record is not from before the account's as-of date: a score of
    /// the same day (a run again) or a later one is not a previous score.
    #[error("the record is as of {record}, not before the account's as-of date {account}")]
    NotEarlier {
        /// The record's as-of date.
        record: NaiveDate,
        /// The account's as-of date.
        account: NaiveDate,
    },
    /// The record was scored by another model (another fingerprint): its
    /// band is not this model's, and taking it would read a new model
    /// version as every account's band changing.
    #[error("the record was scored by model {record}, not {model}")]
    OtherModel {
        /// The record's model fingerprint (hex).
        record: String,
        /// The model's fingerprint (hex).
        model: String,
    },
}

impl AccountData {
    /// Takes an earlier [`ScoreRecord`] of this account (the last one a
    /// service stored) as its previous band and score: what hysteresis and
    /// the CTA conditions on band changes and falling scores read. Input
    /// that already gives a previous band or score is left as it is (and
    /// this returns `Ok`).
    ///
    /// # Errors
    ///
    /// [`PreviousError`] when the record is another account's, is not
    /// from before this account's as-of date, or was scored by another
    /// model than `model`; the account is then left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use healthscore::score::PreviousError;
    /// use healthscore::{AccountData, Band, Model, Observation};
    /// use rust_decimal_macros::dec;
    ///
    /// let model = Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON)?)?;
    /// let (nov, dec) = (NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    /// let acme = |day, wau: f64| AccountData::new("acme", dec!(1200), 80, day)
    ///     .observe(Observation::new("weekly_active", wau, day))
    ///     .observe(Observation::new("nps", 20.0, day));
    /// let stored = model.bind(acme(nov, 0.5))?.score().record(); // what the service kept
    ///
    /// let mut today = acme(dec, 0.45);
    /// today.previous_from(&stored, &model)?;
    /// assert_eq!(today.previous_band, stored.band);
    /// assert_eq!(today.previous_score, stored.score);
    ///
    /// // Scored again on the day of the stored record: not a previous score.
    /// let mut again = acme(nov, 0.5);
    /// assert!(matches!(again.previous_from(&stored, &model), Err(PreviousError::NotEarlier { .. })));
    /// assert_eq!(again.previous_band, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn previous_from(
        &mut self,
        earlier: &ScoreRecord,
        model: &Model,
    ) -> Result<(), PreviousError> {
        if earlier.id != self.id {
            return Err(PreviousError::OtherAccount {
                record: earlier.id.clone(),
                account: self.id.clone(),
            });
        }
        if earlier.as_of >= self.as_of {
            return Err(PreviousError::NotEarlier {
                record: earlier.as_of,
                account: self.as_of,
            });
        }
        let fingerprint = format!("{:016x}", model.fingerprint().hash);
        if earlier.model_fingerprint != fingerprint {
            return Err(PreviousError::OtherModel {
                record: earlier.model_fingerprint.clone(),
                model: fingerprint,
            });
        }
        if self.previous_band.is_none() && self.previous_score.is_none() {
            self.previous_band = earlier.band;
            self.previous_score = earlier.score;
        }
        Ok(())
    }
}
