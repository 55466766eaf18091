//! The customer journey over the bundled portfolio: lifecycle stages with
//! their exit checklists, verdicts (ready, overdue, regressed, onboarding
//! success) per stage, the retention pyramid, lifecycle CTAs, and a
//! parent/child slice rolled up into customers.
//!
//! ```text
//! cargo run --release --example journey
//! ```

use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::hierarchy::{Count, CountedSummary, RollUps};
use healthscore::lifecycle::{JourneySummary, Lifecycle, LifecycleConfig, Verdict};
use healthscore::{Account, AccountData, Band, Model, ModelConfig, Score};
use std::error::Error;
use std::io::BufRead;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");

/// Lifecycle CTAs that refer to the verdicts.
const RULES: &str = r#"{"rules": [
  {"id": "onboarding-exit-review", "title": "Ready to leave onboarding: exit review", "kind": "lifecycle",
   "touch": "low-touch", "owner": "csm", "due_in_days": 7, "playbook": "onboarding-exit",
   "when": {"all": [{"stage": ["onboarding"]}, {"lifecycle": "ready_to_advance"}]}},
  {"id": "stuck-in-stage", "title": "Past the time this stage should take", "kind": "risk", "priority": "high",
   "touch": "high-touch", "owner": "csm", "due_in_days": 7, "when": {"lifecycle": "overdue"}},
  {"id": "slipping-back", "title": "Lost what an earlier stage achieved", "kind": "risk",
   "touch": "low-touch", "owner": "csm", "due_in_days": 14, "when": {"lifecycle": "regressed"}}
]}"#;

fn main() -> Result<(), Box<dyn Error>> {
    let config: ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/model.json"))?)?;
    let model = Model::new(config)?;
    let lifecycle: LifecycleConfig =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/lifecycle.json"))?)?;
    let lifecycle = Lifecycle::new(lifecycle, &model)?;
    let rules: RuleSetConfig = serde_json::from_str(RULES)?;
    let rules = RuleSet::with_lifecycle(rules, &model, &lifecycle)?;

    let file = std::io::BufReader::new(std::fs::File::open(format!("{DATA}/portfolio.jsonl"))?);
    let mut accounts: Vec<Account<'_>> = Vec::new();
    for line in file.lines() {
        let data: AccountData = serde_json::from_str(&line?)?;
        accounts.push(model.bind(data)?);
    }
    let scores: Vec<Score<'_>> = accounts.iter().map(Account::score).collect();

    // Journeys, the stage × verdict table and the pyramid.
    let mut summary = JourneySummary::new(&lifecycle);
    let mut journeys = Vec::with_capacity(scores.len());
    for s in &scores {
        let j = lifecycle.evaluate(s)?;
        summary.add(&j);
        journeys.push(j);
    }
    println!(
        "{} accounts by lifecycle stage and verdict\n",
        journeys.len()
    );
    println!("{summary}");

    // One checklist per verdict, as a CSM would read it.
    let examples = [
        (Verdict::ReadyToAdvance, "ready to leave its stage"),
        (Verdict::OnboardingFailed, "whose onboarding failed"),
        (Verdict::Regressed, "that slipped back"),
    ];
    for (verdict, what) in examples {
        if let Some(j) = journeys.iter().find(|j| j.has(verdict)) {
            println!("\nan account {what}:\n{j}");
        }
    }

    // Lifecycle CTAs.
    let mut opened = std::collections::BTreeMap::<String, u64>::new();
    for s in &scores {
        for cta in rules.evaluate(s, &[], &[])?.opened() {
            *opened.entry(cta.rule.clone()).or_default() += 1;
        }
    }
    println!("\nlifecycle CTAs opened:");
    for (rule, n) in &opened {
        println!("  {rule:<24} {n:>5}");
    }

    // The parent/child slice: 40 customers with three subsidiaries each.
    let rolled = RollUps::new(&scores)?;
    let mut parents: Vec<_> = rolled.iter().filter(|r| !r.children.is_empty()).collect();
    let rule = &model.config().rollup;
    println!(
        "\n{} parent accounts roll up {} children (the model's rule: {} of the children, own score weighted {})",
        parents.len(),
        parents.iter().map(|p| p.children.len()).sum::<usize>(),
        rule.method.name(),
        rule.own_weight
    );
    parents.sort_by_key(|p| (p.overall, p.id.clone()));
    println!("the three weakest customers:");
    for p in parents.iter().take(3) {
        println!("  {p}");
    }
    let moved = parents
        .iter()
        .filter(|p| {
            let own = scores.iter().find(|s| s.account().id() == p.id);
            own.and_then(Score::band) != p.band
        })
        .count();
    println!("{moved} parents are in another band once their children count");

    println!("\nthe same portfolio counted three ways (every unit of MRR once):");
    for count in [Count::Parents, Count::Children, Count::Both] {
        print_view(&rolled.summary(&model, count)?);
    }
    Ok(())
}

fn print_view(v: &CountedSummary<'_>) {
    let t = v.summary.totals();
    let bands: Vec<String> = Band::ALL
        .iter()
        .map(|b| format!("{b} {}", t.band(*b).count))
        .collect();
    println!(
        "  {:<9} {:>5} counted, MRR {:>11}; {}; no band {}; left out {} (MRR {})",
        format!("{:?}", v.count).to_lowercase(),
        t.total().count,
        money(t.total().mrr),
        bands.join(", "),
        t.insufficient.count,
        v.left_out.count,
        money(v.left_out.mrr)
    );
}

/// Whole currency units with thousands separators.
fn money(d: rust_decimal::Decimal) -> String {
    let whole = d.round().to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
