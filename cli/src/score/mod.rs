//! `healthscore score`: streams accounts through the model (and the CTA
//! rules), writing one JSON object per account in input order.
//!
//! Accounts are read, scored (on rayon's pool, one thread per core) and
//! written in batches of 1,024 through bounded queues, so memory does not
//! grow with the file. Bad input costs only itself, and is reported on
//! stderr with its line (or array element) number and account id where
//! readable: a line of invalid UTF-8 or over 16 MiB, a syntax error (a bare
//! `NaN` is named as such), an invalid account, a duplicate id (the later
//! one is rejected, the first kept), the unfinished element of a cut array.
//! A byte-order mark is skipped. Stderr's last lines start with `N read, N
//! scored, N rejected`, and read = scored + rejected (then, with rules,
//! the CTA counts, and a warning naming any metric no scored account has
//! a value of).
//!
//! With `--out FILE` the results go to a results table (Parquet, CSV,
//! JSON lines or Arrow IPC, by extension) instead: columnar accounts (a
//! `.parquet`, `.csv` or `.arrow` file) through the batch path, JSON accounts through this
//! pipeline, each account a row (`healthscore_arrow::ResultRow`) written
//! a record batch at a time; the same accounts either way give the same
//! file. Without it, columnar accounts are read by the model's columns
//! and scored as the same accounts in JSON are, to standard output.
//!
//! State between runs: `--state FILE` (JSON lines, one per account: its
//! last band and score and, with `--rules`, its CTA records and the rules
//! that held; indexed, about 40 bytes an account, not held in memory) and
//! `--state-out FILE`, written
//! atomically (a temporary file beside it, synced, then renamed): an
//! interrupted or failed run leaves the previous file as it was.

mod input;
mod live;
pub(crate) mod pipeline;
mod reader;
mod state;
mod table;

pub(crate) use input::{is_csv, split, Shape, Unit, CSV_ROWS};

use crate::{exit, ScoreArgs};
use healthscore::lifecycle::Lifecycle;
use healthscore::Model;
use pipeline::{Carry, OutputFailed};
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;

/// The warning for the model's metrics that no `unit` (row, account) had
/// a value of: every account was scored without them, which otherwise
/// shows only as "missing" in each one's explanation.
fn without_values(metrics: &[impl AsRef<str>], unit: &str) -> Option<String> {
    let names: Vec<String> = metrics
        .iter()
        .map(|m| crate::terminal::printable(m.as_ref()).into_owned())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "warning: no {unit} has a value of {}: not exported, or renamed? Every account is scored without {}",
            crate::terminal::listed(&names),
            if names.len() == 1 { "it" } else { "them" }
        )
    })
}

/// Opens `path` (`-` for standard input) for reading its text, counted
/// by `progress` as it is read (the bytes of the file, compressed or
/// not), and decoded as it is read where it is gzip- or zstd-compressed
/// ([`healthscore_arrow::decompressed`]: `accounts.jsonl.gz`).
pub(crate) fn open_input(
    path: &str,
    progress: &crate::progress::Progress,
) -> Result<Box<dyn std::io::BufRead + Send>, String> {
    let raw: Box<dyn std::io::BufRead + Send> = if path == "-" {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let name = if path == "-" { "standard input" } else { path };
    healthscore_arrow::decompressed(progress.reader(raw)).map_err(|e| format!("{name}: {e}"))
}

/// Runs `score`.
pub(crate) fn run(args: ScoreArgs) -> Result<ExitCode, String> {
    // By extension, in any case (a spreadsheet's `EXPORT.CSV` too).
    let columnar = crate::accounts::columnar(&args.accounts)?.is_some();
    // Into a results table (`--out`), without CTA state; else a columnar
    // file's rows are scored as the same accounts in JSON are (below): to
    // standard output, with CTA state between runs where asked.
    let stateful = args.state.is_some() || args.state_out.is_some();
    if let (true, false, Some(out)) = (columnar, stateful, args.out.as_deref()) {
        return columns(&args, out);
    }
    if let Some(n) = args.threads {
        // The JSON path scores on rayon's global pool (started only here:
        // the columnar path starts a thread a run of rows, never more
        // than its rows need, and `--threads 1000` took 1.9 s starting
        // rayon's thousand threads before scoring a file of three rows).
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .map_err(|e| format!("--threads {n}: {e}"))?;
    }
    if columnar && stateful && (args.out.is_some() || args.no_drivers) {
        return Err("with --state or --state-out, columnar accounts are scored as JSON accounts are: to standard output, as JSON lines (with --rules, each with its CTA actions); --out and --no-drivers are for the results table, without state between runs".into());
    }
    if columnar && args.no_drivers {
        return Err("--no-drivers is for the results table (--out FILE); to standard output, columnar accounts are scored as JSON accounts are, each with its explanation".into());
    }
    if !columnar && args.as_of.is_some() {
        return Err("--as-of is for columnar accounts (.parquet, .csv, .arrow) without an as_of column; JSON accounts carry their own".into());
    }
    if !columnar && stateful && args.out.is_some() {
        return Err("--out writes the results table, without state between runs: with --state or --state-out, accounts are scored to standard output, as JSON lines (with --rules, each with its CTA actions)".into());
    }
    if !columnar && args.no_drivers && args.out.is_none() {
        return Err("--no-drivers is for the results table (--out FILE); to standard output, each account comes with its explanation".into());
    }
    let model = Model::from_path(&args.model).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let path = args.accounts.clone();
    let (progress, input) = if columnar {
        let as_of = as_of_for(&path, args.as_of.as_deref())?;
        let progress = crate::progress::Progress::for_rows("scoring");
        (
            progress,
            pipeline::Source::Rows {
                path: path.clone(),
                as_of,
            },
        )
    } else {
        let progress = crate::progress::Progress::for_input("scoring", &path);
        let input = open_input(&path, &progress)?;
        // Standard input may be a pipe that accounts come down as they
        // happen: each is scored and written when nothing more is ready.
        let live = path == "-";
        (progress, pipeline::Source::Stream { input, live })
    };
    let lifecycle = match &args.lifecycle {
        Some(file) => Some(Lifecycle::from_path(file, &model).map_err(|e| e.to_string())?),
        None => None,
    };
    let rules = match &args.rules {
        Some(file) => Some(std::sync::Arc::new(crate::check::load_rules(
            file,
            &model,
            lifecycle.as_ref(),
        )?)),
        None => None,
    };
    let warn = |w: String| say!("warning: {w}");
    let state = match &args.state {
        Some(file) => Some(state::StateIndex::open(file, rules.as_deref(), &mut |w| {
            warn(w)
        })?),
        None => None,
    };
    let carry = Carry {
        rules: rules.as_deref(),
        state: state.as_ref(),
        keep: args.state_out.is_some(),
    };
    let mut state_out = args
        .state_out
        .as_deref()
        .map(crate::atomic::AtomicFile::create)
        .transpose()?;
    let state_writer = state_out.as_mut().map(|f| {
        let name = f.name();
        (f.writer() as &mut dyn Write, name)
    });
    // JSON accounts into a results file (`--out`): a row per account.
    let mut table = match args.out.as_deref() {
        Some(file) => match table::create(file, &path, &model, !args.no_drivers, rules.clone()) {
            Ok(table) => Some(table),
            // A directory that is not there: the output's exit status.
            Err(e @ healthscore_arrow::Error::Output { .. }) => {
                say!("error: {e}");
                return Ok(ExitCode::from(exit::OUTPUT));
            }
            Err(e) => return Err(e.to_string()),
        },
        None => None,
    };
    // Removed if the run is interrupted by a signal.
    let _writing = args
        .out
        .as_deref()
        .and_then(|f| healthscore_arrow::temporary_path(f.as_ref()))
        .map(crate::interrupt::Writing::new);
    let sink = match table.as_mut() {
        Some(table) => table::Sink::Table(table),
        None => table::Sink::Json(&mut out, "standard output"),
    };
    let (totals, outcome) =
        pipeline::score_stream(&model, &carry, input, sink, state_writer, &warn, &progress);
    progress.finish();
    let outcome = outcome.and_then(|()| {
        match table {
            Some(table) => table.finish().map_err(Err)?,
            None => out
                .flush()
                .map_err(|e| Err(OutputFailed(format!("standard output: {e}"))))?,
        }
        match state_out {
            Some(file) => file.commit().map_err(|e| Err(OutputFailed(e))),
            None => Ok(()),
        }
    });
    say!(
        "{} read, {} scored, {} rejected{}",
        totals.read,
        totals.scored,
        totals.rejected,
        match (&args.out, outcome.is_ok(), totals.rejected) {
            (Some(file), true, 0) => format!("; results in {file}, a row per account"),
            (Some(file), true, _) => format!(
                "; results in {file}, a row per account read (a rejected one with its error)"
            ),
            _ => String::new(),
        }
    );
    if totals.rejected > 0 && is_csv(&path) {
        say!("{CSV_ROWS}");
    }
    if totals.scored > 0 {
        let none: Vec<&str> = model
            .metric_ids()
            .zip(&totals.missing)
            .filter(|(_, n)| **n == totals.scored)
            .map(|(id, _)| id)
            .collect();
        if let Some(warning) = without_values(&none, "account scored") {
            say!("{warning}");
        }
    }
    if totals.other_model > 0 {
        say!(
            "note: the state holds the last band and score of {} by another model: not taken as previous ones (the rules on band changes and falling scores start again from this run)",
            crate::terminal::counted(totals.other_model, "account", "accounts")
        );
    }
    if carry.rules.is_some() {
        let [opened, updated, quiet, closed] = totals.actions;
        say!("CTAs: {opened} opened, {updated} updated, {quiet} quiet, {closed} proposed to close");
        // Names no rule reads are ignored, as they should be, but a
        // misspelt one is ignored the same way: list them.
        if !totals.unread.is_empty() {
            let names: Vec<String> = totals
                .unread
                .iter()
                .map(|(name, n)| {
                    format!(
                        "{} ({})",
                        crate::terminal::clip(name),
                        crate::terminal::counted(*n, "account", "accounts")
                    )
                })
                .collect();
            say!(
                "no rule reads (ignored): {}",
                crate::terminal::listed(&names)
            );
        }
    }
    match outcome {
        Ok(()) if totals.rejected == 0 => Ok(ExitCode::SUCCESS),
        Ok(()) => Ok(ExitCode::from(exit::REJECTED)),
        // A columnar file's error names the file itself.
        Err(Ok(input_error)) if columnar => Err(input_error),
        Err(Ok(input_error)) => Err(format!("{path}: {input_error}")),
        Err(Err(OutputFailed(message))) => {
            say!("error: {message}; stopped (any state file is unchanged)");
            Ok(ExitCode::from(exit::OUTPUT))
        }
    }
}

/// `--as-of` for the columnar file `path` ([`as_of`]), with a note where
/// the file has an `as_of` column: its dates are the ones used and the
/// flag is ignored (a row with an empty one is rejected), which a user
/// who meant to score the whole file as of another date would otherwise
/// not know.
pub(crate) fn as_of_for(
    path: &str,
    given: Option<&str>,
) -> Result<Option<chrono::NaiveDate>, String> {
    let day = as_of(given)?;
    if let (Some(day), Ok(Some(names))) = (day, healthscore_arrow::column_names(path.as_ref())) {
        if names.iter().any(|n| n == "as_of") {
            say!(
                "note: {} has an as_of column: its dates are used, not --as-of {day} (a row with none is rejected)",
                crate::terminal::printable(path)
            );
        }
    }
    Ok(day)
}

/// `--as-of`, for columnar accounts without an `as_of` column: exactly
/// YYYY-MM-DD in the years the library accepts (a date past them would
/// reject every row one by one instead of the command).
pub(crate) fn as_of(given: Option<&str>) -> Result<Option<chrono::NaiveDate>, String> {
    let Some(d) = given else {
        return Ok(None);
    };
    // The shape first: chrono's own message for `99999-01-01` ("input
    // contains invalid characters") does not say what is wrong.
    let shaped = d.len() == 10
        && d.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let wrong = || format!("--as-of {d}: expected YYYY-MM-DD, years 0001 to 9999");
    if !shaped {
        return Err(wrong());
    }
    let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map_err(|_| format!("--as-of {d}: no such day (expected YYYY-MM-DD)"))?;
    if chrono::Datelike::year(&day) < 1 {
        return Err(wrong());
    }
    Ok(Some(day))
}

/// Columnar accounts (Parquet, CSV or Arrow IPC) scored with the batch
/// path into `out`, a Parquet, CSV, JSON-lines or Arrow IPC file; with `--rules`, each row's CTAs too.
fn columns(args: &ScoreArgs, out: &str) -> Result<ExitCode, String> {
    let model = Model::from_path(&args.model).map_err(|e| e.to_string())?;
    let as_of = as_of_for(&args.accounts, args.as_of.as_deref())?;
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let lifecycle = match &args.lifecycle {
        Some(file) => Some(Lifecycle::from_path(file, &model).map_err(|e| e.to_string())?),
        None => None,
    };
    let rules = match &args.rules {
        Some(file) => Some(std::sync::Arc::new(crate::check::load_rules(
            file,
            &model,
            lifecycle.as_ref(),
        )?)),
        None => None,
    };
    let scorer = healthscore::batch::Scorer::new(&model).threads(threads);
    let options = healthscore_arrow::Options {
        as_of,
        drivers: !args.no_drivers,
        rules,
        // The date and MRR each row was scored with: the history
        // `backtest --scores` reads from the tables kept night after night.
        history: true,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    crate::atomic::remove_leftovers(out.as_ref());
    // Removed if the run is interrupted by a signal.
    let _writing =
        healthscore_arrow::temporary_path(out.as_ref()).map(crate::interrupt::Writing::new);
    let progress = crate::progress::Progress::for_rows("scoring");
    let scored = healthscore_arrow::score_file_with_progress(
        &scorer,
        args.accounts.as_ref(),
        out.as_ref(),
        &options,
        |done| progress.rows(done.rows, done.expected_rows),
    );
    progress.finish();
    let stats = match scored {
        Ok(stats) => stats,
        // A full disk, a missing directory: the output's exit status.
        Err(e @ healthscore_arrow::Error::Output { .. }) => {
            say!("error: {e}");
            return Ok(ExitCode::from(crate::exit::OUTPUT));
        }
        Err(e) => return Err(crate::accounts::describe(&e)),
    };
    // Rejections say how many, and the first one's why: where every row
    // is rejected for one reason (a file in another encoding, a column of
    // the wrong unit), the screen says what to fix: escaped and clipped,
    // as every rejection printed is (it quotes the row's id and values).
    match &stats.first_rejected {
        Some(first) if stats.rejected > 0 => say!(
            "scored {} of {} into {out} in {:.1?}; {} rejected (see the error column), the first: {first}",
            stats.rows - stats.rejected,
            crate::terminal::counted(stats.rows, "account", "accounts"),
            started.elapsed(),
            stats.rejected,
            first = crate::terminal::clip(first),
        ),
        _ => say!(
            "scored {} into {out} in {:.1?}",
            crate::terminal::counted(stats.rows, "account", "accounts"),
            started.elapsed()
        ),
    }
    if stats.rejected > 0 && is_csv(&args.accounts) {
        say!("{CSV_ROWS}");
    }
    if !stats.unread_dates.is_empty() {
        let columns: Vec<String> = stats
            .unread_dates
            .iter()
            .map(|c| format!("column {}", crate::terminal::clip(c)))
            .collect();
        say!(
            "no rule reads (ignored): {}",
            crate::terminal::listed(&columns)
        );
    }
    if let Some(warning) = without_values(&stats.metrics_without_values, "row") {
        say!("{warning}");
    }
    Ok(if stats.rejected > 0 {
        ExitCode::from(crate::exit::REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}
