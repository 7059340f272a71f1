#!/usr/bin/env python3
"""Generate Keras golden vectors for the nowcast runtime.

For every case below this script builds a tiny Keras model (batch size 1),
initialises it with the default Keras initializers (seeded), overwrites every
bias with uniform(-0.5, 0.5) values, runs it on a seeded random input and
writes one JSON file per case into ``tests/golden/`` (relative to the repo
root, located from this file's path).

Usage (from anywhere):

    python3 tools/golden/keras_golden.py            # write all cases
    python3 tools/golden/keras_golden.py gru_last   # write selected cases

The output is deterministic: re-running rewrites byte-identical files.
See tests/golden/README.md for the JSON schema.
"""

import os

# Must be set before TensorFlow is imported: CPU only, no oneDNN graph
# rewrites (they may reorder float ops), quiet logs, TF backend for Keras.
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["PYTHONHASHSEED"] = "0"

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "tests" / "golden"

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

BIAS_LOW, BIAS_HIGH = -0.5, 0.5
ALLOWED_ACTIVATIONS = {"linear", "relu", "tanh", "sigmoid", "softmax"}


# --------------------------------------------------------------------------
# Cases. Each: name, description, seed, input kind/shape, layer factory.
# `shape` is (T, C) for values and (T,) for tokens. Layers are created inside
# the factory after the seed has been set.
# --------------------------------------------------------------------------

def _conv_pool(pool):
    return lambda: [layers.Conv1D(4, 2), pool()]


CASES = [
    dict(name="dense_stack", seed=101, shape=(4, 3),
         description="Dense(6,linear)->Dense(6,relu)->Dense(5,tanh)->Dense(4,sigmoid)->Dense(3,softmax) applied per time step",
         build=lambda: [layers.Dense(6, activation="linear"),
                        layers.Dense(6, activation="relu"),
                        layers.Dense(5, activation="tanh"),
                        layers.Dense(4, activation="sigmoid"),
                        layers.Dense(3, activation="softmax")]),
    dict(name="simple_rnn_seq", seed=102, shape=(12, 3),
         description="SimpleRNN(6, tanh, return_sequences=True)",
         build=lambda: [layers.SimpleRNN(6, return_sequences=True)]),
    dict(name="simple_rnn_last", seed=103, shape=(15, 4),
         description="SimpleRNN(6) -> Dense(1)",
         build=lambda: [layers.SimpleRNN(6), layers.Dense(1)]),
    dict(name="simple_rnn_relu_seq", seed=104, shape=(10, 3),
         description="SimpleRNN(6, relu, return_sequences=True)",
         build=lambda: [layers.SimpleRNN(6, activation="relu", return_sequences=True)]),
    dict(name="lstm_seq", seed=105, shape=(14, 4),
         description="LSTM(7, return_sequences=True)",
         build=lambda: [layers.LSTM(7, return_sequences=True)]),
    dict(name="lstm_last", seed=106, shape=(20, 3),
         description="LSTM(7) -> Dense(2)",
         build=lambda: [layers.LSTM(7), layers.Dense(2)]),
    dict(name="gru_reset_after_seq", seed=107, shape=(12, 4),
         description="GRU(8, reset_after=True, return_sequences=True)",
         build=lambda: [layers.GRU(8, reset_after=True, return_sequences=True)]),
    dict(name="gru_reset_before_seq", seed=108, shape=(12, 4),
         description="GRU(8, reset_after=False, return_sequences=True)",
         build=lambda: [layers.GRU(8, reset_after=False, return_sequences=True)]),
    dict(name="gru_last", seed=109, shape=(16, 5),
         description="GRU(8) -> Dense(1)",
         build=lambda: [layers.GRU(8), layers.Dense(1)]),
    dict(name="stacked_recurrent", seed=110, shape=(16, 4),
         description="GRU(8,rs) -> Dropout(0.2) -> LSTM(6,rs) -> SimpleRNN(5,rs) -> Dense(2) per step",
         build=lambda: [layers.GRU(8, return_sequences=True),
                        layers.Dropout(0.2),
                        layers.LSTM(6, return_sequences=True),
                        layers.SimpleRNN(5, return_sequences=True),
                        layers.Dense(2)]),
    dict(name="stacked_last", seed=111, shape=(18, 3),
         description="LSTM(6,rs) -> GRU(5) -> Dense(1)",
         build=lambda: [layers.LSTM(6, return_sequences=True), layers.GRU(5), layers.Dense(1)]),
    dict(name="conv1d_valid", seed=112, shape=(20, 3),
         description="Conv1D(6, 3, valid, relu)",
         build=lambda: [layers.Conv1D(6, 3, activation="relu")]),
    dict(name="conv1d_causal_dilated", seed=113, shape=(16, 3),
         description="Conv1D(5, 3, causal, dilation_rate=2)",
         build=lambda: [layers.Conv1D(5, 3, padding="causal", dilation_rate=2)]),
    dict(name="conv1d_causal_dilated_stack", seed=114, shape=(20, 2),
         description="Conv1D(4,2,causal,d=1) -> Conv1D(4,2,causal,d=2) -> Conv1D(4,2,causal,d=4) -> Dense(1)",
         build=lambda: [layers.Conv1D(4, 2, padding="causal", dilation_rate=1),
                        layers.Conv1D(4, 2, padding="causal", dilation_rate=2),
                        layers.Conv1D(4, 2, padding="causal", dilation_rate=4),
                        layers.Dense(1)]),
    dict(name="conv1d_strided", seed=115, shape=(18, 3),
         description="Conv1D(4, 3, strides=2, valid)",
         build=lambda: [layers.Conv1D(4, 3, strides=2, padding="valid")]),
    dict(name="conv1d_causal_strided", seed=116, shape=(18, 3),
         description="Conv1D(4, 3, strides=2, causal)",
         build=lambda: [layers.Conv1D(4, 3, strides=2, padding="causal")]),
    dict(name="max_pool", seed=117, shape=(20, 3),
         description="Conv1D(4,2) -> MaxPooling1D(3)",
         build=_conv_pool(lambda: layers.MaxPooling1D(3))),
    dict(name="max_pool_strided", seed=118, shape=(20, 3),
         description="Conv1D(4,2) -> MaxPooling1D(3, strides=2)",
         build=_conv_pool(lambda: layers.MaxPooling1D(3, strides=2))),
    dict(name="avg_pool", seed=119, shape=(20, 3),
         description="Conv1D(4,2) -> AveragePooling1D(2)",
         build=_conv_pool(lambda: layers.AveragePooling1D(2))),
    dict(name="avg_pool_strided", seed=120, shape=(20, 3),
         description="Conv1D(4,2) -> AveragePooling1D(4, strides=3)",
         build=_conv_pool(lambda: layers.AveragePooling1D(4, strides=3))),
    dict(name="conv_pool_gru", seed=121, shape=(40, 4),
         description="Conv1D(8,5,relu) -> MaxPooling1D(3) -> Conv1D(8,5,relu) -> GRU(8) -> Dense(1)",
         build=lambda: [layers.Conv1D(8, 5, activation="relu"), layers.MaxPooling1D(3),
                        layers.Conv1D(8, 5, activation="relu"), layers.GRU(8), layers.Dense(1)]),
    dict(name="conv_pool_gru_seq", seed=122, shape=(40, 4),
         description="Conv1D(8,5,relu) -> MaxPooling1D(3) -> Conv1D(8,5,relu) -> GRU(8,rs) -> Dense(1) per step",
         build=lambda: [layers.Conv1D(8, 5, activation="relu"), layers.MaxPooling1D(3),
                        layers.Conv1D(8, 5, activation="relu"),
                        layers.GRU(8, return_sequences=True), layers.Dense(1)]),
    dict(name="global_max", seed=123, shape=(15, 3),
         description="Conv1D(5,3,relu) -> GlobalMaxPooling1D -> Dense(2)",
         build=lambda: [layers.Conv1D(5, 3, activation="relu"), layers.GlobalMaxPooling1D(),
                        layers.Dense(2)]),
    dict(name="global_avg", seed=124, shape=(15, 3),
         description="Conv1D(5,3) -> GlobalAveragePooling1D -> Dense(2)",
         build=lambda: [layers.Conv1D(5, 3), layers.GlobalAveragePooling1D(), layers.Dense(2)]),
    dict(name="flatten_dense", seed=125, shape=(8, 3),
         description="Conv1D(4,3) -> Flatten -> Dense(3)",
         build=lambda: [layers.Conv1D(4, 3), layers.Flatten(), layers.Dense(3)]),
    dict(name="embedding_lstm", seed=126, shape=(12,), tokens=20,
         description="tokens -> Embedding(20,6) -> LSTM(5) -> Dense(1, sigmoid)",
         build=lambda: [layers.Embedding(20, 6), layers.LSTM(5), layers.Dense(1, activation="sigmoid")]),
    dict(name="embedding_gru_seq", seed=127, shape=(10,), tokens=15,
         description="tokens -> Embedding(15,4) -> GRU(6, rs)",
         build=lambda: [layers.Embedding(15, 4), layers.GRU(6, return_sequences=True)]),
    dict(name="bidirectional_gru_seq", seed=128, shape=(12, 3),
         description="Bidirectional(GRU(6, rs), concat) -> Dense(2) per step",
         build=lambda: [layers.Bidirectional(layers.GRU(6, return_sequences=True)), layers.Dense(2)]),
    dict(name="bidirectional_lstm_last", seed=129, shape=(14, 4),
         description="Bidirectional(LSTM(5), concat) -> Dense(1)",
         build=lambda: [layers.Bidirectional(layers.LSTM(5)), layers.Dense(1)]),
    dict(name="bidirectional_simple_rnn_stack", seed=130, shape=(10, 3),
         description="Bidirectional(SimpleRNN(4, rs)) -> Bidirectional(GRU(3, reset_after=False))",
         build=lambda: [layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True)),
                        layers.Bidirectional(layers.GRU(3, reset_after=False))]),
    dict(name="weather_gru", seed=131, shape=(24, 14),
         description="realistic size: GRU(32) -> Dense(1) on 24 steps x 14 features",
         build=lambda: [layers.GRU(32), layers.Dense(1)]),
    dict(name="weather_lstm", seed=132, shape=(24, 19),
         description="realistic size: LSTM(32) -> Dense(1) on 24 steps x 19 features",
         build=lambda: [layers.LSTM(32), layers.Dense(1)]),
    dict(name="embedding_bigru_softmax", seed=133, shape=(16,), tokens=40,
         description="text classifier: tokens -> Embedding(40,8) -> Bidirectional(GRU(6)) -> Dense(3, softmax)",
         build=lambda: [layers.Embedding(40, 8), layers.Bidirectional(layers.GRU(6)),
                        layers.Dense(3, activation="softmax")]),
    dict(name="embedding_bag_softmax", seed=134, shape=(20,), tokens=50,
         description="bag of words: tokens -> Embedding(50,8) -> GlobalAveragePooling1D -> Dense(8, relu) -> Dense(2, softmax)",
         build=lambda: [layers.Embedding(50, 8), layers.GlobalAveragePooling1D(),
                        layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")]),
]


# --------------------------------------------------------------------------
# Layer description
# --------------------------------------------------------------------------

KIND = {
    layers.Dense: "dense",
    layers.SimpleRNN: "simple_rnn",
    layers.LSTM: "lstm",
    layers.GRU: "gru",
    layers.Conv1D: "conv1d",
    layers.MaxPooling1D: "max_pooling1d",
    layers.AveragePooling1D: "average_pooling1d",
    layers.GlobalMaxPooling1D: "global_max_pooling1d",
    layers.GlobalAveragePooling1D: "global_average_pooling1d",
    layers.Flatten: "flatten",
    layers.Embedding: "embedding",
    layers.Dropout: "dropout",
    layers.Bidirectional: "bidirectional",
}

EXPECTED_WEIGHTS = {
    "dense": ["kernel", "bias"],
    "simple_rnn": ["kernel", "recurrent_kernel", "bias"],
    "lstm": ["kernel", "recurrent_kernel", "bias"],
    "gru": ["kernel", "recurrent_kernel", "bias"],
    "conv1d": ["kernel", "bias"],
    "embedding": ["embeddings"],
}


def f32_list(a):
    a = np.asarray(a, dtype=np.float32)
    assert np.all(np.isfinite(a)), "non-finite value"
    return [float(v) for v in a.reshape(-1)]


def activation_name(layer, key="activation"):
    name = layer.get_config()[key]
    assert isinstance(name, str), (layer.name, key, name)
    if key == "activation":
        assert name in ALLOWED_ACTIVATIONS, (layer.name, name)
    return name


def single(v):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    assert len(v) == 1, v
    return int(v[0])


def kind_of(layer):
    k = KIND.get(type(layer))
    assert k is not None, f"unsupported layer {type(layer).__name__}"
    return k


def layer_config(layer):
    k = kind_of(layer)
    if k == "dense":
        return {"units": layer.units, "activation": activation_name(layer)}
    if k == "simple_rnn":
        return {"units": layer.cell.units, "activation": activation_name(layer),
                "return_sequences": bool(layer.return_sequences)}
    if k == "lstm":
        assert layer.get_config()["use_bias"]
        return {"units": layer.cell.units, "activation": activation_name(layer),
                "recurrent_activation": activation_name(layer, "recurrent_activation"),
                "return_sequences": bool(layer.return_sequences)}
    if k == "gru":
        return {"units": layer.cell.units, "activation": activation_name(layer),
                "recurrent_activation": activation_name(layer, "recurrent_activation"),
                "reset_after": bool(layer.cell.reset_after),
                "return_sequences": bool(layer.return_sequences)}
    if k == "conv1d":
        assert layer.data_format == "channels_last" and layer.groups == 1
        assert layer.padding in ("valid", "causal"), layer.padding
        return {"filters": layer.filters, "kernel_size": single(layer.kernel_size),
                "strides": single(layer.strides), "padding": layer.padding,
                "dilation_rate": single(layer.dilation_rate),
                "activation": activation_name(layer)}
    if k in ("max_pooling1d", "average_pooling1d"):
        assert layer.padding == "valid" and layer.data_format == "channels_last"
        return {"pool_size": single(layer.pool_size), "strides": single(layer.strides),
                "padding": layer.padding}
    if k in ("global_max_pooling1d", "global_average_pooling1d", "flatten"):
        return {}
    if k == "embedding":
        assert not layer.mask_zero
        return {"input_dim": layer.input_dim, "output_dim": layer.output_dim}
    if k == "dropout":
        return {"rate": float(layer.rate)}
    if k == "bidirectional":
        assert layer.merge_mode == "concat"
        fwd = layer.forward_layer
        assert kind_of(fwd) == kind_of(layer.backward_layer)
        assert layer_config(fwd) == layer_config(layer.backward_layer)
        assert layer.backward_layer.go_backwards and not fwd.go_backwards
        return {"merge_mode": layer.merge_mode,
                "layer": {"kind": kind_of(fwd), "config": layer_config(fwd)}}
    raise AssertionError(k)


def plain_weights(layer, prefix=""):
    k = kind_of(layer)
    names = [w.name for w in layer.weights]
    values = layer.get_weights()
    assert names == EXPECTED_WEIGHTS.get(k, []), (k, names)
    assert len(values) == len(names)
    return [{"name": prefix + n, "shape": [int(d) for d in v.shape], "data": f32_list(v)}
            for n, v in zip(names, values)]


def layer_weights(layer):
    if kind_of(layer) == "bidirectional":
        out = (plain_weights(layer.forward_layer, "forward_")
               + plain_weights(layer.backward_layer, "backward_"))
        # Check that this equals the Bidirectional layer's own get_weights() order.
        own = layer.get_weights()
        assert len(own) == len(out)
        for w, v in zip(out, own):
            assert list(v.shape) == w["shape"] and f32_list(v) == w["data"]
        return out
    return plain_weights(layer)


def describe(layer):
    return {"kind": kind_of(layer), "config": layer_config(layer),
            "weights": layer_weights(layer)}


# --------------------------------------------------------------------------
# Model building / running
# --------------------------------------------------------------------------

def randomize_biases(model, rng):
    """Overwrite every variable named 'bias' with uniform(-0.5, 0.5)."""
    n = 0
    for var in model.weights:  # deterministic (layer, weight) order
        if var.name == "bias":
            v = rng.uniform(BIAS_LOW, BIAS_HIGH, size=tuple(var.shape)).astype(np.float32)
            var.assign(v)
            n += 1
    return n


def run_case(case):
    keras.backend.clear_session()
    seed = case["seed"]
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)

    tokens = case.get("tokens")
    shape = case["shape"]
    if tokens is not None:
        inp = keras.Input(shape=shape, batch_size=1, dtype="int32")
    else:
        inp = keras.Input(shape=shape, batch_size=1, dtype="float32")
    model = keras.Sequential([inp] + case["build"]())
    n_bias = randomize_biases(model, rng)
    n_expected = sum(1 for L in model.layers
                     for w in L.weights if w.name == "bias")
    assert n_bias == n_expected

    if tokens is not None:
        x = rng.integers(0, tokens, size=shape).astype(np.int32)
        input_json = [int(v) for v in x.reshape(-1)]
        input_shape = [shape[0], 1]
        input_kind = "tokens"
    else:
        x = rng.standard_normal(size=shape).astype(np.float32)
        input_json = f32_list(x)
        input_shape = list(shape)
        input_kind = "values"

    y = model(x[None, ...], training=False)
    y = np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float32)
    assert y.shape[0] == 1
    y = y[0]

    return {
        "name": case["name"],
        "description": case["description"],
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "seed": seed,
        "input_kind": input_kind,
        "input_shape": input_shape,
        "input": input_json,
        "layers": [describe(L) for L in model.layers],
        "output_shape": [int(d) for d in y.shape],
        "output": f32_list(y),
    }


# --------------------------------------------------------------------------
# JSON writing: pretty structure, but flat number lists on a single line.
# --------------------------------------------------------------------------

def to_json(obj, indent=0):
    pad = "  " * indent
    pad1 = "  " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad1}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, separators=(", ", ": "))
        items = [pad1 + to_json(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    assert not isinstance(obj, float) or np.isfinite(obj)
    return json.dumps(obj)


def main(argv):
    selected = set(argv)
    unknown = selected - {c["name"] for c in CASES}
    if unknown:
        sys.exit(f"unknown case(s): {sorted(unknown)}")
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if selected and case["name"] not in selected:
            continue
        doc = run_case(case)
        text = to_json(doc) + "\n"
        assert json.loads(text) == doc
        path = OUT_DIR / f"{case['name']}.json"
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}  input {doc['input_shape']} "
              f"-> output {doc['output_shape']}  ({len(text)} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
