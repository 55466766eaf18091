//! A table partitioned by columns, as Spark's `partitionBy`, pyarrow's
//! `write_dataset(partitioning=…, partitioning_flavor="hive")` and Hive
//! lay it out: `accounts/stage=renewal/part-0.parquet`. The column's value
//! is in the directory's name, not in the files; each part's rows get it
//! back as a text column (`stage`, `as_of`, a column the model does not
//! read), so that the table reads as the one it was cut from.

use crate::Error;
use std::path::{Path, PathBuf};

/// A directory's parts and its partition directories.
pub(crate) type Listing = (Vec<PathBuf>, Vec<PathBuf>);

/// Hive's name for a partition of null values.
const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// A partition directory's column and value (`None`: null), from its
/// name `key=value` (percent-escapes decoded, as Hive writes `/`, `=`,
/// `%` and other characters in values); `None` for another name.
pub(crate) fn key_value(name: &str) -> Option<(String, Option<String>)> {
    let (key, value) = name.split_once('=')?;
    if key.is_empty() {
        return None;
    }
    let value = (value != NULL_PARTITION).then(|| unescape(value));
    Some((unescape(key), value))
}

/// `%2F` and the like decoded; a `%` not followed by two hex digits kept.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The partition columns and values of `file`, a part under `dir`: one
/// per directory between them, outermost first.
pub(crate) fn values(dir: &Path, file: &Path) -> Vec<(String, Option<String>)> {
    let inner = file
        .parent()
        .and_then(|p| p.strip_prefix(dir).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    inner
        .components()
        .filter_map(|c| key_value(&c.as_os_str().to_string_lossy()))
        .collect()
}

/// The files under the partition directories `partitions` of `dir`
/// (each `key=value`), every one at the same depth under the same
/// columns; `list` lists a directory's files and partition directories.
pub(crate) fn files(
    dir: &Path,
    partitions: Vec<PathBuf>,
    list: &dyn Fn(&Path) -> Result<Listing, Error>,
) -> Result<Vec<PathBuf>, Error> {
    let refuse = |why: String| Error::Parts {
        path: dir.display().to_string(),
        why,
    };
    let mut files = Vec::new();
    let mut pending = partitions;
    while let Some(sub) = pending.pop() {
        let (here, deeper) = list(&sub)?;
        let name = sub.strip_prefix(dir).unwrap_or(&sub).display().to_string();
        if !here.is_empty() && !deeper.is_empty() {
            return Err(refuse(format!(
                "{name}/ holds both files and partitions: not one table"
            )));
        }
        files.extend(here);
        pending.extend(deeper);
    }
    // The same columns, in the same order, for every part.
    let keys = |f: &Path| -> Vec<String> { values(dir, f).into_iter().map(|(k, _)| k).collect() };
    if let Some(first) = files.first() {
        let want = keys(first);
        if let Some(other) = files.iter().find(|f| keys(f) != want) {
            return Err(refuse(format!(
                "{} is partitioned by {}, {} by {}: not one table",
                first.strip_prefix(dir).unwrap_or(first).display(),
                listed(&want),
                other.strip_prefix(dir).unwrap_or(other).display(),
                listed(&keys(other))
            )));
        }
    }
    Ok(files)
}

/// The text columns of `rows` rows holding `values` (a partition's, in
/// order; `None`: null).
pub(crate) fn constant_columns<'a>(
    values: impl IntoIterator<Item = &'a Option<String>>,
    rows: usize,
) -> Vec<arrow_array::ArrayRef> {
    values
        .into_iter()
        .map(|value| match value {
            Some(v) => std::sync::Arc::new(arrow_array::StringArray::from_iter_values(
                std::iter::repeat_n(v.as_str(), rows),
            )) as arrow_array::ArrayRef,
            None => arrow_array::new_null_array(&arrow_schema::DataType::Utf8, rows),
        })
        .collect()
}

/// `batch` with the partition columns of `values` it does not hold
/// itself, after its own, as text.
pub(crate) fn with_columns(
    batch: arrow_array::RecordBatch,
    values: &[(String, Option<String>)],
) -> Result<arrow_array::RecordBatch, arrow_schema::ArrowError> {
    let schema = batch.schema();
    let missing: Vec<&(String, Option<String>)> = values
        .iter()
        .filter(|(key, _)| schema.index_of(key).is_err())
        .collect();
    if missing.is_empty() {
        return Ok(batch);
    }
    let mut fields: Vec<arrow_schema::FieldRef> = schema.fields().iter().cloned().collect();
    fields.extend(missing.iter().map(|(key, _)| {
        std::sync::Arc::new(arrow_schema::Field::new(
            key,
            arrow_schema::DataType::Utf8,
            true,
        ))
    }));
    let mut columns = batch.columns().to_vec();
    columns.extend(constant_columns(
        missing.iter().map(|(_, v)| v),
        batch.num_rows(),
    ));
    arrow_array::RecordBatch::try_new(
        std::sync::Arc::new(arrow_schema::Schema::new_with_metadata(
            fields,
            schema.metadata().clone(),
        )),
        columns,
    )
}

fn listed(keys: &[String]) -> String {
    if keys.is_empty() {
        "nothing".to_string()
    } else {
        keys.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_are_columns_and_values() {
        assert_eq!(
            key_value("stage=renewal"),
            Some(("stage".into(), Some("renewal".into())))
        );
        assert_eq!(
            key_value("region=EU%2FWest%3D1"),
            Some(("region".into(), Some("EU/West=1".into())))
        );
        assert_eq!(
            key_value("as_of=__HIVE_DEFAULT_PARTITION__"),
            Some(("as_of".into(), None))
        );
        assert_eq!(key_value("a=b=c"), Some(("a".into(), Some("b=c".into()))));
        assert_eq!(
            key_value("100%=x%2"),
            Some(("100%".into(), Some("x%2".into())))
        );
        assert_eq!(key_value("=x"), None);
        assert_eq!(key_value("part-0.parquet"), None);
        let dir = Path::new("/t");
        assert_eq!(
            values(
                dir,
                Path::new("/t/stage=renewal/as_of=2026-11-30/part-0.parquet")
            ),
            [
                ("stage".to_string(), Some("renewal".to_string())),
                ("as_of".to_string(), Some("2026-11-30".to_string()))
            ]
        );
        assert!(values(dir, Path::new("/t/part-0.parquet")).is_empty());
    }
}
