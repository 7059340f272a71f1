//! The training loop: shuffled mini-batches, data-parallel gradients, validation, early
//! stopping with the best weights restored.
//!
//! **Parallelism and reproducibility.** Each batch is cut into `threads` contiguous chunks;
//! each chunk's gradient is computed on its own thread and the chunk gradients are added in
//! chunk order. Shuffling, initialization and every dropout mask come from ChaCha8 streams
//! seeded from `seed` (and the epoch, batch and chunk numbers), so the same seed and thread
//! count give the same model bytes.

use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::loss::Loss;
use super::model::TrainModel;
use super::optim::{Optimizer, OptimizerKind};
use crate::data::{BatchError, Dataset, Split};
use crate::net::{NetError, Seq};

/// Training settings (`nowcast train` flags).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// Most epochs.
    pub epochs: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Learning rate (Keras' default if `None`).
    pub lr: Option<f32>,
    /// Loss.
    pub loss: Loss,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Threads for data-parallel gradients.
    pub threads: usize,
    /// Where to write a checkpoint after every epoch (atomically), if anywhere.
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint if it exists and belongs to this run.
    pub resume: bool,
    /// Exponential moving average of the weights (Keras' `use_ema`, `ema_momentum`): after
    /// every step `ema = m · ema + (1 - m) · weights`; validation, early stopping and the
    /// exported model use the averaged weights. `None` trains plain weights (Keras' default).
    pub ema: Option<f32>,
    /// Parameter ranges kept as they are (Keras' `trainable = False`): their gradient is
    /// zeroed before every step.
    #[serde(default)]
    pub frozen: Vec<std::ops::Range<usize>>,
    /// Classification: each training example's loss (and gradient) is multiplied by its
    /// class's weight (Keras' `class_weight`); validation is not weighted.
    #[serde(default)]
    pub class_weights: Option<Vec<f32>>,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            epochs: 20,
            batch: 128,
            optimizer: OptimizerKind::Rmsprop,
            lr: None,
            loss: Loss::Mae,
            patience: 3,
            seed: 1337,
            threads: 2,
            checkpoint: None,
            resume: false,
            ema: None,
            frozen: Vec::new(),
            class_weights: None,
        }
    }
}

/// What happened in training.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Mean training loss per epoch (normalized units, dropout on).
    pub train_loss: Vec<f64>,
    /// Validation loss per epoch (normalized units).
    pub val_loss: Vec<f64>,
    /// Validation MAE per epoch, in the target's units (regression losses).
    pub val_mae: Vec<f64>,
    /// Validation accuracy per epoch (classification losses).
    #[serde(default)]
    pub val_accuracy: Vec<f64>,
    /// Wall seconds of each epoch (training and validation pass).
    pub epoch_seconds: Vec<f64>,
    /// The epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
}

impl History {
    /// Epochs run.
    pub fn epochs_run(&self) -> usize {
        self.train_loss.len()
    }

    /// Median wall seconds per epoch.
    pub fn seconds_per_epoch(&self) -> f64 {
        let mut s = self.epoch_seconds.clone();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(0.0)
    }
}

/// Progress reported after every batch and at the end of every epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress {
    /// A batch finished.
    Batch {
        /// 1-based epoch.
        epoch: usize,
        /// Batches done in this epoch.
        done: usize,
        /// Batches per epoch.
        total: usize,
        /// Running mean training loss of the epoch.
        loss: f64,
    },
    /// An epoch finished.
    Epoch {
        /// 1-based epoch.
        epoch: usize,
        /// Mean training loss.
        loss: f64,
        /// Validation loss.
        val_loss: f64,
        /// Validation MAE in target units (regression) or accuracy (classification).
        val_metric: f64,
        /// Whether these are the best weights so far.
        improved: bool,
        /// The epoch's seconds, validation included (what [`History::epoch_seconds`] holds).
        seconds: f64,
    },
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// A layer cannot be trained.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A window could not be materialized.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The split has no windows.
    #[error(
        "the {0:?} split has no windows: use a longer file, a shorter lookback or another split"
    )]
    NoWindows(Split),
    /// The output layer does not fit the loss.
    #[error("{0}")]
    Output(String),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Threads(String),
    /// The checkpoint could not be written or read.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// File.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The checkpoint belongs to another model, dataset or configuration.
    #[error(
        "checkpoint {0} was written by a different run (model, data or flags differ): remove it or drop --resume"
    )]
    CheckpointMismatch(String),
    /// The loss became NaN or infinite.
    #[error("the training loss diverged (non-finite) in epoch {0}: lower the learning rate")]
    Diverged(usize),
}

/// Everything needed to continue training exactly where it stopped: the next epoch runs with
/// the same weights, optimizer state and random streams as it would have without the stop, so
/// a resumed run ends with the same model bytes as an uninterrupted one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Identifies the run: layout, options, dataset shape and every flag that changes results.
    pub fingerprint: String,
    /// Epochs completed.
    pub epoch: usize,
    /// Current weights.
    pub params: Vec<f32>,
    /// Optimizer state.
    pub optimizer: Optimizer,
    /// Averaged weights, when training with `ema`.
    pub ema: Option<Vec<f32>>,
    /// Best validation loss so far and its weights.
    pub best_loss: f64,
    /// Weights of the best epoch.
    pub best_params: Vec<f32>,
    /// Epochs since the best.
    pub since_best: usize,
    /// History so far.
    pub history: History,
}

/// What a model trains on: examples by split, as batches of input sequences and targets.
/// [`Dataset`] (forecasting windows) and [`crate::classify::SequenceSet`] (labelled sequences)
/// are the two kinds.
pub trait Examples: Sync {
    /// The examples of a split, by id.
    fn ids(&self, split: Split) -> &[usize];
    /// The inputs (steps × examples × channels) and targets (a value, or a class index) of
    /// some examples; every example of one batch has the same number of steps.
    fn batch(&self, ids: &[usize]) -> Result<(Seq<f32>, Vec<f32>), BatchError>;
    /// The validation MAE's unit: the target's standard deviation (1 for classes).
    fn target_std(&self) -> f64;
    /// What identifies the data in a checkpoint's fingerprint.
    fn describe(&self) -> String;
}

impl Examples for Dataset {
    fn ids(&self, split: Split) -> &[usize] {
        self.window_starts(split)
    }

    fn batch(&self, ids: &[usize]) -> Result<(Seq<f32>, Vec<f32>), BatchError> {
        let b = Dataset::batch(self, ids)?;
        let x = Seq::from_batch_major(b.inputs(), b.len(), b.samples(), b.channels());
        Ok((x, b.targets().to_vec()))
    }

    fn target_std(&self) -> f64 {
        self.normalization().target.std
    }

    fn describe(&self) -> String {
        let w = self.window();
        format!(
            "features={:?} windows={:?} lookback={} delay={} step={}",
            self.features(),
            Split::ALL.map(|s| self.window_starts(s).len()),
            w.lookback(),
            w.delay(),
            w.step(),
        )
    }
}

/// What identifies a run in its checkpoint: the model, `data` (the data and the schedule) and
/// every flag that changes results.
pub(crate) fn fingerprint(model: &TrainModel, data: &str, cfg: &FitConfig) -> String {
    format!(
        "layout={:?} opts={:?} {} batch={} optimizer={:?} lr={:?} loss={:?} seed={} threads={} ema={:?} frozen={:?} class_weights={:?} init={:x}",
        model.layout,
        model.opts,
        data,
        cfg.batch,
        cfg.optimizer,
        cfg.lr,
        cfg.loss,
        cfg.seed,
        cfg.threads,
        cfg.ema,
        cfg.frozen,
        cfg.class_weights,
        model
            .params
            .iter()
            .fold(0u64, |h, p| (h ^ u64::from(p.to_bits()))
                .wrapping_mul(0x100_0000_01b3)),
    )
}

fn save_checkpoint(path: &std::path::Path, c: &Checkpoint) -> Result<(), FitError> {
    let err = |message: String| FitError::Checkpoint {
        path: path.display().to_string(),
        message,
    };
    let json = serde_json::to_vec(c).map_err(|e| err(e.to_string()))?;
    crate::export::write_atomic(path, &json).map_err(|e| err(e.to_string()))
}

fn load_checkpoint(path: &std::path::Path) -> Result<Option<Checkpoint>, FitError> {
    let err = |message: String| FitError::Checkpoint {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| err(format!("unreadable ({e}); remove it to start over"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(e.to_string())),
    }
}

/// A deterministic seed for one random stream.
pub(crate) fn stream_seed(seed: u64, parts: &[u64]) -> u64 {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    for &p in parts {
        x = (x ^ p).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 31;
    }
    x
}

fn chunks(starts: &[usize], n: usize) -> Vec<&[usize]> {
    let size = starts.len().div_ceil(n.max(1)).max(1);
    starts.chunks(size).collect()
}

/// Keras' (and scikit-learn's) `"balanced"` class weights: `n / (classes · n_c)` for the `n_c`
/// training examples of class `c` among `n`, so every class weighs as much in total.
pub fn balanced_class_weights(labels: impl Iterator<Item = usize>, classes: usize) -> Vec<f32> {
    let mut counts = vec![0usize; classes];
    for l in labels {
        counts[l.min(classes - 1)] += 1;
    }
    let n: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                (n as f64 / (classes as f64 * c as f64)) as f32
            }
        })
        .collect()
}

/// The class a row of probabilities picks: the largest (the first of equals), or for one
/// sigmoid output, 1 from 0.5 on.
pub fn predicted_class(row: &[f32]) -> usize {
    if let [p] = row {
        return usize::from(*p >= 0.5);
    }
    row.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &p)| {
            if p > best.1 { (i, p) } else { best }
        })
        .0
}

/// Loss and metric of the current weights on a split: the MAE in target units for a regression
/// loss, the accuracy for a classification loss.
pub fn evaluate_loss(
    model: &TrainModel,
    data: &impl Examples,
    split: Split,
    loss: Loss,
    pool: &rayon::ThreadPool,
) -> Result<(f64, f64), FitError> {
    let ids = data.ids(split);
    if ids.is_empty() {
        return Err(FitError::NoWindows(split));
    }
    let parts: Vec<Result<(f64, f64), FitError>> = pool.install(|| {
        ids.par_chunks(256)
            .map(|c| {
                let (x, targets) = data.batch(c)?;
                let (pred, width) = model.net().predict_rows(x, ChaCha8Rng::seed_from_u64(0))?;
                let (mut l, mut a) = (0.0, 0.0);
                let mut g = vec![0.0f32; width];
                for (row, &t) in pred.chunks_exact(width).zip(&targets) {
                    l += loss.example(row, t, &mut g, 1.0);
                    a += if loss.is_classification() {
                        f64::from(u8::from(predicted_class(row) == t as usize))
                    } else {
                        f64::from(row[0] - t).abs()
                    };
                }
                Ok((l, a))
            })
            .collect()
    });
    let (mut l, mut a) = (0.0, 0.0);
    for p in parts {
        let (pl, pa) = p?;
        l += pl;
        a += pa;
    }
    let n = ids.len() as f64;
    let unit = if loss.is_classification() {
        1.0
    } else {
        data.target_std()
    };
    Ok((l / n, a / n * unit))
}

/// A classification loss needs an output unit per class (or one sigmoid unit for two).
fn check_output(
    model: &TrainModel,
    data: &impl Examples,
    train: &[usize],
    loss: Loss,
) -> Result<(), FitError> {
    let (x, _) = data.batch(&train[..1])?;
    let (_, width) = model.net().predict_rows(x, ChaCha8Rng::seed_from_u64(0))?;
    let mut classes = 0;
    for chunk in train.chunks(1024) {
        let (_, targets) = data.batch(chunk)?;
        classes = targets.iter().fold(classes, |m, &t| m.max(t as usize + 1));
    }
    let fits = match loss {
        Loss::BinaryCrossentropy => width == 1 && classes <= 2,
        _ => width >= classes,
    };
    if fits {
        Ok(())
    } else {
        Err(FitError::Output(format!(
            "{loss:?} over {classes} classes needs {} output units, the model has {width}",
            if loss == Loss::BinaryCrossentropy {
                1
            } else {
                classes
            }
        )))
    }
}

/// What differs between training on windows and training on streams: the optimizer steps of
/// an epoch, and how the weights are validated.
pub(crate) trait Schedule {
    /// Starts `epoch`: returns its optimizer steps and the training targets they cover.
    fn plan(&mut self, epoch: usize) -> Result<(usize, usize), FitError>;
    /// The loss sum, the gradient of `1 / step size · Σ loss` and the targets of step `bi`.
    fn gradient(
        &mut self,
        model: &TrainModel,
        epoch: usize,
        bi: usize,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, Vec<f32>, usize), FitError>;
    /// Validation loss and metric (see [`evaluate_loss`]) of some weights.
    fn validate(
        &self,
        model: &TrainModel,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, f64), FitError>;
}

/// Window training: every epoch the training windows shuffled into batches of `cfg.batch`.
struct Windows<'a, E> {
    data: &'a E,
    cfg: &'a FitConfig,
    train: Vec<usize>,
    order: Vec<usize>,
}

impl<E: Examples> Schedule for Windows<'_, E> {
    fn plan(&mut self, epoch: usize) -> Result<(usize, usize), FitError> {
        self.order.clone_from(&self.train);
        self.order
            .shuffle(&mut ChaCha8Rng::seed_from_u64(stream_seed(
                self.cfg.seed,
                &[1, epoch as u64],
            )));
        let batches = self.train.len().div_ceil(self.cfg.batch.max(1));
        Ok((batches, self.train.len()))
    }

    fn gradient(
        &mut self,
        model: &TrainModel,
        epoch: usize,
        bi: usize,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, Vec<f32>, usize), FitError> {
        let (cfg, dataset) = (self.cfg, self.data);
        let size = cfg.batch.max(1);
        let starts = &self.order[bi * size..((bi + 1) * size).min(self.order.len())];
        let scale = 1.0 / starts.len() as f32;
        let parts = chunks(starts, cfg.threads);
        let results: Vec<Result<(f64, Vec<f32>), FitError>> = pool.install(|| {
            parts
                .par_iter()
                .enumerate()
                .map(|(ci, c)| {
                    let (x, targets) = dataset.batch(c)?;
                    let rng = ChaCha8Rng::seed_from_u64(stream_seed(
                        cfg.seed,
                        &[2, epoch as u64, bi as u64, ci as u64],
                    ));
                    Ok(model.net().loss_and_grad(
                        x,
                        &targets,
                        cfg.loss,
                        scale,
                        cfg.class_weights.as_deref(),
                        rng,
                    )?)
                })
                .collect()
        });
        let (loss, grad) = sum_parts(results, model.param_count())?;
        Ok((loss, grad, starts.len()))
    }

    fn validate(
        &self,
        model: &TrainModel,
        pool: &rayon::ThreadPool,
    ) -> Result<(f64, f64), FitError> {
        evaluate_loss(model, self.data, Split::Val, self.cfg.loss, pool)
    }
}

/// The loss sums and gradients of a step's parts, added in part order.
pub(crate) fn sum_parts(
    parts: Vec<Result<(f64, Vec<f32>), FitError>>,
    params: usize,
) -> Result<(f64, Vec<f32>), FitError> {
    let mut grad = vec![0.0f32; params];
    let mut loss = 0.0;
    for r in parts {
        let (l, g) = r?;
        loss += l;
        grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
    }
    Ok((loss, grad))
}

/// The thread pool of a run.
pub(crate) fn pool(cfg: &FitConfig) -> Result<rayon::ThreadPool, FitError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()
        .map_err(|e| FitError::Threads(e.to_string()))
}

/// Trains `model` on the training examples, validating on the validation examples.
pub fn fit(
    model: &mut TrainModel,
    dataset: &impl Examples,
    cfg: &FitConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<History, FitError> {
    let pool = pool(cfg)?;
    let train = dataset.ids(Split::Train).to_vec();
    if train.is_empty() {
        return Err(FitError::NoWindows(Split::Train));
    }
    if cfg.loss.is_classification() {
        check_output(model, dataset, &train, cfg.loss)?;
    }
    let print = fingerprint(model, &dataset.describe(), cfg);
    let mut schedule = Windows {
        data: dataset,
        cfg,
        train,
        order: Vec::new(),
    };
    run(model, cfg, &print, &mut schedule, &pool, progress)
}

/// The training loop every schedule shares: optimizer steps, weight averaging, validation,
/// early stopping with the best weights restored, checkpoints and resuming.
pub(crate) fn run(
    model: &mut TrainModel,
    cfg: &FitConfig,
    print: &str,
    schedule: &mut dyn Schedule,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(Progress),
) -> Result<History, FitError> {
    if let Some(r) = cfg.frozen.iter().find(|r| r.end > model.param_count()) {
        return Err(FitError::Output(format!(
            "frozen parameters {r:?} past the model's {}",
            model.param_count()
        )));
    }
    let mut opt = Optimizer::new(
        cfg.optimizer,
        cfg.lr.unwrap_or(cfg.optimizer.default_lr()),
        model.param_count(),
    );
    let mut history = History::default();
    let mut best = (f64::INFINITY, model.params.clone());
    let mut since_best = 0;
    let mut ema = cfg.ema.map(|_| model.params.clone());
    let mut first = 1;
    let resumed = match (&cfg.checkpoint, cfg.resume) {
        (Some(path), true) => load_checkpoint(path)?.map(|c| (path, c)),
        _ => None,
    };
    if let Some((path, c)) = resumed {
        if c.fingerprint != print || c.params.len() != model.param_count() {
            return Err(FitError::CheckpointMismatch(path.display().to_string()));
        }
        model.params = c.params;
        opt = c.optimizer;
        ema = c.ema;
        best = (c.best_loss, c.best_params);
        since_best = c.since_best;
        history = c.history;
        // Early stopping had already ended the run: nothing left to do.
        first = if since_best >= cfg.patience.max(1) {
            usize::MAX
        } else {
            c.epoch + 1
        };
    }
    for epoch in first..=cfg.epochs {
        let started = Instant::now();
        let (batches, examples) = schedule.plan(epoch)?;
        let (mut epoch_loss, mut done) = (0.0, 0);
        for bi in 0..batches {
            let (l, mut grad, n) = schedule.gradient(model, epoch, bi, pool)?;
            epoch_loss += l;
            done += n;
            for r in &cfg.frozen {
                grad[r.clone()].fill(0.0);
            }
            if !epoch_loss.is_finite() || grad.iter().any(|g| !g.is_finite()) {
                return Err(FitError::Diverged(epoch));
            }
            opt.step(&mut model.params, &grad);
            if let (Some(avg), Some(m)) = (&mut ema, cfg.ema) {
                for (a, &p) in avg.iter_mut().zip(&model.params) {
                    *a = m * *a + (1.0 - m) * p;
                }
            }
            progress(Progress::Batch {
                epoch,
                done: bi + 1,
                total: batches,
                loss: epoch_loss / done.max(1) as f64,
            });
        }
        let judged = match &ema {
            Some(avg) => TrainModel {
                params: avg.clone(),
                ..model.clone()
            },
            None => model.clone(),
        };
        let (val_loss, val_metric) = schedule.validate(&judged, pool)?;
        if !val_loss.is_finite() {
            return Err(FitError::Diverged(epoch));
        }
        let loss = epoch_loss / examples.max(1) as f64;
        history.train_loss.push(loss);
        history.val_loss.push(val_loss);
        if cfg.loss.is_classification() {
            history.val_accuracy.push(val_metric);
        } else {
            history.val_mae.push(val_metric);
        }
        history.epoch_seconds.push(started.elapsed().as_secs_f64());
        let improved = val_loss < best.0;
        if improved {
            best = (val_loss, judged.params);
            history.best_epoch = epoch;
            since_best = 0;
        } else {
            since_best += 1;
        }
        progress(Progress::Epoch {
            epoch,
            loss,
            val_loss,
            val_metric,
            improved,
            seconds: history.epoch_seconds.last().copied().unwrap_or(0.0),
        });
        if let Some(path) = &cfg.checkpoint {
            let c = Checkpoint {
                fingerprint: print.to_string(),
                epoch,
                params: model.params.clone(),
                optimizer: opt.clone(),
                ema: ema.clone(),
                best_loss: best.0,
                best_params: best.1.clone(),
                since_best,
                history: history.clone(),
            };
            save_checkpoint(path, &c)?;
        }
        if since_best >= cfg.patience.max(1) {
            break;
        }
    }
    model.params = best.1;
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_classifier_needs_an_output_unit_per_class() {
        use crate::classify::{ClassConfig, SequenceSet};
        use crate::data::sequences::{Sequence, Sequences};
        let seqs = Sequences {
            channels: vec!["a".into()],
            classes: vec!["x".into(), "y".into(), "z".into()],
            items: (0..30)
                .map(|i| Sequence {
                    values: vec![i as f32; 4],
                    label: i % 3,
                })
                .collect(),
            ids: Vec::new(),
            left_out: Vec::new(),
        };
        let set = SequenceSet::new(&seqs, None, &ClassConfig::default()).unwrap();
        let spec = "[[layers]]\nkind = \"gru\"\nunits = 2\n[[layers]]\nkind = \"dense\"\nunits = 2\nactivation = \"softmax\"\n";
        let built = super::super::ModelToml::parse(spec)
            .unwrap()
            .build(1, 4, 1)
            .unwrap();
        let mut model = TrainModel::new(built);
        let cfg = FitConfig {
            epochs: 1,
            loss: Loss::CategoricalCrossentropy,
            ..FitConfig::default()
        };
        let e = fit(&mut model, &set, &cfg, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "CategoricalCrossentropy over 3 classes needs 3 output units, the model has 2"
        );
        // With three units it trains; frozen parameters past the model are refused.
        let spec3 = spec.replace("units = 2\nactivation", "units = 3\nactivation");
        let built = super::super::ModelToml::parse(&spec3)
            .unwrap()
            .build(1, 4, 1)
            .unwrap();
        let mut model = TrainModel::new(built);
        assert!(fit(&mut model, &set, &cfg, &mut |_| {}).is_ok());
        let cfg = FitConfig {
            frozen: std::iter::once(0..100_000).collect(),
            ..cfg
        };
        let e = fit(&mut model, &set, &cfg, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("frozen parameters 0..100000 past the model's"),
            "{e}"
        );
    }

    #[test]
    fn balanced_weights_make_every_class_weigh_the_same() {
        let w = balanced_class_weights([0, 0, 0, 1, 2, 2].into_iter(), 4);
        assert_eq!(w, [6.0 / 12.0, 6.0 / 4.0, 6.0 / 8.0, 0.0]);
        // Total weight per present class: 3 · 0.5 = 1 · 1.5 = 2 · 0.75.
        assert_eq!(predicted_class(&[0.1, 0.7, 0.2]), 1);
        assert_eq!(predicted_class(&[0.5]), 1);
        assert_eq!(predicted_class(&[0.49]), 0);
    }
}
