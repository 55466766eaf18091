//! `score_file` with a scorer of two threads reads and scores on a
//! second thread while the results are written: the same files, the same
//! rejections by row, the same progress reports and the same errors as
//! with one thread, and a failure on either side stops both.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use v0m_arrow::options;

use arrow_array::{ArrayRef, Int64Array};
use healthscore::batch::Scorer;
use healthscore_arrow::{score_file_with_progress, Error, FileStats, FILE_BATCH_ROWS};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-pipeline-{name}-"))
        .tempdir()
        .unwrap()
}

/// 70,001 accounts (several record batches of the readers:
/// `FILE_BATCH_ROWS` rows each, then the rest), one row out of range in
/// the last and ids repeated within the last and across batches.
fn accounts(d: &Path) -> (PathBuf, PathBuf) {
    let rows = 70_001;
    let mut c = v0m::generate(rows, 9);
    c.values[6][69_500] = 1.7;
    c.valid[6][69_500] = true;
    let mut ids: Vec<i64> = (0..rows as i64).collect();
    ids[66_000] = 5; // across batches
    ids[69_100] = 69_099; // within the second
    let ids: ArrayRef = Arc::new(Int64Array::from(ids));
    let batch = columns::with_columns(&v0m_arrow::record_batch(&c, Vec::new()), &[("id", ids)]);
    let parquet = d.join("accounts.parquet");
    columns::write_parquet(&parquet, &batch);
    let csv = d.join("accounts.csv");
    let mut w = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(&csv).unwrap());
    w.write(&batch).unwrap();
    drop(w);
    (parquet, csv)
}

/// Scores `input` into `output` on `threads` threads: the stats, each
/// progress report, and the bytes written.
fn run(input: &Path, output: &Path, threads: usize) -> (FileStats, Vec<FileStats>, Vec<u8>) {
    let model = v0m::model();
    let scorer = Scorer::new(&model).threads(threads);
    let mut reports = Vec::new();
    let stats = score_file_with_progress(&scorer, input, output, &options(true), |s| {
        reports.push(s.clone())
    })
    .unwrap();
    (stats, reports, std::fs::read(output).unwrap())
}

#[test]
fn two_threads_write_what_one_writes() {
    let scratch = dir("same");
    let d = scratch.path();
    let (parquet, csv) = accounts(d);
    let runs = [
        (&parquet, "scores.parquet"),
        (&parquet, "scores.jsonl"),
        (&csv, "scores.csv"),
        (&csv, "scores.jsonl"),
    ];
    for (input, out) in runs {
        let output = d.join(out);
        let one = run(input, &output, 1);
        let two = run(input, &output, 2);
        assert_eq!(one, two, "{} to {out}", input.display());
        let (stats, reports, written) = two;
        let batches = 70_001usize.div_ceil(FILE_BATCH_ROWS);
        assert!(batches >= 2 && 69_100 / FILE_BATCH_ROWS == batches - 1);
        assert_eq!(
            (stats.rows, stats.rejected, stats.batches),
            (70_001, 3, batches as u64)
        );
        let seen: Vec<u64> = reports.iter().map(|r| r.rows).collect();
        let expected: Vec<u64> = (1..=batches)
            .map(|k| (k * FILE_BATCH_ROWS).min(70_001) as u64)
            .collect();
        assert_eq!(seen, expected);
        if out != "scores.jsonl" {
            continue;
        }
        // The rejections, by their rows in the file (one object per
        // account, in order).
        let text = String::from_utf8(written).unwrap();
        let rejected: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .filter_map(|(row, line)| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                Some((row, v.get("error")?.as_str()?.to_string()))
            })
            .collect();
        let rows: Vec<usize> = rejected.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, [66_000, 69_100, 69_500], "{rejected:?}");
        assert!(
            rejected[0].1.contains("first seen at row 6"),
            "{rejected:?}"
        );
        assert!(
            rejected[1].1.contains("first seen at row 69100"),
            "{rejected:?}"
        );
    }
}

/// A file that cannot be read past its first batch (a Parquet row group
/// whose pages are garbage): the same error either way, no results and
/// no temporary file left, the earlier results untouched. (A CSV line of
/// another field count, or not UTF-8, only rejects its row:
/// tests/ragged.rs.)
#[test]
fn a_bad_row_group_late_in_the_file_fails_the_run_either_way() {
    let scratch = dir("bad");
    let d = scratch.path();
    let rows = 70_001;
    let batch = v0m_arrow::record_batch(&v0m::generate(rows, 9), Vec::new());
    let broken = d.join("broken.parquet");
    v0m_arrow::write_parquet(&broken, &batch, 65_536);
    let group = {
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&broken).unwrap())
                .unwrap();
        let metadata = parquet::file::reader::FileReader::metadata(&reader);
        assert_eq!(metadata.num_row_groups(), 2);
        let chunk = metadata.row_group(1).column(0);
        let (start, length) = chunk.byte_range();
        (start as usize, length as usize)
    };
    let mut bytes = std::fs::read(&broken).unwrap();
    bytes[group.0..group.0 + group.1].fill(0xff);
    std::fs::write(&broken, bytes).unwrap();
    let output = d.join("scores.parquet");
    std::fs::write(&output, "earlier").unwrap();
    let model = v0m::model();
    let mut errors = Vec::new();
    for threads in [1, 2] {
        let scorer = Scorer::new(&model).threads(threads);
        let mut reports = 0;
        let err =
            score_file_with_progress(&scorer, &broken, &output, &options(true), |_| reports += 1)
                .unwrap_err();
        assert!(matches!(err, Error::File { .. }), "{err:?}");
        assert_eq!(
            reports,
            65_536 / FILE_BATCH_ROWS,
            "the batches before the bad row group were written"
        );
        errors.push(err.to_string());
    }
    assert_eq!(errors[0], errors[1]);
    assert!(
        errors[0].starts_with(&format!("{}: ", broken.display())),
        "{}",
        errors[0]
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "earlier");
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["broken.parquet", "scores.parquet"]);
}

/// Results that cannot be written (a full device, through a link): the
/// run fails with the output's error, and returns (the reading thread
/// stops too).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_reading_thread_too() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let scratch = dir("full");
    let d = scratch.path();
    let (parquet, _) = accounts(d);
    let output = d.join("scores.csv");
    std::os::unix::fs::symlink("/dev/full", &output).unwrap();
    let model = v0m::model();
    let scorer = Scorer::new(&model).threads(2);
    let mut reports = 0;
    let err =
        score_file_with_progress(&scorer, &parquet, &output, &options(true), |_| reports += 1)
            .unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err:?}");
    assert!(err.to_string().contains("scores.csv"), "{err}");
    assert_eq!(reports, 0, "no batch was written");
}

/// Parquet results: `id`, `score` and the dimension scores (mostly
/// distinct values) are written without a dictionary; bands, segments,
/// scorecards, drivers and coverage (which repeat) with one.
#[test]
fn distinct_columns_go_without_a_dictionary() {
    use parquet::basic::Encoding;
    let scratch = dir("dictionary");
    let d = scratch.path();
    let (parquet, _) = accounts(d);
    let output = d.join("scores.parquet");
    run(&parquet, &output, 1);
    let reader =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&output).unwrap())
            .unwrap();
    let metadata = parquet::file::reader::FileReader::metadata(&reader);
    let group = metadata.row_group(0);
    let dictionary = |name: &str| {
        let column = (0..group.num_columns())
            .map(|i| group.column(i))
            .find(|c| c.column_path().string() == name)
            .unwrap_or_else(|| panic!("{name}"));
        column
            .encodings()
            .any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY))
    };
    for name in ["id", "score", "deployment", "engagement", "adoption", "roi"] {
        assert!(!dictionary(name), "{name}");
    }
    for name in [
        "band",
        "segment",
        "scorecard",
        "pulls_down_most",
        "coverage",
    ] {
        assert!(dictionary(name), "{name}");
    }
}
