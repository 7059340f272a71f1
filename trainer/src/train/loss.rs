//! Losses over a batch of predictions, as Keras computes them: the mean over examples of a
//! per-example loss.
//!
//! Regression, on the first output value, `e = prediction - target`: MAE `|e|`; MSE `e²`; Huber
//! (delta 1) `e²/2` for `|e| ≤ 1`, else `|e| - 1/2`.
//!
//! Classification, on probabilities (a softmax or sigmoid output layer), the target being a
//! class index: categorical cross-entropy `-ln p[t]`; binary cross-entropy
//! `-(t ln p + (1 - t) ln(1 - p))` on the single output. As in Keras, probabilities are clipped
//! to `[1e-7, 1 - 1e-7]` first (no gradient flows where they are clipped).

use serde::{Deserialize, Serialize};

use crate::net::Float;

/// A training loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Mean absolute error.
    Mae,
    /// Mean squared error.
    Mse,
    /// Huber with delta 1.
    Huber,
    /// Categorical cross-entropy over a softmax output (target: the class index).
    CategoricalCrossentropy,
    /// Binary cross-entropy over one sigmoid output (target: 0 or 1).
    BinaryCrossentropy,
}

/// Keras' `epsilon()`: probabilities are clipped to `[EPSILON, 1 - EPSILON]`.
pub const EPSILON: f64 = 1e-7;

impl Loss {
    /// Whether the loss scores class probabilities.
    pub fn is_classification(self) -> bool {
        matches!(
            self,
            Loss::CategoricalCrossentropy | Loss::BinaryCrossentropy
        )
    }

    /// The loss of one example whose output row is `pred`, and `scale` times its gradient with
    /// respect to `pred`, written into `grad` (as long as `pred`).
    pub fn example<F: Float>(self, pred: &[F], target: F, grad: &mut [F], scale: F) -> f64 {
        grad.iter_mut().for_each(|g| *g = F::zero());
        let (lo, hi) = (EPSILON, 1.0 - EPSILON);
        match self {
            Loss::Mae | Loss::Mse | Loss::Huber => {
                let e = pred[0] - target;
                grad[0] = self.derivative(e) * scale;
                self.value(e.to64())
            }
            Loss::CategoricalCrossentropy => {
                let t = target.to64() as usize;
                let p = pred[t].to64();
                if p > lo && p < hi {
                    grad[t] = F::of(-1.0 / p) * scale;
                }
                -p.clamp(lo, hi).ln()
            }
            Loss::BinaryCrossentropy => {
                let (p, t) = (pred[0].to64(), target.to64());
                if p > lo && p < hi {
                    grad[0] = F::of(-t / p + (1.0 - t) / (1.0 - p)) * scale;
                }
                let p = p.clamp(lo, hi);
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            }
        }
    }

    /// `l(e)` of a regression loss (a classification loss: see [`example`](Self::example)).
    pub fn value(self, e: f64) -> f64 {
        match self {
            Loss::Mae | Loss::CategoricalCrossentropy | Loss::BinaryCrossentropy => e.abs(),
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

    /// `l'(e)` of a regression loss.
    pub fn derivative<F: Float>(self, e: F) -> F {
        match self {
            Loss::Mae | Loss::CategoricalCrossentropy | Loss::BinaryCrossentropy => {
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
    fn cross_entropy_gradients_match_differences() {
        let pred = [0.2f64, 0.5, 0.3];
        for (loss, target, width) in [
            (Loss::CategoricalCrossentropy, 1.0, 3),
            (Loss::CategoricalCrossentropy, 2.0, 3),
            (Loss::BinaryCrossentropy, 1.0, 1),
            (Loss::BinaryCrossentropy, 0.0, 1),
        ] {
            let p = &pred[..width];
            let mut g = vec![0.0; width];
            let l = loss.example(p, target, &mut g, 1.0);
            for i in 0..width {
                let h = 1e-6;
                let (mut a, mut b) = (p.to_vec(), p.to_vec());
                a[i] += h;
                b[i] -= h;
                let mut scratch = vec![0.0; width];
                let num = (loss.example(&a, target, &mut scratch, 1.0)
                    - loss.example(&b, target, &mut scratch, 1.0))
                    / (2.0 * h);
                assert!((g[i] - num).abs() < 1e-5, "{loss:?} {i}: {} vs {num}", g[i]);
            }
            assert!(l > 0.0);
        }
        // -ln 0.5, and Keras' clipping of a zero probability.
        let mut g = [0.0; 3];
        let l = Loss::CategoricalCrossentropy.example(&pred, 1.0, &mut g, 1.0);
        assert!((l - std::f64::consts::LN_2).abs() < 1e-12);
        let l = Loss::CategoricalCrossentropy.example(&[1.0, 0.0, 0.0], 1.0, &mut g, 1.0);
        assert!((l - 1e7f64.ln()).abs() < 1e-6 && g == [0.0; 3]);
    }

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
