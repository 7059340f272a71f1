//! CSV reading: the header (after a TMY3 station metadata line, if there is one) and the data
//! records with their line numbers. A record with another field count than the header, or not
//! valid UTF-8, is kept in its place as a bad row, so that errors come in file order.
//!
//! A leading UTF-8 byte order mark is dropped. Cells are trimmed of surrounding whitespace.
//! Blank lines are ignored. A record's line is the 1-based line of the file where it starts
//! (lines end at `\n`).

use csv::StringRecord;

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
}

/// Line numbers from byte offsets. The CSV reader's own line count is off after blank lines
/// and quoted newlines, and its byte offset of a record is where it started looking, before
/// any blank lines; so lines are counted here, in the text itself.
struct Lines<'a> {
    text: &'a [u8],
    /// Byte offsets of every `\n`.
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Self {
        let newlines = text
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == b'\n').then_some(i))
            .collect();
        Self { text, newlines }
    }

    /// The 1-based line of the first byte at or after `byte` that is not a line break.
    fn line_at(&self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
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

fn header_names(record: &StringRecord) -> Vec<String> {
    record.iter().map(str::to_owned).collect()
}

/// The UTF-8 byte order mark, ignored at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// The field delimiter: `;` or a tab where the first line has more of it than commas
/// (spreadsheet and data-logger exports in locales with a decimal comma), else `,`.
fn delimiter(text: &[u8]) -> u8 {
    let first = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    [b';', b'\t']
        .into_iter()
        .filter(|&d| count(d) > count(b','))
        .max_by_key(|&d| count(d))
        .unwrap_or(b',')
}

/// `21,5` as `21.5`: a cell of digits with one decimal comma (and an optional sign), in a file
/// delimited by `;`, where that is how numbers are written. Anything else stays as it is.
fn decimal_point(cell: &str) -> Option<String> {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = digits.split_once(',')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (all_digits(whole) && all_digits(fraction)).then(|| cell.replacen(',', ".", 1))
}

impl RawTable {
    /// Parses a whole CSV file.
    pub(crate) fn read(text: &[u8]) -> Result<Self, LoadError> {
        let text = text.strip_prefix(BOM).unwrap_or(text);
        let lines = Lines::new(text);
        let delimiter = delimiter(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(delimiter)
            .from_reader(text);

        let first = required_record(&mut reader, &lines)?;
        let mut pending = None;
        let (header_row, tmy3_utc_offset) = if tmy3::is_header(&header_names(&first.cells)) {
            (first, None)
        } else {
            match next_record(&mut reader, &lines)? {
                Some(Ok(second)) if tmy3::is_header(&header_names(&second.cells)) => {
                    let offset = tmy3::metadata_utc_offset(&first)?;
                    (second, Some(offset))
                }
                other => {
                    pending = other;
                    (first, None)
                }
            }
        };

        let header = header_names(&header_row.cells);
        for (i, name) in header.iter().enumerate() {
            if header[..i].contains(name) {
                return Err(LoadError::DuplicateColumn {
                    line: header_row.line,
                    name: name.clone(),
                });
            }
        }

        let mut rows = Vec::new();
        let mut next = pending;
        if next.is_none() {
            next = next_record(&mut reader, &lines)?;
        }
        while let Some(row) = next {
            rows.push(row.and_then(|mut row| {
                if delimiter == b';' && row.cells.iter().any(|c| decimal_point(c).is_some()) {
                    row.cells = row
                        .cells
                        .iter()
                        .map(|c| decimal_point(c).unwrap_or_else(|| c.to_owned()))
                        .collect();
                }
                if row.cells.len() == header.len() {
                    Ok(row)
                } else {
                    Err(LoadError::FieldCount {
                        line: row.line,
                        expected: header.len(),
                        found: row.cells.len(),
                    })
                }
            }));
            next = next_record(&mut reader, &lines)?;
        }
        Ok(Self {
            header,
            tmy3_utc_offset,
            rows,
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

    fn read(text: &str) -> Result<RawTable, LoadError> {
        RawTable::read(text.as_bytes())
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
        // A spreadsheet export with a decimal comma: `;` between fields.
        let table =
            read("time;temp;note\n2021-01-01 00:00:00,5;-21,5;a,b\n2021-01-01;3;x\n").unwrap();
        assert_eq!(table.header, ["time", "temp", "note"]);
        let rows: Vec<Vec<&str>> = table
            .good_rows()
            .map(|r| r.cells.iter().collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["2021-01-01 00:00:00,5", "-21.5", "a,b"],
                ["2021-01-01", "3", "x"]
            ]
        );
        // Tabs; a comma stays a comma there (and in comma files, where `"1,5"` is text).
        let table = read("time\ta\n2021-01-01\t1,5\n").unwrap();
        assert_eq!(table.header, ["time", "a"]);
        assert_eq!(&table.good_rows().next().unwrap().cells[1], "1,5");
        let table = read("time,a\n2021-01-01,\"1,5\"\n").unwrap();
        assert_eq!(&table.good_rows().next().unwrap().cells[1], "1,5");
        assert_eq!(decimal_point("+0,25").as_deref(), Some("+0.25"));
        for text in [",5", "5,", "1,2,3", "1.2", "a,5", "1,5e3"] {
            assert_eq!(decimal_point(text), None, "{text}");
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
