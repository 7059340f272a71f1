//! Evaluation through the runtime: what is measured is what ships.
//!
//! - **Window mode**: for every valid window of a split, the raw rows of the window go through
//!   `Model::window` (the runtime's normalization, layers and de-normalization) and the last
//!   output is scored against the target row: exactly the windows the baselines use.
//! - **Streaming mode**: the split's rows are fed one by one into a fresh
//!   `Stepper` at the start of the split and of every segment, as a device would see them; the
//!   forecast made after row `t` is scored against the target at row `t + delay` when that row
//!   is in the same split and segment. Nothing is skipped for warm-up: the streaming MAE shows
//!   what the first hours after power-on cost too.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use nowcast_runtime::{AlignedBytes, Model, Stepper};

use crate::data::{Dataset, Split};

/// MAE of a model on one split, in the target's units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitMae {
    /// Window-mode MAE over the split's windows.
    pub window: f64,
    /// Windows scored.
    pub windows: usize,
    /// Streaming MAE (`None` for window-only models).
    pub stream: Option<f64>,
    /// Streamed forecasts scored.
    pub streamed: usize,
}

/// Why evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The blob does not load.
    #[error("the model does not load: {0:?}")]
    Load(nowcast_runtime::LoadError),
    /// The model's features are not the dataset's.
    #[error("the model expects features {model:?}, the data has {data:?}")]
    Features {
        /// Model features.
        model: Vec<String>,
        /// Data features.
        data: Vec<String>,
    },
    /// Running the model failed.
    #[error("running the model: {0}")]
    Run(String),
    /// The split has no windows.
    #[error("the {0:?} split has no windows")]
    NoWindows(Split),
}

fn check_features(model: &Model<'_>, dataset: &Dataset) -> Result<(), EvalError> {
    if model
        .features()
        .iter()
        .ne(dataset.features().iter().map(String::as_str))
    {
        return Err(EvalError::Features {
            model: model.features().iter().map(|s| s.to_string()).collect(),
            data: dataset.features().to_vec(),
        });
    }
    Ok(())
}

/// Window-mode and streaming MAE of a model blob on one split.
pub fn evaluate(blob: &[u8], dataset: &Dataset, split: Split) -> Result<SplitMae, EvalError> {
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(EvalError::Load)?;
    check_features(&model, dataset)?;
    let starts = dataset.window_starts(split);
    if starts.is_empty() {
        return Err(EvalError::NoWindows(split));
    }
    let (window, windows) = window_mae(&model, dataset, starts)?;
    let (stream, streamed) = if model.is_streamable() {
        let (m, n) = stream_mae(&model, dataset, split, |_| true)?;
        (Some(m), n)
    } else {
        (None, 0)
    };
    Ok(SplitMae {
        window,
        windows,
        stream,
        streamed,
    })
}

/// Window-mode MAE of a model blob over the windows starting at `starts` (a subset of a
/// split's, such as those a baseline covers); `None` for no window.
pub fn window_mae_at(
    blob: &[u8],
    dataset: &Dataset,
    starts: &[usize],
) -> Result<Option<f64>, EvalError> {
    if starts.is_empty() {
        return Ok(None);
    }
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(EvalError::Load)?;
    check_features(&model, dataset)?;
    window_mae(&model, dataset, starts).map(|(mae, _)| Some(mae))
}

/// Streaming MAE of a model blob over a split on the targets of the windows starting at
/// `starts` (a subset of the split's, such as those a baseline covers): the forecasts of a
/// stream from a fresh state at the split start and at every segment start, as [`evaluate`]
/// scores them, kept where their target is one of those windows'. `None` for no such forecast
/// or a model that cannot stream.
pub fn stream_mae_at(
    blob: &[u8],
    dataset: &Dataset,
    split: Split,
    starts: &[usize],
) -> Result<Option<f64>, EvalError> {
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(EvalError::Load)?;
    check_features(&model, dataset)?;
    if starts.is_empty() || !model.is_streamable() {
        return Ok(None);
    }
    let offset = dataset.window().target_offset();
    let mut targets: Vec<usize> = starts.iter().map(|&s| s + offset).collect();
    targets.sort_unstable();
    let (mae, n) = stream_mae(&model, dataset, split, |t| {
        targets.binary_search(&t).is_ok()
    })?;
    Ok((n > 0).then_some(mae))
}

/// Forecasts for windows starting at `starts`, through the runtime in window mode.
pub fn window_forecasts(
    model: &Model<'_>,
    dataset: &Dataset,
    starts: &[usize],
) -> Result<Vec<f32>, EvalError> {
    let w = dataset.window();
    let steps = w.samples();
    let scratch_len = model
        .window_scratch_len(steps)
        .map_err(|e| EvalError::Run(format!("{e:?}")))?;
    starts
        .par_chunks(64)
        .map(|chunk| {
            let mut scratch = vec![0.0f32; scratch_len];
            let mut input = Vec::with_capacity(steps * dataset.features().len());
            chunk
                .iter()
                .map(|&s| {
                    dataset.raw_window_into(s, &mut input);
                    let out = model
                        .window(&input, &mut scratch)
                        .map_err(|e| EvalError::Run(format!("{e:?}")))?;
                    Ok(out.last()[0])
                })
                .collect::<Result<Vec<f32>, EvalError>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.concat())
}

fn window_mae(
    model: &Model<'_>,
    dataset: &Dataset,
    starts: &[usize],
) -> Result<(f64, usize), EvalError> {
    let offset = dataset.window().target_offset();
    let forecasts = window_forecasts(model, dataset, starts)?;
    let sum: f64 = forecasts
        .iter()
        .zip(starts)
        .map(|(&f, &s)| (f64::from(f) - dataset.target()[s + offset]).abs())
        .sum();
    Ok((sum / starts.len() as f64, starts.len()))
}

/// Streamed forecasts over a split: `(row, forecast)` for every row after which the model
/// emitted, from a fresh state at the split start and at every segment start.
pub fn stream_forecasts(
    model: &Model<'_>,
    dataset: &Dataset,
    split: Split,
) -> Result<Vec<(usize, f32)>, EvalError> {
    let rows = dataset.split_rows(split);
    let mut state = vec![0.0f32; model.state_len()];
    let mut out = Vec::new();
    let mut row = rows.start;
    while row < rows.end {
        // (A row in no segment misses a value: nothing streams it.)
        let Some(segment) = dataset.segment_of(row).cloned() else {
            row += 1;
            continue;
        };
        let end = segment.end.min(rows.end);
        let mut stepper =
            Stepper::new(model, &mut state).map_err(|e| EvalError::Run(format!("{e:?}")))?;
        // Every row, as a device sees it: the stepper itself uses every `step`-th.
        for t in row..end {
            if let Some(y) = stepper
                .step(dataset.raw_row(t))
                .map_err(|e| EvalError::Run(format!("{e:?}")))?
            {
                out.push((t, y[0]));
            }
        }
        row = end;
    }
    Ok(out)
}

/// Streaming MAE over a split and how many forecasts it is over: those whose target row is in
/// the split and the forecast's segment, read (not filled in) and kept by `keep`.
fn stream_mae(
    model: &Model<'_>,
    dataset: &Dataset,
    split: Split,
    keep: impl Fn(usize) -> bool,
) -> Result<(f64, usize), EvalError> {
    let rows = dataset.split_rows(split);
    let delay = dataset.window().delay();
    let (mut sum, mut n) = (0.0, 0usize);
    for (t, f) in stream_forecasts(model, dataset, split)? {
        let target = t + delay;
        let same_segment = dataset.segment_of(t).is_some_and(|s| s.contains(&target));
        // (A filled-in target is no reading to score against.)
        let scored = target < rows.end && same_segment && !dataset.target_is_filled(target);
        if scored && keep(target) {
            sum += (f64::from(f) - dataset.target()[target]).abs();
            n += 1;
        }
    }
    Ok((if n > 0 { sum / n as f64 } else { f64::NAN }, n))
}
