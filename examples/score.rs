//! A command-line scorer.
//!
//! ```text
//! cargo run --release --example score -- --model examples/data/model.json --accounts examples/data/portfolio.jsonl
//! cargo run --release --example score -- --model examples/data/model.json --generate 1000000 --seed 7 > big.jsonl
//! ```
//!
//! * `--model FILE`: the model, JSON or TOML (by extension `.toml`).
//! * `--accounts FILE`: a JSON array of accounts or JSON lines (`-` for
//!   stdin). Writes one JSON object per account to stdout. Accounts are read,
//!   scored and written one at a time, so memory does not grow with the file.
//! * `--generate N --seed S`: writes N synthetic accounts (JSON lines) that
//!   fit the model, for trying it at scale.
//!
//! Exit status: 0 when every account was scored; 2 for a bad model or bad
//! arguments (the model's problems are listed on stderr); 3 when some
//! accounts were rejected (each reported on stderr with its id; the others
//! are still scored).

#[path = "support/generate.rs"]
mod generate;

use healthscore::{AccountData, Model, ModelConfig};
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
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
    accounts: Option<String>,
    generate: Option<(u64, u64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut model, mut accounts, mut count, mut seed) = (None, None, None, 1u64);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => model = Some(value()?),
            "--accounts" => accounts = Some(value()?),
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
    let input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?)
    };
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut scorer = Scorer {
        model: &model,
        out: &mut out,
        scored: 0,
        rejected: 0,
        io: None,
    };
    let first = loop {
        let buf = input.fill_buf().map_err(|e| e.to_string())?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                input.consume(i);
                break Some(b);
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
        serde::Deserializer::deserialize_seq(&mut de, EachAccount(&mut scorer))
            .map_err(|e| format!("{path}: {e}"))?;
    } else {
        for (n, line) in input.lines().enumerate() {
            let line = line.map_err(|e| format!("{path}: {e}"))?;
            if !line.trim().is_empty() {
                scorer.score_text(&line, &format!("line {}", n + 1));
            }
        }
    }
    if let Some(e) = scorer.io.take() {
        return Err(format!("writing output: {e}"));
    }
    let (scored, rejected) = (scorer.scored, scorer.rejected);
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("scored {scored} accounts, rejected {rejected}");
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

struct Scorer<'a, W: Write> {
    model: &'a Model,
    out: &'a mut W,
    scored: u64,
    rejected: u64,
    io: Option<std::io::Error>,
}

impl<W: Write> Scorer<'_, W> {
    fn score_text(&mut self, text: &str, place: &str) {
        let data: AccountData = match serde_json::from_str(text) {
            Ok(d) => d,
            Err(e) => {
                #[derive(serde::Deserialize)]
                struct IdOnly {
                    id: Option<serde_json::Value>,
                }
                let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|x| x.id);
                let id = id.map_or_else(|| "(no id)".to_string(), |v| v.to_string());
                eprintln!("rejected {place}: account {id}: {e}");
                self.rejected += 1;
                return;
            }
        };
        match self.model.bind(data) {
            Ok(account) => {
                let written = serde_json::to_writer(&mut *self.out, &account.score().record())
                    .map_err(std::io::Error::from)
                    .and_then(|()| self.out.write_all(b"\n"));
                if let Err(e) = written {
                    self.io.get_or_insert(e);
                }
                self.scored += 1;
            }
            Err(e) => {
                eprintln!("rejected {place}: {e}");
                self.rejected += 1;
            }
        }
    }
}

/// Scores each element of a JSON array as it is read.
struct EachAccount<'s, 'a, W: Write>(&'s mut Scorer<'a, W>);

impl<'de, W: Write> Visitor<'de> for EachAccount<'_, '_, W> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of accounts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            n += 1;
            self.0.score_text(raw.get(), &format!("element {n}"));
        }
        Ok(())
    }
}
