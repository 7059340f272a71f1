//! `nowcast eval` and `nowcast replay`: an exported model on a CSV, through the runtime.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use nowcast_runtime::{AlignedBytes, Model, Stepper};
use nowcast_trainer::data::list;
use nowcast_trainer::export;
use serde::Serialize;

use crate::classify::SequenceColumns;
use crate::data_args::DataArgs;
use crate::train::{figure, print_scores, score};

/// `nowcast eval` flags.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The model file (.ncm).
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sequences: SequenceColumns,
}

#[derive(Debug, Serialize)]
struct EvalJson {
    val_mae: Option<f64>,
    test_mae: f64,
    stream_val_mae: Option<f64>,
    stream_test_mae: Option<f64>,
    baseline_val_mae: Option<f64>,
    baseline_test_mae: Option<f64>,
    seasonal_val_mae: Option<f64>,
    seasonal_test_mae: Option<f64>,
    season: usize,
    windows: [usize; 2],
    /// Val and test windows the seasonal MAEs are over (fewer than `windows` where a row one
    /// season back is before the file's first or across a gap).
    seasonal_windows: [usize; 2],
    /// The model's window-mode val and test MAE on those windows, where they are not all.
    model_on_seasonal_windows_mae: [Option<f64>; 2],
    /// The same in streaming mode.
    model_on_seasonal_windows_stream_mae: [Option<f64>; 2],
}

fn read_model(path: &std::path::Path) -> Result<AlignedBytes> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(AlignedBytes::new(&bytes))
}

fn load_model<'a>(blob: &'a AlignedBytes, path: &std::path::Path) -> Result<Model<'a>> {
    Model::from_bytes(blob.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: invalid model: {e:?}", path.display()))
}

/// A text classifier (token ids in) is scored by `train` and `quantize --task text` only.
fn refuse_text(model: &Model<'_>, path: &std::path::Path) -> Result<()> {
    if model.vocab().is_some() {
        bail!(
            "{} is a text classifier (it takes token ids): `train` and `quantize --task text` \
             score it; eval and replay take sensor series and sequences",
            path.display()
        );
    }
    Ok(())
}

/// `nowcast eval`.
pub fn eval(a: &EvalArgs) -> Result<()> {
    let blob = read_model(&a.model)?;
    let model = load_model(&blob, &a.model)?;
    refuse_text(&model, &a.model)?;
    if nowcast_trainer::classify::is_classifier(&model) {
        let (blob, data) = (blob.as_bytes(), &a.data.data);
        return crate::classify::eval(blob, &model, data, &a.sequences, a.json);
    }
    let loaded = a.data.load_to_score(&model)?;
    if let Some(note) = loaded.data_note() {
        eprintln!("{note}");
    }
    let s = score(blob.as_bytes(), &loaded)?;
    if a.json {
        let j = EvalJson {
            val_mae: s.val.as_ref().map(|v| v.window),
            test_mae: s.test.window,
            stream_val_mae: s.val.as_ref().and_then(|v| v.stream),
            stream_test_mae: s.test.stream,
            baseline_val_mae: s.baseline[0],
            baseline_test_mae: s.baseline[1],
            seasonal_val_mae: s.seasonal[0],
            seasonal_test_mae: s.seasonal[1],
            season: loaded.season,
            windows: [s.val.as_ref().map_or(0, |v| v.windows), s.test.windows],
            seasonal_windows: s.seasonal_cover.map(|c| c.0),
            model_on_seasonal_windows_mae: s.model_on_seasonal,
            model_on_seasonal_windows_stream_mae: s.model_on_seasonal_stream,
        };
        outln!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        print_scores(&s, &loaded);
    }
    Ok(())
}

/// `nowcast replay` flags.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The model file (.ncm).
    #[arg(long)]
    pub model: PathBuf,
    /// The sensor CSV to stream.
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the forecasts (CSV; `-`: standard output, the summary then on stderr).
    #[arg(long)]
    pub out: PathBuf,
    /// Skip malformed rows instead of stopping.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Put the rows in time order first, for exports that are not.
    #[arg(long)]
    pub sort: bool,
    /// The timestamp column, if detection picks the wrong one.
    #[arg(long)]
    pub time_column: Option<String>,
    /// Rows without a time: one every this long, as `train --sample-period`.
    #[arg(long, value_parser = crate::data_args::parse_period, conflicts_with_all = ["time_column", "long"])]
    pub sample_period: Option<i64>,
    /// Start a new segment where this column's value changes, as `train --segment-column`.
    #[arg(long)]
    pub segment_column: Option<String>,
    /// A long-format file's name and value columns, as `train --long`.
    #[arg(long, value_parser = crate::data_args::parse_long)]
    pub long: Option<(String, String)>,
    /// Resample onto one row per period first, as `train --resample`.
    #[arg(long, value_parser = crate::data_args::parse_period)]
    pub resample: Option<i64>,
    #[command(flatten)]
    pub sequences: SequenceColumns,
}

/// `nowcast replay`: streams every row of the file through a fresh `Stepper`, as a device
/// would see it from power-on, and writes one line per row: the row's time (seconds, with a
/// fraction if it has milliseconds: UTC, or from the logger's start for a count, or for local
/// clock times, `time_local_s`, that clock read as UTC, as the file writes it (summer time
/// after a spring-forward); `time_count_s` for a count since
/// power-up), the
/// forecast made after it (empty while the model has not emitted), and the actual target
/// `delay` rows later (empty past the end or a segment's, or where it is missing). Missing inputs are
/// streamed as `NaN`, which the stepper fills as on a device. Gaps the loader filled or segmented are streamed
/// as they are, without a reset.
pub fn replay(a: &ReplayArgs) -> Result<()> {
    let blob = read_model(&a.model)?;
    let model = load_model(&blob, &a.model)?;
    refuse_text(&model, &a.model)?;
    if nowcast_trainer::classify::is_classifier(&model) {
        return crate::classify::replay(&model, &a.data, &a.sequences, &a.out).map(|_| ());
    }
    let config = nowcast_trainer::data::LoadConfig {
        skip_bad_rows: a.skip_bad_rows,
        sort_by_time: a.sort,
        timestamp_column: a.time_column.clone(),
        resample_ms: a.resample,
        long_format: a.long.clone(),
        sample_period_ms: a.sample_period,
        segment_column: a.segment_column.clone(),
        // Only the model's inputs and target are read: text in other columns is no error.
        ignore_columns: Vec::new(),
        only_columns: Some(
            (model.features().iter().chain(model.targets()))
                .map(|c| c.to_string())
                .collect(),
        ),
    };
    let series = nowcast_trainer::data::Series::load(&a.data, &config).map_err(|e| {
        let hint = crate::data_args::model_period_hint(&e, &model);
        anyhow::Error::new(e).context(format!("loading {}{hint}", a.data.display()))
    })?;
    crate::data_args::check_period(&series, &model, &a.data)?;
    let columns: Vec<&[f64]> = model
        .features()
        .iter()
        .map(|f| {
            series.column(f).with_context(|| {
                // (Only the model's inputs are read: the others are named, numeric or not.)
                let names: Vec<String> = (series.columns().iter())
                    .chain(&series.report().unread_columns)
                    .cloned()
                    .collect();
                format!(
                    "the data has no numeric column `{f}`, an input of the model (the file's columns: {})",
                    list(&names)
                )
            })
        })
        .collect::<Result<_>>()?;
    // A file without the target (a model that does not read it as an input) streams
    // forecasts without actuals.
    let target_name = model.targets().first().unwrap_or_default();
    let target = series.column(target_name);
    let delay = model.delay() as usize;
    let mut state = vec![0.0f32; model.state_len()];
    let mut stepper = Stepper::new(&model, &mut state).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // A local clock (no UTC offset in the file) is not a Unix time: said in the header.
    // Nor is a count since power-up.
    let report = series.report();
    let mut out = match (report.local_time, report.time_count) {
        (true, _) => String::from("time_local_s,forecast,actual_at_delay\n"),
        (_, true) => String::from("time_count_s,forecast,actual_at_delay\n"),
        _ => String::from("time_unix_s,forecast,actual_at_delay\n"),
    };
    let mut sample = vec![0.0f32; columns.len()];
    let (mut emitted, mut abs_err, mut scored) = (0usize, 0.0f64, 0usize);
    for t in 0..series.len() {
        let time = series.clock_time(t);
        for (v, c) in sample.iter_mut().zip(&columns) {
            *v = c[t] as f32;
        }
        let y = stepper
            .step(&sample)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .map(|y| y[0]);
        // (A missing target is no actual, nor is one after a gap that starts a segment, nor a
        // row interpolated into a short gap: the stepper fills missing inputs itself.)
        let segments = series.segments();
        let segment_end = segments
            .get(segments.partition_point(|s| s.end <= t))
            .map_or(0, |s| s.end);
        let read = series.interpolated().binary_search(&(t + delay)).is_err();
        let actual = target
            .filter(|_| t + delay < segment_end && read)
            .map(|target| target[t + delay])
            .filter(|a| !a.is_nan());
        // Whole seconds as before; a sub-second stream's with its milliseconds.
        match time % 1000 {
            0 => write!(out, "{},", time / 1000)?,
            _ => write!(out, "{},", time as f64 / 1000.0)?,
        }
        if let Some(y) = y {
            write!(out, "{y}")?;
            emitted += 1;
            if let Some(a) = actual {
                abs_err += (f64::from(y) - a).abs();
                scored += 1;
            }
        }
        out.push(',');
        if let Some(a) = actual {
            write!(out, "{a}")?;
        }
        out.push('\n');
    }
    let mae = match (target, scored) {
        (None, _) => format!("no MAE (the data has no numeric column `{target_name}`, the target)"),
        (Some(_), 0) => "no MAE (no forecast has a target)".to_string(),
        (Some(_), n) => format!(
            "MAE {} over the {n} with a target",
            figure(abs_err / n as f64)
        ),
    };
    let summary = format!(
        "streamed {} rows, {} forecasts, {mae}; wrote {}",
        series.len(),
        emitted,
        a.out.display()
    );
    if a.out.as_os_str() == "-" {
        out!("{out}");
        eprintln!("{summary}");
    } else {
        export::write_atomic(&a.out, out.as_bytes())?;
        outln!("{summary}");
    }
    Ok(())
}
