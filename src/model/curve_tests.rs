//! Tests of `curve`: each curve kind's scores, its checks and its
//! exact arithmetic.

use super::*;
use rust_decimal_macros::dec;

const RATIO: Domain = Domain {
    min: 0,
    max: 1_000_000,
};

fn compile(cfg: CurveConfig) -> Result<Curve, Vec<ProblemKind>> {
    let mut p = Problems::default();
    Curve::compile(&cfg, RATIO, "ratio", "c", &mut p).ok_or_else(|| {
        p.into_error()
            .problems()
            .iter()
            .map(|x| x.kind.clone())
            .collect()
    })
}

#[test]
fn linear_interpolates_and_clamps() {
    let c = compile(CurveConfig::linear([
        (dec!(0.2), dec!(0)),
        (dec!(0.6), dec!(100)),
    ]))
    .unwrap();
    assert_eq!(c.eval(0), Some(0));
    assert_eq!(c.eval(200_000), Some(0));
    assert_eq!(c.eval(400_000), Some(50_000_000));
    assert_eq!(c.eval(300_000), Some(25_000_000));
    assert_eq!(c.eval(1_000_000), Some(100_000_000));
    assert!(c.is_increasing());
}

#[test]
fn interpolation_rounds_half_up() {
    // 0..3 → 0..1 point: value 1 is 1/3 point = 333_333.33 → 333_333.
    let c = compile(CurveConfig::linear([
        (dec!(0), dec!(0)),
        (dec!(0.000003), dec!(1)),
    ]))
    .unwrap();
    assert_eq!(c.eval(1), Some(333_333));
    assert_eq!(c.eval(2), Some(666_667));
}

#[test]
fn decreasing_curve() {
    let c = compile(CurveConfig::linear([
        (dec!(0), dec!(100)),
        (dec!(0.5), dec!(0)),
    ]))
    .unwrap();
    assert_eq!(c.eval(0), Some(100_000_000));
    assert_eq!(c.eval(125_000), Some(75_000_000));
    assert_eq!(c.eval(900_000), Some(0));
    assert!(!c.is_increasing());
}

#[test]
fn bounded_outside_is_none() {
    let c = compile(CurveConfig::bounded([
        (dec!(0.1), dec!(20)),
        (dec!(0.9), dec!(100)),
    ]))
    .unwrap();
    assert_eq!(c.eval(99_999), None);
    assert_eq!(c.eval(100_000), Some(20_000_000));
    assert_eq!(c.eval(900_000), Some(100_000_000));
    assert_eq!(c.eval(900_001), None);
}

#[test]
fn steps_take_the_reached_step() {
    let c = compile(CurveConfig::steps(
        dec!(10),
        [(dec!(0.5), dec!(60)), (dec!(0.8), dec!(100))],
    ))
    .unwrap();
    assert_eq!(c.eval(0), Some(10_000_000));
    assert_eq!(c.eval(499_999), Some(10_000_000));
    assert_eq!(c.eval(500_000), Some(60_000_000));
    assert_eq!(c.eval(800_000), Some(100_000_000));
}

#[test]
fn rejects_bad_curves() {
    let unsorted = CurveConfig::linear([
        (dec!(0.5), dec!(0)),
        (dec!(0.6), dec!(50)),
        (dec!(0.4), dec!(100)),
    ]);
    assert_eq!(
        compile(unsorted).unwrap_err(),
        vec![ProblemKind::BreakpointsNotSorted(2)]
    );
    let zigzag = CurveConfig::linear([
        (dec!(0.1), dec!(0)),
        (dec!(0.2), dec!(50)),
        (dec!(0.3), dec!(40)),
    ]);
    assert_eq!(
        compile(zigzag).unwrap_err(),
        vec![ProblemKind::NotMonotonic(2)]
    );
    let steps = CurveConfig::steps(dec!(50), [(dec!(0.5), dec!(40)), (dec!(0.8), dec!(100))]);
    assert_eq!(
        compile(steps).unwrap_err(),
        vec![ProblemKind::NotMonotonic(1)]
    );
    let short = CurveConfig::linear([(dec!(0.5), dec!(0))]);
    assert_eq!(
        compile(short).unwrap_err(),
        vec![ProblemKind::TooFewBreakpoints(2)]
    );
    let high = CurveConfig::linear([(dec!(0), dec!(0)), (dec!(1), dec!(120))]);
    assert_eq!(
        compile(high).unwrap_err(),
        vec![ProblemKind::ScoreOutOfRange("120".into(), 1)]
    );
    let outside = CurveConfig::linear([(dec!(0), dec!(0)), (dec!(5), dec!(100))]);
    assert!(matches!(
        compile(outside).unwrap_err()[0],
        ProblemKind::OutsideKindRange { index: 1, .. }
    ));
}

#[test]
fn long_curves_agree_with_the_branch_free_count_and_are_capped() {
    for len in [0usize, 1, 16, 17, 100, 4096] {
        let xs: Vec<i64> = (0..len as i64).map(|i| i * 7 - 300).collect();
        for x in [-1000, -300, -299, 0, 6, 7, 1000, 30_000] {
            let brute = xs.iter().filter(|&&b| b <= x).count();
            assert_eq!(super::count_at_or_below(&xs, x), brute, "len {len} x {x}");
        }
    }
    // A 4,096-point curve scores like its formula; 4,097 points are refused.
    // x = i / 10,000 (within a ratio), score ⌊100·i / 4096⌋ (rising).
    let points = |n: i64| {
        (0..n)
            .map(|i| (Decimal::new(i, 4), Decimal::from(i * 100 / 4096)))
            .collect::<Vec<_>>()
    };
    let curve = compile(CurveConfig::Linear {
        points: points(4096),
    })
    .unwrap();
    assert_eq!(curve.eval(204_800), Some(50_000_000)); // x = 0.2048, breakpoint 2048
    assert_eq!(curve.eval(409_500), Some(99_000_000)); // the last breakpoint
    let err = compile(CurveConfig::Linear {
        points: points(4097),
    })
    .unwrap_err();
    assert_eq!(
        err,
        vec![ProblemKind::TooMany {
            count: 4097,
            max: super::MAX_BREAKPOINTS
        }]
    );
}
