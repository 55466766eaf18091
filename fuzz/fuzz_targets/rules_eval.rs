//! Any text as a rule set for the bundled model, or as CTA records and held
//! rules for the bundled playbook: compiling and evaluating never panic,
//! evaluation is deterministic, and an account's own re-evaluation with the
//! CTAs it opened opens nothing new.
#![no_main]
use healthscore::cta::{CtaRecord, RuleSet};
use healthscore::{AccountData, Model};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Fixture {
    model: Model,
    playbook: RuleSet,
    accounts: Vec<AccountData>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let model =
            Model::from_json_str(include_str!("../../examples/data/model.json")).expect("model");
        let playbook =
            RuleSet::from_json_str(include_str!("../../examples/data/playbook.json"), &model)
                .expect("rules");
        let accounts = include_str!("../../examples/data/portfolio.jsonl")
            .lines()
            .take(40)
            .map(|l| serde_json::from_str(l).expect("bundled account"))
            .collect();
        Fixture {
            model,
            playbook,
            accounts,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let rules = RuleSet::from_json_str(text, &f.model).ok();
    let state: Option<(Vec<CtaRecord>, Vec<String>)> = serde_json::from_str(text).ok();
    for data in &f.accounts {
        let Ok(account) = f.model.bind(data.clone()) else {
            continue;
        };
        let score = account.score();
        if let Some(rules) = &rules {
            let a = rules.evaluate(&score, &[], &[]).expect("same model");
            let b = rules.evaluate(&score, &[], &[]).expect("same model");
            assert_eq!(a, b);
            let records: Vec<CtaRecord> = a.opened().map(|c| c.record(data.as_of)).collect();
            let again = rules
                .evaluate(&score, &records, &a.held)
                .expect("same model");
            assert_eq!(again.opened().count(), 0, "re-evaluation opens nothing new");
        }
        if let Some((records, held)) = &state {
            let _ = f
                .playbook
                .evaluate(&score, records, held)
                .expect("same model");
        }
    }
});
