//! `nowcast quantize`: a float model to `i8w` (or, to come, `i8x16`), with what it costs in
//! accuracy measured through the runtime on the same data as `eval`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use nowcast_runtime::{AlignedBytes, Mode, Model};
use nowcast_trainer::data::Split;
use nowcast_trainer::export;
use nowcast_trainer::quant::{self, Calibration, LayerError, RawWindows};
use serde::Serialize;

use crate::classify::SequenceArgs;
use crate::data_args::DataArgs;
use crate::text::TextArgs;
use crate::train::{Scores, TaskArg, figure_or_dash, score};

/// The numeric mode to quantize to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// int8 weights with one f32 scale per output row, f32 arithmetic (FPU parts).
    I8w,
    /// int8 weights, int16 activations and state, integer arithmetic (FPU-less parts).
    I8x16,
}

impl ModeArg {
    pub(crate) fn mode(self) -> Mode {
        match self {
            ModeArg::I8w => Mode::I8w,
            ModeArg::I8x16 => Mode::I8x16,
        }
    }
}

/// `nowcast quantize` flags.
#[derive(Debug, Clone, Args)]
pub struct QuantizeArgs {
    /// The float model file (.ncm), as `train` wrote it.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The mode to quantize to.
    #[arg(long, value_enum)]
    pub mode: ModeArg,
    /// Where to write the quantized model.
    #[arg(long)]
    pub out: PathBuf,
    /// Write `quant.json` (float vs quantized MAE, per-layer error) into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Test windows compared layer by layer (spread evenly over the test split).
    #[arg(long, default_value_t = 512)]
    pub layer_windows: usize,
    /// i8x16: how each activation's range is chosen from its magnitudes on the training split,
    /// `max` or a percentile like `p99.99`.
    #[arg(long, default_value = "max")]
    pub calibration: Calibration,
    /// i8x16: training windows the calibration looks at (spread evenly).
    #[arg(long, default_value_t = 2048)]
    pub calibration_windows: usize,
    /// `classify` for a classifier (then --data is its training sequences, as for train).
    #[arg(long, value_enum, default_value = "forecast")]
    pub task: TaskArg,
    #[command(flatten)]
    pub sequences: SequenceArgs,
    #[command(flatten)]
    pub text: TextArgs,
    /// Classify: the seed train split the sequences with.
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
}

/// MAE of one model in `quant.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ModeScores {
    pub mode: &'static str,
    pub val_mae: f64,
    pub test_mae: f64,
    pub stream_val_mae: Option<f64>,
    pub stream_test_mae: Option<f64>,
    pub weight_bytes: usize,
    pub blob_bytes: usize,
}

/// `quant.json`.
#[derive(Debug, Clone, Serialize)]
pub struct QuantJson {
    pub float: ModeScores,
    pub quantized: ModeScores,
    /// Quantized validation MAE over float validation MAE (window mode): validation rows come
    /// after the training rows calibration saw, as the device's do.
    pub val_mae_ratio: f64,
    /// Quantized test MAE over float test MAE (window mode).
    pub test_mae_ratio: f64,
    /// The same in streaming mode.
    pub stream_test_mae_ratio: Option<f64>,
    /// Quantized weight bytes over float weight bytes.
    pub weight_bytes_ratio: f64,
    pub persistence_test_mae: Option<f64>,
    /// Per-layer output error on the test split (normalized units).
    pub layers: Vec<LayerError>,
    /// i8x16: the calibration rule and the exponents it chose (input, then per layer output
    /// and LSTM cell).
    pub calibration: Option<Calibration>,
    pub exponents: Option<Exponents>,
}

/// The exponents of an i8x16 model in `quant.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Exponents {
    pub input: u8,
    pub outputs: Vec<u8>,
    pub cells: Vec<u8>,
}

pub(crate) fn weight_bytes(blob: &[u8]) -> Result<usize> {
    let aligned = AlignedBytes::new(blob);
    let m = Model::from_bytes(aligned.as_bytes()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((0..m.layers().len())
        .filter_map(|i| m.summary(i))
        .map(|s| s.weight_bytes)
        .sum())
}

pub(crate) fn exponents_of(blob: &[u8]) -> Option<Exponents> {
    let aligned = AlignedBytes::new(blob);
    let m = Model::from_bytes(aligned.as_bytes()).ok()?;
    let int = m.int_exponents()?;
    Some(Exponents {
        input: int.input_exp,
        outputs: int.layers.iter().map(|l| l.output_exp).collect(),
        cells: int.layers.iter().map(|l| l.cell_exp).collect(),
    })
}

fn mode_scores(mode: Mode, s: &Scores, blob: &[u8]) -> Result<ModeScores> {
    Ok(ModeScores {
        mode: mode.name(),
        val_mae: s.val()?.window,
        test_mae: s.test.window,
        stream_val_mae: s.val()?.stream,
        stream_test_mae: s.test.stream,
        weight_bytes: weight_bytes(blob)?,
        blob_bytes: blob.len(),
    })
}

/// Quantizes the float blob to `--mode` (an `i8x16` one calibrated on `data`'s training
/// windows) and writes it to `--out`; returns it.
pub(crate) fn quantize_and_write(
    a: &QuantizeArgs,
    float_blob: &[u8],
    data: &impl RawWindows,
) -> Result<Vec<u8>> {
    let mode = a.mode.mode();
    let ranges = match mode {
        Mode::I8x16 => Some(quant::calibrate(
            float_blob,
            data,
            a.calibration,
            a.calibration_windows,
        )?),
        _ => None,
    };
    let quant_blob = quant::quantize(float_blob, mode, ranges.as_ref())?;
    export::write_atomic(&a.out, &quant_blob)?;
    outln!(
        "wrote {} ({} mode, {} bytes; the float model is {} bytes)",
        a.out.display(),
        mode.name(),
        quant_blob.len(),
        float_blob.len()
    );
    Ok(quant_blob)
}

/// Quantizes, scores both models, writes the quantized blob (and the report); returns the
/// report.
pub fn run(a: &QuantizeArgs) -> Result<QuantJson> {
    let float_blob =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let aligned = AlignedBytes::new(&float_blob);
    let model = Model::from_bytes(aligned.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: invalid model: {e:?}", a.model.display()))?;
    if model.vocab().is_some() {
        bail!(
            "{} is a text classifier: quantize it with --task text",
            a.model.display()
        );
    }
    if nowcast_trainer::classify::is_classifier(&model) {
        bail!(
            "{} is a sequence classifier: quantize it with --task classify",
            a.model.display()
        );
    }
    let loaded = a.data.load(Some(&model))?;
    if let Some(note) = loaded.data_note() {
        eprintln!("{note}");
    }
    let mode = a.mode.mode();
    let quant_blob = quantize_and_write(a, &float_blob, &loaded.dataset)?;

    let fs = score(&float_blob, &loaded)?;
    let qs = score(&quant_blob, &loaded)?;
    let layers = quant::layer_errors(
        &float_blob,
        &quant_blob,
        &loaded.dataset,
        Split::Test,
        a.layer_windows,
    )?;
    let float = mode_scores(Mode::F32, &fs, &float_blob)?;
    let quantized = mode_scores(mode, &qs, &quant_blob)?;
    let report = QuantJson {
        val_mae_ratio: quantized.val_mae / float.val_mae,
        test_mae_ratio: quantized.test_mae / float.test_mae,
        stream_test_mae_ratio: quantized
            .stream_test_mae
            .zip(float.stream_test_mae)
            .map(|(q, f)| q / f),
        weight_bytes_ratio: quantized.weight_bytes as f64 / float.weight_bytes.max(1) as f64,
        persistence_test_mae: fs.baseline[1],
        float,
        quantized,
        layers,
        calibration: (mode == Mode::I8x16).then_some(a.calibration),
        exponents: exponents_of(&quant_blob),
    };
    print_report(&report, &loaded.dataset.normalization().target.name);
    if let Some(dir) = &a.report {
        let path = crate::train::write_json(dir, "quant.json", &report)?;
        outln!("wrote {}", path.display());
    }
    Ok(report)
}

/// The float-vs-quantized table and the per-layer errors.
pub fn print_report(r: &QuantJson, target: &str) {
    let rows = [&r.float, &r.quantized].map(|s| {
        let maes = [Some(s.val_mae), Some(s.test_mae), s.stream_test_mae];
        (s, maes.map(figure_or_dash))
    });
    // The MAE columns at least 8 wide, wider for a long figure (`1234567.000`).
    let cell = (rows.iter().flat_map(|(_, m)| m.iter().map(String::len)))
        .max()
        .unwrap_or(0)
        .max(8);
    outln!("\nMAE ({target} units)");
    outln!(
        "  {:<6}  {:>cell$}  {:>cell$}  {:>12}  {:>13}",
        "",
        "val",
        "test",
        "stream test",
        "weight bytes"
    );
    for (s, [val, test, stream]) in &rows {
        outln!(
            "  {:<6}  {val:>cell$}  {test:>cell$}  {stream:>12}  {:>13}",
            s.mode,
            s.weight_bytes
        );
    }
    outln!(
        "  {:<6}  {:>cell$.4}  {:>cell$.4}  {:>12}  {:>13.3}",
        "ratio",
        r.val_mae_ratio,
        r.test_mae_ratio,
        r.stream_test_mae_ratio
            .map_or("-".into(), |v| format!("{v:.4}")),
        r.weight_bytes_ratio
    );
    outln!("\nper-layer output error on the test split (normalized units)");
    outln!("  #  layer                      max abs     SNR dB");
    for l in &r.layers {
        outln!(
            "  {:<2} {:<24} {:>9.5} {:>10}",
            l.index,
            l.kind,
            l.max_abs,
            l.snr_db.map_or("exact".into(), |v| format!("{v:.1}"))
        );
    }
}
