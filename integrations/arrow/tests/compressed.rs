//! CSV accounts compressed as warehouses unload them (gzip, Snowflake's
//! default; zstd), alone or as a directory of parts (`data_0_0_0.csv.gz`,
//! …): scored as the same text uncompressed, by their first bytes; a cut
//! file is an error naming it. Results named compressed are written
//! compressed (CSV and JSON lines), read back by gzip's and zstd's own
//! decoders as the plain file's bytes.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Error};
use std::io::Write;

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    w.write_all(text).unwrap();
    w.finish().unwrap()
}

#[test]
fn compressed_csv_scores_as_its_text() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let batch = v0m_arrow::record_batch(&v0m::generate(3_000, 8), Vec::new());
    let csv = d.join("accounts.csv");
    columns::write_csv(&csv, &batch);
    let text = std::fs::read(&csv).unwrap();
    std::fs::write(d.join("accounts.csv.gz"), gzip(&text)).unwrap();
    std::fs::write(
        d.join("accounts.csv.zst"),
        zstd::encode_all(&text[..], 3).unwrap(),
    )
    .unwrap();
    // Parts as Snowflake unloads them, each with its header.
    let parts = d.join("unload");
    std::fs::create_dir_all(&parts).unwrap();
    let text = String::from_utf8(text).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    for (i, chunk) in rows.chunks(1_000).enumerate() {
        let part = format!("{header}\n{}\n", chunk.join("\n"));
        std::fs::write(
            parts.join(format!("data_0_0_{i}.csv.gz")),
            gzip(part.as_bytes()),
        )
        .unwrap();
    }
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let options = v0m_arrow::options(true);
    let scored = |input: &std::path::Path, name: &str| {
        let out = d.join(name);
        let stats = score_file(&scorer, input, &out, &options).unwrap();
        assert_eq!((stats.rows, stats.rejected), (3_000, 0), "{name}");
        std::fs::read(out).unwrap()
    };
    let plain = scored(&csv, "plain.csv");
    for (input, name) in [
        ("accounts.csv.gz", "gz.csv"),
        ("accounts.csv.zst", "zst.csv"),
        ("unload", "parts.csv"),
    ] {
        assert!(
            scored(&d.join(input), name) == plain,
            "{input}: other results"
        );
    }

    // Cut short: an error naming the file, no results.
    let gz = std::fs::read(d.join("accounts.csv.gz")).unwrap();
    let cut = d.join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = d.join("cut-results.csv");
    let e = score_file(&scorer, &cut, &out, &options)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut.csv.gz") && e.contains("gzip: "), "{e}");
    assert!(!out.exists());

    // Results named compressed: written compressed, each the plain
    // file's bytes once decoded, by a decoder that checks gzip's CRC and
    // length and zstd's checksum; and read back as the accounts were.
    let plain_lines = scored(&csv, "plain.jsonl");
    let unzstd = |bytes: &[u8]| {
        let mut d = zstd::stream::read::Decoder::new(bytes).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut out).unwrap();
        out
    };
    let gunzip = |bytes: &[u8]| {
        let mut out = Vec::new();
        let mut d = flate2::read::GzDecoder::new(bytes);
        std::io::Read::read_to_end(&mut d, &mut out).unwrap();
        out
    };
    let gz = scored(&csv, "results.csv.gz");
    assert_eq!(&gz[..2], [0x1f, 0x8b], "a gzip member");
    assert!(gunzip(&gz) == plain, "gzip: other bytes");
    assert!(
        gz.len() * 3 < plain.len(),
        "{} of {}",
        gz.len(),
        plain.len()
    );
    let zst = scored(&csv, "results.CSV.ZST");
    assert!(unzstd(&zst) == plain, "zstd: other bytes");
    assert!(gunzip(&scored(&csv, "results.jsonl.gzip")) == plain_lines);
    assert!(unzstd(&scored(&csv, "results.jsonl.zstd")) == plain_lines);
    // A night's results kept compressed are the back-test's history,
    // read as the plain file is.
    let history = healthscore_arrow::Options {
        history: true,
        ..options.clone()
    };
    let dated = |name: &str| {
        let out = d.join(name);
        score_file(&scorer, &csv, &out, &history).unwrap();
        let mut rows = Vec::new();
        healthscore_arrow::read_dated_scores(&out, |_, n, row| rows.push((n, format!("{row:?}"))))
            .unwrap();
        rows
    };
    let kept = dated("night.csv");
    assert_eq!(kept.len(), 3_000);
    assert!(
        kept.iter().any(|(_, r)| r.starts_with("Score")),
        "{:?}",
        kept[0]
    );
    assert_eq!(dated("night.csv.gz"), kept);
    assert_eq!(dated("night.csv.zst"), kept);
    // No rows: the header line alone, compressed.
    let empty = d.join("empty.csv");
    std::fs::write(&empty, format!("{header}\n")).unwrap();
    let out = d.join("none.csv.gz");
    score_file(&scorer, &empty, &out, &options).unwrap();
    let head = String::from_utf8(gunzip(&std::fs::read(&out).unwrap())).unwrap();
    assert!(
        head.starts_with("id,score,") && head.lines().count() == 1,
        "{head}"
    );

    // Parquet and Arrow compress inside the file: a compressed name is
    // refused, before anything is written.
    for name in ["results.parquet.gz", "results.arrow.zst"] {
        let e = score_file(&scorer, &csv, &d.join(name), &options).unwrap_err();
        assert!(matches!(e, Error::Format(_)), "{e:?}");
        assert!(e.to_string().contains(".csv.gz, .jsonl.zst"), "{e}");
        assert!(!d.join(name).exists());
    }
}
