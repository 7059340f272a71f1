//! A loaded tensor: `f32` values, or int8 values with `f32` scales, read in place from the blob.
//!
//! **int8 weights (`i8w`).** A quantized kernel holds `q` in `[-127, 127]` (symmetric: -128 is
//! never written and is rejected at load) and one scale `s ≥ 0` per output row, so that the
//! weight it stands for is `q · s`. Kernels are output-major (see [`crate::kernels`]), so a row
//! is one output unit of one gate. A recurrent layer's input and recurrent kernels share the
//! scale of each (unit, gate): the blob stores those scales once. A Conv1D kernel has one scale
//! per filter, shared by its taps, and an embedding table one scale per token.
//!
//! **int16 biases.** A quantized model stores its biases as `i16` with one power-of-two scale
//! per tensor (the smallest that fits the largest bias), `b = q · s`: half the bytes of `f32`, a
//! resolution of 2^-15 of the largest bias. Normalization vectors are always `f32`.

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
        scales: &'a [f32],
    },
    /// int16 values with one scale (biases of quantized models).
    I16 {
        /// The values.
        values: &'a [i16],
        /// The scale, a power of two.
        scale: f32,
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

    /// Bytes of scales stored for this tensor (shared scales are counted by the first tensor
    /// that uses them, see [`Model::summary`](crate::Model::summary)).
    pub(crate) fn scales(&self) -> &'a [f32] {
        match self {
            Tensor::I8 { scales, .. } => scales,
            _ => &[],
        }
    }

    /// `y[k] = self[first + k]` as `f32` (`q · s` for int16): a bias block.
    #[inline]
    pub(crate) fn load(&self, y: &mut [f32], first: usize) {
        match self {
            Tensor::F32(v) => y.copy_from_slice(&v[first..first + y.len()]),
            Tensor::I16 { values, scale } => {
                for (o, &q) in y.iter_mut().zip(&values[first..]) {
                    *o = f32::from(q) * scale;
                }
            }
            Tensor::I8 { .. } => y.fill(0.0),
        }
    }
}

impl<'a> From<&'a [f32]> for Tensor<'a> {
    fn from(v: &'a [f32]) -> Self {
        Tensor::F32(v)
    }
}

impl<'a, const N: usize> From<&'a [f32; N]> for Tensor<'a> {
    fn from(v: &'a [f32; N]) -> Self {
        Tensor::F32(v)
    }
}
