//! `nowcast train --task classify`: labelled sequences to a classifier blob, scored through the
//! runtime against the majority-class baseline.

use std::path::{Path, PathBuf};

use clap::Args;

use anyhow::{Context, Result, bail};
use nowcast_runtime::activation::Activation;
use nowcast_runtime::{AlignedBytes, Layer, Mode, Model, ModelSpec, Stepper};
use nowcast_trainer::classify::{self, ClassConfig, ClassScores, SequenceSet};
use nowcast_trainer::data::Split;
use nowcast_trainer::data::sequences::{self, CsvColumns, Sequences};
use nowcast_trainer::export;
use nowcast_trainer::quant::{self, Calibration, LayerError, RawWindows};
use nowcast_trainer::train::fit::{Examples, balanced_class_weights};
use nowcast_trainer::train::{FitConfig, History, Loss, ModelToml, TrainModel};
use serde::Serialize;

use crate::quantize::{Exponents, QuantizeArgs, exponents_of, quantize_and_write, weight_bytes};
use crate::train::{LossArg, TrainArgs, ValMetric, fit_config, fit_with_progress};

/// The scores every classifier's `metrics.json` has (sequences and texts).
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub classes: Vec<String>,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    pub stream_val_accuracy: Option<f64>,
    pub stream_test_accuracy: Option<f64>,
    pub majority_val_accuracy: f64,
    pub majority_test_accuracy: f64,
    /// Test split: per class, in `classes` order.
    pub test_precision: Vec<f64>,
    pub test_recall: Vec<f64>,
    /// Test split: `[true class][predicted class]` counts.
    pub test_confusion: Vec<Vec<usize>>,
    /// Largest difference between an example's last streamed output and its window output.
    pub stream_max_diff: Option<f64>,
}

impl ClassReport {
    pub fn new(classes: &[String], val: &ClassScores, test: &ClassScores) -> Self {
        ClassReport {
            classes: classes.to_vec(),
            val_accuracy: val.accuracy,
            test_accuracy: test.accuracy,
            stream_val_accuracy: val.stream_accuracy,
            stream_test_accuracy: test.stream_accuracy,
            majority_val_accuracy: val.majority_accuracy,
            majority_test_accuracy: test.majority_accuracy,
            test_precision: test.precision.clone(),
            test_recall: test.recall.clone(),
            test_confusion: test.confusion.clone(),
            stream_max_diff: val
                .stream_max_diff
                .zip(test.stream_max_diff)
                .map(|(a, b)| classify::max_diff(a, b)),
        }
    }
}

/// Says whether streaming reproduced window mode, and with a report folder writes
/// `metrics.json`, `curves.png` and `confusion.png` there.
pub(crate) fn finish(
    dir: Option<&Path>,
    metrics: &impl Serialize,
    report: &ClassReport,
    history: &History,
) -> Result<()> {
    match report.stream_max_diff {
        Some(d) if d != 0.0 => {
            eprintln!("warning: the last streamed output differs from window mode by up to {d}")
        }
        Some(_) => outln!("streaming: the last output of every example equals window mode"),
        None => outln!("streaming: this model runs in window mode only"),
    }
    let Some(dir) = dir else { return Ok(()) };
    crate::train::write_json(dir, "metrics.json", metrics)?;
    crate::plot::curves(
        &dir.join("curves.png"),
        &history.train_loss,
        &history.val_loss,
        history.best_epoch,
        "cross-entropy",
    )?;
    crate::plot::confusion(
        &dir.join("confusion.png"),
        &format!(
            "Test confusion matrix (accuracy {:.3}, majority class {:.3})",
            report.test_accuracy, report.majority_test_accuracy
        ),
        &report.classes,
        &report.test_confusion,
    )?;
    outln!("report in {}", dir.display());
    Ok(())
}

/// `metrics.json` of a sequence classifier.
#[derive(Debug, Clone, Serialize)]
pub struct ClassMetrics {
    pub task: &'static str,
    #[serde(flatten)]
    pub scores: ClassReport,
    pub length: usize,
    pub sequences: [usize; 3],
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub seconds_per_epoch: f64,
    pub params: usize,
    pub history: History,
}

/// Where labelled sequences come from (`train` and `quantize` with `--task classify`).
#[derive(Debug, Clone, Args)]
pub struct SequenceArgs {
    /// Classify: the test sequences (else --split cuts them from --data).
    #[arg(long)]
    pub test: Option<PathBuf>,
    #[command(flatten)]
    pub columns: SequenceColumns,
    /// Classify with --test: the share of each training class kept for validation.
    #[arg(long, default_value_t = 0.2)]
    pub val_fraction: f64,
}

/// The id and label columns of labelled sequences in a CSV (`train`, `quantize` and `eval`).
#[derive(Debug, Clone, Args)]
pub struct SequenceColumns {
    /// Classify, CSV layout: the column naming each row's sequence.
    #[arg(long, default_value = "sequence")]
    pub sequence_column: String,
    /// Classify and text: the column holding each row's class label.
    #[arg(long, default_value = "label")]
    pub label_column: String,
}

impl SequenceColumns {
    /// A `.ts` file, or the CSV layout with these id and label columns and these channels
    /// (else every column that is one but the ignored ones).
    pub(crate) fn read(&self, path: &Path, channels: Channels<'_>) -> Result<Sequences> {
        let is_ts = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ts"));
        if is_ts {
            return Ok(sequences::read_ts(path)?);
        }
        let columns = CsvColumns {
            id: &self.sequence_column,
            label: &self.label_column,
            channels: channels.0,
            ignore: channels.1,
        };
        Ok(sequences::read_sequence_csv(path, &columns)?)
    }
}

impl SequenceArgs {
    /// The examples of `data` (and --test), split by `split` (or --val-fraction) with `seed`.
    fn load(
        &self,
        data: &Path,
        channels: Channels<'_>,
        split: &[f64],
        seed: u64,
        length: Option<usize>,
    ) -> Result<SequenceSet> {
        let train = self.columns.read(data, channels)?;
        if !train.left_out.is_empty() {
            outln!(
                "not channels: {} (name the channels with --features)",
                train.left_out.join(", ")
            );
        }
        // The test file's channels are the training file's.
        let test = self.test.as_deref();
        let test = test
            .map(|p| self.columns.read(p, (Some(&train.channels), &[])))
            .transpose()?;
        let [s0, s1, s2] = split[..] else {
            bail!("--split needs three fractions, e.g. 0.6,0.2,0.2")
        };
        let cfg = ClassConfig {
            val_fraction: self.val_fraction,
            split: [s0, s1, s2],
            length,
            seed,
        };
        Ok(SequenceSet::new(&train, test.as_ref(), &cfg)?)
    }
}

/// The channels asked for (`--features`, or a model's), and the columns to ignore.
pub(crate) type Channels<'a> = (Option<&'a [String]>, &'a [String]);

/// The loss for the model's output layer: softmax over one unit per class, or one sigmoid
/// unit for two classes.
pub(crate) fn loss_for(model: &TrainModel, classes: usize, asked: Option<LossArg>) -> Result<Loss> {
    let layers = model.layers();
    let Some(Layer::Dense(last)) = layers.last() else {
        bail!("a classifier ends with a dense layer (softmax, or one sigmoid unit)");
    };
    let units = last.units as usize;
    let auto = match (last.activation, units) {
        (Activation::Softmax, u) if u == classes => Loss::CategoricalCrossentropy,
        (Activation::Sigmoid, 1) if classes == 2 => Loss::BinaryCrossentropy,
        (act, u) => bail!(
            "the last layer is a dense layer of {u} units with {act:?}: for {classes} classes use \
             {classes} units with softmax{}",
            if classes == 2 {
                ", or 1 unit with sigmoid"
            } else {
                ""
            }
        ),
    };
    match asked {
        None => Ok(auto),
        Some(LossArg::CategoricalCrossentropy) if auto == Loss::CategoricalCrossentropy => Ok(auto),
        Some(LossArg::BinaryCrossentropy) if auto == Loss::BinaryCrossentropy => Ok(auto),
        Some(l) => bail!("--loss {l:?} does not fit the output layer (it needs {auto:?})"),
    }
}

/// The accuracy table and the test split's per-class figures.
pub(crate) fn print_scores(
    classes: &[String],
    majority: usize,
    val: &ClassScores,
    test: &ClassScores,
) {
    outln!("\naccuracy                   val      test");
    outln!(
        "  model, window mode   {:>8.3}  {:>8.3}",
        val.accuracy,
        test.accuracy
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    outln!(
        "  model, streaming     {:>8}  {:>8}",
        f(val.stream_accuracy),
        f(test.stream_accuracy)
    );
    outln!(
        "  majority class       {:>8.3}  {:>8.3}   ({})",
        val.majority_accuracy,
        test.majority_accuracy,
        classes[majority]
    );
    print_classes("test", classes, test);
}

/// Per class: precision, recall and the confusion row of `what`'s scores.
fn print_classes(what: &str, classes: &[String], s: &ClassScores) {
    outln!("\n{what}: class, precision, recall, confusion row (predicted as each class)");
    for (k, name) in classes.iter().enumerate() {
        outln!(
            "  {name:<14} {:>6.3} {:>6.3}   {:?}",
            s.precision[k],
            s.recall[k],
            s.confusion[k]
        );
    }
}

/// `nowcast replay` of a classifier: each sequence of `data` streamed from a fresh state as
/// window mode sees it (cut to its last `lookback` steps, a shorter one after the model's input
/// mean), and one line per row of the file: its sequence (the id; for a `.ts` file, its index
/// from 0), its label, its step, the class predicted after
/// it and the class probabilities (empty for rows before the window). Returns the accuracy of
/// each sequence's last output.
pub(crate) fn replay(
    model: &Model<'_>,
    data: &Path,
    columns: &SequenceColumns,
    out: &Path,
) -> Result<f64> {
    use std::fmt::Write as _;
    let features: Vec<String> = model.features().iter().map(String::from).collect();
    let seqs = columns.read(data, (Some(&features), &[]))?;
    let classes = classify::model_classes(model, &seqs.classes);
    let c = features.len().max(1);
    let (length, mean) = classify::model_window(model);
    let mut state = vec![0.0f32; model.state_len()];
    let mut text = format!(
        "sequence,label,step,predicted,{}\n",
        classes
            .iter()
            .map(|k| csv_field(&format!("p_{k}")))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (mut right, mut rows) = (0usize, 0usize);
    for (i, s) in seqs.items.iter().enumerate() {
        let x = classify::padded(s, length, &mean);
        let steps = s.steps(c);
        // Window steps before the sequence's first (padding), and its rows before the window.
        let (pad, cut) = (length.saturating_sub(steps), steps.saturating_sub(length));
        let mut stepper = Stepper::new(model, &mut state).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut last = 0;
        let label = &seqs.classes[s.label];
        let i = seqs.ids.get(i).cloned().unwrap_or_else(|| i.to_string());
        let (i, label) = (csv_field(&i), csv_field(label));
        for t in 0..cut {
            writeln!(text, "{i},{label},{t},{}", ",".repeat(classes.len()))?;
        }
        for (k, sample) in x.chunks_exact(c).enumerate() {
            let y = stepper.step(sample).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let Some(y) = y.filter(|_| k >= pad) else {
                continue;
            };
            let probabilities: Vec<f32> = match y {
                [p] => vec![1.0 - p, *p],
                y => y.to_vec(),
            };
            last = nowcast_trainer::train::fit::predicted_class(y);
            let shown: Vec<String> = probabilities.iter().map(f32::to_string).collect();
            let step = cut + k - pad;
            let predicted = csv_field(&classes[last]);
            writeln!(text, "{i},{label},{step},{predicted},{}", shown.join(","))?;
        }
        right += usize::from(classes[last] == seqs.classes[s.label]);
        rows += steps;
    }
    export::write_atomic(out, text.as_bytes())?;
    let accuracy = right as f64 / seqs.items.len().max(1) as f64;
    outln!(
        "streamed {} sequences ({rows} rows), accuracy {accuracy:.3} from each one's last \
         output; wrote {}",
        seqs.items.len(),
        out.display()
    );
    Ok(accuracy)
}

/// A CSV field: quoted (its quotes doubled) if it holds a delimiter, a quote or a line break.
fn csv_field(s: &str) -> String {
    match s.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", s.replace('"', "\"\"")),
        false => s.to_owned(),
    }
}

/// `nowcast eval` of a classifier's JSON.
#[derive(Debug, Serialize)]
struct ClassEvalJson<'a> {
    task: &'static str,
    classes: &'a [String],
    #[serde(flatten)]
    scores: &'a ClassScores,
}

/// `nowcast eval` of a classifier: every sequence of `data` (a `.ts` file, or the CSV layout
/// with the model's channels by name) through the runtime, against the file's most frequent
/// class.
pub(crate) fn eval(
    blob: &[u8],
    model: &Model<'_>,
    data: &Path,
    columns: &SequenceColumns,
    json: bool,
) -> Result<()> {
    let features: Vec<String> = model.features().iter().map(String::from).collect();
    let seqs = columns.read(data, (Some(&features), &[]))?;
    let classes = classify::model_classes(model, &seqs.classes);
    let s = classify::score_file(blob, &seqs, &classes)?;
    if json {
        let j = ClassEvalJson {
            task: "classify",
            classes: &classes,
            scores: &s,
        };
        outln!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    let majority = s.majority;
    outln!(
        "{} sequences, {} classes ({}); window {} steps",
        s.sequences,
        classes.len(),
        classes.join(", "),
        model.lookback()
    );
    outln!("\naccuracy");
    outln!("  model, window mode   {:>8.3}", s.accuracy);
    let stream = s
        .stream_accuracy
        .map_or("-".to_string(), |v| format!("{v:.3}"));
    outln!("  model, streaming     {stream:>8}");
    outln!(
        "  majority class       {:>8.3}   ({}, the file's most frequent)",
        s.majority_accuracy,
        classes[majority]
    );
    print_classes("file", &classes, &s);
    Ok(())
}

/// Trains a classifier (the loss chosen for its output layer), exports it to `--out` (named
/// after the spec file) and removes the checkpoint; returns the blob and the history.
pub(crate) fn train_classifier(
    a: &TrainArgs,
    model: &mut TrainModel,
    mut fit: FitConfig,
    data: &impl Examples,
    (classes, labels): (&[String], &[usize]),
    spec: impl FnOnce(&TrainModel, &str) -> ModelSpec,
) -> Result<(Vec<u8>, History)> {
    fit.loss = loss_for(model, classes.len(), a.loss)?;
    fit.class_weights = match a.class_weight.as_deref() {
        None => None,
        Some("balanced") => Some(balanced_class_weights(
            data.ids(Split::Train).iter().map(|&i| labels[i]),
            classes.len(),
        )),
        Some(list) => {
            let w: Vec<f32> = list
                .split(',')
                .map(|v| v.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("--class-weight {list:?}: numbers or \"balanced\""))?;
            if w.len() != classes.len() || w.iter().any(|&v| !(v >= 0.0 && v.is_finite())) {
                bail!(
                    "--class-weight needs {} weights of at least 0 ({}), found {list:?}",
                    classes.len(),
                    classes.join(", ")
                );
            }
            Some(w)
        }
    };
    if let Some(w) = &fit.class_weights {
        let shown: Vec<String> = classes
            .iter()
            .zip(w)
            .map(|(c, w)| format!("{c} {w:.3}"))
            .collect();
        outln!("class weights: {}", shown.join(", "));
    }
    outln!(
        "training {} params, loss {:?}, batch {}, {} threads",
        model.param_count(),
        fit.loss,
        fit.batch,
        fit.threads
    );
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let history = fit_with_progress(&fit, ValMetric::Accuracy, &mut |p| {
        nowcast_trainer::train::fit(model, data, &fit, p)
    })?;
    let name = a
        .model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("classifier");
    let bytes = export::to_bytes(&spec(model, name))?;
    export::write_atomic(&a.out, &bytes)?;
    outln!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    let ckpt = a.checkpoint.clone().unwrap_or(a.out.with_extension("ckpt"));
    if ckpt.exists() {
        std::fs::remove_file(&ckpt).with_context(|| format!("removing {}", ckpt.display()))?;
    }
    Ok((bytes, history))
}

/// The whole classify command; returns the metrics.
pub fn run(a: &TrainArgs) -> Result<ClassMetrics> {
    let channels = (a.data.features.as_deref(), &a.data.ignore[..]);
    let set = a
        .sequences
        .load(&a.data.data, channels, &a.data.split, a.seed, a.length)?;
    outln!(
        "{} sequences of {} channels, {} classes ({}); {} steps each; train {}, val {}, test {}",
        set.labels().len(),
        set.channels().len(),
        set.classes().len(),
        set.classes().join(", "),
        set.length(),
        set.ids(Split::Train).len(),
        set.ids(Split::Val).len(),
        set.ids(Split::Test).len(),
    );
    let spec = ModelToml::load(&a.model)?;
    let fit = fit_config(a);
    let built = spec.build(set.channels().len(), set.length(), fit.seed)?;
    let mut model = TrainModel::new(built);
    let (bytes, history) = train_classifier(
        a,
        &mut model,
        fit,
        &set,
        (set.classes(), set.labels()),
        |m, name| set.model_spec(m, name, 0),
    )?;
    let val = classify::score(&bytes, &set, Split::Val)?;
    let test = classify::score(&bytes, &set, Split::Test)?;
    print_scores(set.classes(), set.majority_class(), &val, &test);
    let metrics = ClassMetrics {
        task: "classify",
        scores: ClassReport::new(set.classes(), &val, &test),
        length: set.length(),
        sequences: Split::ALL.map(|s| set.ids(s).len()),
        epochs_run: history.epochs_run(),
        best_epoch: history.best_epoch,
        seconds_per_epoch: history.seconds_per_epoch(),
        params: model.param_count(),
        history,
    };
    finish(
        a.report.as_deref(),
        &metrics,
        &metrics.scores,
        &metrics.history,
    )?;
    Ok(metrics)
}

/// `quant.json` of a classifier: float against quantized accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct ClassQuantJson {
    pub task: &'static str,
    pub float: ClassModeScores,
    pub quantized: ClassModeScores,
    /// Quantized weight bytes over float weight bytes.
    pub weight_bytes_ratio: f64,
    /// Test examples whose class the quantized model predicts differently from the float one.
    pub test_disagreements: usize,
    /// Per-layer output error on the test split (normalized units).
    pub layers: Vec<LayerError>,
    pub calibration: Option<Calibration>,
    pub exponents: Option<Exponents>,
}

/// One classifier's figures in `quant.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ClassModeScores {
    pub mode: &'static str,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    pub stream_test_accuracy: Option<f64>,
    pub weight_bytes: usize,
    pub blob_bytes: usize,
}

/// `nowcast quantize --task classify`: calibrates on the training sequences, scores both
/// models through the runtime on the same splits as `train`.
pub fn quantize(a: &QuantizeArgs) -> Result<ClassQuantJson> {
    let float_blob =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let aligned = AlignedBytes::new(&float_blob);
    let model = Model::from_bytes(aligned.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: invalid model: {e:?}", a.model.display()))?;
    let features: Vec<String> = model.features().iter().map(String::from).collect();
    let set = a.sequences.load(
        &a.data.data,
        (Some(&features), &[]),
        &a.data.split,
        a.seed,
        Some(model.lookback() as usize),
    )?;
    // Rebuilt with train's flags, the training split normalizes as the blob does.
    let (mean, std) = set.normalization();
    let same = model
        .input_norm()
        .is_some_and(|n| n.mean == mean && n.std == std);
    if !same {
        bail!(
            "the training split rebuilt from the data does not normalize as {} does: give the \
             --split, --val-fraction and --seed that train had",
            a.model.display()
        );
    }
    quantize_classifier(a, &float_blob, &set, set.classes().len(), |blob, split| {
        Ok(classify::score(blob, &set, split)?)
    })
}

/// Quantizes a classifier blob (calibrated on `set`'s training examples), scores both through
/// `score`, writes the blob and `quant.json`.
pub(crate) fn quantize_classifier(
    a: &QuantizeArgs,
    float_blob: &[u8],
    set: &impl RawWindows,
    classes: usize,
    score: impl Fn(&[u8], Split) -> Result<ClassScores>,
) -> Result<ClassQuantJson> {
    let aligned = AlignedBytes::new(float_blob);
    let outputs = Model::from_bytes(aligned.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .output_len();
    if outputs != classes && !(outputs == 1 && classes == 2) {
        bail!("the model has {outputs} outputs for the data's {classes} classes");
    }
    let mode = a.mode.mode();
    let quant_blob = quantize_and_write(a, float_blob, set)?;
    let scores = |blob: &[u8], mode: Mode| -> Result<(ClassModeScores, ClassScores)> {
        let val = score(blob, Split::Val)?;
        let test = score(blob, Split::Test)?;
        Ok((
            ClassModeScores {
                mode: mode.name(),
                val_accuracy: val.accuracy,
                test_accuracy: test.accuracy,
                stream_test_accuracy: test.stream_accuracy,
                weight_bytes: weight_bytes(blob)?,
                blob_bytes: blob.len(),
            },
            test,
        ))
    };
    let (float, ft) = scores(float_blob, Mode::F32)?;
    let (quantized, qt) = scores(&quant_blob, mode)?;
    let layers = quant::layer_errors(float_blob, &quant_blob, set, Split::Test, a.layer_windows)?;
    let report = ClassQuantJson {
        task: "classify",
        weight_bytes_ratio: quantized.weight_bytes as f64 / float.weight_bytes.max(1) as f64,
        test_disagreements: ft
            .predictions
            .iter()
            .zip(&qt.predictions)
            .filter(|(f, q)| f != q)
            .count(),
        float,
        quantized,
        layers,
        calibration: (mode == Mode::I8x16).then_some(a.calibration),
        exponents: exponents_of(&quant_blob),
    };
    outln!("\naccuracy     val      test   stream test   weight bytes");
    for s in [&report.float, &report.quantized] {
        outln!(
            "  {:<6}  {:>6.3}  {:>8.3}  {:>12}  {:>13}",
            s.mode,
            s.val_accuracy,
            s.test_accuracy,
            s.stream_test_accuracy
                .map_or("-".into(), |v| format!("{v:.3}")),
            s.weight_bytes
        );
    }
    outln!(
        "  test examples classified differently: {} of {}; weight bytes ratio {:.3}",
        report.test_disagreements,
        ft.sequences,
        report.weight_bytes_ratio
    );
    if let Some(dir) = &a.report {
        let path = crate::train::write_json(dir, "quant.json", &report)?;
        outln!("wrote {}", path.display());
    }
    Ok(report)
}
