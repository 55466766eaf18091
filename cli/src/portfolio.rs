//! `healthscore portfolio` and `healthscore explain`.

use crate::accounts::{load, Portfolio};
use crate::{exit, ExplainArgs, PortfolioArgs};
use healthscore::portfolio::BandTallies;
use healthscore::{Band, Model, PortfolioSummary, Score};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::process::ExitCode;

pub(crate) fn run(a: PortfolioArgs) -> Result<ExitCode, String> {
    let model = Model::from_path(&a.input.model).map_err(|e| e.to_string())?;
    let Portfolio { accounts, rejected } = load(&model, &a.input.accounts)?;
    let scores: Vec<Score<'_>> = accounts.par_iter().map(|a| a.score()).collect();
    let summary = summarise(&model, &scores)?;
    print!("{}", table(&model, &summary, &scores, a.lowest));
    Ok(done(rejected))
}

pub(crate) fn explain(a: ExplainArgs) -> Result<ExitCode, String> {
    let model = Model::from_path(&a.input.model).map_err(|e| e.to_string())?;
    let Portfolio { accounts, rejected } = load(&model, &a.input.accounts)?;
    let Some(account) = accounts.iter().find(|x| x.id() == a.id) else {
        eprintln!("error: no account {:?} in {}", a.id, a.input.accounts);
        return Ok(ExitCode::from(exit::NOT_FOUND));
    };
    let s = account.score();
    println!(
        "{} ({}, scorecard {}, {})",
        account.id(),
        s.segment(),
        s.scorecard(),
        model.fingerprint()
    );
    println!("{s}\n");
    let why = s.explain();
    println!(
        "{:<12} {:>8} {:>9} {:>13}",
        "dimension", "score", "coverage", "contribution"
    );
    for d in &why.dimensions {
        println!(
            "{:<12} {:>8} {:>8}% {:>13}",
            d.dimension.name(),
            d.score.map_or("-".into(), |p| format!("{p:.1}")),
            d.coverage.percent().round_dp(1),
            format!("{:.2}", d.contribution)
        );
    }
    println!(
        "\n{:<36} {:<12} {:>14} {:>8} {:>13} {:>10}",
        "metric", "status", "value", "score", "contribution", "shortfall"
    );
    for m in &why.metrics {
        let value = m
            .observation
            .map_or("-".to_string(), |o| o.value.to_string());
        println!(
            "{:<36} {:<12} {:>14} {:>8} {:>13} {:>10}",
            m.label,
            format!("{:?}", m.status).to_lowercase(),
            value,
            m.score.map_or("-".into(), |p| format!("{p:.1}")),
            format!("{:.2}", m.contribution),
            format!("{:.2}", m.shortfall)
        );
    }
    let _ = rejected; // other accounts' rejections were printed; this one is fine
    Ok(ExitCode::SUCCESS)
}

/// The exit status after reading a portfolio.
pub(crate) fn done(rejected: u64) -> ExitCode {
    if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{rejected} accounts rejected (see above); the table counts the rest");
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
pub(crate) fn table(
    model: &Model,
    summary: &PortfolioSummary<'_>,
    scores: &[Score<'_>],
    lowest: usize,
) -> String {
    let mut t = String::new();
    let total = summary.totals().total();
    let _ = writeln!(
        t,
        "model {} v{}: {} accounts, MRR {}",
        model.name(),
        model.version(),
        total.count,
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
    if lowest > 0 {
        let _ = writeln!(t, "\nlowest-scoring accounts:");
        for s in lowest_scores(scores, lowest) {
            let _ = writeln!(
                t,
                "  {:<14} {:<24} {s}",
                s.account().id(),
                s.segment().to_string()
            );
        }
    }
    t
}

/// The `n` lowest banded scores, lowest first (ties by id).
pub(crate) fn lowest_scores<'s, 'a>(scores: &'s [Score<'a>], n: usize) -> Vec<&'s Score<'a>> {
    let mut banded: Vec<&Score<'_>> = scores.iter().filter(|s| s.band().is_some()).collect();
    banded.sort_by(|a, b| (a.overall(), a.account().id()).cmp(&(b.overall(), b.account().id())));
    banded.truncate(n);
    banded
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
