//! Target-range curves: a value can be too low or too high. Hand-computed
//! goldens, validation, and properties of the new kind (a rise to the
//! target and a fall after it, bounded scores, sides that agree with the
//! values).

mod common;
use common::*;
use healthscore::model::{CurveConfig, ProblemKind, TargetSide};
use healthscore::score::MetricStatus;
use healthscore::{Band, Dimension, Model};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The golden model with `seats` (deployment, ratio) on a target range:
/// 0 → 0, 0.6 → 100, 0.8 → 100, 1 → 40.
fn seats_on_target() -> Model {
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::range([
        (dec!(0), dec!(0)),
        (dec!(0.6), dec!(100)),
        (dec!(0.8), dec!(100)),
        (dec!(1), dec!(40)),
    ]);
    Model::new(c).unwrap()
}

fn seats_score(model: &Model, seats: f64) -> (Option<u32>, Option<TargetSide>) {
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", seats), ("weekly_active", 0.6)],
        ))
        .unwrap();
    let s = a.score();
    let why = s.explain();
    let m = why.metrics.iter().find(|m| m.id == "seats").unwrap();
    (m.score.map(|p| p.micros()), m.side)
}

#[test]
fn a_peak_scores_both_sides_and_says_which() {
    let model = seats_on_target();
    assert_eq!(
        seats_score(&model, 0.3),
        (Some(50_000_000), Some(TargetSide::Below))
    ); // half way up
    assert_eq!(
        seats_score(&model, 0.6),
        (Some(100_000_000), Some(TargetSide::Within))
    );
    assert_eq!(
        seats_score(&model, 0.7),
        (Some(100_000_000), Some(TargetSide::Within))
    );
    assert_eq!(
        seats_score(&model, 0.8),
        (Some(100_000_000), Some(TargetSide::Within))
    );
    assert_eq!(
        seats_score(&model, 0.9),
        (Some(70_000_000), Some(TargetSide::Above))
    ); // 100 − 60·0.1/0.2
    assert_eq!(
        seats_score(&model, 1.0),
        (Some(40_000_000), Some(TargetSide::Above))
    );
    assert_eq!(model.is_increasing("seats"), Some(false));

    // seats 70, adoption 100 (weekly active alone): (0.3·70 + 0.4·100)/0.7 = 87.142857, green.
    let a = model
        .bind(account(
            dec!(2500),
            &[("seats", 0.9), ("weekly_active", 0.6)],
        ))
        .unwrap();
    let s = a.score();
    assert_eq!(micros(s.overall()), Some(87_142_857));
    assert_eq!(s.band(), Some(Band::Green));
    assert_eq!(
        s.dimension(Dimension::Deployment).map(|p| p.micros()),
        Some(70_000_000)
    );
    assert!(
        s.to_string()
            .contains("deployment 70 (seats 0.9, above target) pulls down"),
        "{s}"
    );
    let r = s.record();
    let seats = r.metrics.iter().find(|m| m.id == "seats").unwrap();
    assert_eq!(
        (seats.status, seats.side),
        (MetricStatus::Observed, Some(TargetSide::Above))
    );
    assert!(serde_json::to_string(seats)
        .unwrap()
        .contains(r#""side":"above""#));
}

#[test]
fn a_valley_falls_then_rises() {
    let mut c = golden_config();
    c.metrics[3].curve = CurveConfig::range([
        (dec!(0), dec!(100)),
        (dec!(0.25), dec!(20)),
        (dec!(0.5), dec!(100)),
    ]);
    let model = Model::new(c).unwrap();
    let breadth = |v: f64| {
        let a = model.bind(account(dec!(2500), &[("breadth", v)])).unwrap();
        let why = a.score().explain();
        let m = why
            .metrics
            .iter()
            .find(|m| m.id == "breadth")
            .cloned()
            .unwrap();
        (m.score.map(|p| p.micros()), m.side)
    };
    assert_eq!(breadth(0.125), (Some(60_000_000), Some(TargetSide::Below)));
    assert_eq!(breadth(0.25), (Some(20_000_000), Some(TargetSide::Within)));
    assert_eq!(breadth(0.375), (Some(60_000_000), Some(TargetSide::Above)));
}

#[test]
fn a_range_changes_direction_once_and_linear_never() {
    let zigzag = [
        (dec!(0), dec!(0)),
        (dec!(0.3), dec!(100)),
        (dec!(0.6), dec!(0)),
        (dec!(0.9), dec!(100)),
    ];
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::range(zigzag);
    let err = Model::new(c).unwrap_err();
    assert_eq!(err.problems()[0].path, "metrics[0].curve");
    assert_eq!(err.problems()[0].kind, ProblemKind::NotUnimodal(3));
    assert_eq!(
        err.problems()[0].to_string(),
        "metrics[0].curve: scores change direction again at index 3 (a range curve rises then falls, or falls then rises, once)"
    );
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::linear(zigzag);
    assert_eq!(
        Model::new(c).unwrap_err().problems()[0].kind,
        ProblemKind::NotMonotonic(2)
    );
    // A monotone range is just a line: accepted, with no target.
    let mut c = golden_config();
    c.metrics[0].curve = CurveConfig::range([(dec!(0), dec!(0)), (dec!(1), dec!(100))]);
    let model = Model::new(c).unwrap();
    assert_eq!(seats_score(&model, 0.5), (Some(50_000_000), None));
}

/// A random target range on a ratio: sorted values, scores rising to a peak
/// (or falling to a valley) at `turn`, then the other way.
fn any_range() -> impl Strategy<Value = (Vec<(Decimal, Decimal)>, bool)> {
    (3usize..8, any::<bool>(), any::<u64>()).prop_map(|(n, peak, seed)| {
        let mut x = seed;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut xs: Vec<u64> = (0..n).map(|_| next(1_000_000)).collect();
        xs.sort_unstable();
        xs.dedup();
        let turn = 1 + next(xs.len().saturating_sub(2).max(1) as u64) as usize;
        let mut ys: Vec<u64> = (0..xs.len()).map(|_| next(101)).collect();
        let (left, right) = ys.split_at_mut(turn.min(xs.len()));
        left.sort_unstable();
        right.sort_unstable_by(|a, b| b.cmp(a));
        if !peak {
            ys.iter_mut().for_each(|y| *y = 100 - *y);
        }
        let points = xs
            .into_iter()
            .zip(ys)
            .map(|(x, y)| (Decimal::new(x as i64, 6), Decimal::from(y)))
            .collect();
        (points, peak)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn range_curves_are_unimodal_bounded_and_their_sides_agree(
        (points, peak) in any_range(),
        a in 0u32..=1_000_000,
        b in 0u32..=1_000_000,
    ) {
        let mut c = golden_config();
        c.metrics[0].curve = CurveConfig::Range { points: points.clone() };
        let model = Model::new(c).unwrap();
        let eval = |v: u32| seats_score(&model, f64::from(v) / 1e6);
        let (lo, hi) = (a.min(b), a.max(b));
        let ((s_lo, side_lo), (s_hi, side_hi)) = (eval(lo), eval(hi));
        let (s_lo, s_hi) = (s_lo.unwrap(), s_hi.unwrap());
        let ys: Vec<u32> = points.iter().map(|p| u32::try_from(p.1.mantissa()).unwrap() * 1_000_000).collect();
        let (min, max) = (*ys.iter().min().unwrap(), *ys.iter().max().unwrap());
        prop_assert!((min..=max).contains(&s_lo) && (min..=max).contains(&s_hi));
        // A generated curve whose first side does not move is monotone: a
        // line, with no target and no side.
        prop_assert_eq!(side_lo.is_none(), side_hi.is_none());
        if side_lo.is_none() {
            return Ok(());
        }
        // Toward the target the score never moves away from it; beyond, never toward.
        let toward = |x: u32, y: u32| if peak { x <= y } else { x >= y };
        if side_hi != Some(TargetSide::Above) {
            prop_assert!(toward(s_lo, s_hi), "{s_lo} then {s_hi} before the target");
        }
        if side_lo != Some(TargetSide::Below) {
            prop_assert!(toward(s_hi, s_lo), "{s_lo} then {s_hi} after the target");
        }
        // On target means at the extreme score.
        if side_lo == Some(TargetSide::Within) {
            prop_assert_eq!(s_lo, if peak { max } else { min });
        }
    }
}
