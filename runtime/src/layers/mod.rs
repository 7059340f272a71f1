//! The layers, with Keras' semantics and weight layouts.
//!
//! **Weight layout.** Parameters are given in Keras' layouts (`ModelSpec`,
//! the trainer, the golden tests). In a blob, and so in a loaded `Layer<&[f32]>`, every kernel
//! `(in, out)` is stored transposed, output-major (Conv1D: `(kernel_size, filters, in)`), so that
//! each output is a contiguous dot product (see `kernels.rs`); the encoder transposes and
//! `ModelSpec::from_model` transposes back. Gate blocks keep Keras' order as row blocks.
//!
//! Every layer file has the same sections: conventions (layout, gate order, delay) in its doc
//! comment, the parameter struct (generic over how tensors are held: [`TensorRef`] on the wire,
//! `&[f32]` once loaded, `Vec<f32>` when building), `check` (shapes, run once at load time),
//! `step`/`push` (one sample), and a tiny hand-checked test.
//!
//! A layer sees either a **sequence** (one vector of `channels` values per time step) or a
//! **vector**. Dense acts on vectors and, like Keras, on every step of a sequence. Recurrent
//! layers turn a sequence into a vector (or, with `return_sequences`, into a sequence of their
//! states). Conv1D and pooling turn sequences into (shorter) sequences; in streaming mode they
//! emit one output every `strides` samples once their receptive field is full. Global pooling,
//! Flatten and Bidirectional need the whole window and run in window mode only.
//!
//! **Layer kinds in a build.** Every kind but Flatten and Dropout has a cargo feature (`dense`,
//! `simple-rnn`, `lstm`, `gru`, `conv1d`, `pooling`, `embedding`, `bidirectional`; all in
//! `default`). The format types (the enum, the parameter structs) are always there; a kind's
//! decoding, checks and arithmetic only with its feature. [`Model::from_bytes`] reads each
//! layer's [`LayerKind`] before its fields and refuses a kind this build leaves out with
//! [`LoadError::LayerNotBuilt`], so the arms of a left-out kind below are never reached.
//!
//! [`TensorRef`]: crate::format::TensorRef
//! [`Model::from_bytes`]: crate::Model::from_bytes
//! [`LoadError::LayerNotBuilt`]: crate::LoadError::LayerNotBuilt

mod bidirectional;
mod conv1d;
mod dense;
mod embedding;
pub(crate) mod global_pooling;
mod gru;
pub mod int;
mod lstm;
mod pooling;
mod simple_rnn;

pub use bidirectional::{Bidirectional, Cell};
pub use conv1d::{Conv1d, Padding};
pub use dense::Dense;
pub use embedding::Embedding;
pub use gru::Gru;
pub use int::IntLayer;
pub use lstm::Lstm;
pub use pooling::Pooling;
pub use simple_rnn::SimpleRnn;

use serde::{Deserialize, Serialize};

use crate::error::{Problem, TensorName};
use crate::tensor::Tensor;

/// One layer. Variant order is part of the format (append only), and [`LayerKind`]'s too.
///
/// A kind this build leaves out (see the [module docs](self)) is not decoded at all
/// (`not_built`): its decoding code would be in the firmware for nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Layer<T> {
    /// `keras.layers.Dense`.
    #[cfg_attr(not(feature = "dense"), serde(deserialize_with = "not_built"))]
    Dense(Dense<T>),
    /// `keras.layers.SimpleRNN`.
    #[cfg_attr(not(feature = "simple-rnn"), serde(deserialize_with = "not_built"))]
    SimpleRnn(SimpleRnn<T>),
    /// `keras.layers.LSTM`.
    #[cfg_attr(not(feature = "lstm"), serde(deserialize_with = "not_built"))]
    Lstm(Lstm<T>),
    /// `keras.layers.GRU`.
    #[cfg_attr(not(feature = "gru"), serde(deserialize_with = "not_built"))]
    Gru(Gru<T>),
    /// `keras.layers.Conv1D`.
    #[cfg_attr(not(feature = "conv1d"), serde(deserialize_with = "not_built"))]
    Conv1d(Conv1d<T>),
    /// `keras.layers.MaxPooling1D` (valid padding).
    #[cfg_attr(not(feature = "pooling"), serde(deserialize_with = "not_built"))]
    MaxPooling1d(Pooling),
    /// `keras.layers.AveragePooling1D` (valid padding).
    #[cfg_attr(not(feature = "pooling"), serde(deserialize_with = "not_built"))]
    AveragePooling1d(Pooling),
    /// `keras.layers.GlobalMaxPooling1D` (window mode only).
    GlobalMaxPooling1d,
    /// `keras.layers.GlobalAveragePooling1D` (window mode only).
    GlobalAveragePooling1d,
    /// `keras.layers.Flatten` (window mode only; needs the model's lookback).
    Flatten,
    /// `keras.layers.Embedding` (first layer only; the model then takes token ids).
    #[cfg_attr(not(feature = "embedding"), serde(deserialize_with = "not_built"))]
    Embedding(Embedding<T>),
    /// `keras.layers.Bidirectional` with `merge_mode="concat"` (window mode only).
    #[cfg_attr(not(feature = "bidirectional"), serde(deserialize_with = "not_built"))]
    Bidirectional(Bidirectional<T>),
    /// `keras.layers.Dropout`: the identity at inference.
    Dropout {
        /// Training-time drop rate, kept for the record.
        rate: f32,
    },
}

/// The kind of a [`Layer`]: its format tag (the variant index, which postcard writes before the
/// fields), so the loader can read it alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LayerKind {
    /// Dense (feature `dense`).
    Dense,
    /// SimpleRNN (feature `simple-rnn`).
    SimpleRnn,
    /// LSTM (feature `lstm`).
    Lstm,
    /// GRU (feature `gru`).
    Gru,
    /// Conv1D (feature `conv1d`).
    Conv1d,
    /// MaxPooling1D (feature `pooling`).
    MaxPooling1d,
    /// AveragePooling1D (feature `pooling`).
    AveragePooling1d,
    /// GlobalMaxPooling1D (feature `pooling`).
    GlobalMaxPooling1d,
    /// GlobalAveragePooling1D (feature `pooling`).
    GlobalAveragePooling1d,
    /// Flatten (always built).
    Flatten,
    /// Embedding (feature `embedding`).
    Embedding,
    /// Bidirectional (feature `bidirectional`).
    Bidirectional,
    /// Dropout (always built).
    Dropout,
}

impl LayerKind {
    /// The Keras name of the kind.
    pub const fn name(self) -> &'static str {
        match self {
            LayerKind::Dense => "dense",
            LayerKind::SimpleRnn => "simple_rnn",
            LayerKind::Lstm => "lstm",
            LayerKind::Gru => "gru",
            LayerKind::Conv1d => "conv1d",
            LayerKind::MaxPooling1d => "max_pooling1d",
            LayerKind::AveragePooling1d => "average_pooling1d",
            LayerKind::GlobalMaxPooling1d => "global_max_pooling1d",
            LayerKind::GlobalAveragePooling1d => "global_average_pooling1d",
            LayerKind::Flatten => "flatten",
            LayerKind::Embedding => "embedding",
            LayerKind::Bidirectional => "bidirectional",
            LayerKind::Dropout => "dropout",
        }
    }

    /// The cargo feature of the runtime that builds the kind (`None`: always built).
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            LayerKind::Dense => Some("dense"),
            LayerKind::SimpleRnn => Some("simple-rnn"),
            LayerKind::Lstm => Some("lstm"),
            LayerKind::Gru => Some("gru"),
            LayerKind::Conv1d => Some("conv1d"),
            LayerKind::MaxPooling1d
            | LayerKind::AveragePooling1d
            | LayerKind::GlobalMaxPooling1d
            | LayerKind::GlobalAveragePooling1d => Some("pooling"),
            LayerKind::Embedding => Some("embedding"),
            LayerKind::Bidirectional => Some("bidirectional"),
            LayerKind::Flatten | LayerKind::Dropout => None,
        }
    }

    /// Whether this build of the runtime has the kind (its cargo feature is on).
    pub const fn is_built(self) -> bool {
        match self {
            LayerKind::Dense => cfg!(feature = "dense"),
            LayerKind::SimpleRnn => cfg!(feature = "simple-rnn"),
            LayerKind::Lstm => cfg!(feature = "lstm"),
            LayerKind::Gru => cfg!(feature = "gru"),
            LayerKind::Conv1d => cfg!(feature = "conv1d"),
            LayerKind::MaxPooling1d
            | LayerKind::AveragePooling1d
            | LayerKind::GlobalMaxPooling1d
            | LayerKind::GlobalAveragePooling1d => cfg!(feature = "pooling"),
            LayerKind::Embedding => cfg!(feature = "embedding"),
            LayerKind::Bidirectional => cfg!(feature = "bidirectional"),
            LayerKind::Flatten | LayerKind::Dropout => true,
        }
    }
}

/// The decoder of a layer kind this build leaves out: fails, and keeps the kind's own decoder
/// out of the build. Never called by [`Model::from_bytes`](crate::Model::from_bytes), which
/// refuses the kind by its tag first.
#[allow(dead_code)]
fn not_built<'de, D: serde::Deserializer<'de>, V>(_: D) -> Result<V, D::Error> {
    Err(serde::de::Error::custom("layer kind not built"))
}

/// What a layer consumes or produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Shape {
    /// One vector of `channels` values per time step.
    Sequence {
        /// Values per step.
        channels: usize,
    },
    /// A single vector.
    Vector {
        /// Values.
        len: usize,
    },
}

impl Shape {
    /// Values per step (sequence) or in all (vector).
    pub const fn width(self) -> usize {
        match self {
            Shape::Sequence { channels } => channels,
            Shape::Vector { len } => len,
        }
    }
}

/// Streaming position of a layer that keeps a ring buffer (Conv1D, pooling).
///
/// `pos` is the next ring slot to write; `seen` counts samples including the virtual zeros of
/// causal padding, saturating at `span + strides` (only `seen >= span` and `(seen - span) %
/// strides` matter), so it never overflows however long the stream runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub pos: u32,
    pub seen: u32,
}

impl Cursor {
    /// Records one sample into a ring of `span` slots; returns whether an output is due.
    #[inline]
    pub(crate) fn advance(&mut self, span: u32, strides: u32) -> bool {
        self.pos = if self.pos + 1 == span {
            0
        } else {
            self.pos + 1
        };
        self.seen += 1;
        if self.seen >= span + strides {
            self.seen -= strides;
        }
        self.seen >= span && (self.seen - span).is_multiple_of(strides)
    }

    /// Ring index of the sample `back` steps before the newest (0 = newest).
    #[inline]
    pub(crate) fn back(&self, back: u32, span: u32) -> usize {
        ((self.pos + span - 1 - back) % span) as usize
    }
}

/// Output length of a ring layer over `steps` inputs (`None` if it emits nothing).
pub(crate) fn ring_out_steps(
    steps: usize,
    pad: usize,
    span: usize,
    strides: usize,
) -> Option<usize> {
    let m = steps.saturating_add(pad);
    (m >= span).then(|| (m - span) / strides + 1)
}

/// A vector tensor (bias): `f32` or int16, `expected` values.
pub(crate) fn expect_len(
    tensor: TensorName,
    t: Tensor<'_>,
    expected: usize,
) -> Result<(), Problem> {
    if matches!(t, Tensor::I8 { .. } | Tensor::U8Blocked { .. }) {
        return Err(Problem::UnsupportedDType { tensor });
    }
    expect_count(tensor, t.len(), expected)
}

/// A kernel: `expected` values, `f32` or int8 with `scales` scales (see [`crate::tensor`]).
pub(crate) fn expect_kernel(
    tensor: TensorName,
    t: Tensor<'_>,
    expected: usize,
    scales: usize,
) -> Result<(), Problem> {
    if let Tensor::I16 { .. } = t {
        return Err(Problem::UnsupportedDType { tensor });
    }
    expect_count(tensor, t.len(), expected)?;
    match t {
        Tensor::I8 { scales: s, .. } | Tensor::U8Blocked { scales: s, .. } if s.len() != scales => {
            Err(Problem::ScaleCount {
                tensor,
                expected: to_u32(scales),
                found: to_u32(s.len()),
            })
        }
        _ => Ok(()),
    }
}

fn expect_count(tensor: TensorName, len: usize, expected: usize) -> Result<(), Problem> {
    if len == expected {
        Ok(())
    } else {
        Err(Problem::ShapeMismatch {
            tensor,
            expected: to_u32(expected),
            found: to_u32(len),
        })
    }
}

pub(crate) fn to_u32(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Largest value of any size parameter (units, filters, taps, dilation, strides, pool size,
/// vocabulary, receptive field): 2^24. Together with [`MAX_WORDS`] this keeps every index and
/// every ring position far from `u32` overflow, also where `usize` is 32 bits.
pub const MAX_DIM: u32 = 1 << 24;

/// Largest number of `f32` words of one tensor, of one layer's state, and of a model's whole
/// streaming state: 2^28 (1 GiB), so byte counts fit a 32-bit address space.
pub const MAX_WORDS: usize = 1 << 28;

/// `0 <= x < 1` (NaN: false), on the bits: -0.0, or a positive value below 1.0, whose bits
/// are below 1.0's (a positive NaN's and infinity's are above). Float compares are library
/// calls on the FPU-less cores.
pub(crate) fn in_unit_interval(x: f32) -> bool {
    let bits = x.to_bits();
    bits == 0x8000_0000 || bits < 0x3f80_0000
}

/// `a · b` within [`MAX_WORDS`].
pub(crate) fn mul(a: usize, b: usize) -> Result<usize, Problem> {
    a.checked_mul(b)
        .filter(|&x| x <= MAX_WORDS)
        .ok_or(Problem::TooLarge)
}

/// `a + b` within [`MAX_WORDS`].
pub(crate) fn add(a: usize, b: usize) -> Result<usize, Problem> {
    a.checked_add(b)
        .filter(|&x| x <= MAX_WORDS)
        .ok_or(Problem::TooLarge)
}

/// A size parameter: at least 1 and at most [`MAX_DIM`].
pub(crate) fn nonzero(x: u32) -> Result<usize, Problem> {
    match x {
        0 => Err(Problem::ZeroSize),
        x if x > MAX_DIM => Err(Problem::TooLarge),
        x => Ok(x as usize),
    }
}

pub(crate) fn sequence_channels(input: Shape) -> Result<usize, Problem> {
    match input {
        Shape::Sequence { channels } => Ok(channels),
        Shape::Vector { .. } => Err(Problem::ExpectedSequence),
    }
}

impl<T> Layer<T> {
    /// Whether the layer's outputs are on its input's grid: pooling, Flatten and Dropout pick,
    /// average or pass on their inputs, where every other layer computes values of its own.
    pub fn keeps_input_scale(&self) -> bool {
        matches!(
            self,
            Layer::MaxPooling1d(_)
                | Layer::AveragePooling1d(_)
                | Layer::GlobalMaxPooling1d
                | Layer::GlobalAveragePooling1d
                | Layer::Flatten
                | Layer::Dropout { .. }
        )
    }

    /// Converts every tensor with `f`, which is told which tensor it is converting.
    pub fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Layer<U>, E> {
        Ok(match self {
            Layer::Dense(l) => Layer::Dense(l.try_map(f)?),
            Layer::SimpleRnn(l) => Layer::SimpleRnn(l.try_map(f)?),
            Layer::Lstm(l) => Layer::Lstm(l.try_map(f)?),
            Layer::Gru(l) => Layer::Gru(l.try_map(f)?),
            Layer::Conv1d(l) => Layer::Conv1d(l.try_map(f)?),
            Layer::MaxPooling1d(p) => Layer::MaxPooling1d(*p),
            Layer::AveragePooling1d(p) => Layer::AveragePooling1d(*p),
            Layer::GlobalMaxPooling1d => Layer::GlobalMaxPooling1d,
            Layer::GlobalAveragePooling1d => Layer::GlobalAveragePooling1d,
            Layer::Flatten => Layer::Flatten,
            Layer::Embedding(l) => Layer::Embedding(l.try_map(f)?),
            Layer::Bidirectional(l) => Layer::Bidirectional(l.try_map(f)?),
            Layer::Dropout { rate } => Layer::Dropout { rate: *rate },
        })
    }

    /// [`try_map`](Self::try_map) for the layers of a loaded model, which are all of kinds this
    /// build has (the loader refuses the others): a kind it leaves out is not mapped but gives
    /// `not_built`, so its mapping code stays out of the build.
    pub(crate) fn try_map_loaded<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
        #[cfg_attr(feature = "all-layers", allow(unused_variables))] not_built: E,
    ) -> Result<Layer<U>, E> {
        Ok(match self {
            #[cfg(feature = "dense")]
            Layer::Dense(l) => Layer::Dense(l.try_map(f)?),
            #[cfg(feature = "simple-rnn")]
            Layer::SimpleRnn(l) => Layer::SimpleRnn(l.try_map(f)?),
            #[cfg(feature = "lstm")]
            Layer::Lstm(l) => Layer::Lstm(l.try_map(f)?),
            #[cfg(feature = "gru")]
            Layer::Gru(l) => Layer::Gru(l.try_map(f)?),
            #[cfg(feature = "conv1d")]
            Layer::Conv1d(l) => Layer::Conv1d(l.try_map(f)?),
            #[cfg(feature = "pooling")]
            Layer::MaxPooling1d(p) => Layer::MaxPooling1d(*p),
            #[cfg(feature = "pooling")]
            Layer::AveragePooling1d(p) => Layer::AveragePooling1d(*p),
            #[cfg(feature = "pooling")]
            Layer::GlobalMaxPooling1d => Layer::GlobalMaxPooling1d,
            #[cfg(feature = "pooling")]
            Layer::GlobalAveragePooling1d => Layer::GlobalAveragePooling1d,
            Layer::Flatten => Layer::Flatten,
            #[cfg(feature = "embedding")]
            Layer::Embedding(l) => Layer::Embedding(l.try_map(f)?),
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(l) => Layer::Bidirectional(l.try_map(f)?),
            Layer::Dropout { rate } => Layer::Dropout { rate: *rate },
            // With every kind built the match is exhaustive, so a new kind cannot be missed.
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => return Err(not_built),
        })
    }

    /// A recurrent layer's kernels: `(input kernel, recurrent kernel)`.
    pub(crate) fn recurrent_kernels(&self) -> Option<(&T, &T)> {
        match self {
            Layer::SimpleRnn(l) => Some((&l.kernel, &l.recurrent_kernel)),
            Layer::Lstm(l) => Some((&l.kernel, &l.recurrent_kernel)),
            Layer::Gru(l) => Some((&l.kernel, &l.recurrent_kernel)),
            _ => None,
        }
    }

    /// The Keras name of the layer kind.
    pub fn kind(&self) -> &'static str {
        self.layer_kind().name()
    }

    /// The layer's kind.
    pub const fn layer_kind(&self) -> LayerKind {
        match self {
            Layer::Dense(_) => LayerKind::Dense,
            Layer::SimpleRnn(_) => LayerKind::SimpleRnn,
            Layer::Lstm(_) => LayerKind::Lstm,
            Layer::Gru(_) => LayerKind::Gru,
            Layer::Conv1d(_) => LayerKind::Conv1d,
            Layer::MaxPooling1d(_) => LayerKind::MaxPooling1d,
            Layer::AveragePooling1d(_) => LayerKind::AveragePooling1d,
            Layer::GlobalMaxPooling1d => LayerKind::GlobalMaxPooling1d,
            Layer::GlobalAveragePooling1d => LayerKind::GlobalAveragePooling1d,
            Layer::Flatten => LayerKind::Flatten,
            Layer::Embedding(_) => LayerKind::Embedding,
            Layer::Bidirectional(_) => LayerKind::Bidirectional,
            Layer::Dropout { .. } => LayerKind::Dropout,
        }
    }

    /// The kinds a build needs for the layer: its own, and for Bidirectional its directions'
    /// cells.
    pub fn kinds(&self) -> [Option<LayerKind>; 3] {
        let own = Some(self.layer_kind());
        match self {
            Layer::Bidirectional(b) => [own, Some(b.forward.kind()), Some(b.backward.kind())],
            _ => [own, None, None],
        }
    }

    /// The first kind in the layer that this build leaves out: the layer's own, or for
    /// Bidirectional a direction's cell.
    pub fn not_built(&self) -> Option<LayerKind> {
        let kind = self.layer_kind();
        if !kind.is_built() {
            return Some(kind);
        }
        match self {
            Layer::Bidirectional(b) => [&b.forward, &b.backward]
                .into_iter()
                .map(|c| c.kind())
                .find(|k| !k.is_built()),
            _ => None,
        }
    }

    /// Whether the layer's activation is softmax (which needs the `softmax` feature).
    pub fn uses_softmax(&self) -> bool {
        match self {
            Layer::Dense(d) => d.activation == crate::activation::Activation::Softmax,
            Layer::Conv1d(c) => c.activation == crate::activation::Activation::Softmax,
            _ => false,
        }
    }

    /// Whether the layer can run sample by sample (everything but global pooling, Flatten and
    /// Bidirectional).
    pub fn is_streamable(&self) -> bool {
        !matches!(
            self,
            Layer::GlobalMaxPooling1d
                | Layer::GlobalAveragePooling1d
                | Layer::Flatten
                | Layer::Bidirectional(_)
        )
    }
}

/// A recurrent cell: SimpleRNN, LSTM or GRU with its weights loaded. Its state starts with the
/// output `h` (`units` values).
pub(crate) trait Recurrent {
    fn units(&self) -> usize;
    /// Gate blocks of `units` (SimpleRNN 1, GRU 3, LSTM 4).
    fn gates(&self) -> usize;
    fn return_sequences(&self) -> bool;
    /// `f32` words of state (h, and c for the LSTM).
    fn state_len(&self) -> usize;
    /// `f32` words of scratch for one step.
    fn scratch_len(&self) -> usize;
    /// Checks the weights for an input of `input` channels.
    fn check(&self, input: usize) -> Result<(), Problem>;
    /// One time step: updates `state` from input `x`.
    #[cfg(feature = "float")]
    fn step(&self, x: &[f32], state: &mut [f32], scratch: &mut [f32]);
}

/// Loaded layer: the per-sample operations shared by streaming and window mode.
impl Layer<Tensor<'_>> {
    /// The recurrent cell of a SimpleRNN/LSTM/GRU layer.
    pub(crate) fn recurrent(&self) -> Option<&dyn Recurrent> {
        match self {
            #[cfg(feature = "simple-rnn")]
            Layer::SimpleRnn(l) => Some(l),
            #[cfg(feature = "lstm")]
            Layer::Lstm(l) => Some(l),
            #[cfg(feature = "gru")]
            Layer::Gru(l) => Some(l),
            _ => None,
        }
    }

    /// Checks the layer against its input shape (with `steps` time steps at the model's
    /// lookback, if known) and returns its output shape and output steps.
    pub(crate) fn check(
        &self,
        input: Shape,
        steps: Option<usize>,
    ) -> Result<(Shape, Option<usize>), Problem> {
        let too_short = |s: Option<Option<usize>>| match s {
            Some(None) => Err(Problem::SequenceTooShort),
            Some(Some(n)) => Ok(Some(n)),
            None => Ok(None),
        };
        match self {
            #[cfg(feature = "dense")]
            Layer::Dense(l) => Ok((l.check(input)?, steps)),
            Layer::SimpleRnn(_) | Layer::Lstm(_) | Layer::Gru(_) => {
                let cell = self.recurrent().ok_or(Problem::BadParameter)?;
                cell.check(sequence_channels(input)?)?;
                Ok(recurrent_output(
                    cell.units(),
                    cell.return_sequences(),
                    steps,
                ))
            }
            #[cfg(feature = "conv1d")]
            Layer::Conv1d(l) => {
                let shape = l.check(input)?;
                Ok((shape, too_short(steps.map(|s| l.out_steps(s)))?))
            }
            #[cfg(feature = "pooling")]
            Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p) => {
                let shape = p.check(input)?;
                Ok((shape, too_short(steps.map(|s| p.out_steps(s)))?))
            }
            #[cfg(feature = "pooling")]
            Layer::GlobalMaxPooling1d | Layer::GlobalAveragePooling1d => Ok((
                Shape::Vector {
                    len: sequence_channels(input)?,
                },
                None,
            )),
            Layer::Flatten => match input {
                Shape::Vector { .. } => Ok((input, None)),
                Shape::Sequence { channels } => {
                    let steps = steps.ok_or(Problem::NeedsLookback)?;
                    Ok((
                        Shape::Vector {
                            len: mul(steps, channels)?,
                        },
                        None,
                    ))
                }
            },
            #[cfg(feature = "embedding")]
            Layer::Embedding(l) => Ok((l.check(input)?, steps)),
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(l) => {
                let shape = l.check(sequence_channels(input)?)?;
                Ok((shape, if l.return_sequences() { steps } else { None }))
            }
            Layer::Dropout { rate } => {
                if in_unit_interval(*rate) {
                    Ok((input, steps))
                } else {
                    Err(Problem::BadParameter)
                }
            }
            // Kinds this build leaves out, which the loader refuses before checking.
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => Err(Problem::BadParameter),
        }
    }

    /// `f32` words this layer keeps between samples in streaming mode, including its output.
    pub(crate) fn state_len(&self, input: Shape) -> usize {
        let width = input.width();
        match self {
            Layer::Dense(l) => l.units as usize,
            Layer::SimpleRnn(_) | Layer::Lstm(_) | Layer::Gru(_) => {
                self.recurrent().map_or(0, |c| c.state_len())
            }
            Layer::Conv1d(l) => l.span() * width + l.filters as usize,
            Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p) => {
                (p.pool_size as usize + 1) * width
            }
            Layer::Embedding(l) => l.output_dim as usize,
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(l) => l.forward.state_len() + l.backward.state_len(),
            Layer::GlobalMaxPooling1d
            | Layer::GlobalAveragePooling1d
            | Layer::Flatten
            | Layer::Dropout { .. } => 0,
            // Kinds this build leaves out.
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => 0,
        }
    }

    /// `f32` words of scratch one step of this layer needs.
    pub(crate) fn scratch_len(&self) -> usize {
        match self {
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(l) => l.forward.scratch_len().max(l.backward.scratch_len()),
            _ => self.recurrent().map_or(0, |c| c.scratch_len()),
        }
    }

    /// Multiply-accumulates for one output of this layer (one step of a recurrent cell, one
    /// output vector of a convolution, the whole window for Bidirectional).
    pub fn macs(&self, input: Shape, steps: usize) -> usize {
        let w = input.width();
        let cell = |c: &dyn Recurrent| c.gates() * c.units() * (w + c.units());
        match self {
            Layer::Dense(l) => w * l.units as usize,
            Layer::Conv1d(l) => l.kernel_size as usize * w * l.filters as usize,
            Layer::SimpleRnn(_) | Layer::Lstm(_) | Layer::Gru(_) => {
                self.recurrent().map_or(0, cell)
            }
            Layer::Bidirectional(l) => steps * (cell(l.forward.get()) + cell(l.backward.get())),
            _ => 0,
        }
    }

    /// Puts a layer's streaming state back to the start of a stream: zero recurrent state,
    /// zero-filled rings (the zeros are causal padding), cursor at the causal pad.
    pub(crate) fn reset(&self, state: &mut [f32], cursor: &mut Cursor) {
        state.iter_mut().for_each(|v| *v = 0.0);
        *cursor = self.start_cursor();
    }

    /// The ring cursor at the start of a stream: at the causal pad.
    pub(crate) fn start_cursor(&self) -> Cursor {
        let pad = match self {
            Layer::Conv1d(l) => l.pad(),
            _ => 0,
        };
        Cursor {
            pos: 0,
            seen: pad as u32,
        }
    }

    /// Feeds one input vector; returns the layer's output when it emits one.
    ///
    /// `state` is this layer's region of `state_len(input)` words, reset by [`reset`](Self::reset)
    /// at the start of a stream; `scratch` has at least `scratch_len()` words. Cannot panic for a
    /// layer that passed [`check`](Self::check) with `x.len() == input.width()`.
    #[cfg(feature = "float")]
    #[inline]
    pub(crate) fn push<'s>(
        &self,
        x: &'s [f32],
        state: &'s mut [f32],
        cursor: &mut Cursor,
        scratch: &mut [f32],
    ) -> Option<&'s [f32]> {
        match self {
            #[cfg(feature = "dense")]
            Layer::Dense(l) => {
                l.step(x, state);
                Some(state)
            }
            Layer::SimpleRnn(_) | Layer::Lstm(_) | Layer::Gru(_) => {
                let cell = self.recurrent()?;
                cell.step(x, state, scratch);
                Some(&state[..cell.units()])
            }
            #[cfg(feature = "conv1d")]
            Layer::Conv1d(l) => l.push(x, state, cursor),
            #[cfg(feature = "pooling")]
            Layer::MaxPooling1d(p) => p.push(x, state, cursor, false),
            #[cfg(feature = "pooling")]
            Layer::AveragePooling1d(p) => p.push(x, state, cursor, true),
            #[cfg(feature = "embedding")]
            Layer::Embedding(l) => {
                l.step(x, state);
                Some(state)
            }
            Layer::Dropout { .. } => Some(x),
            // Window-only layers.
            Layer::GlobalMaxPooling1d
            | Layer::GlobalAveragePooling1d
            | Layer::Flatten
            | Layer::Bidirectional(_) => None,
            // Kinds this build leaves out.
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

fn recurrent_output(
    units: usize,
    return_sequences: bool,
    steps: Option<usize>,
) -> (Shape, Option<usize>) {
    if return_sequences {
        (Shape::Sequence { channels: units }, steps)
    } else {
        (Shape::Vector { len: units }, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_emits_every_strides_after_span() {
        // span 3, strides 2: outputs after samples 3, 5, 7, ...
        let mut c = Cursor::default();
        let emitted: heapless::Vec<bool, 9> = (0..9).map(|_| c.advance(3, 2)).collect();
        assert_eq!(
            &emitted[..],
            &[false, false, true, false, true, false, true, false, true]
        );
        assert!(c.seen < 3 + 2);
        assert_eq!(ring_out_steps(9, 0, 3, 2), Some(4));
        assert_eq!(ring_out_steps(2, 0, 3, 2), None);
    }

    #[test]
    fn a_layers_kind_is_its_format_tag() {
        use crate::activation::Activation::{Linear, Sigmoid, Tanh};
        let (k, r, b) = (1u8, 2u8, 3u8);
        let gru = Gru {
            units: 1,
            activation: Tanh,
            recurrent_activation: Sigmoid,
            reset_after: true,
            return_sequences: false,
            kernel: k,
            recurrent_kernel: r,
            bias: b,
        };
        let pool = Pooling {
            pool_size: 2,
            strides: 2,
        };
        let layers = [
            Layer::Dense(Dense {
                units: 1,
                activation: Linear,
                kernel: k,
                bias: b,
            }),
            Layer::SimpleRnn(SimpleRnn {
                units: 1,
                activation: Tanh,
                return_sequences: false,
                kernel: k,
                recurrent_kernel: r,
                bias: b,
            }),
            Layer::Lstm(Lstm {
                units: 1,
                activation: Tanh,
                recurrent_activation: Sigmoid,
                return_sequences: false,
                kernel: k,
                recurrent_kernel: r,
                bias: b,
            }),
            Layer::Gru(gru.clone()),
            Layer::Conv1d(Conv1d {
                filters: 1,
                kernel_size: 1,
                strides: 1,
                dilation: 1,
                padding: Padding::Valid,
                activation: Linear,
                kernel: k,
                bias: b,
            }),
            Layer::MaxPooling1d(pool),
            Layer::AveragePooling1d(pool),
            Layer::GlobalMaxPooling1d,
            Layer::GlobalAveragePooling1d,
            Layer::Flatten,
            Layer::Embedding(Embedding {
                input_dim: 2,
                output_dim: 1,
                embeddings: k,
            }),
            Layer::Bidirectional(Bidirectional {
                forward: Cell::Gru(gru.clone()),
                backward: Cell::Gru(gru),
            }),
            Layer::Dropout { rate: 0.5 },
        ];
        for (tag, layer) in layers.iter().enumerate() {
            let bytes = postcard::to_allocvec(layer).unwrap();
            let (kind, _) = postcard::take_from_bytes::<LayerKind>(&bytes).unwrap();
            assert_eq!(kind, layer.layer_kind(), "tag {tag}");
            assert_eq!(kind.name(), layer.kind());
            // The default build has every kind.
            assert!(kind.is_built() && layer.not_built().is_none());
        }
        assert!(postcard::from_bytes::<LayerKind>(&[layers.len() as u8]).is_err());
    }

    #[test]
    fn the_unit_interval_on_the_bits_is_the_compare() {
        let edges = [
            0.0f32,
            -0.0,
            1e-45,
            0.5,
            0.99999994,
            1.0,
            -1e-45,
            -0.5,
            2.0,
            f32::NAN,
        ];
        let edges = edges
            .into_iter()
            .chain([-f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
        for x in edges.chain((0..=u32::MAX).step_by(65_537).map(f32::from_bits)) {
            assert_eq!(in_unit_interval(x), (0.0..1.0).contains(&x), "{x}");
        }
    }

    #[test]
    fn cursor_back_indexes_the_ring() {
        let mut c = Cursor::default();
        c.advance(4, 1);
        c.advance(4, 1); // wrote slots 0 and 1, next is 2
        assert_eq!(c.back(0, 4), 1);
        assert_eq!(c.back(1, 4), 0);
        assert_eq!(c.back(2, 4), 3);
    }
}
