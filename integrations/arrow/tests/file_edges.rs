//! `score_file` at the edges a nightly job meets: the output named as the
//! input, files without rows, files cut short and results that cannot be
//! written.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Error, Options};
#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
use v0m::model;

fn options() -> Options {
    Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Options::default()
    }
}

/// A directory of this test's own, removed when dropped (also when the
/// test fails), so that test runs leave nothing in the temporary directory.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("healthscore-edges-{name}-"))
        .tempdir()
        .unwrap()
}

const HEADER: &str = "id,mrr,employees,seats_provisioned_ratio,sso_enabled,integrations_count,exec_sponsor_meetings_90d,nps,support_csat,weekly_active_ratio,feature_breadth_ratio,logins_per_user_30d,value_realized_ratio,quota_utilization_ratio,renewal_days_left\n";

#[test]
fn the_output_never_replaces_the_accounts() {
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("same");
    let d = scratch.path();
    let input = d.join("accounts.csv");
    let text = format!("{HEADER}1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n");
    std::fs::write(&input, &text).unwrap();
    // The same file, also by another path to it.
    for output in [input.clone(), d.join(".").join("accounts.csv")] {
        let e = score_file(&scorer, &input, &output, &options()).unwrap_err();
        assert!(matches!(e, Error::SameFile(_)), "{e}");
        assert!(
            e.to_string()
                .ends_with("accounts.csv: the output would replace the accounts it is read from"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
    }
    let other = d.join("scores.csv");
    let stats = score_file(&scorer, &input, &other, &options()).unwrap();
    assert_eq!((stats.rows, stats.rejected), (1, 0));
}

#[test]
fn a_file_without_rows_has_its_columns_checked() {
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("empty");
    let d = scratch.path();
    let output = d.join("scores.jsonl");
    // Every column, no row: nothing to score, nothing wrong.
    let header_only = d.join("header.csv");
    std::fs::write(&header_only, HEADER).unwrap();
    let stats = score_file(&scorer, &header_only, &output, &options()).unwrap();
    assert_eq!(stats.rows, 0);
    // Columns missing, no row: the error a row would have met.
    let short = d.join("short.csv");
    std::fs::write(&short, "id,mrr\n").unwrap();
    let e = score_file(&scorer, &short, &output, &options()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: column employees: missing", short.display())
    );
    assert!(matches!(e, Error::File { .. }), "{e:?}");
    // No header line at all: an export that wrote nothing, said so.
    for (name, text) in [("empty.csv", ""), ("blank.csv", "\n\n")] {
        let empty = d.join(name);
        std::fs::write(&empty, text).unwrap();
        let e = score_file(&scorer, &empty, &output, &options()).unwrap_err();
        assert!(matches!(e, Error::EmptyCsv(_)), "{name}: {e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: the file is empty", empty.display())),
            "{e}"
        );
    }
    let nps_missing = d.join("no-nps.csv");
    std::fs::write(&nps_missing, HEADER.replace(",nps,", ",")).unwrap();
    let e = score_file(&scorer, &nps_missing, &output, &options()).unwrap_err();
    assert!(e.to_string().contains("nps"), "{e}");
}

#[test]
fn a_file_separated_by_semicolons_or_tabs_is_named_as_such() {
    // A spreadsheet in some locales exports `;`-separated "CSV": say so,
    // rather than that a column it plainly has is missing.
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("separators");
    let d = scratch.path();
    let output = d.join("scores.jsonl");
    let row = "1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n";
    for (separator, name) in [(';', "semicolons.csv"), ('\t', "tabs.csv")] {
        let input = d.join(name);
        let text = format!("{HEADER}{row}").replace(',', &separator.to_string());
        std::fs::write(&input, text).unwrap();
        let e = score_file(&scorer, &input, &output, &options()).unwrap_err();
        assert!(
            matches!(e, Error::NotCommaSeparated { separator: s, .. } if s == separator),
            "{e}"
        );
        assert!(e.to_string().contains("not commas"), "{e}");
        assert!(!output.exists());
    }
}

#[test]
fn a_utf16_file_is_named_as_such() {
    // What a spreadsheet saves as "Unicode text": every byte would read as
    // broken UTF-8; say what the file is instead.
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("utf16");
    let d = scratch.path();
    let output = d.join("scores.jsonl");
    let text = format!("{HEADER}1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n");
    for (bom, order, big) in [
        ([0xFF, 0xFE], "little-endian", false),
        ([0xFE, 0xFF], "big-endian", true),
    ] {
        let mut bytes = bom.to_vec();
        for unit in text.encode_utf16() {
            bytes.extend(if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        let input = d.join(format!("{order}.csv"));
        std::fs::write(&input, bytes).unwrap();
        let e = score_file(&scorer, &input, &output, &options()).unwrap_err();
        assert!(
            matches!(e, Error::NotUtf8 { order: o, .. } if o == order),
            "{e}"
        );
        assert!(
            e.to_string().ends_with("not UTF-8: save it as CSV UTF-8"),
            "{e}"
        );
        assert!(!output.exists());
    }
    // A UTF-8 byte order mark is UTF-8: read.
    let input = d.join("utf8-bom.csv");
    std::fs::write(&input, format!("\u{feff}{text}")).unwrap();
    let stats = score_file(&scorer, &input, &output, &options()).unwrap();
    assert_eq!((stats.rows, stats.rejected), (1, 0));
}

#[test]
fn a_column_named_almost_as_the_model_says_is_pointed_at() {
    // ` mrr` from a hand-edited header, `ID` and `Weekly Active Ratio`
    // from a spreadsheet: not read, but named in the error.
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("names");
    let d = scratch.path();
    let output = d.join("scores.jsonl");
    let row = "1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n";
    for (from, to, column) in [
        ("mrr", " mrr", "mrr"),
        ("id,", "ID,", "id"),
        (
            "weekly_active_ratio",
            "Weekly Active Ratio",
            "weekly_active_ratio",
        ),
        ("nps,", "NPS ,", "nps"),
    ] {
        let input = d.join("accounts.csv");
        std::fs::write(&input, format!("{}{row}", HEADER.replacen(from, to, 1))).unwrap();
        let e = score_file(&scorer, &input, &output, &options()).unwrap_err();
        let want = format!(
            "{}: column {column}: missing (the input has {:?}; column names must match exactly)",
            input.display(),
            to.trim_end_matches(',')
        );
        assert_eq!(e.to_string(), want);
    }
}

/// Every error names its file: a Parquet file cut short (its footer
/// gone), a CSV line short of fields, results that cannot be written. A
/// failed run leaves the results of an earlier one as they were, and no
/// temporary file behind.
#[test]
fn errors_name_the_file_and_leave_earlier_results_whole() {
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("named");
    let d = scratch.path();
    let csv = d.join("accounts.csv");
    let row = "1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n";
    std::fs::write(
        &csv,
        format!("{HEADER}{row}{row}").replacen("\n1,", "\n2,", 1),
    )
    .unwrap();
    let parquet = d.join("accounts.parquet");
    score_file(&scorer, &csv, &parquet, &options()).unwrap();
    let results = d.join("scores.csv");
    score_file(&scorer, &csv, &results, &options()).unwrap();
    let earlier = std::fs::read(&results).unwrap();

    let bytes = std::fs::read(&parquet).unwrap();
    let cut = d.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = score_file(&scorer, &cut, &results, &options()).unwrap_err();
    assert!(matches!(e, Error::NotParquet { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}: not a whole Parquet file: it does not end as one does (cut short while copied or written?) (Parquet error: ",
            cut.display()
        )),
        "{e}"
    );
    // A CSV file named .parquet, and an empty one: said what they are.
    let named = d.join("named.parquet");
    std::fs::copy(&csv, &named).unwrap();
    let empty = d.join("empty.parquet");
    std::fs::write(&empty, b"").unwrap();
    for (file, what) in [
        (
            &named,
            "not a Parquet file: it does not start as one does (another format, named .parquet?)",
        ),
        (&empty, "an empty file, not a Parquet file"),
    ] {
        let e = score_file(&scorer, file, &results, &options()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}: {what} (", file.display())),
            "{e}"
        );
    }
    // A whole file whose footer is corrupt: the Parquet reader's error.
    let mut broken = bytes.clone();
    let at = broken.len() - 8;
    broken[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let corrupt = d.join("corrupt.parquet");
    std::fs::write(&corrupt, broken).unwrap();
    let e = score_file(&scorer, &corrupt, &results, &options()).unwrap_err();
    assert!(matches!(e, Error::File { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}: EOF: Parquet file too small",
            corrupt.display()
        )),
        "{e}"
    );

    // A directory named as accounts is read as parts of one table
    // (tests/parts.rs): without any, that is what it says.
    for name in ["folder.parquet", "folder.csv"] {
        let folder = d.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let e = score_file(&scorer, &folder, &results, &options()).unwrap_err();
        assert!(matches!(e, Error::Parts { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&format!(
                "{}: no .parquet, .csv or .arrow part in it",
                folder.display()
            )),
            "{e}"
        );
        std::fs::remove_dir(&folder).unwrap();
    }

    // A header that is not UTF-8 fails the file, naming the file and
    // the byte (a data line that is not UTF-8, or of another field count
    // than the header's, only rejects its row: see tests/ragged.rs).
    let latin = d.join("latin1.csv");
    let mut bytes = HEADER.trim_end().as_bytes().to_vec();
    bytes.extend_from_slice(b",r\xe9gion\n");
    bytes.extend_from_slice(row.replace('\n', ",EU\n").as_bytes());
    std::fs::write(&latin, bytes).unwrap();
    let e = score_file(&scorer, &latin, &results, &options()).unwrap_err();
    assert!(
        matches!(e, Error::HeaderNotUtf8 { byte: 0xe9, at, .. } if at == HEADER.len() + 2),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the header line is not UTF-8 text (byte 0xE9 at byte {} of the line): save the file as CSV UTF-8",
            latin.display(),
            HEADER.len() + 2
        )
    );
    assert_eq!(std::fs::read(&results).unwrap(), earlier);

    let nowhere = d.join("missing").join("scores.parquet");
    let e = score_file(&scorer, &csv, &nowhere, &options()).unwrap_err();
    assert!(matches!(e, Error::Output { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: ", nowhere.display())),
        "{e}"
    );
    // Nothing left behind but the files written on purpose.
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "accounts.csv",
            "accounts.parquet",
            "corrupt.parquet",
            "cut.parquet",
            "empty.parquet",
            "latin1.csv",
            "named.parquet",
            "scores.csv"
        ]
    );
}

/// A results path that is a symbolic link (`latest.csv`, pointing at the
/// day's file) keeps its link: the file it names gets the results. A
/// named pipe gets them in place, read by the process at its other end.
#[cfg(unix)]
#[test]
fn a_link_is_followed_and_a_named_pipe_is_written_in_place() {
    use healthscore_arrow::temporary_path;
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("link");
    let d = scratch.path();
    let input = d.join("accounts.csv");
    std::fs::write(
        &input,
        format!("{HEADER}1,100,10,1,1,6,2,40,4.5,0.5,0.5,12,1,0.9,120\n"),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("runs")).unwrap();
    let day = d.join("runs").join("2026-11-30.csv");
    std::fs::write(&day, "earlier").unwrap();
    let latest = d.join("latest.csv");
    std::os::unix::fs::symlink(&day, &latest).unwrap();
    let temp = temporary_path(&latest).unwrap();
    assert_eq!(
        temp.parent(),
        Some(d.join("runs").canonicalize().unwrap().as_path())
    );
    score_file(&scorer, &input, &latest, &options()).unwrap();
    assert!(std::fs::symlink_metadata(&latest)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&day).unwrap();
    assert!(written.starts_with("id,score,band"), "{written}");
    assert!(!temp.exists());

    let pipe = d.join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo here: the named pipe case is not checked");
        return;
    }
    assert_eq!(temporary_path(&pipe), None);
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    let stats = score_file(&scorer, &input, &pipe, &options()).unwrap();
    assert_eq!(stats.rows, 1);
    let line = reader.join().unwrap();
    assert!(line.starts_with("{\"id\":\"1\",\"score\":"), "{line}");
    assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());
}

/// A warehouse export carries columns the model does not read: they are
/// not parsed (a CSV `region` of numbers for 1,500 lines, then `EU-West`,
/// once failed the whole file for a column nobody reads) nor decoded
/// (Parquet, nested ones too), and the results are those of the file
/// without them.
#[test]
fn columns_the_model_does_not_read_are_left_alone() {
    use arrow_array::{ArrayRef, ListArray, RecordBatch, StringArray};
    use std::sync::Arc;
    let model = model();
    let scorer = Scorer::new(&model);
    let scratch = dir("unread");
    let d = scratch.path();
    let row = |i: usize| {
        format!(
            "{i},{}.50,{},1.0,1,6,2,40,4.5,0.{},0.5,12,1.0,0.9,120",
            100 + i % 900,
            1 + i % 700,
            i % 10
        )
    };
    let mut lean = HEADER.to_string();
    let mut wide = format!("account_name,{},region,notes\n", HEADER.trim_end());
    for i in 0..3_000 {
        lean += &format!("{}\n", row(i));
        let region = if i < 1_500 {
            (i % 50).to_string()
        } else {
            "EU-West".into()
        };
        wide += &format!(
            "\"Acme {i}, Inc.\",{},{region},\"renewal call, {i}\"\n",
            row(i)
        );
    }
    let (lean_csv, wide_csv) = (d.join("lean.csv"), d.join("wide.csv"));
    std::fs::write(&lean_csv, &lean).unwrap();
    std::fs::write(&wide_csv, &wide).unwrap();
    let scored = |input: &std::path::Path, name: &str| {
        let out = d.join(name);
        let stats = score_file(&scorer, input, &out, &options()).unwrap();
        assert_eq!((stats.rows, stats.rejected), (3_000, 0), "{name}");
        std::fs::read_to_string(out).unwrap()
    };
    let expected = scored(&lean_csv, "lean.jsonl");
    assert_eq!(scored(&wide_csv, "wide.jsonl"), expected);

    // The same accounts in Parquet, with unread text and list columns.
    let text = arrow_schema::Schema::new(
        HEADER
            .trim_end()
            .split(',')
            .map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let batch = arrow_csv::ReaderBuilder::new(Arc::new(text))
        .with_header(true)
        .with_batch_size(10_000)
        .build(std::io::Cursor::new(lean))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let notes: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..3_000).map(|i| format!("renewal call, {i}")),
    ));
    let tags: ArrayRef = Arc::new(ListArray::from_iter_primitive::<
        arrow_array::types::Int32Type,
        _,
        _,
    >((0..3_000).map(|i| Some(vec![Some(i), None]))));
    let mut columns: Vec<(String, ArrayRef)> = vec![("notes".into(), notes)];
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        columns.push((f.name().clone(), c.clone()));
    }
    columns.push(("tags".into(), tags));
    let wide_batch = RecordBatch::try_from_iter(columns).unwrap();
    for (name, b) in [("lean.parquet", &batch), ("wide.parquet", &wide_batch)] {
        let file = std::fs::File::create(d.join(name)).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, b.schema(), None).unwrap();
        w.write(b).unwrap();
        w.close().unwrap();
    }
    let lean_parquet = scored(&d.join("lean.parquet"), "lean-parquet.jsonl");
    assert_eq!(
        scored(&d.join("wide.parquet"), "wide-parquet.jsonl"),
        lean_parquet
    );
    assert_eq!(lean_parquet, expected);
}
