//! Streaming: one call per sensor sample, O(1) work and memory per sample.
//!
//! A [`Stepper`] drives a streamable model (no global pooling, Flatten or Bidirectional) over
//! an endless stream. All state lives in a caller-provided `&mut [f32]` of at least
//! [`Model::state_len`] words, laid out as:
//!
//! ```text
//! [last finite raw sample: in] [normalized sample (i8x16: four words per channel, its
//! quantization constants): in] [output: out]
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
        // An i8x16 model's input quantization constants where a float model keeps its
        // normalized sample.
        #[cfg(feature = "int")]
        if let Some(int) = &self.model.int
            && self.model.vocab().is_none()
        {
            let words: &mut [u32] = bytemuck::cast_slice_mut(&mut buf[n..5 * n]);
            for (c, w) in words.chunks_exact_mut(4).enumerate() {
                w.copy_from_slice(&self.model.input_words(c, int.input_exp));
            }
        }
        // All-zero bits are zero in i16 too: the integer states are reset with the rest.
        for (i, layer) in self.model.layers().iter().enumerate() {
            self.cursors[i] = layer.start_cursor();
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
        // An i8x16 model quantizes the filled raw sample itself (in `run_int`).
        self.filled += match self.model.int.is_some() {
            #[cfg(feature = "int")]
            true => self.model.fill(sample, last),
            #[cfg(feature = "float")]
            false => self.model.normalize(sample, last, &mut rest[..n]),
            #[allow(unreachable_patterns)]
            _ => 0,
        };
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
        let n = self.model.input_len();
        self.buf[n] = f32::from(id);
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

    /// Runs the layers on the sample: normalized at `buf[n..2n]` for a float model, the filled
    /// raw sample at `buf[..n]` for an `i8x16` one.
    fn run(&mut self) -> Option<&[f32]> {
        self.samples += 1;
        match self.model.int.is_some() {
            #[cfg(feature = "int")]
            true => self.run_int(),
            #[cfg(feature = "float")]
            false => self.run_float(),
            // The loader refuses the blobs of a mode this build leaves out.
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// [`run`](Self::run) for an `f32` or `i8w` model.
    #[cfg(feature = "float")]
    fn run_float(&mut self) -> Option<&[f32]> {
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

    /// [`run`](Self::run) for an `i8x16` model: the filled raw sample (`buf[..n]`) quantized
    /// once with the constants at `buf[n..5n]`, then integers only up to the output. Layout after
    /// the io words: the `i16` sample and layer states, two to a word, then the `i32` scratch.
    #[cfg(feature = "int")]
    fn run_int(&mut self) -> Option<&[f32]> {
        let model = self.model;
        let int = model.int.as_ref()?;
        let (n, out_len) = (model.input_len(), model.output_len());
        let buf = &mut self.buf[..model.state_len];
        let (io, rest) = buf.split_at_mut(5 * n + out_len);
        let (words, scratch) = rest.split_at_mut(rest.len() - model.scratch_len);
        let ints: &mut [i16] = bytemuck::cast_slice_mut(words);
        let scratch: &mut [i32] = bytemuck::cast_slice_mut(scratch);
        let (last, rest) = io.split_at_mut(n);
        let (consts, y) = rest.split_at_mut(4 * n);
        let (xq, mut rest) = ints.split_at_mut(n);
        if model.vocab().is_some() {
            // A token id (where the constants would be), kept as its 16 bits.
            xq[0] = consts[0] as u16 as i16;
        } else {
            crate::model::quantize_input(last, bytemuck::cast_slice(consts), xq);
        }
        let mut input: &[i16] = xq;
        let mut e_in = int.input_exp;
        for (i, (layer, &q)) in model.layers().iter().zip(&int.layers).enumerate() {
            let (state, tail) =
                core::mem::take(&mut rest).split_at_mut(layer.state_len(model.shapes[i]));
            rest = tail;
            input = layer.push_int(input, e_in, q, state, &mut self.cursors[i], scratch)?;
            e_in = q.output_exp;
        }
        model.output_from_int(input, e_in, y);
        Some(y)
    }
}
