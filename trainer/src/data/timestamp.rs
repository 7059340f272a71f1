//! Timestamp layouts and their conversion to UTC milliseconds.
//!
//! Conventions:
//! - A timestamp is an `i64` count of milliseconds since 1970-01-01T00:00:00Z (UTC), proleptic
//!   Gregorian calendar, no leap seconds (second 60 is rejected). The TMY3 helpers work in
//!   whole seconds (hourly files).
//! - Layouts, each parsed strictly (fixed digit counts, nothing before or after):
//!   - [`TimestampFormat::Iso8601`]: `YYYY-MM-DD`, optionally followed by `T`, `t` or one space
//!     and `HH`, `HH:MM` or `HH:MM:SS[.f]`, optionally followed by `Z`, ` UTC`, ` GMT`, `±HH:MM`,
//!     `±HHMM` or `±HH`.
//!     Without an offset the time is taken as UTC. `24:00` / `24:00:00` is midnight at the end
//!     of that day. A fraction (`.` or `,` and digits) is rounded to the millisecond, half up.
//!   - [`TimestampFormat::Jena`]: `DD.MM.YYYY HH:MM:SS[.f]` (or `HH:MM`), taken as UTC.
//!   - [`TimestampFormat::UnixSeconds`] and [`TimestampFormat::UnixMillis`]: a decimal count
//!     (`-`, digits, optionally `.` and digits) of seconds or milliseconds since 1970-01-01T00:00Z,
//!     rounded to the millisecond (halves away from zero): what data
//!     loggers and phone apps write. [`TimestampFormat::UnixMicros`] and
//!     [`TimestampFormat::UnixNanos`] likewise (up to 19 digits, a fraction ignored), rounded to
//!     the millisecond, halves away from zero. Also counts from any other start (time since power-up);
//!     only differences matter to the loader.
//!   - [`TimestampFormat::Civil`]: a spreadsheet or logger date `DD/MM/YYYY`, `MM/DD/YYYY` or
//!     `YYYY/MM/DD` (separator `/`, `-` or `.`; day and month of one or two digits; the
//!     column's order, see the loader), optionally followed by a space or `T` and a time of day
//!     `H:MM[:SS[.f]]` with an optional `AM`/`PM`; local clock time, taken as UTC.
//!   - [`TimestampFormat::DateAndTime`]: the same in two columns, a date (ISO `YYYY-MM-DD` or a
//!     civil one) and a time of day.
//!   - [`TimestampFormat::Digits`]: a date written as digits alone, `YYYYMMDD`, `YYYYMMDDHH`,
//!     `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS` (as energy-market and NOAA exports write it; the
//!     column's count of digits), hour 24 only as the end of the day; local clock time, taken
//!     as UTC.
//!   - [`TimestampFormat::Rows`]: no time column; the rows evenly spaced, the first at 0.
//!   - [`TimestampFormat::Tmy3`]: two cells, `MM/DD/YYYY` and `HH:MM` with hour 1..=24
//!     (hour-ending local standard time; 24:00 is midnight at the end of that day). The year is
//!     replaced by [`TMY3_YEAR`](super::tmy3::TMY3_YEAR), see [`super::tmy3`], and the station's
//!     UTC offset from the metadata line is subtracted.

use std::fmt;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Seconds in an hour.
const HOUR: i64 = 3_600;
/// Milliseconds in a second.
const MS: i64 = 1_000;
/// Largest accepted Unix time magnitude in milliseconds (`f64`-exact, far beyond any clock).
const MAX_UNIX_MS: i64 = 1 << 53;
/// Largest accepted UTC offset, in hours (offsets on Earth stay within ±14).
const MAX_OFFSET_HOURS: u32 = 23;

/// The timestamp layouts the loader recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    /// ISO 8601 date and time, with or without a UTC offset (`2021-03-04T05:06:07+01:00`).
    Iso8601,
    /// The Jena climate layout `01.01.2009 00:10:00` (its column is called `Date Time`).
    Jena,
    /// Raw TMY3: `Date (MM/DD/YYYY)` and `Time (HH:MM)` columns, local standard time.
    Tmy3,
    /// Seconds since 1970-01-01T00:00Z (`1709251200.02`).
    UnixSeconds,
    /// Milliseconds since 1970-01-01T00:00Z (`1709251200020`).
    UnixMillis,
    /// Microseconds since 1970-01-01T00:00Z (`1709251200020000`), rounded to the millisecond.
    UnixMicros,
    /// Nanoseconds since 1970-01-01T00:00Z (`1709251200020000000`, a phone sensor app's `time`),
    /// rounded to the millisecond.
    UnixNanos,
    /// A spreadsheet or data-logger date in `layout` (`05/01/2023 14:30`, `1.5.2023 2:30 PM`,
    /// `2023/05/01 14:30:00`), optionally with a time of day; local clock time.
    Civil(DateLayout),
    /// A date column (ISO 8601 `YYYY-MM-DD` or [`Civil`](Self::Civil) without a time) and a
    /// time-of-day column (`14:30`, `14:30:00.5`, `2:30 PM`); local clock time.
    DateAndTime(DateLayout),
    /// Whole numbers in `year`, `month` and `day` columns, optionally `hour`, `minute` and
    /// `second` too (UCI's air-quality files, `No,year,month,day,hour,...`); local clock time.
    /// The count of columns from `hour` on (0 to 3).
    Parts(u8),
    /// A date column and a column of whole hours (`Date,Hour`, `Date,HE`: 0 to 24, 24 being
    /// midnight at the end of the day); local clock time.
    DateAndHour(DateLayout),
    /// A date written as digits, `YYYYMMDD[HH[MM[SS]]]`: the count of digits (8, 10, 12 or 14);
    /// local clock time.
    Digits(u8),
    /// No time column: the rows are evenly spaced, this many milliseconds apart, the first at 0
    /// (a logger or serial capture that writes no time).
    Rows(i64),
}

/// The order of a date's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Year, month, day.
    Ymd,
    /// Day, month, year.
    Dmy,
    /// Month, day, year.
    Mdy,
}

/// A date layout: the order of its fields and the byte between them (`/`, `-` or `.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLayout {
    /// Field order.
    pub order: DateOrder,
    /// Separator.
    pub separator: u8,
}

impl fmt::Display for DateLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = char::from(self.separator);
        match self.order {
            DateOrder::Ymd => write!(f, "YYYY{s}MM{s}DD"),
            DateOrder::Dmy => write!(f, "DD{s}MM{s}YYYY"),
            DateOrder::Mdy => write!(f, "MM{s}DD{s}YYYY"),
        }
    }
}

/// English month names, as spreadsheets write them (`01-May-2023`): the first three letters,
/// or the whole name.
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month a name (any case) stands for: its first three letters, `sept`, or the whole name.
fn month_named(name: &str) -> Option<u32> {
    let n = name.len();
    let i = MONTHS.iter().position(|m| {
        let prefix = m.get(..n).is_some_and(|p| p.eq_ignore_ascii_case(name));
        prefix && (n == 3 || n == m.len() || n == 4 && *m == "september")
    })?;
    Some(i as u32 + 1)
}

/// A date at the start of `text`: its separator, its three numbers, whether the year comes
/// first and whether the month is a name. `D{1,4}` sep `D{1,2}` sep `D{1,4}` with four digits
/// in the first or the last field and the same separator (`/`, `-`, `.`) twice; the middle
/// field may be an English month name (`01-May-2023`, `2023-may-01`). A two-digit year last
/// (`5/1/23`, `1-May-23`, a spreadsheet's short date) is 20YY below 69 and 19YY from 69 on,
/// as POSIX `strptime` reads `%y`. `None` if `text` does not start with one.
pub(crate) fn date_fields(text: &str) -> Option<(u8, [u32; 3], bool, bool)> {
    let b = text.as_bytes();
    let mut at = 0;
    let field = |at: &mut usize| {
        let start = *at;
        while b.get(*at).is_some_and(u8::is_ascii_digit) && *at - start < 4 {
            *at += 1;
        }
        let n = *at - start;
        (n > 0).then(|| (text[start..*at].parse::<u32>().unwrap_or(0), n))
    };
    let (a, na) = field(&mut at)?;
    let sep = *b.get(at).filter(|s| matches!(s, b'/' | b'-' | b'.'))?;
    at += 1;
    let letters = b[at..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let named = letters > 0;
    let (m, nm) = if named {
        let m = month_named(&text[at..at + letters])?;
        at += letters;
        (m, 2)
    } else {
        field(&mut at)?
    };
    (b.get(at) == Some(&sep)).then_some(())?;
    at += 1;
    let (c, nc) = field(&mut at)?;
    // What follows the date: nothing, or a time after a space or `T`.
    if !matches!(b.get(at), None | Some(b' ' | b'T')) || nm > 2 {
        return None;
    }
    match (na, nc) {
        (4, 1..=2) => Some((sep, [a, m, c], true, named)),
        (1..=2, 4) => Some((sep, [a, m, c], false, named)),
        // A two-digit year last (a spreadsheet's short date, `5/1/23` or `1-May-23`).
        (1..=2, 2) => Some((sep, [a, m, full_year(c)], false, named)),
        _ => None,
    }
}

/// Milliseconds (local clock time read as UTC) of a date and time given as whole numbers (an
/// integer cell, or one ending in `.0`: a float export): `[year, month, day]` and then the
/// hour, minute and second given. Hour 24 with no minutes is midnight at the end of the day.
pub(crate) fn from_parts(cells: &[&str]) -> Result<i64, (usize, TimestampError)> {
    const FIELDS: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];
    let mut v = [0u32; 6];
    for (i, cell) in cells.iter().enumerate().take(6) {
        v[i] = whole_number(cell, 4).ok_or((
            i,
            TimestampError::Layout {
                expected: "a whole number",
            },
        ))?;
        if i == 0 && !(1000..=9999).contains(&v[0]) {
            let error = TimestampError::OutOfRange {
                field: FIELDS[0],
                value: v[0],
            };
            return Err((0, error));
        }
    }
    let days = checked_days(i64::from(v[0]), v[1], v[2]).map_err(|e| {
        let field = match e {
            TimestampError::OutOfRange { field: "month", .. } => 1,
            _ => 2,
        };
        (field, e)
    })?;
    let clock = checked_time_of_day(v[3], v[4], v[5]).map_err(|e| {
        let field = match e {
            TimestampError::OutOfRange {
                field: "minute", ..
            } => 4,
            TimestampError::OutOfRange {
                field: "second", ..
            } => 5,
            _ => 3,
        };
        (field.min(cells.len().saturating_sub(1)), e)
    })?;
    Ok(days * DAY * MS + clock * MS)
}

/// A whole hour (`0` to `24`, or `7.0`), in milliseconds since midnight.
pub(crate) fn parse_hour(text: &str) -> Result<i64, TimestampError> {
    let hour = whole_number(text, 2).ok_or(TimestampError::Layout {
        expected: "a whole hour, 0 to 24",
    })?;
    Ok(checked_time_of_day(hour, 0, 0)? * MS)
}

/// The year a two-digit year stands for: 20YY below 69, 19YY from 69 on (POSIX `%y`).
pub(crate) fn full_year(yy: u32) -> u32 {
    if yy < 69 { 2000 + yy } else { 1900 + yy }
}

/// A whole number of at most `digits` digits (or one ending in `.0`: a float export).
pub(crate) fn whole_number(text: &str, digits: usize) -> Option<u32> {
    let d = text.strip_suffix(".0").unwrap_or(text);
    let ok = !d.is_empty() && d.len() <= digits && d.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| d.parse().ok()).flatten()
}

/// Parses a date in `layout`, optionally followed by a space or `T` and a time of day (see
/// [`parse_clock`]), to milliseconds (local clock time read as UTC).
pub(crate) fn parse_civil(text: &str, layout: DateLayout) -> Result<i64, TimestampError> {
    let error = TimestampError::Layout {
        expected: CIVIL_LAYOUT,
    };
    let (sep, [a, b, c], year_first, _) = date_fields(text).ok_or(error)?;
    if sep != layout.separator || year_first != (layout.order == DateOrder::Ymd) {
        return Err(error);
    }
    let (year, month, day) = match layout.order {
        DateOrder::Ymd => (a, b, c),
        DateOrder::Dmy => (c, b, a),
        DateOrder::Mdy => (c, a, b),
    };
    let days = checked_days(i64::from(year), month, day)?;
    let date_len = text.find([' ', 'T']).unwrap_or(text.len());
    let clock = match text.get(date_len + 1..) {
        None => 0,
        Some(rest) => parse_clock(rest.trim_start())?,
    };
    Ok(days * DAY * MS + clock)
}

/// `text` without `suffix` at its end (ASCII case ignored), if it ends with it.
fn strip_suffix_ignoring_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..cut)?, text.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// Parses a time of day `H:MM`, `H:MM:SS` or `H:MM:SS.f` (hour of one or two digits, `24:00`
/// the end of the day), optionally followed by `AM` or `PM` (any case, after an optional
/// space, hour 1..=12), to milliseconds since midnight.
pub(crate) fn parse_clock(text: &str) -> Result<i64, TimestampError> {
    let error = TimestampError::Layout {
        expected: CLOCK_LAYOUT,
    };
    let text = text.trim_end();
    let suffix = |s: &str| strip_suffix_ignoring_case(text, s);
    let (clock, half) = match suffix("AM").or_else(|| suffix("A.M.")) {
        Some(c) => (c.trim_end(), Some(false)),
        None => match suffix("PM").or_else(|| suffix("P.M.")) {
            Some(c) => (c.trim_end(), Some(true)),
            None => (text, None),
        },
    };
    let mut c = Cursor::new(clock, CLOCK_LAYOUT);
    // One-digit hours too.
    let hour_digits = if clock.find(':') == Some(1) { 1 } else { 2 };
    let ms = c.time_of_day_with(hour_digits).map_err(|e| match e {
        TimestampError::Layout { .. } => error,
        e => e,
    })?;
    c.finish().map_err(|_| error)?;
    let Some(pm) = half else {
        return Ok(ms);
    };
    let hour = ms / (HOUR * MS);
    if !(1..=12).contains(&hour) || ms >= 24 * HOUR * MS {
        return Err(TimestampError::OutOfRange {
            field: "hour (AM/PM)",
            value: hour as u32,
        });
    }
    // 12 AM is midnight, 12 PM noon.
    let hour24 = match (hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    Ok(ms + (hour24 - hour) * HOUR * MS)
}

impl fmt::Display for TimestampFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Iso8601 => "ISO 8601",
            Self::Jena => "Jena (DD.MM.YYYY HH:MM:SS)",
            Self::Tmy3 => "TMY3 (MM/DD/YYYY, HH:MM)",
            Self::UnixSeconds => "Unix seconds",
            Self::UnixMillis => "Unix milliseconds",
            Self::UnixMicros => "Unix microseconds",
            Self::UnixNanos => "Unix nanoseconds",
            Self::Civil(layout) => return write!(f, "{layout} [H:MM[:SS]] (local time)"),
            Self::DateAndTime(layout) => {
                return write!(f, "{layout} and H:MM[:SS] columns (local time)");
            }
            Self::DateAndHour(layout) => {
                return write!(f, "{layout} and hour columns (local time)");
            }
            Self::Parts(clock) => {
                let names = ["year", "month", "day", "hour", "minute", "second"];
                let used = &names[..3 + usize::from(*clock).min(3)];
                return write!(f, "{} columns (local time)", used.join(", "));
            }
            Self::Digits(count) => {
                let layout = "YYYYMMDDHHMMSS"
                    .get(..usize::from(*count))
                    .unwrap_or("YYYYMMDD");
                return write!(f, "{layout} (local time)");
            }
            Self::Rows(period) => {
                return write!(
                    f,
                    "evenly spaced rows, {} apart",
                    super::series::Duration(*period)
                );
            }
        })
    }
}

/// Why one timestamp cell does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text does not have the expected layout.
    #[error("expected {expected}")]
    Layout {
        /// The layout that was expected, e.g. `MM/DD/YYYY`.
        expected: &'static str,
    },
    /// A field has the right layout but an impossible value.
    #[error("{field} {value} is out of range")]
    OutOfRange {
        /// The field: `month`, `hour`, ...
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// The day does not exist in that month (`02/29` in the fixed TMY3 year, `04/31`).
    #[error("day {day} does not exist in {year:04}-{month:02}")]
    NoSuchDay {
        /// Year the day was looked up in.
        year: i64,
        /// Month, 1..=12.
        month: u32,
        /// Day of the month.
        day: u32,
    },
    /// Hour 24 is only allowed as `24:00` or `24:00:00`.
    #[error("hour 24 must have zero minutes and seconds")]
    HourTwentyFour,
    /// A Unix time beyond ±2^53 milliseconds (about ±285,000 years).
    #[error("the time is out of range")]
    TooLarge,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
/// `month` is 1..=12 and `day` 1..=31; the caller has checked them.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01, as (year, month 1..=12, day 1..=31); the inverse
/// of [`days_from_civil`].
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    // Both casts are of small non-negative values: day 1..=31, month 1..=12.
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day count since 1970-01-01 of a date, if it is one.
pub(crate) fn valid_days(year: i64, month: u32, day: u32) -> Option<i64> {
    checked_days(year, month, day).ok()
}

/// Checks month and day and returns the day count since 1970-01-01.
fn checked_days(year: i64, month: u32, day: u32) -> Result<i64, TimestampError> {
    if !(1..=12).contains(&month) {
        return Err(TimestampError::OutOfRange {
            field: "month",
            value: month,
        });
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(TimestampError::NoSuchDay { year, month, day });
    }
    Ok(days_from_civil(year, month, day))
}

/// Checks a time of day (hour 24 only as 24:00:00) and returns its seconds since midnight.
fn checked_time_of_day(hour: u32, minute: u32, second: u32) -> Result<i64, TimestampError> {
    if hour > 24 {
        return Err(TimestampError::OutOfRange {
            field: "hour",
            value: hour,
        });
    }
    if minute > 59 {
        return Err(TimestampError::OutOfRange {
            field: "minute",
            value: minute,
        });
    }
    if second > 59 {
        return Err(TimestampError::OutOfRange {
            field: "second",
            value: second,
        });
    }
    if hour == 24 && (minute, second) != (0, 0) {
        return Err(TimestampError::HourTwentyFour);
    }
    Ok(i64::from(hour) * HOUR + i64::from(minute) * 60 + i64::from(second))
}

/// A cursor over the ASCII bytes of one cell; every read is checked.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    expected: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, expected: &'static str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
            expected,
        }
    }

    fn layout_error(&self) -> TimestampError {
        TimestampError::Layout {
            expected: self.expected,
        }
    }

    /// Exactly `count` ASCII digits.
    fn digits(&mut self, count: usize) -> Result<u32, TimestampError> {
        let end = self.at + count;
        let field = self.bytes.get(self.at..end).ok_or(self.layout_error())?;
        let mut value = 0u32;
        for &b in field {
            if !b.is_ascii_digit() {
                return Err(self.layout_error());
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.at = end;
        Ok(value)
    }

    /// One byte that must be `expected`.
    fn byte(&mut self, expected: u8) -> Result<(), TimestampError> {
        if self.peek() == Some(expected) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.layout_error())
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        self.at += 1;
    }

    fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn finish(&self) -> Result<(), TimestampError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.layout_error())
        }
    }

    /// `HH:MM` or `HH:MM:SS[.f]`, in milliseconds since midnight.
    fn time_of_day(&mut self) -> Result<i64, TimestampError> {
        self.time_of_day_with(2)
    }

    /// ISO 8601's time of day: [`time_of_day`](Self::time_of_day), or the hour alone (`HH`,
    /// reduced precision: an hourly energy or weather export).
    fn iso_time_of_day(&mut self) -> Result<i64, TimestampError> {
        if self.bytes.get(self.at + 2) == Some(&b':') {
            return self.time_of_day();
        }
        let hour = self.digits(2)?;
        Ok(checked_time_of_day(hour, 0, 0)? * MS)
    }

    /// [`time_of_day`](Self::time_of_day) with an hour of `hour_digits` digits.
    fn time_of_day_with(&mut self, hour_digits: usize) -> Result<i64, TimestampError> {
        let hour = self.digits(hour_digits)?;
        self.byte(b':')?;
        let minute = self.digits(2)?;
        let (mut second, mut ms) = (0, 0);
        if self.peek() == Some(b':') {
            self.bump();
            second = self.digits(2)?;
            if matches!(self.peek(), Some(b'.' | b',')) {
                self.bump();
                ms = self.fraction_ms()?;
            }
        }
        if hour == 24 && ms != 0 {
            return Err(TimestampError::HourTwentyFour);
        }
        Ok(checked_time_of_day(hour, minute, second)? * MS + ms)
    }

    /// The digits of a fraction (at least one), in thousandths rounded half up (1000 for
    /// `.9995` and above): the fourth digit alone decides.
    fn fraction_ms(&mut self) -> Result<i64, TimestampError> {
        let start = self.at;
        let (mut ms, mut up) = (0, false);
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            match self.at - start {
                0..3 => ms = ms * 10 + i64::from(b - b'0'),
                3 => up = b >= b'5',
                _ => {}
            }
            self.bump();
        }
        match self.at - start {
            0 => Err(self.layout_error()),
            n @ 1..3 => Ok(ms * 10i64.pow(3 - n as u32)),
            _ => Ok(ms + i64::from(up)),
        }
    }

    /// Up to 18 digits (at least one), as a number.
    fn integer(&mut self) -> Result<i64, TimestampError> {
        let start = self.at;
        let mut value = 0i64;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            if self.at - start == 18 {
                return Err(TimestampError::TooLarge);
            }
            value = value * 10 + i64::from(b - b'0');
            self.bump();
        }
        if self.at == start {
            return Err(self.layout_error());
        }
        Ok(value)
    }
}

const ISO_LAYOUT: &str = "ISO 8601 `YYYY-MM-DD[THH[:MM[:SS[.fff]]]][Z|±HH:MM]`";
const JENA_LAYOUT: &str = "`DD.MM.YYYY HH:MM:SS`";
const CIVIL_LAYOUT: &str = "a date `DD/MM/YYYY`, `MM/DD/YYYY` or `YYYY/MM/DD` (the column's order) and an optional `H:MM[:SS]`";
const CLOCK_LAYOUT: &str = "a time of day `H:MM[:SS[.fff]]` with an optional `AM`/`PM`";
const UNIX_LAYOUT: &str = "a Unix time (`-`, digits, optionally `.` and digits)";
const DIGITS_LAYOUT: &str = "a date written as digits, `YYYYMMDD[HH[MM[SS]]]` (the column's count)";
const TMY3_DATE_LAYOUT: &str = "TMY3 date `MM/DD/YYYY`";
const TMY3_TIME_LAYOUT: &str = "TMY3 time `HH:MM`";

/// Parses an ISO 8601 timestamp (see the module docs) to UTC milliseconds.
/// Whether an ISO 8601 timestamp (one that parses) names its UTC offset (`Z`, `+01:00`,
/// `-0500`); one without is local time.
pub(crate) fn iso8601_has_offset(text: &str) -> bool {
    text.get(10..).is_some_and(|t| {
        t.bytes().any(|b| matches!(b, b'Z' | b'z' | b'+' | b'-'))
            || strip_suffix_ignoring_case(t, " UTC").is_some()
            || strip_suffix_ignoring_case(t, " GMT").is_some()
    })
}

pub(crate) fn parse_iso8601(text: &str) -> Result<i64, TimestampError> {
    let mut c = Cursor::new(text, ISO_LAYOUT);
    let year = c.digits(4)?;
    c.byte(b'-')?;
    let month = c.digits(2)?;
    c.byte(b'-')?;
    let day = c.digits(2)?;
    let days = checked_days(i64::from(year), month, day)?;
    if c.at_end() {
        return Ok(days * DAY * MS);
    }
    match c.peek() {
        Some(b'T' | b't' | b' ') => c.bump(),
        _ => return Err(c.layout_error()),
    }
    let time = c.iso_time_of_day()?;
    let offset = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.bump();
            0
        }
        // ` UTC` or ` GMT`, as databases and log exports write it.
        Some(b' ')
            if [" UTC", " GMT"]
                .iter()
                .any(|s| text[c.at..].eq_ignore_ascii_case(s)) =>
        {
            c.at = text.len();
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.bump();
            let hours = c.digits(2)?;
            let minutes = match c.peek() {
                Some(b':') => {
                    c.bump();
                    c.digits(2)?
                }
                Some(_) => c.digits(2)?,
                None => 0,
            };
            if hours > MAX_OFFSET_HOURS {
                return Err(TimestampError::OutOfRange {
                    field: "offset hour",
                    value: hours,
                });
            }
            if minutes > 59 {
                return Err(TimestampError::OutOfRange {
                    field: "offset minute",
                    value: minutes,
                });
            }
            let magnitude = i64::from(hours) * HOUR + i64::from(minutes) * 60;
            if sign == b'-' { -magnitude } else { magnitude }
        }
        Some(_) => return Err(c.layout_error()),
    };
    c.finish()?;
    Ok(days * DAY * MS + time - offset * MS)
}

/// Parses a date written as `digits` digits (8, 10, 12 or 14: `YYYYMMDD`, then hour, minute
/// and second), local clock time taken as UTC, to milliseconds.
pub(crate) fn parse_digits(text: &str, digits: u8) -> Result<i64, TimestampError> {
    let mut c = Cursor::new(text, DIGITS_LAYOUT);
    if text.len() != usize::from(digits) || !matches!(digits, 8 | 10 | 12 | 14) {
        return Err(c.layout_error());
    }
    let year = c.digits(4)?;
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    let mut clock = [0u32; 3];
    for field in clock.iter_mut().take(usize::from(digits - 8) / 2) {
        *field = c.digits(2)?;
    }
    c.finish()?;
    let days = checked_days(i64::from(year), month, day)?;
    let [hour, minute, second] = clock;
    Ok((days * DAY + checked_time_of_day(hour, minute, second)?) * MS)
}

/// Parses a Jena climate timestamp `DD.MM.YYYY HH:MM[:SS[.f]]`, taken as UTC, to milliseconds.
pub(crate) fn parse_jena(text: &str) -> Result<i64, TimestampError> {
    let mut c = Cursor::new(text, JENA_LAYOUT);
    let day = c.digits(2)?;
    c.byte(b'.')?;
    let month = c.digits(2)?;
    c.byte(b'.')?;
    let year = c.digits(4)?;
    c.byte(b' ')?;
    let time = c.time_of_day()?;
    c.finish()?;
    let days = checked_days(i64::from(year), month, day)?;
    Ok(days * DAY * MS + time)
}

/// Parses a Unix time in seconds (`millis` false) or milliseconds to milliseconds (see the
/// module docs).
pub(crate) fn parse_unix(text: &str, millis: bool) -> Result<i64, TimestampError> {
    // Scientific notation (a phone app's `1.003788322E-02` seconds) as the plain decimal it
    // stands for, exactly.
    if let Some(plain) = without_exponent(text) {
        return parse_unix(&plain, millis);
    }
    let mut c = Cursor::new(text, UNIX_LAYOUT);
    let negative = c.peek() == Some(b'-');
    if negative {
        c.bump();
    }
    let whole = c.integer()?;
    let (mut fraction, mut half) = (0, false);
    if c.peek() == Some(b'.') {
        c.bump();
        // (Milliseconds round on the fraction's first digit alone.)
        half = c.peek().is_some_and(|b| (b'5'..=b'9').contains(&b));
        fraction = c.fraction_ms()?;
    }
    c.finish()?;
    let ms = match millis {
        true => whole.checked_add(i64::from(half)),
        false => whole.checked_mul(MS).map(|ms| ms + fraction),
    }
    .filter(|ms| *ms <= MAX_UNIX_MS)
    .ok_or(TimestampError::TooLarge)?;
    Ok(if negative { -ms } else { ms })
}

/// The whole part of a plain decimal count (`-`, up to 19 digits, optionally `.` and digits),
/// its magnitude: what a Unix time in microseconds or nanoseconds is.
pub(crate) fn whole_units(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    (plain(whole) && plain(fraction) && whole.len() <= 19)
        .then(|| whole.parse().ok())
        .flatten()
}

/// Parses a Unix time in units of `1 / per_ms` milliseconds (1,000: microseconds, 1,000,000:
/// nanoseconds) to milliseconds, rounded on the whole units, halves away from zero.
pub(crate) fn parse_unix_fine(text: &str, per_ms: u64) -> Result<i64, TimestampError> {
    // (Scientific notation as the plain decimal it stands for, as in [`parse_unix`].)
    if let Some(plain) = without_exponent(text) {
        return parse_unix_fine(&plain, per_ms);
    }
    let layout = TimestampError::Layout {
        expected: UNIX_LAYOUT,
    };
    let whole = whole_units(text).ok_or(layout)?;
    let ms = (whole + per_ms / 2) / per_ms;
    let ms = i64::try_from(ms)
        .ok()
        .filter(|ms| *ms <= MAX_UNIX_MS)
        .ok_or(TimestampError::TooLarge)?;
    Ok(if text.starts_with('-') { -ms } else { ms })
}

/// A number in scientific notation (`[-]d[.d]e[+-]d`, an exponent of at most 30 either way)
/// written out as a plain decimal, or `None` if `text` is not one.
fn without_exponent(text: &str) -> Option<String> {
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent: i32 = exponent.parse().ok().filter(|e: &i32| e.abs() <= 30)?;
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    // Where the point goes in `digits`.
    let point = whole.len() as i32 + exponent;
    let plain = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    Some(format!("{sign}{plain}"))
}

/// Parses a TMY3 date cell `MM/DD/YYYY` to (month, day); the year is checked for its layout
/// only, because TMY3 replaces it (see [`super::tmy3`]).
pub(crate) fn parse_tmy3_date(text: &str) -> Result<(u32, u32), TimestampError> {
    let mut c = Cursor::new(text, TMY3_DATE_LAYOUT);
    let month = c.digits(2)?;
    c.byte(b'/')?;
    let day = c.digits(2)?;
    c.byte(b'/')?;
    c.digits(4)?;
    c.finish()?;
    Ok((month, day))
}

/// Parses a TMY3 time cell `HH:MM` (hour 0..=24, 24 only as `24:00`) to seconds since midnight.
pub(crate) fn parse_tmy3_time(text: &str) -> Result<i64, TimestampError> {
    let mut c = Cursor::new(text, TMY3_TIME_LAYOUT);
    let hour = c.digits(2)?;
    c.byte(b':')?;
    let minute = c.digits(2)?;
    c.finish()?;
    checked_time_of_day(hour, minute, 0)
}

/// UTC seconds of a TMY3 row: `month`/`day` of `year` at `time_of_day` local standard time,
/// where local = UTC + `utc_offset` seconds.
pub(crate) fn tmy3_utc_seconds(
    year: i64,
    (month, day): (u32, u32),
    time_of_day: i64,
    utc_offset: i64,
) -> Result<i64, TimestampError> {
    Ok(checked_days(year, month, day)? * DAY + time_of_day - utc_offset)
}

/// Formats UTC seconds as local time `YYYY-MM-DDTHH:MM:SS±HH:MM`, where local = UTC +
/// `utc_offset` seconds (a whole number of minutes).
pub(crate) fn format_iso8601(utc_seconds: i64, utc_offset: i64) -> String {
    let local = utc_seconds + utc_offset;
    let (year, month, day) = civil_from_days(local.div_euclid(DAY));
    let second_of_day = local.rem_euclid(DAY);
    let sign = if utc_offset < 0 { '-' } else { '+' };
    let offset_minutes = utc_offset.abs() / 60;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        second_of_day / HOUR,
        second_of_day % HOUR / 60,
        second_of_day % 60,
        offset_minutes / 60,
        offset_minutes % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_dates_and_clocks() {
        let at = |y, m, d, ms: i64| days_from_civil(y, m, d) * DAY * MS + ms;
        let (dmy, mdy, ymd) = (
            DateLayout {
                order: DateOrder::Dmy,
                separator: b'/',
            },
            DateLayout {
                order: DateOrder::Mdy,
                separator: b'/',
            },
            DateLayout {
                order: DateOrder::Ymd,
                separator: b'/',
            },
        );
        assert_eq!(
            parse_civil("05/01/2023 14:30", dmy),
            Ok(at(2023, 1, 5, 52_200_000))
        );
        assert_eq!(
            parse_civil("05/01/2023 14:30", mdy),
            Ok(at(2023, 5, 1, 52_200_000))
        );
        assert_eq!(
            parse_civil("5/1/2023 2:30 PM", mdy),
            Ok(at(2023, 5, 1, 52_200_000))
        );
        assert_eq!(
            parse_civil("5/1/2023 12:05:09 AM", mdy),
            Ok(at(2023, 5, 1, 309_000))
        );
        assert_eq!(
            parse_civil("2023/05/01 12:00 pm", ymd),
            Ok(at(2023, 5, 1, 43_200_000))
        );
        assert_eq!(parse_civil("2023/05/01", ymd), Ok(at(2023, 5, 1, 0)));
        assert_eq!(
            parse_civil("2023/5/1T01:02:03.5", ymd),
            Ok(at(2023, 5, 1, 3_723_500))
        );
        assert_eq!(parse_clock("9:15"), Ok(33_300_000));
        assert_eq!(parse_clock("24:00"), Ok(86_400_000));
        assert_eq!(parse_clock("11:59:59.999 p.m."), Ok(86_399_999));
        // Refused: a 13th month, hour 13 with PM, hour 0 with AM, the other layout, trailing text.
        assert!(matches!(
            parse_civil("05/13/2023", dmy),
            Err(TimestampError::OutOfRange { field: "month", .. })
        ));
        assert!(parse_clock("13:00 PM").is_err());
        assert!(parse_clock("0:30 AM").is_err());
        assert!(parse_civil("2023/05/01", dmy).is_err());
        assert!(parse_civil("05-01-2023", mdy).is_err(), "another separator");
        assert!(parse_clock("12:00 noon").is_err());
        // What starts with a date: four digits first or last, the same separator twice.
        assert_eq!(
            date_fields("1.5.2023 10:00").map(|(s, f, y, _)| (s, f, y)),
            Some((b'.', [1, 5, 2023], false))
        );
        assert_eq!(
            date_fields("2023-5-1"),
            Some((b'-', [2023, 5, 1], true, false))
        );
        // Month names: day first (or the year first).
        assert_eq!(
            date_fields("01-May-2023 14:00"),
            Some((b'-', [1, 5, 2023], false, true))
        );
        assert_eq!(
            date_fields("2023/sept/30"),
            Some((b'/', [2023, 9, 30], true, true))
        );
        assert_eq!(
            date_fields("7.DECEMBER.2023"),
            Some((b'.', [7, 12, 2023], false, true))
        );
        assert_eq!(
            date_fields("1-May-23 9:00"),
            Some((b'-', [1, 5, 2023], false, true))
        );
        // Two-digit years last: 20YY below 69, 19YY from there (POSIX `%y`); never first.
        assert_eq!(
            date_fields("1/5/23"),
            Some((b'/', [1, 5, 2023], false, false))
        );
        assert_eq!(
            date_fields("12.31.68 23:00"),
            Some((b'.', [12, 31, 2068], false, false))
        );
        assert_eq!(
            date_fields("1-May-69"),
            Some((b'-', [1, 5, 1969], false, true))
        );
        assert_eq!(date_fields("23/05/1"), None);
        assert_eq!(date_fields("1/5/123"), None);
        for not_a_month in ["01-Ma-2023", "01-Mayo-2023", "01-Junee-2023", "01-x-2023"] {
            assert_eq!(date_fields(not_a_month), None, "{not_a_month}");
        }
        let dmy = DateLayout {
            order: DateOrder::Dmy,
            separator: b'-',
        };
        assert_eq!(
            parse_civil("01-May-2023 14:30", dmy),
            Ok(at(2023, 5, 1, 52_200_000))
        );
        assert_eq!(
            parse_iso8601("2021-03-04 05:06:07 utc"),
            parse_iso8601("2021-03-04T05:06:07Z")
        );
        assert!(parse_iso8601("2021-03-04 05:06:07 CET").is_err());
        for (text, offset) in [
            ("2021-03-04T05:06:07+01:00", true),
            ("2021-03-04 05:06-0500", true),
            ("2021-03-04T05:06Z", true),
            ("2021-03-04 05:06:07 UTC", true),
            ("2021-03-04T05:06:07", false),
            ("2021-03-04", false),
        ] {
            assert_eq!(iso8601_has_offset(text), offset, "{text}");
        }
        for not_a_date in [
            "12.5",
            "1.2.3",
            "2023-05/01",
            "123/45/2023",
            "2023/05/01x",
            "21,5",
        ] {
            assert_eq!(date_fields(not_a_date), None, "{not_a_date}");
        }
    }

    /// 2021-03-04T05:06:07Z, computed independently (`date -u -d ... +%s`).
    const T_2021_03_04_050607: i64 = 1_614_834_367;

    #[test]
    fn civil_day_counts_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for days in [-800_000, -1, 0, 59, 10_957, 11_016, 11_017, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "round trip of day {days}");
        }
    }

    #[test]
    fn iso8601_variants() {
        let t = T_2021_03_04_050607 * MS;
        assert_eq!(parse_iso8601("2021-03-04T05:06:07"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04 05:06:07"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04t05:06:07z"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04T05:06:07Z"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04 05:06"), Ok(t - 7 * MS));
        // The hour alone (reduced precision), with or without an offset.
        let hour = t - (6 * 60 + 7) * MS;
        assert_eq!(parse_iso8601("2021-03-04T05"), Ok(hour));
        assert_eq!(parse_iso8601("2021-03-04 05"), Ok(hour));
        assert_eq!(parse_iso8601("2021-03-04T06+01:00"), Ok(hour));
        assert_eq!(parse_iso8601("2021-03-04T05Z"), Ok(hour));
        assert_eq!(
            parse_iso8601("2021-03-04"),
            Ok(t - (5 * HOUR + 6 * 60 + 7) * MS)
        );
        assert_eq!(parse_iso8601("2021-03-04T06:06:07+01:00"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04T06:06:07+0100"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04T06:06:07+01"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04T00:06:07-05:00"), Ok(t));
        assert_eq!(parse_iso8601("2021-03-04T10:36:07+05:30"), Ok(t));
        // Fractions to the millisecond, the digits after the third dropped.
        assert_eq!(parse_iso8601("2021-03-04T05:06:07.5"), Ok(t + 500));
        assert_eq!(parse_iso8601("2021-03-04 05:06:07,25Z"), Ok(t + 250));
        assert_eq!(parse_iso8601("2021-03-04T06:06:07.020+01:00"), Ok(t + 20));
        assert_eq!(
            parse_iso8601("2021-03-04T05:06:07.1234999999999"),
            Ok(t + 123)
        );
        assert_eq!(parse_iso8601("2021-03-04T05:06:07.1235"), Ok(t + 124));
        assert_eq!(parse_iso8601("2021-03-04T05:06:07.9996Z"), Ok(t + 1000));
        assert!(matches!(
            parse_iso8601("2021-03-04T05:06:07."),
            Err(TimestampError::Layout { .. })
        ));
        assert_eq!(
            parse_iso8601("2021-03-04T24:00:00.001"),
            Err(TimestampError::HourTwentyFour)
        );
    }

    #[test]
    fn unix_times() {
        let t = T_2021_03_04_050607 * MS;
        assert_eq!(parse_unix("1614834367", false), Ok(t));
        assert_eq!(parse_unix("1614834367.02", false), Ok(t + 20));
        assert_eq!(parse_unix("1614834367020", true), Ok(t + 20));
        assert_eq!(parse_unix("1614834367020.4999", true), Ok(t + 20));
        assert_eq!(parse_unix("1614834367019.9999", true), Ok(t + 20));
        assert_eq!(parse_unix("-1.5", false), Ok(-1500));
        assert_eq!(parse_unix("0.004", false), Ok(4));
        // A float printed in full: rounded to the nearest millisecond.
        assert_eq!(parse_unix("0.30000000000000004", false), Ok(300));
        assert_eq!(parse_unix("0.13999999999999999", false), Ok(140));
        assert_eq!(parse_unix("9007199254740.991", false), Ok(MAX_UNIX_MS - 1));
        assert_eq!(parse_unix("9007199254740992", true), Ok(MAX_UNIX_MS));
        assert_eq!(
            parse_unix("9007199254740993", true),
            Err(TimestampError::TooLarge)
        );
        // Scientific notation, exactly.
        assert_eq!(parse_unix("1.614834367E9", false), Ok(t));
        assert_eq!(parse_unix("1.61483436702e+12", true), Ok(t + 20));
        assert_eq!(parse_unix("1.003788322E-02", false), Ok(10));
        assert_eq!(parse_unix("-2.5e-3", false), Ok(-3));
        assert_eq!(parse_unix("15E-1", false), Ok(1500));
        assert_eq!(parse_unix("0E0", false), Ok(0));
        for bad in [
            "", "-", "1e", "e5", "1e99", "1.5e2.1", ".5e1", "12 ", " 12", "1.2.3", "+5", "0x10",
            "1.", ".5",
        ] {
            assert!(
                matches!(parse_unix(bad, false), Err(TimestampError::Layout { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_unix("9999999999999999", false),
            Err(TimestampError::TooLarge)
        );
        assert_eq!(
            parse_unix("99999999999999999999", true),
            Err(TimestampError::TooLarge)
        );
    }

    #[test]
    fn iso8601_hour_24_is_next_midnight() {
        assert_eq!(
            parse_iso8601("2021-02-28T24:00:00"),
            parse_iso8601("2021-03-01T00:00:00")
        );
        assert_eq!(
            parse_iso8601("2021-02-28T24:00:01"),
            Err(TimestampError::HourTwentyFour)
        );
    }

    #[test]
    fn iso8601_rejects_malformed_text() {
        for bad in [
            "",
            "2021-3-04",
            "2021-03-04T5:06",
            "2021-03-04T5",
            "2021-03-04T050",
            "2021-03-04T05:06:07 ",
            "2021-03-04X05:06",
            "2021-03-04T05:06:07+1",
            "04.03.2021 05:06:07",
            "1614834367",
        ] {
            assert!(
                matches!(parse_iso8601(bad), Err(TimestampError::Layout { .. })),
                "{bad:?} must be a layout error"
            );
        }
        assert_eq!(
            parse_iso8601("2021-13-01"),
            Err(TimestampError::OutOfRange {
                field: "month",
                value: 13
            })
        );
        assert_eq!(
            parse_iso8601("2021-02-29"),
            Err(TimestampError::NoSuchDay {
                year: 2021,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            parse_iso8601("2020-02-29"),
            Ok(days_from_civil(2020, 2, 29) * DAY * MS)
        );
        assert_eq!(
            parse_iso8601("2021-03-04T05:06:60"),
            Err(TimestampError::OutOfRange {
                field: "second",
                value: 60
            })
        );
        assert_eq!(
            parse_iso8601("2021-03-04T05:06:07+24:00"),
            Err(TimestampError::OutOfRange {
                field: "offset hour",
                value: 24
            })
        );
    }

    #[test]
    fn dates_written_as_digits() {
        let day = DAY * MS;
        let may_1 = days_from_civil(2023, 5, 1) * day;
        assert_eq!(parse_digits("20230501", 8), Ok(may_1));
        assert_eq!(parse_digits("2023050114", 10), Ok(may_1 + 14 * HOUR * MS));
        assert_eq!(
            parse_digits("202305011430", 12),
            Ok(may_1 + (14 * HOUR + 1800) * MS)
        );
        assert_eq!(
            parse_digits("20230501143005", 14),
            Ok(may_1 + (14 * HOUR + 1805) * MS)
        );
        // Hour 24 is the next midnight (hour-ending energy data), and only with nothing after.
        assert_eq!(parse_digits("2023050124", 10), Ok(may_1 + day));
        assert_eq!(
            parse_digits("202305012401", 12),
            Err(TimestampError::HourTwentyFour)
        );
        let layout = Err(TimestampError::Layout {
            expected: DIGITS_LAYOUT,
        });
        // The column's count of digits, digits only.
        assert_eq!(parse_digits("2023050114", 8), layout);
        assert_eq!(parse_digits("202305011", 9), layout);
        assert_eq!(parse_digits("2023-05-01", 10), layout);
        assert_eq!(parse_digits("+2023050", 8), layout);
        assert_eq!(
            parse_digits("20230229", 8),
            Err(TimestampError::NoSuchDay {
                year: 2023,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            parse_digits("20231301", 8),
            Err(TimestampError::OutOfRange {
                field: "month",
                value: 13
            })
        );
        assert_eq!(
            TimestampFormat::Digits(10).to_string(),
            "YYYYMMDDHH (local time)"
        );
    }

    #[test]
    fn jena_layout() {
        // 2009-01-01T00:10:00Z = 1230768000 + 600.
        assert_eq!(parse_jena("01.01.2009 00:10:00"), Ok(1_230_768_600 * MS));
        let t = T_2021_03_04_050607 * MS;
        assert_eq!(parse_jena("04.03.2021 05:06:07"), Ok(t));
        assert_eq!(parse_jena("04.03.2021 05:06"), Ok(t - 7 * MS));
        assert_eq!(parse_jena("04.03.2021 05:06:07.250"), Ok(t + 250));
        assert!(matches!(
            parse_jena("2021-03-04 05:06:07"),
            Err(TimestampError::Layout { .. })
        ));
        assert!(matches!(
            parse_jena("31.04.2021 00:00:00"),
            Err(TimestampError::NoSuchDay { day: 31, .. })
        ));
    }

    #[test]
    fn tmy3_cells_and_hour_24() {
        assert_eq!(parse_tmy3_date("01/31/1988"), Ok((1, 31)));
        assert_eq!(parse_tmy3_time("01:00"), Ok(HOUR));
        assert_eq!(parse_tmy3_time("24:00"), Ok(24 * HOUR));
        assert_eq!(
            parse_tmy3_time("24:30"),
            Err(TimestampError::HourTwentyFour)
        );
        assert!(matches!(
            parse_tmy3_time("1:00"),
            Err(TimestampError::Layout { .. })
        ));
        assert!(matches!(
            parse_tmy3_date("1/31/1988"),
            Err(TimestampError::Layout { .. })
        ));
        // 01/31 24:00 at UTC-5 is 02/01 00:00 local, 05:00 UTC.
        let eastern = -5 * HOUR;
        let end_of_january = tmy3_utc_seconds(1990, (1, 31), 24 * HOUR, eastern).map(|s| s * MS);
        assert_eq!(end_of_january, parse_iso8601("1990-02-01T00:00:00-05:00"));
        assert_eq!(end_of_january, parse_iso8601("1990-02-01T05:00:00Z"));
        assert_eq!(
            tmy3_utc_seconds(1990, (2, 29), HOUR, eastern),
            Err(TimestampError::NoSuchDay {
                year: 1990,
                month: 2,
                day: 29
            })
        );
    }

    #[test]
    fn formats_local_time_with_offset() {
        let t = tmy3_utc_seconds(1990, (12, 31), 24 * HOUR, -5 * HOUR).unwrap();
        assert_eq!(format_iso8601(t, -5 * HOUR), "1991-01-01T00:00:00-05:00");
        assert_eq!(
            format_iso8601(T_2021_03_04_050607, 5 * HOUR + 30 * 60),
            "2021-03-04T10:36:07+05:30"
        );
        assert_eq!(
            format_iso8601(T_2021_03_04_050607, 0),
            "2021-03-04T05:06:07+00:00"
        );
        assert_eq!(format_iso8601(-1, 0), "1969-12-31T23:59:59+00:00");
    }
}
