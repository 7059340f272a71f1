//! A loaded tensor: `f32` values, or integers with their scales, read in place from the blob.
//!
//! **int8 weights (`i8w`).** A quantized kernel holds `q` in `[-127, 127]` (symmetric: -128 is
//! never written and is rejected at load) and one scale `s ≥ 0` per output row, so that the
//! weight it stands for is `q · s`. Kernels are output-major (see [`crate::layers`]), so a row
//! is one output unit of one gate. A recurrent layer's input and recurrent kernels share the
//! scale of each (unit, gate): the blob stores those scales once. A Conv1D kernel has one scale
//! per filter, shared by its taps, and an embedding table one scale per token.
//!
//! **Scales** are stored as `u16` mantissas with one exponent per tensor, `s = m · 2^-exp`
//! (see [`Scales`]): 16 significant bits, half the bytes of an `f32`, exact as an `f32`, and an
//! integer multiplier for the full-integer mode, so both modes compute with the same scales.
//!
//! **int16 biases.** A quantized model stores its biases as `i16` with one scale per tensor,
//! a power of two (the smallest that holds the largest bias), `b = q · s`: half the bytes of
//! `f32`, a resolution of 2^-15 of the largest bias. Normalization vectors are always `f32`.

/// Per-row scales: `scale(j) = mantissas[j] · 2^-exp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scales<'a> {
    /// The mantissas, little-endian in the blob.
    pub mantissas: &'a [u16],
    /// The common exponent (at most [`MAX_SCALE_EXP`](crate::format::MAX_SCALE_EXP)).
    pub exp: u8,
}

impl Scales<'_> {
    /// `2^-exp`, exactly.
    #[inline]
    pub fn unit(&self) -> f32 {
        f32::from_bits((127 - u32::from(self.exp.min(126))) << 23)
    }

    /// Scale `j` as an `f32` (exact).
    #[inline]
    pub fn get(&self, j: usize) -> f32 {
        f32::from(self.mantissas[j]) * self.unit()
    }

    /// Number of scales.
    pub fn len(&self) -> usize {
        self.mantissas.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.mantissas.is_empty()
    }
}

/// A tensor of a loaded model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tensor<'a> {
    /// `f32` values.
    F32(&'a [f32]),
    /// int8 values and their per-row scales.
    I8 {
        /// The values, output-major.
        values: &'a [i8],
        /// One scale per row (per filter for Conv1D).
        scales: Scales<'a>,
    },
    /// int16 values with one scale (biases of quantized models).
    I16 {
        /// The values.
        values: &'a [i16],
        /// One scale.
        scale: Scales<'a>,
    },
}

impl<'a> Tensor<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Tensor::F32(v) => v.len(),
            Tensor::I8 { values, .. } => values.len(),
            Tensor::I16 { values, .. } => values.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the values are integers.
    pub fn is_quantized(&self) -> bool {
        !matches!(self, Tensor::F32(_))
    }

    /// Bytes of the values in the blob (not counting scales, which tensors may share).
    pub fn value_bytes(&self) -> usize {
        match self {
            Tensor::F32(v) => 4 * v.len(),
            Tensor::I8 { values, .. } => values.len(),
            Tensor::I16 { values, .. } => 2 * values.len(),
        }
    }

    /// The scale mantissas stored for this tensor (shared scales are counted once, see
    /// [`Model::summary`](crate::Model::summary)).
    pub(crate) fn scale_mantissas(&self) -> &'a [u16] {
        match self {
            Tensor::I8 { scales, .. } => scales.mantissas,
            Tensor::I16 { scale, .. } => scale.mantissas,
            Tensor::F32(_) => &[],
        }
    }

    /// `y[k] = self[first + k]` as `f32` (`q · s` for int16): a bias block.
    #[inline]
    pub(crate) fn load(&self, y: &mut [f32], first: usize) {
        match self {
            Tensor::F32(v) => y.copy_from_slice(&v[first..first + y.len()]),
            Tensor::I16 { values, scale } => {
                let s = scale.get(0);
                for (o, &q) in y.iter_mut().zip(&values[first..]) {
                    *o = f32::from(q) * s;
                }
            }
            Tensor::I8 { .. } => y.fill(0.0),
        }
    }
}
