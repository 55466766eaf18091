//! Parquet, CSV, Arrow IPC and JSON-lines files in and out, streamed a
//! record batch at a time (memory bounded by the batch size and the ids seen, not the
//! rest of the file).

use crate::ids::Ids;
use crate::projection::projection;
use crate::results_file::ResultsFile;
use crate::{result_fields, score_batch_into, Error, Format, Options, ScoreBuffers};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};
use healthscore::batch::Scorer;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// What scoring a file did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Rows read.
    pub rows: u64,
    /// Rows rejected (their `error` column says why).
    pub rejected: u64,
    /// The first rejected row's `error` (`account 7: line 9 is not UTF-8
    /// text …`): where every row is rejected for one reason, what to fix.
    pub first_rejected: Option<String>,
    /// Record batches read.
    pub batches: u64,
    /// The rows the file says it holds, known before they are read
    /// (Parquet's metadata); `None` for CSV.
    pub expected_rows: Option<u64>,
    /// With [`Options::rules`]: the `<name>__date` and `<name>__event`
    /// columns that no rule reads, which are ignored (a misspelt
    /// `renewwal__date` would otherwise keep every renewal rule quiet
    /// without a word).
    pub unread_dates: Vec<String>,
    /// The model's metrics whose column has no value in any row read so
    /// far (every cell empty), in model order; empty when no row was read.
    /// Every account is scored without them: a column an export lost, or
    /// a metric renamed upstream, shows here rather than only as
    /// "missing" in each row's explanation.
    pub metrics_without_values: Vec<String>,
}

/// Rows per record batch that [`score_file`] reads (and scores, and
/// writes) at a time: 16,384. A Parquet file's row groups, a CSV file's
/// lines and an Arrow IPC file's record batches are read in slices of at
/// most this many rows, so that memory stays bounded whatever the file
/// size; [`score_file_with_progress`] reports after each.
///
/// It was 65,536. Scoring 1,000,000 v0m accounts from Parquet to Parquet
/// with `healthscore score` took 0.21 s and 88 MB at most in five runs
/// against 0.23–0.24 s and 118 MB (two threads; one thread: 0.31–0.32 s
/// against 0.33–0.34 s, 84 against 96 MB), and CSV to CSV 136 MB against
/// 181 MB in the same time (the Zen 4 VM, 2026-12-04): a batch's results
/// (about 110 bytes a row) then stay in a core's cache between scoring
/// and writing. 8,192 was no faster, and would leave a scorer of two
/// threads one ([`Scorer::threads_for`](healthscore::batch::Scorer::threads_for)).
///
/// # Examples
///
/// ```
/// assert_eq!(healthscore_arrow::FILE_BATCH_ROWS, 16_384);
/// ```
pub const FILE_BATCH_ROWS: usize = 16_384;

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Scores a Parquet, CSV or Arrow IPC file of accounts into a Parquet,
/// CSV, JSON-lines or Arrow IPC file of results ([`Format`], by
/// extension), a record batch ([`FILE_BATCH_ROWS`] rows) at a time.
/// The output is written to a temporary file beside `output` (see
/// [`temporary_path`](crate::temporary_path)) and renamed over it at the
/// end, so an interrupted run leaves any previous output whole; a
/// symbolic link is followed (the file it names is replaced), and a named
/// pipe or a device is written in place. A CSV file's columns are read
/// as text and converted by the scorer, so that a cell that is not a
/// number or a date rejects its row (its `error` says which column and
/// why), not the file; a line with the wrong number of fields is an error
/// naming the line.
///
/// Only the columns scoring reads are decoded (the conventions', the
/// metrics', their `__observed_on` and `__author`, `__date` and `__event`
/// columns): a
/// warehouse export's notes, names and attributes are skipped, in Parquet
/// without being decompressed. Where a column the model needs is not
/// there by its exact name, every column is read, so that the error can
/// name the one called almost like it.
///
/// A row whose id an earlier row of the file had is rejected, as the JSON
/// path rejects it (`account 7: duplicate id, first seen at row 3 (the
/// first is kept)`), so that no account is counted twice. The ids seen
/// are kept, 16 bytes an integer id and 32 a text id (a 128-bit
/// fingerprint and the row): besides the batch, the only memory that
/// grows with the file. A file sorted by id is checked by order alone,
/// at almost no cost.
///
/// With a scorer of more than one thread ([`Scorer::threads`]), the
/// accounts are read and scored on a second thread while the batch
/// before is written on the caller's: reading a Parquet file and writing
/// Parquet results take both cores. The results, the progress reports
/// and the errors are the same as with one thread (a test compares the
/// files byte for byte); at most two batches are in hand at once.
///
/// # Errors
///
/// [`Error`] for a file that cannot be read or written, a format not
/// known by its extension, an output that is the input file
/// ([`Error::SameFile`]: nothing is written), or columns that do not fit
/// (see [`score_batch`](crate::score_batch)), with or without rows. Every
/// error names its file: the accounts' ([`Error::File`], [`Error::Io`]:
/// a corrupt Parquet footer, a CSV line short of fields, a missing
/// column) or the results' as named here ([`Error::Output`]: a full disk,
/// a directory that does not exist). The results are written to disk
/// (`fsync`) before the rename.
pub fn score_file(
    scorer: &Scorer<'_>,
    input: &Path,
    output: &Path,
    options: &Options,
) -> Result<FileStats, Error> {
    score_file_with_progress(scorer, input, output, options, |_| {})
}

/// [`score_file`], calling `progress` after each record batch's results
/// are written, with what has been done so far: rows, rejected rows and
/// batches, and for Parquet the rows the file holds
/// ([`FileStats::expected_rows`]), so that a caller can show how far it
/// has got and the time left (the command-line tool draws a bar).
///
/// # Errors
///
/// As [`score_file`].
///
/// # Examples
///
/// ```no_run
/// # let model: healthscore::Model = todo!();
/// use healthscore_arrow::{score_file_with_progress, Options};
/// let scorer = healthscore::batch::Scorer::new(&model);
/// let stats = score_file_with_progress(
///     &scorer,
///     "accounts.parquet".as_ref(),
///     "scores.parquet".as_ref(),
///     &Options::default(),
///     |done| eprintln!("{} of {:?} rows", done.rows, done.expected_rows),
/// )?;
/// # Ok::<(), healthscore_arrow::Error>(())
/// ```
pub fn score_file_with_progress(
    scorer: &Scorer<'_>,
    input: &Path,
    output: &Path,
    options: &Options,
    mut progress: impl FnMut(&FileStats),
) -> Result<FileStats, Error> {
    let in_format = Format::of_accounts(input)?;
    // An output of an unknown extension fails before a row is read.
    Format::of(output)?;
    // Nor into a directory of parts being read: the results would be
    // read as a part of the accounts the next time.
    let into = output.parent().filter(|p| !p.as_os_str().is_empty());
    let into = std::fs::canonicalize(into.unwrap_or(Path::new(".")));
    if let (true, Ok(into), Ok(dir)) = (input.is_dir(), into, std::fs::canonicalize(input)) {
        if into == dir {
            return Err(Error::Parts {
                path: input.display().to_string(),
                why: format!(
                    "the results ({}) would be written among its parts, and read as one the next time: write them elsewhere",
                    output.display()
                ),
            });
        }
    }
    if !in_format.is_columnar() {
        return Err(Error::Format(format!(
            "{} (JSON lines are read by `healthscore score`)",
            input.display()
        )));
    }
    // The output is renamed over its path at the end: never over the
    // accounts being read (as `--out` mistyped for `--accounts` would).
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        if a == b {
            return Err(Error::SameFile(output.display().to_string()));
        }
    }
    run(scorer, (input, in_format), output, options, &mut progress)
}

/// An accounts file opened for record batches of [`FILE_BATCH_ROWS`] rows.
pub(crate) struct Opened {
    /// The record batches.
    pub(crate) reader: Box<dyn arrow_array::RecordBatchReader + Send>,
    /// The ids seen so far (none yet).
    pub(crate) ids: Ids,
    /// The rows the file says it holds (Parquet's metadata).
    pub(crate) expected_rows: Option<u64>,
    /// The CSV rows `Ragged` notes as they are read.
    pub(crate) ragged: crate::ragged::Found,
}

/// Opens `input` (Parquet, CSV or Arrow IPC; or a directory of Parquet
/// or Arrow parts, [`parts`](crate::parts)) for reading: only the columns
/// `model` reads are decoded, a CSV file's columns as text and through
/// [`Ragged`](crate::ragged::Ragged). Errors name the file.
pub(crate) fn open(
    model: &healthscore::Model,
    input: &Path,
    in_format: Format,
) -> Result<Opened, Error> {
    if input.is_dir() {
        return crate::parts::open(model, input);
    }
    open_file(input, in_format, |schema| projection(model, schema))
}

/// Opens the file `input` with the columns `project` picks from its
/// schema (all of them for `None`).
pub(crate) fn open_file(
    input: &Path,
    in_format: Format,
    project: impl Fn(&Schema) -> Option<Vec<usize>>,
) -> Result<Opened, Error> {
    let read = |e: Error| e.in_file(input);
    if in_format == Format::Csv {
        crate::compressed::regular(input)?;
    }
    let file = File::open(input).map_err(io(input))?;
    let mut ids = Ids::default();
    let mut expected_rows = None;
    let ragged = crate::ragged::Found::default();
    let reader: Box<dyn arrow_array::RecordBatchReader + Send> = match in_format {
        Format::Parquet => {
            // (A damaged Arrow schema in the file's metadata panics the
            // reader, and page decoding may: caught, as damaged data.)
            let stopped = |panic: String| {
                parquet::errors::ParquetError::General(format!(
                    "the Parquet reader stopped on this file ({panic}): a damaged file?"
                ))
            };
            let mut builder = crate::quiet_panics::catch(|| {
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            })
            .unwrap_or_else(|panic| Err(stopped(panic)))
            .map_err(|e| match crate::parquet_file::not_parquet(input) {
                Some(what) => Error::NotParquet {
                    path: input.display().to_string(),
                    what,
                    source: e,
                },
                None => read(e.into()),
            })?;
            let rows = builder.metadata().file_metadata().num_rows();
            ids.expect(rows);
            expected_rows = u64::try_from(rows).ok();
            // Columns the model does not read are not decoded.
            if let Some(columns) = project(builder.schema()) {
                let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), columns);
                builder = builder.with_projection(mask);
            }
            let built =
                crate::quiet_panics::catch(|| builder.with_batch_size(FILE_BATCH_ROWS).build())
                    .unwrap_or_else(|panic| Err(stopped(panic)))
                    .map_err(|e| read(e.into()))?;
            Box::new(crate::quiet_panics::Caught::new(Box::new(built), "Parquet"))
        }
        Format::Arrow | Format::ArrowStream => {
            crate::ipc_file::open(input, &project, FILE_BATCH_ROWS).map_err(read)?
        }
        Format::Csv | Format::JsonLines => {
            let schema = crate::csv_schema::csv_schema(input).map_err(read)?;
            let columns = project(&schema);
            let mut builder = arrow_csv::ReaderBuilder::new(Arc::new(schema))
                .with_header(true)
                .with_batch_size(FILE_BATCH_ROWS);
            if let Some(columns) = columns {
                builder = builder.with_projection(columns);
            }
            let text = crate::compressed::open(input).map_err(read)?;
            let file = crate::ragged::Ragged::new(text, ragged.clone());
            Box::new(builder.build(file).map_err(|e| read(e.into()))?)
        }
    };
    Ok(Opened {
        reader,
        ids,
        expected_rows,
        ragged,
    })
}

/// `batch` in the file's `schema`, where it differs only in columns
/// without a value (a part whose `id` or `mrr` column is all null, read
/// as text, in a table of integers or decimals): those as nulls of the
/// file's type. `None` where nothing differs; where a column with values
/// differs, the batch as it is (the writer then says so).
fn conform(
    batch: &RecordBatch,
    schema: &arrow_schema::SchemaRef,
) -> Result<Option<RecordBatch>, Error> {
    if batch.schema_ref().fields() == schema.fields() {
        return Ok(None);
    }
    if batch.num_columns() != schema.fields().len() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (column, field) in batch.columns().iter().zip(schema.fields()) {
        if column.data_type() == field.data_type() {
            columns.push(column.clone());
        } else if column.logical_null_count() == column.len() {
            columns.push(arrow_array::new_null_array(field.data_type(), column.len()));
        } else {
            return Ok(None);
        }
    }
    Ok(Some(RecordBatch::try_new(schema.clone(), columns)?))
}

/// How results are written as Parquet: the parquet crate's defaults
/// (uncompressed, dictionary pages), except that `id`, `score` and the
/// four dimension scores go without a dictionary. Their values are
/// mostly distinct, so the writer filled a dictionary per row group
/// until it outgrew its page and fell back to plain values anyway,
/// hashing every value on the way: 20% of the time of a Parquet file to
/// Parquet results. Without it, `healthscore score --no-drivers` on
/// gen.py's 1,000,000 accounts went from 0.53–0.57 s to 0.41–0.43 on one
/// thread and from 0.37–0.39 to 0.30–0.32 on two (three runs each, the
/// 2-core AVX2 VM, 2026-12-02), for a file 8.5% larger (the dictionary
/// had held the first rows of each row group). Bands, segments,
/// scorecards, drivers, coverage, CTAs and errors, which repeat, keep
/// theirs (a test reads the encodings back).
///
/// The schema's metadata ([`results_metadata`](crate::results_metadata))
/// also goes into the file's own key-value metadata, where readers that
/// do not decode Arrow's schema find it (polars'
/// `read_parquet_metadata`, a Parquet tool's key-value view), in key order.
pub(crate) fn parquet_properties(
    metadata: &std::collections::HashMap<String, String>,
) -> parquet::file::properties::WriterProperties {
    use parquet::schema::types::ColumnPath;
    let mut properties = parquet::file::properties::WriterProperties::builder();
    if !metadata.is_empty() {
        let mut pairs: Vec<_> = metadata.iter().collect();
        pairs.sort();
        properties = properties.set_key_value_metadata(Some(
            pairs
                .into_iter()
                .map(|(k, v)| parquet::file::metadata::KeyValue::new(k.clone(), v.clone()))
                .collect(),
        ));
    }
    for column in [
        "id",
        "mrr",
        "score",
        "deployment",
        "engagement",
        "adoption",
        "roi",
    ] {
        properties = properties.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    properties.build()
}

fn run(
    scorer: &Scorer<'_>,
    (input, in_format): (&Path, Format),
    output: &Path,
    options: &Options,
    progress: &mut dyn FnMut(&FileStats),
) -> Result<FileStats, Error> {
    // Every error names its file: the accounts', or the results' as the
    // caller named them (not their temporary file's).
    let read = |e: Error| e.in_file(input);
    let Opened {
        reader,
        ids,
        expected_rows,
        ragged,
    } = open(scorer.model(), input, in_format)?;
    // The output's schema is known before the first row: `id` as read,
    // then the result columns. A file with no rows still gets it.
    let mut fields: Vec<Arc<Field>> = Vec::new();
    // An Arrow IPC file holds one dictionary per column for the whole
    // file: a dictionary-encoded `id` (a pandas categorical in Parquet),
    // whose values change from batch to batch, goes as its values.
    let mut plain_id = None;
    if let Some((_, id)) = reader.schema().column_with_name("id") {
        match id.data_type() {
            DataType::Dictionary(_, values) if Format::of(output)? == Format::Arrow => {
                plain_id = Some(values.as_ref().clone());
                fields.push(Arc::new(id.clone().with_data_type(values.as_ref().clone())));
            }
            _ => fields.push(Arc::new(id.clone())),
        }
    }
    if options.history {
        let mrr = reader
            .schema()
            .column_with_name("mrr")
            .map(|(_, f)| f.data_type().clone());
        fields.extend(crate::history::fields(crate::history::mrr_type(mrr.as_ref())).map(Arc::new));
    }
    let rest = Options {
        history: false,
        ..options.clone()
    };
    fields.extend(result_fields(&rest).iter().cloned());
    // Hidden, beside the output (the same file system, so the rename is
    // atomic), named as the CLI's state and report files are while
    // written; removed if anything below fails.
    let schema =
        Schema::new(fields).with_metadata(crate::results_metadata(scorer.model(), options));
    let schema = Arc::new(schema);
    let mut writer = ResultsFile::create(output, schema.clone())?;
    let mut stats = FileStats {
        expected_rows,
        ..FileStats::default()
    };
    let input_schema = reader.schema();
    if let Some(rules) = &options.rules {
        stats.unread_dates = input_schema
            .fields()
            .iter()
            .map(|f| f.name())
            .filter(|n| {
                n.strip_suffix("__date")
                    .is_some_and(|d| !rules.reads_date(d))
                    || n.strip_suffix("__event")
                        .is_some_and(|e| !rules.reads_event(e))
            })
            .cloned()
            .collect();
    }
    let ids = (ids, ragged);
    // Per metric, in model order: the cells read with a value.
    let mut valued = vec![0u64; scorer.model().metric_count()];
    crate::pipeline::score_all(scorer, reader, input, options, ids, |accounts, scored| {
        for (n, id) in valued.iter_mut().zip(scorer.model().metric_ids()) {
            if let Some(column) = accounts.column_by_name(id) {
                *n += (column.len() - column.logical_null_count()) as u64;
            }
        }
        // So far: each progress report says it too.
        if accounts.num_rows() > 0 {
            stats.metrics_without_values = scorer
                .model()
                .metric_ids()
                .zip(&valued)
                .filter(|(_, n)| **n == 0)
                .map(|(id, _)| id.to_string())
                .collect();
        }
        stats.rows += scored.num_rows() as u64;
        stats.batches += 1;
        if let Some(e) = scored.column_by_name("error") {
            stats.rejected += (e.len() - e.null_count()) as u64;
            if stats.first_rejected.is_none() && e.null_count() < e.len() {
                use arrow_array::cast::AsArray;
                stats.first_rejected = e
                    .as_string_opt::<i32>()
                    .and_then(|e| e.iter().flatten().next())
                    .map(str::to_string);
            }
        }
        let conformed = conform(scored, &schema)?;
        let scored = conformed.as_ref().unwrap_or(scored);
        match &plain_id {
            Some(values) => writer.write(&with_plain_id(scored, values)?)?,
            None => writer.write(scored)?,
        }
        progress(&stats);
        Ok(())
    })?;
    if stats.rows == 0 {
        // A file without rows still has columns to check (a CSV file
        // with only its header line, or nothing at all): the same errors
        // as with rows. (A CSV results file gets its header line.)
        score_batch_into(
            scorer,
            &RecordBatch::new_empty(input_schema),
            options,
            &mut ScoreBuffers::new(),
        )
        .map_err(read)?;
    }
    writer.finish()?;
    Ok(stats)
}

/// `batch` with its first column, `id`, cast from a dictionary to its
/// values (`values`).
fn with_plain_id(batch: &RecordBatch, values: &DataType) -> Result<RecordBatch, Error> {
    let mut columns = batch.columns().to_vec();
    let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
    if let (Some(column), Some(field)) = (columns.first_mut(), fields.first_mut()) {
        *column = arrow_cast::cast(column, values)?;
        *field = Arc::new(field.as_ref().clone().with_data_type(values.clone()));
    }
    let schema = Schema::new(fields).with_metadata(batch.schema().metadata().clone());
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}
