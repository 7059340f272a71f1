//! Labelled multichannel sequences, for classification: the sktime/aeon `.ts` format and a CSV
//! layout.
//!
//! **`.ts`** (as aeon writes it): `#` comment lines; `@` header lines, of which this reader uses
//! `@dimensions N`, `@equalLength true|false`, `@seriesLength N`, `@timeStamps` (only `false`),
//! `@classLabel true <labels...>` (required), then `@data`; then one sequence per line: the
//! channels separated by `:`, each a comma-separated list of values, the class label last.
//! `?` or `NaN` is a missing value. Every channel of a sequence has the same length; with
//! `@equalLength true` every sequence too.
//!
//! **CSV**: a header, then one row per sample: a sequence-id column, a label column (both named
//! by the caller) and one numeric column per channel. A sequence's rows are consecutive, in
//! time order; its label is the same on every row. An empty cell, `NaN` or one of the loggers'
//! markers ([`MISSING_MARKERS`](super::series::MISSING_MARKERS)) is a missing value. The
//! channels are the columns the caller names ([`CsvColumns::channels`]), else every column but
//! the id, the label, the ignored ones and those that are not channels: a time (named like one,
//! see [`time_like_name`](super::series::time_like_name)), an id (`subject`, `user_id`), text
//! (a first cell that is not a number), or a column named like a row counter (`index`, `No`,
//! `sample`) whose values count the file's rows or each sequence's steps, each listed in
//! [`Sequences::left_out`].
//!
//! Missing values stay NaN here; the classifier fills them the way the runtime does (the last
//! finite value of the channel, the training mean before the first).
//!
//! Every malformed line is an error with its line number.

use std::path::{Path, PathBuf};

/// A sequence: `steps × channels` values, sample after sample, and its class index.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// The samples, channel values of one time step together.
    pub values: Vec<f32>,
    /// Index into [`Sequences::classes`].
    pub label: usize,
}

impl Sequence {
    /// Time steps, for `channels` channels.
    pub fn steps(&self, channels: usize) -> usize {
        self.values.len() / channels.max(1)
    }
}

/// A labelled set of sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequences {
    /// Channel names (`dim_0`, `dim_1`, ... for `.ts` files).
    pub channels: Vec<String>,
    /// Class labels, in the order the file declares (`.ts`) or first uses (CSV) them.
    pub classes: Vec<String>,
    /// The sequences, in file order.
    pub items: Vec<Sequence>,
    /// CSV layout: each sequence's id, in file order (empty for `.ts` files).
    pub ids: Vec<String>,
    /// CSV layout: the columns that are not channels without being named so, each with why
    /// (`` `timestamp` (a time) ``).
    pub left_out: Vec<String>,
}

/// The columns of the CSV layout.
#[derive(Clone, Copy, Debug)]
pub struct CsvColumns<'a> {
    /// The column naming each row's sequence.
    pub id: &'a str,
    /// The column holding each row's class.
    pub label: &'a str,
    /// The channels, in this order (else every column that is one).
    pub channels: Option<&'a [String]>,
    /// Columns that are not channels.
    pub ignore: &'a [String],
}

/// Why a sequence file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{path}:{line}: {message}")]
    Line {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file as a whole does not fit the format.
    #[error("{path}: {message}")]
    File {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn value(cell: &str) -> Result<f32, String> {
    let c = cell.trim();
    let marker = super::series::MISSING_MARKERS
        .iter()
        .any(|m| c.eq_ignore_ascii_case(m));
    if c.is_empty() || marker || c.eq_ignore_ascii_case("nan") {
        return Ok(f32::NAN);
    }
    c.parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{c:?} is not a number"))
}

/// Reads a `.ts` file.
pub fn read_ts(path: impl AsRef<Path>) -> Result<Sequences, SequenceError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SequenceError::Io {
        path: path.into(),
        source,
    })?;
    parse_ts(&text, path)
}

/// Parses the text of a `.ts` file (`path` names it in errors).
pub fn parse_ts(text: &str, path: &Path) -> Result<Sequences, SequenceError> {
    let line_err = |line: usize, message: String| SequenceError::Line {
        path: path.into(),
        line,
        message,
    };
    let (mut dims, mut equal, mut length) = (None::<usize>, None::<bool>, None::<usize>);
    let mut classes: Option<Vec<String>> = None;
    let mut in_data = false;
    let mut items = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !in_data {
            let Some(header) = line.strip_prefix('@') else {
                return Err(line_err(n, "a data line before @data".into()));
            };
            let mut words = header.split_whitespace();
            let key = words.next().unwrap_or("").to_ascii_lowercase();
            let rest: Vec<&str> = words.collect();
            let flag = |v: Option<&&str>| -> Result<bool, SequenceError> {
                match v.map(|s| s.to_ascii_lowercase()).as_deref() {
                    Some("true") => Ok(true),
                    Some("false") => Ok(false),
                    _ => Err(line_err(n, format!("@{key} needs true or false"))),
                }
            };
            let number = |v: Option<&&str>| -> Result<usize, SequenceError> {
                v.and_then(|s| s.parse().ok())
                    .ok_or_else(|| line_err(n, format!("@{key} needs a whole number")))
            };
            match key.as_str() {
                "dimensions" => dims = Some(number(rest.first())?),
                "equallength" => equal = Some(flag(rest.first())?),
                "serieslength" => length = Some(number(rest.first())?),
                "timestamps" if flag(rest.first())? => {
                    return Err(line_err(
                        n,
                        "time-stamped .ts files are not supported".into(),
                    ));
                }
                "classlabel" => {
                    if !flag(rest.first())? {
                        return Err(line_err(
                            n,
                            "the file has no class labels (@classLabel false)".into(),
                        ));
                    }
                    let labels: Vec<String> = rest[1..].iter().map(|s| s.to_string()).collect();
                    if labels.is_empty() {
                        return Err(line_err(n, "@classLabel true lists no labels".into()));
                    }
                    classes = Some(labels);
                }
                "data" => in_data = true,
                _ => {}
            }
            continue;
        }
        let classes = classes
            .as_ref()
            .ok_or_else(|| line_err(n, "@data before @classLabel".into()))?;
        let mut fields: Vec<&str> = line.split(':').collect();
        let label = fields.pop().unwrap_or("").trim();
        let label = classes.iter().position(|c| c == label).ok_or_else(|| {
            line_err(n, format!("label {label:?} is not declared in @classLabel"))
        })?;
        let channels: Vec<Vec<f32>> = fields
            .iter()
            .enumerate()
            .map(|(d, f)| {
                f.split(',')
                    .map(value)
                    .collect::<Result<Vec<f32>, String>>()
                    .map_err(|m| line_err(n, format!("channel {d}: {m}")))
            })
            .collect::<Result<_, _>>()?;
        if channels.is_empty() {
            return Err(line_err(n, "no channel values before the label".into()));
        }
        let d = *dims.get_or_insert(channels.len());
        if channels.len() != d {
            return Err(line_err(
                n,
                format!("{} channels, the file has {d}", channels.len()),
            ));
        }
        let steps = channels[0].len();
        if channels.iter().any(|c| c.len() != steps) {
            return Err(line_err(n, "the channels have different lengths".into()));
        }
        if equal == Some(true) && length.is_some_and(|l| l != steps) {
            return Err(line_err(
                n,
                format!("{steps} steps, @seriesLength says {}", length.unwrap_or(0)),
            ));
        }
        let mut values = Vec::with_capacity(steps * d);
        for t in 0..steps {
            values.extend(channels.iter().map(|c| c[t]));
        }
        items.push(Sequence { values, label });
    }
    if items.is_empty() {
        return Err(SequenceError::File {
            path: path.into(),
            message: "no sequences (is there an @data line?)".into(),
        });
    }
    if equal == Some(true) {
        let d = dims.unwrap_or(1);
        let first = items[0].steps(d);
        if items.iter().any(|s| s.steps(d) != first) {
            return Err(SequenceError::File {
                path: path.into(),
                message: "@equalLength true, but the sequences differ in length".into(),
            });
        }
    }
    let d = dims.unwrap_or(1);
    Ok(Sequences {
        channels: (0..d).map(|i| format!("dim_{i}")).collect(),
        classes: classes.unwrap_or_default(),
        items,
        ids: Vec::new(),
        left_out: Vec::new(),
    })
}

/// Whether a column is named like a participant's, a device's or a record's id (`subject`,
/// `user_id`): not a channel where it holds one number per sequence.
fn id_named(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    let ids = [
        "subject",
        "participant",
        "user",
        "person",
        "patient",
        "device",
        "id",
        "uuid",
    ];
    ids.contains(&n.as_str()) || n.ends_with("_id") || n.ends_with(" id")
}

/// Reads the CSV layout (see the module's documentation).
pub fn read_sequence_csv(
    path: impl AsRef<Path>,
    columns: &CsvColumns<'_>,
) -> Result<Sequences, SequenceError> {
    let path = path.as_ref();
    let line_err = |line: usize, message: String| SequenceError::Line {
        path: path.into(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(path)
        .map_err(|e| SequenceError::File {
            path: path.into(),
            message: e.to_string(),
        })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| line_err(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| SequenceError::File {
                path: path.into(),
                message: format!("no column {name:?} (columns: {})", header.join(", ")),
            })
    };
    let (id_at, label_at) = (find(columns.id)?, find(columns.label)?);
    for name in columns.ignore {
        find(name)?;
    }
    let mut records = reader.records().peekable();
    // The first data row tells a text column.
    let first: Option<csv::StringRecord> = records.peek().and_then(|r| r.as_ref().ok()).cloned();
    let mut left_out = Vec::new();
    let channel_at: Vec<usize> = match columns.channels {
        Some(names) => names.iter().map(|n| find(n)).collect::<Result<_, _>>()?,
        None => {
            let mut at = Vec::new();
            for (i, name) in header.iter().enumerate() {
                if i == id_at || i == label_at || columns.ignore.contains(name) {
                    continue;
                }
                let cell = first.as_ref().and_then(|r| r.get(i)).unwrap_or("");
                let why = if super::series::time_like_name(name) {
                    Some("a time")
                } else if value(cell).is_err() {
                    Some("text")
                } else {
                    None
                };
                match why {
                    Some(why) => left_out.push(format!("`{name}` ({why})")),
                    None => at.push(i),
                }
            }
            at
        }
    };
    if channel_at.is_empty() {
        return Err(SequenceError::File {
            path: path.into(),
            message: format!(
                "no channel columns besides the id and the label{}",
                match left_out.is_empty() {
                    true => String::new(),
                    false => format!(
                        " (left out: {}; name them with --features)",
                        left_out.join(", ")
                    ),
                }
            ),
        });
    }
    let mut classes: Vec<String> = Vec::new();
    let mut items: Vec<Sequence> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut current: Option<String> = None;
    let mut ids = Vec::new();
    for (i, record) in records.enumerate() {
        let n = i + 2;
        let record = record.map_err(|e| line_err(n, e.to_string()))?;
        if record.len() != header.len() {
            return Err(line_err(
                n,
                format!("{} cells, the header has {}", record.len(), header.len()),
            ));
        }
        let id = record[id_at].trim().to_string();
        let label_name = record[label_at].trim();
        if label_name.is_empty() {
            return Err(line_err(n, "an empty label".into()));
        }
        let label = match classes.iter().position(|c| c == label_name) {
            Some(l) => l,
            None => {
                classes.push(label_name.to_string());
                classes.len() - 1
            }
        };
        if current.as_deref() != Some(id.as_str()) {
            if seen.contains(&id) {
                return Err(line_err(
                    n,
                    format!(
                        "sequence {id:?} continues after other sequences: keep its rows together"
                    ),
                ));
            }
            seen.insert(id.clone());
            ids.push(id.clone());
            current = Some(id);
            items.push(Sequence {
                values: Vec::new(),
                label,
            });
        }
        let seq = items.last_mut().expect("pushed above");
        if seq.label != label {
            return Err(line_err(
                n,
                format!("label {label_name:?} differs from the sequence's first row"),
            ));
        }
        for &c in &channel_at {
            let v = value(&record[c]).map_err(|m| line_err(n, format!("{}: {m}", header[c])))?;
            seq.values.push(v);
        }
    }
    if items.is_empty() {
        return Err(SequenceError::File {
            path: path.into(),
            message: "no rows".into(),
        });
    }
    // Default channels named like a row counter whose values count the rows (of the file, or
    // of each sequence: a step index) are not channels either.
    let mut channel_at = channel_at;
    if columns.channels.is_none() {
        let c = channel_at.len();
        let counts = |k: usize| {
            let column = |s: &Sequence| {
                s.values
                    .iter()
                    .skip(k)
                    .step_by(c)
                    .copied()
                    .collect::<Vec<f32>>()
            };
            let file: Vec<f64> = items.iter().flat_map(column).map(f64::from).collect();
            // (A step index: whole numbers up by one in every sequence, some of 3 steps or more.)
            let whole = file.iter().all(|v| v.fract() == 0.0);
            let long = items.iter().any(|s| s.steps(c) >= 3);
            let each = items
                .iter()
                .all(|s| column(s).windows(2).all(|w| w[1] - w[0] == 1.0));
            let steps = whole && long && each && file.len() >= 10;
            let constant = items
                .iter()
                .all(|s| column(s).windows(2).all(|w| w[0] == w[1]));
            let rows = whole && super::series::is_counter(file.iter().copied());
            (rows || steps, constant)
        };
        // Named like a counter and counting, or like an id and one value per sequence.
        let counters: Vec<(usize, &str)> = (0..c)
            .filter_map(|k| {
                let name = &header[channel_at[k]];
                let (counting, constant) = counts(k);
                match (
                    super::series::counter_named(name) && counting,
                    id_named(name) && constant,
                ) {
                    (true, _) => Some((k, "a row counter")),
                    (_, true) => Some((k, "an id")),
                    _ => None,
                }
            })
            .collect();
        if !counters.is_empty() && counters.len() < c {
            for s in &mut items {
                let kept = s.values.chunks_exact(c).flat_map(|row| {
                    row.iter()
                        .enumerate()
                        .filter(|(k, _)| !counters.iter().any(|(c, _)| c == k))
                        .map(|(_, v)| *v)
                });
                s.values = kept.collect();
            }
            for &(k, why) in counters.iter().rev() {
                left_out.push(format!("`{}` ({why})", header[channel_at[k]]));
                channel_at.remove(k);
            }
        }
    }
    Ok(Sequences {
        channels: channel_at.iter().map(|&i| header[i].clone()).collect(),
        classes,
        items,
        ids,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: &str = "# a comment\n@problemName Toy\n@timeStamps false\n@univariate false\n\
        @dimensions 2\n@equalLength false\n@classLabel true up down\n@data\n\
        1,2,3:4,5,6:up\n7,?:8,9:down\n";

    #[test]
    fn ts_unequal_lengths_and_missing_values() {
        let s = parse_ts(TS, Path::new("toy.ts")).unwrap();
        assert_eq!(s.classes, ["up", "down"]);
        assert_eq!(s.channels, ["dim_0", "dim_1"]);
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].values, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(s.items[0].label, 0);
        assert_eq!(s.items[1].steps(2), 2);
        assert!(s.items[1].values[2].is_nan());
        assert_eq!(s.items[1].label, 1);
    }

    #[test]
    fn ts_errors_name_the_line() {
        let bad = [
            (
                TS.replace("7,?:8,9:down", "7,x:8,9:down"),
                "toy.ts:10: channel 0: \"x\" is not a number",
            ),
            (
                TS.replace("7,?:8,9:down", "7,1:8,9:left"),
                "toy.ts:10: label \"left\" is not declared",
            ),
            (
                TS.replace("7,?:8,9:down", "7,1:8:down"),
                "toy.ts:10: the channels have different lengths",
            ),
            (
                TS.replace("7,?:8,9:down", "7,1:down"),
                "toy.ts:10: 1 channels, the file has 2",
            ),
            (
                TS.replace("7,?:8,9:down", "down"),
                "toy.ts:10: no channel values before the label",
            ),
            (
                TS.replace("@classLabel true up down", "@classLabel false"),
                "toy.ts:7: the file has no class labels",
            ),
            (
                TS.replace("@timeStamps false", "@timeStamps true"),
                "toy.ts:3: time-stamped",
            ),
            (
                TS.replace("@equalLength false", "@equalLength true"),
                "toy.ts: @equalLength true, but",
            ),
        ];
        for (text, want) in bad {
            let e = parse_ts(&text, Path::new("toy.ts"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{e}");
        }
    }

    const ID_LABEL: CsvColumns<'static> = CsvColumns {
        id: "id",
        label: "label",
        channels: None,
        ignore: &[],
    };

    #[test]
    fn csv_channels_leave_out_times_counters_ids_and_text_unless_named() {
        let dir = std::env::temp_dir().join(format!("nowcast-seqc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s.csv");
        // 12 rows of sequence `a`: `index` counts them, `NO` (nitric oxide) is named like a
        // counter but does not count, `sample` is a step index, `subject` one number per
        // sequence, `Id` (a motor's d-axis current) named like an id but varying.
        let mut text = String::from(
            "timestamp,index,id,subject,NO,sample,label,ax,Time (s),ay,temp,note,Id\n",
        );
        for i in 0..12 {
            let ay = if i == 1 {
                "N/A".to_string()
            } else {
                format!("{}", 2 * i + 2)
            };
            let no = [3, 5, 4, 8][i % 4];
            let t = 1_700_000_000 + i;
            text.push_str(&format!(
                "{t},{i},a,7,{no},{i},walk,{},{}.5,{ay},20,ok,{i}.25\n",
                2 * i + 1,
                i
            ));
        }
        std::fs::write(&p, text).unwrap();
        let s = read_sequence_csv(&p, &ID_LABEL).unwrap();
        assert_eq!(s.channels, ["NO", "ax", "ay", "temp", "Id"]);
        assert_eq!(s.ids, ["a"]);
        assert_eq!(
            s.left_out,
            [
                "`timestamp` (a time)",
                "`Time (s)` (a time)",
                "`note` (text)",
                "`sample` (a row counter)",
                "`subject` (an id)",
                "`index` (a row counter)",
            ]
        );
        assert_eq!(s.items[0].values[..4], [3.0, 1.0, 2.0, 20.0]);
        assert!(s.items[0].values[7].is_nan());
        let ignore = ["temp".to_string()];
        let s = read_sequence_csv(
            &p,
            &CsvColumns {
                ignore: &ignore,
                ..ID_LABEL
            },
        )
        .unwrap();
        assert_eq!(s.channels, ["NO", "ax", "ay", "Id"]);
        let named = ["ay".to_string(), "timestamp".to_string()];
        let s = read_sequence_csv(
            &p,
            &CsvColumns {
                channels: Some(&named),
                ..ID_LABEL
            },
        )
        .unwrap();
        assert_eq!(s.channels, ["ay", "timestamp"]);
        assert!(s.left_out.is_empty());
        assert_eq!(s.items[0].values[..2], [2.0, 1.7e9]);
        let named = ["az".to_string()];
        let e = read_sequence_csv(
            &p,
            &CsvColumns {
                channels: Some(&named),
                ..ID_LABEL
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no column \"az\" (columns: timestamp, index, id"),
            "{e}"
        );
        std::fs::write(&p, "time,id,label\n1,a,walk\n").unwrap();
        let e = read_sequence_csv(&p, &ID_LABEL).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "no channel columns besides the id and the label (left out: `time` (a time); \
                 name them with --features)"
            ),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn csv_layout() {
        let dir = std::env::temp_dir().join(format!("nowcast-seq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s.csv");
        std::fs::write(&p, "id,ax,label,ay\na,1,walk,2\na,3,walk,4\nb,5,run,\n").unwrap();
        let s = read_sequence_csv(&p, &ID_LABEL).unwrap();
        assert_eq!(s.channels, ["ax", "ay"]);
        assert_eq!(s.classes, ["walk", "run"]);
        assert_eq!(s.items[0].values, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.items[1].label, 1);
        assert!(s.items[1].values[1].is_nan());
        std::fs::write(&p, "id,ax,label\na,1,walk\nb,2,run\na,3,walk\n").unwrap();
        let e = read_sequence_csv(&p, &ID_LABEL).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "s.csv:4: sequence \"a\" continues after other sequences: keep its rows together"
            ),
            "{e}"
        );
        std::fs::write(&p, "id,ax,label\na,1,walk\na,2,run\n").unwrap();
        let e = read_sequence_csv(&p, &ID_LABEL).unwrap_err().to_string();
        assert!(
            e.ends_with("s.csv:3: label \"run\" differs from the sequence's first row"),
            "{e}"
        );
        // A text first cell leaves a column out; a later one in a channel is an error.
        std::fs::write(&p, "id,ax,ay,label\na,1,zz,walk\na,zz,1,walk\n").unwrap();
        let e = read_sequence_csv(&p, &ID_LABEL).unwrap_err().to_string();
        assert!(e.ends_with("s.csv:3: ax: \"zz\" is not a number"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
