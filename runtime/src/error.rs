//! Error types: one small `Copy` enum per operation.
//!
//! [`LoadError`] is everything [`Model::from_bytes`](crate::Model::from_bytes) can find wrong
//! with a blob; [`StepError`] and [`WindowError`] are what running a loaded model can report
//! (only caller mistakes: wrong input length, a buffer that is too small, a token id out of
//! range). Every variant carries the numbers a firmware engineer needs to see the problem.

/// Which tensor of a layer (or of the model's normalization) a problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TensorName {
    /// Input kernel (`W`).
    Kernel,
    /// Recurrent kernel (`U`).
    RecurrentKernel,
    /// Bias vector.
    Bias,
    /// Embedding table.
    Embeddings,
    /// Normalization mean (offset).
    Mean,
    /// Normalization standard deviation (scale).
    Std,
}

/// What is wrong with one layer (or with the input/output normalization).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Problem {
    /// A tensor has the wrong number of elements.
    ShapeMismatch {
        /// Which tensor.
        tensor: TensorName,
        /// Elements the layer's configuration implies.
        expected: u32,
        /// Elements stored.
        found: u32,
    },
    /// A tensor's element type is not supported by this layer in this format version.
    UnsupportedDType {
        /// Which tensor.
        tensor: TensorName,
    },
    /// A tensor's bytes lie (partly) outside the blob's tensor arena.
    TensorOutOfBounds {
        /// Which tensor.
        tensor: TensorName,
    },
    /// A tensor's offset is not aligned to [`TENSOR_ALIGN`](crate::format::TENSOR_ALIGN).
    TensorMisaligned {
        /// Which tensor.
        tensor: TensorName,
    },
    /// A tensor holds a NaN or infinity (or a non-positive std).
    NonFinite {
        /// Which tensor.
        tensor: TensorName,
    },
    /// A size parameter (units, filters, pool size, strides, dilation...) is zero.
    ZeroSize,
    /// A size is too large to address (products overflow `u32`).
    TooLarge,
    /// The layer needs a sequence input, but the previous layer outputs a vector.
    ExpectedSequence,
    /// The layer's input width does not match what the previous layer produces.
    InputMismatch {
        /// Width the previous layer produces.
        expected: u32,
        /// Width this layer's weights accept.
        found: u32,
    },
    /// The activation is not allowed here (softmax inside a recurrent cell).
    UnsupportedActivation,
    /// An embedding layer anywhere but first.
    EmbeddingNotFirst,
    /// The sequence is too short for this layer at the model's lookback.
    SequenceTooShort,
    /// `Flatten` needs the model's lookback to know its output width.
    NeedsLookback,
    /// The two directions of a bidirectional layer disagree in return_sequences.
    DirectionMismatch,
    /// A parameter is out of its range (a dropout rate outside `[0, 1)`, say).
    BadParameter,
    /// An int8 tensor has the wrong number of scales.
    ScaleCount {
        /// Which tensor.
        tensor: TensorName,
        /// Scales the layer's configuration implies.
        expected: u32,
        /// Scales stored.
        found: u32,
    },
    /// A quantized tensor's scale exponent is out of range, an int16 tensor has other than one
    /// scale, or an int8 tensor holds -128 (int8 weights are symmetric, in `[-127, 127]`).
    BadQuantization {
        /// Which tensor.
        tensor: TensorName,
    },
    /// An `i8x16` exponent is out of range or contradicts the layer (a tanh or sigmoid output
    /// not in Q15, a pooling layer that changes its input's exponent, an LSTM cell exponent on
    /// another layer).
    BadExponent,
    /// Softmax anywhere but the last layer of an `i8x16` model.
    SoftmaxNotLast,
    /// The activation is left out of this build of the runtime (softmax without the `softmax`
    /// feature).
    ActivationNotBuilt,
}

/// Why a model blob was rejected by [`Model::from_bytes`](crate::Model::from_bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LoadError {
    /// Fewer bytes than the header (or its length field) requires.
    Truncated {
        /// Bytes required.
        needed: u32,
        /// Bytes given.
        found: u32,
    },
    /// More bytes than the header's length field says.
    TrailingBytes {
        /// Bytes the header declares.
        expected: u32,
        /// Bytes given.
        found: u32,
    },
    /// The first four bytes are not [`MAGIC`](crate::format::MAGIC).
    BadMagic,
    /// A format version this runtime cannot read.
    UnsupportedVersion {
        /// Version in the blob.
        found: u16,
        /// Version this runtime reads.
        supported: u16,
    },
    /// Reserved header flags are set.
    UnsupportedFlags {
        /// The flags word.
        found: u16,
    },
    /// The header's section lengths are inconsistent.
    BadHeader,
    /// The blob does not start at a 4-byte aligned address (see `include_model!`).
    Misaligned,
    /// The CRC-32 over the blob does not match: the bytes are corrupt.
    CrcMismatch {
        /// CRC stored in the header.
        stored: u32,
        /// CRC computed over the bytes.
        computed: u32,
    },
    /// The metadata section does not decode (corrupt, or more layers/features than supported).
    Metadata,
    /// The padding between metadata and tensors is not zero.
    BadPadding,
    /// The model has no layers.
    NoLayers,
    /// The model declares no input features.
    NoFeatures,
    /// The window step is 0 (it must be at least 1).
    ZeroStep,
    /// A token model (first layer Embedding) must have exactly one input and no normalization.
    TokenInput,
    /// A layer is malformed or does not chain with the previous one.
    Layer {
        /// Zero-based layer index.
        index: u8,
        /// What is wrong.
        problem: Problem,
    },
    /// The input normalization is malformed.
    InputNorm(Problem),
    /// The output de-normalization is malformed.
    OutputNorm(Problem),
    /// The blob's numeric mode is left out of this build of the runtime (features `float` for
    /// f32 and i8w, `int` for i8x16).
    ModeNotBuilt {
        /// The blob is an i8x16 (integer) model.
        integer: bool,
    },
    /// The blob has a layer kind that this build of the runtime leaves out (its cargo feature,
    /// e.g. `gru` or `conv1d`, is off), the layer's own or a Bidirectional direction's cell.
    LayerNotBuilt {
        /// Zero-based layer index.
        index: u8,
        /// The kind left out.
        kind: crate::layers::LayerKind,
    },
    /// The last layer's width does not match the number of declared targets.
    OutputCount {
        /// Number of declared targets.
        expected: u32,
        /// Width of the last layer.
        found: u32,
    },
    /// The vocabulary is malformed: a line without `token\tid`, an id outside `2..input_dim`,
    /// tokens not in ascending order, or a vocabulary on a model without an Embedding first.
    Vocabulary {
        /// 1-based line of the vocabulary (0: the model takes no tokens).
        line: u32,
    },
}

/// Why a [`Stepper`](crate::Stepper) could not be created or could not take a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StepError {
    /// The model contains a layer that needs the whole window (use window mode).
    NotStreamable {
        /// Zero-based index of the first such layer.
        layer: u8,
    },
    /// The state buffer is smaller than [`Model::state_len`](crate::Model::state_len).
    BufferTooSmall {
        /// `f32` words needed.
        needed: u32,
        /// `f32` words given.
        found: u32,
    },
    /// The sample does not have one value per input feature.
    InputLength {
        /// Values expected.
        expected: u32,
        /// Values given.
        found: u32,
    },
    /// A token id is not below the embedding's vocabulary size.
    TokenOutOfRange {
        /// The id.
        id: u16,
        /// Vocabulary size.
        vocab: u32,
    },
    /// Values were given to a token model, or a token to a value model.
    WrongInputKind,
}

/// Why a window forward pass could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WindowError {
    /// The input is not `steps × features` values long.
    InputLength {
        /// Values expected.
        expected: u32,
        /// Values given.
        found: u32,
    },
    /// The window is too short for the model's layers to produce an output.
    TooShort {
        /// Zero-based index of the layer that would output nothing.
        layer: u8,
    },
    /// The model contains `Flatten` and needs exactly this many steps.
    StepsMismatch {
        /// Steps the model needs.
        expected: u32,
        /// Steps given.
        found: u32,
    },
    /// The scratch buffer is smaller than [`Model::window_scratch_len`](crate::Model::window_scratch_len).
    BufferTooSmall {
        /// `f32` words needed.
        needed: u32,
        /// `f32` words given.
        found: u32,
    },
    /// A token id is not below the embedding's vocabulary size.
    TokenOutOfRange {
        /// The id.
        id: u16,
        /// Vocabulary size.
        vocab: u32,
    },
    /// Values were given to a token model, or tokens to a value model.
    WrongInputKind,
}

macro_rules! display_via_debug {
    ($($t:ty),*) => {$(
        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self, f)
            }
        }
        impl core::error::Error for $t {}
    )*};
}
display_via_debug!(LoadError, StepError, WindowError);
