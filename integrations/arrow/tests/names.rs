//! A column the scorer reads that the input has twice (a join that kept
//! both sides' `nps`, a CSV export with a column pasted in again) is
//! refused, naming it: which of the two holds the values to score cannot
//! be told, and scoring the first would drop the second silently. A
//! column the scorer does not read may repeat (an export carries its own).

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use v0m_arrow::options;

use arrow_array::{ArrayRef, Float64Array, StringArray};
use healthscore::batch::Scorer;
use healthscore_arrow::{read_accounts, score_batch, score_file, Error};
use std::sync::Arc;

#[test]
fn a_column_read_twice_is_refused_and_one_not_read_may_repeat() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let accounts = v0m::generate(20, 4);
    // The record batch of these accounts, with `extra` columns besides
    // (which may repeat the names of its own).
    let with = |extra| v0m_arrow::record_batch(&accounts, extra);
    let good = with(Vec::new());
    let detractors: ArrayRef = Arc::new(Float64Array::from(vec![-90.0; 20]));
    for name in ["nps", "mrr", "id", "nps__observed_on", "renewal__date"] {
        let array: ArrayRef = if name == "nps" {
            detractors.clone()
        } else {
            Arc::new(StringArray::from(vec!["2026-11-01"; 20]))
        };
        let mut extra = vec![(name, array.clone())];
        if name.ends_with("__observed_on") || name.ends_with("__date") {
            extra.push((name, array));
        }
        let twice = with(extra);
        let e = score_batch(&scorer, &twice, &options(false)).unwrap_err();
        assert!(matches!(e, Error::Column { .. }), "{name}: {e}");
        assert_eq!(
            e.to_string(),
            format!(
                "column {name}: the input has 2 columns of this name: keep one (which of them to score cannot be told)"
            )
        );
    }
    // Notes twice: not read, so scored as without them.
    let notes: ArrayRef = Arc::new(StringArray::from(vec!["call back"; 20]));
    let noted = with(vec![("notes", notes.clone()), ("notes", notes)]);
    assert_eq!(
        score_batch(&scorer, &noted, &options(false)).unwrap(),
        score_batch(&scorer, &good, &options(false)).unwrap()
    );
}

#[test]
fn a_csv_file_with_a_metric_twice_is_refused_by_every_reader() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-names-")
        .tempdir()
        .unwrap();
    let d = scratch.path();
    let header = "id,mrr,employees,seats_provisioned_ratio,sso_enabled,integrations_count,exec_sponsor_meetings_90d,nps,support_csat,weekly_active_ratio,feature_breadth_ratio,logins_per_user_30d,value_realized_ratio,quota_utilization_ratio,renewal_days_left";
    let row = "1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120";
    let input = d.join("joined.csv");
    std::fs::write(&input, format!("{header},notes,nps,notes\n{row},a,-90,b\n")).unwrap();
    let out = d.join("scores.csv");
    let e = score_file(&scorer, &input, &out, &options(false)).unwrap_err();
    let want = format!(
        "{}: column nps: the input has 2 columns of this name: keep one (which of them to score cannot be told)",
        input.display()
    );
    assert_eq!(e.to_string(), want);
    assert!(!out.exists(), "no results file for a refused input");
    let e = read_accounts(&model, &input, &options(false), |_, _| Ok::<(), Error>(())).unwrap_err();
    assert_eq!(e.to_string(), want);
    // Without the second nps, the repeated notes are no matter.
    std::fs::write(&input, format!("{header},notes,notes\n{row},a,b\n")).unwrap();
    let stats = score_file(&scorer, &input, &out, &options(false)).unwrap();
    assert_eq!((stats.rows, stats.rejected), (1, 0));
}
