use super::super::tests::{config, curve, micros, probes};
use super::super::{CardProgram, Inline, MetricProgram, Step, Sums};
use super::*;
use crate::dimension::Dimension;
use crate::metric::MetricKind;
use crate::model::{
    BandsConfig, CurveConfig, MetricConfig, MissingPolicy, Model, ModelConfig, ScorecardConfig,
    SegmentsConfig, Tier,
};
use crate::score::compute::{self, compute};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A lane's arithmetic for one value, written with `f64::mul_add` (the
/// same fused multiply-add as the vector loop), on any CPU.
fn lane_score(curve: &Inline, x: i64) -> Option<u32> {
    let x = x.max(curve.lo).min(curve.hi);
    let k = curve.starts.iter().filter(|s| x >= **s).count();
    let p = lane_piece(curve, k)?;
    let n = p.alpha.mul_add(x as f64, p.beta);
    Some((n * p.inv).floor() as u32)
}

fn program(cfg: &CurveConfig) -> MetricProgram {
    MetricProgram {
        curve: Inline::of(&curve(cfg)),
        missing: 0,
        imputes: false,
    }
}

/// The scalar loop's sums (`plain` false: no shortcut it could share with
/// the lanes).
fn scalar(steps: &[Step], programs: &[MetricProgram], slots: &[Slot]) -> Sums {
    let card = CardProgram {
        steps: steps.into(),
        narrow: true,
        lean: None,
        plain: false,
        lanes: None,
    };
    card.sums::<true, false>(programs, &[], slots)
}

/// A model's configuration with one segment.
fn one_segment(name: &str) -> ModelConfig {
    ModelConfig::new(name, "1").segments(SegmentsConfig {
        mrr_tiers: vec![Tier::new("any", Decimal::ZERO, None)],
        size_tiers: vec![Tier::new("any", 0, None)],
        stages: vec![],
    })
}

fn linear(points: &[(i64, i64)]) -> CurveConfig {
    CurveConfig::linear(
        points
            .iter()
            .map(|(x, y)| (Decimal::from(*x), Decimal::from(*y))),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every piece a lane takes scores every value that selects it as the
    /// inline curve does; and curves within ±10⁶ millionths always fit.
    #[test]
    fn lane_pieces_score_as_the_inline_curve(cfg in config(), extra in any::<i64>()) {
        let c = curve(&cfg);
        let Some(inline) = Inline::of(&c) else { return Ok(()) };
        let small = c.breakpoints().iter().all(|x| x.unsigned_abs() <= 1_000_000);
        let fits = (0..PIECES).all(|k| lane_piece(&inline, k).is_some());
        prop_assert!(fits || !small, "{:?} not taken", cfg);
        for x in probes(&c, extra) {
            let (want, inside) = inline.score(x);
            if let (Some(got), true) = (lane_score(&inline, x), inside) {
                prop_assert_eq!(got, want, "{:?} at {}", cfg, x);
            }
        }
    }

    /// With each lane loop the CPU has, a scorecard's lanes give the scalar loop's sums for
    /// any slots: present, stale or missing, at and past the curves' ends.
    #[test]
    fn lanes_sum_as_the_scalar_loop(
        cfgs in proptest::collection::vec(config(), 1..=16),
        dims in proptest::collection::vec(0usize..4, 16),
        weights in proptest::collection::vec(prop_oneof![0u64..4, 1u64..1_000, Just((1 << 32) - 1)], 16),
        values in proptest::collection::vec(prop_oneof![any::<i64>(), -3_000_000i64..3_000_000], 16),
        tags in proptest::collection::vec(0u8..4, 16),
        skip in 0usize..16,
        imputed in proptest::collection::vec(
            proptest::option::of(prop_oneof![Just(0u32), Just(50_000_000), 0u32..=100_000_000]),
            16,
        ),
    ) {
        if !detected() {
            return Ok(());
        }
        // Some metrics impute a score for a missing or stale value.
        let programs: Vec<_> = cfgs
            .iter()
            .zip(&imputed)
            .map(|(cfg, imputed)| MetricProgram {
                missing: imputed.unwrap_or(0),
                imputes: imputed.is_some(),
                ..program(cfg)
            })
            .collect();
        // Every metric the lanes take but `skip`, in model order, at most
        // four to a dimension (the rest are slots no step reads).
        let takes = |p: &MetricProgram| {
            p.curve.is_some_and(|c| {
                c.in_lo == i64::MIN
                    && c.in_hi == i64::MAX
                    && (0..PIECES).all(|k| lane_piece(&c, k).is_some())
            })
        };
        let mut used = [0; 4];
        let mut steps = Vec::new();
        for (m, p) in programs.iter().enumerate() {
            let Some(dim) = (0..4).map(|k| (dims[m] + k) % 4).find(|d| used[*d] < 4) else {
                continue;
            };
            if m != skip && takes(p) {
                used[dim] += 1;
                steps.push(Step { metric: m, dim, weight: weights[m] });
            }
        }
        let slots: Vec<_> = (0..programs.len())
            .map(|m| match tags[m] {
                0 => Slot::EMPTY,
                1 => Slot::new(values[m], m, true),
                _ => Slot::new(values[m], m, false),
            })
            .collect();
        let lanes = Lanes::build(&steps, &programs).expect("every step fits");
        let want = scalar(&steps, &programs, &slots);
        for isa in variants() {
            let got = lanes.with(isa).sums(&slots).map(|s| (s.sum, s.wsum, s.data));
            prop_assert_eq!(got, Some((want.sum, want.wsum, want.data)), "{:?}", isa);
        }
    }
}

#[test]
fn a_hand_computed_account_in_lanes() {
    if !detected() {
        eprintln!("no AVX-512 or AVX2 here: the lanes are not built");
        return;
    }
    for isa in variants() {
        hand_computed_sums(isa);
    }
}

/// [`a_hand_computed_account_in_lanes`] with `isa`'s loop.
fn hand_computed_sums(isa: (Isa, bool)) {
    // Two deployment metrics and one ROI metric, weights 1, 2 and 3.
    let programs = [
        program(&linear(&[(0, 0), (1, 100)])),
        program(&linear(&[(0, 100), (10, 0)])),
        program(&linear(&[(0, 0), (3, 50), (9, 100)])),
    ];
    let steps = [
        Step {
            metric: 0,
            dim: 0,
            weight: 1,
        },
        Step {
            metric: 1,
            dim: 0,
            weight: 2,
        },
        Step {
            metric: 2,
            dim: 3,
            weight: 3,
        },
    ];
    let lanes = Lanes::build(&steps, &programs)
        .expect("fits the lanes")
        .with(isa);
    // 0.25 → 25; 4 → 60; 6 → 50 + 25 = 75 (points, in millionths).
    let slots = [
        Slot::new(250_000, 0, false),
        Slot::new(4_000_000, 1, false),
        Slot::new(6_000_000, 2, false),
    ];
    let sums = lanes.sums(&slots).expect("the model's slots");
    assert_eq!(sums.sum, [145_000_000, 0, 0, 225_000_000]);
    assert_eq!(sums.wsum, [3, 0, 0, 3]);
    assert_eq!(sums.data, [3, 0, 0, 3]);
    // Stale and missing values count for nothing; past the ends, clamped.
    let slots = [
        Slot::new(250_000, 0, true),
        Slot::EMPTY,
        Slot::new(-5, 2, false),
    ];
    let sums = lanes.sums(&slots).expect("the model's slots");
    assert_eq!((sums.sum, sums.wsum), ([0; 4], [0, 0, 0, 3]));
    // Slots of another model: the scalar loop's.
    assert!(lanes.sums(&slots[..2]).is_none());
}

#[test]
fn scorecards_the_lanes_leave_to_the_scalar_loop() {
    let plain = program(&linear(&[(0, 0), (1, 100)]));
    let step = |metric: usize, dim: usize, weight: u64| Step {
        metric,
        dim,
        weight,
    };
    let five: Vec<_> = (0..5).map(|m| step(m, 1, 1)).collect();
    let programs = vec![plain.clone(); 5];
    assert!(
        Lanes::build(&five, &programs).is_none(),
        "five in a dimension"
    );
    assert!(Lanes::build(&five[..4], &programs).is_some(), "four fit");
    let heavy = [step(0, 0, 1 << 32)];
    assert!(Lanes::build(&heavy, &programs).is_none(), "a weight of 2³²");
    let imputing = MetricProgram {
        imputes: true,
        missing: 50_000_000,
        ..plain.clone()
    };
    assert!(
        Lanes::build(&[step(0, 0, 1)], &[imputing]).is_some(),
        "imputing: taken"
    );
    let bounded = program(&CurveConfig::bounded([
        (Decimal::ZERO, Decimal::ZERO),
        (Decimal::ONE, Decimal::from(100)),
    ]));
    assert!(
        Lanes::build(&[step(0, 0, 1)], &[bounded]).is_none(),
        "bounded"
    );
    let seventeen = vec![plain.clone(); 17];
    assert!(
        Lanes::build(&[step(0, 0, 1)], &seventeen).is_none(),
        "17 metrics"
    );
    // A coprime slope across 10⁸ millionths: d = 10⁸ > 2²².
    let wide = program(&CurveConfig::linear([
        (micros(0), micros(1)),
        (micros(100_000_000), Decimal::from(100)),
    ]));
    assert!(
        Lanes::build(&[step(0, 0, 1)], &[wide]).is_none(),
        "d past 2²²"
    );
}

/// A curve the lanes take: `cfg` when they do (a bounded curve made
/// unbounded first), else a plain one.
fn lane_curve(cfg: CurveConfig) -> CurveConfig {
    let cfg = match cfg {
        CurveConfig::Bounded { points } => CurveConfig::Linear { points },
        other => other,
    };
    let fits = Inline::of(&curve(&cfg))
        .is_some_and(|c| c.in_lo == i64::MIN && (0..PIECES).all(|k| lane_piece(&c, k).is_some()));
    if fits {
        cfg
    } else {
        linear(&[(0, 0), (1, 100)])
    }
}

/// Models of one scorecard the lanes take whole (up to four metrics a
/// dimension, curves they take) unless `heavy`, when the metric weights
/// are large and coprime, past what the lanes finish, or a dimension's
/// worst metric wins (a third of them).
fn lane_model() -> impl Strategy<Value = Model> {
    (
        proptest::collection::vec((config(), 0usize..4, 1i64..=5, 0u8..4), 1..=16),
        proptest::collection::vec(0i64..=4, 4),
        0i64..=10,
        0i64..=3,
        any::<bool>(),
        0usize..12,
    )
        .prop_filter_map(
            "compiles",
            |(metrics, dim_weights, coverage, margin, heavy, worst)| {
                let mut used = [0; 4];
                let mut config = one_segment("lanes");
                for (i, (cfg, dim, weight, policy)) in metrics.into_iter().enumerate() {
                    let dim = (0..4).map(|k| (dim + k) % 4).find(|d| used[*d] < 4)?;
                    used[dim] += 1;
                    let weight = if heavy { 999_990 + i as i64 } else { weight };
                    let m = MetricConfig::new(
                        format!("m{i}"),
                        Dimension::ALL[dim],
                        MetricKind::Money,
                        lane_curve(cfg),
                    )
                    .weight(Decimal::from(weight))
                    .missing(match policy {
                        0 | 1 => MissingPolicy::Exclude,
                        2 => MissingPolicy::Worst,
                        _ => MissingPolicy::Neutral(Decimal::from(50)),
                    });
                    config = config.metric(m);
                }
                let mut card = ScorecardConfig::new(
                    "c",
                    BandsConfig::new(Decimal::from(75), Decimal::from(55), Decimal::from(35)),
                )
                .min_coverage(Decimal::new(coverage, 1))
                .hysteresis(Decimal::from(margin));
                if let Some(d) = Dimension::ALL.get(worst) {
                    card = card.worst_wins(*d);
                }
                for (d, w) in Dimension::ALL.iter().zip(&dim_weights) {
                    if used[d.index()] > 0 {
                        card = card.dimension_weight(*d, Decimal::new(*w, 1));
                    }
                }
                Model::new(config.scorecard(card)).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Scores finished in lanes are the scalar path's, field by field:
    /// dimension scores and coverages, overall score, coverage and band,
    /// with and without a previous band under hysteresis.
    #[test]
    fn lane_scores_are_the_scalar_scores(
        model in lane_model(),
        slots in proptest::collection::vec(
            (0u8..5, prop_oneof![any::<i64>(), -3_000_000i64..3_000_000, -30i64..30]),
            16,
        ),
        previous in proptest::option::of(0usize..4),
    ) {
        let slots: Vec<_> = slots
            .iter()
            .take(model.metrics.len())
            .enumerate()
            .map(|(m, (tag, value))| match tag {
                0 => Slot::EMPTY,
                1 => Slot::new(*value, m, true),
                _ => Slot::new(*value, m, false),
            })
            .collect();
        let previous = previous.and_then(|b| Band::ALL.get(b).copied());
        let got = compute(&model, 0, &slots, previous);
        prop_assert_eq!(got, compute::scalar(&model, 0, &slots, previous));
        let card = &model.cards[0];
        let heavy = card.dim_total.iter().any(|t| *t > 1 << 21);
        let worst = card.worst_wins.iter().any(|w| *w);
        let lanes = model.program.lane_parts(0, card, &slots, previous).is_some();
        prop_assert_eq!(lanes, detected() && !heavy && !worst, "lanes taken: {}", lanes);
        // Every lane loop this CPU has, not only the widest.
        for (isa, parts) in each_isa(&model, &slots, previous) {
            prop_assert_eq!(parts.as_ref(), (!heavy && !worst).then_some(&got), "{:?}", isa);
        }
    }
}

#[test]
fn a_hand_computed_score_in_lanes() {
    // Deployment 0.6 (two metrics, weights 1 and 3), ROI 0.4 (one).
    let metric = |id: &str, dim: Dimension, weight: i64| {
        MetricConfig::new(id, dim, MetricKind::Ratio, linear(&[(0, 0), (1, 100)]))
            .weight(Decimal::from(weight))
    };
    let card = ScorecardConfig::new(
        "c",
        BandsConfig::new(Decimal::from(75), Decimal::from(55), Decimal::from(35)),
    )
    .dimension_weight(Dimension::Deployment, Decimal::new(6, 1))
    .dimension_weight(Dimension::Roi, Decimal::new(4, 1));
    let model = Model::new(
        one_segment("hand")
            .metric(metric("a", Dimension::Deployment, 1))
            .metric(metric("b", Dimension::Deployment, 3))
            .metric(metric("r", Dimension::Roi, 1))
            .scorecard(card),
    )
    .expect("valid");
    // a = 0.5 → 50, b = 0.8 → 80, r = 0.3 → 30.
    // Deployment (50 + 3·80) / 4 = 72.5; ROI 30;
    // overall 0.6·72.5 + 0.4·30 = 43.5 + 12 = 55.5: lime.
    let slots = [
        Slot::new(500_000, 0, false),
        Slot::new(800_000, 1, false),
        Slot::new(300_000, 2, false),
    ];
    let parts = compute(&model, 0, &slots, None);
    let micros = |p: Option<crate::points::Points>| p.map(|p| p.micros());
    assert_eq!(micros(parts.overall), Some(55_500_000));
    assert_eq!(parts.band, Some(Band::Lime));
    assert_eq!(micros(parts.dims[0].score), Some(72_500_000));
    assert_eq!(micros(parts.dims[3].score), Some(30_000_000));
    assert_eq!(parts.coverage.micros(), 1_000_000);
    // b missing: deployment 50 with coverage 1/4; overall
    // 0.6·50 + 0.4·30 = 42: yellow; coverage 0.6·0.25 + 0.4 = 0.55.
    let slots = [slots[0], Slot::EMPTY, slots[2]];
    let parts = compute(&model, 0, &slots, None);
    assert_eq!(micros(parts.overall), Some(42_000_000));
    assert_eq!(parts.band, Some(Band::Yellow));
    assert_eq!(parts.dims[0].coverage.micros(), 250_000);
    assert_eq!(parts.coverage.micros(), 550_000);
    // Nothing present: no score, no colour, coverage 0.
    let parts = compute(&model, 0, &[Slot::EMPTY; 3], None);
    assert_eq!(
        (parts.overall, parts.band, parts.coverage.micros()),
        (None, None, 0)
    );
    for slots in [
        &slots[..],
        &[slots[0], Slot::new(800_000, 1, false), slots[2]],
    ] {
        for (isa, parts) in each_isa(&model, slots, None) {
            assert_eq!(
                parts,
                Some(compute::scalar(&model, 0, slots, None)),
                "{isa:?}"
            );
        }
    }
    if detected() {
        let card = &model.cards[0];
        assert!(
            model.program.lane_parts(0, card, &slots, None).is_some(),
            "in lanes"
        );
        // A program's Debug names its lanes without their tables.
        let shown = format!("{:?}", model.program);
        let lanes = &shown[shown.find("Lanes {").expect("shown")..];
        let lanes = &lanes[..lanes.find(" }").expect("closed") + 2];
        assert_eq!(
            lanes,
            "Lanes { metrics: 3, weights: [[1, 3, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0]], \
             piece_starts: 0, finishes: true, .. }"
        );
    }
}

#[test]
fn imputed_scores_shape_a_score_in_lanes_but_alone_give_no_colour() {
    // Two adoption metrics: `a` imputes 50 points when missing, `b` does
    // not impute; weights 1 each, adoption the only dimension.
    let metric = |id: &str, missing: MissingPolicy| {
        MetricConfig::new(
            id,
            Dimension::Adoption,
            MetricKind::Ratio,
            linear(&[(0, 0), (1, 100)]),
        )
        .missing(missing)
    };
    let card = ScorecardConfig::new(
        "c",
        BandsConfig::new(Decimal::from(75), Decimal::from(55), Decimal::from(35)),
    )
    .dimension_weight(Dimension::Adoption, Decimal::ONE);
    let model = Model::new(
        one_segment("imputing")
            .metric(metric("a", MissingPolicy::Neutral(Decimal::from(50))))
            .metric(metric("b", MissingPolicy::Exclude))
            .scorecard(card),
    )
    .expect("valid");
    let micros = |p: Option<crate::points::Points>| p.map(|p| p.micros());
    // b = 0.9 → 90, a missing → 50: (50 + 90) / 2 = 70, coverage 1/2: lime.
    let slots = [Slot::EMPTY, Slot::new(900_000, 0, false)];
    let parts = compute(&model, 0, &slots, None);
    assert_eq!(micros(parts.overall), Some(70_000_000));
    assert_eq!(
        (parts.band, parts.coverage.micros()),
        (Some(Band::Lime), 500_000)
    );
    // b stale, a missing: only the imputed 50 is left. No data, no colour.
    let slots = [Slot::EMPTY, Slot::new(900_000, 0, true)];
    let parts = compute(&model, 0, &slots, None);
    assert_eq!(
        (parts.overall, parts.band, parts.coverage.micros()),
        (None, None, 0)
    );
    assert_eq!(parts.dims[2].score, None);
    assert_eq!(parts, compute::scalar(&model, 0, &slots, None));
    for slots in [&slots, &[Slot::EMPTY, Slot::new(900_000, 0, false)]] {
        for (isa, parts) in each_isa(&model, slots, None) {
            assert_eq!(
                parts,
                Some(compute::scalar(&model, 0, slots, None)),
                "{isa:?}"
            );
        }
    }
    if detected() {
        let card = &model.cards[0];
        assert!(
            model.program.lane_parts(0, card, &slots, None).is_some(),
            "in lanes"
        );
    }
}

/// Scorecard 0's score of `slots` by each lane loop this CPU has (none:
/// the scorecard has no lanes, or they do not finish it).
fn each_isa(
    model: &Model,
    slots: &[Slot],
    previous: Option<Band>,
) -> Vec<((Isa, bool), Option<Parts>)> {
    let (Some(card), Some(program)) = (model.cards.first(), model.program.cards.first()) else {
        return Vec::new();
    };
    let Some(lanes) = program.lanes.as_ref() else {
        return Vec::new();
    };
    variants()
        .into_iter()
        .map(|isa| (isa, lanes.with(isa).parts(card, slots, previous)))
        .collect()
}
