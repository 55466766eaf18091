//! `healthscore`: the command-line tool of the healthscore crate.
//!
//! Check a model, score a portfolio (with CTA state between runs), print
//! the portfolio table, explain one account, diff two model versions,
//! back-test against outcomes, generate synthetic accounts, and write a
//! self-contained HTML report. `healthscore --help` and `healthscore
//! COMMAND --help` say the rest.

/// `eprintln!` that never panics: where standard error is a pipe its
/// reader closed (`healthscore portfolio ... 2>&1 | head`), the message
/// is lost and the command goes on to its exit status, where `eprintln!`
/// would end it in a panic (status 101).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `print!` through [`output::print`]: a closed standard output is the
/// command's status 4, not a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print(format_args!($($arg)*))
    };
}

/// `println!` through [`output::print`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        $crate::output::print(format_args!($($arg)*));
        $crate::output::print(format_args!("\n"));
    }};
}

mod accounts;
mod atomic;
mod backtest;
mod check;
mod diff;
#[path = "../../examples/support/generate.rs"]
#[allow(dead_code)]
mod generate;
mod interrupt;
mod output;
mod portfolio;
mod progress;
mod report;
mod score;
mod terminal;
mod told;

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes, the same for every command.
pub(crate) mod exit {
    /// Bad arguments, or a model, rules, state or input that cannot be used.
    pub const USAGE: u8 = 2;
    /// Some accounts were rejected; the rest were processed.
    pub const REJECTED: u8 = 3;
    /// The output (or the state file) could not be written.
    pub const OUTPUT: u8 = 4;
    /// `explain`: no account with that id.
    pub const NOT_FOUND: u8 = 5;
}

/// Customer health scores from the command line.
///
/// Exit status: 0 success; 2 bad arguments or an unusable model, rules,
/// state or input file (every problem is printed with its path); 3 some
/// accounts were rejected (the rest were processed; each rejection is
/// printed with its line and account id, a run of four or more for one
/// reason as its first and then one line for the rest); 4 the output
/// could not be written; 5 `explain` found no such account (3 where it
/// is there but was rejected: its error says why). Stopped by SIGINT, SIGTERM
/// or SIGHUP, the temporary files being written are removed first and the
/// rest of a run of rejections being printed is said, then the process
/// ends as killed by the signal. Killed outright (SIGKILL),
/// it leaves its temporary file (.NAME.tmp-PID), which a later run
/// writing NAME removes once that process has ended and an hour has
/// passed.
#[derive(Parser)]
#[command(name = "healthscore", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a model (and rules, and a lifecycle): print every problem
    /// with its path, or a one-screen summary of a valid model.
    Check(CheckArgs),
    /// Score accounts (JSON lines, a JSON array, or a Parquet, CSV or
    /// Arrow file of columns) into JSON lines on stdout, with CTAs and
    /// their state between runs; or into a results table (--out: Parquet,
    /// CSV, JSON lines or Arrow).
    Score(ScoreArgs),
    /// The portfolio table: bands × segments with MRR, stale and missing
    /// data per metric, concentration, and the lowest accounts explained.
    Portfolio(PortfolioArgs),
    /// One account's full explanation.
    Explain(ExplainArgs),
    /// The back-test table from dated scores and outcomes (JSON lines, or the results tables `score --out` writes night after night).
    Backtest(BacktestArgs),
    /// Score the same accounts under two models: the band transition
    /// matrix (counts and MRR), the accounts that changed band, and the
    /// shift per segment. The check to run before rolling out a new model.
    Diff(DiffArgs),
    /// Synthetic accounts that fit a model (JSON lines on stdout).
    Generate(GenerateArgs),
    /// A self-contained HTML report (inline SVG, no network): bands per
    /// segment, MRR per band, concentration, stale and missing data,
    /// lowest accounts,
    /// and with --scores/--outcomes churn and expansion per band, the ROC
    /// curve and the band mix over time.
    Report(ReportArgs),
}

/// The model and accounts most commands read.
#[derive(Args, Clone)]
pub(crate) struct Input {
    /// The model, JSON or TOML (by extension).
    #[arg(long, default_value = "examples/data/model.json")]
    pub model: String,
    /// Accounts: JSON lines or a JSON array (`-` for stdin; gzip or zstd
    /// compressed too), or by extension a `.parquet`, `.csv` (`.csv.gz`,
    /// `.csv.zst` too) or
    /// `.arrow` (Arrow IPC: `.feather`, `.arrows` too) file of columns, or a directory of `.parquet`, `.csv`
    /// or `.arrow` parts of one table (as `score` reads them).
    #[arg(long, default_value = "examples/data/portfolio.jsonl")]
    pub accounts: String,
    /// For columnar accounts without an `as_of` column: the date the
    /// scores are as of (YYYY-MM-DD). A file with the column is scored as
    /// of its dates, with a note saying so.
    #[arg(long)]
    pub as_of: Option<String>,
}

impl Input {
    /// How `for_each_chunk` reads a file of columns: by `model`'s columns,
    /// as of `--as-of` (checked here).
    pub(crate) fn columns<'m>(
        &self,
        model: &'m healthscore::Model,
    ) -> Result<Option<(&'m healthscore::Model, Option<chrono::NaiveDate>)>, String> {
        Ok(Some((
            model,
            score::as_of_for(&self.accounts, self.as_of.as_deref())?,
        )))
    }
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The model file.
    pub model: String,
    /// A CTA rule set to validate against the model (and the lifecycle,
    /// when given: its rules may use lifecycle verdicts).
    #[arg(long)]
    pub rules: Option<String>,
    /// A lifecycle to validate against the model.
    #[arg(long)]
    pub lifecycle: Option<String>,
}

#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// The model, JSON or TOML (by extension).
    #[arg(long)]
    pub model: String,
    /// Accounts: JSON lines or a JSON array (`-` for stdin: accounts piped
    /// in as they happen are scored and written as each comes), or by
    /// extension a `.parquet`, `.csv` or `.arrow` (Arrow IPC: `.feather`,
    /// `.arrows` too) file of columns (one per metric; see the
    /// healthscore-arrow crate for the column conventions), or a
    /// directory of `.parquet`, `.csv` or `.arrow` parts of one table (an export
    /// in several files, beside `_SUCCESS`; or partitioned in `key=value/`
    /// directories, whose values become text columns), read as one file.
    #[arg(long)]
    pub accounts: String,
    /// Where to write the results table, a `.parquet`, `.csv`, `.jsonl`,
    /// `.arrow` or `.arrows` file by extension (CSV and JSON lines
    /// compressed as `.csv.gz`, `.jsonl.zst`; written beside, then renamed into place): a row
    /// per account read (its id, as_of and mrr, then its scores), a
    /// rejected one with its `error`; no CTA state. Kept night after
    /// night, such files are what `backtest --scores` reads.
    /// Without it, accounts are scored to standard output, each with its
    /// explanation.
    #[arg(long)]
    pub out: Option<String>,
    /// For columnar accounts without an `as_of` column: the date the
    /// scores are as of (YYYY-MM-DD). A file with the column is scored as
    /// of its dates, with a note saying so.
    #[arg(long)]
    pub as_of: Option<String>,
    /// A CTA rule set: each output object then carries `ctas` (JSON
    /// accounts: the actions; columnar accounts: `ctas` and `cta_kinds`
    /// columns).
    #[arg(long)]
    pub rules: Option<String>,
    /// The state of an earlier run: each account's last band and score,
    /// taken as its previous ones (for hysteresis and the rules on band
    /// changes) where the input gives neither, and with --rules its CTA
    /// records. Columnar accounts are then scored as the same accounts in
    /// JSON are: to standard output, as JSON lines.
    #[arg(long)]
    pub state: Option<String>,
    /// Where to write the state after this run, atomically (may name the
    /// --state file; columnar accounts as with --state).
    #[arg(long)]
    pub state_out: Option<String>,
    /// A lifecycle, so that the rules may use its verdicts
    /// (`{"lifecycle": "overdue"}`).
    #[arg(long, requires = "rules")]
    pub lifecycle: Option<String>,
    /// For the results table (--out): leave out `pulls_down_most` (the
    /// metric that pulls each score down most); for columnar accounts a
    /// second, row-at-a-time pass that about doubles a Parquet file's run.
    #[arg(long)]
    pub no_drivers: bool,
    /// Threads to score on (default: one per core); with more than one, a
    /// columnar file is also read on one while the results are written
    /// on another.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Args)]
pub(crate) struct PortfolioArgs {
    #[command(flatten)]
    pub input: Input,
    /// How many of the lowest-scoring accounts to explain.
    #[arg(long, default_value_t = 10)]
    pub lowest: usize,
}

#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// The account's id.
    pub id: String,
    #[command(flatten)]
    pub input: Input,
}

#[derive(Args)]
pub(crate) struct BacktestArgs {
    /// Dated scores: JSON lines of {account, date, score, band, mrr}, or
    /// the records `healthscore score` wrote (its output lines), or the
    /// rows of a `score --out scores.jsonl` results table, or any of them
    /// together (gzip or zstd compressed too); or by extension a .parquet,
    /// .csv (.csv.gz) or .arrow table of them (the results `score --out`
    /// writes, with as_of and mrr; or a warehouse's table of id, as_of,
    /// score, band, mrr); or a directory of such files (a file a night,
    /// each read on its own in its own format, JSON lines too), or a
    /// table partitioned by as_of=…/ directories. Give it again for more.
    #[arg(long, default_value = "examples/data/history_scores.jsonl")]
    pub scores: Vec<String>,
    /// Outcomes: JSON lines of {account, date, outcome}, or by extension
    /// a .parquet, .csv or .arrow table of account, date, outcome
    /// (churned, renewed or expanded) and mrr (an expansion's added MRR),
    /// or a directory of such files (a CRM's export a month, each in its
    /// own format, JSON lines too), or a partitioned table.
    #[arg(long, default_value = "examples/data/history_outcomes.jsonl")]
    pub outcomes: String,
    /// Days after a score in which an outcome counts.
    #[arg(long, default_value_t = 90)]
    pub horizon: u32,
}

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The model in use.
    pub old_model: String,
    /// The model to roll out.
    pub new_model: String,
    /// Accounts: JSON lines or a JSON array (`-` for stdin), or by
    /// extension a `.parquet`, `.csv` or `.arrow` file of columns, or a
    /// directory of parts (as `score` reads them; each model reads the
    /// columns of its metrics).
    #[arg(long, default_value = "examples/data/portfolio.jsonl")]
    pub accounts: String,
    /// For columnar accounts without an `as_of` column: the date the
    /// scores are as of (YYYY-MM-DD). A file with the column is scored as
    /// of its dates, with a note saying so.
    #[arg(long)]
    pub as_of: Option<String>,
    /// How many changed accounts to list.
    #[arg(long, default_value_t = 20)]
    pub show: usize,
}

#[derive(Args)]
pub(crate) struct GenerateArgs {
    /// How many accounts.
    pub count: u64,
    /// The random seed (the same seed gives the same accounts).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The model the accounts fit.
    #[arg(long, default_value = "examples/data/model.json")]
    pub model: String,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub input: Input,
    /// Dated scores for the back-test charts (as `backtest` reads them:
    /// JSON lines, results tables, directories; give it again for more).
    #[arg(long, requires = "outcomes")]
    pub scores: Vec<String>,
    /// Outcomes for the back-test charts (as `backtest` reads them).
    #[arg(long, requires = "scores")]
    pub outcomes: Option<String>,
    /// Days after a score in which an outcome counts.
    #[arg(long, default_value_t = 90)]
    pub horizon: u32,
    /// Where to write the HTML file.
    #[arg(long, short, default_value = "healthscore-report.html")]
    pub out: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C, a timeout's SIGTERM: temporary files removed first.
    interrupt::install();
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Score(a) => score::run(a),
        Command::Portfolio(a) => portfolio::run(a),
        Command::Explain(a) => portfolio::explain(a),
        Command::Backtest(a) => backtest::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Generate(a) => generate_accounts(a),
        Command::Report(a) => report::run(a),
    };
    let code = match result {
        Ok(code) => code,
        Err(message) => {
            say!("error: {}", terminal::clip_lines(&message));
            ExitCode::from(exit::USAGE)
        }
    };
    match output::failed() {
        Some(e) => {
            say!("error: standard output: {e}");
            ExitCode::from(exit::OUTPUT)
        }
        None => code,
    }
}

fn generate_accounts(a: GenerateArgs) -> Result<ExitCode, String> {
    use std::io::Write;
    let model = healthscore::Model::from_path(&a.model).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match generate::write_portfolio(model.config(), a.count, a.seed, &mut out)
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            say!("error: standard output: {e}");
            Ok(ExitCode::from(exit::OUTPUT))
        }
    }
}
