//! `nowcast train --task text`: labelled texts to a classifier blob (token ids into an
//! Embedding), scored through the runtime against the majority-class baseline.

use anyhow::{Context, Result, bail};
use nowcast_trainer::classify::ClassScores;
use nowcast_trainer::data::Split;
use nowcast_trainer::export;
use nowcast_trainer::text::{self, Encoding, EncodingReport, TextConfig, TextSet};
use nowcast_trainer::train::fit::Examples;
use nowcast_trainer::train::{History, ModelToml, TrainModel};
use serde::Serialize;

use crate::classify::{loss_for, print_scores};
use crate::train::{TrainArgs, fit_config, fit_with_progress};

/// `metrics.json` of a text classifier.
#[derive(Debug, Clone, Serialize)]
pub struct TextMetrics {
    pub task: &'static str,
    pub classes: Vec<String>,
    /// `vocabulary` or `hashing`.
    pub input: String,
    /// Ids (the Embedding's `input_dim`).
    pub ids: usize,
    pub length: usize,
    pub encoding: EncodingReport,
    /// With --embeddings: vocabulary tokens that have a vector, and how many there are.
    pub vectors_found: Option<usize>,
    pub vectors_wanted: Option<usize>,
    pub frozen_embeddings: bool,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    pub stream_test_accuracy: Option<f64>,
    pub majority_val_accuracy: f64,
    pub majority_test_accuracy: f64,
    pub test_precision: Vec<f64>,
    pub test_recall: Vec<f64>,
    pub test_confusion: Vec<Vec<usize>>,
    pub stream_max_diff: Option<f64>,
    pub texts: [usize; 3],
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub seconds_per_epoch: f64,
    pub params: usize,
    pub history: History,
}

/// The whole text command; returns the metrics.
pub fn run(a: &TrainArgs) -> Result<TextMetrics> {
    let texts = text::read_text_csv(&a.data.data, &a.text_column, &a.label_column)?;
    let [s0, s1, s2] = a.data.split[..] else {
        bail!("--split needs three fractions, e.g. 0.6,0.2,0.2")
    };
    let cfg = TextConfig {
        hashing: a.hashing,
        max_tokens: a.vocab,
        length: a.length,
        split: [s0, s1, s2],
        seed: a.seed,
    };
    let set = TextSet::new(&texts, &cfg)?;
    let ids = set.encoding().ids();
    let input = match set.encoding() {
        Encoding::Vocabulary { .. } => "vocabulary",
        Encoding::Hashing { .. } => "hashing",
    };
    let r = set.report();
    println!(
        "{} texts, {} classes ({}); {input}: {ids} ids; {} distinct training tokens, {:.1}% of \
         token occurrences unknown, {} hash collisions; {} ids per text; train {}, val {}, test {}",
        texts.texts.len(),
        set.classes().len(),
        set.classes().join(", "),
        r.distinct_tokens,
        r.unknown_share * 100.0,
        r.collisions,
        set.length(),
        set.ids(Split::Train).len(),
        set.ids(Split::Val).len(),
        set.ids(Split::Test).len(),
    );
    let vectors = match (&a.embeddings, set.encoding()) {
        (None, _) => None,
        (Some(_), Encoding::Hashing { .. }) => {
            bail!("--embeddings needs a vocabulary (not --hashing): vectors are looked up by word")
        }
        (Some(p), Encoding::Vocabulary { tokens }) => {
            let v = text::read_vectors(p, tokens)?;
            println!(
                "{}: {}-value vectors for {} of {} vocabulary tokens ({:.1}%)",
                p.display(),
                v.dim,
                v.found,
                v.wanted,
                v.found as f64 * 100.0 / v.wanted.max(1) as f64
            );
            Some(v)
        }
    };
    let mut spec = ModelToml::load(&a.model)?;
    match spec.layers.first_mut() {
        Some(first) if first.kind == "embedding" => {
            let need = u32::try_from(ids)?;
            match first.input_dim {
                None => first.input_dim = Some(need),
                Some(d) if d < need => {
                    bail!("the embedding's input_dim {d} is below the {need} ids of the input")
                }
                Some(_) => {}
            }
            if let Some(v) = &vectors {
                let dim = u32::try_from(v.dim)?;
                match first.output_dim {
                    None => first.output_dim = Some(dim),
                    Some(d) if d != dim => {
                        bail!("the embedding's output_dim {d} differs from the vectors' {dim}")
                    }
                    Some(_) => {}
                }
            }
        }
        _ => bail!("token ids go into an embedding layer first"),
    }
    let mut fit = fit_config(a);
    let built = spec.build(1, set.length(), fit.seed)?;
    let mut model = TrainModel::new(built);
    if let Some(v) = &vectors {
        // The Embedding's table comes first in the parameters; ids past the vocabulary (an
        // input_dim above it) keep their initialization.
        model.params[..v.table.len()].copy_from_slice(&v.table);
        if a.freeze_embeddings {
            fit.frozen = std::iter::once(0..v.table.len()).collect();
        }
    } else if a.freeze_embeddings {
        bail!("--freeze-embeddings needs --embeddings");
    }
    fit.loss = loss_for(&model, set.classes().len(), a.loss)?;
    println!(
        "training {} params, loss {:?}, batch {}, {} threads",
        model.param_count(),
        fit.loss,
        fit.batch,
        fit.threads
    );
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let history = fit_with_progress(&mut model, &set, &fit, "val_accuracy")?;
    let name = a
        .model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("text");
    let bytes = export::to_bytes(&set.model_spec(&model, name))?;
    export::write_atomic(&a.out, &bytes)?;
    println!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    let ckpt = a.checkpoint.clone().unwrap_or(a.out.with_extension("ckpt"));
    if ckpt.exists() {
        std::fs::remove_file(&ckpt).with_context(|| format!("removing {}", ckpt.display()))?;
    }
    let val: ClassScores = text::score(&bytes, &set, Split::Val)?;
    let test = text::score(&bytes, &set, Split::Test)?;
    print_scores(set.classes(), set.majority_class(), &val, &test);
    let metrics = TextMetrics {
        task: "text",
        classes: set.classes().to_vec(),
        input: input.to_string(),
        ids,
        length: set.length(),
        encoding: set.report().clone(),
        vectors_found: vectors.as_ref().map(|v| v.found),
        vectors_wanted: vectors.as_ref().map(|v| v.wanted),
        frozen_embeddings: a.freeze_embeddings,
        val_accuracy: val.accuracy,
        test_accuracy: test.accuracy,
        stream_test_accuracy: test.stream_accuracy,
        majority_val_accuracy: val.majority_accuracy,
        majority_test_accuracy: test.majority_accuracy,
        test_precision: test.precision.clone(),
        test_recall: test.recall.clone(),
        test_confusion: test.confusion.clone(),
        stream_max_diff: val
            .stream_max_diff
            .zip(test.stream_max_diff)
            .map(|(a, b)| a.max(b)),
        texts: Split::ALL.map(|s| set.ids(s).len()),
        epochs_run: history.epochs_run(),
        best_epoch: history.best_epoch,
        seconds_per_epoch: history.seconds_per_epoch(),
        params: model.param_count(),
        history,
    };
    match metrics.stream_max_diff {
        Some(d) if d != 0.0 => {
            eprintln!("warning: the last streamed output differs from window mode by up to {d}")
        }
        Some(_) => println!("streaming: the last output of every text equals window mode"),
        None => println!("streaming: this model runs in window mode only"),
    }
    if let Some(dir) = &a.report {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = serde_json::to_string_pretty(&metrics)?;
        export::write_atomic(&dir.join("metrics.json"), json.as_bytes())?;
        let h = &metrics.history;
        crate::plot::curves(
            &dir.join("curves.png"),
            &h.train_loss,
            &h.val_loss,
            h.best_epoch,
            "cross-entropy",
        )?;
        crate::plot::confusion(
            &dir.join("confusion.png"),
            &format!(
                "Test confusion matrix (accuracy {:.3}, majority class {:.3})",
                test.accuracy, test.majority_accuracy
            ),
            set.classes(),
            &test.confusion,
        )?;
        println!("report in {}", dir.display());
    }
    Ok(metrics)
}
