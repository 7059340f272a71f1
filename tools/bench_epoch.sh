#!/usr/bin/env bash
# Seconds per training epoch, Keras against nowcast, in one run on this machine.
#
#   tools/bench_epoch.sh [MODEL] [EPOCHS] [BATCH] [OPTIMIZER]
#       MODEL: gru32 (default), lstm32, gru32_dropout, conv_gru; BATCH: 128 (default);
#       OPTIMIZER: rmsprop (default) or adam
#
# Both train the same model on the same windows (data/greensboro.csv, lookback 120, delay 6,
# BATCH windows per batch, OPTIMIZER, MAE, 2 threads) for a fixed number of epochs (no early stopping
# involved in the figure: patience is set to the epoch count) and report the median wall seconds
# of a training + validation pass. Keras needs `pip install tensorflow-cpu`; this script is not
# part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-gru32}
epochs=${2:-5}
batch=${3:-128}
optimizer=${4:-rmsprop}
cargo build --release -q -p nowcast-cli
echo "== keras ($model, $epochs epochs, batch $batch, $optimizer, 2 threads)"
keras=$(python3 tools/keras_reference.py --model "$model" --epochs "$epochs" --batch "$batch" \
    --optimizer "$optimizer" --threads 2 2>/dev/null | tail -1)
echo "$keras"
echo "== nowcast ($model, $epochs epochs, batch $batch, $optimizer, 2 threads)"
out=$(mktemp -d)
./target/release/nowcast train --data data/greensboro.csv --target temp_c --lookback 120 --delay 6 \
    --model "tools/cli/specs/$model.toml" --epochs "$epochs" --patience "$epochs" --batch "$batch" \
    --optimizer "$optimizer" --threads 2 \
    --out "$out/model.ncm" --report "$out" > "$out/log.txt"
grep -E "^epoch|median" "$out/log.txt"
python3 - "$out/metrics.json" "$keras" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))["seconds_per_epoch"]
k = json.loads(sys.argv[2])["seconds_per_epoch"]
print(f"seconds per epoch: keras {k:.3f}, nowcast {n:.3f}, ratio nowcast/keras {n / k:.2f}")
PY
rm -rf "$out"
