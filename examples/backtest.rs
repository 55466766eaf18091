//! Back-tests the bundled model against a bundled synthetic history: per-band
//! churn and expansion, AUC of the score as a churn predictor, whether churn
//! falls as health rises, the band distribution, and thresholds proposed
//! from score quantiles.
//!
//! ```text
//! cargo run --release --example backtest
//! cargo run --release --example backtest -- --generate 2000 --months 12 --seed 11   # rewrite the bundled files
//! ```

#[path = "support/generate.rs"]
#[allow(dead_code)]
mod generate;

use healthscore::{Band, Model, ModelConfig, Points, Share};

use healthscore::backtest::{propose_thresholds, Backtest, DatedOutcome, DatedScore, Distribution};

use healthscore::portfolio::DEFAULT_CONCENTRATION_LIMIT;
use std::error::Error;
use std::io::{BufRead, Write};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
const HORIZON_DAYS: u32 = 90;

fn main() -> Result<(), Box<dyn Error>> {
    let config: ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/model.json"))?)?;
    let model = Model::new(config.clone())?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        let arg = |name: &str, default: u64| -> Result<u64, Box<dyn Error>> {
            match args.iter().position(|a| a == name) {
                Some(i) => Ok(args
                    .get(i + 1)
                    .ok_or(format!("{name} needs a value"))?
                    .parse()?),
                None => Ok(default),
            }
        };
        // The bundled files are rewritten: a history of no accounts or no
        // months would leave them empty, so both start at 1.
        let n = args.get(1).ok_or("--generate N")?.parse()?;
        let months =
            u32::try_from(arg("--months", 12)?).map_err(|_| "--months M: at most 4294967295")?;
        if n == 0 || months == 0 {
            return Err(
                "--generate N and --months M start at 1 (they rewrite the bundled history)".into(),
            );
        }
        let (scores, outcomes) = generate::history(&config, &model, n, months, arg("--seed", 11)?);
        write_lines(&format!("{DATA}/history_scores.jsonl"), &scores)?;
        write_lines(&format!("{DATA}/history_outcomes.jsonl"), &outcomes)?;
        println!(
            "wrote {} scores and {} outcomes",
            scores.len(),
            outcomes.len()
        );
        return Ok(());
    }
    let scores: Vec<DatedScore> = read_lines(&format!("{DATA}/history_scores.jsonl"))?;
    let outcomes: Vec<DatedOutcome> = read_lines(&format!("{DATA}/history_outcomes.jsonl"))?;
    let bt = Backtest::run(&scores, &outcomes, HORIZON_DAYS);

    println!(
        "model {} v{}: {} dated scores, {} outcomes, horizon {HORIZON_DAYS} days\n",
        model.name(),
        model.version(),
        scores.len(),
        outcomes.len()
    );
    println!(
        "{:<7} {:>7} {:>8} {:>7} {:>9} {:>14} {:>9} {:>7}",
        "band", "scores", "churned", "rate", "accounts", "churned MRR", "expanded", "rate"
    );
    for band in Band::ALL {
        let b = bt.bands[band.index()];
        let pct = |r: Option<Share>| {
            r.map_or("-".to_string(), |r| format!("{}%", r.percent().round_dp(1)))
        };
        println!(
            "{band:<7} {:>7} {:>8} {:>7} {:>9} {:>14} {:>9} {:>7}",
            b.scores,
            b.churned,
            pct(b.churn_rate()),
            b.churned_accounts,
            b.churned_mrr,
            b.expanded,
            pct(b.expansion_rate())
        );
    }
    println!(
        "{} accounts churned, {} MRR lost (each account once, at its MRR on its last score before churning)",
        bt.churned_accounts, bt.churned_mrr
    );
    match bt.auc {
        Some(auc) => println!(
            "\nAUC of the score as a churn predictor: {:.3} (0.5 is chance, 1 is perfect)",
            auc.value()
        ),
        None => println!("\nAUC: undefined (no churn, or nothing but churn)"),
    }
    println!(
        "churn falls as health rises (red ≥ yellow ≥ lime ≥ green): {}",
        bt.churn_order()
    );

    let distribution = Distribution::of(scores.iter().map(|s| s.band));
    print!("\ndistribution:");
    for band in Band::ALL {
        print!(
            " {band} {}%",
            distribution.share(band).percent().round_dp(1)
        );
    }
    println!();
    if let Some(band) = distribution.dominant(DEFAULT_CONCENTRATION_LIMIT) {
        println!("WARNING: {band} holds more than 60% of scores: the model cannot prioritise");
    }

    let points: Vec<Points> = scores.iter().map(|s| s.score).collect();
    let target =
        [100_000, 300_000, 400_000, 200_000].map(|m| Share::from_micros(m).unwrap_or(Share::ZERO));
    match propose_thresholds(&points, target) {
        Ok(p) => {
            println!(
                "\nproposed thresholds for 10/30/40/20% red/yellow/lime/green (a proposal, not applied): green {} lime {} yellow {}",
                p.bands.green, p.bands.lime, p.bands.yellow
            );
            let [g, l, y, r] = Band::ALL.map(|b| p.achieved.share(b).percent().round_dp(1));
            println!("  which would give: green {g}% lime {l}% yellow {y}% red {r}%");
            let whole = Points::from_micros(1_000_000).unwrap_or(Points::MAX);
            match p.rounded(whole, &points) {
                Ok(r) => {
                    let [g, l, y, rd] =
                        Band::ALL.map(|b| r.achieved.share(b).percent().round_dp(1));
                    println!(
                        "  rounded to whole points: green {} lime {} yellow {}, giving green {g}% lime {l}% yellow {y}% red {rd}%",
                        r.bands.green, r.bands.lime, r.bands.yellow
                    );
                }
                Err(e) => println!("  no whole-point rounding: {e}"),
            }
        }
        Err(e) => println!("\nno threshold proposal: {e}"),
    }
    Ok(())
}

fn read_lines<T: serde::de::DeserializeOwned>(path: &str) -> Result<Vec<T>, Box<dyn Error>> {
    let file =
        std::io::BufReader::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?);
    let mut out = Vec::new();
    for (n, line) in file.lines().enumerate() {
        out.push(serde_json::from_str(&line?).map_err(|e| format!("{path}:{}: {e}", n + 1))?);
    }
    Ok(out)
}

fn write_lines<T: serde::Serialize>(path: &str, rows: &[T]) -> Result<(), Box<dyn Error>> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for row in rows {
        serde_json::to_writer(&mut out, row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
