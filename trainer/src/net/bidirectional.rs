//! Bidirectional (`merge_mode = "concat"`). Same conventions as
//! `nowcast_runtime::layers::Bidirectional`: the forward cell runs over the sequence, the
//! backward cell (its own weights) over the sequence reversed in time, both from zero state;
//! the output is `[forward ; backward]` per row: both final states, or with `return_sequences`
//! at step `t` the forward output after step `t` and the backward output after it consumed
//! steps `T-1 .. t` (its sequence re-reversed, as Keras does).
//!
//! The cells are the SimpleRNN/LSTM/GRU layers' own forward and backward passes, run on a
//! time-reversed copy of the input for the backward direction:
//! ```text
//! y_f = cell_f(x)     y_b = rev(cell_b(rev(x)))          (rev: only with return_sequences)
//! dx = dcell_f(dy_f) + rev(dcell_b(rev(dy_b)))
//! ```
//! Dropout options apply to both directions; each cell draws its own masks (forward first).

use ndarray::{Array2, s};
use nowcast_runtime::layers::{Bidirectional, Cell};

use super::float::Float;
use super::{Ctx, LayerOpts, NetError, Seq, gru, lstm, simple_rnn};

/// The cache of one direction.
#[derive(Debug)]
pub(crate) enum CellCache<F> {
    SimpleRnn(simple_rnn::Cache<F>),
    Lstm(lstm::Cache<F>),
    Gru(gru::Cache<F>),
}

/// What the backward pass needs.
#[derive(Debug)]
pub(crate) struct Cache<F> {
    forward: CellCache<F>,
    backward: CellCache<F>,
    /// The input reversed in time (the backward cell's input).
    reversed: Seq<F>,
}

fn units<T>(cell: &Cell<T>) -> usize {
    match cell {
        Cell::SimpleRnn(c) => c.units as usize,
        Cell::Lstm(c) => c.units as usize,
        Cell::Gru(c) => c.units as usize,
    }
}

fn return_sequences<T>(cell: &Cell<T>) -> bool {
    match cell {
        Cell::SimpleRnn(c) => c.return_sequences,
        Cell::Lstm(c) => c.return_sequences,
        Cell::Gru(c) => c.return_sequences,
    }
}

/// `x` with its steps in reverse order.
fn reversed<F: Float>(x: &Seq<F>) -> Seq<F> {
    let (t_len, b) = (x.steps, x.batch);
    let mut r = Seq::zeros(t_len, b, x.width());
    for t in 0..t_len {
        r.data
            .slice_mut(s![(t_len - 1 - t) * b..(t_len - t) * b, ..])
            .assign(&x.step(t));
    }
    r
}

fn cell_forward<F: Float>(
    cell: &Cell<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
) -> (Seq<F>, CellCache<F>) {
    match cell {
        Cell::SimpleRnn(l) => {
            let (y, c) = simple_rnn::forward(l, opts, x, ctx, None);
            (y, CellCache::SimpleRnn(c))
        }
        Cell::Lstm(l) => {
            let (y, c) = lstm::forward(l, opts, x, ctx, None);
            (y, CellCache::Lstm(c))
        }
        Cell::Gru(l) => {
            let (y, c) = gru::forward(l, opts, x, ctx, None);
            (y, CellCache::Gru(c))
        }
    }
}

fn cell_backward<F: Float>(
    cell: &Cell<&[F]>,
    g: &mut Cell<&mut [F]>,
    x: &Seq<F>,
    cache: &CellCache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    match (cell, g, cache) {
        (Cell::SimpleRnn(l), Cell::SimpleRnn(g), CellCache::SimpleRnn(c)) => {
            simple_rnn::backward(l, g, x, c, dy)
        }
        (Cell::Lstm(l), Cell::Lstm(g), CellCache::Lstm(c)) => lstm::backward(l, g, x, c, dy),
        (Cell::Gru(l), Cell::Gru(g), CellCache::Gru(c)) => gru::backward(l, g, x, c, dy),
        _ => unreachable!("parameters, gradients and cache come from the same layer"),
    }
}

pub(crate) fn forward<F: Float>(
    index: usize,
    l: &Bidirectional<&[F]>,
    opts: &LayerOpts,
    x: &Seq<F>,
    ctx: &mut Ctx,
) -> Result<(Seq<F>, Cache<F>), NetError> {
    let rs = return_sequences(&l.forward);
    if rs != return_sequences(&l.backward) {
        return Err(NetError::DirectionMismatch { index });
    }
    let (yf, forward) = cell_forward(&l.forward, opts, x, ctx);
    let rev = reversed(x);
    let (yb, backward) = cell_forward(&l.backward, opts, &rev, ctx);
    let yb = if rs { reversed(&yb) } else { yb };
    let fu = units(&l.forward);
    let mut data = Array2::zeros((yf.data.nrows(), fu + units(&l.backward)));
    data.slice_mut(s![.., ..fu]).assign(&yf.data);
    data.slice_mut(s![.., fu..]).assign(&yb.data);
    Ok((
        Seq {
            steps: yf.steps,
            batch: yf.batch,
            data,
        },
        Cache {
            forward,
            backward,
            reversed: rev,
        },
    ))
}

pub(crate) fn backward<F: Float>(
    l: &Bidirectional<&[F]>,
    g: &mut Bidirectional<&mut [F]>,
    x: &Seq<F>,
    c: &Cache<F>,
    dy: Seq<F>,
) -> Seq<F> {
    let fu = units(&l.forward);
    let part = |cols: ndarray::ArrayView2<'_, F>| Seq {
        steps: dy.steps,
        batch: dy.batch,
        data: cols.to_owned(),
    };
    let (dyf, dyb) = (
        part(dy.data.slice(s![.., ..fu])),
        part(dy.data.slice(s![.., fu..])),
    );
    let dyb = if return_sequences(&l.backward) {
        reversed(&dyb)
    } else {
        dyb
    };
    let mut dx = cell_backward(&l.forward, &mut g.forward, x, &c.forward, dyf);
    let dxb = cell_backward(&l.backward, &mut g.backward, &c.reversed, &c.backward, dyb);
    dx.data += &reversed(&dxb).data;
    dx
}

#[cfg(test)]
mod tests {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::layers::{Bidirectional, Cell, Dense, Gru, Lstm, SimpleRnn};

    use super::*;
    use crate::net::check::{agrees_with_runtime, gradients, values};

    const INPUT: usize = 3;

    /// A cell of each kind with its own weights (`seed`), `units` wide.
    fn cell(kind: usize, units: u32, return_sequences: bool, seed: u64) -> Cell<Vec<f32>> {
        let (i, u) = (INPUT, units as usize);
        let (act, rec) = (Activation::Tanh, Activation::Sigmoid);
        match kind {
            0 => Cell::SimpleRnn(SimpleRnn {
                units,
                activation: act,
                return_sequences,
                kernel: values(i * u, seed),
                recurrent_kernel: values(u * u, seed + 1),
                bias: values(u, seed + 2),
            }),
            1 => Cell::Lstm(Lstm {
                units,
                activation: act,
                recurrent_activation: rec,
                return_sequences,
                kernel: values(i * 4 * u, seed),
                recurrent_kernel: values(u * 4 * u, seed + 1),
                bias: values(4 * u, seed + 2),
            }),
            _ => Cell::Gru(Gru {
                units,
                activation: act,
                recurrent_activation: rec,
                reset_after: kind == 2,
                return_sequences,
                kernel: values(i * 3 * u, seed),
                recurrent_kernel: values(u * 3 * u, seed + 1),
                bias: values(if kind == 2 { 6 * u } else { 3 * u }, seed + 2),
            }),
        }
    }

    /// Forward and backward cells of the same kind but different widths and weights.
    fn bidi(kind: usize, return_sequences: bool) -> Layer<Vec<f32>> {
        Layer::Bidirectional(Bidirectional {
            forward: cell(kind, 3, return_sequences, 10),
            backward: cell(kind, 2, return_sequences, 20),
        })
    }

    #[test]
    fn by_hand() {
        // The runtime's case: linear SimpleRNN h = x + h_prev, the forward direction sums the
        // prefix, the backward one the suffix.
        let c = || {
            Cell::SimpleRnn(SimpleRnn {
                units: 1,
                activation: Activation::Linear,
                return_sequences: true,
                kernel: &[1.0][..],
                recurrent_kernel: &[1.0][..],
                bias: &[0.0][..],
            })
        };
        let l = Bidirectional {
            forward: c(),
            backward: c(),
        };
        let x = Seq::<f64>::from_batch_major(&[1.0, 2.0, 3.0], 1, 3, 1);
        let mut ctx = Ctx {
            train: false,
            rng: rand::SeedableRng::seed_from_u64(0),
        };
        let (y, _) = forward(0, &l, &LayerOpts::default(), &x, &mut ctx).expect("same directions");
        assert_eq!(y.data.as_slice(), Some(&[1.0, 6.0, 3.0, 5.0, 6.0, 3.0][..]));
        let mixed = Bidirectional {
            backward: Cell::SimpleRnn(SimpleRnn {
                return_sequences: false,
                kernel: &[1.0][..],
                recurrent_kernel: &[1.0][..],
                bias: &[0.0][..],
                units: 1,
                activation: Activation::Linear,
            }),
            ..l
        };
        assert!(matches!(
            forward(4, &mixed, &LayerOpts::default(), &x, &mut ctx),
            Err(NetError::DirectionMismatch { index: 4 })
        ));
    }

    #[test]
    fn gradients_match_finite_differences() {
        // SimpleRNN, LSTM, GRU reset_after, GRU reset_before.
        for kind in 0..4 {
            for rs in [true, false] {
                gradients(&bidi(kind, rs), LayerOpts::default(), 4, 2, INPUT);
            }
        }
    }

    #[test]
    fn gradients_with_dropout_masks() {
        let opts = LayerOpts {
            dropout: 0.3,
            recurrent_dropout: 0.4,
        };
        for kind in 0..4 {
            gradients(&bidi(kind, kind % 2 == 0), opts, 4, 3, INPUT);
        }
    }

    #[test]
    fn forward_matches_runtime() {
        let head = Layer::Dense(Dense {
            units: 2,
            activation: Activation::Linear,
            kernel: values(10, 1),
            bias: values(2, 2),
        });
        for kind in 0..4 {
            agrees_with_runtime(&[bidi(kind, true)], 6, INPUT);
            agrees_with_runtime(&[bidi(kind, false), head.clone()], 6, INPUT);
        }
    }
}
