//! Date arithmetic in the library is checked: `date + duration` and
//! `date - duration` panic in chrono when the result leaves its calendar,
//! and `Duration::days(n)` panics for huge `n`. Those forms must not appear
//! in `src/` (outside comments); use `checked_add_days` / `checked_sub_days`
//! / `checked_sub_signed` or the crate's `value::date` helpers.

use std::path::Path;

const FORBIDDEN: [&str; 8] = [
    "Duration::days(",
    "TimeDelta::days(",
    "+ Duration",
    "- Duration",
    "+ Days",
    "- Days",
    "- window",
    "+ horizon",
];

fn scan(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            scan(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source is text");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for pattern in FORBIDDEN {
                    if code.contains(pattern) {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
}

#[test]
fn no_unchecked_date_arithmetic_in_src() {
    let mut found = Vec::new();
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "unchecked date arithmetic:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    let dir = std::env::temp_dir().join(format!("healthscore-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("x.rs"),
        "let due = as_of + Duration::days(7); // + Duration fine here\n",
    )
    .unwrap();
    let mut found = Vec::new();
    scan(&dir, &mut found);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
}
