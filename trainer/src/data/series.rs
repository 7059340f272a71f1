//! Loading: a CSV file to a [`Series`] of numeric columns on a regular time grid.
//!
//! Steps, in order: read the header and the records ([`super::read`]); find the timestamp
//! column(s); classify the other columns as numeric or not; parse every row (bad rows are
//! errors or, with [`LoadConfig::skip_bad_rows`], skipped and counted); check that time never
//! goes backwards; then put the rows on the grid of their sample period ([`super::gaps`]).
//! The rules are in the docs of [`Series`].

use std::fmt;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::Path;

use super::error::{LoadError, list};
use super::gaps::{self, Rows};
use super::long;
use super::read::{BadRows, RawRow, RawTable, SkippedRow};
use super::timestamp::{self, DateLayout, DateOrder, TimestampError, TimestampFormat};
use super::tmy3::{self, Tmy3Columns};

/// How to read a CSV file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadConfig {
    /// The timestamp column; `None` detects it (see the module docs).
    pub timestamp_column: Option<String>,
    /// A column whose value changes start new segments (a sensor id, a recording run). It is
    /// compared as text, and it is not a default feature of a [`Dataset`](super::Dataset).
    pub segment_column: Option<String>,
    /// Skip and count bad rows instead of failing on the first one.
    pub skip_bad_rows: bool,
    /// Put the rows in time order first, for exports that are not: a stable sort over the whole
    /// file, so rows of the same time keep their order (and the later ones are dropped as
    /// duplicates). Rows whose time does not parse stay after the row before them. A file in
    /// order but for daylight-saving repeats in local time is left as it is (the clock change
    /// is taken out as without sorting), and one newest first but for them is reversed; in a
    /// file out of order otherwise, the rows of a repeated hour are merged (the later of equal
    /// times dropped as duplicates).
    pub sort_by_time: bool,
    /// Resample onto a grid of this many milliseconds first (irregular or event-driven logs):
    /// each row is the mean of the rows in its bin `[t, t + period)`, timed at `t`; bins
    /// without a row are gaps.
    pub resample_ms: Option<i64>,
    /// A long-format file's name and value columns (one reading per row; see
    /// [`long`](super::long)): `None` recognises Home Assistant's and InfluxDB's exports.
    pub long_format: Option<(String, String)>,
    /// Columns left unread (their cells are not parsed, so text in them is no error): the ones
    /// a user leaves out of the features (`--ignore`). A column in [`only_columns`] is read
    /// all the same.
    ///
    /// [`only_columns`]: Self::only_columns
    pub ignore_columns: Vec<String>,
    /// If given, the only columns read as numbers (the features named and the target): every
    /// other column but the time and segment columns is left unread.
    pub only_columns: Option<Vec<String>>,
    /// Rows without a time: each this many milliseconds after the one before, the first at 0
    /// (a logger or a serial capture that writes no time). No column is then read as the
    /// time; it cannot be given with [`timestamp_column`](Self::timestamp_column) or
    /// [`long_format`](Self::long_format).
    pub sample_period_ms: Option<i64>,
}

impl LoadConfig {
    /// Whether column `name` is left unread ([`ignore_columns`](Self::ignore_columns),
    /// [`only_columns`](Self::only_columns)).
    fn unread(&self, name: &str) -> bool {
        match &self.only_columns {
            Some(only) => !only.iter().any(|c| c == name),
            None => self.ignore_columns.iter().any(|c| c == name),
        }
    }
}

/// What happened while loading a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadReport {
    /// `Some("Windows-1252")` for a file that is not UTF-8 and has no UTF-8 character at all
    /// (a Windows logger's or spreadsheet's export, `°C` as one byte), read as Windows-1252.
    pub encoding: Option<&'static str>,
    /// The layout of the timestamps.
    pub timestamp_format: TimestampFormat,
    /// The timestamp column (two for TMY3: date, time).
    pub timestamp_columns: Vec<String>,
    /// The segment column, if one was configured.
    pub segment_column: Option<String>,
    /// Columns that are neither timestamps nor numeric, in file order.
    pub non_numeric_columns: Vec<String>,
    /// Columns left unread ([`LoadConfig::ignore_columns`], [`LoadConfig::only_columns`]),
    /// in file order.
    pub unread_columns: Vec<String>,
    /// For each of [`non_numeric_columns`](Self::non_numeric_columns), its first cell that is
    /// not missing and that cell's line (`None`: every cell is missing).
    pub non_numeric_first: Vec<Option<(u64, String)>>,
    /// Data records in the file, bad ones included.
    pub rows_read: usize,
    /// The sample period, in milliseconds.
    pub period_ms: i64,
    /// Rows dropped as duplicates (less than half a period after the previous kept row).
    pub duplicates_dropped: usize,
    /// Rows filled in by linear interpolation.
    pub interpolated_rows: usize,
    /// Rows more than half a period off the middle of the rows 16 periods before and after
    /// them, in a run of one-period intervals: irregular times taken as evenly spaced (a
    /// jittered regular log's rows stay near a line, an irregular log's wander off it).
    pub off_grid_rows: usize,
    /// Lines where local timestamps (no UTC offset) went back or forward an hour at a
    /// daylight-saving change; the rows from there on were moved by the hour, so the series
    /// stays evenly spaced and no row is lost or invented.
    pub clock_changes: Vec<u64>,
    /// Lines where a count of time since power-up (a Unix-time column before the year 2000,
    /// such as an Arduino's `millis`) goes back: a reboot. Each starts a new segment whose
    /// times are counted on from the row before (1 ms after it).
    pub counter_restarts: Vec<u64>,
    /// Whether the timestamps are local clock times (no UTC offset: ISO 8601 without one, Jena,
    /// spreadsheet dates): the series' times are then that clock read as UTC, with the hours
    /// daylight-saving changes add or take out taken out, not Unix times.
    pub local_time: bool,
    /// Whether the time is a count since power-up: a Unix-time column whose first time is
    /// before 2000 ([`COUNT_BEFORE_MS`]; its restarts are [`counter_restarts`](Self::counter_restarts)),
    /// or evenly spaced rows without a time ([`LoadConfig::sample_period_ms`]).
    pub time_count: bool,
    /// A long-format file (one reading per row), turned into one column per series.
    pub pivoted: Option<super::long::Pivoted>,
    /// With [`LoadConfig::resample_ms`]: the rows read, the bins they fell into, and the cells
    /// of a bin without a reading of their column that kept the bin before's value.
    pub resampled: Option<(usize, usize, usize)>,
    /// A row of units under the header, left out of the data: its line and its non-empty cells.
    pub units: Option<(u64, Vec<String>)>,
    /// A second row like it under it (a Campbell Scientific TOA5 file's processing row, `Avg`,
    /// `Smp`), left out too: its line and its non-empty cells.
    pub second_units: Option<(u64, Vec<String>)>,
    /// Lines among the data that are comments (`#` first), left out.
    pub comment_lines: Vec<u64>,
    /// Lines among the data that are a header again (a concatenated log's, an InfluxDB
    /// export's above each table), left out: the rows under one are read by its column names.
    pub header_lines: Vec<u64>,
    /// Whether rows were put in time order ([`LoadConfig::sort_by_time`]: they were not).
    pub sorted: bool,
    /// A typical-year file's source years, one per run of rows from one year in file order
    /// (year, month and day columns): every row was moved to [`typical_year`](Self::typical_year),
    /// so the months form one year. Empty for other files.
    pub typical_years: Vec<i64>,
    /// The year a typical-year file's rows were moved to: [`TMY3_YEAR`](tmy3::TMY3_YEAR), or
    /// the leap year [`TYPICAL_LEAP_YEAR`](tmy3::TYPICAL_LEAP_YEAR) where the file has
    /// February 29 (a leap year without it would open a one-day gap).
    pub typical_year: Option<i64>,
    /// The station of an EnergyPlus weather file ([`epw`](super::epw)), read as one.
    pub epw_station: Option<String>,
    /// The last line of a preamble above the header (an Open-Meteo export's location lines:
    /// not as wide as the table under them), left out.
    pub preamble_end: Option<u64>,
    /// The file has no header (its first row is data: numbers and dates): its columns are
    /// named `col1`, `col2`, ... in file order.
    pub no_header: bool,
    /// Numeric columns without a name in the header (`column N`, N from 1): a pandas index,
    /// say. Left out of the default features; `--features` can name them.
    pub unnamed_columns: Vec<String>,
    /// Numeric columns that count the rows: named like a row number ([`COUNTER_NAMES`]: `No`,
    /// a Campbell logger's `RECORD`) and rising by a whole number every row, by 1 in nine rows
    /// of ten. Left out of the default features, where they would be a clock that never
    /// repeats; `--features` can name them.
    pub counter_columns: Vec<String>,
    /// Numeric columns that are a second clock: named like a time ([`time_like_name`]: an
    /// `uptime`, a phone app's `seconds_elapsed` next to its `time`) and never going down (in
    /// nine steps of ten). Left out of the default features, where they would be a clock that
    /// never repeats; `--features` can name them.
    pub clock_columns: Vec<String>,
    /// Numeric columns named like data-quality codes ([`FLAG_WORDS`]: a TMY3 file's `GHI
    /// source` and `GHI uncert (%)`, `qc`, `flag`), in file order. Left out of the default
    /// features: they say how a reading was made, not what it was; `--features` can name them.
    pub flag_columns: Vec<String>,
    /// Numeric columns with missing cells (empty, a [`MISSING_MARKERS`] marker, `NaN`), in file
    /// order: the column, how many, and the first one's line. The series holds `NaN` there;
    /// a [`Dataset`](super::Dataset) fills short runs in the columns it uses and leaves longer
    /// ones out of its windows, and a column it does not use does not matter.
    pub missing_values: Vec<MissingValues>,
    /// Readings taken as missing because no sensor gives them ([`SENTINEL_MAGNITUDE`],
    /// [`is_sentinel_nines`], [`SENTINEL_CODES`]), in file order of their first one: the column, the value, how
    /// many, and the first one's line. They are among the
    /// [`missing_values`](Self::missing_values).
    pub sentinels: Vec<(String, String, usize, u64)>,
    /// Bad rows skipped (with [`LoadConfig::skip_bad_rows`]).
    pub skipped_rows: usize,
    /// The first few skipped rows (up to [`SKIPPED_ROWS_LISTED`](super::SKIPPED_ROWS_LISTED)).
    pub skipped: Vec<SkippedRow>,
    /// Rows in the series, after gap handling.
    pub rows: usize,
    /// Segments in the series.
    pub segments: usize,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A count since power-up is no Unix time, though it reads as one.
        let format = match (self.time_count, self.timestamp_format) {
            (true, TimestampFormat::UnixSeconds) => "seconds since power-up".to_string(),
            (true, TimestampFormat::UnixMillis) => "milliseconds since power-up".to_string(),
            (true, TimestampFormat::UnixMicros) => "microseconds since power-up".to_string(),
            (true, TimestampFormat::UnixNanos) => "nanoseconds since power-up".to_string(),
            (_, format) => format.to_string(),
        };
        match self.timestamp_format {
            TimestampFormat::Rows(_) => writeln!(
                f,
                "{} rows read; no time column, rows taken as evenly spaced; period {}",
                self.rows_read,
                Duration(self.period_ms)
            )?,
            _ => writeln!(
                f,
                "{} rows read; timestamps {format} in {}; period {}",
                self.rows_read,
                self.timestamp_columns.join(" + "),
                Duration(self.period_ms)
            )?,
        }
        writeln!(
            f,
            "{} rows in {} segment(s); {} duplicate(s) dropped, {} row(s) interpolated, {} bad row(s) skipped",
            self.rows,
            self.segments,
            self.duplicates_dropped,
            self.interpolated_rows,
            self.skipped_rows
        )?;
        if let Some(encoding) = self.encoding {
            writeln!(f, "not UTF-8: read as {encoding}")?;
        }
        for (line, cells) in self.units.iter().chain(&self.second_units) {
            writeln!(f, "line {line} is units, not data: {}", list(cells))?;
        }
        if let Some(station) = &self.epw_station {
            writeln!(
                f,
                "an EnergyPlus weather (EPW) file of {station}: its 8 header lines left out, its \
                 columns named as pvlib names them, its missing-value codes (99.9 °C, 999999 Pa, \
                 ...) read as missing"
            )?;
        }
        if !self.typical_years.is_empty() {
            let years: Vec<String> = self.typical_years.iter().map(i64::to_string).collect();
            writeln!(
                f,
                "a typical year (its months are from the years {}): every row moved to {}, in \
                 file order",
                years.join(", "),
                self.typical_year.unwrap_or(tmy3::TMY3_YEAR)
            )?;
        }
        // Irregular times: many rows dropped or invented to put them on a grid, or many
        // intervals well off it.
        let moved = self.duplicates_dropped + self.interpolated_rows;
        let many = |n: usize| n * 10 > self.rows_read;
        if self.resampled.is_none() && self.rows_read >= 100 {
            let period = Duration(self.period_ms);
            if many(moved) {
                writeln!(
                    f,
                    "the times are irregular ({} duplicates dropped and {} rows interpolated on a \
                     grid of {period}): `--resample` a period averages them into bins instead",
                    self.duplicates_dropped, self.interpolated_rows,
                )?;
            } else if many(self.off_grid_rows) {
                writeln!(
                    f,
                    "the times are irregular ({} rows are more than half a period off the line \
                     through the rows 16 periods of {period} before and after them, and are taken \
                     as evenly spaced): `--resample` a period averages the rows into bins instead",
                    self.off_grid_rows,
                )?;
            }
        }
        if let Some(p) = &self.pivoted {
            let shown: Vec<String> = p.series.iter().take(8).map(|s| format!("`{s}`")).collect();
            let more = p.series.len().saturating_sub(8);
            writeln!(
                f,
                "long format: `{}` names {} series, `{}` holds their readings: {}{}",
                p.name_column,
                p.series.len(),
                p.value_column,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
            if p.repeats > 0 {
                writeln!(
                    f,
                    "  {} repeated readings of a series at one time: the first kept",
                    p.repeats
                )?;
            }
        }
        if let Some((read, bins, held)) = self.resampled {
            writeln!(
                f,
                "resampled to one row every {}: {read} rows into {bins} bins (the mean of each; \
                 {held} cells without a reading kept the bin before's value)",
                Duration(self.period_ms)
            )?;
        }
        if !self.counter_restarts.is_empty() {
            let lines: Vec<String> = self.counter_restarts.iter().map(u64::to_string).collect();
            writeln!(
                f,
                "the time count restarts (a reboot) at line(s) {}: each restart begins a new \
                 segment",
                lines.join(", ")
            )?;
        }
        if !self.clock_changes.is_empty() {
            let lines: Vec<String> = self.clock_changes.iter().map(u64::to_string).collect();
            writeln!(
                f,
                "local timestamps: {} daylight-saving clock change(s) taken out, at line(s) {}",
                lines.len(),
                lines.join(", ")
            )?;
        }
        if self.sorted {
            writeln!(f, "rows put in time order (--sort): the file was not")?;
        }
        if self.no_header {
            writeln!(
                f,
                "no header: the columns are named col1, col2, ... in file order"
            )?;
        }
        if let Some(last) = self.preamble_end {
            writeln!(
                f,
                "lines up to {last} are a preamble above the header, left out"
            )?;
        }
        // The first of some lines, and how many more.
        let lines = |lines: &[u64]| {
            let more = match lines.len() {
                0 | 1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            lines.first().map(|first| format!("line {first}{more}"))
        };
        if let Some(at) = lines(&self.comment_lines) {
            writeln!(f, "comment line(s) among the data left out: {at}")?;
        }
        if let Some(at) = lines(&self.header_lines) {
            writeln!(
                f,
                "header line(s) among the data left out, the rows under each read by its column names: {at}"
            )?;
        }
        if !self.unnamed_columns.is_empty() {
            let names = list(&self.unnamed_columns);
            writeln!(f, "unnamed, not a default feature: {names}")?;
        }
        if !self.counter_columns.is_empty() {
            let names = list(&self.counter_columns);
            writeln!(f, "row counter, not a default feature: {names}")?;
        }
        if !self.clock_columns.is_empty() {
            let names = list(&self.clock_columns);
            writeln!(f, "a second clock, not a default feature: {names}")?;
        }
        if !self.flag_columns.is_empty() {
            let names = list(&self.flag_columns);
            writeln!(f, "data-quality codes, not default features: {names}")?;
        }
        if !self.sentinels.is_empty() {
            let values: Vec<String> = (self.sentinels.iter())
                .map(|(column, value, count, line)| {
                    format!("`{column}` {value} ({count} from line {line})")
                })
                .collect();
            writeln!(
                f,
                "readings no sensor gives, taken as missing: {}",
                values.join(", ")
            )?;
        }
        if !self.missing_values.is_empty() {
            let columns: Vec<String> = (self.missing_values.iter())
                .map(|m| format!("`{}` {} from line {}", m.column, m.count, m.first_line))
                .collect();
            match self.pivoted {
                // (A long format's series has a cell only where it has a reading.)
                Some(_) => writeln!(f, "times without a reading: {}", columns.join(", "))?,
                None => writeln!(f, "missing values: {}", columns.join(", "))?,
            }
        }
        // A column with no cell to read (an EPW file's fields its source never fills) is
        // empty, not text.
        let (mut text, mut empty) = (Vec::new(), Vec::new());
        for (i, c) in self.non_numeric_columns.iter().enumerate() {
            match self.non_numeric_first.get(i) {
                Some(None) => empty.push(c.clone()),
                _ => text.push(c.clone()),
            }
        }
        if !text.is_empty() {
            writeln!(f, "not numeric, left out: {}", list(&text))?;
        }
        if !empty.is_empty() {
            writeln!(f, "every cell missing, left out: {}", list(&empty))?;
        }
        if !self.unread_columns.is_empty() {
            writeln!(f, "left out unread: {}", list(&self.unread_columns))?;
        }
        for row in &self.skipped {
            // (The reason names the line.)
            writeln!(f, "  skipped: {}", row.reason)?;
        }
        if self.skipped_rows > self.skipped.len() {
            let more = self.skipped_rows - self.skipped.len();
            writeln!(f, "  and {more} more skipped row(s)")?;
        }
        Ok(())
    }
}

/// The missing cells of one numeric column ([`LoadReport::missing_values`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingValues {
    /// The column.
    pub column: String,
    /// How many of its cells are missing in the rows of the file kept in the series (not in a
    /// row dropped as a duplicate, nor in a row filled in next to one).
    pub count: usize,
    /// The first one's line.
    pub first_line: u64,
}

/// A number of milliseconds as people write it: `600 s`, `20 ms`, `1.5 s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub i64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms % 1000 == 0 {
            write!(f, "{} s", ms / 1000)
        } else if ms.unsigned_abs() < 1000 {
            write!(f, "{ms} ms")
        } else {
            write!(f, "{} s", ms as f64 / 1000.0)
        }
    }
}

/// Numeric columns on a regular time grid, split into segments.
///
/// Rows are in file order with interpolated rows filled in; consecutive rows of one segment
/// are one sample period apart (within rounding). Every segment is a non-empty range of rows;
/// together they cover all rows, in order.
///
/// # Loading rules
/// - **Lines.** The file has a header line (after the station metadata line of a raw TMY3
///   file). Cells are trimmed; blank lines are ignored; errors name the 1-based line of the
///   file where the row starts.
/// - **Timestamp column.** [`LoadConfig::timestamp_column`] if given, with its layout (ISO 8601,
///   Jena, or a number: a Unix time) detected from its first data row. Otherwise: a TMY3 header
///   (`Date (MM/DD/YYYY)` and `Time (HH:MM)`) means TMY3 ([`tmy3`](super::tmy3)); else the
///   first column, left to right, whose first data cell is an ISO 8601 timestamp, else the
///   first that is a Jena one, else the first with a time's name ([`TIME_NAMES`]) and a number
///   in its first data cell, a Unix time ([`TimestampFormat`]): in milliseconds if the name
///   ends in a milliseconds unit (`_ms`, `(ms)`, `[ms]`) or, without a unit, if the number is
///   at least 10^11, else in seconds. Timestamps become UTC milliseconds; ISO 8601 times
///   without an offset and Jena times are taken as UTC; TMY3 times are local standard time at
///   the station's offset, with every row moved to the year
///   [`TMY3_YEAR`](super::tmy3::TMY3_YEAR). So are the rows of a typical year read from year,
///   month and day columns (a PSM3 or EnergyPlus TMY: see [`LoadReport::typical_years`]).
///   A column with a time's name or a date's ([`DIGIT_DATE_NAMES`]) whose first cell and nine
///   in ten of its first [`DIGIT_DATE_ROWS`] are dates written as digits
///   (`YYYYMMDD[HH[MM[SS]]]`) is read as such, local clock time. With [`LoadConfig::sample_period_ms`] no column is the time:
///   row `i` of the file (bad rows counted) is at `i` periods.
/// - **Numeric columns.** A cell is *missing* if it is empty, one of the loggers' and
///   spreadsheets' missing-value markers ([`MISSING_MARKERS`], any case) or parses to a
///   non-finite number (`NaN`, `inf`) or a sentinel ([`MISSING_NUMBERS`]), a *number* if it parses to a finite `f64`, else *text*. A column is
///   numeric iff its first non-missing cell (normally the first data row's) is a number. Other
///   columns (TMY3 source flags such as `A`) are not read, and are listed in
///   [`LoadReport::non_numeric_columns`].
/// - **Missing cells** of numeric columns are `NaN` in the series, counted per column in
///   [`LoadReport::missing_values`]; the row is kept (see [`Dataset`](super::Dataset) for what
///   training makes of them).
/// - **Bad rows**: a wrong field count, invalid UTF-8, a bad timestamp, a text cell in a
///   numeric column, a timestamp earlier than the previous kept row's. Each is a
///   [`LoadError`] with its line, or with [`LoadConfig::skip_bad_rows`] is skipped and counted.
/// - **Gaps.** The sample period `P` is the median positive spacing of consecutive timestamps.
///   A row `k = round(Δt / P)` periods after the previous kept row is dropped if `k = 0` (a
///   duplicate), kept if `k = 1`, kept after `k - 1` linearly interpolated rows if
///   `2 <= k <= 4`, and starts a new segment if `k >= 5`. A change of the segment column's
///   value ([`LoadConfig::segment_column`]) also starts a new segment, where the time may go
///   back (another device's rows after one's: the segments are then not in time order).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    columns: Vec<String>,
    values: Vec<Vec<f64>>,
    times: Vec<i64>,
    /// Per row, the hours daylight-saving changes took off a local clock (empty if none did).
    shifts: Vec<i64>,
    /// The rows interpolated into gaps (not in the file), ascending.
    interpolated: Vec<usize>,
    segments: Vec<Range<usize>>,
    report: LoadReport,
}

impl Series {
    /// Loads a CSV file.
    pub fn load(path: impl AsRef<Path>, config: &LoadConfig) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let text = fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_text(&text, config)
    }

    /// Loads CSV text from a reader (read to its end first).
    pub fn from_reader(mut reader: impl io::Read, config: &LoadConfig) -> Result<Self, LoadError> {
        let mut text = Vec::new();
        reader
            .read_to_end(&mut text)
            .map_err(|source| LoadError::Read { source })?;
        Self::from_text(&text, config)
    }

    fn from_text(text: &[u8], config: &LoadConfig) -> Result<Self, LoadError> {
        let mut bad = BadRows::new(config.skip_bad_rows);
        let windows_1252 = windows_1252(text);
        let text = windows_1252.as_ref().map_or(text, |t| t.as_bytes());
        let (table, epw_station) = RawTable::read_any(text)?;
        if config.sample_period_ms.is_some() {
            let conflict = match (&config.timestamp_column, &config.long_format) {
                (Some(_), _) => Some("a time column"),
                (None, Some(_)) => Some("a long-format file (several rows per time)"),
                (None, None) => None,
            };
            if let Some(with) = conflict {
                return Err(LoadError::SamplePeriodConflict { with });
            }
        }
        let layout = match config.sample_period_ms {
            Some(_) => None,
            None => long::layout(&table, config.long_format.as_ref()).map_err(|name| {
                LoadError::UnknownColumn {
                    role: "long-format",
                    name: name.to_owned(),
                    available: table.header.clone(),
                }
            })?,
        };
        let Some(first) = table.good_rows().next() else {
            // No well-formed row: report the first bad one, or that there is nothing.
            for row in table.rows {
                if let Err(error) = row {
                    bad.reject(error)?;
                }
            }
            return Err(LoadError::NoSamplePeriod { rows: 0 });
        };
        let time = TimeColumns::detect(&table, &first.cells, config)?;
        let rows_in_file = table.rows.len();
        // A long-format file: one column per series, then detected again.
        let (table, time, pivoted) = match layout {
            Some((name, value)) => {
                let indices: Vec<usize> = time.indices().collect();
                let (table, pivoted) = long::pivot(table, &indices, name, value);
                let Some(first) = table.good_rows().next() else {
                    return Err(LoadError::NoSamplePeriod { rows: 0 });
                };
                let time = TimeColumns::detect(&table, &first.cells, config)?;
                (table, time, Some(pivoted))
            }
            None => (table, time, None),
        };
        let local_time = table
            .good_rows()
            .next()
            .is_some_and(|r| time.is_local(&r.cells));
        let segment = config
            .segment_column
            .as_ref()
            .map(|name| {
                table.column(name).ok_or_else(|| LoadError::UnknownColumn {
                    role: "segment",
                    name: name.clone(),
                    available: table.header.clone(),
                })
            })
            .transpose()?;
        let segment_index = segment;
        let unread: Vec<usize> = (0..table.header.len())
            .filter(|&i| !time.indices().any(|t| t == i) && segment_index != Some(i))
            .filter(|&i| config.unread(&table.header[i]))
            .collect();
        let numeric: Vec<usize> = (numeric_columns(&table, &time).into_iter())
            .filter(|i| !unread.contains(i))
            .collect();
        let text_columns: Vec<usize> = (0..table.header.len())
            .filter(|i| !numeric.contains(i) && !unread.contains(i))
            .filter(|i| !time.indices().any(|t| t == *i))
            .collect();
        let non_numeric_first = text_columns
            .iter()
            .map(|&i| {
                let row = table
                    .good_rows()
                    .find(|row| !matches!(classify(&row.cells[i]), Cell::Missing))?;
                Some((row.line, row.cells[i].to_owned()))
            })
            .collect();
        let rows_read = rows_in_file;
        let non_empty = |units: &Option<(u64, Vec<String>)>| {
            let (line, cells) = units.clone()?;
            Some((line, cells.into_iter().filter(|c| !c.is_empty()).collect()))
        };
        let (units, second_units) = (non_empty(&table.units), non_empty(&table.second_units));
        let (typical_years, typical_year) = time.typical_years(&table);
        let RawTable {
            header,
            rows,
            unnamed,
            comments,
            headers,
            preamble_end,
            headerless,
            ..
        } = table;
        // (A pivoted file's rows are in the order their times first appear.)
        // (Evenly spaced rows are in their order: their time is their place in the file.)
        let sort = (config.sort_by_time || pivoted.is_some()) && config.sample_period_ms.is_none();
        let (rows, sorted, keyless) = match sort {
            true => sort_by_time(rows, &time, segment),
            false => (rows, false, KeylessKeys::new()),
        };
        let segment_keys = segment.map(|i| (i, &keyless));
        let mut rows = parse_rows(&header, rows, &time, &numeric, segment_keys, &mut bad)?;
        let tmy3 = matches!(time, TimeColumns::Tmy3(_));
        let sentinels = (take_out_sentinels(&mut rows, tmy3).into_iter())
            .map(|(k, value, count, line)| {
                let value = match value.abs() >= SENTINEL_MAGNITUDE {
                    true => format!("{value:e}"),
                    false => value.to_string(),
                };
                (header[numeric[k]].clone(), value, count, line)
            })
            .collect();
        let rows_parsed = rows.times.len();
        let mut resampled = None;
        let (rows, regular) = match config.resample_ms.filter(|&p| p > 0) {
            Some(period) => {
                let (rows, held) = gaps::resample(&rows, period);
                let regular = gaps::regularize_at(&rows, period)?;
                resampled = Some((rows_parsed, rows.times.len(), held));
                (rows, regular)
            }
            // (Evenly spaced rows are on the grid of their period.)
            None => {
                let regular = match config.sample_period_ms {
                    Some(period) => gaps::regularize_at(&rows, period)?,
                    None => gaps::regularize(&rows)?,
                };
                (rows, regular)
            }
        };

        let report = LoadReport {
            encoding: windows_1252.map(|_| "Windows-1252"),
            timestamp_format: time.format(),
            timestamp_columns: time.indices().map(|i| header[i].clone()).collect(),
            segment_column: config.segment_column.clone(),
            non_numeric_columns: text_columns.iter().map(|&i| header[i].clone()).collect(),
            unread_columns: unread.iter().map(|&i| header[i].clone()).collect(),
            non_numeric_first,
            rows_read,
            period_ms: regular.period,
            duplicates_dropped: regular.duplicates,
            interpolated_rows: regular.interpolated,
            off_grid_rows: regular.off_grid,
            local_time,
            time_count: rows
                .times
                .first()
                .is_some_and(|&t| counts_from(time.format(), t)),
            pivoted,
            resampled,
            clock_changes: rows.clock_changes.clone(),
            counter_restarts: rows.counter_restarts.clone(),
            units,
            second_units,
            comment_lines: comments,
            header_lines: headers,
            sorted,
            typical_years,
            typical_year,
            epw_station,
            preamble_end,
            no_header: headerless,
            unnamed_columns: unnamed
                .iter()
                .filter(|i| numeric.contains(i))
                .map(|&i| header[i].clone())
                .collect(),
            flag_columns: (numeric.iter())
                .filter(|&&i| flag_named(&header[i], &header))
                .map(|&i| header[i].clone())
                .collect(),
            counter_columns: (numeric.iter().enumerate())
                .filter(|&(_, &i)| counter_named(&header[i]))
                .filter(|&(k, _)| {
                    let column = rows.values.iter().skip(k).step_by(rows.width.max(1));
                    is_counter(column.copied())
                })
                .map(|(_, &i)| header[i].clone())
                .collect(),
            clock_columns: (numeric.iter().enumerate())
                .filter(|&(_, &i)| time_like_name(&header[i]))
                .filter(|&(k, _)| {
                    let column = rows.values.iter().skip(k).step_by(rows.width.max(1));
                    is_clock(column.copied())
                })
                .map(|(_, &i)| header[i].clone())
                .collect(),
            missing_values: (numeric.iter().zip(&regular.missing))
                .filter(|(_, (count, _))| *count > 0)
                .map(|(&i, &(count, first_line))| MissingValues {
                    column: header[i].clone(),
                    count,
                    first_line,
                })
                .collect(),
            sentinels,
            skipped_rows: bad.count,
            skipped: bad.listed,
            rows: regular.times.len(),
            segments: regular.segments.len(),
        };
        Ok(Self {
            columns: numeric.iter().map(|&i| header[i].clone()).collect(),
            values: regular.columns,
            times: regular.times,
            shifts: match regular.shifts.iter().any(|&s| s != 0) {
                true => regular.shifts,
                false => Vec::new(),
            },
            interpolated: (regular.filled.iter().enumerate())
                .filter_map(|(i, &f)| f.then_some(i))
                .collect(),
            segments: regular.segments,
            report,
        })
    }

    /// The numeric columns, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The values of the numeric column `name`, one per row.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let index = self.columns.iter().position(|c| c == name)?;
        Some(&self.values[index])
    }

    /// UTC milliseconds of every row (for local timestamps, see [`LoadReport::local_time`]:
    /// the clock read as UTC, the hours daylight-saving changes add or take out taken out).
    pub fn times(&self) -> &[i64] {
        &self.times
    }

    /// Row `row`'s time as the file's clock reads it: [`times`](Self::times) with the hours
    /// daylight-saving changes took out of local timestamps put back (summer time after a
    /// spring-forward), so it names the row as the file does. For other times, the same.
    pub fn clock_time(&self, row: usize) -> i64 {
        self.times[row] + self.shifts.get(row).copied().unwrap_or(0)
    }

    /// Rows, after gap handling.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether there are no rows (never true for a loaded series: it has a sample period).
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The segments: contiguous row ranges within which rows are one period apart.
    pub fn segments(&self) -> &[Range<usize>] {
        &self.segments
    }

    /// The rows interpolated into short gaps ([`LoadReport::interpolated_rows`] of them; not in
    /// the file), ascending.
    pub fn interpolated(&self) -> &[usize] {
        &self.interpolated
    }

    /// What happened while loading.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }
}

/// Where the timestamps are and how to read them.
#[derive(Debug, Clone, Copy)]
enum TimeColumns {
    /// One column: ISO 8601, Jena or a Unix time.
    Single {
        index: usize,
        format: TimestampFormat,
    },
    /// TMY3 date and time columns.
    Tmy3(Tmy3Columns),
    /// A date column and a time-of-day column.
    Split {
        date: usize,
        time: usize,
        layout: DateLayout,
        /// The time column is a whole hour (`Hour`, `HE`: 0 to 24), not a time of day.
        hours: bool,
    },
    /// Year, month and day columns and up to hour, minute and second (`count` of them, 3 to 6,
    /// in that order in `columns`). In a typical-year file ([`typical_years`]) every row's
    /// year is read as `typical`, [`TMY3_YEAR`](tmy3::TMY3_YEAR) or, with February 29,
    /// [`TYPICAL_LEAP_YEAR`](tmy3::TYPICAL_LEAP_YEAR).
    Parts {
        columns: [usize; 6],
        count: usize,
        typical: Option<&'static str>,
    },
    /// No time column: row `i` of the file is at `i * period_ms`.
    Rows { period_ms: i64 },
}

/// Names (any case) of a column of whole hours next to a date column: the hour of the day,
/// or the hour ending (1 to 24, as energy markets write it).
const HOUR_NAMES: [&str; 7] = [
    "hour",
    "hr",
    "he",
    "hour ending",
    "hour_ending",
    "hourending",
    "hour beginning",
];

/// The names of date and time part columns (any case), in [`TimeColumns::Parts`]' order.
const PART_NAMES: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];

/// The layout of the dates in column `index` whose first cell starts with one (see
/// [`timestamp::date_fields`]): year first is `YYYY{sep}MM{sep}DD`, `.` with the year last
/// `DD.MM.YYYY`; `/` and `-` with the year last are day first if more of the column's dates
/// have a first field above 12 than a second (the others are then bad rows), month first if
/// more have a second, and refused if the dates do not tell.
fn date_layout(table: &RawTable, index: usize) -> Option<Result<DateLayout, LoadError>> {
    let mut rows = table.good_rows().map(|r| &r.cells[index]);
    let first = rows.next()?;
    let (separator, _, year_first, named) = timestamp::date_fields(first)?;
    if !year_first && !named && two_digit_year(first, separator) && year_first_reading(table, index)
    {
        return Some(Err(LoadError::TwoDigitYearFirst {
            column: table.header[index].clone(),
            value: first.to_owned(),
        }));
    }
    let order = if year_first {
        DateOrder::Ymd
    } else if separator == b'.' || named {
        DateOrder::Dmy
    } else {
        let (mut day_first, mut month_first) = (0usize, 0usize);
        for cell in std::iter::once(first).chain(rows) {
            if let Some((_, [a, b, _], _, _)) = timestamp::date_fields(cell) {
                day_first += usize::from(a > 12 && b <= 12);
                month_first += usize::from(b > 12 && a <= 12);
            }
        }
        match day_first.cmp(&month_first) {
            std::cmp::Ordering::Greater => DateOrder::Dmy,
            std::cmp::Ordering::Less => DateOrder::Mdy,
            std::cmp::Ordering::Equal => {
                return Some(Err(LoadError::AmbiguousDates {
                    column: table.header[index].clone(),
                    value: first.to_owned(),
                }));
            }
        }
    };
    Some(Ok(DateLayout { order, separator }))
}

/// How many of a column's dates tell whether a two-digit year is last.
const YEAR_CHECK_ROWS: usize = 2000;

/// Whether a column of numeric dates with two digits last (`23.05.01`) reads as year first:
/// its first [`YEAR_CHECK_ROWS`] dates, read `YY.MM.DD`, are all dates, in order, and their
/// last field changes more often than their first (where the year is last it changes least:
/// monthly `01.02.00` and yearly `01/01/91` have no day 0 or 91 read year first).
fn year_first_reading(table: &RawTable, index: usize) -> bool {
    let (mut first_changes, mut last_changes, mut previous) = (0usize, 0usize, None);
    for cell in table
        .good_rows()
        .map(|r| &r.cells[index])
        .take(YEAR_CHECK_ROWS)
    {
        let Some((_, [a, m, year], _, _)) = timestamp::date_fields(cell) else {
            return false;
        };
        let c = year % 100;
        let yy = timestamp::full_year(a);
        let Some(days) = timestamp::valid_days(i64::from(yy), m, c) else {
            return false;
        };
        if let Some((pa, pc, pdays)) = previous {
            if days < pdays {
                return false;
            }
            first_changes += usize::from(a != pa);
            last_changes += usize::from(c != pc);
        }
        previous = Some((a, c, days));
    }
    last_changes > first_changes
}

/// Whether a date's last field (the year, if the first is not one) has two digits.
fn two_digit_year(cell: &str, separator: u8) -> bool {
    let date = cell.split([' ', 'T']).next().unwrap_or("");
    date.rsplit(char::from(separator))
        .next()
        .is_some_and(|y| y.len() == 2)
}

/// Whether a cell is a date alone (no time of day).
fn date_only(cell: &str) -> bool {
    timestamp::date_fields(cell).is_some() && !cell.contains([' ', 'T'])
}

/// The layout of a single-cell timestamp, if it has one (ISO 8601 first).
fn single_cell_format(text: &str) -> Option<TimestampFormat> {
    if timestamp::parse_iso8601(text).is_ok() {
        Some(TimestampFormat::Iso8601)
    } else if timestamp::parse_jena(text).is_ok() {
        Some(TimestampFormat::Jena)
    } else {
        None
    }
}

/// Column names that say "a time" (compared without case, after dropping a unit suffix such
/// as `_s`, `_ms`, ` (s)` or `[ms]`): a numeric column with one of them, where no ISO 8601 or
/// Jena column is found, is a Unix time (or, with its unit named, a count from power-up). See
/// also [`LATE_TIME_NAMES`].
pub const TIME_NAMES: [&str; 8] = [
    "time",
    "timestamp",
    "unix",
    "unix_time",
    "unixtime",
    "epoch",
    "epoch_time",
    "time_unix",
];

/// Names of counts since power-up (compared as [`TIME_NAMES`] are), which are the time only
/// where no other column is, and are tried last with names that are a unit alone (`millis`,
/// `ms`, `seconds`, `sec`: an Arduino logger's `millis()`): a file may log its uptime next to
/// its clock.
pub const LATE_TIME_NAMES: [&str; 4] = ["elapsed", "elapsed_time", "time_elapsed", "uptime"];

/// Seconds, the unit of [`UNIT_NAMES`] and [`strip_unit`].
const SECONDS: TimestampFormat = TimestampFormat::UnixSeconds;
/// Milliseconds.
const MILLIS: TimestampFormat = TimestampFormat::UnixMillis;
/// Microseconds.
const MICROS: TimestampFormat = TimestampFormat::UnixMicros;
/// Nanoseconds.
const NANOS: TimestampFormat = TimestampFormat::UnixNanos;

/// Column names that are a unit alone (any case), which say both "a time" and its unit, when
/// no other column is a time (and a phone app's `seconds_elapsed`). Not `s` alone (a speed, a
/// salinity as often as a time).
const UNIT_NAMES: [(&str, TimestampFormat); 13] = [
    ("ms", MILLIS),
    ("millis", MILLIS),
    ("msec", MILLIS),
    ("millisecond", MILLIS),
    ("milliseconds", MILLIS),
    ("micros", MICROS),
    ("sec", SECONDS),
    ("secs", SECONDS),
    ("second", SECONDS),
    ("seconds", SECONDS),
    ("seconds_elapsed", SECONDS),
    ("elapsed_seconds", SECONDS),
    ("elapsed_ms", MILLIS),
];

/// A column name without a unit suffix, and the unit (a Unix-time format) that suffix names.
fn strip_unit(name: &str) -> (String, Option<TimestampFormat>) {
    // (The Greek small mu is written for the micro sign as often as the sign itself.)
    let lower = name
        .trim()
        .to_ascii_lowercase()
        .replace('\u{3bc}', "\u{b5}");
    if let Some(unit) = unit_name(&lower) {
        return (lower, Some(unit));
    }
    for (suffix, unit) in [
        ("_ms", MILLIS),
        ("(ms)", MILLIS),
        ("[ms]", MILLIS),
        ("_millis", MILLIS),
        ("_us", MICROS),
        ("(us)", MICROS),
        ("[us]", MICROS),
        ("_µs", MICROS),
        ("(µs)", MICROS),
        ("[µs]", MICROS),
        ("_micros", MICROS),
        ("_ns", NANOS),
        ("(ns)", NANOS),
        ("[ns]", NANOS),
        ("_nanos", NANOS),
        ("_s", SECONDS),
        ("(s)", SECONDS),
        ("[s]", SECONDS),
        ("_sec", SECONDS),
        ("(sec)", SECONDS),
        ("[sec]", SECONDS),
    ] {
        if let Some(stem) = lower.strip_suffix(suffix) {
            return (stem.trim_end().to_owned(), Some(unit));
        }
    }
    (lower, None)
}

/// The unit of a column of numbers that is the time: its name's, else, for a Unix time of the
/// years 2000 to 2100 in seconds, milliseconds, microseconds or nanoseconds, that unit. Any
/// other number without a unit says nothing about its unit: `None` (a count from power-up in
/// seconds or in milliseconds, hours, a spreadsheet's serial date, and a date written as
/// digits, `YYYYMMDDHH[MM[SS]]`, which a Unix time in seconds can look like).
fn unix_unit(name: &str, first: &str) -> Option<TimestampFormat> {
    // 2000-01-01 and 2100-01-01 in seconds.
    const EPOCHS: std::ops::Range<u64> = 946_684_800..4_102_444_800;
    match strip_unit(name).1 {
        Some(unit) => Some(unit),
        None if digit_date(first) => None,
        None => {
            // (Seconds with a fraction or an exponent; any count in whole units.)
            let whole = match timestamp::parse_unix(first, false) {
                Ok(ms) => ms.unsigned_abs() / 1000,
                Err(_) => timestamp::whole_units(first)?,
            };
            [SECONDS, MILLIS, MICROS, NANOS]
                .into_iter()
                .zip([1, 1_000, 1_000_000, 1_000_000_000])
                .find(|&(_, per)| EPOCHS.contains(&(whole / per)))
                .map(|(unit, _)| unit)
        }
    }
}

/// Whether a cell is a date written as 10, 12 or 14 digits, `YYYYMMDDHH[MM[SS]]`, as
/// [`timestamp::parse_digits`] reads it, of the years 1970 to 2100 (what a Unix time in
/// seconds can look like; a column named as a date holds any year).
fn digit_date(cell: &str) -> bool {
    let year = cell.get(..4).and_then(|y| y.parse::<u32>().ok());
    matches!(cell.len(), 10 | 12 | 14)
        && year.is_some_and(|y| (1970..=2100).contains(&y))
        && timestamp::parse_digits(cell, cell.len() as u8).is_ok()
}

/// Whether a name (any case) is a unit alone ([`UNIT_NAMES`]), and that unit.
fn unit_name(name: &str) -> Option<TimestampFormat> {
    let name = name.trim();
    let (_, unit) = UNIT_NAMES
        .iter()
        .find(|(u, _)| name.eq_ignore_ascii_case(u))?;
    Some(*unit)
}

/// Whether a cell is a number a Unix-time column holds: as [`timestamp::parse_unix`] reads
/// it, or a whole count too large for milliseconds (nanoseconds since 1970).
fn unix_number(cell: &str) -> bool {
    timestamp::parse_unix(cell, true).is_ok() || timestamp::whole_units(cell).is_some()
}

/// Whether a column is named by a unit alone ([`UNIT_NAMES`]) or as an uptime
/// ([`LATE_TIME_NAMES`]) and its first cell is a number: the time, found last (a column called
/// `ms` or `second` is as often a reading or a part of the date, an uptime logged next to a
/// clock).
fn unit_named_number(name: &str, first: &str) -> bool {
    let late = unit_name(name).is_some() || LATE_TIME_NAMES.contains(&strip_unit(name).0.as_str());
    late && unix_number(first)
}

/// Whether column `index` holds one value in the first [`CONSTANT_ROWS`] well-formed rows.
fn constant(table: &RawTable, index: usize) -> bool {
    let mut cells = table
        .good_rows()
        .take(CONSTANT_ROWS)
        .map(|r| &r.cells[index]);
    let first = cells.next();
    cells.all(|c| Some(c) == first)
}

/// How many rows [`constant`] reads.
const CONSTANT_ROWS: usize = 1000;

/// Names (any case) of a column that may hold dates written as digits (`20230501`), besides
/// [`TIME_NAMES`].
pub const DIGIT_DATE_NAMES: [&str; 8] = [
    "date",
    "datetime",
    "date_time",
    "day",
    "yyyymmdd",
    "yyyymmddhh",
    "yyyymmddhhmm",
    "yyyymmddhhmmss",
];

/// How many of a column's first cells [`digit_dates`] reads.
pub const DIGIT_DATE_ROWS: usize = 50;

/// The count of digits (8, 10, 12 or 14) of column `index`, if its first non-missing cell and
/// nine in ten of its first [`DIGIT_DATE_ROWS`] are dates written as that many digits
/// (`YYYYMMDD[HH[MM[SS]]]`; the others are then bad rows), and fewer than one in ten the same
/// as the one before: a Unix time or a count that looks like one at first (`2020010100`
/// seconds) soon has a day or an hour no date has.
fn digit_dates(table: &RawTable, index: usize) -> Option<u8> {
    let cells: Vec<&str> = (table.good_rows().map(|r| &r.cells[index]))
        .filter(|c| !matches!(classify(c), Cell::Missing))
        .take(DIGIT_DATE_ROWS)
        .collect();
    let digits = u8::try_from(cells.first()?.len()).ok()?;
    let dates = |c: &&&str| timestamp::parse_digits(c, digits).is_ok();
    let good = cells.iter().filter(dates).count();
    // (A date that repeats row after row is the day of a time kept elsewhere, or none.)
    let repeats = cells.windows(2).filter(|w| w[0] == w[1]).count();
    let changes = 10 * repeats < cells.len().saturating_sub(1).max(1);
    (dates(&&cells[0]) && good * 10 >= cells.len() * 9 && changes).then_some(digits)
}

/// Whether a column is named like a time and its first cell is a number (see [`TIME_NAMES`]).
fn time_named_number(name: &str, first: &str) -> bool {
    TIME_NAMES.contains(&strip_unit(name).0.as_str()) && unix_number(first)
}

impl TimeColumns {
    /// Finds the timestamp column(s) of a table, given its first well-formed row.
    fn detect(
        table: &RawTable,
        first: &csv::StringRecord,
        config: &LoadConfig,
    ) -> Result<Self, LoadError> {
        if let Some(period_ms) = config.sample_period_ms {
            if period_ms <= 0 {
                return Err(LoadError::SamplePeriodNotPositive { ms: period_ms });
            }
            return Ok(Self::Rows { period_ms });
        }
        let tmy3 = Tmy3Columns::find(table);
        match (&config.timestamp_column, tmy3) {
            (Some(name), tmy3) => {
                let index = table.column(name).ok_or_else(|| LoadError::UnknownColumn {
                    role: "timestamp",
                    name: name.clone(),
                    available: table.header.clone(),
                })?;
                if let Some(t) = tmy3.filter(|t| index == t.date || index == t.time) {
                    return Ok(Self::Tmy3(t));
                }
                if let Some(parts) =
                    Self::parts(table, first).filter(|p| p.indices().any(|i| i == index))
                {
                    return Ok(parts);
                }
                // A date column or a time column, with the other half next to it.
                let as_date = Self::split(table, first, Some(index), None, |_| true)
                    .filter(|s| matches!(s, Ok(Self::Split { date, .. }) if *date == index));
                let as_time = || {
                    Self::split(table, first, None, Some(index), |_| true)
                        .filter(|s| matches!(s, Ok(Self::Split { time, .. }) if *time == index))
                };
                if let Some(split) = as_date.or_else(as_time) {
                    return split;
                }
                // A number is a Unix time or a count, a date in another layout a civil date; a
                // first cell in no known layout is reported as a bad ISO 8601 timestamp.
                match (single_cell_format(&first[index]), Self::civil(table, index)) {
                    (None, _) if timestamp::parse_unix(&first[index], true).is_ok() => {
                        Self::unix(table, first, index)
                    }
                    (None, Some(civil)) => civil,
                    (format, _) => Ok(Self::Single {
                        index,
                        format: format.unwrap_or(TimestampFormat::Iso8601),
                    }),
                }
            }
            (None, Some(t)) => Ok(Self::Tmy3(t)),
            // In order: a whole ISO 8601 (with a time of day) or Jena timestamp; an ISO date
            // and a time column; an ISO date alone; a Unix time; a spreadsheet date and a time
            // column; a spreadsheet date alone; year, month, day (and hour...) columns; a
            // count in a column named by its unit alone (`millis`).
            (None, None) => {
                // Of several such columns the first that changes (an InfluxDB export's `_time`,
                // not its query's `_start` and `_stop`).
                let single = |format, with_time: bool| {
                    let mut candidates = (first.iter().enumerate()).filter(|(_, cell)| {
                        single_cell_format(cell) == Some(format) && date_only(cell) != with_time
                    });
                    let (index, _) = candidates.next()?;
                    let index = match constant(table, index) {
                        true => candidates
                            .find(|&(i, _)| !constant(table, i))
                            .map_or(index, |(i, _)| i),
                        false => index,
                    };
                    Some(Ok(Self::Single { index, format }))
                };
                let iso_date = |cell: &str| timestamp::parse_iso8601(cell).is_ok();
                single(TimestampFormat::Iso8601, true)
                    .or_else(|| single(TimestampFormat::Jena, true))
                    .or_else(|| Self::split(table, first, None, None, iso_date))
                    .or_else(|| single(TimestampFormat::Iso8601, false))
                    .or_else(|| {
                        let index = (table.header.iter().zip(first.iter()))
                            .position(|(name, cell)| time_named_number(name, cell))?;
                        Some(Self::unix(table, first, index))
                    })
                    .or_else(|| Self::split(table, first, None, None, |_| true))
                    .or_else(|| {
                        let index = first
                            .iter()
                            .position(|cell| timestamp::date_fields(cell).is_some())?;
                        Self::civil(table, index)
                    })
                    .or_else(|| Self::parts(table, first).map(Ok))
                    .or_else(|| {
                        let index = (table.header.iter().zip(first.iter()))
                            .position(|(name, cell)| unit_named_number(name, cell))?;
                        Some(Self::unix(table, first, index))
                    })
                    // Last, dates written as digits under a date's name (after every layout
                    // with a time of day: a logger's date next to its clock or count).
                    .or_else(|| {
                        let date_named = |name: &String| {
                            DIGIT_DATE_NAMES.contains(&name.trim().to_ascii_lowercase().as_str())
                        };
                        let index = (0..table.header.len())
                            .filter(|&i| date_named(&table.header[i]))
                            .find(|&i| digit_dates(table, i).is_some())?;
                        let digits = digit_dates(table, index)?;
                        Some(Ok(Self::Single {
                            index,
                            format: TimestampFormat::Digits(digits),
                        }))
                    })
                    .unwrap_or_else(|| {
                        Err(LoadError::NoTimestampColumn {
                            available: table.header.clone(),
                        })
                    })
            }
        }
    }

    /// A date column (its first cell a date alone, and `date_ok`) and a time-of-day column, if
    /// the first row has both (the first of each, or the ones given).
    fn split(
        table: &RawTable,
        first: &csv::StringRecord,
        date: Option<usize>,
        time: Option<usize>,
        date_ok: impl Fn(&str) -> bool,
    ) -> Option<Result<Self, LoadError>> {
        let is_date = |cell: &str| date_only(cell) && date_ok(cell);
        let is_clock = |cell: &str| cell.contains(':') && timestamp::parse_clock(cell).is_ok();
        let date = date
            .filter(|&i| is_date(&first[i]))
            .or_else(|| first.iter().position(is_date))?;
        let clock = time
            .filter(|&i| is_clock(&first[i]))
            .or_else(|| first.iter().position(is_clock));
        // Else an hour column: named so, a whole hour in its first cell (an energy export's
        // `Date,Hour` or `Date,HE`).
        let hour = || {
            let named = |i: usize| {
                HOUR_NAMES
                    .iter()
                    .any(|n| table.header[i].trim().eq_ignore_ascii_case(n))
            };
            let is_hour = |i: usize| named(i) && timestamp::parse_hour(&first[i]).is_ok();
            let found = time
                .filter(|&i| is_hour(i))
                .or_else(|| (0..table.header.len()).find(|&i| is_hour(i)))?;
            // (Only where consecutive rows share a date: an `hour` reading in a daily file is
            // data.)
            let dates: Vec<&str> = table.good_rows().take(50).map(|r| &r.cells[date]).collect();
            dates.windows(2).any(|w| w[0] == w[1]).then_some(found)
        };
        let (time, hours) = match clock {
            Some(time) => (time, false),
            None => (hour()?, true),
        };
        Some(date_layout(table, date)?.map(|layout| Self::Split {
            date,
            time,
            layout,
            hours,
        }))
    }

    /// Year, month and day columns (and hour, minute, second, each only after the one before),
    /// found by name ([`PART_NAMES`]), if the first row's cells there are a date and time: as
    /// many of them as the first row reads as one.
    fn parts(table: &RawTable, first: &csv::StringRecord) -> Option<Self> {
        let mut columns = [0; 6];
        let mut found = 0;
        for name in PART_NAMES {
            let named = |h: &String| h.trim().eq_ignore_ascii_case(name);
            match table.header.iter().position(named) {
                Some(i) => columns[found] = i,
                None => break,
            }
            found += 1;
        }
        let typical = match found >= 3 {
            true => typical_years(table, columns).map(|(_, leap)| match leap {
                true => tmy3::TYPICAL_LEAP_YEAR_CELL,
                false => tmy3::TMY3_YEAR_CELL,
            }),
            false => None,
        };
        // The most parts whose first row is a date and time (a `second` column of readings
        // leaves year to minute).
        (3..=found)
            .rev()
            .map(|count| Self::Parts {
                columns,
                count,
                typical,
            })
            .find(|parts| parts.utc_ms(first, 0).is_ok())
    }

    /// The source years of a typical-year file, as [`typical_years`] lists them, and the year
    /// its rows are moved to; nothing for any other file.
    fn typical_years(&self, table: &RawTable) -> (Vec<i64>, Option<i64>) {
        match *self {
            Self::Parts {
                columns,
                typical: Some(year),
                ..
            } => (
                typical_years(table, columns).map_or_else(Vec::new, |(years, _)| years),
                year.parse().ok(),
            ),
            _ => (Vec::new(), None),
        }
    }

    /// Column `index` in its date layout, if its first cell starts with a date.
    fn civil(table: &RawTable, index: usize) -> Option<Result<Self, LoadError>> {
        date_layout(table, index).map(|layout| {
            layout.map(|layout| Self::Single {
                index,
                format: TimestampFormat::Civil(layout),
            })
        })
    }

    /// Column `index`, of numbers, as a Unix time or a count in the unit [`unix_unit`] finds,
    /// else the error that asks for the unit.
    fn unix(table: &RawTable, first: &csv::StringRecord, index: usize) -> Result<Self, LoadError> {
        let name = &table.header[index];
        match unix_unit(name, &first[index]) {
            Some(format) => Ok(Self::Single { index, format }),
            None if let Some(digits) = digit_dates(table, index) => Ok(Self::Single {
                index,
                format: TimestampFormat::Digits(digits),
            }),
            None => Err(LoadError::TimeUnitUnknown {
                column: name.clone(),
                value: first[index].to_owned(),
            }),
        }
    }

    fn format(&self) -> TimestampFormat {
        match self {
            Self::Single { format, .. } => *format,
            Self::Tmy3(_) => TimestampFormat::Tmy3,
            Self::Split {
                layout,
                hours: false,
                ..
            } => TimestampFormat::DateAndTime(*layout),
            Self::Split { layout, .. } => TimestampFormat::DateAndHour(*layout),
            Self::Parts { count, .. } => TimestampFormat::Parts((*count - 3) as u8),
            Self::Rows { period_ms } => TimestampFormat::Rows(*period_ms),
        }
    }

    /// The timestamp column indices; the first is the one named in time-order errors.
    fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let (pair, parts): (_, &[usize]) = match self {
            Self::Single { index, .. } => ([Some(*index), None], &[]),
            Self::Tmy3(t) => ([Some(t.date), Some(t.time)], &[]),
            Self::Split { date, time, .. } => ([Some(*date), Some(*time)], &[]),
            Self::Parts { columns, count, .. } => ([None, None], &columns[..*count]),
            Self::Rows { .. } => ([None, None], &[]),
        };
        pair.into_iter().flatten().chain(parts.iter().copied())
    }

    /// Whether the row's timestamp is local clock time (no UTC offset: ISO 8601 without one,
    /// Jena), which daylight-saving changes move. TMY3 is local standard time, which they do
    /// not; Unix times are UTC.
    fn is_local(&self, cells: &csv::StringRecord) -> bool {
        match *self {
            Self::Single {
                index,
                format: TimestampFormat::Iso8601,
            } => !timestamp::iso8601_has_offset(&cells[index]),
            Self::Single {
                format:
                    TimestampFormat::Jena | TimestampFormat::Civil(_) | TimestampFormat::Digits(_),
                ..
            }
            | Self::Split { .. }
            | Self::Parts { .. } => true,
            _ => false,
        }
    }

    /// UTC milliseconds of one row, row `ordinal` of the file (bad rows counted); on failure,
    /// the bad column and why.
    fn utc_ms(
        &self,
        cells: &csv::StringRecord,
        ordinal: usize,
    ) -> Result<i64, (usize, TimestampError)> {
        match *self {
            Self::Rows { period_ms } => Ok(period_ms.saturating_mul(ordinal as i64)),
            Self::Single { index, format } => {
                let text = &cells[index];
                match format {
                    TimestampFormat::Jena => timestamp::parse_jena(text),
                    TimestampFormat::UnixSeconds => timestamp::parse_unix(text, false),
                    TimestampFormat::UnixMillis => timestamp::parse_unix(text, true),
                    TimestampFormat::UnixMicros => timestamp::parse_unix_fine(text, 1_000),
                    TimestampFormat::UnixNanos => timestamp::parse_unix_fine(text, 1_000_000),
                    TimestampFormat::Civil(layout) => timestamp::parse_civil(text, layout),
                    TimestampFormat::Digits(digits) => timestamp::parse_digits(text, digits),
                    _ => timestamp::parse_iso8601(text),
                }
                .map_err(|e| (index, e))
            }
            Self::Tmy3(t) => t.utc_seconds(cells).map(|s| s * 1000),
            Self::Split {
                date,
                time,
                layout,
                hours,
            } => {
                let day = timestamp::parse_civil(&cells[date], layout).map_err(|e| (date, e))?;
                let clock = match hours {
                    true => timestamp::parse_hour(&cells[time]),
                    false => timestamp::parse_clock(&cells[time]),
                };
                Ok(day + clock.map_err(|e| (time, e))?)
            }
            Self::Parts {
                columns,
                count,
                typical,
            } => {
                let mut text = [""; 6];
                for (t, &i) in text.iter_mut().zip(&columns[..count]) {
                    *t = &cells[i];
                }
                if let Some(year) = typical {
                    text[0] = year;
                }
                timestamp::from_parts(&text[..count]).map_err(|(k, e)| (columns[k], e))
            }
        }
    }
}

/// The source years of a typical-year file (a PSM3 or EnergyPlus typical meteorological year,
/// each month from another year: January 2003, February 1998, ...), one per run of rows from
/// one year, in file order: the `year` column takes at least two values, the `month` column
/// goes up one month at a time (none skipped), and the year changes only where the month does;
/// and either a year is lower than the one before (the real times would go backwards) or the
/// months run from January to December. Such a file is in time order once every row has one
/// year. A record that runs on into the next year goes from month 12 back to 1, and one with a
/// gap of a year or more skips months or keeps its years in order without covering a whole
/// year: neither is a typical year. With them, whether a row is February 29. `None` for any
/// other file. (Rows whose year or month is not a whole number are left to the timestamp
/// check.) `columns`: year, month and day.
fn typical_years(table: &RawTable, columns: [usize; 6]) -> Option<(Vec<i64>, bool)> {
    let [year, month, day, ..] = columns;
    let mut years: Vec<i64> = Vec::new();
    let (mut first_month, mut last_month) = (0, 0);
    let (mut leap, mut backwards) = (false, false);
    for row in table.good_rows() {
        let (Some(y), Some(m)) = (
            timestamp::whole_number(&row.cells[year], 4),
            timestamp::whole_number(&row.cells[month], 2),
        ) else {
            continue;
        };
        leap |= m == 2 && timestamp::whole_number(&row.cells[day], 2) == Some(29);
        if m < last_month || (last_month > 0 && m > last_month + 1) {
            return None;
        }
        if first_month == 0 {
            first_month = m;
        }
        let y = i64::from(y);
        if years.last() != Some(&y) {
            if m == last_month {
                return None;
            }
            backwards |= years.last().is_some_and(|&last| y < last);
            years.push(y);
        }
        last_month = m;
    }
    let whole_year = first_month == 1 && last_month == 12;
    (years.len() >= 2 && (backwards || whole_year)).then_some((years, leap))
}

/// A cell of a numeric column.
pub(crate) enum Cell {
    Number(f64),
    Missing,
    Text,
}

/// Cells that mean "no value" in data-logger, R, pandas and spreadsheet exports (compared
/// without case): a column that starts with them is still numeric, and they are reported as
/// missing values, not as text. So is a cell of dashes, slashes or asterisks only (Davis
/// WeatherLink's `---`, `///` in synoptic reports, `****` where a fixed-width field
/// overflowed). A spreadsheet's error value (`#DIV/0!`) is text: a formula that broke.
pub const MISSING_MARKERS: [&str; 12] = [
    "ERR",
    "ERROR",
    "NA",
    "N/A",
    "#N/A",
    "NULL",
    "None",
    "-",
    "--",
    "?",
    "unavailable",
    "unknown",
];

/// Numbers that loggers and weather archives write for "no value" (NOAA, the Jena climate
/// file's wind, many SCADA exports): no sensor reads exactly these.
pub const MISSING_NUMBERS: [f64; 2] = [-9999.0, -99999.0];

pub(crate) fn classify(text: &str) -> Cell {
    let marker = |list: &[&str]| list.iter().any(|m| text.eq_ignore_ascii_case(m));
    let filler = text.bytes().all(|b| matches!(b, b'-' | b'/' | b'*'));
    if text.is_empty() || filler || marker(&MISSING_MARKERS) {
        return Cell::Missing;
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && !MISSING_NUMBERS.contains(&x) => Cell::Number(x),
        Ok(_) => Cell::Missing,
        Err(_) => Cell::Text,
    }
}

/// A reading at least this large in magnitude is no sensor's: a float's largest (3.4e38, what
/// some firmware writes for "no reading"), SCPI instruments' 9.9e37 for an overflow. Taken as
/// missing.
pub const SENTINEL_MAGNITUDE: f64 = 1e30;

/// Whether `v` is a number of nines that loggers write for "no value" (`-999`, `9999`,
/// `-999.9`, `99.99`): three to seven nines, at least two of them before the point. It is
/// taken as missing only far outside its column's other values (see [`take_out_sentinels`]):
/// 999.9 hPa is a pressure.
pub fn is_sentinel_nines(v: f64) -> bool {
    const NINES: [f64; 15] = [
        99.9, 999.0, 99.99, 999.9, 9999.0, 999.99, 9999.9, 99999.0, 9999.99, 99999.9, 999999.0,
        99999.99, 999999.9, 9999999.0, 999999.99,
    ];
    let a = v.abs();
    (99.0..1e7).contains(&a) && NINES.contains(&a)
}

/// Codes for "no value" that are no nines: NREL's TMY3 and NSRDB files write `-9900` (as
/// [`is_sentinel_nines`], taken as missing only far outside its column's other values; in a
/// TMY3 file, whose format defines it, always).
pub const SENTINEL_CODES: [f64; 1] = [-9900.0];

/// [`is_sentinel_nines`] or one of the [`SENTINEL_CODES`].
fn is_sentinel_code(v: f64) -> bool {
    is_sentinel_nines(v) || SENTINEL_CODES.contains(&v)
}

/// Sets to `NaN` the readings no sensor gives: any of magnitude [`SENTINEL_MAGNITUDE`] or more,
/// in a TMY3 file (`tmy3`) its [`SENTINEL_CODES`],
/// and [nines](is_sentinel_nines) or [codes](SENTINEL_CODES) below `q1 - 10·s` or above `q3 + 10·s` of their column, `q1`
/// and `q3` the quartiles of the column's other values and `s` the largest of their
/// interquartile range, a quarter of their range and a tenth of the larger quartile's
/// magnitude (a meter that sits at 1000 for days reads 999 before; a column of at least 20
/// other values: too few say nothing). A value found once must also be more than ten times the
/// largest other magnitude: one day of 99.9 mm in a year of rain is a storm. Returns, per column index and value in order of first occurrence, how
/// many and the first one's line.
fn take_out_sentinels(rows: &mut Rows, tmy3: bool) -> Vec<(usize, f64, usize, u64)> {
    let width = rows.width;
    let mut found: Vec<(usize, f64, usize, u64)> = Vec::new();
    if width == 0 {
        return found;
    }
    for k in 0..width {
        let column = || rows.values.iter().skip(k).step_by(width).copied();
        let huge = |v: f64| v.abs() >= SENTINEL_MAGNITUDE;
        let mut others: Vec<f64> = column()
            .filter(|&v| v.is_finite() && !huge(v) && !is_sentinel_code(v))
            .collect();
        let fence = (others.len() >= 20).then(|| {
            others.sort_by(f64::total_cmp);
            let n = others.len();
            let (q1, q3) = (others[n / 4], others[3 * n / 4]);
            let s = (q3 - q1)
                .max((others[n - 1] - others[0]) / 4.0)
                .max(q1.abs().max(q3.abs()) / 10.0);
            (q1 - 10.0 * s, q3 + 10.0 * s)
        });
        let largest = others.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let far = |v: f64| fence.is_some_and(|(lo, hi)| v < lo || v > hi);
        // How often each nines value far outside the others is there.
        let mut nines: Vec<(f64, usize)> = Vec::new();
        for v in column().filter(|&v| is_sentinel_code(v) && far(v)) {
            match nines.iter_mut().find(|n| n.0 == v) {
                Some(n) => n.1 += 1,
                None => nines.push((v, 1)),
            }
        }
        let taken = |v: f64| {
            let far_nines = nines.iter().find(|n| n.0 == v);
            huge(v)
                || (tmy3 && SENTINEL_CODES.contains(&v))
                || far_nines.is_some_and(|&(_, count)| count > 1 || v.abs() > 10.0 * largest)
        };
        for r in 0..rows.times.len() {
            let v = rows.values[r * width + k];
            if !taken(v) {
                continue;
            }
            rows.values[r * width + k] = f64::NAN;
            match found.iter_mut().find(|f| f.0 == k && f.1 == v) {
                Some(f) => f.2 += 1,
                None => found.push((k, v, 1, rows.lines[r])),
            }
        }
    }
    found.sort_by_key(|f| f.3);
    found
}

/// The numeric columns (see the module docs), in file order.
fn numeric_columns(table: &RawTable, time: &TimeColumns) -> Vec<usize> {
    (0..table.header.len())
        .filter(|&i| !time.indices().any(|t| t == i))
        .filter(|&i| {
            table
                .good_rows()
                .map(|row| classify(&row.cells[i]))
                .find(|cell| !matches!(cell, Cell::Missing))
                .is_some_and(|cell| matches!(cell, Cell::Number(_)))
        })
        .collect()
}

/// Names of row-number columns (any case, a trailing `.` dropped): a pandas or R index written
/// out, UCI's `No`, a Campbell Scientific logger's `RECORD`, ThingSpeak's `entry_id`, a HOBO
/// logger's `#`.
pub const COUNTER_NAMES: [&str; 17] = [
    "no",
    "nr",
    "num",
    "index",
    "idx",
    "record",
    "rec",
    "row",
    "seq",
    "sample",
    "id",
    "entry_id",
    "entry",
    "record_id",
    "row_id",
    "sample_id",
    "#",
];

/// Whether a column is named like a time: a time's or an uptime's name ([`TIME_NAMES`],
/// [`LATE_TIME_NAMES`], with or without a unit), a unit alone ([`UNIT_NAMES`]) or a date's
/// (`date`, `datetime`, `Date Time`): what a sequence file's channels leave out.
pub(crate) fn time_like_name(name: &str) -> bool {
    let stem = strip_unit(name).0;
    let date = ["date", "datetime", "date time", "date_time", "date/time"];
    TIME_NAMES.contains(&stem.as_str())
        || LATE_TIME_NAMES.contains(&stem.as_str())
        || date.contains(&stem.as_str())
        || unit_name(name).is_some()
}

/// The last word (after a space, `_` or `-`; any case) of a data-quality column's name: a
/// TMY3 file's `GHI uncert (%)`, a BSRN or MIDC export's `qc` and `flag` columns. Their numbers
/// are codes about a reading, not readings. (Not `quality`: `air_quality` is a reading.)
pub const FLAG_WORDS: [&str; 6] = ["uncert", "uncertainty", "flag", "flags", "qc", "qcflag"];

/// A column's name in lower case without a unit in brackets after it, and its last word.
fn name_words(name: &str) -> (String, String) {
    let lower = name.trim().to_ascii_lowercase();
    let stem = match lower.rfind(['(', '[']) {
        Some(at) if at > 0 && lower.ends_with([')', ']']) => lower[..at].trim_end(),
        _ => lower.as_str(),
    };
    let last = stem.rsplit([' ', '_', '-']).next().unwrap_or("").to_owned();
    (stem.to_owned(), last)
}

/// Whether a column is named like a data-quality column: its last word, a unit in brackets
/// after it left out, is one of [`FLAG_WORDS`] (`GHI uncert (%)`, `Dry-bulb uncert (code)`,
/// `temp_qc`, `Flag`), or it is a TMY3 present-weather code (`PresWth (METAR code)`), or a
/// `source` column with an `uncert` twin among `header` (a TMY3 file's `GHI source` next to
/// `GHI uncert (%)`; a lone `heat_source` is a reading).
pub(crate) fn flag_named(name: &str, header: &[String]) -> bool {
    let (stem, last) = name_words(name);
    let uncert_twin = || {
        let prefix = &stem[..stem.len() - last.len()];
        header.iter().any(|h| {
            let (other, other_last) = name_words(h);
            other_last.starts_with("uncert") && other[..other.len() - other_last.len()] == *prefix
        })
    };
    FLAG_WORDS.contains(&last.as_str())
        || name.trim().to_ascii_lowercase().ends_with("(metar code)")
        || (last == "source" && uncert_twin())
}

/// Whether a column is named like a row number ([`COUNTER_NAMES`]).
pub(crate) fn counter_named(name: &str) -> bool {
    let name = name.trim().trim_end_matches('.');
    COUNTER_NAMES.iter().any(|c| name.eq_ignore_ascii_case(c))
}

/// Whether a column's values, row by row, count the rows: at least 10 of them, each a whole
/// number above the one before, nine steps in ten (or more) by exactly 1 (the others where bad
/// rows were left out), missing values skipped.
pub(crate) fn is_counter(values: impl Iterator<Item = f64>) -> bool {
    let (mut previous, mut steps, mut ones) = (None::<f64>, 0usize, 0usize);
    for v in values.filter(|v| !v.is_nan()) {
        if let Some(p) = previous {
            let d = v - p;
            if d < 1.0 || d.fract() != 0.0 {
                return false;
            }
            steps += 1;
            ones += usize::from(d == 1.0);
        }
        previous = Some(v);
    }
    steps >= 9 && 10 * ones >= 9 * steps
}

/// Whether a column's values (missing ones passed over) rise over the file and go down in at
/// most one step of ten (a clock that restarted now and then): at least nine steps.
fn is_clock(values: impl Iterator<Item = f64>) -> bool {
    let (mut first, mut previous, mut steps, mut down) = (None::<f64>, None::<f64>, 0usize, 0usize);
    for v in values.filter(|v| !v.is_nan()) {
        first.get_or_insert(v);
        if let Some(p) = previous {
            steps += 1;
            down += usize::from(v < p);
        }
        previous = Some(v);
    }
    let rises = first.zip(previous).is_some_and(|(a, b)| b > a);
    steps >= 9 && rises && 10 * down <= steps
}

/// A file that is not UTF-8 and holds no UTF-8 character beyond ASCII, decoded as Windows-1252
/// (its bytes 0x80-0x9F as that code page has them, where it has them, the others as
/// Latin-1); `None` for a UTF-8 file, and for one with UTF-8 characters and some bytes that are
/// not (its bad rows are reported as such).
fn windows_1252(text: &[u8]) -> Option<String> {
    // 0x80-0x9F; the five bytes Windows-1252 leaves undefined stay C1 controls, as Windows maps them.
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    let mut chunks = text.utf8_chunks();
    let not_utf8 = text.utf8_chunks().any(|c| !c.invalid().is_empty());
    let utf8_beyond_ascii = chunks.any(|c| !c.valid().is_ascii());
    (not_utf8 && !utf8_beyond_ascii).then(|| {
        text.iter()
            .map(|&b| match b {
                0x80..=0x9f => HIGH[usize::from(b - 0x80)],
                b => char::from(b),
            })
            .collect()
    })
}

/// 2000-01-01 in milliseconds: a Unix-time column below it counts from power-up.
pub const COUNT_BEFORE_MS: i64 = 946_684_800_000;

/// Whether a time `ms` in `format` is a count since power-up ([`COUNT_BEFORE_MS`]).
fn counts_from(format: TimestampFormat, ms: i64) -> bool {
    match format {
        TimestampFormat::UnixSeconds
        | TimestampFormat::UnixMillis
        | TimestampFormat::UnixMicros
        | TimestampFormat::UnixNanos => ms < COUNT_BEFORE_MS,
        // (Evenly spaced rows count from the first.)
        TimestampFormat::Rows(_) => true,
        _ => false,
    }
}

const HOUR_MS: i64 = 3_600_000;

/// Whether a date is a Sunday on which daylight-saving time starts or ends somewhere the
/// loader knows: the European Union (last Sunday of March and of October), the US and Canada
/// (second Sunday of March, first of November; before 2007 the first of April and the last of
/// October), south-eastern Australia (first Sunday of October and of April) and New Zealand
/// (last Sunday of September, first of April).
fn transition_sunday(days: i64) -> bool {
    // 1970-01-01 (day 0) was a Thursday.
    if (days + 4).rem_euclid(7) != 0 {
        return false;
    }
    let (_, month, day) = timestamp::civil_from_days(days);
    let (_, next_month, _) = timestamp::civil_from_days(days + 7);
    let (first, second, last) = (day <= 7, (8..=14).contains(&day), next_month != month);
    match month {
        3 => second || last,
        4 => first,
        9 => last,
        10 => first || last,
        11 => first,
        _ => false,
    }
}

/// How a daylight-saving clock change in local timestamps moves the rows from this one on:
/// `-1 h` where the clock went back an hour (this row is `1 h - step` after the previous one,
/// at most as late, and its clock reads 1, 2 or 3 o'clock), `+1 h` where it went forward (`1 h
/// + step` after it, its clock reading 3 or 4 o'clock), else 0 (the later hours are the
/// European and Australian changes in hour-ending times: an hourly meter's `04:00` after
/// `02:00` in spring, `03:00` twice in autumn); `step` is the sample spacing before
/// (at most an hour). Only on a [`transition_sunday`].
fn clock_change(previous_ms: i64, ms: i64, step: i64) -> i64 {
    let hour = ms.div_euclid(HOUR_MS).rem_euclid(24);
    if step <= 0 || step > HOUR_MS {
        return 0;
    }
    let change = match ms - previous_ms {
        d if d == step - HOUR_MS && (1..=3).contains(&hour) => -HOUR_MS,
        d if d == step + HOUR_MS && (3..=4).contains(&hour) => HOUR_MS,
        _ => return 0,
    };
    if transition_sunday(ms.div_euclid(86_400_000)) {
        change
    } else {
        0
    }
}

/// Parses every row's timestamp and numeric cells and checks the time order.
/// The segment-column key of each row without one, by its line, where rows were reordered:
/// its group's (in file order, the key before it), which the row before it after the reordering
/// may not have.
type KeylessKeys = std::collections::HashMap<u64, String>;

/// The rows in time order (see [`LoadConfig::sort_by_time`]), whether that moved any, and the
/// keys of the rows without one.
fn sort_by_time(
    rows: Vec<Result<RawRow, LoadError>>,
    time: &TimeColumns,
    segment: Option<usize>,
) -> (Vec<Result<RawRow, LoadError>>, bool, KeylessKeys) {
    let mut ms = i64::MIN;
    let mut keys = Vec::with_capacity(rows.len());
    let local = rows
        .iter()
        .find_map(|r| r.as_ref().ok())
        .is_some_and(|r| time.is_local(&r.cells));
    // With a segment column, each value's rows together (in the order the values first appear,
    // a missing one going on with the value before it), each in time order.
    let mut groups: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut group = 0;
    // The rows whose key is missing: moved, they get their group's (the row before them in the
    // new order may be another group's).
    let mut keyless = Vec::new();
    for (at, row) in rows.iter().enumerate() {
        if let (Ok(r), Some(i)) = (row, segment) {
            match r
                .cells
                .get(i)
                .filter(|k| !matches!(classify(k), Cell::Missing))
            {
                Some(k) => {
                    let next = groups.len();
                    group = *groups.entry(k.to_owned()).or_insert(next);
                }
                None => keyless.push(at),
            }
        }
        if let Ok(t) = row
            .as_ref()
            .map_err(|_| ())
            .and_then(|r| time.utc_ms(&r.cells, at).map_err(|_| ()))
        {
            ms = t;
        }
        keys.push((group, ms));
    }
    // In order but for daylight-saving repeats (local clock times going back at most an hour
    // to 1, 2 or 3 o'clock on a transition Sunday): left as it is, for the clock-change handling.
    let dst_repeat = |earlier: i64, later: i64| {
        let hour = later.div_euclid(HOUR_MS).rem_euclid(24);
        local
            && earlier - later <= HOUR_MS
            && (1..=3).contains(&hour)
            && transition_sunday(later.div_euclid(24 * HOUR_MS))
    };
    let in_order =
        |a: (usize, i64), b: (usize, i64)| b >= a || (a.0 == b.0 && dst_repeat(a.1, b.1));
    if keys.windows(2).all(|w| in_order(w[0], w[1])) {
        return (rows, false, KeylessKeys::new());
    }
    let mut rows = rows;
    let mut names = vec![String::new(); groups.len()];
    for (name, &g) in groups.iter() {
        names[g].clone_from(name);
    }
    let lines = |at: usize| rows[at].as_ref().ok().map(|r| r.line);
    let group_keys: KeylessKeys = (keyless.into_iter())
        .filter_map(|at| Some((lines(at)?, names.get(keys[at].0)?.clone())))
        .collect();
    // Newest first, but for daylight-saving repeats: reversed, so the repeats come in order.
    if groups.len() <= 1
        && keys
            .windows(2)
            .all(|w| w[1].1 <= w[0].1 || dst_repeat(w[1].1, w[0].1))
    {
        rows.reverse();
        return (rows, true, group_keys);
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let moved = order.iter().enumerate().any(|(at, &i)| at != i);
    let mut slots: Vec<Option<Result<RawRow, LoadError>>> = rows.into_iter().map(Some).collect();
    let sorted = order.into_iter().filter_map(|i| slots[i].take()).collect();
    (sorted, moved, group_keys)
}

fn parse_rows(
    header: &[String],
    table_rows: Vec<Result<RawRow, LoadError>>,
    time: &TimeColumns,
    numeric: &[usize],
    segment: Option<(usize, &KeylessKeys)>,
    bad: &mut BadRows,
) -> Result<Rows, LoadError> {
    let time_column = time.indices().next().unwrap_or(0);
    let mut rows = Rows {
        width: numeric.len(),
        ..Rows::default()
    };
    let mut previous: Option<(u64, i64, String)> = None;
    // Local timestamps: the clock of the previous kept row, the time between the two before,
    // and what the clock changes so far take off the clock.
    let (mut previous_clock, mut step, mut shift) = (None, 0, 0);
    // The last two positive spacings between kept rows of a group (a count's restarts).
    let mut spacing = [0i64; 2];
    // A count since power-up (see `LoadReport::counter_restarts`): what its restarts add.
    // (A Unix-time column; whether each row's time is a count is checked below.)
    let count = counts_from(time.format(), 0);
    let mut restarted = 0i64;
    let mut values = Vec::with_capacity(numeric.len());
    for (ordinal, row) in table_rows.into_iter().enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                bad.reject(error)?;
                continue;
            }
        };
        let line = row.line;
        let cells = &row.cells;
        let clock = match time.utc_ms(cells, ordinal) {
            Ok(ms) => ms,
            Err((column, reason)) => {
                bad.reject(LoadError::BadTimestamp {
                    line,
                    column: header[column].clone(),
                    value: cells[column].to_owned(),
                    reason,
                })?;
                continue;
            }
        };
        // (A missing key goes on with the segment before it in the file.)
        let previous_key = previous.as_ref().map(|(_, _, k)| k.as_str());
        let key = match segment.map(|(i, keyless)| (&cells[i][..], keyless.get(&line))) {
            Some((_, Some(k))) => k.as_str(),
            Some((k, None)) if matches!(classify(k), Cell::Missing) => previous_key.unwrap_or(k),
            Some((k, None)) => k,
            None => "",
        };
        let key = key.to_owned();
        let new_key = previous_key.is_some_and(|k| k != key);
        // Another device's or trip's rows: its own clock from here.
        if new_key {
            (previous_clock, step, shift, restarted) = (None, 0, 0, 0);
            spacing = [0, 0];
        }
        // Clock changes are read from the file's timestamps, rows rejected below included; the
        // spacing is the last positive one (a duplicate or the change itself keeps it).
        let change = match previous_clock {
            Some(p) if time.is_local(cells) => clock_change(p, clock, step),
            _ => 0,
        };
        if change != 0 {
            shift += change;
            rows.clock_changes.push(line);
        }
        if let Some(p) = previous_clock.filter(|&p| clock > p) {
            step = clock - p;
        }
        previous_clock = Some(clock);
        let mut ms = clock - shift + restarted;
        values.clear();
        let mut error = None;
        for &i in numeric {
            match classify(&cells[i]) {
                Cell::Number(x) => values.push(x),
                Cell::Missing => values.push(f64::NAN),
                Cell::Text => {
                    error = Some(LoadError::NotANumber {
                        line,
                        column: header[i].clone(),
                        value: cells[i].to_owned(),
                    });
                    break;
                }
            }
        }
        if let Some(error) = error {
            bad.reject(error)?;
            continue;
        }
        let mut restart = false;
        if let Some((previous_line, previous_ms, _)) = previous.as_ref().filter(|_| !new_key) {
            let (previous_line, previous_ms) = (*previous_line, *previous_ms);
            // A count that falls below half of what it was has restarted (a reboot, a
            // wrap-around), and so has one that goes back by a second or more and by more than
            // MAX_STEPS_FILLED of the larger of its last two spacings (a reboot soon after one).
            // A row logged a little early is not one: it is out of order.
            let (raw, previous_raw) = (ms - restarted, previous_ms - restarted);
            let (drop, usual) = (previous_raw - raw, spacing[0].max(spacing[1]));
            let far_back = usual > 0 && drop >= 1000 && drop > gaps::MAX_STEPS_FILLED * usual;
            if count && previous_raw < COUNT_BEFORE_MS && (raw < previous_raw / 2 || far_back) {
                restarted += previous_ms + 1 - ms;
                ms = previous_ms + 1;
                restart = true;
                rows.counter_restarts.push(line);
            }
            if ms < previous_ms {
                bad.reject(LoadError::TimeGoesBackwards {
                    line,
                    column: header[time_column].clone(),
                    previous_line,
                    millis: previous_ms - ms,
                })?;
                continue;
            }
        }
        if let Some((_, previous_ms, _)) = previous.as_ref().filter(|_| !new_key && !restart)
            && ms > *previous_ms
        {
            spacing = [spacing[1], ms - previous_ms];
        }
        rows.group_changes.push(restart || new_key);
        rows.times.push(ms);
        rows.lines.push(line);
        rows.shifts.push(shift);
        rows.values.extend_from_slice(&values);
        previous = Some((line, ms, key));
    }
    Ok(rows)
}

#[cfg(test)]
// A list of one segment is meant, not a range of rows.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Series, LoadError> {
        Series::from_reader(text.as_bytes(), &LoadConfig::default())
    }

    fn load_skipping(text: &str) -> Result<Series, LoadError> {
        let config = LoadConfig {
            skip_bad_rows: true,
            ..LoadConfig::default()
        };
        Series::from_reader(text.as_bytes(), &config)
    }

    #[test]
    fn readings_no_sensor_gives_are_missing() {
        assert!(is_sentinel_nines(-999.0) && is_sentinel_nines(9999.0));
        assert!(is_sentinel_nines(-999.9) && is_sentinel_nines(99.99));
        for v in [99.0, 9.99, 999.5, 1000.0, 0.999, -99999999.0] {
            assert!(!is_sentinel_nines(v), "{v}");
        }
        // A temperature with -999 twice and a float's largest once; a pressure near 999.9,
        // which is a reading there.
        let mut text = String::from("t,temp,p\n");
        for i in 0..40 {
            let temp = match i {
                7 | 30 => "-999".to_string(),
                12 => "3.402823e+38".to_string(),
                _ => format!("{}", 10 + i % 7),
            };
            let p = if i == 5 {
                "999.9".to_string()
            } else {
                format!("{}", 1000 + i % 5)
            };
            text += &format!("2021-01-01T{:02}:{:02}:00,{temp},{p}\n", i / 6, i % 6 * 10);
        }
        let series = load(&text).unwrap();
        let temp = series.column("temp").unwrap();
        assert!(temp[7].is_nan() && temp[12].is_nan() && temp[30].is_nan());
        assert_eq!(temp.iter().filter(|v| v.is_nan()).count(), 3);
        assert_eq!(series.column("p").unwrap()[5], 999.9);
        let report = series.report();
        assert_eq!(
            report.sentinels,
            [
                ("temp".to_string(), "-999".to_string(), 2, 9),
                ("temp".to_string(), "3.402823e38".to_string(), 1, 14),
            ]
        );
        assert!(report.to_string().contains(
            "readings no sensor gives, taken as missing: `temp` -999 (2 from line 9), \
             `temp` 3.402823e38 (1 from line 14)"
        ));
        assert_eq!(report.missing_values[0].count, 3);
        // A meter at 1000 for days read 999 before: a reading (a tenth of 1000 is the spread).
        let mut meter = String::from("t,m\n");
        for i in 0..40 {
            let m = if i < 10 { 999 } else { 1000 };
            meter += &format!("2021-01-01T{:02}:{:02}:00,{m}\n", i / 6, i % 6 * 10);
        }
        assert!(load(&meter).unwrap().report().sentinels.is_empty());
        // One 99.9 mm day in a season of dry days and rain up to 30 mm: a storm, kept (it is
        // far outside the quartiles, 0 and 0); twice, a sentinel.
        let rain = |storms: &[usize]| {
            let mut text = String::from("t,rain\n");
            for i in 0..40 {
                let r = match i {
                    _ if storms.contains(&i) => 99.9,
                    _ if i % 5 == 0 => (i % 3 * 10 + 10) as f64,
                    _ => 0.0,
                };
                text += &format!("2021-01-01T{:02}:{:02}:00,{r}\n", i / 6, i % 6 * 10);
            }
            load(&text).unwrap().report().sentinels.len()
        };
        assert_eq!((rain(&[17]), rain(&[17, 30])), (0, 1));
        // TMY3's -9900 ("missing") in a visibility column of tens of km.
        let mut tmy = String::from("t,vis\n");
        for i in 0..40 {
            let v = if i % 9 == 4 { -9900 } else { 16 + i % 5 };
            tmy += &format!("2021-01-01T{:02}:{:02}:00,{v}\n", i / 6, i % 6 * 10);
        }
        let series = load(&tmy).unwrap();
        assert_eq!(series.report().sentinels[0].1, "-9900");
        assert_eq!(series.report().sentinels[0].2, 4);
        assert!(
            series
                .column("vis")
                .unwrap()
                .iter()
                .filter(|v| v.is_nan())
                .count()
                == 4
        );
        // Too few other values to say: -999 stays a reading.
        let short = "t,a\n2021-01-01T00:00:00,1\n2021-01-01T01:00:00,-999\n2021-01-01T02:00:00,2\n";
        assert_eq!(load(short).unwrap().column("a").unwrap()[1], -999.0);
    }

    #[test]
    fn times_that_wander_off_the_grid_are_irregular() {
        // 1,000 rows, intervals of 400 to 800 s (never 1.5 periods of ~600 s: no row is
        // dropped or filled in), or 600 s apart with each time off by up to ±120 s (±20%: each
        // interval up to 40% off, but the rows stay near the grid). `u(i)` is uniform in [0, 1)
        // (a hash of `i`).
        let u = |i: u64| {
            let x = (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            ((x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 11) as f64 / (1u64 << 53) as f64
        };
        let file = |interval: &dyn Fn(u64) -> u64| {
            let mut text = String::from("time,a\n");
            let mut t = 1_700_000_000u64;
            for i in 0..1000u64 {
                text += &format!("{t},{}\n", i % 7);
                t += interval(i);
            }
            load(&text).unwrap()
        };
        let spread = file(&|i| 400 + (400.0 * u(i)) as u64);
        let report = spread.report();
        assert_eq!(
            (report.duplicates_dropped, report.interpolated_rows),
            (0, 0)
        );
        assert!(report.off_grid_rows > 200, "{}", report.off_grid_rows);
        assert!(
            report.to_string().contains("the times are irregular ("),
            "{report}"
        );
        // Jitter of e(i) = ±120 s: interval i is 600 + e(i + 1) - e(i).
        let e = |i: u64| (240.0 * u(i)) as i64 - 120;
        let jittered = file(&|i| (600 + e(i + 1) - e(i)) as u64);
        assert_eq!(jittered.report().off_grid_rows, 0);
        assert!(!jittered.report().to_string().contains("irregular"));
    }

    #[test]
    fn columns_left_out_are_not_read() {
        // A status column that starts with a number and later holds text.
        let text = "t,flag,a,b\n\
                    2021-01-01T00:00:00,0,1,10\n\
                    2021-01-01T01:00:00,E1,2,20\n\
                    2021-01-01T02:00:00,0,3,oops\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(&error, LoadError::NotANumber { line: 3, column, .. } if column == "flag"),
            "{error}"
        );
        let with = |ignore: &[&str], only: Option<&[&str]>| {
            let config = LoadConfig {
                ignore_columns: ignore.iter().map(|c| c.to_string()).collect(),
                only_columns: only.map(|o| o.iter().map(|c| c.to_string()).collect()),
                ..LoadConfig::default()
            };
            Series::from_reader(text.as_bytes(), &config)
        };
        // Ignoring `flag` reads on to `b`'s text; leaving `b` out too loads every row.
        let error = with(&["flag"], None).unwrap_err();
        assert!(
            matches!(&error, LoadError::NotANumber { line: 4, column, .. } if column == "b"),
            "{error}"
        );
        let series = with(&["flag", "b"], None).unwrap();
        assert_eq!(series.columns(), ["a"]);
        assert_eq!(series.column("a").unwrap(), [1.0, 2.0, 3.0]);
        assert_eq!(series.report().unread_columns, ["flag", "b"]);
        assert!(series.report().non_numeric_columns.is_empty());
        assert!(
            series
                .report()
                .to_string()
                .contains("left out unread: `flag`, `b`")
        );
        // Only the columns named are read, an ignored one among them too.
        let series = with(&["a"], Some(&["a"])).unwrap();
        assert_eq!(series.columns(), ["a"]);
        assert_eq!(series.report().unread_columns, ["flag", "b"]);
        assert!(with(&[], Some(&["a", "b"])).is_err());
    }

    #[test]
    fn rows_out_of_time_order_are_sorted_when_asked() {
        // An export in two chunks, the later first (Kaggle's PJM files), with a duplicate.
        let text = "Datetime,MW\n2021-01-01 03:00:00,4\n2021-01-01 04:00:00,5\n\
                    2021-01-01 00:00:00,1\n2021-01-01 01:00:00,2\n2021-01-01 01:00:00,9\n\
                    2021-01-01 02:00:00,3\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(error, LoadError::TimeGoesBackwards { line: 4, .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("--sort puts them in order"),
            "{error}"
        );
        let sorted = LoadConfig {
            sort_by_time: true,
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &sorted).unwrap();
        assert_eq!(series.column("MW"), Some(&[1.0, 2.0, 3.0, 4.0, 5.0][..]));
        assert_eq!(series.report().duplicates_dropped, 1);
        assert!(series.report().sorted);
        assert!(
            series
                .report()
                .to_string()
                .contains("rows put in time order")
        );
        // A bad row stays after the row before it: line 5 (after 00:00) is met before line 3
        // (after 01:00).
        let text = "time,v\n2021-01-01T01:00Z,2\nnot a time,7\n2021-01-01T00:00Z,1\nbad,8\n";
        let error = Series::from_reader(text.as_bytes(), &sorted).unwrap_err();
        assert!(
            matches!(error, LoadError::BadTimestamp { line: 5, .. }),
            "{error:?}"
        );
        // Local times in order across the US fall-back (2021-11-07) are not sorted: the clock
        // change is taken out, every row kept.
        let text = "time,v\n2021-11-07 00:30,1\n2021-11-07 01:00,2\n2021-11-07 01:30,3\n\
                    2021-11-07 01:00,4\n2021-11-07 01:30,5\n2021-11-07 02:00,6\n";
        let plain = load(text).unwrap();
        let series = Series::from_reader(text.as_bytes(), &sorted).unwrap();
        assert!(!series.report().sorted);
        assert_eq!(series.report().clock_changes, plain.report().clock_changes);
        assert_eq!(series.report().clock_changes.len(), 1);
        assert_eq!(
            series.column("v"),
            Some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0][..])
        );
        // Newest first across the fall-back: reversed, the repeat kept.
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.reverse();
        let newest_first = format!("time,v\n{}\n", lines.join("\n"));
        let series = Series::from_reader(newest_first.as_bytes(), &sorted).unwrap();
        assert!(series.report().sorted);
        assert_eq!(series.report().clock_changes.len(), 1);
        assert_eq!(
            series.column("v"),
            Some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0][..])
        );
    }

    #[test]
    fn two_digit_years_last_or_refused() {
        // `dd/mm/yy HH:MM` hourly over two days: the year is last.
        let mut text = String::from("Date,t\n");
        for h in 0..48 {
            text.push_str(&format!("{:02}/01/23 {:02}:00,{h}\n", 30 + h / 24, h % 24));
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().period_ms, 3_600_000);
        assert_eq!(
            series.times()[0],
            timestamp::days_from_civil(2023, 1, 30) * 86_400_000
        );
        // `yy.mm.dd` daily: the "year" counts up, the first field stays: refused.
        let mut daily = String::from("date,v\n");
        for d in 1..=10 {
            daily.push_str(&format!("23.05.{d:02},{d}\n"));
        }
        let error = load(&daily).unwrap_err();
        assert!(
            matches!(&error, LoadError::TwoDigitYearFirst { column, .. } if column == "date"),
            "{error:?}"
        );
        assert!(error.to_string().contains("write the dates as YYYY-MM-DD"));
        // Monthly and yearly dates with the year last load (read year first they are no dates
        // or not in order), and so do month names.
        let monthly: String = (1..=12).map(|m| format!("01.{m:02}.00,{m}\n")).collect();
        let yearly: String = (90..=99).map(|y| format!("01.01.{y},{y}\n")).collect();
        let named: String = ["Jan", "Feb", "Mar", "Apr"]
            .iter()
            .enumerate()
            .map(|(i, m)| format!("1-{m}-00,{i}\n"))
            .collect();
        let day = |y, m, d| timestamp::days_from_civil(y, m, d) * 86_400_000;
        for (body, second) in [
            (monthly, day(2000, 2, 1)),
            (yearly, day(1991, 1, 1)),
            (named, day(2000, 2, 1)),
        ] {
            let series = load(&format!("date,v\n{body}")).unwrap();
            assert_eq!(series.times()[1], second, "{body}");
        }
    }

    #[test]
    fn a_date_column_and_an_hour_column() {
        // Hour ending 1 to 24 (24 is the next midnight), as energy markets write it.
        let mut text = String::from("Date,HE,Load\n");
        for i in 0..48 {
            text.push_str(&format!(
                "2023-03-{:02},{},{}\n",
                1 + i / 24,
                1 + i % 24,
                100 + i
            ));
        }
        let series = load(&text).unwrap();
        let report = series.report();
        assert_eq!(report.timestamp_columns, ["Date", "HE"]);
        assert!(matches!(
            report.timestamp_format,
            TimestampFormat::DateAndHour(_)
        ));
        assert_eq!(report.period_ms, 3_600_000);
        assert_eq!(report.duplicates_dropped, 0);
        assert_eq!(series.len(), 48);
        let start = timestamp::days_from_civil(2023, 3, 1) * 86_400_000;
        assert_eq!(series.times()[0], start + 3_600_000);
        assert_eq!(series.times()[23], start + 24 * 3_600_000);
        assert!(report.to_string().contains("and hour columns (local time)"));
        // A spreadsheet date and `Hour` 0 to 23; an hour past 24 is a bad row.
        let text = "Date,Hour,v\n01/05/2023,0,1\n01/05/2023,1,2\n01/05/2023,2,3\n13/05/2023,25,4\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(&error, LoadError::BadTimestamp { line: 5, column, .. } if column == "Hour"),
            "{error:?}"
        );
        // Heart rates are no hours.
        let text = "date,hr\n2023-05-01,72\n2023-05-02,75\n2023-05-03,71\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Iso8601);
        assert_eq!(series.columns(), ["hr"]);
    }

    #[test]
    fn rows_one_field_wider_than_the_header() {
        // R's write.table: row names without a header name; a trailing delimiter on every row.
        let r = "\"time\",\"temp\"\n\"1\",\"2023-05-13 00:00\",0\n\"2\",\"2023-05-13 01:00\",1\n\
                 \"3\",\"2023-05-13 02:00\",2\n";
        let trailing = "time,temp\n2023-05-13 00:00,0,\n2023-05-13 01:00,1,\n2023-05-13 02:00,2,\n";
        let tab = trailing.replace(',', "\t");
        let quoted = trailing.replace(",\n", ",\"\"\n");
        let cr = trailing.replace('\n', "\r");
        let units = trailing.replacen("temp\n", "temp\n,degC\n", 1);
        // A header that ends in a delimiter over rows that do not.
        let header_comma =
            "time,temp,\n2023-05-13 00:00,0\n2023-05-13 01:00,1\n2023-05-13 02:00,2\n";
        let series = load(header_comma).unwrap();
        assert_eq!(series.columns(), ["temp"]);
        assert!(series.report().unnamed_columns.is_empty());
        let subset = r
            .replacen("\"2\"", "\"5\"", 1)
            .replacen("\"3\"", "\"9\"", 1);
        for (text, unnamed) in [
            (r, "column 1"),
            (&subset, "column 1"),
            (trailing, "column 3"),
            (&tab, "column 3"),
            (&quoted, "column 3"),
            (&cr, "column 3"),
            (&units, "column 3"),
        ] {
            let series = load(text).unwrap();
            assert_eq!(series.column("temp"), Some(&[0.0, 1.0, 2.0][..]), "{text}");
            let report = series.report();
            let listed = report
                .unnamed_columns
                .iter()
                .chain(&report.non_numeric_columns);
            assert!(listed.into_iter().any(|c| c == unnamed), "{report:?}");
        }
    }

    #[test]
    fn the_new_rules_keep_out_of_the_way() {
        let mut rows = String::new();
        for h in 1..40 {
            rows.push_str(&format!(
                "2023-01-01T{:02}:{:02}:00,{h}.5\n",
                h / 4,
                h % 4 * 15
            ));
        }
        // A stray field on the first row is that row's error, the header stays.
        let text = format!("time,temp\n2023-01-01T00:00:00,20.5,x\n{rows}");
        let error = load(&text).unwrap_err();
        assert!(
            matches!(
                error,
                LoadError::FieldCount {
                    line: 2,
                    expected: 2,
                    found: 3
                }
            ),
            "{error:?}"
        );
        assert_eq!(load_skipping(&text).unwrap().len(), 39);
        // Every row wider, not numbered, not ending in the delimiter: no row names (bad rows).
        let wide: String = rows.lines().map(|l| format!("{l},0\n")).collect();
        assert!(matches!(
            load(&format!("time,temp\n{wide}")),
            Err(LoadError::FieldCount { line: 2, .. })
        ));
        // An uptime next to a clock is data.
        let text = "Date,Time,uptime,temp\n05/13/2023,00:00,17,0.5\n05/13/2023,01:00,18,1.5\n\
                    05/13/2023,02:00,19,2.5\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().timestamp_columns, ["Date", "Time"]);
        assert_eq!(series.columns(), ["uptime", "temp"]);
        // An `hour` reading in a daily file is data.
        let text = "date,hour,temp\n2023-01-01,0,0.5\n2023-01-02,5,1.5\n2023-01-03,9,2.5\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().period_ms, 86_400_000);
        assert_eq!(series.columns(), ["hour", "temp"]);
        // A header and a dated row, a blank line: no preamble (the rest is the table's).
        let text = "station,time,temp\nA,2023-01-01T00:00:00,1\n\nB,2023-01-01T01:00:00,2\n\
                    C,2023-01-01T02:00:00,3\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().preamble_end, None);
        assert_eq!(series.column("temp"), Some(&[1.0, 2.0, 3.0][..]));
    }

    #[test]
    fn data_quality_codes_are_no_default_features() {
        for name in [
            "GHI uncert (%)",
            "Dry-bulb uncert (code)",
            "temp_qc",
            "Flag",
            "ghi-flag",
            "PresWth (METAR code)",
        ] {
            assert!(flag_named(name, &[]), "{name}");
        }
        for name in [
            "GHI (W/m^2)",
            "flagpole_temp",
            "resource_kw",
            "Temperature [deg C]",
            "air_quality",
            "sensor.kitchen_air_quality",
            "heat_source",
        ] {
            assert!(!flag_named(name, &[]), "{name}");
        }
        // A TMY3 `source` column next to its `uncert` twin.
        let tmy3 = ["GHI (W/m^2)", "GHI source", "GHI uncert (%)", "DNI source"].map(String::from);
        assert!(flag_named("GHI source", &tmy3));
        assert!(!flag_named("DNI source", &tmy3));
        let text = "time,temp,temp_qc,rh\n2023-01-01T00:00,1,0,50\n2023-01-01T01:00,2,2,51\n\
                    2023-01-01T02:00,3,0,52\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().flag_columns, ["temp_qc"]);
        assert!(
            series
                .report()
                .to_string()
                .contains("data-quality codes, not default features")
        );
        use crate::data::{Dataset, DatasetConfig, WindowSpec};
        let mut config = DatasetConfig::new("temp", WindowSpec::new(1, 0, 1).unwrap());
        config.split = [1.0, 0.0, 0.0];
        let dataset = Dataset::new(&series, &config).unwrap();
        let names: Vec<&str> = dataset.features().iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["temp", "rh"]);
        // Forecasting a flag column itself, its past is a feature.
        let config = DatasetConfig {
            target: "temp_qc".into(),
            ..config
        };
        let dataset = Dataset::new(&series, &config).unwrap();
        let names: Vec<&str> = dataset.features().iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["temp", "temp_qc", "rh"]);
    }

    #[test]
    fn typical_year_months_from_other_years_form_one_year() {
        // A PSM3 typical year's month boundaries: January 2003, February 1998, March 2014.
        let text = "Year,Month,Day,Hour,Minute,Temperature\n2003,1,31,22,30,1\n2003,1,31,23,30,2\n\
                    1998,2,1,0,30,3\n1998,2,1,1,30,4\n1998,2,28,23,30,5\n2014,3,1,0,30,6\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().typical_years, [2003, 1998, 2014]);
        let hour = 3_600_000;
        let jan31 = (timestamp::from_parts(&["1990", "1", "31", "22", "30"])).unwrap();
        let feb28 = (timestamp::from_parts(&["1990", "2", "28", "23", "30"])).unwrap();
        assert_eq!(series.times()[0], jan31);
        assert_eq!(series.times()[3], jan31 + 3 * hour);
        assert_eq!(series.times().last(), Some(&(feb28 + hour)));
        assert!(series.report().to_string().contains("2003, 1998, 2014"));
        // A record that runs into the next year is no typical year, nor is one whose year
        // changes within a month (then time goes backwards).
        let record = "Year,Month,Day,Hour,Temperature\n2015,12,31,22,1\n2015,12,31,23,2\n\
                      2016,1,1,0,3\n";
        let series = load(record).unwrap();
        assert!(series.report().typical_years.is_empty());
        assert_eq!(series.times()[2] - series.times()[1], hour);
        let within = "Year,Month,Day,Hour,Temperature\n2015,2,1,0,1\n2015,2,1,1,2\n2010,2,1,2,3\n";
        assert!(matches!(
            load(within).unwrap_err(),
            LoadError::TimeGoesBackwards { line: 4, .. }
        ));
        // A log with a gap of more than a year keeps its years: months skipped, or in order
        // without a whole year.
        for gap in [
            "Year,Month,Day,Hour,Temperature\n2019,3,1,0,1\n2019,4,1,0,2\n2020,6,1,0,3\n",
            "Year,Month,Day,Hour,Temperature\n2019,3,1,0,1\n2019,4,1,0,2\n2021,5,1,0,3\n",
        ] {
            let series = load(gap).unwrap();
            assert!(series.report().typical_years.is_empty(), "{gap}");
            let year = 365 * 24 * 3_600_000;
            assert!(series.times()[2] - series.times()[1] > year);
        }
        // A whole typical year whose months' years happen to rise is still one.
        let mut rising = String::from("Year,Month,Day,Hour,Temperature\n");
        for month in 1..=12 {
            rising.push_str(&format!("{},{month},1,0,{month}\n", 2000 + month));
        }
        assert_eq!(load(&rising).unwrap().report().typical_years.len(), 12);
    }

    #[test]
    fn a_typical_year_with_february_29_moves_to_a_leap_year() {
        // February from 2008, a leap year, with its 29th; March from 2011.
        let text = "Year,Month,Day,Hour,Temperature\n2013,1,31,23,1\n2008,2,28,23,2\n\
                    2008,2,29,0,3\n2008,2,29,23,4\n2011,3,1,0,5\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().typical_years, [2013, 2008, 2011]);
        assert_eq!(series.report().typical_year, Some(tmy3::TYPICAL_LEAP_YEAR));
        let feb29 = timestamp::from_parts(&["1988", "2", "29", "0"]).unwrap();
        assert_eq!(series.times()[2], feb29);
        // No gap: March 1 follows February 29's last hour.
        assert_eq!(series.times()[4] - series.times()[3], 3_600_000);
        assert!(series.report().to_string().contains("moved to 1988"));
        // Without February 29 the year is not a leap year, so March 1 follows February 28.
        let text = "Year,Month,Day,Hour,Temperature\n2018,2,28,23,2\n2011,3,1,0,5\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().typical_year, Some(tmy3::TMY3_YEAR));
        assert_eq!(series.times()[1] - series.times()[0], 3_600_000);
    }

    #[test]
    fn new_layouts_leave_older_ones_alone() {
        // Comments: not inside a quoted multi-line cell, not taken for a header after a blank
        // line, and found in a file of bare `\r` line ends.
        let multi = "time,note,temp\n2023-05-13 00:00,ok,0\n2023-05-13 01:00,\"first\n#2 second\",1\n\
                     2023-05-13 02:00,ok,2\n";
        let series = load(multi).unwrap();
        assert_eq!(series.column("temp"), Some(&[0.0, 1.0, 2.0][..]));
        assert!(series.report().comment_lines.is_empty());
        let blank = "time,temp\n2023-05-13 00:00,0\n\n# restart, fw 2\n2023-05-13 01:00,1\n\
                     2023-05-13 02:00,2\n";
        let series = load(blank).unwrap();
        assert_eq!(series.report().preamble_end, None);
        assert_eq!(series.column("temp"), Some(&[0.0, 1.0, 2.0][..]));
        let cr = "time,temp\r2023-05-13 00:00,0\r# note\r2023-05-13 01:00,1\r2023-05-13 02:00,2\r";
        assert_eq!(load(cr).unwrap().column("temp"), Some(&[0.0, 1.0, 2.0][..]));
        // A `;` file whose times have comma fractions: no preamble under `,`.
        let text = "time;temp\n2023-01-01 00:00:00,5;0,5\n2023-01-01 01:00:00,5;1,5\n\
                    2023-01-01 02:00:00,5;2,5\n2023-01-01 03:00:00,5;3,5\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().preamble_end, None);
        assert_eq!(series.column("temp").map(|c| c[1]), Some(1.5));
        // A `;` file whose header has no comma and every row a decimal comma: no preamble.
        let mut text = String::from("Datum;Temperatur\n");
        for h in 0..10 {
            text.push_str(&format!("2023-01-01T{h:02}:00;{h},5\n"));
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().preamble_end, None);
        assert_eq!(series.column("Temperatur").map(|c| c[1]), Some(1.5));
        // A spreadsheet date wins over year, month and day columns; a `ms` reading over a
        // unit-named time; a `min` reading is no minute.
        let mut text = String::from("Date,Year,Month,Day,kWh,ms,min\n");
        for h in 0..10 {
            text.push_str(&format!("13/05/2023 {h}:00,2023,5,13,0.5,800,-3\n"));
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().timestamp_columns, ["Date"]);
        assert_eq!(series.report().period_ms, 3_600_000);
        assert_eq!(
            series.columns(),
            ["Year", "Month", "Day", "kWh", "ms", "min"]
        );
        // Parts down to seconds (a `second` column is a part there, not a count of seconds).
        let mut text = String::from("year,month,day,hour,minute,second,v\n");
        for i in 0..10 {
            text.push_str(&format!("2023,5,1,0,{},{},{i}\n", i / 2, i % 2 * 30));
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Parts(3));
        assert_eq!(series.report().period_ms, 30_000);
        // A `second` of readings (not a time of day) leaves the parts before it.
        let text =
            "year,month,day,hour,second,v\n2023,5,1,0,75,1\n2023,5,1,1,80,2\n2023,5,1,2,90,3\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Parts(1));
        assert_eq!(series.columns(), ["second", "v"]);
        // A TOA5 file or an Open-Meteo export as wide as its preamble.
        let mut toa5 = String::from(
            "\"TOA5\",\"S\",\"CR1000\",\"1\"\n\"TIMESTAMP\",\"RECORD\",\"AirTC\",\"RH\"\n\
             \"TS\",\"RN\",\"Deg C\",\"%\"\n\"\",\"\",\"Avg\",\"Smp\"\n",
        );
        let mut meteo = String::from(
            "latitude,longitude,elevation,utc_offset_seconds\n52.5,13.4,38.0,0\n\n\
                                      time,t (°C),rh (%),wind (km/h)\n",
        );
        for h in 0..10 {
            toa5.push_str(&format!("\"2023-01-01 {h:02}:00:00\",{h},1.5,80\n"));
            meteo.push_str(&format!("2023-01-01T{h:02}:00,1.5,80,{h}\n"));
        }
        for (text, preamble) in [(toa5, 1), (meteo, 3)] {
            let series = load(&text).unwrap();
            assert_eq!(series.report().preamble_end, Some(preamble), "{text}");
            assert_eq!(series.report().period_ms, 3_600_000);
        }
    }

    #[test]
    fn hobo_files_load() {
        // HOBOware's export: a title line, a header whose first cell is `#` (the row counter),
        // the time with its offset in the header, US dates with AM/PM.
        let mut text = String::from(
            "\"Plot Title: 10234567\"\n\
             \"#\",\"Date Time, GMT-04:00\",\"Temp, °F (LGR S/N: 10234567)\",\"RH, %\"\n",
        );
        for i in 0..11 {
            text.push_str(&format!(
                "{},05/13/23 {:02}:00:00 AM,{}.5,80\n",
                i + 1,
                1 + i,
                60 + i
            ));
        }
        let series = load(&text).unwrap();
        let report = series.report();
        assert_eq!(report.preamble_end, Some(1));
        assert_eq!(report.timestamp_columns, ["Date Time, GMT-04:00"]);
        assert_eq!(report.counter_columns, ["#"]);
        assert!(report.comment_lines.is_empty());
    }

    #[test]
    fn campbell_toa5_files_load() {
        // The station line, the names, the units and the processing, then quoted timestamps.
        let mut text = String::from(
            "\"TOA5\",\"CR1000_Station\",\"CR1000\",\"1234\",\"CR1000.Std.32\",\"CPU:a.CR1\",\"5\",\"T1\"\n\
             \"TIMESTAMP\",\"RECORD\",\"AirTC_Avg\",\"RH\"\n\"TS\",\"RN\",\"Deg C\",\"%\"\n\
             \"\",\"\",\"Avg\",\"Smp\"\n",
        );
        for i in 0..12 {
            text.push_str(&format!(
                "\"2023-01-01 {:02}:{:02}:00\",{i},{}.5,80\n",
                i / 6,
                i % 6 * 10,
                i % 3
            ));
        }
        let series = load(&text).unwrap();
        let report = series.report();
        assert_eq!(report.preamble_end, Some(1));
        assert_eq!(report.timestamp_columns, ["TIMESTAMP"]);
        assert_eq!(
            report.units,
            Some((
                3,
                vec!["TS".into(), "RN".into(), "Deg C".into(), "%".into()]
            ))
        );
        assert_eq!(
            report.second_units,
            Some((4, vec!["Avg".into(), "Smp".into()]))
        );
        assert_eq!(report.counter_columns, ["RECORD"]);
        assert_eq!(report.period_ms, 600_000);
        assert_eq!(
            series.column("AirTC_Avg").map(|c| c[..3].to_vec()),
            Some(vec![0.5, 1.5, 2.5])
        );
        assert!(
            report
                .to_string()
                .contains("line 4 is units, not data: `Avg`, `Smp`")
        );
    }

    #[test]
    fn a_preamble_above_the_header_is_left_out() {
        // Open-Meteo's CSV: the location's names and values, a blank line, the table.
        let text = "latitude,longitude,elevation,utc_offset_seconds,timezone,timezone_abbreviation\n\
                    52.52,13.42,38.0,0,GMT,GMT\n\n\
                    time,temperature_2m (°C),relative_humidity_2m (%)\n\
                    2023-01-01T00:00,1.5,80\n2023-01-01T01:00,1.0,81\n2023-01-01T02:00,0.5,x\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(error, LoadError::NotANumber { line: 7, .. }),
            "{error:?}"
        );
        let series = load_skipping(text).unwrap();
        assert_eq!(
            series.columns(),
            ["temperature_2m (°C)", "relative_humidity_2m (%)"]
        );
        assert_eq!(series.report().preamble_end, Some(3));
        assert!(
            series
                .report()
                .to_string()
                .contains("lines up to 3 are a preamble")
        );
        // After comments, in a `;` file; a table without a preamble has none.
        let text = "# station 7\nStation Berlin\ntime;t\n2023-01-01T00:00;1,5\n\
                    2023-01-01T01:00;2,5\n2023-01-01T02:00;3\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().preamble_end, Some(2));
        assert_eq!(series.column("t"), Some(&[1.5, 2.5, 3.0][..]));
        let plain = "time,t\n2023-01-01T00:00,1\n2023-01-01T01:00,2\n2023-01-01T02:00,3\n";
        assert_eq!(load(plain).unwrap().report().preamble_end, None);
    }

    #[test]
    fn year_month_day_hour_columns_and_row_counters() {
        // UCI's air-quality layout: a row number, the date and hour in parts, an NA.
        let mut text = String::from("No,year,month,day,hour,pm2.5,TEMP\n");
        for i in 0..30 {
            let (day, hour) = (1 + i / 24, i % 24);
            let pm = if i == 5 {
                "NA".to_owned()
            } else {
                format!("{}", 10 + i % 5)
            };
            text.push_str(&format!("{},2013,3,{day},{hour},{pm},{}.5\n", i + 1, i % 7));
        }
        let series = load_skipping(&text).unwrap();
        let report = series.report();
        assert_eq!(report.timestamp_format, TimestampFormat::Parts(1));
        assert_eq!(report.timestamp_columns, ["year", "month", "day", "hour"]);
        assert_eq!(report.period_ms, 3_600_000);
        assert_eq!(series.columns(), ["No", "pm2.5", "TEMP"]);
        // `No` counts the rows (its missing row interpolated): no default feature.
        assert_eq!(report.counter_columns, ["No"]);
        assert!(
            report
                .to_string()
                .contains("row counter, not a default feature: `No`")
        );
        let start = timestamp::days_from_civil(2013, 3, 1) * 86_400_000;
        assert_eq!(series.times()[0], start);
        assert_eq!(series.times()[25], start + 25 * 3_600_000);
        assert!(
            report
                .to_string()
                .contains("year, month, day, hour columns (local time)"),
            "{report}"
        );
        // A date alone in parts; a bad part names its column and line.
        let days = "Year,Month,Day,rain\n2020,1,30,1\n2020,1,31,2\n2020,2,1,3\n2020,2,30,4\n";
        let error = load(days).unwrap_err();
        assert!(
            matches!(&error, LoadError::BadTimestamp { line: 5, column, .. } if column == "Day"),
            "{error:?}"
        );
        let series = load_skipping(days).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Parts(0));
        assert_eq!(series.report().period_ms, 86_400_000);
        assert_eq!(series.column("rain"), Some(&[1.0, 2.0, 3.0][..]));
        // A float export's `2020.0`; a minute column only after an hour column.
        let floats = "year,month,day,hour,minute,v\n2020.0,1,1,0,0,1\n2020.0,1,1,0,30,2\n\
                      2020.0,1,1,1,0,3\n";
        let series = load(floats).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Parts(2));
        assert_eq!(series.report().period_ms, 1_800_000);
        // Counters: whole steps of 1 (nine in ten); a measured value is not one.
        assert!(is_counter((1..=20).map(f64::from)));
        let one_missing = (1..=20).map(|i| if i == 7 { f64::NAN } else { f64::from(i) });
        assert!(is_counter(one_missing), "a missing cell is skipped");
        assert!(!is_counter((1..=5).map(f64::from)), "too few rows to tell");
        assert!(!is_counter(
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.5].into_iter()
        ));
        assert!(!is_counter((0..20).map(|i| f64::from(i * 2))));
        assert!(!is_counter((0..20).map(|i| f64::from(20 - i))));
        // Only under a row number's name: a ramp called `level` is data.
        assert!(counter_named("No.") && counter_named("RECORD") && !counter_named("level"));
        assert!(counter_named("entry_id") && counter_named("ID") && counter_named("#"));
        let ramp = "time,level,Index\n2021-01-01T00:00Z,1,1\n2021-01-01T01:00Z,2,2\n";
        let mut ramp = ramp.to_owned();
        for h in 2..12 {
            ramp.push_str(&format!("2021-01-01T{h:02}:00Z,{},{}\n", h + 1, h + 1));
        }
        assert_eq!(load(&ramp).unwrap().report().counter_columns, ["Index"]);
    }

    #[test]
    fn iso8601_file_with_offsets() {
        let series = load(
            "time,a,label\n\
             2021-03-04T06:00:00+01:00,1.5,x\n\
             2021-03-04T05:10:00Z,2,y\n\
             2021-03-04 05:20,-3e-1,z\n",
        )
        .unwrap();
        let t0 = timestamp::parse_iso8601("2021-03-04T05:00:00Z").unwrap();
        assert_eq!(series.times(), [t0, t0 + 600_000, t0 + 1_200_000]);
        assert_eq!(series.columns(), ["a"]);
        assert_eq!(series.column("a"), Some(&[1.5, 2.0, -0.3][..]));
        let report = series.report();
        assert_eq!(report.timestamp_format, TimestampFormat::Iso8601);
        assert_eq!(report.timestamp_columns, ["time"]);
        assert_eq!(report.non_numeric_columns, ["label"]);
        assert_eq!(report.period_ms, 600_000);
        assert_eq!((report.rows_read, report.rows, report.segments), (3, 3, 1));
    }

    #[test]
    fn jena_file() {
        let series = load(
            "\"Date Time\",\"p (mbar)\",\"T (degC)\"\n\
             01.01.2009 00:10:00,996.52,-8.02\n\
             01.01.2009 00:20:00,996.57,-8.41\n\
             01.01.2009 00:30:00,996.53,-8.51\n",
        )
        .unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Jena);
        assert_eq!(series.report().timestamp_columns, ["Date Time"]);
        assert_eq!(series.times()[0], 1_230_768_600_000);
        assert_eq!(series.report().period_ms, 600_000);
        assert_eq!(series.columns(), ["p (mbar)", "T (degC)"]);
        assert_eq!(series.column("T (degC)"), Some(&[-8.02, -8.41, -8.51][..]));
    }

    const TMY3: &str = "\
723170,\"GREENSBORO PIEDMONT TRIAD INT\",NC,-5.0,36.100,-79.950,273
Date (MM/DD/YYYY),Time (HH:MM),Dry-bulb (C),Dry-bulb source
01/31/1988,23:00,1.5,A
01/31/1988,24:00,1.0,A
02/01/1996,01:00,2,B
";

    #[test]
    fn tmy3_file_hour_24_and_fixed_year() {
        let series = load(TMY3).unwrap();
        let report = series.report();
        assert_eq!(report.timestamp_format, TimestampFormat::Tmy3);
        assert_eq!(
            report.timestamp_columns,
            ["Date (MM/DD/YYYY)", "Time (HH:MM)"]
        );
        assert_eq!(report.non_numeric_columns, ["Dry-bulb source"]);
        let t = timestamp::parse_iso8601("1990-01-31T23:00:00-05:00").unwrap();
        assert_eq!(series.times(), [t, t + 3_600_000, t + 7_200_000]);
        assert_eq!(
            series.segments(),
            [0..3],
            "the year jump 1988 -> 1996 is not a gap"
        );
    }

    #[test]
    fn explicit_timestamp_column() {
        let text = "id,at,v\n1,2021-01-01T00:00:00,1\n2,2021-01-01T01:00:00,2\n";
        let config = LoadConfig {
            timestamp_column: Some("at".into()),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(series.columns(), ["id", "v"]);
        let config = LoadConfig {
            timestamp_column: Some("when".into()),
            ..LoadConfig::default()
        };
        let error = Series::from_reader(text.as_bytes(), &config).unwrap_err();
        assert!(
            matches!(&error, LoadError::UnknownColumn { role: "timestamp", name, available }
                if name == "when" && available == &["id", "at", "v"]),
            "{error:?}"
        );
        assert!(error.to_string().contains("`id`, `at`, `v`"), "{error}");
        // A column of numbers is a Unix time or a count, whatever its name; here the unit is
        // not known.
        let config = LoadConfig {
            timestamp_column: Some("v".into()),
            ..LoadConfig::default()
        };
        let error = Series::from_reader(text.as_bytes(), &config).unwrap_err();
        assert!(
            matches!(&error, LoadError::TimeUnitUnknown { column, value } if column == "v" && value == "1"),
            "{error:?}"
        );
        assert!(error.to_string().contains("`v_s` or `v_ms`"), "{error}");
        let text = "id,at,v\n1,2021-01-01T00:00:00,1700000000\n2,2021-01-01T01:00:00,1700000060\n";
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixSeconds
        );
        assert_eq!(series.report().period_ms, 60_000);
        // A column in no known layout: its first row is a bad ISO 8601 timestamp.
        let text = "id,at,v\nx,2021-01-01T00:00:00,1\ny,2021-01-01T01:00:00,2\n";
        let config = LoadConfig {
            timestamp_column: Some("id".into()),
            ..LoadConfig::default()
        };
        let error = Series::from_reader(text.as_bytes(), &config).unwrap_err();
        assert!(
            matches!(&error, LoadError::BadTimestamp { line: 2, column, .. } if column == "id"),
            "{error:?}"
        );
    }

    #[test]
    fn unix_time_columns_and_sub_second_periods() {
        // Detected by name where no ISO 8601 or Jena column is: seconds with a fraction.
        let text = "Time (s),ax\n1709251200.00,1\n1709251200.02,2\n1709251200.04,3\n";
        let series = load(text).unwrap();
        let report = series.report();
        assert_eq!(report.timestamp_format, TimestampFormat::UnixSeconds);
        assert_eq!(report.period_ms, 20);
        assert_eq!(series.columns(), ["ax"]);
        assert_eq!(series.times()[2] - series.times()[0], 40);
        assert!(report.to_string().contains("period 20 ms"), "{report}");
        // Milliseconds by the name's unit, or by the size of the number.
        for text in [
            "timestamp_ms,ax\n1709251200000,1\n1709251200500,2\n1709251201000,3\n",
            "epoch,ax\n1709251200000,1\n1709251200500,2\n1709251201000,3\n",
        ] {
            let series = load(text).unwrap();
            assert_eq!(
                series.report().timestamp_format,
                TimestampFormat::UnixMillis
            );
            assert_eq!(series.report().period_ms, 500);
            let report = series.report().to_string();
            assert!(report.contains("period 500 ms"), "{report}");
        }
        assert_eq!(Duration(1500).to_string(), "1.5 s");
        assert_eq!(Duration(3_600_000).to_string(), "3600 s");
        // A count from power-up is a time too (only differences matter), with its unit named.
        let series = load("time_s,x\n0,1\n10,2\n20,3\n").unwrap();
        assert_eq!(series.report().period_ms, 10_000);
        for header in ["Time [ms]", "time(ms)", "TIME_MS", "timestamp (ms)"] {
            let series = load(&format!("{header},x\n0,1\n20,2\n40,3\n")).unwrap();
            assert_eq!(series.report().period_ms, 20, "{header}");
        }
        let series = load("Time [s],x\n0.5,1\n1.0,2\n1.5,3\n").unwrap();
        assert_eq!(series.report().period_ms, 500);
        // A unit alone is a time with that unit (an Arduino's `millis()`), and so is a count
        // named elapsed or uptime with its unit.
        for (header, period) in [
            ("millis", 20),
            ("MS", 20),
            ("seconds", 20_000),
            ("Sec", 20_000),
            ("elapsed_ms", 20),
            ("uptime (s)", 20_000),
            ("time_sec", 20_000),
            ("Elapsed [sec]", 20_000),
        ] {
            let series = load(&format!("{header},x\n0,1\n20,2\n40,3\n")).unwrap();
            assert_eq!(series.report().period_ms, period, "{header}");
        }
        assert!(matches!(
            load("elapsed,x\n0,1\n20,2\n"),
            Err(LoadError::TimeUnitUnknown { .. })
        ));
        // Without a unit a small number is no Unix time: an Arduino `millis()`, hours, a
        // spreadsheet date would all be misread.
        for text in ["time,x\n0,1\n20,2\n", "Timestamp,x\n45352.5,1\n45352.6,2\n"] {
            assert!(
                matches!(load(text), Err(LoadError::TimeUnitUnknown { .. })),
                "{text}"
            );
        }
        // Without a unit: seconds or milliseconds of 2000 to 2100, else no guess (a `millis()`
        // after 28 hours; dates as digits).
        let series = load("epoch,x\n1700000000,1\n1700000060,2\n").unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixSeconds
        );
        let series = load("epoch,x\n1700000000000,1\n1700000000020,2\n").unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixMillis
        );
        for first in [
            "100000000",
            "202101010000",
            "2021010100",
            "20210101000000",
            "4200000000",
        ] {
            let text = format!("time,x\n{first},1\n{first}1,2\n");
            assert!(
                matches!(load(&text), Err(LoadError::TimeUnitUnknown { .. })),
                "{first}"
            );
        }
        assert!(digit_date("2021123123"));
        assert!(!digit_date("1700000000") && !digit_date("2021133100"));
        // Hour 24 as the parser reads it (a day's last hour, `24:00:00` only).
        assert!(digit_date("2021123124") && !digit_date("202112312401"));
        assert!(!digit_date("2021123125") && !digit_date("1969123100"));
    }

    #[test]
    fn unix_times_in_microseconds_and_nanoseconds() {
        let start_ms = 1_700_000_000_000i64;
        // Unitless, by their size: a phone app's nanoseconds (19 digits) and microseconds.
        let mut ns = String::from("time,seconds_elapsed,x\n");
        let mut us = String::from("timestamp,x\n");
        for i in 0..12i64 {
            // (20 ms apart, with a jitter below half a millisecond.)
            let jitter = (i * 7919) % 400_000;
            ns += &format!(
                "{},{},{i}\n",
                (start_ms + 20 * i) * 1_000_000 + jitter,
                i as f64 * 0.02
            );
            us += &format!("{},{i}\n", (start_ms + 20 * i) * 1_000 + jitter / 1000);
        }
        let series = load(&ns).unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::UnixNanos);
        assert_eq!(series.report().period_ms, 20);
        assert_eq!(series.times()[3], start_ms + 60);
        assert_eq!(series.report().clock_columns, ["seconds_elapsed"]);
        assert!(
            series
                .report()
                .to_string()
                .contains("a second clock, not a default feature: `seconds_elapsed`")
        );
        let series = load(&us).unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixMicros
        );
        assert_eq!(series.times()[11], start_ms + 220);
        // Named by their unit, any count: microseconds since power-up, rounded half away
        // from zero.
        let series = load("time_us,x\n0,1\n1500,2\n4499,3\n5500,4\n").unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixMicros
        );
        assert_eq!(series.times(), [0, 2, 4, 6]);
        assert!(series.report().time_count);
        let series = load("time (ns),x\n0,1\n10000000,2\n20000000,3\n").unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::UnixNanos);
        assert_eq!(series.report().period_ms, 10);
        assert!(
            series
                .report()
                .to_string()
                .contains("nanoseconds since power-up")
        );
        assert_eq!(timestamp::parse_unix_fine("-2500", 1000), Ok(-3));
        assert!(timestamp::parse_unix_fine("12345678901234567890", 1).is_err());
        assert_eq!(timestamp::parse_unix_fine("1.5e3", 1000), Ok(2));
        assert!(timestamp::parse_unix_fine("1.5e", 1000).is_err());
        // Written with an exponent, under a name with the Greek mu for the micro sign.
        let series = load("time [\u{3bc}s],x\n1.7E15,1\n1.70000000002E15,2\n1.70000000004E15,3\n");
        let series = series.unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::UnixMicros
        );
        assert_eq!(series.times(), [start_ms, start_ms + 20, start_ms + 40]);
        // A rising reading is no clock, nor a time-named column that goes up and down; a
        // time-named one that rises is.
        let mut text = String::from("time_s,uptime,temp,seconds_elapsed\n");
        for (i, up) in [0, 5, 3, 9, 2, 8, 1, 9, 2, 9].into_iter().enumerate() {
            text += &format!("{i},{up},{},{}\n", i + 1, 10 * i);
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().clock_columns, ["seconds_elapsed"]);
    }

    #[test]
    fn a_file_without_a_header_names_its_columns_by_position() {
        // A wearable's tab-separated log without a time (its first row data, `NaN` in it),
        // and a logger's rows with their time first.
        let text = "0.5\tNaN\t-9.81\n0.6\t1.2\t-9.79\n0.4\t1.1\t-9.80\n";
        let config = LoadConfig {
            sample_period_ms: Some(20),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert!(series.report().no_header);
        assert_eq!(series.columns(), ["col1", "col2", "col3"]);
        assert_eq!(series.column("col1").unwrap(), [0.5, 0.6, 0.4]);
        assert!(series.column("col2").unwrap()[0].is_nan());
        assert_eq!(series.times(), [0, 20, 40]);
        assert!(
            series
                .report()
                .to_string()
                .contains("no header: the columns are named col1")
        );
        let series =
            load("2021-03-01 00:00,12.5,40\n2021-03-01 00:10,12.7,41\n2021-03-01 00:20,12.9,39\n")
                .unwrap();
        assert!(series.report().no_header);
        assert_eq!(series.report().timestamp_columns, ["col1"]);
        assert_eq!(
            (series.report().rows, series.report().period_ms),
            (3, 600_000)
        );
        assert_eq!(series.column("col2").unwrap(), [12.5, 12.7, 12.9]);
        // Rising whole numbers are names (bins, wavelengths), and so is any text.
        let series =
            load("time,400,410,420\n2021-03-01T00:00,1,2,3\n2021-03-01T00:10,1,2,3\n").unwrap();
        assert!(!series.report().no_header);
        let series = Series::from_reader("1,2,3\n5,6,7\n4,5,6\n".as_bytes(), &config).unwrap();
        assert_eq!(series.columns(), ["1", "2", "3"]);
        assert_eq!(series.report().rows, 2);
    }

    #[test]
    fn dates_written_as_digits_are_local_clock_times() {
        let day = 86_400_000;
        // Daily `YYYYMMDD` under `date` (an energy export), hourly `YYYYMMDDHH` under `time`
        // across a month's end, and `YYYYMMDDHHMMSS` every 10 s.
        let series = load("date,load\n20230130,1\n20230131,2\n20230201,3\n20230202,4\n").unwrap();
        assert_eq!(series.report().timestamp_format, TimestampFormat::Digits(8));
        assert_eq!(series.report().timestamp_columns, ["date"]);
        assert_eq!(series.report().period_ms, day);
        assert_eq!(
            series.times()[2],
            timestamp::days_from_civil(2023, 2, 1) * day
        );
        assert!(series.report().local_time);
        let series =
            load("time,x\n2023013122,1\n2023013123,2\n2023020100,3\n2023020101,4\n").unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::Digits(10)
        );
        assert_eq!(series.report().period_ms, 3_600_000);
        assert_eq!(series.report().rows, 4);
        let series =
            load("timestamp,x\n20230501235950,1\n20230502000000,2\n20230502000010,3\n").unwrap();
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::Digits(14)
        );
        assert_eq!(series.report().period_ms, 10_000);
        assert!(
            series
                .report()
                .to_string()
                .contains("timestamps YYYYMMDDHHMMSS (local time) in timestamp")
        );
        // Nine in ten of the first 50 cells decide; the others are bad rows, by their line.
        let mut text = String::from("date,x\n");
        for d in 1..=31 {
            text += &format!("202301{d:02},{d}\n");
        }
        text += "20230132,0\n";
        for d in 1..=28 {
            text += &format!("202302{d:02},{d}\n");
        }
        match load(&text) {
            Err(LoadError::BadTimestamp {
                line: 33,
                column,
                value,
                ..
            }) => assert_eq!((column.as_str(), value.as_str()), ("date", "20230132")),
            other => panic!("{other:?}"),
        }
        // A first cell that is no date: the column is no time.
        assert!(matches!(
            load(&text.replacen("20230101", "20230100", 1)),
            Err(LoadError::NoTimestampColumn { .. })
        ));
        // A number that reads as a date at first but not for long is a Unix time or a count
        // (here seconds from 2034 on, every 7 s: no unit, so the loader asks for it).
        let mut text = String::from("time,x\n");
        for i in 0..20 {
            text += &format!("{},{i}\n", 2_023_013_100 + 7 * i);
        }
        assert!(matches!(
            load(&text),
            Err(LoadError::TimeUnitUnknown { .. })
        ));
        // A date next to a clock, an hour or a count is no time alone: the loader reads that
        // count, or asks.
        let mut logger = String::from("date,millis,temp\n");
        let mut hourly = String::from("date,hour,load\n");
        for i in 0..30 {
            logger += &format!("20230501,{},{i}\n", 1000 * i);
            hourly += &format!("202305{:02},{},{i}\n", 1 + i / 24, i % 24);
        }
        let series = load(&logger).unwrap();
        assert_eq!(series.report().timestamp_columns, ["millis"]);
        assert!(matches!(
            load(&hourly),
            Err(LoadError::NoTimestampColumn { .. })
        ));
        // A `date` of digits that are no dates is a reading, and a column named otherwise is
        // one too.
        assert!(matches!(
            load("date,x\n12345678,1\n12345679,2\n"),
            Err(LoadError::NoTimestampColumn { .. })
        ));
        assert!(matches!(
            load("code,x\n20230101,1\n20230102,2\n"),
            Err(LoadError::NoTimestampColumn { .. })
        ));
    }

    #[test]
    fn rows_without_a_time_are_evenly_spaced_at_the_period_given() {
        let config = |period| LoadConfig {
            sample_period_ms: Some(period),
            skip_bad_rows: true,
            ..LoadConfig::default()
        };
        // No time column; a bad row (text in a number column) is still a sample: the row after
        // it is two periods on, and the one missed is interpolated.
        let text = "temp,hum\n20.5,40\n20.7,41\noops,42\n21.0,43\n21.2,44\n";
        let series = Series::from_reader(text.as_bytes(), &config(250)).unwrap();
        assert_eq!(series.times(), [0, 250, 500, 750, 1000]);
        assert_eq!(series.columns(), ["temp", "hum"]);
        assert_eq!(series.report().timestamp_format, TimestampFormat::Rows(250));
        assert!(series.report().timestamp_columns.is_empty());
        assert_eq!(
            (
                series.report().skipped_rows,
                series.report().interpolated_rows
            ),
            (1, 1)
        );
        assert!(series.report().time_count && !series.report().local_time);
        assert!(
            series
                .report()
                .to_string()
                .contains("no time column, rows taken as evenly spaced; period 250 ms")
        );
        // A file with a time column: it is then not the time, and text in it is a text column.
        let text = "at,temp\n2021-01-01T00:00:00,1\n2021-01-01T01:00:00,2\n2021-01-01T02:00:00,3\n";
        let series = Series::from_reader(text.as_bytes(), &config(60_000)).unwrap();
        assert_eq!(series.times(), [0, 60_000, 120_000]);
        assert_eq!(series.report().non_numeric_columns, ["at"]);
        // Not with a time column or a long-format file, and not zero.
        let text = "temp\n1\n2\n";
        for (extra, with) in [
            (
                LoadConfig {
                    timestamp_column: Some("temp".into()),
                    ..config(1000)
                },
                "a time column",
            ),
            (
                LoadConfig {
                    long_format: Some(("a".into(), "b".into())),
                    ..config(1000)
                },
                "a long-format file (several rows per time)",
            ),
        ] {
            match Series::from_reader(text.as_bytes(), &extra) {
                Err(LoadError::SamplePeriodConflict { with: w }) => assert_eq!(w, with),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            Series::from_reader(text.as_bytes(), &config(0)),
            Err(LoadError::SamplePeriodNotPositive { ms: 0 })
        ));
        // `t` is a temperature as often as a time.
        assert!(matches!(
            load("t,x\n1700000000,1\n1700000060,2\n"),
            Err(LoadError::NoTimestampColumn { .. })
        ));
        // An ISO 8601 column wins over a time-named number; a number under another name is
        // a feature.
        let text = "time,at,x\n5,2021-01-01T00:00:00.250,1\n6,2021-01-01T00:00:00.500,2\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().timestamp_columns, ["at"]);
        assert_eq!(series.report().period_ms, 250);
        assert!(matches!(
            load("count,x\n1,2\n2,3\n"),
            Err(LoadError::NoTimestampColumn { .. })
        ));
    }

    #[test]
    fn no_timestamp_column_lists_columns() {
        let error = load("a,b\n1,2\n3,4\n").unwrap_err();
        assert!(
            matches!(&error, LoadError::NoTimestampColumn { available } if available == &["a", "b"]),
            "{error:?}"
        );
    }

    #[test]
    fn numeric_columns_start_after_missing_cells() {
        // `a` is numeric although its first cell is missing (`NaN` there); `b` is text from its
        // first cell; `c` has only missing cells.
        let text = "t,a,b,c\n\
                    2021-01-01T00:00:00,,x,\n\
                    2021-01-01T01:00:00,1,2,NaN\n\
                    2021-01-01T02:00:00,2,y,\n\
                    2021-01-01T03:00:00,3,z,\n";
        let series = load(text).unwrap();
        assert_eq!(series.columns(), ["a"]);
        assert_eq!(series.report().non_numeric_columns, ["b", "c"]);
        assert!(same(
            series.column("a").unwrap(),
            &[f64::NAN, 1.0, 2.0, 3.0]
        ));
        assert_eq!(
            series.report().missing_values,
            [MissingValues {
                column: "a".into(),
                count: 1,
                first_line: 2
            }]
        );
        // The first value decides (a column that is not used never stops the load), and the
        // report keeps it for the message: a flagged reading first (`50s`) makes a text column.
        let text = "t,temp,sky,empty\n\
                    2021-01-01T00:00:00,50s,CLR,\n\
                    2021-01-01T01:00:00,51,CLR,\n\
                    2021-01-01T02:00:00,52,3,\n";
        let series = load(text).unwrap();
        assert!(series.columns().is_empty());
        assert_eq!(
            series.report().non_numeric_columns,
            ["temp", "sky", "empty"]
        );
        assert_eq!(
            series.report().non_numeric_first,
            [
                Some((2, "50s".to_owned())),
                Some((2, "CLR".to_owned())),
                None
            ]
        );
        let report = series.report().to_string();
        assert!(
            report.contains("not numeric, left out: `temp`, `sky`"),
            "{report}"
        );
        assert!(
            report.contains("every cell missing, left out: `empty`"),
            "{report}"
        );
    }

    #[test]
    fn missing_value_markers_are_missing_not_text() {
        // `a` starts with markers and is still numeric; each marker row is a missing value.
        let text = "t,a,b\n\
                    2021-01-01T00:00:00,NA,1\n\
                    2021-01-01T01:00:00,n/a,2\n\
                    2021-01-01T02:00:00,5,#N/A\n\
                    2021-01-01T03:00:00,6,null\n\
                    2021-01-01T04:00:00,7,-\n\
                    2021-01-01T05:00:00,8,9\n\
                    2021-01-01T06:00:00,9,10\n";
        let series = load(text).unwrap();
        assert_eq!(series.columns(), ["a", "b"]);
        let nan = f64::NAN;
        assert!(same(
            series.column("a").unwrap(),
            &[nan, nan, 5.0, 6.0, 7.0, 8.0, 9.0]
        ));
        assert!(same(
            series.column("b").unwrap(),
            &[1.0, 2.0, nan, nan, nan, 9.0, 10.0]
        ));
        let counts: Vec<(usize, u64)> = (series.report().missing_values.iter())
            .map(|m| (m.count, m.first_line))
            .collect();
        assert_eq!(counts, [(2, 2), (3, 4)]);
        assert!(
            series
                .report()
                .to_string()
                .contains("missing values: `a` 2 from line 2, `b` 3 from line 4"),
            "{}",
            series.report()
        );
        // A marker is the whole cell: `-5` is a number, `NA2` text.
        assert!(matches!(classify("-5"), Cell::Number(v) if v == -5.0));
        assert!(matches!(classify("NA2"), Cell::Text));
        for filler in ["---", "///", "****", "-/-", "Err", "error"] {
            assert!(matches!(classify(filler), Cell::Missing), "{filler}");
        }
        for text in ["--5", "/5", "E1", "#5", "ERR1", "#DIV/0!"] {
            assert!(matches!(classify(text), Cell::Text), "{text}");
        }
        assert!(matches!(classify("none"), Cell::Missing));
        assert!(matches!(classify("-9999.0"), Cell::Missing));
        assert!(matches!(classify("-99999"), Cell::Missing));
        assert!(matches!(classify("-9998.5"), Cell::Number(_)));
        // A row dropped as a duplicate is not in the series: its missing cell is not counted,
        // and the first missing cell is the first kept one.
        let text = "t,a\n\
                    2021-01-01T00:00:00,1\n\
                    2021-01-01T00:00:00,NA\n\
                    2021-01-01T01:00:00,2\n\
                    2021-01-01T02:00:00,\n\
                    2021-01-01T03:00:00,4\n";
        let series = load(text).unwrap();
        assert_eq!(series.report().duplicates_dropped, 1);
        let a = &series.report().missing_values;
        assert_eq!((a.len(), a[0].count, a[0].first_line), (1, 1, 5));
    }

    const WITH_BAD_ROWS: &str = "t,a,b\n\
        2021-01-01T00:00:00,1,10\n\
        2021-01-01T01:00:00,2,oops\n\
        2021-01-01T02:00:00,NaN,30\n\
        2021-01-01T03:00:00,4\n\
        2021-13-01T04:00:00,5,50\n\
        2021-01-01T05:00:00,,60\n\
        2021-01-01T06:00:00,7,inf\n\
        2021-01-01T07:00:00,8,80\n";

    #[test]
    fn bad_rows_are_errors_with_line_and_column() {
        let error = load(WITH_BAD_ROWS).unwrap_err();
        assert!(
            matches!(&error, LoadError::NotANumber { line: 3, column, value }
                if column == "b" && value == "oops"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "line 3, column `b`: `oops` is not a number"
        );
        let cases: [(&str, u64); 2] = [
            ("2021-01-01T03:00:00,4", 5),
            ("2021-13-01T04:00:00,5,50", 6),
        ];
        for (bad_row, line) in cases {
            let mut text = String::from("t,a,b\n2021-01-01T00:00:00,1,10\n");
            for l in 3..line {
                text.push_str(&format!("2021-01-01T00:{l:02}:00,1,10\n"));
            }
            text.push_str(bad_row);
            text.push('\n');
            let error = load(&text).unwrap_err();
            assert_eq!(error.row_line(), Some(line), "{bad_row}: {error}");
            assert!(
                error.to_string().starts_with(&format!("line {line}")),
                "{error}"
            );
        }
        // `NaN`, an empty cell and `inf` are missing values, not bad rows.
        let text = "t,a,b\n2021-01-01T00:00:00,NaN,1\n2021-01-01T01:00:00,,inf\n\
                    2021-01-01T02:00:00,3,3\n";
        let series = load(text).unwrap();
        assert!(same(
            series.column("a").unwrap(),
            &[f64::NAN, f64::NAN, 3.0]
        ));
        assert!(same(series.column("b").unwrap(), &[1.0, f64::NAN, 3.0]));
    }

    #[test]
    fn a_timestamp_column_that_changes_wins_over_constant_ones() {
        // An InfluxDB export: the query's `_start` and `_stop` come before the points' `_time`.
        let mut text = String::from("#datatype,string,long,dateTime:RFC3339\n");
        text.push_str(",result,table,_start,_stop,_time,_value,_field\n");
        for h in 0..5 {
            text.push_str(&format!(
                ",,0,2021-01-01T00:00:00Z,2021-01-02T00:00:00Z,2021-01-01T{h:02}:00:00Z,{h},t\n"
            ));
        }
        let series = load(&text).unwrap();
        assert_eq!(series.report().timestamp_columns, ["_time"]);
        assert_eq!(series.report().period_ms, 3_600_000);
    }

    /// Equal values, `NaN` equal to `NaN`.
    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x == y || x.is_nan() && y.is_nan())
    }

    #[test]
    fn bad_rows_are_skipped_and_reported() {
        let series = load_skipping(WITH_BAD_ROWS).unwrap();
        let report = series.report();
        assert_eq!(report.skipped_rows, 3);
        let lines: Vec<u64> = report.skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [3, 5, 6]);
        assert!(report.skipped[0].reason.contains("`oops` is not a number"));
        assert!(
            report.skipped[2]
                .reason
                .contains("column `t`: bad timestamp")
        );
        assert_eq!(report.rows_read, 8);
        // Rows at 00:00, 02:00, 05:00, 06:00 and 07:00 remain, the ones with missing values
        // (`NaN`, empty, `inf`) among them; the period is an hour, and the three rows of the
        // gaps are interpolated (`NaN` where a neighbour is).
        assert_eq!(report.period_ms, 3_600_000);
        assert_eq!(report.interpolated_rows, 3);
        let nan = f64::NAN;
        let a = [1.0, nan, nan, nan, nan, nan, 7.0, 8.0];
        assert!(same(series.column("a").unwrap(), &a));
        let b = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, nan, 80.0];
        assert!(same(series.column("b").unwrap(), &b));
        assert_eq!(series.segments(), [0..8]);
    }

    #[test]
    fn skipped_rows_list_is_capped() {
        let mut text = String::from("t,a\n2021-01-01T00:00:00,1\n2021-01-01T01:00:00,2\n");
        for h in 2..22 {
            text.push_str(&format!("2021-01-01T{h:02}:00:00,x\n"));
        }
        let series = load_skipping(&text).unwrap();
        assert_eq!(series.report().skipped_rows, 20);
        assert_eq!(
            series.report().skipped.len(),
            crate::data::SKIPPED_ROWS_LISTED
        );
        let more = 20 - crate::data::SKIPPED_ROWS_LISTED;
        let shown = series.report().to_string();
        assert!(
            shown.ends_with(&format!("  and {more} more skipped row(s)\n")),
            "{shown}"
        );
    }

    #[test]
    fn time_going_backwards_is_an_error_or_skipped() {
        let text = "t,a\n\
                    2021-01-01T00:00:00,1\n\
                    2021-01-01T01:00:00,2\n\
                    2021-01-01T00:30:00,9\n\
                    2021-01-01T02:00:00,3\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(&error, LoadError::TimeGoesBackwards { line: 4, previous_line: 3, millis: 1_800_000, column }
                if column == "t"),
            "{error:?}"
        );
        let series = load_skipping(text).unwrap();
        assert_eq!(series.column("a"), Some(&[1.0, 2.0, 3.0][..]));
        assert_eq!(series.report().skipped[0].line, 4);
    }

    #[test]
    fn logger_headers_comments_units_and_unnamed_columns() {
        // Metadata comments above the header, a units row under it; line numbers still count
        // every line.
        let text = "# logger 1234\n\n# interval 1 h\ntime,temp,hum\n,degC,%\n\
                    2021-01-01T00:00Z,1,2\n\n2021-01-01T01:00Z,3,4\n2021-01-01T02:00Z,5\n";
        let error = load(text).unwrap_err();
        assert!(
            matches!(
                error,
                LoadError::FieldCount {
                    line: 9,
                    expected: 3,
                    found: 2
                }
            ),
            "{error:?}"
        );
        let series = load_skipping(text).unwrap();
        assert_eq!(series.column("temp"), Some(&[1.0, 3.0][..]));
        assert_eq!(
            series.report().units,
            Some((5, vec!["degC".into(), "%".into()]))
        );
        assert!(
            series
                .report()
                .to_string()
                .contains("line 5 is units, not data: `degC`, `%`")
        );
        // NumPy's header is a comment; a comment is no header when the row under it is one.
        let numpy = "# time,temp\n2021-01-01T00:00Z,1\n2021-01-01T01:00Z,2\n";
        assert_eq!(load(numpy).unwrap().column("temp"), Some(&[1.0, 2.0][..]));
        let noted = "# made by x,y\ntime,temp\n2021-01-01T00:00Z,1\n2021-01-01T01:00Z,2\n";
        assert_eq!(load(noted).unwrap().column("temp"), Some(&[1.0, 2.0][..]));
        // Below the header a full row that starts with `#` is data: `#N/A` is a missing value.
        let series = load("v,time\n1,2021-01-01T00:00Z\n#N/A,2021-01-01T01:00Z\n").unwrap();
        assert!(same(series.column("v").unwrap(), &[1.0, f64::NAN]));
        assert_eq!(series.report().missing_values[0].first_line, 3);
        // A logger's note among the data is a comment, left out and listed, whatever its commas
        // and quotes; the rows after it keep their lines.
        let noted = "time,temp\n2021-01-01T00:00Z,1\n# power cycle, fw 2\n#restart,\"fw, 3\n\
                     2021-01-01T01:00Z,2\n2021-01-01T02:00Z,x\n";
        let error = load(noted).unwrap_err();
        assert!(
            matches!(error, LoadError::NotANumber { line: 6, .. }),
            "{error:?}"
        );
        let series = load_skipping(noted).unwrap();
        assert_eq!(series.column("temp"), Some(&[1.0, 2.0][..]));
        assert_eq!(series.report().comment_lines, [3, 4]);
        assert!(
            series
                .report()
                .to_string()
                .contains("comment line(s) among the data left out: line 3 (and 1 more)")
        );
        // A spreadsheet error value is data, a bad row: `#ERROR!`, `#DIV/0!`, `#NAME?`.
        for error_value in ["#ERROR!", "#DIV/0!", "#NAME?", "\"#VALUE!\""] {
            let text = format!("temp,time\n1,2021-01-01T00:00Z\n{error_value},2021-01-01T01:00Z\n");
            assert!(
                matches!(load(&text), Err(LoadError::NotANumber { line: 3, .. })),
                "{error_value}"
            );
        }
        // A first row with a number is data, not units.
        let series = load("time,temp\n2021-01-01T00:00Z,1\n2021-01-01T01:00Z,2\n").unwrap();
        assert_eq!(series.report().units, None);
        // A pandas index: unnamed, numeric, not a default feature (`--features` can name it).
        let indexed =
            ",time,temp\n0,2021-01-01T00:00Z,1\n1,2021-01-01T01:00Z,2\n2,2021-01-01T02:00Z,3\n";
        let series = load(indexed).unwrap();
        assert_eq!(series.report().unnamed_columns, ["column 1"]);
        assert!(
            series
                .report()
                .to_string()
                .contains("unnamed, not a default feature: `column 1`")
        );
        let window = crate::data::WindowSpec::new(1, 1, 1).unwrap();
        let config = crate::data::DatasetConfig {
            split: [1.0, 0.0, 0.0],
            ..crate::data::DatasetConfig::new("temp", window)
        };
        let d = crate::data::Dataset::new(&series, &config).unwrap();
        assert_eq!(d.features(), ["temp"]);
        // An unnamed timestamp column; a spreadsheet's trailing empty columns.
        let series = load(",temp,,\n2021-01-01T00:00Z,1,,\n2021-01-01T01:00Z,2,,\n").unwrap();
        assert_eq!(series.report().timestamp_columns, ["column 1"]);
        assert_eq!(series.columns(), ["temp"]);
        assert_eq!(
            series.report().non_numeric_columns,
            ["column 3", "column 4"]
        );
    }

    #[test]
    fn spreadsheet_and_logger_date_layouts() {
        let hours = |series: &Series| -> Vec<i64> {
            series
                .times()
                .iter()
                .map(|t| (t - series.times()[0]) / 3_600_000)
                .collect()
        };
        // A date column and a time column (before, they read as one daily timestamp).
        let split = "Date,Time,v\n2023-05-01,23:00,1\n2023-05-02,00:00,2\n2023-05-02,01:00,3\n";
        let series = load(split).unwrap();
        assert_eq!(hours(&series), [0, 1, 2]);
        assert_eq!(series.report().timestamp_columns, ["Date", "Time"]);
        assert_eq!(series.report().duplicates_dropped, 0);
        assert_eq!(series.columns(), ["v"]);
        // Named: either half finds the other.
        for name in ["Date", "Time"] {
            let config = LoadConfig {
                timestamp_column: Some(name.into()),
                ..LoadConfig::default()
            };
            let series = Series::from_reader(split.as_bytes(), &config).unwrap();
            assert_eq!(
                series.report().timestamp_columns,
                ["Date", "Time"],
                "{name}"
            );
        }
        // A whole timestamp beats a date and a clock (here a sunrise); a Unix time beats a
        // spreadsheet date.
        let both = "time,date,sunrise,v\n2023-05-01T00:00,2023-05-01,05:58,1\n2023-05-01T01:00,2023-05-01,05:58,2\n";
        assert_eq!(load(both).unwrap().report().timestamp_columns, ["time"]);
        let unix = "time,v,date\n1700000000,1,14/11/2023\n1700003600,2,14/11/2023\n";
        let series = load(unix).unwrap();
        assert_eq!(series.report().timestamp_columns, ["time"]);
        assert_eq!(series.report().period_ms, 3_600_000);
        // Month first: told by a second field above 12; day first by a first one.
        let us = "when,v\n12/31/2023 11:00 PM,1\n1/1/2024 12:00 AM,2\n1/1/2024 1:00 AM,3\n";
        let series = load(us).unwrap();
        assert_eq!(hours(&series), [0, 1, 2]);
        assert_eq!(
            series.report().timestamp_format,
            TimestampFormat::Civil(DateLayout {
                order: DateOrder::Mdy,
                separator: b'/'
            })
        );
        let eu = "when;v\n31/12/2023 23:00;1\n01/01/2024 00:00;2\n";
        assert_eq!(hours(&load(eu).unwrap()), [0, 1]);
        let ymd = "when,v\n2023/12/31 23:00,1\n2024/01/01 00:00,2\n";
        assert_eq!(hours(&load(ymd).unwrap()), [0, 1]);
        // No field above 12: refused, with what to do.
        let error = load("when,v\n01/02/2024 00:00,1\n01/02/2024 01:00,2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "column `when`: dates like `01/02/2024 00:00` can be day/month or month/day, and the file's dates do not tell which: write them as YYYY-MM-DD"
        );
        // The order more dates tell wins; the others are bad rows.
        let error = load("when,v\n13/01/2024 00:00,1\n14/01/2024 00:00,2\n01/13/2024 00:00,3\n")
            .unwrap_err();
        assert!(
            matches!(error, LoadError::BadTimestamp { line: 4, .. }),
            "{error:?}"
        );
        // A bad date further down is a bad row with its line.
        let error = load("when,v\n12/31/2023 23:00,1\n12/32/2023 00:00,2\n").unwrap_err();
        assert!(
            matches!(error, LoadError::BadTimestamp { line: 3, .. }),
            "{error:?}"
        );
        // Daylight saving applies to these local times too (US, back at 02:00 on 2023-11-05).
        let dst = "d,t,v\n2023-11-05,00:30,0\n2023-11-05,01:00,1\n2023-11-05,01:30,2\n2023-11-05,01:00,3\n2023-11-05,01:30,4\n2023-11-05,02:00,5\n";
        let series = load(dst).unwrap();
        assert_eq!(series.report().clock_changes, [5]);
        assert!(series.times().windows(2).all(|w| w[1] - w[0] == 1_800_000));
    }

    #[test]
    fn daylight_saving_changes_in_local_time_are_taken_out() {
        // Europe, every 15 minutes: forward at 02:00 on 2023-03-26, back at 03:00 on 2023-10-29
        // (the hour from 02:00 comes twice).
        let mut text = String::from("t;kw\n");
        let mut lines = Vec::new();
        let mut add = |t: String, text: &mut String| {
            text.push_str(&format!("{t};{}\n", lines.len()));
            lines.push(t);
        };
        for m in [0, 15, 30, 45] {
            add(format!("2023-03-26 01:{m:02}"), &mut text);
        }
        for h in ["03", "04"] {
            for m in [0, 15, 30, 45] {
                add(format!("2023-03-26 {h}:{m:02}"), &mut text);
            }
        }
        for h in ["01", "02", "02", "03"] {
            for m in [0, 15, 30, 45] {
                add(format!("2023-10-29 {h}:{m:02}"), &mut text);
            }
        }
        let series = load(&text).unwrap();
        let r = series.report();
        // Line 6 is 03:00 after 01:45; line 22 the second 02:00.
        assert_eq!(r.clock_changes, [6, 22]);
        assert_eq!((r.rows, r.segments, r.interpolated_rows), (28, 2, 0));
        let t = series.times();
        assert!(t[..12].windows(2).all(|w| w[1] - w[0] == 900_000));
        assert!(t[12..].windows(2).all(|w| w[1] - w[0] == 900_000));
        let kw: Vec<f64> = (0..28).map(f64::from).collect();
        assert_eq!(
            series.column("kw"),
            Some(&kw[..]),
            "every row kept, in order"
        );
        assert!(
            r.to_string()
                .contains("2 daylight-saving clock change(s) taken out, at line(s) 6, 22")
        );
        // Each row's clock time is its timestamp as written (summer time from 03:00 in March
        // until the second 02:00 in October), read as UTC.
        let (march, october) = (1_679_788_800_000i64, 1_698_537_600_000i64);
        let written = |day: i64, h: i64, m: i64| day + h * HOUR_MS + m * 60_000;
        let clock: Vec<i64> = (0..28).map(|i| series.clock_time(i)).collect();
        assert_eq!(clock[..4], [0, 15, 30, 45].map(|m| written(march, 1, m)));
        assert_eq!(clock[4], written(march, 3, 0));
        assert_eq!(clock[11], written(march, 4, 45));
        assert_eq!(clock[12], written(october, 1, 0));
        assert_eq!(clock[16], written(october, 2, 0));
        assert_eq!(clock[20], written(october, 2, 0), "the hour written twice");
        assert_eq!(clock[27], written(october, 3, 45));
        assert_eq!(t[4] - t[3], 900_000);
        // The row of the change bad (skipped): the row filled in for it is at 03:00, after it.
        let skip = LoadConfig {
            skip_bad_rows: true,
            ..LoadConfig::default()
        };
        let bad = text.replacen("2023-03-26 03:00;4", "2023-03-26 03:00;x", 1);
        let series = Series::from_reader(bad.as_bytes(), &skip).unwrap();
        assert_eq!(series.report().interpolated_rows, 1);
        assert_eq!(series.clock_time(4), written(march, 3, 0));
        assert_eq!(series.clock_time(3), written(march, 1, 45));
        // North America, hourly: back at 02:00 on 2023-11-05 (01:00 comes twice).
        let us =
            "t,v\n2023-11-05T00:00,0\n2023-11-05T01:00,1\n2023-11-05T01:00,2\n2023-11-05T02:00,3\n";
        let series = load(us).unwrap();
        assert_eq!(series.report().clock_changes, [4]);
        assert_eq!(series.column("v"), Some(&[0.0, 1.0, 2.0, 3.0][..]));
        assert_eq!(series.report().duplicates_dropped, 0);
        // An hourly European meter in hour-ending times: `04:00` after `02:00` in spring (the
        // hour 02:00-03:00 CET ends at 04:00 CEST), `03:00` twice in autumn.
        let spring =
            "t,v\n2023-03-26 01:00,0\n2023-03-26 02:00,1\n2023-03-26 04:00,2\n2023-03-26 05:00,3\n";
        let series = load(spring).unwrap();
        assert_eq!(series.report().clock_changes, [4]);
        assert_eq!(series.report().interpolated_rows, 0);
        assert!(series.times().windows(2).all(|w| w[1] - w[0] == HOUR_MS));
        let autumn =
            "t,v\n2023-10-29 02:00,0\n2023-10-29 03:00,1\n2023-10-29 03:00,2\n2023-10-29 04:00,3\n";
        let series = load(autumn).unwrap();
        assert_eq!(series.report().clock_changes, [4]);
        assert_eq!(series.column("v"), Some(&[0.0, 1.0, 2.0, 3.0][..]));
        // On another Sunday an hour missing is a gap (interpolated), a repeated hour duplicates.
        let gap = load(
            "t,v\n2023-07-02 00:00,0\n2023-07-02 01:00,1\n2023-07-02 03:00,3\n2023-07-02 04:00,4\n",
        )
        .unwrap();
        assert_eq!(gap.report().clock_changes, Vec::<u64>::new());
        assert_eq!(gap.report().interpolated_rows, 1);
        let dup = load(
            "t,v\n2023-07-02 00:00,0\n2023-07-02 01:00,1\n2023-07-02 01:00,1\n2023-07-02 02:00,2\n",
        )
        .unwrap();
        assert_eq!(
            (
                dup.report().clock_changes.len(),
                dup.report().duplicates_dropped
            ),
            (0, 1)
        );
        // A bad row in the repeated hour: the change is still where the clock went back (line
        // 8, the second 02:00); only the bad row's place is interpolated.
        let text = "t,v\n2023-10-29 01:30,0\n2023-10-29 01:45,1\n2023-10-29 02:00,2\n\
                    2023-10-29 02:15,3\n2023-10-29 02:30,x\n2023-10-29 02:45,5\n\
                    2023-10-29 02:00,6\n2023-10-29 02:15,7\n";
        let series = load_skipping(text).unwrap();
        assert_eq!(series.report().clock_changes, [8]);
        assert_eq!(series.report().interpolated_rows, 1);
        let v: Vec<f64> = (0..8).map(f64::from).collect();
        assert_eq!(series.column("v"), Some(&v[..]));
        // With a UTC offset, on another day than Sunday, or at another time of day, it is not
        // a clock change: time goes backwards.
        for text in [
            "t,v\n2023-10-29T02:30Z,0\n2023-10-29T02:45Z,1\n2023-10-29T02:00Z,2\n",
            "t,v\n2023-10-28 02:30,0\n2023-10-28 02:45,1\n2023-10-28 02:00,2\n",
            "t,v\n2023-10-29 12:30,0\n2023-10-29 12:45,1\n2023-10-29 12:00,2\n",
        ] {
            let error = load(text).unwrap_err();
            assert!(
                matches!(error, LoadError::TimeGoesBackwards { line: 4, .. }),
                "{text}: {error:?}"
            );
        }
    }

    #[test]
    fn gaps_through_the_loader() {
        let text = "t,a\n\
                    2021-01-01T00:00:00,0\n\
                    2021-01-01T01:00:00,1\n\
                    2021-01-01T01:00:00,5\n\
                    2021-01-01T04:00:00,4\n\
                    2021-01-01T05:00:00,5\n\
                    2021-01-01T10:00:00,6\n\
                    2021-01-01T11:00:00,7\n";
        let series = load(text).unwrap();
        assert_eq!(
            series.column("a"),
            Some(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0][..])
        );
        assert_eq!(series.segments(), [0..6, 6..8]);
        let report = series.report();
        assert_eq!(
            (
                report.duplicates_dropped,
                report.interpolated_rows,
                report.segments
            ),
            (1, 2, 2)
        );
        assert_eq!(series.times()[2] - series.times()[1], 3_600_000);
    }

    #[test]
    fn a_windows_1252_file_is_decoded_and_a_utf8_one_keeps_its_bad_rows() {
        let mut text = b"t,Temp (\xb0C),note\n".to_vec();
        for i in 0..4 {
            text.extend_from_slice(format!("2021-01-01T0{i}:00:00,{i},caf").as_bytes());
            text.extend_from_slice(b"\xe9 \x80\n");
        }
        let series = Series::from_reader(&text[..], &LoadConfig::default()).unwrap();
        assert_eq!(series.report().encoding, Some("Windows-1252"));
        assert_eq!(series.columns(), ["Temp (°C)"]);
        assert!(
            series
                .report()
                .to_string()
                .contains("not UTF-8: read as Windows-1252")
        );
        // UTF-8 (the header's `°`) with one byte that is not: that row is bad, line 3.
        let text = b"t,Temp (\xc2\xb0C)\n2021-01-01T00:00:00,1\n2021-01-01T01:00:00,\xff\n\
                     2021-01-01T02:00:00,3\n";
        let error = Series::from_reader(&text[..], &LoadConfig::default()).unwrap_err();
        assert!(matches!(error, LoadError::NotUtf8 { line: 3 }), "{error}");
    }

    #[test]
    fn an_uptime_count_that_restarts_begins_a_new_segment() {
        let mut text = String::from("millis,temp\n");
        for i in 0..20 {
            text.push_str(&format!("{},{i}\n", 5000 + i * 1000));
        }
        for i in 0..15 {
            text.push_str(&format!("{},{}\n", 300 + i * 1000, 100 + i));
        }
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.segments(), [0..20, 20..35]);
        assert_eq!(series.report().counter_restarts, [22]);
        assert!(series.report().time_count);
        assert_eq!(series.report().period_ms, 1000);
        assert_eq!(series.times()[20], series.times()[19] + 1);
        assert_eq!(series.column("temp").unwrap()[20], 100.0);
        assert!(
            series
                .report()
                .to_string()
                .contains("restarts (a reboot) at line(s) 22")
        );
        // A reboot soon after one: the count goes back by less than half, but by many steps.
        let quick = "millis,temp\n9000,1\n10000,2\n11000,3\n12000,4\n7000,5\n8000,6\n9000,7\n";
        let series = Series::from_reader(quick.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.segments(), [0..4, 4..7]);
        assert_eq!(series.report().counter_restarts, [6]);
        // Nor is a row logged early after a burst of close rows, or after a rejected row.
        let backwards_at = |text: &str, at: u64| {
            let error = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap_err();
            assert!(
                matches!(error, LoadError::TimeGoesBackwards { line, .. } if line == at),
                "{error}"
            );
        };
        backwards_at(
            "millis,temp\n1000,1\n2000,2\n3000,3\n3002,4\n2990,5\n4000,6\n",
            6,
        );
        let rejected = "millis,temp\n1000,1\n2000,2\n3000,3\n3001,x\n2990,5\n4000,6\n";
        let skip = LoadConfig {
            skip_bad_rows: true,
            ..LoadConfig::default()
        };
        let series = Series::from_reader(rejected.as_bytes(), &skip).unwrap();
        assert_eq!(series.report().counter_restarts, Vec::<u64>::new());
        assert_eq!(series.report().skipped_rows, 2);
        // A row logged a little early is not a reboot.
        backwards_at("millis,temp\n5000,1\n6000,2\n5997,3\n8000,4\n", 4);
        // A Unix time going back is an error still.
        backwards_at("time,temp\n1700000000,1\n1700000001,2\n1700000000,3\n", 4);
    }

    #[test]
    fn resampling_averages_irregular_rows_into_bins() {
        // Every 7 s, so 10-second bins hold one or two rows.
        let mut text = String::from("time_ms,a\n");
        for i in 0..300 {
            text.push_str(&format!("{},{i}\n", 1_000 + i * 7_000));
        }
        let plain = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(plain.report().period_ms, 7000);
        let config = LoadConfig {
            resample_ms: Some(10_000),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(series.report().period_ms, 10_000);
        assert_eq!(series.report().resampled, Some((300, series.len(), 0)));
        assert_eq!(series.times()[..3], [0, 10_000, 20_000]);
        // Bin 0: 1 s and 8 s (0, 1); bin 1: 15 s (2); bin 2: 22 s, 29 s (3, 4); bin 3: 36 s.
        assert_eq!(series.column("a").unwrap()[..4], [0.5, 2.0, 3.5, 5.0]);
        assert_eq!(series.segments().len(), 1);
        assert!(
            series
                .report()
                .to_string()
                .contains("resampled to one row every 10 s: 300")
        );
        // Irregular times without it: the report says to resample.
        let mut text = String::from("time_ms,a\n");
        let mut t = 0;
        for i in 0..300 {
            t += [1000, 1000, 1000, 2400, 300][i % 5];
            text.push_str(&format!("{t},{i}\n"));
        }
        let irregular = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert!(
            irregular
                .report()
                .to_string()
                .contains("`--resample` a period averages")
        );
    }

    #[test]
    fn long_format_exports_are_pivoted() {
        // Home Assistant: readings on change, two sensors interleaved, one unavailable.
        let text = "entity_id,state,last_changed\n\
                    sensor.t,20.5,2024-01-01T00:00:00.000Z\n\
                    sensor.h,40,2024-01-01T00:00:00.000Z\n\
                    sensor.t,21.0,2024-01-01T00:01:00.000Z\n\
                    sensor.h,unavailable,2024-01-01T00:02:00.000Z\n\
                    sensor.t,21.5,2024-01-01T00:02:00.000Z\n\
                    sensor.h,44,2024-01-01T00:03:00.000Z\n\
                    sensor.t,22.0,2024-01-01T00:03:00.000Z\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.columns(), ["sensor.t", "sensor.h"]);
        assert!(!series.report().local_time);
        let local = text.replace(".000Z", "");
        let local = Series::from_reader(local.as_bytes(), &LoadConfig::default()).unwrap();
        assert!(local.report().local_time);
        assert_eq!(series.column("sensor.t").unwrap(), [20.5, 21.0, 21.5, 22.0]);
        let h = series.column("sensor.h").unwrap();
        assert_eq!((h[0], h[3]), (40.0, 44.0));
        assert!(h[1].is_nan() && h[2].is_nan());
        assert_eq!(series.report().period_ms, 60_000);
        let p = series.report().pivoted.as_ref().unwrap();
        assert_eq!(
            (p.name_column.as_str(), p.value_column.as_str()),
            ("entity_id", "state")
        );
        // A reading that is not a number is a bad row at its own line; the other series' reading
        // at that time stays.
        let bad = text.replace("sensor.h,44,", "sensor.h,44 %,");
        let error = Series::from_reader(bad.as_bytes(), &LoadConfig::default()).unwrap_err();
        assert!(
            matches!(error, LoadError::NotANumber { line: 7, .. }),
            "{error}"
        );
        let skip = LoadConfig {
            skip_bad_rows: true,
            ..LoadConfig::default()
        };
        let series = Series::from_reader(bad.as_bytes(), &skip).unwrap();
        assert_eq!(series.column("sensor.t").unwrap()[3], 22.0);
        // So is a first reading that is not: the series is numeric by most of its readings.
        let bad = text.replace("sensor.h,40,", "sensor.h,40 %,");
        let error = Series::from_reader(bad.as_bytes(), &LoadConfig::default()).unwrap_err();
        assert!(
            matches!(error, LoadError::NotANumber { line: 3, .. }),
            "{error}"
        );
        assert!(
            series
                .report()
                .to_string()
                .contains("long format: `entity_id` names 2 series")
        );
        // InfluxDB: one table per series, each in time order, each after its annotations and
        // header; the series named by the tag and the field (the measurement is one).
        let annotations = "#group,false,false,true,true,false,false,true,true,true\n\
                           #datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,\
                           dateTime:RFC3339,double,string,string,string\n#default,_result,,,,,,,,\n";
        // (`quality` changes within a table: not a tag.)
        let header = ",result,table,_start,_stop,_time,_value,_field,_measurement,room,quality\n";
        let mut text = String::new();
        for (table, field, room) in [
            (0, "temp", "kitchen"),
            (1, "hum", "kitchen"),
            (2, "temp", "bed"),
        ] {
            text.push_str(&format!("{annotations}{header}"));
            for m in 0..4 {
                let v = if field == "temp" { 20 + m } else { 50 - m };
                text.push_str(&format!(
                    ",_result,{table},2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,\
                     2024-01-01T00:{:02}:00Z,{v},{field},air,{room},{}\n",
                    m * 10,
                    ["good", "uncertain"][m as usize % 2]
                ));
            }
            text.push('\n');
        }
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(
            series.columns(),
            ["kitchen.temp", "kitchen.hum", "bed.temp"]
        );
        assert_eq!(
            series.column("kitchen.hum").unwrap(),
            [50.0, 49.0, 48.0, 47.0]
        );
        let p = series.report().pivoted.as_ref().unwrap();
        assert_eq!((p.name_column.as_str(), p.repeats), ("room + _field", 0));
        assert_eq!(series.report().timestamp_columns, ["_time"]);
        assert_eq!(series.report().period_ms, 600_000);
        // Named columns, and a name that is not there.
        let text = "when,what,reading\n2024-01-01T00:00,a,1\n2024-01-01T00:00,b,2\n\
                    2024-01-01T01:00,a,3\n2024-01-01T01:00,b,4\n";
        let config = LoadConfig {
            long_format: Some(("what".into(), "reading".into())),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(series.column("b").unwrap(), [2.0, 4.0]);
        let config = LoadConfig {
            long_format: Some(("what".into(), "value".into())),
            ..LoadConfig::default()
        };
        let error = Series::from_reader(text.as_bytes(), &config).unwrap_err();
        assert!(
            matches!(
                error,
                LoadError::UnknownColumn {
                    role: "long-format",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_header_under_the_data_changes_the_columns() {
        // A logger's file appended to after a firmware update: a column added, two swapped.
        let text = "time,temp,hum\n\
                    2024-01-01T00:00,20,50\n2024-01-01T00:10,21,51\n\
                    time,pressure,hum,temp\n\
                    2024-01-01T00:20,1013,52,22\n2024-01-01T00:30,1012,53,23\n\
                    time,temp,hum\n2024-01-01T00:40,24,54\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(
            series.column("temp").unwrap(),
            [20.0, 21.0, 22.0, 23.0, 24.0]
        );
        assert_eq!(
            series.column("hum").unwrap(),
            [50.0, 51.0, 52.0, 53.0, 54.0]
        );
        assert_eq!(series.columns(), ["temp", "hum"]);
        // The header rows are left out and reported, not bad rows.
        let report = series.report();
        assert_eq!(report.header_lines, [4, 7]);
        assert!(
            report
                .to_string()
                .contains("read by its column names: line 4 (and 1 more)")
        );
        // A record under the data that is not a header still has to be as wide as the one
        // above it.
        let short = text.replace("1012,53,23", "1012,53");
        let error = Series::from_reader(short.as_bytes(), &LoadConfig::default()).unwrap_err();
        assert!(
            matches!(
                error,
                LoadError::FieldCount {
                    line: 6,
                    expected: 4,
                    found: 3
                }
            ),
            "{error}"
        );
        // InfluxDB: a later table with a tag more, its columns in another order.
        let text = "#datatype,string,long,dateTime:RFC3339,double,string,string,string\n\
                    ,result,table,_time,_value,_field,_measurement,room\n\
                    ,_result,0,2024-01-01T00:00:00Z,20,temp,air,kitchen\n\
                    ,_result,0,2024-01-01T00:10:00Z,21,temp,air,kitchen\n\
                    \n#datatype,string,long,string,dateTime:RFC3339,string,double,string,string\n\
                    ,result,table,room,_time,_field,_value,_measurement,floor\n\
                    ,_result,1,bed,2024-01-01T00:00:00Z,temp,18,air,1\n\
                    ,_result,1,bed,2024-01-01T00:10:00Z,temp,17,air,1\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.columns(), ["kitchen", "bed"]);
        assert_eq!(series.column("bed").unwrap(), [18.0, 17.0]);
        assert_eq!(series.report().header_lines, [7]);
    }

    #[test]
    fn segment_column() {
        let text = "t,run,a\n\
                    2021-01-01T00:00:00,r1,0\n\
                    2021-01-01T01:00:00,r1,1\n\
                    2021-01-01T02:00:00,r2,2\n\
                    2021-01-01T03:00:00,r2,3\n\
                    2021-01-01T04:00:00,r1,4\n";
        let config = LoadConfig {
            segment_column: Some("run".into()),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(series.segments(), [0..2, 2..4, 4..5]);
        assert_eq!(series.report().segment_column.as_deref(), Some("run"));
        // Devices one after the other, each from the same start: time restarts with the key.
        let stacked = "t,dev,a\n\
                       2021-01-01T00:00:00,A,0\n2021-01-01T01:00:00,A,1\n2021-01-01T02:00:00,A,2\n\
                       2021-01-01T00:00:00,B,3\n2021-01-01T01:00:00,B,4\n";
        let by_device = LoadConfig {
            segment_column: Some("dev".into()),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(stacked.as_bytes(), &by_device).unwrap();
        assert_eq!(series.segments(), [0..3, 3..5]);
        assert_eq!(series.times()[3], series.times()[0]);
        assert!(Series::from_reader(stacked.as_bytes(), &LoadConfig::default()).is_err());
        // Sorted, each device's rows stay together, in time order; interleaved ones too.
        let shuffled = "t,dev,a\n\
                        2021-01-01T01:00:00,A,1\n2021-01-01T00:00:00,B,3\n2021-01-01T00:00:00,A,0\n\
                        2021-01-01T01:00:00,B,4\n2021-01-01T02:00:00,A,2\n";
        let sorted = LoadConfig {
            sort_by_time: true,
            ..by_device.clone()
        };
        let series = Series::from_reader(shuffled.as_bytes(), &sorted).unwrap();
        assert_eq!(series.segments(), [0..3, 3..5]);
        assert_eq!(series.column("a").unwrap(), [0.0, 1.0, 2.0, 3.0, 4.0]);
        // A row without a key goes on with the device before it in the file, also where it
        // is that device's earliest (after another device's rows once sorted).
        let keyless = "t,dev,a\n\
                       2021-01-01T02:00:00,A,2\n2021-01-01T01:00:00,B,4\n2021-01-01T00:00:00,,3\n\
                       2021-01-01T01:00:00,A,1\n";
        let series = Series::from_reader(keyless.as_bytes(), &sorted).unwrap();
        assert_eq!(series.segments(), [0..2, 2..4]);
        assert_eq!(series.column("a").unwrap(), [1.0, 2.0, 3.0, 4.0]);
        // A numeric key column keeps its missing cell (it is a column of the series too).
        let numbered = keyless.replace(",A,", ",1,").replace(",B,", ",2,");
        let series = Series::from_reader(numbered.as_bytes(), &sorted).unwrap();
        assert_eq!(series.segments(), [0..2, 2..4]);
        let dev = series.column("dev").unwrap();
        assert!(dev[2].is_nan() && dev[3] == 2.0, "{dev:?}");
        assert_eq!(series.report().missing_values[0].column, "dev");
        // A missing key goes on with its segment.
        let gappy = text
            .replace("01:00:00,r1", "01:00:00,")
            .replace("03:00:00,r2", "03:00:00,NA");
        let series = Series::from_reader(gappy.as_bytes(), &config).unwrap();
        assert_eq!(series.segments(), [0..2, 2..4, 4..5]);
        let series = load(text).unwrap();
        assert_eq!(series.segments(), [0..5]);
        let config = LoadConfig {
            segment_column: Some("trip".into()),
            ..LoadConfig::default()
        };
        let error = Series::from_reader(text.as_bytes(), &config).unwrap_err();
        assert!(matches!(
            error,
            LoadError::UnknownColumn {
                role: "segment",
                ..
            }
        ));
    }

    #[test]
    fn too_few_rows() {
        assert!(matches!(
            load("t,a\n"),
            Err(LoadError::NoSamplePeriod { rows: 0 })
        ));
        assert!(matches!(
            load("t,a\n2021-01-01,1\n2021-01-01,2\n"),
            Err(LoadError::NoSamplePeriod { rows: 2 })
        ));
    }

    proptest::proptest! {
        /// Arbitrary text never panics the loader: it loads or it is an error.
        #[test]
        fn arbitrary_text_never_panics(
            body in "[0-9a-zA-Z,.:/T+\\- \"\n\r#;\t!?]{0,400}",
            prefix in 0usize..4,
            skip in proptest::bool::ANY,
            sort in proptest::bool::ANY,
        ) {
            let heads = [
                "",
                "t,a\n",
                "t,a\n2021-01-01T00:00:00,1\n2021-01-01T01:00:00,2\n",
                "1,x,NC,-5.0,0,0,0\nDate (MM/DD/YYYY),Time (HH:MM),a\n01/01/1988,01:00,1\n",
            ];
            let text = format!("{}{body}", heads[prefix]);
            let config = LoadConfig {
                skip_bad_rows: skip,
                segment_column: (prefix == 2).then(|| "a".to_owned()),
                sort_by_time: sort,
                ..LoadConfig::default()
            };
            if let Ok(series) = Series::from_reader(text.as_bytes(), &config) {
                let covered: usize = series.segments().iter().map(|s| s.len()).sum();
                proptest::prop_assert_eq!(covered, series.len());
            }
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let error = Series::load("/nonexistent/x.csv", &LoadConfig::default()).unwrap_err();
        assert!(matches!(error, LoadError::Io { .. }));
        assert!(error.to_string().contains("/nonexistent/x.csv"));
    }
}
