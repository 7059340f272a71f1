//! Dense: `y = act(x · W + b)`.
//!
//! Keras layout: `kernel` is `(in, units)` row-major, `bias` is `(units)`. On a sequence it is
//! applied to every step (Keras' behaviour for 3-D inputs). No state; its output lives in its
//! state region. Adds no delay.

use serde::{Deserialize, Serialize};

use super::{Shape, expect_kernel, expect_len, mul, nonzero};
use crate::activation::Activation;
use crate::error::{Problem, TensorName};
use crate::kernels::affine;
use crate::tensor::Tensor;

/// `keras.layers.Dense` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dense<T> {
    /// Output width.
    pub units: u32,
    /// Activation applied to the output vector.
    pub activation: Activation,
    /// `(in, units)`.
    pub kernel: T,
    /// `(units)`.
    pub bias: T,
}

impl<T> Dense<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Dense<U>, E> {
        Ok(Dense {
            units: self.units,
            activation: self.activation,
            kernel: f(&self.kernel, TensorName::Kernel)?,
            bias: f(&self.bias, TensorName::Bias)?,
        })
    }
}

impl Dense<Tensor<'_>> {
    pub(crate) fn check(&self, input: Shape) -> Result<Shape, Problem> {
        crate::activation::check_built(self.activation)?;
        let units = nonzero(self.units)?;
        expect_kernel(
            TensorName::Kernel,
            self.kernel,
            mul(input.width(), units)?,
            units,
        )?;
        expect_len(TensorName::Bias, self.bias, units)?;
        Ok(match input {
            Shape::Sequence { .. } => Shape::Sequence { channels: units },
            Shape::Vector { .. } => Shape::Vector { len: units },
        })
    }

    /// `y = act(b + x · W)`; `y` has `units` values.
    #[inline]
    pub(crate) fn step(&self, x: &[f32], y: &mut [f32]) {
        self.logits(x, y);
        self.activation.apply(y);
    }

    /// `y = b + x · W`, before the activation.
    #[inline]
    pub(crate) fn logits(&self, x: &[f32], y: &mut [f32]) {
        affine(y, self.bias, 0, x, self.kernel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_by_hand() {
        let d = Dense {
            units: 2,
            activation: Activation::Relu,
            // Keras [[1, -1], [2, -2]], stored output-major.
            kernel: Tensor::F32(&[1.0, 2.0, -1.0, -2.0]),
            bias: Tensor::F32(&[0.5, 0.5]),
        };
        assert_eq!(
            d.check(Shape::Vector { len: 2 }),
            Ok(Shape::Vector { len: 2 })
        );
        let mut y = [0.0; 2];
        d.step(&[1.0, 1.0], &mut y);
        // [1 + 2 + 0.5, -1 - 2 + 0.5] -> relu
        assert_eq!(y, [3.5, 0.0]);
        assert!(d.check(Shape::Vector { len: 3 }).is_err());
    }
}
