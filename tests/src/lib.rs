//! Shared helpers of the cross-crate tests (the tests themselves are in `tests/tests/`).
//!
//! - [`golden`]: reads the Keras golden vectors in `tests/golden/` (made by
//!   `tools/golden/keras_golden.py`, see `tests/golden/README.md`) and rebuilds each Keras model
//!   as a nowcast [`ModelSpec`].

use std::path::{Path, PathBuf};

use nowcast_runtime::ModelSpec;

pub mod golden;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Encodes a spec and copies it to an aligned buffer, ready for `Model::from_bytes`.
pub fn encode(spec: &ModelSpec) -> nowcast_runtime::AlignedBytes {
    let bytes = spec.to_bytes().expect("spec encodes");
    nowcast_runtime::AlignedBytes::new(&bytes)
}
