//! Stateful training (truncated backprop through time): the model learns on long streams, as a
//! device runs it, each recurrent layer's state carried from one chunk of samples to the next.
//!
//! A model trained on windows always starts from a zero state `lookback` samples before its
//! forecast. Streamed on a device for hours, its state has seen far more than that, and its
//! forecasts can drift from what window evaluation promised. Here instead:
//!
//! - **Streams.** Each segment of the training split is a stream of samples; with a window
//!   `step` above 1, one stream per phase (rows `s, s + step, ...`).
//! - **Pieces and lanes.** Every epoch cuts the streams into pieces of about `samples / lanes`
//!   (a multiple of `chunk`, and at least four chunks: with less data, fewer lanes), a stream
//!   longer than a piece at cut points shifted by a random offset, and deals them to the lanes:
//!   longest first, each to the lane with the fewest chunks so far. A piece starts from the
//!   zero state, as a device does after power-on.
//! - **Steps** without a target in any lane (every lane idle, or within `delay` of its
//!   stream's end) are left out: they would not change the weights.
//! - **Chunks.** The lanes advance together, `chunk` samples per optimizer step. Every recurrent
//!   layer returns its whole sequence, so there is a forecast after every sample (the runtime's
//!   `Stepper` emits the same). Each forecast is scored against the target `delay` rows later
//!   when that row is in the same segment and split. Gradients flow within a chunk; the state
//!   carries over to the next chunk without a gradient.
//! - **Validation** streams the validation split as [`crate::eval`] does: a zero state at the
//!   split's start and at every segment's, phase 0 of the `step`. So the validation MAE is the
//!   streaming MAE the runtime measures on the exported model, up to `f32` rounding.
//!
//! Layers: SimpleRNN, LSTM, GRU, Dense and Dropout (Conv1D and pooling are refused).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::fit::{
    FitConfig, FitError, History, Progress, Schedule, fingerprint, pool, run, stream_seed,
    sum_parts,
};
use super::model::TrainModel;
use crate::data::{Dataset, Split};
use crate::net::{Seq, State};

/// Samples per validation chunk (the state carries over; only memory depends on it).
const VAL_CHUNK: usize = 512;

/// Chunks in a piece at least, so that the state is carried even when the lanes could share
/// out the data in shorter pieces (fewer lanes then).
const MIN_PIECE_CHUNKS: usize = 4;

/// How stateful training cuts the training streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stateful {
    /// Streams advanced together (the batch of one optimizer step).
    pub lanes: usize,
    /// Samples per chunk: how far back a gradient flows.
    pub chunk: usize,
}

/// Rows `first + k · step` for `k < len`, in one segment of one split; targets must lie below
/// `end` (the end of that segment within the split).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stream {
    first: usize,
    len: usize,
    end: usize,
}

/// The streams of a split: one per segment, and per phase of the step if `phases`.
fn streams(dataset: &Dataset, split: Split, phases: bool) -> Vec<Stream> {
    let rows = dataset.split_rows(split);
    let step = dataset.window().step().max(1);
    let mut out = Vec::new();
    for seg in dataset.segments() {
        let (a, b) = (seg.start.max(rows.start), seg.end.min(rows.end));
        for phase in 0..if phases { step } else { 1 } {
            let first = a + phase;
            if first < b {
                out.push(Stream {
                    first,
                    len: (b - first).div_ceil(step),
                    end: b,
                });
            }
        }
    }
    out
}

/// Samples `start..start + len` of stream `stream`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    stream: usize,
    start: usize,
    len: usize,
}

/// The streams cut into pieces of `size` samples, the first cut of a stream longer than that
/// `shift()` samples in.
fn pieces(streams: &[Stream], size: usize, mut shift: impl FnMut() -> usize) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let mut start = 0;
        let mut next = if s.len > size { shift() % size } else { 0 };
        while start < s.len {
            let end = if next == 0 { size } else { next }.min(s.len - start) + start;
            out.push(Piece {
                stream: i,
                start,
                len: end - start,
            });
            start = end;
            next = 0;
        }
    }
    out
}

/// The pieces dealt to `lanes` lanes (longest first, each to the lane with the fewest chunks so
/// far, the lowest of equals): for each lane, its pieces in order.
fn deal(mut pieces: Vec<Piece>, lanes: usize, chunk: usize) -> Vec<Vec<Piece>> {
    pieces.sort_by_key(|p| std::cmp::Reverse(p.len.div_ceil(chunk)));
    let mut out = vec![Vec::new(); lanes];
    let mut load = vec![0usize; lanes];
    for p in pieces {
        let lane = (0..lanes).min_by_key(|&l| (load[l], l)).unwrap_or(0);
        load[lane] += p.len.div_ceil(chunk);
        out[lane].push(p);
    }
    out
}

/// What lane `l` does in one chunk: a piece's samples from `from` (a chunk's worth or the
/// piece's rest), starting the piece (zero state) if `from` is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    piece: Piece,
    from: usize,
}

/// Stateful training's [`Schedule`].
struct Streams<'a> {
    data: &'a Dataset,
    cfg: &'a FitConfig,
    stateful: Stateful,
    train: Vec<Stream>,
    val: Vec<Stream>,
    /// This epoch: each chunk's slot per lane.
    slots: Vec<Vec<Option<Slot>>>,
    /// Per part of the lanes (one per thread): every layer's state.
    states: Vec<Vec<Option<State<f32>>>>,
    layers: usize,
}

impl Streams<'_> {
    /// The lanes of each part: contiguous, one part per thread.
    fn parts(&self, lanes: usize) -> Vec<std::ops::Range<usize>> {
        let size = lanes.div_ceil(self.cfg.threads.max(1)).max(1);
        (0..lanes.div_ceil(size))
            .map(|p| p * size..((p + 1) * size).min(lanes))
            .collect()
    }

    /// The normalized target of the forecast after the sample at `row` of `stream`, if its row
    /// is in the stream's segment and split and was read, not filled in.
    fn target(&self, stream: &Stream, row: usize) -> Option<f32> {
        let t = row + self.data.window().delay();
        (t < stream.end && !self.data.target_is_filled(t)).then(|| {
            self.data
                .normalization()
                .target
                .normalize(self.data.target()[t]) as f32
        })
    }

    /// One chunk's inputs (`steps × lanes`) and targets (time-major), with lane `l` reading
    /// `take(l)`: a stream and its samples `from..from + n` (zeros and no targets past `n`).
    fn chunk(
        &self,
        streams: &[Stream],
        steps: usize,
        lanes: usize,
        take: impl Fn(usize) -> Option<(usize, usize, usize)>,
    ) -> (Seq<f32>, Vec<Option<f32>>) {
        let width = self.data.features().len();
        let step = self.data.window().step().max(1);
        let mut x = Seq::zeros(steps, lanes, width);
        let mut targets = vec![None; steps * lanes];
        for l in 0..lanes {
            let Some((s, from, n)) = take(l) else {
                continue;
            };
            let stream = &streams[s];
            for t in 0..n.min(steps) {
                let row = stream.first + (from + t) * step;
                let input = self.data.input_row(row);
                x.data
                    .row_mut(t * lanes + l)
                    .iter_mut()
                    .zip(input)
                    .for_each(|(d, &v)| *d = v);
                targets[t * lanes + l] = self.target(stream, row);
            }
        }
        (x, targets)
    }
}

/// Zeroes lane `l`'s rows of every layer's state.
fn reset_lane(states: &mut [Option<State<f32>>], l: usize) {
    for s in states.iter_mut().flatten() {
        s.h.row_mut(l).fill(0.0);
        if let Some(c) = &mut s.c {
            c.row_mut(l).fill(0.0);
        }
    }
}

/// The piece size (samples) and the lanes of stateful training on `streams` (see the module
/// docs): the lanes asked for, fewer if the streams cut into fewer pieces.
fn layout(streams: &[Stream], stateful: Stateful) -> (usize, usize) {
    let chunk = stateful.chunk.max(1);
    let samples: usize = streams.iter().map(|s| s.len).sum();
    let chunks = samples.div_ceil(stateful.lanes.max(1)).div_ceil(chunk);
    let size = chunks.max(MIN_PIECE_CHUNKS) * chunk;
    // Shifted cuts only add pieces: every epoch has at least these.
    let pieces: usize = streams.iter().map(|s| s.len.div_ceil(size)).sum();
    (size, stateful.lanes.max(1).min(pieces.max(1)))
}

impl Stateful {
    /// The lanes stateful training on `dataset` runs: [`lanes`](Self::lanes), fewer where the
    /// training split gives fewer pieces of at least four chunks.
    pub fn lanes_used(&self, dataset: &Dataset) -> usize {
        layout(&streams(dataset, Split::Train, true), *self).1
    }
}

/// Forecasts with a target among `n` samples of `stream` from sample `from`: the rows whose
/// target row (`delay` later) is before the stream's end.
fn with_target(stream: &Stream, from: usize, n: usize, step: usize, delay: usize) -> usize {
    let first = stream.first + from * step;
    if first + delay >= stream.end {
        0
    } else {
        ((stream.end - 1 - delay - first) / step + 1).min(n)
    }
}

impl Schedule for Streams<'_> {
    fn plan(&mut self, epoch: usize) -> Result<(usize, usize), FitError> {
        let chunk = self.stateful.chunk.max(1);
        let (size, lanes) = layout(&self.train, self.stateful);
        let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(self.cfg.seed, &[3, epoch as u64]));
        let mut cut = pieces(&self.train, size, || {
            rand::Rng::random_range(&mut rng, 0..size)
        });
        cut.shuffle(&mut rng);
        let dealt = deal(cut, lanes, chunk);
        let chunks = dealt
            .iter()
            .map(|ps| ps.iter().map(|p| p.len.div_ceil(chunk)).sum::<usize>())
            .max()
            .unwrap_or(0);
        self.slots = vec![vec![None; lanes]; chunks];
        for (l, ps) in dealt.iter().enumerate() {
            let mut k = 0;
            for &piece in ps {
                for from in (0..piece.len).step_by(chunk) {
                    self.slots[k][l] = Some(Slot { piece, from });
                    k += 1;
                }
            }
        }
        self.states = vec![vec![None; self.layers]; self.parts(lanes).len()];
        // Steps without a target change nothing: the lanes in them are idle or past their last
        // target, so no later target depends on their state.
        let counts: Vec<usize> = (0..chunks).map(|k| self.targets_in(k)).collect();
        let mut counted = counts.iter();
        self.slots
            .retain(|_| counted.next().is_some_and(|&n| n > 0));
        Ok((self.slots.len(), counts.iter().sum()))
    }

    fn gradient(
        &mut self,
        model: &TrainModel,
        epoch: usize,
        bi: usize,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, Vec<f32>, usize), FitError> {
        let chunk = self.stateful.chunk.max(1);
        let slots = &self.slots[bi];
        let n = self.targets_in(bi);
        let scale = 1.0 / n.max(1) as f32;
        let parts = self.parts(slots.len());
        let mut states = std::mem::take(&mut self.states);
        let this = &*self;
        let results: Vec<Result<(f64, Vec<f32>), FitError>> = pool.install(|| {
            states
                .par_iter_mut()
                .zip(&parts)
                .enumerate()
                .map(|(pi, (states, lanes))| {
                    let part = &slots[lanes.clone()];
                    for (l, slot) in part.iter().enumerate() {
                        if slot.is_some_and(|s| s.from == 0) {
                            reset_lane(states, l);
                        }
                    }
                    let (x, targets) = this.chunk(&this.train, chunk, part.len(), |l| {
                        part[l]
                            .map(|s| (s.piece.stream, s.piece.start + s.from, s.piece.len - s.from))
                    });
                    let rng = ChaCha8Rng::seed_from_u64(stream_seed(
                        this.cfg.seed,
                        &[4, epoch as u64, bi as u64, pi as u64],
                    ));
                    Ok(model.net().stream_loss_and_grad(
                        x,
                        &targets,
                        states,
                        this.cfg.loss,
                        scale,
                        rng,
                    )?)
                })
                .collect()
        });
        self.states = states;
        let (loss, grad) = sum_parts(results, model.param_count())?;
        Ok((loss, grad, n))
    }

    fn validate(
        &self,
        model: &TrainModel,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, f64), FitError> {
        let (loss, abs, n) = self.stream_errors(model, pool)?;
        if n == 0 {
            return Err(FitError::NoWindows(Split::Val));
        }
        let n = n as f64;
        Ok((loss / n, abs / n * self.data.normalization().target.std))
    }
}

impl Streams<'_> {
    /// The forecasts with a target in chunk `k` of this epoch.
    fn targets_in(&self, k: usize) -> usize {
        let chunk = self.stateful.chunk.max(1);
        let w = self.data.window();
        self.slots[k]
            .iter()
            .flatten()
            .map(|s| {
                let stream = &self.train[s.piece.stream];
                let n = (s.piece.len - s.from).min(chunk);
                with_target(
                    stream,
                    s.piece.start + s.from,
                    n,
                    w.step().max(1),
                    w.delay(),
                )
            })
            .sum()
    }

    /// The loss sum, the absolute error sum (normalized units) and the count of the streamed
    /// validation forecasts with a target.
    fn stream_errors(
        &self,
        model: &TrainModel,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, f64, usize), FitError> {
        let loss = self.cfg.loss;
        let groups = self.parts(self.val.len());
        let results: Vec<Result<(f64, f64, usize), FitError>> = pool.install(|| {
            groups
                .par_iter()
                .map(|lanes| {
                    let streams = &self.val[lanes.clone()];
                    let longest = streams.iter().map(|s| s.len).max().unwrap_or(0);
                    let mut states = vec![None; self.layers];
                    let (mut l_sum, mut a_sum, mut n) = (0.0, 0.0, 0);
                    let (mut g, mut row) = (Vec::new(), Vec::new());
                    for from in (0..longest).step_by(VAL_CHUNK) {
                        let (x, targets) = self.chunk(streams, VAL_CHUNK, streams.len(), |l| {
                            (from < streams[l].len).then(|| (l, from, streams[l].len - from))
                        });
                        let y = model.net().stream_predict(x, &mut states)?;
                        g.resize(y.width(), 0.0);
                        for (out, t) in y.data.rows().into_iter().zip(&targets) {
                            let Some(t) = *t else { continue };
                            row.clear();
                            row.extend(out.iter().copied());
                            l_sum += loss.example(&row, t, &mut g, 1.0);
                            a_sum += f64::from(row[0] - t).abs();
                            n += 1;
                        }
                    }
                    Ok((l_sum, a_sum, n))
                })
                .collect()
        });
        let mut total = (0.0, 0.0, 0);
        for r in results {
            let (l, a, n) = r?;
            total = (total.0 + l, total.1 + a, total.2 + n);
        }
        Ok(total)
    }
}

/// Trains `model` statefully on `dataset`'s training streams (see the module docs), validating
/// on its streamed validation split. Everything else (optimizer, weight averaging, early
/// stopping, checkpoints) is [`fit`](super::fit::fit)'s.
pub fn fit_stateful(
    model: &mut TrainModel,
    dataset: &Dataset,
    cfg: &FitConfig,
    stateful: Stateful,
    progress: &mut dyn FnMut(Progress),
) -> Result<History, FitError> {
    if cfg.loss.is_classification() {
        return Err(FitError::Output(
            "stateful training forecasts: use a regression loss (mae, mse, huber)".into(),
        ));
    }
    model.net().stream_layers()?;
    let pool = pool(cfg)?;
    let train = streams(dataset, Split::Train, true);
    let w = dataset.window();
    let targets: usize = train
        .iter()
        .map(|s| with_target(s, 0, s.len, w.step().max(1), w.delay()))
        .sum();
    if targets == 0 {
        return Err(FitError::NoWindows(Split::Train));
    }
    // (The batch size is not stateful training's: changing it keeps a checkpoint usable.)
    let cfg_print = FitConfig {
        batch: 0,
        ..cfg.clone()
    };
    let print = fingerprint(
        model,
        &format!(
            "{} stateful lanes={} chunk={}",
            crate::train::fit::Examples::describe(dataset),
            stateful.lanes,
            stateful.chunk
        ),
        &cfg_print,
    );
    let mut schedule = Streams {
        data: dataset,
        cfg,
        stateful,
        train,
        val: streams(dataset, Split::Val, false),
        slots: Vec::new(),
        states: Vec::new(),
        layers: model.layout.len(),
    };
    run(model, cfg, &print, &mut schedule, &pool, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::model::Net;
    use crate::train::{Loss, ModelToml};
    use rand::Rng;

    /// A stack of every recurrent kind, with dropout layers (off in inference).
    const STACK: &str = "[[layers]]\nkind = \"gru\"\nunits = 3\nreturn_sequences = true\n[[layers]]\nkind = \"dropout\"\nrate = 0.2\n[[layers]]\nkind = \"lstm\"\nunits = 2\nreturn_sequences = true\n[[layers]]\nkind = \"simple_rnn\"\nunits = 2\n[[layers]]\nkind = \"dense\"\nunits = 1\n";

    fn model(spec: &str) -> TrainModel {
        TrainModel::new(ModelToml::parse(spec).unwrap().build(2, 8, 3).unwrap())
    }

    fn input(steps: usize, batch: usize, seed: u64) -> Seq<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Seq::<f64>::zeros(steps, batch, 2);
        x.data.mapv_inplace(|_| rng.random::<f64>() * 2.0 - 1.0);
        x
    }

    /// Steps `from..to` of a time-major sequence.
    fn steps(x: &Seq<f64>, from: usize, to: usize) -> Seq<f64> {
        Seq {
            steps: to - from,
            batch: x.batch,
            data: x
                .data
                .slice(ndarray::s![from * x.batch..to * x.batch, ..])
                .to_owned(),
        }
    }

    #[test]
    fn chunks_with_carried_state_equal_one_long_pass() {
        let m = model(STACK);
        let params: Vec<f64> = m.params.iter().map(|&p| f64::from(p)).collect();
        let net = Net {
            layout: &m.layout,
            opts: &m.opts,
            params: &params,
        };
        let x = input(11, 3, 1);
        let whole = net
            .stream_predict(x.clone(), &mut vec![None; m.layout.len()])
            .unwrap();
        assert_eq!(whole.data.nrows(), 11 * 3, "a forecast after every step");
        let mut states = vec![None; m.layout.len()];
        let mut chunked = Vec::new();
        for (a, b) in [(0, 4), (4, 5), (5, 11)] {
            let y = net.stream_predict(steps(&x, a, b), &mut states).unwrap();
            chunked.extend(y.data.iter().copied());
        }
        for (a, b) in whole.data.iter().zip(&chunked) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // From a zero state the chunk is not the continuation.
        let fresh = net
            .stream_predict(steps(&x, 4, 11), &mut vec![None; m.layout.len()])
            .unwrap();
        assert!((fresh.data[[0, 0]] - whole.data[[12, 0]]).abs() > 1e-6);
    }

    #[test]
    fn chunk_gradients_from_a_carried_state_match_finite_differences() {
        let m = model(STACK);
        let params: Vec<f64> = m.params.iter().map(|&p| f64::from(p)).collect();
        let (warm, x) = (input(5, 2, 2), input(6, 2, 3));
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        // Targets on most steps, none on some (padding, or beyond the segment).
        let targets: Vec<Option<f64>> = (0..12)
            .map(|i| (i % 5 != 3).then(|| rng.random::<f64>()))
            .collect();
        let start = |p: &[f64]| {
            let net = Net {
                layout: &m.layout,
                opts: &m.opts,
                params: p,
            };
            let mut states = vec![None; m.layout.len()];
            net.stream_predict(warm.clone(), &mut states).unwrap();
            states
        };
        // The carried state is an input of the chunk: held fixed while the weights move.
        let init = start(&params);
        let loss_at = |p: &[f64]| {
            let net = Net {
                layout: &m.layout,
                opts: &m.opts,
                params: p,
            };
            let mut states = init.clone();
            let rng = ChaCha8Rng::seed_from_u64(9);
            net.stream_loss_and_grad(x.clone(), &targets, &mut states, Loss::Mse, 1.0, rng)
                .unwrap()
        };
        let (_, grad) = loss_at(&params);
        let h = 1e-6;
        let mut worst = 0.0f64;
        for i in 0..params.len() {
            let mut p = params.clone();
            p[i] += h;
            let up = loss_at(&p).0;
            p[i] -= 2.0 * h;
            let down = loss_at(&p).0;
            let n = (up - down) / (2.0 * h);
            let err = (grad[i] - n).abs() / grad[i].abs().max(n.abs()).max(1.0);
            assert!(err < 1e-6, "param {i}: analytic {} vs numeric {n}", grad[i]);
            worst = worst.max(err);
        }
        assert!(
            grad.iter().any(|g| g.abs() > 1e-3),
            "the loss depends on the weights"
        );
        eprintln!("stateful chunk: max relative gradient error {worst:.1e}");
        // Dropout is on in training: another seed, another loss.
        let net = Net {
            layout: &m.layout,
            opts: &m.opts,
            params: &params,
        };
        let other = net
            .stream_loss_and_grad(
                x.clone(),
                &targets,
                &mut init.clone(),
                Loss::Mse,
                1.0,
                ChaCha8Rng::seed_from_u64(10),
            )
            .unwrap()
            .0;
        assert!((other - loss_at(&params).0).abs() > 1e-9);
    }

    /// A dataset of `rows` hourly rows with the hours `missing` left out.
    fn dataset(
        rows: u32,
        missing: std::ops::Range<u32>,
        window: crate::data::WindowSpec,
    ) -> Dataset {
        let mut csv = String::from("time_s,a\n");
        for i in (0..rows).filter(|i| !missing.contains(i)) {
            csv.push_str(&format!("{},{}\n", i * 3600, f64::from(i).sin()));
        }
        let series =
            crate::data::Series::from_reader(csv.as_bytes(), &crate::data::LoadConfig::default())
                .unwrap();
        Dataset::new(&series, &crate::data::DatasetConfig::new("a", window)).unwrap()
    }

    #[test]
    fn an_epoch_visits_every_training_sample_once_and_skips_empty_steps() {
        // Two segments (rows 0..40 and from 40: hours 40..50 are missing), the training split
        // the first 594 rows; step 2, delay 30: the last 30 rows of each segment have no target.
        let window = crate::data::WindowSpec::new(6, 30, 2).unwrap();
        let d = dataset(1000, 40..50, window);
        assert_eq!(d.segments().len(), 2);
        let cfg = FitConfig {
            seed: 3,
            threads: 2,
            ..FitConfig::default()
        };
        for lanes in [1, 3, 8, 500] {
            let stateful = Stateful { lanes, chunk: 3 };
            let m = model(
                "[[layers]]\nkind = \"gru\"\nunits = 2\n[[layers]]\nkind = \"dense\"\nunits = 1\n",
            );
            let mut s = Streams {
                data: &d,
                cfg: &cfg,
                stateful,
                train: streams(&d, Split::Train, true),
                val: Vec::new(),
                slots: Vec::new(),
                states: Vec::new(),
                layers: m.layout.len(),
            };
            let used = stateful.lanes_used(&d);
            for epoch in 1..=3 {
                let (steps, targets) = s.plan(epoch).unwrap();
                assert_eq!(steps, s.slots.len());
                assert!(s.slots.iter().all(|k| k.len() == used), "lanes {lanes}");
                // Every step has a target; every training sample is in exactly one slot.
                assert!((0..steps).all(|k| s.targets_in(k) > 0));
                let mut seen = std::collections::BTreeMap::new();
                for slot in s.slots.iter().flatten().flatten() {
                    let n = (slot.piece.len - slot.from).min(3);
                    for k in 0..n {
                        let sample = (slot.piece.stream, slot.piece.start + slot.from + k);
                        *seen.entry(sample).or_insert(0) += 1;
                    }
                }
                assert!(seen.values().all(|&c| c == 1));
                // Left out: only samples of steps without targets, so only target-less ones.
                let with: usize = s
                    .train
                    .iter()
                    .map(|st| with_target(st, 0, st.len, 2, 30))
                    .sum();
                assert_eq!(targets, with, "lanes {lanes} epoch {epoch}");
                let total: usize = s.train.iter().map(|st| st.len).sum();
                assert!(seen.len() <= total && seen.len() >= with);
            }
            assert!(used <= lanes && used >= 1);
            // Pieces of at least four chunks: 500 lanes shrink to what the data gives.
            if lanes == 500 {
                assert!(used < 100, "{used}");
            }
        }
    }

    #[test]
    fn pieces_cover_every_sample_and_lanes_balance() {
        let streams = [
            Stream {
                first: 0,
                len: 100,
                end: 100,
            },
            Stream {
                first: 120,
                len: 7,
                end: 127,
            },
            Stream {
                first: 200,
                len: 45,
                end: 245,
            },
        ];
        let mut shifts = [13usize, 0, 44].into_iter();
        let cut = pieces(&streams, 20, || shifts.next().unwrap());
        for (i, s) in streams.iter().enumerate() {
            let mine: Vec<&Piece> = cut.iter().filter(|p| p.stream == i).collect();
            // In order, back to back, covering the stream, none longer than 20.
            let mut next = 0;
            for p in &mine {
                assert_eq!(p.start, next);
                assert!(p.len > 0 && p.len <= 20);
                next += p.len;
            }
            assert_eq!(next, s.len);
        }
        assert_eq!(cut[0].len, 13, "the first cut is shifted");
        let lanes = deal(cut.clone(), 4, 5);
        let load: Vec<usize> = lanes
            .iter()
            .map(|ps| ps.iter().map(|p| p.len.div_ceil(5)).sum())
            .collect();
        let total: usize = cut.iter().map(|p| p.len.div_ceil(5)).sum();
        assert_eq!(load.iter().sum::<usize>(), total);
        assert!(
            load.iter().max().unwrap() - load.iter().min().unwrap() <= 4,
            "{load:?}"
        );
    }
}
