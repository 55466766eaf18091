//! Reads, scores and writes in a pipeline: one thread splits the input into
//! batches, rayon's pool scores them (one thread per core), and the calling
//! thread writes them in input order. Channels are bounded, so memory holds a few
//! batches, not the file.
//!
//! The writer is where input order is known, so it is where:
//! * a later account with an id seen before is rejected (the first is kept)
//!   and neither its score nor its state is written;
//! * counts are kept: every unit read is scored or rejected;
//! * a failed write (a closed pipe, a full disk) stops the run at once: the
//!   reader and workers see their channels close and return.

use super::input::Shape;
pub use super::reader::Source;
use super::reader::{read_batches, read_rows, Batch, Read};
use super::state::{id_key, AccountState, StateIndex};
use super::table::Sink;
use crate::told::Told;
use healthscore::cta::{Action, Evaluation, RuleSet};
use healthscore::{AccountData, Model, Score};
use healthscore_arrow::ResultRow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

/// What carries between runs and what the rules need: the rule set (with
/// `--rules`), the earlier state (`--state`), and whether to write the
/// next one (`--state-out`). Without rules the state carries each
/// account's last band and score (and keeps any CTA records it holds).
#[derive(Default)]
pub struct Carry<'a> {
    pub rules: Option<&'a RuleSet>,
    pub state: Option<&'a StateIndex>,
    pub keep: bool,
}

/// Counts over a run.
#[derive(Default)]
pub struct Totals {
    pub read: u64,
    pub scored: u64,
    pub rejected: u64,
    /// CTA actions: opened, updated, quiet, proposed to close.
    pub actions: [u64; 4],
    /// With rules: each date or event no rule reads (`date renewwal`),
    /// with the number of scored accounts that carry it.
    pub unread: std::collections::BTreeMap<String, u64>,
    /// Per metric of the model, in model order: scored accounts without a
    /// value of it.
    pub missing: Vec<u64>,
    /// Scored accounts whose state's last band and score were another
    /// model's, and so not taken as their previous ones.
    pub other_model: u64,
}

/// Where the output went wrong, naming it.
pub struct OutputFailed(pub String);

/// One scored account in a batch's buffers.
struct Entry {
    id: String,
    place: u64,
    out: Range<usize>,
    state: Range<usize>,
    actions: [u64; 4],
    carried: bool,
    /// Its dates and events no rule reads (`date renewwal`).
    unread: Vec<String>,
    /// The metrics (by index in the model) it has no value of.
    without: Vec<u32>,
    /// Whether its state's last band was another model's (not used).
    other_model: bool,
    /// Its row, for a results table.
    row: Option<ResultRow>,
}

struct Done {
    index: u64,
    shape: Shape,
    out: Vec<u8>,
    state: Vec<u8>,
    entries: Vec<Entry>,
    /// Rejections, in input order: place and why.
    errors: Vec<(u64, String)>,
    rejected: u64,
    /// For a results table: each rejection's place, id (where one could
    /// be read) and error cell.
    rejects: Vec<(u64, Option<String>, String)>,
    /// Whether rows for a results table are made.
    table: bool,
}

impl Done {
    /// Rejects the unit at `place`: its line on stderr, and for a results
    /// table its row (`id` where one could be read).
    fn reject(&mut self, place: u64, id: Option<String>, why: String) {
        self.rejected += 1;
        if self.table {
            let cell = self.shape.located(place, &why);
            self.rejects.push((place, id, cell));
        }
        self.errors.push((place, why));
    }
}

/// One output object: the score record, and the CTA actions with `--rules`.
#[derive(serde::Serialize)]
struct Output {
    #[serde(flatten)]
    record: healthscore::ScoreRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    ctas: Option<Vec<Action>>,
}

/// Scores a stream. `state_out` receives the next state (with `carry`
/// keeping it): this run's accounts, then the earlier state's other
/// accounts unchanged.
///
/// # Errors
///
/// `Err(Ok(message))` for the input (unreadable), `Err(Err(OutputFailed))`
/// when writing stopped the run; the totals so far come with both.
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn score_stream(
    model: &Model,
    carry: &Carry<'_>,
    mut input: Source,
    mut out: Sink<'_>,
    mut state_out: Option<(&mut dyn Write, String)>,
    warn: &(dyn Fn(String) + Sync),
    progress: &crate::progress::Progress,
) -> (Totals, Result<(), Result<String, OutputFailed>>) {
    let workers = rayon::current_num_threads().clamp(1, 64);
    let (job_tx, job_rx) = sync_channel::<Batch>(workers * 2);
    // Taken (dropped) by the writer to stop the reader when output fails.
    let job_rx: Mutex<Option<Receiver<Batch>>> = Mutex::new(Some(job_rx));
    let (done_tx, done_rx) = sync_channel::<Done>(workers * 2);
    let mut totals = Totals {
        missing: vec![0; model.metric_count()],
        ..Totals::default()
    };
    // Accounts piped in as they happen: written out as each batch is.
    let live = matches!(input, Source::Stream { live: true, .. });
    let outcome = std::thread::scope(|s| {
        let reader = s.spawn(move || match &mut input {
            Source::Stream { input, live } => read_batches(
                input,
                super::reader::batch_size(model.metric_count()),
                &job_tx,
                warn,
                *live,
            ),
            Source::Rows { path, as_of } => read_rows(model, path, *as_of, &job_tx),
        });
        // Batches are scored on rayon's pool, as they arrive; the jobs run
        // dry when the reader is done or the writer took the receiver.
        let jobs = std::iter::from_fn(|| job_rx.lock().ok()?.as_ref()?.recv().ok());
        let table = matches!(out, Sink::Table(_));
        let scoring = {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                use rayon::iter::{ParallelBridge, ParallelIterator};
                jobs.par_bridge().for_each_with(done_tx, |tx, batch| {
                    // A closed channel means the writer stopped: drop the rest.
                    let _ = tx.send(score_batch(model, carry, batch, table));
                });
            })
        };
        drop(done_tx);
        let mut writer = Writer {
            next: 0,
            pending: BTreeMap::new(),
            seen: HashMap::new(),
            evaluated: HashSet::new(),
            told: Told::new(|line| progress.eprint(&format!("{line}\n"))),
        };
        let mut failure = None;
        for done in done_rx.iter() {
            let taken = writer
                .take(done, &mut totals, &mut out, state_out.as_mut(), progress)
                .and_then(|()| match &mut out {
                    Sink::Json(w, name) if live => w
                        .flush()
                        .map_err(|err| OutputFailed(format!("{name}: {err}"))),
                    _ => Ok(()),
                });
            if let Err(e) = taken {
                failure = Some(e);
                // Stop everything: the reader's and the workers' channels close.
                if let Ok(mut rx) = job_rx.lock() {
                    rx.take();
                }
                break;
            }
        }
        drop(done_rx);
        let _ = scoring.join();
        let read = reader
            .join()
            .unwrap_or_else(|_| Err("the reader thread panicked".into()));
        if let Some(e) = failure {
            return Err(Err(e));
        }
        read.map_err(Ok)?;
        // Accounts of the earlier state not evaluated now (absent from the
        // input, or rejected) keep their state unchanged.
        if let (Some((w, name)), Some(state)) = (state_out.as_mut(), carry.state) {
            state
                .copy_rest(&writer.evaluated, w)
                .map_err(|e| Err(OutputFailed(format!("{name}: {e}"))))?;
        }
        Ok(())
    });
    (totals, outcome)
}

/// Writes batches in input order.
struct Writer<'p> {
    next: u64,
    pending: BTreeMap<u64, Done>,
    /// Each account id's key, with the place it was first seen.
    seen: HashMap<u128, (Shape, u64)>,
    /// Accounts scored this run (their earlier state was replaced).
    evaluated: HashSet<u128>,
    /// Says the rejections, a run of units rejected for one reason in
    /// one line.
    told: Told<'p>,
}

impl Writer<'_> {
    fn take(
        &mut self,
        done: Done,
        totals: &mut Totals,
        out: &mut Sink<'_>,
        mut state_out: Option<&mut (&mut dyn Write, String)>,
        progress: &crate::progress::Progress,
    ) -> Result<(), OutputFailed> {
        self.pending.insert(done.index, done);
        while let Some(mut d) = self.pending.remove(&self.next) {
            self.next += 1;
            // The batch's last place: a run of rejections ending before it
            // is said with the batch.
            let end = (d.entries.iter().map(|e| e.place))
                .chain(d.errors.iter().map(|(place, _)| *place))
                .max();
            // A results table's rows, by place: the rejected accounts'
            // first, then the scored ones' as they are written.
            let mut rows: Vec<(u64, ResultRow)> = std::mem::take(&mut d.rejects)
                .into_iter()
                .map(|(place, id, why)| (place, ResultRow::rejected(id.as_deref(), &why)))
                .collect();
            // Counted as they are reported, so that read = scored + rejected
            // also when a failed write stops the run mid-batch.
            progress.add(d.entries.len() as u64 + d.rejected);
            totals.read += d.rejected;
            totals.rejected += d.rejected;
            // The batch's rejections with its repeated ids, found first,
            // so that all are told in the order of their places before its
            // output is written (and also when writing it fails).
            let mut rejected = std::mem::take(&mut d.errors);
            let mut keys: Vec<Option<u128>> = Vec::with_capacity(d.entries.len());
            for e in &d.entries {
                let key = id_key(&e.id);
                let Some((shape, first)) = self.seen.get(&key) else {
                    self.seen.insert(key, (d.shape, e.place));
                    keys.push(Some(key));
                    continue;
                };
                let why = format!(
                    "account {}: duplicate id, first seen at {} {first} (the first is kept)",
                    e.id,
                    shape.unit()
                );
                if d.table {
                    let cell = d.shape.located(e.place, &why);
                    rows.push((e.place, ResultRow::rejected(Some(&e.id), &cell)));
                }
                rejected.push((e.place, why));
                keys.push(None);
                totals.read += 1;
                totals.rejected += 1;
            }
            rejected.sort_by_key(|(place, _)| *place);
            for (place, why) in rejected {
                self.told.reject("", d.shape.unit(), place, &why);
            }
            if let Some(end) = end {
                self.told.settle(end);
            }
            for (e, key) in d.entries.iter_mut().zip(keys) {
                // A repeated id: rejected above.
                let Some(key) = key else {
                    continue;
                };
                let slice =
                    |buf: &[u8], r: &Range<usize>| buf.get(r.clone()).unwrap_or(&[]).to_vec();
                match (&mut *out, e.row.take()) {
                    (Sink::Json(w, name), _) => w
                        .write_all(&slice(&d.out, &e.out))
                        .map_err(|err| OutputFailed(format!("{name}: {err}")))?,
                    (Sink::Table(_), Some(row)) => rows.push((e.place, row)),
                    (Sink::Table(_), None) => {}
                }
                if let Some((w, name)) = state_out.as_mut() {
                    w.write_all(&slice(&d.state, &e.state))
                        .map_err(|err| OutputFailed(format!("{name}: {err}")))?;
                }
                if e.carried {
                    self.evaluated.insert(key);
                }
                totals.read += 1;
                totals.scored += 1;
                for (t, a) in totals.actions.iter_mut().zip(e.actions) {
                    *t += a;
                }
                for u in &e.unread {
                    *totals.unread.entry(u.clone()).or_default() += 1;
                }
                for &i in &e.without {
                    if let Some(n) = totals.missing.get_mut(i as usize) {
                        *n += 1;
                    }
                }
                totals.other_model += u64::from(e.other_model);
            }
            if let Sink::Table(table) = &mut *out {
                rows.sort_by_key(|(place, _)| *place);
                for (_, row) in rows {
                    table.push(row)?;
                }
            }
        }
        Ok(())
    }
}

/// Scores a batch: into JSON lines, or with `table` into rows of a
/// results table.
fn score_batch(model: &Model, carry: &Carry<'_>, batch: Batch, table: bool) -> Done {
    let mut done = Done {
        index: batch.index,
        shape: batch.shape,
        out: Vec::with_capacity(if table { 0 } else { batch.units.len() * 700 }),
        state: Vec::new(),
        entries: Vec::with_capacity(batch.units.len()),
        errors: Vec::new(),
        rejected: 0,
        rejects: Vec::new(),
        table,
    };
    for (place, read) in batch.units {
        let text = match read {
            Ok(Read::Text(t)) => t,
            Ok(Read::Data(data)) => {
                score_account(model, carry, data, place, &mut done);
                continue;
            }
            Err((id, why)) => {
                done.reject(place, id, why);
                continue;
            }
        };
        let data: AccountData = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                let id = id_in_text(&text);
                let why = format!(
                    "account {}: {}",
                    id.as_deref().unwrap_or("(no id)"),
                    describe_json_error(&text, &e)
                );
                done.reject(place, id, why);
                continue;
            }
        };
        score_account(model, carry, data, place, &mut done);
    }
    done
}

/// Binds, scores and evaluates one account into a batch's buffers, or
/// rejects it there.
fn score_account(model: &Model, carry: &Carry<'_>, data: AccountData, place: u64, done: &mut Done) {
    let id = done.table.then(|| data.id.clone());
    // The account's earlier state: its CTA records and rules, and its last
    // band and score (its previous ones, where the input gives neither).
    let before = match carry.state.map(|s| s.get(&data.id)) {
        Some(Ok(before)) => before,
        Some(Err(e)) => {
            done.reject(place, id, format!("account {}: {e}", data.id));
            return;
        }
        None => None,
    };
    let mut data = data;
    let other_model = before
        .as_ref()
        .and_then(|b| b.last.as_ref())
        .is_some_and(|last| !last.fill(&mut data, model));
    let account = match model.bind(data) {
        Ok(a) => a,
        Err(e) => {
            done.reject(place, id, e.to_string());
            return;
        }
    };
    let score = account.score();
    let (out_start, state_start) = (done.out.len(), done.state.len());
    let mut actions = [0u64; 4];
    let mut carried = false;
    let eval = match carry
        .rules
        .map(|rules| evaluate(rules, &score, before.as_ref(), &mut actions))
    {
        Some(Ok(eval)) => Some(eval),
        Some(Err(e)) => {
            done.reject(place, id, format!("account {}: {e}", account.id()));
            return;
        }
        None => None,
    };
    if carry.keep {
        carried = before.is_some();
        let next = AccountState::after(account.id(), before.as_ref(), eval.as_ref(), &score);
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut done.state, &next);
        done.state.push(b'\n');
    }
    let row = if done.table {
        Some(ResultRow::scored(&score.record(), eval.as_ref()))
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(
            &mut done.out,
            &Output {
                record: score.record(),
                ctas: eval.map(|e| e.actions),
            },
        );
        done.out.push(b'\n');
        None
    };
    done.entries.push(Entry {
        id: account.id().to_string(),
        place,
        out: out_start..done.out.len(),
        state: state_start..done.state.len(),
        actions,
        carried,
        other_model,
        without: model
            .metric_ids()
            .enumerate()
            .filter(|(_, id)| account.observation(id).is_none())
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect(),
        unread: carry.rules.map_or_else(Vec::new, |rules| {
            rules
                .unread(account.data())
                .map(|u| u.to_string())
                .collect()
        }),
        row,
    });
}

/// Evaluates the rules for a scored account against its earlier state and
/// counts the actions.
fn evaluate(
    rules: &RuleSet,
    score: &Score<'_>,
    before: Option<&AccountState>,
    actions: &mut [u64; 4],
) -> Result<Evaluation, String> {
    let (records, held) = before.map_or((&[][..], &[][..]), |s| (&s.records[..], &s.held[..]));
    let eval = rules
        .evaluate(score, records, held)
        .map_err(|e| e.to_string())?;
    for a in &eval.actions {
        let kind = match a {
            Action::Open(_) => 0,
            Action::Update { .. } => 1,
            Action::Quiet { .. } => 2,
            _ => 3,
        };
        if let Some(n) = actions.get_mut(kind) {
            *n += 1;
        }
    }
    Ok(eval)
}

/// The account id in a text that is not valid JSON, when one can be read:
/// the first `"id"` key's string or number value.
pub(crate) fn id_in_text(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find("\"id\"") {
        rest = rest.get(at + 4..)?;
        let Some(value) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        if let Some(s) = value.strip_prefix('"') {
            let end = s.find('"')?;
            return s.get(..end).map(str::to_string);
        }
        let n: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        return (!n.is_empty()).then_some(n);
    }
    None
}

/// serde_json's message, plus what a bare `NaN` or `Infinity` at the error's
/// column is (Python's `json.dumps` writes them for float NaN and infinity).
pub(crate) fn describe_json_error(text: &str, e: &serde_json::Error) -> String {
    let column = e.column().saturating_sub(1);
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let at = line.get(column..).unwrap_or("");
    for token in ["NaN", "Infinity", "-Infinity"] {
        if at.starts_with(token) {
            return format!(
                "{token} at column {} is not a JSON number (Python's json.dumps writes it for a float {token}): \
                 leave that observation out",
                e.column()
            );
        }
    }
    where_in::<healthscore::AccountData>(text, e)
}

/// `e`, the error of reading `text` as a `T`, after where in the value it
/// is (`employees: …`, `observations[2].value: …`): read again, tracking
/// the path, only for a line that failed.
pub(crate) fn where_in<T: serde::de::DeserializeOwned>(
    text: &str,
    e: &serde_json::Error,
) -> String {
    let mut again = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut again) {
        Err(at) if at.path().iter().next().is_some() => format!("{}: {e}", at.path()),
        _ => e.to_string(),
    }
}
