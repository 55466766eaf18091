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
//! * `--rules FILE`: a CTA rule set, JSON or TOML (by extension `.toml`);
//!   each output object then carries `ctas`, the actions the rules propose,
//!   and stderr counts them.
//! * `--state FILE` (with `--rules`): the CTA state of an earlier run (JSON
//!   lines, one per account: its CTA records and the rules that held; see
//!   `support/cta_state.rs`), so open CTAs are updated, not opened again, and
//!   snoozes, cooldowns, caps and edge triggers apply. Without it, every
//!   account is evaluated as a first run. The state is held in memory.
//! * `--state-out FILE` (with `--rules`): writes the state after this run:
//!   the earlier records plus the CTAs opened now (proposed closes are left
//!   to whoever closes them), for the next run's `--state`.
//! * `--generate N --seed S`: writes N synthetic accounts (JSON lines) that
//!   fit the model, for trying it at scale.
//!
//! Exit status: 0 when every account was scored; 2 for a bad model or bad
//! arguments (the model's problems are listed on stderr); 3 when some
//! accounts were rejected (each reported on stderr with its id; the others
//! are still scored).

#[path = "support/generate.rs"]
#[allow(dead_code)] // the back-test history generator is not used here
mod generate;

#[path = "support/cta_state.rs"]
mod cta_state;

use healthscore::cta::{Action, RuleSet, RuleSetConfig};
use healthscore::{AccountData, Model, ModelConfig, Score};
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;

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

pub fn load_model(path: &str) -> Result<(ModelConfig, Model), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let config: ModelConfig = if path.ends_with(".toml") {
        toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?
    } else {
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?
    };
    let model = Model::new(config.clone()).map_err(|e| format!("{path}: {e}"))?;
    Ok((config, model))
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let (config, model) = load_model(&args.model)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some((n, seed)) = args.generate {
        generate::write_portfolio(&config, n, seed, &mut out).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = args.accounts.unwrap_or_default();
    let input: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?)
    };
    let rules = match &args.rules {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let config: RuleSetConfig = if file.ends_with(".toml") {
                toml::from_str(&text).map_err(|e| format!("{file}: {e}"))?
            } else {
                serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?
            };
            Some(RuleSet::new(config, &model).map_err(|e| format!("{file}: {e}"))?)
        }
        None => None,
    };
    let state = args.state.as_deref().map(cta_state::read).transpose()?;
    let ctas = rules.as_ref().map(|rules| Ctas {
        rules,
        state: state.as_ref(),
        keep: args.state_out.is_some(),
    });
    let mut state_out = match &args.state_out {
        Some(file) => Some(BufWriter::new(
            std::fs::File::create(file).map_err(|e| format!("{file}: {e}"))?,
        )),
        None => None,
    };
    let totals = score_stream(&model, ctas.as_ref(), input, &mut out, state_out.as_mut())
        .map_err(|e| format!("{path}: {e}"))?;
    out.flush().map_err(|e| e.to_string())?;
    if let Some(w) = state_out.as_mut() {
        w.flush().map_err(|e| format!("writing state: {e}"))?;
    }
    let (scored, rejected) = (totals.scored, totals.rejected);
    eprintln!("scored {scored} accounts, rejected {rejected}");
    if ctas.is_some() {
        let [opened, updated, quiet, closed] = totals.actions;
        eprintln!(
            "CTAs: {opened} opened, {updated} updated, {quiet} quiet, {closed} proposed to close"
        );
    }
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// Accounts per batch handed to a worker.
const BATCH: usize = 1024;

/// A batch of account texts, each with its place in the input: its line
/// (JSON lines) or element (JSON array) number, counted from 1.
struct Batch {
    index: u64,
    unit: &'static str,
    texts: Vec<(u64, String)>,
}

/// What the rules need: the rule set, the earlier state, and whether to
/// write the next one.
struct Ctas<'a> {
    rules: &'a RuleSet,
    state: Option<&'a HashMap<String, cta_state::AccountState>>,
    keep: bool,
}

/// Counts over a run: accounts scored and rejected, and CTA actions (opened,
/// updated, quiet, proposed to close).
#[derive(Default)]
struct Totals {
    scored: u64,
    rejected: u64,
    actions: [u64; 4],
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.scored += other.scored;
        self.rejected += other.rejected;
        for (a, b) in self.actions.iter_mut().zip(other.actions) {
            *a += b;
        }
    }
}

/// A scored batch: its output lines, next-state lines and rejections, in
/// input order.
struct Done {
    index: u64,
    out: Vec<u8>,
    state: Vec<u8>,
    /// Accounts of the earlier state evaluated in this batch.
    carried: Vec<String>,
    errors: String,
    totals: Totals,
}

/// Reads, scores and writes in a pipeline: one thread reads batches, one
/// worker per core scores them, and this thread writes them in input order.
/// Channels are bounded, so memory holds a few batches, not the file.
fn score_stream(
    model: &Model,
    ctas: Option<&Ctas<'_>>,
    input: Box<dyn Read + Send>,
    out: &mut impl Write,
    mut state_out: Option<&mut BufWriter<std::fs::File>>,
) -> Result<Totals, String> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let (job_tx, job_rx) = sync_channel::<Batch>(workers * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = sync_channel::<Done>(workers * 2);
    std::thread::scope(|s| {
        let reader = s.spawn(move || read_batches(input, &job_tx));
        for _ in 0..workers {
            let (done_tx, job_rx) = (done_tx.clone(), &job_rx);
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(batch) = job else { return };
                if done_tx.send(score_batch(model, ctas, batch)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let (mut totals, mut next) = (Totals::default(), 0);
        let mut evaluated = std::collections::HashSet::new();
        let mut pending = BTreeMap::new();
        let mut failure = None;
        for done in done_rx {
            pending.insert(done.index, done);
            while let Some(d) = pending.remove(&next) {
                if failure.is_none() {
                    failure = out.write_all(&d.out).err();
                }
                if let (None, Some(w)) = (&failure, state_out.as_mut()) {
                    failure = w.write_all(&d.state).err();
                }
                eprint!("{}", d.errors);
                totals.add(&d.totals);
                evaluated.extend(d.carried);
                next += 1;
            }
        }
        let read = reader
            .join()
            .map_err(|_| "the reader thread panicked".to_string())?;
        read?;
        // Accounts of the earlier state not evaluated now (absent from the
        // input, or rejected) keep their state unchanged.
        if let (None, Some(w), Some(state)) = (&failure, state_out, ctas.and_then(|c| c.state)) {
            let mut rest: Vec<_> = state
                .values()
                .filter(|s| !evaluated.contains(&s.account))
                .collect();
            rest.sort_by(|a, b| a.account.cmp(&b.account));
            for s in rest {
                let line = serde_json::to_string(s).map_err(|e| e.to_string())?;
                if let Err(e) = writeln!(w, "{line}") {
                    failure = Some(e);
                    break;
                }
            }
        }
        match failure {
            Some(e) => Err(format!("writing output: {e}")),
            None => Ok(totals),
        }
    })
}

/// Splits the input (a JSON array, or JSON lines) into batches.
fn read_batches(input: Box<dyn Read + Send>, jobs: &SyncSender<Batch>) -> Result<(), String> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut batcher = Batcher {
        jobs,
        index: 0,
        unit: "line",
        texts: Vec::with_capacity(BATCH),
    };
    let first = loop {
        let buf = input.fill_buf().map_err(|e| e.to_string())?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf.get(i).copied();
                input.consume(i);
                break b;
            }
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    if first == Some(b'[') {
        batcher.unit = "element";
        let mut de = serde_json::Deserializer::from_reader(input);
        serde::Deserializer::deserialize_seq(&mut de, EachAccount(&mut batcher))
            .map_err(|e| e.to_string())?;
    } else {
        for (n, line) in input.lines().enumerate() {
            let line = line.map_err(|e| e.to_string())?;
            if !line.trim().is_empty() {
                batcher.push(n as u64 + 1, line);
            }
        }
    }
    batcher.flush();
    Ok(())
}

struct Batcher<'a> {
    jobs: &'a SyncSender<Batch>,
    index: u64,
    unit: &'static str,
    texts: Vec<(u64, String)>,
}

impl Batcher<'_> {
    fn push(&mut self, place: u64, text: String) {
        self.texts.push((place, text));
        if self.texts.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.texts.is_empty() {
            return;
        }
        let texts = std::mem::replace(&mut self.texts, Vec::with_capacity(BATCH));
        let batch = Batch {
            index: self.index,
            unit: self.unit,
            texts,
        };
        self.index += 1;
        // A closed channel means the writer stopped; the error surfaces there.
        let _ = self.jobs.send(batch);
    }
}

/// One output object: the score record, and the CTA actions with `--rules`.
#[derive(serde::Serialize)]
struct Output {
    #[serde(flatten)]
    record: healthscore::ScoreRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    ctas: Option<Vec<healthscore::cta::Action>>,
}

fn score_batch(model: &Model, ctas: Option<&Ctas<'_>>, batch: Batch) -> Done {
    let mut done = Done {
        index: batch.index,
        out: Vec::with_capacity(batch.texts.len() * 700),
        state: Vec::new(),
        carried: Vec::new(),
        errors: String::new(),
        totals: Totals::default(),
    };
    for (at, text) in &batch.texts {
        let place = || format!("{} {at}", batch.unit);
        let data: AccountData = match serde_json::from_str(text) {
            Ok(d) => d,
            Err(e) => {
                let id = id_in_text(text).unwrap_or_else(|| "(no id)".to_string());
                let why = describe_json_error(text, &e);
                done.errors += &format!("rejected {}: account {id}: {why}\n", place());
                done.totals.rejected += 1;
                continue;
            }
        };
        match model.bind(data) {
            Ok(account) => {
                // Writing to a Vec cannot fail.
                let score = account.score();
                let actions = ctas.map(|c| evaluate(c, &score, &mut done));
                let _ = serde_json::to_writer(
                    &mut done.out,
                    &Output {
                        record: score.record(),
                        ctas: actions,
                    },
                );
                done.out.push(b'\n');
                done.totals.scored += 1;
            }
            Err(e) => {
                done.errors += &format!("rejected {}: {e}\n", place());
                done.totals.rejected += 1;
            }
        }
    }
    done
}

/// Evaluates the rules for a scored account against its earlier state,
/// counts the actions and, when asked, writes its next state.
fn evaluate(ctas: &Ctas<'_>, score: &Score<'_>, done: &mut Done) -> Vec<Action> {
    let id = score.account().id();
    let before = ctas.state.and_then(|s| s.get(id));
    let (records, held) = before.map_or((&[][..], &[][..]), |s| (&s.records[..], &s.held[..]));
    // The rules were compiled against this very model.
    let eval = ctas
        .rules
        .evaluate(score, records, held)
        .expect("rules compiled against the scoring model");
    for a in &eval.actions {
        let kind = match a {
            Action::Open(_) => 0,
            Action::Update { .. } => 1,
            Action::Quiet { .. } => 2,
            _ => 3,
        };
        if let Some(n) = done.totals.actions.get_mut(kind) {
            *n += 1;
        }
    }
    if ctas.keep {
        if before.is_some() {
            done.carried.push(id.to_string());
        }
        let as_of = score.account().data().as_of;
        let next = cta_state::AccountState::after(id, before, &eval, as_of);
        if !next.is_empty() {
            let _ = serde_json::to_writer(&mut done.state, &next);
            done.state.push(b'\n');
        }
    }
    eval.actions
}

/// Batches each element of a JSON array as it is read.
struct EachAccount<'s, 'a>(&'s mut Batcher<'a>);

impl<'de> Visitor<'de> for EachAccount<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of accounts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            n += 1;
            self.0.push(n, raw.get().to_owned());
        }
        Ok(())
    }
}

/// The account id in a text that is not valid JSON, when one can be read:
/// the first `"id"` key's string or number value.
fn id_in_text(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find("\"id\"") {
        rest = rest.get(at + 4..)?;
        let after = rest.trim_start();
        let Some(value) = after.strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        if let Some(s) = value.strip_prefix('"') {
            let end = s.find('"')?;
            return s.get(..end).map(str::to_string);
        }
        let n: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
            .collect();
        return (!n.is_empty()).then_some(n);
    }
    None
}

/// serde_json's message, plus what a bare `NaN` or `Infinity` at the error's
/// column is (Python's `json.dumps` writes them for float NaN and infinity).
fn describe_json_error(text: &str, e: &serde_json::Error) -> String {
    let column = e.column().saturating_sub(1);
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let at = line.get(column..).unwrap_or("");
    for token in ["NaN", "Infinity", "-Infinity"] {
        if at.starts_with(token) {
            return format!(
                "{token} at column {} is not a JSON number (Python's json.dumps writes it for a float {token}): \
                 leave that observation out",
                e.column()
            );
        }
    }
    e.to_string()
}
