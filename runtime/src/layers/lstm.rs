//! LSTM, Keras gate order `i, f, c, o`:
//!
//! ```text
//! z = x · W + h_prev · U + b          (4 blocks of `units`)
//! i = rec_act(z_i)   f = rec_act(z_f)   g = act(z_c)   o = rec_act(z_o)
//! c = f * c_prev + i * g
//! h = o * act(c)
//! ```
//! Keras layout: `kernel` `(in, 4u)`, `recurrent_kernel` `(u, 4u)`, `bias` `(4u)`. Defaults:
//! activation tanh, recurrent activation sigmoid. State: `h` then `c` (2u words), zero at the
//! start of a sequence. Adds no delay.

use serde::{Deserialize, Serialize};

use super::{Recurrent, expect_kernel, expect_len, mul, nonzero};
use crate::activation::{Activation, sigmoid, tanh};
use crate::error::{Problem, TensorName};
use crate::kernels::{affine, matvec_acc};
use crate::tensor::Tensor;

/// `keras.layers.LSTM` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lstm<T> {
    /// State width.
    pub units: u32,
    /// Cell input and output activation (Keras default tanh).
    pub activation: Activation,
    /// Gate activation (Keras default sigmoid).
    pub recurrent_activation: Activation,
    /// Output `h` at every step instead of the last one only.
    pub return_sequences: bool,
    /// `(in, 4 units)`.
    pub kernel: T,
    /// `(units, 4 units)`.
    pub recurrent_kernel: T,
    /// `(4 units)`.
    pub bias: T,
}

impl<T> Lstm<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Lstm<U>, E> {
        Ok(Lstm {
            units: self.units,
            activation: self.activation,
            recurrent_activation: self.recurrent_activation,
            return_sequences: self.return_sequences,
            kernel: f(&self.kernel, TensorName::Kernel)?,
            recurrent_kernel: f(&self.recurrent_kernel, TensorName::RecurrentKernel)?,
            bias: f(&self.bias, TensorName::Bias)?,
        })
    }
}

impl Recurrent for Lstm<Tensor<'_>> {
    fn units(&self) -> usize {
        self.units as usize
    }

    fn gates(&self) -> usize {
        4
    }

    fn return_sequences(&self) -> bool {
        self.return_sequences
    }

    fn state_len(&self) -> usize {
        2 * self.units as usize
    }

    fn scratch_len(&self) -> usize {
        4 * self.units as usize
    }

    fn check(&self, input: usize) -> Result<(), Problem> {
        let u = nonzero(self.units)?;
        if !self.activation.is_elementwise() || !self.recurrent_activation.is_elementwise() {
            return Err(Problem::UnsupportedActivation);
        }
        let g = mul(4, u)?;
        expect_kernel(TensorName::Kernel, self.kernel, mul(input, g)?, g)?;
        expect_kernel(
            TensorName::RecurrentKernel,
            self.recurrent_kernel,
            mul(u, g)?,
            g,
        )?;
        expect_len(TensorName::Bias, self.bias, g)
    }

    #[cfg(feature = "float")]
    #[inline]
    fn step(&self, x: &[f32], state: &mut [f32], scratch: &mut [f32]) {
        let u = self.units as usize;
        let z = &mut scratch[..4 * u];
        let (h, c) = state[..2 * u].split_at_mut(u);
        affine(z, self.bias, 0, x, self.kernel);
        matvec_acc(z, h, self.recurrent_kernel, 0);
        let (zi, rest) = z.split_at(u);
        let (zf, rest) = rest.split_at(u);
        let (zc, zo) = rest.split_at(u);
        let (act, rec) = (self.activation, self.recurrent_activation);
        // Keras' default pair gets its own copy of the loop, with both functions inlined.
        if (rec, act) == (Activation::Sigmoid, Activation::Tanh) {
            cell(h, c, zi, zf, zc, zo, sigmoid, tanh);
        } else {
            cell(h, c, zi, zf, zc, zo, |v| rec.scalar(v), |v| act.scalar(v));
        }
    }
}

/// The cell and output update from the gate pre-activations `zi, zf, zc, zo`.
#[cfg(feature = "float")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cell(
    h: &mut [f32],
    c: &mut [f32],
    zi: &[f32],
    zf: &[f32],
    zc: &[f32],
    zo: &[f32],
    rec: impl Fn(f32) -> f32,
    act: impl Fn(f32) -> f32,
) {
    for j in 0..h.len() {
        let i = rec(zi[j]);
        let f = rec(zf[j]);
        let g = act(zc[j]);
        let o = rec(zo[j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * act(c[j]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unit_by_hand() {
        // Linear activations make the arithmetic checkable: z = [1, 2, 3, 4] * x + bias 0.
        let l = Lstm {
            units: 1,
            activation: Activation::Linear,
            recurrent_activation: Activation::Linear,
            return_sequences: false,
            kernel: Tensor::F32(&[1.0, 2.0, 3.0, 4.0]),
            recurrent_kernel: Tensor::F32(&[0.0; 4]),
            bias: Tensor::F32(&[0.0; 4]),
        };
        assert_eq!(l.check(1), Ok(()));
        let (mut state, mut s) = ([0.0; 2], [0.0; 4]);
        l.step(&[1.0], &mut state, &mut s);
        // c = 2*0 + 1*3 = 3; h = 4 * 3 = 12
        assert_eq!(state, [12.0, 3.0]);
        l.step(&[1.0], &mut state, &mut s);
        // c = 2*3 + 3 = 9; h = 36
        assert_eq!(state, [36.0, 9.0]);
    }
}
