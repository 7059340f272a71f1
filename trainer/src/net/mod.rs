//! Training-side layers: batched forward and backward passes (backprop through time) over the
//! runtime's own layer types, so a trained layer is exported without translation.
//!
//! **Layout.** A batch of sequences is a [`Seq`]: `steps × batch` rows (time-major: the rows of
//! step `t` are `t·batch .. (t+1)·batch`) of `width` columns, so the inputs of one time step form
//! one contiguous matrix for the GEMMs. A vector per example is a `Seq` with one step.
//!
//! **Parameters** live in one flat vector (what the optimizer updates); [`views`] cuts it into
//! `Layer<&[F]>` in the order of `Layer::try_map`, and [`views_mut`] does the same for the flat
//! gradient. Every layer file has the same sections as its runtime sibling: conventions,
//! `forward` (which keeps what `backward` needs in a cache), `backward`, and a finite-difference
//! check in `tests`.
//!
//! **Dropout** follows Keras: one mask per sequence and example, reused at every time step;
//! recurrent layers draw one input mask and one recurrent mask per gate (Keras 3's
//! `implementation=1`); masks are scaled by `1 / (1 - rate)` and inference uses none.
//!
//! **Files.** One per layer kind of the runtime: `dense`, `simple_rnn`, `lstm`, `gru`, `conv1d`,
//! `pooling` (Max/AveragePooling1D), `global_pooling`, `flatten`, `embedding`, `bidirectional`
//! (which reuses the three recurrent layers' passes); Dropout is here. `recurrent` holds the
//! gate GEMMs with per-gate masks that SimpleRNN and LSTM share, `act` the activations and
//! their derivatives, `float` the element type and matrix helpers. Every layer is checked
//! against central differences in `f64` (`check::gradients`) and against the runtime's window
//! mode in `f32` (`check::agrees_with_runtime`).

pub(crate) mod act;
mod bidirectional;
mod conv1d;
mod dense;
mod embedding;
mod flatten;
pub(crate) mod float;
mod global_pooling;
mod gru;
mod lstm;
mod pooling;
mod recurrent;
mod simple_rnn;

use ndarray::{Array2, ArrayViewMut2, Axis, s};
use nowcast_runtime::Layer;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub use float::Float;

/// A batch of sequences, time-major (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Seq<F> {
    /// Time steps.
    pub steps: usize,
    /// Examples.
    pub batch: usize,
    /// `steps · batch` rows of `width` values.
    pub data: Array2<F>,
}

impl<F: Float> Seq<F> {
    /// Zeros.
    pub fn zeros(steps: usize, batch: usize, width: usize) -> Self {
        Seq {
            steps,
            batch,
            data: Array2::zeros((steps * batch, width)),
        }
    }

    /// Values per row.
    pub fn width(&self) -> usize {
        self.data.ncols()
    }

    /// From batch-major windows `[example][step][channel]` (the data pipeline's layout).
    pub fn from_batch_major(values: &[f32], batch: usize, steps: usize, width: usize) -> Self {
        let mut seq = Self::zeros(steps, batch, width);
        for (b, example) in values.chunks_exact(steps * width).enumerate() {
            for (t, row) in example.chunks_exact(width).enumerate() {
                for (d, &v) in seq.data.row_mut(t * batch + b).iter_mut().zip(row) {
                    *d = F::of(f64::from(v));
                }
            }
        }
        seq
    }

    /// The rows of step `t`.
    pub(crate) fn step(&self, t: usize) -> ndarray::ArrayView2<'_, F> {
        self.data
            .slice(s![t * self.batch..(t + 1) * self.batch, ..])
    }
}

/// Training options of one layer that the exported model does not carry.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LayerOpts {
    /// Input dropout rate (recurrent layers; Dropout layers carry their own rate).
    pub dropout: f32,
    /// Recurrent-state dropout rate (recurrent layers).
    pub recurrent_dropout: f32,
}

/// Per-call context: training or inference, and the dropout random stream.
#[derive(Debug)]
pub struct Ctx {
    /// Training mode (dropout on).
    pub train: bool,
    /// Dropout masks are drawn from here.
    pub rng: ChaCha8Rng,
}

impl Ctx {
    /// `count` inverted-dropout masks of `rows × cols` (values 0 or `1/(1-rate)`), or `None`
    /// when not training or the rate is 0.
    pub(crate) fn masks<F: Float>(
        &mut self,
        rate: f32,
        count: usize,
        rows: usize,
        cols: usize,
    ) -> Option<Vec<Array2<F>>> {
        if !self.train || rate <= 0.0 {
            return None;
        }
        let keep = F::of(1.0 / (1.0 - f64::from(rate)));
        let p = f64::from(rate);
        Some(
            (0..count)
                .map(|_| {
                    Array2::from_shape_fn((rows, cols), |_| {
                        if self.rng.random::<f64>() < p {
                            F::zero()
                        } else {
                            keep
                        }
                    })
                })
                .collect(),
        )
    }
}

/// `x` with each step's rows multiplied by `mask` (`batch × width`), i.e. the same mask at
/// every step.
pub(crate) fn masked<F: Float>(x: &Seq<F>, mask: &Array2<F>) -> Array2<F> {
    let mut out = x.data.clone();
    mask_steps(&mut out.view_mut(), x.batch, mask);
    out
}

/// Multiplies each block of `batch` rows of `a` (one time step) by `mask` (`batch × width`).
pub(crate) fn mask_steps<F: Float>(a: &mut ArrayViewMut2<'_, F>, batch: usize, mask: &Array2<F>) {
    for mut rows in a.axis_chunks_iter_mut(Axis(0), batch) {
        rows *= mask;
    }
}

/// What a layer's forward pass keeps for its backward pass.
#[derive(Debug)]
pub(crate) enum Cache<F> {
    /// Nothing beyond the input and output.
    None,
    /// Dropout masks of a Dropout layer.
    Mask(Option<Vec<Array2<F>>>),
    /// SimpleRNN.
    SimpleRnn(Box<simple_rnn::Cache<F>>),
    /// LSTM.
    Lstm(Box<lstm::Cache<F>>),
    /// GRU.
    Gru(Box<gru::Cache<F>>),
    /// Max pooling (also global): the input step of each output element's maximum.
    Argmax(Array2<u32>),
    /// Bidirectional: both directions' caches and the reversed input.
    Bidirectional(Box<bidirectional::Cache<F>>),
}

/// Why a model cannot be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetError {
    /// The layer kind has no training implementation yet (every kind of the current format
    /// has one; kept for kinds appended to the format later).
    #[error("layer {index} ({kind}) cannot be trained yet")]
    Unsupported {
        /// Layer index.
        index: usize,
        /// Keras layer name.
        kind: &'static str,
    },
    /// A Conv1D or pooling layer gets fewer input steps than its receptive field.
    #[error("layer {index} gets {steps} steps, fewer than its receptive field")]
    TooShort {
        /// Layer index.
        index: usize,
        /// Input steps.
        steps: usize,
    },
    /// Stateful training carries state through recurrent, Dense and Dropout layers only.
    #[error(
        "layer {index} ({kind}) cannot be trained statefully: stateful training takes SimpleRNN, LSTM, GRU, Dense and Dropout layers"
    )]
    NotStateful {
        /// Layer index.
        index: usize,
        /// Keras layer name.
        kind: &'static str,
    },
    /// A Bidirectional layer's directions disagree on `return_sequences`.
    #[error("layer {index} (bidirectional): the directions disagree on return_sequences")]
    DirectionMismatch {
        /// Layer index.
        index: usize,
    },
}

/// A recurrent layer's state between two calls (stateful training): `h` (`batch × units`),
/// and the cell state `c` of an LSTM.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct State<F> {
    pub h: Array2<F>,
    pub c: Option<Array2<F>>,
}

/// Sets the first `init.nrows()` rows of `states` (`h_0`, or `c_0`) to `init`, if given.
fn start_from<F: Float>(states: &mut Array2<F>, init: Option<&Array2<F>>) {
    if let Some(init) = init {
        states.slice_mut(s![..init.nrows(), ..]).assign(init);
    }
}

/// The last `batch` rows of `states` (the state after the last step).
fn last_rows<F: Float>(states: &Array2<F>, batch: usize) -> Array2<F> {
    states.slice(s![states.nrows() - batch.., ..]).to_owned()
}

/// The state a recurrent layer's forward pass ended in (`None` for other layers).
pub(crate) fn last_state<F: Float>(cache: &Cache<F>, batch: usize) -> Option<State<F>> {
    match cache {
        Cache::SimpleRnn(c) => Some(c.last_state(batch)),
        Cache::Lstm(c) => Some(c.last_state(batch)),
        Cache::Gru(c) => Some(c.last_state(batch)),
        _ => None,
    }
}

/// Runs layer `index` forward from the zero state.
pub(crate) fn forward<F: Float>(
    index: usize,
    layer: &Layer<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
) -> Result<(Seq<F>, Cache<F>), NetError> {
    forward_from(index, layer, opts, x, ctx, None)
}

/// Runs layer `index` forward; a recurrent layer starts from `init` if given (else from zero),
/// every other layer ignores it.
pub(crate) fn forward_from<F: Float>(
    index: usize,
    layer: &Layer<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
    init: Option<&State<F>>,
) -> Result<(Seq<F>, Cache<F>), NetError> {
    Ok(match layer {
        Layer::Dense(l) => (dense::forward(l, x), Cache::None),
        Layer::SimpleRnn(l) => {
            let (y, c) = simple_rnn::forward(l, opts, x, ctx, init);
            (y, Cache::SimpleRnn(Box::new(c)))
        }
        Layer::Lstm(l) => {
            let (y, c) = lstm::forward(l, opts, x, ctx, init);
            (y, Cache::Lstm(Box::new(c)))
        }
        Layer::Gru(l) => {
            let (y, c) = gru::forward(l, opts, x, ctx, init);
            (y, Cache::Gru(Box::new(c)))
        }
        Layer::Conv1d(l) => (conv1d::forward(index, l, x)?, Cache::None),
        Layer::MaxPooling1d(p) => {
            let (y, arg) = pooling::forward(index, p, false, x)?;
            (y, arg.map_or(Cache::None, Cache::Argmax))
        }
        Layer::AveragePooling1d(p) => (pooling::forward(index, p, true, x)?.0, Cache::None),
        Layer::GlobalMaxPooling1d => {
            let (y, arg) = global_pooling::forward(false, x);
            (y, arg.map_or(Cache::None, Cache::Argmax))
        }
        Layer::GlobalAveragePooling1d => (global_pooling::forward(true, x).0, Cache::None),
        Layer::Flatten => (flatten::forward(x), Cache::None),
        Layer::Embedding(l) => (embedding::forward(l, x), Cache::None),
        Layer::Bidirectional(l) => {
            let (y, c) = bidirectional::forward(index, l, opts, x, ctx)?;
            (y, Cache::Bidirectional(Box::new(c)))
        }
        Layer::Dropout { rate } => {
            let masks = ctx.masks(*rate, 1, x.data.nrows(), x.width());
            let mut y = x.clone();
            if let Some(m) = &masks {
                y.data *= &m[0];
            }
            (y, Cache::Mask(masks))
        }
    })
}

/// Runs a layer backward: accumulates its parameter gradients into `grad` and returns the
/// gradient with respect to its input.
pub(crate) fn backward<F: Float>(
    layer: &Layer<&[F]>,
    grad: &mut Layer<&mut [F]>,
    x: &Seq<F>,
    y: &Seq<F>,
    cache: &Cache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    match (layer, grad, cache) {
        (Layer::Dense(l), Layer::Dense(g), _) => dense::backward(l, g, x, y, dy),
        (Layer::SimpleRnn(l), Layer::SimpleRnn(g), Cache::SimpleRnn(c)) => {
            simple_rnn::backward(l, g, x, c, dy)
        }
        (Layer::Lstm(l), Layer::Lstm(g), Cache::Lstm(c)) => lstm::backward(l, g, x, c, dy),
        (Layer::Gru(l), Layer::Gru(g), Cache::Gru(c)) => gru::backward(l, g, x, c, dy),
        (Layer::Conv1d(l), Layer::Conv1d(g), _) => conv1d::backward(l, g, x, y, dy),
        (Layer::MaxPooling1d(p), _, Cache::Argmax(arg)) => pooling::backward(p, x, Some(arg), dy),
        (Layer::AveragePooling1d(p), _, _) => pooling::backward(p, x, None, dy),
        (Layer::GlobalMaxPooling1d, _, Cache::Argmax(arg)) => {
            global_pooling::backward(x, Some(arg), dy)
        }
        (Layer::GlobalAveragePooling1d, _, _) => global_pooling::backward(x, None, dy),
        (Layer::Flatten, _, _) => flatten::backward(x, dy),
        (Layer::Embedding(l), Layer::Embedding(g), _) => embedding::backward(l, g, x, dy),
        (Layer::Bidirectional(l), Layer::Bidirectional(g), Cache::Bidirectional(c)) => {
            bidirectional::backward(l, g, x, c, dy)
        }
        (Layer::Dropout { .. }, _, Cache::Mask(m)) => {
            let mut dx = dy;
            if let Some(m) = m {
                dx.data *= &m[0];
            }
            dx
        }
        _ => unreachable!("forward accepted only the layers backward handles"),
    }
}

/// Tensor lengths of a layer, in `try_map` order.
pub fn layout(layer: &Layer<Vec<f32>>) -> Layer<usize> {
    match layer.try_map(&mut |t: &Vec<f32>, _| Ok::<_, std::convert::Infallible>(t.len())) {
        Ok(l) => l,
        Err(never) => match never {},
    }
}

/// Cuts a flat parameter vector into per-layer views.
pub fn views<'a, F>(layout: &[Layer<usize>], mut flat: &'a [F]) -> Vec<Layer<&'a [F]>> {
    layout
        .iter()
        .map(|l| {
            let mapped = l.try_map(&mut |&len: &usize, _| {
                let (head, tail) = flat.split_at(len.min(flat.len()));
                flat = tail;
                Ok::<_, std::convert::Infallible>(head)
            });
            match mapped {
                Ok(l) => l,
                Err(never) => match never {},
            }
        })
        .collect()
}

/// Cuts a flat gradient vector into per-layer mutable views.
pub fn views_mut<'a, F>(layout: &[Layer<usize>], mut flat: &'a mut [F]) -> Vec<Layer<&'a mut [F]>> {
    layout
        .iter()
        .map(|l| {
            let mapped = l.try_map(&mut |&len: &usize, _| {
                let rest = std::mem::take(&mut flat);
                let (head, tail) = rest.split_at_mut(len.min(rest.len()));
                flat = tail;
                Ok::<_, std::convert::Infallible>(head)
            });
            match mapped {
                Ok(l) => l,
                Err(never) => match never {},
            }
        })
        .collect()
}

/// Total parameters of a layout.
pub fn param_count(layout: &[Layer<usize>]) -> usize {
    let mut n = 0;
    for l in layout {
        let _ = l.try_map(&mut |&len: &usize, _| {
            n += len;
            Ok::<_, ()>(())
        });
    }
    n
}

#[cfg(test)]
pub(crate) mod check {
    //! Test helpers: finite-difference gradient checks in `f64`, and agreement of the trainer's
    //! `f32` forward pass with the runtime's window mode.

    use super::*;
    use nowcast_runtime::{AlignedBytes, Model, ModelSpec};
    use rand::SeedableRng;

    /// Relative tolerance between analytic and central-difference gradients (f64, h = 1e-6).
    pub const GRADIENT_TOLERANCE: f64 = 1e-6;
    const H: f64 = 1e-6;
    /// Tolerance between the trainer's `f32` forward pass and the runtime's window mode
    /// (absolute, relative for values above 1): both compute in `f32`, in different orders.
    pub const RUNTIME_TOLERANCE: f32 = 1e-5;

    /// Loss = Σ w ⊙ y for fixed random weights w, so every output element matters.
    fn loss(
        layer: &Layer<&[f64]>,
        opts: &LayerOpts,
        x: &Seq<f64>,
        w: &Array2<f64>,
        seed: u64,
    ) -> f64 {
        let mut ctx = Ctx {
            train: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        let (y, _) = forward(0, layer, opts, x, &mut ctx).expect("trainable");
        (&y.data * w).sum()
    }

    /// What [`gradients_at`] does with the input gradient.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum InputGradient {
        /// Compare every element of `dx` with central differences.
        Check,
        /// The output is piecewise constant in the input (token ids, which must stay valid
        /// ids, so the input is not perturbed): `dx` must have the input's shape and be zero.
        Zero,
    }

    /// Checks every parameter's and every input's gradient of `layer` against central
    /// differences, on a random input in `[-1, 1)`. Returns the largest relative error.
    pub fn gradients(
        spec: &Layer<Vec<f32>>,
        opts: LayerOpts,
        steps: usize,
        batch: usize,
        width: usize,
    ) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut x = Seq::<f64>::zeros(steps, batch, width);
        x.data.mapv_inplace(|_| rng.random::<f64>() * 2.0 - 1.0);
        gradients_at(spec, opts, &x, InputGradient::Check)
    }

    /// [`gradients`] at a given input. Dropout masks are the same in every evaluation (same
    /// seed). Returns the largest relative error `|a - n| / max(|a|, |n|, 1)`.
    pub fn gradients_at(
        spec: &Layer<Vec<f32>>,
        opts: LayerOpts,
        x: &Seq<f64>,
        input: InputGradient,
    ) -> f64 {
        let layout = vec![layout(spec)];
        let mut params: Vec<f64> = Vec::new();
        let _ = spec.try_map(&mut |t: &Vec<f32>, _| {
            params.extend(t.iter().map(|&v| f64::from(v)));
            Ok::<_, ()>(())
        });
        let seed = 11;
        let (y, cache) = {
            let l = &views(&layout, &params)[0];
            let mut ctx = Ctx {
                train: true,
                rng: ChaCha8Rng::seed_from_u64(seed),
            };
            forward(0, l, &opts, x, &mut ctx).expect("trainable")
        };
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let w = Array2::from_shape_fn(y.data.dim(), |_| rng.random::<f64>() * 2.0 - 1.0);
        let mut grad = vec![0.0; params.len()];
        let dx = {
            let l = &views(&layout, &params)[0];
            let g = &mut views_mut(&layout, &mut grad)[0];
            let dy = Seq {
                steps: y.steps,
                batch: y.batch,
                data: w.clone(),
            };
            backward(l, g, x, &y, &cache, dy)
        };
        assert_eq!(
            (dx.steps, dx.batch, dx.data.dim()),
            (x.steps, x.batch, x.data.dim()),
            "dx has the input's shape"
        );
        let mut worst = 0.0f64;
        let mut close = |a: f64, n: f64, what: &dyn Fn() -> String| {
            let err = (a - n).abs() / a.abs().max(n.abs()).max(1.0);
            assert!(
                err <= GRADIENT_TOLERANCE,
                "{}: analytic {a} vs numeric {n}",
                what()
            );
            worst = worst.max(err);
        };
        for i in 0..params.len() {
            let mut p = params.clone();
            p[i] += H;
            let up = loss(&views(&layout, &p)[0], &opts, x, &w, seed);
            p[i] -= 2.0 * H;
            let down = loss(&views(&layout, &p)[0], &opts, x, &w, seed);
            close(grad[i], (up - down) / (2.0 * H), &|| format!("param {i}"));
        }
        let dxs = dx.data.as_slice().expect("standard layout");
        match input {
            InputGradient::Check => {
                let l = &views(&layout, &params)[0];
                for (i, &d) in dxs.iter().enumerate() {
                    let mut xp = x.clone();
                    xp.data.as_slice_mut().expect("standard layout")[i] += H;
                    let up = loss(l, &opts, &xp, &w, seed);
                    xp.data.as_slice_mut().expect("standard layout")[i] -= 2.0 * H;
                    let down = loss(l, &opts, &xp, &w, seed);
                    close(d, (up - down) / (2.0 * H), &|| format!("input {i}"));
                }
            }
            InputGradient::Zero => assert!(dxs.iter().all(|&d| d == 0.0), "dx is zero"),
        }
        eprintln!(
            "{}: max relative gradient error {worst:.1e} ({} params, {} inputs {input:?})",
            spec.kind(),
            params.len(),
            dxs.len()
        );
        worst
    }

    /// Runs `layers` on one example of `steps × width` random values (or `steps` random token
    /// ids if the first layer is an Embedding) through the trainer's `f32` forward passes in
    /// inference mode and through the runtime (`ModelSpec::to_bytes`, `Model::from_bytes`,
    /// window mode), and checks that every output value agrees within [`RUNTIME_TOLERANCE`].
    /// Returns the largest difference.
    pub fn agrees_with_runtime(layers: &[Layer<Vec<f32>>], steps: usize, width: usize) -> f32 {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let vocab = match layers.first() {
            Some(Layer::Embedding(e)) => Some(e.input_dim),
            _ => None,
        };
        let input: Vec<f32> = match vocab {
            Some(n) => (0..steps).map(|_| rng.random_range(0..n) as f32).collect(),
            None => (0..steps * width)
                .map(|_| rng.random::<f32>() * 2.0 - 1.0)
                .collect(),
        };

        let layout: Vec<_> = layers.iter().map(layout).collect();
        let mut params = Vec::new();
        for l in layers {
            let _ = l.try_map(&mut |t: &Vec<f32>, _| {
                params.extend_from_slice(t);
                Ok::<_, ()>(())
            });
        }
        let mut ctx = Ctx {
            train: false,
            rng: ChaCha8Rng::seed_from_u64(0),
        };
        let mut y = Seq::<f32>::from_batch_major(&input, 1, steps, width);
        for (i, l) in views(&layout, &params).iter().enumerate() {
            y = forward(i, l, &LayerOpts::default(), &y, &mut ctx)
                .expect("trainable")
                .0;
        }

        let spec = ModelSpec {
            vocabulary: None,
            name: "agreement".into(),
            features: (0..width).map(|c| format!("x{c}")).collect(),
            targets: (0..y.width()).map(|c| format!("y{c}")).collect(),
            sample_period_ms: 0,
            lookback: steps as u32,
            delay: 1,
            step: 1,
            input_norm: None,
            output_norm: None,
            layers: layers.to_vec(),
        };
        let blob = AlignedBytes::new(&spec.to_bytes().expect("encodes"));
        let model = Model::from_bytes(blob.as_bytes()).expect("loads");
        let mut scratch = vec![0.0; model.window_scratch_len(steps).expect("window fits")];
        let out = match vocab {
            Some(_) => {
                let ids: Vec<u16> = input.iter().map(|&v| v as u16).collect();
                model.window_tokens(&ids, &mut scratch)
            }
            None => model.window(&input, &mut scratch),
        }
        .expect("runs");
        assert_eq!(out.steps.unwrap_or(1), y.steps, "output steps");
        let ys = y.data.as_slice().expect("standard layout");
        assert_eq!(out.values.len(), ys.len(), "output values");
        let mut worst = 0.0f32;
        for (k, (&a, &b)) in ys.iter().zip(out.values).enumerate() {
            let err = (a - b).abs() / b.abs().max(1.0);
            assert!(
                err <= RUNTIME_TOLERANCE,
                "output {k}: trainer {a} vs runtime {b}"
            );
            worst = worst.max(err);
        }
        let kinds: Vec<_> = layers.iter().map(|l| l.kind()).collect();
        eprintln!(
            "{kinds:?}: trainer vs runtime max difference {worst:.1e} over {} values",
            ys.len()
        );
        worst
    }

    /// Deterministic weights in [-0.5, 0.5).
    pub fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random::<f32>() - 0.5).collect()
    }
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::Dense;

    use super::LayerOpts;
    use super::check::{agrees_with_runtime, gradients, values};

    #[test]
    fn dropout_gradients_match_finite_differences() {
        gradients(&Layer::Dropout { rate: 0.4 }, LayerOpts::default(), 3, 4, 3);
    }

    #[test]
    fn dropout_forward_matches_runtime() {
        let dense = Layer::Dense(Dense {
            units: 2,
            activation: Activation::Tanh,
            kernel: values(6, 1),
            bias: values(2, 2),
        });
        agrees_with_runtime(&[dense, Layer::Dropout { rate: 0.4 }], 4, 3);
    }
}
