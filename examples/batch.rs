//! A portfolio as columns, scored in one pass on every core: the
//! reference model v0m (`examples/data/model-v0m.json`), 1,000,000
//! generated accounts (`BATCH_ROWS` to change), the portfolio table by
//! band and segment, the time per account, a few rows explained, and a
//! bad row reported without stopping the rest.
//!
//! ```text
//! cargo run --release --example batch
//! BATCH_ROWS=100000 cargo run --release --example batch
//! ```

#[path = "support/v0m.rs"]
#[allow(dead_code)] // the bench uses more of it
mod v0m;

use healthscore::batch::{Batch, Dates, Ids, MetricColumn, Mrr, Scorer, Validity};
use healthscore::portfolio::BandTallies;
use healthscore::{Band, Model, PortfolioSummary};
use std::error::Error;
use std::time::Instant;

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/model-v0m.json");

fn main() -> Result<(), Box<dyn Error>> {
    let model = Model::new(serde_json::from_str(&std::fs::read_to_string(MODEL)?)?)?;
    let rows: usize = match std::env::var("BATCH_ROWS") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("BATCH_ROWS={v:?} is not a whole number of accounts"))?,
        Err(_) => 1_000_000,
    };
    let t = Instant::now();
    let mut columns = v0m::generate(rows, 20_240_601);
    println!(
        "generated {rows} accounts as columns in {:.1?}",
        t.elapsed()
    );
    // One bad row, as a warehouse export might have: a weekly-active ratio
    // of 1.7. It is reported with its row and id; every other row scores.
    if let Some(x) = columns.values.get_mut(6).and_then(|c| c.get_mut(0)) {
        *x = 1.7;
    }

    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("date")?;
    let mut batch = Batch::new(
        Ids::Int(&columns.ids),
        Mrr::Scaled64 {
            values: &columns.cents,
            scale: 2,
        },
        &columns.employees,
        Dates::One(day),
    );
    for (id, (values, valid)) in v0m::METRICS
        .iter()
        .zip(columns.values.iter().zip(&columns.valid))
    {
        batch.push_metric(
            id,
            MetricColumn::new(values).validity(Validity::Bools(valid)),
        );
    }

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scorer = Scorer::new(&model).threads(threads);
    let t = Instant::now();
    let mut scores = scorer.score(&batch)?;
    let first = t.elapsed();
    // A nightly job scores batch after batch into the same columns.
    let t = Instant::now();
    scorer.score_into(&batch, &mut scores)?;
    let again = t.elapsed();
    let mut summary = PortfolioSummary::new(&model);
    scores.summarise(&batch, &mut summary)?;
    let per = |d: std::time::Duration| d.as_nanos() as f64 / rows.max(1) as f64;
    println!(
        "scored {rows} accounts on {threads} threads ({}, {} kernel): {first:.1?} ({:.0} ns per account) \
         with new output columns, {again:.1?} ({:.0} ns per account) into the same columns again",
        if scorer.is_columnar() { "columnar" } else { "row by row" },
        scorer.instruction_set(),
        per(first),
        per(again),
    );

    println!(
        "\n{:<28} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "", "green", "lime", "yellow", "red", "no band"
    );
    print_row("all accounts", summary.totals());
    for (segment, tallies) in summary.segments() {
        print_row(&segment.to_string(), tallies);
    }
    println!("\nMRR by band:");
    for band in Band::ALL {
        let t = summary.totals().band(band);
        println!("  {band:<7} {:>8} accounts {:>18} MRR", t.count, t.mrr);
    }

    println!("\nrejected rows: {}", scores.errors().len());
    for e in scores.errors().iter().take(5) {
        println!("  {e}");
    }

    // Any row explains itself through the row API.
    println!("\nthree rows explained:");
    for row in [1, 2, 3].into_iter().filter(|r| *r < rows) {
        let record = scorer.record(&batch, row)?;
        let band = record.band.map_or("no band".to_string(), |b| b.to_string());
        let score = record.score.map_or("-".to_string(), |p| p.to_string());
        let why = record.pulls_down_most.as_ref().map_or(String::new(), |s| {
            format!(", {} costs {} points", s.metric, s.points)
        });
        println!(
            "  account {:<8} {:<22} {score:>10} {band:<7} (scorecard {}){why}",
            record.id, record.segment, record.scorecard
        );
    }
    Ok(())
}

fn print_row(label: &str, t: &BandTallies) {
    let [g, l, y, r] = Band::ALL.map(|b| t.band(b).count);
    println!(
        "{label:<28} {g:>8} {l:>8} {y:>8} {r:>8} {:>8}",
        t.insufficient.count
    );
}
