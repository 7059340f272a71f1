//! Quantization of an exported float model, and how much it costs, measured through the runtime.
//!
//! - [`quantize`]: a float blob to a blob in another [`Mode`]. `i8w` needs no data: each kernel
//!   row is quantized on its own (see `nowcast_runtime::tensor`).
//! - [`layer_errors`]: the float and the quantized model run side by side over the same windows
//!   in window mode; every layer's output (normalized units) is compared: largest absolute
//!   difference and signal-to-noise ratio `10 log10(Σ f² / Σ (f - q)²)` in dB.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use nowcast_runtime::{AlignedBytes, LoadError, Mode, Model, ModelSpec, Probe};

use crate::data::{Dataset, Split};

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
}

fn load(blob: &AlignedBytes) -> Result<Model<'_>, QuantError> {
    Model::from_bytes(blob.as_bytes()).map_err(QuantError::Load)
}

/// Quantizes a float model blob to `mode`; the result is loaded back before it is returned.
pub fn quantize(float_blob: &[u8], mode: Mode) -> Result<Vec<u8>, QuantError> {
    let aligned = AlignedBytes::new(float_blob);
    let model = load(&aligned)?;
    if model.mode() != Mode::F32 {
        return Err(QuantError::NotFloat(model.mode().name()));
    }
    let bytes = ModelSpec::from_model(&model).to_bytes_as(mode)?;
    load(&AlignedBytes::new(&bytes))?;
    Ok(bytes)
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
    model
        .window_probed(input, scratch, &mut |p| {
            if let Probe::Output { layer, values } = p {
                out[layer].extend_from_slice(values);
            }
        })
        .map_err(|e| QuantError::Run(format!("{e:?}")))?;
    Ok(out)
}

/// Per-layer error of `quant` against `float` over (at most `max_windows`, evenly spread)
/// windows of `split`.
pub fn layer_errors(
    float_blob: &[u8],
    quant_blob: &[u8],
    dataset: &Dataset,
    split: Split,
    max_windows: usize,
) -> Result<Vec<LayerError>, QuantError> {
    let (fa, qa) = (AlignedBytes::new(float_blob), AlignedBytes::new(quant_blob));
    let (fm, qm) = (load(&fa)?, load(&qa)?);
    let kinds: Vec<&str> = fm.layers().iter().map(|l| l.kind()).collect();
    if kinds != qm.layers().iter().map(|l| l.kind()).collect::<Vec<_>>() {
        return Err(QuantError::Mismatch);
    }
    let starts = dataset.window_starts(split);
    let every = starts.len().div_ceil(max_windows.max(1)).max(1);
    let picked: Vec<usize> = starts.iter().copied().step_by(every).collect();
    let w = dataset.window();
    let len = fm
        .window_scratch_len(w.samples())
        .and_then(|a| qm.window_scratch_len(w.samples()).map(|b| a.max(b)))
        .map_err(|e| QuantError::Run(format!("{e:?}")))?;
    let accs = picked
        .par_chunks(32)
        .map(|chunk| {
            let mut scratch = vec![0.0f32; len];
            let mut input = Vec::new();
            let mut accs = vec![Acc::default(); kinds.len()];
            for &s in chunk {
                input.clear();
                for row in (s..s + w.lookback()).step_by(w.step()) {
                    input.extend_from_slice(dataset.raw_row(row));
                }
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
