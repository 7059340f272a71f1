//! MaxPooling1D / AveragePooling1D with `valid` padding. Same conventions as
//! `nowcast_runtime::layers::Pooling`: output step `t` pools input steps
//! `t·s .. t·s + pool_size - 1` of each example and channel; `(T - pool_size) / s + 1` outputs.
//!
//! ```text
//! max:      y[t] = max_k x[t·s + k]          dx[t·s + k*] += dy[t]   (k* the first maximum)
//! average:  y[t] = (Σ_k x[t·s + k]) / p      dx[t·s + k]  += dy[t] / p
//! ```
//! **Ties.** The runtime scans a window oldest to newest with `o = o.max(v)`, which keeps `o`
//! when `v == o` (`f32::max` returns the other operand only when one is NaN). The trainer scans
//! in the same order and takes `v` only when `v > o` (or `o` is NaN, as `max` does), so the
//! value equals the runtime's and the gradient goes to the **oldest** maximal element of each
//! window. Overlapping windows (`s < pool_size`) add their gradients.

use ndarray::{Array2, Zip, s};
use nowcast_runtime::layers::Pooling;

use super::float::Float;
use super::{NetError, Seq};

/// Pools windows of `size` steps every `strides` steps; returns the pooled sequence and, for
/// max, the input step of each output element's maximum (`out_steps·B × C`).
pub(crate) fn pool<F: Float>(
    x: &Seq<F>,
    size: usize,
    strides: usize,
    out_steps: usize,
    average: bool,
) -> (Seq<F>, Option<Array2<u32>>) {
    let (b, c) = (x.batch, x.width());
    let mut y = Array2::zeros((out_steps * b, c));
    let mut arg = (!average).then(|| Array2::<u32>::zeros((out_steps * b, c)));
    for t in 0..out_steps {
        let first = t * strides;
        let mut yt = y.slice_mut(s![t * b..(t + 1) * b, ..]);
        yt.assign(&x.step(first));
        match &mut arg {
            Some(arg) => {
                let mut at = arg.slice_mut(s![t * b..(t + 1) * b, ..]);
                at.fill(first as u32);
                for k in first + 1..first + size {
                    Zip::from(&mut yt)
                        .and(&mut at)
                        .and(&x.step(k))
                        .for_each(|o, a, &v| {
                            if v > *o || o.is_nan() {
                                *o = v;
                                *a = k as u32;
                            }
                        });
                }
            }
            None => {
                for k in first + 1..first + size {
                    yt += &x.step(k);
                }
                let n = F::of(size as f64);
                yt.mapv_inplace(|v| v / n);
            }
        }
    }
    (
        Seq {
            steps: out_steps,
            batch: b,
            data: y,
        },
        arg,
    )
}

/// The input gradient of [`pool`] over `steps` input steps.
pub(crate) fn pool_backward<F: Float>(
    steps: usize,
    size: usize,
    strides: usize,
    arg: Option<&Array2<u32>>,
    dy: &Seq<F>,
) -> Seq<F> {
    let b = dy.batch;
    let mut dx = Seq::zeros(steps, b, dy.width());
    match arg {
        Some(arg) => {
            for ((row, ch), &k) in arg.indexed_iter() {
                dx.data[(k as usize * b + row % b, ch)] += dy.data[(row, ch)];
            }
        }
        None => {
            let n = F::of(size as f64);
            let share = dy.data.mapv(|v| v / n);
            for t in 0..dy.steps {
                let from = share.slice(s![t * b..(t + 1) * b, ..]);
                for k in t * strides..t * strides + size {
                    let mut d = dx.data.slice_mut(s![k * b..(k + 1) * b, ..]);
                    d += &from;
                }
            }
        }
    }
    dx
}

pub(crate) fn forward<F: Float>(
    index: usize,
    p: &Pooling,
    average: bool,
    x: &Seq<F>,
) -> Result<(Seq<F>, Option<Array2<u32>>), NetError> {
    let out_steps = p.out_steps(x.steps).ok_or(NetError::TooShort {
        index,
        steps: x.steps,
    })?;
    Ok(pool(
        x,
        p.pool_size as usize,
        p.strides as usize,
        out_steps,
        average,
    ))
}

pub(crate) fn backward<F: Float>(
    p: &Pooling,
    x: &Seq<F>,
    arg: Option<&Array2<u32>>,
    dy: Seq<F>,
) -> Seq<F> {
    pool_backward(x.steps, p.pool_size as usize, p.strides as usize, arg, &dy)
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::layers::{Conv1d, Padding, Pooling};

    use super::*;
    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    #[test]
    fn by_hand() {
        // The runtime's hand-checked case.
        let x = Seq::<f64>::from_batch_major(&[1.0, 5.0, 2.0, 4.0, 3.0, 0.0, 7.0], 1, 7, 1);
        let p = Pooling {
            pool_size: 3,
            strides: 2,
        };
        let (y, arg) = forward(0, &p, false, &x).expect("long enough");
        assert_eq!(y.data.as_slice(), Some(&[5.0, 4.0, 7.0][..]));
        let (avg, _) = forward(0, &p, true, &x).expect("long enough");
        assert_eq!(avg.data.as_slice(), Some(&[8.0 / 3.0, 3.0, 10.0 / 3.0][..]));
        // Ties: the oldest maximum gets the gradient; overlapping windows add up.
        let x = Seq::<f64>::from_batch_major(&[2.0, 3.0, 3.0, 1.0], 1, 4, 1);
        let p = Pooling {
            pool_size: 2,
            strides: 1,
        };
        let (y, arg2) = forward(0, &p, false, &x).expect("long enough");
        let dx = backward(
            &p,
            &x,
            arg2.as_ref(),
            Seq {
                data: Array2::ones((3, 1)),
                ..y
            },
        );
        assert_eq!(dx.data.as_slice(), Some(&[0.0, 2.0, 1.0, 0.0][..]));
        assert!(arg.is_some());
        assert_eq!(
            forward(1, &p, true, &Seq::<f64>::zeros(1, 2, 1)),
            Err(NetError::TooShort { index: 1, steps: 1 })
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        for (pool_size, strides) in [(2, 2), (3, 1), (3, 2), (2, 3)] {
            let p = Pooling { pool_size, strides };
            gradients(
                &Layer::<Vec<f32>>::MaxPooling1d(p),
                LayerOpts::default(),
                9,
                2,
                3,
            );
            gradients(
                &Layer::<Vec<f32>>::AveragePooling1d(p),
                LayerOpts::default(),
                9,
                2,
                3,
            );
        }
    }

    #[test]
    fn forward_matches_runtime() {
        // After a causal Conv1D, so that the pooled values are not the raw inputs.
        let conv = Layer::Conv1d(Conv1d {
            filters: 3,
            kernel_size: 2,
            strides: 1,
            dilation: 1,
            padding: Padding::Causal,
            activation: nowcast_runtime::activation::Activation::Tanh,
            kernel: values(12, 1),
            bias: values(3, 2),
        });
        let p = Pooling {
            pool_size: 3,
            strides: 2,
        };
        agrees_with_runtime(&[conv.clone(), Layer::MaxPooling1d(p)], 10, 2);
        agrees_with_runtime(&[conv, Layer::AveragePooling1d(p)], 10, 2);
    }
}
