//! Record batches, Parquet and CSV files score exactly as the batch path
//! scores the same columns.

#[path = "support/columns.rs"]
mod columns;
#[path = "support/results.rs"]
mod results;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch};
use healthscore::batch::{Scorer, NONE};
use healthscore::Model;
use healthscore_arrow::{score_batch, score_batch_into, score_file, Options, ScoreBuffers};
use results::micros_column;
use v0m::{day, model};

fn options() -> Options {
    v0m_arrow::options(true)
}

/// v0m accounts as a record batch, with a column the model does not read.
fn record_batch(c: &v0m::Columns) -> RecordBatch {
    v0m_arrow::with_region(c)
}

fn direct(model: &Model, c: &v0m::Columns) -> healthscore::batch::BatchScores {
    Scorer::new(model)
        .with_drivers(true)
        .score(&c.batch(day()))
        .unwrap()
}

/// The `score` column as millionths (NONE for null).
fn score_micros(out: &RecordBatch) -> Vec<u32> {
    micros_column(out, "score")
}

use arrow_array::Array;
use results::text;

/// Every result column equals the batch path's, over a batch long enough
/// to be scored in several blocks (the last one partial), with rejected
/// rows in the first, a middle and the last block.
#[test]
fn a_record_batch_scores_as_the_batch_path() {
    let model = model();
    let mut c = v0m::generate(40_000, 7);
    let bad = [5, 16_383, 16_384, 33_000, 39_999];
    for row in bad {
        c.values[6][row] = 1.7;
        c.valid[6][row] = true;
    }
    let out = score_batch(&Scorer::new(&model), &record_batch(&c), &options()).unwrap();
    let expected = direct(&model, &c);
    assert_eq!(out.num_rows(), c.len());
    // Split across threads (blocks of a block per thread): the same batch.
    let threaded = score_batch(
        &Scorer::new(&model).threads(3),
        &record_batch(&c),
        &options(),
    )
    .unwrap();
    assert_eq!(threaded, out);
    assert_eq!(score_micros(&out), expected.overall_micros());
    assert_eq!(micros_column(&out, "coverage"), expected.coverage_micros());
    for (name, d) in ["deployment", "engagement", "adoption", "roi"]
        .into_iter()
        .zip(healthscore::Dimension::ALL)
    {
        assert_eq!(
            micros_column(&out, name),
            expected.dimension_micros(d),
            "{name}"
        );
    }
    for row in 0..c.len() {
        assert_eq!(
            text(&out, "band", row),
            expected.band(row).map(|b| b.to_string())
        );
        let segment = model
            .segment_at(expected.segments()[row] as usize)
            .map(|s| s.to_string());
        assert_eq!(text(&out, "segment", row), segment);
        let card = model
            .scorecard_id(expected.scorecards()[row] as usize)
            .map(str::to_string);
        assert_eq!(text(&out, "scorecard", row), card);
    }
    let ids: Vec<&str> = model.metric_ids().collect();
    for (row, d) in expected.drivers().unwrap().iter().enumerate() {
        assert_eq!(
            text(&out, "pulls_down_most", row).as_deref(),
            (*d != NONE).then(|| ids[*d as usize])
        );
    }
    let error = out.column_by_name("error").unwrap().as_string::<i32>();
    assert_eq!(error.null_count(), c.len() - bad.len());
    assert_eq!(expected.errors().len(), bad.len());
    for e in expected.errors() {
        assert_eq!(error.value(e.row), e.error.to_string());
        assert!(bad.contains(&e.row));
    }
}

/// `ScoreBuffers` hands the memory of dropped results to the next call,
/// and never touches results the caller still holds.
#[test]
fn result_buffers_are_reused_once_dropped() {
    let model = model();
    let scorer = Scorer::new(&model);
    let c = v0m::generate(3_000, 23);
    let d = v0m::generate(3_000, 29);
    let (first, second) = (record_batch(&c), record_batch(&d));
    let mut buffers = ScoreBuffers::new();
    let score_buffer = |b: &RecordBatch| {
        b.column_by_name("score").unwrap().to_data().buffers()[0].as_ptr() as usize
    };
    // Every column's validity, row by row.
    let validity = |b: &RecordBatch| -> Vec<Vec<bool>> {
        b.columns()
            .iter()
            .map(|c| (0..c.len()).map(|r| c.is_valid(r)).collect())
            .collect()
    };
    // The validity words of the first result column with a null row.
    let nulls_buffer = |b: &RecordBatch| {
        b.columns()
            .iter()
            .skip(1)
            .find_map(|c| c.nulls().filter(|n| n.null_count() > 0))
            .map(|n| n.buffer().as_ptr() as usize)
    };
    let held = score_batch_into(&scorer, &first, &options(), &mut buffers).unwrap();
    let held_scores = score_micros(&held);
    let held_validity = validity(&held);
    let other = score_batch_into(&scorer, &second, &options(), &mut buffers).unwrap();
    assert_ne!(score_buffer(&held), score_buffer(&other));
    assert_eq!(score_micros(&held), held_scores, "held results unchanged");
    assert_eq!(validity(&held), held_validity, "held validity unchanged");
    assert_eq!(score_micros(&other), direct(&model, &d).overall_micros());
    let at = score_buffer(&other);
    let nulls_at = nulls_buffer(&other);
    assert!(nulls_at.is_some(), "some result column has a null row");
    assert_ne!(nulls_buffer(&held), nulls_at);
    drop(other);
    let again = score_batch_into(&scorer, &first, &options(), &mut buffers).unwrap();
    assert_eq!(score_buffer(&again), at, "the dropped results' memory");
    assert_eq!(nulls_buffer(&again), nulls_at, "and their validity words");
    assert_eq!(score_micros(&again), held_scores);
    assert_eq!(validity(&again), held_validity);
    assert_eq!(validity(&held), held_validity, "held validity unchanged");
}

/// A caller that keeps a part of the results (a slice of one column, the
/// values buffer of another, a column sent to another thread) and drops
/// the rest: later calls never write over what it kept, and memory the
/// caller let go of, even on another thread, is filled again.
#[test]
fn a_kept_part_of_the_results_is_never_written_over() {
    let model = model();
    let scorer = Scorer::new(&model);
    let (c, d) = (v0m::generate(2_000, 41), v0m::generate(2_000, 43));
    let (first, second) = (record_batch(&c), record_batch(&d));
    let mut buffers = ScoreBuffers::new();
    let buffer_of = |a: &ArrayRef| a.to_data().buffers()[0].as_ptr() as usize;
    let out = score_batch_into(&scorer, &first, &options(), &mut buffers).unwrap();
    let column = |out: &RecordBatch, name: &str| out.column_by_name(name).unwrap().clone();
    // Where the sliced column's memory starts (a slice's own buffer
    // starts 10 values in).
    let sliced_at = buffer_of(&column(&out, "score"));
    let slice = column(&out, "score").slice(10, 100);
    let slice_values = micros_column(
        &RecordBatch::try_from_iter([("score", slice.clone())]).unwrap(),
        "score",
    );
    let coverage = column(&out, "coverage").to_data().buffers()[0].clone();
    let coverage_values = coverage.typed_data::<i128>().to_vec();
    let sent = column(&out, "adoption");
    let sent_at = buffer_of(&sent);
    drop(out);
    // The column sent away is dropped there.
    std::thread::spawn(move || drop(sent)).join().unwrap();
    for _ in 0..3 {
        let again = score_batch_into(&scorer, &second, &options(), &mut buffers).unwrap();
        assert_eq!(score_micros(&again), direct(&model, &d).overall_micros());
        assert_ne!(buffer_of(&column(&again, "score")), sliced_at);
        assert_ne!(
            buffer_of(&column(&again, "coverage")),
            coverage.as_ptr() as usize
        );
        assert_eq!(
            buffer_of(&column(&again, "adoption")),
            sent_at,
            "let go of on another thread"
        );
    }
    // A shorter batch after them: the first rows of the longer buffers.
    let short = score_batch_into(&scorer, &first.slice(0, 500), &options(), &mut buffers).unwrap();
    assert_eq!(short.num_rows(), 500);
    assert_eq!(
        score_micros(&short),
        direct(&model, &c).overall_micros()[..500]
    );
    let kept = RecordBatch::try_from_iter([("score", slice)]).unwrap();
    assert_eq!(
        micros_column(&kept, "score"),
        slice_values,
        "the slice kept"
    );
    assert_eq!(
        coverage.typed_data::<i128>(),
        coverage_values,
        "the buffer kept"
    );
}

/// One `ScoreBuffers` for calls with another model (the same name and
/// version, a tier renamed) and other options: each result names its own
/// model's segments and scorecards and has its own options' columns (the
/// names and the schema are kept from call to call, never mixed up).
#[test]
fn one_score_buffers_serves_other_models_and_options() {
    let a = model();
    let text = include_str!("../../../examples/data/model-v0m.json")
        .replace("\"smb\"", "\"small-business\"");
    let b = Model::new(serde_json::from_str(&text).unwrap()).unwrap();
    let c = v0m::generate(2_000, 31);
    let batch = record_batch(&c);
    let mut buffers = ScoreBuffers::new();
    let segments = |out: &RecordBatch| -> Vec<String> {
        let column = out
            .column_by_name("segment")
            .unwrap()
            .as_dictionary::<arrow_array::types::UInt32Type>();
        let names = column.values().as_string::<i32>();
        names.iter().map(|n| n.unwrap().to_string()).collect()
    };
    let lean = Options {
        drivers: false,
        ..options()
    };
    let first = score_batch_into(&Scorer::new(&a), &batch, &lean, &mut buffers).unwrap();
    assert!(segments(&first).contains(&"smb/small".to_string()));
    assert!(first.column_by_name("pulls_down_most").is_none());
    let full = Options {
        drivers: true,
        ..options()
    };
    let second = score_batch_into(&Scorer::new(&b), &batch, &full, &mut buffers).unwrap();
    let names = segments(&second);
    assert!(
        names.contains(&"small-business/small".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"smb/small".to_string()), "{names:?}");
    assert!(second.column_by_name("pulls_down_most").is_some());
    // The same scores under either name, row for row.
    assert_eq!(score_micros(&first), score_micros(&second));
    let third = score_batch_into(&Scorer::new(&a), &batch, &lean, &mut buffers).unwrap();
    assert_eq!(segments(&third), segments(&first));
    assert_eq!(third.schema(), first.schema());
}

/// A column's name and values.
type Named = (String, ArrayRef);

/// One `ScoreBuffers` for record batches of other schemas, one after
/// another (it keeps where the columns were from call to call): columns
/// in another order, an `id` of another type (cast), a metric missing or
/// named almost as the model's, another model with other metric ids.
/// Each result is what fresh buffers give, and each error names its
/// column.
#[test]
fn one_score_buffers_follows_each_batchs_columns() {
    let model = model();
    let c = v0m::generate(700, 41);
    let batch = record_batch(&c);
    // The batch's columns, each as `f` makes it of its name and values
    // (`None`: left out).
    let with = |f: &dyn Fn(&str, &ArrayRef) -> Option<Named>| {
        let schema = batch.schema();
        let columns = schema.fields().iter().zip(batch.columns());
        RecordBatch::try_from_iter(columns.filter_map(|(field, c)| f(field.name(), c))).unwrap()
    };
    let reversed = {
        let schema = batch.schema();
        let columns = schema.fields().iter().zip(batch.columns()).rev();
        RecordBatch::try_from_iter(columns.map(|(f, c)| (f.name().clone(), c.clone()))).unwrap()
    };
    let narrow_id = with(&|name, c| {
        let c = match name {
            "id" => arrow_cast::cast(c, &arrow_schema::DataType::Int32).unwrap(),
            _ => c.clone(),
        };
        Some((name.to_string(), c))
    });
    let metric = model.metric_ids().nth(2).unwrap().to_string();
    let renaming = |to: String| {
        with(&|name, c| {
            let name = if name == metric {
                to.clone()
            } else {
                name.to_string()
            };
            Some((name, c.clone()))
        })
    };
    let without = with(&|name, c| (name != metric).then(|| (name.to_string(), c.clone())));
    let loud = renaming(metric.to_uppercase());
    // Another model whose third metric has another id, and a batch whose
    // column has that id.
    let text = include_str!("../../../examples/data/model-v0m.json")
        .replace(&format!("\"{metric}\""), "\"renamed\"");
    let other = Model::new(serde_json::from_str(&text).unwrap()).unwrap();
    assert!(other.metric_ids().any(|id| id == "renamed"));
    let renamed = renaming("renamed".to_string());
    let options = options();
    let mut buffers = ScoreBuffers::new();
    let fresh = score_batch(&Scorer::new(&model), &batch, &options).unwrap();
    for round in 0..2 {
        for (name, input) in [
            ("as generated", &batch),
            ("reversed", &reversed),
            ("id as Int32", &narrow_id),
        ] {
            let kept =
                score_batch_into(&Scorer::new(&model), input, &options, &mut buffers).unwrap();
            let alone = score_batch(&Scorer::new(&model), input, &options).unwrap();
            assert_eq!(kept, alone, "{name}, round {round}");
            assert_eq!(
                score_micros(&kept),
                score_micros(&fresh),
                "{name}, round {round}"
            );
        }
        let err =
            score_batch_into(&Scorer::new(&model), &without, &options, &mut buffers).unwrap_err();
        assert!(err.to_string().contains(&metric), "{err}");
        let err =
            score_batch_into(&Scorer::new(&model), &loud, &options, &mut buffers).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("the input has {:?}", metric.to_uppercase())),
            "{err}"
        );
        // The other model reads `renamed` where the first read `metric`.
        let kept =
            score_batch_into(&Scorer::new(&other), &renamed, &options, &mut buffers).unwrap();
        assert_eq!(score_micros(&kept), score_micros(&fresh), "round {round}");
        let err =
            score_batch_into(&Scorer::new(&other), &batch, &options, &mut buffers).unwrap_err();
        assert!(err.to_string().contains("renamed"), "{err}");
    }
}

#[test]
fn parquet_in_parquet_csv_and_json_lines_out() {
    let model = model();
    let c = v0m::generate(3_000, 11);
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-arrow-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let input = dir.join("accounts.parquet");
    let batch = record_batch(&c);
    columns::write_parquet(&input, &batch);
    let scorer = Scorer::new(&model);
    let expected = direct(&model, &c);
    for ext in ["parquet", "csv", "jsonl"] {
        let output = dir.join(format!("scores.{ext}"));
        let stats = score_file(&scorer, &input, &output, &options()).unwrap();
        assert_eq!((stats.rows, stats.rejected), (3_000, 0));
        assert!(output.exists());
    }
    // Parquet results read back equal the batch path's.
    let file = std::fs::File::open(dir.join("scores.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut scores = Vec::new();
    for b in reader {
        scores.extend(score_micros(&b.unwrap()));
    }
    assert_eq!(scores, expected.overall_micros());
    // CSV results: a header and one line per account.
    let csv = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    assert!(csv.starts_with("id,score,band,coverage,segment,scorecard,deployment,engagement,adoption,roi,pulls_down_most,error"), "{}", &csv[..200]);
    assert_eq!(csv.lines().count(), 3_001);
    let json = std::fs::read_to_string(dir.join("scores.jsonl")).unwrap();
    assert_eq!(json.lines().count(), 3_000);
    // And the CSV of the accounts themselves (MRR as text, exact) scores
    // the same.
    let accounts_csv = dir.join("accounts.csv");
    let mut w = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(&accounts_csv).unwrap());
    w.write(&batch).unwrap();
    drop(w);
    let again = dir.join("again.parquet");
    score_file(&scorer, &accounts_csv, &again, &options()).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&again).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut scores = Vec::new();
    for b in reader {
        scores.extend(score_micros(&b.unwrap()));
    }
    assert_eq!(scores, expected.overall_micros());
}
