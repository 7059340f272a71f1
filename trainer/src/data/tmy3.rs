//! TMY3 ("typical meteorological year", NREL) files, read directly or converted to a plain
//! ISO 8601 CSV.
//!
//! Layout of a raw TMY3 file: line 1 is station metadata (`723170,"GREENSBORO PIEDMONT TRIAD
//! INT",NC,-5.0,36.100,-79.950,273`: id, name, state, UTC offset in hours, latitude, longitude,
//! elevation), line 2 the header, then one row per hour with the date and the time in two
//! columns, [`DATE_COLUMN`] and [`TIME_COLUMN`]. Times are hour-ending local standard time from
//! 01:00 to 24:00; 24:00 is midnight at the end of that day.
//!
//! **The fixed year.** A TMY3 file stitches twelve months taken from different source years
//! (January 1988, February 1996, ...), so its dates jump between years at every month boundary.
//! The loader keeps the rows in file order and replaces every row's year by [`TMY3_YEAR`], so
//! the months form one continuous year: January 1 01:00 to December 31 24:00 (which is January
//! 1 00:00 of the next year). [`TMY3_YEAR`] is not a leap year because TMY3 files leave out
//! February 29: a leap year would open a one-day gap, and so a new segment, at the end of
//! February. A file that does contain February 29 gets a bad-timestamp error on those rows.
//!
//! Timestamps are converted to UTC with the metadata line's offset. A file with the TMY3 header
//! but no metadata line is read with offset 0 (its local times are taken as UTC).

use std::fs;
use std::io;
use std::path::Path;

use csv::StringRecord;

use super::error::{ConvertError, LoadError};
use super::read::{RawRow, RawTable};
use super::timestamp::{self, format_iso8601};

/// The TMY3 date column.
pub const DATE_COLUMN: &str = "Date (MM/DD/YYYY)";
/// The TMY3 time column.
pub const TIME_COLUMN: &str = "Time (HH:MM)";
/// The year every TMY3 row is moved to (see the module docs). Not a leap year.
pub const TMY3_YEAR: i64 = 1990;
/// [`TMY3_YEAR`] as a year cell, for typical-year files read from year, month and day columns.
pub(crate) const TMY3_YEAR_CELL: &str = "1990";
/// The year the rows of a typical year read from year, month and day columns are moved to
/// when the file has February 29 (some typical years take February from a leap year).
pub const TYPICAL_LEAP_YEAR: i64 = 1988;
/// [`TYPICAL_LEAP_YEAR`] as a year cell.
pub(crate) const TYPICAL_LEAP_YEAR_CELL: &str = "1988";

/// Field of the metadata line with the UTC offset in hours (0-based).
const METADATA_OFFSET_FIELD: usize = 3;

/// The ten measurement channels of the weather forecasting benchmark, as (name, TMY3 source
/// column). These are the columns of `data/greensboro.csv` after `time`.
pub const WEATHER_CHANNELS: [(&str, &str); 10] = [
    ("temp_c", "Dry-bulb (C)"),
    ("dewpoint_c", "Dew-point (C)"),
    ("rh_pct", "RHum (%)"),
    ("pressure_mbar", "Pressure (mbar)"),
    ("wind_dir_deg", "Wdir (degrees)"),
    ("wind_speed_ms", "Wspd (m/s)"),
    ("ghi_wm2", "GHI (W/m^2)"),
    ("dni_wm2", "DNI (W/m^2)"),
    ("dhi_wm2", "DHI (W/m^2)"),
    ("total_cloud", "TotCld (tenths)"),
];

/// Whether a header is a TMY3 header (it has both the date and the time column).
pub(crate) fn is_header(names: &[String]) -> bool {
    names.iter().any(|n| n == DATE_COLUMN) && names.iter().any(|n| n == TIME_COLUMN)
}

/// The UTC offset, in seconds, of a TMY3 station metadata line.
pub(crate) fn metadata_utc_offset(metadata: &RawRow) -> Result<i64, LoadError> {
    /// Offsets are whole minutes; larger than a day is not an offset.
    const MAX_HOURS: f64 = 24.0;
    let text = metadata.cells.get(METADATA_OFFSET_FIELD).unwrap_or("");
    match text.parse::<f64>() {
        Ok(hours) if hours.is_finite() && hours.abs() < MAX_HOURS => {
            // |hours| < 24, so the product fits an i64 exactly.
            Ok((hours * 60.0).round() as i64 * 60)
        }
        _ => Err(LoadError::Tmy3Metadata {
            line: metadata.line,
            value: text.to_owned(),
        }),
    }
}

/// The TMY3 date and time columns of a table and how to turn them into UTC seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tmy3Columns {
    pub(crate) date: usize,
    pub(crate) time: usize,
    /// Local standard time = UTC + `utc_offset` seconds.
    pub(crate) utc_offset: i64,
}

impl Tmy3Columns {
    /// Finds the columns in a table with a TMY3 header.
    pub(crate) fn find(table: &RawTable) -> Option<Self> {
        Some(Self {
            date: table.column(DATE_COLUMN)?,
            time: table.column(TIME_COLUMN)?,
            utc_offset: table.tmy3_utc_offset.unwrap_or(0),
        })
    }

    /// UTC seconds of one row, with the year replaced by [`TMY3_YEAR`]; on failure, the index
    /// of the bad column and why.
    pub(crate) fn utc_seconds(
        &self,
        cells: &StringRecord,
    ) -> Result<i64, (usize, timestamp::TimestampError)> {
        let date = timestamp::parse_tmy3_date(&cells[self.date]).map_err(|e| (self.date, e))?;
        let time = timestamp::parse_tmy3_time(&cells[self.time]).map_err(|e| (self.time, e))?;
        timestamp::tmy3_utc_seconds(TMY3_YEAR, date, time, self.utc_offset)
            .map_err(|e| (self.date, e))
    }
}

/// What [`convert`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertReport {
    /// Data rows written.
    pub rows: usize,
    /// The station's UTC offset used for the `time` column, in seconds.
    pub utc_offset: i64,
}

/// Converts a raw TMY3 file into a CSV with a `time` column and the given channels.
///
/// `channels` are (output name, source column) pairs, e.g. [`WEATHER_CHANNELS`]. `time` is
/// local standard time with the station's offset (`1990-01-01T01:00:00-05:00`), with the
/// year replaced by [`TMY3_YEAR`] and hour 24 written as 00:00 of the next day; loading the
/// output gives the same UTC timestamps as loading the raw file. Channel cells are copied as
/// text, exactly as in the source. Any bad row is an error (nothing is skipped). The file is
/// read by the same reader as [`Series::load`](super::Series::load).
pub fn convert(
    source: &Path,
    destination: &Path,
    channels: &[(&str, &str)],
) -> Result<ConvertReport, ConvertError> {
    let text = fs::read(source).map_err(|e| LoadError::Io {
        path: source.to_owned(),
        source: e,
    })?;
    let (csv, report) = convert_text(&text, channels)?;
    fs::write(destination, csv).map_err(|e| ConvertError::Write {
        path: destination.to_owned(),
        source: e,
    })?;
    Ok(report)
}

/// [`convert`] in memory: the output CSV text and the report. Nothing is written unless the
/// whole source converts.
fn convert_text(
    source: &[u8],
    channels: &[(&str, &str)],
) -> Result<(Vec<u8>, ConvertReport), ConvertError> {
    let table = RawTable::read(source)?;
    let columns = Tmy3Columns::find(&table).ok_or(ConvertError::NotTmy3)?;
    let sources = channels
        .iter()
        .map(|&(_, column)| {
            table
                .column(column)
                .ok_or_else(|| ConvertError::UnknownColumn {
                    name: column.to_owned(),
                    available: table.header.clone(),
                })
        })
        .collect::<Result<Vec<usize>, ConvertError>>()?;

    let mut writer = csv::Writer::from_writer(Vec::new());
    let names = std::iter::once("time").chain(channels.iter().map(|&(name, _)| name));
    // Writing to memory fails only on an out-of-memory abort, never with an error; every
    // record has the header's field count.
    let memory = |e: csv::Error| ConvertError::Write {
        path: Default::default(),
        source: io::Error::other(e),
    };
    writer.write_record(names).map_err(memory)?;
    let RawTable { header, rows, .. } = table;
    let count = rows.len();
    for row in rows {
        let row = row?;
        let utc = columns
            .utc_seconds(&row.cells)
            .map_err(|(column, reason)| LoadError::BadTimestamp {
                line: row.line,
                column: header[column].clone(),
                value: row.cells[column].to_owned(),
                reason,
            })?;
        let time = format_iso8601(utc, columns.utc_offset);
        let cells = sources.iter().map(|&i| &row.cells[i]);
        writer
            .write_record(std::iter::once(time.as_str()).chain(cells))
            .map_err(memory)?;
    }
    let csv = writer
        .into_inner()
        .map_err(|e| memory(e.into_error().into()))?;
    let report = ConvertReport {
        rows: count,
        utc_offset: columns.utc_offset,
    };
    Ok((csv, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "\
723170,\"GREENSBORO PIEDMONT TRIAD INT\",NC,-5.0,36.100,-79.950,273
Date (MM/DD/YYYY),Time (HH:MM),Dry-bulb (C),Dry-bulb source
01/31/1988,23:00,1.5,A
01/31/1988,24:00,-0.60,A
02/01/1996,01:00,2,B
";

    fn convert_str(text: &str, channels: &[(&str, &str)]) -> Result<String, ConvertError> {
        let (out, _) = convert_text(text.as_bytes(), channels)?;
        Ok(String::from_utf8(out).expect("the writer writes UTF-8"))
    }

    #[test]
    fn converts_with_fixed_year_and_hour_24() {
        let out = convert_str(TINY, &[("temp_c", "Dry-bulb (C)")]).unwrap();
        assert_eq!(
            out,
            "time,temp_c\n\
             1990-01-31T23:00:00-05:00,1.5\n\
             1990-02-01T00:00:00-05:00,-0.60\n\
             1990-02-01T01:00:00-05:00,2\n"
        );
    }

    #[test]
    fn unknown_channel_lists_the_columns() {
        let error = convert_str(TINY, &[("x", "Wet-bulb (C)")]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`Wet-bulb (C)`"), "{message}");
        assert!(message.contains("`Dry-bulb source`"), "{message}");
    }

    #[test]
    fn february_29_does_not_exist_in_the_fixed_year() {
        let text = TINY.replace("02/01/1996", "02/29/1996");
        let error = convert_str(&text, &[]).unwrap_err();
        assert!(
            matches!(
                error,
                ConvertError::Load(LoadError::BadTimestamp { line: 5, .. })
            ),
            "{error:?}"
        );
    }

    #[test]
    fn not_tmy3() {
        let error = convert_str("time,a\n2021-01-01,1\n", &[]).unwrap_err();
        assert!(matches!(error, ConvertError::NotTmy3));
    }

    #[test]
    fn metadata_offset() {
        let row = |cells: Vec<&str>| RawRow {
            line: 1,
            cells: StringRecord::from(cells),
        };
        let metadata = row(vec!["1", "x", "NC", "5.5", "0", "0", "0"]);
        assert_eq!(metadata_utc_offset(&metadata).unwrap(), 5 * 3600 + 30 * 60);
        let metadata = row(vec!["1", "x", "NC", "east"]);
        assert!(matches!(
            metadata_utc_offset(&metadata),
            Err(LoadError::Tmy3Metadata { line: 1, value }) if value == "east"
        ));
        assert!(metadata_utc_offset(&row(vec!["1"])).is_err());
        assert!(metadata_utc_offset(&row(vec!["1", "x", "NC", "30"])).is_err());
    }
}
