//! Window mode: the whole Keras forward pass over one window of samples.
//!
//! For models that need the whole window (Bidirectional, Flatten, global pooling) and for
//! checking a streamable model against Keras window by window. Each layer runs over the whole
//! sequence before the next; streamable layers run through the very same per-sample code as
//! the [`Stepper`](crate::Stepper), from a fresh state, so for a streamable model the window
//! output equals what a fresh stepper emits, bit for bit.
//!
//! Scratch (caller-provided, [`Model::window_scratch_len`] words): two sequence buffers used
//! in turn, one layer state, one step's scratch, and the last finite raw sample.

use crate::error::WindowError;
use crate::layers::Recurrent;
use crate::layers::{Cursor, Layer, Shape, global_pooling};
use crate::model::Model;

/// The result of a window forward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowOutput<'s> {
    /// The output in target units: `steps × width` values (time-major) for a sequence output,
    /// `width` values for a vector output.
    pub values: &'s [f32],
    /// Output steps, if the model outputs a sequence.
    pub steps: Option<usize>,
    /// Values per output vector.
    pub width: usize,
}

impl WindowOutput<'_> {
    /// The last output vector (the forecast for the window).
    pub fn last(&self) -> &[f32] {
        &self.values[self.values.len() - self.width..]
    }
}

/// What [`Model::window_probed`] shows of a window run, in the model's normalized units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Probe<'a> {
    /// Layer `layer`'s whole output: `steps × width` values (time-major), or one vector.
    Output {
        /// Zero-based layer index.
        layer: usize,
        /// The values.
        values: &'a [f32],
    },
    /// An LSTM layer's cell state `c` after one step (not for LSTMs inside Bidirectional).
    CellState {
        /// Zero-based layer index.
        layer: usize,
        /// `c`, `units` values.
        values: &'a [f32],
    },
    /// A softmax Dense layer's logits (its output before the softmax), one vector per step.
    Logits {
        /// Zero-based layer index.
        layer: usize,
        /// The logits.
        values: &'a [f32],
    },
    /// The normalized input window, `steps × features` values (f32 and i8w models: an i8x16
    /// model quantizes its filled raw samples directly).
    Input {
        /// The values.
        values: &'a [f32],
    },
    /// An `i8x16` layer's whole output, standing for `values · 2^-exp`.
    IntOutput {
        /// Zero-based layer index.
        layer: usize,
        /// The values.
        values: &'a [i16],
        /// Their exponent.
        exp: u8,
    },
}

/// Buffer sizes of a window run.
struct Plan {
    seq: usize,
    state: usize,
    scratch: usize,
    out_steps: Option<usize>,
}

impl Model<'_> {
    fn window_plan(&self, steps: usize) -> Result<Plan, WindowError> {
        let mut cur = Some(steps);
        // Saturating: an absurd `steps` gives an absurd size, which no buffer satisfies.
        let mut seq = steps.saturating_mul(self.input_len());
        let (mut state, mut scratch) = (0, 0);
        for (i, layer) in self.layers().iter().enumerate() {
            let (input, output) = (self.shapes[i], self.shapes[i + 1]);
            let too_short = WindowError::TooShort { layer: i as u8 };
            cur = match (layer, input, cur) {
                (_, Shape::Vector { .. }, _) => None,
                (Layer::Flatten, Shape::Sequence { channels }, Some(t)) => {
                    if t.saturating_mul(channels) != output.width() {
                        return Err(WindowError::StepsMismatch {
                            expected: self.window_steps() as u32,
                            found: steps as u32,
                        });
                    }
                    None
                }
                (Layer::Conv1d(l), _, Some(t)) => Some(l.out_steps(t).ok_or(too_short)?),
                (Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p), _, Some(t)) => {
                    Some(p.out_steps(t).ok_or(too_short)?)
                }
                (_, _, t) if matches!(output, Shape::Sequence { .. }) => t,
                _ => None,
            };
            seq = seq.max(cur.unwrap_or(1).saturating_mul(output.width()));
            state = state.max(layer.state_len(input));
            scratch = scratch.max(layer.scratch_len());
        }
        Ok(Plan {
            seq,
            state,
            scratch,
            out_steps: cur,
        })
    }

    /// `f32` words of scratch [`window`](Self::window) needs for a window of `steps` samples.
    pub fn window_scratch_len(&self, steps: usize) -> Result<usize, WindowError> {
        let p = self.window_plan(steps)?;
        Ok(p.seq
            .saturating_mul(2)
            .saturating_add(p.state)
            .saturating_add(p.scratch)
            .saturating_add(self.input_len()))
    }

    /// Runs the model over a window of raw samples (`steps × features` values, time-major).
    /// Non-finite values are filled as in streaming mode.
    pub fn window<'s>(
        &self,
        input: &[f32],
        scratch: &'s mut [f32],
    ) -> Result<WindowOutput<'s>, WindowError> {
        self.window_probed(input, scratch, &mut |_| {})
    }

    /// [`window`](Self::window), showing `probe` every layer's output (and every LSTM cell
    /// state) on the way: for calibrating quantized models and measuring their error per layer.
    pub fn window_probed<'s>(
        &self,
        input: &[f32],
        scratch: &'s mut [f32],
        probe: &mut impl FnMut(Probe<'_>),
    ) -> Result<WindowOutput<'s>, WindowError> {
        if self.vocab().is_some() {
            return Err(WindowError::WrongInputKind);
        }
        let n = self.input_len();
        if input.is_empty() || !input.len().is_multiple_of(n) {
            return Err(WindowError::InputLength {
                expected: (input.len() / n).max(1) as u32 * n as u32,
                found: input.len() as u32,
            });
        }
        let steps = input.len() / n;
        let (a, last) = self.window_buffers(steps, scratch)?;
        for (c, l) in last.iter_mut().enumerate() {
            *l = self.initial_fill(c);
        }
        for (raw, x) in input.chunks_exact(n).zip(a.chunks_exact_mut(n)) {
            if self.int.is_some() {
                // i8x16: the filled raw samples, quantized in `run_window_int`.
                self.fill(raw, last);
                x.copy_from_slice(last);
            } else {
                self.normalize(raw, last, x);
            }
        }
        if self.int.is_none() {
            probe(Probe::Input {
                values: &a[..steps * n],
            });
        }
        self.run_window(steps, scratch, probe)
    }

    /// Runs a token model (first layer Embedding) over a window of token ids.
    pub fn window_tokens<'s>(
        &self,
        tokens: &[u16],
        scratch: &'s mut [f32],
    ) -> Result<WindowOutput<'s>, WindowError> {
        self.window_tokens_probed(tokens, scratch, &mut |_| {})
    }

    /// [`window_tokens`](Self::window_tokens), showing `probe` every layer's output.
    pub fn window_tokens_probed<'s>(
        &self,
        tokens: &[u16],
        scratch: &'s mut [f32],
        probe: &mut impl FnMut(Probe<'_>),
    ) -> Result<WindowOutput<'s>, WindowError> {
        let vocab = self.vocab().ok_or(WindowError::WrongInputKind)?;
        if tokens.is_empty() {
            return Err(WindowError::InputLength {
                expected: 1,
                found: 0,
            });
        }
        if let Some(&id) = tokens.iter().find(|&&id| u32::from(id) >= vocab) {
            return Err(WindowError::TokenOutOfRange { id, vocab });
        }
        let (a, _) = self.window_buffers(tokens.len(), scratch)?;
        for (x, &id) in a.iter_mut().zip(tokens) {
            *x = f32::from(id);
        }
        self.run_window(tokens.len(), scratch, probe)
    }

    /// Checks the scratch size; returns the first sequence buffer and the fill-value buffer.
    fn window_buffers<'s>(
        &self,
        steps: usize,
        scratch: &'s mut [f32],
    ) -> Result<(&'s mut [f32], &'s mut [f32]), WindowError> {
        let needed = self.window_scratch_len(steps)?;
        if scratch.len() < needed {
            return Err(WindowError::BufferTooSmall {
                needed: crate::layers::to_u32(needed),
                found: crate::layers::to_u32(scratch.len()),
            });
        }
        let seq = self.window_plan(steps)?.seq;
        let (a, rest) = scratch.split_at_mut(seq);
        Ok((a, &mut rest[needed - seq - self.input_len()..needed - seq]))
    }

    /// Runs the layers; the normalized input is in the first sequence buffer.
    fn run_window<'s>(
        &self,
        steps: usize,
        scratch: &'s mut [f32],
        probe: &mut impl FnMut(Probe<'_>),
    ) -> Result<WindowOutput<'s>, WindowError> {
        match self.int.is_some() {
            #[cfg(feature = "int")]
            true => self.run_window_int(steps, scratch, probe),
            #[cfg(feature = "float")]
            false => self.run_window_float(steps, scratch, probe),
            // The loader refuses the blobs of a mode this build leaves out.
            #[allow(unreachable_patterns)]
            _ => Err(WindowError::WrongInputKind),
        }
    }

    /// [`run_window`](Self::run_window) for an `f32` or `i8w` model.
    #[cfg(feature = "float")]
    fn run_window_float<'s>(
        &self,
        steps: usize,
        scratch: &'s mut [f32],
        probe: &mut impl FnMut(Probe<'_>),
    ) -> Result<WindowOutput<'s>, WindowError> {
        let plan = self.window_plan(steps)?;
        let (bufs, rest) = scratch.split_at_mut(2 * plan.seq);
        let (state, rest) = rest.split_at_mut(plan.state);
        let step_scratch = &mut rest[..plan.scratch];
        let (mut cur, mut next) = bufs.split_at_mut(plan.seq);
        let mut t_in = steps;
        for (i, layer) in self.layers().iter().enumerate() {
            let (input, output) = (self.shapes[i], self.shapes[i + 1]);
            let (w_in, w_out) = (input.width(), output.width());
            let t_rows = match input {
                Shape::Sequence { .. } => t_in,
                Shape::Vector { .. } => 1,
            };
            let x = &cur[..t_rows * w_in];
            let mut t_out = 0;
            match layer {
                #[cfg(feature = "bidirectional")]
                Layer::Bidirectional(l) => {
                    l.window(x, w_in, next, state, step_scratch);
                    t_out = t_rows;
                }
                #[cfg(feature = "pooling")]
                Layer::GlobalMaxPooling1d => global_pooling::reduce(x, &mut next[..w_out], false),
                #[cfg(feature = "pooling")]
                Layer::GlobalAveragePooling1d => {
                    global_pooling::reduce(x, &mut next[..w_out], true)
                }
                Layer::Flatten => next[..x.len()].copy_from_slice(x),
                _ => {
                    let state = &mut state[..layer.state_len(input)];
                    let mut cursor = Cursor::default();
                    layer.reset(state, &mut cursor);
                    let sequence_out = matches!(output, Shape::Sequence { .. });
                    let lstm_units = match layer {
                        Layer::Lstm(l) => l.units(),
                        _ => 0,
                    };
                    let softmax = match layer {
                        Layer::Dense(d)
                            if d.activation == crate::activation::Activation::Softmax =>
                        {
                            Some(d)
                        }
                        _ => None,
                    };
                    for xt in x.chunks_exact(w_in) {
                        let emitted = match softmax {
                            // The same operations as `push`, with the logits shown on the way.
                            Some(d) => {
                                d.logits(xt, state);
                                probe(Probe::Logits {
                                    layer: i,
                                    values: state,
                                });
                                crate::activation::Activation::Softmax.apply(state);
                                Some(&state[..])
                            }
                            None => layer.push(xt, state, &mut cursor, step_scratch),
                        };
                        if let Some(o) = emitted {
                            let at = if sequence_out { t_out * w_out } else { 0 };
                            next[at..at + w_out].copy_from_slice(o);
                            t_out += 1;
                        }
                        if lstm_units > 0 {
                            probe(Probe::CellState {
                                layer: i,
                                values: &state[lstm_units..2 * lstm_units],
                            });
                        }
                    }
                    if t_out == 0 {
                        return Err(WindowError::TooShort { layer: i as u8 });
                    }
                }
            }
            let produced = match output {
                Shape::Sequence { .. } => t_out * w_out,
                Shape::Vector { .. } => w_out,
            };
            probe(Probe::Output {
                layer: i,
                values: &next[..produced],
            });
            t_in = t_out;
            core::mem::swap(&mut cur, &mut next);
        }
        let width = self.output_len();
        let len = plan.out_steps.map_or(width, |t| t * width);
        let values = &mut cur[..len];
        self.denormalize(values);
        Ok(WindowOutput {
            values,
            steps: plan.out_steps,
            width,
        })
    }

    /// [`run_window`](Self::run_window) for an `i8x16` model: the filled raw window (first
    /// buffer, `f32`) is quantized into the second buffer as `i16`, the layers run on `i16`
    /// buffers, and the output is written back as `f32` into the buffer the last layer did not
    /// write.
    #[cfg(feature = "int")]
    fn run_window_int<'s>(
        &self,
        steps: usize,
        scratch: &'s mut [f32],
        probe: &mut impl FnMut(Probe<'_>),
    ) -> Result<WindowOutput<'s>, WindowError> {
        let plan = self.window_plan(steps)?;
        let int = self.int.as_ref().ok_or(WindowError::WrongInputKind)?;
        let n = self.input_len();
        let (bufs, rest) = scratch.split_at_mut(2 * plan.seq);
        let (state, rest) = rest.split_at_mut(plan.state);
        let state: &mut [i16] = bytemuck::cast_slice_mut(state);
        let step_scratch: &mut [i32] = bytemuck::cast_slice_mut(&mut rest[..plan.scratch]);
        let (a, b) = bufs.split_at_mut(plan.seq);
        {
            let q: &mut [i16] = bytemuck::cast_slice_mut(b);
            if self.vocab().is_some() {
                for (q, &id) in q.iter_mut().zip(&a[..steps]) {
                    *q = id as u16 as i16;
                }
            } else {
                let mut words = [0u32; 4 * crate::format::MAX_CHANNELS];
                let words = &mut words[..4 * n];
                for (c, w) in words.chunks_exact_mut(4).enumerate() {
                    w.copy_from_slice(&self.input_words(c, int.input_exp));
                }
                let rows = a[..steps * n].chunks_exact(n);
                for (v, q) in rows.zip(q[..steps * n].chunks_exact_mut(n)) {
                    crate::model::quantize_input(v, words, q);
                }
            }
        }
        let (mut cur, mut next) = (b, a);
        let mut t_in = steps;
        let mut e_in = int.input_exp;
        for (i, (layer, &q)) in self.layers().iter().zip(&int.layers).enumerate() {
            let (input, output) = (self.shapes[i], self.shapes[i + 1]);
            let (w_in, w_out) = (input.width(), output.width());
            let t_rows = match input {
                Shape::Sequence { .. } => t_in,
                Shape::Vector { .. } => 1,
            };
            let x: &[i16] = &bytemuck::cast_slice::<f32, i16>(cur)[..t_rows * w_in];
            let out: &mut [i16] = bytemuck::cast_slice_mut(&mut *next);
            let mut t_out = 0;
            match layer {
                #[cfg(feature = "bidirectional")]
                Layer::Bidirectional(l) => {
                    l.window_int(x, w_in, e_in, q, out, state, step_scratch);
                    t_out = t_rows;
                }
                #[cfg(feature = "pooling")]
                Layer::GlobalMaxPooling1d => {
                    crate::layers::int::reduce_global(x, &mut out[..w_out], false)
                }
                #[cfg(feature = "pooling")]
                Layer::GlobalAveragePooling1d => {
                    crate::layers::int::reduce_global(x, &mut out[..w_out], true)
                }
                Layer::Flatten => out[..x.len()].copy_from_slice(x),
                _ => {
                    let state = &mut state[..layer.state_len(input)];
                    state.fill(0);
                    let mut cursor = layer.start_cursor();
                    let sequence_out = matches!(output, Shape::Sequence { .. });
                    for xt in x.chunks_exact(w_in) {
                        if let Some(o) =
                            layer.push_int(xt, e_in, q, state, &mut cursor, step_scratch)
                        {
                            let at = if sequence_out { t_out * w_out } else { 0 };
                            out[at..at + w_out].copy_from_slice(o);
                            t_out += 1;
                        }
                    }
                    if t_out == 0 {
                        return Err(WindowError::TooShort { layer: i as u8 });
                    }
                }
            }
            let produced = match output {
                Shape::Sequence { .. } => t_out * w_out,
                Shape::Vector { .. } => w_out,
            };
            probe(Probe::IntOutput {
                layer: i,
                values: &out[..produced],
                exp: q.output_exp,
            });
            t_in = t_out;
            e_in = q.output_exp;
            core::mem::swap(&mut cur, &mut next);
        }
        let width = self.output_len();
        let len = plan.out_steps.map_or(width, |t| t * width);
        let q: &[i16] = &bytemuck::cast_slice::<f32, i16>(cur)[..len];
        let values = &mut next[..len];
        self.output_from_int(q, e_in, values);
        Ok(WindowOutput {
            values,
            steps: plan.out_steps,
            width,
        })
    }
}
