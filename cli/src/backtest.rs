//! `healthscore backtest`: churn and expansion per band from dated scores
//! and outcomes.

use crate::portfolio::money;
use crate::{exit, BacktestArgs};
use healthscore::backtest::{Backtest, DatedOutcome, DatedScore};
use healthscore::{Band, ScoreRecord, Share};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::process::ExitCode;

pub(crate) fn run(a: BacktestArgs) -> Result<ExitCode, String> {
    let scores = read_scores(&a.scores)?;
    let (outcomes, bad_outcomes) = read_outcomes(&a.outcomes)?;
    let bt = Backtest::run(&scores.scores, &outcomes, a.horizon);
    out!("{}", table(&bt, scores.scores.len(), outcomes.len()));
    scores.tell();
    let rejected = scores.rejected + bad_outcomes;
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{} rejected (see above); the table counts the rest",
            crate::terminal::counted(rejected, "line", "lines")
        );
        ExitCode::from(exit::REJECTED)
    })
}

/// A scores file as read: its dated scores, and what it held besides.
#[derive(Default)]
pub(crate) struct Scores {
    pub scores: Vec<DatedScore>,
    /// Lines rejected (each reported with its number).
    pub rejected: u64,
    /// Lines that were `healthscore score` records without a band
    /// (insufficient data): left out, as no band can count them.
    unbanded: u64,
    /// The models of the `healthscore score` records read, as `name
    /// version (fingerprint)`, with their counts.
    models: BTreeMap<String, u64>,
}

impl Scores {
    /// Says on stderr what was left out, and warns when the records are
    /// of more than one model (their bands are counted together).
    pub(crate) fn tell(&self) {
        if self.unbanded > 0 {
            say!(
                "left out: {} without a band (insufficient data)",
                crate::terminal::counted(self.unbanded, "score record", "score records")
            );
        }
        if self.models.len() > 1 {
            let list: Vec<String> = self
                .models
                .iter()
                .map(|(model, n)| format!("{}: {n}", crate::terminal::clip(model)))
                .collect();
            say!(
                "warning: the score records are of {} models ({}): their bands are counted together",
                self.models.len(),
                crate::terminal::listed(&list)
            );
        }
    }
}

/// Dated scores (JSON lines of `{account, date, score, band, mrr}`), or
/// the records `healthscore score` writes (one per account, with `id`,
/// `as_of`, `mrr`, `score` and `band`), or both. A second score of an
/// account on one date is rejected (a run appended twice would otherwise
/// count each of its scores twice), naming the line of the first.
pub(crate) fn read_scores(path: &str) -> Result<Scores, String> {
    let mut read = Scores::default();
    let mut first: HashMap<(String, chrono::NaiveDate), usize> = HashMap::new();
    read.rejected = each_line(path, |n, line| {
        let score = match serde_json::from_str::<DatedScore>(line) {
            Ok(score) => score,
            // A `healthscore score` output line (every record names its
            // model's fingerprint; a dated score with a misnamed field is
            // told what a dated score holds).
            Err(_) if line.contains("\"model_fingerprint\"") => {
                let record: ScoreRecord = serde_json::from_str(line)
                    .map_err(|e| crate::score::pipeline::where_in::<ScoreRecord>(line, &e))?;
                *read
                    .models
                    .entry(format!(
                        "{} {} ({})",
                        record.model, record.model_version, record.model_fingerprint
                    ))
                    .or_default() += 1;
                match DatedScore::from_record(&record) {
                    Some(score) => score,
                    None => {
                        read.unbanded += 1;
                        return Ok(());
                    }
                }
            }
            Err(e) => return Err(crate::score::pipeline::where_in::<DatedScore>(line, &e)),
        };
        match first.entry((score.account.clone(), score.date)) {
            Entry::Occupied(at) => Err(format!(
                "account {}: a second score on {}, the first at line {} (the first is kept)",
                crate::terminal::printable(&score.account),
                score.date,
                at.get()
            )),
            Entry::Vacant(slot) => {
                slot.insert(n);
                read.scores.push(score);
                Ok(())
            }
        }
    })?;
    Ok(read)
}

/// Outcomes (JSON lines of `{account, date, outcome}`); a line that
/// repeats an earlier one exactly is rejected, naming it (an expansion
/// given twice would otherwise count its MRR twice).
pub(crate) fn read_outcomes(path: &str) -> Result<(Vec<DatedOutcome>, u64), String> {
    let mut outcomes = Vec::new();
    let mut first: HashMap<String, usize> = HashMap::new();
    let rejected = each_line(path, |n, line| {
        let outcome: DatedOutcome = serde_json::from_str(line)
            .map_err(|e| crate::score::pipeline::where_in::<DatedOutcome>(line, &e))?;
        // The outcome as written back: the same whatever the spacing or
        // the order of its fields.
        let key = serde_json::to_string(&outcome).unwrap_or_default();
        match first.entry(key) {
            Entry::Occupied(at) => Err(format!(
                "account {}: the same outcome as line {} (the first is kept)",
                crate::terminal::printable(&outcome.account),
                at.get()
            )),
            Entry::Vacant(slot) => {
                slot.insert(n);
                outcomes.push(outcome);
                Ok(())
            }
        }
    })?;
    Ok((outcomes, rejected))
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

/// Calls `each` with the number (from 1) and text of every line that is
/// not blank; a line it refuses (`Err(why)`), or that is not text, is
/// reported with its number and counted. Returns the count.
fn each_line(
    path: &str,
    mut each: impl FnMut(usize, &str) -> Result<(), String>,
) -> Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut bad = 0;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let refused = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => each(n + 1, &line),
            Err(e) => Err(e.to_string()),
        };
        if let Err(why) = refused {
            say!("rejected {path} line {}: {why}", n + 1);
            bad += 1;
        }
    }
    Ok(bad)
}
