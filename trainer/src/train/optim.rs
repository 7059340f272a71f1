//! Optimizers with Keras 3's update rules and defaults.
//!
//! - RMSprop (lr 1e-3, rho 0.9, eps 1e-7): `v = rho v + (1 - rho) g²`, `p -= lr g / sqrt(v + eps)`.
//! - Adam (lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7): `m = b1 m + (1 - b1) g`,
//!   `v = b2 v + (1 - b2) g²`, `p -= lr sqrt(1 - b2^t) / (1 - b1^t) · m / (sqrt(v) + eps)`.

use serde::{Deserialize, Serialize};

/// Which optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// RMSprop.
    Rmsprop,
    /// Adam.
    Adam,
}

impl OptimizerKind {
    /// Keras' default learning rate (1e-3 for both).
    pub fn default_lr(self) -> f32 {
        1e-3
    }
}

/// Optimizer state over a flat parameter vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Optimizer {
    /// Which rule.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f32,
    /// Steps taken.
    pub t: u64,
    m: Vec<f32>,
    v: Vec<f32>,
}

const RHO: f32 = 0.9;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPSILON: f32 = 1e-7;

impl Optimizer {
    /// A fresh optimizer for `n` parameters.
    pub fn new(kind: OptimizerKind, lr: f32, n: usize) -> Self {
        Optimizer {
            kind,
            lr,
            t: 0,
            m: if kind == OptimizerKind::Adam {
                vec![0.0; n]
            } else {
                Vec::new()
            },
            v: vec![0.0; n],
        }
    }

    /// One update of `params` with gradient `grad`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32]) {
        self.t += 1;
        match self.kind {
            OptimizerKind::Rmsprop => {
                for ((p, &g), v) in params.iter_mut().zip(grad).zip(&mut self.v) {
                    *v = RHO * *v + (1.0 - RHO) * g * g;
                    *p -= self.lr * g / (*v + EPSILON).sqrt();
                }
            }
            OptimizerKind::Adam => {
                let t = self.t as i32;
                let alpha = self.lr * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
                for (((p, &g), m), v) in params
                    .iter_mut()
                    .zip(grad)
                    .zip(&mut self.m)
                    .zip(&mut self.v)
                {
                    *m = BETA1 * *m + (1.0 - BETA1) * g;
                    *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                    *p -= alpha * *m / (v.sqrt() + EPSILON);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_steps_by_hand() {
        // RMSprop, g = 1: v = 0.1, step = lr / sqrt(0.1 + 1e-7).
        let mut o = Optimizer::new(OptimizerKind::Rmsprop, 0.01, 1);
        let mut p = [1.0];
        o.step(&mut p, &[1.0]);
        assert!((p[0] - (1.0 - 0.01 / (0.1f32 + 1e-7).sqrt())).abs() < 1e-7);
        // Adam's first step is lr · sign(g) (up to eps).
        let mut o = Optimizer::new(OptimizerKind::Adam, 0.01, 1);
        let mut p = [1.0];
        o.step(&mut p, &[-3.0]);
        assert!((p[0] - 1.01).abs() < 1e-6);
    }

    #[test]
    fn both_minimize_a_quadratic() {
        for kind in [OptimizerKind::Rmsprop, OptimizerKind::Adam] {
            let mut o = Optimizer::new(kind, 0.05, 2);
            let mut p = [3.0, -2.0];
            for _ in 0..500 {
                let g = [2.0 * (p[0] - 1.0), 2.0 * (p[1] + 1.0)];
                o.step(&mut p, &g);
            }
            assert!(
                (p[0] - 1.0).abs() < 0.05 && (p[1] + 1.0).abs() < 0.05,
                "{kind:?}: {p:?}"
            );
        }
    }
}
