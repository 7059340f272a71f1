//! MaxPooling1D / AveragePooling1D with `valid` padding.
//!
//! Output `t` pools inputs `t·s .. t·s + pool_size - 1` per channel (max, or the sum in time
//! order divided by `pool_size`): `(T - pool_size) / s + 1` outputs. Keras' default strides
//! equal `pool_size`. Streaming: a ring of the last `pool_size` inputs; the first output comes at
//! the `pool_size`-th sample, then one every `s` samples (with `s = pool_size`, the decimation
//! by `pool_size` that downstream layers see). State: ring (`pool_size · in`) then output (`in`).

use serde::{Deserialize, Serialize};

use super::{Cursor, Shape, mul, nonzero, ring_out_steps, sequence_channels};
use crate::error::Problem;

/// Pooling parameters (no weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pooling {
    /// Window length.
    pub pool_size: u32,
    /// Output every `strides`-th position.
    pub strides: u32,
}

impl Pooling {
    /// Output steps for `steps` input steps (`None` if there are none).
    pub fn out_steps(&self, steps: usize) -> Option<usize> {
        ring_out_steps(steps, 0, self.pool_size as usize, self.strides as usize)
    }

    pub(crate) fn check(&self, input: Shape) -> Result<Shape, Problem> {
        let c = sequence_channels(input)?;
        let p = nonzero(self.pool_size)?;
        nonzero(self.strides)?;
        mul(p + 1, c)?; // p <= MAX_DIM: no overflow
        Ok(Shape::Sequence { channels: c })
    }

    /// Feeds one input vector; returns the pooled vector when one is due.
    #[inline]
    pub(crate) fn push<'s>(
        &self,
        x: &[f32],
        state: &'s mut [f32],
        cursor: &mut Cursor,
        average: bool,
    ) -> Option<&'s [f32]> {
        let c = x.len();
        let p = self.pool_size;
        let (ring, out) = state.split_at_mut(p as usize * c);
        let slot = cursor.pos as usize * c;
        ring[slot..slot + c].copy_from_slice(x);
        if !cursor.advance(p, self.strides) {
            return None;
        }
        let oldest = cursor.back(p - 1, p) * c;
        out.copy_from_slice(&ring[oldest..oldest + c]);
        for back in (0..p - 1).rev() {
            let at = cursor.back(back, p) * c;
            for (o, &v) in out.iter_mut().zip(&ring[at..at + c]) {
                *o = if average { *o + v } else { o.max(v) };
            }
        }
        if average {
            let n = p as f32;
            out.iter_mut().for_each(|o| *o /= n);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: Pooling, average: bool, xs: &[f32]) -> heapless::Vec<f32, 8> {
        let mut state = [0.0; 8];
        let mut cursor = Cursor::default();
        let n = p.pool_size as usize + 1;
        xs.iter()
            .filter_map(|&x| {
                p.push(&[x], &mut state[..n], &mut cursor, average)
                    .map(|o| o[0])
            })
            .collect()
    }

    #[test]
    fn max_and_average_by_hand() {
        let xs = [1.0, 5.0, 2.0, 4.0, 3.0, 0.0, 7.0];
        let p = Pooling {
            pool_size: 3,
            strides: 2,
        };
        assert_eq!(&run(p, false, &xs)[..], &[5.0, 4.0, 7.0]);
        assert_eq!(&run(p, true, &xs)[..], &[8.0 / 3.0, 3.0, 10.0 / 3.0]);
        assert_eq!(p.out_steps(7), Some(3));
        assert_eq!(
            p.check(Shape::Vector { len: 1 }),
            Err(Problem::ExpectedSequence)
        );
    }
}
