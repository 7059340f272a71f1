//! LSTM, backprop through time. Same conventions as `nowcast_runtime::layers::Lstm` (gate order
//! `i, f, c, o`; `kernel` `(in, 4u)`, `recurrent_kernel` `(u, 4u)`, `bias` `(4u)`; zero initial
//! state).
//!
//! Forward, per step, with `m_g` the input and `n_g` the recurrent dropout mask of gate `g`
//! (Keras 3 `implementation=1`; all ones at inference):
//! ```text
//! a_g = (x ⊙ m_g) · W_g + b_g                          (one GEMM over all steps, 4 with masks)
//! z_g = a_g + (h ⊙ n_g) · U_g
//! i = rec(z_i)   f = rec(z_f)   g = act(z_c)   o = rec(z_o)
//! c' = f ⊙ c + i ⊙ g                                   (unmasked c)
//! h' = o ⊙ act(c')
//! ```
//! Backward runs the steps in reverse with the carries `dh` and `dc`:
//! ```text
//! dc += dh ⊙ o ⊙ act'(c')
//! dz_i = dc ⊙ g ⊙ rec'(i)   dz_f = dc ⊙ c ⊙ rec'(f)   dz_c = dc ⊙ i ⊙ act'(g)   dz_o = dh ⊙ act(c') ⊙ rec'(o)
//! dc ← dc ⊙ f               dh ← Σ_g (dz_g · U_gᵀ) ⊙ n_g
//! ```
//! and collects `dz` for all steps, so that `dW`, `dU` and `db` are single GEMMs (one per gate
//! with masks) over the whole sequence.

use ndarray::{Array2, s};
use nowcast_runtime::layers::Lstm;

use super::act::{apply, deriv};
use super::float::{Float, add_rows, col_sums_acc, view, view_mut};
use super::recurrent::{
    Masks, gate_input_grads, gate_products, gate_weight_grads, output_grad, states_output,
};
use super::{Ctx, LayerOpts, Seq, State, last_rows, start_from};

/// What the backward pass needs.
#[derive(Debug)]
pub(crate) struct Cache<F> {
    /// Outputs `h_0 .. h_T`: `(T+1)·B × U`.
    h: Array2<F>,
    /// Cell states `c_0 .. c_T`: `(T+1)·B × U`.
    c: Array2<F>,
    /// Gate values `i, f, g, o` (after their activations): `T·B × 4U`.
    gates: Array2<F>,
    /// `act(c_t)`: `T·B × U`.
    ac: Array2<F>,
    mx: Masks<F>,
    mh: Masks<F>,
}

impl<F: Float> Cache<F> {
    /// The state after the last step.
    pub(crate) fn last_state(&self, batch: usize) -> State<F> {
        State {
            h: last_rows(&self.h, batch),
            c: Some(last_rows(&self.c, batch)),
        }
    }
}

pub(crate) fn forward<F: Float>(
    l: &Lstm<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
    init: Option<&State<F>>,
) -> (Seq<F>, Cache<F>) {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let w = view(l.kernel, i, 4 * u);
    let uu = view(l.recurrent_kernel, u, 4 * u);
    let mx = ctx.masks::<F>(opts.dropout, 4, b, i);
    let mh = ctx.masks::<F>(opts.recurrent_dropout, 4, b, u);
    let (act, rec) = (l.activation, l.recurrent_activation);

    // z for all steps; activated in place step by step, it becomes the cached gate values.
    let mut gates = Array2::zeros((t_len * b, 4 * u));
    let mut scratch = Array2::zeros((0, 0));
    gate_products(
        &mut gates.view_mut(),
        &x.data.view(),
        b,
        &w,
        &mx,
        u,
        &mut scratch,
    );
    add_rows(&mut gates.view_mut(), l.bias);

    let mut h = Array2::zeros(((t_len + 1) * b, u));
    let mut c = Array2::zeros(((t_len + 1) * b, u));
    start_from(&mut h, init.map(|s| &s.h));
    start_from(&mut c, init.and_then(|s| s.c.as_ref()));
    let mut ac = Array2::zeros((t_len * b, u));
    let (n, g4) = (b * u, 4 * u);
    let hs = h.as_slice_mut().expect("standard layout");
    let cs = c.as_slice_mut().expect("standard layout");
    let gs = gates.as_slice_mut().expect("standard layout");
    let acs = ac.as_slice_mut().expect("standard layout");
    for t in 0..t_len {
        let (h_done, h_next) = hs.split_at_mut((t + 1) * n);
        let (c_done, c_next) = cs.split_at_mut((t + 1) * n);
        let (hp, hn) = (&h_done[t * n..], &mut h_next[..n]);
        let (cp, cn) = (&c_done[t * n..], &mut c_next[..n]);
        let zt = &mut gs[t * b * g4..(t + 1) * b * g4];
        let act_c = &mut acs[t * n..(t + 1) * n];
        gate_products(
            &mut view_mut(zt, b, g4),
            &view(hp, b, u),
            b,
            &uu,
            &mh,
            u,
            &mut scratch,
        );
        // Gates, cell and output of each example, in place: z becomes i, f, g, o.
        for r in 0..b {
            let z = &mut zt[r * g4..(r + 1) * g4];
            let k = r * u..(r + 1) * u;
            let (cp, cn, a, hn) = (
                &cp[k.clone()],
                &mut cn[k.clone()],
                &mut act_c[k.clone()],
                &mut hn[k],
            );
            for j in 0..u {
                let (ig, fg) = (apply(rec, z[j]), apply(rec, z[u + j]));
                let (gg, og) = (apply(act, z[2 * u + j]), apply(rec, z[3 * u + j]));
                (z[j], z[u + j], z[2 * u + j], z[3 * u + j]) = (ig, fg, gg, og);
                cn[j] = fg * cp[j] + ig * gg;
                a[j] = apply(act, cn[j]);
                hn[j] = og * a[j];
            }
        }
    }
    let y = states_output(&h, t_len, b, l.return_sequences);
    (
        y,
        Cache {
            h,
            c,
            gates,
            ac,
            mx,
            mh,
        },
    )
}

pub(crate) fn backward<F: Float>(
    l: &Lstm<&[F]>,
    g: &mut Lstm<&mut [F]>,
    x: &Seq<F>,
    c: &Cache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let w = view(l.kernel, i, 4 * u);
    let uu = view(l.recurrent_kernel, u, 4 * u);
    let (act, rec) = (l.activation, l.recurrent_activation);
    let (n, g4) = (b * u, 4 * u);
    let mut dz = Array2::<F>::zeros((t_len * b, g4));
    let mut dh = Array2::<F>::zeros((b, u));
    let mut dc = vec![F::zero(); n];
    let mut scratch = Array2::zeros((0, 0));
    let gs = c.gates.as_slice().expect("standard layout");
    let (cs, acs) = (
        c.c.as_slice().expect("standard layout"),
        c.ac.as_slice().expect("standard layout"),
    );
    let dzs = dz.as_slice_mut().expect("standard layout");
    for t in (0..t_len).rev() {
        if let Some(g) = output_grad(&dy, t, t_len, l.return_sequences) {
            dh += &g;
        }
        // c_{t-1} is block t of c_0 .. c_T.
        let (gt, act_c, cp) = (
            &gs[t * b * g4..(t + 1) * b * g4],
            &acs[t * n..(t + 1) * n],
            &cs[t * n..(t + 1) * n],
        );
        let dzt = &mut dzs[t * b * g4..(t + 1) * b * g4];
        let dhs = dh.as_slice().expect("standard layout");
        for r in 0..b {
            let (g, dz) = (&gt[r * g4..(r + 1) * g4], &mut dzt[r * g4..(r + 1) * g4]);
            let k = r * u..(r + 1) * u;
            let (dh, dc, a, cp) = (
                &dhs[k.clone()],
                &mut dc[k.clone()],
                &act_c[k.clone()],
                &cp[k],
            );
            for j in 0..u {
                let (ig, fg, gg, og) = (g[j], g[u + j], g[2 * u + j], g[3 * u + j]);
                // Through h' = o act(c'), then c' = f c + i g.
                dz[3 * u + j] = dh[j] * a[j] * deriv(rec, og);
                let d = dc[j] + dh[j] * og * deriv(act, a[j]);
                dz[j] = d * gg * deriv(rec, ig);
                dz[u + j] = d * cp[j] * deriv(rec, fg);
                dz[2 * u + j] = d * ig * deriv(act, gg);
                dc[j] = d * fg;
            }
        }
        gate_input_grads(
            &mut dh.view_mut(),
            &view(dzt, b, g4),
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
        &mut view_mut(g.recurrent_kernel, u, 4 * u),
        &h_prev,
        b,
        &dz.view(),
        &c.mh,
        u,
    );
    col_sums_acc(g.bias, &dz.view());
    gate_weight_grads(
        &mut view_mut(g.kernel, i, 4 * u),
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
    use nowcast_runtime::layers::{Dense, Lstm};

    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    fn lstm(
        activation: Activation,
        recurrent_activation: Activation,
        return_sequences: bool,
    ) -> Layer<Vec<f32>> {
        let (i, u) = (3, 4);
        Layer::Lstm(Lstm {
            units: u as u32,
            activation,
            recurrent_activation,
            return_sequences,
            kernel: values(i * 4 * u, 1),
            recurrent_kernel: values(u * 4 * u, 2),
            bias: values(4 * u, 3),
        })
    }

    #[test]
    fn gradients_match_finite_differences() {
        for rs in [true, false] {
            gradients(
                &lstm(Activation::Tanh, Activation::Sigmoid, rs),
                LayerOpts::default(),
                5,
                2,
                3,
            );
        }
        // Other activations go through the same derivative-from-output path.
        gradients(
            &lstm(Activation::Sigmoid, Activation::Tanh, true),
            LayerOpts::default(),
            4,
            2,
            3,
        );
    }

    #[test]
    fn gradients_with_dropout_masks() {
        let opts = LayerOpts {
            dropout: 0.3,
            recurrent_dropout: 0.4,
        };
        gradients(
            &lstm(Activation::Tanh, Activation::Sigmoid, true),
            opts,
            4,
            3,
            3,
        );
        gradients(
            &lstm(Activation::Tanh, Activation::Sigmoid, false),
            opts,
            4,
            3,
            3,
        );
        // One kind of mask at a time.
        gradients(
            &lstm(Activation::Tanh, Activation::Sigmoid, true),
            LayerOpts {
                dropout: 0.5,
                recurrent_dropout: 0.0,
            },
            3,
            2,
            3,
        );
        gradients(
            &lstm(Activation::Tanh, Activation::Sigmoid, false),
            LayerOpts {
                dropout: 0.0,
                recurrent_dropout: 0.5,
            },
            3,
            2,
            3,
        );
    }

    #[test]
    fn forward_matches_runtime() {
        let head = Layer::Dense(Dense {
            units: 2,
            activation: Activation::Linear,
            kernel: values(8, 4),
            bias: values(2, 5),
        });
        agrees_with_runtime(
            &[lstm(Activation::Tanh, Activation::Sigmoid, false), head],
            7,
            3,
        );
        agrees_with_runtime(
            &[lstm(Activation::Tanh, Activation::HardSigmoid, true)],
            7,
            3,
        );
    }
}
