//! Dense: `y = act(x · W + b)` on every row (every step of a sequence).
//!
//! Backward: `dz = dy ⊙ act'(y)` (the softmax Jacobian for softmax), `dW = xᵀ · dz`,
//! `db = Σ_rows dz`, `dx = dz · Wᵀ`.

use nowcast_runtime::layers::Dense;

use super::Seq;
use super::act;
use super::float::{Float, add_rows, col_sums_acc, mm, mm_acc, view, view_mut};

pub(crate) fn forward<F: Float>(l: &Dense<&[F]>, x: &Seq<F>) -> Seq<F> {
    let (i, u) = (x.width(), l.units as usize);
    let mut y = mm(&x.data.view(), &view(l.kernel, i, u));
    add_rows(&mut y.view_mut(), l.bias);
    act::apply_all(l.activation, y.as_slice_mut().expect("standard layout"), u);
    Seq {
        steps: x.steps,
        batch: x.batch,
        data: y,
    }
}

pub(crate) fn backward<F: Float>(
    l: &Dense<&[F]>,
    g: &mut Dense<&mut [F]>,
    x: &Seq<F>,
    y: &Seq<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (i, u) = (x.width(), l.units as usize);
    let mut dz = dy.data;
    act::backward_all(
        l.activation,
        y.data.as_slice().expect("standard layout"),
        dz.as_slice_mut().expect("standard layout"),
        u,
    );
    mm_acc(&mut view_mut(g.kernel, i, u), &x.data.t(), &dz.view());
    col_sums_acc(g.bias, &dz.view());
    let dx = mm(&dz.view(), &view(l.kernel, i, u).t());
    Seq {
        steps: x.steps,
        batch: x.batch,
        data: dx,
    }
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::Dense;

    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    #[test]
    fn gradients_match_finite_differences() {
        for activation in [
            Activation::Linear,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Softmax,
            Activation::Relu,
        ] {
            let layer = Layer::Dense(Dense {
                units: 3,
                activation,
                kernel: values(12, 1),
                bias: values(3, 2),
            });
            gradients(&layer, LayerOpts::default(), 2, 3, 4);
        }
    }

    #[test]
    fn forward_matches_runtime() {
        for activation in [Activation::Tanh, Activation::Softmax] {
            let layer = Layer::Dense(Dense {
                units: 3,
                activation,
                kernel: values(12, 1),
                bias: values(3, 2),
            });
            // On every step of a sequence, as Keras does.
            agrees_with_runtime(&[layer], 3, 4);
        }
    }
}
