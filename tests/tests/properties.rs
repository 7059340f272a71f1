//! Equivalences over randomly generated models:
//! - streaming sample by sample equals the window forward pass, bit for bit, for every causal
//!   model (including NaN-filled samples, pooling decimation and valid-conv warm-up);
//! - export → `from_bytes` → owned spec round-trips exactly, and re-encodes to the same bytes;
//! - `from_bytes` never panics on arbitrary or structurally mutated bytes, and rejects every
//!   single-byte change and every truncation of a valid blob.

use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::Standardize;
use nowcast_runtime::layers::{Conv1d, Dense, Gru, Layer, Lstm, Padding, Pooling, SimpleRnn};
use nowcast_runtime::{AlignedBytes, Mode, Model, ModelSpec, Stepper, WindowError};
use nowcast_tests::encode;
use nowcast_tests::surgery::fix_crc;
use proptest::prelude::*;

fn weights(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-1.0f32..1.0, n)
}

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Linear),
        Just(Activation::Relu),
        Just(Activation::Tanh),
        Just(Activation::Sigmoid),
        Just(Activation::HardSigmoid),
    ]
}

/// A layer that takes `width` channels; returns it with its output width and whether its
/// output is still a sequence.
fn layer(width: usize, sequence: bool) -> BoxedStrategy<(Layer<Vec<f32>>, usize, bool)> {
    let dense = (
        1usize..5,
        activation(),
        prop_oneof![Just(Activation::Softmax), activation()],
    )
        .prop_flat_map(move |(u, a, b)| {
            (weights(width * u), weights(u)).prop_map(move |(kernel, bias)| {
                let activation = if u > 1 { b } else { a };
                (
                    Layer::Dense(Dense {
                        units: u as u32,
                        activation,
                        kernel,
                        bias,
                    }),
                    u,
                    sequence,
                )
            })
        });
    if !sequence {
        return prop_oneof![
            dense.boxed(),
            Just((Layer::Dropout { rate: 0.25 }, width, false)).boxed()
        ]
        .boxed();
    }
    let simple = (1usize..5, any::<bool>(), activation()).prop_flat_map(move |(u, rs, act)| {
        (weights(width * u), weights(u * u), weights(u)).prop_map(
            move |(kernel, recurrent_kernel, bias)| {
                let l = SimpleRnn {
                    units: u as u32,
                    activation: act,
                    return_sequences: rs,
                    kernel,
                    recurrent_kernel,
                    bias,
                };
                (Layer::SimpleRnn(l), u, rs)
            },
        )
    });
    let lstm = (1usize..5, any::<bool>()).prop_flat_map(move |(u, rs)| {
        (weights(width * 4 * u), weights(u * 4 * u), weights(4 * u)).prop_map(
            move |(kernel, recurrent_kernel, bias)| {
                let l = Lstm {
                    units: u as u32,
                    activation: Activation::Tanh,
                    recurrent_activation: Activation::Sigmoid,
                    return_sequences: rs,
                    kernel,
                    recurrent_kernel,
                    bias,
                };
                (Layer::Lstm(l), u, rs)
            },
        )
    });
    let gru = (1usize..5, any::<bool>(), any::<bool>()).prop_flat_map(move |(u, rs, after)| {
        let nb = if after { 6 * u } else { 3 * u };
        (weights(width * 3 * u), weights(u * 3 * u), weights(nb)).prop_map(
            move |(kernel, recurrent_kernel, bias)| {
                let l = Gru {
                    units: u as u32,
                    activation: Activation::Tanh,
                    recurrent_activation: Activation::Sigmoid,
                    reset_after: after,
                    return_sequences: rs,
                    kernel,
                    recurrent_kernel,
                    bias,
                };
                (Layer::Gru(l), u, rs)
            },
        )
    });
    let conv = (
        1usize..4,
        1usize..4,
        1u32..3,
        1u32..3,
        any::<bool>(),
        activation(),
    )
        .prop_flat_map(move |(f, k, d, s, causal, act)| {
            (weights(k * width * f), weights(f)).prop_map(move |(kernel, bias)| {
                let l = Conv1d {
                    filters: f as u32,
                    kernel_size: k as u32,
                    strides: s,
                    dilation: d,
                    padding: if causal {
                        Padding::Causal
                    } else {
                        Padding::Valid
                    },
                    activation: act,
                    kernel,
                    bias,
                };
                (Layer::Conv1d(l), f, true)
            })
        });
    let pool = (1u32..4, 1u32..4, any::<bool>()).prop_map(move |(p, s, max)| {
        let p = Pooling {
            pool_size: p,
            strides: s,
        };
        (
            if max {
                Layer::MaxPooling1d(p)
            } else {
                Layer::AveragePooling1d(p)
            },
            width,
            true,
        )
    });
    prop_oneof![
        dense.boxed(),
        simple.boxed(),
        lstm.boxed(),
        gru.boxed(),
        conv.boxed(),
        pool.boxed()
    ]
    .boxed()
}

/// A stack of `depth` layers over `width` input channels.
fn stack(
    width: usize,
    sequence: bool,
    depth: usize,
) -> BoxedStrategy<(Vec<Layer<Vec<f32>>>, usize)> {
    if depth == 0 {
        return Just((Vec::new(), width)).boxed();
    }
    layer(width, sequence)
        .prop_flat_map(move |(l, w, seq)| {
            stack(w, seq, depth - 1).prop_map(move |(mut rest, out)| {
                rest.insert(0, l.clone());
                (rest, out)
            })
        })
        .boxed()
}

fn norm(n: usize) -> impl Strategy<Value = Option<Standardize<Vec<f32>>>> {
    prop::option::of(
        (
            prop::collection::vec(-10.0f32..10.0, n),
            prop::collection::vec(0.1f32..5.0, n),
        )
            .prop_map(|(mean, std)| Standardize { mean, std }),
    )
}

/// A random streamable model.
fn causal_model() -> impl Strategy<Value = ModelSpec> {
    (1usize..4, 1usize..4).prop_flat_map(|(inputs, depth)| {
        stack(inputs, true, depth).prop_flat_map(move |(layers, out)| {
            (norm(inputs), norm(out), 0u32..40).prop_map(
                move |(input_norm, output_norm, lookback)| ModelSpec {
                    vocabulary: None,
                    name: "random".into(),
                    features: (0..inputs).map(|i| format!("in{i}")).collect(),
                    targets: (0..out).map(|i| format!("out{i}")).collect(),
                    sample_period_ms: 600_000,
                    lookback,
                    delay: 6,
                    step: 1,
                    input_norm,
                    output_norm,
                    layers: layers.clone(),
                },
            )
        })
    })
}

/// Raw samples with a few NaNs (missing readings).
fn samples(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(
        prop_oneof![9 => -20.0f32..20.0, 1 => Just(f32::NAN)],
        n..n * 40,
    )
    .prop_map(move |mut v| {
        v.truncate(v.len() / n * n);
        v
    })
}

fn loads(spec: &ModelSpec) -> bool {
    let blob = encode(spec);
    match Model::from_bytes(blob.as_bytes()) {
        Ok(_) => true,
        // A layer that outputs nothing at the lookback is a valid rejection.
        Err(nowcast_runtime::LoadError::Layer {
            problem: nowcast_runtime::Problem::SequenceTooShort,
            ..
        }) => false,
        Err(e) => panic!("generated model rejected: {e:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// In every numeric mode.
    #[test]
    fn streaming_equals_window(
        (spec, input) in causal_model().prop_flat_map(|m| { let s = samples(m.features.len()); (Just(m), s) }),
        mode in prop_oneof![Just(Mode::F32), Just(Mode::I8w)],
    ) {
        prop_assume!(loads(&spec));
        let blob = AlignedBytes::new(&spec.to_bytes_as(mode).unwrap());
        let model = Model::from_bytes(blob.as_bytes()).unwrap();
        prop_assert!(model.is_streamable());
        let n = model.input_len();
        let steps = input.len() / n;

        let mut state = vec![0.0; model.state_len()];
        let mut stepper = Stepper::new(&model, &mut state).unwrap();
        let mut emitted = Vec::new();
        for x in input.chunks_exact(n) {
            if let Some(y) = stepper.step(x).unwrap() {
                emitted.push(y.to_vec());
            }
        }
        prop_assert_eq!(stepper.filled() as usize, input.iter().filter(|v| v.is_nan()).count());

        match model.window_scratch_len(steps) {
            Err(WindowError::TooShort { .. }) => prop_assert!(emitted.is_empty()),
            Err(e) => panic!("plan failed: {e:?}"),
            Ok(len) => {
                let mut scratch = vec![0.0; len];
                let out = match model.window(&input, &mut scratch) {
                    Err(WindowError::TooShort { .. }) => {
                        prop_assert!(emitted.is_empty());
                        return Ok(());
                    }
                    other => other.unwrap(),
                };
                let streamed = match out.steps {
                    Some(_) => emitted.concat(),
                    None => emitted.last().cloned().unwrap_or_default(),
                };
                // Bit for bit: compare the representations, not the values (NaN != NaN).
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&streamed), bits(out.values));
            }
        }
    }

    /// The integer path on random models (their activations permitting) equals the plain
    /// reference implementation bit for bit, and streaming equals the window bit for bit.
    #[test]
    fn i8x16_matches_the_reference_and_streams_like_its_window(
        (spec, input) in causal_model().prop_flat_map(|m| { let s = samples(m.features.len()); (Just(m), s) }),
    ) {
        prop_assume!(loads(&spec) && !input.is_empty());
        let blob = nowcast_tests::encode_i8x16(&spec, &[&input]);
        let model = match Model::from_bytes(blob.as_bytes()) {
            Ok(m) => m,
            Err(nowcast_runtime::LoadError::Layer {
                problem: nowcast_runtime::Problem::UnsupportedActivation
                    | nowcast_runtime::Problem::SoftmaxNotLast,
                ..
            }) => return Ok(()),
            Err(e) => panic!("rejected: {e:?}"),
        };
        let n = model.input_len();
        let steps = input.len() / n;
        let len = match model.window_scratch_len(steps) {
            Ok(len) => len,
            Err(WindowError::TooShort { .. }) => return Ok(()),
            Err(e) => panic!("plan: {e:?}"),
        };
        let mut scratch = vec![0.0; len];
        let last = model.layers().len() - 1;
        let mut ints = Vec::new();
        let out = match model.window_probed(&input, &mut scratch, &mut |p| {
            if let nowcast_runtime::Probe::IntOutput { layer, values, .. } = p
                && layer == last
            {
                ints = values.iter().map(|&v| i64::from(v)).collect();
            }
        }) {
            Ok(out) => out.values.to_vec(),
            Err(WindowError::TooShort { .. }) => return Ok(()),
            Err(e) => panic!("window: {e:?}"),
        };
        let (reference, _) = nowcast_tests::intref::window(&model, &input);
        prop_assert_eq!(&ints, &reference);

        let mut state = vec![0.0; model.state_len()];
        let mut stepper = Stepper::new(&model, &mut state).unwrap();
        let mut emitted = Vec::new();
        for x in input.chunks_exact(n) {
            if let Some(y) = stepper.step(x).unwrap() {
                emitted.push(y.to_vec());
            }
        }
        let streamed = if model.layer_input(model.layers().len()).is_some_and(|s| matches!(s, nowcast_runtime::Shape::Sequence { .. })) {
            emitted.concat()
        } else {
            emitted.last().cloned().unwrap_or_default()
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&streamed), bits(&out));
    }

    #[test]
    fn export_load_round_trips(spec in causal_model()) {
        prop_assume!(loads(&spec));
        let bytes = spec.to_bytes().unwrap();
        let blob = AlignedBytes::new(&bytes);
        let model = Model::from_bytes(blob.as_bytes()).unwrap();
        let back = ModelSpec::from_model(&model);
        prop_assert_eq!(&back, &spec);
        prop_assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let blob = AlignedBytes::new(&bytes);
        let _ = Model::from_bytes(blob.as_bytes());
    }

    /// Mutations behind a valid header and CRC reach the metadata decoder, the shape checks and
    /// (for quantized blobs) the scale and exponent checks, in every numeric mode.
    #[test]
    fn mutated_metadata_never_panics(
        spec in causal_model(),
        mode in prop_oneof![Just(Mode::F32), Just(Mode::I8w), Just(Mode::I8x16)],
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = match mode {
            Mode::I8x16 => {
                let float = encode(&spec);
                let Ok(model) = Model::from_bytes(float.as_bytes()) else { return Ok(()) };
                let ranges = nowcast_runtime::Ranges::new(model.layers().len());
                spec.to_bytes_i8x16(&nowcast_runtime::exponents(&model, &ranges)).unwrap()
            }
            _ => spec.to_bytes_as(mode).unwrap(),
        };
        for (at, value) in edits {
            let i = 20 + at.index(bytes.len() - 20);
            bytes[i] = value;
        }
        fix_crc(&mut bytes);
        let blob = AlignedBytes::new(&bytes);
        if let Ok(model) = Model::from_bytes(blob.as_bytes()) {
            // Whatever loads must run without panicking.
            if let Ok(len) = model.window_scratch_len(8) {
                let mut scratch = vec![0.0; len];
                let input = vec![0.5; 8 * model.input_len()];
                let _ = model.window(&input, &mut scratch);
            }
            let mut state = vec![0.0; model.state_len()];
            if let Ok(mut s) = Stepper::new(&model, &mut state) {
                for _ in 0..8 {
                    let _ = s.step(&vec![0.5; model.input_len()]);
                }
            }
        }
    }
}

proptest! {
    /// Any total and metadata length in the header (with a correct CRC) is an error or a model,
    /// never a panic or a wrap-around.
    #[test]
    fn header_lengths_never_panic(total in any::<u32>(), meta in any::<u32>(), extra in 0usize..64) {
        let mut bytes = nowcast_tests::sample_spec().to_bytes().unwrap();
        bytes.resize(bytes.len() + extra, 0);
        bytes[8..12].copy_from_slice(&total.to_le_bytes());
        bytes[12..16].copy_from_slice(&meta.to_le_bytes());
        fix_crc(&mut bytes);
        let blob = AlignedBytes::new(&bytes);
        let _ = Model::from_bytes(blob.as_bytes());
    }
}

#[test]
fn every_single_byte_change_is_rejected() {
    let bytes = nowcast_tests::sample_spec().to_bytes().unwrap();
    assert!(Model::from_bytes(AlignedBytes::new(&bytes).as_bytes()).is_ok());
    let mut checked = 0;
    for i in 0..bytes.len() {
        for delta in [
            0x01u8,
            0x02,
            0x10,
            0x80,
            0xff,
            (i as u8).wrapping_mul(7) | 1,
        ] {
            let mut m = bytes.clone();
            m[i] ^= delta;
            let blob = AlignedBytes::new(&m);
            assert!(
                Model::from_bytes(blob.as_bytes()).is_err(),
                "byte {i} ^ {delta:#04x} was accepted"
            );
            checked += 1;
        }
    }
    for len in 0..bytes.len() {
        let blob = AlignedBytes::new(&bytes[..len]);
        assert!(
            Model::from_bytes(blob.as_bytes()).is_err(),
            "truncation to {len} bytes was accepted"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Model::from_bytes(AlignedBytes::new(&longer).as_bytes()).is_err());
    assert!(checked > 1000);
}

#[test]
fn misaligned_blob_is_a_typed_error() {
    let bytes = nowcast_tests::sample_spec().to_bytes().unwrap();
    let mut shifted = vec![0u8; 1];
    shifted.extend_from_slice(&bytes);
    let blob = AlignedBytes::new(&shifted);
    assert_eq!(
        Model::from_bytes(&blob.as_bytes()[1..]).err(),
        Some(nowcast_runtime::LoadError::Misaligned)
    );
}
