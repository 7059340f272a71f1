//! With the layer kinds Dense, Conv1D and Bidirectional only, a blob with any other kind (or a
//! Bidirectional over a cell kind that is left out) is refused with `LayerNotBuilt`, saying
//! which layer and which kind; without the `softmax` feature a softmax Dense or Conv1D is
//! refused; a Conv1D and Dense model loads and runs. Meaningful only when this crate is
//! tested alone (`cargo xtask ci` does).

use nowcast_runtime::activation::Activation;
use nowcast_runtime::layers::{Bidirectional, Cell, Conv1d, Dense, Gru, Layer, Padding, Pooling};
use nowcast_runtime::{AlignedBytes, LayerKind, LoadError, Model};

mod common;
use common::{dense, spec};

fn gru() -> Gru<Vec<f32>> {
    Gru {
        units: 2,
        activation: Activation::Tanh,
        recurrent_activation: Activation::Sigmoid,
        reset_after: true,
        return_sequences: false,
        kernel: vec![0.1; 6],
        recurrent_kernel: vec![0.1; 12],
        bias: vec![0.0; 12],
    }
}

/// Conv1D(1 filter, kernel 2, causal): each sample plus the one before.
fn conv(activation: Activation) -> Layer<Vec<f32>> {
    Layer::Conv1d(Conv1d {
        filters: 1,
        kernel_size: 2,
        strides: 1,
        dilation: 1,
        padding: Padding::Causal,
        activation,
        kernel: vec![1.0; 2],
        bias: vec![0.0],
    })
}

fn load(layers: Vec<Layer<Vec<f32>>>) -> Result<(), LoadError> {
    let blob = AlignedBytes::new(&spec(4, layers).to_bytes().expect("encodes"));
    Model::from_bytes(blob.as_bytes()).map(|_| ())
}

#[test]
fn the_built_kinds_are_these() {
    let built: Vec<LayerKind> = [
        LayerKind::Dense,
        LayerKind::SimpleRnn,
        LayerKind::Lstm,
        LayerKind::Gru,
        LayerKind::Conv1d,
        LayerKind::MaxPooling1d,
        LayerKind::GlobalAveragePooling1d,
        LayerKind::Embedding,
        LayerKind::Bidirectional,
        LayerKind::Flatten,
        LayerKind::Dropout,
    ]
    .into_iter()
    .filter(|k| k.is_built())
    .collect();
    assert_eq!(
        built,
        [
            LayerKind::Dense,
            LayerKind::Conv1d,
            LayerKind::Bidirectional,
            LayerKind::Flatten,
            LayerKind::Dropout
        ]
    );
}

#[test]
fn a_left_out_kind_is_refused_with_its_layer_and_kind() {
    assert_eq!(
        load(vec![Layer::Gru(gru()), dense(2)]),
        Err(LoadError::LayerNotBuilt {
            index: 0,
            kind: LayerKind::Gru
        })
    );
    let pool = Layer::MaxPooling1d(Pooling {
        pool_size: 2,
        strides: 2,
    });
    assert_eq!(
        load(vec![conv(Activation::Relu), pool, dense(1)]),
        Err(LoadError::LayerNotBuilt {
            index: 1,
            kind: LayerKind::MaxPooling1d
        })
    );
    assert_eq!(
        load(vec![Layer::GlobalMaxPooling1d, dense(1)]),
        Err(LoadError::LayerNotBuilt {
            index: 0,
            kind: LayerKind::GlobalMaxPooling1d
        })
    );
}

#[test]
fn a_bidirectional_over_a_left_out_cell_is_refused_with_the_cell_kind() {
    let bi = Layer::Bidirectional(Bidirectional {
        forward: Cell::Gru(gru()),
        backward: Cell::Gru(gru()),
    });
    assert_eq!(
        load(vec![bi, dense(4)]),
        Err(LoadError::LayerNotBuilt {
            index: 0,
            kind: LayerKind::Gru
        })
    );
}

#[test]
fn softmax_is_refused_without_its_feature() {
    let classifier = Layer::Dense(Dense {
        units: 2,
        activation: Activation::Softmax,
        kernel: vec![0.5; 2],
        bias: vec![0.0; 2],
    });
    let mut s = spec(4, vec![classifier]);
    s.targets = vec!["a".into(), "b".into()];
    let blob = AlignedBytes::new(&s.to_bytes().unwrap());
    assert_eq!(
        Model::from_bytes(blob.as_bytes()).err(),
        Some(LoadError::Layer {
            index: 0,
            problem: nowcast_runtime::Problem::ActivationNotBuilt
        })
    );
    assert_eq!(
        load(vec![conv(Activation::Softmax), dense(1)]),
        Err(LoadError::Layer {
            index: 0,
            problem: nowcast_runtime::Problem::ActivationNotBuilt
        })
    );
}

#[test]
fn a_model_of_built_kinds_loads_and_runs() {
    let blob = AlignedBytes::new(
        &spec(4, vec![Layer::Dropout { rate: 0.1 }, dense(1)])
            .to_bytes()
            .unwrap(),
    );
    let model = Model::from_bytes(blob.as_bytes()).expect("loads");
    let mut scratch = vec![0.0; model.window_scratch_len(1).unwrap()];
    let y = model.window(&[2.0], &mut scratch).unwrap().values[0];
    assert_eq!(y, 1.25);

    // The causal Conv1D sums each sample with the one before (zero before the first), then
    // Flatten and Dense: 0.5 · (1 + 3 + 5 + 7) + 0.25.
    let blob = AlignedBytes::new(
        &spec(4, vec![conv(Activation::Relu), Layer::Flatten, dense(4)])
            .to_bytes()
            .unwrap(),
    );
    let model = Model::from_bytes(blob.as_bytes()).expect("loads");
    let mut scratch = vec![0.0; model.window_scratch_len(4).unwrap()];
    let y = model
        .window(&[1.0, 2.0, 3.0, 4.0], &mut scratch)
        .unwrap()
        .values[0];
    assert_eq!(y, 0.5 * (1.0 + 3.0 + 5.0 + 7.0) + 0.25);
}
