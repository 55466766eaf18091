//! `healthscore backtest`: churn and expansion per band from dated scores
//! and outcomes.

use crate::portfolio::money;
use crate::told::Told;
use crate::{exit, BacktestArgs};
use healthscore::backtest::{Backtest, DatedScore, Tally};
use healthscore::{Band, ScoreRecord, Share};
use healthscore_arrow::DatedRow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::process::ExitCode;

mod account_ids;
mod account_set;
mod outcomes;
mod runs;
mod seen;
pub(crate) use outcomes::read_outcomes;
use seen::{Seen, Source};

pub(crate) fn run(a: BacktestArgs) -> Result<ExitCode, String> {
    // The outcomes first: each score is then counted as it is read, and
    // not kept (a year of nightly results is hundreds of millions).
    let (outcomes, bad_outcomes) = read_outcomes(&a.outcomes)?;
    let mut tally = Tally::new(&outcomes, a.horizon);
    // The tally holds its own copy.
    let outcome_count = outcomes.len();
    drop(outcomes);
    let scores = read_scores(&a.scores, &mut |s| tally.add(s))?;
    let bt = tally.finish();
    out!("{}", table(&bt, scores.kept, outcome_count));
    scores.tell();
    let rejected = scores.rejected + bad_outcomes;
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        say!("{rejected} rejected (see above); the table counts the rest");
        ExitCode::from(exit::REJECTED)
    })
}

/// What reading the scores files found, besides the scores themselves
/// (each handed on as it was read).
#[derive(Default)]
pub(crate) struct Scores {
    /// Scores kept: handed on.
    pub kept: u64,
    /// Lines rejected (each reported with its number).
    pub rejected: u64,
    /// `healthscore score` records and table rows without a band
    /// (insufficient data): left out, as no band can count them.
    unbanded: u64,
    /// Rows of results tables that were rejected when scored (their
    /// `error` set): left out.
    unscored: u64,
    /// The models of the `healthscore score` records read, as `name
    /// version (fingerprint)`, with their counts.
    models: BTreeMap<String, u64>,
}

impl Scores {
    /// A results row's score, or `None` for a row left out (counted: one
    /// rejected when it was scored, one short of data); `Err` for a row
    /// that cannot be read.
    fn score_of(&mut self, row: DatedRow) -> Result<Option<DatedScore>, String> {
        match row {
            DatedRow::Score(score) => Ok(Some(score)),
            DatedRow::Unreadable(why) => Err(why),
            DatedRow::Rejected(_) => {
                self.unscored += 1;
                Ok(None)
            }
            // Short of data.
            _ => {
                self.unbanded += 1;
                Ok(None)
            }
        }
    }

    /// Says on stderr what was left out, and warns when the records are
    /// of more than one model (their bands are counted together).
    pub(crate) fn tell(&self) {
        if self.unbanded > 0 {
            say!(
                "left out: {} without a band (insufficient data)",
                crate::terminal::counted(self.unbanded, "score record", "score records")
            );
        }
        if self.unscored > 0 {
            say!(
                "left out: {} rejected when scored (their error column says why)",
                crate::terminal::counted(self.unscored, "row", "rows")
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

/// Dated scores from each of `paths`: JSON lines of `{account, date,
/// score, band, mrr}`, or the records `healthscore score` writes (one per
/// account, with `id`, `as_of`, `mrr`, `score` and `band`), or the rows
/// of the JSON lines results table `score --out scores.jsonl` writes, or
/// any of them together (gzip or zstd compressed too); or
/// by extension a Parquet, CSV or Arrow table of them (the results
/// `healthscore score --out` writes, or a warehouse's table with those
/// columns), or a directory of such files (a file a night, or a table's
/// parts; each read on its own). A second score of an
/// account on one date is rejected (a run appended twice, or a night's
/// results given twice, would otherwise count each of its scores twice),
/// naming where the first was: told once every file is read, with the
/// first's place found by reading its file again ([`Seen`] keeps a bit
/// per account and date, not every score's place).
pub(crate) fn read_scores(
    paths: &[String],
    keep: &mut dyn FnMut(&DatedScore),
) -> Result<Scores, String> {
    let mut read = Scores::default();
    let mut seen = Seen::default();
    let several = paths.len() > 1;
    let mut sources = Vec::new();
    for path in paths {
        let dir = std::path::Path::new(path);
        // A directory of nights: each file on its own, in its own format
        // (a partitioned table is one table, read as one).
        if dir.is_dir() && !partitioned(dir) {
            for (file, format) in healthscore_arrow::dated_files(dir).map_err(|e| e.to_string())? {
                let file = file.display().to_string();
                let lines = (!format.is_columnar()).then(|| file.clone());
                sources.push(Source { path: file, lines });
            }
        } else if is_table(path) {
            sources.push(Source {
                path: path.clone(),
                lines: None,
            });
        } else {
            // A JSON file's lines are named by their number alone, but
            // where several files are read.
            let name = if several { path.clone() } else { String::new() };
            sources.push(Source {
                path: path.clone(),
                lines: Some(name),
            });
        }
    }
    for source in sources {
        let (name, unit) = match &source.lines {
            Some(name) => (Some(name.clone()), "line"),
            None => (None, "row"),
        };
        let path = source.path.clone();
        seen.source(source);
        let each = &mut |file: &str, n: u64, score: &DatedScore| {
            let at = seen.file(name.as_deref().unwrap_or(file), file, unit);
            seen.keep(at, n, score, keep)
        };
        match &name {
            Some(_) => read_lines(&path, &mut read, true, each)?,
            None => read_table(&path, &mut read, true, each)?,
        }
    }
    // Second scores of an account on a date, each with where its first
    // was (their files read again, quietly).
    seen.tell_repeats(
        &mut |source, found| {
            let mut again = Scores::default();
            let each = &mut |file: &str, n: u64, score: &DatedScore| {
                found(file, n, score);
                Ok(())
            };
            // The first reading said what was wrong; this one only looks.
            let _ = match source.lines {
                Some(_) => read_lines(&source.path, &mut again, false, each),
                None => read_table(&source.path, &mut again, false, each),
            };
        },
        &mut |message| say!("{message}"),
    );
    read.kept = seen.kept();
    read.rejected += seen.repeats();
    Ok(read)
}

/// Whether the directory `dir` is a table partitioned by `key=value/`
/// directories (it holds a directory that is not a marker).
fn partitioned(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            e.path().is_dir() && !name.starts_with('_') && !name.starts_with('.')
        })
    })
}

/// What [`read_lines`] and [`read_table`] hand each score to, with its
/// file's path and its line or row number: `Err(why)` rejects it.
type Each<'a> = dyn FnMut(&str, u64, &DatedScore) -> Result<(), String> + 'a;

/// The JSON lines of `path` (dated scores, `healthscore score` records,
/// results rows), each score handed to `each`; a line that cannot be
/// read, or that `each` refuses, is rejected (said, with its number,
/// where `tell`) and counted in `read`.
fn read_lines(path: &str, read: &mut Scores, tell: bool, each: &mut Each) -> Result<(), String> {
    let rejected = each_line(path, tell, |n, line| {
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
            // A row of the JSON lines results table (`score --out
            // scores.jsonl`), read as the same row of a Parquet one.
            Err(e) => match healthscore_arrow::dated_row_of_json(line) {
                Some(row) => match read.score_of(row)? {
                    Some(score) => score,
                    None => return Ok(()),
                },
                None => return Err(crate::score::pipeline::where_in::<DatedScore>(line, &e)),
            },
        };
        each(path, n as u64, &score)
    })?;
    read.rejected += rejected;
    Ok(())
}

/// Whether `path` is read as a table (a directory of parts, or a
/// Parquet, CSV or Arrow file by its extension), not as JSON lines.
fn is_table(path: &str) -> bool {
    let path = std::path::Path::new(path);
    path.is_dir()
        || healthscore_arrow::Format::of(path).is_ok_and(healthscore_arrow::Format::is_columnar)
}

/// A table of dated scores ([`healthscore_arrow::read_dated_scores`]; a
/// directory of them): each row's score handed to `each`, or the row
/// rejected (said, with its file and number, where `tell`) and counted
/// in `read`.
fn read_table(path: &str, read: &mut Scores, tell: bool, each: &mut Each) -> Result<(), String> {
    let mut told = Told::new(|line| say!("{line}"));
    // The file's path as text, made once per file, not once per row.
    let mut named = (std::path::PathBuf::new(), String::new());
    let files = healthscore_arrow::read_dated_scores(path.as_ref(), |file, n, row| {
        if named.0.as_os_str() != file.as_os_str() {
            named = (file.to_path_buf(), file.to_string_lossy().into_owned());
        }
        let refused = read.score_of(row).and_then(|score| match score {
            Some(score) => each(&named.1, n, &score),
            None => Ok(()),
        });
        if let Err(why) = refused {
            if tell {
                told.reject(&format!("{} ", file.display()), "row", n, &why);
            }
            read.rejected += 1;
        }
    })
    .map_err(|e| e.to_string())?;
    told.flush();
    for file in files {
        if let Some(model) = file.model {
            *read.models.entry(model).or_default() += file.rows;
        }
    }
    Ok(())
}

/// The back-test table, as `backtest` prints it.
pub(crate) fn table(bt: &Backtest, scores: u64, outcomes: usize) -> String {
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
        "\n{} churned, {} MRR lost (each account once, at its MRR on its last score before churning)",
        crate::terminal::counted(bt.churned_accounts, "account", "accounts"),
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
/// not blank; a line it refuses (`Err(why)`), or that is not UTF-8 text,
/// is reported with its number (where `tell`) and counted. Returns the count. The file
/// may be gzip- or zstd-compressed ([`healthscore_arrow::decompressed`]);
/// a read that fails (a compressed file cut short) ends it as an error.
fn each_line(
    path: &str,
    tell: bool,
    mut each: impl FnMut(usize, &str) -> Result<(), String>,
) -> Result<u64, String> {
    let failed = |e: std::io::Error| format!("{path}: {e}");
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut input =
        healthscore_arrow::decompressed(Box::new(std::io::BufReader::new(file))).map_err(failed)?;
    let mut bad = 0;
    let mut told = Told::new(|line| say!("{line}"));
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(failed)? == 0 {
            break;
        }
        let refused = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => each(n, text.trim_end_matches(['\n', '\r'])),
            Err(e) => Err(format!("not UTF-8 text ({e})")),
        };
        if let Err(why) = refused {
            if tell {
                told.reject(&format!("{path} "), "line", n as u64, &why);
            }
            bad += 1;
        }
    }
    Ok(bad)
}
