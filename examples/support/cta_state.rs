//! CTA state between runs of the `score` example: per account, the CTA
//! records a service would have stored and the rules that held last time.
//!
//! One JSON object per line:
//!
//! ```text
//! {"account":"acme","records":[{"rule":"red-band","kind":"risk","opened_on":"2026-11-01","status":{"state":"open"}}],"held":["red-band"]}
//! ```

use healthscore::cta::{Action, CtaRecord, Evaluation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::BufRead;

/// One account's CTA state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountState {
    /// The account id.
    pub account: String,
    /// Its CTA records (open, snoozed and closed).
    #[serde(default)]
    pub records: Vec<CtaRecord>,
    /// Ids of the rules that held at the previous evaluation.
    #[serde(default)]
    pub held: Vec<String>,
}

impl AccountState {
    /// The state after an evaluation on `as_of`: the CTAs it opened are
    /// recorded as open, and the rules that held are remembered. Proposed
    /// closes stay proposals: closing is a person's decision, recorded by
    /// whoever makes it.
    pub fn after(
        account: &str,
        before: Option<&AccountState>,
        eval: &Evaluation,
        as_of: chrono::NaiveDate,
    ) -> AccountState {
        let mut records = before.map(|s| s.records.clone()).unwrap_or_default();
        records.extend(eval.actions.iter().filter_map(|a| match a {
            Action::Open(cta) => Some(cta.record(as_of)),
            _ => None,
        }));
        AccountState {
            account: account.to_string(),
            records,
            held: eval.held.clone(),
        }
    }

    /// Whether there is anything to keep.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.held.is_empty()
    }
}

/// Reads a state file into a map by account id.
///
/// # Errors
///
/// The line and problem of an unreadable line, or of an account that
/// appears twice.
pub fn read(path: &str) -> Result<HashMap<String, AccountState>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut states = HashMap::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let state: AccountState =
            serde_json::from_str(&line).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
        let account = state.account.clone();
        if states.insert(account.clone(), state).is_some() {
            return Err(format!(
                "{path}:{}: account {account:?} appears twice",
                n + 1
            ));
        }
    }
    Ok(states)
}
