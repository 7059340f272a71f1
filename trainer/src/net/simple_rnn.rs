//! SimpleRNN, backprop through time. Same conventions as `nowcast_runtime::layers::SimpleRnn`
//! (`kernel` `(in, u)`, `recurrent_kernel` `(u, u)`, `bias` `(u)`; zero initial state).
//!
//! Forward, with `m` the input and `n` the recurrent dropout mask (one each, as Keras'
//! `SimpleRNNCell`; all ones at inference):
//! ```text
//! a = (x ⊙ m) · W + b                 (one GEMM over all steps)
//! h' = act(a + (h ⊙ n) · U)
//! ```
//! Backward runs the steps in reverse: `dz = (dh + dy) ⊙ act'(h')`, `dh ← (dz · Uᵀ) ⊙ n`, and
//! collects `dz` for all steps, so that `dW`, `dU` and `db` are single GEMMs over the sequence.

use ndarray::{Array2, Axis, Zip, s};
use nowcast_runtime::layers::SimpleRnn;

use super::act::{apply, deriv};
use super::float::{Float, add_rows, col_sums_acc, view, view_mut};
use super::recurrent::{
    Masks, gate_input_grads, gate_products, gate_weight_grads, output_grad, states_output,
};
use super::{Ctx, LayerOpts, Seq, State, last_rows, start_from};

/// What the backward pass needs.
#[derive(Debug)]
pub(crate) struct Cache<F> {
    /// States `h_0 .. h_T`: `(T+1)·B × U`.
    h: Array2<F>,
    mx: Masks<F>,
    mh: Masks<F>,
}

impl<F: Float> Cache<F> {
    /// The state after the last step.
    pub(crate) fn last_state(&self, batch: usize) -> State<F> {
        State {
            h: last_rows(&self.h, batch),
            c: None,
        }
    }
}

pub(crate) fn forward<F: Float>(
    l: &SimpleRnn<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
    init: Option<&State<F>>,
) -> (Seq<F>, Cache<F>) {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let w = view(l.kernel, i, u);
    let uu = view(l.recurrent_kernel, u, u);
    let mx = ctx.masks::<F>(opts.dropout, 1, b, i);
    let mh = ctx.masks::<F>(opts.recurrent_dropout, 1, b, u);

    // Pre-activations of all steps, written into h_1 .. h_T and activated step by step.
    let mut h = Array2::zeros(((t_len + 1) * b, u));
    start_from(&mut h, init.map(|s| &s.h));
    let mut scratch = Array2::zeros((0, 0));
    {
        let mut a = h.slice_mut(s![b.., ..]);
        gate_products(&mut a, &x.data.view(), b, &w, &mx, u, &mut scratch);
        add_rows(&mut a, l.bias);
    }
    for t in 0..t_len {
        let (done, mut next) = h.view_mut().split_at(Axis(0), (t + 1) * b);
        let hp = done.slice(s![t * b.., ..]);
        let mut ht = next.slice_mut(s![..b, ..]);
        gate_products(&mut ht, &hp, b, &uu, &mh, u, &mut scratch);
        ht.mapv_inplace(|v| apply(l.activation, v));
    }
    let y = states_output(&h, t_len, b, l.return_sequences);
    (y, Cache { h, mx, mh })
}

pub(crate) fn backward<F: Float>(
    l: &SimpleRnn<&[F]>,
    g: &mut SimpleRnn<&mut [F]>,
    x: &Seq<F>,
    c: &Cache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let w = view(l.kernel, i, u);
    let uu = view(l.recurrent_kernel, u, u);
    let mut dz = Array2::<F>::zeros((t_len * b, u));
    let mut dh = Array2::<F>::zeros((b, u));
    let mut scratch = Array2::zeros((0, 0));
    for t in (0..t_len).rev() {
        let rows = t * b..(t + 1) * b;
        if let Some(g) = output_grad(&dy, t, t_len, l.return_sequences) {
            dh += &g;
        }
        let mut dzt = dz.slice_mut(s![rows, ..]);
        let ht = c.h.slice(s![(t + 1) * b..(t + 2) * b, ..]);
        Zip::from(&mut dzt)
            .and(&dh)
            .and(&ht)
            .for_each(|d, &dh, &h| *d = dh * deriv(l.activation, h));
        gate_input_grads(
            &mut dh.view_mut(),
            &dzt.view(),
            b,
            &uu,
            &c.mh,
            u,
            &mut scratch,
        );
    }

    // Weight gradients over all steps at once.
    let h_prev = c.h.slice(s![..t_len * b, ..]);
    gate_weight_grads(
        &mut view_mut(g.recurrent_kernel, u, u),
        &h_prev,
        b,
        &dz.view(),
        &c.mh,
        u,
    );
    col_sums_acc(g.bias, &dz.view());
    gate_weight_grads(
        &mut view_mut(g.kernel, i, u),
        &x.data.view(),
        b,
        &dz.view(),
        &c.mx,
        u,
    );
    let mut dx = Array2::zeros((t_len * b, i));
    gate_input_grads(
        &mut dx.view_mut(),
        &dz.view(),
        b,
        &w,
        &c.mx,
        u,
        &mut scratch,
    );
    Seq {
        steps: t_len,
        batch: b,
        data: dx,
    }
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::SimpleRnn;

    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    fn rnn(activation: Activation, return_sequences: bool) -> Layer<Vec<f32>> {
        let (i, u) = (3, 4);
        Layer::SimpleRnn(SimpleRnn {
            units: u as u32,
            activation,
            return_sequences,
            kernel: values(i * u, 1),
            recurrent_kernel: values(u * u, 2),
            bias: values(u, 3),
        })
    }

    #[test]
    fn gradients_match_finite_differences() {
        for rs in [true, false] {
            for activation in [Activation::Tanh, Activation::Sigmoid, Activation::Linear] {
                gradients(&rnn(activation, rs), LayerOpts::default(), 5, 2, 3);
            }
        }
    }

    #[test]
    fn gradients_with_dropout_masks() {
        let opts = LayerOpts {
            dropout: 0.3,
            recurrent_dropout: 0.4,
        };
        gradients(&rnn(Activation::Tanh, true), opts, 4, 3, 3);
        gradients(&rnn(Activation::Tanh, false), opts, 4, 3, 3);
    }

    #[test]
    fn forward_matches_runtime() {
        agrees_with_runtime(&[rnn(Activation::Tanh, true)], 6, 3);
        agrees_with_runtime(&[rnn(Activation::Relu, false)], 6, 3);
    }
}
