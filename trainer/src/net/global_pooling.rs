//! GlobalMaxPooling1D / GlobalAveragePooling1D: one vector per example from a whole sequence.
//! Same conventions as `nowcast_runtime`'s window mode: per channel, the max over all `T` steps
//! or their sum in time order divided by `T`; the output is a `Seq` of one step.
//!
//! This is `pooling::pool` with one window of `T` steps, so the gradient rules
//! (and the tie rule: the oldest maximum gets the gradient) are the pooling layers'.

use ndarray::Array2;

use super::Seq;
use super::float::Float;
use super::pooling::{pool, pool_backward};

pub(crate) fn forward<F: Float>(average: bool, x: &Seq<F>) -> (Seq<F>, Option<Array2<u32>>) {
    pool(x, x.steps, 1, 1, average)
}

pub(crate) fn backward<F: Float>(x: &Seq<F>, arg: Option<&Array2<u32>>, dy: Seq<F>) -> Seq<F> {
    pool_backward(x.steps, x.steps, 1, arg, &dy)
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::{Dense, SimpleRnn};

    use super::*;
    use crate::net::LayerOpts;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    #[test]
    fn by_hand() {
        // The runtime's hand-checked case: 3 steps of 2 channels.
        let x = Seq::<f64>::from_batch_major(&[1.0, -1.0, 3.0, -5.0, 2.0, 0.0], 1, 3, 2);
        let (max, arg) = forward(false, &x);
        assert_eq!((max.steps, max.data.as_slice()), (1, Some(&[3.0, 0.0][..])));
        let (avg, _) = forward(true, &x);
        assert_eq!(avg.data.as_slice(), Some(&[2.0, -2.0][..]));
        let dx = backward(
            &x,
            arg.as_ref(),
            Seq {
                data: Array2::from_elem((1, 2), 1.0),
                ..max
            },
        );
        assert_eq!(
            dx.data.as_slice(),
            Some(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0][..])
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        for layer in [
            Layer::<Vec<f32>>::GlobalMaxPooling1d,
            Layer::GlobalAveragePooling1d,
        ] {
            gradients(&layer, LayerOpts::default(), 6, 3, 2);
            gradients(&layer, LayerOpts::default(), 1, 2, 3);
        }
    }

    #[test]
    fn forward_matches_runtime() {
        // After a recurrent layer with return_sequences, then a Dense head.
        let rnn = Layer::SimpleRnn(SimpleRnn {
            units: 3,
            activation: Activation::Tanh,
            return_sequences: true,
            kernel: values(6, 1),
            recurrent_kernel: values(9, 2),
            bias: values(3, 3),
        });
        let head = Layer::Dense(Dense {
            units: 1,
            activation: Activation::Linear,
            kernel: values(3, 4),
            bias: values(1, 5),
        });
        agrees_with_runtime(
            &[rnn.clone(), Layer::GlobalMaxPooling1d, head.clone()],
            8,
            2,
        );
        agrees_with_runtime(&[rnn, Layer::GlobalAveragePooling1d, head], 8, 2);
    }
}
