//! A command-line scorer.
//!
//! ```text
//! cargo run --release --example score -- --model examples/data/model.json --accounts examples/data/portfolio.jsonl
//! cargo run --release --example score -- --model examples/data/model.json --generate 1000000 --seed 7 > big.jsonl
//! ```
//!
//! * `--model FILE`: the model, JSON or TOML (by extension `.toml`).
//! * `--accounts FILE`: a JSON array of accounts or JSON lines (`-` for
//!   stdin). Writes one JSON object per account to stdout, in input order.
//!   Accounts are read, scored (one worker per core) and written in batches
//!   of 1,024 through bounded queues, so memory does not grow with the file.
//! * `--rules FILE`: a CTA rule set, JSON or TOML; each output object then
//!   carries `ctas`, the actions the rules propose, and stderr counts them.
//! * `--state FILE` (with `--rules`): the CTA state of an earlier run (JSON
//!   lines, one per account: its CTA records and the rules that held; see
//!   `state.rs`), so open CTAs are updated, not opened again, and snoozes,
//!   cooldowns, caps and edge triggers apply. The file is indexed (about 40
//!   bytes an account), not held in memory.
//! * `--state-out FILE` (with `--rules`): writes the state after this run,
//!   atomically (a temporary file beside it, synced, then renamed): an
//!   interrupted or failed run leaves the previous file as it was. It may
//!   name the `--state` file.
//! * `--generate N --seed S`: writes N synthetic accounts (JSON lines) that
//!   fit the model, for trying it at scale.
//!
//! Bad input costs only itself, and is reported on stderr with its line (or
//! array element) number and account id where readable: a line of invalid
//! UTF-8 or over 16 MiB, a syntax error (a bare `NaN` is named as such), an
//! invalid account, a duplicate id (the later one is rejected, the first
//! kept), the unfinished element of a cut array. A byte-order mark is
//! skipped. Stderr always ends with `N read, N scored, N rejected`, and
//! read = scored + rejected.
//!
//! Exit status: 0 when every account was scored; 3 when some were rejected
//! (the rest are scored); 2 for a bad model, rules, state file or arguments,
//! or an unreadable input; 4 when the output or the state could not be
//! written (a closed pipe, a full disk): the run stops at once and the
//! previous state file is left as it was.

#[path = "../support/generate.rs"]
#[allow(dead_code)] // the back-test history generator is not used here
mod generate;
mod input;
mod pipeline;
mod state;

use healthscore::cta::RuleSet;
use healthscore::{Model, ModelConfig};
use pipeline::{Ctas, OutputFailed};
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    model: String,
    rules: Option<String>,
    state: Option<String>,
    state_out: Option<String>,
    accounts: Option<String>,
    generate: Option<(u64, u64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut model, mut accounts, mut count, mut seed, mut rules) = (None, None, None, 1u64, None);
    let (mut state, mut state_out) = (None, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => model = Some(value()?),
            "--accounts" => accounts = Some(value()?),
            "--rules" => rules = Some(value()?),
            "--state" => state = Some(value()?),
            "--state-out" => state_out = Some(value()?),
            "--generate" => count = Some(value()?.parse().map_err(|e| format!("--generate: {e}"))?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument {other}; see the example's docs")),
        }
    }
    let model = model.ok_or("--model FILE is required")?;
    if accounts.is_none() && count.is_none() {
        return Err("give --accounts FILE or --generate N".into());
    }
    if rules.is_none() && (state.is_some() || state_out.is_some()) {
        return Err("--state and --state-out need --rules FILE".into());
    }
    Ok(Args {
        model,
        rules,
        state,
        state_out,
        accounts,
        generate: count.map(|n| (n, seed)),
    })
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let model = Model::from_path(&args.model).map_err(|e| e.to_string())?;
    let config: &ModelConfig = model.config();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if let Some((n, seed)) = args.generate {
        generate::write_portfolio(config, n, seed, &mut out)
            .and_then(|()| out.flush())
            .map_err(|e| format!("standard output: {e}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = args.accounts.unwrap_or_default();
    let input: Box<dyn std::io::BufRead + Send> = if path == "-" {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin()))
    } else {
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let rules = match &args.rules {
        Some(file) => Some(RuleSet::from_path(file, &model).map_err(|e| e.to_string())?),
        None => None,
    };
    let warn = |w: String| eprintln!("warning: {w}");
    let state = match (&args.state, &rules) {
        (Some(file), Some(rules)) => Some(state::StateIndex::open(file, rules, &mut |w| warn(w))?),
        _ => None,
    };
    let ctas = rules.as_ref().map(|rules| Ctas {
        rules,
        state: state.as_ref(),
        keep: args.state_out.is_some(),
    });
    let mut state_out = args
        .state_out
        .as_deref()
        .map(state::AtomicFile::create)
        .transpose()?;
    let state_writer = state_out.as_mut().map(|f| {
        let name = f.name();
        (f.writer() as &mut dyn Write, name)
    });
    let (totals, outcome) = pipeline::score_stream(
        &model,
        ctas.as_ref(),
        input,
        &mut out,
        "standard output",
        state_writer,
        &warn,
    );
    let outcome = outcome.and_then(|()| {
        out.flush()
            .map_err(|e| Err(OutputFailed(format!("standard output: {e}"))))?;
        match state_out {
            Some(file) => file.commit().map_err(|e| Err(OutputFailed(e))),
            None => Ok(()),
        }
    });
    eprintln!(
        "{} read, {} scored, {} rejected",
        totals.read, totals.scored, totals.rejected
    );
    if ctas.is_some() {
        let [opened, updated, quiet, closed] = totals.actions;
        eprintln!(
            "CTAs: {opened} opened, {updated} updated, {quiet} quiet, {closed} proposed to close"
        );
    }
    match outcome {
        Ok(()) if totals.rejected == 0 => Ok(ExitCode::SUCCESS),
        Ok(()) => Ok(ExitCode::from(3)),
        Err(Ok(input_error)) => Err(format!("{path}: {input_error}")),
        Err(Err(OutputFailed(message))) => {
            eprintln!("error: {message}; stopped (any state file is unchanged)");
            Ok(ExitCode::from(4))
        }
    }
}
