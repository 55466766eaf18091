//! A synthetic portfolio that fits any model: each account has a latent
//! health that drives all its metric values (with noise), so the data looks
//! like a real portfolio: mostly fine, some drifting, a few at risk, some
//! values missing or stale, CSM judgements with notes.

use healthscore::{AccountData, ModelConfig, Observation, Value};

use healthscore::model::{CurveConfig, MetricConfig, MetricKind};
use rust_decimal::Decimal;
use std::io::Write;

/// SplitMix64: small, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn x_range(curve: &CurveConfig) -> (f64, f64, bool) {
    let pts = match curve {
        CurveConfig::Linear { points }
        | CurveConfig::Bounded { points }
        | CurveConfig::Range { points } => points.clone(),
        CurveConfig::Steps { below, steps } => {
            let mut v = vec![(Decimal::ZERO, *below)];
            v.extend(steps.iter().copied());
            v
        }
        _ => Vec::new(),
    };
    let f = |d: Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
    let (first, last) = (
        pts.first().copied().unwrap_or_default(),
        pts.last().copied().unwrap_or_default(),
    );
    (f(first.0), f(last.0), last.1 >= first.1)
}

fn round(x: f64, dp: i32) -> f64 {
    let m = 10f64.powi(dp);
    (x * m).round() / m
}

const NOTES: [&str; 5] = [
    "exec sponsor engaged in QBR",
    "champion moved to another team",
    "asked about the enterprise plan",
    "budget review next quarter",
    "happy with onboarding so far",
];

fn value_for(m: &MetricConfig, health: f64, rng: &mut Rng) -> Value {
    let (lo, hi, rising) = x_range(&m.curve);
    let h = (health + rng.range(-0.2, 0.2)).clamp(0.0, 1.0);
    let t = if rising { h } else { 1.0 - h };
    match &m.kind {
        MetricKind::Ratio => Value::Number(round(
            (lo * 0.5 + t * (hi * 1.05 - lo * 0.5)).clamp(0.0, 1.0),
            3,
        )),
        MetricKind::Flag => Value::Flag(h > 0.35),
        MetricKind::Nps => Value::Number(round((lo + t * (hi - lo) * 1.1).clamp(-100.0, 100.0), 0)),
        MetricKind::Money => {
            let v = (lo + t * (hi - lo) * 1.2).max(0.0);
            Value::Exact(Decimal::new((v * 100.0).round() as i64, 2))
        }
        MetricKind::Csat { min, max } | MetricKind::Judgement { min, max } => {
            let f = |d: &Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
            let (a, b) = (f(min), f(max));
            let dp = if matches!(m.kind, MetricKind::Judgement { .. }) {
                0
            } else {
                1
            };
            Value::Number(round(a + t * (b - a), dp))
        }
        MetricKind::Count => {
            let span = hi - lo;
            let v = (lo + t * span * 1.3).max(0.0);
            let v = if rng.chance(0.01) { v * 10.0 } else { v }; // the odd outlier
            Value::Number(if span >= 2.0 { v.round() } else { round(v, 2) })
        }
        _ => Value::Number(0.0),
    }
}

/// One synthetic account as of 2026-11-01.
pub fn account(config: &ModelConfig, i: u64, rng: &mut Rng) -> AccountData {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
    // Latent health: mean of three uniforms, skewed a little healthy.
    let health = ((rng.unit() + rng.unit() + rng.unit()) / 3.0 * 1.15).min(1.0);
    let firmographics = Firmographics::draw(config, rng);
    account_at(config, i, &firmographics, health, as_of, rng)
}

/// What stays fixed about an account over time.
pub struct Firmographics {
    mrr: f64,
    employees: f64,
    stage: Option<String>,
}

impl Firmographics {
    pub fn draw(config: &ModelConfig, rng: &mut Rng) -> Self {
        let tier = rng.unit();
        let (mrr, employees) = if tier < 0.6 {
            (rng.range(99.0, 999.0), rng.range(3.0, 400.0))
        } else if tier < 0.9 {
            (rng.range(1000.0, 9999.0), rng.range(30.0, 3000.0))
        } else {
            (rng.range(10000.0, 60000.0), rng.range(300.0, 40000.0))
        };
        let stages = &config.segments.stages;
        let stage = (!stages.is_empty()).then(|| {
            let r = rng.unit();
            let pick = if r < 0.15 {
                0
            } else if r < 0.7 {
                1
            } else {
                2
            };
            stages.get(pick.min(stages.len() - 1)).cloned()
        });
        Firmographics {
            mrr,
            employees,
            stage: stage.flatten(),
        }
    }
}

/// One synthetic account with a given latent health on a given date.
pub fn account_at(
    config: &ModelConfig,
    i: u64,
    firm: &Firmographics,
    health: f64,
    as_of: chrono::NaiveDate,
    rng: &mut Rng,
) -> AccountData {
    let mut data = AccountData::new(
        format!("acct-{i:07}"),
        Decimal::new((firm.mrr * 100.0).round() as i64, 2),
        firm.employees as u32,
        as_of,
    );
    data.stage = firm.stage.clone();
    add_signals(&mut data, i, health, rng);
    // A few accounts whose data mostly stopped arriving.
    let missing_rate = if rng.chance(0.03) { 0.7 } else { 0.08 };
    for m in &config.metrics {
        if rng.chance(missing_rate) {
            continue; // missing
        }
        // Mostly recent; a few values stopped arriving months ago (stale).
        let days_ago = if rng.chance(0.03) {
            rng.range(40.0, 220.0)
        } else {
            rng.unit() * 30.0
        } as i64;
        let on = as_of - chrono::Duration::days(days_ago);
        let mut obs = Observation::new(m.id.clone(), value_for(m, health, rng), on);
        if matches!(m.kind, MetricKind::Judgement { .. }) {
            let note = NOTES[(rng.next_u64() % NOTES.len() as u64) as usize];
            obs = obs.by(format!("csm-{}", rng.next_u64() % 12), note);
        }
        if rng.chance(0.03) && days_ago < 25 {
            // An older, superseded observation: the latest one must win.
            let mut old = obs.clone();
            old.observed_on = on - chrono::Duration::days(7);
            old.value = value_for(m, health, rng);
            data.observations.push(old);
        }
        data.observations.push(obs);
    }
    data
}

/// Writes `n` accounts as JSON lines.
pub fn write_portfolio(
    config: &ModelConfig,
    n: u64,
    seed: u64,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    for i in 0..n {
        serde_json::to_writer(&mut *out, &account(config, i, &mut rng))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Monthly scores of `n` accounts over `months` months from 2026-01-01, and
/// what happened to them: each account's latent health drifts; the lower it
/// is, the likelier churn in the following month (and the likelier expansion
/// when high), so low scores precede churn as in a working model.
pub fn history(
    config: &ModelConfig,
    model: &healthscore::Model,
    n: u64,
    months: u32,
    seed: u64,
) -> (
    Vec<healthscore::backtest::DatedScore>,
    Vec<healthscore::backtest::DatedOutcome>,
) {
    use healthscore::backtest::{DatedOutcome, DatedScore, Outcome};
    let mut rng = Rng::new(seed);
    let (mut scores, mut outcomes) = (Vec::new(), Vec::new());
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    for i in 0..n {
        let firm = Firmographics::draw(config, &mut rng);
        let mut health: f64 = ((rng.unit() + rng.unit() + rng.unit()) / 3.0 * 1.15).min(1.0);
        let drift = rng.range(-0.05, 0.04);
        for m in 0..months {
            let date = start + chrono::Months::new(m);
            let data = account_at(config, i, &firm, health, date, &mut rng);
            let id = data.id.clone();
            let mrr = data.mrr;
            if let Ok(account) = model.bind(data) {
                let score = account.score();
                if let (Some(points), Some(band)) = (score.overall(), score.band()) {
                    scores.push(DatedScore {
                        account: id.clone(),
                        date,
                        score: points,
                        band,
                        mrr,
                    });
                }
            }
            let next = date + chrono::Duration::days(1 + (rng.unit() * 29.0) as i64);
            if rng.chance(0.004 + 0.25 * (1.0 - health).powi(3)) {
                outcomes.push(DatedOutcome {
                    account: id,
                    date: next,
                    outcome: Outcome::Churned,
                });
                break;
            }
            if rng.chance(0.03 * health * health) {
                let added = Decimal::new((firm.mrr * 20.0).round() as i64, 2); // +20%
                outcomes.push(DatedOutcome {
                    account: id,
                    date: next,
                    outcome: Outcome::Expanded { mrr: added },
                });
            }
            health = (health + drift + rng.range(-0.06, 0.06)).clamp(0.0, 1.0);
        }
    }
    (scores, outcomes)
}

/// Renewal and onboarding dates, events, and the previous score and band.
fn add_signals(data: &mut AccountData, i: u64, health: f64, rng: &mut Rng) {
    let as_of = data.as_of;
    data.dates.insert(
        "renewal".into(),
        as_of + chrono::Duration::days(((i * 37) % 365) as i64),
    );
    if data.stage.as_deref() == Some("onboarding") {
        data.dates.insert(
            "onboarding_target".into(),
            as_of + chrono::Duration::days(rng.range(-45.0, 60.0) as i64),
        );
    }
    // When it entered its stage, and a parent for a few: from the index
    // alone, so the random stream (and every other value) stays as it was.
    let span = match data.stage.as_deref() {
        Some("onboarding") => Some(120),
        Some("adoption") => Some(540),
        Some(_) => Some(365),
        None => None,
    };
    if let Some(span) = span {
        let ago = chrono::Duration::days(((i * 53) % span) as i64);
        data.dates.insert("stage_entered".into(), as_of - ago);
    }
    if (1..=3).contains(&(i % 50)) {
        data.parent = Some(format!("acct-{:07}", i - i % 50));
    }
    if rng.chance(0.04) {
        data.events.push(healthscore::score::Event {
            name: "champion_lost".into(),
            date: as_of - chrono::Duration::days((rng.unit() * 60.0) as i64),
        });
    }
    if rng.chance(0.8) {
        let previous = ((health + rng.range(-0.1, 0.3)).clamp(0.0, 1.0) * 100.0 * 1e6) as u32;
        data.previous_score = healthscore::Points::from_micros(previous.min(100_000_000));
        data.previous_band = Some(match previous / 1_000_000 {
            80.. => healthscore::Band::Green,
            60..=79 => healthscore::Band::Lime,
            40..=59 => healthscore::Band::Yellow,
            _ => healthscore::Band::Red,
        });
    }
}
