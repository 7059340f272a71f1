//! The gate products the recurrent layers (SimpleRNN, LSTM) share, forward and backward, with
//! Keras' per-gate dropout masks (`implementation=1`).
//!
//! A kernel `W` (`width × gates·u`) is `gates` column blocks `W_g` of `u` columns. Rows of the
//! left operand come in blocks of `batch` rows, one block per time step (the [`Seq`] layout), and
//! a mask `m_g` is `batch × width`, the same at every step. Without masks, gate `g` sees `a` and
//! all gates are one GEMM `a · W`; with masks it sees `a ⊙ m_g`:
//!
//! ```text
//! z_g += (a ⊙ m_g) · W_g            gate_products
//! dW_g += (a ⊙ m_g)ᵀ · dz_g          gate_weight_grads   (all steps in one GEMM per gate)
//! da = Σ_g (dz_g · W_gᵀ) ⊙ m_g       gate_input_grads
//! ```
//!
//! [`Seq`]: super::Seq

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip, linalg::general_mat_mul, s};

use super::float::{Float, mm_acc};
use super::{Seq, mask_steps};

/// Per-gate masks (`None`: no dropout).
pub(crate) type Masks<F> = Option<Vec<Array2<F>>>;

/// Makes `scratch` a `rows × cols` matrix, reallocating only if its shape differs.
fn fit<F: Float>(scratch: &mut Array2<F>, rows: usize, cols: usize) {
    if scratch.dim() != (rows, cols) {
        *scratch = Array2::zeros((rows, cols));
    }
}

/// `z += (a ⊙ m_g) · W_g` for every gate (`z` has `gates · u` columns). `scratch` holds the
/// masked operand and is reused between calls.
pub(crate) fn gate_products<F: Float>(
    z: &mut ArrayViewMut2<'_, F>,
    a: &ArrayView2<'_, F>,
    batch: usize,
    w: &ArrayView2<'_, F>,
    masks: &Masks<F>,
    u: usize,
    scratch: &mut Array2<F>,
) {
    match masks {
        None => mm_acc(z, a, w),
        Some(masks) => {
            fit(scratch, a.nrows(), a.ncols());
            for (g, m) in masks.iter().enumerate() {
                scratch.assign(a);
                mask_steps(&mut scratch.view_mut(), batch, m);
                mm_acc(
                    &mut z.slice_mut(s![.., g * u..(g + 1) * u]),
                    &scratch.view(),
                    &w.slice(s![.., g * u..(g + 1) * u]),
                );
            }
        }
    }
}

/// `dW_g += (a ⊙ m_g)ᵀ · dz_g` for every gate.
pub(crate) fn gate_weight_grads<F: Float>(
    dw: &mut ArrayViewMut2<'_, F>,
    a: &ArrayView2<'_, F>,
    batch: usize,
    dz: &ArrayView2<'_, F>,
    masks: &Masks<F>,
    u: usize,
) {
    match masks {
        None => mm_acc(dw, &a.t(), dz),
        Some(masks) => {
            let mut am = Array2::zeros(a.dim());
            for (g, m) in masks.iter().enumerate() {
                am.assign(a);
                mask_steps(&mut am.view_mut(), batch, m);
                mm_acc(
                    &mut dw.slice_mut(s![.., g * u..(g + 1) * u]),
                    &am.t(),
                    &dz.slice(s![.., g * u..(g + 1) * u]),
                );
            }
        }
    }
}

/// `da = Σ_g (dz_g · W_gᵀ) ⊙ m_g` (overwrites `da`). `scratch` is reused between calls.
pub(crate) fn gate_input_grads<F: Float>(
    da: &mut ArrayViewMut2<'_, F>,
    dz: &ArrayView2<'_, F>,
    batch: usize,
    w: &ArrayView2<'_, F>,
    masks: &Masks<F>,
    u: usize,
    scratch: &mut Array2<F>,
) {
    match masks {
        None => general_mat_mul(F::one(), dz, &w.t(), F::zero(), da),
        Some(masks) => {
            fit(scratch, da.nrows(), da.ncols());
            da.fill(F::zero());
            for (g, m) in masks.iter().enumerate() {
                let (dzg, wg) = (
                    dz.slice(s![.., g * u..(g + 1) * u]),
                    w.slice(s![.., g * u..(g + 1) * u]),
                );
                general_mat_mul(F::one(), &dzg, &wg.t(), F::zero(), scratch);
                mask_steps(&mut scratch.view_mut(), batch, m);
                Zip::from(&mut *da).and(&*scratch).for_each(|d, &s| *d += s);
            }
        }
    }
}

/// The layer's output from its states `h_0 .. h_T` (`(T+1)·B × U`): `h_1 .. h_T` with
/// `return_sequences`, else `h_T` alone.
pub(crate) fn states_output<F: Float>(
    h: &Array2<F>,
    steps: usize,
    batch: usize,
    return_sequences: bool,
) -> Seq<F> {
    let (first, out_steps) = if return_sequences {
        (batch, steps)
    } else {
        (steps * batch, 1)
    };
    Seq {
        steps: out_steps,
        batch,
        data: h.slice(s![first.., ..]).to_owned(),
    }
}

/// The gradient arriving at the state of step `t` from the layer's output (`B × U`): every step
/// with `return_sequences`, else only the last.
pub(crate) fn output_grad<F: Float>(
    dy: &Seq<F>,
    t: usize,
    steps: usize,
    return_sequences: bool,
) -> Option<ArrayView2<'_, F>> {
    if return_sequences {
        Some(dy.step(t))
    } else if t + 1 == steps {
        Some(dy.data.view())
    } else {
        None
    }
}
