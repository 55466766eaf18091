//! `healthscore portfolio` and `healthscore explain`.

use crate::accounts::{bind, for_each_chunk, for_each_chunk_watching};
use crate::{exit, ExplainArgs, PortfolioArgs};
use healthscore::portfolio::BandTallies;
use healthscore::{Band, Model, Points, PortfolioSummary, Score};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

/// What the portfolio views keep of a portfolio read in chunks: the
/// summary, the lowest banded accounts (their lines), and stale values per
/// metric.
pub(crate) struct Digest<'m> {
    pub summary: PortfolioSummary<'m>,
    /// (score, id, segment, explanation), lowest first, at most `keep`.
    pub lowest: Vec<(Points, String, String, String)>,
    pub stale: BTreeMap<String, u64>,
    /// Per metric of the model, in model order: accounts without a value.
    pub missing: Vec<u64>,
    keep: usize,
}

impl<'m> Digest<'m> {
    pub(crate) fn new(model: &'m Model, keep: usize) -> Self {
        Digest {
            summary: PortfolioSummary::new(model),
            lowest: Vec::new(),
            stale: BTreeMap::new(),
            missing: vec![0; model.metric_count()],
            keep,
        }
    }

    /// Folds in a chunk of scores.
    pub(crate) fn add(&mut self, model: &'m Model, scores: &[Score<'_>]) -> Result<(), String> {
        let part = summarise(model, scores)?;
        self.summary.merge(&part).map_err(|e| e.to_string())?;
        let mut banded: Vec<&Score<'_>> = scores.iter().filter(|s| s.band().is_some()).collect();
        banded
            .sort_by(|a, b| (a.overall(), a.account().id()).cmp(&(b.overall(), b.account().id())));
        for s in banded.into_iter().take(self.keep) {
            self.lowest.push((
                s.overall().unwrap_or(Points::ZERO),
                s.account().id().to_string(),
                s.segment().to_string(),
                s.to_string(),
            ));
        }
        self.lowest.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        self.lowest.truncate(self.keep);
        for s in scores {
            for (id, _) in s.account().stale_metrics() {
                *self.stale.entry(id.to_string()).or_default() += 1;
            }
            for (n, id) in self.missing.iter_mut().zip(model.metric_ids()) {
                *n += u64::from(s.account().observation(id).is_none());
            }
        }
        Ok(())
    }
}

/// Reads a portfolio into a digest; returns it and the rejections.
pub(crate) fn digest<'m>(
    model: &'m Model,
    input: &crate::Input,
    keep: usize,
) -> Result<(Digest<'m>, u64), String> {
    let mut d = Digest::new(model, keep);
    let rejected = for_each_chunk(
        &input.accounts,
        input.columns(model)?,
        |chunk, rejections| {
            let accounts = bind(model, chunk.shape, chunk.accounts, rejections);
            let scores: Vec<Score<'_>> = accounts.par_iter().map(|(_, a)| a.score()).collect();
            d.add(model, &scores)
        },
    )?;
    Ok((d, rejected))
}

pub(crate) fn run(a: PortfolioArgs) -> Result<ExitCode, String> {
    let model = Model::from_path(&a.input.model).map_err(|e| e.to_string())?;
    let (d, rejected) = digest(&model, &a.input, a.lowest)?;
    out!("{}", table(&model, &d));
    Ok(done(rejected))
}

pub(crate) fn explain(a: ExplainArgs) -> Result<ExitCode, String> {
    // No account has a blank id (one is rejected as missing its id): say
    // so, instead of reading the whole file to find none.
    if healthscore::batch::RowId::Text(&a.id).is_blank() {
        return Err(format!(
            "the id to explain, {:?}, is empty or only spaces: no account has such an id",
            a.id
        ));
    }
    let model = Model::from_path(&a.input.model).map_err(|e| e.to_string())?;
    let mut found: Option<String> = None;
    let mut rejected: Option<crate::accounts::Watched> = None;
    for_each_chunk_watching(
        &a.input.accounts,
        a.input.columns(&model)?,
        Some(&a.id),
        |chunk, rejections| {
            if found.is_some() {
                return Ok(());
            }
            let mine: Vec<(u64, healthscore::AccountData)> = chunk
                .accounts
                .into_iter()
                .filter(|(_, d)| d.id == a.id)
                .collect();
            if let Some((_, account)) = bind(&model, chunk.shape, mine, rejections).first() {
                found = Some(explanation(&model, &account.score()));
            }
            if rejected.is_none() {
                rejected = rejections.watched();
            }
            Ok(())
        },
    )?;
    match (found, rejected) {
        (Some(text), _) => {
            out!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        // There, but not readable or refused by the model: its rejection
        // (printed above) is why there is no explanation.
        (None, Some(w)) => {
            say!(
                "error: account {:?} is in {} but was rejected ({} {}: {}): it has no explanation",
                a.id,
                a.input.accounts,
                w.shape.unit(),
                w.place,
                crate::terminal::clip(&w.why)
            );
            Ok(ExitCode::from(exit::REJECTED))
        }
        (None, None) => {
            say!("error: no account {:?} in {}", a.id, a.input.accounts);
            Ok(ExitCode::from(exit::NOT_FOUND))
        }
    }
}

/// One account's full explanation, as `explain` prints it.
fn explanation(model: &Model, s: &Score<'_>) -> String {
    let mut t = String::new();
    let account = s.account();
    let _ = writeln!(
        t,
        "{} ({}, scorecard {}, {})",
        crate::terminal::printable(account.id()),
        s.segment(),
        s.scorecard(),
        model.fingerprint()
    );
    let _ = writeln!(t, "{s}\n");
    let why = s.explain();
    let _ = writeln!(
        t,
        "{:<12} {:>8} {:>9} {:>13}",
        "dimension", "score", "coverage", "contribution"
    );
    for d in &why.dimensions {
        let _ = writeln!(
            t,
            "{:<12} {:>8} {:>8}% {:>13}",
            d.dimension.name(),
            d.score.map_or("-".into(), |p| format!("{p:.1}")),
            d.coverage.percent().round_dp(1),
            format!("{:.2}", d.contribution)
        );
    }
    // In words (`stale, 40 days`), and said where the missing policy gave
    // the score (`missing, imputed`): the column as wide as its longest.
    let status: Vec<String> = why
        .metrics
        .iter()
        .map(|m| match m.is_imputed() {
            true => format!("{}, imputed", m.status),
            false => m.status.to_string(),
        })
        .collect();
    let width = status
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let _ = writeln!(
        t,
        "\n{:<36} {:<width$} {:>14} {:>8} {:>13} {:>10}",
        "metric", "status", "value", "score", "contribution", "shortfall"
    );
    for (m, status) in why.metrics.iter().zip(&status) {
        let value = m
            .observation
            .map_or("-".to_string(), |o| o.value.to_string());
        let _ = writeln!(
            t,
            "{:<36} {:<width$} {:>14} {:>8} {:>13} {:>10}",
            m.label,
            status,
            value,
            m.score.map_or("-".into(), |p| format!("{p:.1}")),
            format!("{:.2}", m.contribution),
            format!("{:.2}", m.shortfall)
        );
    }
    t
}

/// The exit status after reading a portfolio.
pub(crate) fn done(rejected: u64) -> ExitCode {
    if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{} rejected (see above); the table counts the rest",
            crate::terminal::counted(rejected, "account", "accounts")
        );
        ExitCode::from(exit::REJECTED)
    }
}

/// The portfolio summary of some scores.
pub(crate) fn summarise<'m>(
    model: &'m Model,
    scores: &[Score<'_>],
) -> Result<PortfolioSummary<'m>, String> {
    scores
        .par_iter()
        .try_fold(
            || PortfolioSummary::new(model),
            |mut s, score| s.add(score).map(|()| s),
        )
        .try_reduce(
            || PortfolioSummary::new(model),
            |mut a, b| a.merge(&b).map(|()| a),
        )
        .map_err(|e| e.to_string())
}

/// The portfolio table, as `portfolio` prints it.
pub(crate) fn table(model: &Model, d: &Digest<'_>) -> String {
    let summary = &d.summary;
    let mut t = String::new();
    let total = summary.totals().total();
    // `v2026.11`, and a version that says `v` itself once (`v0m`, not
    // `vv0m`).
    let version = model.version();
    let v = if version.starts_with(['v', 'V']) {
        ""
    } else {
        "v"
    };
    let _ = writeln!(
        t,
        "model {} {v}{version}: {}, MRR {}",
        model.name(),
        crate::terminal::counted(total.count, "account", "accounts"),
        money(total.mrr)
    );
    let _ = writeln!(
        t,
        "\n{:<28} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "", "green", "lime", "yellow", "red", "no band"
    );
    row(&mut t, "all accounts", summary.totals());
    for (segment, tallies) in summary.segments() {
        row(&mut t, &segment.to_string(), tallies);
    }
    let _ = writeln!(t, "\nMRR by band:");
    for band in Band::ALL {
        let b = summary.totals().band(band);
        let _ = writeln!(
            t,
            "  {band:<7} {:>6} accounts {:>18}",
            b.count,
            money(b.mrr)
        );
    }
    let none = summary.totals().insufficient;
    let _ = writeln!(
        t,
        "  {:<7} {:>6} accounts {:>18} (insufficient data)",
        "-",
        none.count,
        money(none.mrr)
    );
    let (stale_accounts, stale_values) = summary.stale();
    let _ = writeln!(
        t,
        "\nstale data: {stale_values} values in {stale_accounts} accounts are older than their metric's max age (scored as missing)"
    );
    if let Some(line) = missing_line(model, &d.missing, total.count) {
        let _ = writeln!(t, "{line}");
    }
    let _ = match summary.concentration() {
        Some(c) => writeln!(
            t,
            "\nconcentration WARNING: {} holds {}% of banded accounts (limit {}%): the model cannot prioritise",
            c.band,
            c.share.percent().round_dp(1),
            c.limit.percent().normalize()
        ),
        None => writeln!(t, "\nconcentration: ok (no band holds more than the limit)"),
    };
    if !d.lowest.is_empty() {
        let _ = writeln!(t, "\nlowest-scoring accounts:");
        for (_, id, segment, text) in &d.lowest {
            let id = crate::terminal::printable(id);
            let _ = writeln!(t, "  {id:<14} {segment:<24} {text}");
        }
    }
    t
}

fn row(t: &mut String, label: &str, b: &BandTallies) {
    let [g, l, y, r] = Band::ALL.map(|x| b.band(x).count);
    let _ = writeln!(
        t,
        "{label:<28} {g:>8} {l:>8} {y:>8} {r:>8} {:>8}",
        b.insufficient.count
    );
}

/// Money with thousands separators and cents: `1,825,291.37`.
pub(crate) fn money(d: Decimal) -> String {
    let d = d.round_dp(2);
    let text = format!("{:.2}", d.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let sign = if d.is_sign_negative() && !d.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{out}.{cents}")
}

/// The metrics some accounts have no value of, most often missing first,
/// each with its count of accounts; a metric no account has a value of is
/// called out (not exported, or renamed?), since it is missing from every
/// score. `None` when every account has a value of every metric.
pub(crate) fn missing_line(model: &Model, missing: &[u64], accounts: u64) -> Option<String> {
    let mut by_metric: Vec<(u64, &str)> = missing
        .iter()
        .copied()
        .zip(model.metric_ids())
        .filter(|(n, _)| *n > 0)
        .collect();
    if by_metric.is_empty() || accounts == 0 {
        return None;
    }
    // Most often missing first; ties in model order (a stable sort).
    by_metric.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let list: Vec<String> = by_metric
        .iter()
        .map(|(n, id)| {
            let id = crate::terminal::printable(id);
            if *n >= accounts {
                format!("{id} {n} (every account)")
            } else {
                format!("{id} {n}")
            }
        })
        .collect();
    let nowhere: Vec<String> = by_metric
        .iter()
        .filter(|(n, _)| *n >= accounts)
        .map(|(_, id)| crate::terminal::printable(id).into_owned())
        .collect();
    let mut line = format!(
        "missing data (accounts without a value of the metric): {}",
        crate::terminal::listed(&list)
    );
    if !nowhere.is_empty() {
        line += &format!(
            "\nno account has a value of {}: not exported, or renamed?",
            crate::terminal::listed(&nowhere)
        );
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::money;
    use rust_decimal::Decimal;

    #[test]
    fn money_has_separators_and_cents() {
        let m = |s: &str| money(s.parse::<Decimal>().unwrap());
        assert_eq!(m("1825291.374"), "1,825,291.37");
        assert_eq!(m("999.5"), "999.50");
        assert_eq!(m("1000"), "1,000.00");
        assert_eq!(m("0"), "0.00");
        assert_eq!(m("-1234.5"), "-1,234.50");
    }
}
