//! The four DEAR dimensions of customer health.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A DEAR dimension: the question a group of metrics answers.
///
/// # Examples
///
/// ```
/// use healthscore::Dimension;
///
/// assert_eq!(Dimension::ALL.len(), 4);
/// assert_eq!(Dimension::Roi.to_string(), "roi");
/// let d: Dimension = serde_json::from_str("\"adoption\"")?;
/// assert_eq!(d, Dimension::Adoption);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// Is the product set up the way success needs? (seats, SSO, integrations)
    Deployment,
    /// Is the relationship healthy? (sponsor meetings, NPS, CSAT, CSM judgement)
    Engagement,
    /// Do they actually use it? (weekly active ratio, feature breadth)
    Adoption,
    /// Does the customer get value? (value realised, quota utilisation)
    Roi,
}

impl Dimension {
    /// All four, in DEAR order.
    pub const ALL: [Dimension; 4] = [
        Dimension::Deployment,
        Dimension::Engagement,
        Dimension::Adoption,
        Dimension::Roi,
    ];

    /// Position in DEAR order (0..4).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The lowercase name used in configuration.
    pub const fn name(self) -> &'static str {
        match self {
            Dimension::Deployment => "deployment",
            Dimension::Engagement => "engagement",
            Dimension::Adoption => "adoption",
            Dimension::Roi => "roi",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_order() {
        for (i, d) in Dimension::ALL.iter().enumerate() {
            assert_eq!(d.index(), i);
        }
        assert_eq!(Dimension::Engagement.to_string(), "engagement");
    }
}
