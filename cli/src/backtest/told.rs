//! Rejected rows said as they are read, a run of rows of one file
//! rejected for one reason in one line: a partition named
//! `as_of=2026-02-30`, or an export whose `mrr` column is empty, would
//! otherwise say the same thing once a row, a million lines for a
//! million-account night.

use super::runs::RUN;

/// The rejections being told: the run of rows so far, said when a row
/// does not follow it (or when this is dropped).
#[derive(Default)]
pub(super) struct Told {
    run: Option<Run>,
    /// Where the lines go (standard error; a test's own list).
    #[cfg(test)]
    said: Vec<String>,
}

/// Rows `first` to `last` of `file` (`unit`: `row` or `line`), each
/// rejected for `why`.
struct Run {
    file: String,
    unit: &'static str,
    first: u64,
    last: u64,
    why: String,
}

impl Told {
    /// Row or line `n` of `file` is rejected for `why`.
    pub(super) fn reject(&mut self, file: &str, unit: &'static str, n: u64, why: String) {
        if let Some(run) = &mut self.run {
            let follows = run.last.checked_add(1) == Some(n);
            if follows && run.unit == unit && run.file == file && run.why == why {
                run.last = n;
                return;
            }
        }
        self.flush();
        self.run = Some(Run {
            file: file.to_string(),
            unit,
            first: n,
            last: n,
            why,
        });
    }

    /// Says the run so far: a line a row while it is shorter than
    /// [`RUN`], else one line for all of it.
    pub(super) fn flush(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        let Run {
            file,
            unit,
            first,
            last,
            why,
        } = run;
        let rows = last - first + 1;
        if rows < RUN as u64 {
            for n in first..=last {
                self.say(format!("rejected {file} {unit} {n}: {why}"));
            }
        } else {
            self.say(format!(
                "rejected {file} {unit}s {first} to {last} ({rows} {unit}s): {why}"
            ));
        }
    }

    fn say(&mut self, line: String) {
        #[cfg(test)]
        self.said.push(line);
        #[cfg(not(test))]
        say!("{line}");
    }
}

impl Drop for Told {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(rejections: &[(&str, &'static str, u64, &str)]) -> Vec<String> {
        let mut told = Told::default();
        for (file, unit, n, why) in rejections {
            told.reject(file, unit, *n, why.to_string());
        }
        told.flush();
        std::mem::take(&mut told.said)
    }

    /// A run of rows with one reason is one line from [`RUN`] rows on;
    /// shorter runs, and rows that break a run (another reason, a gap,
    /// another file or unit), a line each.
    #[test]
    fn runs_of_one_reason_are_told_in_one_line() {
        let missing = "as_of: missing";
        let mut rows: Vec<(&str, &'static str, u64, &str)> = (1..=500)
            .map(|n| ("p/part-0.parquet", "row", n, missing))
            .collect();
        rows.extend([
            ("p/part-0.parquet", "row", 502, missing),
            ("p/part-0.parquet", "row", 503, "band: missing"),
            ("p/part-1.parquet", "row", 504, "band: missing"),
            ("p/part-1.parquet", "line", 505, "band: missing"),
        ]);
        rows.extend((1..=3).map(|n| ("n.jsonl", "line", n, "not JSON")));
        rows.extend((4..=7).map(|n| ("n.jsonl", "line", n, "not JSON")));
        assert_eq!(
            told(&rows),
            [
                "rejected p/part-0.parquet rows 1 to 500 (500 rows): as_of: missing",
                "rejected p/part-0.parquet row 502: as_of: missing",
                "rejected p/part-0.parquet row 503: band: missing",
                "rejected p/part-1.parquet row 504: band: missing",
                "rejected p/part-1.parquet line 505: band: missing",
                "rejected n.jsonl lines 1 to 7 (7 lines): not JSON",
            ]
        );
        let three: Vec<_> = (10..=12)
            .map(|n| ("f.csv", "row", n, "mrr: missing"))
            .collect();
        assert_eq!(
            told(&three),
            [
                "rejected f.csv row 10: mrr: missing",
                "rejected f.csv row 11: mrr: missing",
                "rejected f.csv row 12: mrr: missing",
            ]
        );
        assert!(told(&[]).is_empty());
    }
}
