//! Conv1D, channels-last: `y[t] = act(b + Σ_j x[t·s + j·d] · W[j])`.
//!
//! Keras layout: `kernel` `(kernel_size, in, filters)`, `bias` `(filters)`; `j` runs over the
//! kernel taps, `d` is the dilation, `s` the strides. The receptive field spans
//! `span = (kernel_size - 1) · d + 1` samples.
//!
//! - `valid`: output `t` reads inputs `t·s .. t·s + span - 1`; `(T - span) / s + 1` outputs.
//! - `causal`: Keras pads `span - 1` zeros on the left first, so output `t` ends at input
//!   `t·s`; `(T - 1) / s + 1` outputs.
//!
//! Streaming: a ring of the last `span` input vectors (zero-filled at the start of a stream:
//! those zeros are the causal padding). A causal layer emits at the 1st sample and then every
//! `s` samples; a valid layer emits first at the `span`-th sample (a warm-up of `span - 1`
//! samples) and then every `s` samples. State: ring (`span · in` words) then output (`filters`).

use serde::{Deserialize, Serialize};

use super::{
    Cursor, MAX_DIM, Shape, add, expect_kernel, expect_len, mul, nonzero, ring_out_steps,
    sequence_channels,
};
use crate::activation::Activation;
use crate::error::{Problem, TensorName};
use crate::kernels::{matvec_acc_f32, matvec_acc_i8};
use crate::tensor::Tensor;

/// Conv1D padding (format tags: Valid 0, Causal 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Padding {
    /// No padding.
    Valid,
    /// Left zero padding of `span - 1`: output `t` depends on inputs up to `t` only.
    Causal,
}

/// `keras.layers.Conv1D` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conv1d<T> {
    /// Output channels.
    pub filters: u32,
    /// Taps.
    pub kernel_size: u32,
    /// Output every `strides`-th position.
    pub strides: u32,
    /// Spacing of the taps.
    pub dilation: u32,
    /// `valid` or `causal`.
    pub padding: Padding,
    /// Activation of the output vector.
    pub activation: Activation,
    /// `(kernel_size, in, filters)`.
    pub kernel: T,
    /// `(filters)`.
    pub bias: T,
}

impl<T> Conv1d<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Conv1d<U>, E> {
        Ok(Conv1d {
            filters: self.filters,
            kernel_size: self.kernel_size,
            strides: self.strides,
            dilation: self.dilation,
            padding: self.padding,
            activation: self.activation,
            kernel: f(&self.kernel, TensorName::Kernel)?,
            bias: f(&self.bias, TensorName::Bias)?,
        })
    }

    /// Receptive field in samples, `(kernel_size - 1) · dilation + 1`.
    pub fn span(&self) -> usize {
        (self.kernel_size as usize - 1) * self.dilation as usize + 1
    }

    /// Zeros of left padding: `span - 1` for causal, 0 for valid.
    pub fn pad(&self) -> usize {
        match self.padding {
            Padding::Valid => 0,
            Padding::Causal => self.span() - 1,
        }
    }

    /// Output steps for `steps` input steps (`None` if there are none).
    pub fn out_steps(&self, steps: usize) -> Option<usize> {
        ring_out_steps(steps, self.pad(), self.span(), self.strides as usize)
    }
}

impl Conv1d<Tensor<'_>> {
    pub(crate) fn check(&self, input: Shape) -> Result<Shape, Problem> {
        crate::activation::check_built(self.activation)?;
        let cin = sequence_channels(input)?;
        let f = nonzero(self.filters)?;
        let k = nonzero(self.kernel_size)?;
        let d = nonzero(self.dilation)?;
        nonzero(self.strides)?;
        let span = add(mul(k - 1, d)?, 1)?;
        if span > MAX_DIM as usize {
            return Err(Problem::TooLarge);
        }
        add(mul(span, cin)?, f)?;
        expect_kernel(TensorName::Kernel, self.kernel, mul(mul(k, cin)?, f)?, f)?;
        expect_len(TensorName::Bias, self.bias, f)?;
        Ok(Shape::Sequence { channels: f })
    }

    /// Feeds one input vector; returns the output vector when one is due.
    #[inline]
    pub(crate) fn push<'s>(
        &self,
        x: &[f32],
        state: &'s mut [f32],
        cursor: &mut Cursor,
    ) -> Option<&'s [f32]> {
        let cin = x.len();
        let span = self.span();
        let (ring, out) = state.split_at_mut(span * cin);
        let slot = cursor.pos as usize * cin;
        ring[slot..slot + cin].copy_from_slice(x);
        if !cursor.advance(span as u32, self.strides) {
            return None;
        }
        let (k, d, f) = (
            self.kernel_size as usize,
            self.dilation as usize,
            self.filters as usize,
        );
        self.bias.load(out, 0);
        let tap = |j: usize| {
            let at = cursor.back(((k - 1 - j) * d) as u32, span as u32) * cin;
            &ring[at..at + cin]
        };
        // An int8 kernel has one scale per filter, the same for every tap.
        match self.kernel {
            Tensor::F32(kernel) => {
                for (j, w) in kernel.chunks_exact(cin * f).enumerate().take(k) {
                    matvec_acc_f32(out, tap(j), w, 0);
                }
            }
            Tensor::I8 { values, scales } => {
                for (j, w) in values.chunks_exact(cin * f).enumerate().take(k) {
                    matvec_acc_i8(out, tap(j), w, scales, 0);
                }
            }
            // Rejected for Conv1D kernels at load time.
            Tensor::I16 { .. } | Tensor::U8Blocked { .. } => {}
        }
        self.activation.apply(out);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(padding: Padding, dilation: u32) -> Conv1d<Tensor<'static>> {
        // One channel in and out, taps [1, 10]: y[t] = x[t - d] + 10 x[t].
        Conv1d {
            filters: 1,
            kernel_size: 2,
            strides: 1,
            dilation,
            padding,
            activation: Activation::Linear,
            kernel: Tensor::F32(&[1.0, 10.0]),
            bias: Tensor::F32(&[0.0]),
        }
    }

    fn run(l: &Conv1d<Tensor<'_>>, xs: &[f32]) -> heapless::Vec<f32, 8> {
        let mut state = [0.0; 8];
        let mut cursor = Cursor {
            pos: 0,
            seen: l.pad() as u32,
        };
        let n = l.span() + 1;
        xs.iter()
            .filter_map(|&x| l.push(&[x], &mut state[..n], &mut cursor).map(|o| o[0]))
            .collect()
    }

    #[test]
    fn causal_dilated_by_hand() {
        let l = conv(Padding::Causal, 2);
        assert_eq!(
            l.check(Shape::Sequence { channels: 1 }),
            Ok(Shape::Sequence { channels: 1 })
        );
        // y = [10, 20, 31, 42]
        assert_eq!(
            &run(&l, &[1.0, 2.0, 3.0, 4.0])[..],
            &[10.0, 20.0, 31.0, 42.0]
        );
        assert_eq!(l.out_steps(4), Some(4));
    }

    #[test]
    fn valid_warms_up() {
        let l = conv(Padding::Valid, 1);
        assert_eq!(&run(&l, &[1.0, 2.0, 3.0])[..], &[21.0, 32.0]);
        assert_eq!(l.out_steps(3), Some(2));
        assert_eq!(l.out_steps(1), None);
    }
}
