//! `score_file` from a CSV file (v0m, 1,000,000 generated accounts,
//! `BATCH_ROWS` to change; Arrow's CSV writer, nulls as empty fields) to
//! JSON lines, one thread, without drivers: what reading CSV costs next
//! to scoring it, the check of each line's field count (`ragged.rs`)
//! included.
//!
//! ```text
//! cargo bench -p healthscore-arrow --bench csv
//! ```
//!
//! Each iteration checks the rows and the rejected rows against a first
//! run, whose output has no line read as ragged.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Options};

fn benches(c: &mut Criterion) {
    let n: usize = std::env::var("BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let model = v0m::model();
    let batch = v0m_arrow::record_batch(&v0m::generate(n, 20_240_601), Vec::new());
    let dir = std::env::temp_dir().join(format!("healthscore-csv-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let input = dir.join("accounts.csv");
    let mut writer =
        arrow_csv::Writer::new(std::fs::File::create(&input).expect("the accounts file"));
    writer.write(&batch).expect("the accounts written");
    drop(writer);
    let bytes = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let output = dir.join("scores.jsonl");
    let scorer = Scorer::new(&model).threads(1);
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Options::default()
    };
    // Once, outside the timing: no line read as ragged; the rejected rows
    // (the generator's bad values) are then checked by count.
    let first = score_file(&scorer, &input, &output, &options).expect("scored");
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(
        !text.contains("fields, the header"),
        "a line read as ragged"
    );
    drop(text);
    let mut group = c.benchmark_group("csv_file");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("{n}_rows_{}_mb_to_jsonl", bytes >> 20), |b| {
        b.iter(|| {
            let stats = score_file(&scorer, &input, &output, &options).expect("scored");
            assert_eq!((stats.rows, stats.rejected), (n as u64, first.rejected));
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(csv, benches);
criterion_main!(csv);
