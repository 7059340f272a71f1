//! Quantization of an exported float model, and how much it costs, measured through the runtime.
//!
//! - [`quantize`]: a float blob to a blob in another [`Mode`]. `i8w` needs no data: each kernel
//!   row is quantized on its own (see `nowcast_runtime::tensor`). `i8x16` also needs the
//!   exponent of every activation, chosen by [`calibrate`] from the float model's values on
//!   the training split: the largest magnitude, or a percentile of the magnitudes
//!   ([`Calibration`]), then `nowcast_runtime::exponents` (the finest power-of-two grid that
//!   holds twice it in an `i16`: `nowcast_runtime::HEADROOM`).
//! - [`layer_errors`]: the float and the quantized model run side by side over the same windows
//!   in window mode; every layer's output (normalized units) is compared: largest absolute
//!   difference and signal-to-noise ratio `10 log10(Σ f² / Σ (f - q)²)` in dB.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use nowcast_runtime::{AlignedBytes, LoadError, Mode, Model, ModelSpec, Probe, Ranges};

use crate::classify::SequenceSet;
use crate::data::{Dataset, Split};
use crate::text::TextSet;
use crate::train::fit::Examples;

/// Why a model could not be quantized or compared.
#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    /// A blob does not load.
    #[error("the model does not load: {0:?}")]
    Load(LoadError),
    /// The input model is already quantized.
    #[error("the model is already quantized ({0}); quantize the float model")]
    NotFloat(&'static str),
    /// Encoding failed.
    #[error("encoding the quantized model: {0}")]
    Build(#[from] nowcast_runtime::BuildError),
    /// The two models differ in their layers.
    #[error("the models have different layers")]
    Mismatch,
    /// Running a model failed.
    #[error("running the model: {0}")]
    Run(String),
    /// `i8x16` needs the calibration ranges.
    #[error("the i8x16 mode needs calibration data")]
    NeedsCalibration,
}

fn load(blob: &AlignedBytes) -> Result<Model<'_>, QuantError> {
    Model::from_bytes(blob.as_bytes()).map_err(QuantError::Load)
}

/// Quantizes a float model blob to `mode` (`ranges` from [`calibrate`] for [`Mode::I8x16`]);
/// the result is loaded back before it is returned.
pub fn quantize(
    float_blob: &[u8],
    mode: Mode,
    ranges: Option<&Ranges>,
) -> Result<Vec<u8>, QuantError> {
    let aligned = AlignedBytes::new(float_blob);
    let model = load(&aligned)?;
    if model.mode() != Mode::F32 {
        return Err(QuantError::NotFloat(model.mode().name()));
    }
    let spec = ModelSpec::from_model(&model);
    let bytes = match (mode, ranges) {
        (Mode::I8x16, Some(r)) => spec.to_bytes_i8x16(&nowcast_runtime::exponents(&model, r))?,
        (Mode::I8x16, None) => return Err(QuantError::NeedsCalibration),
        _ => spec.to_bytes_as(mode)?,
    };
    load(&AlignedBytes::new(&bytes))?;
    Ok(bytes)
}

/// How the range of a calibrated value is chosen from its magnitudes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    /// The largest magnitude seen.
    Max,
    /// This percentile (0–100) of the magnitudes.
    Percentile(f64),
}

impl std::str::FromStr for Calibration {
    type Err = String;

    /// `max`, or `p` and a percentile: `p99.99`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "max" {
            return Ok(Calibration::Max);
        }
        s.strip_prefix('p')
            .and_then(|p| p.parse::<f64>().ok())
            .filter(|p| (0.0..=100.0).contains(p))
            .map(Calibration::Percentile)
            .ok_or_else(|| {
                format!(
                    "calibration rule {s:?}: expected `max` or `p` and a percentile, like `p99.99`"
                )
            })
    }
}

/// Bins per octave of the magnitude histograms.
const BINS_PER_OCTAVE: f32 = 16.0;
/// Octaves below and above 1 the histograms cover.
const OCTAVES: i32 = 40;

/// Magnitudes of one calibrated value, in log-spaced bins (1/16 octave).
#[derive(Clone)]
struct Histogram {
    bins: Vec<u64>,
    max: f32,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            bins: vec![0; (2 * OCTAVES * BINS_PER_OCTAVE as i32 + 2) as usize],
            max: 0.0,
        }
    }

    fn add(&mut self, values: &[f32]) {
        let top = self.bins.len() - 1;
        for &v in values {
            let a = v.abs();
            if !a.is_finite() {
                continue;
            }
            self.max = self.max.max(a);
            let bin = if a == 0.0 {
                0
            } else {
                let b = (a.log2() * BINS_PER_OCTAVE).floor() as i32
                    + OCTAVES * BINS_PER_OCTAVE as i32
                    + 1;
                b.clamp(1, top as i32) as usize
            };
            self.bins[bin] += 1;
        }
    }

    fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.bins.iter_mut().zip(&o.bins) {
            *a += b;
        }
        self.max = self.max.max(o.max);
    }

    /// The magnitude below which `p` percent of the values lie (the upper edge of its bin).
    fn percentile(&self, p: f64) -> f32 {
        let total: u64 = self.bins.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let want = (p / 100.0 * total as f64).ceil() as u64;
        let mut seen = 0;
        for (i, &n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= want.max(1) {
                if i == 0 {
                    return 0.0;
                }
                let upper =
                    ((i as i32 - OCTAVES * BINS_PER_OCTAVE as i32) as f32) / BINS_PER_OCTAVE;
                return 2f32.powf(upper).min(self.max);
            }
        }
        self.max
    }

    fn range(&self, rule: Calibration) -> f32 {
        match rule {
            Calibration::Max => self.max,
            Calibration::Percentile(p) => self.percentile(p),
        }
    }
}

/// Per place: input, each layer's output, each LSTM's cell state.
#[derive(Clone)]
struct Histograms {
    input: Histogram,
    outputs: Vec<Histogram>,
    cells: Vec<Histogram>,
    logits: Vec<Histogram>,
}

impl Histograms {
    fn new(layers: usize) -> Self {
        Histograms {
            input: Histogram::new(),
            outputs: vec![Histogram::new(); layers],
            cells: vec![Histogram::new(); layers],
            logits: vec![Histogram::new(); layers],
        }
    }

    fn observe(&mut self, p: Probe<'_>) {
        match p {
            Probe::Input { values } => self.input.add(values),
            Probe::Output { layer, values } => self.outputs[layer].add(values),
            Probe::CellState { layer, values } => self.cells[layer].add(values),
            Probe::Logits { layer, values } => self.logits[layer].add(values),
            Probe::IntOutput { .. } => {}
        }
    }

    fn merge(mut self, o: &Histograms) -> Self {
        self.input.merge(&o.input);
        for (a, b) in self.outputs.iter_mut().zip(&o.outputs) {
            a.merge(b);
        }
        for (a, b) in self.cells.iter_mut().zip(&o.cells) {
            a.merge(b);
        }
        for (a, b) in self.logits.iter_mut().zip(&o.logits) {
            a.merge(b);
        }
        self
    }
}

/// What calibration and the per-layer error run the float model on: the raw inputs of a model
/// window, by split. [`Dataset`] gives forecasting windows, [`SequenceSet`] labelled sequences.
pub trait RawWindows: Sync {
    /// The windows of a split, by id.
    fn window_ids(&self, split: Split) -> &[usize];
    /// Samples per window.
    fn window_samples(&self) -> usize;
    /// The raw (unnormalized) samples of window `id`, into `out` (cleared first).
    fn raw_window(&self, id: usize, out: &mut Vec<f32>);
}

impl RawWindows for Dataset {
    fn window_ids(&self, split: Split) -> &[usize] {
        self.window_starts(split)
    }

    fn window_samples(&self) -> usize {
        self.window().samples()
    }

    fn raw_window(&self, id: usize, out: &mut Vec<f32>) {
        self.raw_window_into(id, out);
    }
}

impl RawWindows for TextSet {
    fn window_ids(&self, split: Split) -> &[usize] {
        self.ids(split)
    }

    fn window_samples(&self) -> usize {
        self.length()
    }

    /// The padded ids, as the values a token model's window holds.
    fn raw_window(&self, id: usize, out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.padded(id).into_iter().map(f32::from));
    }
}

impl RawWindows for SequenceSet {
    fn window_ids(&self, split: Split) -> &[usize] {
        self.ids(split)
    }

    fn window_samples(&self) -> usize {
        self.length()
    }

    fn raw_window(&self, id: usize, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(self.raw(id));
    }
}

/// The ranges of a float model's inputs, layer outputs and LSTM cell states over (at most
/// `max_windows`, evenly spread) windows of the training split, by `rule`.
pub fn calibrate(
    float_blob: &[u8],
    dataset: &impl RawWindows,
    rule: Calibration,
    max_windows: usize,
) -> Result<Ranges, QuantError> {
    let aligned = AlignedBytes::new(float_blob);
    let model = load(&aligned)?;
    let layers = model.layers().len();
    let picked = spread(dataset.window_ids(Split::Train), max_windows);
    let len = model
        .window_scratch_len(dataset.window_samples())
        .map_err(|e| QuantError::Run(format!("{e:?}")))?;
    let hist = picked
        .par_chunks(32)
        .map(|chunk| {
            let mut scratch = vec![0.0f32; len];
            let mut input = Vec::new();
            let mut h = Histograms::new(layers);
            for &s in chunk {
                dataset.raw_window(s, &mut input);
                run_probed(&model, &input, &mut scratch, &mut |p| h.observe(p))?;
            }
            Ok(h)
        })
        .collect::<Result<Vec<_>, QuantError>>()?
        .iter()
        .fold(Histograms::new(layers), |a, b| a.merge(b));
    Ok(Ranges {
        input: hist.input.range(rule),
        outputs: hist.outputs.iter().map(|h| h.range(rule)).collect(),
        cells: hist.cells.iter().map(|h| h.range(rule)).collect(),
        logits: hist.logits.iter().map(|h| h.range(rule)).collect(),
    })
}

/// How far one layer's quantized output is from the float one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerError {
    /// Zero-based layer index.
    pub index: usize,
    /// Keras layer kind.
    pub kind: String,
    /// Largest absolute difference, in the layer's (normalized) units.
    pub max_abs: f64,
    /// Signal-to-noise ratio in dB (`None` if the outputs are equal).
    pub snr_db: Option<f64>,
    /// Values compared.
    pub values: usize,
}

#[derive(Clone, Default)]
struct Acc {
    max_abs: f64,
    signal: f64,
    noise: f64,
    values: usize,
}

impl Acc {
    fn add(&mut self, f: &[f32], q: &[f32]) {
        for (&a, &b) in f.iter().zip(q) {
            let (a, b) = (f64::from(a), f64::from(b));
            self.max_abs = self.max_abs.max((a - b).abs());
            self.signal += a * a;
            self.noise += (a - b) * (a - b);
        }
        self.values += f.len().min(q.len());
    }

    fn merge(mut self, o: &Acc) -> Acc {
        self.max_abs = self.max_abs.max(o.max_abs);
        self.signal += o.signal;
        self.noise += o.noise;
        self.values += o.values;
        self
    }
}

/// Every layer's outputs of one window, concatenated per layer.
fn layer_outputs(
    model: &Model<'_>,
    input: &[f32],
    scratch: &mut [f32],
) -> Result<Vec<Vec<f32>>, QuantError> {
    let mut out = vec![Vec::new(); model.layers().len()];
    run_probed(model, input, scratch, &mut |p| match p {
        Probe::Output { layer, values } => out[layer].extend_from_slice(values),
        Probe::IntOutput { layer, values, exp } => {
            let unit = 1.0 / f32::from(1u16 << exp);
            out[layer].extend(values.iter().map(|&v| f32::from(v) * unit));
        }
        _ => {}
    })?;
    Ok(out)
}

/// A window through the model, probed: raw samples, or for a token model (Embedding first)
/// the ids they hold.
fn run_probed(
    model: &Model<'_>,
    input: &[f32],
    scratch: &mut [f32],
    probe: &mut impl FnMut(Probe<'_>),
) -> Result<(), QuantError> {
    let run = if model.vocab().is_some() {
        let ids: Vec<u16> = input.iter().map(|&v| v as u16).collect();
        model.window_tokens_probed(&ids, scratch, probe).map(|_| ())
    } else {
        model.window_probed(input, scratch, probe).map(|_| ())
    };
    run.map_err(|e| QuantError::Run(format!("{e:?}")))
}

/// At most `max` of `starts`, evenly spread.
fn spread(starts: &[usize], max: usize) -> Vec<usize> {
    let every = starts.len().div_ceil(max.max(1)).max(1);
    starts.iter().copied().step_by(every).collect()
}

/// Per-layer error of `quant` against `float` over (at most `max_windows`, evenly spread)
/// windows of `split`.
pub fn layer_errors(
    float_blob: &[u8],
    quant_blob: &[u8],
    dataset: &impl RawWindows,
    split: Split,
    max_windows: usize,
) -> Result<Vec<LayerError>, QuantError> {
    let (fa, qa) = (AlignedBytes::new(float_blob), AlignedBytes::new(quant_blob));
    let (fm, qm) = (load(&fa)?, load(&qa)?);
    let kinds: Vec<&str> = fm.layers().iter().map(|l| l.kind()).collect();
    if kinds != qm.layers().iter().map(|l| l.kind()).collect::<Vec<_>>() {
        return Err(QuantError::Mismatch);
    }
    let picked = spread(dataset.window_ids(split), max_windows);
    let samples = dataset.window_samples();
    let len = fm
        .window_scratch_len(samples)
        .and_then(|a| qm.window_scratch_len(samples).map(|b| a.max(b)))
        .map_err(|e| QuantError::Run(format!("{e:?}")))?;
    let accs = picked
        .par_chunks(32)
        .map(|chunk| {
            let mut scratch = vec![0.0f32; len];
            let mut input = Vec::new();
            let mut accs = vec![Acc::default(); kinds.len()];
            for &s in chunk {
                dataset.raw_window(s, &mut input);
                let f = layer_outputs(&fm, &input, &mut scratch)?;
                let q = layer_outputs(&qm, &input, &mut scratch)?;
                for ((acc, f), q) in accs.iter_mut().zip(&f).zip(&q) {
                    acc.add(f, q);
                }
            }
            Ok(accs)
        })
        .collect::<Result<Vec<_>, QuantError>>()?;
    let total = accs.iter().fold(vec![Acc::default(); kinds.len()], |t, a| {
        t.iter().zip(a).map(|(t, a)| t.clone().merge(a)).collect()
    });
    Ok(total
        .into_iter()
        .zip(kinds)
        .enumerate()
        .map(|(index, (a, kind))| LayerError {
            index,
            kind: kind.to_string(),
            max_abs: a.max_abs,
            snr_db: (a.noise > 0.0).then(|| 10.0 * (a.signal / a.noise).log10()),
            values: a.values,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_rules_parse() {
        assert_eq!("max".parse::<Calibration>(), Ok(Calibration::Max));
        assert_eq!(
            "p99.9".parse::<Calibration>(),
            Ok(Calibration::Percentile(99.9))
        );
        assert!("p101".parse::<Calibration>().is_err());
        assert!("99".parse::<Calibration>().is_err());
    }

    #[test]
    fn histogram_percentiles_land_in_the_right_bin() {
        let mut h = Histogram::new();
        // 999 values of magnitude ~1, one outlier of 100.
        let mut v = vec![1.0f32; 999];
        v.push(-100.0);
        h.add(&v);
        assert_eq!(h.range(Calibration::Max), 100.0);
        // The 99th percentile is in the bin of 1.0: [1, 2^(1/16)).
        let p = h.range(Calibration::Percentile(99.0));
        assert!((1.0..1.05).contains(&p), "{p}");
        assert_eq!(h.range(Calibration::Percentile(100.0)), 100.0);
        let mut zeros = Histogram::new();
        zeros.add(&[0.0, 0.0]);
        assert_eq!(zeros.range(Calibration::Percentile(50.0)), 0.0);
        assert_eq!(Histogram::new().range(Calibration::Percentile(50.0)), 0.0);
    }
}
