//! Embedding: token id `k` to row `k` of the table. Same conventions as
//! `nowcast_runtime::layers::Embedding` (`embeddings` `(input_dim, output_dim)`): the input is a
//! `Seq` of width 1 holding token ids as floats, read as the runtime does (`v as usize`, an id
//! `>= input_dim` gives a zero row).
//!
//! Backward: `dE[k] += Σ dy[rows whose id is k]`. The output is piecewise constant in the ids,
//! so `dx` is zero.

use nowcast_runtime::layers::Embedding;

use super::Seq;
use super::float::{Float, view, view_mut};

/// The table row of an id, if it is in range.
fn row<F: Float>(id: F, input_dim: usize) -> Option<usize> {
    let k = id.to64() as usize;
    (k < input_dim).then_some(k)
}

pub(crate) fn forward<F: Float>(l: &Embedding<&[F]>, x: &Seq<F>) -> Seq<F> {
    let (n, d) = (l.input_dim as usize, l.output_dim as usize);
    let table = view(l.embeddings, n, d);
    let mut y = Seq::zeros(x.steps, x.batch, d);
    for (mut out, &id) in y.data.rows_mut().into_iter().zip(x.data.column(0)) {
        if let Some(k) = row(id, n) {
            out.assign(&table.row(k));
        }
    }
    y
}

pub(crate) fn backward<F: Float>(
    l: &Embedding<&[F]>,
    g: &mut Embedding<&mut [F]>,
    x: &Seq<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let (n, d) = (l.input_dim as usize, l.output_dim as usize);
    let mut table = view_mut(g.embeddings, n, d);
    for (d_out, &id) in dy.data.rows().into_iter().zip(x.data.column(0)) {
        if let Some(k) = row(id, n) {
            let mut r = table.row_mut(k);
            r += &d_out;
        }
    }
    Seq::zeros(x.steps, x.batch, x.width())
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::{Embedding, Gru};

    use super::*;
    use crate::net::LayerOpts;
    use crate::net::check::{InputGradient, agrees_with_runtime, gradients_at, values};

    #[test]
    fn by_hand() {
        let e = Embedding {
            input_dim: 3,
            output_dim: 2,
            embeddings: &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0][..],
        };
        let x = Seq::<f64>::from_batch_major(&[2.0, 0.0, 2.0, 7.0], 1, 4, 1);
        let y = forward(&e, &x);
        assert_eq!(
            y.data.as_slice(),
            Some(&[4.0, 5.0, 0.0, 1.0, 4.0, 5.0, 0.0, 0.0][..])
        );
        let mut grad = vec![0.0; 6];
        let mut g = Embedding {
            input_dim: 3,
            output_dim: 2,
            embeddings: &mut grad[..],
        };
        let dx = backward(
            &e,
            &mut g,
            &x,
            Seq {
                data: ndarray::Array2::ones((4, 2)),
                ..y
            },
        );
        // Id 2 twice, id 0 once, id 1 never; the out-of-range id 7 has no row.
        assert_eq!(grad, [1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
        assert_eq!(dx, Seq::zeros(4, 1, 1));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let layer = Layer::Embedding(Embedding {
            input_dim: 5,
            output_dim: 3,
            embeddings: values(15, 1),
        });
        // Ids of 3 steps × 4 examples, with repeats (rows that collect several gradients).
        let ids = [0.0, 4.0, 2.0, 2.0, 1.0, 4.0, 4.0, 0.0, 3.0, 1.0, 2.0, 4.0];
        let x = Seq::<f64>::from_batch_major(&ids, 4, 3, 1);
        gradients_at(&layer, LayerOpts::default(), &x, InputGradient::Zero);
    }

    #[test]
    fn forward_matches_runtime() {
        let (vocab, d, u) = (6, 3, 2);
        let emb = Layer::Embedding(Embedding {
            input_dim: vocab,
            output_dim: d,
            embeddings: values(vocab as usize * d as usize, 1),
        });
        let gru = Layer::Gru(Gru {
            units: u,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            reset_after: true,
            return_sequences: false,
            kernel: values(d as usize * 3 * u as usize, 2),
            recurrent_kernel: values(u as usize * 3 * u as usize, 3),
            bias: values(6 * u as usize, 4),
        });
        agrees_with_runtime(std::slice::from_ref(&emb), 5, 1);
        agrees_with_runtime(&[emb, gru], 5, 1);
    }
}
