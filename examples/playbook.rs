//! Runs the bundled CTA playbook over the bundled portfolio: CTAs by kind,
//! priority and owner, the most urgent ones with why they fired, and a
//! second run with the first run's CTAs open, which opens nothing new.
//!
//! ```text
//! cargo run --release --example playbook
//! ```

use healthscore::cta::{Action, CtaRecord, CtaSummary, RuleSet, RuleSetConfig};
use healthscore::{AccountData, Model, ModelConfig};
use std::error::Error;
use std::io::BufRead;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");

fn main() -> Result<(), Box<dyn Error>> {
    let config: ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/model.json"))?)?;
    let model = Model::new(config)?;
    let rules: RuleSetConfig =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/playbook.json"))?)?;
    let rules = RuleSet::new(rules, &model)?;
    let file = std::io::BufReader::new(std::fs::File::open(format!("{DATA}/portfolio.jsonl"))?);
    let mut accounts = Vec::new();
    for line in file.lines() {
        let data: AccountData = serde_json::from_str(&line?)?;
        accounts.push(model.bind(data)?);
    }

    let mut summary = CtaSummary::default();
    let mut ctas = Vec::new();
    let mut state = Vec::new(); // what a service would store: each account's records and held rules
    for account in &accounts {
        let eval = rules.evaluate(&account.score(), &[], &[])?;
        summary.add(&eval);
        let as_of = account.data().as_of;
        let records: Vec<CtaRecord> = eval.opened().map(|c| c.record(as_of)).collect();
        ctas.extend(eval.opened().cloned());
        state.push((records, eval.held));
    }
    println!(
        "{} rules over {} accounts: {} CTAs opened on {} accounts",
        rules.len(),
        summary.accounts,
        summary.opened(),
        summary.accounts_with_new_ctas
    );
    let show = |title: &str, rows: Vec<(String, u64)>| {
        let cells: Vec<String> = rows.into_iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("  by {title:<9} {}", cells.join(", "));
    };
    show(
        "kind",
        summary
            .by_kind
            .iter()
            .map(|(k, n)| (format!("{k:?}").to_lowercase(), *n))
            .collect(),
    );
    show(
        "priority",
        summary
            .by_priority
            .iter()
            .map(|(k, n)| (format!("{k:?}").to_lowercase(), *n))
            .collect(),
    );
    show(
        "owner",
        summary
            .by_owner
            .iter()
            .map(|(k, n)| (k.clone(), *n))
            .collect(),
    );

    ctas.sort_by(|a, b| (a.priority, a.due, &a.account).cmp(&(b.priority, b.due, &b.account)));
    println!("\nmost urgent:");
    for c in ctas.iter().take(10) {
        println!(
            "  {:<12} {:<9} {:<8} due {}  {:<10} {}\n      because {}",
            c.account,
            format!("{:?}", c.priority).to_lowercase(),
            format!("{:?}", c.kind).to_lowercase(),
            c.due,
            c.owner,
            c.title,
            c.reason
        );
    }

    // The next run, with the CTAs now open: updates, never duplicates.
    let mut again = CtaSummary::default();
    for (account, (records, held)) in accounts.iter().zip(&state) {
        let eval = rules.evaluate(&account.score(), records, held)?;
        debug_assert!(!eval.actions.iter().any(|a| matches!(a, Action::Open(_))));
        again.add(&eval);
    }
    println!(
        "\nsecond run with those CTAs open: {} opened, {} updated, {} quiet, {} proposed to close",
        again.opened(),
        again.updated,
        again.quiet,
        again.closed
    );
    Ok(())
}
