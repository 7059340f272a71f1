//! Embedding: token id `k` to row `k` of the table.
//!
//! Keras layout: `embeddings` `(input_dim, output_dim)`. Only as the first layer: the model then
//! takes one token id per step (checked `< input_dim` at the model's boundary, so the lookup
//! here always finds its row). Output lives in the state region. Adds no delay.

use serde::{Deserialize, Serialize};

use super::{Shape, expect_kernel, mul, nonzero, sequence_channels};
use crate::error::{Problem, TensorName};
use crate::tensor::Tensor;

/// `keras.layers.Embedding` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embedding<T> {
    /// Vocabulary size.
    pub input_dim: u32,
    /// Vector width.
    pub output_dim: u32,
    /// `(input_dim, output_dim)`.
    pub embeddings: T,
}

impl<T> Embedding<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Embedding<U>, E> {
        Ok(Embedding {
            input_dim: self.input_dim,
            output_dim: self.output_dim,
            embeddings: f(&self.embeddings, TensorName::Embeddings)?,
        })
    }
}

impl Embedding<Tensor<'_>> {
    pub(crate) fn check(&self, input: Shape) -> Result<Shape, Problem> {
        if sequence_channels(input)? != 1 {
            return Err(Problem::InputMismatch {
                expected: input.width() as u32,
                found: 1,
            });
        }
        let (n, d) = (nonzero(self.input_dim)?, nonzero(self.output_dim)?);
        expect_kernel(TensorName::Embeddings, self.embeddings, mul(n, d)?, n)?;
        Ok(Shape::Sequence { channels: d })
    }

    /// `y = embeddings[x[0]]`, where `x[0]` holds a token id checked against `input_dim`.
    #[inline]
    pub(crate) fn step(&self, x: &[f32], y: &mut [f32]) {
        let id = x.first().map_or(0, |&v| v as usize);
        let d = y.len();
        match self.embeddings {
            Tensor::F32(t) => match t.chunks_exact(d).nth(id) {
                Some(row) => y.copy_from_slice(row),
                None => y.fill(0.0),
            },
            Tensor::I8 { values, scales } => match (
                values.chunks_exact(d).nth(id),
                (id < scales.len()).then(|| scales.get(id)),
            ) {
                (Some(row), Some(s)) => {
                    for (v, &q) in y.iter_mut().zip(row) {
                        *v = f32::from(q) * s;
                    }
                }
                _ => y.fill(0.0),
            },
            // Rejected for embeddings at load time.
            Tensor::I16 { .. } | Tensor::U8Blocked { .. } => y.fill(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_hand() {
        let e = Embedding {
            input_dim: 3,
            output_dim: 2,
            embeddings: Tensor::F32(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        };
        assert_eq!(
            e.check(Shape::Sequence { channels: 1 }),
            Ok(Shape::Sequence { channels: 2 })
        );
        let mut y = [0.0; 2];
        e.step(&[2.0], &mut y);
        assert_eq!(y, [4.0, 5.0]);
    }
}
