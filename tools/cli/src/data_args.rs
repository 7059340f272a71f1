//! The data flags shared by `train`, `eval`, `replay` and `quantize`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use nowcast_runtime::Model;
use nowcast_trainer::data::{
    Dataset, DatasetConfig, Duration, LoadConfig, LoadError, Series, WindowSpec,
};

/// Which file, which columns, which windows.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// The sensor CSV (timestamps ISO 8601 with optional milliseconds, Jena `Date Time`, raw
    /// TMY3, EnergyPlus EPW or Campbell TOA5, spreadsheet dates such as `05/01/2023 2:30 PM` or a date and a time
    /// column, `year`/`month`/`day`/`hour` columns, or Unix seconds/milliseconds in a
    /// `time`/`timestamp`/`epoch` column, a count since power-up in `millis` or `seconds`).
    #[arg(long)]
    pub data: PathBuf,
    /// The column to forecast (default for eval/replay: the model's target).
    #[arg(long)]
    pub target: Option<String>,
    /// Input columns (comma-separated; default: every numeric column, the target included).
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Columns to leave out of the default features (not read at all, so text in them is no
    /// error; the target is read all the same).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// A long-format file's name and value columns (`--long sensor,value`: one reading per
    /// row), pivoted to one column per series; Home Assistant's (`entity_id,state`) and
    /// InfluxDB's (`_field,_value`) exports are recognised without it.
    #[arg(long, value_parser = parse_long)]
    pub long: Option<(String, String)>,
    /// Resample onto one row per period first, each row the mean of its bin (`30s`, `5min`,
    /// `1h`, `250ms`, `1d`): for irregular or event-driven logs.
    #[arg(long, value_parser = parse_period)]
    pub resample: Option<i64>,
    /// Start a new segment where this column's value changes (one device's or trip's rows
    /// after another's: the time may start again there).
    #[arg(long)]
    pub segment_column: Option<String>,
    /// The timestamp column, if detection picks the wrong one.
    #[arg(long)]
    pub time_column: Option<String>,
    /// Rows without a time (a logger or serial capture that writes none): one every this
    /// long (`10s`, `1min`, `20ms`), the first at 0; no column is read as the time.
    #[arg(long, value_parser = parse_period, conflicts_with_all = ["time_column", "long"])]
    pub sample_period: Option<i64>,
    /// Skip malformed rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Put the rows in time order first, for exports that are not (a stable sort of the whole
    /// file; daylight-saving repeats in local time stay as they are)
    #[arg(long)]
    pub sort: bool,
    /// Rows per input window (default for eval/replay: the model's).
    #[arg(long)]
    pub lookback: Option<usize>,
    /// Rows between the window's last row and the forecast target (default: the model's).
    #[arg(long)]
    pub delay: Option<usize>,
    /// Use every step-th row of the window (default 1, or the model's).
    #[arg(long)]
    pub step: Option<usize>,
    /// Train, validation and test fractions (chronological).
    #[arg(long, value_delimiter = ',', default_value = "0.6,0.2,0.2")]
    pub split: Vec<f64>,
    /// Seasonal baseline period in rows (default: one day of rows for data sampled more often
    /// than daily, one year of rows for daily and coarser data).
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub season: Option<usize>,
}

/// A loaded series and its dataset.
pub struct Loaded {
    /// The file.
    pub series: Series,
    /// Windows and normalization.
    pub dataset: Dataset,
    /// Seasonal baseline period in rows.
    pub season: usize,
}

impl Loaded {
    /// What was made of the columns used: their missing values, and the ones that do not vary
    /// as `f32` resolves them; `None` if there is nothing to say.
    pub fn data_note(&self) -> Option<String> {
        let d = &self.dataset;
        let mut lines = Vec::new();
        if d.missing_filled() > 0 || d.rows_left_out() > 0 {
            lines.push(format!(
                "missing values in the columns used: {} filled by interpolation (runs of up to 3 rows), {} row(s) left out of every window (in longer runs, or at a segment's first or last row, with no value on one side to interpolate from)",
                d.missing_filled(),
                d.rows_left_out()
            ));
        }
        if !d.unchanged_columns().is_empty() {
            lines.push(format!(
                "left out of the default features, one value (or none) over the training rows: {} (--features keeps them)",
                nowcast_trainer::data::list(d.unchanged_columns())
            ));
        }
        if d.filled_targets() > 0 {
            lines.push(format!(
                "targets filled in, not read (rows interpolated into gaps, missing target values interpolated): {} row(s), no window is trained or scored on them",
                d.filled_targets()
            ));
        }
        if !d.sparse_columns().is_empty() {
            lines.push(format!(
                "left out of the default features, missing in more than half of the training rows: {} (--features keeps them)",
                nowcast_trainer::data::list(d.sparse_columns())
            ));
        }
        let target = &d.normalization().target.name;
        for (name, mean, std) in d.flat_channels() {
            let role = if name == target {
                "the target"
            } else {
                "input"
            };
            // (Below a billionth of the mean, a spread is the sum's rounding: a constant.)
            let why = if *std <= 1e-9 * mean.abs() {
                "is constant over the training rows (a stuck or disconnected sensor?)".to_string()
            } else {
                format!(
                    "varies by {} around {} over the training rows, finer than float32 (what the model computes in, here and on a device) resolves: subtract an offset from it, or use its differences",
                    crate::train::figure(*std),
                    crate::train::figure(*mean)
                )
            };
            lines.push(format!(
                "{role} `{name}` {why}; the model sees a constant there"
            ));
        }
        for g in d.growing_channels() {
            let (role, instead) = if g.name == *target {
                ("the target", "forecast its change per row instead")
            } else {
                ("input", "feed its change per row instead")
            };
            let resets = match g.resets {
                0 => String::new(),
                1 => " but once (a reset)".to_string(),
                n => format!(" but {n} times (resets)"),
            };
            let levels = if g.later_max > g.train_max {
                format!(
                    "Its later rows reach {}, past the training rows' largest {}, levels the model never trained on",
                    crate::train::figure(g.later_max),
                    crate::train::figure(g.train_max)
                )
            } else {
                "Its level mostly says how long it has counted".to_string()
            };
            lines.push(format!(
                "{role} `{}` never goes down{resets}: a cumulative counter? {levels}; {instead} (take the differences in the CSV, and on the device)",
                g.name
            ));
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

/// A period as `--resample` takes it: a positive number and a unit (`ms`, `s`, `min` or `m`,
/// `h`, `d`), in milliseconds.
pub fn parse_period(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let ms_per = match unit.trim() {
        "ms" => 1.0,
        "s" | "sec" => 1e3,
        "m" | "min" => 60e3,
        "h" => 3600e3,
        "d" => 86_400e3,
        _ => {
            return Err(format!(
                "{text:?}: a number and a unit: ms, s, min, h or d (`5min`)"
            ));
        }
    };
    let ms = number.parse::<f64>().map(|n| n * ms_per);
    match ms {
        Ok(ms) if ms >= 1.0 && ms.fract() == 0.0 && ms < 1e15 => Ok(ms as i64),
        _ => Err(format!(
            "{text:?}: a whole number of milliseconds, at least 1"
        )),
    }
}

/// `--long`'s two column names.
pub fn parse_long(text: &str) -> Result<(String, String), String> {
    match text.split_once(',') {
        Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!(
            "{text:?}: the name column and the value column, as `sensor,value`"
        )),
    }
}

/// A period in milliseconds as `--resample` takes it, in the largest unit that divides it.
fn period_arg(ms: i64) -> String {
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    match units.iter().find(|(per, _)| ms % per == 0) {
        Some((per, unit)) => format!("{}{unit}", ms / per),
        None => format!("{ms}ms"),
    }
}

/// For a file without a time column read for a model with a sample period: that rows without
/// a time are read with `--sample-period`, and the model's; else nothing.
pub fn model_period_hint(e: &LoadError, model: &Model<'_>) -> String {
    let ms = i64::try_from(model.sample_period_ms()).unwrap_or(0);
    match e {
        LoadError::NoTimestampColumn { .. } if ms > 0 => format!(
            " (for rows without a time at the model's period: --sample-period {})",
            period_arg(ms)
        ),
        _ => String::new(),
    }
}

/// Refuses data whose sample period is not the model's (within 2%, and from 20 ms up within
/// 1 ms at least: the median spacing of a jittery logger's millisecond timestamps moves by
/// that much from file to file): lookback and delay count rows, so another period would be
/// another model. A model without a period (0) takes any data.
pub fn check_period(series: &Series, model: &Model<'_>, path: &Path) -> Result<()> {
    let data_ms = series.report().period_ms;
    let model_ms = i64::try_from(model.sample_period_ms()).unwrap_or(i64::MAX);
    let tolerance = (model_ms / 50).max(i64::from(model_ms >= 20));
    if model_ms > 0 && data_ms.abs_diff(model_ms) > tolerance.unsigned_abs() {
        bail!(
            "{} has one row every {}, the model was trained on one every {}: its lookback and \
             delay count rows (resample the data to the model's period: --resample {})",
            path.display(),
            Duration(data_ms),
            Duration(model_ms),
            period_arg(model_ms),
        );
    }
    Ok(())
}

impl DataArgs {
    /// Refuses a target, features or window given for a model that are not the model's: the
    /// figures would be of another forecast than the one it makes.
    fn check_against(&self, m: &Model<'_>) -> Result<()> {
        let differs = |flag: &str, given: String, model: String| {
            anyhow::anyhow!(
                "--{flag} {given} is not the model's ({model}): leave it out to use the model's"
            )
        };
        if let Some(t) = &self.target
            && m.targets().first().is_none_or(|mt| mt != t)
        {
            let names: Vec<&str> = m.targets().iter().collect();
            return Err(differs("target", t.clone(), names.join(", ")));
        }
        if let Some(f) = &self.features
            && !f.iter().map(String::as_str).eq(m.features().iter())
        {
            let names: Vec<&str> = m.features().iter().collect();
            return Err(differs("features", f.join(","), names.join(",")));
        }
        let windows = [
            ("lookback", self.lookback, m.lookback() as usize),
            ("delay", self.delay, m.delay() as usize),
            ("step", self.step, m.step().max(1) as usize),
        ];
        for (flag, given, model) in windows {
            if let Some(v) = given.filter(|&v| v != model) {
                return Err(differs(flag, v.to_string(), model.to_string()));
            }
        }
        Ok(())
    }

    /// Loads the file and prepares the windows; missing window settings, target and features
    /// come from `model` (eval, replay) or are an error (train).
    pub fn load(&self, model: Option<&Model<'_>>) -> Result<Loaded> {
        self.load_with(model, true)
    }

    /// [`load`](Self::load) for scoring `model` only (`nowcast eval`): any split may be empty,
    /// `--split 0,0,1` scores the whole file.
    pub fn load_to_score(&self, model: &Model<'_>) -> Result<Loaded> {
        self.load_with(Some(model), false)
    }

    fn load_with(&self, model: Option<&Model<'_>>, require_train: bool) -> Result<Loaded> {
        if let Some(m) = model {
            self.check_against(m)?;
        }
        let target = match (&self.target, model) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(m)) => Some(
                m.targets()
                    .first()
                    .map(|s| s.to_string())
                    .context("the model names no target")?,
            ),
            (None, None) => None,
        };
        let pick = |v: Option<usize>, from_model: Option<usize>, flag: &str| -> Result<usize> {
            v.or(from_model)
                .with_context(|| format!("--{flag} is required"))
        };
        let lookback = pick(
            self.lookback,
            model.map(|m| m.lookback() as usize),
            "lookback",
        )?;
        let delay = pick(self.delay, model.map(|m| m.delay() as usize), "delay")?;
        let step = self
            .step
            .or(model.map(|m| m.step().max(1) as usize))
            .unwrap_or(1);
        let features = self
            .features
            .clone()
            .or_else(|| model.map(|m| m.features().iter().map(|s| s.to_string()).collect()));
        let config = LoadConfig {
            timestamp_column: self.time_column.clone(),
            segment_column: self.segment_column.clone(),
            skip_bad_rows: self.skip_bad_rows,
            sort_by_time: self.sort,
            resample_ms: self.resample,
            long_format: self.long.clone(),
            sample_period_ms: self.sample_period,
            // (An ignored target is left out of the inputs, not unread: it is the target.)
            ignore_columns: (self.ignore.iter())
                .filter(|c| target.as_ref() != Some(*c))
                .cloned()
                .collect(),
            // With the features and the target named, only they are read (without a target, the
            // file's numeric columns are the candidates for it).
            only_columns: (features.as_ref().zip(target.as_ref()))
                .map(|(f, t)| f.iter().chain([t]).cloned().collect()),
        };
        let series = Series::load(&self.data, &config).map_err(|e| {
            // A bad row stops the load unless bad rows are skipped: say so, and that a column
            // other than the target can be left out instead.
            let column = match &e {
                LoadError::NotANumber { column, .. }
                    if target.as_ref() != Some(column)
                        && !features.as_ref().is_some_and(|f| f.contains(column)) =>
                {
                    format!(" (`--ignore {column}` leaves that column out unread; ")
                }
                _ => " (".to_string(),
            };
            let hint = if e.row_line().is_some() && !self.skip_bad_rows {
                format!(
                    "{column}--skip-bad-rows leaves such rows out and lists them; gaps of up to 4 periods are then interpolated)"
                )
            } else {
                model.map_or_else(String::new, |m| model_period_hint(&e, m))
            };
            anyhow::Error::new(e).context(format!("loading {}{hint}", self.data.display()))
        })?;
        if let Some(model) = model {
            check_period(&series, model, &self.data)?;
        }
        // Without --target, a file's only numeric column (besides the time, row counters,
        // unnamed columns and the segment column) is the target.
        let report = series.report();
        let candidates: Vec<&String> = (series.columns().iter())
            .filter(|c| {
                !report.counter_columns.contains(c)
                    && !report.clock_columns.contains(c)
                    && !report.flag_columns.contains(c)
                    && !report.unnamed_columns.contains(c)
                    && report.segment_column.as_ref() != Some(c)
            })
            .collect();
        let target = match (target, &candidates[..]) {
            (Some(t), _) => t,
            (None, [only]) => {
                eprintln!("target `{only}`, the only numeric column");
                (*only).clone()
            }
            (None, []) => bail!(
                "--target is required, and {} has no numeric column to forecast",
                self.data.display()
            ),
            (None, columns) => {
                let names: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
                bail!(
                    "--target is required: the column to forecast, one of {}",
                    names.join(", ")
                )
            }
        };
        let [a, b, c] = self.split[..] else {
            bail!("--split needs three fractions, e.g. 0.6,0.2,0.2")
        };
        let mut dc = DatasetConfig::new(target, WindowSpec::new(lookback, delay, step)?);
        dc.features = features;
        dc.ignore = self.ignore.clone();
        dc.split = [a, b, c];
        dc.require_train = require_train;
        let dataset = Dataset::new(&series, &dc)?;
        let period_ms = series.report().period_ms.max(1) as usize;
        let season = self.season.unwrap_or_else(|| default_season(period_ms));
        Ok(Loaded {
            series,
            dataset,
            season,
        })
    }
}

/// The seasonal baseline's default period in rows for a sample period: a day of rows for data
/// sampled more often than daily (the daily cycle), a year of rows (365.25 days, rounded) for
/// daily and coarser data (365 for daily, 52 for weekly, 12 for monthly rows); at least 1.
pub(crate) fn default_season(period_ms: usize) -> usize {
    const DAY_MS: usize = 86_400_000;
    let period = period_ms.max(1);
    match period < DAY_MS {
        true => DAY_MS / period,
        false => (365.25 * DAY_MS as f64 / period as f64).round() as usize,
    }
    .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_print_in_their_units() {
        let read = ["250ms", "30s", "5min", "5m", "1.5h", "1d", " 2 h"].map(parse_period);
        let want = [
            250, 30_000, 300_000, 300_000, 5_400_000, 86_400_000, 7_200_000,
        ];
        assert_eq!(read, want.map(Ok));
        for bad in ["5", "0s", "0.5ms", "-1s", "5 parsecs", "s"] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
        let shown = [250, 30_000, 300_000, 5_400_000, 86_400_000].map(period_arg);
        assert_eq!(shown, ["250ms", "30s", "5min", "90min", "1d"]);
    }

    #[test]
    fn the_default_season_is_a_day_or_for_daily_rows_a_year() {
        let day = 86_400_000;
        let seasons = [60_000, 3_600_000, day, 7 * day, 31 * day, 366 * day].map(default_season);
        assert_eq!(seasons, [1440, 24, 365, 52, 12, 1]);
    }
}
