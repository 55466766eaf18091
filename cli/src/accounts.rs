//! Reading a whole portfolio for the commands that look at it at once
//! (portfolio, explain, diff, report): the same tolerant reader as `score`,
//! parsing and binding on every core, each rejection printed with its place.

use crate::progress::Progress;
use crate::score::pipeline::{describe_json_error, id_in_text};
use crate::score::{open_input, split, Shape, Unit};
use healthscore::{Account, AccountData, Model};
use rayon::prelude::*;
use std::collections::HashSet;

/// Accounts read from a file: the bound ones, and how many were rejected.
pub(crate) struct Portfolio<'m> {
    pub accounts: Vec<Account<'m>>,
    pub rejected: u64,
}

/// The account texts of a file, in order (the file's faults already
/// reported), with their shape.
pub(crate) fn read_texts(path: &str) -> Result<(Shape, Vec<Unit>), String> {
    let mut input = open_input(path)?;
    let mut units = Vec::new();
    let mut shape = Shape::Lines;
    split(
        &mut input,
        &mut |s, u| {
            shape = s;
            units.push(u);
            true
        },
        &mut |w| eprintln!("warning: {path}: {w}"),
    )
    .map_err(|e| format!("{path}: {e}"))?;
    Ok((shape, units))
}

/// Reads and binds every account of `path` under `model`; rejections are
/// printed on stderr (`rejected line 4: account a-7: …`), duplicates keep
/// the first.
pub(crate) fn load<'m>(model: &'m Model, path: &str) -> Result<Portfolio<'m>, String> {
    let (shape, units) = read_texts(path)?;
    let progress = Progress::new("binding", units.len() as u64);
    let bound: Vec<(u64, Result<Account<'m>, String>)> = units
        .into_par_iter()
        .map(|Unit { place, text }| {
            progress.tick();
            let result = text.and_then(|text| {
                let data: AccountData = serde_json::from_str(&text).map_err(|e| {
                    let id = id_in_text(&text).unwrap_or_else(|| "(no id)".to_string());
                    format!("account {id}: {}", describe_json_error(&text, &e))
                })?;
                model.bind(data).map_err(|e| e.to_string())
            });
            (place, result)
        })
        .collect();
    progress.finish();
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(bound.len());
    let mut rejected = 0;
    for (place, result) in bound {
        let unit = shape.unit();
        match result {
            Ok(a) if seen.insert(a.id().to_string()) => accounts.push(a),
            Ok(a) => {
                eprintln!(
                    "rejected {unit} {place}: account {}: duplicate id (the first is kept)",
                    a.id()
                );
                rejected += 1;
            }
            Err(why) => {
                eprintln!("rejected {unit} {place}: {why}");
                rejected += 1;
            }
        }
    }
    Ok(Portfolio { accounts, rejected })
}
