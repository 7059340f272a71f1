//! Losses over a batch of predictions, as Keras computes them: the mean over examples (and
//! output values) of a per-value loss `l(e)`, `e = prediction - target`.
//!
//! MAE `|e|`; MSE `e²`; Huber (delta 1) `e²/2` for `|e| ≤ 1`, else `|e| - 1/2`.

use serde::{Deserialize, Serialize};

use crate::net::Float;

/// A regression loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Mean absolute error.
    Mae,
    /// Mean squared error.
    Mse,
    /// Huber with delta 1.
    Huber,
}

impl Loss {
    /// `l(e)`.
    pub fn value(self, e: f64) -> f64 {
        match self {
            Loss::Mae => e.abs(),
            Loss::Mse => e * e,
            Loss::Huber => {
                if e.abs() <= 1.0 {
                    0.5 * e * e
                } else {
                    e.abs() - 0.5
                }
            }
        }
    }

    /// `l'(e)`.
    pub fn derivative<F: Float>(self, e: F) -> F {
        match self {
            Loss::Mae => {
                if e > F::zero() {
                    F::one()
                } else if e < F::zero() {
                    -F::one()
                } else {
                    F::zero()
                }
            }
            Loss::Mse => e + e,
            Loss::Huber => e.max(-F::one()).min(F::one()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_differences() {
        for loss in [Loss::Mae, Loss::Mse, Loss::Huber] {
            for e in [-2.5, -0.3, 0.4, 1.7] {
                let h = 1e-6;
                let num = (loss.value(e + h) - loss.value(e - h)) / (2.0 * h);
                assert!((loss.derivative(e) - num).abs() < 1e-6, "{loss:?} at {e}");
            }
        }
    }
}
