//! Building blobs from owned values (feature `alloc`): what the trainer and the tests export.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use heapless::Vec as HVec;

use crate::error::TensorName;
use crate::format::{
    self, DType, ModelRepr, ScalesRef, Standardize, TENSOR_ALIGN, TensorRef, align_up,
};
use crate::layers::{Bidirectional, Cell, Conv1d, Dense, Gru, Layer, Lstm, SimpleRnn};
use crate::model::{Mode, Model};
use crate::tensor::{Tensor, blocked_index};

/// Why a [`ModelSpec`] could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// More than [`MAX_LAYERS`](crate::format::MAX_LAYERS) layers.
    TooManyLayers,
    /// More than [`MAX_CHANNELS`](crate::format::MAX_CHANNELS) features or targets.
    TooManyChannels,
    /// The tensors do not fit the format's 32-bit offsets.
    TooLarge,
    /// postcard failed to encode the metadata.
    Encode,
    /// [`Mode::I8x16`] needs its exponents: use [`ModelSpec::to_bytes_i8x16`].
    NeedsExponents,
}

impl core::fmt::Display for BuildError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for BuildError {}

/// An owned model: what the trainer builds and [`to_bytes`](Self::to_bytes) encodes.
///
/// Encoding does not check shapes: load the bytes with [`Model::from_bytes`] for that (the
/// trainer's export does exactly this before it writes a file).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Free-form name.
    pub name: String,
    /// Input channel names.
    pub features: Vec<String>,
    /// Output names.
    pub targets: Vec<String>,
    /// Nominal sample spacing in milliseconds (0 if unknown).
    pub sample_period_ms: u64,
    /// Rows per training window (0 if none).
    pub lookback: u32,
    /// Forecast horizon in samples.
    pub delay: u32,
    /// Row step inside a window.
    pub step: u32,
    /// Input normalization.
    pub input_norm: Option<Standardize<Vec<f32>>>,
    /// Output de-normalization.
    pub output_norm: Option<Standardize<Vec<f32>>>,
    /// Layers with owned weights.
    pub layers: Vec<Layer<Vec<f32>>>,
    /// A text model's vocabulary: `vocabulary[i]` has token id `i + 2` (see
    /// [`crate::format`]).
    pub vocabulary: Option<Vec<String>>,
}

/// `rows × cols` row-major to `cols × rows` row-major (a length that is not a multiple of
/// `cols` is left as it is: the loader then reports the shape mismatch).
fn transpose(v: &[f32], cols: usize) -> Vec<f32> {
    if cols == 0 || !v.len().is_multiple_of(cols) {
        return v.to_vec();
    }
    let rows = v.len() / cols;
    let mut out = Vec::with_capacity(v.len());
    for c in 0..cols {
        out.extend((0..rows).map(|r| v[r * cols + c]));
    }
    out
}

/// Keras `(in, out)` kernels to the blob's output-major layout (`device = true`) or back.
/// Conv1D kernels `(k, in, filters)` are transposed tap by tap; embeddings, biases and
/// normalization vectors are stored as they are.
fn relayout(layer: &Layer<Vec<f32>>, device: bool) -> Layer<Vec<f32>> {
    // Keras' column count of a kernel with `out` outputs: transposing (in, out) needs `out`,
    // transposing back (out, in) needs `in = len / out`.
    let t = |v: &Vec<f32>, out: usize| {
        if device || out == 0 {
            transpose(v, out)
        } else {
            transpose(v, v.len() / out)
        }
    };
    let cell = |c: &Cell<Vec<f32>>| match c {
        Cell::SimpleRnn(l) => Cell::SimpleRnn(SimpleRnn {
            kernel: t(&l.kernel, l.units as usize),
            recurrent_kernel: t(&l.recurrent_kernel, l.units as usize),
            ..l.clone()
        }),
        Cell::Lstm(l) => Cell::Lstm(Lstm {
            kernel: t(&l.kernel, 4 * l.units as usize),
            recurrent_kernel: t(&l.recurrent_kernel, 4 * l.units as usize),
            ..l.clone()
        }),
        Cell::Gru(l) => Cell::Gru(Gru {
            kernel: t(&l.kernel, 3 * l.units as usize),
            recurrent_kernel: t(&l.recurrent_kernel, 3 * l.units as usize),
            ..l.clone()
        }),
    };
    match layer {
        Layer::Dense(l) => Layer::Dense(Dense {
            kernel: t(&l.kernel, l.units as usize),
            ..l.clone()
        }),
        Layer::SimpleRnn(l) => match cell(&Cell::SimpleRnn(l.clone())) {
            Cell::SimpleRnn(c) => Layer::SimpleRnn(c),
            _ => layer.clone(),
        },
        Layer::Lstm(l) => match cell(&Cell::Lstm(l.clone())) {
            Cell::Lstm(c) => Layer::Lstm(c),
            _ => layer.clone(),
        },
        Layer::Gru(l) => match cell(&Cell::Gru(l.clone())) {
            Cell::Gru(c) => Layer::Gru(c),
            _ => layer.clone(),
        },
        Layer::Conv1d(l) => {
            let taps = l.kernel_size as usize;
            let per_tap = l.kernel.len().checked_div(taps).unwrap_or(0);
            let kernel = if taps == 0 || per_tap * taps != l.kernel.len() {
                l.kernel.clone()
            } else {
                l.kernel
                    .chunks_exact(per_tap)
                    .flat_map(|tap| t(&tap.to_vec(), l.filters as usize))
                    .collect()
            };
            Layer::Conv1d(Conv1d {
                kernel,
                ..l.clone()
            })
        }
        Layer::Bidirectional(b) => Layer::Bidirectional(Bidirectional {
            forward: cell(&b.forward),
            backward: cell(&b.backward),
        }),
        other => other.clone(),
    }
}

/// How a kernel is quantized: `rows` output-major rows, row `r` using scale `r % groups` (one
/// scale per row; per filter for Conv1D, whose rows are `(tap, filter)`). `None` for the tensors
/// that stay `f32` (biases). Only the layer's configuration is read, never its tensors.
fn kernel_rows<T>(layer: &Layer<T>, name: TensorName) -> Option<(usize, usize)> {
    let same = |n: usize| Some((n, n));
    let kernels = matches!(name, TensorName::Kernel | TensorName::RecurrentKernel);
    match layer {
        Layer::Dense(l) if name == TensorName::Kernel => same(l.units as usize),
        Layer::SimpleRnn(l) if kernels => same(l.units as usize),
        Layer::Lstm(l) if kernels => same(4 * l.units as usize),
        Layer::Gru(l) if kernels => same(3 * l.units as usize),
        Layer::Conv1d(l) if name == TensorName::Kernel => Some((
            l.kernel_size as usize * l.filters as usize,
            l.filters as usize,
        )),
        Layer::Embedding(l) if name == TensorName::Embeddings => same(l.input_dim as usize),
        _ => None,
    }
}

/// Maps every tensor of a layer with `f(tensor, name, layer)`, where `layer` is the layer the
/// tensor belongs to (for a Bidirectional layer, the direction as a layer of its own: the two
/// may differ in width).
fn map_with_layer<T: Clone, U, E>(
    layer: &Layer<T>,
    f: &mut impl FnMut(&T, TensorName, &Layer<T>) -> Result<U, E>,
) -> Result<Layer<U>, E> {
    let mut cell = |c: &Cell<T>| {
        let as_layer = c.as_layer();
        c.try_map(&mut |t, name| f(t, name, &as_layer))
    };
    match layer {
        Layer::Bidirectional(b) => Ok(Layer::Bidirectional(Bidirectional {
            forward: cell(&b.forward)?,
            backward: cell(&b.backward)?,
        })),
        _ => layer.try_map(&mut |t, name| f(t, name, layer)),
    }
}

/// `scales[r % groups] = max(scales[r % groups], max |row r| / 127)` over the rows of an
/// output-major kernel of `rows` rows.
fn fold_scales(values: &[f32], rows: usize, scales: &mut [f32]) {
    let cols = values.len().checked_div(rows).unwrap_or(0);
    if cols == 0 || scales.is_empty() {
        return;
    }
    let groups = scales.len();
    for (r, row) in values.chunks_exact(cols).enumerate() {
        let m = row.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
        let s = &mut scales[r % groups];
        *s = s.max(m);
    }
}

/// Symmetric int8 quantization with the given per-group scales (see [`crate::tensor`]):
/// `q = round(w / s)`, half away from zero, within `[-127, 127]`; 0 where `s` is 0.
fn quantize_with(values: &[f32], rows: usize, scales: &[f32]) -> Vec<i8> {
    let cols = values.len().checked_div(rows).unwrap_or(0).max(1);
    let groups = scales.len().max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| match scales.get((i / cols) % groups) {
            Some(&s) if s > 0.0 => libm::roundf(v / s).clamp(-127.0, 127.0) as i8,
            _ => 0,
        })
        .collect()
}

/// A bias as int16 with the smallest power-of-two scale that holds its largest magnitude, or
/// no finer than 2^-`cap` (an `i8x16` layer's biases at the exponent they are added at: finer
/// bits would be rounded away at every step, and at that exponent the row kernels' epilogue
/// adds them as they are).
fn quantize_bias(values: &[f32], cap: Option<u8>) -> (Vec<i16>, u8) {
    let max = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let exp = largest_exp(max, 32767.0).min(cap.unwrap_or(u8::MAX));
    let scale = pow2(exp);
    let q = values
        .iter()
        .map(|&v| libm::roundf(v / scale).clamp(-32767.0, 32767.0) as i16)
        .collect();
    (q, exp)
}

/// The exponent an `i8x16` layer adds its biases at (`layers::int`): Q12 for a recurrent
/// layer's gates and before tanh, sigmoid and hard sigmoid, else the layer's output exponent.
fn bias_exp(layer: &Layer<Vec<f32>>, q: crate::layers::IntLayer) -> u8 {
    use crate::fixed::{GATE_EXP, target_exp};
    match layer {
        Layer::Dense(l) => target_exp(l.activation, q.output_exp),
        Layer::Conv1d(l) => target_exp(l.activation, q.output_exp),
        Layer::SimpleRnn(l) => target_exp(l.activation, q.output_exp),
        Layer::Bidirectional(b) => match &b.forward {
            crate::layers::Cell::SimpleRnn(l) => target_exp(l.activation, q.output_exp),
            _ => GATE_EXP,
        },
        _ => GATE_EXP,
    }
}

/// `2^-exp`.
fn pow2(exp: u8) -> f32 {
    crate::tensor::Scales {
        mantissas: &[],
        exp,
    }
    .unit()
}

/// The largest exponent `e ≤ MAX_SCALE_EXP` with `max · 2^e ≤ limit` (15 for `max = 0`).
fn largest_exp(max: f32, limit: f32) -> u8 {
    if max <= 0.0 {
        return 15;
    }
    let mut e = 0u8;
    while e < format::MAX_SCALE_EXP && max / pow2(e + 1) <= limit {
        e += 1;
    }
    e
}

/// `f32` scales as `u16` mantissas with one exponent (see [`crate::tensor::Scales`]), and the
/// scales they stand for: each within 2^-16 of the largest.
fn encode_scales(scales: &[f32]) -> (Vec<u16>, u8, Vec<f32>) {
    let max = scales.iter().fold(0.0f32, |m, &s| m.max(s));
    let exp = largest_exp(max, 65535.0);
    let unit = pow2(exp);
    let m: Vec<u16> = scales
        .iter()
        .map(|&s| libm::roundf(s / unit).clamp(0.0, 65535.0) as u16)
        .collect();
    let exact = m.iter().map(|&m| f32::from(m) * unit).collect();
    (m, exp, exact)
}

/// The `f32` values an int8 kernel stands for (`q · s`), in the same layout.
fn dequantize(values: &[i8], scales: crate::tensor::Scales<'_>, rows: usize) -> Vec<f32> {
    let cols = values.len().checked_div(rows).unwrap_or(0).max(1);
    let groups = scales.len().max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let g = (i / cols) % groups;
            f32::from(q) * if g < scales.len() { scales.get(g) } else { 0.0 }
        })
        .collect()
}

struct Arena {
    bytes: Vec<u8>,
    /// The scales a recurrent layer's input kernel wrote, for its recurrent kernel.
    shared: Option<ScalesRef>,
    /// Whether Dense and recurrent kernels are written blocked (`i8x16`).
    blocked: bool,
    /// The current layer's bias exponent at most (`i8x16`: see [`bias_exp`]).
    bias_cap: Option<u8>,
}

impl Arena {
    fn start(&mut self, len: usize) -> Result<(u32, u32), BuildError> {
        self.bytes
            .resize(align_up(self.bytes.len(), TENSOR_ALIGN), 0);
        let offset = u32::try_from(self.bytes.len()).map_err(|_| BuildError::TooLarge)?;
        let len = u32::try_from(len).map_err(|_| BuildError::TooLarge)?;
        Ok((offset, len))
    }

    fn push(&mut self, values: &[f32]) -> Result<TensorRef, BuildError> {
        let (offset, len) = self.start(values.len())?;
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        Ok(TensorRef {
            dtype: DType::F32,
            offset,
            len,
            scales: None,
        })
    }

    fn push_scales(&mut self, mantissas: &[u16], exp: u8) -> Result<ScalesRef, BuildError> {
        let (offset, len) = self.start(mantissas.len())?;
        for m in mantissas {
            self.bytes.extend_from_slice(&m.to_le_bytes());
        }
        Ok(ScalesRef { offset, len, exp })
    }

    fn push_i8(&mut self, values: &[i8], scales: ScalesRef) -> Result<TensorRef, BuildError> {
        let (offset, len) = self.start(values.len())?;
        self.bytes.extend(values.iter().map(|&q| q as u8));
        Ok(TensorRef {
            dtype: DType::I8,
            offset,
            len,
            scales: Some(scales),
        })
    }

    /// An int8 kernel of `rows` rows in the blocked layout of the integer row kernels (see
    /// [`crate::tensor`]).
    fn push_blocked(
        &mut self,
        values: &[i8],
        rows: usize,
        scales: ScalesRef,
    ) -> Result<TensorRef, BuildError> {
        let cols = values.len().checked_div(rows).unwrap_or(0);
        let mut blocked = alloc::vec![128u8; rows * cols];
        for (r, row) in values.chunks_exact(cols.max(1)).enumerate().take(rows) {
            for (c, &q) in row.iter().enumerate() {
                blocked[blocked_index(rows, cols, r, c)] = (i16::from(q) + 128) as u8;
            }
        }
        let (offset, len) = self.start(values.len())?;
        self.bytes.extend_from_slice(&blocked);
        Ok(TensorRef {
            dtype: DType::U8Blocked,
            offset,
            len,
            scales: Some(scales),
        })
    }

    fn push_i16(&mut self, values: &[i16], exp: u8) -> Result<TensorRef, BuildError> {
        let (offset, len) = self.start(values.len())?;
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        let scales = self.push_scales(&[1], exp)?;
        Ok(TensorRef {
            dtype: DType::I16,
            offset,
            len,
            scales: Some(scales),
        })
    }

    /// A layer tensor (blob layout) in `mode`: in [`Mode::I8w`] kernels int8 (a recurrent
    /// layer's two kernels sharing the scale of each unit and gate) and biases int16.
    fn tensor(
        &mut self,
        values: &[f32],
        name: TensorName,
        layer: &Layer<Vec<f32>>,
        mode: Mode,
    ) -> Result<TensorRef, BuildError> {
        if mode == Mode::F32 {
            return self.push(values);
        }
        let Some((rows, groups)) = kernel_rows(layer, name) else {
            let (q, exp) = quantize_bias(values, self.bias_cap);
            return self.push_i16(&q, exp);
        };
        let mut scales = alloc::vec![0.0f32; groups];
        let shared = match layer.recurrent_kernels() {
            // Both kernels of a recurrent layer: the scale of a (unit, gate) covers both rows.
            Some((w, u)) => {
                fold_scales(w, rows, &mut scales);
                fold_scales(u, rows, &mut scales);
                true
            }
            None => {
                fold_scales(values, rows, &mut scales);
                false
            }
        };
        let (mantissas, exp, exact) = encode_scales(&scales);
        // The input kernel comes first and writes the shared scales; the recurrent one reuses them.
        let at = match (shared, name, self.shared.take()) {
            (true, TensorName::RecurrentKernel, Some(at)) => at,
            _ => self.push_scales(&mantissas, exp)?,
        };
        if shared && name == TensorName::Kernel {
            self.shared = Some(at);
        }
        let q = quantize_with(values, rows, &exact);
        // Dense and recurrent kernels of i8x16 models in the integer row kernels' layout.
        let row_kernel = matches!(name, TensorName::Kernel | TensorName::RecurrentKernel)
            && !matches!(layer, Layer::Conv1d(_))
            && rows == groups;
        if self.blocked && row_kernel {
            return self.push_blocked(&q, rows, at);
        }
        self.push_i8(&q, at)
    }

    fn norm(
        &mut self,
        n: &Option<Standardize<Vec<f32>>>,
    ) -> Result<Option<Standardize<TensorRef>>, BuildError> {
        n.as_ref()
            .map(|n| {
                Ok(Standardize {
                    mean: self.push(&n.mean)?,
                    std: self.push(&n.std)?,
                })
            })
            .transpose()
    }
}

fn names(v: &[String]) -> Result<HVec<&str, { format::MAX_CHANNELS }>, BuildError> {
    let mut out = HVec::new();
    for s in v {
        out.push(s.as_str())
            .map_err(|_| BuildError::TooManyChannels)?;
    }
    Ok(out)
}

impl ModelSpec {
    /// Encodes the model as a blob (header, metadata, aligned tensor arena, CRC), with `f32`
    /// weights.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        self.to_bytes_as(Mode::F32)
    }

    /// Encodes the model with its weights stored as `mode` says: [`Mode::I8w`] quantizes every
    /// kernel (input, recurrent, Conv1D, embedding table) to int8 with per-row scales, see
    /// [`crate::tensor`].
    pub fn to_bytes_as(&self, mode: Mode) -> Result<Vec<u8>, BuildError> {
        if mode == Mode::I8x16 {
            return Err(BuildError::NeedsExponents);
        }
        self.encode(mode, None)
    }

    /// Encodes the model for the full-integer mode: the tensors as in [`Mode::I8w`], then the
    /// exponents (which the trainer's calibration chooses; the loader checks them).
    pub fn to_bytes_i8x16(&self, exponents: &format::IntModel) -> Result<Vec<u8>, BuildError> {
        self.encode(Mode::I8w, Some(exponents))
    }

    fn encode(&self, mode: Mode, int: Option<&format::IntModel>) -> Result<Vec<u8>, BuildError> {
        let mut arena = Arena {
            bytes: Vec::new(),
            shared: None,
            blocked: int.is_some(),
            bias_cap: None,
        };
        let input_norm = arena.norm(&self.input_norm)?;
        let output_norm = arena.norm(&self.output_norm)?;
        let mut layers = HVec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            arena.bias_cap = int.and_then(|int| Some(bias_exp(layer, *int.layers.get(i)?)));
            let wire = map_with_layer(&relayout(layer, true), &mut |t: &Vec<f32>, name, l| {
                arena.tensor(t, name, l, mode)
            })?;
            layers.push(wire).map_err(|_| BuildError::TooManyLayers)?;
        }
        let repr = ModelRepr {
            name: &self.name,
            features: names(&self.features)?,
            targets: names(&self.targets)?,
            sample_period_ms: self.sample_period_ms,
            lookback: self.lookback,
            delay: self.delay,
            step: self.step,
            input_norm,
            output_norm,
            layers,
        };
        let mut meta = postcard::to_allocvec(&repr).map_err(|_| BuildError::Encode)?;
        let mut flags = 0;
        if let Some(v) = &self.vocabulary {
            let mut lines: Vec<(&str, usize)> = v
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), i + 2))
                .collect();
            lines.sort_unstable();
            let text: Vec<String> = lines
                .iter()
                .map(|(t, id)| alloc::format!("{t}\t{id}"))
                .collect();
            let joined = text.join("\n");
            meta.extend(postcard::to_allocvec(joined.as_str()).map_err(|_| BuildError::Encode)?);
            flags |= format::FLAG_VOCABULARY;
        }
        if let Some(int) = int {
            meta.extend(postcard::to_allocvec(int).map_err(|_| BuildError::Encode)?);
        }
        if meta.len() + arena.bytes.len() + format::ARENA_ALIGN + format::HEADER_LEN
            > u32::MAX as usize
        {
            return Err(BuildError::TooLarge);
        }
        Ok(format::assemble(&meta, &arena.bytes, flags))
    }

    /// An owned copy of a loaded model (the inverse of [`to_bytes`](Self::to_bytes)). int8
    /// kernels come back as the `f32` values they stand for, `q · s`.
    pub fn from_model(model: &Model<'_>) -> Self {
        let owned = |n: &Standardize<&[f32]>| Standardize {
            mean: n.mean.to_vec(),
            std: n.std.to_vec(),
        };
        let to_vec = |t: &Tensor<'_>, name, l: &Layer<Tensor<'_>>| {
            Ok::<_, core::convert::Infallible>(match *t {
                Tensor::F32(v) => v.to_vec(),
                Tensor::I8 { values, scales } => {
                    let rows = kernel_rows(l, name).map_or(scales.len(), |r| r.0);
                    dequantize(values, scales, rows)
                }
                Tensor::U8Blocked { values, scales } => {
                    let rows = scales.len();
                    let cols = values.len().checked_div(rows).unwrap_or(0);
                    let q: Vec<i8> = (0..rows * cols)
                        .map(|i| t.int8_at(i / cols, i % cols, cols).unwrap_or(0))
                        .collect();
                    dequantize(&q, scales, rows)
                }
                Tensor::I16 { values, scale } => values
                    .iter()
                    .map(|&q| f32::from(q) * scale.get(0))
                    .collect(),
            })
        };
        ModelSpec {
            vocabulary: model.vocabulary_tokens(),
            name: model.name().to_string(),
            features: model.features().iter().map(|s| s.to_string()).collect(),
            targets: model.targets().iter().map(|s| s.to_string()).collect(),
            sample_period_ms: model.sample_period_ms(),
            lookback: model.lookback(),
            delay: model.delay(),
            step: model.step(),
            input_norm: model.input_norm().map(owned),
            output_norm: model.output_norm().map(owned),
            layers: model
                .layers()
                .iter()
                .map(|l| match map_with_layer(l, &mut { to_vec }) {
                    Ok(l) => relayout(&l, false),
                    Err(never) => match never {},
                })
                .collect(),
        }
    }
}

/// Largest magnitudes a float model's values reach (normalized units), per place: what the
/// `i8x16` exponents are chosen from. Fill it from [`Probe`](crate::Probe)s of
/// [`Model::window_probed`] over calibration data ([`observe`](Self::observe) keeps the
/// maximum; a caller may put a percentile in instead).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ranges {
    /// The normalized input.
    pub input: f32,
    /// Each layer's output.
    pub outputs: Vec<f32>,
    /// Each LSTM layer's cell state (0 elsewhere).
    pub cells: Vec<f32>,
    /// Each softmax Dense layer's logits (0 elsewhere): the i8x16 output holds logits.
    pub logits: Vec<f32>,
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

impl Ranges {
    /// Zero ranges for a model of `layers` layers.
    pub fn new(layers: usize) -> Self {
        Ranges {
            input: 0.0,
            outputs: alloc::vec![0.0; layers],
            cells: alloc::vec![0.0; layers],
            logits: alloc::vec![0.0; layers],
        }
    }

    /// Widens the ranges by what a probe shows.
    pub fn observe(&mut self, probe: crate::Probe<'_>) {
        match probe {
            crate::Probe::Input { values } => self.input = self.input.max(max_abs(values)),
            crate::Probe::Output { layer, values } => {
                if let Some(o) = self.outputs.get_mut(layer) {
                    *o = o.max(max_abs(values));
                }
            }
            crate::Probe::CellState { layer, values } => {
                if let Some(c) = self.cells.get_mut(layer) {
                    *c = c.max(max_abs(values));
                }
            }
            crate::Probe::Logits { layer, values } => {
                if let Some(l) = self.logits.get_mut(layer) {
                    *l = l.max(max_abs(values));
                }
            }
            crate::Probe::IntOutput { .. } => {}
        }
    }
}

/// The largest exponent `e ≤ 15` with `magnitude · 2^e ≤ 32767`: the finest grid on which the
/// magnitude still fits an `i16` (15 for 0).
pub fn exponent_for(magnitude: f32) -> u8 {
    let mut e = format::MAX_ACT_EXP;
    while e > 0 && magnitude * f32::from(1u16 << e) > 32767.0 {
        e -= 1;
    }
    e
}

/// How much farther than calibration saw an `i8x16` model's input, its last layer's output
/// (the forecast, or the logits; through the pooling, Flatten and Dropout after it, the layer
/// before them) and its LSTM cell states reach before they saturate: they get
/// the grid of twice their calibrated range. Calibration sees the training split only, and a
/// forecaster meets a warmer month or a higher load after it; one bit of the sixteen is the
/// price (a forecast head calibrated to ±3.6σ saturated at 4σ, a summer's temperatures past the
/// spring's training rows). Other layers' outputs keep their calibrated grid: a coarser one
/// before a recurrent layer scales its input part up against its state (a Conv1D's 32 channels
/// into a GRU then leave the `i32` row sums' fast path, twice the instructions per step).
pub const HEADROOM: f32 = 2.0;

/// The `i8x16` exponents of a float model given its ranges: Q15 for tanh/sigmoid outputs, the
/// input's exponent for pooling, Flatten and Dropout, [`exponent_for`] of the range elsewhere,
/// times [`HEADROOM`] for the input, the last layer and cell states.
/// An LSTM inside Bidirectional has no cell probe; its cell state is bounded by the window
/// length (`|c_t| ≤ t`), which is used instead (for a model without a lookback, the whole
/// `i16` range). A softmax Dense layer's integer output holds its logits: their range.
pub fn exponents(model: &Model<'_>, ranges: &Ranges) -> format::IntModel {
    use crate::fixed::is_bounded;
    let room = |r: f32| exponent_for(HEADROOM * r);
    let input_exp = room(ranges.input);
    let mut e_in = input_exp;
    let mut layers = HVec::new();
    // The layers after the one computing the output pass its exponent on.
    let last = model.output_layer();
    for (i, layer) in model.layers().iter().enumerate() {
        let output = ranges.outputs.get(i).copied().unwrap_or(0.0);
        let observed = match Some(i) == last {
            true => room(output),
            false => exponent_for(output),
        };
        let cell = room(ranges.cells.get(i).copied().unwrap_or(0.0));
        let (output_exp, cell_exp) = match layer {
            Layer::Dense(l) if is_bounded(l.activation) => (15, 0),
            // The integer output of a softmax layer is its logits.
            Layer::Dense(l) if l.activation == crate::activation::Activation::Softmax => {
                (room(ranges.logits.get(i).copied().unwrap_or(0.0)), 0)
            }
            Layer::Conv1d(l) if is_bounded(l.activation) => (15, 0),
            Layer::SimpleRnn(l) if is_bounded(l.activation) => (15, 0),
            Layer::Dense(_) | Layer::Conv1d(_) | Layer::SimpleRnn(_) | Layer::Embedding(_) => {
                (observed, 0)
            }
            Layer::Gru(_) => (15, 0),
            Layer::Lstm(_) => (15, cell),
            Layer::Bidirectional(b) => {
                let cells = [&b.forward, &b.backward];
                let lstm = cells.iter().any(|c| matches!(c, Cell::Lstm(_)));
                let bounded = cells.iter().all(|c| match c {
                    Cell::SimpleRnn(l) => is_bounded(l.activation),
                    _ => true,
                });
                // Without a lookback the window length is the caller's: take the whole i16
                // range (exponent 0).
                let window = match model.window_steps() {
                    0 => 32767.0,
                    n => n as f32,
                };
                (
                    if bounded { 15 } else { observed },
                    if lstm { exponent_for(window) } else { 0 },
                )
            }
            _ => (e_in, 0),
        };
        let _ = layers.push(crate::layers::IntLayer {
            output_exp,
            cell_exp,
        });
        e_in = output_exp;
    }
    format::IntModel { input_exp, layers }
}
