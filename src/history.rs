//! An account's score history: deltas over a window, trend, band
//! transitions and time in band.

use crate::band::Band;
use crate::points::Points;
use crate::score::Score;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One dated score of an account, as kept in a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorePoint {
    /// The score's as-of date.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub date: NaiveDate,
    /// The overall score (`None`: nothing could be scored).
    pub overall: Option<Points>,
    /// Dimension scores in DEAR order.
    #[serde(default)]
    pub dimensions: [Option<Points>; 4],
    /// The band (`None`: insufficient data).
    pub band: Option<Band>,
    /// The version of the model that produced it.
    pub model_version: String,
}

impl Score<'_> {
    /// This score as a history point dated at the account's as-of date.
    pub fn point(&self) -> ScorePoint {
        ScorePoint {
            date: self.account.data.as_of,
            overall: self.overall,
            dimensions: self.dims.map(|d| d.score),
            band: self.band,
            model_version: self.model().version().to_string(),
        }
    }
}

/// Why a history or a comparison over it is not possible.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// Two points on one date.
    #[error("two scores on {0}")]
    DuplicateDate(NaiveDate),
    /// The history has no points.
    #[error("the history is empty")]
    Empty,
    /// The window starts before the first point.
    #[error("the window starts on {start}, before the first score on {first}")]
    WindowBeforeHistory {
        /// Where the window starts.
        start: NaiveDate,
        /// The first point's date.
        first: NaiveDate,
    },
    /// A point needed for the comparison has no overall score.
    #[error("no overall score on {0}")]
    NoScore(NaiveDate),
}

/// A change of the overall score between two points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The earlier point's date.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub from: NaiveDate,
    /// The later point's date.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub to: NaiveDate,
    /// Change in millionths of a point (negative: down).
    pub change_micros: i64,
    /// `Some((earlier, later))` when the two scores come from different model
    /// versions: the change may be the model's, not the account's.
    pub model_changed: Option<(String, String)>,
}

impl Delta {
    /// The change in points, exact.
    pub fn change(&self) -> Decimal {
        Decimal::new(self.change_micros, 6).normalize()
    }
}

impl fmt::Display for Delta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:+} points from {} to {}",
            self.change(),
            self.from,
            self.to
        )?;
        if let Some((a, b)) = &self.model_changed {
            write!(f, " (model changed from {a} to {b})")?;
        }
        Ok(())
    }
}

/// Direction of the overall score over a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    /// Rose by more than the dead zone.
    Up,
    /// Changed by at most the dead zone either way.
    Flat,
    /// Fell by more than the dead zone.
    Down,
}

/// A change of band between two consecutive points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The date of the point with the new band.
    #[serde(deserialize_with = "crate::value::date::deserialize")]
    pub date: NaiveDate,
    /// The band before (`None`: insufficient data).
    pub from: Option<Band>,
    /// The band after.
    pub to: Option<Band>,
}

/// An account's dated scores, kept in date order with one score per date.
///
/// # Examples
///
/// ```
/// use chrono::{Duration, NaiveDate};
/// use healthscore::{Band, Points};
/// use healthscore::history::{History, ScorePoint, Trend};
///
/// let point = |day: u32, score: u32, band: Band| ScorePoint {
///     date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
///     overall: Points::from_micros(score * 1_000_000),
///     dimensions: [None; 4],
///     band: Some(band),
///     model_version: "1".into(),
/// };
/// // Given out of order: sorted on construction.
/// let h = History::new([point(22, 55, Band::Yellow), point(1, 72, Band::Lime), point(15, 64, Band::Lime)])?;
/// let d = h.delta(Duration::days(7))?; // 22nd against the latest score on or before the 15th
/// assert_eq!(d.change_micros, -9_000_000);
/// assert_eq!(h.trend(Duration::days(21), Points::from_micros(2_000_000).unwrap())?, Trend::Down);
/// assert_eq!(h.transitions()[0].to, Some(Band::Yellow));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
/// Serialised as the list of its points; reading one back checks it as
/// [`History::new`] does (a duplicate date is an error).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<ScorePoint>", into = "Vec<ScorePoint>")]
pub struct History {
    points: Vec<ScorePoint>,
}

impl History {
    /// A history from points in any order.
    ///
    /// # Errors
    ///
    /// [`HistoryError::DuplicateDate`] when two points share a date (which
    /// one is right cannot be guessed).
    pub fn new(points: impl IntoIterator<Item = ScorePoint>) -> Result<History, HistoryError> {
        let mut points: Vec<ScorePoint> = points.into_iter().collect();
        points.sort_by_key(|p| p.date);
        for w in points.windows(2) {
            if let [a, b] = w {
                if a.date == b.date {
                    return Err(HistoryError::DuplicateDate(a.date));
                }
            }
        }
        Ok(History { points })
    }

    /// Adds a point, keeping date order.
    ///
    /// # Errors
    ///
    /// [`HistoryError::DuplicateDate`] when a point on that date exists.
    pub fn push(&mut self, point: ScorePoint) -> Result<(), HistoryError> {
        match self.points.binary_search_by_key(&point.date, |p| p.date) {
            Ok(_) => Err(HistoryError::DuplicateDate(point.date)),
            Err(i) => {
                self.points.insert(i, point);
                Ok(())
            }
        }
    }

    /// The points, oldest first.
    pub fn points(&self) -> &[ScorePoint] {
        &self.points
    }

    /// The latest point.
    pub fn latest(&self) -> Option<&ScorePoint> {
        self.points.last()
    }

    /// The latest point on or before a date.
    pub fn at(&self, date: NaiveDate) -> Option<&ScorePoint> {
        let i = self.points.partition_point(|p| p.date <= date);
        i.checked_sub(1).and_then(|i| self.points.get(i))
    }

    /// Change of the overall score from the window's start to the latest
    /// point. The start is the latest point on or before `latest − window`.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Empty`]; [`HistoryError::WindowBeforeHistory`] when
    /// the window starts before the first point; [`HistoryError::NoScore`]
    /// when either point has no overall score.
    pub fn delta(&self, window: Duration) -> Result<Delta, HistoryError> {
        let latest = self.latest().ok_or(HistoryError::Empty)?;
        let first = self.points.first().ok_or(HistoryError::Empty)?;
        // A window reaching past the calendar's start starts before any point.
        let start = latest
            .date
            .checked_sub_signed(window)
            .unwrap_or(NaiveDate::MIN);
        let from = self.at(start).ok_or(HistoryError::WindowBeforeHistory {
            start,
            first: first.date,
        })?;
        let score = |p: &ScorePoint| {
            p.overall
                .map(|o| i64::from(o.micros()))
                .ok_or(HistoryError::NoScore(p.date))
        };
        let change_micros = score(latest)? - score(from)?;
        let model_changed = (from.model_version != latest.model_version)
            .then(|| (from.model_version.clone(), latest.model_version.clone()));
        Ok(Delta {
            from: from.date,
            to: latest.date,
            change_micros,
            model_changed,
        })
    }

    /// Direction over a window: up or down when the change exceeds the dead
    /// zone, flat when it is within it (a change equal to the dead zone is
    /// flat).
    ///
    /// # Errors
    ///
    /// As [`delta`](Self::delta).
    pub fn trend(&self, window: Duration, dead_zone: Points) -> Result<Trend, HistoryError> {
        let change = self.delta(window)?.change_micros;
        let zone = i64::from(dead_zone.micros());
        Ok(if change > zone {
            Trend::Up
        } else if change < -zone {
            Trend::Down
        } else {
            Trend::Flat
        })
    }

    /// Band changes between consecutive points, oldest first.
    pub fn transitions(&self) -> Vec<Transition> {
        self.points
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a.band != b.band => Some(Transition {
                    date: b.date,
                    from: a.band,
                    to: b.band,
                }),
                _ => None,
            })
            .collect()
    }

    /// How long the account has been in its latest band as of a date: from
    /// the first point of the latest run of that band. `None` when empty.
    pub fn time_in_current_band(&self, as_of: NaiveDate) -> Option<Duration> {
        let band = self.latest()?.band;
        let run_start = self
            .points
            .iter()
            .rev()
            .take_while(|p| p.band == band)
            .last()?;
        Some(as_of - run_start.date)
    }
}

impl TryFrom<Vec<ScorePoint>> for History {
    type Error = HistoryError;

    fn try_from(points: Vec<ScorePoint>) -> Result<History, HistoryError> {
        History::new(points)
    }
}

impl From<History> for Vec<ScorePoint> {
    fn from(history: History) -> Vec<ScorePoint> {
        history.points
    }
}
