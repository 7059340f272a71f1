//! Sequence classification: labelled sequences ([`crate::data::sequences`]) to training
//! examples, and the scores of an exported classifier through the runtime.
//!
//! **Protocol.**
//! - With a separate test file, the training file is split into train and validation: a
//!   seeded shuffle within each class, the last `val_fraction` of every class going to
//!   validation (stratified, so a file sorted by class still validates on every class).
//! - Without one, the same stratified shuffle cuts train / validation / test by `split`.
//! - Inputs are normalized with the training sequences' per-channel mean and population
//!   standard deviation (1 for a [`flat`] channel). A missing value takes the channel's
//!   last finite value in its sequence, the training mean before the first: what the runtime
//!   does with a NaN sample.
//! - Every sequence is cut to `length` steps (default: the longest training sequence) the way
//!   Keras' `pad_sequences` does by default: shorter ones are padded at the front with the
//!   training mean (0 after normalization), longer ones keep their last `length` steps.
//! - The model's last layer gives class probabilities: softmax over one unit per class
//!   (categorical cross-entropy), or one sigmoid unit for two classes (binary cross-entropy).
//!
//! **Scoring** runs the exported blob through `nowcast-runtime`: window mode over each
//! (padded, raw) sequence, and streaming mode, one sample at a time from a fresh state, whose
//! last output must equal the window's. Accuracy, per-class precision and recall, the confusion
//! matrix, and the majority-class baseline (the most frequent training class, always).

use nowcast_runtime::format::Standardize;
use nowcast_runtime::{AlignedBytes, Model, ModelSpec, Stepper};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::sequences::{Sequence, Sequences};
use crate::data::{BatchError, Split, flat};
use crate::net::Seq;
use crate::train::TrainModel;
use crate::train::fit::{Examples, predicted_class};

/// How sequences become examples.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassConfig {
    /// Validation share of each class when a test file is given.
    pub val_fraction: f64,
    /// Train, validation and test shares when it is not.
    pub split: [f64; 3],
    /// Steps per example (default: the longest training sequence).
    pub length: Option<usize>,
    /// Seed of the stratified shuffle.
    pub seed: u64,
}

impl Default for ClassConfig {
    fn default() -> Self {
        ClassConfig {
            val_fraction: 0.2,
            split: [0.6, 0.2, 0.2],
            length: None,
            seed: 1337,
        }
    }
}

/// Why sequences cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifyError {
    /// Train and test files do not match.
    #[error("the test file has {test} channels, the training file {train}")]
    Channels {
        /// Training channels.
        train: usize,
        /// Test channels.
        test: usize,
    },
    /// Train and test files name their channels differently.
    #[error("the test file's channels are {test:?}, the training file's {train:?}")]
    ChannelNames {
        /// Training channels.
        train: Vec<String>,
        /// Test channels.
        test: Vec<String>,
    },
    /// Split fractions that are negative or do not add up to 1.
    #[error("split fractions {0:?}: each at least 0, adding up to 1")]
    Split(Vec<f64>),
    /// The test file has a class the training file lacks.
    #[error("the test file's class {0:?} does not occur in the training file")]
    UnknownClass(String),
    /// A split would be empty.
    #[error("the {0:?} split has no sequences: give more sequences or other fractions")]
    Empty(Split),
    /// Fewer than two classes.
    #[error("classification needs at least two classes, the file has {0}")]
    OneClass(usize),
    /// The runtime refused the model or a sequence.
    #[error("runtime: {0}")]
    Runtime(String),
}

/// Labelled sequences as training examples: normalized, filled and cut to one length.
#[derive(Clone, Debug)]
pub struct SequenceSet {
    channels: Vec<String>,
    classes: Vec<String>,
    length: usize,
    mean: Vec<f32>,
    std: Vec<f32>,
    /// Raw (unnormalized) values, padded and cut to `length`, with NaNs as read.
    raw: Vec<Vec<f32>>,
    /// Normalized and filled, `length × channels` each.
    inputs: Vec<Vec<f32>>,
    labels: Vec<usize>,
    ids: [Vec<usize>; 3],
}

/// Fractions each at least 0 that add up to 1 (within 1e-6).
pub(crate) fn check_fractions(f: &[f64]) -> Result<(), ClassifyError> {
    let ok = f.iter().all(|&v| v >= 0.0) && (f.iter().sum::<f64>() - 1.0).abs() < 1e-6;
    if ok {
        Ok(())
    } else {
        Err(ClassifyError::Split(f.to_vec()))
    }
}

/// The largest of two differences, NaN if either is (a NaN output never counts as equal).
pub fn max_diff(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// A sequence cut or padded to `length` steps as Keras' `pad_sequences` does by default (its
/// last `length` steps; `mean`, one value per channel, in front of a shorter one).
pub fn padded(s: &Sequence, length: usize, mean: &[f32]) -> Vec<f32> {
    let c = mean.len();
    let kept = &s.values[s.steps(c).saturating_sub(length) * c..];
    let mut r: Vec<f32> = Vec::with_capacity(length * c);
    for _ in kept.len() / c..length {
        r.extend_from_slice(mean);
    }
    r.extend_from_slice(kept);
    r
}

/// The window an exported classifier takes: its length in steps and the raw values that pad a
/// shorter sequence (the model's input mean, one per channel).
pub fn model_window(model: &Model<'_>) -> (usize, Vec<f32>) {
    let mean = match model.input_norm() {
        Some(n) => n.mean.to_vec(),
        None => vec![0.0; model.features().len()],
    };
    (model.lookback().max(1) as usize, mean)
}

/// The most frequent class of `labels` among `classes` (the lowest index among equals).
fn majority(labels: impl Iterator<Item = usize>, classes: usize) -> usize {
    let mut counts = vec![0usize; classes];
    labels.for_each(|l| counts[l] += 1);
    (0..classes)
        .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
        .unwrap_or(0)
}

/// The classes of an exported classifier, in output order: its output names, or for one
/// sigmoid unit (the probability of the class it is named after) that class second and, first,
/// the other class of `file_classes` (`not <class>` if it has none).
pub fn model_classes(model: &Model<'_>, file_classes: &[String]) -> Vec<String> {
    let names: Vec<String> = model.targets().iter().map(String::from).collect();
    match &names[..] {
        [positive] => {
            let other = file_classes.iter().find(|c| *c != positive);
            let negative = other.cloned().unwrap_or_else(|| format!("not {positive}"));
            vec![negative, positive.clone()]
        }
        _ => names,
    }
}

/// Whether an exported model is a sequence classifier: class probabilities out of a softmax
/// or sigmoid dense layer, nothing ahead (delay 0), no output scaling, and values in (not token
/// ids: a text classifier).
pub fn is_classifier(model: &Model<'_>) -> bool {
    use nowcast_runtime::Layer;
    use nowcast_runtime::activation::Activation;
    let probabilities = matches!(model.layers().last(),
        Some(Layer::Dense(d)) if d.activation == Activation::Softmax
            || (d.activation == Activation::Sigmoid && d.units == 1));
    probabilities && model.delay() == 0 && model.output_norm().is_none() && model.vocab().is_none()
}

/// A file of labelled sequences scored by an exported classifier whose classes are `classes`
/// ([`model_classes`]): every sequence padded and cut to the model's window as in training
/// (the model's input mean in front), in window and in streaming mode. The majority baseline
/// is the file's most frequent class (the training one is not in the blob).
pub fn score_file(
    blob: &[u8],
    seqs: &Sequences,
    classes: &[String],
) -> Result<ClassScores, ClassifyError> {
    let rt = |e: &dyn std::fmt::Debug| ClassifyError::Runtime(format!("{e:?}"));
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(|e| rt(&e))?;
    let c = seqs.channels.len();
    if model.features().len() != c {
        return Err(ClassifyError::Channels {
            train: model.features().len(),
            test: c,
        });
    }
    let labels: Vec<usize> = seqs
        .items
        .iter()
        .map(|s| {
            let name = &seqs.classes[s.label];
            classes
                .iter()
                .position(|k| k == name)
                .ok_or_else(|| ClassifyError::UnknownClass(name.clone()))
        })
        .collect::<Result<_, _>>()?;
    let (length, mean) = model_window(&model);
    let majority = majority(labels.iter().copied(), classes.len());
    let mut scratch = vec![0.0; model.window_scratch_len(length).map_err(|e| rt(&e))?];
    let mut state = vec![0.0; model.state_len()];
    let streams = Stepper::new(&model, &mut state).is_ok();
    let ids: Vec<usize> = (0..labels.len()).collect();
    scores_from(&ids, &labels, classes.len(), majority, streams, |i| {
        let x = padded(&seqs.items[i], length, &mean);
        run_sequence(&model, &x, (&mut scratch, &mut state), streams)
    })
}

/// A (padded) sequence through a classifier: the predicted class, the window mode output and,
/// if the model `streams`, the last output streamed from a fresh state.
#[allow(clippy::type_complexity)]
fn run_sequence(
    model: &Model<'_>,
    x: &[f32],
    (scratch, state): (&mut [f32], &mut [f32]),
    streams: bool,
) -> Result<(usize, Vec<f32>, Option<Vec<f32>>), ClassifyError> {
    let rt = |e: &dyn std::fmt::Debug| ClassifyError::Runtime(format!("{e:?}"));
    let window = model
        .window(x, scratch)
        .map_err(|e| rt(&e))?
        .values
        .to_vec();
    let mut last = None;
    if streams {
        let mut stepper = Stepper::new(model, state).map_err(|e| rt(&e))?;
        for sample in x.chunks_exact(model.features().len().max(1)) {
            if let Some(y) = stepper.step(sample).map_err(|e| rt(&e))? {
                last = Some(y.to_vec());
            }
        }
    }
    Ok((predicted_class(&window), window, last))
}

/// Stratified: the class's members shuffled, then cut by the cumulative fractions.
pub(crate) fn stratify(
    labels: &[usize],
    classes: usize,
    fractions: &[f64],
    seed: u64,
) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); fractions.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for c in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        members.shuffle(&mut rng);
        let n = members.len() as f64;
        let mut start = 0;
        let mut acc = 0.0;
        for (k, f) in fractions.iter().enumerate() {
            acc += f;
            let end = if k + 1 == fractions.len() {
                members.len()
            } else {
                ((acc * n).round() as usize).min(members.len())
            };
            out[k].extend_from_slice(&members[start..end.max(start)]);
            start = end.max(start);
        }
    }
    for part in &mut out {
        part.sort_unstable();
    }
    out
}

impl SequenceSet {
    /// Examples from a training file and an optional test file.
    pub fn new(
        train: &Sequences,
        test: Option<&Sequences>,
        cfg: &ClassConfig,
    ) -> Result<Self, ClassifyError> {
        let c = train.channels.len();
        if train.classes.len() < 2 {
            return Err(ClassifyError::OneClass(train.classes.len()));
        }
        let mut items: Vec<Sequence> = train.items.clone();
        let n_train_file = items.len();
        if let Some(t) = test {
            if t.channels.len() != c {
                return Err(ClassifyError::Channels {
                    train: c,
                    test: t.channels.len(),
                });
            }
            if t.channels != train.channels {
                return Err(ClassifyError::ChannelNames {
                    train: train.channels.clone(),
                    test: t.channels.clone(),
                });
            }
            for s in &t.items {
                let name = &t.classes[s.label];
                let label = train
                    .classes
                    .iter()
                    .position(|k| k == name)
                    .ok_or_else(|| ClassifyError::UnknownClass(name.clone()))?;
                items.push(Sequence {
                    values: s.values.clone(),
                    label,
                });
            }
        }
        check_fractions(&cfg.split)?;
        let labels: Vec<usize> = items.iter().map(|s| s.label).collect();
        let k = train.classes.len();
        let ids: [Vec<usize>; 3] = match test {
            Some(_) => {
                let f = cfg.val_fraction.clamp(0.0, 1.0);
                let parts = stratify(&labels[..n_train_file], k, &[1.0 - f, f], cfg.seed);
                [
                    parts[0].clone(),
                    parts[1].clone(),
                    (n_train_file..items.len()).collect(),
                ]
            }
            None => {
                let parts = stratify(&labels, k, &cfg.split, cfg.seed);
                [parts[0].clone(), parts[1].clone(), parts[2].clone()]
            }
        };
        for (split, part) in Split::ALL.iter().zip(&ids) {
            if part.is_empty() {
                return Err(ClassifyError::Empty(*split));
            }
        }
        // Per-channel statistics over every finite training sample.
        let (mut sum, mut sq, mut count) = (vec![0f64; c], vec![0f64; c], vec![0f64; c]);
        for &i in &ids[0] {
            for row in items[i].values.chunks_exact(c) {
                for (ch, &v) in row.iter().enumerate() {
                    if v.is_finite() {
                        sum[ch] += f64::from(v);
                        sq[ch] += f64::from(v) * f64::from(v);
                        count[ch] += 1.0;
                    }
                }
            }
        }
        let mean: Vec<f64> = (0..c).map(|ch| sum[ch] / count[ch].max(1.0)).collect();
        let std: Vec<f32> = (0..c)
            .map(|ch| {
                let var = (sq[ch] / count[ch].max(1.0) - mean[ch] * mean[ch]).max(0.0);
                let s = var.sqrt();
                if flat(mean[ch], s) { 1.0 } else { s as f32 }
            })
            .collect();
        let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
        let length = cfg
            .length
            .unwrap_or_else(|| ids[0].iter().map(|&i| items[i].steps(c)).max().unwrap_or(1));
        let length = length.max(1);
        let mut raw = Vec::with_capacity(items.len());
        let mut inputs = Vec::with_capacity(items.len());
        for s in &items {
            let r = padded(s, length, &mean);
            let mut last = mean.clone();
            let mut x = Vec::with_capacity(length * c);
            for row in r.chunks_exact(c) {
                for ch in 0..c {
                    if row[ch].is_finite() {
                        last[ch] = row[ch];
                    }
                    x.push((last[ch] - mean[ch]) / std[ch]);
                }
            }
            raw.push(r);
            inputs.push(x);
        }
        Ok(SequenceSet {
            channels: train.channels.clone(),
            classes: train.classes.clone(),
            length,
            mean,
            std,
            raw,
            inputs,
            labels,
            ids,
        })
    }

    /// Channel names.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Class names.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The training split's per-channel mean and standard deviation.
    pub fn normalization(&self) -> (&[f32], &[f32]) {
        (&self.mean, &self.std)
    }

    /// Steps per example.
    pub fn length(&self) -> usize {
        self.length
    }

    /// Sequence `id`'s raw values as the model's window takes them: padded and cut to
    /// [`length`](Self::length), NaN where a value is missing.
    pub fn raw(&self, id: usize) -> &[f32] {
        &self.raw[id]
    }

    /// The label of every sequence.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The most frequent training class (the lowest index among equals).
    pub fn majority_class(&self) -> usize {
        majority(
            self.ids[0].iter().map(|&i| self.labels[i]),
            self.classes.len(),
        )
    }

    /// The owned model: channel names, normalization, one window of `length` steps, and as
    /// outputs the class probabilities (not de-normalized), named by class; a single sigmoid
    /// output is the probability of the second class.
    pub fn model_spec(&self, model: &TrainModel, name: &str, sample_period_ms: u64) -> ModelSpec {
        let layers = model.layers();
        let single =
            matches!(layers.last(), Some(nowcast_runtime::Layer::Dense(d)) if d.units == 1);
        let targets = if single {
            self.classes.get(1).cloned().into_iter().collect()
        } else {
            self.classes.clone()
        };
        ModelSpec {
            vocabulary: None,
            name: name.to_string(),
            features: self.channels.clone(),
            targets,
            sample_period_ms,
            lookback: self.length as u32,
            delay: 0,
            step: 1,
            input_norm: Some(Standardize {
                mean: self.mean.clone(),
                std: self.std.clone(),
            }),
            output_norm: None,
            layers,
        }
    }
}

impl Examples for SequenceSet {
    fn ids(&self, split: Split) -> &[usize] {
        &self.ids[split as usize]
    }

    fn batch(&self, ids: &[usize]) -> Result<(Seq<f32>, Vec<f32>), BatchError> {
        let mut values = Vec::with_capacity(ids.len() * self.length * self.channels.len());
        for &i in ids {
            let x = self
                .inputs
                .get(i)
                .ok_or(BatchError::NotAWindowStart { start: i })?;
            values.extend_from_slice(x);
        }
        let x = Seq::from_batch_major(&values, ids.len(), self.length, self.channels.len());
        Ok((x, ids.iter().map(|&i| self.labels[i] as f32).collect()))
    }

    fn target_std(&self) -> f64 {
        1.0
    }

    fn describe(&self) -> String {
        format!(
            "channels={:?} classes={:?} length={} sequences={:?}",
            self.channels,
            self.classes,
            self.length,
            self.ids.iter().map(Vec::len).collect::<Vec<_>>()
        )
    }
}

/// A classifier's scores on one split, through the runtime.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    /// Sequences scored.
    pub sequences: usize,
    /// Share classified right (window mode).
    pub accuracy: f64,
    /// Share classified right from the last streamed output (`None` for a model that runs in
    /// window mode only, e.g. with a Bidirectional layer).
    pub stream_accuracy: Option<f64>,
    /// The majority-class baseline's accuracy.
    pub majority_accuracy: f64,
    /// The baseline's class.
    pub majority: usize,
    /// Per class: of the sequences predicted as it, the share that are (NaN if none is).
    pub precision: Vec<f64>,
    /// Per class: of its sequences, the share predicted as it.
    pub recall: Vec<f64>,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// The class predicted for each sequence of the split (window mode), in split order.
    pub predictions: Vec<usize>,
    /// Largest difference between the last streamed output and the window output (0 when
    /// streaming reproduces window mode bit for bit).
    pub stream_max_diff: Option<f64>,
}

/// Scores a classifier blob on a split: window mode and streaming mode per sequence.
pub fn score(blob: &[u8], set: &SequenceSet, split: Split) -> Result<ClassScores, ClassifyError> {
    let rt = |e: &dyn std::fmt::Debug| ClassifyError::Runtime(format!("{e:?}"));
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(|e| rt(&e))?;
    let mut scratch = vec![0.0; model.window_scratch_len(set.length).map_err(|e| rt(&e))?];
    let mut state = vec![0.0; model.state_len()];
    let streams = Stepper::new(&model, &mut state).is_ok();
    scores_from(
        set.ids(split),
        &set.labels,
        set.classes.len(),
        set.majority_class(),
        streams,
        |i| run_sequence(&model, &set.raw[i], (&mut scratch, &mut state), streams),
    )
}

/// The scores of a split from each example's predicted class, window output and last streamed
/// output (`run`), `streams` saying whether the model streams at all.
pub(crate) fn scores_from(
    ids: &[usize],
    labels: &[usize],
    k: usize,
    majority: usize,
    streams: bool,
    mut run: impl FnMut(usize) -> Result<(usize, Vec<f32>, Option<Vec<f32>>), ClassifyError>,
) -> Result<ClassScores, ClassifyError> {
    let mut confusion = vec![vec![0usize; k]; k];
    let (mut right, mut stream_right, mut majority_right) = (0usize, 0usize, 0usize);
    let mut worst = 0f64;
    let mut predictions = Vec::with_capacity(ids.len());
    for &i in ids {
        let (pred, window, last) = run(i)?;
        let truth = labels[i];
        if streams {
            let last = last.unwrap_or_else(|| vec![f32::NAN; window.len()]);
            for (a, b) in window.iter().zip(&last) {
                worst = max_diff(worst, f64::from((a - b).abs()));
            }
            stream_right += usize::from(predicted_class(&last) == truth);
        }
        confusion[truth][pred.min(k - 1)] += 1;
        predictions.push(pred);
        right += usize::from(pred == truth);
        majority_right += usize::from(majority == truth);
    }
    let n = ids.len().max(1) as f64;
    let precision = (0..k)
        .map(|p| {
            let col: usize = (0..k).map(|t| confusion[t][p]).sum();
            confusion[p][p] as f64 / col as f64
        })
        .collect();
    let recall = (0..k)
        .map(|t| {
            let row: usize = confusion[t].iter().sum();
            confusion[t][t] as f64 / row as f64
        })
        .collect();
    Ok(ClassScores {
        sequences: ids.len(),
        accuracy: right as f64 / n,
        stream_accuracy: streams.then(|| stream_right as f64 / n),
        majority_accuracy: majority_right as f64 / n,
        majority,
        precision,
        recall,
        confusion,
        predictions,
        stream_max_diff: streams.then_some(worst),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize, steps: usize) -> Sequences {
        Sequences {
            channels: vec!["a".into(), "b".into()],
            classes: vec!["lo".into(), "hi".into(), "mid".into()],
            items: (0..n)
                .map(|i| Sequence {
                    values: (0..steps * 2)
                        .map(|j| (i % 3) as f32 * 10.0 + j as f32 * 0.1)
                        .collect(),
                    label: i % 3,
                })
                .collect(),
            ids: Vec::new(),
            left_out: Vec::new(),
        }
    }

    #[test]
    fn stratified_splits_cover_every_class_and_are_disjoint() {
        let set = SequenceSet::new(&toy(30, 5), None, &ClassConfig::default()).unwrap();
        let mut all: Vec<usize> = Split::ALL
            .iter()
            .flat_map(|&s| set.ids(s).to_vec())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..30).collect::<Vec<_>>());
        for s in Split::ALL {
            for c in 0..3 {
                assert!(
                    set.ids(s).iter().any(|&i| set.labels()[i] == c),
                    "{s:?} {c}"
                );
            }
        }
        assert_eq!(set.ids(Split::Train).len(), 18);
        // With a test file: validation is 20% of each training class, test is the file.
        let set = SequenceSet::new(&toy(30, 5), Some(&toy(6, 5)), &ClassConfig::default()).unwrap();
        assert_eq!(set.ids(Split::Val).len(), 6);
        assert_eq!(set.ids(Split::Test), (30..36).collect::<Vec<_>>());
    }

    #[test]
    fn normalization_padding_and_fill() {
        let mut train = toy(15, 4);
        train.items[0].values.truncate(4); // 2 steps: padded at the front
        train.items[1].values[2] = f32::NAN; // the first kept step: filled with the mean
        train.items[1].values[5] = f32::NAN; // filled from the step before
        let cfg = ClassConfig {
            length: Some(3),
            ..ClassConfig::default()
        };
        let set = SequenceSet::new(&train, None, &cfg).unwrap();
        assert_eq!(set.length(), 3);
        // Sequence 0: one padded step (normalized 0), then its 2 steps.
        assert_eq!(&set.inputs[0][..2], &[0.0, 0.0]);
        assert_eq!(&set.raw[0][..2], &set.mean[..]);
        // Longer sequences keep their last 3 steps.
        assert_eq!(set.raw[2][0], train.items[2].values[2]);
        // Sequence 1 had 4 steps and keeps steps 1-3: channel 0 of step 1 is NaN and takes the
        // training mean; channel 1 of step 2 takes step 1's value.
        assert!(set.raw[1][0].is_nan() && set.raw[1][3].is_nan());
        assert_eq!(set.inputs[1][0], 0.0);
        let prev = (train.items[1].values[3] - set.mean[1]) / set.std[1];
        assert!((set.inputs[1][3] - prev).abs() < 1e-6 && prev != 0.0);
    }

    #[test]
    fn a_nan_difference_stays_nan() {
        assert!(max_diff(f64::NAN, 0.5).is_nan() && max_diff(0.5, f64::NAN).is_nan());
        assert_eq!(max_diff(0.25, 0.5), 0.5);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let mut one = toy(6, 3);
        one.classes.truncate(1);
        assert!(matches!(
            SequenceSet::new(&one, None, &ClassConfig::default()),
            Err(ClassifyError::OneClass(1))
        ));
        let mut test = toy(3, 3);
        test.channels.push("c".into());
        assert!(matches!(
            SequenceSet::new(&toy(9, 3), Some(&test), &ClassConfig::default()),
            Err(ClassifyError::Channels { train: 2, test: 3 })
        ));
        let mut test = toy(3, 3);
        test.classes[0] = "other".into();
        assert!(matches!(
            SequenceSet::new(&toy(9, 3), Some(&test), &ClassConfig::default()),
            Err(ClassifyError::UnknownClass(_))
        ));
        assert!(matches!(
            SequenceSet::new(&toy(3, 3), None, &ClassConfig::default()),
            Err(ClassifyError::Empty(_))
        ));
        let mut renamed = toy(3, 3);
        renamed.channels.swap(0, 1);
        assert!(matches!(
            SequenceSet::new(&toy(9, 3), Some(&renamed), &ClassConfig::default()),
            Err(ClassifyError::ChannelNames { .. })
        ));
        for split in [[0.6, 0.2, 0.1], [1.2, -0.1, -0.1]] {
            let cfg = ClassConfig {
                split,
                ..ClassConfig::default()
            };
            assert!(matches!(
                SequenceSet::new(&toy(30, 3), None, &cfg),
                Err(ClassifyError::Split(_))
            ));
        }
    }
}
