//! A loaded model: [`Model::from_bytes`] checks everything once.
//!
//! After `from_bytes` returns `Ok`, every tensor has the length its layer needs, every layer
//! chains with the next, the normalization vectors match the feature and target counts, and no
//! weight is NaN or infinite. The per-sample code relies on exactly these facts, so it has no
//! error paths of its own: it cannot index out of bounds, divide by zero or allocate.

use heapless::Vec as HVec;

use crate::error::{LoadError, Problem, TensorName};
use serde::Deserialize;

use crate::format::{
    self, DType, MAX_CHANNELS, MAX_LAYERS, MAX_SCALE_EXP, ScalesRef, Standardize, TENSOR_ALIGN,
    TensorRef,
};
use crate::layers::{Layer, LayerKind, Shape};
use crate::tensor::{Scales, Tensor};

/// The fields of [`ModelRepr`] after its name lists and before `layers`, in the same order
/// (postcard encodes a struct as its fields in order).
#[derive(Deserialize)]
struct Head {
    sample_period_ms: u64,
    lookback: u32,
    delay: u32,
    step: u32,
    input_norm: Option<Standardize<TensorRef>>,
    output_norm: Option<Standardize<TensorRef>>,
}

/// A model's feature or target names, read from the blob where they are: the metadata's
/// encoding of them (each a length and its UTF-8 bytes), checked once at load. Keeping the
/// bytes instead of up to [`MAX_CHANNELS`] string slices keeps a [`Model`] about 1 KB smaller
/// per list, which counts on a Cortex-M0's stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Names<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> Names<'a> {
    /// Decodes a name list (a length, then each name) from the start of `bytes`; returns it and
    /// the bytes after it.
    fn take(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), LoadError> {
        let (len, mut rest) =
            postcard::take_from_bytes::<u32>(bytes).map_err(|_| LoadError::Metadata)?;
        if len as usize > MAX_CHANNELS {
            return Err(LoadError::Metadata);
        }
        let start = rest;
        for _ in 0..len {
            let (_, tail) =
                postcard::take_from_bytes::<&str>(rest).map_err(|_| LoadError::Metadata)?;
            rest = tail;
        }
        let names = Names {
            bytes: &start[..start.len() - rest.len()],
            len: len as usize,
        };
        Ok((names, rest))
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The names in order.
    pub fn iter(&self) -> NameIter<'a> {
        NameIter {
            rest: self.bytes,
            left: self.len,
        }
    }

    /// The first name.
    pub fn first(&self) -> Option<&'a str> {
        self.iter().next()
    }

    /// The `i`-th name.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.iter().nth(i)
    }
}

/// As a list of the names.
impl core::fmt::Debug for Names<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Names<'a> {
    type Item = &'a str;
    type IntoIter = NameIter<'a>;

    fn into_iter(self) -> NameIter<'a> {
        self.iter()
    }
}

/// The names of a [`Names`], in order.
#[derive(Clone, Debug)]
pub struct NameIter<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for NameIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        // Checked at load, so this cannot fail; a failure would only end the list.
        let (name, rest) = postcard::take_from_bytes::<&str>(self.rest).ok()?;
        self.rest = rest;
        self.left -= 1;
        Some(name)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for NameIter<'_> {}

/// How a model's weights are stored and computed (DESIGN.md, "Numeric modes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// `f32` weights, `f32` arithmetic.
    F32,
    /// int8 kernels with one `f32` scale per output row, `f32` arithmetic (see
    /// [`crate::tensor`]).
    I8w,
    /// int8 kernels, `i16` activations and state, integer arithmetic (see
    /// [`crate::layers::int`]).
    I8x16,
}

impl Mode {
    /// The mode's name on the command line and in reports: `f32`, `i8w`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::F32 => "f32",
            Mode::I8w => "i8w",
            Mode::I8x16 => "i8x16",
        }
    }
}

/// Costs of one layer (see [`Model::summary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerSummary {
    /// Keras layer kind.
    pub kind: &'static str,
    /// Input shape.
    pub input: Shape,
    /// Output shape.
    pub output: Shape,
    /// Trainable values.
    pub params: usize,
    /// Bytes of weights in the blob (int8 values and their scales for a quantized tensor).
    pub weight_bytes: usize,
    /// Bytes of streaming state (ring buffers, recurrent state, output; `i16` in
    /// [`Mode::I8x16`]), excluding the shared scratch.
    pub state_bytes: usize,
    /// Multiply-accumulates per output of the layer.
    pub macs: usize,
}

/// A model checked and ready to run, borrowing its blob (in flash, or in RAM on a host).
#[derive(Debug)]
pub struct Model<'a> {
    pub(crate) name: &'a str,
    pub(crate) features: Names<'a>,
    pub(crate) targets: Names<'a>,
    pub(crate) sample_period_ms: u64,
    pub(crate) lookback: u32,
    pub(crate) delay: u32,
    pub(crate) step: u32,
    pub(crate) input_norm: Option<Standardize<&'a [f32]>>,
    pub(crate) output_norm: Option<Standardize<&'a [f32]>>,
    pub(crate) layers: HVec<Layer<Tensor<'a>>, MAX_LAYERS>,
    /// The exponents of an `i8x16` model.
    pub(crate) int: Option<format::IntModel>,
    /// A text model's vocabulary: lines `token\tid`, sorted (see [`format`]).
    pub(crate) vocabulary: Option<&'a str>,
    /// `shapes[i]` is layer `i`'s input; the last entry is the model's output.
    pub(crate) shapes: HVec<Shape, { MAX_LAYERS + 1 }>,
    pub(crate) first_window_only: Option<u8>,
    pub(crate) state_len: usize,
    pub(crate) scratch_len: usize,
}

/// The bytes of `len` elements of `size` bytes at `offset` in the arena.
fn section(
    arena: &[u8],
    offset: u32,
    len: u32,
    size: usize,
    name: TensorName,
) -> Result<&[u8], Problem> {
    let start = offset as usize;
    if !start.is_multiple_of(TENSOR_ALIGN) {
        return Err(Problem::TensorMisaligned { tensor: name });
    }
    let end = (len as usize)
        .checked_mul(size)
        .and_then(|n| n.checked_add(start))
        .ok_or(Problem::TensorOutOfBounds { tensor: name })?;
    arena
        .get(start..end)
        .ok_or(Problem::TensorOutOfBounds { tensor: name })
}

fn f32s(arena: &[u8], offset: u32, len: u32, name: TensorName) -> Result<&[f32], Problem> {
    let bytes = section(arena, offset, len, DType::F32.size(), name)?;
    let values: &[f32] =
        bytemuck::try_cast_slice(bytes).map_err(|_| Problem::TensorMisaligned { tensor: name })?;
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Problem::NonFinite { tensor: name });
    }
    Ok(values)
}

fn scales<'a>(arena: &'a [u8], s: &ScalesRef, name: TensorName) -> Result<Scales<'a>, Problem> {
    if s.exp > MAX_SCALE_EXP {
        return Err(Problem::BadQuantization { tensor: name });
    }
    let bytes = section(arena, s.offset, s.len, 2, name)?;
    let mantissas: &[u16] =
        bytemuck::try_cast_slice(bytes).map_err(|_| Problem::TensorMisaligned { tensor: name })?;
    Ok(Scales {
        mantissas,
        exp: s.exp,
    })
}

/// An `f32` tensor, or an int8 tensor with its scales (which layer tensors may be int8, and how
/// many scales they need, each layer's `check` decides).
fn resolve<'a>(arena: &'a [u8], t: &TensorRef, name: TensorName) -> Result<Tensor<'a>, Problem> {
    match (t.dtype, t.scales) {
        (DType::F32, None) => Ok(Tensor::F32(f32s(arena, t.offset, t.len, name)?)),
        (DType::I8 | DType::U8Blocked, Some(s)) => {
            let bytes = section(arena, t.offset, t.len, 1, name)?;
            // -128: the byte 0x80 as int8, 0 offset by 128. (Each layer's check sees that a
            // blocked kernel's bytes are its rows.)
            let blocked = t.dtype == DType::U8Blocked;
            if bytes.contains(&if blocked { 0 } else { 0x80 }) {
                return Err(Problem::BadQuantization { tensor: name });
            }
            let scales = scales(arena, &s, name)?;
            Ok(if blocked {
                Tensor::U8Blocked {
                    values: bytes,
                    scales,
                }
            } else {
                Tensor::I8 {
                    values: bytemuck::cast_slice(bytes),
                    scales,
                }
            })
        }
        (DType::I16, Some(s)) => {
            let bytes = section(arena, t.offset, t.len, 2, name)?;
            let values: &[i16] = bytemuck::try_cast_slice(bytes)
                .map_err(|_| Problem::TensorMisaligned { tensor: name })?;
            let scale = scales(arena, &s, name)?;
            // One scale, a power of two (what the encoder writes, and what the integer path's
            // bias shifts take).
            if scale.mantissas != [1] {
                return Err(Problem::BadQuantization { tensor: name });
            }
            Ok(Tensor::I16 { values, scale })
        }
        _ => Err(Problem::UnsupportedDType { tensor: name }),
    }
}

fn resolve_norm<'a>(
    arena: &'a [u8],
    norm: &Option<Standardize<TensorRef>>,
    width: usize,
) -> Result<Option<Standardize<&'a [f32]>>, Problem> {
    let Some(norm) = norm else { return Ok(None) };
    let f32_only = |t: &TensorRef, name| match resolve(arena, t, name)? {
        Tensor::F32(v) => Ok(v),
        _ => Err(Problem::UnsupportedDType { tensor: name }),
    };
    let mean = f32_only(&norm.mean, TensorName::Mean)?;
    let std = f32_only(&norm.std, TensorName::Std)?;
    crate::layers::expect_len(TensorName::Mean, Tensor::F32(mean), width)?;
    crate::layers::expect_len(TensorName::Std, Tensor::F32(std), width)?;
    // A zero, negative or subnormal std would turn samples into inf or NaN.
    if std.iter().any(|&s| !s.is_normal() || s.is_sign_negative()) {
        return Err(Problem::BadParameter);
    }
    Ok(Some(Standardize { mean, std }))
}

impl<'a> Model<'a> {
    /// Checks a blob and borrows it as a model.
    ///
    /// Checks, in this order: length, magic, format version, declared length, CRC-32, header
    /// flags and padding, alignment (the blob must start at a 4-byte aligned address), the
    /// metadata decoding, then every tensor (element type, bounds, alignment, finiteness) and
    /// every layer's shapes against its input. Any single corrupted byte is rejected.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, LoadError> {
        let sections = format::split(bytes)?;
        let arena = sections.arena;
        // The metadata is decoded field by field so that no large value exists twice (stack is
        // scarce on a Cortex-M0): the name lists stay bytes in the blob (`Names`), and the
        // layers are decoded one at a time, each resolved against the arena as soon as it is
        // decoded.
        let (name, rest) =
            postcard::take_from_bytes::<&'a str>(sections.meta).map_err(|_| LoadError::Metadata)?;
        let (features, rest) = Names::take(rest)?;
        let (targets, rest) = Names::take(rest)?;
        let (wire, rest) =
            postcard::take_from_bytes::<Head>(rest).map_err(|_| LoadError::Metadata)?;
        let (count, mut rest) =
            postcard::take_from_bytes::<u32>(rest).map_err(|_| LoadError::Metadata)?;
        if count as usize > MAX_LAYERS {
            return Err(LoadError::Metadata);
        }
        // The model is built in place as it is checked: stack is scarce on a Cortex-M0, and
        // a separate layer list and header moved into it at the end would each take a copy.
        let (input_norm, output_norm) = (wire.input_norm, wire.output_norm);
        let mut model = Model {
            name,
            features,
            targets,
            sample_period_ms: wire.sample_period_ms,
            lookback: wire.lookback,
            delay: wire.delay,
            step: wire.step,
            input_norm: None,
            output_norm: None,
            layers: HVec::new(),
            int: None,
            vocabulary: None,
            shapes: HVec::new(),
            first_window_only: None,
            state_len: 0,
            scratch_len: 0,
        };
        for index in 0..count as usize {
            // The kind alone first (postcard writes a variant's index before its fields): a kind
            // this build leaves out is refused before anything else is decoded.
            let not_built = |kind| LoadError::LayerNotBuilt {
                index: index as u8,
                kind,
            };
            let (kind, _) =
                postcard::take_from_bytes::<LayerKind>(rest).map_err(|_| LoadError::Metadata)?;
            if !kind.is_built() {
                return Err(not_built(kind));
            }
            let (layer, tail) = postcard::take_from_bytes::<Layer<TensorRef>>(rest)
                .map_err(|_| LoadError::Metadata)?;
            rest = tail;
            if let Some(kind) = layer.not_built() {
                return Err(not_built(kind));
            }
            let resolved = layer.try_map_loaded(
                &mut |t, name| {
                    resolve(arena, t, name).map_err(|problem| LoadError::Layer {
                        index: index as u8,
                        problem,
                    })
                },
                not_built(kind),
            )?;
            // At most MAX_LAYERS, checked above.
            let _ = model.layers.push(resolved);
        }
        let vocabulary = if sections.flags & format::FLAG_VOCABULARY != 0 {
            let (v, tail) =
                postcard::take_from_bytes::<&'a str>(rest).map_err(|_| LoadError::Metadata)?;
            rest = tail;
            let input_dim = match model.layers.first() {
                // (Without `embedding` no model gets here with one: the guard only drops the
                // vocabulary check from such builds.)
                Some(Layer::Embedding(e)) if cfg!(feature = "embedding") => e.input_dim,
                _ => return Err(LoadError::Vocabulary { line: 0 }),
            };
            check_vocabulary(v, input_dim)?;
            Some(v)
        } else {
            None
        };
        let int = if rest.is_empty() {
            None
        } else {
            let (int, tail) = postcard::take_from_bytes::<format::IntModel>(rest)
                .map_err(|_| LoadError::Metadata)?;
            if !tail.is_empty() || int.layers.len() != model.layers.len() {
                return Err(LoadError::Metadata);
            }
            Some(int)
        };
        if model.layers.is_empty() {
            return Err(LoadError::NoLayers);
        }
        if model.features.is_empty() {
            return Err(LoadError::NoFeatures);
        }
        if model.step == 0 {
            return Err(LoadError::ZeroStep);
        }
        let tokens = matches!(model.layers.first(), Some(Layer::Embedding(_)));
        let n_in = model.features.len();
        if tokens && (n_in != 1 || input_norm.is_some()) {
            return Err(LoadError::TokenInput);
        }
        model.input_norm = resolve_norm(arena, &input_norm, n_in).map_err(LoadError::InputNorm)?;

        let mut shape = Shape::Sequence { channels: n_in };
        let window_steps = model.lookback as usize;
        let mut steps =
            (window_steps > 0).then(|| window_steps.div_ceil(model.step.max(1) as usize));
        let mut first_window_only = None;
        let (mut state_len, mut scratch_len) = (0usize, 0usize);
        for (index, layer) in model.layers.iter().enumerate() {
            let err = |problem| LoadError::Layer {
                index: index as u8,
                problem,
            };
            if index > 0 && matches!(layer, Layer::Embedding(_)) {
                return Err(err(Problem::EmbeddingNotFirst));
            }
            let _ = model.shapes.push(shape);
            let (out, out_steps) = layer.check(shape, steps).map_err(err)?;
            if !layer.is_streamable() && first_window_only.is_none() {
                first_window_only = Some(index as u8);
            }
            state_len = crate::layers::add(state_len, layer.state_len(shape)).map_err(err)?;
            scratch_len = scratch_len.max(layer.scratch_len());
            shape = out;
            steps = out_steps;
        }
        let _ = model.shapes.push(shape);
        // A build that leaves a numeric path out says so, instead of failing later.
        let (int_built, float_built) = (cfg!(feature = "int"), cfg!(feature = "float"));
        if !(if int.is_some() {
            int_built
        } else {
            float_built
        }) {
            return Err(LoadError::ModeNotBuilt {
                integer: int.is_some(),
            });
        }
        match &int {
            Some(int) => crate::layers::int::check(&model.layers, int)?,
            // Blocked kernels are the integer row kernels' layout only (a build without the float
            // path refuses float blobs anyway).
            #[cfg(feature = "float")]
            None => {
                for (index, layer) in model.layers.iter().enumerate() {
                    let mut blocked = None;
                    let _ = layer.try_map_loaded(
                        &mut |t: &Tensor<'_>, tensor| {
                            if matches!(t, Tensor::U8Blocked { .. }) {
                                blocked = blocked.or(Some(tensor));
                            }
                            Ok::<(), ()>(())
                        },
                        (),
                    );
                    if let Some(tensor) = blocked {
                        return Err(LoadError::Layer {
                            index: index as u8,
                            problem: Problem::UnsupportedDType { tensor },
                        });
                    }
                }
            }
            #[cfg(not(feature = "float"))]
            None => {}
        }
        let width = shape.width();
        if model.targets.len() != width {
            return Err(LoadError::OutputCount {
                expected: model.targets.len() as u32,
                found: width as u32,
            });
        }
        model.output_norm =
            resolve_norm(arena, &output_norm, width).map_err(LoadError::OutputNorm)?;
        // Stepper layout: last valid raw sample, normalized sample, output, layer states, scratch.
        let too_large = |_| LoadError::Layer {
            index: (model.layers.len() - 1) as u8,
            problem: Problem::TooLarge,
        };
        // i8x16: four words per channel in place of the normalized sample (`input_words`).
        let io_in = if int.is_some() { 5 * n_in } else { 2 * n_in };
        let io = crate::layers::add(io_in, width).map_err(too_large)?;
        // i8x16: the quantized sample and the layer states as i16, two to a word.
        let layer_words = match int {
            Some(_) => crate::layers::add(n_in, state_len)
                .map_err(too_large)?
                .div_ceil(2),
            None => state_len,
        };
        let state_len = crate::layers::add(io, layer_words)
            .and_then(|n| crate::layers::add(n, scratch_len))
            .map_err(too_large)?;
        model.int = int;
        model.vocabulary = vocabulary;
        model.first_window_only = first_window_only;
        model.state_len = state_len;
        model.scratch_len = scratch_len;
        Ok(model)
    }

    /// A token's id in the model's vocabulary ([`crate::text::UNKNOWN`] if it has none), or
    /// `None` if the model carries no vocabulary. A binary search over the sorted lines.
    #[cfg(feature = "text")]
    pub fn token_id(&self, token: &[u8]) -> Option<u16> {
        let v = self.vocabulary?.as_bytes();
        let (mut lo, mut hi) = (0, v.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = v[..mid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let end = v[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(v.len(), |p| start + p);
            let (tok, id) = split_line(&v[start..end])?;
            match tok.cmp(token) {
                core::cmp::Ordering::Equal => return Some(id),
                core::cmp::Ordering::Less => lo = end + 1,
                core::cmp::Ordering::Greater => hi = start,
            }
        }
        Some(crate::text::UNKNOWN)
    }

    /// The ids of `text`'s tokens (see [`crate::text`]) from the model's vocabulary, written from
    /// the start of `ids`; returns the number of tokens (past `ids.len()` the rest are not
    /// written), or `None` if the model carries no vocabulary.
    #[cfg(feature = "text")]
    pub fn encode_text(&self, text: &str, ids: &mut [u16]) -> Option<usize> {
        self.vocabulary?;
        let mut buf = [0u8; crate::text::TOKEN_BYTES];
        let mut n = 0;
        crate::text::for_each_token(text, &mut buf, |t| {
            if let Some(slot) = ids.get_mut(n) {
                *slot = self.token_id(t).unwrap_or(crate::text::UNKNOWN);
            }
            n += 1;
        });
        Some(n)
    }

    /// The vocabulary as tokens in id order (`tokens[i]` has id `i + 2`).
    #[cfg(feature = "alloc")]
    pub fn vocabulary_tokens(&self) -> Option<alloc::vec::Vec<alloc::string::String>> {
        let v = self.vocabulary?;
        let mut out = alloc::vec::Vec::new();
        for line in v.split('\n') {
            let (tok, id) = split_line(line.as_bytes())?;
            let at = usize::from(id) - 2;
            if out.len() <= at {
                out.resize(at + 1, alloc::string::String::new());
            }
            out[at] = alloc::string::String::from_utf8_lossy(tok).into_owned();
        }
        Some(out)
    }

    /// The model's name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Input channel names, in the order a sample's values are given.
    pub fn features(&self) -> Names<'a> {
        self.features
    }

    /// Output names (targets or classes), in output order.
    pub fn targets(&self) -> Names<'a> {
        self.targets
    }

    /// Nominal sample spacing in milliseconds (0 if unknown).
    pub fn sample_period_ms(&self) -> u64 {
        self.sample_period_ms
    }

    /// Rows per training window (0 if the model is not tied to a window).
    pub fn lookback(&self) -> u32 {
        self.lookback
    }

    /// How many samples ahead the model forecasts.
    pub fn delay(&self) -> u32 {
        self.delay
    }

    /// Every `step`-th row of a window was used in training.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// Samples in one model window: `lookback / step`, rounded up (0 if there is no lookback).
    pub fn window_steps(&self) -> usize {
        (self.lookback as usize).div_ceil(self.step.max(1) as usize)
    }

    /// How the model computes: [`Mode::I8x16`] with integer exponents, else [`Mode::I8w`] if
    /// any kernel is int8.
    pub fn mode(&self) -> Mode {
        if self.int.is_some() {
            return Mode::I8x16;
        }
        let mut quantized = false;
        for layer in &self.layers {
            let _ = layer.try_map_loaded(
                &mut |t: &Tensor<'_>, _| {
                    quantized |= t.is_quantized();
                    Ok(())
                },
                (),
            );
        }
        if quantized { Mode::I8w } else { Mode::F32 }
    }

    /// The exponents of an `i8x16` model.
    pub fn int_exponents(&self) -> Option<&format::IntModel> {
        self.int.as_ref()
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer<Tensor<'a>>] {
        &self.layers
    }

    /// The layer that computes the model's output: the last one but for those after it that
    /// keep its scale ([`Layer::keeps_input_scale`]). `None` if every layer keeps its input's.
    pub fn output_layer(&self) -> Option<usize> {
        self.layers.iter().rposition(|l| !l.keeps_input_scale())
    }

    /// Input shape of layer `i`; `layer_input(layers().len())` is the model's output shape.
    pub fn layer_input(&self, i: usize) -> Option<Shape> {
        self.shapes.get(i).copied()
    }

    /// Values per input sample (1 for token models).
    pub fn input_len(&self) -> usize {
        self.features.len()
    }

    /// Values per output.
    pub fn output_len(&self) -> usize {
        self.targets.len()
    }

    /// Vocabulary size, if the model takes token ids (its first layer is an Embedding).
    pub fn vocab(&self) -> Option<u32> {
        match self.layers.first() {
            // (The guard drops the token paths from builds without Embedding.)
            Some(Layer::Embedding(e)) if cfg!(feature = "embedding") => Some(e.input_dim),
            _ => None,
        }
    }

    /// Input normalization (raw units to model units), if any.
    pub fn input_norm(&self) -> Option<&Standardize<&'a [f32]>> {
        self.input_norm.as_ref()
    }

    /// Output de-normalization (model units to target units), if any.
    pub fn output_norm(&self) -> Option<&Standardize<&'a [f32]>> {
        self.output_norm.as_ref()
    }

    /// Whether a [`Stepper`](crate::Stepper) can run the model (no layer needs the whole window).
    pub fn is_streamable(&self) -> bool {
        self.first_window_only.is_none()
    }

    /// `f32` words a [`Stepper`](crate::Stepper) needs for state and scratch.
    pub fn state_len(&self) -> usize {
        self.state_len
    }

    /// Number of trainable values (weights and biases).
    pub fn params(&self) -> usize {
        (0..self.layers().len())
            .filter_map(|i| self.summary(i))
            .map(|s| s.params)
            .sum()
    }

    /// What layer `i` costs: parameters, flash, RAM and arithmetic.
    pub fn summary(&self, i: usize) -> Option<LayerSummary> {
        let layer = self.layers().get(i)?;
        let (mut params, mut weight_bytes) = (0, 0);
        let mut last_scales: &[u16] = &[];
        let _ = layer.try_map_loaded(
            &mut |t: &Tensor<'_>, _| {
                params += t.len();
                weight_bytes += t.value_bytes();
                // Scales shared by consecutive tensors (a recurrent layer's two kernels) count
                // once.
                let scales = t.scale_mantissas();
                if !core::ptr::eq(scales, last_scales) {
                    weight_bytes += 2 * scales.len();
                }
                last_scales = scales;
                Ok(())
            },
            (),
        );
        let input = self.shapes[i];
        Some(LayerSummary {
            kind: layer.kind(),
            input,
            output: self.shapes[i + 1],
            params,
            weight_bytes,
            // i8x16 keeps states as i16.
            state_bytes: layer.state_len(input) * if self.int.is_some() { 2 } else { 4 },
            macs: layer.macs(input, self.window_steps().max(1)),
        })
    }

    /// Multiply-accumulates per input sample in streaming mode: each layer's MACs per output,
    /// divided by how many input samples it waits for between outputs (the model's
    /// [`step`](Self::step) times the strides before it). For window-only models, the MACs of
    /// one window of [`window_steps`](Self::window_steps) samples: each layer's MACs per output
    /// times the outputs it computes over the window (every step of a sequence it reads, once
    /// after the sequence is reduced to a vector).
    pub fn macs_per_sample(&self) -> f64 {
        let streaming = self.is_streamable();
        let mut rate = f64::from(self.step.max(1));
        let mut steps = self.window_steps().max(1);
        let mut total = 0.0;
        for (i, layer) in self.layers().iter().enumerate() {
            let input = self.shapes[i];
            let per_output = layer.macs(input, steps) as f64;
            total += match (streaming, input, layer) {
                (true, ..) => per_output / rate,
                // (Bidirectional's count is already of the whole window.)
                (false, Shape::Sequence { .. }, Layer::Dense(_) | Layer::SimpleRnn(_))
                | (false, Shape::Sequence { .. }, Layer::Lstm(_) | Layer::Gru(_)) => {
                    per_output * steps as f64
                }
                (false, Shape::Sequence { .. }, Layer::Conv1d(l)) => {
                    per_output * l.out_steps(steps).unwrap_or(1) as f64
                }
                (false, ..) => per_output,
            };
            match layer {
                Layer::Conv1d(l) => {
                    rate *= l.strides as f64;
                    steps = l.out_steps(steps).unwrap_or(1);
                }
                Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p) => {
                    rate *= p.strides as f64;
                    steps = p.out_steps(steps).unwrap_or(1);
                }
                _ => {}
            }
        }
        total
    }

    /// Replaces non-finite raw values by the channel's last finite value (initially the
    /// training mean): `last` ends up holding the sample as used. Returns how many were
    /// replaced.
    pub(crate) fn fill(&self, raw: &[f32], last: &mut [f32]) -> u32 {
        let mut filled = 0;
        for (&r, l) in raw.iter().zip(last.iter_mut()) {
            if r.is_finite() {
                *l = r;
            } else {
                filled += 1;
            }
        }
        filled
    }

    /// [`fill`](Self::fill) and normalize in one pass: `x = (raw - mean) / std`. Returns how
    /// many were replaced.
    pub(crate) fn normalize(&self, raw: &[f32], last: &mut [f32], x: &mut [f32]) -> u32 {
        let mut filled = 0;
        for (c, (&r, l)) in raw.iter().zip(last.iter_mut()).enumerate() {
            let v = if r.is_finite() {
                *l = r;
                r
            } else {
                filled += 1;
                *l
            };
            x[c] = match &self.input_norm {
                Some(n) => (v - n.mean[c]) / n.std[c],
                None => v,
            };
        }
        filled
    }

    /// The value a channel holds before any finite sample arrived: its training mean.
    pub(crate) fn initial_fill(&self, c: usize) -> f32 {
        self.input_norm.as_ref().map_or(0.0, |n| n.mean[c])
    }

    /// An `i8x16` model's gain for input channel `c`: `2^exp / std` (rounded as the `f32`
    /// division; a stepper computes it once, at reset), at most `f32::MAX` (a std below
    /// `2^(exp - 128)` would make it infinite, and every nonzero input saturate), or `2^exp`
    /// without normalization.
    pub(crate) fn input_gain(&self, c: usize, exp: u8) -> f32 {
        let exp = exp.min(15);
        match &self.input_norm {
            // (On the bits: a float comparison is a library call on the FPU-less cores.)
            Some(n) => match pow2_over(exp, n.std[c]) {
                g if g.to_bits() >= f32::INFINITY.to_bits() => f32::MAX,
                g => g,
            },
            None => f32::from_bits((127 + u32::from(exp)) << 23),
        }
    }

    /// An `i8x16` model's quantization words for input channel `c` ([`quantize_input`]; a
    /// stepper computes them once, at reset): the gain's bits ([`input_gain`](Self::input_gain)),
    /// `284 - e` for its biased exponent `e` where the fast path takes it (`30 ≤ e ≤ 236`, else
    /// `u32::MAX`), and `mean · gain` in Q16 ([`q16_product`], 0 without normalization) minus
    /// the rounding term 2^15, as its low and high words.
    pub(crate) fn input_words(&self, c: usize, exp: u8) -> [u32; 4] {
        let gain = self.input_gain(c, exp).to_bits();
        let offset = self
            .input_norm
            .as_ref()
            .map_or(0, |n| q16_product(n.mean[c].to_bits(), gain));
        let e = (gain >> 23) & 0xff;
        let fast = if (30..=236).contains(&e) {
            284 - e
        } else {
            u32::MAX
        };
        let offset = offset - (1 << 15);
        [gain, fast, offset as u32, (offset >> 32) as u32]
    }

    /// An `i8x16` model's output: `q · 2^-exp` as `f32` (exact), then softmax if the last layer
    /// has it, then the de-normalization.
    pub(crate) fn output_from_int(&self, q: &[i16], exp: u8, y: &mut [f32]) {
        for (y, &v) in y.iter_mut().zip(q) {
            *y = scaled_f32(v, exp);
        }
        let softmax = match self.layers.last() {
            Some(Layer::Dense(l)) => l.activation == crate::activation::Activation::Softmax,
            Some(Layer::Conv1d(l)) => l.activation == crate::activation::Activation::Softmax,
            _ => false,
        };
        // (Without the feature no loaded model has softmax.)
        if cfg!(feature = "softmax") && softmax {
            let w = self.output_len().max(1);
            for row in y.chunks_exact_mut(w) {
                crate::activation::Activation::Softmax.apply(row);
            }
        }
        // Without an FPU, the de-normalization's float multiply and add on the bits (the same
        // results, and an integer-only firmware links no float library).
        #[cfg(nowcast_soft_float)]
        // (Channel by channel, cycling over the output vectors: `chunks_exact` would divide, a
        // library call on the M0.)
        if let Some(n) = &self.output_norm {
            for (v, (&m, &s)) in y.iter_mut().zip(n.mean.iter().zip(n.std).cycle()) {
                *v = f32::from_bits(mul_add_bits(v.to_bits(), s.to_bits(), m.to_bits()));
            }
            return;
        }
        self.denormalize(y);
    }

    /// `y = y_norm * std + mean`, per output channel, over one or more output vectors.
    pub(crate) fn denormalize(&self, y: &mut [f32]) {
        if let Some(n) = &self.output_norm {
            for row in y.chunks_exact_mut(n.mean.len()) {
                for ((v, &m), &s) in row.iter_mut().zip(n.mean).zip(n.std) {
                    *v = *v * s + m;
                }
            }
        }
    }
}

/// `f32::from(v) · 2^-e` for `e ≤ 15` on the bits alone (exact either way: 16 significant bits
/// and a normal exponent): on the FPU-less cores the conversion and the multiply are two
/// library calls.
pub(crate) fn scaled_f32(v: i16, e: u8) -> f32 {
    debug_assert!(e <= 15, "output exponents are checked at load");
    if v == 0 {
        return 0.0;
    }
    let a = u32::from(v.unsigned_abs());
    // The top bit's position, and the bits below it as the significand's top.
    let top = 31 - a.leading_zeros();
    let significand = (a << (23 - top)) & 0x7f_ffff;
    let exponent = 127 + top - u32::from(e.min(15));
    let sign = u32::from(v < 0) << 31;
    f32::from_bits(sign | exponent << 23 | significand)
}

/// `x · s + m` in `f32` for a finite `x`, a positive normal `s` and a finite `m`, on the bits:
/// the product rounded, then the sum rounded, each to nearest with ties to even, as IEEE 754
/// (and the FPU, and the float library) computes `x * s + m`. The product is the exact 48-bit
/// product of the significands; the sum aligns the smaller operand 39 bits below the larger's
/// significand, exact up to a shift of 39 and with a sticky bit beyond (the rounding then
/// happens at least 38 bits above it).
#[cfg_attr(not(nowcast_soft_float), allow(dead_code))]
pub(crate) fn mul_add_bits(x: u32, s: u32, m: u32) -> u32 {
    let sign = (x ^ s) & 0x8000_0000;
    let p = if x & 0x7fff_ffff == 0 {
        sign
    } else {
        let ((mx, ex), (ms, es)) = (unpack(x), unpack(s));
        round_pack(sign, u64::from(mx) * u64::from(ms), ex + es - 300)
    };
    add_bits(p, m)
}

/// `a + b` of two `f32`s that are not NaN and not both infinite, on the bits (see
/// [`mul_add_bits`]).
#[cfg_attr(not(nowcast_soft_float), allow(dead_code))]
fn add_bits(a: u32, b: u32) -> u32 {
    let (aa, ab) = (a & 0x7fff_ffff, b & 0x7fff_ffff);
    if aa == 0x7f80_0000 || ab == 0 {
        // An infinity plus a finite value; x + 0 (and -0 + -0 = -0, -0 + 0 = 0 below).
        return if aa == 0 && ab == 0 { a & b } else { a };
    }
    if aa == 0 || ab == 0x7f80_0000 {
        return b;
    }
    // The larger magnitude first.
    let (big, small) = if aa >= ab { (a, b) } else { (b, a) };
    let ((mb, eb), (ms, es)) = (unpack(big), unpack(small));
    let d = (eb - es) as u32;
    let wide = u64::from(ms) << 39;
    let aligned = match d {
        0..=39 => wide >> d,
        40..=63 => (wide >> d) | u64::from(wide & ((1 << d) - 1) != 0),
        _ => 1,
    };
    let top = u64::from(mb) << 39;
    let sum = if (a ^ b) >> 31 == 0 {
        top + aligned
    } else {
        top - aligned
    };
    if sum == 0 {
        return 0;
    }
    round_pack(big & 0x8000_0000, sum, eb - 150 - 39)
}

/// The significand and exponent of a finite nonzero `f32` (sign ignored): `|v| = m · 2^(e -
/// 150)`, `m` below 2^24 (a subnormal's `e` is 1).
#[cfg_attr(not(nowcast_soft_float), allow(dead_code))]
fn unpack(v: u32) -> (u32, i32) {
    let (e, f) = (((v >> 23) & 0xff) as i32, v & 0x7f_ffff);
    if e == 0 { (f, 1) } else { (f | 0x80_0000, e) }
}

/// The `f32` nearest `magnitude · 2^exp` (ties to even; nonzero `magnitude`) with the sign bit
/// `sign`: an infinity past the largest finite value, a subnormal or zero below the normals.
#[cfg_attr(not(nowcast_soft_float), allow(dead_code))]
fn round_pack(sign: u32, magnitude: u64, exp: i32) -> u32 {
    let lz = magnitude.leading_zeros();
    let v = magnitude << lz;
    // The biased exponent of v · 2^(exp - lz), v in [2^63, 2^64).
    let e = exp - lz as i32 + 63 + 127;
    if e >= 255 {
        return sign | 0x7f80_0000;
    }
    // The significand (24 bits for a normal, fewer for a subnormal) and what is rounded away.
    let shift = if e >= 1 { 40 } else { (41 - e) as u32 };
    let (kept, rest, half) = match shift {
        ..=63 => (v >> shift, v & ((1 << shift) - 1), 1u64 << (shift - 1)),
        64 => (0, v, 1 << 63),
        _ => return sign,
    };
    let up = rest > half || (rest == half && kept & 1 == 1);
    // A normal's implicit bit adds one to its exponent field, which holds e - 1; a rounding
    // carry moves the exponent up (to the infinity from the largest finite value).
    let field = if e >= 1 { ((e - 1) as u32) << 23 } else { 0 };
    sign | (field + kept as u32 + u32::from(up))
}

/// `2^e / s` for a positive normal `s` (the loader checks every std), rounded to nearest, ties
/// to even, as the `f32` division is, in integer arithmetic: a firmware with the integer path
/// only then links no float division (about 460 bytes of flash on the M3). `2^e / s =
/// (2^47 / m) · 2^(e - x + 103)` for `s = m · 2^(x - 150)`, `m` in `[2^23, 2^24)`: a 25-step long
/// division gives the quotient's 24 or 25 bits and the remainder, which rounds it.
pub(crate) fn pow2_over(e: u8, s: f32) -> f32 {
    let bits = s.to_bits();
    let m = bits & 0x7f_ffff | 0x80_0000;
    // q = floor(2^47 / m), in [2^23, 2^24], and the remainder.
    let (mut q, mut rem) = (0u32, 1u32 << 22);
    for _ in 0..25 {
        rem <<= 1;
        q <<= 1;
        if rem >= m {
            rem -= m;
            q |= 1;
        }
    }
    // The value is (q + rem/m) · 2^(t - 150) with t the biased exponent of a q in [2^23, 2^24).
    let mut t = i32::from(e) - ((bits >> 23) & 0xff) as i32 + 253;
    if q == 1 << 24 {
        // m = 2^23: a power of two, exactly.
        q = 1 << 23;
        t += 1;
    }
    if t >= 255 {
        return f32::INFINITY;
    }
    let round_up = |dropped: u32, half: u32, low: u32| {
        dropped > half || (dropped == half && (rem != 0 || low & 1 == 1))
    };
    if t >= 1 {
        // Normal: round the remainder away (twice it against m); a carry into 2^24 moves the
        // exponent up through the bits.
        let up = 2 * rem > m || (2 * rem == m && q & 1 == 1);
        let bits = ((t as u32) << 23) + (q & 0x7f_ffff) + u32::from(up);
        return f32::from_bits(bits.min(0x7f80_0000));
    }
    // Subnormal: q shifted right by 1 - t, rounded on the dropped bits and the remainder.
    let shift = (1 - t) as u32;
    if shift > 24 {
        return 0.0;
    }
    let (kept, dropped) = (q >> shift, q & ((1 << shift) - 1));
    let up = round_up(dropped, 1 << (shift - 1), kept);
    f32::from_bits(kept + u32::from(up))
}

/// An `i8x16` model's input from a (filled) raw sample `v` and the channels' quantization
/// words ([`Model::input_words`], four per channel): `round(v · gain - mean · gain)`, the two
/// products in Q16 ([`q16_product`]) and their difference rounded half up, saturated to `i16`;
/// a NaN is 0 (the mean). Integer arithmetic only: with [`Model::output_from_int`]'s
/// de-normalization the integer path uses no `f32` arithmetic before the output.
pub(crate) fn quantize_input(v: &[f32], words: &[u32], q: &mut [i16]) {
    for ((q, &v), w) in q.iter_mut().zip(v).zip(words.chunks_exact(4)) {
        let &[gain, fast, lo, hi] = w else {
            continue;
        };
        let (vb, offset) = (v.to_bits(), i64::from(hi as i32) << 32 | i64::from(lo));
        // The exponent check of both operands in one: `fast - e_v < 48` only for a normal `v`
        // when the gain is one the fast path takes (see `input_words`).
        let k = fast.wrapping_sub((vb >> 23) & 0xff);
        *q = if k < 48 {
            let p = product_24(vb & 0x7f_ffff | 0x80_0000, gain & 0x7f_ffff | 0x80_0000);
            // p >> k in 32 bits where it fits (p < 2^48).
            let p = if k >= 16 {
                i64::from(((p >> 16) as u32) >> (k - 16))
            } else {
                (p >> k) as i64
            };
            sat16_from_q16(if vb >> 31 != 0 {
                -(p + offset)
            } else {
                p - offset
            })
        } else if vb & 0x7fff_ffff > 0x7f80_0000 {
            0
        } else {
            sat16_from_q16(q16_product(vb, gain) - offset)
        };
    }
}

/// `d >> 16` saturated to `i16` (a difference of [`q16_product`]s with the rounding term in).
#[inline(always)]
fn sat16_from_q16(d: i64) -> i16 {
    let (lo, hi) = (d as i32, (d >> 32) as i32);
    if hi == lo >> 31 {
        (lo >> 16) as i16
    } else if hi < 0 {
        i16::MIN
    } else {
        i16::MAX
    }
}

/// `v · g` in Q16 from the bits of `v` and `g`: `trunc(v · g · 2^16)` of the exact product
/// (toward zero), its magnitude at most [`Q16_LIMIT`]; 0 for a zero or NaN operand. With both
/// significands normalized to `[2^23, 2^24)` (a subnormal's shifted up), `|v · g| = p · 2^-r`
/// with `p < 2^48` exact in a `u64`, so the Q16 value is `p >> (r - 16)`. The general case, for
/// the offsets and for samples [`quantize_input`]'s fast path leaves out; that path is the same
/// arithmetic for normal operands: on the FPU-less cores one 32 x 32 -> 64-bit multiply (four
/// 16 x 16-bit ones on the M0) and shifts, where a float subtraction, a multiply and a
/// conversion were library calls.
#[inline(never)]
pub(crate) fn q16_product(vb: u32, gb: u32) -> i64 {
    let (av, ag) = (vb & 0x7fff_ffff, gb & 0x7fff_ffff);
    // A NaN, or a zero (times anything, an infinity too): 0. (Bit tests: on the FPU-less
    // cores `is_nan` is a library call.)
    if av > 0x7f80_0000 || ag > 0x7f80_0000 || av == 0 || ag == 0 {
        return 0;
    }
    // Significand in [2^23, 2^24) and exponent e such that |v| = m · 2^(e - 150).
    let parts = |a: u32| {
        let (e, f) = ((a >> 23) as i32, a & 0x7f_ffff);
        if e == 0 {
            let z = f.leading_zeros() - 8;
            (f << z, 1 - z as i32)
        } else {
            (f | 0x80_0000, e)
        }
    };
    let ((mv, ev), (mg, eg)) = (parts(av), parts(ag));
    // p · 2^-k in Q16, with p in [2^46, 2^48).
    let k = 284 - ev - eg;
    let magnitude = if ev == 255 || eg == 255 || k < -15 {
        // An infinity, or at least 2^46 · 2^16 = 2^62 in Q16: saturates.
        Q16_LIMIT
    } else if k >= 48 {
        0
    } else if k >= 0 {
        (product_24(mv, mg) >> k) as i64
    } else {
        // Below 2^48 · 2^15 = 2^63.
        ((product_24(mv, mg) << -k) as i64).min(Q16_LIMIT)
    };
    if (vb ^ gb) >> 31 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Largest magnitude of a [`q16_product`]: `2^61`, so that the difference of two and its
/// rounding term fit an `i64`.
pub(crate) const Q16_LIMIT: i64 = 1 << 61;

/// `a · b` for `a, b < 2^24`, exactly.
#[inline(always)]
fn product_24(a: u32, b: u32) -> u64 {
    #[cfg(nowcast_thumb1)]
    {
        product_24_narrow(a, b)
    }
    #[cfg(not(nowcast_thumb1))]
    {
        u64::from(a) * u64::from(b)
    }
}

/// [`product_24`] from 16 x 16-bit products (the M0's: its 64-bit multiply is a library call).
/// With `a = ha · 2^16 + la`, `a · b = ha·hb · 2^32 + (ha·lb + la·hb) · 2^16 + la·lb`; the
/// middle sum is below 2^25.
#[inline(always)]
#[cfg_attr(not(nowcast_thumb1), allow(dead_code))]
fn product_24_narrow(a: u32, b: u32) -> u64 {
    let (ha, la, hb, lb) = (a >> 16, a & 0xffff, b >> 16, b & 0xffff);
    let mid = u64::from(ha * lb + la * hb);
    (u64::from(ha * hb) << 32) + (mid << 16) + u64::from(la * lb)
}

/// A vocabulary line's token and id (`token\tid`, id in decimal).
fn split_line(line: &[u8]) -> Option<(&[u8], u16)> {
    let tab = line.iter().position(|&b| b == b'\t')?;
    let (tok, id) = (&line[..tab], &line[tab + 1..]);
    if tok.is_empty() || id.is_empty() || id.len() > 5 || !id.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let id = id.iter().fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
    Some((tok, u16::try_from(id).ok()?))
}

/// Every line is `token\tid` with `2 <= id < input_dim`, the tokens strictly ascending.
fn check_vocabulary(v: &str, input_dim: u32) -> Result<(), LoadError> {
    let mut last: Option<&[u8]> = None;
    for (i, line) in v.split('\n').enumerate() {
        let bad = LoadError::Vocabulary { line: i as u32 + 1 };
        let (tok, id) = split_line(line.as_bytes()).ok_or(bad)?;
        if id < 2 || u32::from(id) >= input_dim || last.is_some_and(|l| l >= tok) {
            return Err(bad);
        }
        last = Some(tok);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GRU(4) over three inputs (`return_sequences` as given), then `middle`, then Dense(1).
    fn gru_model(
        step: u32,
        return_sequences: bool,
        middle: Option<Layer<alloc::vec::Vec<f32>>>,
    ) -> crate::AlignedBytes {
        use crate::activation::Activation;
        use crate::layers::{Dense, Gru};
        use alloc::vec;
        let mut layers = vec![Layer::Gru(Gru {
            units: 4,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            reset_after: true,
            return_sequences,
            kernel: vec![0.1; 3 * 12],
            recurrent_kernel: vec![0.1; 4 * 12],
            bias: vec![0.0; 2 * 12],
        })];
        layers.extend(middle);
        layers.push(Layer::Dense(Dense {
            units: 1,
            activation: Activation::Linear,
            kernel: vec![0.1; 4],
            bias: vec![0.0],
        }));
        let spec = crate::ModelSpec {
            vocabulary: None,
            name: "macs".into(),
            features: vec!["a".into(), "b".into(), "c".into()],
            targets: vec!["a".into()],
            sample_period_ms: 1000,
            lookback: 24,
            delay: 1,
            step,
            input_norm: None,
            output_norm: None,
            layers,
        };
        crate::AlignedBytes::new(&spec.to_bytes().unwrap())
    }

    #[test]
    fn macs_per_sample_counts_the_step_and_whole_windows() {
        // GRU(4) over 3 inputs: 3 gates x 4 units x (3 + 4) = 84 per step; Dense(4 -> 1): 4.
        let per_step = 84.0 + 4.0;
        let blob = gru_model(1, false, None);
        let m = Model::from_bytes(blob.as_bytes()).unwrap();
        assert_eq!(m.macs_per_sample(), per_step);
        // With step 6 the stepper runs the layers on every sixth sample.
        let blob = gru_model(6, false, None);
        let m = Model::from_bytes(blob.as_bytes()).unwrap();
        assert_eq!(m.macs_per_sample(), per_step / 6.0);
        // Window only (global pooling): the GRU runs 24 steps, the Dense layer once.
        let blob = gru_model(1, true, Some(Layer::GlobalAveragePooling1d));
        let m = Model::from_bytes(blob.as_bytes()).unwrap();
        assert!(!m.is_streamable());
        assert_eq!(m.macs_per_sample(), 24.0 * 84.0 + 4.0);
    }

    /// `2^e` for `e` in `-126..=127`, exactly, from its bits.
    fn pow2(e: i32) -> f32 {
        f32::from_bits(((127 + e) as u32) << 23)
    }

    #[test]
    fn the_bit_conversions_equal_the_casts() {
        for e in 0..=15 {
            assert_eq!(pow2(e), f32::from(1u16 << e));
            assert_eq!(pow2(-e), 1.0 / f32::from(1u16 << e));
        }
        let edges = [
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            0.999,
            1.0,
            -1.0,
            1.5,
            -1.5,
            2.0,
            32766.5,
            32767.0,
            32767.5,
            32768.0,
            -32767.0,
            -32768.0,
            -32768.5,
            -32769.0,
            65536.0,
            1e9,
            -1e9,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            1e-40,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        // The exact product in f64 (two 24-bit significands) times 2^16, truncated, saturated.
        let reference = |v: f32, g: f32| {
            let p = f64::from(v) * f64::from(g) * 65536.0;
            if p.is_nan() {
                0
            } else {
                (p.trunc() as i128).clamp(-(1 << 61), 1 << 61) as i64
            }
        };
        let gains = [
            1.0f32,
            4096.0,
            32768.0,
            4096.0 / 0.37,
            4096.0 / 8.3,
            4096.0 / 1013.25,
            1.0 / 3.0,
            1e-30,
            1e30,
            1e-40,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::INFINITY,
        ];
        let check = |v: f32, g: f32| {
            let want = reference(v, g);
            let (vb, gb) = (v.to_bits(), g.to_bits());
            assert_eq!(q16_product(vb, gb), want, "{v:e} {g:e}");
        };
        for g in gains {
            for v in edges.into_iter().chain(edges.map(|x| x / 4096.0)) {
                check(v, g);
                check(g, v);
            }
            // Every 4099th bit pattern: all exponents, signs and many significands.
            for bits in (0..=u32::MAX).step_by(4099) {
                check(f32::from_bits(bits), g);
            }
        }
        // Gains over every exponent and many significands, against a few samples.
        for bits in (0..=u32::MAX).step_by(65537) {
            for v in [1.0f32, -0.37, 3.1e-3, 812.5, -1e6] {
                check(v, f32::from_bits(bits));
            }
        }
    }

    /// The quantized input against `(v - mean) · gain` in `f64`: rounded half up within 2^-15
    /// of a tie (the two Q16 truncations), saturated, the mean itself 0, a NaN 0; on the fast
    /// path and the general one (a gain outside the fast path's exponents).
    #[test]
    fn the_quantized_input_is_the_rounded_normalized_value() {
        let mut x = 0x2545_f491u32;
        let mut next = || crate::fixed::xorshift32(&mut x);
        let channels = [
            (1013.25f32, 8.3f32),
            (21.7, 0.37),
            (0.0, 1.0),
            (-3.5e4, 1e3),
            (2.5e-3, 1e-4),
            (1.5e-30, 2e-33),
        ];
        for (mean, std) in channels {
            for e in [0u8, 8, 12, 15] {
                let g = pow2_over(e, std);
                let o = q16_product(mean.to_bits(), g.to_bits()) - (1 << 15);
                let eg = (g.to_bits() >> 23) & 0xff;
                let fast = if (30..=236).contains(&eg) {
                    284 - eg
                } else {
                    u32::MAX
                };
                let words = [g.to_bits(), fast, o as u32, (o >> 32) as u32];
                let slow = [g.to_bits(), u32::MAX, o as u32, (o >> 32) as u32];
                let quantize = |v: f32, words: &[u32; 4]| {
                    let mut q = [0i16];
                    quantize_input(&[v], words, &mut q);
                    q[0]
                };
                for w in [&words, &slow] {
                    assert_eq!(quantize(mean, w), 0, "{mean} {std} {e}");
                    assert_eq!(quantize(f32::NAN, w), 0);
                }
                for _ in 0..20_000 {
                    // Samples within a few hundred std of the mean, and some far out.
                    let wide = if next() % 8 == 0 { 1e4 } else { 300.0 };
                    let z = (next() as i32 as f32) / 2.0f32.powi(31) * wide;
                    let v = mean + z * std;
                    let exact = (f64::from(v) - f64::from(mean)) * f64::from(g);
                    let clamped = exact.clamp(-32768.0, 32767.0);
                    let near_tie = (exact - exact.floor() - 0.5).abs() <= 1.0 / 32768.0;
                    let got = quantize(v, &words);
                    assert_eq!(got, quantize(v, &slow), "{v} {mean} {std} {e}");
                    let got = f64::from(got);
                    if near_tie && clamped == exact {
                        let err = (got - exact).abs();
                        assert!(err <= 0.5 + 1.0 / 32768.0, "{v} {mean} {std} {e}");
                    } else {
                        let want = (clamped + 0.5).floor().min(32767.0);
                        assert_eq!(got, want, "{v} {mean} {std} {e}: {exact}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_narrow_product_is_the_wide_one() {
        let mut x = 0x1234_5678u32;
        let mut next = || crate::fixed::xorshift32(&mut x) & 0xff_ffff;
        let edges = [0, 1, 0xffff, 0x1_0000, 0x80_0000, 0xff_ffff];
        let pairs = (0..100_000).map(|_| (next(), next()));
        let edge_pairs = edges.iter().flat_map(|&a| edges.map(|b| (a, b)));
        for (a, b) in pairs.chain(edge_pairs) {
            let wide = u64::from(a) * u64::from(b);
            assert_eq!(product_24_narrow(a, b), wide, "{a:#x} {b:#x}");
        }
    }

    #[test]
    fn the_integer_gain_equals_the_float_division() {
        let check = |e: u8, s: f32| {
            let want = f32::from(1u16 << e) / s;
            assert_eq!(pow2_over(e, s).to_bits(), want.to_bits(), "{e} {s:e}");
        };
        let edges = [
            f32::MIN_POSITIVE,
            f32::MAX,
            1.0,
            2.0,
            0.37,
            8.3,
            1013.25,
            3.0,
            1e-34,
            1.5e-38,
            1e37,
            8.5e37,
            1.7e38,
            f32::from_bits(0x7f7f_fffe),
            f32::from_bits(0x0080_0001),
        ];
        for e in 0..=15 {
            for s in edges {
                check(e, s);
            }
            // Every 4099th positive normal: all exponents and many significands.
            for bits in (0x0080_0000..0x7f80_0000u32).step_by(4099) {
                check(e, f32::from_bits(bits));
            }
        }
    }

    /// The de-normalization on the bits against the float unit's `x * s + m`: random finite
    /// operands of every exponent (subnormals, overflow to infinity, underflow), outputs of the
    /// integer path, and sums that cancel exactly or nearly.
    #[test]
    fn the_multiply_add_on_the_bits_is_the_float_one() {
        let mut r = 0x9e37_79b9u32;
        let mut next = || crate::fixed::xorshift32(&mut r);
        let check = |x: f32, s: f32, m: f32| {
            let want = (x * s + m).to_bits();
            let got = mul_add_bits(x.to_bits(), s.to_bits(), m.to_bits());
            assert_eq!(got, want, "{x:e} * {s:e} + {m:e}: {got:#x} {want:#x}");
        };
        let finite = |b: u32| f32::from_bits(b).is_finite();
        let normal_positive = |b: u32| f32::from_bits(b & 0x7fff_ffff).is_normal();
        let mut cases = 0;
        while cases < 400_000 {
            let (x, s, m) = (next(), next() & 0x7fff_ffff, next());
            if !(finite(x) && normal_positive(s) && finite(m)) {
                continue;
            }
            let (x, s, m) = (f32::from_bits(x), f32::from_bits(s), f32::from_bits(m));
            check(x, s, m);
            // The same product against a mean near it: exact and near cancellation, ties.
            let p = x * s;
            if p.is_finite() {
                let d = (next() % 7) as i32 - 3;
                let near = f32::from_bits((-p).to_bits().wrapping_add_signed(d));
                if near.is_finite() {
                    check(x, s, near);
                }
                check(x, s, -p * 0.5);
            }
            cases += 1;
        }
        // The integer path's outputs, typical stds and means.
        for _ in 0..200_000 {
            let x = scaled_f32(next() as i16, (next() % 16) as u8);
            let s = f32::from_bits(0x3c00_0000 + next() % 0x0800_0000);
            let m = f32::from_bits(0x3f00_0000 + next() % 0x0600_0000)
                * if next() % 2 == 0 { 1.0 } else { -1.0 };
            check(x, s, m);
        }
        let edges = [
            0.0f32,
            -0.0,
            f32::MIN_POSITIVE,
            1e-45,
            -1e-45,
            1.0,
            -1.0,
            f32::MAX,
            f32::MIN,
            3e38,
            1e-38,
        ];
        for x in edges {
            for s in [f32::MIN_POSITIVE, 1.0, 0.5, 3.0, f32::MAX, 1e-30] {
                for m in edges {
                    check(x, s, m);
                }
            }
        }
    }

    #[test]
    fn the_output_scaling_equals_the_float_one() {
        for e in 0..=15 {
            for v in i16::MIN..=i16::MAX {
                let float = f32::from(v) * pow2(-i32::from(e));
                assert_eq!(scaled_f32(v, e).to_bits(), float.to_bits(), "{v} {e}");
            }
        }
    }

    /// Every positive normal std for the usual exponents (with the test below: `cargo test
    /// --release -p nowcast-runtime -- --ignored`).
    #[test]
    #[ignore]
    fn the_integer_gain_equals_the_float_division_everywhere() {
        for e in [0u8, 12, 15] {
            for bits in 0x0080_0000..0x7f80_0000u32 {
                let s = f32::from_bits(bits);
                let want = f32::from(1u16 << e) / s;
                assert_eq!(pow2_over(e, s).to_bits(), want.to_bits(), "{e} {bits:#x}");
            }
        }
    }

    /// Every `f32` against typical gains (`cargo test --release -p nowcast-runtime --
    /// --ignored`: about a minute).
    #[test]
    #[ignore]
    fn the_q16_product_equals_the_exact_one_everywhere() {
        for g in [4096.0f32, 4096.0 / 0.37, 32768.0 / 1013.25] {
            for bits in 0..=u32::MAX {
                let p = f64::from(f32::from_bits(bits)) * f64::from(g) * 65536.0;
                let want = if p.is_nan() {
                    0
                } else {
                    (p.trunc() as i128).clamp(-(1 << 61), 1 << 61) as i64
                };
                assert_eq!(q16_product(bits, g.to_bits()), want, "{bits:#x} {g}");
            }
        }
    }
}
