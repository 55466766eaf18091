//! `healthscore report`: one self-contained HTML file (inline SVG, no
//! scripts, fonts or network) a CS lead can open.
//!
//! The numbers are those of `portfolio` and `backtest`: the report embeds
//! their tables verbatim, and every chart is drawn from the same summaries.

mod svg;

use crate::backtest::{pct, read_outcomes, read_scores};
use crate::portfolio::{digest, money, table, Digest};
use crate::{backtest, exit, ReportArgs};
use chrono::{Datelike, NaiveDate};
use healthscore::backtest::{Backtest, Tally};
use healthscore::{Band, Model};
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use svg::esc;

const BAND_NAMES: [&str; 5] = ["green", "lime", "yellow", "red", "no band"];

pub(crate) fn run(a: ReportArgs) -> Result<ExitCode, String> {
    let model = Model::from_path(&a.input.model).map_err(|e| e.to_string())?;
    let (d, rejected) = digest(&model, &a.input, 10)?;
    let mut html = page_start(&model, &d);
    portfolio_sections(&mut html, &model, &d);
    let mut bad_lines = 0;
    if let (false, Some(o)) = (a.scores.is_empty(), &a.outcomes) {
        // Each score counted as it is read, not kept: the back-test, and
        // the band mix per scoring date.
        let (outcomes, bad_o) = read_outcomes(o)?;
        let mut tally = Tally::new(&outcomes, a.horizon);
        // The tally holds its own copy.
        let outcome_count = outcomes.len();
        drop(outcomes);
        let mut by_date: BTreeMap<NaiveDate, Vec<u64>> = BTreeMap::new();
        let scores = read_scores(&a.scores, &mut |s| {
            tally.add(s);
            if let Some(n) = by_date
                .entry(s.date)
                .or_insert_with(|| vec![0; 4])
                .get_mut(s.band.index())
            {
                *n += 1;
            }
        })?;
        scores.tell();
        bad_lines = scores.rejected + bad_o;
        let bt = tally.finish();
        backtest_sections(&mut html, &bt, by_date, scores.kept, outcome_count);
    }
    html.push_str("</main></body></html>\n");
    let written = crate::atomic::AtomicFile::create(&a.out).and_then(|mut file| {
        let name = file.name();
        std::io::Write::write_all(file.writer(), html.as_bytes())
            .map_err(|e| format!("{name}: {e}"))?;
        file.commit()
    });
    if let Err(e) = written {
        say!("error: {e}");
        return Ok(ExitCode::from(exit::OUTPUT));
    }
    say!("wrote {} ({} KB)", a.out, html.len().div_ceil(1024));
    Ok(if rejected + bad_lines == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{} rejected (see above); the report counts the rest",
            crate::terminal::counted(rejected + bad_lines, "input", "inputs")
        );
        ExitCode::from(exit::REJECTED)
    })
}

fn page_start(model: &Model, d: &Digest<'_>) -> String {
    let total = d.summary.totals().total();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer health report: {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; color: #212121; background: #fafafa; }}
main {{ max-width: 1000px; margin: 0 auto; padding: 24px; }}
section {{ background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 16px 20px; margin: 16px 0; }}
h1 {{ font-size: 24px; margin: 8px 0; }} h2 {{ font-size: 18px; margin: 4px 0 12px; }}
.chart text {{ font-size: 12px; fill: #424242; }} .chart .value {{ font-weight: 600; }}
.warning {{ background: #fff3e0; border-color: #ffb74d; }}
pre {{ font-size: 12px; overflow-x: auto; background: #f5f5f5; padding: 10px; }}
table {{ border-collapse: collapse; font-size: 13px; }} td, th {{ border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }}
td:first-child, td:nth-child(2) {{ white-space: nowrap; }}
.muted {{ color: #757575; }}
</style></head>
<body><main>
<h1>Customer health report</h1>
<p class="muted">model {fp} · {n} · MRR {mrr}</p>
"#,
        name = esc(model.name()),
        fp = esc(&model.fingerprint().to_string()),
        n = crate::terminal::counted(total.count, "account", "accounts"),
        mrr = money(total.mrr)
    )
}

fn portfolio_sections(html: &mut String, model: &Model, d: &Digest<'_>) {
    let summary = &d.summary;
    if let Some(c) = summary.concentration() {
        let _ = write!(
            html,
            r#"<section id="concentration" class="warning"><h2>Concentration warning</h2><p>{} holds {}% of banded accounts (limit {}%): the model cannot prioritise.</p></section>"#,
            c.band,
            c.share.percent().round_dp(1),
            c.limit.percent().normalize()
        );
    }
    let counts = |t: &healthscore::portfolio::BandTallies| -> Vec<u64> {
        let mut v: Vec<u64> = Band::ALL.iter().map(|b| t.band(*b).count).collect();
        v.push(t.insufficient.count);
        v
    };
    let mut rows = vec![("all accounts".to_string(), counts(summary.totals()))];
    rows.extend(
        summary
            .segments()
            .map(|(seg, t)| (seg.to_string(), counts(t))),
    );
    let _ = write!(
        html,
        r#"<section><h2>Bands overall and per segment</h2>{}</section>"#,
        svg::stacked_bars("bands-by-segment", &rows, &BAND_NAMES)
    );
    let mrr: Vec<(String, f64, String)> = Band::ALL
        .iter()
        .map(|b| {
            let m = summary.totals().band(*b).mrr;
            (b.name().to_string(), m.to_f64().unwrap_or(0.0), money(m))
        })
        .collect();
    let _ = write!(
        html,
        r#"<section><h2>MRR per band</h2>{}</section>"#,
        svg::bars("mrr-by-band", &mrr, &svg::COLOURS)
    );
    // Stale values per metric, in model order.
    let stale = &d.stale;
    let items: Vec<(String, f64, String)> = model
        .metric_ids()
        .filter_map(|id| {
            stale
                .get(id)
                .map(|n| (id.to_string(), *n as f64, n.to_string()))
        })
        .collect();
    let (stale_accounts, stale_values) = summary.stale();
    let _ = write!(
        html,
        r#"<section id="stale"><h2>Stale data</h2><p>{stale_values} values in {stale_accounts} accounts are older than their metric's max age and are scored as missing.</p>{}</section>"#,
        svg::bars("stale-by-metric", &items, &[])
    );
    // Accounts without a value, per metric, in model order; a metric no
    // account has a value of is named in the text.
    let accounts = summary.totals().total().count;
    let items: Vec<(String, f64, String)> = model
        .metric_ids()
        .zip(&d.missing)
        .filter(|(_, n)| **n > 0)
        .map(|(id, n)| (id.to_string(), *n as f64, n.to_string()))
        .collect();
    let nowhere: Vec<String> = model
        .metric_ids()
        .zip(&d.missing)
        .filter(|(_, n)| accounts > 0 && **n >= accounts)
        .map(|(id, _)| id.to_string())
        .collect();
    let _ = write!(
        html,
        r#"<section id="missing"><h2>Missing data</h2><p>Accounts without a value of each metric.{}</p>{}</section>"#,
        if nowhere.is_empty() {
            String::new()
        } else {
            svg::esc(&format!(
                " No account has a value of {}: not exported, or renamed?",
                crate::terminal::listed(&nowhere)
            ))
        },
        svg::bars("missing-by-metric", &items, &[])
    );
    let _ = write!(
        html,
        r#"<section><h2>Lowest-scoring accounts</h2><table id="lowest"><tr><th>account</th><th>segment</th><th>explanation</th></tr>"#
    );
    for (_, id, segment, text) in &d.lowest {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(id),
            esc(segment),
            esc(text)
        );
    }
    let _ = write!(
        html,
        r#"</table></section><section><h2>Portfolio table</h2><pre id="portfolio-table">{}</pre></section>"#,
        esc(&table(model, d))
    );
}

fn backtest_sections(
    html: &mut String,
    bt: &Backtest,
    by_date: BTreeMap<NaiveDate, Vec<u64>>,
    scores: u64,
    outcomes: usize,
) {
    let horizon = bt.horizon_days;
    let rate = |f: fn(&healthscore::backtest::BandOutcomes) -> Option<healthscore::Share>| -> Vec<(String, f64, String)> {
        Band::ALL
            .iter()
            .map(|b| {
                let r = f(&bt.bands[b.index()]);
                (b.name().to_string(), r.map_or(0.0, |r| r.to_f64()), pct(r))
            })
            .collect()
    };
    let _ = write!(
        html,
        r#"<section><h2>Churn within {horizon} days, per band</h2>{}<h2>Expansion within {horizon} days, per band</h2>{}</section>"#,
        svg::bars("churn-by-band", &rate(|b| b.churn_rate()), &svg::COLOURS),
        svg::bars(
            "expansion-by-band",
            &rate(|b| b.expansion_rate()),
            &svg::COLOURS
        )
    );
    let auc = bt
        .auc
        .map_or("undefined".to_string(), |a| format!("{:.3}", a.value()));
    let points: Vec<(f64, f64)> = bt
        .roc
        .iter()
        .map(|p| (p.false_positive.to_f64(), p.true_positive.to_f64()))
        .collect();
    let _ = write!(
        html,
        r#"<section><h2>ROC curve of the score as a churn predictor</h2><p id="auc">AUC {auc} (0.5 is chance, 1 is perfect)</p>{}</section>"#,
        svg::curve(
            "roc",
            &points,
            "share of retained flagged",
            "share of churned flagged"
        )
    );
    let (rows, per) = band_mix(by_date);
    let _ = write!(
        html,
        r#"<section><h2>Band mix over time</h2><p id="band-mix-per">{per}</p>{}</section><section><h2>Back-test table</h2><pre id="backtest-table">{}</pre></section>"#,
        svg::stacked_bars("band-mix", &rows, &BAND_NAMES[..4]),
        esc(&backtest::table(bt, scores, outcomes))
    );
}

/// The most rows the band mix chart shows a date each: past it, dates are
/// taken together by month (and past as many months, by year), so that a
/// year of nightly scores reads as twelve bars, not 365.
const MIX_ROWS: usize = 60;

/// The band mix chart's rows (label, scores per band) from the scores'
/// counts per date, and what a row is.
fn band_mix(by_date: BTreeMap<NaiveDate, Vec<u64>>) -> (Vec<(String, Vec<u64>)>, String) {
    if by_date.len() <= MIX_ROWS {
        let rows = by_date
            .into_iter()
            .map(|(d, v)| (d.to_string(), v))
            .collect();
        return (rows, "The scores of each scoring date.".to_string());
    }
    let dates = by_date.len();
    let months: BTreeMap<(i32, u32), ()> = by_date
        .keys()
        .map(|d| ((d.year(), d.month()), ()))
        .collect();
    let by_month = months.len() <= MIX_ROWS;
    // Each group: its label, its dates, its scores per band.
    let mut groups: BTreeMap<(i32, u32), (String, usize, Vec<u64>)> = BTreeMap::new();
    for (d, counts) in by_date {
        let (key, label) = if by_month {
            ((d.year(), d.month()), d.format("%Y-%m").to_string())
        } else {
            ((d.year(), 0), d.year().to_string())
        };
        let group = groups.entry(key).or_insert_with(|| (label, 0, vec![0; 4]));
        group.1 += 1;
        for (sum, n) in group.2.iter_mut().zip(counts) {
            *sum += n;
        }
    }
    let rows = groups
        .into_values()
        .map(|(label, n, counts)| {
            let dates = if n == 1 { "date" } else { "dates" };
            (format!("{label} ({n} {dates})"), counts)
        })
        .collect();
    let per = if by_month { "month" } else { "year" };
    (
        rows,
        format!(
            "{dates} scoring dates: the scores of each {per} together (a bar's parts are each band's share of them)."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_band_mix_shows_each_date_while_they_are_few() {
        let by_date: BTreeMap<_, _> = (1..=MIX_ROWS as u64)
            .map(|i| (day(2026, 1, 1) + chrono::Days::new(i), vec![i, 1, 0, 0]))
            .collect();
        let (rows, per) = band_mix(by_date);
        assert_eq!(rows.len(), MIX_ROWS);
        assert_eq!(rows[0], ("2026-01-02".to_string(), vec![1, 1, 0, 0]));
        assert_eq!(per, "The scores of each scoring date.");
    }

    #[test]
    fn a_year_of_nights_is_shown_by_month_and_decades_by_year() {
        // 2026-01-01 to 2026-12-31, a night each, the month's number of
        // green scores a night.
        let year: BTreeMap<_, _> = (0..365)
            .map(|i| {
                let d = day(2026, 1, 1) + chrono::Days::new(i);
                (d, vec![u64::from(d.month()), 2, 0, 1])
            })
            .collect();
        let (rows, per) = band_mix(year);
        assert_eq!(rows.len(), 12);
        assert_eq!(
            rows[0],
            ("2026-01 (31 dates)".to_string(), vec![31, 62, 0, 31])
        );
        assert_eq!(
            rows[1],
            ("2026-02 (28 dates)".to_string(), vec![56, 56, 0, 28])
        );
        assert_eq!(rows[11].0, "2026-12 (31 dates)");
        assert_eq!(
            per,
            "365 scoring dates: the scores of each month together (a bar's parts are each band's share of them)."
        );
        // Monthly scores over 70 months: by year.
        let months: BTreeMap<_, _> = (0..70)
            .map(|i| (day(2020 + i / 12, (i % 12) as u32 + 1, 1), vec![1, 0, 0, 0]))
            .collect();
        let (rows, per) = band_mix(months);
        let labels: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2020 (12 dates)",
                "2021 (12 dates)",
                "2022 (12 dates)",
                "2023 (12 dates)",
                "2024 (12 dates)",
                "2025 (10 dates)"
            ]
        );
        assert_eq!(rows[5].1, vec![10, 0, 0, 0]);
        assert!(per.starts_with("70 scoring dates: the scores of each year together"));
    }
}
