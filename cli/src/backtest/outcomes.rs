//! Outcomes as `backtest` reads them: each kept once.

use super::{each_line, is_table, partitioned};
use healthscore::backtest::DatedOutcome;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Outcomes: JSON lines of `{account, date, outcome}`, or by extension
/// a Parquet, CSV or Arrow table of `account, date, outcome, mrr` (a
/// CRM's export; [`healthscore_arrow::read_dated_outcomes`]), or a
/// directory of such files (each in its own format, JSON lines too), or
/// a partitioned table. An outcome that repeats an earlier one
/// exactly is rejected, naming it (an expansion given twice would
/// otherwise count its MRR twice).
pub(crate) fn read_outcomes(path: &str) -> Result<(Vec<DatedOutcome>, u64), String> {
    let mut kept = Kept::default();
    // A table (a file, its parts, or a partitioned table), or JSON lines
    // (lines named by number, with the file where a directory holds
    // several): what it rejected.
    let mut read = |path: &str, name: &str| -> Result<u64, String> {
        if is_table(path) {
            let mut rejected = 0;
            let mut told = crate::told::Told::new(|line| say!("{line}"));
            healthscore_arrow::read_dated_outcomes(path.as_ref(), |file, n, row| {
                let refused = row.and_then(|outcome| {
                    let file = kept.file(&file.to_string_lossy(), "row");
                    kept.keep((file, n), outcome)
                });
                if let Err(why) = refused {
                    told.reject(&format!("{} ", file.display()), "row", n, &why);
                    rejected += 1;
                }
            })
            .map_err(|e| e.to_string())?;
            told.flush();
            return Ok(rejected);
        }
        let file = kept.file(name, "line");
        each_line(path, true, |n, line| {
            let outcome: DatedOutcome = serde_json::from_str(line)
                .map_err(|e| crate::score::pipeline::where_in::<DatedOutcome>(line, &e))?;
            kept.keep((file, n as u64), outcome)
        })
    };
    let dir = std::path::Path::new(path);
    // A directory of exports (a CRM's month a file), each file in its own
    // format, JSON lines too.
    let rejected = if dir.is_dir() && !partitioned(dir) {
        let mut rejected = 0;
        for (file, _) in healthscore_arrow::dated_files(dir).map_err(|e| e.to_string())? {
            let file = file.display().to_string();
            rejected += read(&file, &file)?;
        }
        rejected
    } else {
        read(path, "")?
    };
    Ok((kept.outcomes, rejected))
}

/// The outcomes kept, each once, with where each was read.
///
/// An outcome is the same as another when it is written back the same
/// (whatever the spacing or the order of its fields, in JSON as in a
/// table). What tells them apart is a 64-bit hash of that text and the
/// outcome's index, and where it was read is its file's index and its
/// number: about 40 bytes an outcome, where the text and the place's
/// message took about 200.
#[derive(Default)]
struct Kept {
    outcomes: Vec<DatedOutcome>,
    /// Where each outcome was read: its file (an index in `files`) and
    /// its line or row.
    places: Vec<(u32, u64)>,
    /// The first outcome of each hash.
    first: HashMap<u64, u32>,
    /// Outcomes of a hash that an earlier, different outcome has.
    collided: Vec<(u64, u32)>,
    /// Each file as a place names it (empty: a lone file of lines, named
    /// by its numbers alone), and what its numbers count.
    files: Vec<(String, &'static str)>,
}

impl Kept {
    /// The index of the file `name` (the last one, or a new one).
    fn file(&mut self, name: &str, unit: &'static str) -> u32 {
        if !self
            .files
            .last()
            .is_some_and(|(last, u)| last == name && *u == unit)
        {
            self.files.push((name.to_string(), unit));
        }
        u32::try_from(self.files.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Keeps `outcome`, read at `place`, or refuses it as the same as an
    /// earlier one, naming where that was read.
    fn keep(&mut self, place: (u32, u64), outcome: DatedOutcome) -> Result<(), String> {
        let text = serde_json::to_string(&outcome).unwrap_or_default();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        self.keep_hashed(place, outcome, &text, hasher.finish())
    }

    /// [`Kept::keep`] of `outcome`, written back as `text`, of hash
    /// `hash`.
    fn keep_hashed(
        &mut self,
        place: (u32, u64),
        outcome: DatedOutcome,
        text: &str,
        hash: u64,
    ) -> Result<(), String> {
        let same = |at: u32| {
            self.outcomes
                .get(at as usize)
                .is_some_and(|o| serde_json::to_string(o).is_ok_and(|t| t == text))
        };
        let earlier = match self.first.get(&hash) {
            None => None,
            Some(&at) if same(at) => Some(at),
            Some(_) => self
                .collided
                .iter()
                .find(|(h, at)| *h == hash && same(*at))
                .map(|(_, at)| *at),
        };
        if let Some(at) = earlier {
            return Err(format!(
                "account {}: the same outcome as {} (the first is kept)",
                crate::terminal::printable(&outcome.account),
                self.place(at)
            ));
        }
        let at = u32::try_from(self.outcomes.len())
            .map_err(|_| "more than 4,294,967,295 outcomes: not read".to_string())?;
        match self.first.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(at);
            }
            Entry::Occupied(_) => self.collided.push((hash, at)),
        }
        self.outcomes.push(outcome);
        self.places.push(place);
        Ok(())
    }

    /// Where outcome `at` was read: `line 3`, `crm/2026-11.csv row 5`.
    fn place(&self, at: u32) -> String {
        let Some(&(file, n)) = self.places.get(at as usize) else {
            return String::new();
        };
        match self.files.get(file as usize) {
            Some((name, unit)) if name.is_empty() => format!("{unit} {n}"),
            Some((name, unit)) => format!("{name} {unit} {n}"),
            None => format!("#{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthscore::backtest::Outcome;

    fn outcome(account: &str, day: u32, mrr: Option<&str>) -> DatedOutcome {
        DatedOutcome {
            account: account.into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            outcome: match mrr {
                Some(m) => Outcome::Expanded {
                    mrr: m.parse().unwrap(),
                },
                None => Outcome::Churned,
            },
        }
    }

    #[test]
    fn an_outcome_given_again_is_refused_naming_the_first() {
        let mut kept = Kept::default();
        let lines = kept.file("", "line");
        kept.keep((lines, 1), outcome("a", 1, None)).unwrap();
        kept.keep((lines, 2), outcome("a", 1, Some("10.5")))
            .unwrap();
        // Another scale is another text: kept, as it always was.
        kept.keep((lines, 3), outcome("a", 1, Some("10.50")))
            .unwrap();
        assert_eq!(
            kept.keep((lines, 4), outcome("a", 1, Some("10.5"))),
            Err("account a: the same outcome as line 2 (the first is kept)".into())
        );
        let table = kept.file("crm/2026-11.csv", "row");
        assert_eq!(kept.file("crm/2026-11.csv", "row"), table);
        assert_eq!(
            kept.keep((table, 7), outcome("a", 1, None)),
            Err("account a: the same outcome as line 1 (the first is kept)".into())
        );
        kept.keep((table, 8), outcome("b", 2, None)).unwrap();
        let other = kept.file("crm/2026-12.csv", "row");
        assert_eq!(
            kept.keep((other, 1), outcome("b", 2, None)),
            Err("account b: the same outcome as crm/2026-11.csv row 8 (the first is kept)".into())
        );
        assert_eq!(kept.outcomes.len(), 4);
    }

    /// Two different outcomes of one hash are both kept, and a repeat of
    /// either is still told apart.
    #[test]
    fn outcomes_whose_hashes_collide_are_told_apart_by_their_text() {
        let mut kept = Kept::default();
        let file = kept.file("", "line");
        let (a, b) = (outcome("a", 1, None), outcome("b", 1, None));
        let text = |o: &DatedOutcome| serde_json::to_string(o).unwrap();
        let (ta, tb) = (text(&a), text(&b));
        kept.keep_hashed((file, 1), a.clone(), &ta, 7).unwrap();
        kept.keep_hashed((file, 2), b.clone(), &tb, 7).unwrap();
        assert_eq!(kept.collided, [(7, 1)]);
        assert_eq!(
            kept.keep_hashed((file, 3), b, &tb, 7),
            Err("account b: the same outcome as line 2 (the first is kept)".into())
        );
        assert_eq!(
            kept.keep_hashed((file, 4), a, &ta, 7),
            Err("account a: the same outcome as line 1 (the first is kept)".into())
        );
        assert_eq!(kept.outcomes.len(), 2);
    }
}
