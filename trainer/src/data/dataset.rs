//! The forecasting protocol: feature and target selection, the chronological split and the
//! normalization statistics of the training rows.
//!
//! Conventions:
//! - **Split.** With `N` rows (after gap handling) and fractions `[a, b, c]` (non-negative,
//!   adding up to 1 within [`SPLIT_SUM_TOLERANCE`]): train = rows `0..floor(a N)`, val = the
//!   next `floor(b N)` rows, test = the rest. The floors forgive [`SPLIT_FLOOR_TOLERANCE`] of a
//!   row, so that binary rounding cannot turn `0.6 * 8760 = 5256` into 5255.
//! - **Features.** By default every numeric column except the ignored ones, the segment
//!   column, unnamed ones, row counters, data-quality codes, those that take one value (or
//!   none) over the training rows ([`Dataset::unchanged_columns`]) and those missing in more
//!   than half of them ([`Dataset::sparse_columns`]: every window would need a value there),
//!   in file order, the target included. The target need not be a feature.
//! - **Normalization.** Each feature and the target get the mean and the population standard
//!   deviation (divide by `n`) of the training rows, accumulated in `f64`, two passes. A
//!   channel that does not vary as `f32` resolves it ([`flat`]: a standard deviation below
//!   [`MIN_RELATIVE_STD`] of the mean's magnitude, or below [`MIN_STD`]) gets a standard
//!   deviation of 1, and a flat feature one of `max(1, |mean|)`, so that it normalizes to
//!   about 0 on the host as in `f32` on a device (where `x - mean` is 0 or a whole `f32` step
//!   of the mean); such channels are listed ([`Dataset::flat_channels`]).
//!   Normalized values are `(x - mean) / std`, computed in `f64`, then rounded to `f32`.
//! - **Missing values** (`NaN` in the series: empty cells, markers) of the features and the
//!   target: a run of at most `MAX_STEPS_FILLED - 1` (3) rows inside a segment, with a value
//!   on each side, is filled by linear interpolation, as the loader fills missing rows; the
//!   rows of a longer run, or of one at a segment's edge, are left out of the segments (no
//!   window reads them, and the segment goes on after them). Other columns' missing values do
//!   not matter.

use std::fmt;
use std::ops::Range;

use super::error::DatasetError;
use super::gaps::MAX_STEPS_FILLED;
use super::series::Series;
use super::window::{self, WindowSpec};

/// A standard deviation below this is taken as 1 (a constant channel).
pub const MIN_STD: f64 = 1e-30;
/// A standard deviation below this fraction of the mean's magnitude is taken as 1: `f32`, which
/// the models compute in on the host and on a device, steps by 2^-24 to 2^-23 of a value, so
/// such a channel varies by less than one of its steps (1.5e9 ± 10 is one value in `f32`;
/// 10,000,000 ± 3 Hz, in whole hertz, is seven).
pub const MIN_RELATIVE_STD: f64 = 1.0 / 16_777_216.0;

/// Whether a channel of this mean and standard deviation does not vary as `f32` resolves it
/// ([`MIN_STD`], [`MIN_RELATIVE_STD`]; a `NaN` does not vary either).
pub fn flat(mean: f64, std: f64) -> bool {
    !(std >= MIN_STD && std >= MIN_RELATIVE_STD * mean.abs())
}
/// How far from 1 the split fractions may add up.
pub const SPLIT_SUM_TOLERANCE: f64 = 1e-6;
/// How much of a row the split floors forgive.
pub const SPLIT_FLOOR_TOLERANCE: f64 = 1e-9;
/// The Keras chapter's split: 60 % train, 20 % validation, 20 % test.
pub const DEFAULT_SPLIT: [f64; 3] = [0.6, 0.2, 0.2];

/// One of the three chronological parts of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The first rows: training, and the normalization statistics.
    Train,
    /// The next rows: validation (early stopping, model choice).
    Val,
    /// The last rows: the reported test figures.
    Test,
}

impl Split {
    /// All three, in time order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    fn index(self) -> usize {
        match self {
            Self::Train => 0,
            Self::Val => 1,
            Self::Test => 2,
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        })
    }
}

/// How to turn a [`Series`] into a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetConfig {
    /// The column to forecast.
    pub target: String,
    /// The input channels, in this order; `None` takes the default (see the module docs).
    pub features: Option<Vec<String>>,
    /// Columns left out of the default features (any column of the file).
    pub ignore: Vec<String>,
    /// Train, val and test fractions of the rows: non-negative, adding up to 1; train and val
    /// get `floor(fraction * N)` rows, test the rest.
    pub split: [f64; 3],
    /// The window shape.
    pub window: WindowSpec,
    /// Whether an empty training split is an error (it is, but for scoring an exported model,
    /// which carries its own normalization: then the statistics are mean 0 and std 1).
    pub require_train: bool,
}

impl DatasetConfig {
    /// Default features, nothing ignored, the [`DEFAULT_SPLIT`], a training split required.
    pub fn new(target: impl Into<String>, window: WindowSpec) -> Self {
        Self {
            target: target.into(),
            features: None,
            ignore: Vec::new(),
            split: DEFAULT_SPLIT,
            window,
            require_train: true,
        }
    }
}

/// The mean and standard deviation of one channel over the training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    /// The column.
    pub name: String,
    /// Mean of the training rows.
    pub mean: f64,
    /// Population standard deviation of the training rows; if the channel is [`flat`], 1 (the
    /// target) or `max(1, |mean|)` (a feature: see the module docs).
    pub std: f64,
}

impl ChannelStats {
    /// Statistics of the values of `train`, the kept training rows (`NaN`s skipped; mean 0 and
    /// std 1 if there is no value, and then no training window either), and if the channel is
    /// [`flat`], the mean and the standard deviation that was replaced by 1.
    fn of(name: &str, train: &[f64]) -> (Self, Option<(f64, f64)>) {
        let values = || train.iter().filter(|x| !x.is_nan());
        let n = values().count() as f64;
        let (mean, std) = if n > 0.0 {
            let mean = values().sum::<f64>() / n;
            let variance = values().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
            (mean, variance.sqrt())
        } else {
            (0.0, 1.0)
        };
        let stats = Self {
            name: name.to_owned(),
            mean,
            std: if flat(mean, std) { 1.0 } else { std },
        };
        (stats, flat(mean, std).then_some((mean, std)))
    }

    /// `(raw - mean) / std`.
    pub fn normalize(&self, raw: f64) -> f64 {
        (raw - self.mean) / self.std
    }

    /// `normalized * std + mean`: back to the channel's units.
    pub fn denormalize(&self, normalized: f64) -> f64 {
        normalized * self.std + self.mean
    }
}

/// The normalization of a dataset: per feature, and for the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    /// One per feature, in feature order.
    pub features: Vec<ChannelStats>,
    /// The target's (equal to its feature's when the target is a feature).
    pub target: ChannelStats,
}

/// A series prepared for training: normalized features, the target, the split and the valid
/// windows of each split.
///
/// - **Split.** With `N` rows and fractions `[a, b, c]`: train = rows `0..floor(a N)`, val =
///   the next `floor(b N)` rows, test = the rest ([`DatasetConfig::split`]).
/// - **Features.** By default every numeric column except the ignored ones, the segment
///   column and those left out as the module docs say, in file order, the target included.
/// - **Normalization.** Mean and population standard deviation (divide by `n`) of the training
///   rows, in `f64`; a [`flat`] channel's standard deviation is taken as 1.
///
/// A window starting at row `s` reads rows `s, s + step, ...` below `s + lookback` and predicts
/// the target at row `s + lookback - 1 + delay` ([`WindowSpec`]); it is valid iff `s` and the
/// target row are in the same split and the same segment (so every row between is too).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    features: Vec<String>,
    /// Normalized, row-major: `inputs[row * features.len() + channel]`.
    pub(super) inputs: Vec<f32>,
    /// Raw feature values as `f32` (what a device reads), row-major like `inputs`.
    raw: Vec<f32>,
    /// The target in its own units, one per row.
    pub(super) target: Vec<f64>,
    segments: Vec<Range<usize>>,
    splits: [Range<usize>; 3],
    pub(super) window: WindowSpec,
    /// Valid window starts of each split, ascending.
    pub(super) starts: [Vec<usize>; 3],
    pub(super) normalization: Normalization,
    missing_filled: usize,
    rows_left_out: usize,
    /// The [`flat`] features and target: name, mean, standard deviation.
    flat: Vec<(String, f64, f64)>,
    /// The features and target that only go up ([`Growing`]).
    growing: Vec<Growing>,
    /// Default features left out: they do not change over the training rows.
    unchanged: Vec<String>,
    /// Default features left out: missing in more than half of the training rows.
    sparse: Vec<String>,
    /// Per row: its target was filled in (a row interpolated into a gap, or a missing target
    /// value interpolated), so no window is trained or scored on it.
    filled_target: Vec<bool>,
}

/// A feature or the target that never goes down from row to row but for a few resets: a
/// cumulative counter (an energy or water meter's register, a rain gauge's total, an odometer).
/// Its level mostly says how long it has counted, and its later rows usually go past the
/// training rows' largest value, levels the models never trained on; its change per row is what
/// they can learn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Growing {
    /// The column.
    pub name: String,
    /// Steps down from one row to the next (a counter's resets), at most [`Growing::MAX_RESETS`]
    /// per thousand steps.
    pub resets: usize,
    /// The largest value of the training rows.
    pub train_max: f64,
    /// The largest value of the rows after them (validation and test).
    pub later_max: f64,
}

impl Growing {
    /// Steps between rows (both values present, in one segment) a column needs to be judged:
    /// a smooth sensor can rise without a step down for a few hundred rows.
    pub const MIN_STEPS: usize = 500;
    /// Steps down allowed per thousand steps (resets), at least one in all.
    pub const MAX_RESETS: usize = 1;
    /// Of the steps, at least one in this many goes up (a tipping-bucket total rises rarely).
    pub const RISE_EVERY: usize = 100;

    /// `values` judged over the rows of `segments`, the training rows `train`.
    fn of(
        name: &str,
        values: &[f64],
        segments: &[Range<usize>],
        train: &Range<usize>,
    ) -> Option<Self> {
        let (mut ups, mut downs, mut steps) = (0usize, 0usize, 0usize);
        let (mut train_max, mut later_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for s in segments {
            for r in s.clone() {
                let v = values[r];
                if v.is_nan() {
                    continue;
                }
                if train.contains(&r) {
                    train_max = train_max.max(v);
                } else if r >= train.end {
                    later_max = later_max.max(v);
                }
                let Some(&before) = r
                    .checked_sub(1)
                    .filter(|&p| p >= s.start)
                    .map(|p| &values[p])
                else {
                    continue;
                };
                if before.is_nan() {
                    continue;
                }
                steps += 1;
                ups += usize::from(v > before);
                downs += usize::from(v < before);
            }
        }
        let few_downs = downs <= (Self::MAX_RESETS * steps / 1000).max(1);
        let growing = steps >= Self::MIN_STEPS && few_downs && ups * Self::RISE_EVERY >= steps;
        growing.then(|| Growing {
            name: name.to_owned(),
            resets: downs,
            train_max,
            later_max,
        })
    }
}

/// Fills the short runs of missing values (`NaN`) of `columns` inside each segment and returns
/// the segments without the rows still missing a value (see the module docs), and how many
/// values were filled.
fn fill_missing(columns: &mut [Vec<f64>], segments: &[Range<usize>]) -> (Vec<Range<usize>>, usize) {
    let mut filled = 0;
    let max_run = (MAX_STEPS_FILLED - 1) as usize;
    for segment in segments {
        for column in columns.iter_mut() {
            let mut i = segment.start;
            while i < segment.end {
                if !column[i].is_nan() {
                    i += 1;
                    continue;
                }
                let run = i..(i..segment.end)
                    .find(|&j| !column[j].is_nan())
                    .unwrap_or(segment.end);
                if run.start > segment.start && run.end < segment.end && run.len() <= max_run {
                    let (before, after) = (column[run.start - 1], column[run.end]);
                    let steps = (run.len() + 1) as f64;
                    for (j, row) in run.clone().enumerate() {
                        let (w_before, w_after) = (steps - (j + 1) as f64, (j + 1) as f64);
                        column[row] = (before * w_before + after * w_after) / steps;
                    }
                    filled += run.len();
                }
                i = run.end;
            }
        }
    }
    let complete = |row: usize| columns.iter().all(|c| !c[row].is_nan());
    let mut kept = Vec::new();
    for segment in segments {
        let mut row = segment.start;
        while row < segment.end {
            if !complete(row) {
                row += 1;
                continue;
            }
            let end = (row..segment.end)
                .find(|&r| !complete(r))
                .unwrap_or(segment.end);
            kept.push(row..end);
            row = end;
        }
    }
    (kept, filled)
}

/// The rows of each split (see the module docs).
fn split_rows(rows: usize, fractions: [f64; 3]) -> Result<[Range<usize>; 3], DatasetError> {
    let valid = fractions.iter().all(|f| f.is_finite() && *f >= 0.0)
        && (fractions.iter().sum::<f64>() - 1.0).abs() <= SPLIT_SUM_TOLERANCE;
    if !valid {
        return Err(DatasetError::BadSplit { fractions });
    }
    // A fraction in [0, 1 + tolerance] of `rows`: the cast cannot overflow; `min` keeps it in.
    let count = |f: f64| ((f * rows as f64 + SPLIT_FLOOR_TOLERANCE).floor() as usize).min(rows);
    let train = count(fractions[0]);
    let val = count(fractions[1]).min(rows - train);
    Ok([0..train, train..train + val, train + val..rows])
}

/// Why `name` is not a numeric column of `series`: it is a text column, or not in the file.
fn column_error(series: &Series, role: &'static str, name: &str) -> DatasetError {
    let available = series.columns().to_vec();
    let name = name.to_owned();
    let report = series.report();
    if let Some(at) = report.non_numeric_columns.iter().position(|c| *c == name) {
        DatasetError::NotNumeric {
            role,
            name,
            first: report.non_numeric_first.get(at).cloned().flatten(),
            available,
        }
    } else {
        DatasetError::UnknownColumn {
            role,
            name,
            available,
            unread: report.unread_columns.clone(),
        }
    }
}

/// The feature columns: the configured list, checked, or the default.
/// The features ([`DatasetConfig::features`], or by default every numeric column but the
/// ignored, segment, unnamed, row-counter and data-quality ones), and the default ones left out
/// because they do not change over the training rows `train` ([`unchanging`]) or are missing
/// in more than half of them (never the target).
fn select_features(
    series: &Series,
    config: &DatasetConfig,
    train: Range<usize>,
) -> Result<(Vec<String>, [Vec<String>; 2]), DatasetError> {
    let numeric = series.columns();
    let report = series.report();
    let unknown = |role, name: &String| column_error(series, role, name);
    let file_columns = || {
        numeric
            .iter()
            .chain(&report.timestamp_columns)
            .chain(&report.non_numeric_columns)
            .chain(&report.unread_columns)
    };
    for name in &config.ignore {
        if !file_columns().any(|c| c == name) {
            return Err(unknown("ignored", name));
        }
    }
    let (mut unchanged, mut sparse) = (Vec::new(), Vec::new());
    let features = match &config.features {
        Some(list) => {
            for (i, name) in list.iter().enumerate() {
                if !numeric.contains(name) {
                    return Err(unknown("feature", name));
                }
                if list[..i].contains(name) {
                    return Err(DatasetError::DuplicateFeature { name: name.clone() });
                }
            }
            list.clone()
        }
        None => numeric
            .iter()
            .filter(|c| {
                !config.ignore.contains(c)
                    && report.segment_column.as_ref() != Some(c)
                    && !report.unnamed_columns.contains(c)
                    && !report.counter_columns.contains(c)
                    && !report.clock_columns.contains(c)
                    && (**c == config.target || !report.flag_columns.contains(c))
            })
            .filter(|c| {
                let values = series.column(c).and_then(|v| v.get(train.clone()));
                let kept = **c == config.target || train.is_empty();
                let Some(values) = values.filter(|_| !kept) else {
                    return true;
                };
                if unchanging(values) {
                    unchanged.push((*c).clone());
                    return false;
                }
                let missing = values.iter().filter(|v| v.is_nan()).count();
                if 2 * missing > values.len() {
                    sparse.push((*c).clone());
                    return false;
                }
                true
            })
            .cloned()
            .collect(),
    };
    if features.is_empty() {
        return Err(DatasetError::NoFeatures);
    }
    Ok((features, [unchanged, sparse]))
}

/// Whether a column's values (the training rows') are all one value, `NaN`s aside, or all
/// `NaN`: a feature that tells the model nothing there, and that it would meet later at values
/// it never trained on (a stuck or disconnected sensor, snow depth over a summer).
fn unchanging(values: &[f64]) -> bool {
    let mut present = values.iter().filter(|v| !v.is_nan());
    let first = present.next();
    present.all(|v| Some(v) == first)
}

impl Dataset {
    /// Selects, splits and normalizes a series, and finds the valid windows of each split.
    pub fn new(series: &Series, config: &DatasetConfig) -> Result<Self, DatasetError> {
        let target = series
            .column(&config.target)
            .ok_or_else(|| column_error(series, "target", &config.target))?;
        let splits = split_rows(series.len(), config.split)?;
        let (features, [unchanged, sparse]) = select_features(series, config, splits[0].clone())?;
        let train = splits[0].clone();
        if train.is_empty() && config.require_train {
            return Err(DatasetError::EmptyTrainSplit { rows: series.len() });
        }

        // Every feature was checked to be a column of the series. The target last, unless it
        // is a feature.
        let mut columns: Vec<Vec<f64>> = features
            .iter()
            .filter_map(|name| series.column(name))
            .map(<[f64]>::to_vec)
            .collect();
        let target_at = match features.iter().position(|f| *f == config.target) {
            Some(i) => i,
            None => {
                columns.push(target.to_vec());
                columns.len() - 1
            }
        };
        let missing_target: Vec<bool> = columns[target_at].iter().map(|v| v.is_nan()).collect();
        let (segments, missing_filled) = fill_missing(&mut columns, series.segments());
        // Targets that are not readings: missing target values interpolated, and rows the
        // loader interpolated into gaps.
        let mut filled_target: Vec<bool> = (missing_target.iter().zip(&columns[target_at]))
            .map(|(&missing, v)| missing && !v.is_nan())
            .collect();
        for &row in series.interpolated() {
            filled_target[row] = true;
        }
        let in_segments = |s: &[Range<usize>]| s.iter().map(Range::len).sum::<usize>();
        let rows_left_out = in_segments(series.segments()) - in_segments(&segments);
        let target = columns[target_at].clone();
        columns.truncate(features.len());
        // The training rows that are in a segment (not those left out).
        let kept = |values: &[f64]| -> Vec<f64> {
            let rows = segments
                .iter()
                .flat_map(|s| s.start.max(train.start)..s.end.min(train.end));
            rows.map(|r| values[r]).collect()
        };
        let mut flat: Vec<(String, f64, f64)> = Vec::new();
        let mut stats_of = |name: &str, values: &[f64], feature: bool| {
            let (mut stats, replaced) = ChannelStats::of(name, &kept(values));
            if feature && replaced.is_some() {
                stats.std = stats.mean.abs().max(1.0);
            }
            // (The target is listed once if it is a feature too.)
            if let Some((mean, std)) = replaced.filter(|_| flat.iter().all(|f| f.0 != name)) {
                flat.push((name.to_owned(), mean, std));
            }
            stats
        };
        let stats: Vec<ChannelStats> = (features.iter().zip(&columns))
            .map(|(name, values)| stats_of(name, values, true))
            .collect();
        let target_stats = stats_of(&config.target, &target, false);
        let mut growing: Vec<Growing> = (features.iter().zip(&columns))
            .filter_map(|(name, values)| Growing::of(name, values, &segments, &train))
            .collect();
        if !features.contains(&config.target)
            && let Some(g) = Growing::of(&config.target, &target, &segments, &train)
        {
            growing.push(g);
        }
        let mut inputs = Vec::with_capacity(series.len() * features.len());
        let mut raw = Vec::with_capacity(series.len() * features.len());
        for row in 0..series.len() {
            for (values, stats) in columns.iter().zip(&stats) {
                inputs.push(stats.normalize(values[row]) as f32);
                raw.push(values[row] as f32);
            }
        }

        let window = config.window;
        let offset = window.target_offset();
        let starts = splits.clone().map(|rows| {
            let mut starts = window::valid_starts(&segments, rows, window);
            starts.retain(|&s| !filled_target[s + offset]);
            starts
        });
        Ok(Self {
            normalization: Normalization {
                features: stats,
                target: target_stats,
            },
            flat,
            growing,
            unchanged,
            sparse,
            filled_target,
            features,
            inputs,
            raw,
            target,
            segments,
            missing_filled,
            rows_left_out,
            splits,
            window,
            starts,
        })
    }

    /// The features and the target that do not vary over the training rows as `f32` resolves
    /// them ([`flat`]; the models see a constant there): name, mean and standard deviation.
    pub fn flat_channels(&self) -> &[(String, f64, f64)] {
        &self.flat
    }

    /// The numeric columns left out of the default features because they take one value over
    /// the training rows (or none: all missing there), in file order. Never the target; named
    /// features are kept whatever they do.
    pub fn unchanged_columns(&self) -> &[String] {
        &self.unchanged
    }

    /// The numeric columns left out of the default features because they are missing in more
    /// than half of the training rows (each window needs a value, filled or read, in every
    /// feature), in file order. Never the target; named features are kept.
    pub fn sparse_columns(&self) -> &[String] {
        &self.sparse
    }

    /// Whether row `row`'s target is filled in, not read: a row the loader interpolated into
    /// a gap, or a missing target value interpolated. No window has such a target (they would
    /// train and score the model on a straight line between readings); a streamed forecast of
    /// one is not scored either.
    pub fn target_is_filled(&self, row: usize) -> bool {
        self.filled_target.get(row).copied().unwrap_or(false)
    }

    /// How many rows' targets are filled in ([`target_is_filled`](Self::target_is_filled)).
    pub fn filled_targets(&self) -> usize {
        self.filled_target.iter().filter(|&&f| f).count()
    }

    /// The features and the target that only go up ([`Growing`]: cumulative counters),
    /// features first.
    pub fn growing_channels(&self) -> &[Growing] {
        &self.growing
    }

    /// The input channels, in the order of the batch's channel axis.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The window shape.
    pub fn window(&self) -> WindowSpec {
        self.window
    }

    /// Rows in all.
    pub fn rows(&self) -> usize {
        self.target.len()
    }

    /// The rows of one split.
    pub fn split_rows(&self, split: Split) -> Range<usize> {
        self.splits[split.index()].clone()
    }

    /// The rows of one split inside the segments (those left out between segments are not
    /// counted), every `every`-th from each segment's first in the split (1: all of them):
    /// what streaming the split at that sampling step feeds.
    pub fn segment_rows(&self, split: Split, every: usize) -> usize {
        let rows = self.split_rows(split);
        (self.segments.iter())
            .map(|s| s.end.min(rows.end).saturating_sub(s.start.max(rows.start)))
            .map(|n| n.div_ceil(every.max(1)))
            .sum()
    }

    /// The segments of the series (contiguous, in order; the rows between them, if any, are
    /// left out: values missing in a run longer than the loader fills).
    pub fn segments(&self) -> &[Range<usize>] {
        &self.segments
    }

    /// The valid window starts of one split, ascending.
    pub fn window_starts(&self, split: Split) -> &[usize] {
        &self.starts[split.index()]
    }

    /// The normalization statistics (from the training rows).
    pub fn normalization(&self) -> &Normalization {
        &self.normalization
    }

    /// The raw feature values of one row, as `f32` (in the order of [`Dataset::features`]):
    /// what a device would read, before the model's own normalization.
    pub fn raw_row(&self, row: usize) -> &[f32] {
        let n = self.features.len();
        self.raw.get(row * n..(row + 1) * n).unwrap_or(&[])
    }

    /// The normalized feature values of one row (what the model's first layer sees), in the
    /// order of [`Dataset::features`].
    pub fn input_row(&self, row: usize) -> &[f32] {
        let n = self.features.len();
        self.inputs.get(row * n..(row + 1) * n).unwrap_or(&[])
    }

    /// The raw rows of the window starting at `start` (every `step`-th of its `lookback` rows),
    /// time-major, into `out` (cleared first): the input `Model::window` takes.
    pub fn raw_window_into(&self, start: usize, out: &mut Vec<f32>) {
        let w = self.window();
        out.clear();
        for row in (start..start + w.lookback()).step_by(w.step()) {
            out.extend_from_slice(self.raw_row(row));
        }
    }

    /// The target of every row, in its own units.
    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// How many missing values of the features and the target were filled by interpolation.
    pub fn missing_filled(&self) -> usize {
        self.missing_filled
    }

    /// How many rows are in no segment: a feature or the target is missing there for longer
    /// than is filled (see the module docs).
    pub fn rows_left_out(&self) -> usize {
        self.rows_left_out
    }

    /// The segment containing `row`, if the row exists and is in one.
    pub fn segment_of(&self, row: usize) -> Option<&Range<usize>> {
        let i = self.segments.partition_point(|s| s.end <= row);
        self.segments.get(i).filter(|s| s.contains(&row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LoadConfig;

    /// Hourly rows `t,a,b,c` with `a = i`, `b = 2` (constant), `c = i * i`.
    fn series(rows: usize) -> Series {
        assert!(rows <= 24, "one day of hours at most");
        let mut text = String::from("t,a,b,c,note\n");
        for i in 0..rows {
            text.push_str(&format!("2021-01-01T{i:02}:00:00Z,{i},2,{},n\n", i * i));
        }
        Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap()
    }

    fn window(lookback: usize, delay: usize, step: usize) -> WindowSpec {
        WindowSpec::new(lookback, delay, step).unwrap()
    }

    /// Rows at a 15-minute period of `columns(i)` under the header `timestamp,<names>`.
    fn logged(rows: usize, names: &str, columns: impl Fn(usize) -> String) -> Series {
        let mut text = format!("timestamp,{names}\n");
        for i in 0..rows {
            text.push_str(&format!("{},{}\n", 1_700_000_000 + 900 * i, columns(i)));
        }
        Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap()
    }

    #[test]
    fn a_second_clock_is_no_default_feature() {
        // A phone sensor app's file: `time` in nanoseconds and the seconds since it started.
        let series = logged(40, "seconds_elapsed,accel,warming", |i| {
            format!("{},{},{}", i * 900, (i % 5) as f64 * 0.1, i as f64 * 0.5)
        });
        assert_eq!(series.report().clock_columns, ["seconds_elapsed"]);
        let dataset = Dataset::new(&series, &DatasetConfig::new("accel", window(4, 1, 1))).unwrap();
        // (A rising reading under another name stays a feature.)
        assert_eq!(dataset.features(), ["accel", "warming"]);
        let mut config = DatasetConfig::new("accel", window(4, 1, 1));
        config.features = Some(vec!["seconds_elapsed".into(), "accel".into()]);
        let dataset = Dataset::new(&series, &config).unwrap();
        assert_eq!(dataset.features(), ["seconds_elapsed", "accel"]);
    }

    #[test]
    fn cumulative_counters_are_found_and_trends_are_not() {
        // A meter register that resets once, a load that it integrates, a warming trend with
        // noise, a daily rain total (resets every 96 rows), and a register on a short log.
        let noise = |i: usize| ((i * 7919) % 13) as f64 / 13.0 - 0.5;
        let load = |i: usize| 1.0 + (i % 96) as f64 / 96.0;
        let register = |i: usize| -> f64 {
            let from = if i >= 450 { 450 } else { 0 };
            (from..i).map(load).sum::<f64>() * 0.25
        };
        let series = logged(1000, "kwh,load,temp,rain", |i| {
            let day = i / 96 * 96;
            format!(
                "{},{},{},{}",
                register(i),
                load(i),
                10.0 + i as f64 * 0.01 + noise(i),
                (day..i).filter(|j| j % 5 == 0).count()
            )
        });
        let config = DatasetConfig::new("load", window(4, 1, 1));
        let dataset = Dataset::new(&series, &config).unwrap();
        let growing = dataset.growing_channels();
        assert_eq!(growing.len(), 1, "{growing:?}");
        assert_eq!((growing[0].name.as_str(), growing[0].resets), ("kwh", 1));
        // Training rows 0..600: after the reset at row 450 the register ends the training rows
        // below its largest before it, and the later rows go past that.
        assert_eq!(growing[0].train_max, register(449));
        assert_eq!(growing[0].later_max, register(999));
        assert!(growing[0].later_max > growing[0].train_max);
        // The register as the target (and not a feature) is found too.
        let mut config = DatasetConfig::new("kwh", window(4, 1, 1));
        config.features = Some(vec!["load".into()]);
        let dataset = Dataset::new(&series, &config).unwrap();
        assert_eq!(dataset.growing_channels().len(), 1);
        assert_eq!(dataset.growing_channels()[0].name, "kwh");
        // Too few steps to judge: 499 (a smooth rise over a short log is no counter).
        let short = logged(500, "kwh,load", |i| format!("{},{}", i * 3, i % 7));
        let dataset = Dataset::new(&short, &DatasetConfig::new("load", window(4, 1, 1))).unwrap();
        assert!(dataset.growing_channels().is_empty());
        let long = logged(501, "kwh,load", |i| format!("{},{}", i * 3, i % 7));
        let dataset = Dataset::new(&long, &DatasetConfig::new("load", window(4, 1, 1))).unwrap();
        assert_eq!(dataset.growing_channels().len(), 1);
    }

    #[test]
    fn split_boundaries() {
        assert_eq!(split_rows(10, [0.6, 0.2, 0.2]), Ok([0..6, 6..8, 8..10]));
        assert_eq!(
            split_rows(8760, [0.6, 0.2, 0.2]),
            Ok([0..5256, 5256..7008, 7008..8760])
        );
        // floor(0.6 * 9) = 5, floor(0.2 * 9) = 1, the rest (3) is test.
        assert_eq!(split_rows(9, [0.6, 0.2, 0.2]), Ok([0..5, 5..6, 6..9]));
        assert_eq!(split_rows(7, [1.0, 0.0, 0.0]), Ok([0..7, 7..7, 7..7]));
        assert_eq!(split_rows(7, [0.5, 0.5, 0.0]), Ok([0..3, 3..6, 6..7]));
        for bad in [[0.6, 0.2, 0.1], [0.6, -0.2, 0.6], [f64::NAN, 0.5, 0.5]] {
            assert!(matches!(
                split_rows(10, bad),
                Err(DatasetError::BadSplit { .. })
            ));
        }
    }

    #[test]
    fn normalization_uses_train_rows_and_population_std() {
        let series = series(10);
        // b is constant over the training rows: no default feature.
        let dataset = Dataset::new(&series, &DatasetConfig::new("a", window(1, 0, 1))).unwrap();
        assert_eq!(
            dataset.features(),
            ["a", "c"],
            "`note` is not numeric, b constant"
        );
        assert_eq!(dataset.unchanged_columns(), ["b"]);
        let mut config = DatasetConfig::new("a", window(1, 0, 1));
        config.features = Some(["a", "b", "c"].map(String::from).to_vec());
        let dataset = Dataset::new(&series, &config).unwrap();
        assert!(dataset.unchanged_columns().is_empty());
        let n = dataset.normalization();
        // Train rows 0..6: a = 0..=5, mean 2.5, population variance 17.5 / 6.
        assert_eq!(n.features[0].mean, 2.5);
        assert_eq!(n.features[0].std, (17.5f64 / 6.0).sqrt());
        // b is constant: flat, a feature, its std taken as max(1, |mean|), so b normalizes to
        // 0, and it is listed.
        assert_eq!((n.features[1].mean, n.features[1].std), (2.0, 2.0));
        assert_eq!(dataset.flat_channels(), [("b".to_string(), 2.0, 0.0)]);
        // c = 0, 1, 4, 9, 16, 25: mean 55 / 6.
        assert_eq!(n.features[2].mean, 55.0 / 6.0);
        assert_eq!(n.target, n.features[0]);
        // Row 9 (a test row): a = 9 normalizes with the train statistics.
        let a9 = dataset.inputs[9 * 3];
        assert_eq!(a9, ((9.0 - 2.5) / (17.5f64 / 6.0).sqrt()) as f32);
        assert_eq!(dataset.inputs[9 * 3 + 1], 0.0);
    }

    #[test]
    fn flat_is_relative_to_what_f32_resolves() {
        // A particle concentration near 2.6e-8 that varies by a tenth of that varies.
        assert!(!flat(2.6e-8, 2.6e-9));
        // 1.5e9 ± 10: one value in f32 (its steps there are 128); an oscillator's 10 MHz ± 3 Hz
        // is whole numbers f32 holds.
        assert!(flat(1.5e9, 10.0));
        assert!(!flat(1.5e9, 5000.0) && !flat(1e7, 2.2));
        assert!(flat(0.0, 0.0) && flat(1.0, f64::NAN) && !flat(0.0, 1e-20));
    }

    #[test]
    fn feature_selection() {
        let series = series(10);
        let mut config = DatasetConfig::new("c", window(1, 0, 1));
        config.ignore = vec!["c".into(), "note".into()];
        let dataset = Dataset::new(&series, &config).unwrap();
        assert_eq!(
            dataset.features(),
            ["a"],
            "the target need not be a feature; b is constant"
        );
        assert_eq!(dataset.normalization().target.name, "c");
        // A target that is constant over the training rows stays (as the target and a feature).
        let b = DatasetConfig::new("b", window(1, 0, 1));
        let dataset = Dataset::new(&series, &b).unwrap();
        assert_eq!(dataset.features(), ["a", "b", "c"]);
        // A column without a value in the training rows is left out too.
        let text = "t,a,b\n2021-01-01T00:00:00,1,\n2021-01-01T01:00:00,2,\n\
                    2021-01-01T02:00:00,3,\n2021-01-01T03:00:00,4,5\n2021-01-01T04:00:00,5,6\n";
        let gappy = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        let mut a = DatasetConfig::new("a", window(1, 0, 1));
        a.split = [0.6, 0.2, 0.2];
        let dataset = Dataset::new(&gappy, &a).unwrap();
        assert_eq!(dataset.unchanged_columns(), ["b"]);
        assert_eq!(dataset.features(), ["a"]);
        // One missing in more than half of the training rows (4 of 6) is left out as sparse;
        // as the target it stays.
        let mut text = String::from("t,a,b\n");
        for (h, b) in ["", "7", "", "8", "", "", "5", "6", "4", "3"]
            .iter()
            .enumerate()
        {
            text += &format!("2021-01-01T{h:02}:00:00,{h},{b}\n");
        }
        let sparse = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        let dataset = Dataset::new(&sparse, &a).unwrap();
        assert_eq!(dataset.sparse_columns(), ["b"]);
        assert!(dataset.unchanged_columns().is_empty());
        assert_eq!(dataset.features(), ["a"]);
        let mut b = a.clone();
        b.target = "b".into();
        assert!(
            Dataset::new(&sparse, &b)
                .unwrap()
                .sparse_columns()
                .is_empty()
        );

        config.features = Some(vec!["b".into(), "a".into()]);
        let dataset = Dataset::new(&series, &config).unwrap();
        assert_eq!(dataset.features(), ["b", "a"]);
        assert_eq!(
            dataset.inputs[3 * 2 + 1],
            dataset.normalization().features[1].normalize(3.0) as f32
        );

        config.features = Some(vec!["a".into(), "nope".into()]);
        let error = Dataset::new(&series, &config).unwrap_err();
        assert_eq!(
            error,
            DatasetError::UnknownColumn {
                role: "feature",
                name: "nope".into(),
                available: vec!["a".into(), "b".into(), "c".into()],
                unread: Vec::new(),
            }
        );
        assert_eq!(
            error.to_string(),
            "unknown feature column `nope`; numeric columns: `a`, `b`, `c`"
        );
        // A text column in the file is named as such.
        config.features = Some(vec!["a".into(), "note".into()]);
        let error = Dataset::new(&series, &config).unwrap_err();
        assert!(
            matches!(&error, DatasetError::NotNumeric { role: "feature", name, .. } if name == "note"),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("the feature column `note` is not numeric")
        );
        let mut text_target = config.clone();
        text_target.target = "note".into();
        assert!(matches!(
            Dataset::new(&series, &text_target),
            Err(DatasetError::NotNumeric { role: "target", .. })
        ));
        config.features = Some(vec!["a".into(), "a".into()]);
        assert!(matches!(
            Dataset::new(&series, &config),
            Err(DatasetError::DuplicateFeature { .. })
        ));
        config.features = Some(vec![]);
        assert_eq!(
            Dataset::new(&series, &config),
            Err(DatasetError::NoFeatures)
        );

        let mut config = DatasetConfig::new("d", window(1, 0, 1));
        assert!(matches!(
            Dataset::new(&series, &config),
            Err(DatasetError::UnknownColumn { role: "target", .. })
        ));
        config.target = "a".into();
        config.ignore = vec!["zz".into()];
        assert!(matches!(
            Dataset::new(&series, &config),
            Err(DatasetError::UnknownColumn {
                role: "ignored",
                ..
            })
        ));
    }

    #[test]
    fn segment_column_is_not_a_default_feature() {
        let text = "t,run,a\n\
                    2021-01-01T00:00:00,1,0\n\
                    2021-01-01T01:00:00,1,1\n\
                    2021-01-01T02:00:00,2,2\n";
        let config = LoadConfig {
            segment_column: Some("run".into()),
            ..LoadConfig::default()
        };
        let series = Series::from_reader(text.as_bytes(), &config).unwrap();
        assert_eq!(series.columns(), ["run", "a"]);
        let dataset = Dataset::new(&series, &DatasetConfig::new("a", window(1, 0, 1))).unwrap();
        assert_eq!(dataset.features(), ["a"]);
    }

    #[test]
    fn empty_train_split() {
        let series = series(3);
        let mut config = DatasetConfig::new("a", window(1, 0, 1));
        config.split = [0.2, 0.4, 0.4];
        assert_eq!(
            Dataset::new(&series, &config),
            Err(DatasetError::EmptyTrainSplit { rows: 3 })
        );
    }

    #[test]
    fn segment_lookup() {
        let text = "t,a\n\
                    2021-01-01T00:00:00,0\n\
                    2021-01-01T01:00:00,1\n\
                    2021-01-01T09:00:00,2\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        let dataset = Dataset::new(&series, &DatasetConfig::new("a", window(1, 0, 1))).unwrap();
        assert_eq!(dataset.segment_of(1), Some(&(0..2)));
        assert_eq!(dataset.segment_of(2), Some(&(2..3)));
        assert_eq!(dataset.segment_of(3), None);
    }

    #[test]
    fn rows_interpolated_into_gaps_are_no_targets() {
        // Hourly, hour 5 not in the file: the loader interpolates it.
        let mut text = String::from("t,a\n");
        for i in (0..12).filter(|&i| i != 5) {
            text.push_str(&format!("2021-01-01T{i:02}:00:00Z,{}\n", i * i));
        }
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.interpolated(), [5]);
        let mut config = DatasetConfig::new("a", window(2, 1, 1));
        config.split = [1.0, 0.0, 0.0];
        let d = Dataset::new(&series, &config).unwrap();
        // Targets at start + 2: the window at 3 (target 5) is left out; row 5 stays an input.
        assert_eq!(d.window_starts(Split::Train), [0, 1, 2, 4, 5, 6, 7, 8, 9]);
        assert_eq!(d.filled_targets(), 1);
        assert_eq!(d.raw_row(5), [(16.0 + 36.0) / 2.0]);
    }

    #[test]
    // A list of one segment is meant, not a range of rows.
    #[allow(clippy::single_range_in_vec_init)]
    fn missing_values_of_the_columns_used_are_filled_or_left_out() {
        // Hourly rows: `a` misses 3 rows (2-4) and then 4 (10-13), `b` its first row and
        // `c` is missing everywhere but row 0 (and not used).
        let mut text = String::from("t,a,b,c\n");
        for i in 0..20 {
            let a = match i {
                2..=4 | 10..=13 => String::new(),
                _ => format!("{}", 2 * i),
            };
            let b = if i == 0 {
                "NA".to_owned()
            } else {
                format!("{i}")
            };
            let c = if i == 0 { "1" } else { "" };
            text.push_str(&format!("2021-01-01T{i:02}:00:00Z,{a},{b},{c}\n"));
        }
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.segments(), [0..20]);
        let mut config = DatasetConfig::new("a", window(2, 1, 1));
        config.features = Some(vec!["a".into(), "b".into()]);
        config.split = [1.0, 0.0, 0.0];
        let d = Dataset::new(&series, &config).unwrap();
        // Rows 2-4 filled on the line from row 1 to row 5; row 0 (no `b`) and rows 10-13 out.
        assert_eq!(d.missing_filled(), 3);
        assert_eq!(d.rows_left_out(), 5);
        assert_eq!(d.segments(), [1..10, 14..20]);
        // All 20 rows are the training split; 15 of them are streamed.
        assert_eq!(
            (d.split_rows(Split::Train), d.segment_rows(Split::Train, 1)),
            (0..20, 15)
        );
        assert_eq!(d.segment_rows(Split::Val, 1), 0);
        // Every third row from each segment's first: rows 1, 4, 7 and 14, 17.
        assert_eq!(d.segment_rows(Split::Train, 3), 5);
        assert_eq!(
            &d.target()[1..10],
            [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
        );
        assert_eq!(d.raw_row(3), [6.0, 3.0]);
        assert_eq!(d.segment_of(0), None);
        assert_eq!(d.segment_of(11), None);
        // Windows (2 rows and the next) only inside the kept rows, and none whose target (rows
        // 2-4) was filled in: not 1 and 2.
        let starts = d.window_starts(Split::Train);
        assert_eq!(starts, [3, 4, 5, 6, 7, 14, 15, 16, 17]);
        assert_eq!(d.filled_targets(), 3);
        assert!(d.target_is_filled(2) && d.target_is_filled(4) && !d.target_is_filled(5));
        // Statistics over the kept rows only (the filled ones among them): 1-9 and 14-19.
        let kept = || (1..10).chain(14..20).map(f64::from);
        let mean = kept().map(|i| 2.0 * i).sum::<f64>() / 15.0;
        assert!((d.normalization().target.mean - mean).abs() < 1e-12);
        let b_mean = kept().sum::<f64>() / 15.0;
        assert!((d.normalization().features[1].mean - b_mean).abs() < 1e-12);
        // A column not used (`c`) does not matter: `b` alone loses only row 0.
        let mut config = DatasetConfig::new("b", window(2, 1, 1));
        config.features = Some(vec!["b".into()]);
        let d = Dataset::new(&series, &config).unwrap();
        assert_eq!((d.missing_filled(), d.rows_left_out()), (0, 1));
        assert_eq!(d.segments(), [1..20]);
    }
}
