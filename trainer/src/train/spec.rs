//! Model specs in TOML, with Keras' layer names, arguments and defaults.
//!
//! ```toml
//! [[layers]]
//! kind = "gru"            # dense simple_rnn lstm gru conv1d max_pooling1d average_pooling1d
//! units = 32              # global_max_pooling1d global_average_pooling1d flatten embedding
//! dropout = 0.2           # bidirectional (with  layer = { kind = "gru", units = 32 })  dropout
//! recurrent_dropout = 0.2
//! [[layers]]
//! kind = "dense"
//! units = 1
//! ```
//!
//! Defaults are Keras': activations `tanh`/`sigmoid` for recurrent layers and `linear` for
//! Dense and Conv1D, GRU `reset_after = true`, `return_sequences = false`, Conv1D `strides = 1`,
//! `padding = "valid"`, `dilation_rate = 1`, pooling `strides = pool_size`. Initializers (also
//! Keras'): Glorot-uniform kernels, orthogonal recurrent kernels, zero biases with the LSTM
//! forget-gate block at 1, Embedding uniform in ±0.05.

use std::path::Path;

use nowcast_runtime::activation::Activation;
use nowcast_runtime::layers::{
    Bidirectional, Cell, Conv1d, Dense, Embedding, Gru, Layer, Lstm, Padding, Pooling, SimpleRnn,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Deserialize;

use crate::net::LayerOpts;

/// One `[[layers]]` table.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerToml {
    /// Keras layer name in snake case.
    pub kind: String,
    /// Dense / recurrent width.
    pub units: Option<u32>,
    /// Activation name.
    pub activation: Option<String>,
    /// Recurrent gate activation name.
    pub recurrent_activation: Option<String>,
    /// Recurrent: output every step.
    pub return_sequences: Option<bool>,
    /// GRU variant.
    pub reset_after: Option<bool>,
    /// Recurrent input dropout; for `kind = "dropout"`, use `rate`.
    pub dropout: Option<f32>,
    /// Recurrent state dropout.
    pub recurrent_dropout: Option<f32>,
    /// Conv1D output channels.
    pub filters: Option<u32>,
    /// Conv1D taps.
    pub kernel_size: Option<u32>,
    /// Conv1D / pooling strides.
    pub strides: Option<u32>,
    /// `"valid"` or `"causal"` (Conv1D), `"valid"` (pooling).
    pub padding: Option<String>,
    /// Conv1D dilation.
    pub dilation_rate: Option<u32>,
    /// Pooling window.
    pub pool_size: Option<u32>,
    /// Dropout rate.
    pub rate: Option<f32>,
    /// Embedding vocabulary size.
    pub input_dim: Option<u32>,
    /// Embedding width.
    pub output_dim: Option<u32>,
    /// Bidirectional: the wrapped recurrent layer.
    pub layer: Option<Box<LayerToml>>,
    /// Bidirectional: only `"concat"`.
    pub merge_mode: Option<String>,
}

/// A whole spec file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelToml {
    /// The layers, first to last.
    pub layers: Vec<LayerToml>,
}

/// A spec that cannot be built, with the layer it concerns.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Reading the file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown keys.
    #[error("parsing the model spec: {0}")]
    Toml(#[from] toml::de::Error),
    /// A layer is wrong.
    #[error("layer {index} ({kind}): {message}")]
    Layer {
        /// Zero-based index.
        index: usize,
        /// Its kind.
        kind: String,
        /// What is wrong.
        message: String,
    },
    /// The spec has no layers.
    #[error("the model spec has no layers")]
    Empty,
}

/// A model ready to train: initialized layers and their training options.
#[derive(Clone, Debug, PartialEq)]
pub struct Built {
    /// Layers with initialized weights.
    pub layers: Vec<Layer<Vec<f32>>>,
    /// Dropout options per layer.
    pub opts: Vec<LayerOpts>,
}

fn activation(name: Option<&str>, default: Activation) -> Result<Activation, String> {
    Ok(match name {
        None => default,
        Some("linear") => Activation::Linear,
        Some("relu") => Activation::Relu,
        Some("tanh") => Activation::Tanh,
        Some("sigmoid") => Activation::Sigmoid,
        Some("softmax") => Activation::Softmax,
        Some("hard_sigmoid") => Activation::HardSigmoid,
        Some(other) => return Err(format!("unknown activation {other:?}")),
    })
}

fn glorot(rng: &mut ChaCha8Rng, n: usize, fan_in: usize, fan_out: usize) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    (0..n)
        .map(|_| (rng.random::<f64>() * 2.0 - 1.0) * limit)
        .map(|v| v as f32)
        .collect()
}

/// Keras' orthogonal initializer for a `rows × cols` matrix (rows ≤ cols for recurrent
/// kernels): a normal `cols × rows` matrix, Gram-Schmidt QR (so `R` has a positive diagonal),
/// transposed, giving orthonormal rows.
fn orthogonal(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Vec<f32> {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    // Columns of a `tall × short` matrix, orthonormalized.
    let mut q: Vec<Vec<f64>> = (0..short)
        .map(|_| (0..tall).map(|_| rng.sample(StandardNormal)).collect())
        .collect();
    for j in 0..short {
        for k in 0..j {
            let dot: f64 = q[j].iter().zip(&q[k]).map(|(a, b)| a * b).sum();
            let qk = q[k].clone();
            q[j].iter_mut().zip(&qk).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = q[j].iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
        q[j].iter_mut().for_each(|a| *a /= norm);
    }
    // q[j][i] is element (i, j) of the tall matrix Q; Keras returns Q (rows ≥ cols) or Qᵀ.
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            out[r * cols + c] = v as f32;
        }
    }
    out
}

struct Builder<'a> {
    index: usize,
    t: &'a LayerToml,
    rng: &'a mut ChaCha8Rng,
}

impl Builder<'_> {
    fn err(&self, message: impl Into<String>) -> SpecError {
        SpecError::Layer {
            index: self.index,
            kind: self.t.kind.clone(),
            message: message.into(),
        }
    }

    fn need(&self, v: Option<u32>, name: &str) -> Result<u32, SpecError> {
        match v {
            Some(0) => Err(self.err(format!("{name} must be at least 1"))),
            Some(v) => Ok(v),
            None => Err(self.err(format!("{name} is required"))),
        }
    }

    fn act(&self, name: &Option<String>, default: Activation) -> Result<Activation, SpecError> {
        activation(name.as_deref(), default).map_err(|m| self.err(m))
    }

    fn rate(&self, v: Option<f32>, name: &str) -> Result<f32, SpecError> {
        let v = v.unwrap_or(0.0);
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err(self.err(format!("{name} must be in [0, 1)")))
        }
    }

    fn cell(&mut self, input: usize) -> Result<(Cell<Vec<f32>>, usize), SpecError> {
        let t = self.t;
        let u = self.need(t.units, "units")? as usize;
        let rs = t.return_sequences.unwrap_or(false);
        let act = self.act(&t.activation, Activation::Tanh)?;
        let rec = self.act(&t.recurrent_activation, Activation::Sigmoid)?;
        let gates = match t.kind.as_str() {
            "simple_rnn" => 1,
            "lstm" => 4,
            "gru" => 3,
            other => return Err(self.err(format!("{other:?} is not a recurrent layer"))),
        };
        let kernel = glorot(self.rng, input * gates * u, input, gates * u);
        let recurrent_kernel = orthogonal(self.rng, u, gates * u);
        let units = u as u32;
        let cell = match gates {
            1 => Cell::SimpleRnn(SimpleRnn {
                units,
                activation: act,
                return_sequences: rs,
                kernel,
                recurrent_kernel,
                bias: vec![0.0; u],
            }),
            4 => {
                let mut bias = vec![0.0; 4 * u];
                bias[u..2 * u].iter_mut().for_each(|b| *b = 1.0);
                Cell::Lstm(Lstm {
                    units,
                    activation: act,
                    recurrent_activation: rec,
                    return_sequences: rs,
                    kernel,
                    recurrent_kernel,
                    bias,
                })
            }
            _ => {
                let reset_after = t.reset_after.unwrap_or(true);
                let bias = vec![0.0; if reset_after { 6 * u } else { 3 * u }];
                Cell::Gru(Gru {
                    units,
                    activation: act,
                    recurrent_activation: rec,
                    reset_after,
                    return_sequences: rs,
                    kernel,
                    recurrent_kernel,
                    bias,
                })
            }
        };
        Ok((cell, u))
    }
}

/// The shape flowing between layers while building.
#[derive(Clone, Copy)]
enum Flow {
    Seq(usize),
    Vec(usize),
}

impl ModelToml {
    /// Reads a spec file.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses spec text.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        Ok(toml::from_str(text)?)
    }

    /// Initializes the layers for `inputs` channels over windows of `steps` samples, with
    /// Keras' initializers seeded by `seed`.
    pub fn build(&self, inputs: usize, steps: usize, seed: u64) -> Result<Built, SpecError> {
        if self.layers.is_empty() {
            return Err(SpecError::Empty);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut flow = Flow::Seq(inputs);
        let mut steps = steps;
        let (mut layers, mut opts) = (Vec::new(), Vec::new());
        for (index, t) in self.layers.iter().enumerate() {
            let mut b = Builder {
                index,
                t,
                rng: &mut rng,
            };
            let width = match flow {
                Flow::Seq(w) | Flow::Vec(w) => w,
            };
            let seq_in = |b: &Builder<'_>| match flow {
                Flow::Seq(w) => Ok(w),
                Flow::Vec(_) => {
                    Err(b.err("needs a sequence input, but the previous layer outputs a vector"))
                }
            };
            let mut opt = LayerOpts::default();
            let layer = match t.kind.as_str() {
                "dense" => {
                    let u = b.need(t.units, "units")?;
                    let activation = b.act(&t.activation, Activation::Linear)?;
                    let kernel = glorot(b.rng, width * u as usize, width, u as usize);
                    flow = match flow {
                        Flow::Seq(_) => Flow::Seq(u as usize),
                        Flow::Vec(_) => Flow::Vec(u as usize),
                    };
                    Layer::Dense(Dense {
                        units: u,
                        activation,
                        kernel,
                        bias: vec![0.0; u as usize],
                    })
                }
                "simple_rnn" | "lstm" | "gru" => {
                    let input = seq_in(&b)?;
                    opt = LayerOpts {
                        dropout: b.rate(t.dropout, "dropout")?,
                        recurrent_dropout: b.rate(t.recurrent_dropout, "recurrent_dropout")?,
                    };
                    let (cell, u) = b.cell(input)?;
                    flow = if t.return_sequences.unwrap_or(false) {
                        Flow::Seq(u)
                    } else {
                        Flow::Vec(u)
                    };
                    match cell {
                        Cell::SimpleRnn(c) => Layer::SimpleRnn(c),
                        Cell::Lstm(c) => Layer::Lstm(c),
                        Cell::Gru(c) => Layer::Gru(c),
                    }
                }
                "bidirectional" => {
                    let input = seq_in(&b)?;
                    if t.merge_mode.as_deref().is_some_and(|m| m != "concat") {
                        return Err(b.err("only merge_mode = \"concat\" is supported"));
                    }
                    let inner = t
                        .layer
                        .as_deref()
                        .ok_or_else(|| b.err("needs layer = { kind = ..., units = ... }"))?;
                    let mut ib = Builder {
                        index,
                        t: inner,
                        rng: b.rng,
                    };
                    opt = LayerOpts {
                        dropout: ib.rate(inner.dropout, "dropout")?,
                        recurrent_dropout: ib.rate(inner.recurrent_dropout, "recurrent_dropout")?,
                    };
                    let (forward, u) = ib.cell(input)?;
                    let (backward, _) = ib.cell(input)?;
                    flow = if inner.return_sequences.unwrap_or(false) {
                        Flow::Seq(2 * u)
                    } else {
                        Flow::Vec(2 * u)
                    };
                    Layer::Bidirectional(Bidirectional { forward, backward })
                }
                "conv1d" => {
                    let input = seq_in(&b)?;
                    let f = b.need(t.filters, "filters")?;
                    let k = b.need(t.kernel_size, "kernel_size")?;
                    let strides = b.need(Some(t.strides.unwrap_or(1)), "strides")?;
                    let dilation = b.need(Some(t.dilation_rate.unwrap_or(1)), "dilation_rate")?;
                    let padding = match t.padding.as_deref().unwrap_or("valid") {
                        "valid" => Padding::Valid,
                        "causal" => Padding::Causal,
                        other => {
                            return Err(
                                b.err(format!("padding {other:?}: use \"valid\" or \"causal\""))
                            );
                        }
                    };
                    let activation = b.act(&t.activation, Activation::Linear)?;
                    let (k, fu) = (k as usize, f as usize);
                    let kernel = glorot(b.rng, k * input * fu, k * input, k * fu);
                    let conv = Conv1d {
                        filters: f,
                        kernel_size: k as u32,
                        strides,
                        dilation,
                        padding,
                        activation,
                        kernel,
                        bias: vec![0.0; fu],
                    };
                    steps = conv.out_steps(steps).ok_or_else(|| {
                        b.err(format!("a window of {steps} steps is too short for it"))
                    })?;
                    flow = Flow::Seq(fu);
                    Layer::Conv1d(conv)
                }
                "max_pooling1d" | "average_pooling1d" => {
                    seq_in(&b)?;
                    if t.padding.as_deref().is_some_and(|p| p != "valid") {
                        return Err(b.err("only padding = \"valid\" is supported"));
                    }
                    let pool_size = b.need(t.pool_size, "pool_size")?;
                    let p = Pooling {
                        pool_size,
                        strides: b.need(Some(t.strides.unwrap_or(pool_size)), "strides")?,
                    };
                    steps = p.out_steps(steps).ok_or_else(|| {
                        b.err(format!("a window of {steps} steps is too short for it"))
                    })?;
                    if t.kind == "max_pooling1d" {
                        Layer::MaxPooling1d(p)
                    } else {
                        Layer::AveragePooling1d(p)
                    }
                }
                "global_max_pooling1d" | "global_average_pooling1d" => {
                    flow = Flow::Vec(seq_in(&b)?);
                    if t.kind == "global_max_pooling1d" {
                        Layer::GlobalMaxPooling1d
                    } else {
                        Layer::GlobalAveragePooling1d
                    }
                }
                "flatten" => {
                    if let Flow::Seq(w) = flow {
                        flow = Flow::Vec(w * steps);
                    }
                    Layer::Flatten
                }
                "embedding" => {
                    if index != 0 {
                        return Err(b.err("must be the first layer"));
                    }
                    let n = b.need(t.input_dim, "input_dim")?;
                    let d = b.need(t.output_dim, "output_dim")?;
                    let embeddings = (0..n as usize * d as usize)
                        .map(|_| (b.rng.random::<f32>() * 2.0 - 1.0) * 0.05)
                        .collect();
                    flow = Flow::Seq(d as usize);
                    Layer::Embedding(Embedding {
                        input_dim: n,
                        output_dim: d,
                        embeddings,
                    })
                }
                "dropout" => Layer::Dropout {
                    rate: b.rate(t.rate, "rate")?,
                },
                other => return Err(b.err(format!("unknown layer kind {other:?}"))),
            };
            layers.push(layer);
            opts.push(opt);
        }
        Ok(Built { layers, opts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gru_spec_with_keras_defaults() {
        let spec = ModelToml::parse("[[layers]]\nkind = \"gru\"\nunits = 4\ndropout = 0.2\nrecurrent_dropout = 0.1\n[[layers]]\nkind = \"dense\"\nunits = 1\n").unwrap();
        let built = spec.build(3, 10, 1).unwrap();
        let Layer::Gru(g) = &built.layers[0] else {
            panic!("gru")
        };
        assert!(g.reset_after && !g.return_sequences);
        assert_eq!(
            (g.kernel.len(), g.recurrent_kernel.len(), g.bias.len()),
            (3 * 12, 4 * 12, 24)
        );
        assert!(g.bias.iter().all(|&b| b == 0.0));
        assert_eq!(
            built.opts[0],
            LayerOpts {
                dropout: 0.2,
                recurrent_dropout: 0.1
            }
        );
        // Glorot limit sqrt(6 / (3 + 12)).
        assert!(g.kernel.iter().all(|w| w.abs() <= (6.0f32 / 15.0).sqrt()));
    }

    #[test]
    fn orthogonal_rows_are_orthonormal() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (r, c) = (4, 12);
        let q = orthogonal(&mut rng, r, c);
        for i in 0..r {
            for j in 0..r {
                let dot: f32 = (0..c).map(|k| q[i * c + k] * q[j * c + k]).sum();
                assert!(
                    (dot - if i == j { 1.0 } else { 0.0 }).abs() < 1e-5,
                    "rows {i},{j}: {dot}"
                );
            }
        }
    }

    #[test]
    fn lstm_forget_bias_is_one() {
        let spec = ModelToml::parse("[[layers]]\nkind = \"lstm\"\nunits = 2\n").unwrap();
        let Layer::Lstm(l) = &spec.build(1, 5, 0).unwrap().layers[0] else {
            panic!("lstm")
        };
        assert_eq!(l.bias, vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn errors_name_the_layer() {
        let e = ModelToml::parse("[[layers]]\nkind = \"dense\"\n")
            .unwrap()
            .build(1, 5, 0)
            .unwrap_err();
        assert_eq!(e.to_string(), "layer 0 (dense): units is required");
        assert!(ModelToml::parse("[[layers]]\nkind = \"gru\"\nunit = 3\n").is_err());
        let e = ModelToml::parse(
            "[[layers]]\nkind = \"dense\"\nunits = 2\n[[layers]]\nkind = \"gru\"\nunits = 2\n",
        )
        .unwrap();
        let e = ModelToml {
            layers: vec![
                LayerToml {
                    kind: "gru".into(),
                    units: Some(2),
                    ..Default::default()
                },
                e.layers[1].clone(),
            ],
        }
        .build(1, 5, 0)
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("layer 1 (gru): needs a sequence input"),
            "{e}"
        );
    }
}
