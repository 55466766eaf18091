//! `score_file_with_progress` reports after each record batch, with the
//! rows a Parquet file holds known from the start.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use v0m_arrow::options;

use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, score_file_with_progress, FileStats, FILE_BATCH_ROWS};

#[test]
fn each_batch_is_reported_and_the_last_report_is_the_result() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    // Several record batches of `FILE_BATCH_ROWS`, then the rest.
    let rows = 70_001;
    let mut c = v0m::generate(rows, 5);
    c.values[6][66_000] = 1.7; // out of range: one rejected row
    c.valid[6][66_000] = true;
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-progress-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let parquet = dir.join("accounts.parquet");
    columns::write_parquet(&parquet, &batch);
    let csv = dir.join("accounts.csv");
    let mut w = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(&csv).unwrap());
    w.write(&batch).unwrap();
    drop(w);
    for (input, expected_rows) in [(&parquet, Some(rows as u64)), (&csv, None)] {
        let mut reports: Vec<FileStats> = Vec::new();
        let output = dir.join("scores.jsonl");
        let stats = score_file_with_progress(&scorer, input, &output, &options(false), |s| {
            reports.push(s.clone())
        })
        .unwrap();
        let seen: Vec<(u64, u64, u64)> = reports
            .iter()
            .map(|r| (r.rows, r.rejected, r.batches))
            .collect();
        // Each batch's report: the rows so far, the one rejected row from
        // the batch that holds it on.
        let expected: Vec<(u64, u64, u64)> = (1..=rows.div_ceil(FILE_BATCH_ROWS))
            .map(|k| {
                let so_far = (k * FILE_BATCH_ROWS).min(rows);
                (so_far as u64, u64::from(so_far > 66_000), k as u64)
            })
            .collect();
        assert!(expected.len() >= 2, "more than one batch");
        assert_eq!(seen, expected, "{}", input.display());
        assert!(reports.iter().all(|r| r.expected_rows == expected_rows));
        assert_eq!(reports.last(), Some(&stats));
        // The results written are those of `score_file`.
        let with = std::fs::read(&output).unwrap();
        score_file(&scorer, input, &output, &options(false)).unwrap();
        assert_eq!(std::fs::read(&output).unwrap(), with);
    }
}
