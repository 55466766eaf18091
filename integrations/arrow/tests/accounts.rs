//! `read_accounts` gives each row of a Parquet or CSV file as the row
//! API's input: bound and scored, every row scores as `score_file` scores
//! it, and every row `score_file` rejects for its columns or its line is
//! an `Err` with the same message; a row the row API refuses is refused by
//! `bind`, with the message `score_file` gives.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use v0m_arrow::options;

use healthscore::batch::Scorer;
use healthscore_arrow::{read_accounts, score_file, Error};

/// Per row of a results file (JSON lines): its score and band, or its
/// error.
fn results(path: &std::path::Path) -> Vec<Result<(rust_decimal::Decimal, String), String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["error"].as_str() {
                Some(e) => Err(e.to_string()),
                None => Ok((
                    v["score"]
                        .to_string()
                        .parse::<rust_decimal::Decimal>()
                        .unwrap()
                        .normalize(),
                    v["band"].as_str().unwrap().to_string(),
                )),
            }
        })
        .collect()
}

#[test]
fn every_row_reads_as_score_file_scores_it() {
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-accounts-")
        .tempdir()
        .unwrap();
    let d = scratch.path();
    let model = v0m::model();
    // Past one 65,536-row batch; a ratio the row API refuses, a missing MRR.
    let rows = 70_000;
    let mut c = v0m::generate(rows, 5);
    c.values[6][12] = 1.7;
    c.valid[6][12] = true;
    let batch = v0m_arrow::record_batch(&c, Vec::new());
    let parquet = d.join("accounts.parquet");
    v0m_arrow::write_parquet(&parquet, &batch, 65_536);
    let csv = d.join("accounts.csv");
    let mut w = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .build(std::fs::File::create(&csv).unwrap());
    w.write(&batch).unwrap();
    drop(w);
    // The CSV with lines cut short in the second batch and in the third
    // piece of the first (`read_accounts` hands out 8,192 rows at a time),
    // one not UTF-8 and a missing MRR in the first piece.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    lines[67_001].truncate(12);
    lines[20_000].truncate(12);
    // A line that repeats the header: its note alone, in both.
    lines[30_000] = lines[0].clone();
    lines[8].insert(3, 0xe9);
    let mrr_at = lines[21].iter().position(|b| *b == b',').unwrap() + 1;
    let mrr_end = mrr_at + lines[21][mrr_at..].iter().position(|b| *b == b',').unwrap();
    lines[21].drain(mrr_at..mrr_end);
    let csv_bad = d.join("accounts-bad.csv");
    std::fs::write(&csv_bad, lines.join(&b"\n"[..])).unwrap();

    for input in [&parquet, &csv, &csv_bad] {
        let out = d.join("scores.jsonl");
        score_file(&Scorer::new(&model), input, &out, &options(false)).unwrap();
        let want = results(&out);
        let mut got = Vec::new();
        let mut firsts = Vec::new();
        read_accounts(&model, input, &options(false), |first, batch| {
            firsts.push(first);
            for row in batch {
                got.push(row.and_then(|data| {
                    let account = model.bind(data).map_err(|e| e.to_string())?;
                    let score = account.score();
                    Ok((
                        score.overall().unwrap().to_decimal().normalize(),
                        score.band().unwrap().to_string(),
                    ))
                }));
            }
            Ok::<(), Error>(())
        })
        .unwrap();
        let pieces: Vec<u64> = (0..rows as u64).step_by(8_192).collect();
        assert_eq!(firsts, pieces, "{}", input.display());
        assert_eq!(got.len(), want.len());
        let mut rejected = 0;
        for (row, (got, want)) in got.iter().zip(&want).enumerate() {
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "row {row} of {}", input.display()),
                // The row API's message is the batch path's.
                (Err(g), Err(w)) => {
                    rejected += 1;
                    if row == 29_999 {
                        assert_eq!(g, "row 30000: line 30001 repeats the header line (files joined with their headers?)");
                    }
                    assert_eq!(g, w, "row {row} of {}", input.display());
                }
                _ => panic!("row {row} of {}: {got:?} / {want:?}", input.display()),
            }
        }
        let expected = if input == &csv_bad { 6 } else { 1 };
        assert_eq!(rejected, expected, "{}", input.display());
    }
    // Its own errors: a file of another kind, a missing column.
    let e = read_accounts(&model, &d.join("x.jsonl"), &options(false), |_, _| {
        Ok::<(), Error>(())
    })
    .unwrap_err();
    assert!(matches!(e, Error::Format(_)), "{e}");
    let narrow = d.join("narrow.csv");
    std::fs::write(&narrow, "id,mrr,employees\n1,100,10\n").unwrap();
    let e =
        read_accounts(&model, &narrow, &options(false), |_, _| Ok::<(), Error>(())).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}: columns seats_provisioned_ratio, ",
            narrow.display()
        )),
        "{e}"
    );
}

/// A money metric read from text or `Decimal128` cells is the decimal the
/// cell wrote (`1200.50`), as the same account given in JSON holds it; from
/// a float column, the shortest decimal of the float (`1200.5`). The value
/// scored is the same either way.
#[test]
fn money_is_the_decimal_its_cell_wrote() {
    use arrow_array::{ArrayRef, Decimal128Array, Float64Array, RecordBatch, StringArray};
    use healthscore::{Model, Value};
    use healthscore_arrow::account_data;
    use std::sync::Arc;
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/model.json"
    ))
    .unwrap();
    let model = Model::new(serde_json::from_str(&json).unwrap()).unwrap();
    let money: [(&str, ArrayRef); 3] = [
        (
            "text",
            Arc::new(StringArray::from(vec![Some("1200.50"), Some(" 7 "), None])),
        ),
        (
            "decimal",
            Arc::new(
                Decimal128Array::from(vec![Some(120_050), Some(700), None])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        (
            "float",
            Arc::new(Float64Array::from(vec![Some(1200.5), Some(7.0), None])),
        ),
    ];
    let mut scores = Vec::new();
    for (kind, column) in money {
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            (
                "mrr",
                Arc::new(StringArray::from(vec!["100", "100", "100"])),
            ),
            (
                "employees",
                Arc::new(Float64Array::from(vec![10.0, 10.0, 10.0])),
            ),
        ];
        let ids: Vec<String> = model.metric_ids().map(str::to_string).collect();
        for id in &ids {
            if id == "value_realised" {
                columns.push((id, column.clone()));
            } else {
                columns.push((id, Arc::new(Float64Array::from(vec![1.0, 1.0, 1.0]))));
            }
        }
        let author: ArrayRef = Arc::new(StringArray::from(vec!["kim", "kim", "kim"]));
        columns.push(("csm_sentiment__author", author));
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let rows = account_data(&model, &batch, &options(false)).unwrap();
        let value = |row: usize| {
            let data = rows[row].as_ref().unwrap();
            data.observations
                .iter()
                .find(|o| o.metric == "value_realised")
                .map(|o| o.value)
        };
        let shown = |row| match value(row) {
            Some(Value::Exact(d)) => Some(d.to_string()),
            other => other.map(|v| format!("{v:?}")),
        };
        let (first, second) = if kind == "float" {
            ("1200.5", "7")
        } else {
            ("1200.50", if kind == "text" { "7" } else { "7.00" })
        };
        assert_eq!(shown(0).as_deref(), Some(first), "{kind}");
        assert_eq!(shown(1).as_deref(), Some(second), "{kind}");
        assert_eq!(value(2), None, "{kind}: a null cell is no observation");
        let data = rows[0].as_ref().unwrap().clone();
        scores.push(
            model
                .bind(data)
                .unwrap()
                .score()
                .overall()
                .unwrap()
                .to_decimal(),
        );
    }
    assert!(scores.windows(2).all(|w| w[0] == w[1]), "{scores:?}");
}
