//! Conv1D as one GEMM per tap. Same conventions as `nowcast_runtime::layers::Conv1d`
//! (channels-last; `kernel` `(kernel_size, in, filters)`, `bias` `(filters)`; `valid` or
//! `causal` padding, dilation `d`, strides `s`).
//!
//! With `pad` the left zero padding (`span - 1` for causal, 0 for valid), output step `t` of
//! an example is
//! ```text
//! y[t] = act(b + Σ_j x[t·s + j·d - pad] · W_j)        (x[p] = 0 for p < 0: the padding)
//! ```
//! for `t < Conv1d::out_steps(T)`, exactly the runtime's output positions; softmax acts over
//! the filters of each output vector. For tap `j`, the output steps whose input exists form one
//! range `t0 .. t0 + n` reading inputs `p0, p0 + s, ...`; their rows (all examples, time-major)
//! form `X_j`, a view of `x` when `s = 1` and gathered rows otherwise, and
//! ```text
//! Y[t0 .. t0 + n] += X_j · W_j                           (forward, one GEMM per tap)
//! dz = act'(y) ⊙ dy   db = Σ dz   dW_j += X_jᵀ · dz[t0 .. t0 + n]
//! dx[rows of X_j] += dz[t0 .. t0 + n] · W_jᵀ
//! ```

use ndarray::{Array2, ArrayView2, linalg::general_mat_mul, s};
use nowcast_runtime::layers::Conv1d;

use super::act;
use super::float::{Float, add_rows, col_sums_acc, mm_acc, view, view_mut};
use super::{NetError, Seq};

/// The output steps `t0 .. t0 + n` that tap `j` contributes to read input steps
/// `p0, p0 + s, ..`.
#[derive(Clone, Copy, Debug)]
struct Tap {
    j: usize,
    t0: usize,
    n: usize,
    p0: usize,
}

/// The taps with at least one real (unpadded) input.
fn taps<T>(l: &Conv1d<T>, steps: usize, out_steps: usize) -> impl Iterator<Item = Tap> {
    let (s, d, pad) = (l.strides as usize, l.dilation as usize, l.pad());
    (0..l.kernel_size as usize).filter_map(move |j| {
        // Output t reads input t·s + j·d - pad.
        let first = (pad.saturating_sub(j * d)).div_ceil(s);
        let last_input = (steps + pad).checked_sub(j * d + 1)?;
        let end = (last_input / s + 1).min(out_steps);
        (first < end).then(|| Tap {
            j,
            t0: first,
            n: end - first,
            p0: first * s + j * d - pad,
        })
    })
}

/// The rows of `x` that tap `tap` reads: a view for stride 1, else gathered into `buf`.
fn tap_rows<'a, F: Float>(
    x: &'a Seq<F>,
    tap: Tap,
    s: usize,
    buf: &'a mut Array2<F>,
) -> ArrayView2<'a, F> {
    let b = x.batch;
    if s == 1 {
        return x.data.slice(s![tap.p0 * b..(tap.p0 + tap.n) * b, ..]);
    }
    if buf.dim() != (tap.n * b, x.width()) {
        *buf = Array2::zeros((tap.n * b, x.width()));
    }
    for q in 0..tap.n {
        buf.slice_mut(s![q * b..(q + 1) * b, ..])
            .assign(&x.step(tap.p0 + q * s));
    }
    buf.view()
}

pub(crate) fn forward<F: Float>(
    index: usize,
    l: &Conv1d<&[F]>,
    x: &Seq<F>,
) -> Result<Seq<F>, NetError> {
    let (b, cin, f) = (x.batch, x.width(), l.filters as usize);
    let out_steps = l.out_steps(x.steps).ok_or(NetError::TooShort {
        index,
        steps: x.steps,
    })?;
    let mut y = Array2::zeros((out_steps * b, f));
    add_rows(&mut y.view_mut(), l.bias);
    let mut buf = Array2::zeros((0, 0));
    for tap in taps(l, x.steps, out_steps) {
        let rows = tap_rows(x, tap, l.strides as usize, &mut buf);
        let w = view(&l.kernel[tap.j * cin * f..(tap.j + 1) * cin * f], cin, f);
        mm_acc(
            &mut y.slice_mut(s![tap.t0 * b..(tap.t0 + tap.n) * b, ..]),
            &rows,
            &w,
        );
    }
    act::apply_all(l.activation, y.as_slice_mut().expect("standard layout"), f);
    Ok(Seq {
        steps: out_steps,
        batch: b,
        data: y,
    })
}

pub(crate) fn backward<F: Float>(
    l: &Conv1d<&[F]>,
    g: &mut Conv1d<&mut [F]>,
    x: &Seq<F>,
    y: &Seq<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (b, cin, f, s) = (x.batch, x.width(), l.filters as usize, l.strides as usize);
    let mut dz = dy.data;
    act::backward_all(
        l.activation,
        y.data.as_slice().expect("standard layout"),
        dz.as_slice_mut().expect("standard layout"),
        f,
    );
    col_sums_acc(g.bias, &dz.view());
    let mut dx = Array2::zeros((x.steps * b, cin));
    let (mut buf, mut back) = (Array2::zeros((0, 0)), Array2::zeros((0, 0)));
    for tap in taps(l, x.steps, y.steps) {
        let range = tap.j * cin * f..(tap.j + 1) * cin * f;
        let (w, dw) = (view(&l.kernel[range.clone()], cin, f), &mut g.kernel[range]);
        let dzt = dz.slice(s![tap.t0 * b..(tap.t0 + tap.n) * b, ..]);
        let rows = tap_rows(x, tap, s, &mut buf);
        mm_acc(&mut view_mut(dw, cin, f), &rows.t(), &dzt);
        if s == 1 {
            mm_acc(
                &mut dx.slice_mut(s![tap.p0 * b..(tap.p0 + tap.n) * b, ..]),
                &dzt,
                &w.t(),
            );
        } else {
            if back.dim() != (tap.n * b, cin) {
                back = Array2::zeros((tap.n * b, cin));
            }
            general_mat_mul(F::one(), &dzt, &w.t(), F::zero(), &mut back);
            for q in 0..tap.n {
                let p = tap.p0 + q * s;
                let mut d = dx.slice_mut(s![p * b..(p + 1) * b, ..]);
                d += &back.slice(s![q * b..(q + 1) * b, ..]);
            }
        }
    }
    Seq {
        steps: x.steps,
        batch: b,
        data: dx,
    }
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::{Conv1d, Padding};

    use super::*;
    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    fn conv(
        padding: Padding,
        kernel_size: u32,
        dilation: u32,
        strides: u32,
        activation: Activation,
    ) -> Layer<Vec<f32>> {
        let (i, f) = (3, 4);
        Layer::Conv1d(Conv1d {
            filters: f as u32,
            kernel_size,
            strides,
            dilation,
            padding,
            activation,
            kernel: values(kernel_size as usize * i * f, 1),
            bias: values(f, 2),
        })
    }

    #[test]
    fn by_hand() {
        // The runtime's hand-checked case: taps [1, 10], y[t] = x[t - d] + 10 x[t].
        let l = Conv1d {
            filters: 1,
            kernel_size: 2,
            strides: 1,
            dilation: 2,
            padding: Padding::Causal,
            activation: Activation::Linear,
            kernel: &[1.0, 10.0][..],
            bias: &[0.0][..],
        };
        let x = Seq::<f64>::from_batch_major(&[1.0, 2.0, 3.0, 4.0], 1, 4, 1);
        let y = forward(0, &l, &x).expect("long enough");
        assert_eq!(y.data.as_slice(), Some(&[10.0, 20.0, 31.0, 42.0][..]));
        let valid = Conv1d {
            padding: Padding::Valid,
            dilation: 1,
            ..l
        };
        assert_eq!(
            forward(0, &valid, &x).expect("long enough").data.as_slice(),
            Some(&[21.0, 32.0, 43.0][..])
        );
        let short = Seq::<f64>::from_batch_major(&[1.0], 1, 1, 1);
        assert_eq!(
            forward(3, &valid, &short),
            Err(NetError::TooShort { index: 3, steps: 1 })
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        let o = LayerOpts::default();
        for padding in [Padding::Valid, Padding::Causal] {
            gradients(&conv(padding, 3, 1, 1, Activation::Tanh), o, 7, 2, 3);
            gradients(&conv(padding, 3, 2, 1, Activation::Linear), o, 8, 2, 3);
            gradients(&conv(padding, 2, 1, 2, Activation::Sigmoid), o, 7, 2, 3);
            gradients(&conv(padding, 3, 2, 3, Activation::Tanh), o, 10, 2, 3);
            gradients(&conv(padding, 2, 3, 2, Activation::Softmax), o, 9, 3, 3);
            gradients(&conv(padding, 1, 1, 2, Activation::Relu), o, 5, 2, 3);
        }
    }

    #[test]
    fn forward_matches_runtime() {
        agrees_with_runtime(&[conv(Padding::Causal, 3, 2, 2, Activation::Tanh)], 11, 3);
        agrees_with_runtime(&[conv(Padding::Valid, 3, 2, 3, Activation::Softmax)], 12, 3);
        agrees_with_runtime(&[conv(Padding::Valid, 2, 1, 1, Activation::Relu)], 6, 3);
    }
}
