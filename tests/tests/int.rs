//! The full-integer mode (`i8x16`): the runtime's integer path against the plain reference
//! implementation in `nowcast_tests::intref`, bit for bit; streaming equal to the window; the
//! quantized output near the float one; bad exponents rejected.

use nowcast_runtime::{Mode, Model, Probe};
use nowcast_tests::{encode_i8x16, golden, intref};

/// The case's window output, and its last layer's `i16` output.
fn run(model: &Model<'_>, case: &golden::Case) -> (Vec<f32>, Vec<i64>) {
    let last = model.layers().len() - 1;
    let mut ints = Vec::new();
    let out = case.window_probed(model, &mut |p: Probe<'_>| {
        if let Probe::IntOutput { layer, values, .. } = p
            && layer == last
        {
            ints = values.iter().map(|&v| i64::from(v)).collect();
        }
    });
    (out, ints)
}

/// Every golden case the integer path supports: the runtime equals the reference bit for bit,
/// the stream equals the window bit for bit, and the output is near the float (Keras) one.
///
/// The closeness bound, 5% of the output's magnitude plus 0.02, is empirical (calibrated on the
/// very window, int8 weights, 16-bit activations); the test prints the largest error seen.
#[test]
fn golden_models_in_i8x16_match_the_reference() {
    let mut checked = 0;
    let mut worst = (0.0f32, String::new());
    for case in golden::all() {
        let blob = encode_i8x16(&case.spec, &[&case.input]);
        let model = match Model::from_bytes(blob.as_bytes()) {
            Ok(m) => m,
            // Activations without an integer form (a relu GRU, say) are refused at load.
            Err(nowcast_runtime::LoadError::Layer {
                problem: nowcast_runtime::Problem::UnsupportedActivation,
                ..
            }) => continue,
            Err(e) => panic!("{}: {e:?}", case.name),
        };
        assert_eq!(model.mode(), Mode::I8x16);
        let (out, ints) = run(&model, &case);
        let (reference, _) = intref::window(&model, &case.input);
        assert_eq!(
            ints, reference,
            "{}: runtime and reference differ",
            case.name
        );

        let peak = case.output.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let diff = out
            .iter()
            .zip(&case.output)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            diff <= 0.05 * peak + 0.02,
            "{}: i8x16 differs from Keras by {diff} (peak {peak})",
            case.name
        );
        if diff / (peak + 1e-6) > worst.0 {
            worst = (diff / (peak + 1e-6), case.name.clone());
        }

        if model.is_streamable() {
            assert_eq!(
                golden::bits(&case.streamed(&model)),
                golden::bits(&out),
                "{}: stream differs from window",
                case.name
            );
        }
        checked += 1;
    }
    println!(
        "{checked} golden cases in i8x16; largest relative error vs Keras {:.4} ({})",
        worst.0, worst.1
    );
    assert!(checked >= 25, "only {checked} golden cases ran in i8x16");
}

mod bad_exponents {
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::format::{IntModel, ModelRepr, TensorRef};
    use nowcast_runtime::layers::{Dense, Gru, IntLayer, Layer, Pooling};
    use nowcast_runtime::{AlignedBytes, LoadError, Model, ModelSpec, Problem, TensorName};
    use nowcast_tests::surgery;

    fn spec(layers: Vec<Layer<Vec<f32>>>, targets: usize) -> ModelSpec {
        ModelSpec {
            vocabulary: None,
            name: "e".into(),
            features: vec!["a".into(), "b".into()],
            targets: (0..targets).map(|i| format!("y{i}")).collect(),
            sample_period_ms: 0,
            lookback: 4,
            delay: 1,
            step: 1,
            input_norm: None,
            output_norm: None,
            layers,
        }
    }

    fn dense(input: usize, units: usize, activation: Activation) -> Layer<Vec<f32>> {
        Layer::Dense(Dense {
            units: units as u32,
            activation,
            kernel: (0..input * units).map(|i| 0.1 * i as f32 - 0.2).collect(),
            bias: vec![0.05; units],
        })
    }

    /// Conv-free stack: Dense(tanh) → MaxPool → Dense(linear), two outputs.
    fn model() -> ModelSpec {
        spec(
            vec![
                dense(2, 3, Activation::Tanh),
                Layer::MaxPooling1d(Pooling {
                    pool_size: 2,
                    strides: 2,
                }),
                dense(3, 2, Activation::Linear),
            ],
            2,
        )
    }

    fn good() -> IntModel {
        let mut layers = heapless::Vec::new();
        for (output_exp, cell_exp) in [(15, 0), (15, 0), (11, 0)] {
            let _ = layers.push(IntLayer {
                output_exp,
                cell_exp,
            });
        }
        IntModel {
            input_exp: 12,
            layers,
        }
    }

    fn load(spec: &ModelSpec, int: &IntModel) -> Result<(), LoadError> {
        let bytes = spec.to_bytes_i8x16(int).unwrap();
        Model::from_bytes(AlignedBytes::new(&bytes).as_bytes()).map(|_| ())
    }

    fn with(f: impl Fn(&mut IntModel)) -> Result<(), LoadError> {
        let mut int = good();
        f(&mut int);
        load(&model(), &int)
    }

    fn layer(index: u8, problem: Problem) -> Result<(), LoadError> {
        Err(LoadError::Layer { index, problem })
    }

    /// A std so small that `2^input_exp / std` overflows `f32`: the gain is clamped to
    /// `f32::MAX`, so a sample one subnormal step from the mean still quantizes to 0 (as
    /// `(x - mean) / std · 2^15 ≈ 0.0075` rounds), where an infinite gain would saturate it.
    #[test]
    fn a_tiny_std_does_not_saturate_samples_at_the_mean() {
        let mean = 1e-34f32;
        let mut spec = model();
        spec.input_norm = Some(nowcast_runtime::format::Standardize {
            mean: vec![mean, 0.0],
            std: vec![5e-35, 1.0],
        });
        let mut int = good();
        int.input_exp = 15;
        let bytes = spec.to_bytes_i8x16(&int).unwrap();
        let blob = AlignedBytes::new(&bytes);
        let model = Model::from_bytes(blob.as_bytes()).unwrap();
        let run = |v: f32| {
            let mut state = vec![0.0; model.state_len()];
            let mut stepper = nowcast_runtime::Stepper::new(&model, &mut state).unwrap();
            let mut out = Vec::new();
            for _ in 0..4 {
                if let Some(y) = stepper.step(&[v, 0.5]).unwrap() {
                    out.extend(y.iter().map(|v| v.to_bits()));
                }
            }
            out
        };
        let at_mean = run(mean);
        assert_eq!(at_mean.len(), 4, "two pooled outputs of two values");
        assert_eq!(run(f32::from_bits(mean.to_bits() + 1)), at_mean);
        // Far from the mean the input does saturate, and the output shows it.
        assert_ne!(run(2.0 * mean), at_mean);
    }

    #[test]
    fn exponents_that_contradict_the_layers_are_rejected() {
        assert_eq!(with(|_| {}), Ok(()));
        assert_eq!(
            with(|m| m.input_exp = 16),
            Err(LoadError::InputNorm(Problem::BadExponent))
        );
        assert_eq!(
            with(|m| m.layers[2].output_exp = 16),
            layer(2, Problem::BadExponent)
        );
        // tanh outputs are Q15.
        assert_eq!(
            with(|m| m.layers[0].output_exp = 14),
            layer(0, Problem::BadExponent)
        );
        // Pooling keeps its input's exponent.
        assert_eq!(
            with(|m| m.layers[1].output_exp = 14),
            layer(1, Problem::BadExponent)
        );
        // A cell exponent on a layer without a cell.
        assert_eq!(
            with(|m| m.layers[2].cell_exp = 3),
            layer(2, Problem::BadExponent)
        );
        // One entry per layer.
        assert_eq!(
            with(|m| {
                m.layers.pop();
            }),
            Err(LoadError::Metadata)
        );
    }

    #[test]
    fn layers_without_an_integer_form_are_rejected() {
        let softmax_first = spec(
            vec![
                dense(2, 3, Activation::Softmax),
                dense(3, 2, Activation::Linear),
            ],
            2,
        );
        let mut int = good();
        int.layers.remove(1);
        assert_eq!(
            load(&softmax_first, &int),
            layer(0, Problem::SoftmaxNotLast)
        );

        let relu_gru = spec(
            vec![Layer::Gru(Gru {
                units: 2,
                activation: Activation::Relu,
                recurrent_activation: Activation::Sigmoid,
                reset_after: true,
                return_sequences: false,
                kernel: vec![0.1; 12],
                recurrent_kernel: vec![0.1; 12],
                bias: vec![0.0; 12],
            })],
            2,
        );
        let mut int = good();
        int.layers.truncate(1);
        assert_eq!(
            load(&relu_gru, &int),
            layer(0, Problem::UnsupportedActivation)
        );
    }

    /// A GRU whose recurrent activation is tanh (its update gate can be negative): the blend
    /// stays exact, and the runtime equals the reference.
    #[test]
    fn a_tanh_update_gate_neither_overflows_nor_drifts() {
        let gru = spec(
            vec![Layer::Gru(Gru {
                units: 2,
                activation: Activation::Tanh,
                recurrent_activation: Activation::Tanh,
                reset_after: false,
                return_sequences: false,
                kernel: vec![0.0; 12],
                recurrent_kernel: vec![0.5; 12],
                bias: vec![-100.0, -90.0, 0.0, 0.0, 100.0, 80.0],
            })],
            2,
        );
        let blob = nowcast_tests::encode_i8x16(&gru, &[&[0.0; 8]]);
        let model = Model::from_bytes(blob.as_bytes()).expect("loads");
        let mut scratch = vec![0.0; model.window_scratch_len(4).unwrap()];
        let mut ints = Vec::new();
        model
            .window_probed(&[0.0; 8], &mut scratch, &mut |p| {
                if let nowcast_runtime::Probe::IntOutput { values, .. } = p {
                    ints = values.iter().map(|&v| i64::from(v)).collect();
                }
            })
            .expect("runs");
        assert_eq!(ints, nowcast_tests::intref::window(&model, &[0.0; 8]).0);
    }

    /// A softmax layer's integer output is its logits: their range, not the probabilities',
    /// sets its exponent.
    #[test]
    fn softmax_logits_keep_their_range() {
        let head = spec(
            vec![Layer::Dense(Dense {
                units: 2,
                activation: Activation::Softmax,
                kernel: vec![5.0, -5.0, 0.0, 0.0],
                bias: vec![0.0, 0.0],
            })],
            2,
        );
        let input = [1.0, 0.0];
        let blob = nowcast_tests::encode_i8x16(&head, &[&input]);
        let model = Model::from_bytes(blob.as_bytes()).expect("loads");
        let mut scratch = vec![0.0; model.window_scratch_len(1).unwrap()];
        let out = model.window(&input, &mut scratch).unwrap().values.to_vec();
        // Float: softmax([5, -5]) = [0.99995, 0.0000454].
        assert!((out[0] - 0.99995).abs() < 1e-3 && out[1] < 1e-3, "{out:?}");
    }

    #[test]
    fn bidirectional_directions_share_one_exponent() {
        use nowcast_runtime::layers::{Bidirectional, Cell, Lstm, SimpleRnn};
        let lstm = Cell::Lstm(Lstm {
            units: 1,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            return_sequences: false,
            kernel: vec![0.1; 8],
            recurrent_kernel: vec![0.1; 4],
            bias: vec![0.0; 4],
        });
        let relu = Cell::SimpleRnn(SimpleRnn {
            units: 1,
            activation: Activation::Relu,
            return_sequences: false,
            kernel: vec![1.0; 2],
            recurrent_kernel: vec![0.5],
            bias: vec![0.0],
        });
        let mixed = spec(
            vec![Layer::Bidirectional(Bidirectional {
                forward: lstm,
                backward: relu,
            })],
            2,
        );
        let mut int = good();
        int.layers.truncate(1);
        int.layers[0] = IntLayer {
            output_exp: 14,
            cell_exp: 12,
        };
        assert_eq!(load(&mixed, &int), layer(0, Problem::UnsupportedActivation));
    }

    /// Dense(2 -> 3) -> Dense(3 -> 8) -> Dense(8 -> 1): blocked kernels of a tail only (3
    /// rows), of one block with an odd last column (8 x 3), and of a tail of one row.
    #[test]
    fn blocked_kernels_are_checked_at_load() {
        use nowcast_runtime::format::DType;
        use nowcast_runtime::tensor::blocked_index;
        let spec = spec(
            vec![
                dense(2, 3, Activation::Tanh),
                dense(3, 8, Activation::Tanh),
                dense(8, 1, Activation::Linear),
            ],
            1,
        );
        let mut int = good();
        int.layers[1].output_exp = 15;
        let bytes = spec.to_bytes_i8x16(&int).unwrap();
        let load =
            |bytes: &[u8]| Model::from_bytes(AlignedBytes::new(bytes).as_bytes()).map(|_| ());
        assert_eq!(load(&bytes), Ok(()));
        let (meta, arena) = surgery::split(&bytes);
        let (repr, _int): (ModelRepr<'_, TensorRef>, _) = postcard::take_from_bytes(&meta).unwrap();
        let kernel = |i: usize| match &repr.layers[i] {
            Layer::Dense(d) => d.kernel,
            other => panic!("{other:?}"),
        };
        assert!((0..3).all(|i| kernel(i).dtype == DType::U8Blocked));
        let at = kernel(1).offset as usize;
        let corrupt = |index: usize, byte: u8| {
            let mut arena = arena.clone();
            arena[at + index] = byte;
            load(&surgery::join(&bytes, &meta, &arena))
        };
        let bad = layer(
            1,
            Problem::BadQuantization {
                tensor: TensorName::Kernel,
            },
        );
        // The byte 0 (-128) is refused, in a column pair or in the odd column; 1 (-127) is not.
        assert_eq!(corrupt(blocked_index(8, 3, 5, 1), 0), bad);
        assert_eq!(corrupt(blocked_index(8, 3, 2, 2), 0), bad);
        assert_eq!(corrupt(blocked_index(8, 3, 2, 2), 1), Ok(()));
        // A blocked kernel with fewer scales than rows.
        let mut short = repr.clone();
        if let Layer::Dense(d) = &mut short.layers[1] {
            d.kernel.scales.as_mut().unwrap().len = 7;
        }
        let mut short_meta = postcard::to_allocvec(&short).unwrap();
        short_meta.extend_from_slice(&meta[postcard::to_allocvec(&repr).unwrap().len()..]);
        assert_eq!(
            load(&surgery::join(&bytes, &short_meta, &arena)),
            layer(
                1,
                Problem::ScaleCount {
                    tensor: TensorName::Kernel,
                    expected: 8,
                    found: 7
                }
            )
        );
        // Blocked kernels in a float model (the same tensors without the exponents).
        let float_meta = postcard::to_allocvec(&repr).unwrap();
        assert_eq!(
            load(&surgery::join(&bytes, &float_meta, &arena)),
            layer(
                0,
                Problem::UnsupportedDType {
                    tensor: TensorName::Kernel
                }
            )
        );
    }

    /// An `f32` blob with an integer section: the integer path needs int8 kernels.
    #[test]
    fn float_tensors_in_an_integer_model_are_rejected() {
        let f32_bytes = model().to_bytes().unwrap();
        let (meta, arena) = surgery::split(&f32_bytes);
        let repr: ModelRepr<'_, TensorRef> = postcard::from_bytes(&meta).unwrap();
        let mut meta = postcard::to_allocvec(&repr).unwrap();
        meta.extend(postcard::to_allocvec(&good()).unwrap());
        let bytes = surgery::join(&f32_bytes, &meta, &arena);
        assert_eq!(
            Model::from_bytes(AlignedBytes::new(&bytes).as_bytes()).map(|_| ()),
            layer(
                0,
                Problem::UnsupportedDType {
                    tensor: TensorName::Kernel
                }
            )
        );
    }
}

/// The encoder writes an `i8x16` layer's biases at the exponent they are added at (Q12 before
/// a gate or a bounded activation, else the layer's output exponent), or coarser where they
/// would not fit: the runtime adds them as they are, with no per-step rounding.
#[test]
fn i8x16_biases_are_written_at_the_exponent_they_are_added_at() {
    use nowcast_runtime::fixed::{GATE_EXP, target_exp};
    use nowcast_runtime::{Layer, Tensor};
    let mut checked = 0;
    for case in golden::all() {
        let blob = encode_i8x16(&case.spec, &[&case.input]);
        let Ok(model) = Model::from_bytes(blob.as_bytes()) else {
            continue;
        };
        let int = model.int_exponents().expect("an i8x16 model");
        for (layer, q) in model.layers().iter().zip(&int.layers) {
            let (bias, e_t) = match layer {
                Layer::Dense(l) => (l.bias, target_exp(l.activation, q.output_exp)),
                Layer::Conv1d(l) => (l.bias, target_exp(l.activation, q.output_exp)),
                Layer::SimpleRnn(l) => (l.bias, target_exp(l.activation, q.output_exp)),
                Layer::Gru(l) => (l.bias, GATE_EXP),
                Layer::Lstm(l) => (l.bias, GATE_EXP),
                _ => continue,
            };
            let Tensor::I16 { values, scale } = bias else {
                panic!("{}: an i8x16 bias is int16", case.name);
            };
            let peak = values.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
            if scale.exp < e_t {
                // Coarser only where Q(e_t) cannot hold the largest bias.
                assert!(
                    peak >= 16384,
                    "{}: bias at 2^-{} for Q{e_t}",
                    case.name,
                    scale.exp
                );
            } else {
                assert_eq!(scale.exp, e_t, "{}", case.name);
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} layers checked");
}

/// Calibrated ranges get [`nowcast_runtime::HEADROOM`]: the input and an unbounded last layer's
/// output (a linear forecast head) on the grid of twice what calibration saw, so values up to
/// twice as far as the training split's (a warm month after the training rows) do not saturate;
/// other unbounded layers keep their calibrated grid; tanh and sigmoid outputs stay Q15.
#[test]
fn calibrated_ranges_get_twice_their_room() {
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::fixed::is_bounded;
    use nowcast_runtime::{Layer, Ranges};
    let mut unbounded = 0;
    for case in golden::all().iter().filter(|c| !c.tokens) {
        let blob = nowcast_tests::encode(&case.spec);
        let Ok(model) = Model::from_bytes(blob.as_bytes()) else {
            continue;
        };
        let n = model.layers().len();
        let mut ranges = Ranges::new(n);
        // 3.6 in Q13 is 29,491, in an i16; twice it only in Q12.
        ranges.input = 3.6;
        ranges.outputs = vec![3.6; n];
        let e = nowcast_runtime::exponents(&model, &ranges);
        assert_eq!(e.input_exp, 12, "{}", case.name);
        // The layer computing the output, whose exponent the layers after it pass on: the
        // model's output is on its grid.
        let last = model.output_layer();
        if let (Some(last), Some(output)) = (last, e.layers.last()) {
            assert_eq!(
                output.output_exp, e.layers[last].output_exp,
                "{}",
                case.name
            );
        }
        for (i, (layer, q)) in model.layers().iter().zip(&e.layers).enumerate() {
            let act = match layer {
                Layer::Dense(l) => l.activation,
                Layer::Conv1d(l) => l.activation,
                Layer::SimpleRnn(l) => l.activation,
                _ => continue,
            };
            match act {
                Activation::Softmax => {}
                a if is_bounded(a) => assert_eq!(q.output_exp, 15, "{}", case.name),
                _ => {
                    let e = if Some(i) == last { 12 } else { 13 };
                    assert_eq!(q.output_exp, e, "{} layer {i}", case.name);
                    unbounded += usize::from(Some(i) == last);
                }
            }
        }
    }
    assert!(unbounded > 0, "no golden case has an unbounded layer");
}
