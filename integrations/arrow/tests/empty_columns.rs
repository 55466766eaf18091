//! A metric column with no value in any row (an export that lost it, a
//! metric renamed upstream) is named in `FileStats`, counted over every
//! record batch of the file: every account was scored without it.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use healthscore::batch::Scorer;
use healthscore_arrow::score_file;
use v0m_arrow::options;

#[test]
fn a_metric_column_without_values_is_named_and_one_value_clears_it() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let nps = v0m::METRICS.iter().position(|m| *m == "nps").unwrap();
    let sso = v0m::METRICS
        .iter()
        .position(|m| *m == "sso_enabled")
        .unwrap();
    let rows = 70_001; // two record batches: 65,536 rows, then the rest
    let mut c = v0m::generate(rows, 9);
    c.valid[nps].iter_mut().for_each(|v| *v = false);
    c.valid[sso].iter_mut().for_each(|v| *v = false);
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-empty-columns-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let run = |c: &v0m::Columns, name: &str| {
        let batch = v0m_arrow::record_batch(c, Vec::new());
        let parquet = dir.join(format!("{name}.parquet"));
        columns::write_parquet(&parquet, &batch);
        let csv = dir.join(format!("{name}.csv"));
        let mut w = arrow_csv::WriterBuilder::new()
            .with_header(true)
            .build(std::fs::File::create(&csv).unwrap());
        w.write(&batch).unwrap();
        drop(w);
        [parquet, csv].map(|input| {
            let stats =
                score_file(&scorer, &input, &dir.join("scores.csv"), &options(false)).unwrap();
            assert_eq!(stats.rows, rows as u64);
            stats.metrics_without_values
        })
    };
    // In model order, from Parquet and from CSV alike.
    assert_eq!(run(&c, "none").map(|m| m.join(",")), ["sso_enabled,nps"; 2]);
    // One value of nps, in the second record batch, is a value.
    c.valid[nps][70_000] = true;
    assert_eq!(run(&c, "one").map(|m| m.join(",")), ["sso_enabled"; 2]);
    // The generated accounts as they are: every metric has values.
    let full = v0m::generate(rows, 9);
    assert_eq!(run(&full, "full"), [Vec::<String>::new(), Vec::new()]);
}
