//! Back-testing against outcomes, with hand-computed rates and AUC.

use chrono::{Duration, NaiveDate};
use healthscore::{backtest::*, *};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn score(account: &str, points: u32, band: Band, mrr: Decimal) -> DatedScore {
    DatedScore {
        account: account.into(),
        date: d(1, 1),
        score: Points::from_micros(points * 1_000_000).unwrap(),
        band,
        mrr,
    }
}

fn outcome(account: &str, date: NaiveDate, outcome: Outcome) -> DatedOutcome {
    DatedOutcome {
        account: account.into(),
        date,
        outcome,
    }
}

/// churned: a (20), c (45), f (70); retained: b (20), d (50), e (70), g (90), h (95).
fn worked() -> (Vec<DatedScore>, Vec<DatedOutcome>) {
    let scores = vec![
        score("a", 20, Band::Red, dec!(100)),
        score("b", 20, Band::Red, dec!(200)),
        score("c", 45, Band::Yellow, dec!(300)),
        score("d", 50, Band::Yellow, dec!(400)),
        score("e", 70, Band::Lime, dec!(500)),
        score("f", 70, Band::Lime, dec!(600)),
        score("g", 90, Band::Green, dec!(700)),
        score("h", 95, Band::Green, dec!(800)),
    ];
    let outcomes = vec![
        outcome("a", d(2, 1), Outcome::Churned),
        outcome("c", d(3, 1), Outcome::Churned),
        outcome("d", d(2, 15), Outcome::Expanded { mrr: dec!(50) }),
        outcome("e", d(3, 1), Outcome::Renewed),
        outcome("f", d(3, 31), Outcome::Churned),
        outcome("g", d(1, 20), Outcome::Expanded { mrr: dec!(100) }),
    ];
    (scores, outcomes)
}

#[test]
fn rates_mrr_and_auc_by_hand() {
    let (scores, outcomes) = worked();
    let bt = Backtest::run(&scores, &outcomes, 90);
    let band = |b: Band| bt.bands[b.index()];
    // Every band has 2 scores; red, yellow, lime one churn each, green none.
    for b in [Band::Red, Band::Yellow, Band::Lime] {
        assert_eq!((band(b).scores, band(b).churned), (2, 1), "{b}");
        assert_eq!(band(b).churn_rate().map(Share::micros), Some(500_000));
    }
    assert_eq!(band(Band::Green).churn_rate(), Some(Share::ZERO));
    assert_eq!(band(Band::Red).churned_mrr, dec!(100));
    assert_eq!(band(Band::Yellow).churned_mrr, dec!(300));
    assert_eq!(
        band(Band::Lime).churned_mrr,
        dec!(600),
        "f churned on day 89 of 90"
    );
    assert_eq!(
        (
            band(Band::Yellow).expanded,
            band(Band::Yellow).expansion_mrr
        ),
        (1, dec!(50))
    );
    assert_eq!(
        (band(Band::Green).expanded, band(Band::Green).expansion_mrr),
        (1, dec!(100))
    );
    assert_eq!(
        band(Band::Green).expansion_rate().map(Share::micros),
        Some(500_000)
    );
    // U = b 0.5 + d 2 + e 2.5 + g 3 + h 3 = 11 of 3·5 = 15 pairs.
    let auc = bt.auc.unwrap();
    assert_eq!((auc.numerator, auc.denominator), (22, 30));
    assert!((auc.value() - 11.0 / 15.0).abs() < 1e-12);
    assert!(bt.churn_is_monotonic());
    // Red, yellow and lime churn 1 in 2 each, green none: equal rates
    // keep the order.
    assert_eq!(bt.churn_order(), ChurnOrder::Ordered);
    assert_eq!(bt.churn_order().to_string(), "yes");
}

#[test]
fn horizon_edges() {
    let s = [
        score("a", 30, Band::Red, dec!(1)),
        score("b", 80, Band::Green, dec!(1)),
    ];
    let churn_on = |date| {
        Backtest::run(&s, &[outcome("a", date, Outcome::Churned)], 30).bands[Band::Red.index()]
            .churned
    };
    assert_eq!(
        churn_on(d(1, 1)),
        0,
        "an outcome on the score date does not count"
    );
    assert_eq!(churn_on(d(1, 2)), 1);
    assert_eq!(
        churn_on(d(1, 1) + Duration::days(30)),
        1,
        "the horizon's last day counts"
    );
    assert_eq!(churn_on(d(1, 1) + Duration::days(31)), 0);
    assert_eq!(
        churn_on(d(12, 1) - Duration::days(400)),
        0,
        "before the score"
    );
}

#[test]
fn perfect_reversed_and_undefined_auc() {
    let s = [
        score("lo", 10, Band::Red, dec!(1)),
        score("hi", 90, Band::Green, dec!(1)),
    ];
    let auc = |who: &str| {
        Backtest::run(&s, &[outcome(who, d(1, 5), Outcome::Churned)], 30)
            .auc
            .map(|a| a.value())
    };
    assert_eq!(auc("lo"), Some(1.0));
    assert_eq!(auc("hi"), Some(0.0));
    assert_eq!(
        Backtest::run(&s, &[], 30).auc,
        None,
        "no churn: AUC undefined"
    );
    let all = [
        outcome("lo", d(1, 5), Outcome::Churned),
        outcome("hi", d(1, 5), Outcome::Churned),
    ];
    assert_eq!(
        Backtest::run(&s, &all, 30).auc,
        None,
        "all churn: AUC undefined"
    );
    // Ties only: 0.5.
    let tied = [
        score("x", 50, Band::Yellow, dec!(1)),
        score("y", 50, Band::Yellow, dec!(1)),
    ];
    assert_eq!(
        Backtest::run(&tied, &[outcome("x", d(1, 5), Outcome::Churned)], 30)
            .auc
            .map(|a| a.value()),
        Some(0.5)
    );
}

#[test]
fn non_monotonic_churn_is_reported() {
    // Green churns more than red: the model is upside down.
    let s = [
        score("r", 10, Band::Red, dec!(1)),
        score("g1", 90, Band::Green, dec!(1)),
        score("g2", 91, Band::Green, dec!(1)),
    ];
    let o = [outcome("g1", d(1, 5), Outcome::Churned)];
    let bt = Backtest::run(&s, &o, 30);
    assert!(!bt.churn_is_monotonic());
    // Green churns 1 in 2, red none.
    assert_eq!(
        bt.churn_order(),
        ChurnOrder::Disordered {
            healthier: Band::Green,
            healthier_rate: Share::from_micros(500_000).unwrap(),
            riskier: Band::Red,
            riskier_rate: Share::ZERO,
        }
    );
    assert_eq!(
        bt.churn_order().to_string(),
        "NO: green churns more than red (50% against 0%)"
    );
    assert_eq!(
        bt.bands[Band::Lime.index()].churn_rate(),
        None,
        "a band without scores has no rate"
    );
    // Rates equal to one decimal are shown to as many as tell them apart.
    let close = with_bands([(10_000, 222), (0, 0), (0, 0), (10_000, 221)]);
    assert_eq!(
        close.churn_order().to_string(),
        "NO: green churns more than red (2.22% against 2.21%)"
    );
    // Apart only as exact fractions (1/3 against 333,333/1,000,000): said so.
    let closer = with_bands([(3, 1), (0, 0), (0, 0), (1_000_000, 333_333)]);
    assert_eq!(
        closer.churn_order().to_string(),
        "NO: green churns more than red (33.3333% against 33.3333%, apart only past the millionth)"
    );
}

#[test]
fn distribution_and_proposals() {
    let d = Distribution::of([Band::Lime, Band::Lime, Band::Lime, Band::Red, Band::Green]);
    assert_eq!(d.total(), 5);
    assert_eq!(d.share(Band::Lime).micros(), 600_000);
    let s = |x| Share::from_micros(x).unwrap();
    assert_eq!(
        d.dominant(s(600_000)),
        None,
        "exactly the limit is not above it"
    );
    assert_eq!(d.dominant(s(599_999)), Some(Band::Lime));
    assert_eq!(Distribution::default().dominant(s(0)), None);

    let scores: Vec<Points> = (1..=10)
        .map(|i| Points::from_micros(i * 10_000_000).unwrap())
        .collect();
    let p = propose_thresholds(&scores, [s(200_000), s(300_000), s(300_000), s(200_000)]).unwrap();
    // Ranks ⌈0.2·10⌉ = 2 → 30, ⌈0.5·10⌉ = 5 → 60, ⌈0.8·10⌉ = 8 → 90.
    assert_eq!(
        (p.bands.yellow, p.bands.lime, p.bands.green),
        (dec!(30), dec!(60), dec!(90))
    );
    assert_eq!(p.achieved.counts, [2, 3, 3, 2]);
    let over = propose_thresholds(&scores, [s(200_000), s(300_000), s(300_000), s(300_000)]);
    assert_eq!(over, Err(ProposalError::TargetsNotWhole(dec!(1.1))));
    assert_eq!(
        over.unwrap_err().to_string(),
        "target shares add up to 1.1, expected 1"
    );
    let tied = vec![Points::from_micros(50_000_000).unwrap(); 10];
    assert_eq!(
        propose_thresholds(&tied, [s(250_000); 4]),
        Err(ProposalError::NotSeparable)
    );
    assert_eq!(
        propose_thresholds(&[], [s(250_000); 4]),
        Err(ProposalError::NotSeparable)
    );
}

fn arbitrary_backtest() -> impl Strategy<Value = (Vec<DatedScore>, Vec<DatedOutcome>)> {
    let scores = proptest::collection::vec((0u8..20, 0u32..=100, 0i64..60), 1..60);
    let outcomes = proptest::collection::vec((0u8..20, 0i64..150, 0u8..3), 0..40);
    (scores, outcomes).prop_map(|(scores, outcomes)| {
        let scores = scores
            .into_iter()
            .map(|(a, s, day)| {
                let band = [Band::Red, Band::Yellow, Band::Lime, Band::Green]
                    [(s as usize * 4 / 101).min(3)];
                DatedScore {
                    account: format!("acct{a}"),
                    date: d(1, 1) + Duration::days(day),
                    score: Points::from_micros(s * 1_000_000).unwrap(),
                    band,
                    mrr: Decimal::from(s),
                }
            })
            .collect();
        let outcomes = outcomes
            .into_iter()
            .map(|(a, day, kind)| DatedOutcome {
                account: format!("acct{a}"),
                date: d(1, 1) + Duration::days(day),
                outcome: match kind {
                    0 => Outcome::Churned,
                    1 => Outcome::Renewed,
                    _ => Outcome::Expanded { mrr: dec!(10) },
                },
            })
            .collect();
        (scores, outcomes)
    })
}

proptest! {
    #[test]
    fn auc_is_a_probability((scores, outcomes) in arbitrary_backtest()) {
        let bt = Backtest::run(&scores, &outcomes, 45);
        if let Some(auc) = bt.auc {
            prop_assert!(auc.numerator <= auc.denominator);
            prop_assert!((0.0..=1.0).contains(&auc.value()));
        }
        let total: u64 = bt.bands.iter().map(|b| b.scores).sum();
        prop_assert_eq!(total, scores.len() as u64);
    }

    #[test]
    fn relabelling_accounts_changes_nothing((scores, outcomes) in arbitrary_backtest()) {
        let rename = |a: &str| format!("renamed-{}", a.chars().rev().collect::<String>());
        let s2: Vec<DatedScore> = scores.iter().map(|s| DatedScore { account: rename(&s.account), ..s.clone() }).collect();
        let o2: Vec<DatedOutcome> = outcomes.iter().map(|o| DatedOutcome { account: rename(&o.account), ..o.clone() }).collect();
        prop_assert_eq!(Backtest::run(&scores, &outcomes, 45), Backtest::run(&s2, &o2, 45));
    }

    #[test]
    fn input_order_changes_nothing((scores, outcomes) in arbitrary_backtest()) {
        let (mut s2, mut o2) = (scores.clone(), outcomes.clone());
        s2.reverse();
        o2.reverse();
        let third = s2.len() / 3;
        s2.rotate_left(third);
        prop_assert_eq!(Backtest::run(&scores, &outcomes, 45), Backtest::run(&s2, &o2, 45));
    }

    /// A tally fed one score at a time, last first, is the back-test of
    /// them all; its AUC and per-band churn are their definitions,
    /// counted pair by pair and score by score.
    #[test]
    fn a_tally_is_the_back_test_by_definition((scores, outcomes) in arbitrary_backtest()) {
        let mut tally = Tally::new(&outcomes, 45);
        for s in scores.iter().rev() {
            tally.add(s);
        }
        prop_assert_eq!(tally.scores(), scores.len() as u64);
        let bt = tally.finish();
        prop_assert_eq!(&bt, &Backtest::run(&scores, &outcomes, 45));
        let churned = |s: &DatedScore| outcomes.iter().any(|o| {
            o.account == s.account
                && o.outcome == Outcome::Churned
                && o.date > s.date
                && o.date <= s.date + Duration::days(45)
        });
        let mut per_band = [0u64; 4];
        let (mut twice_right, mut pairs) = (0u128, 0u128);
        for c in scores.iter().filter(|s| churned(s)) {
            per_band[c.band.index()] += 1;
            for r in scores.iter().filter(|s| !churned(s)) {
                pairs += 2;
                twice_right += match c.score.cmp(&r.score) {
                    std::cmp::Ordering::Less => 2,
                    std::cmp::Ordering::Equal => 1,
                    std::cmp::Ordering::Greater => 0,
                };
            }
        }
        for band in Band::ALL {
            prop_assert_eq!(bt.bands[band.index()].churned, per_band[band.index()]);
        }
        match bt.auc {
            Some(auc) => prop_assert_eq!((auc.numerator, auc.denominator), (twice_right, pairs)),
            None => prop_assert_eq!(pairs, 0),
        }
    }

    /// Clones of one tally (which share its outcomes) are tallies of
    /// their own: each split of the scores, fed to a clone of an empty
    /// tally, is the back-test of that split, and a clone of a fed tally
    /// carries on from its scores.
    #[test]
    fn clones_of_a_tally_tally_on_their_own((scores, outcomes) in arbitrary_backtest(), split in 0usize..60) {
        let base = Tally::new(&outcomes, 45);
        let split = split.min(scores.len());
        let (first, rest) = scores.split_at(split);
        let (mut a, mut b) = (base.clone(), base.clone());
        for s in first {
            a.add(s);
        }
        let mut carried = a.clone();
        for s in rest {
            b.add(s);
            carried.add(s);
        }
        prop_assert_eq!(a.finish(), Backtest::run(first, &outcomes, 45));
        prop_assert_eq!(b.finish(), Backtest::run(rest, &outcomes, 45));
        prop_assert_eq!(carried.finish(), Backtest::run(&scores, &outcomes, 45));
        prop_assert_eq!(base.scores(), 0);
    }
}

#[test]
fn the_roc_curve_at_whole_points() {
    use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Outcome};
    use healthscore::{Band, Points};
    let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let s = |id: &str, score: u32, band| DatedScore {
        account: id.into(),
        date: d(1, 1),
        score: Points::from_micros(score * 1_000_000).unwrap(),
        band,
        mrr: rust_decimal::Decimal::from(100),
    };
    let scores = [
        s("a", 20, Band::Red),
        s("b", 90, Band::Green),
        s("c", 85, Band::Green),
    ];
    let outcomes = [DatedOutcome {
        account: "a".into(),
        date: d(2, 1),
        outcome: Outcome::Churned,
    }];
    let bt = Backtest::run(&scores, &outcomes, 90);
    let at = |t: usize| {
        let p = bt.roc[t];
        (p.below, p.false_positive.micros(), p.true_positive.micros())
    };
    assert_eq!(bt.roc.len(), 102);
    assert_eq!(at(0), (0, 0, 0));
    assert_eq!(at(20), (20, 0, 0)); // 20 is not below 20
    assert_eq!(at(21), (21, 0, 1_000_000));
    assert_eq!(at(86), (86, 500_000, 1_000_000));
    assert_eq!(at(101), (101, 1_000_000, 1_000_000));
    // No churn: no curve.
    assert!(Backtest::run(&scores, &[], 90).roc.is_empty());
}

/// A back-test that orders nothing says so: no scores, one band, no
/// churn, or nothing but churn is "cannot tell", not a model that passed
/// (`churn_is_monotonic` is true for all of them).
#[test]
fn churn_order_says_when_it_cannot_tell() {
    let churned = |a: &str| outcome(a, d(1, 5), Outcome::Churned);
    let cases: [(Vec<DatedScore>, Vec<DatedOutcome>, ChurnOrder, &str); 4] = [
        (
            vec![],
            vec![churned("a")],
            ChurnOrder::TooFewBands,
            "cannot tell: fewer than two bands have scores",
        ),
        (
            vec![
                score("a", 20, Band::Red, dec!(1)),
                score("b", 25, Band::Red, dec!(1)),
            ],
            vec![churned("a")],
            ChurnOrder::TooFewBands,
            "cannot tell: fewer than two bands have scores",
        ),
        (
            vec![
                score("a", 20, Band::Red, dec!(1)),
                score("b", 90, Band::Green, dec!(1)),
            ],
            vec![],
            ChurnOrder::NoChurn,
            "cannot tell: no score was followed by churn within the horizon",
        ),
        (
            vec![
                score("a", 20, Band::Red, dec!(1)),
                score("b", 90, Band::Green, dec!(1)),
            ],
            vec![churned("a"), churned("b")],
            ChurnOrder::AllChurn,
            "cannot tell: every score was followed by churn within the horizon",
        ),
    ];
    for (scores, outcomes, order, said) in cases {
        let bt = Backtest::run(&scores, &outcomes, 30);
        assert!(bt.churn_is_monotonic());
        assert_eq!(bt.churn_order(), order);
        assert!(!order.is_ordered());
        assert_eq!(order.to_string(), said);
    }
}

/// A negative MRR in a scores or outcomes file is refused with why, not
/// summed into the MRR lost or gained.
#[test]
fn a_negative_mrr_is_refused_when_read() {
    let score = r#"{"account":"a","date":"2026-01-01","score":50,"band":"lime","mrr":"-1.50"}"#;
    let err = serde_json::from_str::<DatedScore>(score).unwrap_err();
    assert!(
        err.to_string()
            .contains("-1.50 is negative: MRR is never below zero"),
        "{err}"
    );
    let zero = score.replace("-1.50", "-0");
    assert_eq!(
        serde_json::from_str::<DatedScore>(&zero).unwrap().mrr,
        Decimal::ZERO
    );
    let expanded =
        r#"{"account":"a","date":"2026-01-01","outcome":{"type":"expanded","mrr":"-10"}}"#;
    let err = serde_json::from_str::<DatedOutcome>(expanded).unwrap_err();
    assert!(err.to_string().contains("-10 is negative"), "{err}");
    let fine = expanded.replace("-10", "10");
    assert_eq!(
        serde_json::from_str::<DatedOutcome>(&fine).unwrap().outcome,
        Outcome::Expanded { mrr: dec!(10) }
    );
}

/// A score or an outcome whose account is empty or only spaces names no
/// account: refused when read, not counted as an account of its own (all
/// such lines matching each other).
#[test]
fn a_blank_account_is_refused_when_read() {
    for id in ["", "  ", "\\t"] {
        let score = format!(
            r#"{{"account":"{id}","date":"2026-01-01","score":50,"band":"lime","mrr":"1"}}"#
        );
        let err = serde_json::from_str::<DatedScore>(&score).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("missing (empty or only spaces)"),
            "{id:?}: {err}"
        );
        let outcome =
            format!(r#"{{"account":"{id}","date":"2026-01-01","outcome":{{"type":"churned"}}}}"#);
        let err = serde_json::from_str::<DatedOutcome>(&outcome).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("missing (empty or only spaces)"),
            "{id:?}: {err}"
        );
    }
    // Spaces around an id are the id's own.
    let padded = r#"{"account":" a ","date":"2026-01-01","outcome":{"type":"churned"}}"#;
    assert_eq!(
        serde_json::from_str::<DatedOutcome>(padded)
            .unwrap()
            .account,
        " a "
    );
}

/// A tally lives on its own: made from outcomes that are then dropped,
/// kept in a service's state, sent to another thread, fed there.
#[test]
fn a_tally_owns_what_it_needs() {
    fn owned<T: Send + Sync + 'static>(t: T) -> T {
        t
    }
    let (scores, outcomes) = worked();
    let expected = Backtest::run(&scores, &outcomes, 30);
    let mut tally = owned(Tally::new(&outcomes, 30));
    drop(outcomes);
    let fed = std::thread::spawn(move || {
        for s in &scores {
            tally.add(s);
        }
        tally
    })
    .join()
    .unwrap();
    assert_eq!(fed.finish(), expected);
}

/// A back-test with these (scores, churned) per band, green first.
fn with_bands(counts: [(u64, u64); 4]) -> Backtest {
    let mut bt = Backtest::run(&[], &[], 30);
    for (b, (scores, churned)) in bt.bands.iter_mut().zip(counts) {
        b.scores = scores;
        b.churned = churned.min(scores);
    }
    bt
}

proptest! {
    /// `churn_order` against its definition, by brute force over every
    /// pair of bands with scores (not only neighbours): out of order
    /// exactly when some healthier band's exact churn rate is above a less
    /// healthy one's, the pair it names being such a pair; "cannot tell"
    /// exactly when fewer than two bands have scores, or none or all of
    /// the scores churned; and `churn_is_monotonic` is every verdict but
    /// "out of order".
    #[test]
    fn churn_order_is_its_definition(counts in prop::array::uniform4((0u64..6, 0u64..6))) {
        let bt = with_bands(counts);
        let rate = |b: Band| {
            let o = bt.bands[b.index()];
            (o.churned, o.scores)
        };
        let scored: Vec<Band> = [Band::Red, Band::Yellow, Band::Lime, Band::Green]
            .into_iter()
            .filter(|b| rate(*b).1 > 0)
            .collect();
        let above = |h: Band, r: Band| {
            let ((hc, hs), (rc, rs)) = (rate(h), rate(r));
            u128::from(hc) * u128::from(rs) > u128::from(rc) * u128::from(hs)
        };
        let broken = scored.iter().enumerate().any(|(i, r)| {
            scored[i + 1..].iter().any(|h| above(*h, *r))
        });
        let (churned, scores) = scored
            .iter()
            .fold((0, 0), |(c, s), b| (c + rate(*b).0, s + rate(*b).1));
        let order = bt.churn_order();
        match order {
            ChurnOrder::TooFewBands => prop_assert!(scored.len() < 2),
            ChurnOrder::NoChurn => prop_assert!(scored.len() >= 2 && churned == 0),
            ChurnOrder::AllChurn => prop_assert!(scored.len() >= 2 && churned == scores),
            ChurnOrder::Disordered { healthier, riskier, .. } => {
                prop_assert!(broken);
                prop_assert!(healthier.index() < riskier.index());
                prop_assert!(above(healthier, riskier));
            }
            ChurnOrder::Ordered => {
                prop_assert!(scored.len() >= 2 && churned > 0 && churned < scores);
                prop_assert!(!broken);
            }
            _ => prop_assert!(false, "a verdict this test does not know: {order:?}"),
        }
        if scored.len() >= 2 && churned > 0 && churned < scores {
            prop_assert_eq!(broken, matches!(order, ChurnOrder::Disordered { .. }));
        }
        prop_assert_eq!(bt.churn_is_monotonic(), !broken);
    }
}
