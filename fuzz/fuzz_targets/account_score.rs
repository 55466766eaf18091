//! Any text as an account of the bundled model: binding never panics, and
//! every score that comes out keeps the invariants: bounded, coverage a
//! share, contributions summing exactly, no colour without measured data,
//! deterministic, and its record reads back exactly.
#![no_main]
use healthscore::{AccountData, Model, ScoreRecord};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::from_json_str(include_str!("../../examples/data/model.json")).expect("bundled model")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(account) = serde_json::from_str::<AccountData>(text) else {
        return;
    };
    let Ok(bound) = model().bind(account) else {
        return;
    };
    let score = bound.score();
    assert!(score.coverage().micros() <= 1_000_000);
    let why = score.explain();
    let total: u64 = why
        .metrics
        .iter()
        .map(|m| u64::from(m.contribution.micros()))
        .sum();
    let dims: u64 = why
        .dimensions
        .iter()
        .map(|d| u64::from(d.contribution.micros()))
        .sum();
    match score.overall() {
        Some(o) => {
            assert!(o.micros() <= 100_000_000);
            assert_eq!(total, u64::from(o.micros()), "metric contributions add up");
            assert_eq!(
                dims,
                u64::from(o.micros()),
                "dimension contributions add up"
            );
        }
        None => assert!(score.band().is_none()),
    }
    if score.band().is_some() {
        assert!(
            why.metrics.iter().any(|m| m.is_measured()),
            "no colour without data"
        );
    }
    let again = bound.score();
    assert_eq!(
        (again.overall(), again.band(), again.coverage()),
        (score.overall(), score.band(), score.coverage())
    );
    let record = score.record();
    let json = serde_json::to_string(&record).expect("records serialise");
    assert_eq!(
        serde_json::from_str::<ScoreRecord>(&json).expect("records read back"),
        record
    );
    let _ = score.to_string();
});
