//! ns per streamed step (criterion): the reference shapes over 14 input channels, in
//! every numeric mode (`step/<model>/<mode>`).
//!
//! `cargo bench -p nowcast-runtime`. Each benchmark prints its MACs per input sample, so the
//! figures can be read as ns per MAC too. Weights are deterministic pseudo-random values; the
//! `i8x16` exponents come from the float model's ranges over the first windows of the stream.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::Standardize;
use nowcast_runtime::layers::{Conv1d, Dense, Gru, Layer, Lstm, Padding, Pooling, SimpleRnn};
use nowcast_runtime::{AlignedBytes, Mode, Model, ModelSpec, Ranges, Stepper};

const INPUTS: usize = 14;
const UNITS: u32 = 32;

/// Deterministic values in [-scale, scale).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn dense(input: usize, seed: u64) -> Layer<Vec<f32>> {
    Layer::Dense(Dense {
        units: 1,
        activation: Activation::Linear,
        kernel: values(input, seed, 0.3),
        bias: vec![0.0],
    })
}

fn gru(input: usize) -> Layer<Vec<f32>> {
    let u = UNITS as usize;
    Layer::Gru(Gru {
        units: UNITS,
        activation: Activation::Tanh,
        recurrent_activation: Activation::Sigmoid,
        reset_after: true,
        return_sequences: false,
        kernel: values(input * 3 * u, 1, 0.3),
        recurrent_kernel: values(u * 3 * u, 2, 0.3),
        bias: values(6 * u, 3, 0.1),
    })
}

fn spec(name: &str, layers: Vec<Layer<Vec<f32>>>) -> ModelSpec {
    ModelSpec {
        vocabulary: None,
        name: name.into(),
        features: (0..INPUTS).map(|i| format!("x{i}")).collect(),
        targets: vec!["y".into()],
        sample_period_ms: 600_000,
        lookback: 120,
        delay: 6,
        step: 1,
        input_norm: Some(Standardize {
            mean: vec![0.0; INPUTS],
            std: vec![1.0; INPUTS],
        }),
        output_norm: Some(Standardize {
            mean: vec![0.0],
            std: vec![1.0],
        }),
        layers,
    }
}

fn models() -> Vec<ModelSpec> {
    let u = UNITS as usize;
    vec![
        spec("gru32", vec![gru(INPUTS), dense(u, 9)]),
        spec(
            "lstm32",
            vec![
                Layer::Lstm(Lstm {
                    units: UNITS,
                    activation: Activation::Tanh,
                    recurrent_activation: Activation::Sigmoid,
                    return_sequences: false,
                    kernel: values(INPUTS * 4 * u, 4, 0.3),
                    recurrent_kernel: values(u * 4 * u, 5, 0.3),
                    bias: values(4 * u, 6, 0.1),
                }),
                dense(u, 9),
            ],
        ),
        spec(
            "simple_rnn32",
            vec![
                Layer::SimpleRnn(SimpleRnn {
                    units: UNITS,
                    activation: Activation::Tanh,
                    return_sequences: false,
                    kernel: values(INPUTS * u, 7, 0.3),
                    recurrent_kernel: values(u * u, 8, 0.3),
                    bias: values(u, 9, 0.1),
                }),
                dense(u, 9),
            ],
        ),
        spec(
            "conv32x5_maxpool3_gru32",
            vec![
                Layer::Conv1d(Conv1d {
                    filters: UNITS,
                    kernel_size: 5,
                    strides: 1,
                    dilation: 1,
                    padding: Padding::Causal,
                    activation: Activation::Relu,
                    kernel: values(5 * INPUTS * u, 10, 0.3),
                    bias: values(u, 11, 0.1),
                }),
                Layer::MaxPooling1d(Pooling {
                    pool_size: 3,
                    strides: 3,
                }),
                gru(u),
                dense(u, 9),
            ],
        ),
    ]
}

/// The blob of `spec` in `mode`.
fn encode(spec: &ModelSpec, mode: Mode, stream: &[f32]) -> Vec<u8> {
    if mode != Mode::I8x16 {
        return spec.to_bytes_as(mode).expect("encodes");
    }
    let float = AlignedBytes::new(&spec.to_bytes().expect("encodes"));
    let model = Model::from_bytes(float.as_bytes()).expect("loads");
    let mut ranges = Ranges::new(model.layers().len());
    let window = 120 * INPUTS;
    let mut scratch = vec![0.0; model.window_scratch_len(120).expect("plan")];
    for w in stream.chunks_exact(window).take(8) {
        model
            .window_probed(w, &mut scratch, &mut |p| ranges.observe(p))
            .expect("runs");
    }
    let exponents = nowcast_runtime::exponents(&model, &ranges);
    spec.to_bytes_i8x16(&exponents).expect("encodes")
}

fn streamed_step(c: &mut Criterion) {
    let stream = values(INPUTS * 1024, 42, 2.0);
    for spec in models() {
        for mode in [Mode::F32, Mode::I8w, Mode::I8x16] {
            let blob = AlignedBytes::new(&encode(&spec, mode, &stream));
            let model = Model::from_bytes(blob.as_bytes()).expect("loads");
            println!(
                "{} {}: {:.0} MACs per sample, {} state words",
                spec.name,
                mode.name(),
                model.macs_per_sample(),
                model.state_len()
            );
            let mut state = vec![0.0; model.state_len()];
            let mut stepper = Stepper::new(&model, &mut state).expect("streamable");
            let mut samples = stream.chunks_exact(INPUTS).cycle();
            c.bench_function(&format!("step/{}/{}", spec.name, mode.name()), |b| {
                b.iter(|| {
                    let x = samples.next().unwrap_or(&[0.0; INPUTS]);
                    black_box(stepper.step(black_box(x)).map(|y| y.map(|y| y[0])))
                })
            });
        }
    }
}

criterion_group!(benches, streamed_step);
criterion_main!(benches);
