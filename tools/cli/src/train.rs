//! `nowcast train` and `nowcast eval`: train a model, score it through the runtime against the
//! baselines, write the model and the report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use nowcast_trainer::baseline;
use nowcast_trainer::data::{Dataset, Split};
use nowcast_trainer::eval::{self, SplitMae};
use nowcast_trainer::export;
use nowcast_trainer::train::{
    self, FitConfig, History, Loss, ModelToml, OptimizerKind, Progress, Stateful, TrainModel,
};
use serde::Serialize;

use crate::classify::SequenceArgs;
use crate::data_args::{DataArgs, Loaded};
use crate::text::TextArgs;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OptArg {
    Rmsprop,
    Adam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    Mae,
    Mse,
    Huber,
    CategoricalCrossentropy,
    BinaryCrossentropy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// Forecast a target column of a sensor CSV.
    Forecast,
    /// Classify labelled sequences (a .ts file, or the CSV layout with --sequence-column and
    /// --label-column).
    Classify,
    /// Classify texts (a CSV with --text-column and --label-column).
    Text,
}

/// `nowcast train` flags.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The model spec (TOML, Keras layer names).
    #[arg(long)]
    pub model: PathBuf,
    /// Most epochs.
    #[arg(long, default_value_t = 20, value_parser = at_least_one())]
    pub epochs: usize,
    /// Windows per batch.
    #[arg(long, default_value_t = 128, value_parser = at_least_one())]
    pub batch: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value = "rmsprop")]
    pub optimizer: OptArg,
    /// Learning rate (default 1e-3).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Training loss (default: mae to forecast; to classify, categorical-crossentropy for a
    /// softmax output, binary-crossentropy for one sigmoid unit).
    #[arg(long, value_enum)]
    pub loss: Option<LossArg>,
    /// What to train.
    #[arg(long, value_enum, default_value = "forecast")]
    pub task: TaskArg,
    #[command(flatten)]
    pub sequences: SequenceArgs,
    /// Classify: steps per sequence (default: the longest training sequence; shorter ones are
    /// padded at the front, longer ones keep their last steps).
    #[arg(long)]
    pub length: Option<usize>,
    /// Classify and text: `balanced` (each class weighing as much in total, Keras' and
    /// scikit-learn's `n / (classes · n_c)`), or one weight per class, comma-separated, in the
    /// order the classes are listed; multiplies each training example's loss.
    #[arg(long)]
    pub class_weight: Option<String>,
    #[command(flatten)]
    pub text: TextArgs,
    /// Text: pre-trained word vectors (GloVe text format) for the first (Embedding) layer.
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Text: keep the --embeddings vectors fixed while training.
    #[arg(long)]
    pub freeze_embeddings: bool,
    /// Epochs without a better validation loss before stopping (best weights are kept).
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    /// Seed of initialization, shuffling and dropout.
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// Threads for data-parallel gradients (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where to write the model blob.
    #[arg(long)]
    pub out: PathBuf,
    /// Folder for metrics.json, curves.png and forecast.png.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Checkpoint written atomically after every epoch (default: OUT with extension .ckpt);
    /// removed when training completes.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Continue an interrupted run from its checkpoint (same data, spec and flags).
    #[arg(long)]
    pub resume: bool,
    /// Validate and export an exponential moving average of the weights with this momentum
    /// (Keras' `use_ema=True, ema_momentum=M`; off by default, as in Keras).
    #[arg(long)]
    pub ema: Option<f32>,
    /// Forecast: train statefully (truncated backprop through time), as a device runs the
    /// model: the training split streamed in chunks of the window's samples, each recurrent
    /// layer's state carried from chunk to chunk, the loss on the forecast after every sample,
    /// and validation by streaming. For models that stream for long, where one trained on
    /// windows from a zero state can drift (compare the window and streaming MAE). SimpleRNN,
    /// LSTM, GRU, Dense and Dropout layers.
    #[arg(long)]
    pub stateful: bool,
    /// With --stateful: streams advanced together (the batch of one optimizer step); fewer if
    /// the training split is short.
    #[arg(long, default_value_t = 32, requires = "stateful")]
    pub lanes: usize,
}

impl TrainArgs {
    fn checkpoint_path(&self) -> PathBuf {
        self.checkpoint
            .clone()
            .unwrap_or_else(|| self.out.with_extension("ckpt"))
    }
}

/// `metrics.json`: the figures scripts rely on (MAE in the target's units).
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub val_mae: f64,
    pub test_mae: f64,
    pub stream_val_mae: Option<f64>,
    pub stream_test_mae: Option<f64>,
    pub baseline_val_mae: Option<f64>,
    pub baseline_test_mae: Option<f64>,
    pub seasonal_val_mae: Option<f64>,
    pub seasonal_test_mae: Option<f64>,
    /// Val and test windows the seasonal MAEs are over (fewer than `windows` where a row one
    /// season back is before the file's first or across a gap).
    pub seasonal_windows: [usize; 2],
    /// The model's window-mode val and test MAE on those windows, where they are not all.
    pub model_on_seasonal_windows_mae: [Option<f64>; 2],
    /// The same in streaming mode (`None` also for a model that cannot stream).
    pub model_on_seasonal_windows_stream_mae: [Option<f64>; 2],
    pub season: usize,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub seconds_per_epoch: f64,
    pub params: usize,
    pub windows: [usize; 3],
    /// How stateful training cut the data (`None`: trained on windows). Its `history.val_mae`
    /// is the streaming MAE.
    pub stateful: Option<Stateful>,
    pub history: History,
}

/// A whole number of at least 1 (`--epochs`, `--batch`).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

/// Scores of a model blob on val and test, with the baselines.
pub struct Scores {
    /// `None` if the validation split has no rows (`nowcast eval --split 0,0,1`).
    pub val: Option<SplitMae>,
    pub test: SplitMae,
    pub baseline: [Option<f64>; 2],
    pub seasonal: [Option<f64>; 2],
    /// Val and test windows seasonal persistence covers (a row one season back in the split),
    /// and the windows of the split.
    pub seasonal_cover: [(usize, usize); 2],
    /// The model's window-mode MAE on the windows seasonal persistence covers, where it covers
    /// some but not all of a split's: the two compared on the same windows.
    pub model_on_seasonal: [Option<f64>; 2],
    /// The same in streaming mode (its forecasts of those windows' targets).
    pub model_on_seasonal_stream: [Option<f64>; 2],
}

impl Scores {
    /// The validation scores, which training and quantizing have.
    pub fn val(&self) -> Result<&SplitMae> {
        self.val
            .as_ref()
            .context("the validation split is empty: give --split a validation fraction")
    }
}

pub fn score(blob: &[u8], loaded: &Loaded) -> Result<Scores> {
    let d = &loaded.dataset;
    let seasonal = [Split::Val, Split::Test].map(|s| baseline::seasonal_mae(d, s, loaded.season));
    let (mut model_on_seasonal, mut model_on_seasonal_stream) = ([None, None], [None, None]);
    for (i, split) in [Split::Val, Split::Test].into_iter().enumerate() {
        let s = &seasonal[i];
        if s.covered > 0 && s.covered < s.windows {
            let starts = baseline::seasonal_starts(d, split, loaded.season);
            model_on_seasonal[i] = eval::window_mae_at(blob, d, &starts)?;
            model_on_seasonal_stream[i] = eval::stream_mae_at(blob, d, split, &starts)?;
        }
    }
    Ok(Scores {
        val: match d.split_rows(Split::Val).is_empty() {
            true => None,
            false => Some(eval::evaluate(blob, d, Split::Val)?),
        },
        test: eval::evaluate(blob, d, Split::Test)?,
        baseline: [Split::Val, Split::Test].map(|s| baseline::persistence_mae(d, s).mae),
        seasonal: seasonal.map(|s| s.mae),
        seasonal_cover: seasonal.map(|s| (s.covered, s.windows)),
        model_on_seasonal,
        model_on_seasonal_stream,
    })
}

/// A figure in the target's units (an MAE), with as many decimals as its magnitude needs:
/// - 3, as the tables have always had, from 0.1 up (`0.912`, `2.763`, `41.250`), which shows
///   3 significant digits or more;
/// - below 0.1, as many as 4 significant digits take (`0.04512`, `0.001234`);
/// - below 0.001 (a target in micro-units) and from 10^7 up, 4 significant digits in exponent
///   notation (`2.500e-5`, `1.500e9`).
///
/// Zero is `0.000` and a non-finite value `NaN` or `inf`, as before. Per value, so a figure
/// prints the same in the epoch lines and in the tables; the tables right-align them.
pub(crate) fn figure(v: f64) -> String {
    let magnitude = v.abs();
    if !v.is_finite() || magnitude == 0.0 || (0.1..EXPONENT_FROM).contains(&magnitude) {
        return format!("{v:.3}");
    }
    if !(EXPONENT_BELOW..EXPONENT_FROM).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    // 0.001 <= |v| < 0.1: the first significant digit is decimal `-floor(log10 |v|)`.
    let decimals = (3.0 - magnitude.log10().floor()) as usize;
    format!("{v:.decimals$}")
}

/// Below this magnitude [`figure`] writes an exponent.
const EXPONENT_BELOW: f64 = 1e-3;
/// From this magnitude on [`figure`] writes an exponent.
const EXPONENT_FROM: f64 = 1e7;

/// [`figure`], or `-` for a figure that is not there.
pub(crate) fn figure_or_dash(v: Option<f64>) -> String {
    v.map_or("-".into(), figure)
}

/// The MAE table of `s` (model, persistence, seasonal persistence) and how the model compares
/// with the better baseline on the test split.
pub fn print_scores(s: &Scores, loaded: &Loaded) {
    let d = &loaded.dataset;
    let (target, season) = (&d.normalization().target.name, loaded.season);
    let mut rows = vec![
        (
            "model, window mode".to_string(),
            figure_or_dash(s.val.as_ref().map(|v| v.window)),
            figure(s.test.window),
        ),
        (
            "model, streaming".into(),
            figure_or_dash(s.val.as_ref().and_then(|v| v.stream)),
            figure_or_dash(s.test.stream),
        ),
        (
            "persistence".into(),
            figure_or_dash(s.baseline[0]),
            figure_or_dash(s.baseline[1]),
        ),
        (
            // (A forecast further ahead than a season reads whole seasons back.)
            match baseline::seasonal_lag(season, d.window().delay()) {
                lag if lag > season => format!("seasonal ({season} rows, {lag} back)"),
                _ => format!("seasonal ({season} rows)"),
            },
            figure_or_dash(s.seasonal[0]),
            figure_or_dash(s.seasonal[1]),
        ),
    ];
    // A season of one row reads the row persistence reads: the same baseline twice.
    if season == 1 {
        rows.pop();
    }
    // The labels' column as wide as the longest label (and the title over it); the figures'
    // columns 8 wide, or 2 more than the longest figure (`3.253e-6`) to keep them apart.
    let title = format!("MAE ({target} units)");
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(19);
    let title_width = (width + 2).max(title.len() + 1);
    let width = title_width - 2;
    let cells = rows.iter().flat_map(|r| [r.1.len(), r.2.len()]);
    let cell = (cells.max().unwrap_or(0) + 2).max(8);
    outln!("\n{title:<title_width$}{:>cell$}  {:>cell$}", "val", "test");
    for (label, val, test) in &rows {
        outln!("  {label:<width$}{val:>cell$}  {test:>cell$}");
    }
    if season == 1 {
        outln!(
            "  (a season of one row makes seasonal persistence persistence: --season sets the period in rows)"
        );
    } else if s.seasonal.iter().all(Option::is_none) {
        outln!("  (no window has a target one season back: --season sets the period in rows)");
    }
    // Seasonal persistence on fewer windows than the model (its row one season back is before
    // the split for the first ones): the model scored again on those windows alone.
    let partial: Vec<String> = (["val", "test"].iter().zip(s.seasonal_cover))
        .filter(|&(_, (covered, windows))| season > 1 && covered > 0 && covered < windows)
        .map(|(split, (covered, windows))| format!("{covered} of the {windows} {split} windows"))
        .collect();
    if !partial.is_empty() {
        outln!(
            "  (seasonal persistence covers only {}: for the others the row it reads, a whole number of seasons back, is before the file's first or across a gap)",
            partial.join(", ")
        );
        let on = (["val", "test"].iter().enumerate())
            .filter_map(|(i, split)| Some((split, s.model_on_seasonal[i]?, s.seasonal[i]?, i)));
        for (split, model, seasonal, i) in on {
            let change = match seasonal > 0.0 {
                true => format!(
                    ": {:.1}% {}",
                    (model / seasonal - 1.0).abs() * 100.0,
                    if model < seasonal { "better" } else { "worse" }
                ),
                false => String::new(),
            };
            let stream = s.model_on_seasonal_stream[i]
                .map_or(String::new(), |m| format!(" (streaming {})", figure(m)));
            outln!(
                "  on the {split} windows it covers, the model's window-mode MAE is {}{stream} against seasonal persistence's {}{change}",
                figure(model),
                figure(seasonal)
            );
        }
    }
    let seasonal_test =
        s.seasonal[1].filter(|_| season > 1 && s.seasonal_cover[1].0 == s.seasonal_cover[1].1);
    // Against the better baseline on the test split.
    let baselines = [
        ("persistence", s.baseline[1]),
        ("seasonal persistence", seasonal_test),
    ];
    let best = baselines
        .iter()
        .filter_map(|&(name, mae)| Some((name, mae?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    // (A constant target makes both baselines exact: said first, whichever is named.)
    let constant = constant_on_test(d);
    match best {
        Some((_, 0.0)) if constant.is_some() => {
            outln!("  {}", exact_persistence(d.window().delay(), constant));
        }
        Some(("persistence", 0.0)) => {
            outln!("  {}", exact_persistence(d.window().delay(), None));
        }
        Some((name, 0.0)) => outln!(
            "  {name} is exact on the test split (MAE 0): the target repeats every season there"
        ),
        Some((name, b)) => {
            let versus = |mae: f64| {
                format!(
                    "{:.1}% {}",
                    (mae / b - 1.0).abs() * 100.0,
                    if mae < b { "better" } else { "worse" }
                )
            };
            let better = match baselines.iter().all(|(_, m)| m.is_some()) {
                true => " (the better baseline)",
                false => "",
            };
            match s.test.stream {
                Some(stream) => outln!(
                    "  test MAE vs {name}{better}: {} in window mode, {} streaming",
                    versus(s.test.window),
                    versus(stream)
                ),
                None => outln!("  test MAE vs {name}{better}: {}", versus(s.test.window)),
            }
        }
        None => {}
    }
    if let Some(hint) = streaming_hint(s.test.window, s.test.stream) {
        outln!("  {hint}");
    }
}

/// A target that holds one value over the test split: the value, and whether it holds it in
/// the whole file too.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ConstantTarget {
    value: f64,
    everywhere: bool,
}

/// The one value the target takes on the test split's rows, if it takes only one (missing
/// rows aside): a stuck or disconnected sensor.
fn constant_on_test(d: &Dataset) -> Option<ConstantTarget> {
    let only_value = |rows: &[f64]| {
        let mut values = rows.iter().copied().filter(|v| !v.is_nan());
        let first = values.next()?;
        values.all(|v| v == first).then_some(first)
    };
    let value = only_value(&d.target()[d.split_rows(Split::Test)])?;
    Some(ConstantTarget {
        value,
        everywhere: only_value(d.target()) == Some(value),
    })
}

/// Why persistence's test MAE is exactly 0, for a forecast `delay` rows ahead: a constant
/// target (no forecast can be judged on it), the target being its own input (delay 0), or
/// else the target `delay` rows ahead equal to the last one in every test window.
fn exact_persistence(delay: usize, constant: Option<ConstantTarget>) -> String {
    match (constant, delay) {
        (Some(c), _) => format!(
            "the target is constant on the test split ({} in every row{}): a stuck or \
             disconnected sensor? Persistence is exact (MAE 0) and no forecast can be judged \
             on it",
            c.value,
            if c.everywhere {
                ", as in the whole file"
            } else {
                ""
            }
        ),
        (None, 0) => "persistence is exact on the test split (MAE 0): the target is its own \
                      input at delay 0; forecast ahead with --delay N"
            .into(),
        (None, _) => format!(
            "persistence is exact on the test split (MAE 0): in every window the target \
             {delay} rows ahead equals the last one, so no model can beat it there"
        ),
    }
}

/// What to do when streaming, what a `Stepper` on the device does, is clearly worse than
/// window mode (by a quarter or more on the test split): the model learned windows that start
/// from a zero state, and its state drifts when it is stepped without end.
fn streaming_hint(window: f64, stream: Option<f64>) -> Option<String> {
    let stream = stream?;
    (stream >= 1.25 * window && window > 0.0).then(|| {
        format!(
            "streaming MAE is {:.1}x the window MAE: the model learned windows from a zero \
             state and drifts when stepped without end: train it as it will run (`nowcast train \
             --stateful`), or on the device run it over its last lookback samples \
             (`Model::window`, O(lookback) per forecast) to get the window figure",
            stream / window
        )
    })
}

pub fn fit_config(a: &TrainArgs) -> FitConfig {
    FitConfig {
        epochs: a.epochs,
        batch: a.batch,
        optimizer: match a.optimizer {
            OptArg::Rmsprop => OptimizerKind::Rmsprop,
            OptArg::Adam => OptimizerKind::Adam,
        },
        lr: a.lr,
        loss: match a.loss.unwrap_or(LossArg::Mae) {
            LossArg::Mae => Loss::Mae,
            LossArg::Mse => Loss::Mse,
            LossArg::Huber => Loss::Huber,
            LossArg::CategoricalCrossentropy => Loss::CategoricalCrossentropy,
            LossArg::BinaryCrossentropy => Loss::BinaryCrossentropy,
        },
        patience: a.patience,
        seed: a.seed,
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        checkpoint: Some(a.checkpoint_path()),
        resume: a.resume,
        ema: a.ema,
        frozen: Vec::new(),
        class_weights: None,
    }
}

/// Trains with a progress bar per epoch; returns the model and its history.
pub fn train_model(
    spec: &ModelToml,
    loaded: &Loaded,
    cfg: &FitConfig,
    stateful: Option<Stateful>,
) -> Result<(TrainModel, History)> {
    let d = &loaded.dataset;
    let built = spec.build(d.features().len(), d.window().samples(), cfg.seed)?;
    let mut model = TrainModel::new(built);
    let history = match stateful {
        None => {
            outln!(
                "training {} params on {} windows (val {}, test {}), batch {}, {} threads",
                model.param_count(),
                d.window_starts(Split::Train).len(),
                d.window_starts(Split::Val).len(),
                d.window_starts(Split::Test).len(),
                cfg.batch,
                cfg.threads
            );
            fit_with_progress(cfg, ValMetric::Mae, &mut |p| {
                train::fit(&mut model, d, cfg, p)
            })?
        }
        Some(s) => {
            outln!(
                "training {} params statefully on {} training rows streamed in {} lanes, chunks of {} samples, validated by streaming {} rows, {} threads",
                model.param_count(),
                d.segment_rows(Split::Train, 1),
                s.lanes_used(d),
                s.chunk,
                d.segment_rows(Split::Val, d.window().step()),
                cfg.threads
            );
            fit_with_progress(cfg, ValMetric::StreamMae, &mut |p| {
                train::fit_stateful(&mut model, d, cfg, s, p)
            })?
        }
    };
    Ok((model, history))
}

/// A training run given where to report its progress.
pub type TrainingRun<'a> =
    dyn FnMut(&mut dyn FnMut(Progress)) -> Result<History, train::FitError> + 'a;

/// The validation figure of the epoch lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValMetric {
    /// MAE in the target's units, on validation windows.
    Mae,
    /// MAE in the target's units, streaming the validation split.
    StreamMae,
    /// Accuracy, a fraction.
    Accuracy,
}

impl ValMetric {
    fn name(self) -> &'static str {
        match self {
            ValMetric::Mae => "val_mae",
            ValMetric::StreamMae => "stream val_mae",
            ValMetric::Accuracy => "val_accuracy",
        }
    }

    /// An MAE as the tables print it ([`figure`]), an accuracy with 3 decimals.
    fn show(self, v: f64) -> String {
        match self {
            ValMetric::Mae | ValMetric::StreamMae => figure(v),
            ValMetric::Accuracy => format!("{v:.3}"),
        }
    }
}

/// Trains with a progress bar per epoch and a line after it (`metric`: the validation
/// figure's).
pub fn fit_with_progress(
    cfg: &FitConfig,
    metric: ValMetric,
    fit: &mut TrainingRun<'_>,
) -> Result<History> {
    let style = ProgressStyle::with_template(
        "epoch {prefix:>3} [{bar:30}] {pos}/{len} batches  loss {msg}  ETA {eta}",
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .progress_chars("=> ");
    let mut bar: Option<ProgressBar> = None;
    let epochs = cfg.epochs;
    let history = fit(&mut |p| match p {
        Progress::Batch {
            epoch,
            done,
            total,
            loss,
        } => {
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::new(total as u64).with_style(style.clone());
                b.set_prefix(format!("{epoch}/{epochs}"));
                b
            });
            b.set_position(done as u64);
            b.set_message(format!("{loss:.4}"));
        }
        Progress::Epoch {
            epoch,
            loss,
            val_loss,
            val_metric,
            improved,
            seconds,
        } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            outln!(
                "epoch {epoch:>3}/{epochs}  loss {loss:.4}  val_loss {val_loss:.4}  {} {}  {:.3} s{}",
                metric.name(),
                metric.show(val_metric),
                seconds,
                if improved { "  *" } else { "" }
            );
        }
    })?;
    outln!(
        "kept the weights of epoch {} (of {} run), median {:.3} s per epoch",
        history.best_epoch,
        history.epochs_run(),
        history.seconds_per_epoch()
    );
    Ok(history)
}

/// Rows of the test period shown in `forecast.png`.
const FORECAST_PLOT_WINDOWS: usize = 240;

/// Writes `value` as pretty JSON to `dir/name` (atomically), creating `dir`; returns the path.
pub(crate) fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name);
    export::write_atomic(&path, serde_json::to_string_pretty(value)?.as_bytes())?;
    Ok(path)
}

/// `metrics.json`, `curves.png` (loss per epoch) and `forecast.png` (the start of the test
/// period: actual, model through the runtime, persistence).
pub fn write_report(
    dir: &Path,
    metrics: &Metrics,
    blob: &[u8],
    loaded: &Loaded,
    loss: Loss,
) -> Result<()> {
    write_json(dir, "metrics.json", metrics)?;
    let h = &metrics.history;
    let loss_name = format!("{} (normalized)", format!("{loss:?}").to_uppercase());
    crate::plot::curves(
        &dir.join("curves.png"),
        &h.train_loss,
        &h.val_loss,
        h.best_epoch,
        &loss_name,
    )?;

    let d = &loaded.dataset;
    let starts: Vec<usize> = d
        .window_starts(Split::Test)
        .iter()
        .copied()
        .take(FORECAST_PLOT_WINDOWS)
        .collect();
    let aligned = nowcast_runtime::AlignedBytes::new(blob);
    let model = nowcast_runtime::Model::from_bytes(aligned.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let forecasts = eval::window_forecasts(&model, d, &starts)?;
    let w = d.window();
    let target = d.target();
    // The x axis in hours, minutes or seconds, whichever the stretch shown is long in.
    let first = starts.first().copied().unwrap_or(0);
    let span_ms = (starts.last().copied().unwrap_or(0) - first) as f64
        * loaded.series.report().period_ms.max(1) as f64;
    let (unit_ms, time_unit) = match span_ms {
        s if s >= 7_200_000.0 => (3_600_000.0, "hours"),
        s if s >= 120_000.0 => (60_000.0, "minutes"),
        _ => (1_000.0, "seconds"),
    };
    let per_row = loaded.series.report().period_ms.max(1) as f64 / unit_ms;
    let times: Vec<f64> = starts
        .iter()
        .map(|&s| (s - first) as f64 * per_row)
        .collect();
    let actual: Vec<f64> = starts
        .iter()
        .map(|&s| target[s + w.target_offset()])
        .collect();
    let persistence: Vec<f64> = starts
        .iter()
        .map(|&s| target[s + w.last_row_offset()])
        .collect();
    let model_f: Vec<f64> = forecasts.iter().map(|&f| f64::from(f)).collect();
    let name = &d.normalization().target.name;
    let title = format!("{name}, {} rows ahead: start of the test period", w.delay());
    crate::plot::forecast(
        &dir.join("forecast.png"),
        &title,
        name,
        &times,
        time_unit,
        &actual,
        &model_f,
        &persistence,
    )?;
    Ok(())
}

/// The whole `train` command; returns the metrics.
pub fn run(a: &TrainArgs) -> Result<Metrics> {
    anyhow::ensure!(
        !a.loss.is_some_and(|l| matches!(
            l,
            LossArg::CategoricalCrossentropy | LossArg::BinaryCrossentropy
        )),
        "cross-entropy losses are for --task classify"
    );
    anyhow::ensure!(!a.stateful || a.lanes > 0, "--lanes must be at least 1");
    let loaded = a.data.load(None)?;
    outln!("{}", loaded.series.report());
    if let Some(note) = loaded.data_note() {
        outln!("{note}\n");
    }
    let spec = ModelToml::load(&a.model)?;
    let cfg = fit_config(a);
    // The test split is scored after training: refused before it, as an empty validation
    // split is in the first epoch.
    if loaded.dataset.window_starts(Split::Test).is_empty() {
        return Err(nowcast_trainer::train::fit::FitError::NoWindows(Split::Test).into());
    }
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let stateful = a.stateful.then(|| Stateful {
        lanes: a.lanes,
        chunk: loaded.dataset.window().samples(),
    });
    let (model, history) = train_model(&spec, &loaded, &cfg, stateful)?;
    let name = a
        .model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model");
    let period_ms = loaded.series.report().period_ms.max(0) as u64;
    let bytes = export::to_bytes(&export::spec(&model, &loaded.dataset, name, period_ms))?;
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    export::write_atomic(&a.out, &bytes)?;
    outln!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    let ckpt = a.checkpoint_path();
    if ckpt.exists() {
        std::fs::remove_file(&ckpt).with_context(|| format!("removing {}", ckpt.display()))?;
    }
    let s = score(&bytes, &loaded)?;
    print_scores(&s, &loaded);
    let d = &loaded.dataset;
    let metrics = Metrics {
        val_mae: s.val()?.window,
        test_mae: s.test.window,
        stream_val_mae: s.val()?.stream,
        stream_test_mae: s.test.stream,
        baseline_val_mae: s.baseline[0],
        baseline_test_mae: s.baseline[1],
        seasonal_val_mae: s.seasonal[0],
        seasonal_test_mae: s.seasonal[1],
        seasonal_windows: s.seasonal_cover.map(|c| c.0),
        model_on_seasonal_windows_mae: s.model_on_seasonal,
        model_on_seasonal_windows_stream_mae: s.model_on_seasonal_stream,
        season: loaded.season,
        epochs_run: history.epochs_run(),
        best_epoch: history.best_epoch,
        seconds_per_epoch: history.seconds_per_epoch(),
        params: model.param_count(),
        windows: Split::ALL.map(|sp| d.window_starts(sp).len()),
        stateful,
        history,
    };
    if let Some(dir) = &a.report {
        write_report(dir, &metrics, &bytes, &loaded, cfg.loss)?;
        outln!("report in {}", dir.display());
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::{ConstantTarget, exact_persistence, figure, figure_or_dash, streaming_hint};

    #[test]
    fn figures_keep_their_significant_digits_at_any_magnitude() {
        // The usual tables (°C) read as they always have: 3 decimals.
        for (v, shown) in [(2.763, "2.763"), (0.912, "0.912"), (41.25, "41.250")] {
            assert_eq!(figure(v), shown);
        }
        // Below 0.1, the decimals 4 significant digits take; below 0.001 and from 10^7 up, an
        // exponent.
        for (v, shown) in [
            (0.04512, "0.04512"),
            (0.001234, "0.001234"),
            (0.000025, "2.500e-5"),
            (3.2534e-6, "3.253e-6"),
            (1.5e9, "1.500e9"),
            (9_999_999.0, "9999999.000"),
            (-0.000025, "-2.500e-5"),
        ] {
            assert_eq!(figure(v), shown);
        }
        // Zero, NaN and a missing figure as before.
        assert_eq!(figure(0.0), "0.000");
        assert_eq!(figure(f64::NAN), "NaN");
        assert_eq!(figure(f64::INFINITY), "inf");
        assert_eq!(figure_or_dash(None), "-");
        assert_eq!(figure_or_dash(Some(0.000025)), "2.500e-5");
    }

    #[test]
    fn exact_persistence_says_why() {
        let stuck = ConstantTarget {
            value: 20.0,
            everywhere: true,
        };
        for delay in [0, 6] {
            let note = exact_persistence(delay, Some(stuck));
            assert!(
                note.starts_with("the target is constant on the test split (20 in every row, as in the whole file): a stuck or disconnected sensor?")
                    && note.contains("no forecast can be judged")
                    && !note.contains("--delay"),
                "{note}"
            );
        }
        let only_test = exact_persistence(
            6,
            Some(ConstantTarget {
                everywhere: false,
                ..stuck
            }),
        );
        assert!(only_test.contains("(20 in every row)"), "{only_test}");
        let delay_0 = exact_persistence(0, None);
        assert!(
            delay_0.ends_with("forecast ahead with --delay N"),
            "{delay_0}"
        );
        let delay_6 = exact_persistence(6, None);
        assert!(
            delay_6.contains("the target 6 rows ahead equals the last one")
                && !delay_6.contains("--delay"),
            "{delay_6}"
        );
    }

    #[test]
    fn the_streaming_hint_shows_for_a_clear_gap_only() {
        let hint = streaming_hint(0.008, Some(0.058)).unwrap();
        assert!(
            hint.starts_with("streaming MAE is 7.2x the window MAE"),
            "{hint}"
        );
        assert_eq!(streaming_hint(1.0, Some(1.2)), None);
        assert_eq!(streaming_hint(1.0, None), None);
        assert_eq!(streaming_hint(0.0, Some(0.0)), None);
    }
}
