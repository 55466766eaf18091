//! CTA rules over a record batch: the `ctas` and `cta_kinds` columns equal
//! what the row API's rules open for the same accounts, with named dates
//! from `<name>__date` columns, events from `<name>__event` columns and
//! score changes from `previous_score`.

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray,
    UInt32Array,
};
use healthscore::batch::Scorer;
use healthscore::cta::RuleSet;
use healthscore::{AccountData, Band, Model, Observation, Points};
use healthscore_arrow::{result_fields, score_batch, Error, Options};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Past the Arrow path's first two blocks (16,384 rows each), so that
/// rows of later blocks land in their own rows.
const ROWS: usize = 33_000;

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn model() -> Model {
    Model::new(serde_json::from_str(include_str!("../../../examples/data/model.json")).unwrap())
        .unwrap()
}

fn rules(model: &Model) -> RuleSet {
    RuleSet::new(
        serde_json::from_str(include_str!("../../../examples/data/playbook.json")).unwrap(),
        model,
    )
    .unwrap()
}

/// Row `i`'s value of a bundled-model metric (None: missing), from bad
/// (level 0) to good (level 5) with the row.
fn value(metric: &str, i: usize) -> Option<f64> {
    let level = (i % 6) as f64 / 5.0;
    if (i + metric.len()).is_multiple_of(7) {
        return None;
    }
    Some(match metric {
        "sso_enabled" => f64::from(u8::from(i.is_multiple_of(2))),
        "integrations" | "open_escalations" => (level * 6.0).round(),
        "nps" => (level * 160.0 - 80.0).round(),
        "support_csat" | "csm_sentiment" => 1.0 + (level * 4.0).round(),
        "logins_per_user" => (level * 80.0).round(),
        "value_vs_goal" => level * 1.2,
        "value_realised" => (level * 15_000.0).round(),
        _ => level, // ratios
    })
}

fn renewal(i: usize) -> Option<chrono::NaiveDate> {
    (i % 3 != 1).then(|| day() + chrono::Days::new((i * 7 % 150) as u64))
}

/// The day the champion was lost: some within the playbook's 30 days of
/// the as-of date, some before, some after (which does not count), some
/// never.
fn champion_lost(i: usize) -> Option<chrono::NaiveDate> {
    (i % 5 != 2).then(|| day() + chrono::Days::new(3) - chrono::Days::new((i * 11 % 60) as u64))
}

fn previous_score(i: usize) -> Option<Points> {
    i.is_multiple_of(4)
        .then(|| Points::from_micros(95_500_000).unwrap())
}

fn record_batch(model: &Model) -> RecordBatch {
    let mut columns: Vec<(String, ArrayRef)> = vec![
        (
            "id".into(),
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| format!("acct-{i}")),
            )),
        ),
        (
            "mrr".into(),
            Arc::new(
                Decimal128Array::from_iter_values((0..ROWS).map(|i| 50_000 + 997 * i as i128))
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        (
            "employees".into(),
            Arc::new(UInt32Array::from_iter_values(
                (0..ROWS).map(|i| 20 + 37 * i as u32),
            )),
        ),
        (
            "previous_band".into(),
            Arc::new(StringArray::from_iter(
                (0..ROWS).map(|i| i.is_multiple_of(3).then_some("green")),
            )),
        ),
        (
            "previous_score".into(),
            Arc::new(
                Decimal128Array::from_iter(
                    (0..ROWS).map(|i| previous_score(i).map(|p| i128::from(p.micros()))),
                )
                .with_precision_and_scale(9, 6)
                .unwrap(),
            ),
        ),
        ("renewal__date".into(), date32(renewal)),
        ("champion_lost__event".into(), date32(champion_lost)),
    ];
    // A judgement needs its author, as in the row API.
    columns.push((
        "csm_sentiment__author".into(),
        Arc::new(StringArray::from_iter((0..ROWS).map(|i| {
            value("csm_sentiment", i).map(|_| format!("csm-{}", i % 5))
        }))),
    ));
    for id in model.metric_ids() {
        columns.push((
            id.to_string(),
            Arc::new(Float64Array::from_iter((0..ROWS).map(|i| value(id, i)))),
        ));
    }
    RecordBatch::try_from_iter(columns).unwrap()
}

/// A `Date32` column of each row's day.
fn date32(day: fn(usize) -> Option<chrono::NaiveDate>) -> ArrayRef {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    Arc::new(Date32Array::from_iter(
        (0..ROWS).map(|i| day(i).map(|d| (d - epoch).num_days() as i32)),
    ))
}

/// What the row API's rules open for row `i`: rule ids and kinds.
fn expected(model: &Model, rules: &RuleSet, i: usize) -> (Option<String>, Option<String>) {
    let mut data = AccountData::new(
        format!("acct-{i}"),
        Decimal::new(50_000 + 997 * i as i64, 2),
        20 + 37 * i as u32,
        day(),
    );
    if i.is_multiple_of(3) {
        data = data.previous_band(Band::Green);
    }
    data.previous_score = previous_score(i);
    if let Some(d) = renewal(i) {
        data = data.date("renewal", d);
    }
    if let Some(d) = champion_lost(i) {
        data = data.event("champion_lost", d);
    }
    for id in model.metric_ids() {
        if let Some(v) = value(id, i) {
            let mut seen = Observation::new(id, v, day());
            if id == "csm_sentiment" {
                seen.author = Some(format!("csm-{}", i % 5));
            }
            data = data.observe(seen);
        }
    }
    let account = model.bind(data).unwrap();
    let eval = rules.evaluate(&account.score(), &[], &[]).unwrap();
    let opened: Vec<_> = eval.opened().collect();
    if opened.is_empty() {
        return (None, None);
    }
    let ids: Vec<&str> = opened.iter().map(|c| c.rule.as_str()).collect();
    let mut kinds: Vec<String> = Vec::new();
    for c in &opened {
        if !kinds.contains(&c.kind.to_string()) {
            kinds.push(c.kind.to_string());
        }
    }
    (Some(ids.join("; ")), Some(kinds.join("; ")))
}

fn options(rules: RuleSet) -> Options {
    Options {
        as_of: Some(day()),
        rules: Some(Arc::new(rules)),
        ..Options::default()
    }
}

fn text(out: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let c = out.column_by_name(name).unwrap().as_string::<i32>();
    c.is_valid(row).then(|| c.value(row).to_string())
}

#[test]
fn ctas_are_the_row_apis() {
    let model = model();
    let rules = rules(&model);
    let input = record_batch(&model);
    let out = score_batch(&Scorer::new(&model), &input, &options(rules.clone())).unwrap();
    let mut fired = std::collections::BTreeSet::new();
    for i in 0..ROWS {
        let (ids, kinds) = expected(&model, &rules, i);
        assert_eq!(text(&out, "ctas", i), ids, "row {i}");
        assert_eq!(text(&out, "cta_kinds", i), kinds, "row {i}");
        fired.extend(
            ids.into_iter()
                .flat_map(|s| s.split("; ").map(str::to_string).collect::<Vec<_>>()),
        );
    }
    // The data reaches rules on bands, dates, events and score changes.
    for rule in [
        "red-band",
        "low-adoption-near-renewal",
        "score-fell",
        "champion-lost",
    ] {
        assert!(fired.contains(rule), "{rule} never fired: {fired:?}");
    }
    // Without its author column, a judgement is refused row by row, as the
    // row API refuses it.
    let at = input.schema().index_of("csm_sentiment__author").unwrap();
    let mut anonymous = input.clone();
    anonymous.remove_column(at);
    let out = score_batch(&Scorer::new(&model), &anonymous, &options(rules.clone())).unwrap();
    let row = (0..ROWS)
        .find(|i| value("csm_sentiment", *i).is_some())
        .unwrap();
    assert!(
        text(&out, "error", row).is_some_and(|e| e.contains("author")),
        "{:?}",
        text(&out, "error", row)
    );
    assert_eq!(text(&out, "ctas", row), None);
    // Without rules there are no CTA columns.
    let plain = score_batch(
        &Scorer::new(&model),
        &input,
        &Options {
            as_of: Some(day()),
            ..Options::default()
        },
    )
    .unwrap();
    assert!(plain.column_by_name("ctas").is_none());
    assert_eq!(
        out.schema().fields().len(),
        plain.schema().fields().len() + 2
    );
    let names: Vec<String> = result_fields(&options(rules))
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert!(names.ends_with(&["ctas".into(), "cta_kinds".into(), "error".into()]));
}

#[test]
fn bad_previous_scores_and_dates_are_named() {
    let model = model();
    let rules = rules(&model);
    let input = record_batch(&model);
    let replace = |name: &str, column: ArrayRef| {
        let at = input.schema().index_of(name).unwrap();
        let mut columns = input.columns().to_vec();
        columns[at] = column;
        let mut fields: Vec<_> = input.schema().fields().iter().cloned().collect();
        fields[at] = Arc::new(arrow_schema::Field::new(
            name,
            columns[at].data_type().clone(),
            true,
        ));
        RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns).unwrap()
    };
    let scorer = Scorer::new(&model);
    let mut too_high = vec![None; ROWS];
    too_high[5] = Some(100_500_000i128);
    let bad = replace(
        "previous_score",
        Arc::new(
            Decimal128Array::from(too_high)
                .with_precision_and_scale(10, 6)
                .unwrap(),
        ),
    );
    // A previous score that is not a score rejects its row.
    let out = score_batch(&scorer, &bad, &options(rules.clone())).unwrap();
    let error = text(&out, "error", 5).unwrap_or_default();
    assert_eq!(
        error,
        "account acct-5: previous_score: 100.500000 is outside the range 0..=100"
    );
    assert_eq!(text(&out, "ctas", 5), None);
    assert_eq!(out.column_by_name("error").unwrap().null_count(), ROWS - 1);
    // Dates as text are read (a CSV file's are); a date column of
    // another type is refused, naming it.
    let dates = input.column_by_name("renewal__date").unwrap();
    let text_dates = replace(
        "renewal__date",
        arrow_cast::cast(dates, &arrow_schema::DataType::Utf8).unwrap(),
    );
    let typed = score_batch(&scorer, &input, &options(rules.clone())).unwrap();
    let out = score_batch(&scorer, &text_dates, &options(rules.clone())).unwrap();
    assert_eq!(out.column_by_name("error").unwrap().null_count(), ROWS);
    let opened = |b: &RecordBatch| (0..ROWS).map(|r| text(b, "ctas", r)).collect::<Vec<_>>();
    assert_eq!(opened(&out), opened(&typed));
    assert!(opened(&typed)
        .iter()
        .any(|c| c.as_deref().is_some_and(|c| c.contains("renewal"))));
    let numbers = replace(
        "renewal__date",
        Arc::new(arrow_array::Float64Array::from(vec![1.0; ROWS])),
    );
    let e = score_batch(&scorer, &numbers, &options(rules.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column renewal__date: is Float64, expected Date32 or dates as text"
    );
    // Rules compiled for another version of the model are refused, not
    // evaluated on these scores.
    let mut config: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/model.json")).unwrap();
    config["version"] = "2026.12".into();
    let next = Model::new(serde_json::from_value(config).unwrap()).unwrap();
    let e = score_batch(&Scorer::new(&next), &input, &options(rules)).unwrap_err();
    assert!(matches!(e, Error::Rules(_)), "{e}");
}

/// A scorer of two threads splits a large record batch into two runs of
/// rows, each scored and evaluated by its own thread: the same CTAs,
/// kinds and errors as one thread, in both runs.
#[test]
fn two_threads_open_the_ctas_one_opens() {
    let model = model();
    let rules = rules(&model);
    let one = record_batch(&model);
    // 24,900 rows: enough for two threads (score_batch does not compare
    // the repeated ids).
    let input = arrow_select::concat::concat_batches(&one.schema(), [&one, &one, &one]).unwrap();
    let two = Scorer::new(&model).threads(2);
    assert_eq!(two.threads_for(input.num_rows()), 2);
    let a = score_batch(&Scorer::new(&model), &input, &options(rules.clone())).unwrap();
    let b = score_batch(&two, &input, &options(rules)).unwrap();
    assert_eq!(a, b);
    // CTAs opened, and rows rejected, in the second thread's run too.
    let late = |name: &str| {
        (2 * ROWS..3 * ROWS)
            .filter(|r| text(&b, name, *r).is_some())
            .count()
    };
    assert!(late("ctas") > 0);
    assert_eq!(
        late("ctas"),
        (0..ROWS).filter(|r| text(&b, "ctas", *r).is_some()).count()
    );
    assert_eq!(
        late("error"),
        (0..ROWS)
            .filter(|r| text(&b, "error", *r).is_some())
            .count()
    );
}
