//! Export: a trained model and its dataset's metadata as a nowcast model blob.
//!
//! The blob carries the feature names, the target, the sample period, lookback, step and delay,
//! the training split's normalization of every feature (inputs are raw sensor units) and the
//! target's de-normalization (outputs are in the target's units). Export loads the bytes back
//! with `Model::from_bytes` before returning them, so a blob that leaves here is one the
//! runtime accepts.

use std::io::Write;
use std::path::Path;

use nowcast_runtime::format::Standardize;
use nowcast_runtime::{AlignedBytes, LoadError, Model, ModelSpec};

use crate::data::Dataset;
use crate::train::TrainModel;

/// Why a model could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The model does not fit the format (too many layers or channels).
    #[error("encoding the model: {0}")]
    Build(#[from] nowcast_runtime::BuildError),
    /// The runtime rejects the encoded model (a bug: the trainer built something it cannot run).
    #[error("the runtime rejects the exported model: {0:?}")]
    Load(LoadError),
    /// Writing the file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// The owned model for a trained network on `dataset`.
pub fn spec(model: &TrainModel, dataset: &Dataset, name: &str, sample_period_ms: u64) -> ModelSpec {
    let n = dataset.normalization();
    let w = dataset.window();
    ModelSpec {
        vocabulary: None,
        name: name.to_string(),
        features: dataset.features().to_vec(),
        targets: vec![n.target.name.clone()],
        sample_period_ms,
        lookback: w.lookback() as u32,
        delay: w.delay() as u32,
        step: w.step() as u32,
        input_norm: Some(Standardize {
            mean: n.features.iter().map(|c| c.mean as f32).collect(),
            std: n.features.iter().map(|c| c.std as f32).collect(),
        }),
        output_norm: Some(Standardize {
            mean: vec![n.target.mean as f32],
            std: vec![n.target.std as f32],
        }),
        layers: model.layers(),
    }
}

/// Encodes and checks a model: the bytes the runtime will load.
pub fn to_bytes(spec: &ModelSpec) -> Result<Vec<u8>, ExportError> {
    let bytes = spec.to_bytes()?;
    let aligned = AlignedBytes::new(&bytes);
    Model::from_bytes(aligned.as_bytes()).map_err(ExportError::Load)?;
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the target, so a crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("out")
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}
