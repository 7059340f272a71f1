#!/usr/bin/env python3
"""Independent NumPy re-implementation of every layer kind in tests/golden/.

Loads each golden JSON, recomputes the model output from the stored input and
weights using only NumPy (float64 math), and reports the max abs difference
to the Keras output. Also checks that every stored float is exactly a float32
value and that shapes are consistent. Does not import TensorFlow/Keras.

    python3 tools/golden/verify_golden.py [--tol 1e-5] [files...]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACT = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
}


def check_f32(values, what):
    a = np.asarray(values, dtype=np.float64)
    assert np.array_equal(a.astype(np.float32).astype(np.float64), a), f"{what}: not exact float32"


def weights_of(layer, prefix=""):
    out = {}
    for w in layer["weights"]:
        name = w["name"]
        if not name.startswith(prefix):
            continue
        check_f32(w["data"], name)
        a = np.asarray(w["data"], dtype=np.float64)
        assert a.size == int(np.prod(w["shape"])), name
        out[name[len(prefix):]] = a.reshape(w["shape"])
    return out


# ---- recurrent cells; x: (T, C) -> (T, u) sequence of hidden states ----

def simple_rnn(x, w, cfg):
    act = ACT[cfg["activation"]]
    h = np.zeros(cfg["units"])
    hs = []
    for t in range(x.shape[0]):
        h = act(x[t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
        hs.append(h)
    return np.stack(hs)


def lstm(x, w, cfg):
    u = cfg["units"]
    act, ract = ACT[cfg["activation"]], ACT[cfg["recurrent_activation"]]
    h = np.zeros(u)
    c = np.zeros(u)
    hs = []
    for t in range(x.shape[0]):
        z = x[t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        i, f, g, o = z[:u], z[u:2 * u], z[2 * u:3 * u], z[3 * u:]  # gate order i, f, c, o
        c = ract(f) * c + ract(i) * act(g)
        h = ract(o) * act(c)
        hs.append(h)
    return np.stack(hs)


def gru(x, w, cfg):
    u = cfg["units"]
    act, ract = ACT[cfg["activation"]], ACT[cfg["recurrent_activation"]]
    K, R, b = w["kernel"], w["recurrent_kernel"], w["bias"]
    if cfg["reset_after"]:
        assert b.shape == (2, 3 * u)
        b_in, b_rec = b[0], b[1]  # row 0: input bias, row 1: recurrent bias
    else:
        assert b.shape == (3 * u,)
        b_in, b_rec = b, np.zeros(3 * u)
    h = np.zeros(u)
    hs = []
    for t in range(x.shape[0]):
        xi = x[t] @ K + b_in  # gate order z, r, h
        if cfg["reset_after"]:
            hr = h @ R + b_rec
            z = ract(xi[:u] + hr[:u])
            r = ract(xi[u:2 * u] + hr[u:2 * u])
            hh = act(xi[2 * u:] + r * hr[2 * u:])
        else:
            z = ract(xi[:u] + h @ R[:, :u])
            r = ract(xi[u:2 * u] + h @ R[:, u:2 * u])
            hh = act(xi[2 * u:] + (r * h) @ R[:, 2 * u:])
        h = z * h + (1.0 - z) * hh
        hs.append(h)
    return np.stack(hs)


RNN = {"simple_rnn": simple_rnn, "lstm": lstm, "gru": gru}


def run_rnn(kind, x, w, cfg):
    hs = RNN[kind](x, w, cfg)
    return hs if cfg["return_sequences"] else hs[-1]


def conv1d(x, w, cfg):
    K, b = w["kernel"], w["bias"]
    k, s, d = cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]
    assert K.shape[0] == k and K.shape[1] == x.shape[1] and K.shape[2] == cfg["filters"]
    if cfg["padding"] == "causal":
        x = np.concatenate([np.zeros((d * (k - 1), x.shape[1])), x], axis=0)
    t_out = (x.shape[0] - d * (k - 1) - 1) // s + 1
    y = np.stack([sum(x[t * s + j * d] @ K[j] for j in range(k)) + b for t in range(t_out)])
    return ACT[cfg["activation"]](y)


def pool1d(x, cfg, reduce):
    p, s = cfg["pool_size"], cfg["strides"]
    t_out = (x.shape[0] - p) // s + 1
    return np.stack([reduce(x[t * s:t * s + p], axis=0) for t in range(t_out)])


def apply(layer, x):
    kind, cfg = layer["kind"], layer["config"]
    if kind == "dense":
        w = weights_of(layer)
        return ACT[cfg["activation"]](x @ w["kernel"] + w["bias"])
    if kind in RNN:
        return run_rnn(kind, x, weights_of(layer), cfg)
    if kind == "conv1d":
        return conv1d(x, weights_of(layer), cfg)
    if kind == "max_pooling1d":
        return pool1d(x, cfg, np.max)
    if kind == "average_pooling1d":
        return pool1d(x, cfg, np.mean)
    if kind == "global_max_pooling1d":
        return x.max(axis=0)
    if kind == "global_average_pooling1d":
        return x.mean(axis=0)
    if kind == "flatten":
        return x.reshape(-1)
    if kind == "dropout":
        return x  # inference: identity
    if kind == "embedding":
        w = weights_of(layer)
        assert w["embeddings"].shape == (cfg["input_dim"], cfg["output_dim"])
        return w["embeddings"][x.reshape(-1).astype(np.int64)]
    if kind == "bidirectional":
        inner = cfg["layer"]
        assert cfg["merge_mode"] == "concat"
        fw = run_rnn(inner["kind"], x, weights_of(layer, "forward_"), inner["config"])
        bw = run_rnn(inner["kind"], x[::-1], weights_of(layer, "backward_"), inner["config"])
        if inner["config"]["return_sequences"]:
            bw = bw[::-1]  # Keras re-reverses backward outputs into input time order
        return np.concatenate([fw, bw], axis=-1)
    raise ValueError(f"unknown kind {kind}")


def verify(path, tol):
    doc = json.loads(Path(path).read_text())
    shape = doc["input_shape"]
    assert len(doc["input"]) == int(np.prod(shape))
    if doc["input_kind"] == "tokens":
        assert shape[1] == 1 and all(isinstance(v, int) for v in doc["input"])
        x = np.asarray(doc["input"], dtype=np.int64).reshape(shape)
    else:
        check_f32(doc["input"], "input")
        x = np.asarray(doc["input"], dtype=np.float64).reshape(shape)
    for layer in doc["layers"]:
        x = apply(layer, x)
    check_f32(doc["output"], "output")
    want = np.asarray(doc["output"], dtype=np.float64)
    assert list(x.shape) == doc["output_shape"], (x.shape, doc["output_shape"])
    assert want.size == x.size
    diff = float(np.max(np.abs(x.reshape(-1) - want)))
    return diff, diff <= tol


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or sorted(GOLDEN_DIR.glob("*.json"))
    worst, bad = 0.0, 0
    for f in files:
        diff, ok = verify(f, args.tol)
        worst = max(worst, diff)
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {Path(f).stem:32s} max|numpy - keras| = {diff:.3e}")
    print(f"{len(files)} files, worst {worst:.3e}, {bad} failing (tol {args.tol})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
