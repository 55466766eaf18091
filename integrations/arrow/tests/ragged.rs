//! A CSV line with more or fewer fields than the header (a value with an
//! unquoted comma, a field left out, the last line of an export cut off),
//! or one that is not UTF-8, or the header again, rejects its own row
//! with its line number;
//! every other row is scored as in the same file without it, on one
//! thread or two, in batches or not.

#[path = "../../../examples/support/v0m.rs"]
#[allow(dead_code)]
mod v0m;

use healthscore::batch::Scorer;
use healthscore_arrow::{score_file, Options};
use std::collections::BTreeMap;
use v0m::model;

const HEADER: &str = "id,mrr,employees,seats_provisioned_ratio,sso_enabled,integrations_count,exec_sponsor_meetings_90d,nps,support_csat,weekly_active_ratio,feature_breadth_ratio,logins_per_user_30d,value_realized_ratio,quota_utilization_ratio,renewal_days_left\n";

/// Account `i`'s line (its values vary with `i`).
fn line(i: usize) -> String {
    format!(
        "{i},{}.{:02},{},1,{},6,2,{},4.5,0.{:02},0.5,12,1,0.9,120\n",
        100 + i % 5_000,
        i % 100,
        10 + i % 300,
        i % 2,
        i as i64 % 201 - 100,
        i % 100
    )
}

/// Per id: the JSON line of its results (a row without an id, under its
/// place in the file, counted from 0).
fn results(path: &std::path::Path) -> BTreeMap<u64, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = v["id"].as_str().map_or_else(
                || {
                    let error = v["error"].as_str().unwrap();
                    let row: u64 = error["row ".len()..error.find(':').unwrap()]
                        .parse()
                        .unwrap();
                    row - 1
                },
                |s| s.parse().unwrap(),
            );
            (id, v)
        })
        .collect()
}

#[test]
fn a_ragged_line_rejects_its_row_not_the_file() {
    let model = model();
    let scratch = tempfile::Builder::new()
        .prefix("healthscore-ragged-")
        .tempdir()
        .unwrap();
    let d = scratch.path();
    // Past one 65,536-row batch, so that ragged rows fall in both.
    let rows = 70_000;
    let clean: String = std::iter::once(HEADER.to_string())
        .chain((0..rows).map(line))
        .collect();
    let mut lines: Vec<String> = (0..rows).map(line).collect();
    // An unquoted comma in a value; a field left out; the last line cut.
    lines[3] = lines[3].replacen(",4.5,", ",4,5,", 1);
    lines[66_000] = lines[66_000].replacen(",12,", ",", 1);
    // The header again: two exports joined together.
    lines[40_000] = HEADER.to_string();
    let last = lines.len() - 1;
    lines[last] = lines[last][..20].to_string();
    let mut ragged: Vec<u8> = std::iter::once(HEADER.to_string())
        .chain(lines)
        .collect::<String>()
        .into_bytes();
    // Lines that are not UTF-8 (Latin-1 from a spreadsheet): a pound sign
    // before an MRR, an e acute inside one. Both keep their field count;
    // the line's problem is named first, then what it made of the MRR.
    let line_at = |text: &[u8], n: usize| {
        text.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(n - 1)
            .map(|(at, _)| at + 1)
            .unwrap()
    };
    let at = line_at(&ragged, 11) + "10,".len();
    ragged.insert(at, 0xa3);
    let at = line_at(&ragged, 67_000) + "66999,".len() + 3;
    ragged.insert(at, 0xe9);
    let (clean_in, ragged_in) = (d.join("clean.csv"), d.join("ragged.csv"));
    std::fs::write(&clean_in, clean).unwrap();
    std::fs::write(&ragged_in, ragged).unwrap();
    let options = Options {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        ..Options::default()
    };
    let want_out = d.join("clean.jsonl");
    score_file(
        &Scorer::new(&model).threads(1),
        &clean_in,
        &want_out,
        &options,
    )
    .unwrap();
    let want = results(&want_out);
    let expected_errors = [
        (3, "account 3: line 5 has 16 fields, the header 15 (a value with an unquoted comma, or a field missing)"),
        (10, "account 10: line 12 is not UTF-8 text (byte 0xA3 at byte 4 of the line): save the file as CSV UTF-8; mrr: \"\u{fffd}110.10\" is not a decimal number (Invalid decimal: unknown character)"),
        (66_999, "account 66999: line 67001 is not UTF-8 text (byte 0xE9 at byte 10 of the line): save the file as CSV UTF-8; mrr: \"209\u{fffd}9.99\" is not a decimal number (Invalid decimal: unknown character)"),
        (40_000, "row 40001: line 40002 repeats the header line (files joined with their headers?)"),
        (66_000, "account 66000: line 66002 has 14 fields, the header 15 (a value with an unquoted comma, or a field missing)"),
        (69_999, "account 69999: line 70001 is cut short: 5 of the header's 15 fields, and no line end (a file cut off?)"),
    ];
    for threads in [1, 2] {
        let out = d.join(format!("ragged-{threads}.jsonl"));
        let stats = score_file(
            &Scorer::new(&model).threads(threads),
            &ragged_in,
            &out,
            &options,
        )
        .unwrap();
        assert_eq!(
            (stats.rows, stats.rejected),
            (rows as u64, 6),
            "{threads} threads"
        );
        assert_eq!(stats.first_rejected.as_deref(), Some(expected_errors[0].1));
        let got = results(&out);
        assert_eq!(got.len(), rows);
        for (id, row) in &got {
            match expected_errors.iter().find(|(i, _)| *i == *id) {
                Some((_, error)) => {
                    assert_eq!(row["error"], *error, "{threads} threads");
                    assert!(row["score"].is_null());
                }
                None => assert_eq!(Some(row), want.get(id), "id {id}, {threads} threads"),
            }
        }
    }
}
