//! The int8-weight mode (`i8w`): every quantized kernel against its `f32` twin within the bound
//! that per-row rounding implies, streaming equal to window, and corrupt quantization rejected.

use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::{DType, ModelRepr, ScalesRef, TensorRef};
use nowcast_runtime::layers::{Conv1d, Dense, Embedding, Layer, Padding, SimpleRnn};
use nowcast_runtime::{AlignedBytes, LoadError, Mode, Model, ModelSpec, Problem, TensorName};
use nowcast_tests::golden;
use nowcast_tests::surgery::{self, fix_crc};
use proptest::prelude::*;

fn spec(features: usize, lookback: u32, layers: Vec<Layer<Vec<f32>>>, targets: usize) -> ModelSpec {
    ModelSpec {
        vocabulary: None,
        name: "q".into(),
        features: (0..features).map(|i| format!("f{i}")).collect(),
        targets: (0..targets).map(|i| format!("y{i}")).collect(),
        sample_period_ms: 0,
        lookback,
        delay: 1,
        step: 1,
        input_norm: None,
        output_norm: None,
        layers,
    }
}

/// The model's window output for `input`, encoded in `mode`.
fn run(spec: &ModelSpec, mode: Mode, input: &[f32]) -> Vec<f32> {
    let blob = AlignedBytes::new(&spec.to_bytes_as(mode).expect("encodes"));
    let model = Model::from_bytes(blob.as_bytes()).expect("loads");
    assert_eq!(model.mode(), mode);
    let steps = input.len() / model.input_len();
    let mut scratch = vec![0.0; model.window_scratch_len(steps).expect("plan")];
    let out = if model.vocab().is_some() {
        let ids: Vec<u16> = input.iter().map(|&x| x as u16).collect();
        model.window_tokens(&ids, &mut scratch)
    } else {
        model.window(input, &mut scratch)
    };
    out.expect("runs").values.to_vec()
}

/// The scale of row `r` of a Keras `(in, out)` kernel quantized per output: max |w| / 127.
fn row_scale(kernel: &[f32], outputs: usize, j: usize) -> f32 {
    kernel
        .iter()
        .skip(j)
        .step_by(outputs)
        .fold(0.0f32, |m, v| m.max(v.abs()))
        / 127.0
}

/// How far a weight of row `j` moves: half its row's step, plus what storing the scale with a
/// 16-bit mantissa can add (`127 · 2^-16` of the largest scale of the tensor).
fn weight_error(kernel: &[f32], outputs: usize, j: usize) -> f32 {
    let largest = (0..outputs)
        .map(|r| row_scale(kernel, outputs, r))
        .fold(0.0, f32::max);
    row_scale(kernel, outputs, j) / 2.0 + 127.0 * largest / 65536.0
}

fn values(n: usize, bound: f32) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-bound..bound, n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Rounding each weight to its row's int8 grid moves it by at most half a step `s_j`, so
    /// output `j` moves by at most `Σ_i |x_i| · s_j / 2`; on top of that, f32 rounding of the
    /// two sums (at most `1e-5` of their magnitude for these sizes).
    #[test]
    fn dense_is_within_the_rounding_bound(
        (n, u, w, b, x) in (1usize..40, 1usize..12).prop_flat_map(|(n, u)| {
            (Just(n), Just(u), values(n * u, 2.0), values(u, 1.0), values(n, 3.0))
        })
    ) {
        let layer = Layer::Dense(Dense { units: u as u32, activation: Activation::Linear, kernel: w.clone(), bias: b.clone() });
        let s = spec(n, 1, vec![layer], u);
        let (yf, yq) = (run(&s, Mode::F32, &x), run(&s, Mode::I8w, &x));
        for j in 0..u {
            let mag: f32 = (0..n).map(|i| (x[i] * w[i * u + j]).abs()).sum::<f32>() + b[j].abs();
            let bound = x.iter().map(|v| v.abs()).sum::<f32>() * weight_error(&w, u, j) + 1e-5 * (mag + 1.0);
            prop_assert!((yq[j] - yf[j]).abs() <= bound, "output {j}: {} vs {} (bound {bound})", yq[j], yf[j]);
        }
    }

    /// Conv1D: one scale per filter over all taps, so the bound sums over the receptive field.
    #[test]
    fn conv1d_is_within_the_rounding_bound(
        (cin, f, k, w, x) in (1usize..6, 1usize..6, 1usize..4).prop_flat_map(|(cin, f, k)| {
            (Just(cin), Just(f), Just(k), values(k * cin * f, 2.0), values(k * cin, 3.0))
        })
    ) {
        let layer = Layer::Conv1d(Conv1d {
            filters: f as u32, kernel_size: k as u32, strides: 1, dilation: 1,
            padding: Padding::Valid, activation: Activation::Linear, kernel: w.clone(), bias: vec![0.0; f],
        });
        let s = spec(cin, k as u32, vec![layer], f);
        let (yf, yq) = (run(&s, Mode::F32, &x), run(&s, Mode::I8w, &x));
        prop_assert_eq!(yf.len(), f);
        for j in 0..f {
            // Keras (k, in, filters): filter j's weights are every f-th value from j.
            let err = weight_error(&w, f, j);
            let mag: f32 = (0..k * cin).map(|i| (x[i] * w[i * f + j]).abs()).sum();
            let bound = x.iter().map(|v| v.abs()).sum::<f32>() * err + 1e-5 * (mag + 1.0);
            prop_assert!((yq[j] - yf[j]).abs() <= bound, "filter {j}: {} vs {} (bound {bound})", yq[j], yf[j]);
        }
    }

    /// SimpleRNN, one step from the zero state: tanh is 1-Lipschitz, so the Dense bound holds
    /// for `h` too.
    #[test]
    fn simple_rnn_step_is_within_the_rounding_bound(
        (n, u, w, x) in (1usize..20, 1usize..10).prop_flat_map(|(n, u)| {
            (Just(n), Just(u), values(n * u, 1.0), values(n, 2.0))
        })
    ) {
        let layer = Layer::SimpleRnn(SimpleRnn {
            units: u as u32, activation: Activation::Tanh, return_sequences: false,
            kernel: w.clone(), recurrent_kernel: vec![0.3; u * u], bias: vec![0.0; u],
        });
        let s = spec(n, 1, vec![layer], u);
        let (yf, yq) = (run(&s, Mode::F32, &x), run(&s, Mode::I8w, &x));
        for j in 0..u {
            // The kernels share the scale of each unit: the recurrent kernel is 0.3 throughout.
            let largest = (0..u).map(|r| row_scale(&w, u, r)).fold(0.3 / 127.0, f32::max);
            let err = row_scale(&w, u, j).max(0.3 / 127.0) / 2.0 + 127.0 * largest / 65536.0;
            let mag: f32 = (0..n).map(|i| (x[i] * w[i * u + j]).abs()).sum();
            let bound = x.iter().map(|v| v.abs()).sum::<f32>() * err + 1e-5 * (mag + 1.0);
            prop_assert!((yq[j] - yf[j]).abs() <= bound, "unit {j}: {} vs {} (bound {bound})", yq[j], yf[j]);
        }
    }

    /// An embedding row is quantized with its own scale: each value within half a step.
    #[test]
    fn embedding_rows_are_within_half_a_step(
        (vocab, d, table, id) in (1usize..20, 1usize..8).prop_flat_map(|(v, d)| {
            (Just(v), Just(d), values(v * d, 1.5), 0..v)
        })
    ) {
        let layer = Layer::Embedding(Embedding { input_dim: vocab as u32, output_dim: d as u32, embeddings: table.clone() });
        let s = spec(1, 1, vec![layer, Layer::Flatten], d);
        let (yf, yq) = (run(&s, Mode::F32, &[id as f32]), run(&s, Mode::I8w, &[id as f32]));
        let row = &table[id * d..(id + 1) * d];
        let scale = row.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
        let largest = table.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
        let err = scale / 2.0 + 127.0 * largest / 65536.0;
        for k in 0..d {
            prop_assert_eq!(yf[k], row[k]);
            prop_assert!((yq[k] - row[k]).abs() <= err * (1.0 + 1e-6), "{} vs {}", yq[k], row[k]);
        }
    }
}

/// Every golden case (all layer kinds, Bidirectional, stacked recurrent layers) in `i8w`: close
/// to its `f32` twin, and for streamable models the stream equals the window bit for bit.
///
/// The bound, 3% of the output's magnitude plus 0.01, is empirical: recurrent layers compound
/// the per-step error, so there is no closed form. The largest relative error seen when this
/// was written is printed by the test.
#[test]
fn golden_models_in_i8w_stay_close_and_stream_like_their_windows() {
    let mut worst = (0.0f32, String::new());
    for case in golden::all() {
        let bytes = case.spec.to_bytes_as(Mode::I8w).expect("encodes");
        let blob = AlignedBytes::new(&bytes);
        let model =
            Model::from_bytes(blob.as_bytes()).unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        let quantized = model.layers().iter().any(|l| {
            let mut q = false;
            let _ = l.try_map(&mut |t: &nowcast_runtime::Tensor<'_>, _| {
                q |= t.is_quantized();
                Ok::<(), ()>(())
            });
            q
        });
        let out = case.window_probed(&model, &mut |_| {});
        let peak = case.output.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let diff = out
            .iter()
            .zip(&case.output)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            diff <= 0.03 * peak + 0.01,
            "{}: i8w differs from f32 by {diff} (peak {peak})",
            case.name
        );
        if quantized && diff / (peak + 1e-6) > worst.0 {
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
    }
    println!("largest relative i8w error: {:.4} ({})", worst.0, worst.1);
    assert!(worst.0 > 0.0, "no golden case was quantized");
}

/// A Dense(3) model on 4 inputs in `i8w`, as metadata and arena, for surgery.
fn dense_i8w() -> (Vec<u8>, usize, ModelRepr<'static, TensorRef>) {
    let layer = Layer::Dense(Dense {
        units: 3,
        activation: Activation::Linear,
        kernel: (0..12).map(|i| i as f32 * 0.1 - 0.5).collect(),
        bias: vec![0.1, 0.2, 0.3],
    });
    let bytes = spec(4, 1, vec![layer], 3).to_bytes_as(Mode::I8w).unwrap();
    let meta_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let arena_start = (20 + meta_len).div_ceil(16) * 16;
    let meta: &'static [u8] = Box::leak(bytes[20..20 + meta_len].to_vec().into_boxed_slice());
    let repr: ModelRepr<'static, TensorRef> = postcard::from_bytes(meta).expect("decodes");
    (bytes, arena_start, repr)
}

fn with_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    fix_crc(&mut bytes);
    bytes
}

/// The blob with its metadata replaced (same arena), header and CRC fixed.
fn with_meta(bytes: &[u8], repr: &ModelRepr<'_, TensorRef>) -> Vec<u8> {
    let (_, arena) = surgery::split(bytes);
    surgery::join(bytes, &postcard::to_allocvec(repr).unwrap(), &arena)
}

fn load(bytes: &[u8]) -> Result<Mode, LoadError> {
    Model::from_bytes(AlignedBytes::new(bytes).as_bytes()).map(|m| m.mode())
}

fn layer_problem(problem: Problem) -> Result<Mode, LoadError> {
    Err(LoadError::Layer { index: 0, problem })
}

#[test]
fn corrupt_quantization_is_a_typed_error() {
    let (bytes, arena, repr) = dense_i8w();
    assert_eq!(load(&bytes), Ok(Mode::I8w));
    let Layer::Dense(d) = &repr.layers[0] else {
        panic!("dense")
    };
    let (kernel, bias) = (d.kernel, d.bias);
    let scales = kernel.scales.expect("i8 kernel has scales");

    // A scale exponent past the f32 range.
    let mut r = repr.clone();
    if let Layer::Dense(d) = &mut r.layers[0] {
        d.kernel.scales = Some(ScalesRef { exp: 127, ..scales });
    }
    assert_eq!(
        load(&with_meta(&bytes, &r)),
        layer_problem(Problem::BadQuantization {
            tensor: TensorName::Kernel
        })
    );
    // -128 is outside the symmetric int8 range the quantizer writes.
    let mut b = bytes.clone();
    b[arena + kernel.offset as usize + 5] = 0x80;
    assert_eq!(
        load(&with_crc(b)),
        layer_problem(Problem::BadQuantization {
            tensor: TensorName::Kernel
        })
    );

    let edit = |f: &dyn Fn(&mut Dense<TensorRef>)| {
        let mut r = repr.clone();
        if let Layer::Dense(d) = &mut r.layers[0] {
            f(d);
        }
        load(&with_meta(&bytes, &r))
    };
    // The metadata surgery itself keeps a valid blob valid.
    assert_eq!(edit(&|_| {}), Ok(Mode::I8w));
    // Too few scales for the kernel's 3 rows.
    assert_eq!(
        edit(&|d| d.kernel.scales = Some(ScalesRef { len: 2, ..scales })),
        layer_problem(Problem::ScaleCount {
            tensor: TensorName::Kernel,
            expected: 3,
            found: 2
        })
    );
    // Scales outside the arena.
    assert_eq!(
        edit(&|d| d.kernel.scales = Some(ScalesRef {
            offset: 1 << 20,
            ..scales
        })),
        layer_problem(Problem::TensorOutOfBounds {
            tensor: TensorName::Kernel
        })
    );
    // int8 without scales, scales on an f32 tensor, an int8 bias, an int16 kernel, an int16
    // bias with more than its one scale, a tensor type not in use.
    // The kernel's 12 bytes read as 6 int16 values, with the bias's one scale.
    let kernel_as_i16 = TensorRef {
        dtype: DType::I16,
        len: 6,
        scales: bias.scales,
        ..kernel
    };
    let kernel_err = layer_problem(Problem::UnsupportedDType {
        tensor: TensorName::Kernel,
    });
    assert_eq!(edit(&|d| d.kernel.scales = None), kernel_err);
    assert_eq!(edit(&|d| d.kernel.dtype = DType::F32), kernel_err);
    assert_eq!(edit(&|d| d.kernel.dtype = DType::I32), kernel_err);
    assert_eq!(edit(&|d| d.kernel = kernel_as_i16), kernel_err);
    assert_eq!(
        edit(&|d| d.bias = TensorRef {
            dtype: DType::I8,
            len: 3,
            scales: Some(scales),
            ..bias
        }),
        layer_problem(Problem::UnsupportedDType {
            tensor: TensorName::Bias
        })
    );
    assert_eq!(
        edit(&|d| d.bias.scales = Some(scales)),
        layer_problem(Problem::BadQuantization {
            tensor: TensorName::Bias
        })
    );
    // An int16 bias whose one scale is not a power of two: the kernel's first scale.
    let at = arena + scales.offset as usize;
    assert_ne!(u16::from_le_bytes([bytes[at], bytes[at + 1]]), 1);
    assert_eq!(
        edit(&|d| d.bias.scales = Some(ScalesRef { len: 1, ..scales })),
        layer_problem(Problem::BadQuantization {
            tensor: TensorName::Bias
        })
    );
}

/// `from_model` of an `i8w` blob gives the `f32` values the quantized tensors stand for, on
/// their grids, and quantizing those again gives them back.
#[test]
fn i8w_weights_come_back_as_the_values_they_stand_for() {
    let case = golden::all()
        .into_iter()
        .find(|c| c.name.starts_with("gru"))
        .expect("a GRU case");
    let bytes = case.spec.to_bytes_as(Mode::I8w).unwrap();
    let blob = AlignedBytes::new(&bytes);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let back = ModelSpec::from_model(&model);
    let Layer::Gru(g) = back
        .layers
        .iter()
        .find(|l| matches!(l, Layer::Gru(_)))
        .unwrap()
    else {
        unreachable!()
    };
    let Layer::Gru(orig) = case
        .spec
        .layers
        .iter()
        .find(|l| matches!(l, Layer::Gru(_)))
        .unwrap()
    else {
        unreachable!()
    };
    let g3 = 3 * g.units as usize;
    for (j, (a, b)) in g.kernel.iter().zip(&orig.kernel).enumerate() {
        // One scale per unit and gate, over both kernels.
        let scale =
            |r| row_scale(&orig.kernel, g3, r).max(row_scale(&orig.recurrent_kernel, g3, r));
        let largest = (0..g3).map(scale).fold(0.0, f32::max);
        let err = scale(j % g3) / 2.0 + 127.0 * largest / 65536.0;
        assert!(
            (a - b).abs() <= err * (1.0 + 1e-6),
            "kernel[{j}]: {a} vs {b}"
        );
    }
    let top = orig.bias.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (a, b) in g.bias.iter().zip(&orig.bias) {
        assert!((a - b).abs() <= top / 32767.0, "int16 bias {a} vs {b}");
    }
    // Quantizing the dequantized model again is the identity on the values.
    let again = ModelSpec::from_model(
        &Model::from_bytes(AlignedBytes::new(&back.to_bytes_as(Mode::I8w).unwrap()).as_bytes())
            .unwrap(),
    );
    assert_eq!(again, back);
}
