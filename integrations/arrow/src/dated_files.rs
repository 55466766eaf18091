//! A directory of results kept night after night (`nights/2026-12-01.parquet`,
//! …): each file read on its own, in its own format.

use crate::Error;
use crate::Format;
use std::path::{Path, PathBuf};

/// The files of `dir`, a directory of dated results kept a file a night
/// (as `healthscore score --out` writes them: Parquet, CSV, Arrow or JSON
/// lines, gzip or zstd compressed where CSV or JSON lines), each with its
/// format, in name order with numbers by their value (as [`parts`](crate::parts)
/// orders them). The formats may differ from file to file (a job that
/// moved from CSV to Parquet in June): each file is read on its own.
/// Names starting with `_` or `.` are markers (`_SUCCESS`, a `.crc`, a
/// writer's hidden temporary file) and left out.
///
/// # Errors
///
/// [`Error::Parts`] naming what is not a results file: a file of another
/// extension, or a subdirectory (a table partitioned by `key=value/`
/// directories is one table: [`read_dated_scores`](crate::read_dated_scores)
/// reads it whole); or no file at all. [`Error::Io`] when the directory
/// cannot be listed.
///
/// # Examples
///
/// ```
/// use healthscore_arrow::{dated_files, Format};
/// let dir = std::env::temp_dir().join(format!("dated-files-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// for name in ["2026-12-10.parquet", "2026-12-09.csv.gz", "2026-12-11.jsonl", "_SUCCESS"] {
///     std::fs::write(dir.join(name), "")?;
/// }
/// let files = dated_files(&dir)?;
/// assert_eq!(files, [
///     (dir.join("2026-12-09.csv.gz"), Format::Csv),
///     (dir.join("2026-12-10.parquet"), Format::Parquet),
///     (dir.join("2026-12-11.jsonl"), Format::JsonLines),
/// ]);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dated_files(dir: &Path) -> Result<Vec<(PathBuf, Format)>, Error> {
    let refuse = |why: String| Error::Parts {
        path: dir.display().to_string(),
        why,
    };
    let io = |source| Error::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            return Err(refuse(format!(
                "{name}/ is a directory: a directory of nights holds files (a table partitioned by key=value/ directories is read as one table)"
            )));
        }
        match Format::of(&path) {
            Ok(format) => found.push((name, path, format)),
            Err(_) => {
                return Err(refuse(format!(
                    "{name} is not a results file (.parquet, .csv, .arrow, .jsonl; .csv.gz, .jsonl.zst) nor a marker (_SUCCESS, .crc)"
                )))
            }
        }
    }
    if found.is_empty() {
        return Err(refuse(
            "no .parquet, .csv, .arrow or .jsonl file in it".into(),
        ));
    }
    found.sort_by(|a, b| crate::parts::in_order(&a.0, &b.0));
    Ok(found.into_iter().map(|(_, p, f)| (p, f)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_night_is_named() {
        let tmp = std::env::temp_dir().join(format!("hs-dated-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("as_of=2026-12-01")).unwrap();
        let e = dated_files(&tmp).unwrap_err().to_string();
        assert!(e.contains("as_of=2026-12-01/ is a directory"), "{e}");
        std::fs::remove_dir_all(tmp.join("as_of=2026-12-01")).unwrap();
        let e = dated_files(&tmp).unwrap_err().to_string();
        assert!(
            e.ends_with("no .parquet, .csv, .arrow or .jsonl file in it"),
            "{e}"
        );
        std::fs::write(tmp.join("night-10.csv"), "").unwrap();
        std::fs::write(tmp.join("night-9.csv.zst"), "").unwrap();
        std::fs::write(tmp.join(".night-11.csv.tmp-7"), "").unwrap();
        let names: Vec<PathBuf> = dated_files(&tmp)
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(
            names,
            [tmp.join("night-9.csv.zst"), tmp.join("night-10.csv")]
        );
        std::fs::write(tmp.join("notes.txt"), "").unwrap();
        let e = dated_files(&tmp).unwrap_err().to_string();
        assert!(e.contains("notes.txt is not a results file"), "{e}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
