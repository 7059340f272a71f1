//! Streaming: one call per sensor sample, O(1) work and memory per sample.
//!
//! A [`Stepper`] drives a streamable model (no global pooling, Flatten or Bidirectional) over
//! an endless stream. All state lives in a caller-provided `&mut [f32]` of at least
//! [`Model::state_len`] words, laid out as:
//!
//! ```text
//! [last finite raw sample: in] [normalized sample: in] [output: out]
//! [layer 0 state] [layer 1 state] ... [scratch shared by all layers]
//! ```
//!
//! plus a few ring cursors in the `Stepper` itself. Layer states start at zero (recurrent
//! state and causal padding, exactly as a Keras window starts), so the first `n` outputs of a
//! fresh stepper are the outputs a Keras window of the first `n` samples produces.
//!
//! **Emission.** `step` returns `Some(forecast)` whenever the last layer produces an output:
//! with recurrent and Dense layers at every sample; with a `valid` Conv1D only once its
//! receptive field is full (warm-up); with pooling or strides every `strides` samples.
//!
//! **Subsampling.** A model trained on every `step`-th row ([`Model::step`]) is fed every
//! sample all the same: the stepper runs the layers on the 1st, `(step+1)`-th, ... sample and
//! returns `None` for the others (which still update the missing-sample fill values).
//!
//! **Missing samples.** A NaN or infinite value (a failed sensor read) is replaced by the last
//! finite value of that channel, or by the channel's training mean if none came yet, and
//! counted in [`Stepper::filled`]. Pass all-NaN for a sample that is missing entirely.

use crate::error::StepError;
use crate::format::MAX_LAYERS;
use crate::layers::Cursor;
use crate::model::Model;

/// Runs a model sample by sample. See the [module docs](self).
#[derive(Debug)]
pub struct Stepper<'m, 'b> {
    model: &'m Model<'m>,
    buf: &'b mut [f32],
    cursors: [Cursor; MAX_LAYERS],
    filled: u32,
    samples: u64,
    /// Position within the model's `step`: only samples at phase 0 reach the layers.
    phase: u32,
}

impl<'m, 'b> Stepper<'m, 'b> {
    /// Starts a stream with `buf` (at least [`Model::state_len`] words) as state.
    pub fn new(model: &'m Model<'m>, buf: &'b mut [f32]) -> Result<Self, StepError> {
        if let Some(layer) = model.first_window_only {
            return Err(StepError::NotStreamable { layer });
        }
        if buf.len() < model.state_len {
            return Err(StepError::BufferTooSmall {
                needed: model.state_len as u32,
                found: buf.len() as u32,
            });
        }
        let mut s = Stepper {
            model,
            buf,
            cursors: [Cursor::default(); MAX_LAYERS],
            filled: 0,
            samples: 0,
            phase: 0,
        };
        s.reset();
        Ok(s)
    }

    /// Forgets the stream: back to the state of a fresh stepper.
    pub fn reset(&mut self) {
        let n = self.model.input_len();
        let buf = &mut self.buf[..self.model.state_len];
        buf.iter_mut().for_each(|v| *v = 0.0);
        for (c, v) in buf[..n].iter_mut().enumerate() {
            *v = self.model.initial_fill(c);
        }
        let mut off = 2 * n + self.model.output_len();
        for (i, layer) in self.model.layers().iter().enumerate() {
            let len = layer.state_len(self.model.shapes[i]);
            layer.reset(&mut buf[off..off + len], &mut self.cursors[i]);
            off += len;
        }
        self.filled = 0;
        self.samples = 0;
        self.phase = 0;
    }

    /// Feeds one raw sample (one value per feature, in raw sensor units); returns the forecast
    /// in target units when the model emits one.
    pub fn step(&mut self, sample: &[f32]) -> Result<Option<&[f32]>, StepError> {
        if self.model.vocab().is_some() {
            return Err(StepError::WrongInputKind);
        }
        let n = self.model.input_len();
        if sample.len() != n {
            return Err(StepError::InputLength {
                expected: n as u32,
                found: sample.len() as u32,
            });
        }
        let (last, rest) = self.buf.split_at_mut(n);
        self.filled += self.model.normalize(sample, last, &mut rest[..n]);
        // Every sample updates the fill values; every `step`-th runs the layers.
        let used = self.phase == 0;
        self.phase = if self.phase + 1 >= self.model.step() {
            0
        } else {
            self.phase + 1
        };
        if !used {
            self.samples += 1;
            return Ok(None);
        }
        Ok(self.run())
    }

    /// Feeds one token id to a model whose first layer is an Embedding.
    pub fn step_token(&mut self, id: u16) -> Result<Option<&[f32]>, StepError> {
        let vocab = self.model.vocab().ok_or(StepError::WrongInputKind)?;
        if u32::from(id) >= vocab {
            return Err(StepError::TokenOutOfRange { id, vocab });
        }
        self.buf[1] = f32::from(id);
        Ok(self.run())
    }

    /// Raw values replaced so far because they were NaN or infinite.
    pub fn filled(&self) -> u32 {
        self.filled
    }

    /// Samples fed since the start (or the last reset).
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Runs the layers on the normalized sample at `buf[n..2n]`.
    fn run(&mut self) -> Option<&[f32]> {
        self.samples += 1;
        let model = self.model;
        let (n, out_len) = (model.input_len(), model.output_len());
        let buf = &mut self.buf[..model.state_len];
        let (io, rest) = buf.split_at_mut(2 * n + out_len);
        let (layers, scratch) = rest.split_at_mut(rest.len() - model.scratch_len);
        let (x, y) = io[n..].split_at_mut(n);
        let mut input: &[f32] = x;
        let mut rest = layers;
        for (i, layer) in model.layers().iter().enumerate() {
            let (state, tail) =
                core::mem::take(&mut rest).split_at_mut(layer.state_len(model.shapes[i]));
            rest = tail;
            input = layer.push(input, state, &mut self.cursors[i], scratch)?;
        }
        y.copy_from_slice(input);
        model.denormalize(y);
        Some(y)
    }
}
