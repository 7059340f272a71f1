//! Keras golden vectors: JSON cases written by `tools/golden/keras_golden.py`.

use std::path::Path;

use nowcast_runtime::ModelSpec;
use nowcast_runtime::activation::Activation;
use nowcast_runtime::layers::{
    Bidirectional, Cell, Conv1d, Dense, Embedding, Gru, Layer, Lstm, Padding, Pooling, SimpleRnn,
};
use serde_json::Value;

/// One golden case.
#[derive(Debug)]
pub struct Case {
    /// File stem.
    pub name: String,
    /// Whether the input is token ids.
    pub tokens: bool,
    /// Input steps.
    pub steps: usize,
    /// Input channels.
    pub channels: usize,
    /// Input, time-major.
    pub input: Vec<f32>,
    /// Keras' output shape (batch dimension dropped).
    pub output_shape: Vec<usize>,
    /// Keras' output, row-major.
    pub output: Vec<f32>,
    /// The model, rebuilt in the nowcast format.
    pub spec: ModelSpec,
}

impl Case {
    /// `model` (this case's, in some numeric mode) over the case's input in window mode, with
    /// `probe` shown every layer's output.
    pub fn window_probed(
        &self,
        model: &nowcast_runtime::Model<'_>,
        probe: &mut impl FnMut(nowcast_runtime::Probe<'_>),
    ) -> Vec<f32> {
        let mut scratch = vec![0.0; model.window_scratch_len(self.steps).expect("plan")];
        let out = if self.tokens {
            let ids: Vec<u16> = self.input.iter().map(|&x| x as u16).collect();
            model.window_tokens_probed(&ids, &mut scratch, probe)
        } else {
            model.window_probed(&self.input, &mut scratch, probe)
        };
        out.unwrap_or_else(|e| panic!("{}: window failed: {e:?}", self.name))
            .values
            .to_vec()
    }

    /// What a fresh `Stepper` emits over the case's input: every emission, concatenated, for a
    /// sequence output; the last one for a vector output (empty if there was none).
    pub fn streamed(&self, model: &nowcast_runtime::Model<'_>) -> Vec<f32> {
        let mut state = vec![0.0; model.state_len()];
        let mut stepper = nowcast_runtime::Stepper::new(model, &mut state).expect("stepper");
        let n = model.input_len();
        let mut emitted = Vec::new();
        for t in 0..self.steps {
            let y = if self.tokens {
                stepper.step_token(self.input[t] as u16)
            } else {
                stepper.step(&self.input[t * n..(t + 1) * n])
            }
            .unwrap_or_else(|e| panic!("{}: step failed: {e:?}", self.name));
            if let Some(y) = y {
                emitted.push(y.to_vec());
            }
        }
        if self.output_shape.len() == 2 {
            emitted.concat()
        } else {
            emitted.pop().unwrap_or_default()
        }
    }
}

/// The bit patterns of `v`: for comparing outputs exactly (NaN included).
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer") as usize)
        .collect()
}

fn activation(v: &Value) -> Activation {
    match v.as_str().expect("activation name") {
        "linear" => Activation::Linear,
        "relu" => Activation::Relu,
        "tanh" => Activation::Tanh,
        "sigmoid" => Activation::Sigmoid,
        "softmax" => Activation::Softmax,
        "hard_sigmoid" => Activation::HardSigmoid,
        other => panic!("unknown activation {other}"),
    }
}

fn u32_of(config: &Value, key: &str) -> u32 {
    config[key]
        .as_u64()
        .unwrap_or_else(|| panic!("config key {key}")) as u32
}

fn bool_of(config: &Value, key: &str) -> bool {
    config[key]
        .as_bool()
        .unwrap_or_else(|| panic!("config key {key}"))
}

struct Weights<'v> {
    list: &'v [Value],
    prefix: &'static str,
}

impl Weights<'_> {
    fn get(&self, name: &str) -> Vec<f32> {
        let full = format!("{}{name}", self.prefix);
        let w = self
            .list
            .iter()
            .find(|w| w["name"] == full.as_str())
            .unwrap_or_else(|| panic!("weight {full}"));
        floats(&w["data"])
    }
}

fn cell(kind: &str, c: &Value, w: &Weights<'_>) -> Cell<Vec<f32>> {
    match kind {
        "simple_rnn" => Cell::SimpleRnn(SimpleRnn {
            units: u32_of(c, "units"),
            activation: activation(&c["activation"]),
            return_sequences: bool_of(c, "return_sequences"),
            kernel: w.get("kernel"),
            recurrent_kernel: w.get("recurrent_kernel"),
            bias: w.get("bias"),
        }),
        "lstm" => Cell::Lstm(Lstm {
            units: u32_of(c, "units"),
            activation: activation(&c["activation"]),
            recurrent_activation: activation(&c["recurrent_activation"]),
            return_sequences: bool_of(c, "return_sequences"),
            kernel: w.get("kernel"),
            recurrent_kernel: w.get("recurrent_kernel"),
            bias: w.get("bias"),
        }),
        "gru" => Cell::Gru(Gru {
            units: u32_of(c, "units"),
            activation: activation(&c["activation"]),
            recurrent_activation: activation(&c["recurrent_activation"]),
            reset_after: bool_of(c, "reset_after"),
            return_sequences: bool_of(c, "return_sequences"),
            kernel: w.get("kernel"),
            recurrent_kernel: w.get("recurrent_kernel"),
            bias: w.get("bias"),
        }),
        other => panic!("not a recurrent kind: {other}"),
    }
}

fn layer(v: &Value) -> Layer<Vec<f32>> {
    let kind = v["kind"].as_str().expect("kind");
    let c = &v["config"];
    let w = Weights {
        list: v["weights"].as_array().map(Vec::as_slice).unwrap_or(&[]),
        prefix: "",
    };
    let pooling = || Pooling {
        pool_size: u32_of(c, "pool_size"),
        strides: u32_of(c, "strides"),
    };
    match kind {
        "dense" => Layer::Dense(Dense {
            units: u32_of(c, "units"),
            activation: activation(&c["activation"]),
            kernel: w.get("kernel"),
            bias: w.get("bias"),
        }),
        "simple_rnn" | "lstm" | "gru" => match cell(kind, c, &w) {
            Cell::SimpleRnn(l) => Layer::SimpleRnn(l),
            Cell::Lstm(l) => Layer::Lstm(l),
            Cell::Gru(l) => Layer::Gru(l),
        },
        "conv1d" => Layer::Conv1d(Conv1d {
            filters: u32_of(c, "filters"),
            kernel_size: u32_of(c, "kernel_size"),
            strides: u32_of(c, "strides"),
            dilation: u32_of(c, "dilation_rate"),
            padding: match c["padding"].as_str() {
                Some("valid") => Padding::Valid,
                Some("causal") => Padding::Causal,
                other => panic!("padding {other:?}"),
            },
            activation: activation(&c["activation"]),
            kernel: w.get("kernel"),
            bias: w.get("bias"),
        }),
        "max_pooling1d" => Layer::MaxPooling1d(pooling()),
        "average_pooling1d" => Layer::AveragePooling1d(pooling()),
        "global_max_pooling1d" => Layer::GlobalMaxPooling1d,
        "global_average_pooling1d" => Layer::GlobalAveragePooling1d,
        "flatten" => Layer::Flatten,
        "embedding" => Layer::Embedding(Embedding {
            input_dim: u32_of(c, "input_dim"),
            output_dim: u32_of(c, "output_dim"),
            embeddings: w.get("embeddings"),
        }),
        "dropout" => Layer::Dropout {
            rate: c["rate"].as_f64().expect("rate") as f32,
        },
        "bidirectional" => {
            assert_eq!(c["merge_mode"], "concat");
            let inner = &c["layer"];
            let k = inner["kind"].as_str().expect("inner kind");
            let f = Weights {
                prefix: "forward_",
                ..w
            };
            let b = Weights {
                prefix: "backward_",
                ..w
            };
            Layer::Bidirectional(Bidirectional {
                forward: cell(k, &inner["config"], &f),
                backward: cell(k, &inner["config"], &b),
            })
        }
        other => panic!("unknown layer kind {other}"),
    }
}

/// Reads one case file.
pub fn load(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("golden JSON");
    let shape = usizes(&v["input_shape"]);
    let output_shape = usizes(&v["output_shape"]);
    let tokens = v["input_kind"] == "tokens";
    let width = *output_shape.last().expect("output width");
    let spec = ModelSpec {
        vocabulary: None,
        name: v["name"].as_str().expect("name").to_string(),
        features: if tokens {
            vec!["token".into()]
        } else {
            (0..shape[1]).map(|i| format!("x{i}")).collect()
        },
        targets: (0..width).map(|i| format!("y{i}")).collect(),
        sample_period_ms: 0,
        lookback: shape[0] as u32,
        delay: 0,
        step: 1,
        input_norm: None,
        output_norm: None,
        layers: v["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(layer)
            .collect(),
    };
    Case {
        name: spec.name.clone(),
        tokens,
        steps: shape[0],
        channels: shape[1],
        input: floats(&v["input"]),
        output_shape,
        output: floats(&v["output"]),
        spec,
    }
}

/// Every case in `tests/golden/`, sorted by name.
pub fn all() -> Vec<Case> {
    let dir = crate::repo_root().join("tests/golden");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}
