//! Results name what produced them: the model (name, version,
//! fingerprint) and the CTA rules, in the schema's metadata of
//! `score_batch`'s record batches and of `ResultTable`'s, and in a
//! Parquet results file's own key-value metadata, where readers that do
//! not decode Arrow's schema look.

#[path = "support/columns.rs"]
mod columns;
#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;
#[path = "support/v0m_arrow.rs"]
mod v0m_arrow;

use healthscore::batch::Scorer;
use healthscore::cta::RuleSet;
use healthscore::Model;
use healthscore_arrow::{score_batch, score_file, Options, ResultTable};
use std::collections::HashMap;
use std::sync::Arc;

fn rules(model: &Model, threshold: u32) -> RuleSet {
    RuleSet::new(
        serde_json::from_str(&format!(
            r#"{{"rules": [{{"id": "low", "title": "Low", "kind": "risk", "touch": "high-touch",
                "owner": "csm", "when": {{"compare": {{"left": "overall", "op": "<", "right": {threshold}}}}}}}]}}"#
        ))
        .unwrap(),
        model,
    )
    .unwrap()
}

/// A Parquet file's own key-value metadata, without `ARROW:schema`.
fn parquet_metadata(path: &std::path::Path) -> HashMap<String, String> {
    use parquet::file::reader::FileReader;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(path).unwrap(),
    )
    .unwrap();
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key != "ARROW:schema")
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn results_name_their_model_and_rules() {
    let model = v0m::model();
    let scorer = Scorer::new(&model);
    let batch = v0m_arrow::record_batch(&v0m::generate(100, 3), Vec::new());
    let print = model.fingerprint();
    let expected = HashMap::from([
        ("healthscore.model".to_string(), print.name.clone()),
        (
            "healthscore.model_version".to_string(),
            print.version.clone(),
        ),
        (
            "healthscore.model_fingerprint".to_string(),
            format!("{:016x}", print.hash),
        ),
    ]);
    let plain = v0m_arrow::options(true);
    let scored = score_batch(&scorer, &batch, &plain).unwrap();
    assert_eq!(scored.schema().metadata(), &expected);
    assert_eq!(
        ResultTable::new(&model, &plain).schema().metadata(),
        &expected
    );

    // With rules, their count and content hash; other rules, another hash.
    let with = |threshold| Options {
        rules: Some(Arc::new(rules(&model, threshold))),
        ..v0m_arrow::options(true)
    };
    let (forty, fifty) = (with(40), with(50));
    let meta = score_batch(&scorer, &batch, &forty)
        .unwrap()
        .schema()
        .metadata()
        .clone();
    let hash = forty.rules.as_ref().unwrap().content_hash();
    assert_eq!(meta["healthscore.rules"], format!("1 rule, {hash:016x}"));
    let other = score_batch(&scorer, &batch, &fifty)
        .unwrap()
        .schema()
        .metadata()
        .clone();
    assert_ne!(other["healthscore.rules"], meta["healthscore.rules"]);

    // Files: Parquet keeps it in its own key-value metadata too; an Arrow
    // IPC file in its schema.
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-results-metadata-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let accounts = dir.join("accounts.parquet");
    columns::write_parquet(&accounts, &batch);
    let out = dir.join("scores.parquet");
    score_file(&scorer, &accounts, &out, &forty).unwrap();
    let mut want = expected.clone();
    want.insert(
        "healthscore.rules".into(),
        meta["healthscore.rules"].clone(),
    );
    assert_eq!(parquet_metadata(&out), want);
    let arrow = dir.join("scores.arrow");
    score_file(&scorer, &accounts, &arrow, &plain).unwrap();
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&arrow).unwrap(), None).unwrap();
    assert_eq!(reader.schema().metadata(), &expected);
}
