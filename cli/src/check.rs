//! `healthscore check`: every problem with its path, or a one-screen
//! summary of a valid model.

use crate::{exit, CheckArgs};
use healthscore::cta::{RuleSet, RuleSetConfig};
use healthscore::lifecycle::Lifecycle;
use healthscore::{Dimension, Model};
use std::process::ExitCode;

pub(crate) fn run(a: CheckArgs) -> Result<ExitCode, String> {
    let model = match Model::from_path(&a.model) {
        Ok(m) => m,
        Err(e) => {
            outln!("{}", crate::terminal::clip_lines(&e.to_string()));
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let mut bad = false;
    let lifecycle = a
        .lifecycle
        .as_ref()
        .map(|path| Lifecycle::from_path(path, &model));
    if let Some(Err(e)) = &lifecycle {
        outln!("{}", crate::terminal::clip_lines(&e.to_string()));
        bad = true;
    }
    let valid_lifecycle = lifecycle.as_ref().and_then(|l| l.as_ref().ok());
    let rules = a
        .rules
        .as_ref()
        .map(|path| load_rules(path, &model, valid_lifecycle));
    if let Some(Err(e)) = &rules {
        outln!("{}", crate::terminal::clip_lines(&e.to_string()));
        bad = true;
    }
    if bad {
        return Ok(ExitCode::from(exit::USAGE));
    }
    summary(&model);
    if let Some(Ok(r)) = &rules {
        outln!(
            "\nrules: {} valid ({})",
            r.len(),
            crate::terminal::listed(&r.rule_ids().map(str::to_string).collect::<Vec<_>>())
        );
    }
    if let Some(Ok(l)) = &lifecycle {
        outln!(
            "\nlifecycle: {}",
            l.stage_ids().collect::<Vec<_>>().join(" → ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A rule set file compiled against a model, and against a lifecycle when
/// one is given (so its rules may use lifecycle verdicts).
pub(crate) fn load_rules(
    path: &str,
    model: &Model,
    lifecycle: Option<&Lifecycle>,
) -> Result<RuleSet, String> {
    let config = RuleSetConfig::from_path(path).map_err(|e| e.to_string())?;
    match lifecycle {
        Some(l) => RuleSet::with_lifecycle(config, model, l),
        None => RuleSet::new(config, model),
    }
    .map_err(|e| format!("{path}: {e}"))
}

/// One screen about a valid model (a list of more than twenty names is cut
/// to twenty and how many more).
fn summary(model: &Model) {
    let config = model.config();
    outln!("{}: valid", model.fingerprint());
    outln!("\nmetrics ({}):", model.metric_count());
    for d in Dimension::ALL {
        let ids: Vec<String> = model
            .metric_ids()
            .filter(|id| model.metric(id).is_some_and(|(dim, _)| dim == d))
            .map(str::to_string)
            .collect();
        outln!(
            "  {:<11} {}",
            d.name(),
            if ids.is_empty() {
                "-".into()
            } else {
                crate::terminal::listed(&ids)
            }
        );
    }
    let tiers = |t: Vec<String>| {
        if t.is_empty() {
            "-".to_string()
        } else {
            crate::terminal::listed(&t)
        }
    };
    let segments = &config.segments;
    outln!("\nsegments:");
    outln!("  MRR tiers   {}", tier_list(&segments.mrr_tiers));
    outln!("  size tiers  {}", tier_list(&segments.size_tiers));
    outln!("  stages      {}", tiers(segments.stages.clone()));
    outln!("\nscorecards (first match wins):");
    for card in &config.scorecards {
        let served: Vec<String> = model
            .segments()
            .filter(|(_, c)| *c == card.id)
            .map(|(s, _)| s.to_string())
            .collect();
        outln!(
            "  {:<12} bands {}/{}/{}, min coverage {}: {} segment{}{}",
            card.id,
            card.bands.green,
            card.bands.lime,
            card.bands.yellow,
            card.min_coverage,
            served.len(),
            if served.len() == 1 { "" } else { "s" },
            if served.len() <= 6 {
                format!(" ({})", served.join(", "))
            } else {
                String::new()
            }
        );
    }
}

/// Tiers as `id [from, to)`, the last open-ended as `∞`.
fn tier_list<T: std::fmt::Display>(tiers: &[healthscore::model::Tier<T>]) -> String {
    if tiers.is_empty() {
        return "-".into();
    }
    tiers
        .iter()
        .map(|t| {
            let to = t.to.as_ref().map_or("∞".to_string(), T::to_string);
            format!("{} [{}, {to})", t.id, t.from)
        })
        .collect::<Vec<_>>()
        .join(", ")
}
