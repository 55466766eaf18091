//! `score --state` carries each account's band and score to the next run:
//! where the input gives no previous band or score, the last run's are
//! taken, so that hysteresis and the rules on band drops and falling
//! scores work from one nightly run to the next; a run again on the same
//! date takes what that scoring took; input that gives them wins.

use serde_json::{json, Value};

mod common;
use common::{hs, tmp};

/// One account of the bundled model on `as_of`, every value observed that
/// day: healthy (`usage` 1) or with its usage ratios (seats, weekly
/// active, feature breadth) times `usage`; with the previous band and
/// score given, if any.
fn account(as_of: &str, usage: f64, previous: Option<(&str, f64)>) -> String {
    let value =
        |metric: &str, v: Value| json!({"metric": metric, "value": v, "observed_on": as_of});
    let mut a = json!({
        "id": "acme", "mrr": "1000", "employees": 40, "as_of": as_of,
        "observations": [
            value("seats_provisioned", json!(0.9 * usage)),
            value("sso_enabled", json!(true)),
            value("integrations", json!(4.0)),
            value("nps", json!(50.0)),
            value("support_csat", json!(4.5)),
            value("open_escalations", json!(0.0)),
            value("weekly_active", json!(0.7 * usage)),
            value("feature_breadth", json!(0.8 * usage)),
            value("shared_logins", json!(0.0)),
            value("logins_per_user", json!(40.0)),
            value("value_vs_goal", json!(1.1)),
            value("quota_utilisation", json!(0.6)),
        ]
    });
    if let Some((band, score)) = previous {
        a["previous_band"] = band.into();
        a["previous_score"] = score.into();
    }
    a.to_string() + "\n"
}

const PLAYBOOK: Option<&str> = Some("examples/data/playbook.json");

/// `score --rules` of one account with `--state` (if given) into
/// `state_out`: the record and the rules it opened.
fn run(name: &str, account: &str, state: Option<&str>, state_out: &str) -> (Value, Vec<String>) {
    run_with(
        "examples/data/model.json",
        PLAYBOOK,
        name,
        account,
        state,
        state_out,
    )
    .0
}

/// [`run`] with another model and rules (or none); also what it said on
/// stderr.
fn run_with(
    model: &str,
    rules: Option<&str>,
    name: &str,
    account: &str,
    state: Option<&str>,
    state_out: &str,
) -> ((Value, Vec<String>), String) {
    let input = tmp(&format!("state-carry-{name}.jsonl"));
    std::fs::write(&input, account).unwrap();
    let mut cmd = hs();
    cmd.args(["score", "--model", model]);
    if let Some(rules) = rules {
        cmd.args(["--rules", rules]);
    }
    cmd.arg("--accounts")
        .arg(&input)
        .arg("--state-out")
        .arg(tmp(state_out));
    if let Some(state) = state {
        cmd.arg("--state").arg(tmp(state));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let opened = record["ctas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["action"] == "open")
                .map(|c| c["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ((record, opened), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_last_band_and_score_are_the_next_run_s_previous_ones() {
    // November: healthy.
    let (nov, _) = run(
        "nov",
        &account("2026-11-01", 1.0, None),
        None,
        "carry-nov.state",
    );
    let nov_band = nov["band"].as_str().unwrap().to_string();
    let nov_score = nov["score"].as_f64().unwrap();
    assert!(nov_band == "green" || nov_band == "lime", "{nov}");
    let state: Value = serde_json::from_str(
        std::fs::read_to_string(tmp("carry-nov.state"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(state["last"]["as_of"], "2026-11-01");
    assert_eq!(state["last"]["band"], nov["band"]);
    assert_eq!(state["last"]["score"], nov["score"]);

    // December, from November's state, with no previous values in the
    // input: usage collapsed, so the score fell and the band dropped.
    let dec_input = account("2026-12-01", 0.05, None);
    let (dec, opened) = run(
        "dec",
        &dec_input,
        Some("carry-nov.state"),
        "carry-dec.state",
    );
    assert!(dec["score"].as_f64().unwrap() < nov_score - 15.0, "{dec}");
    assert!(opened.contains(&"score-fell".to_string()), "{opened:?}");
    assert!(
        opened.contains(&"dropped-two-bands".to_string()),
        "{opened:?}"
    );
    let state: Value = serde_json::from_str(
        std::fs::read_to_string(tmp("carry-dec.state"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(state["last"]["previous_band"], nov_band.as_str());
    assert_eq!(state["last"]["previous_score"], nov["score"]);

    // December again, from December's state: the previous values are
    // November's still (not December's own), so the run gives the same
    // record, and its CTAs are updated, not opened again.
    let (again, opened_again) = run(
        "dec-again",
        &dec_input,
        Some("carry-dec.state"),
        "carry-again.state",
    );
    let strip = |mut r: Value| {
        r.as_object_mut().unwrap().remove("ctas");
        r
    };
    assert_eq!(strip(again), strip(dec.clone()));
    assert!(opened_again.is_empty(), "{opened_again:?}");

    // The input's own previous values win over the state's: told the
    // account was red at 10 points, nothing fell.
    let (told, opened) = run(
        "told",
        &account("2026-12-01", 0.05, Some(("red", 10.0))),
        Some("carry-nov.state"),
        "carry-told.state",
    );
    assert_eq!(told["band"], dec["band"]);
    assert!(!opened.contains(&"score-fell".to_string()), "{opened:?}");
    assert!(
        !opened.contains(&"dropped-two-bands".to_string()),
        "{opened:?}"
    );

    // A state from a later date than the input's gives no previous values:
    // the scoring took none, as the state it writes says.
    run(
        "oct",
        &account("2026-10-01", 0.05, None),
        Some("carry-dec.state"),
        "carry-oct.state",
    );
    let state: Value = serde_json::from_str(
        std::fs::read_to_string(tmp("carry-oct.state"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(state["last"]["as_of"], "2026-10-01", "{state}");
    assert!(
        state["last"]["previous_band"].is_null() && state["last"]["previous_score"].is_null(),
        "{state}"
    );

    // The next version of the model (another fingerprint) does not take
    // the old one's band and score as previous: a model change is not
    // every account's band changing. It says so.
    let text = std::fs::read_to_string(common::root().join("examples/data/model.json")).unwrap();
    let next = tmp("carry-model-2026.12.json");
    std::fs::write(&next, text.replace("2026.11", "2026.12")).unwrap();
    let ((_, opened), said) = run_with(
        next.to_str().unwrap(),
        PLAYBOOK,
        "next-model",
        &dec_input,
        Some("carry-nov.state"),
        "carry-next.state",
    );
    assert!(!opened.contains(&"score-fell".to_string()), "{opened:?}");
    assert!(
        !opened.contains(&"dropped-two-bands".to_string()),
        "{opened:?}"
    );
    assert!(
        said.contains(
            "note: the state holds the last band and score of 1 account by another model"
        ),
        "{said}"
    );
}

/// A state file's one line.
fn state_of(name: &str) -> Value {
    serde_json::from_str(std::fs::read_to_string(tmp(name)).unwrap().trim()).unwrap()
}

#[test]
fn without_rules_the_state_carries_bands_for_hysteresis() {
    // The bundled model with a hysteresis margin of 8 points: the test
    // account's scorecard (mid-market: green from 78) keeps a green
    // account green down to 70.
    let text = std::fs::read_to_string(common::root().join("examples/data/model.json")).unwrap();
    let mut model: Value = serde_json::from_str(&text).unwrap();
    for card in model["scorecards"].as_array_mut().unwrap() {
        card["hysteresis"] = 8.into();
    }
    let model_file = tmp("carry-hysteresis-model.json");
    std::fs::write(&model_file, model.to_string()).unwrap();
    let model = model_file.to_str().unwrap();

    // October, with the playbook: usage collapsed from a green 97 (given
    // in the input), risk CTAs opened.
    let ((oct, opened), _) = run_with(
        model,
        PLAYBOOK,
        "hyst-oct",
        &account("2026-10-01", 0.05, Some(("green", 97.0))),
        None,
        "hyst-oct.state",
    );
    assert!(!opened.is_empty(), "{oct}");
    let oct_state = state_of("hyst-oct.state");

    // November, without rules: healthy again. The state keeps October's
    // CTA records and held rules (a run without rules does not forget
    // them) and the new band and score; no CTA counts are printed.
    let ((nov, opened), said) = run_with(
        model,
        None,
        "hyst-nov",
        &account("2026-11-01", 1.0, None),
        Some("hyst-oct.state"),
        "hyst-nov.state",
    );
    assert_eq!(nov["band"], "green", "{nov}");
    assert!(opened.is_empty() && nov.get("ctas").is_none(), "{nov}");
    assert!(!said.contains("CTAs:"), "{said}");
    let nov_state = state_of("hyst-nov.state");
    assert_eq!(nov_state["records"], oct_state["records"]);
    assert_eq!(nov_state["held"], oct_state["held"]);
    assert_eq!(nov_state["last"]["band"], "green");
    assert_eq!(nov_state["last"]["previous_band"], oct["band"]);

    // December, without rules: the score falls below green's 78 but not
    // below 70. From November's state the band holds at green (the plain
    // band is lime); without a state it is lime.
    let dec = account("2026-12-01", 0.5, None);
    let ((held, _), _) = run_with(
        model,
        None,
        "hyst-dec",
        &dec,
        Some("hyst-nov.state"),
        "hyst-dec.state",
    );
    let ((plain, _), _) = run_with(
        model,
        None,
        "hyst-dec-plain",
        &dec,
        None,
        "hyst-dec-plain.state",
    );
    assert_eq!(held["score"], plain["score"]);
    let score = held["score"].as_f64().unwrap();
    assert!((70.0..78.0).contains(&score), "{held}");
    assert_eq!(
        (held["band"].as_str(), held["plain_band"].as_str()),
        (Some("green"), Some("lime")),
        "{held}"
    );
    assert_eq!(plain["band"], "lime", "{plain}");
}
