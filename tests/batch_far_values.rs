//! Columnar values that no `Decimal` or date holds (an MRR whose whole
//! part is past 96 bits, a day number past chrono's ±262,143 years) are
//! their rows' errors with the value as the column gives it, not as the
//! extremes that stand in for them (`mrr 79228162514264337593543950335`,
//! `as_of +262142-12-31`), and not hiding the row's other problems.

mod common;
use chrono::NaiveDate;
use common::*;
use healthscore::batch::*;
use healthscore::score::AccountProblem;
use healthscore::*;

const EPOCH_CE: i32 = 719_163;

fn days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - EPOCH_CE
}

/// As-of day, weekly_active's observed day and value, MRR (whole units),
/// a `renewal` date, and the row's error wanted.
type Row = (i32, i32, f64, i128, i32, Option<&'static str>);

#[test]
fn far_values_are_shown_as_given() {
    let model = Model::new(bundled_config()).unwrap();
    let normal = days(day(20));
    let year_10000 = days(NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap());
    let big = 10i128.pow(37);
    let rows: Vec<Row> = vec![
        (i32::MAX, normal, 0.5, 100, normal,
         Some("account r0: as_of 2147483647 days from 1970-01-01 is outside the years 1 to 9999")),
        // Every observation is after an as-of stand-in of chrono's first
        // day: those problems are the stand-in's, not the row's.
        (i32::MIN, normal, 0.5, 100, normal,
         Some("account r1: as_of -2147483648 days from 1970-01-01 is outside the years 1 to 9999")),
        (normal, i32::MAX, 0.5, 100, normal,
         Some("account r2: observation of weekly_active 2147483647 days from 1970-01-01 is outside the years 1 to 9999")),
        (normal, normal, 0.5, big, normal,
         Some("account r3: mrr 10000000000000000000000000000000000000 is above 10^15")),
        (normal, normal, 0.5, -big, normal,
         Some("account r4: mrr -10000000000000000000000000000000000000 is negative")),
        // The row's other problems stay.
        (normal, normal, 1.7, -big, i32::MIN,
         Some("account r5: mrr -10000000000000000000000000000000000000 is negative; date renewal -2147483648 days from 1970-01-01 is outside the years 1 to 9999; weekly_active: ratio number 1.7 is outside 0..=1")),
        (normal, normal, 0.5, 100, normal, None),
        // A day chrono holds keeps the row API's message.
        (year_10000, normal, 0.5, 100, normal,
         Some("account r7: as_of +10000-01-01 is outside the years 1 to 9999")),
    ];
    let ids: Vec<String> = (0..rows.len()).map(|r| format!("r{r}")).collect();
    let as_of: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let observed: Vec<i32> = rows.iter().map(|r| r.1).collect();
    let values: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let mrr: Vec<i128> = rows.iter().map(|r| r.3).collect();
    let renewal: Vec<i32> = rows.iter().map(|r| r.4).collect();
    let employees = vec![40; rows.len()];
    let none = vec![false; rows.len()];
    let mut b = Batch::new(
        Ids::String(&ids),
        Mrr::Scaled128 {
            values: &mrr,
            scale: 0,
        },
        &employees,
        Dates::Days(&as_of),
    )
    .date("renewal", Dates::Days(&renewal), Validity::All);
    for id in model.metric_ids() {
        let column = MetricColumn::new(&values).observed(Dates::Days(&observed));
        let column = if id == "weekly_active" {
            column
        } else {
            column.validity(Validity::Bools(&none))
        };
        b.push_metric(id, column);
    }
    for scorer in every_scorer(&model) {
        let out = scorer.score(&b).unwrap();
        let set = scorer.instruction_set();
        for (row, want) in rows.iter().map(|r| r.5).enumerate() {
            let got = out.errors().iter().find(|e| e.row == row);
            assert_eq!(
                got.map(|e| e.error.to_string()).as_deref(),
                want,
                "{set:?} row {row}"
            );
            assert_eq!(
                out.overall(row).is_none(),
                want.is_some(),
                "{set:?} row {row}"
            );
        }
        // The scored row is the row API's score.
        let data = Scorer::new(&model).account_data(&b, 6).unwrap();
        let account = model.bind(data).unwrap();
        assert_eq!(out.overall(6), account.score().overall(), "{set:?}");
    }
}

/// The problems serialize with their kinds, as the others do.
#[test]
fn far_value_problems_have_kinds() {
    let far = AccountProblem::DayOutOfRange {
        what: "as_of".into(),
        days: -3,
    };
    let json = serde_json::to_value(&far).unwrap();
    assert_eq!(json["kind"], "day-out-of-range");
    assert_eq!(
        json["message"],
        "as_of -3 days from 1970-01-01 is outside the years 1 to 9999"
    );
    let mrr = AccountProblem::MrrOutOfRange("-1.50".into());
    assert_eq!(mrr.to_string(), "mrr -1.50 is negative");
    let json = serde_json::to_value(&mrr).unwrap();
    assert_eq!(json["kind"], "mrr-out-of-range");
}
