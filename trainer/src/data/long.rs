//! Long-format files, one reading per row: a column names the series (`entity_id`, `_field`),
//! another holds its value (`state`, `_value`), as Home Assistant's history export and InfluxDB's
//! annotated CSV write them. [`pivot`] turns them into a table of one column per series and
//! one row per timestamp, which the loader then reads as any other file. An InfluxDB series is
//! named by its measurement, its tags and its field, each where the file has more than one
//! (`air.kitchen.temp`), as its group key does.

use std::collections::HashMap;

use csv::StringRecord;

use super::error::LoadError;
use super::read::{RawRow, RawTable};
use super::series::{Cell, classify};

/// The (name, value) column pairs of the long-format exports recognised without being named,
/// with a third column each has: Home Assistant's history (`last_changed`) and InfluxDB's
/// annotated CSV (`_measurement`).
pub const LONG_LAYOUTS: [(&str, &str, &str); 2] = [
    ("entity_id", "state", "last_changed"),
    ("_field", "_value", "_measurement"),
];

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
        None => Ok(LONG_LAYOUTS.iter().find_map(|(n, v, with)| {
            table.column(with)?;
            Some((table.column(n)?, table.column(v)?))
        })),
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
    /// Readings of a series at a time it already had one: the first is kept.
    pub repeats: usize,
}

/// InfluxDB's columns that are not tags.
const INFLUX_COLUMNS: [&str; 8] = [
    "result",
    "table",
    "_start",
    "_stop",
    "_time",
    "_value",
    "_field",
    "_measurement",
];

/// The columns that name a series, in order: `name` alone, or for InfluxDB's `_field` those of
/// the measurement, the tags (columns that hold one value per `table`) and the field that take
/// more than one value in the file (the field if none does).
fn name_parts(table: &RawTable, time: &[usize], name: usize, value: usize) -> Vec<usize> {
    if table.header[name] != "_field" {
        return vec![name];
    }
    // A tag is one value per series: per value of the `table` column, which numbers them (a
    // column that changes within a table, a reading's quality say, is not one).
    let table_at = table.column("table");
    let per_table = |i: usize| {
        let Some(t) = table_at else { return true };
        let mut seen: HashMap<&str, &str> = HashMap::new();
        table.good_rows().all(|r| {
            let (id, v) = (r.cells.get(t).unwrap_or(""), r.cells.get(i).unwrap_or(""));
            *seen.entry(id).or_insert(v) == v
        })
    };
    let tag = |i: usize| {
        let h = &table.header[i];
        i != value
            && !time.contains(&i)
            && !table.unnamed.contains(&i)
            && !INFLUX_COLUMNS.contains(&h.as_str())
            && per_table(i)
    };
    let varies = |i: usize| {
        let mut cells = table.good_rows().map(|r| r.cells.get(i).unwrap_or(""));
        let first = cells.next();
        cells.any(|c| Some(c) != first)
    };
    let measurement = table.column("_measurement").into_iter();
    let tags = (0..table.header.len()).filter(|&i| tag(i));
    let parts: Vec<usize> = measurement
        .chain(tags)
        .chain([name])
        .filter(|&i| varies(i))
        .collect();
    match parts.is_empty() {
        true => vec![name],
        false => parts,
    }
}

/// An output row: its line, its time cells, and its reading of each series so far.
type Merged = (u64, Vec<String>, Vec<Option<String>>);

/// One column per series (named by [`name_parts`], in the order they first appear) after the
/// `time` columns, and one row per distinct timestamp (compared as text, in the order they
/// first appear, at the line of the first), a series' cell empty where it has no reading then.
/// A series is numeric if at least half its readings are numbers; a reading of one that is not (nor a
/// missing value) is a bad row at its own line ([`LoadError::NotANumber`]), the other readings
/// of its time kept. Rows without a name are left out; bad rows are kept, in their place.
/// Every other column is dropped. (The reader left out the header and annotation rows above
/// each InfluxDB table after the first.)
pub(crate) fn pivot(
    table: RawTable,
    time: &[usize],
    name: usize,
    value: usize,
) -> (RawTable, Pivoted) {
    let parts = name_parts(&table, time, name, value);
    let key_of = |cells: &StringRecord| -> String {
        let part = |&i: &usize| cells.get(i).unwrap_or("").trim();
        let named: Vec<&str> = parts.iter().map(part).filter(|p| !p.is_empty()).collect();
        named.join(".")
    };
    // The series and whether each is numeric (its first reading that is not missing).
    let mut series: Vec<String> = Vec::new();
    let mut series_at: HashMap<String, usize> = HashMap::new();
    // Per series: readings that are numbers, and that are text.
    let mut kinds: Vec<(usize, usize)> = Vec::new();
    for row in table.good_rows() {
        let key = key_of(&row.cells);
        if key.is_empty() {
            continue;
        }
        let s = *series_at.entry(key.clone()).or_insert_with(|| {
            series.push(key);
            kinds.push((0, 0));
            series.len() - 1
        });
        match classify(row.cells.get(value).unwrap_or("")) {
            Cell::Number(_) => kinds[s].0 += 1,
            Cell::Text => kinds[s].1 += 1,
            Cell::Missing => {}
        }
    }
    let numeric: Vec<Option<bool>> = kinds
        .iter()
        .map(|&(n, t)| (n + t > 0).then_some(n >= t))
        .collect();
    let mut out: Vec<Result<Merged, LoadError>> = Vec::new();
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
        let Some(&s) = series_at.get(&key_of(cells)) else {
            continue;
        };
        let reading = cells.get(value).unwrap_or("");
        if numeric[s] == Some(true) && matches!(classify(reading), Cell::Text) {
            out.push(Err(LoadError::NotANumber {
                line: row.line,
                column: series[s].clone(),
                value: reading.to_owned(),
            }));
            continue;
        }
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
                None => values[s] = Some(reading.to_owned()),
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
    let name_column = parts
        .iter()
        .map(|&i| table.header[i].as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let pivoted = Pivoted {
        name_column,
        value_column: table.header[value].clone(),
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
