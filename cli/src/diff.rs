//! `healthscore diff`: the same accounts under two models, before a new
//! model version rolls out.

use crate::accounts::read_texts;
use crate::portfolio::money;
use crate::score::pipeline::{describe_json_error, id_in_text};
use crate::{exit, DiffArgs};
use healthscore::{AccountData, Band, Model, Score};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

/// Band positions 0..=3, and 4 for no band.
fn slot(b: Option<Band>) -> usize {
    b.map_or(4, Band::index)
}

const NAMES: [&str; 5] = ["green", "lime", "yellow", "red", "no band"];

pub(crate) fn run(a: DiffArgs) -> Result<ExitCode, String> {
    let old = Model::from_path(&a.old_model).map_err(|e| format!("old model: {e}"))?;
    let new = Model::from_path(&a.new_model).map_err(|e| format!("new model: {e}"))?;
    let (shape, units) = read_texts(&a.accounts)?;
    // Each account bound under both models; rejected under either, it is
    // left out of the comparison (and reported).
    let parsed: Vec<(u64, Result<AccountData, String>)> = units
        .into_par_iter()
        .map(|u| {
            let r = u.text.and_then(|text| {
                let data: AccountData = serde_json::from_str(&text).map_err(|e| {
                    let id = id_in_text(&text).unwrap_or_else(|| "(no id)".to_string());
                    format!("account {id}: {}", describe_json_error(&text, &e))
                })?;
                Ok(data)
            });
            (u.place, r)
        })
        .collect();
    let mut rejected = 0u64;
    let mut old_accounts = Vec::new();
    let mut new_accounts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (place, r) in parsed {
        let unit = shape.unit();
        let (a_old, a_new) = match r {
            Ok(data) => (data.clone(), data),
            Err(why) => {
                eprintln!("rejected {unit} {place}: {why}");
                rejected += 1;
                continue;
            }
        };
        if !seen.insert(a_old.id.clone()) {
            eprintln!(
                "rejected {unit} {place}: account {}: duplicate id (the first is kept)",
                a_old.id
            );
            rejected += 1;
            continue;
        }
        match (old.bind(a_old), new.bind(a_new)) {
            (Ok(x), Ok(y)) => {
                old_accounts.push(x);
                new_accounts.push(y);
            }
            (Err(e), _) => {
                eprintln!("rejected {unit} {place}: old model: {e}");
                rejected += 1;
            }
            (_, Err(e)) => {
                eprintln!("rejected {unit} {place}: new model: {e}");
                rejected += 1;
            }
        }
    }
    let old_scores: Vec<Score<'_>> = old_accounts.par_iter().map(|a| a.score()).collect();
    let new_scores: Vec<Score<'_>> = new_accounts.par_iter().map(|a| a.score()).collect();
    print!("{}", report(&old, &new, &old_scores, &new_scores, a.show));
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{rejected} accounts rejected (see above); the comparison counts the rest");
        ExitCode::from(exit::REJECTED)
    })
}

fn report(
    old: &Model,
    new: &Model,
    before: &[Score<'_>],
    after: &[Score<'_>],
    show: usize,
) -> String {
    let mut counts = [[0u64; 5]; 5];
    let mut mrr = [[Decimal::ZERO; 5]; 5];
    let mut per_segment: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    let mut changed = Vec::new();
    for (b, a) in before.iter().zip(after) {
        let (from, to) = (slot(b.band()), slot(a.band()));
        counts[from][to] += 1;
        mrr[from][to] = mrr[from][to].saturating_add(a.account().data().mrr);
        let seg = per_segment.entry(a.segment().to_string()).or_default();
        seg.0 += 1;
        if from != to && from < 4 && to < 4 {
            if to > from {
                seg.2 += 1; // fell
            } else {
                seg.1 += 1; // rose
            }
        }
        if from != to {
            changed.push((b, a));
        }
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "old: {}\nnew: {}\n{} accounts compared, {} changed band\n",
        old.fingerprint(),
        new.fingerprint(),
        before.len(),
        changed.len()
    );
    let _ = writeln!(t, "band transitions (rows old, columns new): accounts");
    let _ = write!(t, "{:<9}", "");
    for n in NAMES {
        let _ = write!(t, " {n:>9}");
    }
    for (i, row) in counts.iter().enumerate() {
        let _ = write!(t, "\n{:<9}", NAMES[i]);
        for c in row {
            let _ = write!(t, " {c:>9}");
        }
    }
    let _ = writeln!(t, "\n\nband transitions: MRR");
    let _ = write!(t, "{:<9}", "");
    for n in NAMES {
        let _ = write!(t, " {n:>16}");
    }
    for (i, row) in mrr.iter().enumerate() {
        let _ = write!(t, "\n{:<9}", NAMES[i]);
        for m in row {
            let _ = write!(t, " {:>16}", money(*m));
        }
    }
    let _ = writeln!(
        t,
        "\n\nper segment: accounts, moved to a healthier band, to a less healthy one"
    );
    for (seg, (n, up, down)) in &per_segment {
        let _ = writeln!(t, "  {seg:<28} {n:>6} {up:>6} up {down:>6} down");
    }
    // The biggest moves first (most bands, then MRR, then id).
    changed.sort_by(|x, y| {
        let jump = |p: &(&Score<'_>, &Score<'_>)| {
            (slot(p.0.band()) as i64 - slot(p.1.band()) as i64).abs()
        };
        jump(y)
            .cmp(&jump(x))
            .then(y.1.account().data().mrr.cmp(&x.1.account().data().mrr))
            .then(x.1.account().id().cmp(y.1.account().id()))
    });
    if !changed.is_empty() && show > 0 {
        let _ = writeln!(t, "\naccounts that changed band (largest moves first):");
        for (b, a) in changed.iter().take(show) {
            let _ = writeln!(
                t,
                "  {} ({}, MRR {})\n    old: {b}\n    new: {a}",
                a.account().id(),
                a.segment(),
                money(a.account().data().mrr)
            );
        }
    }
    t
}
