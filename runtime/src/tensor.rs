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
//!
//! **Blocked int8 kernels (`i8x16`).** The full-integer mode's Dense and recurrent kernels
//! ([`Tensor::U8Blocked`]) store each `q` as the byte `q + 128` (1 to 255), in the order the
//! row kernels read them: rows `8b..8b + 8` of a kernel of `rows` x `cols` form block `b` (`8 ·
//! cols` bytes), and the last `rows % 8` rows follow the blocks, one after the other (`cols`
//! bytes each). A block holds its columns in pairs: pair `p` is 16 bytes, four words, word `r`
//! holding rows `2r` and `2r + 1` of columns `2p` and `2p + 1` as `[q(2r, 2p), q(2r+1, 2p),
//! q(2r, 2p+1), q(2r+1, 2p+1)]`; an odd last column follows as 8 bytes, rows in order
//! ([`blocked_index`]). So a pass over four columns reads 32 consecutive bytes at fixed offsets
//! (the Cortex-M0's byte loads take 5-bit offsets), and a word holds two columns of one row in
//! its even and its odd bytes (what a DSP core's two-way multiply-add takes). Every kernel is
//! `rows · cols` bytes. With `u = q + 128`, `Σ x·q = Σ x·u - 128 · Σ x`.

/// Rows per block of a [`Tensor::U8Blocked`] kernel.
pub const BLOCK_ROWS: usize = 8;

/// Where weight `(row, col)` of a blocked kernel of `rows` x `cols` is stored (for `row <
/// rows`, `col < cols`; see the module docs).
#[inline]
pub const fn blocked_index(rows: usize, cols: usize, row: usize, col: usize) -> usize {
    // (A row after the blocks is where a row-major kernel has it.)
    if row >= rows / BLOCK_ROWS * BLOCK_ROWS {
        return row * cols + col;
    }
    let k = row % BLOCK_ROWS;
    let block = (row - k) * cols;
    if col < cols / 2 * 2 {
        block + 16 * (col / 2) + 4 * (k / 2) + 2 * (col % 2) + k % 2
    } else {
        block + 8 * col + k
    }
}

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
    /// int8 kernel values as bytes `q + 128` in blocks of [`BLOCK_ROWS`] rows (the module
    /// docs), one scale per row: the Dense and recurrent kernels of `i8x16` models.
    U8Blocked {
        /// The stored bytes, `rows · cols` of them.
        values: &'a [u8],
        /// One scale per row (so `scales.len()` rows).
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
            Tensor::U8Blocked { values, .. } => values.len(),
            Tensor::I16 { values, .. } => values.len(),
        }
    }

    /// Weight `(row, col)` of an int8 kernel of `cols` columns (plain or blocked), `None` for
    /// other tensors or outside the kernel.
    pub fn int8_at(&self, row: usize, col: usize, cols: usize) -> Option<i8> {
        match *self {
            Tensor::I8 { values, .. } if col < cols => values
                .get(row.checked_mul(cols)?.checked_add(col)?)
                .copied(),
            // (With `rows · cols` bytes every index below is below that.)
            Tensor::U8Blocked { values, scales }
                if col < cols
                    && row < scales.len()
                    && scales.len().checked_mul(cols) == Some(values.len()) =>
            {
                values
                    .get(blocked_index(scales.len(), cols, row, col))
                    .map(|&u| (i16::from(u) - 128) as i8)
            }
            _ => None,
        }
    }

    /// The per-row scales of an int8 kernel (plain or blocked).
    pub(crate) fn int8_scales(&self) -> Option<Scales<'a>> {
        match *self {
            Tensor::I8 { scales, .. } | Tensor::U8Blocked { scales, .. } => Some(scales),
            _ => None,
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
            Tensor::U8Blocked { values, .. } => values.len(),
            Tensor::I16 { values, .. } => 2 * values.len(),
        }
    }

    /// The scale mantissas stored for this tensor (shared scales are counted once, see
    /// [`Model::summary`](crate::Model::summary)).
    pub(crate) fn scale_mantissas(&self) -> &'a [u16] {
        match self {
            Tensor::I8 { scales, .. } | Tensor::U8Blocked { scales, .. } => scales.mantissas,
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
            Tensor::I8 { .. } | Tensor::U8Blocked { .. } => y.fill(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// Every weight has its own byte, and every byte of the kernel is a weight's.
    #[test]
    fn the_blocked_layout_is_one_to_one() {
        for rows in 0..30 {
            for cols in 1..12 {
                let mut seen = std::vec![false; rows * cols];
                for row in 0..rows {
                    for col in 0..cols {
                        let i = blocked_index(rows, cols, row, col);
                        assert!(
                            i < rows * cols && !seen[i],
                            "{rows} x {cols}: ({row}, {col})"
                        );
                        seen[i] = true;
                    }
                }
            }
        }
        // A pass of four columns of a block is 32 consecutive bytes; an odd last column 8.
        assert_eq!(blocked_index(16, 6, 8, 0), 8 * 6);
        assert_eq!(blocked_index(16, 6, 15, 3), 8 * 6 + 31);
        assert_eq!(blocked_index(16, 5, 8, 4), 8 * 5 + 32);
        assert_eq!(blocked_index(16, 5, 15, 4), 8 * 5 + 39);
    }

    /// A weight outside the kernel, however far, is `None` (no overflow on the way).
    #[test]
    fn weights_outside_a_kernel_are_none() {
        let scales = Scales {
            mantissas: &[1, 1],
            exp: 0,
        };
        let plain = Tensor::I8 {
            values: &[1, 2, 3, 4, 5, 6],
            scales,
        };
        assert_eq!(plain.int8_at(1, 2, 3), Some(6));
        assert_eq!(plain.int8_at(2, 0, 3), None);
        assert_eq!(plain.int8_at(usize::MAX, 0, 3), None);
        assert_eq!(plain.int8_at(1, usize::MAX - 1, usize::MAX), None);
        let blocked = Tensor::U8Blocked {
            values: &[129, 130, 131, 132, 133, 134],
            scales,
        };
        assert_eq!(blocked.int8_at(1, 2, 3), Some(6));
        assert_eq!(blocked.int8_at(0, 0, usize::MAX), None);
        assert_eq!(blocked.int8_at(usize::MAX, 0, 3), None);
    }
}
