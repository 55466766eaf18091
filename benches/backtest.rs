//! Back-test bench: 1,000,000 dated scores (200,000 accounts × 5 months)
//! against their outcomes.
//!
//! ```text
//! cargo bench --bench backtest
//! ```
//!
//! The timed loop checks the result (score count and AUC) every iteration.

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::backtest::{Backtest, DatedOutcome, DatedScore, Outcome};
use healthscore::{Band, Points};
use rust_decimal::Decimal;
use std::hint::black_box;

const ACCOUNTS: u64 = 200_000;
const MONTHS: u64 = 5;

/// xorshift: reproducible input without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn data() -> (Vec<DatedScore>, Vec<DatedOutcome>) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let (mut scores, mut outcomes) = (Vec::new(), Vec::new());
    for a in 0..ACCOUNTS {
        let account = format!("acct-{a:07}");
        let health = rng.next() % 100;
        for m in 0..MONTHS {
            let s = ((health + rng.next() % 21).saturating_sub(10)).min(100) as u32;
            let band = match s {
                80.. => Band::Green,
                60..=79 => Band::Lime,
                40..=59 => Band::Yellow,
                _ => Band::Red,
            };
            let date = start + Duration::days(30 * m as i64);
            let score = Points::from_micros(s * 1_000_000).unwrap_or(Points::ZERO);
            scores.push(DatedScore {
                account: account.clone(),
                date,
                score,
                band,
                mrr: Decimal::from(100 + a % 900),
            });
        }
        if rng.next() % 100 > health + 20 {
            let date = start + Duration::days((rng.next() % 180) as i64);
            outcomes.push(DatedOutcome {
                account: account.clone(),
                date,
                outcome: Outcome::Churned,
            });
        }
        if rng.next() % 200 < health {
            let date = start + Duration::days((rng.next() % 180) as i64);
            outcomes.push(DatedOutcome {
                account,
                date,
                outcome: Outcome::Expanded {
                    mrr: Decimal::from(50),
                },
            });
        }
    }
    (scores, outcomes)
}

fn bench(c: &mut Criterion) {
    let (scores, outcomes) = data();
    let expected = Backtest::run(&scores, &outcomes, 90);
    let auc = expected.auc.map(|a| a.value()).unwrap_or(0.0);
    assert!(
        auc > 0.6,
        "low scores should precede churn in the bench data: AUC {auc}"
    );
    let mut g = c.benchmark_group("backtest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(scores.len() as u64));
    g.bench_function("1m_scores", |b| {
        b.iter(|| {
            let bt = Backtest::run(black_box(&scores), black_box(&outcomes), 90);
            assert_eq!(bt.auc, expected.auc);
            assert_eq!(
                bt.bands.iter().map(|b| b.scores).sum::<u64>(),
                ACCOUNTS * MONTHS
            );
            bt
        })
    });
    g.finish();
}

criterion_group!(backtest, bench);
criterion_main!(backtest);
