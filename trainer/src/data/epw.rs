//! EnergyPlus weather files (EPW), read directly.
//!
//! Layout: eight header lines (`LOCATION,...` first, `DATA PERIODS,...` last), then one row of
//! [`FIELDS`] fields per record with no column names: year, month, day, hour (1 to 24, the
//! hour ending), minute, a source-flags field, then the readings in the order of the
//! EnergyPlus "Auxiliary Programs" manual. Times are local standard time. A typical-year EPW
//! (IWEC, TMYx) takes each month from another year; the loader moves them to one year, as it
//! does TMY3 files (see [`LoadReport::typical_years`](super::LoadReport::typical_years)).
//!
//! The table handed on has `Year`, `Month`, `Day`, `Hour` and, for sub-hourly files, `Minute`
//! columns, then the readings under pvlib's names for them (`temp_air`, `ghi`, ...). Left out:
//! the minute of an hourly file (it is 0 or 60 there, and means nothing), the source flags,
//! and the present-weather observation and codes (codes, not readings). A reading equal to its
//! field's missing-value code (99.9 °C, 999999 Pa, ...) is an empty, missing cell.

use csv::StringRecord;

use super::error::LoadError;
use super::read::{RawRow, RawTable};

/// Fields in a data row.
pub const FIELDS: usize = 35;
/// Fields a data row has at least: the time fields, the source flags and the dry-bulb
/// temperature.
pub const MIN_FIELDS: usize = 7;
/// Header lines above the data.
const HEADER_LINES: u64 = 8;
/// The first field of the first and of the last header line.
const FIRST_HEADER: &str = "LOCATION";
const LAST_HEADER: &str = "DATA PERIODS";

/// How a missing reading is written in one field.
#[derive(Debug, Clone, Copy)]
enum Missing {
    /// This value exactly.
    Is(f64),
    /// This value or more.
    From(f64),
}

/// The readings kept: (field index from 0, pvlib's name, missing-value code).
const READINGS: [(usize, &str, Missing); 27] = [
    (6, "temp_air", Missing::Is(99.9)),
    (7, "temp_dew", Missing::Is(99.9)),
    (8, "relative_humidity", Missing::Is(999.0)),
    (9, "atmospheric_pressure", Missing::Is(999_999.0)),
    (10, "etr", Missing::Is(9999.0)),
    (11, "etrn", Missing::Is(9999.0)),
    (12, "ghi_infrared", Missing::Is(9999.0)),
    (13, "ghi", Missing::Is(9999.0)),
    (14, "dni", Missing::Is(9999.0)),
    (15, "dhi", Missing::Is(9999.0)),
    (16, "global_hor_illum", Missing::From(999_900.0)),
    (17, "direct_normal_illum", Missing::From(999_900.0)),
    (18, "diffuse_horizontal_illum", Missing::From(999_900.0)),
    (19, "zenith_luminance", Missing::From(9999.0)),
    (20, "wind_direction", Missing::Is(999.0)),
    (21, "wind_speed", Missing::Is(999.0)),
    (22, "total_sky_cover", Missing::Is(99.0)),
    (23, "opaque_sky_cover", Missing::Is(99.0)),
    (24, "visibility", Missing::Is(9999.0)),
    (25, "ceiling_height", Missing::Is(99999.0)),
    (28, "precipitable_water", Missing::Is(999.0)),
    (29, "aerosol_optical_depth", Missing::Is(0.999)),
    (30, "snow_depth", Missing::Is(999.0)),
    (31, "days_since_last_snowfall", Missing::Is(99.0)),
    (32, "albedo", Missing::Is(999.0)),
    (33, "liquid_precipitation_depth", Missing::Is(999.0)),
    (34, "liquid_precipitation_quantity", Missing::Is(99.0)),
];

/// Where the time fields are in a data row.
const YEAR: usize = 0;
const HOUR: usize = 3;
const MINUTE: usize = 4;

/// Whether a file (its text after any byte-order mark) is an EPW file: its first line starts
/// with `LOCATION,` and one of the next few starts with `DATA PERIODS,` (a CSV file whose
/// first column is named `LOCATION` is none).
pub(crate) fn is_epw(text: &[u8]) -> bool {
    let starts = |line: &[u8], field: &str| {
        line.strip_prefix(field.as_bytes())
            .is_some_and(|rest| rest.first() == Some(&b','))
    };
    let mut lines = text.split(|&b| b == b'\n');
    lines
        .next()
        .is_some_and(|first| starts(first, FIRST_HEADER))
        && lines
            .take(2 * HEADER_LINES as usize)
            .any(|l| starts(l, LAST_HEADER))
}

/// File line numbers of records from their byte offsets, counted once (the csv crate's own
/// line count is off in files with CRLF line ends, which most EPW files have).
struct LineOf<'t> {
    text: &'t [u8],
    byte: usize,
    line: u64,
}

impl LineOf<'_> {
    /// The line of the record at byte `at`, at or after the last one asked for. (With CRLF
    /// line ends the csv crate's record can start at the `\n` of the line before it.)
    fn at(&mut self, at: u64) -> u64 {
        let mut at = (at as usize).clamp(self.byte, self.text.len());
        while self
            .text
            .get(at)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            at += 1;
        }
        let newlines = self.text[self.byte..at].iter().filter(|&&b| b == b'\n');
        self.line += newlines.count() as u64;
        self.byte = at;
        self.line
    }
}

/// The station an EPW file's `LOCATION` line names: city, region and country, those given.
fn station(location: &StringRecord) -> String {
    let parts: Vec<&str> = (1..4)
        .filter_map(|i| location.get(i))
        .filter(|p| !p.is_empty() && *p != "-")
        .collect();
    parts.join(", ")
}

/// Reads an EPW file ([`is_epw`]) into a table (see the module docs), with its station.
pub(crate) fn read(text: &[u8]) -> Result<(RawTable, String), LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut records = reader.records();
    let mut line_of = LineOf {
        text,
        byte: 0,
        line: 1,
    };
    let mut station_name = String::new();
    for line in 1..=HEADER_LINES {
        let record = match records.next() {
            Some(Ok(record)) => record,
            Some(Err(source)) => return Err(LoadError::Csv { line, source }),
            None => StringRecord::new(),
        };
        if line == 1 {
            station_name = station(&record);
        }
        let at = record.position().map_or(line, |p| line_of.at(p.byte()));
        if line == HEADER_LINES && record.get(0) != Some(LAST_HEADER) {
            return Err(LoadError::EpwHeader {
                line: at,
                found: record.get(0).unwrap_or("").to_owned(),
            });
        }
    }
    let mut rows: Vec<Result<RawRow, LoadError>> = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(source) => {
                let line = source.position().map_or(0, |p| line_of.at(p.byte()));
                return Err(LoadError::Csv { line, source });
            }
        };
        let line = record.position().map_or(0, |p| line_of.at(p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        // EnergyPlus reads a row with trailing fields left off (older files end before the
        // precipitation fields): they are missing. Empty fields past the last are ignored.
        let found = record.len();
        let extra_empty = record.iter().skip(FIELDS).all(str::is_empty);
        rows.push(match found {
            MIN_FIELDS.. if found <= FIELDS || extra_empty => {
                let mut cells: StringRecord = record.iter().take(FIELDS).collect();
                while cells.len() < FIELDS {
                    cells.push_field("");
                }
                Ok(RawRow { line, cells })
            }
            found => Err(LoadError::EpwFieldCount { line, found }),
        });
    }
    // Hourly if every minute is 0 or 60 (the hour ending is then the time); else the minute
    // ends an interval within the hour before `hour`.
    let minute = |r: &RawRow| r.cells[MINUTE].parse::<u32>().ok();
    let hourly = (rows.iter().flatten()).all(|r| matches!(minute(r), Some(0 | 60)));
    let mut header: Vec<String> = ["Year", "Month", "Day", "Hour"].map(String::from).to_vec();
    if !hourly {
        header.push("Minute".to_owned());
    }
    header.extend(READINGS.iter().map(|&(_, name, _)| name.to_owned()));
    for row in rows.iter_mut().flatten() {
        row.cells = cells(&row.cells, hourly);
    }
    let table = RawTable {
        header,
        tmy3_utc_offset: None,
        rows,
        units: None,
        second_units: None,
        unnamed: Vec::new(),
        preamble_end: None,
        headerless: false,
        comments: Vec::new(),
        headers: Vec::new(),
    };
    Ok((table, station_name))
}

/// A data row's cells in the table's columns: the time fields (a sub-hourly row's hour and
/// minute as the time its interval ends), then the readings, a missing-value code empty.
fn cells(row: &StringRecord, hourly: bool) -> StringRecord {
    let mut out = StringRecord::new();
    for field in row.iter().skip(YEAR).take(HOUR - YEAR) {
        out.push_field(field);
    }
    let hour = row.get(HOUR).unwrap_or("");
    match (hourly, hour.parse::<u32>(), row[MINUTE].parse::<u32>()) {
        (false, Ok(h @ 1..=24), Ok(m @ 0..=60)) => {
            let end = (h - 1) * 60 + m;
            out.push_field(&(end / 60).to_string());
            out.push_field(&(end % 60).to_string());
        }
        // (A bad hour or minute is left for the timestamp check to report.)
        (false, ..) => {
            out.push_field(hour);
            out.push_field(&row[MINUTE]);
        }
        (true, ..) => out.push_field(hour),
    }
    for &(i, _, missing) in &READINGS {
        let cell = &row[i];
        let code = match (cell.parse::<f64>(), missing) {
            (Ok(v), Missing::Is(code)) => v == code,
            (Ok(v), Missing::From(code)) => v >= code,
            (Err(_), _) => false,
        };
        out.push_field(if code { "" } else { cell });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::timestamp;
    use super::super::{LoadConfig, LoadError, Series};

    /// An EPW file's header lines, then `rows`.
    fn epw(rows: &[String]) -> String {
        let mut text = String::from(
            "LOCATION,AMSTERDAM,-,NLD,IWEC Data,062400,52.30,4.77,1.0,-2.0\n\
             DESIGN CONDITIONS,0\nTYPICAL/EXTREME PERIODS,0\nGROUND TEMPERATURES,0\n\
             HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0\nCOMMENTS 1,\"a, quoted\"\nCOMMENTS 2,\n\
             DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31\n",
        );
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    /// A data row: the time fields, then `temp` and `pressure`, the rest as a real file has
    /// them.
    fn row(time: &str, temp: &str, pressure: &str) -> String {
        format!(
            "{time},C9C9C9C9*0?9?9?9,{temp},1.8,79,{pressure},0,1415,288,0,0,0,0,0,0,0,340,6.7,\
             6,6,20.0,420,9,999999999,0,0.0500,0,88,0.000,0.0,0.0"
        )
    }

    fn load(text: &str) -> Result<Series, LoadError> {
        Series::from_reader(text.as_bytes(), &LoadConfig::default())
    }

    #[test]
    fn epw_rows_are_hour_ending_in_one_year_with_missing_codes_missing() {
        let text = epw(&[
            row("1999,1,31,23,60", "5.1", "100100"),
            row("1999,1,31,24,60", "99.9", "100200"),
            row("1995,2,1,1,60", "4.6", "999999"),
            row("1995,2,1,2,60", "4.2", "99900"),
        ]);
        let series = load(&text).unwrap();
        let report = series.report();
        assert_eq!(report.epw_station.as_deref(), Some("AMSTERDAM, NLD"));
        assert_eq!(report.typical_years, [1999, 1995]);
        let start = timestamp::from_parts(&["1990", "1", "31", "23"]).unwrap();
        let hour = 3_600_000;
        assert_eq!(
            series.times(),
            [start, start + hour, start + 2 * hour, start + 3 * hour]
        );
        // 99.9 °C and 999999 Pa are missing; 99900 Pa is a reading.
        let temp = series.column("temp_air").unwrap();
        assert_eq!(temp[0], 5.1);
        assert!(temp[1].is_nan());
        let pressure = series.column("atmospheric_pressure").unwrap();
        assert!(pressure[2].is_nan());
        assert_eq!(pressure[3], 99900.0);
        // No minute, flags or present-weather columns.
        assert!(
            !series
                .columns()
                .iter()
                .any(|c| c.contains("present") || c == "Minute")
        );
        assert_eq!(series.columns().len(), super::READINGS.len());
        assert!(
            report
                .to_string()
                .contains("EnergyPlus weather (EPW) file of AMSTERDAM")
        );
    }

    #[test]
    fn sub_hourly_epw_rows_end_at_their_minute() {
        let text = epw(&[
            row("2001,3,1,1,15", "5.1", "100100"),
            row("2001,3,1,1,30", "5.2", "100100"),
            row("2001,3,1,1,45", "5.3", "100100"),
            row("2001,3,1,1,60", "5.4", "100100"),
            row("2001,3,1,2,15", "5.5", "100100"),
        ]);
        let series = load(&text).unwrap();
        let start = timestamp::from_parts(&["2001", "3", "1", "0", "15"]).unwrap();
        let quarter = 900_000;
        assert_eq!(series.times()[3], start + 3 * quarter);
        assert_eq!(series.times()[4], start + 4 * quarter);
        assert!(series.report().typical_years.is_empty());
    }

    #[test]
    fn bad_epw_headers_and_rows_are_named() {
        let mut text = epw(&[row("1995,1,1,1,60", "5.1", "100100")]);
        // A comment line too many.
        text = text.replace("COMMENTS 2,\n", "COMMENTS 2,\nCOMMENTS 3,\n");
        assert!(matches!(
            load(&text).unwrap_err(),
            LoadError::EpwHeader { line: 8, found } if found == "COMMENTS 3"
        ));
        let text = epw(&[
            row("1995,1,1,1,60", "5.1", "100100"),
            "1995,1,1,2,60,C9".to_owned(),
        ]);
        assert!(matches!(
            load(&text).unwrap_err(),
            LoadError::EpwFieldCount { line: 10, found: 6 }
        ));
        // The line numbers of a file with CRLF line ends.
        let text = text.replace('\n', "\r\n");
        let err = load(&text).unwrap_err();
        assert!(
            matches!(err, LoadError::EpwFieldCount { line: 10, found: 6 }),
            "{err:?}"
        );
    }

    #[test]
    fn short_and_trailing_comma_epw_rows_load() {
        // Trailing fields left off are missing; an empty field past the last is ignored; a
        // minute written `00` is an hourly file's.
        let full = row("2001,3,1,1,00", "5.1", "100100");
        let short: Vec<&str> = full.split(',').take(10).collect();
        let text = epw(&[short.join(","), row("2001,3,1,2,00", "5.2", "100200") + ","]);
        let series = load(&text).unwrap();
        assert_eq!(series.column("temp_air").unwrap(), [5.1, 5.2]);
        assert!(series.column("albedo").unwrap()[0].is_nan());
        assert!(!series.columns().iter().any(|c| c == "Minute"));
        let start = timestamp::from_parts(&["2001", "3", "1", "1"]).unwrap();
        assert_eq!(series.times()[0], start);
    }

    #[test]
    fn a_csv_with_a_location_column_is_no_epw() {
        let text = "LOCATION,time,temp\nsite A,2024-01-01T00:00:00Z,1.5\n\
                    site A,2024-01-01T01:00:00Z,1.7\n";
        let series = load(text).unwrap();
        assert!(series.report().epw_station.is_none());
        assert_eq!(series.column("temp").unwrap(), [1.5, 1.7]);
    }
}
