//! A loaded tensor: `f32` values, or int8 values with `f32` scales, read in place from the blob.
//!
//! **int8 weights (`i8w`).** A quantized kernel holds `q` in `[-127, 127]` (symmetric: -128 is
//! never written and is rejected at load) and one scale `s ≥ 0` per output row, so that the
//! weight it stands for is `q · s`. Kernels are output-major (see [`crate::kernels`]), so a row
//! is one output unit of one gate; a Conv1D kernel has one scale per filter, shared by its taps,
//! and an embedding table one scale per token. Biases and normalization vectors are always
//! `f32`.

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
}

impl<'a> Tensor<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Tensor::F32(v) => v.len(),
            Tensor::I8 { values, .. } => values.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the values are int8.
    pub fn is_quantized(&self) -> bool {
        matches!(self, Tensor::I8 { .. })
    }

    /// Bytes the tensor takes in the blob (values and scales).
    pub fn bytes(&self) -> usize {
        match self {
            Tensor::F32(v) => 4 * v.len(),
            Tensor::I8 { values, scales } => values.len() + 4 * scales.len(),
        }
    }

    /// The `f32` values; empty for an int8 tensor. Used for the tensors the loader only accepts
    /// as `f32` (biases, normalization), so never empty where it is used.
    pub fn f32s(&self) -> &'a [f32] {
        match self {
            Tensor::F32(v) => v,
            Tensor::I8 { .. } => &[],
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
