//! Any text as dated scores and outcomes: histories, deltas over any
//! window, trends, transitions, back-tests over any horizon and threshold
//! proposals never panic, and what they return is consistent.
#![no_main]
use healthscore::backtest::{propose_thresholds, Backtest, DatedOutcome, DatedScore};
use healthscore::history::{History, ScorePoint};
use healthscore::{Points, Share};
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
struct Input {
    points: Vec<ScorePoint>,
    scores: Vec<DatedScore>,
    outcomes: Vec<DatedOutcome>,
    horizon: u32,
    window_days: i64,
    targets: [u32; 4],
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(input) = serde_json::from_str::<Input>(text) else {
        return;
    };
    if let Ok(history) = History::new(input.points) {
        let window = chrono::Duration::try_days(input.window_days).unwrap_or(chrono::Duration::MAX);
        let _ = history.delta(window);
        let _ = history.trend(window, Points::ZERO);
        let transitions = history.transitions();
        assert!(transitions.len() < history.points().len().max(1));
        if let Some(latest) = history.latest() {
            let _ = history.time_in_current_band(latest.date);
        }
    }
    let bt = Backtest::run(&input.scores, &input.outcomes, input.horizon);
    for band in bt.bands {
        assert!(band.churned <= band.scores && band.expanded <= band.scores);
        assert!(band.churned_accounts <= band.churned);
    }
    if let Some(auc) = bt.auc {
        assert!(auc.numerator <= auc.denominator);
    }
    let scores: Vec<Points> = input.scores.iter().map(|s| s.score).collect();
    let targets = input
        .targets
        .map(|t| Share::from_micros(t).unwrap_or(Share::ZERO));
    if let Ok(p) = propose_thresholds(&scores, targets) {
        let _ = p.rounded(
            Points::from_micros(1_000_000).unwrap_or(Points::MAX),
            &scores,
        );
    }
});
