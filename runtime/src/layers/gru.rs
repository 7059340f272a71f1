//! GRU, Keras gate order `z, r, h`, in both of Keras' variants.
//!
//! `reset_after = true` (Keras 2/3 default, cuDNN-compatible), `bias` is `(2, 3u)`: an input
//! bias row `b_x` then a recurrent bias row `b_h`:
//! ```text
//! x_z, x_r, x_h = x · W + b_x        h_z, h_r, h_h = h_prev · U + b_h
//! z = rec_act(x_z + h_z)   r = rec_act(x_r + h_r)   hh = act(x_h + r * h_h)
//! h = z * h_prev + (1 - z) * hh
//! ```
//! `reset_after = false`, `bias` is `(3u)`:
//! ```text
//! x_z, x_r, x_h = x · W + b
//! z = rec_act(x_z + h_prev · U_z)   r = rec_act(x_r + h_prev · U_r)
//! hh = act(x_h + (r * h_prev) · U_h)
//! h = z * h_prev + (1 - z) * hh
//! ```
//! Keras layout: `kernel` `(in, 3u)`, `recurrent_kernel` `(u, 3u)`. State: `h` (u words), zero at
//! the start of a sequence. Adds no delay.

use serde::{Deserialize, Serialize};

use super::{Recurrent, expect_kernel, expect_len, mul, nonzero};
use crate::activation::{Activation, sigmoid, tanh};
use crate::error::{Problem, TensorName};
use crate::kernels::{affine, matvec_acc};
use crate::tensor::Tensor;

/// `keras.layers.GRU` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gru<T> {
    /// State width.
    pub units: u32,
    /// Candidate activation (Keras default tanh).
    pub activation: Activation,
    /// Gate activation (Keras default sigmoid).
    pub recurrent_activation: Activation,
    /// Apply the reset gate after the recurrent matrix product (Keras default true).
    pub reset_after: bool,
    /// Output `h` at every step instead of the last one only.
    pub return_sequences: bool,
    /// `(in, 3 units)`.
    pub kernel: T,
    /// `(units, 3 units)`.
    pub recurrent_kernel: T,
    /// `(2, 3 units)` with `reset_after`, else `(3 units)`.
    pub bias: T,
}

impl<T> Gru<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Gru<U>, E> {
        Ok(Gru {
            units: self.units,
            activation: self.activation,
            recurrent_activation: self.recurrent_activation,
            reset_after: self.reset_after,
            return_sequences: self.return_sequences,
            kernel: f(&self.kernel, TensorName::Kernel)?,
            recurrent_kernel: f(&self.recurrent_kernel, TensorName::RecurrentKernel)?,
            bias: f(&self.bias, TensorName::Bias)?,
        })
    }
}

impl Recurrent for Gru<Tensor<'_>> {
    fn units(&self) -> usize {
        self.units as usize
    }

    fn gates(&self) -> usize {
        3
    }

    fn return_sequences(&self) -> bool {
        self.return_sequences
    }

    fn state_len(&self) -> usize {
        self.units as usize
    }

    fn scratch_len(&self) -> usize {
        // reset_after: x-part and h-part, 3u each; reset_before: x-part 3u and r * h, u.
        (if self.reset_after { 6 } else { 4 }) * self.units as usize
    }

    fn check(&self, input: usize) -> Result<(), Problem> {
        let u = nonzero(self.units)?;
        if !self.activation.is_elementwise() || !self.recurrent_activation.is_elementwise() {
            return Err(Problem::UnsupportedActivation);
        }
        let g = mul(3, u)?;
        expect_kernel(TensorName::Kernel, self.kernel, mul(input, g)?, g)?;
        expect_kernel(
            TensorName::RecurrentKernel,
            self.recurrent_kernel,
            mul(u, g)?,
            g,
        )?;
        expect_len(
            TensorName::Bias,
            self.bias,
            if self.reset_after { 2 * g } else { g },
        )
    }

    #[cfg(feature = "float")]
    #[inline]
    fn step(&self, x: &[f32], state: &mut [f32], scratch: &mut [f32]) {
        let (act, rec) = (self.activation, self.recurrent_activation);
        // Keras' default pair gets its own copy of the step, with both functions inlined.
        if (rec, act) == (Activation::Sigmoid, Activation::Tanh) {
            self.step_with(x, state, scratch, sigmoid, tanh);
        } else {
            self.step_with(x, state, scratch, |v| rec.scalar(v), |v| act.scalar(v));
        }
    }
}

impl Gru<Tensor<'_>> {
    /// One step with the gate activation `rec` and the candidate activation `act`.
    #[cfg(feature = "float")]
    #[inline(always)]
    fn step_with(
        &self,
        x: &[f32],
        state: &mut [f32],
        scratch: &mut [f32],
        rec: impl Fn(f32) -> f32,
        act: impl Fn(f32) -> f32,
    ) {
        let u = self.units as usize;
        let g = 3 * u;
        let h = &mut state[..u];
        if self.reset_after {
            let (xs, hs) = scratch[..2 * g].split_at_mut(g);
            affine(xs, self.bias, 0, x, self.kernel);
            affine(hs, self.bias, g, h, self.recurrent_kernel);
            for j in 0..u {
                let z = rec(xs[j] + hs[j]);
                let r = rec(xs[u + j] + hs[u + j]);
                let hh = act(xs[2 * u + j] + r * hs[2 * u + j]);
                h[j] = z * h[j] + (1.0 - z) * hh;
            }
        } else {
            let (xs, rh) = scratch[..g + u].split_at_mut(g);
            affine(xs, self.bias, 0, x, self.kernel);
            // z and r blocks: x-part + h · U[:, 0..2u], accumulated in place.
            matvec_acc(&mut xs[..2 * u], h, self.recurrent_kernel, 0);
            for j in 0..u {
                let r = rec(xs[u + j]);
                rh[j] = r * h[j];
            }
            matvec_acc(&mut xs[2 * u..], rh, self.recurrent_kernel, 2 * u);
            for j in 0..u {
                let z = rec(xs[j]);
                let hh = act(xs[2 * u + j]);
                h[j] = z * h[j] + (1.0 - z) * hh;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gru(reset_after: bool, bias: &'static [f32]) -> Gru<Tensor<'static>> {
        Gru {
            units: 1,
            activation: Activation::Linear,
            recurrent_activation: Activation::Linear,
            reset_after,
            return_sequences: false,
            kernel: Tensor::F32(&[0.5, 0.25, 2.0]),
            recurrent_kernel: Tensor::F32(&[1.0, 1.0, 3.0]),
            bias: Tensor::F32(bias),
        }
    }

    #[test]
    fn reset_after_by_hand() {
        let l = gru(true, &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(l.check(1), Ok(()));
        let (mut h, mut s) = ([2.0], [0.0; 6]);
        l.step(&[1.0], &mut h, &mut s);
        // z = 0.5 + 2 = 2.5, r = 0.25 + 2 = 2.25, hh = 2 + 2.25 * (6 + 1) = 17.75
        // h = 2.5 * 2 + (1 - 2.5) * 17.75 = -21.625
        assert_eq!(h, [-21.625]);
    }

    #[test]
    fn reset_before_by_hand() {
        let l = gru(false, &[0.0, 0.0, 1.0]);
        assert_eq!(l.check(1), Ok(()));
        let (mut h, mut s) = ([2.0], [0.0; 4]);
        l.step(&[1.0], &mut h, &mut s);
        // z = 2.5, r = 2.25, hh = 2 + 1 + (2.25 * 2) * 3 = 16.5; h = 5 - 1.5 * 16.5 = -19.75
        assert_eq!(h, [-19.75]);
        assert!(gru(false, &[0.0; 6]).check(1).is_err());
    }
}
