//! Hysteresis: with a margin, an account keeps its previous band until its
//! score passes a threshold by the margin, so colours do not flap.

mod common;
use common::*;
use healthscore::{model::*, *};
use proptest::prelude::*;
use rust_decimal_macros::dec;

/// The golden model (mid card 80/60/40) with a 2-point margin.
fn model(margin: rust_decimal::Decimal) -> Model {
    let mut c = golden_config();
    for card in &mut c.scorecards {
        card.hysteresis = margin;
    }
    Model::new(c).unwrap()
}

/// An account of the mid card whose score is exactly `weekly`-driven:
/// seats/sentiment/breadth at 60, weekly_active chosen to move adoption.
fn mid_card(weekly: f64) -> AccountData {
    account(
        dec!(2500),
        &[
            ("seats", 0.62),
            ("sentiment", 3.4),
            ("weekly_active", weekly),
            ("breadth", 0.3),
        ],
    )
}

/// [`mid_card`] scored: its score in millionths, band and plain band.
fn scored(
    model: &Model,
    weekly: f64,
    previous: Option<Band>,
) -> (Option<u32>, Option<Band>, Option<Band>) {
    let mut data = mid_card(weekly);
    data.previous_band = previous;
    let a = model.bind(data).unwrap();
    let s = a.score();
    (micros(s.overall()), s.band(), s.plain_band())
}

#[test]
fn keeps_the_previous_band_inside_the_margin() {
    let model = model(dec!(2));
    // Lime threshold 60, margin 2: from lime, down only below 58; from yellow, up only at 62.
    // weekly 0.35 → 50 → adoption (3·50 + 60)/4 = 52.5 → overall 18 + 18 + 21 = 57 < 58: yellow.
    assert_eq!(
        scored(&model, 0.35, Some(Band::Lime)),
        (Some(57_000_000), Some(Band::Yellow), Some(Band::Yellow))
    );
    // weekly 0.375 → 55 → adoption 56.25 → overall 58.5 ≥ 58: held in lime.
    assert_eq!(
        scored(&model, 0.375, Some(Band::Lime)),
        (Some(58_500_000), Some(Band::Lime), Some(Band::Yellow))
    );
    // weekly 0.45 → 70 → adoption 67.5 → overall 63 ≥ 62: up to lime.
    assert_eq!(
        scored(&model, 0.45, Some(Band::Yellow)),
        (Some(63_000_000), Some(Band::Lime), Some(Band::Lime))
    );
    // weekly 0.425 → 65 → adoption 63.75 → overall 61.5 < 62: stays yellow.
    assert_eq!(
        scored(&model, 0.425, Some(Band::Yellow)),
        (Some(61_500_000), Some(Band::Yellow), Some(Band::Lime))
    );
    // Without a previous band: plain banding.
    assert_eq!(
        scored(&model, 0.425, None),
        (Some(61_500_000), Some(Band::Lime), Some(Band::Lime))
    );
}

/// A service keeps each account's last `ScoreRecord` and takes it as the
/// next scoring's previous band and score with `previous_from`: the band
/// is held inside the margin from one day to the next; a record of
/// another account, of the same or a later day, or of another model is
/// refused and changes nothing; input that gives a previous band wins.
#[test]
fn a_stored_record_is_the_next_scoring_s_previous_band() {
    use healthscore::score::PreviousError;
    let model = model(dec!(2));
    let acme = |day_of_month: u32, weekly: f64| {
        let mut data = mid_card(weekly);
        data.as_of = day(day_of_month);
        data
    };
    // Day 21: 63 points, up from yellow to lime (see above).
    let mut first = acme(21, 0.45);
    first.previous_band = Some(Band::Yellow);
    let stored = model.bind(first).unwrap().score().record();
    assert_eq!(stored.band, Some(Band::Lime));
    // Day 23: 58.5 points, within the margin of lime: held, from the record.
    let mut next = acme(23, 0.375);
    next.previous_from(&stored, &model).unwrap();
    assert_eq!(
        (next.previous_band, next.previous_score),
        (stored.band, stored.score)
    );
    let score = |data: AccountData| model.bind(data).unwrap().score().band();
    assert_eq!(score(next), Some(Band::Lime));
    assert_eq!(score(acme(23, 0.375)), Some(Band::Yellow)); // without it

    // Refused, and nothing taken.
    let refused = |mut data: AccountData, record: &ScoreRecord, model: &Model| {
        let e = data.previous_from(record, model).unwrap_err();
        assert_eq!((data.previous_band, data.previous_score), (None, None));
        e
    };
    let mut other = acme(23, 0.375);
    other.id = "beta".into();
    assert_eq!(
        refused(other, &stored, &model).to_string(),
        "the record is of account acme, not beta"
    );
    assert_eq!(
        refused(acme(21, 0.375), &stored, &model),
        PreviousError::NotEarlier {
            record: day(21),
            account: day(21)
        }
    );
    let wider = self::model(dec!(3));
    assert!(matches!(
        refused(acme(23, 0.375), &stored, &wider),
        PreviousError::OtherModel { .. }
    ));
    // The input's own previous band wins.
    let mut told = acme(23, 0.375);
    told.previous_band = Some(Band::Red);
    told.previous_from(&stored, &model).unwrap();
    assert_eq!(
        (told.previous_band, told.previous_score),
        (Some(Band::Red), None)
    );
}

#[test]
fn a_held_band_is_explained() {
    let model = model(dec!(2));
    let mut data = mid_card(0.375);
    data.previous_band = Some(Band::Lime);
    let a = model.bind(data).unwrap();
    let s = a.score();
    assert!(
        s.to_string()
            .starts_with("58.5 lime (held by hysteresis; yellow without)"),
        "{s}"
    );
    let json = serde_json::to_value(s.record()).unwrap();
    assert_eq!(
        (json["band"].as_str(), json["plain_band"].as_str()),
        (Some("lime"), Some("yellow"))
    );
}

#[test]
fn margin_is_validated() {
    for (margin, expected) in [
        (
            dec!(-1),
            "scorecards[0].hysteresis: -1 is outside the range 0..=100",
        ),
        (
            dec!(101),
            "scorecards[0].hysteresis: 101 is outside the range 0..=100",
        ),
        (
            dec!(0.0000001),
            "scorecards[0].hysteresis: 0.0000001 has more than 6 decimal places",
        ),
    ] {
        let mut c = golden_config();
        c.scorecards[0].hysteresis = margin;
        let err = Model::new(c).unwrap_err();
        assert_eq!(err.problems()[0].to_string(), expected);
    }
    let card = ScorecardConfig::new("x", BandsConfig::new(80, 60, 40)).hysteresis(dec!(1.5));
    assert_eq!(card.hysteresis, dec!(1.5));
}

fn thresholds() -> BandThresholds {
    let p = |x: u32| Points::from_micros(x).unwrap();
    BandThresholds::new(p(80_000_000), p(60_000_000), p(40_000_000)).unwrap()
}

fn band_strategy() -> impl Strategy<Value = Band> {
    prop::sample::select(Band::ALL.to_vec())
}

proptest! {
    #[test]
    fn zero_margin_is_plain_banding(score in 0u32..=100_000_000, previous in proptest::option::of(band_strategy())) {
        let t = thresholds();
        let s = Points::from_micros(score).unwrap();
        prop_assert_eq!(t.band_with_hysteresis(s, previous, Points::ZERO), t.band(s));
    }

    #[test]
    fn oscillating_within_the_margin_never_changes_band(
        which in 0usize..3,
        margin in 1u32..=5_000_000,
        wobble in proptest::collection::vec(-1.0f64..1.0, 1..40),
        start_above in any::<bool>(),
    ) {
        let t = thresholds();
        let threshold = [80_000_000i64, 60_000_000, 40_000_000][which];
        let m = i64::from(margin);
        // Start strictly on one side of the threshold, within the margin.
        let first = threshold + if start_above { m / 2 } else { -(m / 2) - 1 };
        let band = t.band(Points::from_micros(first as u32).unwrap());
        let mut previous = band;
        for w in wobble {
            // Strictly inside (threshold − m, threshold + m).
            let s = threshold + ((w * (m - 1) as f64) as i64);
            let now = t.band_with_hysteresis(Points::from_micros(s as u32).unwrap(), Some(previous), Points::from_micros(margin).unwrap());
            prop_assert_eq!(now, band);
            previous = now;
        }
    }

    #[test]
    fn hysteresis_band_is_monotone_in_the_score(
        a in 0u32..=100_000_000,
        b in 0u32..=100_000_000,
        margin in 0u32..=10_000_000,
        previous in band_strategy(),
    ) {
        let t = thresholds();
        let (lo, hi) = (a.min(b), a.max(b));
        let m = Points::from_micros(margin).unwrap();
        let band = |x: u32| t.band_with_hysteresis(Points::from_micros(x).unwrap(), Some(previous), m);
        prop_assert!(band(lo) <= band(hi));
        // Never beyond the plain band: between it and the previous band.
        let plain = t.band(Points::from_micros(hi).unwrap());
        prop_assert!(plain.min(previous) <= band(hi) && band(hi) <= plain.max(previous));
    }
}
