//! Flatten: a sequence of `T` steps of `C` channels to one vector per example, in time-major
//! order (`t·C + c`, Keras' row-major flattening of `(T, C)`); the output is a `Seq` of one
//! step. A vector (one step) passes unchanged. Backward is the inverse reshuffle.

use ndarray::s;

use super::Seq;
use super::float::Float;

pub(crate) fn forward<F: Float>(x: &Seq<F>) -> Seq<F> {
    let (t_len, b, c) = (x.steps, x.batch, x.width());
    let mut y = Seq::zeros(1, b, t_len * c);
    for t in 0..t_len {
        y.data
            .slice_mut(s![.., t * c..(t + 1) * c])
            .assign(&x.step(t));
    }
    y
}

pub(crate) fn backward<F: Float>(x: &Seq<F>, dy: Seq<F>) -> Seq<F> {
    let (t_len, b, c) = (x.steps, x.batch, x.width());
    let mut dx = Seq::zeros(t_len, b, c);
    for t in 0..t_len {
        dx.data
            .slice_mut(s![t * b..(t + 1) * b, ..])
            .assign(&dy.data.slice(s![.., t * c..(t + 1) * c]));
    }
    dx
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::{Conv1d, Dense, Padding};

    use super::*;
    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    #[test]
    fn by_hand() {
        // Two examples of 2 steps × 2 channels: example 0 is [[1, 2], [3, 4]], example 1 [[5, 6], [7, 8]].
        let x = Seq::<f64>::from_batch_major(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 2, 2, 2);
        let y = forward(&x);
        assert_eq!(
            (y.steps, y.data.as_slice()),
            (1, Some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0][..]))
        );
        assert_eq!(backward(&x, y), x);
    }

    #[test]
    fn gradients_match_finite_differences() {
        gradients(&Layer::<Vec<f32>>::Flatten, LayerOpts::default(), 4, 3, 2);
    }

    #[test]
    fn forward_matches_runtime() {
        let conv = Layer::Conv1d(Conv1d {
            filters: 2,
            kernel_size: 3,
            strides: 2,
            dilation: 1,
            padding: Padding::Valid,
            activation: Activation::Relu,
            kernel: values(18, 1),
            bias: values(2, 2),
        });
        // 9 steps → 4 conv outputs of 2 channels → 8 values.
        let head = Layer::Dense(Dense {
            units: 2,
            activation: Activation::Tanh,
            kernel: values(16, 3),
            bias: values(2, 4),
        });
        agrees_with_runtime(&[conv, Layer::Flatten, head], 9, 3);
    }
}
