//! Invariants of the scoring rules, checked on generated inputs.

mod common;
use common::*;
use healthscore::strategy;
use healthscore::{model::*, score::*, *};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn bundled() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::new(bundled_config()).expect("bundled model is valid"))
}

/// An account of the bundled model, from the crate's own strategy.
fn bundled_account() -> impl Strategy<Value = AccountData> {
    strategy::account(bundled(), day(28))
}

/// The account with its observations in an order drawn from `seed`.
fn shuffled(mut data: AccountData, seed: u64) -> AccountData {
    let n = data.observations.len();
    let mut state = seed | 1;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.observations.swap(i, (state % (i as u64 + 1)) as usize);
    }
    data
}

fn record_json(model: &Model, data: AccountData) -> String {
    let account = model.bind(data).expect("generated accounts are valid");
    serde_json::to_string(&account.score().record()).expect("records serialize")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scores_are_bounded_and_coverage_is_a_share(data in bundled_account()) {
        let account = bundled().bind(data).unwrap();
        let s = account.score();
        let any_dim = Dimension::ALL.iter().any(|d| s.dimension(*d).is_some());
        prop_assert_eq!(s.overall().is_some(), any_dim);
        if let Some(o) = s.overall() {
            prop_assert!(o <= Points::MAX);
            let dims: Vec<Points> = Dimension::ALL.iter().filter_map(|d| s.dimension(*d)).collect();
            // A weighted mean lies between its smallest and largest part.
            prop_assert!(dims.iter().min().unwrap() <= &o && &o <= dims.iter().max().unwrap());
        }
        prop_assert!(s.coverage() <= Share::ONE);
        prop_assert_eq!(s.band().is_some(), s.overall().is_some() && s.coverage() >= s.min_coverage());
    }

    #[test]
    fn contributions_sum_exactly_to_the_score(data in bundled_account()) {
        let account = bundled().bind(data).unwrap();
        let s = account.score();
        let why = s.explain();
        let overall = s.overall().map_or(0, Points::micros);
        let dims: u32 = why.dimensions.iter().map(|d| d.contribution.micros()).sum();
        prop_assert_eq!(dims, overall);
        for d in &why.dimensions {
            let metrics: u32 = why.metrics.iter().filter(|m| m.dimension == d.dimension).map(|m| m.contribution.micros()).sum();
            prop_assert_eq!(metrics, d.contribution.micros(), "dimension {}", d.dimension);
        }
        for m in why.metrics.iter().filter(|m| m.score.is_none()) {
            prop_assert_eq!(m.contribution, Points::ZERO);
        }
    }

    #[test]
    fn scoring_is_deterministic_and_independent_of_observation_order(
        data in bundled_account(),
        seed in any::<u64>(),
    ) {
        let first = record_json(bundled(), data.clone());
        prop_assert_eq!(&first, &record_json(bundled(), data.clone()));
        prop_assert_eq!(first, record_json(bundled(), shuffled(data, seed)));
    }

    /// Values repeated on their own date or an earlier one (an export that
    /// sent a day twice): the account binds or fails alike in any order,
    /// failing exactly when a metric's latest date holds two values.
    #[test]
    fn repeated_dates_bind_or_fail_alike_in_any_order(
        data in bundled_account(),
        repeats in prop::collection::vec((any::<prop::sample::Index>(), 0u64..3), 0..4),
        seed in any::<u64>(),
    ) {
        let mut data = data;
        for (pick, back) in repeats {
            if data.observations.is_empty() {
                break;
            }
            let mut copy = pick.get(&data.observations).clone();
            copy.observed_on = copy.observed_on - chrono::Days::new(back);
            data.observations.push(copy);
        }
        // A tie on a metric's latest date, worked out here from the data.
        let mut latest: std::collections::HashMap<&str, (chrono::NaiveDate, u32)> = Default::default();
        for o in &data.observations {
            let e = latest.entry(o.metric.as_str()).or_insert((o.observed_on, 0));
            if o.observed_on > e.0 {
                *e = (o.observed_on, 1);
            } else if o.observed_on == e.0 {
                e.1 += 1;
            }
        }
        let tied = latest.values().any(|(_, n)| *n > 1);
        let outcome = |d: AccountData| {
            bundled().bind(d).map(|a| serde_json::to_string(&a.score().record()).unwrap()).map_err(|e| {
                let mut problems: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
                problems.sort();
                problems
            })
        };
        let first = outcome(data.clone());
        prop_assert_eq!(first.is_err(), tied, "{:?}", first);
        prop_assert_eq!(first, outcome(shuffled(data, seed)));
    }

    #[test]
    fn raising_an_increasing_metric_never_lowers_the_score(
        data in bundled_account(),
        pick in any::<prop::sample::Index>(),
        raise in 0u32..=1_000_000,
    ) {
        // Bounded curves are left out: a raised value may leave their range
        // and then counts as missing, by design.
        let model = bundled();
        let candidates: Vec<usize> = data.observations.iter().enumerate()
            .filter(|(_, o)| model.is_increasing(&o.metric) == Some(true) && o.metric != "logins_per_user")
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!candidates.is_empty());
        let i = candidates[pick.index(candidates.len())];
        let before = model.bind(data.clone()).unwrap().score().overall();
        let mut higher = data;
        let obs = &mut higher.observations[i];
        let frac = Decimal::new(i64::from(raise), 6);
        let kind = model.metric(&obs.metric).map(|m| m.1.clone());
        obs.value = match (kind, obs.value) {
            (_, Value::Flag(b)) => Value::Flag(b || raise % 2 == 0),
            (Some(MetricKind::Ratio), Value::Exact(d)) => Value::Exact((d + frac).min(Decimal::ONE)),
            (Some(MetricKind::Nps), Value::Exact(d)) => Value::Exact((d + frac * Decimal::from(50)).min(Decimal::from(100))),
            (Some(MetricKind::Csat { max, .. } | MetricKind::Judgement { max, .. }), Value::Exact(d)) => Value::Exact((d + frac).min(max)),
            (_, Value::Exact(d)) => Value::Exact(d + Decimal::from(raise)),
            (_, other) => other,
        };
        let after = model.bind(higher).unwrap().score().overall();
        prop_assert!(after >= before, "{after:?} < {before:?}");
    }

    #[test]
    fn missing_weight_is_redistributed_as_if_the_metric_were_not_configured(data in bundled_account()) {
        // Excluding a missing metric must give the same overall score as a
        // model in which that metric does not exist at all.
        let config = bundled_config();
        let present: Vec<&str> = data.observations.iter().map(|o| o.metric.as_str()).collect();
        let gone: Vec<String> = config.metrics.iter()
            .filter(|m| m.missing == MissingPolicy::Exclude && !present.contains(&m.id.as_str()))
            .map(|m| m.id.clone())
            .collect();
        prop_assume!(!gone.is_empty());
        let mut reduced = config.clone();
        reduced.metrics.retain(|m| !gone.contains(&m.id));
        for card in &mut reduced.scorecards {
            card.metric_weights.retain(|id, _| !gone.contains(id));
            for d in Dimension::ALL {
                let weighted = reduced.metrics.iter().any(|m| {
                    m.dimension == d && card.metric_weights.get(&m.id).map_or(!m.weight.is_zero(), |w| !w.is_zero())
                });
                if !weighted {
                    card.dimension_weights.insert(d, Decimal::ZERO);
                }
            }
        }
        let Ok(reduced) = Model::new(reduced) else {
            return Err(TestCaseError::reject("every dimension lost its metrics"));
        };
        let full = bundled().bind(data.clone()).unwrap();
        let small = reduced.bind(data).unwrap();
        prop_assert_eq!(full.score().overall(), small.score().overall());
        for d in Dimension::ALL {
            prop_assert_eq!(full.score().dimension(d), small.score().dimension(d));
        }
    }

    #[test]
    fn monotonic_curves_give_monotonic_scores(
        xs in proptest::collection::btree_set(0u32..=1_000_000, 2..6),
        ys in proptest::collection::vec(0u32..=100, 6),
        increasing in any::<bool>(),
        a in 0u32..=1_000_000,
        b in 0u32..=1_000_000,
    ) {
        let mut ys: Vec<u32> = ys.into_iter().take(xs.len()).collect();
        ys.sort_unstable();
        if !increasing { ys.reverse(); }
        let points: Vec<(Decimal, Decimal)> = xs.iter().zip(&ys).map(|(x, y)| (Decimal::new(i64::from(*x), 6), Decimal::from(*y))).collect();
        let mut config = golden_config();
        config.metrics[2].curve = CurveConfig::Linear { points };
        let model = Model::new(config).unwrap();
        let score = |v: u32| {
            let data = account(Decimal::from(5000), &[("weekly_active", f64::from(v) / 1e6)]);
            model.bind(data).unwrap().score().dimension(Dimension::Adoption).unwrap()
        };
        let (lo, hi) = (a.min(b), a.max(b));
        if increasing {
            prop_assert!(score(lo) <= score(hi));
        } else {
            prop_assert!(score(lo) >= score(hi));
        }
    }

    #[test]
    fn json_and_toml_round_trips_compile_to_the_same_model(
        weights in proptest::collection::vec(0u32..=1000, 4),
        green in 61u32..=100,
        lime in 31u32..=60,
        yellow in 1u32..=30,
        precision in 0u32..=6,
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let mut config = bundled_config();
        for card in &mut config.scorecards {
            for (d, w) in Dimension::ALL.iter().zip(&weights) {
                card.dimension_weights.insert(*d, Decimal::new(i64::from(*w), precision));
            }
            card.bands = BandsConfig::new(
                Decimal::new(i64::from(green) * 10i64.pow(precision), precision),
                Decimal::from(lime),
                Decimal::new(i64::from(yellow), 0),
            );
        }
        let model = Model::new(config).unwrap();
        let json = serde_json::to_string(model.config()).unwrap();
        let from_json = Model::new(serde_json::from_str(&json).unwrap()).unwrap();
        prop_assert_eq!(&from_json, &model);
        let toml_text = toml::to_string(model.config()).unwrap();
        let from_toml = Model::new(toml::from_str(&toml_text).unwrap()).unwrap();
        prop_assert_eq!(&from_toml, &model);
    }
}

/// A missing-data policy: exclude, worst, or neutral at any score.
fn any_policy() -> impl Strategy<Value = MissingPolicy> {
    prop_oneof![
        Just(MissingPolicy::Exclude),
        Just(MissingPolicy::Worst),
        (0u32..=100).prop_map(|n| MissingPolicy::Neutral(Decimal::from(n))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// No data, no colour: under any mix of missing policies and with no
    /// minimum coverage, a score or a band implies at least one measured
    /// (observed, fresh, in-range) metric.
    #[test]
    fn a_colour_always_rests_on_measured_data(
        policies in proptest::collection::vec(any_policy(), 13),
        seed in any::<u64>(),
    ) {
        let mut c = bundled_config();
        for (m, p) in c.metrics.iter_mut().zip(policies) {
            m.missing = p;
        }
        c.scorecards.iter_mut().for_each(|card| card.min_coverage = Decimal::ZERO);
        let model = Model::new(c).unwrap();
        let strategy = strategy::account(&model, day(28));
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            Default::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &[seed.to_le_bytes(), seed.to_le_bytes(), [1; 8], [2; 8]].concat(),
            ),
        );
        for _ in 0..50 {
            use proptest::strategy::ValueTree;
            let mut data = strategy.new_tree(&mut runner).unwrap().current();
            if seed % 3 == 0 {
                data.observations.clear(); // also the bare account
            }
            let account = model.bind(data).unwrap();
            let score = account.score();
            let measured = score.explain().metrics.iter().any(|m| m.is_measured());
            prop_assert!(score.band().is_none() || measured, "{score}");
            prop_assert!(score.overall().is_none() || measured, "{score}");
            prop_assert!(!measured || score.coverage().micros() > 0, "{score}");
        }
    }
}
