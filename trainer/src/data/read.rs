//! CSV reading: the header (after a TMY3 station metadata line, if there is one) and the data
//! records with their line numbers. A record with another field count than the header, or not
//! valid UTF-8, is kept in its place as a bad row, so that errors come in file order.
//!
//! A leading UTF-8 byte order mark is dropped. Cells are trimmed of surrounding whitespace.
//! Blank lines are ignored, and so are comment lines (`#` first) above the header and among the
//! data, where a spreadsheet error value (`#N/A`, `#DIV/0!`) is data, not a comment (listed:
//! [`RawTable::comments`]). A record's line is the 1-based line of the file where it starts
//! (lines end at `\n`). Fields are split at `,`, `;` or tabs, whichever splits the first two
//! non-blank lines alike (`delimiter`). In a `;` file, a column with a decimal comma in some
//! row (`21,5`; in a tab file, one with not three digits after it) has its numbers rewritten
//! with a decimal point, points there
//! grouping thousands (`1.234,5` is 1234.5, `1.000` is 1000) unless the column also has a
//! decimal point (`1.5`), which keeps its points decimal points; a column without a decimal
//! comma is left as it is, so there `1.000` is 1.

use csv::StringRecord;

use super::epw;
use super::error::LoadError;
use super::tmy3;

/// How many skipped rows the load report lists with their reason.
pub const SKIPPED_ROWS_LISTED: usize = 10;

/// A row that was skipped because it was bad (see [`LoadConfig::skip_bad_rows`]).
///
/// [`LoadConfig::skip_bad_rows`]: super::LoadConfig::skip_bad_rows
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// Why it was skipped (the error it would have raised).
    pub reason: String,
}

/// Bad rows: either the first one is an error, or all are skipped and counted.
#[derive(Debug)]
pub(crate) struct BadRows {
    skip: bool,
    pub(crate) count: usize,
    /// The earliest skipped rows, by line.
    pub(crate) listed: Vec<SkippedRow>,
}

impl BadRows {
    pub(crate) fn new(skip: bool) -> Self {
        Self {
            skip,
            count: 0,
            listed: Vec::new(),
        }
    }

    /// Skips and counts the row of `error` when skipping is on and the error is about one row;
    /// otherwise returns the error.
    pub(crate) fn reject(&mut self, error: LoadError) -> Result<(), LoadError> {
        match error.row_line() {
            Some(line) if self.skip => {
                self.count += 1;
                let at = self.listed.partition_point(|s| s.line <= line);
                if at < SKIPPED_ROWS_LISTED {
                    self.listed.insert(
                        at,
                        SkippedRow {
                            line,
                            reason: error.to_string(),
                        },
                    );
                    self.listed.truncate(SKIPPED_ROWS_LISTED);
                }
                Ok(())
            }
            _ => Err(error),
        }
    }
}

/// One data record with the line it starts on.
#[derive(Debug)]
pub(crate) struct RawRow {
    pub(crate) line: u64,
    pub(crate) cells: StringRecord,
}

/// A CSV file's header and its data records.
#[derive(Debug)]
pub(crate) struct RawTable {
    pub(crate) header: Vec<String>,
    /// The UTC offset (seconds) from a TMY3 station metadata line, if the file has one.
    pub(crate) tmy3_utc_offset: Option<i64>,
    /// Every data record in file order: a row with as many fields as the header, or the
    /// error that makes it a bad row ([`LoadError::FieldCount`], [`LoadError::NotUtf8`]).
    pub(crate) rows: Vec<Result<RawRow, LoadError>>,
    /// A units row under the header (`,degC,%`), left out of the data: its line and cells.
    pub(crate) units: Option<(u64, Vec<String>)>,
    /// A second row like it under it (a TOA5 file's processing row), left out too.
    pub(crate) second_units: Option<(u64, Vec<String>)>,
    /// Columns without a name in the header (called `column N` here).
    pub(crate) unnamed: Vec<usize>,
    /// The last line of a preamble above the header (lines from the first non-comment one on
    /// that are not as wide as the table), left out.
    pub(crate) preamble_end: Option<u64>,
    /// Lines among the data that are comments (their first cell starting with `#`, not a
    /// spreadsheet error value such as `#N/A`: a logger's note of a restart, say), left out.
    pub(crate) comments: Vec<u64>,
    /// Lines among the data that are a header ([`header_layout`]: a repeated one, or another
    /// layout whose rows are read by name after it), left out.
    pub(crate) headers: Vec<u64>,
    /// The file has no header ([`headerless`]): its columns are named `col1`, `col2`, ...
    pub(crate) headerless: bool,
}

/// Whether a line is a comment: `#` first, as data loggers write their metadata above the
/// header (and NumPy's `savetxt` its header).
fn is_comment(line: &[u8]) -> bool {
    line.first() == Some(&b'#')
}

/// Whether a cell is a spreadsheet error value, which is data (`#N/A` a missing value, the
/// others bad numbers), not a comment: `#N/A`, `#NA` (any case), or `#`, capitals, digits,
/// `/` or `_`, then `!` or `?` (`#VALUE!`, `#DIV/0!`, `#NAME?`, `#ERROR!`).
fn is_spreadsheet_error(cell: &[u8]) -> bool {
    let Some(rest) = cell.strip_prefix(b"#") else {
        return false;
    };
    if rest.eq_ignore_ascii_case(b"N/A") || rest.eq_ignore_ascii_case(b"NA") {
        return true;
    }
    match rest.split_last() {
        Some((b'!' | b'?', body)) => {
            !body.is_empty()
                && body.iter().all(|&b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'/' || b == b'_'
                })
        }
        _ => false,
    }
}

/// Blanks the comment lines among the data of `text` (which starts with the header, or a TMY3
/// metadata line): lines after the first non-blank one whose first cell (under `d`, quotes
/// taken off) starts with `#` and is not a spreadsheet error value nor a tag (`#A1`: no space,
/// quotes closed, as wide as the first line or one wider, a row of the table). Blanked in place (their
/// bytes but the line break made `\r`), so offsets and line numbers stay; returns the
/// 1-based lines blanked, counted from `first_line`.
fn blank_data_comments(text: &mut [u8], d: u8, first_line: u64) -> Vec<u64> {
    let mut blanked = Vec::new();
    let (mut at, mut line, mut seen_header, mut quoted) = (0, first_line, false, false);
    let mut width = 0;
    while at < text.len() {
        // A line ends at `\n` or a lone `\r` (an old Mac file); only `\n` counts lines, as
        // everywhere in the loader.
        let end = text[at..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(text.len(), |n| at + n);
        let row = &text[at..end];
        let cell = unquoted(row.split(|&b| b == d).next().unwrap_or(&[]));
        // A line that starts inside a quoted cell (a multi-line cell) is no comment.
        // (A row of the table whose first cell is a tag, `#A1`, is data: no space in that
        // cell, its quotes closed, as wide as the header or one wider.)
        let balanced = row.iter().filter(|&&b| b == b'"').count() % 2 == 0;
        // (InfluxDB's annotations are no tags, over a table one wider too.)
        let annotation = [&b"#group"[..], b"#datatype", b"#default"].contains(&cell);
        let tag = !cell.iter().any(u8::is_ascii_whitespace)
            && !annotation
            && balanced
            && (width..=width + 1).contains(&fields(row, d));
        let comment =
            seen_header && !quoted && cell.starts_with(b"#") && !is_spreadsheet_error(cell) && !tag;
        if !seen_header && !row.trim_ascii().is_empty() {
            (seen_header, width) = (true, fields(row, d));
        }
        if comment {
            // (A run of `\r` is empty lines to the CSV reader, and no line break to the count.)
            text[at..end].fill(b'\r');
            blanked.push(line);
        } else {
            quoted ^= row.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        }
        if text.get(end) == Some(&b'\n') {
            line += 1;
        }
        at = end + 1;
    }
    blanked
}

/// A cell's bytes without surrounding whitespace and quotes.
fn unquoted(cell: &[u8]) -> &[u8] {
    let cell = cell.trim_ascii();
    let cell = cell.strip_prefix(b"\"").unwrap_or(cell);
    cell.strip_suffix(b"\"").unwrap_or(cell)
}

/// The first [`WIDTH_LINES`] non-blank lines under a header line (`text` starts with it),
/// lines ending at `\n` or a lone `\r`.
fn lines_below_header(text: &[u8]) -> Vec<&[u8]> {
    text.split(|&b| b == b'\n' || b == b'\r')
        .skip(1)
        .filter(|l| !l.trim_ascii().is_empty())
        .take(WIDTH_LINES)
        .collect()
}

/// Whether the rows under a header line (`text` starts with it) of `width` fields are one field
/// wider, and how: `Some(true)` for a trailing delimiter (every wider row's last cell empty),
/// `Some(false)` for R's row names (their first cells whole numbers rising row by row, quoted
/// or not: 1, 2, 3, or a subset's), `None` otherwise. Among the first [`WIDTH_LINES`] lines after the header (quotes
/// counted as [`fields`] does), more than twice as many must be one wider as are `width` wide
/// (a units row is); a stray field on one row is that row's error.
fn wider_rows(text: &[u8], d: u8, width: usize) -> Option<bool> {
    let rows = lines_below_header(text);
    let wide: Vec<&[u8]> = rows
        .iter()
        .copied()
        .filter(|l| fields(l, d) == width + 1)
        .collect();
    let narrow = rows.iter().filter(|l| fields(l, d) == width).count();
    if wide.is_empty() || wide.len() <= 2 * narrow {
        return None;
    }
    let last_empty = |l: &[u8]| {
        l.rsplit(|&b| b == d)
            .next()
            .is_some_and(|c| unquoted(c).is_empty())
    };
    if wide.iter().all(|l| last_empty(l)) {
        return Some(true);
    }
    // Row names: whole numbers rising row by row (1, 2, 3, or a subset's 2, 5, 9).
    let mut previous = None;
    let numbered = wide.iter().all(|l| {
        let cell = unquoted(l.split(|&b| b == d).next().unwrap_or(&[]));
        let n = std::str::from_utf8(cell)
            .ok()
            .and_then(|c| c.parse::<u64>().ok());
        let rising = n.is_some_and(|n| previous.is_none_or(|p| n > p));
        previous = n;
        rising
    });
    numbered.then_some(false)
}

/// Whether most rows under a header line (`text` starts with it) of `width` fields are one
/// field narrower: more than twice as many of the first [`WIDTH_LINES`] lines after it.
fn narrower_rows(text: &[u8], d: u8, width: usize) -> bool {
    let rows = lines_below_header(text);
    let narrow = rows.iter().filter(|l| fields(l, d) + 1 == width).count();
    let full = rows.iter().filter(|l| fields(l, d) == width).count();
    narrow > 2 * full
}

/// The comment lines (and blank lines) above the header: the byte offset after them, and the
/// last comment's text after its `#` with its line, if there is one.
fn leading_comments(text: &[u8]) -> (usize, Option<(&[u8], u64)>) {
    let (mut at, mut line, mut last) = (0, 1, None);
    while at < text.len() {
        let end = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |n| at + n + 1);
        let row = &text[at..end];
        if is_comment(row) {
            last = Some((row[1..].trim_ascii(), line));
        } else if !row.trim_ascii().is_empty() {
            break;
        }
        (at, line) = (end, line + 1);
    }
    if last.is_none() {
        return (0, None);
    }
    (at, last)
}

/// Whether a cell starts with a number (`-`, `+` or `.` before a digit allowed).
fn numeric_start(cell: &str) -> bool {
    let b = cell.trim_start_matches(['-', '+', '.']).as_bytes();
    b.first().is_some_and(u8::is_ascii_digit)
}

/// Whether a record under the header is a row of units (`°C`, `%`, `m/s`, `(ms)`): no cell
/// starts with a number, as every data row's timestamp does (in every layout the loader reads).
fn is_units_row(cells: &StringRecord) -> bool {
    cells.iter().any(|c| !c.is_empty()) && !cells.iter().any(numeric_start)
}

/// Line numbers from byte offsets. The CSV reader's own line count is off after blank lines
/// and quoted newlines, and its byte offset of a record is where it started looking, before
/// any blank lines; so lines are counted here, in the text itself.
struct Lines<'a> {
    text: &'a [u8],
    /// Byte offsets of every `\n`.
    newlines: Vec<usize>,
    /// Where the CSV reader's input starts in `text`.
    base: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8], base: usize) -> Self {
        let newlines = text
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == b'\n').then_some(i))
            .collect();
        Self {
            text,
            newlines,
            base,
        }
    }

    /// The 1-based line of the first byte at or after `byte` of the reader's input that is
    /// not a line break.
    fn line_at(&self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .saturating_add(self.base)
            .min(self.text.len());
        while matches!(self.text.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        1 + self.newlines.partition_point(|&n| n < at) as u64
    }
}

/// Reads the next record and its line; `Ok(None)` at the end. A record that is not UTF-8 is
/// `Ok(Some(Err(`[`LoadError::NotUtf8`]`)))`, a bad row; any other failure is fatal.
fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    lines: &Lines<'_>,
) -> Result<Option<Result<RawRow, LoadError>>, LoadError> {
    let mut cells = StringRecord::new();
    let start = reader.position().byte();
    match reader.read_record(&mut cells) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(Ok(RawRow {
            line: lines.line_at(start),
            cells,
        }))),
        Err(error) => {
            let line = lines.line_at(start);
            match error.kind() {
                csv::ErrorKind::Utf8 { .. } => Ok(Some(Err(LoadError::NotUtf8 { line }))),
                _ => Err(LoadError::Csv {
                    line,
                    source: error,
                }),
            }
        }
    }
}

/// A record that must be there and be readable (the header or the TMY3 metadata line).
fn required_record(
    reader: &mut csv::Reader<&[u8]>,
    lines: &Lines<'_>,
) -> Result<RawRow, LoadError> {
    next_record(reader, lines)?.ok_or(LoadError::NoHeader)?
}

/// Whether a first record is data, not a header: every cell a number (`NaN` too) or a date
/// and time ([`single_cell_time`]), at least one a number, and not whole numbers that rise
/// (`1,2,3`, wavelengths `400,410,420`, years: names a header may have).
fn headerless(cells: &StringRecord) -> bool {
    let number = |c: &str| c.parse::<f64>().is_ok();
    let all_data = cells.iter().all(|c| number(c) || single_cell_time(c));
    let whole: Option<Vec<i64>> = cells.iter().map(|c| c.parse::<i64>().ok()).collect();
    let rising = whole.is_some_and(|w| w.windows(2).all(|p| p[0] < p[1]));
    all_data && cells.iter().any(number) && !rising
}

/// Whether a cell is a date and time the loader reads in one cell: ISO 8601, Jena, or a
/// spreadsheet date.
fn single_cell_time(cell: &str) -> bool {
    super::timestamp::parse_iso8601(cell).is_ok()
        || super::timestamp::parse_jena(cell).is_ok()
        || super::timestamp::date_fields(cell).is_some()
}

fn header_names(record: &StringRecord) -> Vec<String> {
    record.iter().map(str::to_owned).collect()
}

/// Where each column of `header` is in a record under the data that is a header itself (no
/// cell starting with a number, no name twice, and more than half of `header`'s named columns,
/// at least two, among its cells): a named column at its name's position, an unnamed one at
/// its own if the record's cell there is empty too; `None` if the record is not a header.
fn header_layout(
    cells: &StringRecord,
    header: &[String],
    unnamed: &[usize],
) -> Option<Vec<Option<usize>>> {
    if cells.iter().any(numeric_start) {
        return None;
    }
    let names: Vec<&str> = cells.iter().collect();
    let twice = |(i, n): (usize, &&str)| !n.is_empty() && names[..i].contains(n);
    if names.iter().enumerate().any(twice) {
        return None;
    }
    let at: Vec<Option<usize>> = (0..header.len())
        .map(|i| match unnamed.contains(&i) {
            true => (names.get(i) == Some(&"")).then_some(i),
            false => names.iter().position(|n| *n == header[i]),
        })
        .collect();
    let named = header.len() - unnamed.len();
    let found = (0..header.len())
        .filter(|i| !unnamed.contains(i) && at[*i].is_some())
        .count();
    (found >= 2 && 2 * found > named).then_some(at)
}

/// The UTF-8 byte order mark, ignored at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// The fields `d` splits a line into, outside quotes.
fn fields(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    1 + line
        .iter()
        .filter(|&&b| {
            quoted ^= b == b'"';
            b == d && !quoted
        })
        .count()
}

/// Lines a table is looked for in: a preamble above the header ([`preamble`]) is at most
/// [`PREAMBLE_LINES`] lines, the table's width the commonest of the first [`WIDTH_LINES`].
const PREAMBLE_LINES: usize = 10;
const WIDTH_LINES: usize = 60;

/// A preamble above the header, under delimiter `d`: the byte offset of the header in `text`.
/// Any of, in order:
/// - a Campbell Scientific TOA5 file's station line (its first cell `TOA5`);
/// - two lines, a blank line, then a header (no cell starting with a number) and a row (an
///   Open-Meteo export's `latitude,longitude,...` line and its values, then the table);
/// - lines of another field count than the table under them: the first two non-blank lines
///   differ in width, the first is not as wide as the commonest width of the first
///   [`WIDTH_LINES`] non-blank lines, one of the next [`PREAMBLE_LINES`] lines is and looks
///   like a header, and the two lines after it are as wide.
///
/// A header has no cell that starts with a number and is no comment.
///
/// A TMY3 file's metadata line is no preamble (the caller checks).
fn preamble(text: &[u8], d: u8) -> Option<usize> {
    // The first lines, blank ones too: (byte offset, the line).
    let mut all = Vec::new();
    let mut at = 0;
    while at < text.len() && all.len() < WIDTH_LINES {
        let end = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |n| at + n + 1);
        all.push((at, &text[at..end]));
        at = end;
    }
    let blank = |line: &[u8]| line.trim_ascii().is_empty();
    let cells = |line: &[u8]| -> Vec<String> {
        let cell = |c: &[u8]| String::from_utf8_lossy(unquoted(c)).into_owned();
        line.split(|&b| b == d).map(cell).collect()
    };
    // A header: no cell starts with a number, and it is no comment (HOBO's header starts with
    // a `#` cell of its own).
    let header_like = |line: &[u8]| {
        let cells = cells(line);
        let comment = cells
            .first()
            .is_some_and(|c| c.starts_with('#') && c.len() > 1);
        !comment && !cells.iter().any(|c| numeric_start(c))
    };
    let lines: Vec<_> = all.iter().filter(|l| !blank(l.1)).collect();
    let start = |i: usize| lines.get(i).map(|l| l.0);
    if cells(lines.first()?.1).first().is_some_and(|c| c == "TOA5") {
        return start(1);
    }
    // (A second line with a date or time in it is a data row under a header, not a preamble.)
    let dated = |line: &[u8]| {
        cells(line).iter().any(|c| {
            super::timestamp::parse_iso8601(c).is_ok() || super::timestamp::date_fields(c).is_some()
        })
    };
    if let [a, b, gap, header, row, ..] = &all[..]
        && !blank(a.1)
        && !blank(b.1)
        && !dated(b.1)
        && blank(gap.1)
        && !blank(row.1)
        && fields(header.1, d) > 1
        && header_like(header.1)
    {
        return Some(header.0);
    }
    let width_of = |l: &&(usize, &[u8])| fields(l.1, d);
    let mut counts = std::collections::BTreeMap::new();
    for l in &lines {
        *counts.entry(width_of(l)).or_insert(0usize) += 1;
    }
    let (&width, _) = counts.iter().max_by_key(|&(&n, &c)| (c, n))?;
    // (Where the first two lines agree, the file starts with its table.)
    let first = width_of(lines.first()?);
    let agree = lines.get(1).is_some_and(|second| width_of(second) == first);
    if width < 2 || agree || first == width {
        return None;
    }
    let header = lines
        .iter()
        .take(PREAMBLE_LINES + 1)
        .position(|l| width_of(l) == width && header_like(l.1))?;
    let table = lines.get(header..header + 3)?;
    if !table.iter().all(|l| width_of(l) == width) {
        return None;
    }
    start(header)
}

/// The field delimiter, from the first two non-blank lines: of `;`, tab and `,` (preferred in
/// that order on a tie: a decimal comma can match a `;` file's field count), the one that
/// splits both lines, outside quotes, into the same number of fields, the most; else the
/// one that splits the first line the most, `,` on a tie (a TMY3 file's metadata line and
/// header differ). Spreadsheet and data-logger exports in locales with a decimal comma use
/// `;`.
fn delimiter(text: &[u8]) -> u8 {
    let mut lines = text
        .split(|&b| b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty());
    let (first, second) = (lines.next().unwrap_or(&[]), lines.next());
    let consistent = [b';', b'\t', b',']
        .into_iter()
        .filter(|&d| {
            fields(first, d) > 1 && second.is_some_and(|l| fields(l, d) == fields(first, d))
        })
        .rev()
        .max_by_key(|&d| fields(first, d));
    consistent.unwrap_or_else(|| {
        [b';', b'\t', b',']
            .into_iter()
            .max_by_key(|&d| fields(first, d))
            .unwrap_or(b',')
    })
}

/// A number written with a decimal comma, as it is written with a point: `-21,5` as `-21.5`,
/// and with `grouping`, `1.234,5` and `1.234` as `1234.5` and `1234` (points group thousands:
/// one to three digits, not starting with 0, then groups of three). Only for the columns of a
/// `;` file that have a decimal comma somewhere ([`decimal_commas`]).
fn decimal_point(cell: &str, grouping: bool) -> Option<String> {
    let (sign, body) = match cell.strip_prefix(['-', '+']) {
        Some(rest) => (&cell[..1], rest),
        None => ("", cell),
    };
    let (whole, fraction) = match body.split_once(',') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // The whole part: digits, or one to three digits and groups of three.
    let mut groups = whole.split('.');
    let lead = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    let whole_ok = is_digits(lead)
        && (rest.is_empty()
            || (grouping
                && lead.len() <= 3
                && !lead.starts_with('0')
                && rest.iter().all(|g| g.len() == 3 && is_digits(g))));
    // Something to rewrite: a comma, or a grouping point.
    let marked = fraction.is_some() || !rest.is_empty();
    (whole_ok && fraction.is_none_or(is_digits) && marked).then(|| {
        let digits: String = whole.split('.').collect();
        match fraction {
            Some(f) => format!("{sign}{digits}.{f}"),
            None => format!("{sign}{digits}"),
        }
    })
}

/// Whether a cell has a decimal comma (`21,5`, `1.234,5`): the mark of a column written that
/// way.
fn has_decimal_comma(cell: &str) -> bool {
    cell.contains(',') && decimal_point(cell, true).is_some()
}

/// Whether a cell has a decimal comma that is no thousands separator: not three digits after
/// it (`21,5`, `0,25`, `3,14159`).
fn unambiguous_decimal_comma(cell: &str) -> bool {
    has_decimal_comma(cell) && cell.rsplit_once(',').is_some_and(|(_, f)| f.len() != 3)
}

/// Whether a cell is a number with a decimal point that is no thousands grouping (`1.5`,
/// `0.250`): where a column has one, its points are decimal points.
fn has_decimal_point(cell: &str) -> bool {
    cell.contains('.')
        && !cell.contains(',')
        && decimal_point(cell, true).is_none()
        && cell.parse::<f64>().is_ok()
}

/// Rewrites the numbers of the decimal-comma columns (those with a cell that is `marked` in
/// some well-formed row) with decimal points ([`decimal_point`]), points grouping thousands
/// unless the column also has a decimal point (`1.5`) somewhere; other columns, and cells that
/// are not such numbers, stay as they are. A `;` file marks with any decimal comma
/// ([`has_decimal_comma`]); a tab file only with one that cannot group thousands
/// ([`unambiguous_decimal_comma`]: `1,234` alone may be either).
fn decimal_commas(rows: &mut [Result<RawRow, LoadError>], width: usize, marked: fn(&str) -> bool) {
    let any = |rows: &[Result<RawRow, LoadError>], i: usize, f: fn(&str) -> bool| {
        rows.iter()
            .flatten()
            .any(|row| row.cells.get(i).is_some_and(f))
    };
    // Per column: `None` as it is, else whether points group thousands.
    let columns: Vec<Option<bool>> = (0..width)
        .map(|i| any(rows, i, marked).then(|| !any(rows, i, has_decimal_point)))
        .collect();
    if columns.iter().all(Option::is_none) {
        return;
    }
    for row in rows.iter_mut().flatten() {
        let converted: Vec<Option<String>> = (row.cells.iter().zip(&columns))
            .map(|(cell, column)| column.and_then(|grouping| decimal_point(cell, grouping)))
            .collect();
        if converted.iter().any(Option::is_some) {
            row.cells = (row.cells.iter().zip(converted))
                .map(|(cell, new)| new.unwrap_or_else(|| cell.to_owned()))
                .collect();
        }
    }
}

impl RawTable {
    /// Parses a whole CSV file.
    pub(crate) fn read(text: &[u8]) -> Result<Self, LoadError> {
        Self::read_any(text).map(|(table, _)| table)
    }

    /// [`read`](Self::read), and the station of an EnergyPlus weather file ([`epw`]).
    pub(crate) fn read_any(text: &[u8]) -> Result<(Self, Option<String>), LoadError> {
        let text = text.strip_prefix(BOM).unwrap_or(text);
        if epw::is_epw(text) {
            return epw::read(text).map(|(table, station)| (table, Some(station)));
        }
        Self::read_csv(text).map(|table| (table, None))
    }

    fn read_csv(text: &[u8]) -> Result<Self, LoadError> {
        let (mut start, mut comment) = leading_comments(text);
        let mut delimiter = delimiter(&text[start..]);
        // A preamble above the header (not a TMY3 metadata line) is left out, and the delimiter
        // taken from the table.
        // (A preamble line may hold no delimiter, and then the first two lines do not tell it.)
        // A preamble under a delimiter counts only if the table after it splits at that one.
        let found = [delimiter, b';', b'\t', b','].into_iter().find_map(|d| {
            let offset = preamble(&text[start..], d)?;
            (self::delimiter(&text[start + offset..]) == d).then_some((d, offset))
        });
        let mut skipped = false;
        if let Some((d, offset)) = found {
            delimiter = d;
            let header = &text[start + offset..];
            let line = header.split(|&b| b == b'\n').next().unwrap_or(&[]);
            let names = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(delimiter)
                .from_reader(line)
                .records()
                .next()
                .and_then(Result::ok);
            if !names.is_some_and(|n| tmy3::is_header(&header_names(&n))) {
                skipped = true;
                start += offset;
                comment = None;
            }
            delimiter = self::delimiter(&text[start..]);
        }
        // Comment lines among the data blanked in a copy (blank lines are skipped; offsets and
        // line numbers stay).
        // Lines above `start`: the preamble's last line is the one before the header.
        let lines_before = text[..start].iter().filter(|&&b| b == b'\n').count() as u64;
        let preamble_end = skipped.then_some(lines_before);
        let mut owned = None;
        if text[start..].contains(&b'#') {
            let mut copy = text.to_vec();
            let first_line = 1 + lines_before;
            let blanked = blank_data_comments(&mut copy[start..], delimiter, first_line);
            if !blanked.is_empty() {
                owned = Some((copy, blanked));
            }
        }
        let (text, comments): (&[u8], Vec<u64>) = match &owned {
            Some((copy, blanked)) => (copy, blanked.clone()),
            None => (text, Vec::new()),
        };
        let body = &text[start..];
        let lines = Lines::new(text, start);
        let builder = || {
            let mut b = csv::ReaderBuilder::new();
            b.has_headers(false)
                .flexible(true)
                .trim(csv::Trim::All)
                .delimiter(delimiter);
            b
        };
        let mut reader = builder().from_reader(body);

        let first = required_record(&mut reader, &lines)?;
        let mut pending = None;
        // The first record, where it is data: a file without a header.
        let mut first_data = None;
        // A header written as the last comment (`# time,temp`, NumPy's `savetxt`): as many
        // fields as the first row, none starting with a number, and the first row data.
        let commented_header = comment.and_then(|(c, line)| {
            let cells = builder().from_reader(c).records().next()?.ok()?;
            let fits = cells.len() == first.cells.len() && cells.len() > 1;
            (fits && !cells.iter().any(numeric_start) && first.cells.iter().any(numeric_start))
                .then_some(RawRow { line, cells })
        });
        let (header_row, tmy3_utc_offset) = if let Some(header) = commented_header {
            pending = Some(Ok(first));
            (header, None)
        } else if tmy3::is_header(&header_names(&first.cells)) {
            (first, None)
        } else {
            match next_record(&mut reader, &lines)? {
                Some(Ok(second)) if tmy3::is_header(&header_names(&second.cells)) => {
                    let offset = tmy3::metadata_utc_offset(&first)?;
                    (second, Some(offset))
                }
                other if headerless(&first.cells) => {
                    pending = other;
                    let names = (1..=first.cells.len()).map(|i| format!("col{i}"));
                    let header = RawRow {
                        line: first.line,
                        cells: names.collect(),
                    };
                    first_data = Some(first);
                    (header, None)
                }
                other => {
                    pending = other;
                    (first, None)
                }
            }
        };
        // Rows one field wider than the header: a trailing delimiter on every row (its last
        // cell empty), or R's `write.table` row names (the header has no name for them): an
        // unnamed column at the end or at the start.
        let mut header_row = header_row;
        let after_header = match usize::try_from(header_row.line) {
            Ok(line) if line >= 2 => lines.newlines.get(line - 2).map_or(text.len(), |&n| n + 1),
            _ => 0,
        };
        let wider = match tmy3_utc_offset {
            None => wider_rows(&text[after_header..], delimiter, header_row.cells.len()),
            Some(_) => None,
        };
        // With a trailing delimiter, a row as wide as the header (a units row) gets its empty
        // last cell too.
        let pad = wider == Some(true);
        // A header that ends in a delimiter over rows that do not: its empty last name dropped.
        let width = header_row.cells.len();
        if wider.is_none()
            && tmy3_utc_offset.is_none()
            && width > 2
            && header_row.cells.iter().next_back() == Some("")
            && narrower_rows(&text[after_header..], delimiter, width)
        {
            let mut cells = StringRecord::new();
            cells.extend(header_row.cells.iter().take(width - 1));
            header_row.cells = cells;
        }
        if let Some(trailing) = wider {
            let mut cells = StringRecord::new();
            if !trailing {
                cells.push_field("");
            }
            cells.extend(header_row.cells.iter());
            if trailing {
                cells.push_field("");
            }
            header_row.cells = cells;
        }

        // Unnamed columns (a spreadsheet's empty trailing ones, a pandas index) by position.
        let unnamed: Vec<usize> = (header_row.cells.iter().enumerate())
            .filter_map(|(i, name)| name.is_empty().then_some(i))
            .collect();
        let header: Vec<String> = header_names(&header_row.cells)
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                if name.is_empty() {
                    format!("column {}", i + 1)
                } else {
                    name
                }
            })
            .collect();
        for (i, name) in header.iter().enumerate() {
            if header[..i].contains(name) {
                return Err(LoadError::DuplicateColumn {
                    line: header_row.line,
                    name: name.clone(),
                });
            }
        }

        let mut rows = Vec::new();
        let width = header.len();
        let padded = |row: Option<Result<RawRow, LoadError>>| {
            row.map(|row| {
                row.map(|mut row| {
                    if pad && row.cells.len() + 1 == width {
                        row.cells.push_field("");
                    }
                    row
                })
            })
        };
        let headerless = first_data.is_some();
        if let Some(first) = padded(first_data.map(Ok)) {
            rows.push(first);
        }
        let mut next = padded(pending);
        if next.is_none() {
            next = padded(next_record(&mut reader, &lines)?);
        }
        let (mut units, mut second_units) = (None, None);
        if let Some(Ok(row)) = &next
            && tmy3_utc_offset.is_none()
            && !headerless
            && row.cells.len() == header.len()
            && is_units_row(&row.cells)
        {
            units = Some((row.line, header_names(&row.cells)));
            next = padded(next_record(&mut reader, &lines)?);
            // A second such row (a Campbell Scientific TOA5 file's processing row: `"","","Avg"`).
            if let Some(Ok(row)) = &next
                && row.cells.len() == header.len()
                && is_units_row(&row.cells)
            {
                second_units = Some((row.line, header_names(&row.cells)));
                next = padded(next_record(&mut reader, &lines)?);
            }
        }
        // The columns as the latest header under the data names them (a concatenated log or
        // an InfluxDB export whose later tables have other columns): where each of `header`'s
        // is in a row, `None` while the rows are as `header` has them.
        // and its width, `None` while the rows are as `header` has them.
        let mut layout: Option<(Vec<Option<usize>>, usize)> = None;
        let mut headers = Vec::new();
        while let Some(row) = next {
            next = padded(next_record(&mut reader, &lines)?);
            if let Ok(row) = &row
                && let Some(at) = header_layout(&row.cells, &header, &unnamed)
            {
                let same = row.cells.len() == header.len()
                    && at.iter().enumerate().all(|(i, &p)| p == Some(i));
                layout = (!same).then(|| (at, row.cells.len()));
                headers.push(row.line);
                continue;
            }
            rows.push(row.and_then(|mut row| {
                match &layout {
                    None if row.cells.len() == header.len() => Ok(row),
                    Some((at, width)) if row.cells.len() == *width => {
                        // Cells by name, a column this layout does not have empty.
                        let mut cells = StringRecord::new();
                        for p in at {
                            cells.push_field(p.and_then(|p| row.cells.get(p)).unwrap_or(""));
                        }
                        row.cells = cells;
                        Ok(row)
                    }
                    _ => Err(LoadError::FieldCount {
                        line: row.line,
                        expected: layout.as_ref().map_or(header.len(), |l| l.1),
                        found: row.cells.len(),
                    }),
                }
            }));
        }
        match delimiter {
            b';' => decimal_commas(&mut rows, header.len(), has_decimal_comma),
            b'\t' => decimal_commas(&mut rows, header.len(), unambiguous_decimal_comma),
            _ => {}
        }
        Ok(Self {
            header,
            tmy3_utc_offset,
            rows,
            units,
            second_units,
            unnamed,
            comments,
            headers,
            preamble_end,
            headerless,
        })
    }

    /// The well-formed rows.
    pub(crate) fn good_rows(&self) -> impl Iterator<Item = &RawRow> {
        self.rows.iter().filter_map(|row| row.as_ref().ok())
    }

    /// The index of the column called `name`.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_error_values_are_not_comments() {
        for cell in [
            "#N/A",
            "#n/a",
            "#NA",
            "#VALUE!",
            "#DIV/0!",
            "#NAME?",
            "#ERROR!",
            "#GETTING_DATA!",
        ] {
            assert!(is_spreadsheet_error(cell.as_bytes()), "{cell}");
        }
        for cell in ["#", "#!", "# restart!", "#note", "#Value!", "#power cycle?"] {
            assert!(!is_spreadsheet_error(cell.as_bytes()), "{cell}");
        }
        // Comments are blanked to `\r` runs: the same length and line breaks.
        let mut text = b"time,v\n# a \"b\n1,2\n\"#c\"\n#A1,4\n#N/A\n".to_vec();
        let before = text.len();
        assert_eq!(blank_data_comments(&mut text, b',', 5), [6, 8]);
        assert_eq!(text.len(), before);
        assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 6);
        assert!(text.starts_with(b"time,v\n\r\r\r\r\r\r\n1,2\n\r\r\r\r\n"));
        // As wide as the header, a `#` line is data (a tag); a spreadsheet error is data.
        assert!(text.ends_with(b"#A1,4\n#N/A\n"));
    }

    fn read(text: &str) -> Result<RawTable, LoadError> {
        RawTable::read(text.as_bytes())
    }

    /// The well-formed rows' cells.
    fn cells(table: &RawTable) -> Vec<Vec<&str>> {
        table
            .good_rows()
            .map(|r| r.cells.iter().collect())
            .collect()
    }

    fn lines_and_errors(table: &RawTable) -> Vec<Result<u64, u64>> {
        table
            .rows
            .iter()
            .map(|row| match row {
                Ok(row) => Ok(row.line),
                Err(error) => Err(error.row_line().unwrap_or(0)),
            })
            .collect()
    }

    #[test]
    fn semicolons_tabs_and_decimal_commas() {
        // A spreadsheet export with a decimal comma: `;` between fields (after a blank line),
        // points grouping thousands in the columns with decimal commas; other columns as they
        // are.
        let table = read(
            "\n\"time\";temp;energy;note;ratio\n\
             2021-01-01 00:00:00,5;-21,5;1.000;a,b;1.000\n\
             2021-01-01;3;1.234,5;x;2.5\n",
        )
        .unwrap();
        assert_eq!(table.header, ["time", "temp", "energy", "note", "ratio"]);
        assert_eq!(
            cells(&table),
            [
                ["2021-01-01 00:00:00,5", "-21.5", "1000", "a,b", "1.000"],
                ["2021-01-01", "3", "1234.5", "x", "2.5"]
            ]
        );
        // Commas in a `;` file's names, as many as in its rows (decimal commas).
        let table = read("Datum;Wert, min;Wert, max\n2021-01-01;1,5;2,5\n").unwrap();
        assert_eq!(table.header, ["Datum", "Wert, min", "Wert, max"]);
        assert_eq!(&table.good_rows().next().unwrap().cells[2], "2.5");
        // A TMY3-like first line (metadata) with another field count than the header.
        assert_eq!(delimiter(b"1,a,b\nx,y,z,w\n1,2,3,4\n"), b',');
        assert_eq!(delimiter(b"x;y\n"), b';');
        assert_eq!(delimiter(b"x\n1\n"), b',');
        // A comma header with a quoted `;` is a comma file.
        let table = read("time,\"a; b\"\n2021-01-01,1\n").unwrap();
        assert_eq!(table.header, ["time", "a; b"]);
        // Tabs: a column with a decimal comma that groups no thousands is read with decimal
        // commas (German spreadsheets' tab export); `1,234` alone may be 1234 and stays text.
        let table = read("time\ta\tb\n2021-01-01\t1,5\t1,234\n2021-01-02\t1,250\t2,500\n").unwrap();
        assert_eq!(table.header, ["time", "a", "b"]);
        assert_eq!(
            cells(&table),
            [
                ["2021-01-01", "1.5", "1,234"],
                ["2021-01-02", "1.250", "2,500"]
            ]
        );
        // Comma files keep a quoted `"1,5"` as text.
        let table = read("time,a\n2021-01-01,\"1,5\"\n").unwrap();
        assert_eq!(&table.good_rows().next().unwrap().cells[1], "1,5");
        // A column with decimal points too: its points stay decimal points.
        let table = read("time;x\n2021-01-01;1.5\n2021-01-02;2,5\n2021-01-03;1.500\n").unwrap();
        let x: Vec<&str> = table.good_rows().map(|r| &r.cells[1]).collect();
        assert_eq!(x, ["1.5", "2.5", "1.500"]);
        assert_eq!(decimal_point("+0,25", true).as_deref(), Some("+0.25"));
        assert_eq!(
            decimal_point("-12.345.678,9", true).as_deref(),
            Some("-12345678.9")
        );
        assert_eq!(decimal_point("1.234", false), None);
        for text in [
            ",5",
            "5,",
            "1,2,3",
            "1.2",
            "a,5",
            "1,5e3",
            "1234.567,8",
            "1.23,4",
            "7",
            "0.500",
        ] {
            assert_eq!(decimal_point(text, true), None, "{text}");
        }
    }

    #[test]
    fn header_and_lines() {
        let table = read(
            "\u{feff}time, a ,b\n2021-01-01,1,2\n\n\r\n2021-01-02, 3 ,4\r\n\"x\ny\",5,6\n7,8,9",
        )
        .unwrap();
        assert_eq!(
            table.header,
            ["time", "a", "b"],
            "BOM and spaces are dropped"
        );
        assert_eq!(table.tmy3_utc_offset, None);
        assert_eq!(
            lines_and_errors(&table),
            [Ok(2), Ok(5), Ok(6), Ok(8)],
            "blank lines 3, 4 and the quoted newline in line 6 still count"
        );
        let Ok(row) = &table.rows[1] else {
            panic!("row 2 is well formed")
        };
        assert_eq!(&row.cells[1], "3", "cells are trimmed");
    }

    #[test]
    fn wrong_field_counts_are_bad_rows_in_place() {
        let table = read("t,a\n2021-01-01\n2021-01-02,1\n2021-01-03,1,2\n").unwrap();
        assert_eq!(lines_and_errors(&table), [Err(2), Ok(3), Err(4)]);
        let Err(error) = &table.rows[2] else {
            panic!("line 4 has three fields")
        };
        assert_eq!(error.to_string(), "line 4: 3 fields, but the header has 2");
        assert_eq!(table.good_rows().count(), 1);
    }

    #[test]
    fn invalid_utf8_is_a_bad_row() {
        let text = b"t,a\n2021-01-01,\xff\n2021-01-02,1\n";
        let table = RawTable::read(&text[..]).unwrap();
        assert!(matches!(table.rows[0], Err(LoadError::NotUtf8 { line: 2 })));
        assert_eq!(lines_and_errors(&table), [Err(2), Ok(3)]);
    }

    #[test]
    fn skipped_rows_keep_the_earliest_lines() {
        let mut bad = BadRows::new(true);
        for line in (2..30).rev() {
            bad.reject(LoadError::NotUtf8 { line }).unwrap();
        }
        assert_eq!(bad.count, 28);
        let lines: Vec<u64> = bad.listed.iter().map(|s| s.line).collect();
        assert_eq!(
            lines,
            (2..2 + SKIPPED_ROWS_LISTED as u64).collect::<Vec<_>>()
        );
        let mut strict = BadRows::new(false);
        assert!(strict.reject(LoadError::NotUtf8 { line: 2 }).is_err());
        assert!(
            BadRows::new(true).reject(LoadError::NoHeader).is_err(),
            "only row errors are skipped"
        );
    }

    #[test]
    fn duplicate_header_names_are_rejected() {
        assert!(matches!(
            read("t,a,a\n"),
            Err(LoadError::DuplicateColumn { line: 1, name }) if name == "a"
        ));
    }

    #[test]
    fn empty_file_has_no_header() {
        assert!(matches!(read(""), Err(LoadError::NoHeader)));
        assert!(matches!(read("\n\n"), Err(LoadError::NoHeader)));
    }

    #[test]
    fn tmy3_metadata_line_is_not_the_header() {
        let text = "723170,\"GREENSBORO PIEDMONT TRIAD INT\",NC,-5.0,36.100,-79.950,273\n\
                    Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2)\n\
                    01/01/1988,01:00,0\n";
        let table = read(text).unwrap();
        assert_eq!(
            table.header,
            ["Date (MM/DD/YYYY)", "Time (HH:MM)", "GHI (W/m^2)"]
        );
        assert_eq!(table.tmy3_utc_offset, Some(-5 * 3600));
        assert_eq!(lines_and_errors(&table), [Ok(3)]);
    }
}
