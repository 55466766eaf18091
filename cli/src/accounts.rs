//! Reading a whole portfolio for the commands that look at all of it
//! (portfolio, explain, diff, report): the same tolerant reader as `score`,
//! in chunks parsed and bound on every core, each rejection printed with its
//! place. Memory holds one chunk of accounts, never the file: the commands
//! fold each chunk into what they keep (a summary, the lowest few).

use crate::progress::Progress;
use crate::score::pipeline::{describe_json_error, id_in_text};
use crate::score::{open_input, split, Shape, Unit};
use crate::terminal::clip;
use healthscore::{Account, AccountData, Model};
use rayon::prelude::*;
use std::cell::Cell;
use std::collections::HashSet;

/// Accounts parsed per parallel step.
const CHUNK: usize = 1 << 15;

/// A chunk of parsed accounts, with their places in the input.
pub(crate) struct Chunk {
    pub shape: Shape,
    pub accounts: Vec<(u64, AccountData)>,
}

/// Counts rejections and prints them above the progress bar.
pub(crate) struct Rejections<'p> {
    progress: &'p Progress,
    count: Cell<u64>,
}

impl Rejections<'_> {
    pub(crate) fn reject(&self, shape: Shape, place: u64, why: &str) {
        self.progress.eprint(&format!(
            "rejected {} {place}: {}\n",
            shape.unit(),
            clip(why)
        ));
        self.count.set(self.count.get() + 1);
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.get()
    }
}

/// Reads `path` in chunks, calling `visit` with each chunk of parsed
/// accounts (duplicates of an earlier id and unparsable texts rejected).
/// Returns the number of rejections, including those `visit` reported.
pub(crate) fn for_each_chunk(
    path: &str,
    mut visit: impl FnMut(Chunk, &Rejections<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    // A file of columns read as JSON lines would reject every line, one
    // message each: say what the file is and what reads it.
    if let Ok(format @ (healthscore_arrow::Format::Parquet | healthscore_arrow::Format::Csv)) =
        healthscore_arrow::Format::of(path.as_ref())
    {
        let kind = match format {
            healthscore_arrow::Format::Parquet => "a Parquet file",
            _ => "a CSV file",
        };
        return Err(format!(
            "{path}: {kind} of columns; this command reads accounts as JSON lines (or a JSON array). Score the file with `healthscore score --accounts {path} --out scores.parquet`, or export the accounts as JSON lines"
        ));
    }
    let progress = Progress::for_input("reading", path);
    let mut input = progress.reader(open_input(path)?);
    let rejections = Rejections {
        progress: &progress,
        count: Cell::new(0),
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut units: Vec<Unit> = Vec::with_capacity(CHUNK);
    let mut shape = Shape::Lines;
    let mut failed: Option<String> = None;
    let mut flush = |shape: Shape, units: &mut Vec<Unit>| -> Result<(), String> {
        let parsed: Vec<(u64, Result<AccountData, String>)> = std::mem::take(units)
            .into_par_iter()
            .map(|Unit { place, text }| {
                let data = text.and_then(|text| {
                    serde_json::from_str::<AccountData>(&text).map_err(|e| {
                        let id = id_in_text(&text).unwrap_or_else(|| "(no id)".to_string());
                        format!("account {id}: {}", describe_json_error(&text, &e))
                    })
                });
                (place, data)
            })
            .collect();
        progress.add(parsed.len() as u64);
        let mut accounts = Vec::with_capacity(parsed.len());
        for (place, data) in parsed {
            match data {
                Ok(d) if seen.insert(d.id.clone()) => accounts.push((place, d)),
                Ok(d) => rejections.reject(
                    shape,
                    place,
                    &format!("account {}: duplicate id (the first is kept)", d.id),
                ),
                Err(why) => rejections.reject(shape, place, &why),
            }
        }
        visit(Chunk { shape, accounts }, &rejections)
    };
    let read = split(
        &mut input,
        &mut |s, u| {
            shape = s;
            units.push(u);
            if units.len() == CHUNK {
                if let Err(e) = flush(s, &mut units) {
                    failed = Some(e);
                    return false;
                }
            }
            true
        },
        &mut |w| progress.eprint(&format!("warning: {path}: {w}\n")),
    );
    if let Some(e) = failed {
        return Err(e);
    }
    // What was read before a fault or the end is always counted.
    flush(shape, &mut units)?;
    progress.finish();
    read.map_err(|e| format!("{path}: {e}"))?;
    Ok(rejections.count())
}

/// Binds accounts under a model on every core, keeping their places (in
/// input order); those it refuses are rejected with their place.
pub(crate) fn bind<'m>(
    model: &'m Model,
    shape: Shape,
    accounts: Vec<(u64, AccountData)>,
    rejections: &Rejections<'_>,
) -> Vec<(u64, Account<'m>)> {
    let (bound, refused) = try_bind(model, accounts);
    for (place, why) in refused {
        rejections.reject(shape, place, &why);
    }
    bound
}

/// Binds accounts under a model on every core: the accounts bound and the
/// places refused with why, both in input order.
#[allow(clippy::type_complexity)]
pub(crate) fn try_bind<'m>(
    model: &'m Model,
    accounts: Vec<(u64, AccountData)>,
) -> (Vec<(u64, Account<'m>)>, Vec<(u64, String)>) {
    let results: Vec<(u64, Result<Account<'m>, String>)> = accounts
        .into_par_iter()
        .map(|(place, data)| (place, model.bind(data).map_err(|e| e.to_string())))
        .collect();
    let (mut bound, mut refused) = (Vec::with_capacity(results.len()), Vec::new());
    for (place, result) in results {
        match result {
            Ok(a) => bound.push((place, a)),
            Err(why) => refused.push((place, why)),
        }
    }
    (bound, refused)
}
