//! Score history: deltas, trends, transitions, time in band, and the
//! documented treatment of disorder, duplicates, short history and model
//! changes.

mod common;
use chrono::{Duration, NaiveDate};
use common::*;
use healthscore::{history::*, *};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn point(
    month: u32,
    day: u32,
    micros: Option<u32>,
    band: Option<Band>,
    version: &str,
) -> ScorePoint {
    ScorePoint {
        date: date(month, day),
        overall: micros.map(|m| Points::from_micros(m).unwrap()),
        dimensions: [None; 4],
        band,
        model_version: version.into(),
    }
}

/// Weekly scores: 70 lime, 72 lime, 58.5 yellow, 57 yellow, 61 lime.
fn weekly() -> History {
    History::new([
        point(10, 29, Some(61_000_000), Some(Band::Lime), "1"),
        point(10, 1, Some(70_000_000), Some(Band::Lime), "1"),
        point(10, 15, Some(58_500_000), Some(Band::Yellow), "1"),
        point(10, 8, Some(72_000_000), Some(Band::Lime), "1"),
        point(10, 22, Some(57_000_000), Some(Band::Yellow), "1"),
    ])
    .unwrap()
}

#[test]
fn deltas_over_windows() {
    let h = weekly();
    assert_eq!(
        h.points().first().map(|p| p.date),
        Some(date(10, 1)),
        "sorted on construction"
    );
    // 7 days: 61 − 57 = +4.
    let d = h.delta(Duration::days(7)).unwrap();
    assert_eq!(
        (d.from, d.to, d.change_micros),
        (date(10, 22), date(10, 29), 4_000_000)
    );
    assert_eq!(d.change(), dec!(4));
    assert_eq!(d.to_string(), "+4 points from 2026-10-22 to 2026-10-29");
    // 10 days: start 10-19 → latest on or before is 10-15 (58.5): +2.5.
    assert_eq!(
        h.delta(Duration::days(10)).unwrap().change_micros,
        2_500_000
    );
    // 28 days reaches exactly the first point: 61 − 70 = −9.
    assert_eq!(h.delta(Duration::days(28)).unwrap().change(), dec!(-9));
    // 29 days starts before the first point.
    assert_eq!(
        h.delta(Duration::days(29)),
        Err(HistoryError::WindowBeforeHistory {
            start: date(9, 30),
            first: date(10, 1)
        })
    );
    assert_eq!(
        History::default().delta(Duration::days(7)),
        Err(HistoryError::Empty)
    );
}

#[test]
fn trend_dead_zone_is_inclusive() {
    let h = weekly();
    let zone = |x: u32| Points::from_micros(x).unwrap();
    assert_eq!(h.trend(Duration::days(7), zone(3_999_999)), Ok(Trend::Up));
    assert_eq!(
        h.trend(Duration::days(7), zone(4_000_000)),
        Ok(Trend::Flat),
        "a change equal to the dead zone is flat"
    );
    assert_eq!(
        h.trend(Duration::days(28), zone(8_999_999)),
        Ok(Trend::Down)
    );
    assert_eq!(
        h.trend(Duration::days(28), zone(9_000_000)),
        Ok(Trend::Flat)
    );
}

#[test]
fn transitions_and_time_in_band() {
    let h = weekly();
    let t = h.transitions();
    assert_eq!(
        t,
        [
            Transition {
                date: date(10, 15),
                from: Some(Band::Lime),
                to: Some(Band::Yellow)
            },
            Transition {
                date: date(10, 29),
                from: Some(Band::Yellow),
                to: Some(Band::Lime)
            },
        ]
    );
    assert_eq!(h.time_in_current_band(date(11, 5)), Some(Duration::days(7)));
    assert_eq!(History::default().time_in_current_band(date(11, 5)), None);
    assert_eq!(h.at(date(10, 20)).map(|p| p.date), Some(date(10, 15)));
    assert_eq!(h.at(date(9, 1)), None);
}

#[test]
fn duplicates_missing_scores_and_model_changes() {
    let dup = History::new([
        point(10, 1, Some(1), None, "1"),
        point(10, 1, Some(2), None, "1"),
    ]);
    assert_eq!(dup, Err(HistoryError::DuplicateDate(date(10, 1))));
    let mut h = weekly();
    assert_eq!(
        h.push(point(10, 8, Some(1), None, "1")),
        Err(HistoryError::DuplicateDate(date(10, 8)))
    );
    // A newer model version: the delta says so instead of mixing silently.
    h.push(point(11, 5, Some(66_000_000), Some(Band::Lime), "2"))
        .unwrap();
    let d = h.delta(Duration::days(7)).unwrap();
    assert_eq!(d.model_changed, Some(("1".to_string(), "2".to_string())));
    assert_eq!(
        d.to_string(),
        "+5 points from 2026-10-29 to 2026-11-05 (model changed from 1 to 2)"
    );
    // A point without a score cannot be compared.
    h.push(point(11, 12, None, None, "2")).unwrap();
    assert_eq!(
        h.delta(Duration::days(7)),
        Err(HistoryError::NoScore(date(11, 12)))
    );
    assert_eq!(h.transitions().last().map(|t| t.to), Some(None));
}

#[test]
fn scores_become_points_and_points_round_trip_as_json() {
    let model = golden();
    let a = model
        .bind(account(
            dec!(2500),
            &[
                ("seats", 0.62),
                ("sentiment", 3.4),
                ("weekly_active", 0.4),
                ("breadth", 0.3),
            ],
        ))
        .unwrap();
    let p = a.score().point();
    assert_eq!(
        (p.date, p.overall.map(Points::micros), p.band),
        (day(23), Some(60_000_000), Some(Band::Lime))
    );
    assert_eq!(p.dimensions[2].map(Points::micros), Some(60_000_000));
    assert_eq!(p.model_version, "1.0");
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<ScorePoint>(&json).unwrap(), p);
    assert!(serde_json::from_str::<Points>("100.5").is_err());
    assert!(serde_json::from_str::<Points>("1.0000001").is_err());
}

proptest! {
    #[test]
    fn history_is_independent_of_input_order(
        scores in proptest::collection::btree_map(0i64..120, 0u32..=100_000_000, 1..20),
        seed in any::<u64>(),
        window in 0i64..60,
    ) {
        let band = |s: u32| if s >= 60_000_000 { Band::Lime } else { Band::Yellow };
        let mut points: Vec<ScorePoint> = scores.iter().map(|(d, s)| ScorePoint {
            date: date(1, 1) + Duration::days(*d),
            overall: Points::from_micros(*s),
            dimensions: [None; 4],
            band: Some(band(*s)),
            model_version: "1".into(),
        }).collect();
        let sorted = History::new(points.clone()).unwrap();
        let mut state = seed | 1;
        for i in (1..points.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            points.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let shuffled = History::new(points).unwrap();
        prop_assert_eq!(&shuffled, &sorted);
        prop_assert_eq!(shuffled.delta(Duration::days(window)), sorted.delta(Duration::days(window)));
        prop_assert_eq!(shuffled.transitions(), sorted.transitions());
    }
}
