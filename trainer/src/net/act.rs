//! Activations and their derivatives, with the runtime's definitions (`nowcast_runtime::activation`).
//!
//! Derivatives are taken from the activation's *output* `y`, which the forward pass keeps:
//! tanh `1 - y²`, sigmoid `y (1 - y)`, relu `[y > 0]`, hard sigmoid `1/6` inside `(0, 1)`.
//! Softmax is handled by [`softmax_backward`].

use nowcast_runtime::activation::Activation;

use super::float::Float;

/// `act(x)` for an elementwise activation (softmax: identity, see [`softmax_rows`]).
#[inline]
pub(crate) fn apply<F: Float>(act: Activation, x: F) -> F {
    match act {
        Activation::Linear | Activation::Softmax => x,
        Activation::Relu => x.max(F::zero()),
        // tanh(x) = 1 - 2 / (exp(2x) + 1): one exp, about 3x faster than libm's tanh, exact
        // limits ±1, absolute error ~1 ulp of 1 (training does not need tanh's relative accuracy
        // near 0; the runtime, which ships, uses libm).
        Activation::Tanh => F::one() - (F::one() + F::one()) / ((x + x).exp() + F::one()),
        Activation::Sigmoid => F::one() / (F::one() + (-x).exp()),
        Activation::HardSigmoid => (x / F::of(6.0) + F::of(0.5)).max(F::zero()).min(F::one()),
    }
}

/// `act'(x)` expressed through `y = act(x)`.
#[inline]
pub(crate) fn deriv<F: Float>(act: Activation, y: F) -> F {
    match act {
        Activation::Linear | Activation::Softmax => F::one(),
        Activation::Relu => {
            if y > F::zero() {
                F::one()
            } else {
                F::zero()
            }
        }
        Activation::Tanh => F::one() - y * y,
        Activation::Sigmoid => y * (F::one() - y),
        Activation::HardSigmoid => {
            if y > F::zero() && y < F::one() {
                F::one() / F::of(6.0)
            } else {
                F::zero()
            }
        }
    }
}

/// Softmax of each row of width `w`, in place.
pub(crate) fn softmax_rows<F: Float>(v: &mut [F], w: usize) {
    for row in v.chunks_exact_mut(w) {
        let max = row.iter().copied().fold(F::neg_infinity(), F::max);
        let mut sum = F::zero();
        for x in row.iter_mut() {
            *x = (*x - max).exp();
            sum += *x;
        }
        for x in row.iter_mut() {
            *x = *x / sum;
        }
    }
}

/// `dz = y ⊙ (dy - Σ dy ⊙ y)` per row: the softmax Jacobian applied to `dy`.
pub(crate) fn softmax_backward<F: Float>(y: &[F], dy: &mut [F], w: usize) {
    for (y, d) in y.chunks_exact(w).zip(dy.chunks_exact_mut(w)) {
        let dot: F = y.iter().zip(d.iter()).map(|(&a, &b)| a * b).sum();
        for (d, &y) in d.iter_mut().zip(y) {
            *d = y * (*d - dot);
        }
    }
}

/// Applies `act` to every element of `v` (rows of width `w` for softmax).
pub(crate) fn apply_all<F: Float>(act: Activation, v: &mut [F], w: usize) {
    match act {
        Activation::Softmax => softmax_rows(v, w),
        Activation::Linear => {}
        _ => v.iter_mut().for_each(|x| *x = apply(act, *x)),
    }
}

/// Turns `dy` into `dz` (the gradient before the activation) given the outputs `y`.
pub(crate) fn backward_all<F: Float>(act: Activation, y: &[F], dy: &mut [F], w: usize) {
    match act {
        Activation::Softmax => softmax_backward(y, dy, w),
        Activation::Linear => {}
        _ => dy.iter_mut().zip(y).for_each(|(d, &y)| *d *= deriv(act, y)),
    }
}
