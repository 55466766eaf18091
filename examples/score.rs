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
//! * `--rules FILE`: a CTA rule set (JSON); each output object then carries
//!   `ctas`, the actions the rules propose (evaluated as a first run: the
//!   command keeps no CTA state between runs).
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

use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::{AccountData, Model, ModelConfig};
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
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
    accounts: Option<String>,
    generate: Option<(u64, u64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut model, mut accounts, mut count, mut seed, mut rules) = (None, None, None, 1u64, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => model = Some(value()?),
            "--accounts" => accounts = Some(value()?),
            "--rules" => rules = Some(value()?),
            "--generate" => count = Some(value()?.parse().map_err(|e| format!("--generate: {e}"))?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument {other}; see the example's docs")),
        }
    }
    let model = model.ok_or("--model FILE is required")?;
    if accounts.is_none() && count.is_none() {
        return Err("give --accounts FILE or --generate N".into());
    }
    Ok(Args {
        model,
        rules,
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
            let config: RuleSetConfig =
                serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
            Some(RuleSet::new(config, &model).map_err(|e| format!("{file}: {e}"))?)
        }
        None => None,
    };
    let (scored, rejected) = score_stream(&model, rules.as_ref(), input, &mut out)
        .map_err(|e| format!("{path}: {e}"))?;
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("scored {scored} accounts, rejected {rejected}");
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// Accounts per batch handed to a worker.
const BATCH: usize = 1024;

/// A batch of account texts; `first` numbers the first one (line or element).
struct Batch {
    index: u64,
    first: u64,
    texts: Vec<String>,
}

/// A scored batch: its output lines and its rejections, in input order.
struct Done {
    index: u64,
    out: Vec<u8>,
    errors: String,
    scored: u64,
    rejected: u64,
}

/// Reads, scores and writes in a pipeline: one thread reads batches, one
/// worker per core scores them, and this thread writes them in input order.
/// Channels are bounded, so memory holds a few batches, not the file.
fn score_stream(
    model: &Model,
    rules: Option<&RuleSet>,
    input: Box<dyn Read + Send>,
    out: &mut impl Write,
) -> Result<(u64, u64), String> {
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
                if done_tx.send(score_batch(model, rules, batch)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let (mut scored, mut rejected, mut next) = (0, 0, 0);
        let mut pending = BTreeMap::new();
        let mut failure = None;
        for done in done_rx {
            pending.insert(done.index, done);
            while let Some(d) = pending.remove(&next) {
                if failure.is_none() {
                    failure = out.write_all(&d.out).err();
                }
                eprint!("{}", d.errors);
                scored += d.scored;
                rejected += d.rejected;
                next += 1;
            }
        }
        let read = reader
            .join()
            .map_err(|_| "the reader thread panicked".to_string())?;
        read?;
        match failure {
            Some(e) => Err(format!("writing output: {e}")),
            None => Ok((scored, rejected)),
        }
    })
}

/// Splits the input (a JSON array, or JSON lines) into batches.
fn read_batches(input: Box<dyn Read + Send>, jobs: &SyncSender<Batch>) -> Result<(), String> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut batcher = Batcher {
        jobs,
        index: 0,
        first: 1,
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
        let mut de = serde_json::Deserializer::from_reader(input);
        serde::Deserializer::deserialize_seq(&mut de, EachAccount(&mut batcher))
            .map_err(|e| e.to_string())?;
    } else {
        for (n, line) in input.lines().enumerate() {
            let line = line.map_err(|e| e.to_string())?;
            if batcher.texts.is_empty() {
                batcher.first = n as u64 + 1;
            }
            if !line.trim().is_empty() {
                batcher.push(line);
            }
        }
    }
    batcher.flush();
    Ok(())
}

struct Batcher<'a> {
    jobs: &'a SyncSender<Batch>,
    index: u64,
    first: u64,
    texts: Vec<String>,
}

impl Batcher<'_> {
    fn push(&mut self, text: String) {
        self.texts.push(text);
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
            first: self.first,
            texts,
        };
        self.index += 1;
        // A closed channel means the writer stopped; the error surfaces there.
        let _ = self.jobs.send(batch);
    }
}

/// One output object: the score record, and the CTA actions with `--rules`.
#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    record: healthscore::ScoreRecord<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ctas: Option<Vec<healthscore::cta::Action>>,
}

fn score_batch(model: &Model, rules: Option<&RuleSet>, batch: Batch) -> Done {
    let mut done = Done {
        index: batch.index,
        out: Vec::with_capacity(batch.texts.len() * 700),
        errors: String::new(),
        scored: 0,
        rejected: 0,
    };
    for (i, text) in batch.texts.iter().enumerate() {
        let place = || format!("input {}", batch.first + i as u64);
        let data: AccountData = match serde_json::from_str(text) {
            Ok(d) => d,
            Err(e) => {
                #[derive(serde::Deserialize)]
                struct IdOnly {
                    id: Option<serde_json::Value>,
                }
                let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|x| x.id);
                let id = id.map_or_else(|| "(no id)".to_string(), |v| v.to_string());
                done.errors += &format!("rejected {}: account {id}: {e}\n", place());
                done.rejected += 1;
                continue;
            }
        };
        match model.bind(data) {
            Ok(account) => {
                // Writing to a Vec cannot fail.
                let score = account.score();
                let ctas = rules.map(|r| r.evaluate(&score, &[], &[]).actions);
                let _ = serde_json::to_writer(
                    &mut done.out,
                    &Output {
                        record: score.record(),
                        ctas,
                    },
                );
                done.out.push(b'\n');
                done.scored += 1;
            }
            Err(e) => {
                done.errors += &format!("rejected {}: {e}\n", place());
                done.rejected += 1;
            }
        }
    }
    done
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
            if self.0.texts.is_empty() {
                self.0.first = n;
            }
            self.0.push(raw.get().to_owned());
        }
        Ok(())
    }
}
