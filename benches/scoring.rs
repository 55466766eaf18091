//! Scoring benches on the bundled ~12-metric model.
//!
//! ```text
//! cargo bench --bench scoring
//! ```
//!
//! * `score/one_account`: `Account::score` on one bound account.
//! * `score/portfolio_100k`: 100,000 distinct synthetic accounts scored and
//!   tallied by band; criterion's throughput line gives accounts per second.
//! * `bind/one_account`: validating an account's data against the model,
//!   observations named by metric id.
//! * `bind_by_handle/one_account`: the same with observations set by
//!   metric handle (no name per observation, no lookup).
//! * `parse_json/one_account`: reading that account from a JSON line.
//! * `baseline_f64/portfolio_100k`: the same model hand-written in `f64`
//!   (inexact, no explanations), for a ratio.
//!
//! Each timed loop checks its result (band tallies, one account's band) so a
//! fast wrong answer cannot pass.

#[path = "../examples/support/generate.rs"]
#[allow(dead_code)] // the bench uses the generator, not its writer
mod generate;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use healthscore::model::CurveConfig;
use healthscore::{Account, AccountData, Band, Model, ModelConfig, Observation, Value};
use std::hint::black_box;
use std::time::Duration;

const N: u64 = 100_000;

fn setup() -> (ModelConfig, Model, Vec<AccountData>) {
    let config: ModelConfig = serde_json::from_str(include_str!("../examples/data/model.json"))
        .expect("bundled model parses");
    let model = Model::new(config.clone()).expect("bundled model is valid");
    let mut rng = generate::Rng::new(42);
    let data = (0..N)
        .map(|i| generate::account(&config, i, &mut rng))
        .collect();
    (config, model, data)
}

/// The same account with every observation set by metric handle.
fn with_handles(model: &Model, data: &AccountData) -> AccountData {
    let mut d = data.clone();
    for o in &mut d.observations {
        let handle = model
            .metric_handle(&o.metric)
            .expect("a metric of the model");
        *o = Observation {
            author: o.author.take(),
            note: o.note.take(),
            ..Observation::by_handle(handle, o.value, o.observed_on)
        };
    }
    d
}

fn tally(accounts: &[Account<'_>]) -> [u32; 5] {
    let mut t = [0u32; 5];
    for a in accounts {
        let s = a.score();
        t[s.band().map_or(4, Band::index)] += 1;
    }
    t
}

fn benches(c: &mut Criterion) {
    let (config, model, data) = setup();
    let accounts: Vec<Account<'_>> = data
        .iter()
        .map(|d| model.bind(d.clone()).expect("valid"))
        .collect();
    let expected = tally(&accounts);
    let one = &accounts[1];
    let one_band = one.score().band();
    let one_card = one.scorecard();

    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_account", |b| {
        b.iter(|| {
            let s = black_box(one).score();
            assert_eq!(s.band(), one_band);
            black_box(s.overall())
        })
    });
    g.throughput(Throughput::Elements(N));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("portfolio_100k", |b| {
        b.iter(|| assert_eq!(tally(black_box(&accounts)), expected))
    });
    g.finish();

    // Binding one account's prepared data: by metric name, and by metric
    // handle (resolved once from the model). The data is cloned outside the
    // timing and the bound account dropped outside it, so these time
    // validation alone; each checks it bound the expected account.
    let sample = data[1].clone();
    let by_handle = with_handles(&model, &sample);
    for (group, input) in [("bind", &sample), ("bind_by_handle", &by_handle)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        g.bench_function("one_account", |b| {
            b.iter_batched(
                || input.clone(),
                |d| {
                    let a = model.bind(black_box(d)).expect("valid");
                    assert_eq!(a.scorecard(), one_card);
                    a
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
    // The same account parsed from a JSON line, as a service receives it.
    let line = serde_json::to_string(&sample).expect("serialises");
    let mut g = c.benchmark_group("parse_json");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_account", |b| {
        b.iter(|| {
            let d: AccountData = serde_json::from_str(black_box(&line)).expect("parses");
            assert_eq!(d.observations.len(), sample.observations.len());
            d
        })
    });
    g.finish();

    let baseline = F64Model::new(&config);
    let rows: Vec<Vec<Option<f64>>> = data.iter().map(|d| baseline.row(d)).collect();
    let mut g = c.benchmark_group("baseline_f64");
    g.throughput(Throughput::Elements(N));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("portfolio_100k", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (d, r) in data.iter().zip(&rows) {
                sum += baseline.score(d, r);
            }
            black_box(sum)
        })
    });
    g.finish();
}

/// The bundled model written by hand in f64: the code a team would write
/// instead of using the crate (curves, weighted means, redistribution,
/// segment lookup; no exactness, no explanations, no validation).
struct F64Model {
    curves: Vec<(Vec<(f64, f64)>, bool)>,
    dims: Vec<usize>,
    weights: Vec<f64>,
    cards: Vec<([f64; 4], Vec<f64>)>,
}

impl F64Model {
    fn new(config: &ModelConfig) -> Self {
        let f = |d: &rust_decimal::Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
        let curves = config
            .metrics
            .iter()
            .map(|m| match &m.curve {
                CurveConfig::Linear { points } | CurveConfig::Range { points } => {
                    (points.iter().map(|(x, y)| (f(x), f(y))).collect(), false)
                }
                CurveConfig::Bounded { points } => {
                    (points.iter().map(|(x, y)| (f(x), f(y))).collect(), true)
                }
                CurveConfig::Steps { below, steps } => {
                    let mut pts = vec![(f64::MIN, f(below))];
                    for (x, y) in steps {
                        pts.push((f(x) - 1e-9, pts.last().map_or(0.0, |p| p.1)));
                        pts.push((f(x), f(y)));
                    }
                    (pts, false)
                }
                other => panic!("the f64 baseline has no {other:?} curve"),
            })
            .collect();
        let dims = config.metrics.iter().map(|m| m.dimension.index()).collect();
        let weights = config.metrics.iter().map(|m| f(&m.weight)).collect();
        let cards = config
            .scorecards
            .iter()
            .map(|c| {
                let mut dw = [0.0; 4];
                for (d, w) in &c.dimension_weights {
                    dw[d.index()] = f(w);
                }
                let mw = config
                    .metrics
                    .iter()
                    .map(|m| c.metric_weights.get(&m.id).map_or(f(&m.weight), f))
                    .collect();
                (dw, mw)
            })
            .collect();
        F64Model {
            curves,
            dims,
            weights,
            cards,
        }
    }

    fn row(&self, d: &AccountData) -> Vec<Option<f64>> {
        let mut row = vec![None; self.weights.len()];
        for o in &d.observations {
            let i = match o.metric.as_str() {
                "seats_provisioned" => 0,
                "sso_enabled" => 1,
                "integrations" => 2,
                "nps" => 3,
                "support_csat" => 4,
                "open_escalations" => 5,
                "csm_sentiment" => 6,
                "weekly_active" => 7,
                "feature_breadth" => 8,
                "logins_per_user" => 9,
                "value_vs_goal" => 10,
                "quota_utilisation" => 11,
                _ => 12,
            };
            row[i] = Some(match o.value {
                Value::Flag(b) => f64::from(u8::from(b)),
                Value::Number(x) => x,
                Value::Exact(x) => x.to_string().parse().unwrap_or(0.0),
            });
        }
        row
    }

    fn score(&self, d: &AccountData, row: &[Option<f64>]) -> f64 {
        let mrr = d.mrr;
        let card = if d.stage.as_deref() == Some("onboarding") {
            0
        } else if mrr >= rust_decimal::Decimal::from(10_000) {
            1
        } else if mrr >= rust_decimal::Decimal::from(1000) {
            2
        } else if d.employees < 50 {
            3
        } else {
            4
        };
        let (dw, mw) = &self.cards[card];
        let (mut num, mut den) = ([0.0f64; 4], [0.0f64; 4]);
        for (i, v) in row.iter().enumerate() {
            let (pts, bounded) = &self.curves[i];
            let s = match v {
                Some(x) => eval(pts, *bounded, *x),
                None if i == 2 => Some(0.0),
                None => None,
            };
            if let Some(s) = s {
                num[self.dims[i]] += mw[i] * s;
                den[self.dims[i]] += mw[i];
            }
        }
        let (mut total, mut wsum) = (0.0, 0.0);
        for k in 0..4 {
            if den[k] > 0.0 && dw[k] > 0.0 {
                total += dw[k] * num[k] / den[k];
                wsum += dw[k];
            }
        }
        if wsum > 0.0 {
            total / wsum
        } else {
            0.0
        }
    }
}

fn eval(pts: &[(f64, f64)], bounded: bool, x: f64) -> Option<f64> {
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    if x < first.0 || x > last.0 {
        return if bounded {
            None
        } else {
            Some(if x < first.0 { first.1 } else { last.1 })
        };
    }
    for w in pts.windows(2) {
        if x <= w[1].0 {
            return Some(w[0].1 + (x - w[0].0) * (w[1].1 - w[0].1) / (w[1].0 - w[0].0));
        }
    }
    Some(last.1)
}

criterion_group!(scoring, benches);
criterion_main!(scoring);
