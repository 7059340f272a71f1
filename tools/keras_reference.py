#!/usr/bin/env python3
"""Keras reference run of the temperature-forecasting protocol (Keras chapter).

Trains one small Keras forecaster on ``data/greensboro.csv`` with the same
protocol nowcast uses, so accuracy and training speed can be compared on this
machine.

Protocol:
  * rows split chronologically: train = first floor(0.6 N) rows,
    val = next floor(0.2 N) rows, test = the rest;
  * inputs = all ten numeric channels (``temp_c`` included), normalized with
    the train rows' mean and population std (ddof=0);
  * the window starting at row s uses rows s..s+LOOKBACK-1 (step 1) and
    predicts temp_c at row s+LOOKBACK-1+DELAY; a window is valid iff s and the
    target row lie in the same split (LOOKBACK=120, DELAY=6 ->
    5,131 / 1,627 / 1,627 windows);
  * target = temp_c normalized with the train mean/std; MAE reported in degC
    (normalized MAE x std);
  * RMSprop (Keras defaults; or Adam with --optimizer adam), loss "mae",
    batch 128 (or --batch), shuffle=True,
    EarlyStopping(val_loss, patience 3, restore_best_weights=True).

Usage:
    python3 tools/keras_reference.py --model gru32 [--epochs 20] [--seed 1337]
                                     [--batch 128] [--optimizer rmsprop|adam]
                                     [--threads N]

Prints the wall seconds of every epoch (train + validation), the median, and
at the end one JSON line:
  {"model", "seed", "epochs_run", "best_epoch", "seconds_per_epoch",
   "val_mae", "test_mae", "persistence_test_mae", "threads"}
"""

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO_ROOT / "data" / "greensboro.csv"

CHANNELS = [
    "temp_c", "dewpoint_c", "rh_pct", "pressure_mbar", "wind_dir_deg",
    "wind_speed_ms", "ghi_wm2", "dni_wm2", "dhi_wm2", "total_cloud",
]
TARGET = "temp_c"
LOOKBACK = 120
DELAY = 6
DEFAULT_BATCH = 128
EXPECTED_COUNTS = (5131, 1627, 1627)
MODELS = ("gru32", "lstm32", "gru32_dropout", "conv_gru")


def load_csv(path):
    """Return the (N, 10) float64 array of the ten numeric channels."""
    with open(path, newline="") as f:
        header = f.readline().strip().split(",")
    expected = ["time"] + CHANNELS
    if header != expected:
        raise SystemExit(f"unexpected header in {path}: {header}")
    data = np.loadtxt(path, delimiter=",", skiprows=1,
                      usecols=range(1, 1 + len(CHANNELS)), dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(CHANNELS):
        raise SystemExit(f"bad data shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise SystemExit("non-finite values in data")
    return data


def make_windows(norm, raw_target, start, end, t_norm):
    """Windows whose start row and target row both lie in [start, end).

    Returns (x, y_norm, persistence_raw, target_raw):
      x[i]          = norm[s : s+LOOKBACK]            (LOOKBACK, C) float32
      y_norm[i]     = t_norm[s+LOOKBACK-1+DELAY]
      persistence   = raw temp at s+LOOKBACK-1 (last input row)
      target_raw    = raw temp at s+LOOKBACK-1+DELAY
    """
    last_start = end - 1 - (LOOKBACK - 1 + DELAY)  # inclusive
    starts = np.arange(start, last_start + 1)
    if starts.size == 0:
        raise SystemExit(f"no windows in split [{start}, {end})")
    idx = starts[:, None] + np.arange(LOOKBACK)[None, :]
    x = norm[idx].astype(np.float32)
    tgt_rows = starts + LOOKBACK - 1 + DELAY
    assert tgt_rows[-1] < end and starts[0] >= start
    y = t_norm[tgt_rows].astype(np.float32)
    persistence = raw_target[starts + LOOKBACK - 1]
    return x, y, persistence, raw_target[tgt_rows]


def build_model(name, n_channels):
    import keras
    from keras import layers

    inputs = keras.Input(shape=(LOOKBACK, n_channels))
    if name == "gru32":
        h = layers.GRU(32)(inputs)
    elif name == "lstm32":
        h = layers.LSTM(32)(inputs)
    elif name == "gru32_dropout":
        h = layers.GRU(32, dropout=0.2, recurrent_dropout=0.2)(inputs)
    elif name == "conv_gru":
        h = layers.Conv1D(32, 5, activation="relu")(inputs)
        h = layers.MaxPooling1D(3)(h)
        h = layers.Conv1D(32, 5, activation="relu")(h)
        h = layers.GRU(32)(h)
    else:
        raise SystemExit(f"unknown model {name}")
    outputs = layers.Dense(1)(h)
    return keras.Model(inputs, outputs, name=name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=MODELS)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    ap.add_argument("--optimizer", choices=("rmsprop", "adam"), default="rmsprop")
    ap.add_argument("--threads", type=int, default=None,
                    help="intra/inter op parallelism (default: TF default)")
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = ap.parse_args(argv)

    import tensorflow as tf
    import keras

    # Threading must be configured before TF executes any op.
    if args.threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)

    # ---- data -------------------------------------------------------------
    data = load_csv(args.csv)
    n = data.shape[0]
    n_train = int(np.floor(0.6 * n))
    n_val = int(np.floor(0.2 * n))
    bounds = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n)]

    train_rows = data[:n_train]
    mean = train_rows.mean(axis=0)
    std = train_rows.std(axis=0)  # population std (ddof=0)
    if np.any(std == 0):
        raise SystemExit("zero std channel in train rows")
    norm = (data - mean) / std

    ti = CHANNELS.index(TARGET)
    t_mean, t_std = float(mean[ti]), float(std[ti])
    raw_t = data[:, ti]
    t_norm = (raw_t - t_mean) / t_std

    splits = [make_windows(norm, raw_t, a, b, t_norm) for a, b in bounds]
    counts = tuple(len(s[0]) for s in splits)
    print(f"rows N={n} split train/val/test rows = "
          f"{n_train}/{n_val}/{n - n_train - n_val}; "
          f"windows = {counts[0]}/{counts[1]}/{counts[2]}", flush=True)
    assert counts == EXPECTED_COUNTS, (counts, EXPECTED_COUNTS)
    (x_tr, y_tr, _, _), (x_va, y_va, _, yraw_va), \
        (x_te, y_te, pers_te, yraw_te) = splits

    # ---- model ------------------------------------------------------------
    model = build_model(args.model, len(CHANNELS))
    optimizer = (keras.optimizers.Adam() if args.optimizer == "adam"
                 else keras.optimizers.RMSprop())
    model.compile(optimizer=optimizer, loss="mae")

    epoch_seconds = []

    class EpochTimer(keras.callbacks.Callback):
        """Wall time from epoch begin to epoch end (train + validation)."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            dt = time.perf_counter() - self._t0
            epoch_seconds.append(dt)
            logs = logs or {}
            print(f"epoch {epoch + 1}: {dt:.3f} s  "
                  f"loss={logs.get('loss', float('nan')):.5f}  "
                  f"val_loss={logs.get('val_loss', float('nan')):.5f}  "
                  f"(val MAE {logs.get('val_loss', float('nan')) * t_std:.4f}"
                  f" degC)", flush=True)

    early = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=3, restore_best_weights=True)

    history = model.fit(
        x_tr, y_tr,
        batch_size=args.batch,
        epochs=args.epochs,
        validation_data=(x_va, y_va),
        shuffle=True,
        callbacks=[EpochTimer(), early],
        verbose=0,
    )

    epochs_run = len(history.history["loss"])
    val_hist = history.history["val_loss"]
    best_epoch = int(np.argmin(val_hist)) + 1  # 1-based, first minimum
    sec_per_epoch = float(statistics.median(epoch_seconds))
    print("per-epoch seconds: "
          + ", ".join(f"{s:.3f}" for s in epoch_seconds), flush=True)
    print(f"median seconds per epoch: {sec_per_epoch:.3f}", flush=True)

    # ---- evaluation (best weights restored by EarlyStopping) --------------
    def mae_degc(x, y_raw):
        pred = model.predict(x, batch_size=DEFAULT_BATCH, verbose=0)[:, 0]
        pred_raw = pred.astype(np.float64) * t_std + t_mean
        return float(np.mean(np.abs(pred_raw - y_raw)))

    val_mae = mae_degc(x_va, yraw_va)
    test_mae = mae_degc(x_te, yraw_te)
    persistence_test_mae = float(np.mean(np.abs(pers_te - yraw_te)))

    result = {
        "model": args.model,
        "seed": args.seed,
        "batch": args.batch,
        "optimizer": args.optimizer,
        "epochs_run": epochs_run,
        "best_epoch": best_epoch,
        "seconds_per_epoch": round(sec_per_epoch, 4),
        "val_mae": round(val_mae, 4),
        "test_mae": round(test_mae, 4),
        "persistence_test_mae": round(persistence_test_mae, 4),
        "threads": args.threads,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
