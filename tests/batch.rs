//! The batch path gives exactly the row API's answers: every output field
//! of every row, over random models and accounts, on both kernels.

mod common;
#[path = "../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
use chrono::{Datelike, NaiveDate};
use common::*;
use healthscore::batch::*;
use healthscore::{model::*, strategy, *};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// One metric's id, values, validity, observed days and authors.
type MetricColumns = (String, Vec<f64>, Vec<bool>, Vec<i32>, Vec<Option<String>>);

/// Columns owned by the test, from row-API accounts.
struct Owned {
    ids: Vec<String>,
    mrr: Vec<Decimal>,
    cents: Vec<i64>,
    /// The same as Arrow's Decimal128 buffer, and the ids in Arrow's
    /// UTF-8 layout.
    cents128: Vec<i128>,
    id_offsets: Vec<i32>,
    id_bytes: Vec<u8>,
    /// Each metric's validity as an Arrow bitmap, starting at bit 3.
    bitmaps: Vec<Vec<u8>>,
    employees: Vec<u32>,
    stages: Vec<Option<String>>,
    previous: Vec<Option<Band>>,
    previous_scores: Vec<Option<Points>>,
    renewal: Vec<i32>,
    has_renewal: Vec<bool>,
    /// The day the champion was lost (an event column).
    lost: Vec<i32>,
    has_lost: Vec<bool>,
    as_of: Vec<i32>,
    /// Per metric: values, validity, observed day (Date32).
    metrics: Vec<MetricColumns>,
}

fn date32(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

/// The accounts as columns (the latest observation of each metric, as
/// binding uses), and the accounts reduced to what the columns hold.
fn columns(model: &Model, accounts: &mut [AccountData]) -> Owned {
    let ids: Vec<String> = model.metric_ids().map(str::to_string).collect();
    let mut o = Owned {
        ids: vec![],
        mrr: vec![],
        cents: vec![],
        cents128: vec![],
        id_offsets: vec![0],
        id_bytes: vec![],
        bitmaps: vec![],
        employees: vec![],
        stages: vec![],
        previous: vec![],
        previous_scores: vec![],
        renewal: vec![],
        has_renewal: vec![],
        lost: vec![],
        has_lost: vec![],
        as_of: vec![],
        metrics: ids
            .iter()
            .map(|id| (id.clone(), vec![], vec![], vec![], vec![]))
            .collect(),
    };
    for (i, a) in accounts.iter_mut().enumerate() {
        a.id = format!("acct-{i}");
        o.ids.push(a.id.clone());
        o.mrr.push(a.mrr);
        o.cents
            .push((a.mrr * Decimal::from(100)).trunc().try_into().unwrap());
        o.cents128.push(i128::from(*o.cents.last().unwrap()));
        o.id_bytes.extend_from_slice(a.id.as_bytes());
        o.id_offsets.push(o.id_bytes.len() as i32);
        o.employees.push(a.employees);
        o.stages.push(a.stage.clone());
        o.previous.push(a.previous_band);
        // CTA inputs that are columns: a previous score, a renewal date
        // and the day the champion was lost (now and then none; an event
        // column holds one day of it, the latest).
        a.previous_score = (i % 3 != 0)
            .then(|| Points::from_micros(((i as u64 * 7_000_003) % 100_000_001) as u32).unwrap());
        a.dates.clear();
        a.events.clear();
        let renewal = a.as_of + chrono::Days::new((i as u64 * 13) % 200);
        if i % 4 != 0 {
            a.dates.insert("renewal".into(), renewal);
        }
        o.previous_scores.push(a.previous_score);
        o.renewal.push(date32(renewal));
        o.has_renewal.push(i % 4 != 0);
        let lost = a.as_of - chrono::Days::new((i as u64 * 7) % 60);
        if i % 5 != 0 {
            a.events.push(healthscore::score::Event {
                name: "champion_lost".into(),
                date: lost,
            });
        }
        o.lost.push(date32(lost));
        o.has_lost.push(i % 5 != 0);
        o.as_of.push(date32(a.as_of));
        let mut kept = Vec::new();
        for (id, values, valid, days, authors) in o.metrics.iter_mut() {
            let latest = a
                .observations
                .iter()
                .filter(|x| &x.metric == id)
                .max_by_key(|x| x.observed_on)
                .cloned();
            match latest {
                Some(mut obs) => {
                    let x = match obs.value {
                        Value::Flag(b) => f64::from(u8::from(b)),
                        Value::Number(x) => x,
                        Value::Exact(d) => d.to_string().parse().unwrap(),
                    };
                    obs.value = Value::Number(x);
                    // Money comes back as the decimal the column held
                    // (its double's shortest form), where that has at
                    // most six places below 10⁹.
                    let money = model.config().metrics.iter().any(|m| {
                        &m.id == id && matches!(m.kind, healthscore::model::MetricKind::Money)
                    });
                    if money && x.is_finite() && x.abs() < 1e9 {
                        if let Ok(d) = x.to_string().parse::<Decimal>() {
                            if d.scale() <= 6 {
                                obs.value = Value::Exact(d.normalize());
                            }
                        }
                    }
                    values.push(x);
                    valid.push(true);
                    days.push(date32(obs.observed_on));
                    authors.push(obs.author.clone());
                    kept.push(obs);
                }
                None => {
                    values.push(f64::NAN); // masked: never read
                    valid.push(false);
                    days.push(0);
                    authors.push(None);
                }
            }
        }
        a.observations = kept;
    }
    o.bitmaps = o
        .metrics
        .iter()
        .map(|m| {
            let mut bits = vec![0u8; (m.2.len() + 3).div_ceil(8)];
            for (i, v) in m.2.iter().enumerate() {
                if *v {
                    bits[(i + 3) / 8] |= 1 << ((i + 3) % 8);
                }
            }
            bits
        })
        .collect();
    o
}

fn batch<'a>(
    o: &'a Owned,
    stages: &'a [Option<&'a str>],
    authors: &'a [Vec<Option<&'a str>>],
    scaled: u8,
) -> Batch<'a> {
    // 0: Decimal MRR, owned string ids; 1: MRR as i64 cents; 2: as
    // Arrow's Decimal128 cents, ids in Arrow's UTF-8 layout and validity
    // bitmaps (at an offset).
    let mrr = match scaled {
        0 => Mrr::Decimal(&o.mrr),
        1 => Mrr::Scaled64 {
            values: &o.cents,
            scale: 2,
        },
        _ => Mrr::Scaled128 {
            values: &o.cents128,
            scale: 2,
        },
    };
    let ids = if scaled == 2 {
        Ids::Utf8 {
            offsets: &o.id_offsets,
            data: &o.id_bytes,
        }
    } else {
        Ids::String(&o.ids)
    };
    let mut b = Batch::new(ids, mrr, &o.employees, Dates::Days(&o.as_of))
        .stages(stages)
        .previous_bands(&o.previous)
        .previous_scores(&o.previous_scores)
        .date(
            "renewal",
            Dates::Days(&o.renewal),
            Validity::Bools(&o.has_renewal),
        )
        .event(
            "champion_lost",
            Dates::Days(&o.lost),
            Validity::Bools(&o.has_lost),
        );
    let mut pushed = Vec::with_capacity(o.metrics.len());
    for (((id, values, valid, days, _), authors), bits) in
        o.metrics.iter().zip(authors).zip(&o.bitmaps)
    {
        // A column with a value in every row goes without validity (the
        // wide kernel's loop for it reads no flags).
        let validity = if valid.iter().all(|v| *v) {
            Validity::All
        } else if scaled == 2 {
            Validity::Bits { bits, offset: 3 }
        } else {
            Validity::Bools(valid)
        };
        // A column whose every value was observed on its row's as-of date
        // goes without observation dates (which the wide kernel reads
        // without preparing scratch columns).
        let on_as_of = days
            .iter()
            .zip(&o.as_of)
            .zip(valid)
            .all(|((d, a), v)| !v || d == a);
        let column = MetricColumn::new(values)
            .validity(validity)
            .authors(authors);
        pushed.push((
            id.as_str(),
            if on_as_of {
                column
            } else {
                column.observed(Dates::Days(days))
            },
        ));
    }
    // The columns in the model's order (matched by name at once), and in
    // another for one of the three scalings (matched by hashing).
    if scaled == 1 {
        pushed.rotate_left(1);
    }
    for (id, column) in pushed {
        b.push_metric(id, column);
    }
    b
}

/// Scores both ways and compares every field of every row.
fn check_equal(
    model: &Model,
    accounts: Vec<AccountData>,
    threads: usize,
    rules: Option<&healthscore::cta::RuleSet>,
) -> Result<(), TestCaseError> {
    let rows = 0..accounts.len();
    check_rows(model, accounts, rows, threads, rules)
}

/// [`check_equal`] on rows `rows` of a batch of `all` accounts
/// ([`Batch::rows`]).
fn check_rows(
    model: &Model,
    mut all: Vec<AccountData>,
    rows: std::ops::Range<usize>,
    threads: usize,
    rules: Option<&healthscore::cta::RuleSet>,
) -> Result<(), TestCaseError> {
    let o = columns(model, &mut all);
    let accounts = all.get(rows.clone()).unwrap_or_default().to_vec();
    let stages: Vec<Option<&str>> = o.stages.iter().map(Option::as_deref).collect();
    let authors: Vec<Vec<Option<&str>>> = o
        .metrics
        .iter()
        .map(|m| m.4.iter().map(Option::as_deref).collect())
        .collect();
    for scaled in [0, 1, 2] {
        let b = batch(&o, &stages, &authors, scaled).rows(rows.clone());
        // The columnar kernel at the widest instruction set this CPU has,
        // at AVX2 (where the CPU has it), at the build target's, and rows
        // one at a time.
        for kernel in ["widest", "avx2", "baseline", "rows"] {
            let scorer = Scorer::new(model).threads(threads).with_drivers(true);
            let scorer = match kernel {
                "avx2" => scorer.avx2_isa(),
                "baseline" => scorer.baseline_isa(),
                "rows" => scorer.row_at_a_time(),
                _ => scorer,
            };
            let out = scorer
                .score(&b)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(out.len(), accounts.len());
            let mut errors = out.errors().iter();
            for (row, data) in accounts.iter().enumerate() {
                match model.bind(data.clone()) {
                    Err(e) => {
                        prop_assert!(out.rejected()[row]);
                        // Every result of a rejected row is empty, whatever
                        // the columns held before (fresh ones start zeroed).
                        prop_assert_eq!(out.overall_micros()[row], NONE);
                        prop_assert_eq!(out.coverage_micros()[row], NONE);
                        prop_assert_eq!(out.band(row), None);
                        prop_assert_eq!(out.segments()[row], NONE);
                        prop_assert_eq!(out.scorecards()[row], NONE);
                        for d in Dimension::ALL {
                            prop_assert_eq!(out.dimension_micros(d)[row], NONE);
                        }
                        prop_assert_eq!(out.drivers().map(|v| v[row]), Some(NONE));
                        let got = errors.next().expect("an error per rejected row");
                        prop_assert_eq!(got.row, row);
                        prop_assert_eq!(&got.error, &e);
                    }
                    Ok(account) => {
                        let s = account.score();
                        let at = format!("row {row} kernel {kernel} scaled {scaled}: {data:?}");
                        prop_assert!(!out.rejected()[row], "{}", at);
                        prop_assert_eq!(out.overall(row), s.overall(), "{}", at);
                        prop_assert_eq!(out.band(row), s.band(), "{}", at);
                        prop_assert_eq!(out.coverage(row), Some(s.coverage()), "{}", at);
                        for d in Dimension::ALL {
                            prop_assert_eq!(
                                out.dimension(row, d),
                                s.dimension(d),
                                "{} {:?}",
                                at,
                                d
                            );
                            prop_assert_eq!(
                                out.dimension_coverage(row, d),
                                Some(s.dimension_coverage(d)),
                                "{} {:?}",
                                at,
                                d
                            );
                        }
                        let card = out.scorecards()[row] as usize;
                        prop_assert_eq!(model.scorecard_id(card), Some(s.scorecard()), "{}", at);
                        let seg = model.segment_at(out.segments()[row] as usize);
                        prop_assert_eq!(seg, Some(s.segment()), "{}", at);
                        let record = s.record();
                        // Stale values of any metric (the portfolio counts them all).
                        let stale = data
                            .observations
                            .iter()
                            .filter(|o| {
                                let m = model
                                    .config()
                                    .metrics
                                    .iter()
                                    .find(|m| m.id == o.metric)
                                    .unwrap();
                                m.max_age_days.is_some_and(|max| {
                                    (data.as_of - o.observed_on).num_days() > i64::from(max)
                                })
                            })
                            .count();
                        prop_assert_eq!(out.stale()[row] as usize, stale, "{}", at);
                        let driver = out.drivers().unwrap()[row];
                        let expected = record.pulls_down_most.as_ref().map(|m| m.metric.as_str());
                        let got = (driver != NONE)
                            .then(|| model.metric_ids().nth(driver as usize).unwrap());
                        prop_assert_eq!(got, expected, "{}", at);
                        // And the row's explanation is the row API's.
                        let explained = scorer
                            .record(&b, row)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        prop_assert_eq!(explained, record);
                    }
                }
            }
            prop_assert!(errors.next().is_none());
            // The portfolio summary: as adding each row's score.
            let mut expected = PortfolioSummary::new(model);
            for data in &accounts {
                match model.bind(data.clone()) {
                    Ok(a) => expected.add(&a.score()).unwrap(),
                    Err(e) => expected.add_error(&e),
                }
            }
            let mut got = PortfolioSummary::new(model);
            out.summarise(&b, &mut got)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got, expected);
        }
        // CTA rules: as evaluating each row's score.
        if let Some(rules) = rules {
            let scorer = Scorer::new(model);
            let got = scorer
                .evaluate(rules, &b)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut summary = healthscore::cta::CtaSummary::default();
            let mut rows = Vec::new();
            for (row, data) in accounts.iter().enumerate() {
                if let Ok(a) = model.bind(data.clone()) {
                    let eval = rules.evaluate(&a.score(), &[], &[]).unwrap();
                    summary.add(&eval);
                    if !eval.actions.is_empty() || !eval.held.is_empty() {
                        rows.push((row, eval));
                    }
                }
            }
            prop_assert_eq!(&got.summary, &summary);
            prop_assert_eq!(&got.rows, &rows);
        }
    }
    Ok(())
}

fn kind_of(i: usize) -> MetricKind {
    match i {
        0 => MetricKind::Ratio,
        1 => MetricKind::Count,
        2 => MetricKind::Nps,
        3 => MetricKind::Flag,
        _ => MetricKind::Csat {
            min: Decimal::ONE,
            max: Decimal::from(5),
        },
    }
}

/// Breakpoints within a kind's range: value steps in millionths.
fn curve(kind: usize) -> impl Strategy<Value = CurveConfig> {
    let (lo, span): (i64, i64) = match kind {
        0 => (0, 1_000_000),
        1 => (0, 400_000_000),
        2 => (-100_000_000, 200_000_000),
        3 => (0, 1_000_000),
        _ => (1_000_000, 4_000_000),
    };
    let xs = proptest::collection::btree_set(0..=span, 2..6);
    let ys = proptest::collection::vec(0i64..=100, 6);
    (xs, ys, 0usize..5, 0i64..=100).prop_map(move |(xs, mut ys, shape, below)| {
        let xs: Vec<Decimal> = xs.into_iter().map(|x| Decimal::new(lo + x, 6)).collect();
        ys.truncate(xs.len());
        match shape {
            0 | 1 => {
                ys.sort();
                if shape == 1 {
                    ys.reverse();
                }
                CurveConfig::linear(xs.into_iter().zip(ys.into_iter().map(Decimal::from)))
            }
            2 => {
                ys.sort();
                CurveConfig::bounded(xs.into_iter().zip(ys.into_iter().map(Decimal::from)))
            }
            3 => {
                ys.sort();
                CurveConfig::steps(
                    Decimal::from(below.min(ys[0])),
                    xs.into_iter().zip(ys.into_iter().map(Decimal::from)),
                )
            }
            _ => {
                // Rise then fall.
                let n = ys.len();
                ys.sort();
                let peak = ys[n - 1];
                let mut up: Vec<i64> = ys[..n - 1].iter().step_by(2).copied().collect();
                let mut down: Vec<i64> = ys[..n - 1].iter().skip(1).step_by(2).copied().collect();
                down.reverse();
                up.push(peak);
                up.extend(down);
                CurveConfig::range(xs.into_iter().zip(up.into_iter().map(Decimal::from)))
            }
        }
    })
}

fn metric(i: usize) -> impl Strategy<Value = MetricConfig> {
    (
        0usize..5,
        0usize..4,
        0usize..4,
        proptest::option::of(0u32..60),
        1i64..=5,
    )
        .prop_flat_map(move |(kind, dim, policy, max_age, weight)| {
            curve(kind).prop_map(move |c| {
                let mut m =
                    MetricConfig::new(format!("m{i}"), Dimension::ALL[dim], kind_of(kind), c)
                        .weight(weight)
                        .missing(match policy {
                            0 | 1 => MissingPolicy::Exclude,
                            2 => MissingPolicy::Worst,
                            _ => MissingPolicy::Neutral(Decimal::from(50)),
                        });
                if let Some(days) = max_age {
                    m = m.max_age_days(days);
                }
                m
            })
        })
}

const WEIGHTS: [[u32; 4]; 5] = [
    [25, 25, 25, 25],
    [20, 10, 40, 30],
    [50, 0, 50, 0],
    [100, 0, 0, 0],
    [15, 35, 20, 30],
];

fn card(id: String) -> impl Strategy<Value = ScorecardConfig> {
    (
        0usize..5,
        any::<[bool; 4]>(),
        0u32..3,
        0u32..3,
        proptest::collection::vec(0i64..=3, 8),
    )
        .prop_map(move |(w, worst, cov, hyst, metric_w)| {
            let mut c = ScorecardConfig::new(
                id.clone(),
                BandsConfig::new(Decimal::from(75), Decimal::from(55), Decimal::from(35)),
            )
            .min_coverage(Decimal::new(i64::from(cov) * 3, 1))
            .hysteresis(Decimal::from(hyst * 2));
            for (d, w) in Dimension::ALL.iter().zip(WEIGHTS[w]) {
                c = c.dimension_weight(*d, Decimal::new(i64::from(w), 2));
            }
            for (d, on) in Dimension::ALL.iter().zip(worst) {
                if on {
                    c = c.worst_wins(*d);
                }
            }
            for (i, w) in metric_w.iter().enumerate().filter(|(_, w)| **w > 0) {
                c.metric_weights.insert(format!("m{i}"), Decimal::from(*w));
            }
            c
        })
}

/// Size tiers of the models with many scorecards: 0, 5, …, 45 employees.
const SIZES: usize = 10;

/// A random model: 1 to 6 random metrics, and either two scorecards
/// (small accounts by MRR, and the rest) or many, one per MRR and size
/// tier up to a default: 16 (the most the wide kernel looks up in
/// registers) or 19 (more: it gathers from memory).
fn any_model() -> impl Strategy<Value = Model> {
    (
        1usize..7,
        prop_oneof![Just(2usize), Just(2), Just(16), Just(19)],
    )
        .prop_flat_map(|(n, cards)| {
            let metrics: Vec<_> = (0..n).map(metric).collect();
            let cards: Vec<_> = (0..cards).map(|c| card(format!("c{c}"))).collect();
            (metrics, cards, any::<bool>())
        })
        .prop_filter_map("compiles", |(metrics, cards, stages)| {
            let many = cards.len() > 2;
            let sizes = if many {
                (0..SIZES)
                    .map(|k| {
                        let to = (k + 1 < SIZES).then_some(5 * (k as u32 + 1));
                        Tier::new(format!("s{k}"), 5 * k as u32, to)
                    })
                    .collect()
            } else {
                vec![
                    Tier::new("small", 0, Some(50)),
                    Tier::new("large", 50, None),
                ]
            };
            let mut segments = SegmentsConfig {
                mrr_tiers: vec![
                    Tier::new("smb", Decimal::ZERO, Some(Decimal::new(100_050, 2))),
                    Tier::new("ent", Decimal::new(100_050, 2), None),
                ],
                size_tiers: sizes,
                stages: vec![],
            };
            if stages {
                segments.stages = vec!["onboarding".into(), "adoption".into()];
            }
            let mut config = ModelConfig::new("random", "1").segments(segments);
            let names: Vec<String> = metrics.iter().map(|m| m.id.clone()).collect();
            for m in metrics {
                config = config.metric(m);
            }
            let keep = |mut c: ScorecardConfig| {
                c.metric_weights.retain(|k, _| names.contains(k));
                c
            };
            let last = cards.len() - 1;
            for (k, c) in cards.into_iter().enumerate() {
                let c = keep(c);
                config = config.scorecard(if k == last {
                    c
                } else if many {
                    let (mrr, size) = (["smb", "ent"][k % 2], format!("s{}", k / 2));
                    c.when(Criteria::default().mrr([mrr]).size([size]))
                } else {
                    c.when(Criteria::default().mrr(["smb"]))
                });
            }
            Model::new(config).ok()
        })
}

fn accounts(model: Model) -> impl Strategy<Value = (Model, Vec<AccountData>)> {
    let one = (
        strategy::account(&model, day(28)),
        proptest::option::of(0usize..4),
        0usize..20,
    );
    proptest::collection::vec(one, 1..40).prop_map(move |v| {
        let accounts = v
            .into_iter()
            .map(|(mut a, prev, spoil)| {
                a.previous_band = prev.map(|b| Band::ALL[b]);
                // Now and then, a value the row API refuses.
                if spoil == 0 {
                    if let Some(o) = a.observations.last_mut() {
                        o.value = Value::Number(f64::NAN);
                    }
                } else if spoil == 1 {
                    a.mrr = Decimal::new(-5, 2);
                } else if spoil == 2 {
                    a.stage = Some("churned".into());
                }
                a
            })
            .collect();
        (model.clone(), accounts)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_batch_path_is_the_row_api((model, accounts) in any_model().prop_flat_map(accounts), threads in 1usize..4) {
        check_equal(&model, accounts, threads, None)?;
    }

    /// The reference model v0m: one weight per metric for every
    /// scorecard, no worst-wins, no imputation, so every curve takes the
    /// wide kernel's plain loop, NPS (reaching below 0) among them.
    #[test]
    fn the_reference_model_too(accounts in proptest::collection::vec(strategy::account(&v0m::model(), day(28)), 1..60)) {
        check_equal(&v0m::model(), accounts, 2, None)?;
    }

    /// v0m again, every value observed on the as-of date: the columns go
    /// without observation dates, as a warehouse export's usually do.
    #[test]
    fn the_reference_model_as_exported(accounts in proptest::collection::vec(strategy::account(&v0m::model(), day(28)), 1..60)) {
        check_equal(&v0m::model(), as_exported(accounts), 2, None)?;
    }

    #[test]
    fn the_bundled_model_too(accounts in proptest::collection::vec(strategy::account(&bundled(), day(28)), 1..50)) {
        let model = bundled();
        let rules = healthscore::cta::RuleSet::new(serde_json::from_str(include_str!("../examples/data/playbook.json")).unwrap(), &model).unwrap();
        check_equal(&model, accounts, 2, Some(&rules))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Batches of several chunks (256 rows each) and a short last one,
    /// random models, both ways of writing v0m's columns: each chunk's
    /// first metric of a dimension sets its sums afresh, and the loops
    /// read the next chunk's rows ahead.
    #[test]
    fn across_chunks((model, accounts) in any_model().prop_flat_map(accounts), rows in 257usize..700) {
        let many: Vec<_> = accounts.iter().cycle().take(rows).cloned().collect();
        check_equal(&model, many, 1, None)?;
    }

    /// Rows taken from a larger batch (`Batch::rows`): every column cut
    /// to them, validity bitmaps at a new bit offset, Arrow-layout ids by
    /// their offsets; scored as those accounts alone.
    #[test]
    fn rows_of_a_batch_are_those_accounts_alone(
        (model, accounts) in any_model().prop_flat_map(accounts),
        cut in (0usize..300, 0usize..300, 0usize..40),
    ) {
        let (before, len, after) = cut;
        let all: Vec<_> = accounts.iter().cycle().take(before + len + after).cloned().collect();
        check_rows(&model, all, before..before + len, 1, None)?;
    }

    #[test]
    fn the_reference_model_across_chunks(accounts in proptest::collection::vec(strategy::account(&v0m::model(), day(28)), 1..60), rows in 257usize..700) {
        let many = accounts.iter().cycle().take(rows).cloned().collect();
        check_equal(&v0m::model(), as_exported(many), 1, None)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Scoring into columns that held another batch of the same length
    /// (kept, not refilled) gives what fresh columns give: every pass
    /// writes every field of every row, rejected or not. So do a shorter
    /// batch after it and the longer one again.
    #[test]
    fn reused_columns_keep_nothing_of_the_last_batch(
        (model, pairs) in any_model().prop_flat_map(|m| {
            let one = (strategy::account(&m, day(28)), strategy::account(&m, day(28)), 0usize..6);
            (Just(m), proptest::collection::vec(one, 1..30))
        }),
        threads in 1usize..3,
        cut in 0usize..30,
    ) {
        let spoil = |mut a: AccountData, k: usize| {
            match k {
                0 => a.mrr = Decimal::new(-5, 2),
                1 => a.observations.clear(),
                _ => {}
            }
            a
        };
        let (mut first, mut second): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .map(|(a, b, k)| (spoil(a, k), spoil(b, (k + 1) % 6)))
            .unzip();
        let (o1, o2) = (columns(&model, &mut first), columns(&model, &mut second));
        let stages = |o: &Owned| -> Vec<Option<String>> { o.stages.clone() };
        let (s1, s2) = (stages(&o1), stages(&o2));
        let s1: Vec<Option<&str>> = s1.iter().map(Option::as_deref).collect();
        let s2: Vec<Option<&str>> = s2.iter().map(Option::as_deref).collect();
        let authors = |o: &Owned| -> Vec<Vec<Option<String>>> {
            o.metrics.iter().map(|m| m.4.clone()).collect()
        };
        let (a1, a2) = (authors(&o1), authors(&o2));
        let a1: Vec<Vec<Option<&str>>> = a1.iter().map(|v| v.iter().map(Option::as_deref).collect()).collect();
        let a2: Vec<Vec<Option<&str>>> = a2.iter().map(|v| v.iter().map(Option::as_deref).collect()).collect();
        for scaled in [1, 2] {
            let (b1, b2) = (batch(&o1, &s1, &a1, scaled), batch(&o2, &s2, &a2, scaled));
            for (columnar, drivers) in [(true, false), (true, true), (false, false)] {
                let mut scorer = Scorer::new(&model).threads(threads).with_drivers(drivers);
                if !columnar {
                    scorer = scorer.row_at_a_time();
                }
                let mut out = BatchScores::new();
                scorer.score_into(&b1, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                scorer.score_into(&b2, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let fresh = scorer.score(&b2).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&out, &fresh, "scaled {} columnar {} drivers {}", scaled, columnar, drivers);
                // A shorter batch, then the longer one again: the columns
                // keep the longer batch's rows past the shorter one's,
                // which no accessor shows and nothing compares.
                let short = b1.rows(0..cut.min(b1.len()));
                scorer.score_into(&short, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let fresh = scorer.score(&short).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&out, &fresh, "short: scaled {} columnar {} drivers {}", scaled, columnar, drivers);
                prop_assert_eq!(out.len(), short.len());
                prop_assert_eq!(out.overall_micros().len(), short.len());
                prop_assert_eq!(out.drivers().map(<[u32]>::len), drivers.then_some(short.len()));
                prop_assert_eq!(format!("{out:?}"), format!("{fresh:?}"));
                let copy = out.clone();
                prop_assert_eq!(&copy, &fresh);
                prop_assert_eq!(copy.overall_micros().len(), short.len());
                scorer.score_into(&b1, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let fresh = scorer.score(&b1).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&out, &fresh, "long again: scaled {} columnar {} drivers {}", scaled, columnar, drivers);
                // Without the coverage per dimension (what the Arrow path
                // asks for), into the same columns: every other column as
                // with it, and no row shows a coverage per dimension,
                // neither the last batch's nor one of its own.
                let without = scorer.clone().with_dimension_coverage(false);
                without.score_into(&b2, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let with = scorer.score(&b2).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(out.overall_micros(), with.overall_micros());
                prop_assert_eq!(out.bands(), with.bands());
                prop_assert_eq!(out.coverage_micros(), with.coverage_micros());
                prop_assert_eq!(out.segments(), with.segments());
                prop_assert_eq!(out.scorecards(), with.scorecards());
                prop_assert_eq!(out.stale(), with.stale());
                prop_assert_eq!(out.rejected(), with.rejected());
                prop_assert_eq!(out.errors(), with.errors());
                prop_assert_eq!(out.drivers(), with.drivers());
                for d in Dimension::ALL {
                    prop_assert_eq!(out.dimension_micros(d), with.dimension_micros(d));
                    for row in 0..out.len() {
                        prop_assert_eq!(out.dimension_coverage(row, d), None);
                    }
                }
                let fresh = without.score(&b2).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&out, &fresh);
                prop_assert_eq!(&out.clone(), &fresh);
                prop_assert_ne!(&out, &with, "the two differ in what they hold");
                // And with it again: written anew.
                scorer.score_into(&b2, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&out, &with);
            }
        }
    }
}

/// The accounts with every value observed on their as-of date (so that
/// their columns go without observation dates).
fn as_exported(accounts: Vec<AccountData>) -> Vec<AccountData> {
    accounts
        .into_iter()
        .map(|mut a| {
            for o in &mut a.observations {
                o.observed_on = a.as_of;
            }
            a
        })
        .collect()
}

fn bundled() -> Model {
    Model::new(bundled_config()).unwrap()
}
