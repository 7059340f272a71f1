//! Bidirectional with `merge_mode = "concat"`: `[forward ; backward]`.
//!
//! The forward cell runs over the window from the first step, the backward cell (its own
//! weights, Keras' `backward_layer`) from the last step back to the first, both from zero
//! state. Output: the concatenation of both final states, or with `return_sequences` at each
//! step `t` the forward state after step `t` and the backward state after it has consumed steps
//! `T-1 .. t` (Keras re-reverses the backward sequence so both refer to the same `t`). Window
//! mode only.

use serde::{Deserialize, Serialize};

use super::{Gru, Lstm, Recurrent, Shape, SimpleRnn};
use crate::error::{Problem, TensorName};
use crate::tensor::Tensor;

/// A recurrent cell inside `Bidirectional` (format tags: SimpleRnn 0, Lstm 1, Gru 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell<T> {
    /// SimpleRNN.
    SimpleRnn(SimpleRnn<T>),
    /// LSTM.
    Lstm(Lstm<T>),
    /// GRU.
    Gru(Gru<T>),
}

impl<T: Clone> Cell<T> {
    /// The direction as the layer it is.
    pub(crate) fn as_layer(&self) -> super::Layer<T> {
        match self {
            Cell::SimpleRnn(l) => super::Layer::SimpleRnn(l.clone()),
            Cell::Lstm(l) => super::Layer::Lstm(l.clone()),
            Cell::Gru(l) => super::Layer::Gru(l.clone()),
        }
    }
}

impl<T> Cell<T> {
    /// The cell's kind as a layer.
    pub(crate) const fn kind(&self) -> super::LayerKind {
        match self {
            Cell::SimpleRnn(_) => super::LayerKind::SimpleRnn,
            Cell::Lstm(_) => super::LayerKind::Lstm,
            Cell::Gru(_) => super::LayerKind::Gru,
        }
    }

    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Cell<U>, E> {
        Ok(match self {
            Cell::SimpleRnn(c) => Cell::SimpleRnn(c.try_map(f)?),
            Cell::Lstm(c) => Cell::Lstm(c.try_map(f)?),
            Cell::Gru(c) => Cell::Gru(c.try_map(f)?),
        })
    }
}

impl Cell<Tensor<'_>> {
    pub(crate) fn get(&self) -> &dyn Recurrent {
        match self {
            Cell::SimpleRnn(c) => c,
            Cell::Lstm(c) => c,
            Cell::Gru(c) => c,
        }
    }

    pub(crate) fn state_len(&self) -> usize {
        self.get().state_len()
    }

    pub(crate) fn scratch_len(&self) -> usize {
        self.get().scratch_len()
    }
}

/// `keras.layers.Bidirectional` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bidirectional<T> {
    /// Runs first to last.
    pub forward: Cell<T>,
    /// Runs last to first.
    pub backward: Cell<T>,
}

impl<T> Bidirectional<T> {
    pub(crate) fn try_map<U, E>(
        &self,
        f: &mut impl FnMut(&T, TensorName) -> Result<U, E>,
    ) -> Result<Bidirectional<U>, E> {
        Ok(Bidirectional {
            forward: self.forward.try_map(f)?,
            backward: self.backward.try_map(f)?,
        })
    }
}

impl Bidirectional<Tensor<'_>> {
    pub(crate) fn return_sequences(&self) -> bool {
        self.forward.get().return_sequences()
    }

    pub(crate) fn check(&self, input: usize) -> Result<Shape, Problem> {
        let (f, b) = (self.forward.get(), self.backward.get());
        f.check(input)?;
        b.check(input)?;
        if f.return_sequences() != b.return_sequences() {
            return Err(Problem::DirectionMismatch);
        }
        let width = f.units() + b.units();
        Ok(if f.return_sequences() {
            Shape::Sequence { channels: width }
        } else {
            Shape::Vector { len: width }
        })
    }

    /// Runs both directions over `seq` (`steps` rows of `cin` values) into `out`.
    ///
    /// `state` has at least `forward.state_len() + backward.state_len()` words and `scratch` the
    /// larger of the two cells' scratch.
    #[cfg(feature = "float")]
    pub(crate) fn window(
        &self,
        seq: &[f32],
        cin: usize,
        out: &mut [f32],
        state: &mut [f32],
        scratch: &mut [f32],
    ) {
        let (f, b) = (self.forward.get(), self.backward.get());
        let (fu, bu) = (f.units(), b.units());
        let width = fu + bu;
        let (fs, rest) = state.split_at_mut(f.state_len());
        let bs = &mut rest[..b.state_len()];
        fs.iter_mut().for_each(|v| *v = 0.0);
        bs.iter_mut().for_each(|v| *v = 0.0);
        let rs = f.return_sequences();
        for (t, x) in seq.chunks_exact(cin).enumerate() {
            f.step(x, fs, scratch);
            if rs {
                out[t * width..t * width + fu].copy_from_slice(&fs[..fu]);
            }
        }
        for (t, x) in seq.chunks_exact(cin).enumerate().rev() {
            b.step(x, bs, scratch);
            if rs {
                out[t * width + fu..(t + 1) * width].copy_from_slice(&bs[..bu]);
            }
        }
        if !rs {
            out[..fu].copy_from_slice(&fs[..fu]);
            out[fu..width].copy_from_slice(&bs[..bu]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    #[test]
    fn concat_by_hand() {
        // Linear SimpleRNN with h = x + h_prev: forward sums the prefix, backward the suffix.
        let cell = || {
            Cell::SimpleRnn(SimpleRnn {
                units: 1,
                activation: Activation::Linear,
                return_sequences: true,
                kernel: Tensor::F32(&[1.0]),
                recurrent_kernel: Tensor::F32(&[1.0]),
                bias: Tensor::F32(&[0.0]),
            })
        };
        let l = Bidirectional {
            forward: cell(),
            backward: cell(),
        };
        assert_eq!(l.check(1), Ok(Shape::Sequence { channels: 2 }));
        let mut out = [0.0; 6];
        let (mut state, mut scratch) = ([0.0; 2], [0.0; 1]);
        l.window(&[1.0, 2.0, 3.0], 1, &mut out, &mut state, &mut scratch);
        assert_eq!(out, [1.0, 6.0, 3.0, 5.0, 6.0, 3.0]);
    }
}
