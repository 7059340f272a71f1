//! What the reduced tests share: a one-feature spec and a Dense layer.

use nowcast_runtime::ModelSpec;
use nowcast_runtime::activation::Activation;
use nowcast_runtime::layers::{Dense, Layer};

/// A spec over one feature `a` with one target `y`.
pub fn spec(lookback: u32, layers: Vec<Layer<Vec<f32>>>) -> ModelSpec {
    ModelSpec {
        vocabulary: None,
        name: "reduced".into(),
        features: vec!["a".into()],
        targets: vec!["y".into()],
        sample_period_ms: 0,
        lookback,
        delay: 1,
        step: 1,
        input_norm: None,
        output_norm: None,
        layers,
    }
}

/// Dense(1), linear: `0.5 · sum(x) + 0.25`.
pub fn dense(input: usize) -> Layer<Vec<f32>> {
    Layer::Dense(Dense {
        units: 1,
        activation: Activation::Linear,
        kernel: vec![0.5; input],
        bias: vec![0.25],
    })
}
