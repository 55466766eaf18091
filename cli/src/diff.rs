//! `healthscore diff`: the same accounts under two models, before a new
//! model version rolls out.

use crate::accounts::{for_each_chunk, for_each_row_pair, try_bind, Rejections};
use crate::portfolio::money;
use crate::score::Shape;
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

/// A changed account: bands moved, MRR, id, segment, old and new heads.
type Moved = (usize, Decimal, String, String, String, String);

/// What the comparison keeps while the accounts stream past.
#[derive(Default)]
struct Comparison {
    compared: u64,
    counts: [[u64; 5]; 5],
    mrr: [[Decimal; 5]; 5],
    /// Per segment (of the new model): accounts, moved up, moved down.
    segments: BTreeMap<String, (u64, u64, u64)>,
    changed: u64,
    /// The largest moves, at most `show`.
    moved: Vec<Moved>,
    /// Per metric of the old and of the new model (in model order): the
    /// compared accounts with a value of it, so that a metric the new
    /// model renamed shows as one no account has a value of.
    measured: [Vec<u64>; 2],
}

impl Comparison {
    fn add(&mut self, before: &[Score<'_>], after: &[Score<'_>], show: usize) {
        for (side, scores) in self.measured.iter_mut().zip([before, after]) {
            for s in scores {
                let ids = s.model().metric_ids();
                if side.len() < s.model().metric_count() {
                    side.resize(s.model().metric_count(), 0);
                }
                for (n, id) in side.iter_mut().zip(ids) {
                    *n += u64::from(s.account().observation(id).is_some());
                }
            }
        }
        for (b, a) in before.iter().zip(after) {
            let (from, to) = (slot(b.band()), slot(a.band()));
            let mrr = a.account().data().mrr;
            self.compared += 1;
            if let Some(c) = self.counts.get_mut(from).and_then(|r| r.get_mut(to)) {
                *c += 1;
            }
            if let Some(m) = self.mrr.get_mut(from).and_then(|r| r.get_mut(to)) {
                *m = m.saturating_add(mrr);
            }
            let seg = self.segments.entry(a.segment().to_string()).or_default();
            seg.0 += 1;
            if from != to && from < 4 && to < 4 {
                if to > from {
                    seg.2 += 1;
                } else {
                    seg.1 += 1;
                }
            }
            if from != to {
                self.changed += 1;
                let jump = from.abs_diff(to);
                self.moved.push((
                    jump,
                    mrr,
                    a.account().id().to_string(),
                    a.segment().to_string(),
                    b.to_string(),
                    a.to_string(),
                ));
            }
        }
        // The biggest moves first (most bands, then MRR, then id).
        self.moved
            .sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.cmp(&y.2)));
        self.moved.truncate(show);
    }
}

pub(crate) fn run(a: DiffArgs) -> Result<ExitCode, String> {
    let old = Model::from_path(&a.old_model).map_err(|e| format!("old model: {e}"))?;
    let new = Model::from_path(&a.new_model).map_err(|e| format!("new model: {e}"))?;
    let mut cmp = Comparison::default();
    let rejected = if crate::accounts::columnar(&a.accounts)?.is_some() {
        // Columns: each model reads its own (a metric one of them dropped
        // or added is a column only one reads).
        let as_of = crate::score::as_of_for(&a.accounts, a.as_of.as_deref())?;
        for_each_row_pair(&a.accounts, [&old, &new], as_of, |pairs, rejections| {
            compare(&old, &new, Shape::Rows, pairs, rejections, &mut cmp, a.show);
            Ok(())
        })?
    } else {
        for_each_chunk(&a.accounts, None, |chunk, rejections| {
            let pairs = chunk
                .accounts
                .into_iter()
                .map(|(place, data)| {
                    let mine = for_model(&old, &new, data.clone());
                    (place, mine, for_model(&new, &old, data))
                })
                .collect();
            compare(&old, &new, chunk.shape, pairs, rejections, &mut cmp, a.show);
            Ok(())
        })?
    };
    out!("{}", report(&old, &new, &cmp));
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{} rejected (see above); the comparison counts the rest",
            crate::terminal::counted(rejected, "account", "accounts")
        );
        ExitCode::from(exit::REJECTED)
    })
}

/// An account's data as `model` is to read it when `other` is the model
/// it is compared with: without the observations of a metric only `other`
/// has (a metric the new model adds or the old one drops is not an
/// unknown metric to the model without it). An observation neither model
/// has stays, and is refused as the unknown metric it is.
fn for_model(model: &Model, other: &Model, mut data: AccountData) -> AccountData {
    data.observations
        .retain(|o| model.metric(&o.metric).is_some() || other.metric(&o.metric).is_none());
    data
}

/// Compares one chunk of accounts, each as the old and the new model read
/// it. An account is compared when both models accept it; refused by
/// either, it is rejected once (with what each model said) and left out.
fn compare(
    old: &Model,
    new: &Model,
    shape: Shape,
    pairs: Vec<(u64, AccountData, AccountData)>,
    rejections: &Rejections<'_>,
    cmp: &mut Comparison,
    show: usize,
) {
    let (for_old, for_new): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .map(|(place, o, n)| ((place, o), (place, n)))
        .unzip();
    let (before, refused_old) = try_bind(old, for_old);
    let (after, refused_new) = try_bind(new, for_new);
    // Each refused account once, with what each model said.
    let mut refused: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (which, list) in [("old model", refused_old), ("new model", refused_new)] {
        for (place, why) in list {
            refused
                .entry(place)
                .or_default()
                .push(format!("{which}: {why}"));
        }
    }
    for (place, whys) in refused {
        rejections.reject(shape, place, &whys.join("; "));
    }
    // Both lists are in input order: keep the places both accepted.
    let (mut i, mut j) = (0, 0);
    let (mut sb, mut sa) = (Vec::new(), Vec::new());
    while let (Some((pb, xb)), Some((pa, xa))) = (before.get(i), after.get(j)) {
        match pb.cmp(pa) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sb.push(xb);
                sa.push(xa);
                i += 1;
                j += 1;
            }
        }
    }
    let (sb, sa): (Vec<Score<'_>>, Vec<Score<'_>>) = (
        sb.par_iter().map(|x| x.score()).collect(),
        sa.par_iter().map(|x| x.score()).collect(),
    );
    cmp.add(&sb, &sa, show);
}

fn report(old: &Model, new: &Model, c: &Comparison) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "old: {}\nnew: {}\n{} compared, {} changed band\n",
        old.fingerprint(),
        new.fingerprint(),
        crate::terminal::counted(c.compared, "account", "accounts"),
        c.changed
    );
    t.push_str(&metrics(old, new, c));
    let _ = writeln!(t, "band transitions (rows old, columns new): accounts");
    let _ = write!(t, "{:<9}", "");
    for n in NAMES {
        let _ = write!(t, " {n:>9}");
    }
    for (name, row) in NAMES.iter().zip(&c.counts) {
        let _ = write!(t, "\n{name:<9}");
        for n in row {
            let _ = write!(t, " {n:>9}");
        }
    }
    let _ = writeln!(t, "\n\nband transitions: MRR");
    let _ = write!(t, "{:<9}", "");
    for n in NAMES {
        let _ = write!(t, " {n:>16}");
    }
    for (name, row) in NAMES.iter().zip(&c.mrr) {
        let _ = write!(t, "\n{name:<9}");
        for m in row {
            let _ = write!(t, " {:>16}", money(*m));
        }
    }
    let _ = writeln!(
        t,
        "\n\nper segment: accounts, moved to a healthier band, to a less healthy one"
    );
    for (seg, (n, up, down)) in &c.segments {
        let _ = writeln!(t, "  {seg:<28} {n:>6} {up:>6} up {down:>6} down");
    }
    if !c.moved.is_empty() {
        let _ = writeln!(t, "\naccounts that changed band (largest moves first):");
        for (_, mrr, id, segment, old_head, new_head) in &c.moved {
            let id = crate::terminal::printable(id);
            let _ = writeln!(
                t,
                "  {id} ({segment}, MRR {})\n    old: {old_head}\n    new: {new_head}",
                money(*mrr)
            );
        }
    }
    t
}

/// What each model reads that the other does not, with how many of the
/// compared accounts have a value of it; and a warning naming any metric of
/// either model that no compared account has a value of (a renamed metric,
/// or one not exported yet), which would otherwise show only as accounts
/// changing band. Empty when both read the same metrics and every metric
/// has data.
fn metrics(old: &Model, new: &Model, c: &Comparison) -> String {
    let mut t = String::new();
    let [in_old, in_new] = &c.measured;
    let counted = |model: &Model, counts: &[u64]| -> Vec<(String, u64)> {
        model
            .metric_ids()
            .zip(counts.iter().copied().chain(std::iter::repeat(0)))
            .map(|(id, n)| (crate::terminal::printable(id).into_owned(), n))
            .collect()
    };
    let (old_counts, new_counts) = (counted(old, in_old), counted(new, in_new));
    let only = |mine: &[(String, u64)], model: &Model, other: &Model| -> Vec<String> {
        mine.iter()
            .zip(model.metric_ids())
            .filter(|(_, id)| other.metric(id).is_none())
            .map(|((shown, n), _)| format!("{shown} {n}"))
            .collect()
    };
    for (which, list) in [
        ("only the old model reads", only(&old_counts, old, new)),
        ("only the new model reads", only(&new_counts, new, old)),
    ] {
        if !list.is_empty() {
            let _ = writeln!(
                t,
                "{which} (accounts with a value, of {}): {}",
                c.compared,
                crate::terminal::listed(&list)
            );
        }
    }
    if c.compared > 0 {
        for (which, counts) in [("old", &old_counts), ("new", &new_counts)] {
            let none: Vec<String> = counts
                .iter()
                .filter(|(_, n)| *n == 0)
                .map(|(id, _)| id.clone())
                .collect();
            if !none.is_empty() {
                let _ = writeln!(
                    t,
                    "warning: no account compared has a value of the {which} model's {} ({} of its {} metrics): \
                     renamed, or not exported yet? Every account is scored without {}",
                    crate::terminal::listed(&none),
                    none.len(),
                    counts.len(),
                    if none.len() == 1 { "it" } else { "them" }
                );
            }
        }
    }
    if !t.is_empty() {
        t.push('\n');
    }
    t
}
