//! GRU, backprop through time. Same conventions as `nowcast_runtime::layers::Gru` (gate order
//! `z, r, h`; `reset_after` with a `(2, 3u)` bias of input and recurrent rows, or without and a
//! `(3u)` bias).
//!
//! Forward, per step, with `m_g` the input and `n_g` the recurrent dropout mask of gate `g`
//! (all ones at inference):
//! ```text
//! a_g = (x ⊙ m_g) · W_g + bx_g                       (one GEMM over all steps)
//! c_g = (h ⊙ n_g) · U_g + bh_g                       (reset_after; g = z, r, h)
//! z = σ(a_z + c_z)   r = σ(a_r + c_r)
//! hh = act(a_h + r ⊙ c_h)                            (reset_after)
//! hh = act(a_h + (r ⊙ (h ⊙ n_h)) · U_h)              (reset_before)
//! h' = z ⊙ h + (1 - z) ⊙ hh
//! ```
//! Backward runs the steps in reverse, collecting `d a` and `d c` for all steps so that the
//! weight gradients are single GEMMs over the whole sequence.

use ndarray::{Array2, ArrayView2, s};
use nowcast_runtime::layers::Gru;

use super::act::{apply, deriv};
use super::float::{Float, add_rows, col_sums_acc, mm_acc, view, view_mut};
use super::recurrent::{
    gate_input_grads, gate_products, gate_weight_grads, output_grad, states_output,
};
use super::{Ctx, LayerOpts, Seq, State, last_rows, masked, start_from};

/// What the backward pass needs.
#[derive(Debug)]
pub(crate) struct Cache<F> {
    /// States `h_0 .. h_T`: `(T+1)·B × U`.
    h: Array2<F>,
    z: Array2<F>,
    r: Array2<F>,
    hh: Array2<F>,
    /// reset_after: `c_h`; reset_before: `r ⊙ (h ⊙ n_h)`. `T·B × U`.
    ch: Array2<F>,
    mx: Option<Vec<Array2<F>>>,
    mh: Option<Vec<Array2<F>>>,
}

fn block<F>(a: &Array2<F>, g: usize, u: usize) -> ArrayView2<'_, F> {
    a.slice(s![.., g * u..(g + 1) * u])
}

fn block_view<'a, F>(w: &ArrayView2<'a, F>, g: usize, u: usize) -> ArrayView2<'a, F> {
    (*w).slice_move(s![.., g * u..(g + 1) * u])
}

fn slice<F>(a: &Array2<F>) -> &[F] {
    a.as_slice().expect("standard layout")
}

fn slice_mut<F>(a: &mut Array2<F>) -> &mut [F] {
    a.as_slice_mut().expect("standard layout")
}

/// `c[:, gates] += (h ⊙ n_g) · U_g` for the first `gates` gate blocks (`hm` is scratch).
fn recurrent_product<F: Float>(
    c: &mut Array2<F>,
    hp: &[F],
    uu: &ArrayView2<'_, F>,
    mh: &Option<Vec<Array2<F>>>,
    gates: usize,
    hm: &mut Array2<F>,
) {
    let (b, u) = (hm.nrows(), hm.ncols());
    match mh {
        None => mm_acc(
            &mut c.slice_mut(s![.., ..gates * u]),
            &view(hp, b, u),
            &uu.slice(s![.., ..gates * u]),
        ),
        Some(m) => {
            for (g, mg) in m.iter().enumerate().take(gates) {
                for ((o, &h), &k) in slice_mut(hm).iter_mut().zip(hp).zip(slice(mg)) {
                    *o = h * k;
                }
                mm_acc(
                    &mut c.slice_mut(s![.., g * u..(g + 1) * u]),
                    &hm.view(),
                    &block_view(uu, g, u),
                );
            }
        }
    }
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
    l: &Gru<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
    init: Option<&State<F>>,
) -> (Seq<F>, Cache<F>) {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let g3 = 3 * u;
    let w = view(l.kernel, i, g3);
    let uu = view(l.recurrent_kernel, u, g3);
    let (bx, bh) = if l.reset_after {
        l.bias.split_at(g3)
    } else {
        (l.bias, &l.bias[..0])
    };
    let mx = ctx.masks::<F>(opts.dropout, 3, b, i);
    let mh = ctx.masks::<F>(opts.recurrent_dropout, 3, b, u);

    let mut a = Array2::zeros((t_len * b, g3));
    let mut scratch = Array2::zeros((0, 0));
    gate_products(
        &mut a.view_mut(),
        &x.data.view(),
        b,
        &w,
        &mx,
        u,
        &mut scratch,
    );
    add_rows(&mut a.view_mut(), bx);

    let mut h = Array2::zeros(((t_len + 1) * b, u));
    start_from(&mut h, init.map(|s| &s.h));
    let mut z = Array2::zeros((t_len * b, u));
    let mut r = Array2::zeros((t_len * b, u));
    let mut hh = Array2::zeros((t_len * b, u));
    let mut ch = Array2::zeros((t_len * b, u));
    let mut c = Array2::zeros((b, g3));
    let mut hm = Array2::zeros((b, u));
    let mut ph = Array2::zeros((b, u));
    let (act, rec) = (l.activation, l.recurrent_activation);
    let n = b * u;
    for t in 0..t_len {
        let (hs, zs, rs, hhs, chs) = (
            slice_mut(&mut h),
            slice_mut(&mut z),
            slice_mut(&mut r),
            slice_mut(&mut hh),
            slice_mut(&mut ch),
        );
        let (prev, next) = hs.split_at_mut((t + 1) * n);
        let (hp, hn) = (&prev[t * n..], &mut next[..n]);
        let (zt, rt, hht, cht) = (
            &mut zs[t * n..(t + 1) * n],
            &mut rs[t * n..(t + 1) * n],
            &mut hhs[t * n..(t + 1) * n],
            &mut chs[t * n..(t + 1) * n],
        );
        let at = &slice(&a)[t * b * g3..(t + 1) * b * g3];
        c.fill(F::zero());
        recurrent_product(
            &mut c,
            hp,
            &uu,
            &mh,
            if l.reset_after { 3 } else { 2 },
            &mut hm,
        );
        if l.reset_after {
            add_rows(&mut c.view_mut(), bh);
        }
        let cs = slice(&c);
        for bi in 0..b {
            let (ar, cr) = (&at[bi * g3..(bi + 1) * g3], &cs[bi * g3..(bi + 1) * g3]);
            for j in 0..u {
                let k = bi * u + j;
                zt[k] = apply(rec, ar[j] + cr[j]);
                rt[k] = apply(rec, ar[u + j] + cr[u + j]);
            }
        }
        if l.reset_after {
            for bi in 0..b {
                let (ar, cr) = (&at[bi * g3..(bi + 1) * g3], &cs[bi * g3..(bi + 1) * g3]);
                for j in 0..u {
                    let k = bi * u + j;
                    cht[k] = cr[2 * u + j];
                    hht[k] = apply(act, ar[2 * u + j] + rt[k] * cht[k]);
                }
            }
        } else {
            // r ⊙ (h ⊙ n_h), then its product with U_h.
            let mask = mh.as_ref().map(|m| slice(&m[2]));
            for k in 0..n {
                cht[k] = rt[k] * hp[k] * mask.map_or(F::one(), |m| m[k]);
            }
            ph.fill(F::zero());
            mm_acc(&mut ph.view_mut(), &view(cht, b, u), &block_view(&uu, 2, u));
            let ps = slice(&ph);
            for bi in 0..b {
                for j in 0..u {
                    let k = bi * u + j;
                    hht[k] = apply(act, at[bi * g3 + 2 * u + j] + ps[k]);
                }
            }
        }
        for k in 0..n {
            hn[k] = zt[k] * hp[k] + (F::one() - zt[k]) * hht[k];
        }
    }
    let y = states_output(&h, t_len, b, l.return_sequences);
    (
        y,
        Cache {
            h,
            z,
            r,
            hh,
            ch,
            mx,
            mh,
        },
    )
}

pub(crate) fn backward<F: Float>(
    l: &Gru<&[F]>,
    g: &mut Gru<&mut [F]>,
    x: &Seq<F>,
    c: &Cache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (t_len, b, i, u) = (x.steps, x.batch, x.width(), l.units as usize);
    let g3 = 3 * u;
    let n = b * u;
    let w = view(l.kernel, i, g3);
    let uu = view(l.recurrent_kernel, u, g3);
    let (act, rec) = (l.activation, l.recurrent_activation);
    let gates = if l.reset_after { 3 } else { 2 };
    let mut da = Array2::<F>::zeros((t_len * b, g3));
    let mut dc = Array2::<F>::zeros((t_len * b, g3));
    let mut dnext = Array2::<F>::zeros((b, u));
    let mut dh = vec![F::zero(); n];
    let mut drh = Array2::<F>::zeros((b, u));
    let mut back = Array2::<F>::zeros((b, u));
    let (hs, zs, rs, hhs, chs) = (
        slice(&c.h),
        slice(&c.z),
        slice(&c.r),
        slice(&c.hh),
        slice(&c.ch),
    );
    for t in (0..t_len).rev() {
        let rows = t * n..(t + 1) * n;
        let dn = slice(&dnext);
        dh.copy_from_slice(dn);
        if let Some(g) = output_grad(&dy, t, t_len, l.return_sequences) {
            dh.iter_mut().zip(g.iter()).for_each(|(d, &v)| *d += v);
        }
        let (hp, zt, rt, hht, cht) = (
            &hs[rows.clone()],
            &zs[rows.clone()],
            &rs[rows.clone()],
            &hhs[rows.clone()],
            &chs[rows.clone()],
        );
        let das = &mut slice_mut(&mut da)[t * b * g3..(t + 1) * b * g3];
        let dcs = &mut slice_mut(&mut dc)[t * b * g3..(t + 1) * b * g3];
        let dprev = slice_mut(&mut dnext);
        // Through h' = z h + (1 - z) hh, and hh's activation.
        for bi in 0..b {
            for j in 0..u {
                let k = bi * u + j;
                let d = dh[k];
                dprev[k] = d * zt[k];
                das[bi * g3 + 2 * u + j] = d * (F::one() - zt[k]) * deriv(act, hht[k]);
                let daz = d * (hp[k] - hht[k]) * deriv(rec, zt[k]);
                das[bi * g3 + j] = daz;
                dcs[bi * g3 + j] = daz;
            }
        }
        if l.reset_after {
            // hh = act(a_h + r ⊙ c_h)
            for bi in 0..b {
                for j in 0..u {
                    let k = bi * u + j;
                    let dah = das[bi * g3 + 2 * u + j];
                    dcs[bi * g3 + 2 * u + j] = dah * rt[k];
                    let dar = dah * cht[k] * deriv(rec, rt[k]);
                    das[bi * g3 + u + j] = dar;
                    dcs[bi * g3 + u + j] = dar;
                }
            }
        } else {
            // hh = act(a_h + (r ⊙ hm_h) · U_h): d(r ⊙ hm_h) = da_h · U_hᵀ.
            drh.fill(F::zero());
            let dah = view(das, b, g3).slice_move(s![.., 2 * u..]);
            mm_acc(&mut drh.view_mut(), &dah, &block_view(&uu, 2, u).t());
            let mask = c.mh.as_ref().map(|m| slice(&m[2]));
            let drs = slice(&drh);
            for bi in 0..b {
                for j in 0..u {
                    let k = bi * u + j;
                    let m = mask.map_or(F::one(), |m| m[k]);
                    dprev[k] += drs[k] * rt[k] * m;
                    let dar = drs[k] * hp[k] * m * deriv(rec, rt[k]);
                    das[bi * g3 + u + j] = dar;
                    dcs[bi * g3 + u + j] = dar;
                }
            }
        }
        // dh_prev += Σ_g (dc_g · U_gᵀ) ⊙ n_g
        let dct = view(dcs, b, g3);
        match &c.mh {
            None => mm_acc(
                &mut view_mut(dprev, b, u),
                &dct.slice(s![.., ..gates * u]),
                &uu.slice(s![.., ..gates * u]).t(),
            ),
            Some(m) => {
                for (gate, mg) in m.iter().enumerate().take(gates) {
                    back.fill(F::zero());
                    mm_acc(
                        &mut back.view_mut(),
                        &dct.slice(s![.., gate * u..(gate + 1) * u]),
                        &block_view(&uu, gate, u).t(),
                    );
                    for ((d, &v), &k) in dprev.iter_mut().zip(slice(&back)).zip(slice(mg)) {
                        *d += v * k;
                    }
                }
            }
        }
    }

    // Weight gradients over all steps at once.
    let h_prev = Seq {
        steps: t_len,
        batch: b,
        data: c.h.slice(s![..t_len * b, ..]).to_owned(),
    };
    let mut du = view_mut(g.recurrent_kernel, u, g3);
    match &c.mh {
        None => mm_acc(
            &mut du.slice_mut(s![.., ..gates * u]),
            &h_prev.data.t(),
            &dc.slice(s![.., ..gates * u]),
        ),
        Some(m) => {
            for (gate, mg) in m.iter().enumerate().take(gates) {
                let hm = masked(&h_prev, mg);
                mm_acc(
                    &mut du.slice_mut(s![.., gate * u..(gate + 1) * u]),
                    &hm.t(),
                    &block(&dc, gate, u),
                );
            }
        }
    }
    if !l.reset_after {
        mm_acc(
            &mut du.slice_mut(s![.., 2 * u..]),
            &c.ch.t(),
            &block(&da, 2, u),
        );
    }
    let (gbx, gbh) = g.bias.split_at_mut(g3);
    col_sums_acc(gbx, &da.view());
    if l.reset_after {
        col_sums_acc(gbh, &dc.view());
    }
    let mut dw = view_mut(g.kernel, i, g3);
    gate_weight_grads(&mut dw, &x.data.view(), b, &da.view(), &c.mx, u);
    let mut dx = Array2::zeros((t_len * b, i));
    let mut scratch = Array2::zeros((0, 0));
    gate_input_grads(
        &mut dx.view_mut(),
        &da.view(),
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
    use nowcast_runtime::layers::Gru;

    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    fn gru(reset_after: bool, return_sequences: bool) -> Layer<Vec<f32>> {
        let (i, u) = (3, 4);
        Layer::Gru(Gru {
            units: u as u32,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            reset_after,
            return_sequences,
            kernel: values(i * 3 * u, 1),
            recurrent_kernel: values(u * 3 * u, 2),
            bias: values(if reset_after { 6 * u } else { 3 * u }, 3),
        })
    }

    #[test]
    fn gradients_match_finite_differences() {
        for reset_after in [true, false] {
            for rs in [true, false] {
                gradients(&gru(reset_after, rs), LayerOpts::default(), 5, 2, 3);
            }
        }
    }

    #[test]
    fn gradients_with_dropout_masks() {
        let opts = LayerOpts {
            dropout: 0.3,
            recurrent_dropout: 0.4,
        };
        gradients(&gru(true, true), opts, 4, 3, 3);
        gradients(&gru(false, false), opts, 4, 3, 3);
    }

    #[test]
    fn forward_matches_runtime() {
        for reset_after in [true, false] {
            for rs in [true, false] {
                agrees_with_runtime(&[gru(reset_after, rs)], 7, 3);
            }
        }
    }
}
