//! Accounts for the reference model v0m (`examples/data/model-v0m.json`)
//! as columns, with the distributions of `shared/perf/gen.py`: log-normal
//! MRR and company size, beta, Poisson and gamma metric values made
//! positively correlated through a latent account health, about 5% of each
//! metric missing. Generated in Rust (seeded), so benches and examples need
//! no Python.

/// SplitMix64 with the samplers gen.py uses.
pub struct Sampler(u64);

impl Sampler {
    pub fn new(seed: u64) -> Self {
        Sampler(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        mean + sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Marsaglia–Tsang.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if shape < 1.0 {
            let u = self.unit();
            return self.gamma(shape + 1.0, scale) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal(0.0, 1.0);
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.unit().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v * scale;
            }
        }
    }

    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        x / (x + self.gamma(b, 1.0))
    }

    /// Knuth, for the small means used here.
    pub fn poisson(&mut self, mean: f64) -> f64 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1.0;
        }
    }
}

fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The metric ids of v0m, in model order.
pub const METRICS: [&str; 12] = [
    "seats_provisioned_ratio",
    "sso_enabled",
    "integrations_count",
    "exec_sponsor_meetings_90d",
    "nps",
    "support_csat",
    "weekly_active_ratio",
    "feature_breadth_ratio",
    "logins_per_user_30d",
    "value_realized_ratio",
    "quota_utilization_ratio",
    "renewal_days_left",
];

/// The reference model v0m (`examples/data/model-v0m.json`).
pub fn model() -> healthscore::Model {
    let config = serde_json::from_str(include_str!("../data/model-v0m.json")).expect("v0m parses");
    healthscore::Model::new(config).expect("v0m is valid")
}

/// The as-of date the benches and tests score v0m accounts on.
pub fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")
}

/// A portfolio as columns.
pub struct Columns {
    pub ids: Vec<i64>,
    /// MRR in cents (`DECIMAL(12, 2)`).
    pub cents: Vec<i64>,
    pub employees: Vec<u32>,
    /// One column per metric, in [`METRICS`] order.
    pub values: Vec<Vec<f64>>,
    /// Validity per metric (false: missing, SQL NULL).
    pub valid: Vec<Vec<bool>>,
}

impl Columns {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The columns as a batch as of `day`, borrowed: integer ids, MRR in
    /// cents, validity as bools (the shape the benches compare against).
    pub fn batch(&self, day: chrono::NaiveDate) -> healthscore::batch::Batch<'_> {
        self.batch_rows(day, 0..self.len())
    }

    /// Rows `rows` of the columns as a batch (as [`Columns::batch`]).
    pub fn batch_rows(
        &self,
        day: chrono::NaiveDate,
        rows: std::ops::Range<usize>,
    ) -> healthscore::batch::Batch<'_> {
        use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Validity};
        let mrr = Mrr::Scaled64 {
            values: &self.cents[rows.clone()],
            scale: 2,
        };
        let mut b = Batch::new(
            Ids::Int(&self.ids[rows.clone()]),
            mrr,
            &self.employees[rows.clone()],
            Dates::One(day),
        );
        for (id, (values, valid)) in METRICS.iter().zip(self.values.iter().zip(&self.valid)) {
            b.push_metric(
                id,
                MetricColumn::new(&values[rows.clone()])
                    .validity(Validity::Bools(&valid[rows.clone()])),
            );
        }
        b
    }
}

/// `n` accounts, reproducible from the seed.
pub fn generate(n: usize, seed: u64) -> Columns {
    let mut s = Sampler::new(seed);
    let ids = (1..=n as i64).collect();
    let cents = (0..n)
        .map(|_| ((s.normal(7.4, 1.6).exp() * 100.0).round()).clamp(100.0, 5e8) as i64)
        .collect();
    let employees = (0..n)
        .map(|_| s.normal(4.3, 1.6).exp().round().clamp(1.0, 200_000.0) as u32)
        .collect();
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(12);
    let gens: [&dyn Fn(&mut Sampler) -> f64; 12] = [
        &|s| round_to(s.beta(5.0, 2.0) * 1.4, 4),
        &|s| f64::from(u8::from(s.unit() < 0.6)),
        &|s| s.poisson(6.0),
        &|s| s.poisson(1.5),
        &|s| s.normal(25.0, 40.0).round().clamp(-100.0, 100.0),
        &|s| round_to(s.normal(4.0, 0.7).clamp(0.0, 5.0), 2),
        &|s| round_to(s.beta(3.0, 3.0), 4),
        &|s| round_to(s.beta(2.0, 3.0), 4),
        &|s| round_to(s.gamma(2.0, 5.0), 2),
        &|s| round_to(s.gamma(4.0, 0.25), 3),
        &|s| round_to(s.beta(4.0, 3.0) * 1.3, 4),
        &|s| (s.unit() * 366.0).floor().min(365.0),
    ];
    for g in gens {
        values.push((0..n).map(|_| g(&mut s)).collect());
    }
    // A latent health reorders every metric but the renewal date, so that
    // metrics are positively correlated (their distributions unchanged).
    let health: Vec<f64> = (0..n).map(|_| s.beta(2.0, 2.0)).collect();
    for column in values.iter_mut().take(11) {
        let key: Vec<f64> = health
            .iter()
            .map(|h| h + 0.25 * s.normal(0.0, 1.0))
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| key[*a].total_cmp(&key[*b]));
        let mut sorted = column.clone();
        sorted.sort_by(f64::total_cmp);
        for (rank, row) in order.into_iter().enumerate() {
            column[row] = sorted[rank];
        }
    }
    let valid = (0..12)
        .map(|_| (0..n).map(|_| s.unit() >= 0.05).collect())
        .collect();
    Columns {
        ids,
        cents,
        employees,
        values,
        valid,
    }
}
