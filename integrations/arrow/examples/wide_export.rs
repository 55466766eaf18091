//! Writes a warehouse export of generated v0m accounts as Parquet: the
//! columns the model reads plus 60 it does not (30 free-text notes, 30
//! numeric attributes), as `SELECT *` from an accounts table gives them.
//! The README's figure for reading only the model's columns comes from
//! scoring this file with the command-line tool:
//!
//! ```text
//! cargo run --release -p healthscore-arrow --example wide_export -- 300000 /tmp/wide.parquet
//! /usr/bin/time -f "%e s %M KB" target/release/healthscore score --no-drivers \
//!     --model examples/data/model-v0m.json --accounts /tmp/wide.parquet \
//!     --out /tmp/wide-scores.parquet --as-of 2026-11-30
//! ```

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "../tests/support/v0m_arrow.rs"]
mod v0m_arrow;

use arrow_array::{ArrayRef, Float64Array, StringArray};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(300_000), |a| a.parse())?;
    let path = args.next().unwrap_or_else(|| "wide.parquet".into());
    let c = v0m::generate(n, 7);
    let names: Vec<String> = (0..60)
        .map(|i| match i % 2 {
            0 => format!("note_{i}"),
            _ => format!("attr_{i}"),
        })
        .collect();
    let mut extra: Vec<(&str, ArrayRef)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let column: ArrayRef = if i % 2 == 0 {
            Arc::new(StringArray::from_iter_values((0..n).map(|r| {
                format!(
                    "account {r} free text field {i} with some words about the customer {}",
                    r * 7919 % 10007
                )
            })))
        } else {
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|r| (r * i) as f64 * 0.37),
            ))
        };
        extra.push((name.as_str(), column));
    }
    let batch = v0m_arrow::record_batch(&c, extra);
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let file = std::fs::File::create(&path)?;
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props))?;
    for start in (0..n).step_by(65_536) {
        w.write(&batch.slice(start, 65_536.min(n - start)))?;
    }
    w.close()?;
    eprintln!(
        "wrote {n} accounts, {} columns, to {path}",
        batch.num_columns()
    );
    Ok(())
}
