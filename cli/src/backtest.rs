//! `healthscore backtest`: churn and expansion per band from dated scores
//! and outcomes.

use crate::portfolio::money;
use crate::{exit, BacktestArgs};
use healthscore::backtest::{Backtest, DatedOutcome, DatedScore};
use healthscore::{Band, Share};
use std::fmt::Write as _;
use std::io::BufRead;
use std::process::ExitCode;

pub(crate) fn run(a: BacktestArgs) -> Result<ExitCode, String> {
    let (scores, bad_scores) = read_lines::<DatedScore>(&a.scores)?;
    let (outcomes, bad_outcomes) = read_lines::<DatedOutcome>(&a.outcomes)?;
    let bt = Backtest::run(&scores, &outcomes, a.horizon);
    out!("{}", table(&bt, scores.len(), outcomes.len()));
    let rejected = bad_scores + bad_outcomes;
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        let lines = if rejected == 1 { "line" } else { "lines" };
        say!("{rejected} {lines} rejected (see above); the table counts the rest");
        ExitCode::from(exit::REJECTED)
    })
}

/// The back-test table, as `backtest` prints it.
pub(crate) fn table(bt: &Backtest, scores: usize, outcomes: usize) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{scores} dated scores, {outcomes} outcomes, horizon {} days\n",
        bt.horizon_days
    );
    let _ = writeln!(
        t,
        "{:<7} {:>7} {:>8} {:>7} {:>9} {:>16} {:>9} {:>7}",
        "band", "scores", "churned", "rate", "accounts", "churned MRR", "expanded", "rate"
    );
    for band in Band::ALL {
        let b = bt.bands[band.index()];
        let _ = writeln!(
            t,
            "{band:<7} {:>7} {:>8} {:>7} {:>9} {:>16} {:>9} {:>7}",
            b.scores,
            b.churned,
            pct(b.churn_rate()),
            b.churned_accounts,
            money(b.churned_mrr),
            b.expanded,
            pct(b.expansion_rate())
        );
    }
    let _ = writeln!(
        t,
        "\n{} accounts churned, {} MRR lost (each account once, at its MRR on its last score before churning)",
        bt.churned_accounts,
        money(bt.churned_mrr)
    );
    let _ = match bt.auc {
        Some(auc) => writeln!(
            t,
            "AUC of the score as a churn predictor: {:.3} (0.5 is chance, 1 is perfect)",
            auc.value()
        ),
        None => writeln!(t, "AUC: undefined (no churn, or nothing but churn)"),
    };
    let _ = writeln!(
        t,
        "churn falls as health rises (red ≥ yellow ≥ lime ≥ green): {}",
        bt.churn_order()
    );
    t
}

/// A rate as a percentage with one decimal, or `-`.
pub(crate) fn pct(r: Option<Share>) -> String {
    r.map_or("-".to_string(), |r| format!("{}%", r.percent().round_dp(1)))
}

/// JSON lines of `T`, each bad line reported with its number and skipped.
pub(crate) fn read_lines<T: serde::de::DeserializeOwned>(
    path: &str,
) -> Result<(Vec<T>, u64), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut rows = Vec::new();
    let mut bad = 0;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                say!("rejected {path} line {}: {e}", n + 1);
                bad += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(row) => rows.push(row),
            Err(e) => {
                let e = crate::score::pipeline::where_in::<T>(&line, &e);
                say!("rejected {path} line {}: {e}", n + 1);
                bad += 1;
            }
        }
    }
    Ok((rows, bad))
}
