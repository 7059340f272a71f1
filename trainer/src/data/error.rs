//! Error types of the data pipeline, one per operation: loading a file ([`LoadError`]),
//! building a dataset from it ([`DatasetError`]), materializing a batch ([`BatchError`]) and
//! converting a TMY3 file ([`ConvertError`]).
//!
//! Every error about a row carries the 1-based line number of the file where that row starts
//! (the metadata line of a TMY3 file is line 1, its header line 2).

use std::path::PathBuf;

use super::timestamp::TimestampError;

/// Joins column names (or cells) for a message: `` `a`, `b`, `c` ``.
pub fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// Why a CSV file could not be loaded into a [`Series`](super::Series).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The input could not be read.
    #[error("cannot read the input: {source}")]
    Read {
        /// What the reader said.
        source: std::io::Error,
    },
    /// The CSV layer failed on a record.
    #[error("line {line}: {source}")]
    Csv {
        /// Line where the failing record starts.
        line: u64,
        /// The CSV reader's error.
        source: csv::Error,
    },
    /// The file has no header line.
    #[error("the file is empty: no header line")]
    NoHeader,
    /// Two header fields have the same name, so a column name would be ambiguous.
    #[error("line {line}: column `{name}` appears twice in the header")]
    DuplicateColumn {
        /// The header line.
        line: u64,
        /// The repeated name.
        name: String,
    },
    /// The TMY3 station metadata line does not give a usable UTC offset.
    #[error(
        "line {line}: TMY3 metadata: field 4 (UTC offset in hours) is `{value}`, not a number \
         of hours"
    )]
    Tmy3Metadata {
        /// The metadata line (normally 1).
        line: u64,
        /// The offending text.
        value: String,
    },
    /// An EnergyPlus weather file's eighth header line is not its `DATA PERIODS` line.
    #[error(
        "line {line}: an EnergyPlus weather (EPW) file has 8 header lines, `LOCATION` to \
         `DATA PERIODS`, above its data; this line starts with `{found}`"
    )]
    EpwHeader {
        /// The line where `DATA PERIODS` should be (normally 8).
        line: u64,
        /// Its first field.
        found: String,
    },
    /// An EnergyPlus weather file's data row has too few fields, or non-empty ones past the
    /// last.
    #[error(
        "line {line}: {found} fields, but an EnergyPlus weather (EPW) data row has 35 (at \
         least 7: the time fields, the source flags and the dry-bulb temperature)"
    )]
    EpwFieldCount {
        /// Line of the row.
        line: u64,
        /// Fields in this row.
        found: usize,
    },
    /// No column holds timestamps in a known layout.
    #[error(
        "no timestamp column: no column's first data cell is an ISO 8601, Jena or spreadsheet \
         date, there are no TMY3 `Date (MM/DD/YYYY)`/`Time (HH:MM)` columns nor `year`, `month`, \
         `day` (and `hour`) columns, no column named `date`, `day` or `yyyymmdd[hh[mm[ss]]]` \
         holds dates written as digits (`2023050114`), and no column of numbers is named \
         `time`, `timestamp`, `epoch`, `unix`, `elapsed`, `uptime`, `millis`, `ms` or `seconds` \
         (a Unix time or a count; `--time-column` names any other; rows without a time: \
         `--sample-period 10s`); \
         columns: {}",
        list(.available)
    )]
    NoTimestampColumn {
        /// The header's column names.
        available: Vec<String>,
    },
    /// A sample period for rows without a time was given with something that gives them one.
    #[error("a sample period gives every row its time, so it cannot be given with {with}")]
    SamplePeriodConflict {
        /// What else was given.
        with: &'static str,
    },
    /// A sample period for rows without a time that is not a positive time.
    #[error("the sample period must be positive, not {ms} ms")]
    SamplePeriodNotPositive {
        /// The period given, in milliseconds.
        ms: i64,
    },
    /// Dates with two digits last whose last field changes more often than their first: the
    /// year is first (`YY.MM.DD`), which the loader does not read.
    #[error(
        "column `{column}`: dates like `{value}` end in two digits that change more often than \
         the first field, so the year is not last: write the dates as YYYY-MM-DD"
    )]
    TwoDigitYearFirst {
        /// The date column.
        column: String,
        /// Its first cell.
        value: String,
    },
    /// Day-first or month-first dates, and no date of the column says which.
    #[error(
        "column `{column}`: dates like `{value}` can be day/month or month/day, and the file's \
         dates do not tell which: write them as YYYY-MM-DD"
    )]
    AmbiguousDates {
        /// The date column.
        column: String,
        /// Its first cell.
        value: String,
    },
    /// A column of numbers is the time, but neither its name nor its values say the unit.
    #[error(
        "column `{column}` is the time, but `{value}` is no Unix time (before 1973) and the name \
         gives no unit: name it `{column}_s` or `{column}_ms` (or `{column} (s)`, `{column} [ms]`)"
    )]
    TimeUnitUnknown {
        /// The time column.
        column: String,
        /// Its first data cell.
        value: String,
    },
    /// A column named in the configuration is not in the header.
    #[error("unknown {role} column `{name}`; available columns: {}", list(.available))]
    UnknownColumn {
        /// What the column was wanted for: `timestamp`, `segment`.
        role: &'static str,
        /// The name that was given.
        name: String,
        /// The header's column names.
        available: Vec<String>,
    },
    /// A row has a different number of fields than the header.
    #[error("line {line}: {found} fields, but the header has {expected}")]
    FieldCount {
        /// Line where the row starts.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A row is not valid UTF-8.
    #[error("line {line}: not valid UTF-8")]
    NotUtf8 {
        /// Line where the row starts.
        line: u64,
    },
    /// A timestamp cell does not parse.
    #[error("line {line}, column `{column}`: bad timestamp `{value}`: {reason}")]
    BadTimestamp {
        /// Line of the row.
        line: u64,
        /// The timestamp column.
        column: String,
        /// The cell's text.
        value: String,
        /// What is wrong with it.
        reason: TimestampError,
    },
    /// A cell of a numeric column is not a number.
    #[error("line {line}, column `{column}`: `{value}` is not a number")]
    NotANumber {
        /// Line of the row.
        line: u64,
        /// The numeric column.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A row's timestamp is earlier than the previous row's.
    #[error(
        "line {line}, column `{column}`: time goes backwards: {} before the row on line \
         {previous_line} (rows must be in time order: --sort puts them in order)",
        super::series::Duration(*millis)
    )]
    TimeGoesBackwards {
        /// Line of the row.
        line: u64,
        /// The timestamp column.
        column: String,
        /// Line of the previous (kept) row.
        previous_line: u64,
        /// How many milliseconds earlier this row is.
        millis: i64,
    },
    /// Fewer than two distinct timestamps remain, so there is no sample period.
    #[error(
        "cannot find the sample period: {rows} usable rows with fewer than two distinct timestamps"
    )]
    NoSamplePeriod {
        /// Usable data rows.
        rows: usize,
    },
}

impl LoadError {
    /// The line of the row this error is about, if it is about one row (and so can be skipped
    /// with [`LoadConfig::skip_bad_rows`](super::LoadConfig::skip_bad_rows)).
    pub fn row_line(&self) -> Option<u64> {
        match self {
            Self::FieldCount { line, .. }
            | Self::EpwFieldCount { line, .. }
            | Self::NotUtf8 { line }
            | Self::BadTimestamp { line, .. }
            | Self::NotANumber { line, .. }
            | Self::TimeGoesBackwards { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Why a [`Dataset`](super::Dataset) could not be built from a series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// A feature, target or ignored column is not one of the series' numeric columns.
    #[error(
        "unknown {role} column `{name}`; {}",
        match unread.is_empty() {
            true => format!("numeric columns: {}", list(.available)),
            // (Columns left unread were not looked at: numeric or not, they are named.)
            false => format!(
                "the file's columns: {}",
                list(&.available.iter().chain(.unread).cloned().collect::<Vec<_>>())
            ),
        }
    )]
    UnknownColumn {
        /// What the column was wanted for: `target`, `feature`, `ignored`.
        role: &'static str,
        /// The name that was given.
        name: String,
        /// The series' numeric columns.
        available: Vec<String>,
        /// The file's columns left unread ([`LoadReport::unread_columns`](super::LoadReport::unread_columns)).
        unread: Vec<String>,
    },
    /// A feature or target column that is in the file but not numeric: its first value is not
    /// a number (or it has none).
    #[error(
        "the {role} column `{name}` is not numeric: {} (a column is read as numbers when its \
         first value is one, with a decimal point, or a decimal comma in a `;` file); numeric \
         columns: {}",
        match first {
            Some((line, value)) => format!("its first value is `{value}`, on line {line}"),
            None => "it has no values".to_owned(),
        },
        list(.available)
    )]
    NotNumeric {
        /// What the column was wanted for: `target`, `feature`.
        role: &'static str,
        /// The column.
        name: String,
        /// Its first value that is not missing, and its line.
        first: Option<(u64, String)>,
        /// The series' numeric columns.
        available: Vec<String>,
    },
    /// A feature is listed twice.
    #[error("feature `{name}` is listed twice")]
    DuplicateFeature {
        /// The repeated name.
        name: String,
    },
    /// No input channel is left.
    #[error("no features: every numeric column is ignored")]
    NoFeatures,
    /// The split fractions are not three non-negative numbers adding up to 1.
    #[error("split fractions {fractions:?} must be non-negative and add up to 1")]
    BadSplit {
        /// The fractions given.
        fractions: [f64; 3],
    },
    /// The training split has no rows, so there are no normalization statistics.
    #[error("the training split is empty ({rows} rows in all)")]
    EmptyTrainSplit {
        /// Rows in the series.
        rows: usize,
    },
    /// `lookback` or `step` is zero, or `lookback + delay` overflows.
    #[error(
        "bad window (lookback {lookback}, delay {delay}, step {step}): lookback and step must \
         be at least 1, and lookback + delay must fit in a usize"
    )]
    BadWindow {
        /// The lookback given.
        lookback: usize,
        /// The delay given.
        delay: usize,
        /// The step given.
        step: usize,
    },
}

/// Why a batch could not be materialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The row is not the start of a valid window in any split.
    #[error("row {start} is not the start of a valid window")]
    NotAWindowStart {
        /// The row given.
        start: usize,
    },
}

/// Why a TMY3 file could not be converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// Reading the source failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The source has no TMY3 date and time columns.
    #[error("not a TMY3 file: no `Date (MM/DD/YYYY)` and `Time (HH:MM)` columns")]
    NotTmy3,
    /// A requested channel is not a column of the source.
    #[error("unknown source column `{name}`; available columns: {}", list(.available))]
    UnknownColumn {
        /// The source column name that was given.
        name: String,
        /// The source header's column names.
        available: Vec<String>,
    },
    /// Writing the destination failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The destination file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}
