//! Parent and child accounts: hand-computed roll-ups, hierarchy errors,
//! and properties (identical children, MRR counted once, exact shortfalls).

use chrono::NaiveDate;
use healthscore::hierarchy::{Count, HierarchyProblem, RollUps};
use healthscore::model::{RollupConfig, RollupMethod, EXAMPLE_JSON};
use healthscore::{Account, AccountData, Band, Model, ModelConfig, Observation, Points, Score};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

/// The documentation model (bands 80/60/40; only weekly_active observed
/// gives coverage 0.5 = the minimum, and a score of 125 × weekly active),
/// rolling up as `method` with the parent's own score at `own_weight`.
fn model(method: RollupMethod, own_weight: Decimal) -> Model {
    let config: ModelConfig = serde_json::from_str(EXAMPLE_JSON).expect("example parses");
    Model::new(config.rollup(RollupConfig { method, own_weight })).expect("valid model")
}

/// An account scoring `125 × wau` (no observation when `wau` is `None`).
fn acct(id: &str, mrr: Decimal, wau: Option<f64>, parent: Option<&str>) -> AccountData {
    let mut a = AccountData::new(id, mrr, 10, day());
    if let Some(w) = wau {
        a = a.observe(Observation::new("weekly_active", w, day()));
    }
    if let Some(p) = parent {
        a = a.parent(p);
    }
    a
}

fn bind(model: &Model, accounts: Vec<AccountData>) -> Vec<Account<'_>> {
    accounts
        .into_iter()
        .map(|a| model.bind(a).expect("valid account"))
        .collect()
}

fn pts(p: Option<Points>) -> Option<String> {
    p.map(|p| p.to_string())
}

#[test]
fn mrr_weighted_parent_without_own_data() {
    let m = model(RollupMethod::MrrWeighted, dec!(0.5));
    let accounts = bind(
        &m,
        vec![
            acct("group", dec!(0), None, None),
            acct("a", dec!(100), Some(0.32), Some("group")), // 40
            acct("b", dec!(300), Some(0.72), Some("group")), // 90
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let g = r.get("group").unwrap();
    // (40·100 + 90·300) / 400 = 77.5; no own score, so the children alone.
    assert_eq!(pts(g.children_score).as_deref(), Some("77.5"));
    assert_eq!(pts(g.overall).as_deref(), Some("77.5"));
    assert_eq!(g.own, None);
    assert_eq!(g.own_weight.micros(), 0);
    assert_eq!(g.band, Some(Band::Lime));
    assert_eq!(g.branch_mrr, dec!(400));
    // Weights 1/4 and 3/4; shortfall 22.5 = 0.25·60 + 0.75·10 = 15 + 7.5.
    let parts: Vec<(String, u32, u32)> = g
        .children
        .iter()
        .map(|c| (c.id.clone(), c.weight.micros(), c.shortfall.micros()))
        .collect();
    assert_eq!(
        parts,
        vec![
            ("a".into(), 250_000, 15_000_000),
            ("b".into(), 750_000, 7_500_000)
        ]
    );
    assert_eq!(g.pulled_down_by().map(|c| c.id.as_str()), Some("a"));
    assert_eq!(
        g.to_string(),
        "group 77.5 lime: no own score; MRR-weighted mean of 2 children 77.5; a (40.0 yellow) pulls down 15.0 points"
    );
    // A leaf is exactly its own score.
    let a = r.get("a").unwrap();
    assert_eq!(pts(a.overall), pts(scores[1].overall()));
    assert_eq!(a.band, scores[1].band());
    assert_eq!(a.parent.as_deref(), Some("group"));
    assert_eq!(a.depth, 1);
}

#[test]
fn worst_child_with_own_score() {
    let m = model(RollupMethod::Worst, dec!(0.25));
    let accounts = bind(
        &m,
        vec![
            acct("a", dec!(100), Some(0.72), Some("group")), // 90
            acct("group", dec!(50), Some(0.8), None),        // 100
            acct("b", dec!(300), Some(0.32), Some("group")), // 40
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let g = r.get("group").unwrap();
    // 0.25·100 + 0.75·40 = 55: yellow.
    assert_eq!(pts(g.overall).as_deref(), Some("55"));
    assert_eq!(g.band, Some(Band::Yellow));
    assert_eq!(g.own_shortfall, Points::ZERO);
    let b = g.children.iter().find(|c| c.id == "b").unwrap();
    assert_eq!(b.shortfall.to_string(), "45");
    assert_eq!(b.weight.micros(), 1_000_000);
    assert_eq!(
        g.children
            .iter()
            .find(|c| c.id == "a")
            .unwrap()
            .weight
            .micros(),
        0
    );
    // Input order is kept.
    let ids: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["a", "group", "b"]);
}

#[test]
fn three_levels_roll_up_deepest_first_and_weigh_branches() {
    // region = 0.5·60 + 0.5·80 = 70; group (no data) over region (branch
    // MRR 100 + 100) and b (MRR 600): (70·200 + 20·600) / 800 = 32.5.
    let m = model(RollupMethod::MrrWeighted, dec!(0.5));
    let accounts = bind(
        &m,
        vec![
            acct("leaf", dec!(100), Some(0.64), Some("region")), // 80
            acct("group", dec!(0), None, None),
            acct("b", dec!(600), Some(0.16), Some("group")), // 20
            acct("region", dec!(100), Some(0.48), Some("group")), // 60
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    assert_eq!(pts(r.get("region").unwrap().overall).as_deref(), Some("70"));
    let g = r.get("group").unwrap();
    assert_eq!(pts(g.overall).as_deref(), Some("32.5"));
    assert_eq!(g.branch_mrr, dec!(800));
    assert_eq!(r.get("leaf").unwrap().depth, 2);
    // Mean instead: (70 + 20) / 2 = 45.
    let m = model(RollupMethod::Mean, dec!(0.5));
    let accounts: Vec<Account<'_>> = accounts
        .iter()
        .map(|a| m.bind(a.data().clone()).unwrap())
        .collect();
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    assert_eq!(pts(r.get("group").unwrap().overall).as_deref(), Some("45"));
}

#[test]
fn mean_rounds_half_up_to_the_millionth_and_unscored_children_lower_coverage() {
    let m = model(RollupMethod::Mean, dec!(0.5));
    let accounts = bind(
        &m,
        vec![
            acct("p", dec!(0), None, None),
            acct("a", dec!(1), Some(0.4), Some("p")), // 50
            acct("b", dec!(1), Some(0.4), Some("p")), // 50
            acct("c", dec!(1), Some(0.5), Some("p")), // 62.5
            acct("d", dec!(1), None, Some("p")),      // no data
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let p = r.get("p").unwrap();
    // 162.5 / 3 = 54.1666…, rounded half up to 54.166667.
    assert_eq!(pts(p.overall).as_deref(), Some("54.166667"));
    assert_eq!(p.children_scored, 3);
    assert_eq!(p.coverage().map(|c| c.micros()), Some(750_000));
    assert_eq!(
        p.unscored().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["d"]
    );
    assert!(p.to_string().ends_with("; no score from d"), "{p}");
    assert!(
        p.to_string()
            .contains(": no own score; mean of 3 of 4 children 54.1; "),
        "{p}"
    );
    // A parent with neither own data nor scored children has no score.
    let accounts = bind(
        &m,
        vec![
            acct("q", dec!(0), None, None),
            acct("e", dec!(1), None, Some("q")),
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let q = r.get("q").unwrap();
    assert_eq!((q.overall, q.band), (None, None));
    assert_eq!(
        q.to_string(),
        "q no score: no own score; no child has a score; no score from e"
    );
    // One child, scored: "1 child".
    let accounts = bind(
        &m,
        vec![
            acct("q", dec!(0), None, None),
            acct("e", dec!(1), Some(0.4), Some("q")),
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let q = r.get("q").unwrap().to_string();
    assert!(q.contains("; mean of 1 child 50.0"), "{q}");
}

#[test]
fn parent_band_uses_its_own_hysteresis() {
    let mut config: ModelConfig = serde_json::from_str(EXAMPLE_JSON).unwrap();
    config.scorecards[0].hysteresis = dec!(3);
    let m = Model::new(config).unwrap();
    // Children 79 and 79 → 79: green held by the margin (79 ≥ 80 − 3).
    let accounts = bind(
        &m,
        vec![
            acct("p", dec!(0), None, None).previous_band(Band::Green),
            acct("a", dec!(1), Some(0.632), Some("p")),
            acct("b", dec!(1), Some(0.632), Some("p")),
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    assert_eq!(pts(r.get("p").unwrap().overall).as_deref(), Some("79"));
    assert_eq!(r.get("p").unwrap().band, Some(Band::Green));
    assert_eq!(r.get("a").unwrap().band, Some(Band::Lime));
}

#[test]
fn every_hierarchy_problem_is_reported() {
    let m = model(RollupMethod::Mean, dec!(0.5));
    let mut other: ModelConfig = serde_json::from_str(EXAMPLE_JSON).unwrap();
    other.version = "2".into();
    let other = Model::new(other).unwrap();
    let mut accounts = bind(
        &m,
        vec![
            acct("p", dec!(0), None, None),
            acct("orphan", dec!(1), None, Some("nobody")),
            acct("x", dec!(1), None, Some("y")),
            acct("y", dec!(1), None, Some("x")),
            acct("self", dec!(1), None, Some("self")),
            acct("dup", dec!(1), None, None),
            acct("dup", dec!(1), None, None),
        ],
    );
    accounts.push(
        other
            .bind(acct("foreign", dec!(1), None, Some("p")))
            .unwrap(),
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let e = RollUps::new(&scores).unwrap_err();
    let kinds: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert_eq!(kinds[0], "account \"dup\" appears more than once");
    assert_eq!(
        kinds[1],
        "account \"orphan\": parent \"nobody\" is not among the accounts"
    );
    assert!(
        kinds[2].starts_with("account \"foreign\" is scored by example 2 (")
            && kinds[2].contains("its parent \"p\" by example 1 ("),
        "{}",
        kinds[2]
    );
    assert_eq!(kinds[3], "accounts form a cycle: x → y → x");
    assert_eq!(kinds[4], "accounts form a cycle: self → self");
    assert!(matches!(e.problems[2], HierarchyProblem::OtherModel { .. }));
    assert!(e
        .to_string()
        .starts_with("5 problems in the account hierarchy\n  "));
}

#[test]
fn a_long_chain_does_not_exhaust_the_stack() {
    let m = model(RollupMethod::Mean, dec!(0.5));
    let n = 50_000;
    let data: Vec<AccountData> = (0..n)
        .map(|i| {
            let parent = (i > 0).then(|| format!("a{}", i - 1));
            acct(&format!("a{i}"), dec!(1), Some(0.4), parent.as_deref())
        })
        .collect();
    let accounts = bind(&m, data);
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    assert_eq!(r.get("a0").unwrap().branch_mrr, Decimal::from(n));
    assert_eq!(r.get(&format!("a{}", n - 1)).unwrap().depth, n - 1);
    assert_eq!(pts(r.get("a0").unwrap().overall).as_deref(), Some("50"));
}

#[test]
fn rollup_config_is_validated_and_kept_out_of_default_fingerprints() {
    let config: ModelConfig = serde_json::from_str(EXAMPLE_JSON).unwrap();
    let bad = config.clone().rollup(RollupConfig {
        method: RollupMethod::Mean,
        own_weight: dec!(1.5),
    });
    let e = Model::new(bad).unwrap_err();
    assert_eq!(e.problems()[0].path, "rollup.own_weight");
    let plain = Model::new(config.clone()).unwrap();
    let explicit_default = Model::new(config.clone().rollup(RollupConfig::default())).unwrap();
    assert_eq!(plain.fingerprint(), explicit_default.fingerprint());
    let worst = Model::new(config.rollup(RollupConfig {
        method: RollupMethod::Worst,
        own_weight: dec!(0.5),
    }))
    .unwrap();
    assert_ne!(plain.fingerprint(), worst.fingerprint());
    let json = serde_json::to_string(worst.config()).unwrap();
    assert!(
        json.contains(r#""rollup":{"method":"worst","own_weight":"0.5"}"#),
        "{json}"
    );
    assert!(!serde_json::to_string(plain.config())
        .unwrap()
        .contains("rollup"));
}

fn method() -> impl Strategy<Value = RollupMethod> {
    prop_oneof![
        Just(RollupMethod::Mean),
        Just(RollupMethod::MrrWeighted),
        Just(RollupMethod::Worst)
    ]
}

/// A forest: account `i`'s parent is an earlier account or none, with
/// random MRR and weekly-active values (some missing).
fn forest() -> impl Strategy<Value = Vec<(Option<usize>, u32, Option<u32>)>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.7, any::<prop::sample::Index>()),
            0u32..5_000,
            prop::option::weighted(0.8, 0u32..=800),
        ),
        1..40,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (p, mrr, wau))| (p.filter(|_| i > 0).map(|ix| ix.index(i)), mrr, wau))
            .collect()
    })
}

fn forest_accounts(v: &[(Option<usize>, u32, Option<u32>)]) -> Vec<AccountData> {
    v.iter()
        .enumerate()
        .map(|(i, (p, mrr, wau))| {
            let parent = p.map(|p| format!("a{p}"));
            acct(
                &format!("a{i}"),
                Decimal::new(i64::from(*mrr), 2),
                wau.map(|w| f64::from(w) / 1000.0),
                parent.as_deref(),
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn identical_children_roll_up_to_the_child(
        method in method(), own_weight in 0u32..=1_000_000, wau in 0u32..=800,
        mrrs in prop::collection::vec(0u32..10_000, 1..8), parent_has_own in any::<bool>(),
    ) {
        let m = model(method, Decimal::new(i64::from(own_weight), 6));
        let w = f64::from(wau) / 1000.0;
        let mut data = vec![acct("p", dec!(5), parent_has_own.then_some(w), None)];
        for (i, mrr) in mrrs.iter().enumerate() {
            data.push(acct(&format!("c{i}"), Decimal::from(*mrr), Some(w), Some("p")));
        }
        let accounts = bind(&m, data);
        let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
        let r = RollUps::new(&scores).unwrap();
        let (p, child) = (r.get("p").unwrap(), r.get("c0").unwrap());
        prop_assert_eq!(p.overall, child.overall);
        prop_assert_eq!(p.band, child.band);
    }

    #[test]
    fn mrr_is_counted_once_in_every_view(v in forest(), method in method()) {
        let m = model(method, dec!(0.3));
        let accounts = bind(&m, forest_accounts(&v));
        let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
        let r = RollUps::new(&scores).unwrap();
        let total: Decimal = accounts.iter().map(|a| a.data().mrr).sum();
        let roots = v.iter().filter(|x| x.0.is_none()).count() as u64;
        for count in [Count::Parents, Count::Children, Count::Both] {
            let s = r.summary(&m, count).unwrap();
            let t = s.summary.totals().total();
            prop_assert_eq!(t.mrr + s.left_out.mrr, total, "{:?}", count);
            prop_assert_eq!(t.count + s.left_out.count, v.len() as u64, "{:?}", count);
            if count == Count::Parents {
                prop_assert_eq!(t.count, roots);
            }
        }
    }

    #[test]
    fn shortfalls_add_up_and_scores_stay_between_their_parts(v in forest(), method in method(),
            own_weight in 0u32..=1_000_000) {
        let m = model(method, Decimal::new(i64::from(own_weight), 6));
        let accounts = bind(&m, forest_accounts(&v));
        let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
        let r = RollUps::new(&scores).unwrap();
        for x in r.iter() {
            let Some(overall) = x.overall else { continue };
            let parts: u32 = x.own_shortfall.micros()
                + x.children.iter().map(|c| c.shortfall.micros()).sum::<u32>();
            prop_assert_eq!(parts, 100_000_000 - overall.micros(), "{}", x);
            let kids: Vec<u32> = x.children.iter().filter_map(|c| c.score).map(|p| p.micros()).collect();
            let lo = kids.iter().chain(x.own.map(|o| o.micros()).as_slice()).min().copied();
            let hi = kids.iter().chain(x.own.map(|o| o.micros()).as_slice()).max().copied();
            prop_assert!(lo <= Some(overall.micros()) && Some(overall.micros()) <= hi, "{}", x);
            if x.children.is_empty() {
                prop_assert_eq!(x.overall, x.own);
            }
        }
    }

    #[test]
    fn input_order_does_not_change_any_roll_up(v in forest(), method in method(), seed in any::<u64>()) {
        let m = model(method, dec!(0.5));
        let data = forest_accounts(&v);
        let mut shuffled = data.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let (a, b) = (bind(&m, data), bind(&m, shuffled));
        let (sa, sb): (Vec<Score<'_>>, Vec<Score<'_>>) =
            (a.iter().map(Account::score).collect(), b.iter().map(Account::score).collect());
        let (ra, rb) = (RollUps::new(&sa).unwrap(), RollUps::new(&sb).unwrap());
        for x in ra.iter() {
            let y = rb.get(&x.id).unwrap();
            prop_assert_eq!((x.overall, x.band, x.branch_mrr), (y.overall, y.band, y.branch_mrr));
        }
    }
}

#[test]
fn a_weak_parent_is_named_as_its_own_biggest_drag() {
    let m = model(RollupMethod::Mean, dec!(0.5));
    let accounts = bind(
        &m,
        vec![
            acct("p", dec!(1), Some(0.16), None),      // 20
            acct("a", dec!(1), Some(0.64), Some("p")), // 80
            acct("b", dec!(1), Some(0.64), Some("p")), // 80
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let p = r.get("p").unwrap();
    // 0.5·20 + 0.5·80 = 50; own pulls down 0.5·80 = 40, each child 0.5·20/2 = 5.
    assert_eq!(p.own_shortfall.to_string(), "40");
    assert_eq!(
        p.to_string(),
        "p 50.0 yellow: own 20.0 (weight 50%) and mean of 2 children 80.0; its own score pulls down most, \
         40.0 points; of the children, a (80.0 green) pulls down 5.0 points"
    );
}

#[test]
fn a_parent_with_a_hundred_thousand_children_rolls_up_in_linear_time() {
    let m = model(RollupMethod::MrrWeighted, dec!(0.5));
    let n = 100_000;
    let mut data = vec![acct("p", dec!(0), None, None)];
    data.extend((0..n).map(|i| {
        let wau = if i % 2 == 0 { 0.4 } else { 0.8 }; // 50 and 100
        acct(&format!("c{i}"), dec!(2), Some(wau), Some("p"))
    }));
    let accounts = bind(&m, data);
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let started = std::time::Instant::now();
    let r = RollUps::new(&scores).unwrap();
    let p = r.get("p").unwrap();
    assert_eq!(pts(p.overall).as_deref(), Some("75"));
    assert_eq!(p.children.len(), n);
    let shortfalls: u32 = p.children.iter().map(|c| c.shortfall.micros()).sum();
    assert_eq!(shortfalls, 25_000_000);
    // Quadratic work would take minutes here; linear takes well under one.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn no_accounts_roll_up_to_nothing_and_results_serialise() {
    let scores: Vec<Score<'_>> = Vec::new();
    let r = RollUps::new(&scores).unwrap();
    assert!(r.is_empty() && r.get("x").is_none());
    let m = model(RollupMethod::Mean, dec!(0.5));
    let accounts = bind(
        &m,
        vec![
            acct("p", dec!(0), None, None),
            acct("a", dec!(1), Some(0.4), Some("p")),
        ],
    );
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();
    let r = RollUps::new(&scores).unwrap();
    let p = r.get("p").unwrap();
    let json = serde_json::to_string(p).unwrap();
    let back: healthscore::hierarchy::RolledScore = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, p);
    let e = RollUps::new(&scores[1..]).unwrap_err();
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(
        json,
        r#"{"problems":[{"kind":"missing-parent","message":"account \"a\": parent \"p\" is not among the accounts","accounts":["a","p"]}],"omitted":0}"#
    );
}
