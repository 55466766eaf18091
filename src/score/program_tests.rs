use super::*;
use crate::curve::Curve;
use crate::error::Problems;
use crate::metric::Domain;
use crate::model::CurveConfig;
use crate::points::{MAX_MAGNITUDE, MICRO};
use proptest::prelude::*;
use rust_decimal::Decimal;

const FULL: Domain = Domain {
    min: -MAX_MAGNITUDE * MICRO,
    max: MAX_MAGNITUDE * MICRO,
};

pub(super) fn curve(cfg: &CurveConfig) -> Curve {
    let mut problems = Problems::default();
    Curve::compile(cfg, FULL, "money", "c", &mut problems)
        .unwrap_or_else(|| panic!("{cfg:?}: {:?}", problems.into_error()))
}

pub(super) fn micros(v: i64) -> Decimal {
    Decimal::new(v, 6)
}

/// Breakpoint values: strictly rising millionths at one of three scales
/// (a ratio's, a count's, a money amount's up to the largest allowed).
fn xs(n: usize) -> impl Strategy<Value = Vec<i64>> {
    (
        prop_oneof![
            Just(10i64),
            Just(1_000_000),
            Just(MAX_MAGNITUDE * MICRO / 8)
        ],
        -1i64..=1,
    )
        .prop_flat_map(move |(scale, shift)| {
            proptest::collection::vec(1..=scale, n).prop_map(move |gaps| {
                let mut x = shift * scale;
                gaps.iter()
                    .map(|g| {
                        x += g;
                        x
                    })
                    .collect()
            })
        })
}

/// Scores in millionths: rising, falling, or (`turn`) rising then falling.
fn ys(n: usize, turn: bool) -> impl Strategy<Value = Vec<i64>> {
    (
        proptest::collection::vec(0i64..=100_000_000, n),
        any::<bool>(),
    )
        .prop_map(move |(mut ys, falling)| {
            ys.sort_unstable();
            if turn {
                let half = ys.split_off(n / 2);
                ys.extend(half.into_iter().rev());
            } else if falling {
                ys.reverse();
            }
            ys
        })
}

pub(super) fn config() -> impl Strategy<Value = CurveConfig> {
    (1usize..=6, 0u8..4).prop_flat_map(|(n, shape)| {
        let n = if shape == 3 { n } else { n.max(2) };
        (xs(n), ys(n, shape == 2)).prop_map(move |(xs, ys)| {
            let points: Vec<_> = xs
                .iter()
                .zip(&ys)
                .map(|(x, y)| (micros(*x), micros(*y)))
                .collect();
            match shape {
                0 => CurveConfig::Linear { points },
                1 => CurveConfig::Bounded { points },
                2 => CurveConfig::Range { points },
                _ => CurveConfig::Steps {
                    // Below the first step, further the same way.
                    below: micros(match (ys.first(), ys.last()) {
                        (Some(&a), Some(&b)) if a > b => (a + 100_000_000) / 2,
                        (Some(&a), _) => a / 2,
                        _ => 0,
                    }),
                    steps: points,
                },
            }
        })
    })
}

/// Values to try: each breakpoint and its neighbours, the middles, the
/// domain's ends and beyond.
pub(super) fn probes(c: &Curve, extra: i64) -> Vec<i64> {
    let mut v = vec![i64::MIN, i64::MAX, FULL.min, FULL.max, 0, extra];
    for w in c.breakpoints().windows(2) {
        v.push(w[0] + (w[1] - w[0]) / 2);
        v.push(w[0] + (w[1] - w[0]) / 3);
    }
    for &x in c.breakpoints() {
        v.extend([x - 1, x, x + 1]);
    }
    v
}

fn reference(c: &Curve, x: i64) -> (u32, bool) {
    c.eval(x).map_or((0, false), |s| (s, true))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The inline form scores every value as the curve does, and is built
    /// for every curve of up to four pieces with small enough products.
    #[test]
    fn inline_curves_score_as_the_curve(cfg in config(), extra in any::<i64>()) {
        let c = curve(&cfg);
        let Some(inline) = Inline::of(&c) else {
            let pieces = c.step_scores().map_or(c.pieces().count(), <[u32]>::len);
            // Within ±10⁹ millionths, a·(x1 − x0) < 2³¹·2²⁷ fits.
            let small = c.breakpoints().iter().all(|x| x.unsigned_abs() <= 1_000_000_000);
            prop_assert!(pieces > PIECES || !small, "{cfg:?} not inlined");
            return Ok(());
        };
        for x in probes(&c, extra) {
            let (s, inside) = inline.score(x);
            let (want, has) = reference(&c, x);
            prop_assert_eq!(inside, has, "{:?} at {}", cfg, x);
            if has {
                prop_assert_eq!(s, want, "{:?} at {}", cfg, x);
            }
        }
    }
}

#[test]
fn a_hand_computed_falling_piece_rounds_ties_up() {
    // From 100 at 0 to 0 at 8 (millionths): 12.5 points a millionth.
    let c = curve(&CurveConfig::linear([
        (micros(0), Decimal::from(100)),
        (micros(8), Decimal::ZERO),
    ]));
    let inline = Inline::of(&c).expect("two breakpoints inline");
    // x = 3: 100 − 37.5 = 62.5; x = 5: 37.5; x = 1: 87.5 (exact millionths).
    assert_eq!(inline.score(3), (62_500_000, true));
    assert_eq!(inline.score(5), (37_500_000, true));
    assert_eq!(inline.score(-4), (100_000_000, true), "clamped");
    // Thirds: from 0 at 0 to 1 point at 3: x = 1 is 0.333333…, x = 2 is 0.666667.
    let c = curve(&CurveConfig::linear([
        (micros(0), Decimal::ZERO),
        (micros(3), micros(1)),
    ]));
    let inline = Inline::of(&c).expect("inline");
    assert_eq!(inline.score(1), (0, true), "1/3 millionth rounds down");
    assert_eq!(inline.score(2), (1, true), "2/3 millionth rounds up");
    // Half a millionth rounds up: 0 → 1 over 2.
    let c = curve(&CurveConfig::linear([
        (micros(0), Decimal::ZERO),
        (micros(2), micros(1)),
    ]));
    assert_eq!(Inline::of(&c).map(|i| i.score(1)), Some((1, true)));
}

#[test]
fn bounded_steps_and_long_curves() {
    let c = curve(&CurveConfig::bounded([
        (Decimal::from(1), Decimal::ZERO),
        (Decimal::from(3), Decimal::from(100)),
    ]));
    let inline = Inline::of(&c).expect("inline");
    assert_eq!(inline.score(2 * MICRO), (50_000_000, true));
    assert!(
        !inline.score(MICRO - 1).1 && !inline.score(3 * MICRO + 1).1,
        "outside: no score"
    );
    let c = curve(&CurveConfig::steps(10, [(1, 50), (3, 100)]));
    let inline = Inline::of(&c).expect("inline");
    let at = |x: i64| inline.score(x).0 / 1_000_000;
    assert_eq!(
        [
            at(i64::MIN),
            at(MICRO - 1),
            at(MICRO),
            at(3 * MICRO),
            at(i64::MAX)
        ],
        [10, 10, 50, 100, 100]
    );
    // Coprime slope: a reciprocal with its correction step, still exact.
    let c = curve(&CurveConfig::bounded([
        (micros(1), micros(11)),
        (micros(10_000_000), micros(100_000_000)),
    ]));
    let inline = Inline::of(&c).expect("inline");
    assert!(!inline.exact);
    for x in [1, 2, 3_000_000, 5_000_000, 5_000_001, 9_999_999, 10_000_000] {
        assert_eq!(
            inline.score(x),
            (c.eval(x).expect("inside"), true),
            "at {x}"
        );
    }
    let c = curve(&CurveConfig::linear([
        (micros(0), Decimal::ZERO),
        (Decimal::from(3), Decimal::from(50)),
    ]));
    assert!(
        Inline::of(&c).is_some_and(|i| i.exact),
        "round numbers: exact reciprocals"
    );
    // Five pieces: left to the curve.
    let c = curve(&CurveConfig::linear((0..6).map(|i| (i, i * 10))));
    assert_eq!(Inline::of(&c), None);
    // A slope whose products pass 2⁶³ (10¹⁸ millionths across, 99.999999 points up): left too.
    let c = curve(&CurveConfig::linear([
        (micros(0), micros(1)),
        (micros(MAX_MAGNITUDE * MICRO), Decimal::from(100)),
    ]));
    assert_eq!(Inline::of(&c), None);
}
