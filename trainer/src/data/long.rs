//! Long-format files, one reading per row: a column names the series (`entity_id`, `_field`),
//! another holds its value (`state`, `_value`), as Home Assistant's history export and InfluxDB's
//! annotated CSV write them. [`pivot`] turns them into a table of one column per series and
//! one row per timestamp, which the loader then reads as any other file.

use std::collections::HashMap;

use csv::StringRecord;

use super::read::{RawRow, RawTable};

/// The (name, value) column pairs of the long-format exports recognised without being named:
/// Home Assistant's history and InfluxDB's annotated CSV.
pub const LONG_LAYOUTS: [(&str, &str); 2] = [("entity_id", "state"), ("_field", "_value")];

/// The name and value columns of a long-format table: `named` if given (an unknown name is
/// `Err` with it), else the first of [`LONG_LAYOUTS`] whose two columns the header has.
pub(crate) fn layout<'a>(
    table: &RawTable,
    named: Option<&'a (String, String)>,
) -> Result<Option<(usize, usize)>, &'a str> {
    match named {
        Some((name, value)) => {
            let name_at = table.column(name).ok_or(name.as_str())?;
            let value_at = table.column(value).ok_or(value.as_str())?;
            Ok(Some((name_at, value_at)))
        }
        None => Ok(LONG_LAYOUTS
            .iter()
            .find_map(|(n, v)| Some((table.column(n)?, table.column(v)?)))),
    }
}

/// What [`pivot`] made of a long-format table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pivoted {
    /// The column naming the series.
    pub name_column: String,
    /// The column holding the values.
    pub value_column: String,
    /// The series, in the order they first appear.
    pub series: Vec<String>,
    /// Readings of a series at a time it already had one (another tag's, in InfluxDB): the
    /// first is kept.
    pub repeats: usize,
}

/// An output row: its line, its time cells, and its reading of each series so far.
type Merged = (u64, Vec<String>, Vec<Option<String>>);

/// One column per series (named by the `name` column's values, in the order they first appear)
/// after the `time` columns, and one row per distinct timestamp (compared as text, in the order
/// they first appear, at the line of the first), a series' cell empty where it has no reading
/// then. Rows that repeat the header (a new table of an InfluxDB export) and rows without a
/// name are left out; bad rows are kept, in their place. Every other column is dropped.
pub(crate) fn pivot(
    table: RawTable,
    time: &[usize],
    name: usize,
    value: usize,
) -> (RawTable, Pivoted) {
    let header = &table.header;
    let mut series: Vec<String> = Vec::new();
    let mut series_at: HashMap<String, usize> = HashMap::new();
    // Per output row: its line and time cells, and its values by series.
    let mut out: Vec<Result<Merged, super::LoadError>> = Vec::new();
    let mut row_at: HashMap<Vec<String>, usize> = HashMap::new();
    let mut repeats = 0;
    for row in table.rows {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let cells = &row.cells;
        // (A repeated header: its name cell is the name column's.)
        if cells.get(name) == Some(header[name].as_str()) {
            continue;
        }
        let key = cells.get(name).unwrap_or("").trim();
        if key.is_empty() {
            continue;
        }
        let s = match series_at.get(key) {
            Some(&s) => s,
            None => {
                series.push(key.to_owned());
                series_at.insert(key.to_owned(), series.len() - 1);
                series.len() - 1
            }
        };
        let times: Vec<String> = time
            .iter()
            .map(|&i| cells.get(i).unwrap_or("").to_owned())
            .collect();
        let r = match row_at.get(&times) {
            Some(&r) => r,
            None => {
                out.push(Ok((row.line, times.clone(), Vec::new())));
                row_at.insert(times, out.len() - 1);
                out.len() - 1
            }
        };
        if let Ok((_, _, values)) = &mut out[r] {
            if values.len() <= s {
                values.resize(s + 1, None);
            }
            match &values[s] {
                Some(_) => repeats += 1,
                None => values[s] = Some(cells.get(value).unwrap_or("").to_owned()),
            }
        }
    }
    let width = series.len();
    let rows = out
        .into_iter()
        .map(|r| {
            r.map(|(line, times, mut values)| {
                values.resize(width, None);
                let cells = times
                    .into_iter()
                    .chain(values.into_iter().map(Option::unwrap_or_default));
                RawRow {
                    line,
                    cells: StringRecord::from_iter(cells),
                }
            })
        })
        .collect();
    let pivoted = Pivoted {
        name_column: header[name].clone(),
        value_column: header[value].clone(),
        series: series.clone(),
        repeats,
    };
    let header = time
        .iter()
        .map(|&i| table.header[i].clone())
        .chain(series)
        .collect();
    let table = RawTable {
        header,
        rows,
        units: None,
        second_units: None,
        unnamed: Vec::new(),
        ..table
    };
    (table, pivoted)
}
