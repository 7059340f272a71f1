//! Activation functions, with Keras' definitions.
//!
//! | activation | definition |
//! |---|---|
//! | `Linear` | `x` |
//! | `Relu` | `max(x, 0)` |
//! | `Tanh` | `tanh(x)` |
//! | `Sigmoid` | `1 / (1 + exp(-x))` |
//! | `Softmax` | `exp(x_i - max x) / Σ exp(x_j - max x)` over the whole vector (Dense, Conv1D only) |
//! | `HardSigmoid` | `clamp(x / 6 + 1/2, 0, 1)` (Keras 3's `relu6(x + 3) / 6`) |
//!
//! `exp` and `tanh` come from the pure-Rust `libm` crate (never the platform's libm), so results
//! are the same bits on every target. With the `fast-math` feature they come from `micromath`
//! (exp within about 0.05% relative error): faster on FPU-less cores, also deterministic everywhere, but no
//! longer within Keras-parity tolerances.

use serde::{Deserialize, Serialize};

/// An activation function (format tags: Linear 0, Relu 1, Tanh 2, Sigmoid 3, Softmax 4,
/// HardSigmoid 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activation {
    /// Identity.
    Linear,
    /// Rectified linear unit.
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// Softmax over the layer's output vector.
    Softmax,
    /// Keras 3 hard sigmoid.
    HardSigmoid,
}

impl Activation {
    /// Whether the activation acts on each element alone (all but softmax).
    pub const fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// Applies the activation to one value (softmax is treated as linear here: use
    /// [`apply`](Self::apply) for vectors).
    #[inline]
    pub fn scalar(self, x: f32) -> f32 {
        match self {
            Activation::Linear | Activation::Softmax => x,
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::HardSigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
        }
    }

    /// Applies the activation in place to a layer's output vector.
    pub fn apply(self, v: &mut [f32]) {
        match self {
            Activation::Linear => {}
            Activation::Softmax => softmax(v),
            _ => v.iter_mut().for_each(|x| *x = self.scalar(*x)),
        }
    }
}

/// `1 / (1 + exp(-x))`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Hyperbolic tangent.
#[inline]
pub fn tanh(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        libm::tanhf(x)
    }
    #[cfg(feature = "fast-math")]
    {
        // tanh(x) = 1 - 2 / (exp(2x) + 1); exact limits ±1 for large |x|.
        1.0 - 2.0 / (exp(2.0 * x) + 1.0)
    }
}

/// Natural exponential.
#[inline]
pub fn exp(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        libm::expf(x)
    }
    #[cfg(feature = "fast-math")]
    {
        if x > 88.0 {
            f32::INFINITY
        } else if x < -87.0 {
            0.0
        } else {
            micromath::F32Ext::exp(x)
        }
    }
}

/// Softmax in place, with Keras' max subtraction for range safety.
fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = exp(*x - max);
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: f32 = 1e-6;
    /// How far `tanh`/`sigmoid` may be from the true value: libm is within an ulp or two;
    /// `fast-math` (micromath's exp, about 0.04% relative error) within 1e-3.
    const TRANSCENDENTAL: f32 = if cfg!(feature = "fast-math") {
        1e-3
    } else {
        1e-6
    };

    #[test]
    fn hand_checked_values() {
        assert_eq!(Activation::Relu.scalar(-2.0), 0.0);
        assert_eq!(Activation::Relu.scalar(1.5), 1.5);
        assert!((Activation::Sigmoid.scalar(0.0) - 0.5).abs() < TRANSCENDENTAL);
        assert!((Activation::Sigmoid.scalar(1.5) - 0.817_574_5).abs() < TRANSCENDENTAL);
        assert!((Activation::Tanh.scalar(2.0) - 0.964_027_6).abs() < TRANSCENDENTAL);
        assert!((Activation::Tanh.scalar(-0.3) + 0.291_312_6).abs() < TRANSCENDENTAL);
        assert_eq!(Activation::HardSigmoid.scalar(-4.0), 0.0);
        assert_eq!(Activation::HardSigmoid.scalar(4.0), 1.0);
        assert!((Activation::HardSigmoid.scalar(1.5) - 0.75).abs() < EXACT);
        let mut v = [1.0, 2.0, 3.0];
        Activation::Softmax.apply(&mut v);
        // exp(-2), exp(-1), 1 over their sum.
        let s = 0.135_335_28 + 0.367_879_44 + 1.0;
        assert!((v[0] - 0.135_335_28 / s).abs() < TRANSCENDENTAL);
        assert!((v[2] - 1.0 / s).abs() < TRANSCENDENTAL);
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert!(tanh(50.0) <= 1.0 && tanh(-50.0) >= -1.0);
    }
}
