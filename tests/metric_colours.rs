//! A colour per metric: a metric may carry its own band thresholds for the
//! colour of its score in explanations and records, defaulting to the
//! scorecard's. Only measured values are coloured, and the account's band
//! is unaffected.

mod common;
use common::*;
use healthscore::model::{BandsConfig, MissingPolicy};
use healthscore::{Band, Model};
use rust_decimal_macros::dec;

#[test]
fn a_metric_is_coloured_by_its_own_thresholds_or_the_scorecards() {
    let mut c = golden_config();
    // seats is demanding: 90 for green.
    c.metrics[0].bands = Some(BandsConfig::new(90, 70, 50));
    c.metrics[1].missing = MissingPolicy::Neutral(dec!(50));
    let model = Model::new(c).unwrap();
    // seats 0.76 → 80; weekly active 0.5 → 80; sentiment missing (neutral 50).
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.76), ("weekly_active", 0.5)],
        ))
        .unwrap();
    let s = a.score();
    let why = s.explain();
    let colour = |id: &str| {
        why.metrics
            .iter()
            .find(|m| m.id == id)
            .map(|m| (m.score.map(|p| p.micros()), m.band))
    };
    assert_eq!(
        colour("seats"),
        Some((Some(80_000_000), Some(Band::Lime))),
        "its own: 80 < 90"
    );
    assert_eq!(
        colour("weekly_active"),
        Some((Some(80_000_000), Some(Band::Green))),
        "the card's (mid): 80 ≥ 80"
    );
    assert_eq!(
        colour("sentiment"),
        Some((Some(50_000_000), None)),
        "imputed: no colour"
    );
    assert_eq!(colour("breadth"), Some((None, None)), "excluded: no colour");
    // The account's band is the scorecard's alone:
    // (0.3·80 + 0.3·50 + 0.4·80)/1 = 71 → lime (mid: 60 ≤ 71 < 80).
    assert_eq!(micros(s.overall()), Some(71_000_000));
    assert_eq!(s.band(), Some(Band::Lime));
    let r = s.record();
    assert_eq!(r.metrics[0].band, Some(Band::Lime));
    assert!(serde_json::to_string(&r.metrics[0])
        .unwrap()
        .contains(r#""band":"lime""#));
}

#[test]
fn a_metrics_thresholds_are_checked_with_their_path() {
    let mut c = golden_config();
    c.metrics[2].bands = Some(BandsConfig::new(60, 70, 50));
    let err = Model::new(c).unwrap_err();
    assert_eq!(
        err.problems()[0].to_string(),
        "metrics[2].bands: lime threshold 70 is not below green threshold 60"
    );
    let mut c = golden_config();
    c.metrics[0].bands = Some(BandsConfig::new(dec!(90.0000001), 70, 50));
    assert!(Model::new(c).unwrap_err().problems()[0]
        .path
        .starts_with("metrics[0].bands.green"));
}
