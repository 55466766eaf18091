//! State between runs of `score`: per account, its last band and score and,
//! with rules, the CTA records a service would have stored and the rules
//! that held last time.
//!
//! One JSON object per line:
//!
//! ```text
//! {"account":"acme","records":[{"rule":"red-band","kind":"risk","opened_on":"2026-11-01","status":{"state":"open"}}],"held":["red-band"],
//!  "last":{"model":"b0a2335dba3e8402","as_of":"2026-11-01","band":"red","score":31.5,"previous_band":"yellow","previous_score":44.2}}
//! ```
//!
//! `last` is the account's band and score at its last scoring. The next
//! run takes them as the account's `previous_band` and `previous_score`
//! where its input gives neither (input that gives one wins), so that
//! hysteresis and the rules on band changes and falling scores work from
//! one nightly run to the next without the input carrying them; a run
//! again on the same as-of date takes the previous values that scoring
//! took, not its own result; a state from a later date, or of another
//! model (by fingerprint), gives none.
//!
//! * Reading (`--state`) keeps an index, not the states: a 128-bit hash of
//!   each account id with its line's offset in the file (about 40 bytes an
//!   account instead of the whole state), and reads an account's line when
//!   that account is scored.
//! * Writing (`--state-out`) goes to a temporary file beside the target,
//!   which is synced and renamed over the target only when the run
//!   completes: an interrupted run, a closed pipe or a full disk leave the
//!   previous state file as it was, and `--state-out` may name the
//!   `--state` file.

use healthscore::cta::{Action, CtaRecord, Evaluation, RuleSet};
use healthscore::{AccountData, Band, Points, Score};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

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
    /// The band and score of its last scoring (absent in state files
    /// written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastScore>,
}

/// An account's band and score at a scoring, with the previous ones that
/// scoring took (kept for a run again on the same date).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastScore {
    /// The fingerprint of the model that scored it (16 hex digits).
    pub model: String,
    pub as_of: chrono::NaiveDate,
    pub band: Option<Band>,
    pub score: Option<Points>,
    pub previous_band: Option<Band>,
    pub previous_score: Option<Points>,
}

impl LastScore {
    /// The account's last scoring as stored in the next state.
    pub fn of(score: &Score<'_>) -> LastScore {
        let data = score.account().data();
        LastScore {
            model: fingerprint(score.model()),
            as_of: data.as_of,
            band: score.band(),
            score: score.overall(),
            previous_band: data.previous_band,
            previous_score: data.previous_score,
        }
    }

    /// Gives `data` the previous band and score from this state, unless its
    /// input gives either: from a scoring before `data`'s as-of date, its
    /// result; on the same date, what that scoring took as previous; from
    /// a later date, nothing. A scoring by another model gives nothing
    /// (its bands are not this model's: a new model version would
    /// otherwise read as every account's band changing) and returns
    /// `false`, for the caller to count.
    pub fn fill(&self, data: &mut AccountData, model: &healthscore::Model) -> bool {
        if data.previous_band.is_some() || data.previous_score.is_some() {
            return true;
        }
        if u64::from_str_radix(&self.model, 16) != Ok(model.fingerprint().hash) {
            return false;
        }
        (data.previous_band, data.previous_score) = match self.as_of.cmp(&data.as_of) {
            std::cmp::Ordering::Less => (self.band, self.score),
            std::cmp::Ordering::Equal => (self.previous_band, self.previous_score),
            std::cmp::Ordering::Greater => (None, None),
        };
        true
    }
}

/// A model's fingerprint as a state file keeps it: 16 hex digits.
pub fn fingerprint(model: &healthscore::Model) -> String {
    format!("{:016x}", model.fingerprint().hash)
}

impl AccountState {
    /// The state after scoring `score` and, with rules, evaluating them
    /// (`eval`): the CTAs it opened are recorded as open (on its as-of
    /// date), the rules that held are remembered, and so are its band and
    /// score ([`LastScore`]). Proposed closes stay proposals: closing is a
    /// person's decision, recorded by whoever makes it. Without rules the
    /// earlier records and held rules are kept as they were (a run without
    /// `--rules` does not forget a rule set's CTAs).
    pub fn after(
        account: &str,
        before: Option<&AccountState>,
        eval: Option<&Evaluation>,
        score: &Score<'_>,
    ) -> AccountState {
        let as_of = score.account().data().as_of;
        let mut records = before.map(|s| s.records.clone()).unwrap_or_default();
        let held = match eval {
            Some(eval) => {
                records.extend(eval.actions.iter().filter_map(|a| match a {
                    Action::Open(cta) => Some(cta.record(as_of)),
                    _ => None,
                }));
                eval.held.clone()
            }
            None => before.map(|s| s.held.clone()).unwrap_or_default(),
        };
        AccountState {
            account: account.to_string(),
            records,
            held,
            last: Some(LastScore::of(score)),
        }
    }
}

/// A 128-bit hash of an account id (two independent 64-bit hashes): at a
/// billion accounts the chance that two share one is about 10⁻²¹.
pub fn id_key(id: &str) -> u128 {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut a);
    let mut b: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        b = (b ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    (u128::from(a.finish()) << 64) | u128::from(b)
}

/// An earlier state file, indexed by account.
pub struct StateIndex {
    path: String,
    file: Mutex<File>,
    /// Each account's line: offset and length, in file order.
    lines: Vec<(u128, u64, u32)>,
    by_key: HashMap<u128, usize>,
}

impl StateIndex {
    /// Indexes a state file, checking every line; with `rules`, rule ids
    /// the rule set does not have are counted and reported to `warn` (the
    /// records are kept).
    ///
    /// # Errors
    ///
    /// The file and line of an unreadable line or of an account that
    /// appears twice.
    pub fn open(
        path: &str,
        rules: Option<&RuleSet>,
        warn: &mut dyn FnMut(String),
    ) -> Result<StateIndex, String> {
        let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let mut reader = BufReader::new(file.try_clone().map_err(|e| format!("{path}: {e}"))?);
        let known: Option<HashSet<&str>> = rules.map(|r| r.rule_ids().collect());
        let (mut lines, mut by_key) = (Vec::new(), HashMap::new());
        let (mut offset, mut n, mut unknown, mut first_unknown) = (0u64, 0usize, 0u64, None);
        let mut line = String::new();
        loop {
            line.clear();
            let len = reader
                .read_line(&mut line)
                .map_err(|e| format!("{path}:{}: {e}", n + 1))?;
            if len == 0 {
                break;
            }
            n += 1;
            let start = offset;
            offset += len as u64;
            if line.trim().is_empty() {
                continue;
            }
            let state: AccountState =
                serde_json::from_str(&line).map_err(|e| format!("{path}:{n}: {e}"))?;
            for rule in state
                .records
                .iter()
                .map(|r| r.rule.as_str())
                .chain(state.held.iter().map(String::as_str))
            {
                if known.as_ref().is_some_and(|k| !k.contains(rule)) {
                    unknown += 1;
                    first_unknown.get_or_insert_with(|| rule.to_string());
                }
            }
            let key = id_key(&state.account);
            if by_key.insert(key, lines.len()).is_some() {
                return Err(format!(
                    "{path}:{n}: account {:?} appears twice",
                    state.account
                ));
            }
            let len =
                u32::try_from(len).map_err(|_| format!("{path}:{n}: line longer than 4 GiB"))?;
            lines.push((key, start, len));
        }
        if let Some(rule) = first_unknown {
            warn(format!(
                "{path}: {unknown} records or held entries name rules this rule set does not have \
                 (first: {rule:?}); they are kept as they are"
            ));
        }
        Ok(StateIndex {
            path: path.to_string(),
            file: Mutex::new(file),
            lines,
            by_key,
        })
    }

    fn read_line(&self, offset: u64, len: u32) -> Result<Vec<u8>, String> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| "state file lock poisoned".to_string())?;
        let mut buf = vec![0; len as usize];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| format!("{}: {e}", self.path))?;
        Ok(buf)
    }

    /// An account's earlier state, read from the file.
    ///
    /// # Errors
    ///
    /// The file could not be read again, or changed since it was indexed.
    pub fn get(&self, id: &str) -> Result<Option<AccountState>, String> {
        let Some(&i) = self.by_key.get(&id_key(id)) else {
            return Ok(None);
        };
        let Some(&(_, offset, len)) = self.lines.get(i) else {
            return Ok(None);
        };
        let state: AccountState = serde_json::from_slice(&self.read_line(offset, len)?)
            .map_err(|e| format!("{}: changed while in use: {e}", self.path))?;
        Ok((state.account == id).then_some(state))
    }

    /// Copies the lines of the accounts not in `evaluated`, unchanged and in
    /// file order, to `out`.
    pub fn copy_rest(&self, evaluated: &HashSet<u128>, out: &mut impl Write) -> Result<(), String> {
        for &(key, offset, len) in &self.lines {
            if !evaluated.contains(&key) {
                let line = self.read_line(offset, len)?;
                out.write_all(&line).map_err(|e| e.to_string())?;
                if line.last() != Some(&b'\n') {
                    out.write_all(b"\n").map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }
}
