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
use crate::tensor::Tensor;

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

/// A Bidirectional direction as the layer it is.
fn cell_layer<T: Clone>(c: &Cell<T>) -> Layer<T> {
    match c {
        Cell::SimpleRnn(l) => Layer::SimpleRnn(l.clone()),
        Cell::Lstm(l) => Layer::Lstm(l.clone()),
        Cell::Gru(l) => Layer::Gru(l.clone()),
    }
}

/// Maps every tensor of a layer with `f(tensor, kernel_rows)`, looking into both directions of
/// a Bidirectional layer separately (they may differ in width).
fn map_with_rows<T: Clone, U, E>(
    layer: &Layer<T>,
    f: &mut impl FnMut(&T, Option<(usize, usize)>) -> Result<U, E>,
) -> Result<Layer<U>, E> {
    let mut cell = |c: &Cell<T>| {
        let as_layer = cell_layer(c);
        c.try_map(&mut |t, name| f(t, kernel_rows(&as_layer, name)))
    };
    match layer {
        Layer::Bidirectional(b) => Ok(Layer::Bidirectional(Bidirectional {
            forward: cell(&b.forward)?,
            backward: cell(&b.backward)?,
        })),
        _ => layer.try_map(&mut |t, name| f(t, kernel_rows(layer, name))),
    }
}

/// Symmetric per-row int8 quantization of an output-major kernel (see [`crate::tensor`]): the
/// scale of a group of rows is its largest magnitude over 127 (0 for an all-zero group), and
/// `q = round(w / s)`, half away from zero, within `[-127, 127]`.
pub(crate) fn quantize_rows(values: &[f32], rows: usize, groups: usize) -> (Vec<i8>, Vec<f32>) {
    let cols = values.len().checked_div(rows).unwrap_or(0);
    let mut max = alloc::vec![0.0f32; groups];
    if cols > 0 && groups > 0 {
        for (r, row) in values.chunks_exact(cols).enumerate() {
            let m = &mut max[r % groups];
            *m = row.iter().fold(*m, |m, v| m.max(v.abs()));
        }
    }
    let scales: Vec<f32> = max.iter().map(|&m| m / 127.0).collect();
    let q = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = scales[(i / cols.max(1)) % groups.max(1)];
            if s > 0.0 {
                libm::roundf(v / s).clamp(-127.0, 127.0) as i8
            } else {
                0
            }
        })
        .collect();
    (q, scales)
}

/// The `f32` values an int8 kernel stands for (`q · s`), in the same layout.
fn dequantize(values: &[i8], scales: &[f32], rows: usize) -> Vec<f32> {
    let cols = values.len().checked_div(rows).unwrap_or(0).max(1);
    let groups = scales.len().max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, &q)| f32::from(q) * scales.get((i / cols) % groups).copied().unwrap_or(0.0))
        .collect()
}

struct Arena(Vec<u8>);

impl Arena {
    fn start(&mut self, len: usize) -> Result<(u32, u32), BuildError> {
        self.0.resize(align_up(self.0.len(), TENSOR_ALIGN), 0);
        let offset = u32::try_from(self.0.len()).map_err(|_| BuildError::TooLarge)?;
        let len = u32::try_from(len).map_err(|_| BuildError::TooLarge)?;
        Ok((offset, len))
    }

    fn push(&mut self, values: &[f32]) -> Result<TensorRef, BuildError> {
        let (offset, len) = self.start(values.len())?;
        for v in values {
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        Ok(TensorRef {
            dtype: DType::F32,
            offset,
            len,
            scales: None,
        })
    }

    fn push_i8(&mut self, values: &[i8], scales: &[f32]) -> Result<TensorRef, BuildError> {
        let (offset, len) = self.start(values.len())?;
        self.0.extend(values.iter().map(|&q| q as u8));
        let s = self.push(scales)?;
        Ok(TensorRef {
            dtype: DType::I8,
            offset,
            len,
            scales: Some(ScalesRef {
                offset: s.offset,
                len: s.len,
            }),
        })
    }

    /// A layer tensor: kernels int8 in [`Mode::I8w`], everything else `f32`.
    fn tensor(
        &mut self,
        values: &[f32],
        rows: Option<(usize, usize)>,
        mode: Mode,
    ) -> Result<TensorRef, BuildError> {
        match (mode, rows) {
            (Mode::I8w, Some((rows, groups))) => {
                let (q, s) = quantize_rows(values, rows, groups);
                self.push_i8(&q, &s)
            }
            _ => self.push(values),
        }
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
        let mut arena = Arena(Vec::new());
        let input_norm = arena.norm(&self.input_norm)?;
        let output_norm = arena.norm(&self.output_norm)?;
        let mut layers = HVec::new();
        for layer in &self.layers {
            let wire = map_with_rows(&relayout(layer, true), &mut |t: &Vec<f32>, rows| {
                arena.tensor(t, rows, mode)
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
        let meta = postcard::to_allocvec(&repr).map_err(|_| BuildError::Encode)?;
        if meta.len() + arena.0.len() + format::ARENA_ALIGN + format::HEADER_LEN > u32::MAX as usize
        {
            return Err(BuildError::TooLarge);
        }
        Ok(format::assemble(&meta, &arena.0))
    }

    /// An owned copy of a loaded model (the inverse of [`to_bytes`](Self::to_bytes)). int8
    /// kernels come back as the `f32` values they stand for, `q · s`.
    pub fn from_model(model: &Model<'_>) -> Self {
        let owned = |n: &Standardize<&[f32]>| Standardize {
            mean: n.mean.to_vec(),
            std: n.std.to_vec(),
        };
        let to_vec = |t: &Tensor<'_>, rows: Option<(usize, usize)>| {
            Ok::<_, core::convert::Infallible>(match *t {
                Tensor::F32(v) => v.to_vec(),
                Tensor::I8 { values, scales } => {
                    dequantize(values, scales, rows.map_or(scales.len(), |r| r.0))
                }
            })
        };
        ModelSpec {
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
                .map(|l| match map_with_rows(l, &mut { to_vec }) {
                    Ok(l) => relayout(&l, false),
                    Err(never) => match never {},
                })
                .collect(),
        }
    }
}
