//! Losses over a batch of predictions, as Keras computes them: the mean over examples of a
//! per-example loss.
//!
//! Regression, on the first output value, `e = prediction - target`: MAE `|e|`; MSE `e²`; Huber
//! (delta 1) `e²/2` for `|e| ≤ 1`, else `|e| - 1/2`.
//!
//! Classification, on probabilities (a softmax or sigmoid output layer), the target being a
//! class index: categorical cross-entropy `-ln p[t]`; binary cross-entropy
//! `-(t ln p + (1 - t) ln(1 - p))` on the single output. The reported value clips `p` to
//! `[1e-7, 1 - 1e-7]` like Keras' `epsilon()`. The gradient is not clipped: Keras computes the
//! loss of a softmax or sigmoid output from its logits, whose gradient is `p - onehot(t)`
//! everywhere, and that is what `-1/p[t]` (resp. `(p - t) / (p (1 - p))`) becomes after the
//! output activation's backward pass; the denominators are only kept above 1e-30.

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

/// Keras' `epsilon()`: probabilities are clipped to `[EPSILON, 1 - EPSILON]` in the value.
pub const EPSILON: f64 = 1e-7;

/// Smallest denominator of a cross-entropy gradient.
const TINY: f64 = 1e-30;

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
            Loss::Mae => regression(
                pred[0] - target,
                grad,
                scale,
                |e| e.abs(),
                |e| {
                    if e > F::zero() {
                        F::one()
                    } else if e < F::zero() {
                        -F::one()
                    } else {
                        F::zero()
                    }
                },
            ),
            Loss::Mse => regression(pred[0] - target, grad, scale, |e| e * e, |e| e + e),
            Loss::Huber => regression(
                pred[0] - target,
                grad,
                scale,
                |e| {
                    if e.abs() <= 1.0 {
                        0.5 * e * e
                    } else {
                        e.abs() - 0.5
                    }
                },
                |e| e.max(-F::one()).min(F::one()),
            ),
            Loss::CategoricalCrossentropy => {
                let t = target.to64() as usize;
                let Some(p) = pred.get(t).map(|p| p.to64()) else {
                    // A class the output has no unit for: fit refuses such a model first.
                    return f64::NAN;
                };
                grad[t] = F::of(-1.0 / p.max(TINY)) * scale;
                -p.clamp(lo, hi).ln()
            }
            Loss::BinaryCrossentropy => {
                let (p, t) = (pred[0].to64(), target.to64());
                grad[0] = F::of((p - t) / (p * (1.0 - p)).max(TINY)) * scale;
                let p = p.clamp(lo, hi);
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            }
        }
    }
}

/// A regression loss of error `e = prediction - target`: `l(e)`, and `scale · l'(e)` into
/// `grad[0]`.
fn regression<F: Float>(
    e: F,
    grad: &mut [F],
    scale: F,
    value: impl Fn(f64) -> f64,
    derivative: impl Fn(F) -> F,
) -> f64 {
    grad[0] = derivative(e) * scale;
    value(e.to64())
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
            loss.example(p, target, &mut g, 1.0);
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
        }
        // -ln 0.5; a vanishing probability: the value is clipped, the gradient still pulls.
        let mut g = [0.0; 3];
        let l = Loss::CategoricalCrossentropy.example(&pred, 1.0, &mut g, 1.0);
        assert!((l - std::f64::consts::LN_2).abs() < 1e-12);
        let l = Loss::CategoricalCrossentropy.example(&[1.0, 1e-12, 0.0], 1.0, &mut g, 1.0);
        assert!((l - 1e7f64.ln()).abs() < 1e-6 && g[1] < -1e11, "{g:?}");
        // After the softmax's backward pass that is p - onehot: here [1, -1, 0].
        let p = [1.0 - 1e-12, 1e-12, 0.0];
        let dot: f64 = p.iter().zip(&g).map(|(a, b)| a * b).sum();
        let dz: Vec<f64> = p.iter().zip(&g).map(|(&y, &d)| y * (d - dot)).collect();
        assert!((dz[0] - 1.0).abs() < 1e-9 && (dz[1] + 1.0).abs() < 1e-9 && dz[2] == 0.0);
        // Binary, confidently wrong: (p - t) / (p (1 - p)) times the sigmoid's p (1 - p).
        let mut g = [0.0f64];
        Loss::BinaryCrossentropy.example(&[1.0 - 1e-9], 0.0, &mut g, 1.0);
        assert!(
            (g[0] * (1.0 - 1e-9) * 1e-9 - (1.0 - 1e-9)).abs() < 1e-6,
            "{g:?}"
        );
    }

    #[test]
    fn derivatives_match_differences() {
        for loss in [Loss::Mae, Loss::Mse, Loss::Huber] {
            for e in [-2.5f64, -0.3, 0.4, 1.7] {
                let h = 1e-6;
                let mut g = [0.0];
                let mut value = |e: f64| loss.example(&[e], 0.0, &mut g, 1.0);
                let num = (value(e + h) - value(e - h)) / (2.0 * h);
                loss.example(&[e], 0.0, &mut g, 1.0);
                assert!((g[0] - num).abs() < 1e-6, "{loss:?} at {e}");
            }
        }
    }
}
