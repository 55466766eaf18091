//! Reading a whole portfolio for the commands that look at all of it
//! (portfolio, explain, diff, report): the same tolerant reader as `score`,
//! in chunks parsed and bound on every core, each rejection printed with its
//! place. Memory holds one chunk of accounts, never the file: the commands
//! fold each chunk into what they keep (a summary, the lowest few).

use crate::progress::Progress;
use crate::score::pipeline::{describe_json_error, id_in_text};
use crate::score::{open_input, split, Shape, Unit};
use crate::told::Told;
use healthscore::{Account, AccountData, Model};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// Accounts parsed per parallel step.
const CHUNK: usize = 1 << 15;

/// A chunk of parsed accounts, with their places in the input.
pub(crate) struct Chunk {
    pub shape: Shape,
    pub accounts: Vec<(u64, AccountData)>,
}

/// Counts rejections and prints them above the progress bar, a chunk's
/// in the order of their places: those found reading it (a line that is
/// not JSON, a repeated id) and those its visit found (an account the
/// model refuses) together, as `score` prints them.
/// Where the account `explain` looks for was first rejected, and why.
#[derive(Clone)]
pub(crate) struct Watched {
    pub(crate) shape: Shape,
    pub(crate) place: u64,
    /// Its rejection, without its `account <id>: `.
    pub(crate) why: String,
}

pub(crate) struct Rejections<'p> {
    progress: &'p Progress,
    count: Cell<u64>,
    /// Rows of a CSV file: the first rejection says how they are counted.
    csv: bool,
    /// The chunk's rejections so far: place, what it counts and why.
    pending: RefCell<Vec<(u64, Shape, String)>>,
    /// Says them in order, a run of rows rejected for one reason in one
    /// line.
    told: RefCell<Told<'p>>,
    /// The account `explain` looks for, as its rejections begin
    /// (`account <id>: `).
    watch: Option<String>,
    /// Where the watched account was first rejected, and why (without
    /// its `account <id>: `).
    watched: RefCell<Option<Watched>>,
}

impl<'p> Rejections<'p> {
    fn new(progress: &'p Progress, path: &str, watch: Option<&str>) -> Rejections<'p> {
        Rejections {
            progress,
            count: Cell::new(0),
            csv: crate::score::is_csv(path),
            pending: RefCell::new(Vec::new()),
            told: RefCell::new(Told::new(move |line| {
                progress.eprint(&format!("{line}\n"));
            })),
            watch: watch.map(|id| format!("account {id}: ")),
            watched: RefCell::new(None),
        }
    }

    pub(crate) fn reject(&self, shape: Shape, place: u64, why: &str) {
        if let Some(prefix) = &self.watch {
            let mut watched = self.watched.borrow_mut();
            if let (None, Some(rest)) = (&*watched, why.strip_prefix(prefix.as_str())) {
                *watched = Some(Watched {
                    shape,
                    place,
                    why: rest.to_string(),
                });
            }
        }
        self.pending
            .borrow_mut()
            .push((place, shape, why.to_string()));
        self.count.set(self.count.get() + 1);
    }

    /// Tells the chunk's rejections, in the order of their places (a
    /// stable sort: one place's in the order found); the last run of
    /// them is said when it ends, or by [`Rejections::close`].
    fn flush(&self) {
        let mut pending = self.pending.take();
        if pending.is_empty() {
            return;
        }
        if self.csv && self.count.get() == pending.len() as u64 {
            self.progress
                .eprint(&format!("{}\n", crate::score::CSV_ROWS));
        }
        pending.sort_by_key(|(place, ..)| *place);
        let mut told = self.told.borrow_mut();
        for (place, shape, why) in pending {
            told.reject("", shape.unit(), place, &why);
        }
    }

    /// Says what is left to say: the last run of rejections.
    fn close(&self) {
        self.flush();
        self.told.borrow_mut().flush();
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.get()
    }

    /// Where the watched account (see [`for_each_chunk_watching`]) was
    /// first rejected, and why, if it was.
    pub(crate) fn watched(&self) -> Option<Watched> {
        self.watched.borrow().clone()
    }
}

/// Reads `path` in chunks, calling `visit` with each chunk of parsed
/// accounts (duplicates of an earlier id and unparsable texts rejected).
/// Returns the number of rejections, including those `visit` reported.
///
/// A Parquet, CSV or Arrow IPC file (by its extension) is read by its columns, as
/// `score` reads it, where `columns` gives the model they are read for
/// and the as-of date of rows without one; without it, such a file is
/// refused (`diff`, whose two models may read different columns, reads
/// one with [`for_each_row_pair`]).
pub(crate) fn for_each_chunk(
    path: &str,
    columns: Option<(&Model, Option<chrono::NaiveDate>)>,
    visit: impl FnMut(Chunk, &Rejections<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    for_each_chunk_watching(path, columns, None, visit)
}

/// [`for_each_chunk`], noting where the account `watch` is first
/// rejected ([`Rejections::watched`], by the time `visit` sees the chunk
/// it is in, and after `visit` binds it): `explain` then says the account
/// is there but was rejected, not that there is no such account.
pub(crate) fn for_each_chunk_watching(
    path: &str,
    columns: Option<(&Model, Option<chrono::NaiveDate>)>,
    watch: Option<&str>,
    mut visit: impl FnMut(Chunk, &Rejections<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    let columnar = columnar(path)?;
    if let Some(format) = columnar {
        let Some((model, as_of)) = columns else {
            let kind = match format {
                healthscore_arrow::Format::Parquet => "a Parquet file",
                healthscore_arrow::Format::Csv => "a CSV file",
                _ => "an Arrow file",
            };
            return Err(format!(
                "{path}: {kind} of columns; here accounts are read as JSON lines (or a JSON array)"
            ));
        };
        return for_each_row_chunk(path, model, as_of, watch, visit);
    }
    let progress = Progress::for_input("reading", path);
    let mut input = open_input(path, &progress)?;
    let rejections = Rejections::new(&progress, path, watch);
    let mut seen: HashSet<String> = HashSet::new();
    let mut units: Vec<Unit> = Vec::with_capacity(CHUNK);
    let mut shape = Shape::Lines;
    let mut failed: Option<String> = None;
    let mut flush = |shape: Shape, units: &mut Vec<Unit>| -> Result<(), String> {
        let parsed: Vec<(u64, Result<AccountData, String>)> = std::mem::take(units)
            .into_par_iter()
            .map(|Unit { place, text, .. }| {
                let data = text.and_then(|text| {
                    serde_json::from_str::<AccountData>(&text).map_err(|e| {
                        let id = id_in_text(&text).unwrap_or_else(|| "(no id)".to_string());
                        format!("account {id}: {}", describe_json_error(&text, &e))
                    })
                });
                (place, data)
            })
            .collect();
        progress.add(parsed.len() as u64);
        let mut accounts = Vec::with_capacity(parsed.len());
        for (place, data) in parsed {
            match data {
                Ok(d) if first_seen(&mut seen, &d.id) => accounts.push((place, d)),
                Ok(d) => rejections.reject(
                    shape,
                    place,
                    &format!("account {}: duplicate id (the first is kept)", d.id),
                ),
                Err(why) => rejections.reject(shape, place, &why),
            }
        }
        let visited = visit(Chunk { shape, accounts }, &rejections);
        rejections.flush();
        visited
    };
    let read = split(
        &mut input,
        &mut |s, u| {
            shape = s;
            units.push(u);
            if units.len() == CHUNK {
                if let Err(e) = flush(s, &mut units) {
                    failed = Some(e);
                    return false;
                }
            }
            true
        },
        &mut |w| progress.eprint(&format!("warning: {path}: {w}\n")),
    );
    if let Some(e) = failed {
        return Err(e);
    }
    // What was read before a fault or the end is always counted.
    flush(shape, &mut units)?;
    rejections.close();
    progress.finish();
    read.map_err(|e| format!("{path}: {e}"))?;
    Ok(rejections.count())
}

/// [`for_each_chunk`] for a Parquet, CSV or Arrow file: the rows of its record
/// batches as accounts, read by `model`'s columns.
fn for_each_row_chunk(
    path: &str,
    model: &Model,
    as_of: Option<chrono::NaiveDate>,
    watch: Option<&str>,
    mut visit: impl FnMut(Chunk, &Rejections<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    let progress = Progress::for_rows("reading");
    let rejections = Rejections::new(&progress, path, watch);
    let mut seen: HashSet<String> = HashSet::new();
    let options = healthscore_arrow::Options {
        as_of,
        ..healthscore_arrow::Options::default()
    };
    let mut done = 0u64;
    healthscore_arrow::read_accounts(model, path.as_ref(), &options, |first, rows| {
        let mut accounts = Vec::with_capacity(rows.len());
        for (place, row) in (first + 1..).zip(rows) {
            match row {
                Ok(d) if first_seen(&mut seen, &d.id) => accounts.push((place, d)),
                Ok(d) => rejections.reject(
                    Shape::Rows,
                    place,
                    &format!("account {}: duplicate id (the first is kept)", d.id),
                ),
                Err(why) => rejections.reject(Shape::Rows, place, &why),
            }
            done += 1;
        }
        progress.rows(done, None);
        let chunk = Chunk {
            shape: Shape::Rows,
            accounts,
        };
        let visited = visit(chunk, &rejections).map_err(StopReading::Visit);
        rejections.flush();
        visited
    })
    .map_err(|e| match e {
        StopReading::Visit(e) => e,
        StopReading::File(e) => describe(&e),
    })?;
    rejections.close();
    progress.finish();
    Ok(rejections.count())
}

/// Two accounts per row of a Parquet, CSV or Arrow file, as each of two models
/// reads it (`diff`: a metric one model adds or drops is a column only
/// one of them reads): the file is read once per model, on two threads in
/// step, a piece at a time (as [`healthscore_arrow::read_accounts`] hands
/// them out). `visit` gets each piece's rows that
/// both read, with their places (counted from 1); a row either cannot
/// read is rejected, once, with what each said (once where they said the
/// same), and so is a repeated id. Returns the number of rejections,
/// including those `visit` reported.
pub(crate) fn for_each_row_pair(
    path: &str,
    models: [&Model; 2],
    as_of: Option<chrono::NaiveDate>,
    mut visit: impl FnMut(Vec<(u64, AccountData, AccountData)>, &Rejections<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    type Rows = (u64, Vec<Result<AccountData, String>>);
    let progress = Progress::for_rows("reading");
    let rejections = Rejections::new(&progress, path, None);
    let options = healthscore_arrow::Options {
        as_of,
        ..healthscore_arrow::Options::default()
    };
    let [old, new] = models;
    let mut seen: HashSet<String> = HashSet::new();
    let mut done = 0u64;
    let (send, receive) = std::sync::mpsc::sync_channel::<Rows>(1);
    let (old_read, new_read) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let send = send;
            healthscore_arrow::read_accounts(old, path.as_ref(), &options, |first, rows| {
                // A closed channel: the other reading ended first.
                send.send((first, rows))
                    .map_err(|_| StopReading::Visit(String::new()))
            })
        });
        let new_read = healthscore_arrow::read_accounts(
            new,
            path.as_ref(),
            &options,
            |first, rows| {
                let Ok((old_first, old_rows)) = receive.recv() else {
                    // The old model's reading failed: its error is the one to say.
                    return Err(StopReading::Visit(String::new()));
                };
                if old_first != first || old_rows.len() != rows.len() {
                    return Err(StopReading::Visit(format!(
                        "{path}: the two readings of the file parted at row {} (did it change while read?)",
                        first + 1
                    )));
                }
                let mut pairs = Vec::with_capacity(rows.len());
                for ((place, o), n) in (first + 1..).zip(old_rows).zip(rows) {
                    done += 1;
                    let id = match (&o, &n) {
                        (Ok(d), _) | (_, Ok(d)) => d.id.clone(),
                        _ => String::new(),
                    };
                    match (o, n) {
                        (Ok(o), Ok(n)) if first_seen(&mut seen, &id) => pairs.push((place, o, n)),
                        (Ok(_), Ok(_)) => rejections.reject(
                            Shape::Rows,
                            place,
                            &format!("account {id}: duplicate id (the first is kept)"),
                        ),
                        (Err(a), Err(b)) if a == b => rejections.reject(Shape::Rows, place, &a),
                        (o, n) => {
                            let whys: Vec<String> =
                                [("old model", o.err()), ("new model", n.err())]
                                    .into_iter()
                                    .filter_map(|(which, why)| Some(format!("{which}: {}", why?)))
                                    .collect();
                            rejections.reject(Shape::Rows, place, &whys.join("; "));
                        }
                    }
                }
                progress.rows(done, None);
                let visited = visit(pairs, &rejections).map_err(StopReading::Visit);
                rejections.flush();
                visited
            },
        );
        // Ends the old model's reading if the new one's ended first.
        drop(receive);
        let old_read = reader
            .join()
            .unwrap_or_else(|_| Err(StopReading::Visit("the old model's reading failed".into())));
        (old_read, new_read)
    });
    rejections.close();
    progress.finish();
    let say = |which: &str, e: StopReading| match e {
        StopReading::Visit(e) => e,
        StopReading::File(e) => format!("{which}: {}", describe(&e)),
    };
    match (old_read, new_read) {
        // The file's own error, whichever model reads it (no `as_of`
        // column, a file that cannot be read): said once, of neither.
        (Err(StopReading::File(a)), Err(StopReading::File(b))) if describe(&a) == describe(&b) => {
            Err(describe(&a))
        }
        // The old model's own error (its columns do not fit the file) is
        // what stopped both.
        (Err(e @ StopReading::File(_)), _) => Err(say("old model", e)),
        (_, Err(e)) => Err(say("new model", e)),
        // The old model's reading had rows left when the new one's ended.
        (Err(_), Ok(())) => Err(format!(
            "{path}: the two readings of the file parted at its end (did it change while read?)"
        )),
        (Ok(()), Ok(())) => Ok(rejections.count()),
    }
}

/// A columnar file's error as the command-line tool says it: with the
/// flag that mends it where there is one (a file without an `as_of`
/// column needs `--as-of`).
pub(crate) fn describe(e: &healthscore_arrow::Error) -> String {
    use healthscore_arrow::Error;
    let source = match e {
        Error::File { source, .. } => source.as_ref(),
        other => other,
    };
    match source {
        Error::Column { column, problem }
            if column == "as_of" && problem.starts_with("missing") =>
        {
            format!("{e} (pass --as-of YYYY-MM-DD: the date the scores are as of)")
        }
        Error::Columns { columns, .. } if columns.iter().any(|c| c == "as_of") => {
            format!("{e} (pass --as-of YYYY-MM-DD for as_of: the date the scores are as of)")
        }
        _ => e.to_string(),
    }
}

/// Why reading a file of columns stopped.
pub(crate) enum StopReading {
    /// The file's own error.
    File(healthscore_arrow::Error),
    /// What the caller's visit returned.
    Visit(String),
}

impl From<healthscore_arrow::Error> for StopReading {
    fn from(e: healthscore_arrow::Error) -> Self {
        StopReading::File(e)
    }
}

/// Binds accounts under a model on every core, keeping their places (in
/// input order); those it refuses are rejected with their place.
pub(crate) fn bind<'m>(
    model: &'m Model,
    shape: Shape,
    accounts: Vec<(u64, AccountData)>,
    rejections: &Rejections<'_>,
) -> Vec<(u64, Account<'m>)> {
    let (bound, refused) = try_bind(model, accounts);
    for (place, why) in refused {
        rejections.reject(shape, place, &why);
    }
    bound
}

/// Binds accounts under a model on every core: the accounts bound and the
/// places refused with why, both in input order.
#[allow(clippy::type_complexity)]
pub(crate) fn try_bind<'m>(
    model: &'m Model,
    accounts: Vec<(u64, AccountData)>,
) -> (Vec<(u64, Account<'m>)>, Vec<(u64, String)>) {
    let results: Vec<(u64, Result<Account<'m>, String>)> = accounts
        .into_par_iter()
        .map(|(place, data)| (place, model.bind(data).map_err(|e| e.to_string())))
        .collect();
    let (mut bound, mut refused) = (Vec::with_capacity(results.len()), Vec::new());
    for (place, result) in results {
        match result {
            Ok(a) => bound.push((place, a)),
            Err(why) => refused.push((place, why)),
        }
    }
    (bound, refused)
}

/// The format of the accounts at `path` when they are columns: a file's
/// by its extension, a directory's by its parts' (an export of one table
/// in several files); `None` for JSON.
///
/// # Errors
///
/// A directory that is not parts of one table, saying why.
pub(crate) fn columnar(path: &str) -> Result<Option<healthscore_arrow::Format>, String> {
    match healthscore_arrow::Format::of_accounts(path.as_ref()) {
        Ok(format) => Ok(Some(format).filter(|f| f.is_columnar())),
        Err(e) if std::path::Path::new(path).is_dir() => Err(e.to_string()),
        Err(_) => Ok(None),
    }
}

/// Whether `id` is seen for the first time (remembered now). A blank id
/// (empty or only white space) is no id: never a repeat, so that binding
/// rejects it for what it is (`id is missing`), not as a duplicate of the
/// blank before it.
fn first_seen(seen: &mut HashSet<String>, id: &str) -> bool {
    healthscore::batch::RowId::Text(id).is_blank() || seen.insert(id.to_string())
}
