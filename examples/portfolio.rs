//! Scores the bundled portfolio under the bundled model and prints the
//! portfolio table (band × accounts × MRR, overall and per segment), the
//! concentration check, and the ten lowest-scoring accounts explained.
//!
//! ```text
//! cargo run --release --example portfolio
//! ```

use healthscore::{AccountData, Band, Model, ModelConfig, PortfolioSummary};

use healthscore::portfolio::BandTallies;
use std::error::Error;
use std::io::BufRead;

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/model.json");
const PORTFOLIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/portfolio.jsonl");

fn main() -> Result<(), Box<dyn Error>> {
    let config: ModelConfig = serde_json::from_str(&std::fs::read_to_string(MODEL)?)?;
    let model = Model::new(config)?;
    let file = std::io::BufReader::new(std::fs::File::open(PORTFOLIO)?);
    let mut accounts = Vec::new();
    let mut rejected = Vec::new();
    for line in file.lines() {
        let data: AccountData = serde_json::from_str(&line?)?;
        match model.bind(data) {
            Ok(a) => accounts.push(a),
            Err(e) => rejected.push(e),
        }
    }
    let mut summary = PortfolioSummary::new(&model);
    let mut scores = Vec::with_capacity(accounts.len());
    for account in &accounts {
        let score = account.score();
        summary.add(&score)?;
        scores.push(score);
    }

    println!(
        "model {} v{}: {} accounts",
        model.name(),
        model.version(),
        accounts.len()
    );
    println!(
        "\n{:<28} {:>8} {:>8} {:>8} {:>8} {:>12}",
        "", "green", "lime", "yellow", "red", "no band"
    );
    print_row("all accounts", summary.totals());
    for (segment, tallies) in summary.segments() {
        print_row(&segment.to_string(), tallies);
    }
    println!("\nMRR by band (all accounts):");
    for band in Band::ALL {
        let t = summary.totals().band(band);
        println!("  {band:<7} {:>5} accounts  {:>14} MRR", t.count, t.mrr);
    }
    let none = summary.totals().insufficient;
    println!(
        "  {:<7} {:>5} accounts  {:>14} MRR (insufficient data)",
        "-", none.count, none.mrr
    );

    let (stale_accounts, stale_values) = summary.stale();
    println!("\nstale data: {stale_values} values in {stale_accounts} accounts are older than their metric's max age (scored as missing)");

    match summary.concentration() {
        Some(c) => println!(
            "\nconcentration WARNING: {} holds {}% of banded accounts (limit {}%): the model cannot prioritise",
            c.band,
            c.share.percent().round_dp(1),
            c.limit.percent()
        ),
        None => println!("\nconcentration: ok (no band holds more than 60% of banded accounts)"),
    }

    scores.sort_by_key(|s| (s.overall(), s.account().id().to_string()));
    let line = |s: &healthscore::Score<'_>| {
        format!(
            "  {:<12} {:<28} {s}",
            s.account().id(),
            s.segment().to_string()
        )
    };
    println!("\nten lowest-scoring accounts:");
    for s in scores.iter().filter(|s| s.band().is_some()).take(10) {
        println!("{}", line(s));
    }
    let insufficient: Vec<_> = scores.iter().filter(|s| s.band().is_none()).collect();
    println!(
        "\n{} accounts have too little data for a band, e.g.:",
        insufficient.len()
    );
    for s in insufficient.iter().take(3) {
        println!("{}", line(s));
    }
    for e in &rejected {
        println!("rejected: {e}");
    }
    Ok(())
}

fn print_row(label: &str, t: &BandTallies) {
    let [g, l, y, r] = Band::ALL.map(|b| t.band(b).count);
    println!(
        "{label:<28} {g:>8} {l:>8} {y:>8} {r:>8} {:>12}",
        t.insufficient.count
    );
}
