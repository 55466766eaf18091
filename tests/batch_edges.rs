//! The batch path at its edges: values at the limits of reading, dates
//! out of range, columns that do not fit, hostile input, every kernel
//! giving the same columns, and rows asked for past the end.

mod common;
#[path = "../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
use chrono::{Datelike, NaiveDate};
use common::*;
use healthscore::batch::*;
use healthscore::{model::*, *};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn date32(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

fn bundled() -> Model {
    Model::new(bundled_config()).unwrap()
}

/// Values at the edges of reading around each of `bases`: half-millionth
/// ties and the doubles next to them, with NaN, infinities, signed zeros
/// and magnitudes beyond every range.
fn edge_values(bases: &[f64]) -> Vec<f64> {
    let mut values = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        1e12,
        1e13,
        -1e12,
        -1e-300,
        f64::MIN_POSITIVE,
    ];
    for base in bases {
        for off in [
            -5e-7,
            -4.999_999_9e-7,
            5e-7,
            4.999_999_9e-7,
            1e-7,
            -1e-7,
            0.0,
        ] {
            let x: f64 = base + off;
            values.extend([x, x.next_up(), x.next_down()]);
        }
    }
    values
}

/// `values` of `metric` (every other metric missing) scored by both
/// kernels read exactly as the row API reads them.
fn check_edges(model: &Model, metric: &str, values: &[f64]) {
    let ids: Vec<String> = (0..values.len()).map(|i| format!("v{i}")).collect();
    let mrr = vec![Decimal::from(500); values.len()];
    let employees = vec![20u32; values.len()];
    let none = vec![false; values.len()];
    let zeros = vec![0.0; values.len()];
    let mut b = Batch::new(
        Ids::String(&ids),
        Mrr::Decimal(&mrr),
        &employees,
        Dates::One(day(28)),
    );
    for id in model.metric_ids() {
        if id == metric {
            b.push_metric(id, MetricColumn::new(values));
        } else {
            b.push_metric(
                id,
                MetricColumn::new(&zeros).validity(Validity::Bools(&none)),
            );
        }
    }
    for scorer in [
        Scorer::new(model),
        Scorer::new(model).avx2_isa(),
        Scorer::new(model).baseline_isa(),
    ] {
        assert!(scorer.is_columnar());
        let out = scorer.score(&b).unwrap();
        let mut errors = out.errors().iter();
        for (row, x) in values.iter().enumerate() {
            let data = AccountData::new(ids[row].clone(), Decimal::from(500), 20, day(28))
                .observe(Observation::new(metric, *x, day(28)));
            match model.bind(data) {
                Ok(a) => {
                    let s = a.score();
                    assert_eq!(out.overall(row), s.overall(), "{metric} {x:e}");
                    assert_eq!(out.band(row), s.band(), "{metric} {x:e}");
                }
                Err(e) => assert_eq!(errors.next().map(|r| &r.error), Some(&e), "{x:e}"),
            }
        }
        assert!(errors.next().is_none());
    }
}

/// One as-of date for the whole batch is checked as each row's would be:
/// outside the documented years, every row is rejected with the row
/// API's error (the columnar kernels once scored such a batch); at the
/// ends of the years, every row scores as the row API scores it.
/// Every metric of `model` as a column of `values` observed `on`, all
/// missing (`none`) but `weekly_active`.
fn weekly_active_only<'a>(
    b: &mut Batch<'a>,
    model: &'a Model,
    values: &'a [f64],
    none: &'a [bool],
    on: Dates<'a>,
) {
    for id in model.metric_ids() {
        let column = MetricColumn::new(values).observed(on);
        b.push_metric(
            id,
            if id == "weekly_active" {
                column
            } else {
                column.validity(Validity::Bools(none))
            },
        );
    }
}

#[test]
fn one_as_of_date_out_of_range_rejects_every_row() {
    let model = bundled();
    let n = 300; // more than a kernel chunk, so that several chunks check it
    let ids: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
    let mrr: Vec<Decimal> = (0..n).map(|i| Decimal::from(100 + 50 * i)).collect();
    let employees: Vec<u32> = (0..n).map(|i| (i * 7) as u32).collect();
    let values: Vec<f64> = (0..n).map(|i| (i % 10) as f64 / 10.0).collect();
    let none = vec![false; n];
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let cents: Vec<i64> = (0..n).map(|i| (100 + 50 * i as i64) * 100).collect();
    let dates = [
        (ymd(1, 1, 1), true),
        (ymd(9999, 12, 31), true),
        (ymd(0, 12, 31), false),
        (ymd(10_000, 1, 1), false),
        (NaiveDate::MAX, false),
        (NaiveDate::MIN, false),
    ];
    // MRR as decimals (each row located on its own) and as scaled integers
    // (a chunk's rows located together).
    for ((as_of, in_range), scaled) in dates.into_iter().flat_map(|d| [(d, false), (d, true)]) {
        let money = if scaled {
            Mrr::Scaled64 {
                values: &cents,
                scale: 2,
            }
        } else {
            Mrr::Decimal(&mrr)
        };
        let mut b = Batch::new(Ids::String(&ids), money, &employees, Dates::One(as_of));
        weekly_active_only(&mut b, &model, &values, &none, Dates::One(ymd(1, 1, 1)));
        for scorer in every_scorer(&model) {
            let out = scorer.score(&b).unwrap();
            assert_eq!(
                out.errors().len(),
                if in_range { 0 } else { n },
                "{as_of}: {:?}",
                out.errors().first()
            );
            for row in 0..n {
                let data = AccountData::new(ids[row].clone(), mrr[row], employees[row], as_of);
                let data =
                    data.observe(Observation::new("weekly_active", values[row], ymd(1, 1, 1)));
                match model.bind(data) {
                    Ok(a) => {
                        assert!(in_range, "{as_of}");
                        assert_eq!(out.overall(row), a.score().overall(), "{as_of} row {row}");
                        assert_eq!(out.band(row), a.score().band(), "{as_of} row {row}");
                    }
                    Err(e) => {
                        assert!(!in_range, "{as_of}: {e}");
                        assert!(
                            e.to_string().contains("is outside the years 1 to 9999"),
                            "{e}"
                        );
                        assert_eq!(out.errors().get(row).map(|r| &r.error), Some(&e));
                        assert_eq!(out.band(row), None);
                    }
                }
            }
        }
    }
}

/// A scaled MRR with more digits than a `Decimal` holds (a Parquet
/// `DECIMAL(38, 27)`, say) is a valid MRR: scored from its exact integer,
/// and given to the row API, to error messages and to the portfolio's MRR
/// total truncated to the digits a `Decimal` holds, never as
/// `Decimal::MAX` ("above 10^15") and never refused by one path only.
#[test]
fn mrr_with_more_digits_than_a_decimal_holds_is_truncated_not_refused() {
    let model = bundled();
    let ids = vec!["long".to_string(), "short".to_string()];
    let scale = 27;
    let unscaled: Vec<i128> = vec![
        157_354_357_750_627_823_131_677_779_008_456_933_162,
        2_500 * 10i128.pow(scale),
    ];
    let employees = vec![40, 400];
    let values = vec![0.5, 0.9];
    let mut b = Batch::new(
        Ids::String(&ids),
        Mrr::Scaled128 {
            values: &unscaled,
            scale,
        },
        &employees,
        Dates::One(day(28)),
    );
    let none = [false; 2];
    weekly_active_only(&mut b, &model, &values, &none, Dates::One(day(28)));
    let long: Decimal = "157354357750.62782313167777900".parse().unwrap();
    assert_eq!(b.mrr().get(0), Some(long));
    assert_eq!(b.mrr().get(1), Some(Decimal::from(2_500)));
    for scorer in every_scorer(&model) {
        let out = scorer.score(&b).unwrap();
        assert_eq!(out.errors(), &[], "{:?}", scorer.instruction_set());
        for row in 0..2 {
            let data = Scorer::new(&model).account_data(&b, row).unwrap();
            let account = model.bind(data).expect("a valid MRR");
            assert_eq!(out.overall(row), account.score().overall());
            assert_eq!(out.band(row), account.score().band());
            let segment = model.segment_at(out.segments()[row] as usize);
            assert_eq!(segment, Some(account.segment()));
        }
        let mut summary = PortfolioSummary::new(&model);
        out.summarise(&b, &mut summary).unwrap();
        let total = summary.totals().total();
        let want: Decimal = "157354360250.62782313167777900".parse().unwrap();
        assert_eq!((total.count, total.mrr), (2, want));
    }
}

/// Values at the edges of reading: half-millionth ties, the ends of the
/// ratio range and the breakpoints, NaN and infinities, all read exactly
/// as the row API reads them.
#[test]
fn values_at_the_edges_read_as_the_row_api_reads_them() {
    let bases = [0.0, 1.0, 0.3, 0.5, 0.7, 0.15, 0.35, 0.45, 0.999_999];
    check_edges(&bundled(), "weekly_active", &edge_values(&bases));
}

/// The same for a curve reaching below 0 (v0m's NPS, from −100 to 100):
/// ties below 0 round away from zero, as the row API rounds them.
#[test]
fn negative_values_at_the_edges_too() {
    let bases = [
        -100.0,
        -99.999_999,
        -50.0,
        -12.345_678,
        -1.0,
        -0.000_001,
        0.0,
        50.0,
        100.0,
    ];
    check_edges(&v0m::model(), "nps", &edge_values(&bases));
}

/// Columns that do not fit the model: each problem named.
#[test]
fn columns_that_do_not_fit_are_named() {
    let model = bundled();
    let ids = ["a", "b"];
    let mrr = [Decimal::ONE; 2];
    let employees = [1u32];
    let short = [0.5];
    let (two, one_day, one_author) = ([0.5, 0.5], [20_000], [Some("dana")]);
    let b = Batch::new(
        Ids::Str(&ids),
        Mrr::Decimal(&mrr),
        &employees,
        Dates::One(day(28)),
    )
    .metric("weekly_active", MetricColumn::new(&short))
    .metric("weekly_active", MetricColumn::new(&short))
    .metric("no_such_metric", MetricColumn::new(&short))
    .metric(
        "nps",
        MetricColumn::new(&two)
            .observed(Dates::Days(&one_day))
            .authors(&one_author),
    );
    let err = Scorer::new(&model).score(&b).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "column employees: 1 rows, expected 2; column weekly_active: 1 rows, expected 2;"
        ),
        "{text}"
    );
    assert!(text.contains("column weekly_active: given twice"), "{text}");
    assert!(
        text.contains("column no_such_metric: not a metric of the model"),
        "{text}"
    );
    assert!(
        text.contains(
            "column nps (observed): 1 rows, expected 2; column nps (authors): 1 rows, expected 2"
        ),
        "{text}"
    );
    // The metrics without a column, said once with the advice once.
    let (_, missing) = text.split_once("; columns ").expect("the missing columns");
    let (names, advice) = missing.split_once(": missing (").expect("said as missing");
    let names: Vec<&str> = names.split(", ").collect();
    assert!(
        names.contains(&"csm_sentiment") && !names.contains(&"nps"),
        "{text}"
    );
    assert!(!names.contains(&"weekly_active"), "{text}");
    assert!(
        advice.starts_with("the model scores these metrics"),
        "{text}"
    );
    assert_eq!(text.matches("the model scores").count(), 1, "{text}");
}

/// An empty batch scores to empty columns; threads beyond the rows are fine.
#[test]
fn an_empty_batch_is_empty_columns() {
    let model = bundled();
    let mut b = Batch::new(Ids::Str(&[]), Mrr::Decimal(&[]), &[], Dates::One(day(28)));
    for id in model.metric_ids() {
        b.push_metric(id, MetricColumn::new(&[]));
    }
    let out = Scorer::new(&model).threads(8).score(&b).unwrap();
    assert!(out.is_empty());
    assert!(out.errors().is_empty());
}

/// Columns scored by one model, then by another: they are the second
/// model's (its fingerprint, so a summary of the first model refuses
/// them), and scoring the first again makes them the first's.
#[test]
fn reused_columns_name_the_model_that_scored_them_last() {
    let a = bundled();
    let mut config = a.config().clone();
    config.version = format!("{}-next", config.version);
    let b = Model::new(config).unwrap();
    assert_ne!(a.fingerprint(), b.fingerprint());
    let ids = ["x"];
    let mrr = [Decimal::new(120_000, 2)];
    let mut batch = Batch::new(
        Ids::Str(&ids),
        Mrr::Decimal(&mrr),
        &[40],
        Dates::One(day(28)),
    );
    let values = [0.5];
    for id in a.metric_ids() {
        batch.push_metric(id, MetricColumn::new(&values));
    }
    let mut out = BatchScores::new();
    for (model, other) in [(&a, &b), (&b, &a), (&a, &b)] {
        Scorer::new(model).score_into(&batch, &mut out).unwrap();
        assert_eq!(out, Scorer::new(model).score(&batch).unwrap());
        out.summarise(&batch, &mut PortfolioSummary::new(model))
            .unwrap();
        let err = out
            .summarise(&batch, &mut PortfolioSummary::new(other))
            .unwrap_err();
        assert!(err.to_string().contains(other.version()), "{err}");
    }
}

/// Hostile columns: any values, dates, ids, MRRs and bitmaps either score
/// or are a row error (or a column error), never a panic; rejected rows
/// carry errors and scored rows have bounded scores.
mod hostile {
    use super::*;

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(1e12),
            Just(1e12f64.next_up()),
            any::<f64>(),
            -200.0f64..200.0,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_columns_score_or_say_why(
            rows in 0usize..40,
            values in proptest::collection::vec(any_f64(), 40),
            days in proptest::collection::vec(any::<i32>(), 40),
            // The as-of dates: 0, the fixed day; 1, one per row (`days`);
            // 2, one date for the batch from its day number (0001-01-01 is
            // day 1), in the documented years or not.
            as_of in (0u8..3, prop_oneof![-3_000i32..3_655_000, any::<i32>()]),
            mrr in proptest::collection::vec(any::<i128>(), 40),
            scale in 0u32..40,
            employees in proptest::collection::vec(any::<u32>(), 40),
            bits in proptest::collection::vec(any::<u8>(), 0..8),
            offset in 0usize..16,
            ids in proptest::collection::vec(any::<u8>(), 0..60),
            offsets in proptest::collection::vec(-5i32..70, 41),
            threads in 1usize..4,
            // An event column of any days (a batch without named dates,
            // whose rows are still checked for them).
            event in proptest::option::of(proptest::collection::vec(any::<i32>(), 40)),
        ) {
            let model = bundled();
            let ids_col = Ids::Utf8 { offsets: &offsets[..=rows], data: &ids };
            let as_of_col = match as_of {
                (0, _) => Dates::One(day(28)),
                (1, _) => Dates::Days(&days[..rows]),
                // Clamped to chrono's range.
                (_, d) => Dates::One(NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(
                    if d < 0 { NaiveDate::MIN } else { NaiveDate::MAX },
                )),
            };
            let mut b = Batch::new(
                ids_col,
                Mrr::Scaled128 { values: &mrr[..rows], scale },
                &employees[..rows],
                as_of_col,
            );
            for (i, id) in model.metric_ids().enumerate() {
                let column = MetricColumn::new(&values[..rows]);
                let column = if i % 2 == 0 {
                    column.validity(Validity::Bits { bits: &bits, offset }).observed(Dates::Days(&days[..rows]))
                } else {
                    column
                };
                b.push_metric(id, column);
            }
            if let Some(event) = &event {
                b = b.event("champion_lost", Dates::Days(&event[..rows]), Validity::All);
            }
            for scorer in every_scorer(&model) {
                match scorer.threads(threads).with_drivers(true).score(&b) {
                    Err(e) => prop_assert!(!e.problems.is_empty()),
                    Ok(out) => {
                        prop_assert_eq!(out.len(), rows);
                        let rejected = out.rejected().iter().filter(|r| **r).count();
                        prop_assert_eq!(rejected, out.errors().len());
                        // Every row at once, bound once: what each row
                        // alone gives, and nothing past the last row.
                        let reader = Scorer::new(&model);
                        let all: Vec<_> = reader.accounts(&b).unwrap().collect();
                        prop_assert_eq!(all.len(), rows);
                        prop_assert!(reader.account_data(&b, rows).is_err());
                        for (row, whole) in all.into_iter().enumerate() {
                            // Scored exactly where the row API binds the row.
                            let data = reader.account_data(&b, row).unwrap();
                            // (Compared as text: a NaN value is not equal to itself.)
                            prop_assert_eq!(format!("{data:?}"), format!("{whole:?}"), "row {}", row);
                            prop_assert_eq!(
                                out.rejected()[row],
                                model.bind(data).is_err(),
                                "row {}", row
                            );
                            prop_assert!(out.overall(row).is_none_or(|p| p <= Points::MAX));
                            if out.rejected()[row] {
                                prop_assert!(out.band(row).is_none());
                            }
                        }
                        let mut summary = PortfolioSummary::new(&model);
                        out.summarise(&b, &mut summary).unwrap();
                        prop_assert_eq!(summary.totals().total().count as usize, rows - rejected);
                    }
                }
            }
        }
    }
}

/// The kernel picked is the widest the CPU has, and `avx2_isa` picks AVX2
/// wherever the CPU has it (so that the tests run it on AVX-512 CPUs too).
#[test]
fn the_widest_kernel_is_picked() {
    let model =
        Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap()).unwrap();
    let scorer = Scorer::new(&model);
    let (avx512, avx2) = {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            (
                has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx2"),
                has!("avx2") && has!("sse4.1") && has!("sse4.2"),
            )
        }
        #[cfg(not(target_arch = "x86_64"))]
        (false, false)
    };
    let widest = if avx512 {
        "avx512"
    } else if avx2 {
        "avx2"
    } else {
        "baseline"
    };
    assert_eq!(scorer.instruction_set(), widest);
    assert_eq!(
        scorer.clone().avx2_isa().instruction_set(),
        if avx2 { "avx2" } else { "baseline" }
    );
    assert_eq!(scorer.baseline_isa().instruction_set(), "baseline");
}

/// Every kernel this CPU has gives the same columns, bit for bit, over a
/// generated v0m portfolio (many chunks, the bench's shape) with hostile
/// values planted in some rows: NaN, infinities, −1 and a huge number
/// are rejected alike, half-millionth ties and −0 scored alike, on one
/// thread and on two, and as the row API scores them.
#[test]
fn every_kernel_gives_the_same_columns() {
    let model = v0m::model();
    let mut cols = v0m::generate(20_000, 7);
    let planted = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        1e300,
        0.5e-6,
        -0.0,
        2.5e-7,
    ];
    for (i, v) in planted.iter().enumerate() {
        for (m, (column, valid)) in cols.values.iter_mut().zip(&mut cols.valid).enumerate() {
            column[1_000 * i + m] = *v;
            valid[1_000 * i + m] = true;
        }
    }
    let b = cols.batch(day(28));
    let key = |o: &BatchScores| {
        (
            o.overall_micros().to_vec(),
            o.coverage_micros().to_vec(),
            o.bands().to_vec(),
            Dimension::ALL.map(|d| o.dimension_micros(d).to_vec()),
            o.segments().to_vec(),
            o.scorecards().to_vec(),
            o.errors()
                .iter()
                .map(|e| (e.row, e.error.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    let scorers = [
        Scorer::new(&model),
        Scorer::new(&model).avx2_isa(),
        Scorer::new(&model).baseline_isa(),
        Scorer::new(&model).avx2_isa().threads(2),
        Scorer::new(&model).row_at_a_time(),
    ];
    let outs: Vec<BatchScores> = scorers.iter().map(|s| s.score(&b).unwrap()).collect();
    // NaN, ±∞ and 10³⁰⁰ fail every metric's check and −1 every one's but
    // NPS (−100 to 100); a flag (`sso_enabled`) takes only 0 or 1, so
    // it refuses the two ties too: 4·12 + 11 + 2 rows.
    assert_eq!(outs[0].errors().len(), 4 * 12 + 11 + 2);
    let first = key(&outs[0]);
    for (scorer, out) in scorers.iter().zip(&outs).skip(1) {
        assert!(key(out) == first, "{} differs", scorer.instruction_set());
    }
}

/// A model's scorer on each kernel: the widest the CPU has, AVX2, the
/// baseline, and row at a time.
fn every_scorer(model: &Model) -> [Scorer<'_>; 4] {
    [
        Scorer::new(model),
        Scorer::new(model).avx2_isa(),
        Scorer::new(model).baseline_isa(),
        Scorer::new(model).row_at_a_time(),
    ]
}

/// The crate's example model (`model::EXAMPLE_JSON`).
fn example() -> Model {
    Model::new(serde_json::from_str(healthscore::model::EXAMPLE_JSON).unwrap()).unwrap()
}

static TWO_IDS: [i64; 2] = [1, 2];
static TWO_CENTS: [i64; 2] = [120_000, 4_500];
static TWO_EMPLOYEES: [u32; 2] = [80, 12];
/// A value for each of two rows that every metric of the example model
/// accepts.
static TWO_VALUES: [f64; 2] = [0.5, 0.9];

/// Two accounts as of the 28th, without metric columns yet.
fn two_accounts() -> Batch<'static> {
    Batch::new(
        Ids::Int(&TWO_IDS),
        Mrr::Scaled64 {
            values: &TWO_CENTS,
            scale: 2,
        },
        &TWO_EMPLOYEES,
        Dates::One(day(28)),
    )
}

/// A row past the batch's end is an error naming the row and the batch's
/// rows (it was an account with an empty id and no data), for
/// `account_data` and `record` alike; every row before it reads.
#[test]
fn a_row_past_the_end_is_an_error() {
    let model = example();
    let mut b = two_accounts();
    for id in model.metric_ids() {
        b.push_metric(id, MetricColumn::new(&TWO_VALUES));
    }
    let scorer = Scorer::new(&model);
    assert_eq!(scorer.account_data(&b, 1).unwrap().id, "2");
    assert!(scorer.record(&b, 1).is_ok());
    for row in [2, usize::MAX] {
        let e = scorer.account_data(&b, row).unwrap_err();
        assert_eq!(e.to_string(), format!("row {row}: the batch has 2 rows"));
        assert_eq!(
            scorer.record(&b, row).unwrap_err().to_string(),
            e.to_string()
        );
    }
    // Every row at once: the columns are checked first.
    assert_eq!(scorer.accounts(&b).unwrap().len(), 2);
    let e = scorer.accounts(&two_accounts()).err().unwrap();
    assert!(
        e.to_string()
            .starts_with("columns weekly_active, nps: missing"),
        "{e}"
    );
}

/// An event column's day past the documented years rejects its row, as
/// the row API refuses the account, on every scorer, also in a batch with
/// no named dates; the row beside it, with its event in range, scores.
#[test]
fn an_event_out_of_range_rejects_its_row() {
    let model = example();
    let events = [date32(day(20)), i32::MAX];
    let mut b = two_accounts().event("champion_lost", Dates::Days(&events), Validity::All);
    for id in model.metric_ids() {
        b.push_metric(
            id,
            MetricColumn::new(&TWO_VALUES).observed(Dates::One(day(28))),
        );
    }
    for scorer in every_scorer(&model) {
        let out = scorer.score(&b).unwrap();
        assert_eq!(
            out.rejected(),
            &[false, true],
            "{:?} {:?}",
            scorer.instruction_set(),
            out.errors()
        );
        let error = out.errors()[0].to_string();
        assert!(
            error.contains("event champion_lost 2147483647 days from 1970-01-01 is outside the years 1 to 9999"),
            "{error}"
        );
    }
}
