//! Bad blobs and bad calls get the typed error that names the problem.

use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::{FORMAT_VERSION, Standardize};
use nowcast_runtime::layers::{Conv1d, Dense, Embedding, Layer, Padding};
use nowcast_runtime::{
    AlignedBytes, LoadError, Model, ModelSpec, Problem, StepError, Stepper, TensorName, WindowError,
};
use nowcast_tests::{encode, sample_spec};

fn load(spec: &ModelSpec) -> Result<(), LoadError> {
    let blob = encode(spec);
    Model::from_bytes(blob.as_bytes()).map(|_| ())
}

fn dense(input: usize, units: usize) -> Layer<Vec<f32>> {
    Layer::Dense(Dense {
        units: units as u32,
        activation: Activation::Linear,
        kernel: vec![0.5; input * units],
        bias: vec![0.0; units],
    })
}

fn spec(features: usize, layers: Vec<Layer<Vec<f32>>>, targets: usize) -> ModelSpec {
    ModelSpec {
        vocabulary: None,
        name: "t".into(),
        features: (0..features).map(|i| format!("f{i}")).collect(),
        targets: (0..targets).map(|i| format!("y{i}")).collect(),
        sample_period_ms: 0,
        lookback: 8,
        delay: 1,
        step: 1,
        input_norm: None,
        output_norm: None,
        layers,
    }
}

#[test]
fn header_problems() {
    let bytes = sample_spec().to_bytes().unwrap();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.clone();
        f(&mut b);
        Model::from_bytes(AlignedBytes::new(&b).as_bytes()).err()
    };
    assert_eq!(with(&|b| b[0] = b'X'), Some(LoadError::BadMagic));
    assert_eq!(
        with(&|b| b[4] = 2),
        Some(LoadError::UnsupportedVersion {
            found: 2,
            supported: FORMAT_VERSION
        })
    );
    assert_eq!(
        with(&|b| b.truncate(100)),
        Some(LoadError::Truncated {
            needed: bytes.len() as u32,
            found: 100
        })
    );
    assert_eq!(
        with(&|b| b.truncate(7)),
        Some(LoadError::Truncated {
            needed: 20,
            found: 7
        })
    );
    assert!(matches!(
        with(&|b| b[40] ^= 1),
        Some(LoadError::CrcMismatch { .. })
    ));
    assert!(matches!(
        with(&|b| b.push(0)),
        Some(LoadError::TrailingBytes { .. })
    ));
}

#[test]
fn layer_problems_name_the_layer() {
    let mut bad_kernel = spec(3, vec![dense(3, 4), dense(4, 1)], 1);
    if let Layer::Dense(d) = &mut bad_kernel.layers[1] {
        d.kernel.pop();
    }
    assert_eq!(
        load(&bad_kernel),
        Err(LoadError::Layer {
            index: 1,
            problem: Problem::ShapeMismatch {
                tensor: TensorName::Kernel,
                expected: 4,
                found: 3
            }
        })
    );

    let mut nan = spec(3, vec![dense(3, 1)], 1);
    if let Layer::Dense(d) = &mut nan.layers[0] {
        d.bias[0] = f32::NAN;
    }
    assert_eq!(
        load(&nan),
        Err(LoadError::Layer {
            index: 0,
            problem: Problem::NonFinite {
                tensor: TensorName::Bias
            }
        })
    );

    let conv = |k: u32| {
        Layer::Conv1d(Conv1d {
            filters: 1,
            kernel_size: k,
            strides: 1,
            dilation: 1,
            padding: Padding::Valid,
            activation: Activation::Linear,
            kernel: vec![0.1; k as usize],
            bias: vec![0.0],
        })
    };
    // A valid conv wider than the lookback of 8 has no output.
    assert_eq!(
        load(&spec(1, vec![conv(9), dense(1, 1)], 1)),
        Err(LoadError::Layer {
            index: 0,
            problem: Problem::SequenceTooShort
        })
    );
    assert_eq!(
        load(&spec(1, vec![conv(0), dense(1, 1)], 1)),
        Err(LoadError::Layer {
            index: 0,
            problem: Problem::ZeroSize
        })
    );
    // Conv after a vector.
    assert_eq!(
        load(&spec(1, vec![Layer::GlobalMaxPooling1d, conv(2)], 1)),
        Err(LoadError::Layer {
            index: 1,
            problem: Problem::ExpectedSequence
        })
    );
    let embedding = Layer::Embedding(Embedding {
        input_dim: 4,
        output_dim: 2,
        embeddings: vec![0.0; 8],
    });
    assert_eq!(
        load(&spec(1, vec![dense(1, 1), embedding], 2)),
        Err(LoadError::Layer {
            index: 1,
            problem: Problem::EmbeddingNotFirst
        })
    );
    assert_eq!(
        load(&spec(3, vec![dense(3, 2)], 1)),
        Err(LoadError::OutputCount {
            expected: 1,
            found: 2
        })
    );
    assert_eq!(load(&spec(3, vec![], 1)), Err(LoadError::NoLayers));

    let mut norm = spec(3, vec![dense(3, 1)], 1);
    norm.input_norm = Some(Standardize {
        mean: vec![0.0; 3],
        std: vec![1.0, 0.0, 1.0],
    });
    assert_eq!(
        load(&norm),
        Err(LoadError::InputNorm(Problem::BadParameter))
    );
    norm.input_norm = Some(Standardize {
        mean: vec![0.0; 3],
        std: vec![1.0, 1e-40, 1.0],
    });
    assert_eq!(
        load(&norm),
        Err(LoadError::InputNorm(Problem::BadParameter)),
        "subnormal std"
    );
    norm.input_norm = Some(Standardize {
        mean: vec![0.0; 3],
        std: vec![1.0, -1.0, 1.0],
    });
    assert_eq!(
        load(&norm),
        Err(LoadError::InputNorm(Problem::BadParameter)),
        "negative std"
    );
    for rate in [-0.1, 1.0, f32::NAN] {
        assert_eq!(
            load(&spec(3, vec![Layer::Dropout { rate }, dense(3, 1)], 1)),
            Err(LoadError::Layer {
                index: 0,
                problem: Problem::BadParameter
            }),
            "dropout rate {rate}"
        );
    }
    norm.input_norm = Some(Standardize {
        mean: vec![0.0; 2],
        std: vec![1.0; 2],
    });
    assert_eq!(
        load(&norm),
        Err(LoadError::InputNorm(Problem::ShapeMismatch {
            tensor: TensorName::Mean,
            expected: 3,
            found: 2
        }))
    );
}

#[test]
fn step_and_window_misuse() {
    let blob = encode(&sample_spec());
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut small = vec![0.0; model.state_len() - 1];
    assert_eq!(
        Stepper::new(&model, &mut small).err(),
        Some(StepError::BufferTooSmall {
            needed: model.state_len() as u32,
            found: small.len() as u32
        })
    );
    let mut state = vec![0.0; model.state_len()];
    let mut s = Stepper::new(&model, &mut state).unwrap();
    assert_eq!(
        s.step(&[1.0, 2.0]).err(),
        Some(StepError::InputLength {
            expected: 3,
            found: 2
        })
    );
    assert_eq!(s.step_token(3).err(), Some(StepError::WrongInputKind));
    let mut scratch = vec![0.0; 8];
    assert!(matches!(
        model.window(&[0.0; 72], &mut scratch),
        Err(WindowError::BufferTooSmall { .. })
    ));
    // Conv(3, causal) -> MaxPool(2) -> GRU: one step is too short for the pooling.
    let mut scratch = vec![0.0; 4096];
    assert_eq!(
        model.window(&[0.0; 3], &mut scratch).err(),
        Some(WindowError::TooShort { layer: 1 })
    );

    // Flatten needs the whole window of exactly `lookback` steps, and no stepper.
    let flat = spec(2, vec![Layer::Flatten, dense(16, 1)], 1);
    let blob = encode(&flat);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    assert_eq!(
        Stepper::new(&model, &mut state).err(),
        Some(StepError::NotStreamable { layer: 0 })
    );
    assert_eq!(
        model.window(&[0.0; 14], &mut scratch).err(),
        Some(WindowError::StepsMismatch {
            expected: 8,
            found: 7
        })
    );
    let out = model.window(&[1.0; 16], &mut scratch).unwrap();
    assert_eq!(out.values, &[8.0]);

    let tokens = spec(
        1,
        vec![Layer::Embedding(Embedding {
            input_dim: 4,
            output_dim: 1,
            embeddings: vec![1.0, 2.0, 3.0, 4.0],
        })],
        1,
    );
    let blob = encode(&tokens);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    let mut s = Stepper::new(&model, &mut state).unwrap();
    assert_eq!(
        s.step_token(4).err(),
        Some(StepError::TokenOutOfRange { id: 4, vocab: 4 })
    );
    assert_eq!(s.step_token(2).unwrap(), Some(&[3.0][..]));
    assert_eq!(s.step(&[1.0]).err(), Some(StepError::WrongInputKind));
    assert_eq!(
        model.window_tokens(&[0, 9], &mut scratch).err(),
        Some(WindowError::TokenOutOfRange { id: 9, vocab: 4 })
    );
}

#[test]
fn missing_samples_are_filled_from_the_last_reading() {
    let mut s = spec(2, vec![dense(2, 1)], 1);
    if let Layer::Dense(d) = &mut s.layers[0] {
        d.kernel = vec![1.0, 10.0];
    }
    s.input_norm = Some(Standardize {
        mean: vec![1.0, 2.0],
        std: vec![1.0, 1.0],
    });
    let blob = encode(&s);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    let mut st = Stepper::new(&model, &mut state).unwrap();
    // No reading yet: NaN becomes the training mean, i.e. normalized 0.
    assert_eq!(st.step(&[f32::NAN, 3.0]).unwrap(), Some(&[10.0][..]));
    assert_eq!(st.step(&[4.0, 3.0]).unwrap(), Some(&[13.0][..]));
    // Channel 0 holds 4.0 through the gap.
    assert_eq!(
        st.step(&[f32::NAN, f32::INFINITY]).unwrap(),
        Some(&[13.0][..])
    );
    assert_eq!(st.filled(), 3);
    assert_eq!(st.samples(), 3);
}

#[test]
fn absurd_sizes_are_rejected_not_wrapped() {
    use nowcast_runtime::layers::{MAX_DIM, Pooling};
    let pool = |pool_size, strides| Layer::MaxPooling1d(Pooling { pool_size, strides });
    for (p, s) in [
        (u32::MAX, 1),
        (1, u32::MAX),
        (2, u32::MAX - 1),
        (MAX_DIM + 1, 1),
    ] {
        let mut m = spec(1, vec![pool(p, s)], 1);
        m.lookback = 0;
        assert_eq!(
            load(&m),
            Err(LoadError::Layer {
                index: 0,
                problem: Problem::TooLarge
            }),
            "pool {p} strides {s}"
        );
    }
    let conv = |dilation| {
        Layer::Conv1d(Conv1d {
            filters: 1,
            kernel_size: 2,
            strides: 1,
            dilation,
            padding: Padding::Causal,
            activation: Activation::Linear,
            kernel: vec![0.5, 0.5],
            bias: vec![0.0],
        })
    };
    let mut m = spec(1, vec![conv(u32::MAX)], 1);
    m.lookback = 0;
    assert_eq!(
        load(&m),
        Err(LoadError::Layer {
            index: 0,
            problem: Problem::TooLarge
        })
    );
    // Many big-but-legal rings: the total state is what overflows.
    let mut m = spec(1, vec![pool(MAX_DIM, 1); 16], 1);
    m.lookback = 0;
    assert!(matches!(
        load(&m),
        Err(LoadError::Layer {
            problem: Problem::TooLarge,
            ..
        })
    ));
    // The largest legal strides stream without trouble.
    let mut m = spec(1, vec![pool(1, MAX_DIM)], 1);
    m.lookback = 0;
    let blob = encode(&m);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    let mut s = Stepper::new(&model, &mut state).unwrap();
    assert_eq!(s.step(&[2.0]).unwrap(), Some(&[2.0][..]));
    assert_eq!(s.step(&[3.0]).unwrap(), None);
}

#[test]
fn header_lengths_cannot_wrap() {
    // 20 bytes, a valid CRC, and a metadata length near u32::MAX: wraps on 32-bit targets
    // unless every length is checked.
    let bytes: [u8; 20] = [
        0x4e, 0x43, 0x4d, 0x1a, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff,
        0xff, 0xc2, 0x09, 0x4f, 0xf4,
    ];
    assert_eq!(
        Model::from_bytes(AlignedBytes::new(&bytes).as_bytes()).err(),
        Some(LoadError::BadHeader)
    );
}

#[test]
fn window_settings_and_token_inputs_are_checked() {
    let mut m = spec(1, vec![dense(1, 1)], 1);
    m.step = 0;
    assert_eq!(load(&m), Err(LoadError::ZeroStep));
    let tokens = spec(
        2,
        vec![Layer::Embedding(Embedding {
            input_dim: 4,
            output_dim: 1,
            embeddings: vec![0.0; 4],
        })],
        1,
    );
    assert_eq!(load(&tokens), Err(LoadError::TokenInput));
}

#[test]
fn stepper_uses_every_step_th_sample() {
    // A linear SimpleRNN summing its inputs, trained on every 3rd row.
    use nowcast_runtime::layers::SimpleRnn;
    let mut m = spec(
        1,
        vec![Layer::SimpleRnn(SimpleRnn {
            units: 1,
            activation: Activation::Linear,
            return_sequences: false,
            kernel: vec![1.0],
            recurrent_kernel: vec![1.0],
            bias: vec![0.0],
        })],
        1,
    );
    m.step = 3;
    let blob = encode(&m);
    let model = Model::from_bytes(blob.as_bytes()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    let mut s = Stepper::new(&model, &mut state).unwrap();
    let out: Vec<Option<f32>> = (1..=7)
        .map(|x| s.step(&[x as f32]).unwrap().map(|y| y[0]))
        .collect();
    // Samples 1, 4, 7 are used: sums 1, 5, 12.
    assert_eq!(
        out,
        [Some(1.0), None, None, Some(5.0), None, None, Some(12.0)]
    );
    assert_eq!(s.samples(), 7);
    // The window over the same subsampled rows agrees.
    let mut scratch = vec![0.0; model.window_scratch_len(3).unwrap()];
    assert_eq!(
        model.window(&[1.0, 4.0, 7.0], &mut scratch).unwrap().values,
        &[12.0]
    );
}
