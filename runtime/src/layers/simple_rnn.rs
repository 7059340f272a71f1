//! SimpleRNN: `h = act(x · W + b + h_prev · U)`.
//!
//! Keras layout: `kernel` `(in, units)`, `recurrent_kernel` `(units, units)`, `bias` `(units)`.
//! State: `h` (`units` words), zero at the start of a sequence. Adds no delay.

use serde::{Deserialize, Serialize};

use super::{Recurrent, expect_kernel, expect_len, mul, nonzero};
use crate::activation::Activation;
use crate::error::{Problem, TensorName};
use crate::kernels::{affine, matvec_acc};
use crate::tensor::Tensor;

/// `keras.layers.SimpleRNN` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleRnn<T> {
    /// State width.
    pub units: u32,
    /// Activation of the state (Keras default tanh).
    pub activation: Activation,
    /// Output the state at every step instead of the last one only.
    pub return_sequences: bool,
    /// `(in, units)`.
    pub kernel: T,
    /// `(units, units)`.
    pub recurrent_kernel: T,
    /// `(units)`.
    pub bias: T,
}

impl<T> SimpleRnn<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<SimpleRnn<U>, E> {
        Ok(SimpleRnn {
            units: self.units,
            activation: self.activation,
            return_sequences: self.return_sequences,
            kernel: f(&self.kernel, TensorName::Kernel)?,
            recurrent_kernel: f(&self.recurrent_kernel, TensorName::RecurrentKernel)?,
            bias: f(&self.bias, TensorName::Bias)?,
        })
    }
}

impl Recurrent for SimpleRnn<Tensor<'_>> {
    fn units(&self) -> usize {
        self.units as usize
    }

    fn gates(&self) -> usize {
        1
    }

    fn return_sequences(&self) -> bool {
        self.return_sequences
    }

    fn state_len(&self) -> usize {
        self.units as usize
    }

    fn scratch_len(&self) -> usize {
        self.units as usize
    }

    fn check(&self, input: usize) -> Result<(), Problem> {
        let u = nonzero(self.units)?;
        if !self.activation.is_elementwise() {
            return Err(Problem::UnsupportedActivation);
        }
        expect_kernel(TensorName::Kernel, self.kernel, mul(input, u)?, u)?;
        expect_kernel(
            TensorName::RecurrentKernel,
            self.recurrent_kernel,
            mul(u, u)?,
            u,
        )?;
        expect_len(TensorName::Bias, self.bias, u)
    }

    #[cfg(feature = "float")]
    #[inline]
    fn step(&self, x: &[f32], state: &mut [f32], scratch: &mut [f32]) {
        let u = self.units as usize;
        let (h, s) = (&mut state[..u], &mut scratch[..u]);
        affine(s, self.bias, 0, x, self.kernel);
        matvec_acc(s, h, self.recurrent_kernel, 0);
        self.activation.apply(s);
        h.copy_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_steps_by_hand() {
        let l = SimpleRnn {
            units: 1,
            activation: Activation::Linear,
            return_sequences: false,
            kernel: Tensor::F32(&[2.0]),
            recurrent_kernel: Tensor::F32(&[0.5]),
            bias: Tensor::F32(&[1.0]),
        };
        assert_eq!(l.check(1), Ok(()));
        let (mut h, mut s) = ([0.0], [0.0]);
        l.step(&[1.0], &mut h, &mut s); // 2 + 1 = 3
        l.step(&[1.0], &mut h, &mut s); // 2 + 1 + 1.5
        assert_eq!(h, [4.5]);
    }
}
