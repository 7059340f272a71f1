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
/// renamed over the target, so a crash never leaves a half-written file. A symbolic link is
/// followed (the file it names is replaced, the link stays), and what is not a file (a pipe,
/// `/dev/stdout`, a terminal) is written to as it is: there is nothing to rename over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    // Where a link leads (relative to the link's folder), through every link on the way.
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).map_err(io)?;
                path = path.parent().unwrap_or(Path::new("")).join(target);
            }
            _ => break,
        }
    }
    let path = path.as_path();
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io)?;
        return f.write_all(bytes).map_err(io);
    }
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_link_and_a_pipe_are_written_through_not_replaced() {
        let dir = std::env::temp_dir().join(format!("nowcast-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A link to a file in another folder: the file gets the bytes, the link stays.
        let (real, link) = (dir.join("real.csv"), dir.join("sub/link.csv"));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(&real, "old").unwrap();
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("../real.csv", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        // A named pipe: its reader gets the bytes, and it is still a pipe.
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::read(fifo).unwrap())
            };
            write_atomic(&fifo, b"through").unwrap();
            use std::os::unix::fs::FileTypeExt;
            assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
            assert_eq!(reader.join().unwrap(), b"through");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
