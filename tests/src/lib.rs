//! Shared helpers of the cross-crate tests (the tests themselves are in `tests/tests/`).
//!
//! - [`golden`]: reads the Keras golden vectors in `tests/golden/` (made by
//!   `tools/golden/keras_golden.py`, see `tests/golden/README.md`) and rebuilds each Keras model
//!   as a nowcast [`ModelSpec`].

use std::path::{Path, PathBuf};

use nowcast_runtime::ModelSpec;
use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::Standardize;
use nowcast_runtime::layers::{Conv1d, Dense, Gru, Layer, Padding, Pooling};

pub mod golden;
pub mod intref;
pub mod surgery;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Encodes a spec and copies it to an aligned buffer, ready for `Model::from_bytes`.
pub fn encode(spec: &ModelSpec) -> nowcast_runtime::AlignedBytes {
    let bytes = spec.to_bytes().expect("spec encodes");
    nowcast_runtime::AlignedBytes::new(&bytes)
}

/// A fixed, realistic model: Conv1D(4,3) → MaxPool(2) → GRU(5) → Dense(1), with normalization.
pub fn sample_spec() -> ModelSpec {
    let ramp = |n: usize, scale: f32| {
        (0..n)
            .map(|i| ((i * 37 % 17) as f32 / 17.0 - 0.5) * scale)
            .collect::<Vec<_>>()
    };
    ModelSpec {
        vocabulary: None,
        name: "sample".into(),
        features: vec!["temp_c".into(), "rh_pct".into(), "pressure_mbar".into()],
        targets: vec!["temp_c".into()],
        sample_period_ms: 3_600_000,
        lookback: 24,
        delay: 6,
        step: 1,
        input_norm: Some(Standardize {
            mean: vec![15.0, 60.0, 1000.0],
            std: vec![8.0, 20.0, 10.0],
        }),
        output_norm: Some(Standardize {
            mean: vec![15.0],
            std: vec![8.0],
        }),
        layers: vec![
            Layer::Conv1d(Conv1d {
                filters: 4,
                kernel_size: 3,
                strides: 1,
                dilation: 1,
                padding: Padding::Causal,
                activation: Activation::Relu,
                kernel: ramp(3 * 3 * 4, 1.0),
                bias: ramp(4, 0.2),
            }),
            Layer::MaxPooling1d(Pooling {
                pool_size: 2,
                strides: 2,
            }),
            Layer::Gru(Gru {
                units: 5,
                activation: Activation::Tanh,
                recurrent_activation: Activation::Sigmoid,
                reset_after: true,
                return_sequences: false,
                kernel: ramp(4 * 15, 1.0),
                recurrent_kernel: ramp(5 * 15, 1.0),
                bias: ramp(30, 0.5),
            }),
            Layer::Dense(Dense {
                units: 1,
                activation: Activation::Linear,
                kernel: ramp(5, 1.0),
                bias: vec![0.1],
            }),
        ],
    }
}

/// The spec as an `i8x16` blob, its exponents chosen from the float model's ranges over the
/// given raw windows (or token windows, for a token model).
pub fn encode_i8x16(spec: &ModelSpec, windows: &[&[f32]]) -> nowcast_runtime::AlignedBytes {
    let float = encode(spec);
    let model = nowcast_runtime::Model::from_bytes(float.as_bytes()).expect("float model loads");
    let mut ranges = nowcast_runtime::Ranges::new(model.layers().len());
    for w in windows {
        let steps = w.len() / model.input_len();
        // A window too short for the model shows nothing.
        let Ok(len) = model.window_scratch_len(steps) else {
            continue;
        };
        let mut scratch = vec![0.0; len];
        if model.vocab().is_some() {
            let ids: Vec<u16> = w.iter().map(|&x| x as u16).collect();
            model
                .window_tokens_probed(&ids, &mut scratch, &mut |p| ranges.observe(p))
                .ok();
        } else {
            model
                .window_probed(w, &mut scratch, &mut |p| ranges.observe(p))
                .ok();
        }
    }
    let exps = nowcast_runtime::exponents(&model, &ranges);
    nowcast_runtime::AlignedBytes::new(&spec.to_bytes_i8x16(&exps).expect("encodes"))
}
