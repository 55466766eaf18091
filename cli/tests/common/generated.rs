//! Generated accounts as JSON lines and as the same accounts in a CSV
//! file of columns.

use super::{hs, root, tmp};
use std::path::PathBuf;

/// `n` accounts generated for `model`: as generated (`name.jsonl`), as
/// JSON lines of what columns hold (`name-columnar.jsonl`: a metric's
/// latest observation (money as written), its author but no
/// note; each event's
/// latest day; no parent),
/// and as the same accounts in a CSV file of columns (`name.csv`): id,
/// MRR, employees, as-of date, stage, previous band and score, each date
/// as `<name>__date`, each event as `<name>__event`, and each metric's
/// value, `<metric>__observed_on` and, where it has authors,
/// `<metric>__author`.
pub fn generated_as_columns(model: &str, n: usize, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    use serde_json::Value;
    let generated = hs()
        .args(["generate", &n.to_string(), "--model", model])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let json = tmp(&format!("{name}.jsonl"));
    std::fs::write(&json, &generated.stdout).unwrap();
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(model)).unwrap()).unwrap();
    let metrics: Vec<&str> = config["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let accounts: Vec<Value> = String::from_utf8(generated.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Each account's latest observation of each metric (what the row API
    // scores): one column holds one.
    let latest = |a: &Value, m: &str| -> Option<Value> {
        a["observations"]
            .as_array()?
            .iter()
            .filter(|o| o["metric"] == *m)
            .max_by_key(|o| o["observed_on"].as_str())
            .cloned()
    };
    let dates: std::collections::BTreeSet<String> = accounts
        .iter()
        .filter_map(|a| a["dates"].as_object())
        .flat_map(|d| d.keys().cloned())
        .collect();
    // Each account's latest day of each event: one column holds one.
    let events: std::collections::BTreeSet<String> = accounts
        .iter()
        .filter_map(|a| a["events"].as_array())
        .flatten()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect();
    let last_event = |a: &Value, name: &str| -> Option<String> {
        a["events"]
            .as_array()?
            .iter()
            .filter(|e| e["name"] == *name)
            .filter_map(|e| e["date"].as_str())
            .max()
            .map(str::to_string)
    };
    let authored: Vec<bool> = metrics
        .iter()
        .map(|m| {
            accounts
                .iter()
                .any(|a| latest(a, m).is_some_and(|o| o["author"].is_string()))
        })
        .collect();
    // id, mrr, employees, as_of, stage, previous_band, previous_score.
    let fields = healthscore_arrow::CONVENTION_COLUMNS;
    let mut header: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    header.extend(dates.iter().map(|d| format!("{d}__date")));
    header.extend(events.iter().map(|e| format!("{e}__event")));
    for (m, authored) in metrics.iter().zip(&authored) {
        header.extend([m.to_string(), format!("{m}__observed_on")]);
        if *authored {
            header.push(format!("{m}__author"));
        }
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let (mut csv, mut reduced) = (header.join(",") + "\n", String::new());
    for a in &accounts {
        let mut row: Vec<String> = fields.iter().map(|k| text(&a[*k])).collect();
        row.extend(dates.iter().map(|d| text(&a["dates"][d])));
        let last_events: Vec<Option<String>> = events.iter().map(|e| last_event(a, e)).collect();
        row.extend(last_events.iter().map(|d| d.clone().unwrap_or_default()));
        let mut kept = serde_json::Map::new();
        for f in fields.iter().chain(&["dates"]) {
            if !a[*f].is_null() {
                kept.insert(f.to_string(), a[*f].clone());
            }
        }
        let mut observations = Vec::new();
        for (m, authored) in metrics.iter().zip(&authored) {
            let o = latest(a, m);
            row.push(o.as_ref().map_or_else(String::new, |o| text(&o["value"])));
            row.push(
                o.as_ref()
                    .map_or_else(String::new, |o| text(&o["observed_on"])),
            );
            if *authored {
                row.push(o.as_ref().map_or_else(String::new, |o| text(&o["author"])));
            }
            if let Some(mut o) = o {
                o.as_object_mut().unwrap().remove("note");
                observations.push(o);
            }
        }
        kept.insert("observations".into(), observations.into());
        let kept_events: Vec<Value> = events
            .iter()
            .zip(last_events)
            .filter_map(|(name, date)| Some(serde_json::json!({"name": name, "date": date?})))
            .collect();
        kept.insert("events".into(), kept_events.into());
        csv += &(row.join(",") + "\n");
        reduced += &(Value::Object(kept).to_string() + "\n");
    }
    let (columnar, columns) = (
        tmp(&format!("{name}-columnar.jsonl")),
        tmp(&format!("{name}.csv")),
    );
    std::fs::write(&columnar, reduced).unwrap();
    std::fs::write(&columns, csv).unwrap();
    (json, columnar, columns)
}
